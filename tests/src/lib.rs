//! Helpers shared by the integration tests: where the repository and the
//! `showrunner` binary are.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

/// Kills the child when dropped (a failed assertion must not leak an X server or an app).
pub struct Reap(pub Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `xdotool ARGS` on `display` (keys, focus); fails the test, naming them, if it fails.
pub fn xdotool(display: &str, args: &[&str]) {
    let st = std::process::Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .status()
        .unwrap();
    assert!(st.success(), "xdotool {args:?}");
}

/// Gives the film's window (titled `Showrunner`) the keyboard.
pub fn focus_film(display: &str) {
    xdotool(
        display,
        &[
            "search",
            "--sync",
            "--name",
            "Showrunner",
            "windowfocus",
            "--sync",
        ],
    );
}

/// Starts Xvfb (800×600) on a free display; returns it and the display name (`:N`).
pub fn xvfb() -> (Reap, String) {
    let mut x = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "800x600x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts (apt-get install xvfb)");
    let mut out = x.stdout.take().unwrap();
    let mut buf = [0u8; 16];
    let mut n = 0;
    while !buf[..n].contains(&b'\n') {
        let k = out.read(&mut buf[n..]).unwrap();
        assert!(k > 0, "Xvfb exited before telling its display");
        n += k;
    }
    let num = std::str::from_utf8(&buf[..n]).unwrap().trim().to_owned();
    (Reap(x), format!(":{num}"))
}

