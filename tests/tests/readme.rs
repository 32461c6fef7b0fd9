//! The README's two commands are what a newcomer runs on a fresh machine, and CI runs them as
//! written: the first through `scripts/readme-command.sh 1` (which reads it from the README),
//! the second is `.ci/run` itself. These tests keep the README, the scripts and CI in step.

use std::process::Command;

use showrunner_tests::repo;

fn read(path: &str) -> String {
    let p = repo().join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The ```sh blocks of the README's "## Two commands" section, as the script reads them.
fn two_commands() -> Vec<String> {
    let readme = read("README.md");
    let start = readme
        .find("\n## Two commands\n")
        .expect("README.md has a '## Two commands' section");
    let section = &readme[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in section[..end].lines() {
        match (line, current.as_mut()) {
            ("```sh", None) => current = Some(Vec::new()),
            ("```", Some(lines)) => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            (l, Some(lines)) => lines.push(l),
            _ => {}
        }
    }
    blocks
}

#[test]
fn the_first_command_sets_up_then_screens_the_sample_and_the_second_is_ci() {
    let cmds = two_commands();
    assert_eq!(
        cmds.len(),
        2,
        "README's 'Two commands' has two sh blocks: {cmds:?}"
    );
    assert!(
        cmds[0].starts_with("bash scripts/setup.sh && cargo run -p showrunner -- screen "),
        "the first command runs the set-up, then the sample: {}",
        cmds[0]
    );
    assert!(!cmds[0].contains('\n'), "the first command is one line");
    assert_eq!(cmds[1], "bash .ci/run");
}

#[test]
fn ci_runs_the_first_command_as_the_readme_writes_it() {
    let ci = read(".ci/run");
    assert!(
        ci.contains("bash scripts/readme-command.sh 1"),
        ".ci/run runs the README's first command through scripts/readme-command.sh"
    );
    assert!(
        ci.contains("bash scripts/setup.sh --tests"),
        ".ci/run uses the same set-up script as the README"
    );
    // The script that CI runs extracts exactly the command this test reads.
    let out = Command::new("bash")
        .arg(repo().join("scripts/readme-command.sh"))
        .args(["--print", "1"])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        two_commands()[0]
    );
    let missing = Command::new("bash")
        .arg(repo().join("scripts/readme-command.sh"))
        .args(["--print", "3"])
        .output()
        .expect("bash runs");
    assert_eq!(
        missing.status.code(),
        Some(2),
        "a command the README lacks is an error"
    );
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no command 3"));
}

#[test]
fn the_set_up_script_finds_nothing_left_to_install_after_it_ran() {
    // CI ran `scripts/setup.sh --tests` before the tests (a developer runs it once): a second
    // look finds everything in place and would install nothing.
    let out = Command::new("bash")
        .arg(repo().join("scripts/setup.sh"))
        .args(["--tests", "--check"])
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("setup: nothing to install"),
        "scripts/setup.sh --tests --check: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // libdbus is built from libdbus-sys's vendored sources: its -dev package is not installed.
    assert!(!read("scripts/setup.sh").contains("libdbus-1-dev"));
    let bio = read("engine/biometrics/Cargo.toml");
    assert!(bio.contains("libdbus-sys") && bio.contains("\"vendored\""));
    let bad = Command::new("bash")
        .arg(repo().join("scripts/setup.sh"))
        .arg("--bogus")
        .output()
        .expect("bash runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown option '--bogus'"));
}

/// Runs `scripts/compiled-twice.py` on a log of the given lines.
fn compiled_twice(lines: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("compilations.tsv");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let out = Command::new("python3")
        .arg(repo().join("scripts/compiled-twice.py"))
        .arg(&log)
        .output()
        .expect("python3 runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

#[test]
fn ci_fails_when_a_crate_is_compiled_twice() {
    let reg = "/reg/serde-1.0.0/src/lib.rs";
    // Built once for the host, once for Android: two targets, one compilation each.
    let ok = [
        format!("serde\t{reg}\tlib\thost\tlink\taaaa\t/w\tmain"),
        format!("serde\t{reg}\tlib\taarch64-linux-android\tcheck\tbbbb\t/w\tandroid"),
        // A library and its test harness are two units; the same unit logged twice is one.
        "core\tengine/core/src/lib.rs\tlib\thost\tlink\tcccc\t/w\tmain".to_string(),
        "core\tengine/core/src/lib.rs\ttest\thost\tlink\tdddd\t/w\tmain".to_string(),
        "core\tengine/core/src/lib.rs\ttest\thost\tlink\tdddd\t/w\tmain".to_string(),
        // A proc macro the Android graph wants with other features: allowed, and named.
        "pliron_derive\t/reg/pliron-derive/src/lib.rs\tproc-macro\thost\tlink\teeee\t/w\tmain"
            .to_string(),
        "pliron_derive\t/reg/pliron-derive/src/lib.rs\tproc-macro\thost\tlink\tffff\t/w\tandroid"
            .to_string(),
        // ... and the Windows check, a third time: still the cross checks' host tools.
        "pliron_derive\t/reg/pliron-derive/src/lib.rs\tproc-macro\thost\tlink\t9999\t/w\twindows"
            .to_string(),
    ];
    let ok: Vec<&str> = ok.iter().map(String::as_str).collect();
    let (code, text) = compiled_twice(&ok);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "0 compiled more than once; 1 host tools compiled again for the cross checks"
        ),
        "{text}"
    );
    assert!(text.contains("pliron_derive [proc-macro, host]"), "{text}");

    // Checked by one step and built by another (what `cargo clippy` then `cargo build` did).
    let mut twice = ok.clone();
    let checked = format!("serde\t{reg}\tlib\thost\tcheck\t9999\t/w\tmain");
    twice.push(&checked);
    let (code, text) = compiled_twice(&twice);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("1 compiled more than once"), "{text}");
    assert!(
        text.contains("aaaa (link, step main), 9999 (check, step main)"),
        "{text}"
    );
    assert!(text.contains("cargo hakari generate"), "{text}");

    // A damaged log is named with its line, not misread.
    let (code, text) = compiled_twice(&["serde\tonly-two"]);
    assert_eq!(code, Some(2));
    assert!(
        text.contains("compilations.tsv:1: expected 8 tab-separated fields, found 2"),
        "{text}"
    );
}
