//! `showrunner play --xr` against Monado, a real OpenXR runtime, headless.
//!
//! Ignored in a plain `cargo test`: `tests/xr/monado.sh` runs these inside a
//! Debian trixie root that has Monado (see the script). Each test starts its
//! own `monado-service` (null compositor, the remote devices builder so a test
//! can press a controller button over TCP), and stops it by PID.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use showrunner_tests::showrunner;

/// Kills the child when dropped.
struct Reap(Child, &'static str);
impl Drop for Reap {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
            eprintln!("stopped {} (pid {})", self.1, self.0.id());
        }
        let _ = std::fs::remove_file(pidfile(self.1));
    }
}

fn pidfile(what: &str) -> String {
    format!("/tmp/showrunner-xr-{what}.pid")
}

/// Starts monado-service (null compositor, remote devices on TCP 4242).
fn service() -> Reap {
    let xdg =
        std::env::var("XDG_RUNTIME_DIR").expect("XDG_RUNTIME_DIR (run me with tests/xr/monado.sh)");
    let sock = format!("{xdg}/monado_comp_ipc");
    let _ = std::fs::remove_file(&sock);
    let _ = std::fs::remove_file(format!("{xdg}/monado.pid"));
    let child = Command::new("monado-service")
        .env("XRT_COMPOSITOR_NULL", "1")
        .env("P_OVERRIDE_ACTIVE_CONFIG", "remote")
        .env("XRT_NO_STDIN", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(
            std::fs::File::create("/tmp/showrunner-xr-service.log")
                .expect("a log file for the service"),
        )
        .spawn()
        .expect("monado-service (run me with tests/xr/monado.sh)");
    std::fs::write(pidfile("service"), child.id().to_string()).unwrap();
    // Ready when it says so (the socket file appears before it listens).
    let end = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string("/tmp/showrunner-xr-service.log")
        .is_ok_and(|l| l.contains("The Monado service has started"))
    {
        assert!(Instant::now() < end, "monado-service did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(std::path::Path::new(&sock).exists(), "{sock}");
    Reap(child, "service")
}

/// A short story with a choice early, and a policy that waits for the viewer.
fn story_files() -> (String, String) {
    let story = "/tmp/showrunner-xr-story.ink";
    std::fs::write(
        story,
        "-> start\n=== start ===\nThe lamp room at dusk. # scene: lamp_room # cast: keeper=mara # shot: 4\n\
         A storm is coming. # shot: 3\n* [Climb to the lamp] -> climb\n* [Wait below] -> wait\n\
         === climb ===\nShe climbs. # shot: 2\n-> END\n=== wait ===\nShe waits. # shot: 2\n-> END\n",
    )
    .unwrap();
    let policy = "/tmp/showrunner-xr-policy.json";
    std::fs::write(policy, r#"{"choice":{"timeout_s":300}}"#).unwrap();
    (story.into(), policy.into())
}

struct App {
    child: Reap,
    rx: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl App {
    fn start(args: &[&str]) -> Self {
        // As an installation that took consent before the headset went on (Monado's
        // simulated devices; no one to answer the notice).
        Self::launch(&[&["--consent", "given"], args].concat())
    }

    /// `play --xr` with `args` only.
    fn launch(args: &[&str]) -> Self {
        let mut child = Command::new(showrunner())
            .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
            .args(["play", "--xr"])
            .args(args)
            .env("OXR_NO_PRINTING", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        std::fs::write(pidfile("app"), child.id().to_string()).unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                println!("  | {l}");
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Self {
            child: Reap(child, "app"),
            rx,
            seen: Vec::new(),
        }
    }

    fn wait_for(&mut self, secs: u64, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if pred(&l) {
                        return l;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no {what} within {secs} s");
    }

    /// Waits for the process to end; returns its status.
    fn finish(&mut self, secs: u64) -> std::process::ExitStatus {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            while let Ok(l) = self.rx.try_recv() {
                self.seen.push(l);
            }
            if let Some(st) = self.child.0.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                while let Ok(l) = self.rx.try_recv() {
                    self.seen.push(l);
                }
                return st;
            }
            assert!(Instant::now() < end, "the app did not exit within {secs} s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

const RECORD: usize = 376;
const LEFT: usize = 136;
const RIGHT: usize = 256;

/// Sends Monado's remote driver one state: both controllers active and held
/// at the head, pointing where it looks, with `buttons` applied to the record
/// (the layout of `struct r_remote_data`, Monado 25: head at 8, left
/// controller at 136, right at 256; in a controller: pose at 0, trigger value
/// at 72, active at 105, b_click at 110, trigger_click at 112).
fn remote(buttons: impl Fn(&mut [u8])) {
    let mut s = TcpStream::connect(("127.0.0.1", 4242)).expect("the remote driver");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The service greets with its reset state and its latest state.
    let mut greeting = vec![0u8; 2 * RECORD];
    s.read_exact(&mut greeting).unwrap();
    let mut r = greeting[RECORD..].to_vec();
    let head_pose = r[8 + 96..8 + 96 + 28].to_vec();
    for c in [LEFT, RIGHT] {
        r[c..c + 28].copy_from_slice(&head_pose);
        r[c + 105] = 1;
    }
    buttons(&mut r);
    s.write_all(&r).unwrap();
    s.flush().unwrap();
}

/// The right trigger down (select) or up.
fn press_trigger(down: bool) {
    remote(|r| {
        let v: f32 = if down { 1.0 } else { 0.0 };
        r[RIGHT + 72..RIGHT + 76].copy_from_slice(&v.to_le_bytes());
        r[RIGHT + 112] = u8::from(down);
    });
}

/// B on a controller (`LEFT`: pause, `RIGHT`: recenter with Index bindings), down or up.
fn press_b(hand: usize, down: bool) {
    remote(|r| r[hand + 110] = u8::from(down));
}

#[test]
#[ignore = "needs Monado: run tests/xr/monado.sh"]
fn a_session_renders_takes_a_choice_through_an_action_and_exits_cleanly() {
    let _svc = service();
    let (story, policy) = story_files();
    let mut app = App::start(&[
        "--story",
        &story,
        "--director",
        &policy,
        "--verify-frames",
        "--seconds",
        "60",
    ]);
    app.wait_for(60, "FOCUSED", |l| l == "xr: state FOCUSED");
    app.wait_for(60, "a choice on offer", |l| {
        l.starts_with("t ") && l.contains("choices 2")
    });
    press_trigger(true);
    let sel = app.wait_for(20, "a select on a choice", |l| l.starts_with("xr: select"));
    assert!(
        sel.contains("on choice"),
        "the controller points at a panel: {sel}"
    );
    let d = app.wait_for(20, "the viewer's choice", |l| {
        l.starts_with("xr: decision: you chose")
    });
    eprintln!("{d}");
    press_trigger(false);
    // B on the left opens the viewer's menu (the film holds) and closes it; B on the right
    // recentres.
    press_b(LEFT, true);
    app.wait_for(20, "menu", |l| l == "xr: menu open (the film holds)");
    press_b(LEFT, false);
    std::thread::sleep(Duration::from_millis(300));
    press_b(LEFT, true);
    app.wait_for(20, "menu closed", |l| l == "xr: menu closed");
    press_b(LEFT, false);
    press_b(RIGHT, true);
    app.wait_for(20, "recenter", |l| l == "xr: recentred");
    press_b(RIGHT, false);
    // The story ends → the app asks the runtime to exit → EXITING → a clean end.
    let status = app.finish(60);
    assert!(status.success(), "{status}");
    let seen = app.seen.join("\n");
    for want in [
        "xr: requesting exit",
        "xr: state STOPPING",
        "xr: state EXITING",
        "xr: session exited cleanly",
    ] {
        assert!(seen.contains(want), "missing `{want}` in:\n{seen}");
    }
    // ≥ 60 frames submitted; every 10th read back from the swapchain and not blank.
    let frames: u64 = app
        .seen
        .iter()
        .find_map(|l| l.strip_prefix("xr telemetry: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a telemetry summary");
    assert!(frames >= 60, "{frames} frames");
    let pictures = app
        .seen
        .iter()
        .filter(|l| l.contains("swapchain left eye"))
        .filter(|l| {
            let sd: f32 = l
                .split(" sd ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let mean: f32 = l
                .split(" mean ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap();
            sd > 10.0 && mean > 20.0
        })
        .count();
    assert!(
        pictures >= 6,
        "{pictures} read-back frames show the scene (≥ 6 wanted)"
    );
}

#[test]
#[ignore = "needs Monado: run tests/xr/monado.sh"]
fn killing_and_restarting_the_runtime_keeps_the_story() {
    let svc = service();
    let (story, policy) = story_files();
    let mut app = App::start(&[
        "--story",
        &story,
        "--director",
        &policy,
        "--seconds",
        "25",
        "--reconnect-seconds",
        "20",
    ]);
    app.wait_for(60, "FOCUSED", |l| l == "xr: state FOCUSED");
    let before = app.wait_for(30, "the first beat", |l| {
        l.starts_with("t ") && l.contains("beat 1 ")
    });
    drop(svc); // kill -9 equivalent: SIGKILL, no goodbye
    app.wait_for(20, "the loss", |l| l.contains("went away"));
    std::thread::sleep(Duration::from_secs(1));
    let _svc = service();
    let back = app.wait_for(60, "a reconnection", |l| l.starts_with("xr: reconnected"));
    eprintln!("before: {before}\nafter: {back}");
    let beat: u64 = back
        .split("at beat ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(beat >= 1, "the story continued, not restarted: {back}");
    app.wait_for(60, "FOCUSED again", |l| l == "xr: state FOCUSED");
    let status = app.finish(90);
    assert!(status.success(), "{status}");
    assert!(app.seen.iter().any(|l| l.contains("2 connection(s)")));
}

/// Progress is never lost: the headset saves the viewer's place after every beat from a
/// background writer; `play --resume` after a kill -9 continues at the next beat with the
/// director as it was, and the log (`--out`) goes on with no beat missing or twice.
#[test]
#[ignore = "needs Monado: run tests/xr/monado.sh"]
fn a_killed_headset_resumes_at_the_same_beat_with_the_same_director() {
    let _svc = service();
    let dir = std::path::Path::new("/tmp/showrunner-xr-resume");
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let story = dir.join("story.ink");
    let mut ink = String::from("-> start\n=== start ===\nThe lamp room at dusk. # scene: lamp_room # cast: keeper=mara # shot: 2\n");
    for i in 1..=12 {
        ink.push_str(&format!("Beat {i} of the storm. # shot: 2\n"));
    }
    ink.push_str("-> END\n");
    std::fs::write(&story, ink).unwrap();
    let save = dir.join("state/story.save.json");
    let out = dir.join("log");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec![
            "--story".into(),
            story.display().to_string(),
            "--save".into(),
            save.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let first = args(&["--seconds", "60"]);
    let mut app = App::start(&first.iter().map(String::as_str).collect::<Vec<_>>());
    app.wait_for(60, "FOCUSED", |l| l == "xr: state FOCUSED");
    // Wait for the third beat's save, then kill -9 (SIGKILL: no goodbye, no flush).
    let end = Instant::now() + Duration::from_secs(60);
    let saved = loop {
        let state: Option<serde_json::Value> = std::fs::read_to_string(&save)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        if let Some(s) = state.filter(|s| s["beats"].as_u64() >= Some(3)) {
            break s;
        }
        assert!(Instant::now() < end, "no third beat saved within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    app.child.0.kill().unwrap();
    let _ = app.child.0.wait();
    // The save may have moved on between reading it and the kill: read what was left.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&save).unwrap()).unwrap_or(saved);
    let beats = saved["beats"].as_u64().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&save).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the save is the viewer's");
    }
    let second = args(&["--resume", "--seconds", "12"]);
    let mut again = App::start(&second.iter().map(String::as_str).collect::<Vec<_>>());
    let resumed = again.wait_for(30, "the resume", |l| l.starts_with("play: resumed at beat"));
    let d = &saved["director"];
    let expected = format!("play: resumed at beat {} ", beats + 1);
    assert!(
        resumed.starts_with(&expected),
        "{resumed} (saved: {beats} beats)"
    );
    let director = format!(
        "director: pacing {:.4}, intensity {:.4}, bored {}, de-escalating {}",
        d["pacing"].as_f64().unwrap(),
        d["intensity"].as_f64().unwrap(),
        d["bored"].as_bool().unwrap(),
        d["deescalating"].as_bool().unwrap()
    );
    assert!(
        resumed.ends_with(&director),
        "{resumed}\nwanted: {director}"
    );
    again.wait_for(60, "FOCUSED", |l| l == "xr: state FOCUSED");
    let status = again.finish(90);
    assert!(status.success(), "{status}");
    // The log goes on: every beat once, in order.
    let log = std::fs::read_to_string(out.join("decisions.jsonl")).unwrap();
    let numbers: Vec<u64> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["beat"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(
        numbers.len() as u64 > beats,
        "the resumed run played on: {numbers:?}"
    );
    assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
}

/// Issue 18, item 7, in the headset: `play --xr --heart ble` against Monado with the heart
/// from the fake BlueZ over real btleplug (its bus reachable inside the root), whose heart
/// races a while after the baseline.
#[test]
#[ignore = "needs Monado: run tests/xr/monado.sh"]
fn the_headset_with_a_live_strap_deescalates_and_outlives_its_loss() {
    let control = std::env::var("FAKE_CONTROL_DIR").expect("run by tests/xr/monado.sh");
    let _svc = service();
    let dir = std::path::Path::new("/tmp/showrunner-xr-strap");
    let _ = std::fs::remove_dir_all(dir);
    let out = dir.join("log");
    let save = dir.join("save.json");
    let (out_s, save_s) = (out.display().to_string(), save.display().to_string());
    let mut app = App::start(&[
        "--heart",
        "ble",
        "--baseline-s",
        "15",
        "--seconds",
        "90",
        "--out",
        &out_s,
        "--save",
        &save_s,
    ]);
    app.wait_for(60, "FOCUSED", |l| l == "xr: state FOCUSED");
    let rx = &app.rx;
    let (seen, took) = showrunner_tests::strap_film_scenario(
        |left| rx.recv_timeout(left).ok(),
        std::path::Path::new(&control),
    );
    app.seen.extend(seen);
    eprintln!("the strap's loss reached the film in {took:?}");
    assert!(
        took <= Duration::from_secs(1),
        "quality 0 within a second of the drop, not {took:?}"
    );
    let status = app.finish(150);
    assert!(status.success(), "{status}");
    assert!(
        app.seen
            .iter()
            .any(|l| l.starts_with("xr: strap: ") && l.contains("readings;")),
        "the latency report at the end"
    );
    let log = std::fs::read_to_string(out.join("decisions.jsonl")).unwrap();
    assert!(log.contains("\"kind\":\"deescalate_start\""), "{log}");
}

/// Issue 6 in the headset path: `--refine quest` forces the refiner on
/// lavapipe. It reads its depth guide from the runtime's depth swapchain
/// (made `SAMPLED` where the runtime allows it, kept after the eye passes),
/// refines after its 30 baseline frames, and the budget controller steps it
/// down when a refined frame blows the budget (a 128 px step takes seconds
/// on lavapipe). No wgpu validation error (which would abort the process), no
/// "refinement is off" warning, and a clean exit.
#[test]
#[ignore = "needs Monado: run tests/xr/monado.sh"]
fn the_refiner_reads_the_runtimes_depth_and_steps_down_without_dropping_the_session() {
    let _svc = service();
    let weights = showrunner_tests::repo().join("assets/refiner/refiner.bpk");
    let out = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args(["play", "--xr", "--refine", "quest", "--seconds", "40"])
        .args(["--consent", "given"])
        .arg("--refiner-weights")
        .arg(&weights)
        .env("OXR_NO_PRINTING", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(out.status.success(), "{}", out.status);
    assert!(stdout.contains("xr: refiner on, quest profile"), "{stdout}");
    assert!(!stderr.contains("refinement is off"), "{stderr}");
    // The controller saw a refined frame's cost and changed the plan.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("xr: refine") && l.contains("→")),
        "no step down in:\n{stdout}"
    );
    // 360 frames later it probes again (a GPU timer slot it had not used
    // before: the offset bug that once aborted the app here), when the
    // machine is fast enough to get there in the time.
    if stdout.contains("(probing again)") {
        eprintln!("the controller probed again and the session went on");
    }
    assert!(stdout.contains("xr: session exited cleanly"), "{stdout}");
}

/// Issue 20, item 2, in the headset: Monado offers eye tracking, so with no consent taken
/// the film waits behind the consent notice (the clock and the beats stand still) and the eyes
/// are not read; nothing else is started.
#[test]
#[ignore = "needs Monado: run tests/xr/monado.sh"]
fn the_headset_asks_before_reading_the_eyes_and_the_film_waits() {
    let _svc = service();
    let out = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args(["play", "--xr", "--seconds", "8"])
        .env("OXR_NO_PRINTING", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("eye gaze true"), "{stdout}");
    assert!(
        stdout.contains("consent: asking before sensing"),
        "{stdout}"
    );
    let status: Vec<&str> = stdout.lines().filter(|l| l.starts_with("t ")).collect();
    assert!(!status.is_empty(), "{stdout}");
    assert!(
        status.iter().all(|l| l.starts_with("t 0.0 beat 0 ")),
        "the film waits for the answer: {status:#?}"
    );
    assert!(!stdout.contains("taken by gaze"), "{stdout}");
}

#[test]
#[ignore = "needs Monado: run tests/xr/monado.sh"]
fn without_a_runtime_play_falls_back_and_xr_says_why() {
    // No service running: --xr fails with a clear message.
    let out = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args(["play", "--xr"])
        .env("OXR_NO_PRINTING", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot start OpenXR") && err.contains("runtime"),
        "{err}"
    );
    // Plain `play` tries XR, says why not, and goes for the desktop window.
    let out = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args(["play", "--seconds", "1"])
        .env("OXR_NO_PRINTING", "1")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("playing in a desktop window"), "{text}");
}

/// Sends the festival console `command` for `seat` (raw HTTP: the root has no curl).
fn console_command(http: u16, token: &str, seat: &str, command: &str) {
    let body = format!(r#"{{"seat":"{seat}","command":{command}}}"#);
    let mut s = TcpStream::connect(("127.0.0.1", http)).unwrap();
    write!(
        s,
        "POST /api/command HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
}

/// Issue 22, item 2, in the headset: `play --festival` with an OpenXR runtime is a venue's
/// seat in the headset. It waits in the headset for the operator's start, plays the screening
/// there, and after a reset deletes the viewer's data and waits again, the session running on.
#[test]
#[ignore = "needs Monado: run tests/xr/monado.sh"]
fn a_seat_in_the_headset_plays_the_operator_s_screening_and_waits_again() {
    seat_in_the_headset(true);
}

/// Monado tracks the eyes, so a seat whose installation took no consent asks its viewer before
/// the screening reads them, and the film waits for the answer.
#[test]
#[ignore = "needs Monado: run tests/xr/monado.sh"]
fn a_seat_in_the_headset_asks_before_reading_the_eyes() {
    seat_in_the_headset(false);
}

/// A venue with one seat in the headset (`consent_given`: as the installation took it), started
/// and, when consent was taken, reset.
fn seat_in_the_headset(consent_given: bool) {
    let _svc = service();
    let dir = "/tmp/showrunner-xr-venue";
    let _ = std::fs::remove_dir_all(dir);
    let pair = Command::new(showrunner())
        .args(["festival", "pair", "--seat", "seat-1", "--dir", dir])
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .output()
        .unwrap();
    assert!(
        pair.status.success(),
        "{}",
        String::from_utf8_lossy(&pair.stderr)
    );
    let secrets: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/operator.json")).unwrap())
            .unwrap();
    let token = secrets["console_token"].as_str().unwrap().to_owned();
    let (mqtt, http) = (18830, 18081);
    let serve = Command::new(showrunner())
        .args(["festival", "serve", "--dir", dir])
        .args(["--mqtt", &format!("127.0.0.1:{mqtt}")])
        .args(["--http", &format!("127.0.0.1:{http}")])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    std::fs::write(pidfile("serve"), serve.id().to_string()).unwrap();
    let _serve = Reap(serve, "serve");
    let pairing = format!("{dir}/seat-1.pairing.json");
    let broker = format!("mqtt://127.0.0.1:{mqtt}");
    let args = [
        "--festival",
        &broker,
        "--seat",
        "seat-1",
        "--pairing",
        &pairing,
        "--seconds",
        "30",
    ];
    let mut app = if consent_given {
        App::start(&args)
    } else {
        App::launch(&args)
    };
    app.wait_for(60, "FOCUSED", |l| l == "xr: state FOCUSED");
    let joined = "seat seat-1: connected to the broker";
    if !app.seen.iter().any(|l| l == joined) {
        app.wait_for(30, "the seat joined", |l| l == joined);
    }
    console_command(http, &token, "seat-1", r#"{"do":"start","story":null}"#);
    app.wait_for(30, "the screening", |l| {
        l.starts_with("seat seat-1: screening 1 of")
    });
    if !consent_given {
        assert!(app
            .seen
            .iter()
            .any(|l| l.starts_with("seat seat-1: the consent notice is up")));
        // The film waits for the viewer's answer.
        std::thread::sleep(Duration::from_secs(3));
        while let Ok(l) = app.rx.try_recv() {
            assert!(!l.starts_with("t ") || l.contains(" beat 0 "), "{l}");
        }
        return;
    }
    app.wait_for(30, "the film in the headset", |l| {
        l.starts_with("t ") && !l.contains(" beat 0 ")
    });
    console_command(http, &token, "seat-1", r#"{"do":"reset"}"#);
    app.wait_for(30, "the reset", |l| {
        l == "seat seat-1: reset; the viewer's data deleted"
    });
    // The session runs on, waiting for the next viewer, until --seconds.
    let status = app.finish(90);
    assert!(status.success(), "{status}");
    let seen = app.seen.join("\n");
    assert!(seen.contains("xr: state STOPPING"), "{seen}");
}
