//! Heart data is health data: this crate has no network code, logs nothing
//! and writes no files (recording is the app's explicit `sensors record`).
//! Checked on the source, so a change that adds any of it fails here.

use std::path::Path;

fn sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn no_network_no_logging_no_file_writes() {
    let forbidden = [
        // network
        "std::net",
        "TcpStream",
        "UdpSocket",
        "TcpListener",
        "reqwest",
        "hyper",
        "ureq",
        "http::",
        // logging and printing
        "println!",
        "eprintln!",
        "print!(",
        "dbg!",
        "log::",
        "tracing::",
        // writing files
        "fs::write",
        "File::create",
        "OpenOptions",
        "create_dir",
    ];
    let mut found = Vec::new();
    for (file, text) in sources() {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for f in forbidden {
                if code.contains(f) {
                    found.push(format!("{file}:{}: {f}", n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "privacy: {found:#?}");
}

#[test]
fn dependencies_are_the_expected_ones() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    let names: Vec<&str> = deps
        .lines()
        .filter_map(|l| l.split(['=', '.']).next().map(str::trim))
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    let allowed = [
        "showrunner-core",
        "serde",
        "thiserror",
        "arrayvec",
        "rand",
        "rand_chacha",
        "rand_distr",
        "btleplug",
        "tokio",
        "futures",
        "uuid",
    ];
    for n in &names {
        assert!(
            allowed.contains(n),
            "new dependency `{n}`: check it has no network or telemetry code, then allow it here"
        );
    }
}