/// The lines of a child's pipe, on a channel.
pub fn rx_lines_of(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// The repository root (`SHOWRUNNER_REPO` when a test runs somewhere the
/// checkout is not, e.g. inside the Monado root).
pub fn repo() -> PathBuf {
    if let Some(r) = std::env::var_os("SHOWRUNNER_REPO") {
        return r.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `showrunner` binary, built by cargo before the tests run (`.ci/run` builds it with the
/// README's first command; alone, run `cargo build -p showrunner` first).
/// `SHOWRUNNER_BIN` overrides it (tests run inside the Monado root).
pub fn showrunner() -> PathBuf {
    if let Some(b) = std::env::var_os("SHOWRUNNER_BIN") {
        return b.into();
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/test-binary → target/<profile>/showrunner
    let bin = exe.parent().unwrap().parent().unwrap().join("showrunner");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p showrunner` first (`bash .ci/run` does)",
        bin.display()
    );
    bin
}

/// Where `play` keeps its saves during the tests (`SHOWRUNNER_STATE_DIR`), so no test writes
/// into the user's state folder: one per test process.
pub fn state_dir() -> PathBuf {
    std::env::temp_dir().join(format!("showrunner-test-state-{}", std::process::id()))
}

/// A generated ink story of `knots` knots for benchmarks: each knot has three
/// tagged lines and a three-way choice with stakes and intensity tags; the
/// last knots end; every 100th knot is a high-stakes interlude.
pub fn generated_story(knots: usize) -> String {
    let mut s = String::from("VAR arousal = 0.0\nVAR boredom = 0.0\n-> k0\n");
    for k in 0..knots {
        if k % 100 == 99 {
            s += &format!("=== k{k} ===\nA wave hits, number {k}. # stakes: high # intensity: 0.9\nIt passes. # shot: 4\n-> DONE\n");
            continue;
        }
        let next = |d: usize| {
            let mut n = k + d;
            while n % 100 == 99 {
                n += 1;
            }
            if n >= knots {
                "END".to_string()
            } else {
                format!("k{n}")
            }
        };
        s += &format!(
            "=== k{k} ===\nKnot {k} opens on the quay. # scene: s{scene} # palette: dusk\nThe light turns, {k} times. # shot: 3 # intensity: 0.{i}\n{{boredom > 0.5: Someone yawns.|Nobody moves.}}\n\
             * [Go on # stakes: high # intensity: 0.8] -> {a}\n* [Wait # stakes: low] -> {b}\n* [Look back # intensity: 0.5] -> {c}\n",
            scene = k % 7,
            i = k % 10,
            a = next(1),
            b = next(2),
            c = next(3),
        );
    }
    s
}

/// Median and p99 of single calls of `f`, in nanoseconds (after a warm-up of
/// `n / 10` calls), for the benchmarks' tail-latency tables.
pub fn percentiles(mut f: impl FnMut(), n: usize) -> (f64, f64) {
    use std::time::{Duration, Instant};
    for _ in 0..n / 10 {
        f();
    }
    let mut t: Vec<Duration> = (0..n)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    let ns = |d: Duration| d.as_nanos() as f64;
    (ns(t[n / 2]), ns(t[n * 99 / 100]))
}

/// Issue 18's end-to-end film with a live strap (the fake BlueZ's, over real btleplug), the
/// same in the window and in the headset. `next` yields the app's next stdout line (`None`
/// when none came in the time given); `control` is the fake's control folder. The strap is
/// found; after the baseline its heart races and the director de-escalates (`mode
/// deescalating` in the status lines); the strap is then taken away: within a second a
/// `strap:` line says the signal is gone (quality 0, neutral engagement), and the film goes
/// on; brought back, the strap reconnects in the background. Returns every line seen and how
/// long the drop took to reach the film.
pub fn strap_film_scenario(
    mut next: impl FnMut(std::time::Duration) -> Option<String>,
    control: &std::path::Path,
) -> (Vec<String>, std::time::Duration) {
    use std::time::{Duration, Instant};
    let mut seen = Vec::new();
    let mut wait = |secs: u64, what: &str, pred: &dyn Fn(&str) -> bool, seen: &mut Vec<String>| {
        let end = Instant::now() + Duration::from_secs(secs);
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            if let Some(l) = next(left) {
                seen.push(l.clone());
                if pred(&l) {
                    return l;
                }
            }
        }
        panic!(
            "no {what} within {secs} s; last lines:\n{}",
            seen[seen.len().saturating_sub(30)..].join("\n")
        );
    };
    let show_t = |l: &str| -> Option<f64> {
        l.strip_prefix("t ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    wait(
        60,
        "strap found",
        &|l| l.contains("strap: calibrating") || l.contains("strap: connected"),
        &mut seen,
    );
    wait(
        120,
        "de-escalation as the heart races",
        &|l| l.contains("mode deescalating"),
        &mut seen,
    );
    let t_drop = seen.iter().rev().find_map(|l| show_t(l)).unwrap_or(0.0);
    std::fs::write(control.join("drop"), b"").expect("the fake's control folder");
    let dropped = Instant::now();
    wait(
        10,
        "the strap's loss (quality 0)",
        &|l| l.contains("strap: ") && l.contains("quality 0.00"),
        &mut seen,
    );
    let took = dropped.elapsed();
    wait(
        30,
        "the film going on after the drop",
        &|l| show_t(l).is_some_and(|t| t >= t_drop + 3.0),
        &mut seen,
    );
    std::fs::write(control.join("restore"), b"").unwrap();
    wait(
        60,
        "the strap back",
        &|l| l.contains("strap: calibrating") || l.contains("strap: connected"),
        &mut seen,
    );
    (seen, took)
}

/// The IPTC `DigitalSourceType` an exported PNG declares, read by an independent reader
/// (Debian's Pillow, `python3-pil`, through Debian's own python3): the `XML:com.adobe.xmp` text
/// chunk's `Iptc4xmpExt:DigitalSourceType`, or `None` when the file carries no mark.
pub fn png_digital_source_type(path: &std::path::Path) -> Option<String> {
    let script = "import re, sys\nfrom PIL import Image\nxmp = Image.open(sys.argv[1]).info.get('XML:com.adobe.xmp', '')\nm = re.search(r'DigitalSourceType=\"([^\"]+)\"', xmp)\nprint(m.group(1) if m else '')\n";
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("Debian's python3 with Pillow (apt-get install python3-pil)");
    assert!(
        out.status.success(),
        "Pillow could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let t = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!t.is_empty()).then_some(t)
}

/// Runs the `showrunner` binary with `args` in the repository's root and waits for it.
pub fn run_showrunner(args: &[&str]) -> std::process::Output {
    Command::new(showrunner())
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

/// An OpenAI-compatible endpoint on loopback answering each request with the next of
/// `replies` (the last again when they run out); `None` never answers.
pub fn chat_endpoint(replies: Vec<Option<String>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut s) = stream else { continue };
            let reply = replies[i.min(replies.len() - 1)].clone();
            std::thread::spawn(move || {
                s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                    .unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 8192];
                loop {
                    let Ok(n) = s.read(&mut buf) else { return };
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got);
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap())
                            })
                            .unwrap_or(0);
                        if body.len() >= len {
                            break;
                        }
                    }
                }
                match reply {
                    Some(words) => {
                        let body = serde_json::json!({"choices": [{"message": {"role": "assistant", "content": words}}]}).to_string();
                        let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                        let _ =
                            std::io::Write::write_all(&mut s, format!("{head}{body}").as_bytes());
                    }
                    None => std::thread::sleep(std::time::Duration::from_secs(30)),
                }
            });
        }
    });
    url
}
