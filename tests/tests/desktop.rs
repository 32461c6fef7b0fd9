//! `showrunner play --desktop` in a real X server (Xvfb) on Mesa's lavapipe:
//! the window opens and presents, keys reach the director, a mouse drag turns
//! the head, a screenshot of the screen (`xwd`) shows a picture with the
//! readout on it, and Esc closes it cleanly.
//!
//! Needs `xvfb`, `x11-apps` (xwd) and `xdotool` (Debian packages; `.ci/run`
//! installs them) besides `mesa-vulkan-drivers`.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use showrunner_tests::{focus_film as focus, repo, rx_lines_of, showrunner, xdotool, xvfb, Reap};

fn need(tool: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
    assert!(
        found,
        "`{tool}` is missing: install the Debian package `{package}` (apt-get install xvfb x11-apps xdotool)"
    );
}

/// Starts `showrunner play --desktop ARGS` on `display`; its stdout and
/// stderr lines come on the two channels.
/// Xvfb, xwd and xdotool: the window, its screenshots and its keys.
fn need_window_tools() {
    for (tool, pkg) in [
        ("Xvfb", "xvfb"),
        ("xwd", "x11-apps"),
        ("xdotool", "xdotool"),
    ] {
        need(tool, pkg);
    }
}

fn play(
    display: &str,
    args: &[&std::ffi::OsStr],
) -> (Reap, mpsc::Receiver<String>, mpsc::Receiver<String>) {
    let mut app = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args(["play", "--desktop"])
        .args(args)
        .current_dir(repo())
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (o, e) = (app.stdout.take().unwrap(), app.stderr.take().unwrap());
    (Reap(app), rx_lines_of(o), rx_lines_of(e))
}

/// Waits for a line matching `pred`, up to `secs`.
fn wait_line(
    rx: &mpsc::Receiver<String>,
    secs: u64,
    seen: &mut Vec<String>,
    pred: impl Fn(&str) -> bool,
) -> String {
    let end = Instant::now() + Duration::from_secs(secs);
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(l) => {
                seen.push(l.clone());
                if pred(&l) {
                    return l;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    panic!(
        "no such line within {secs} s; stdout so far:\n{}",
        seen.join("\n")
    );
}

/// `key value` from a status line (`... arousal_z +2.41 ...`).
fn field(line: &str, key: &str) -> f32 {
    let mut it = line.split_whitespace();
    while let Some(w) = it.next() {
        if w == key {
            return it.next().unwrap().parse().unwrap();
        }
    }
    panic!("no `{key}` in {line}");
}

/// A screen dump in XWD format (what `xwd` writes) as (width, height, RGB).
fn parse_xwd(d: &[u8]) -> (usize, usize, Vec<[u8; 3]>) {
    let h = |i: usize| u32::from_be_bytes(d[i * 4..i * 4 + 4].try_into().unwrap());
    let (header, width, height) = (h(0) as usize, h(4) as usize, h(5) as usize);
    let (lsb_first, bpp, bpl) = (h(7) == 0, h(11), h(12) as usize);
    let (rm, gm, bm) = (h(14), h(15), h(16));
    let ncolors = h(19) as usize;
    assert_eq!(bpp, 32, "Xvfb at depth 24 stores 32-bit pixels");
    let data = &d[header + ncolors * 12..];
    let ch = |v: u32, m: u32| ((v & m) >> m.trailing_zeros()) as u8;
    let mut px = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            let b: [u8; 4] = data[y * bpl + x * 4..][..4].try_into().unwrap();
            let v = if lsb_first {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            };
            px.push([ch(v, rm), ch(v, gm), ch(v, bm)]);
        }
    }
    (width, height, px)
}

#[test]
fn the_desktop_preview_draws_answers_keys_and_mouse_and_closes() {
    need_window_tools();
    let (_x, display) = xvfb();
    // A developer's shader edit with a typo: reported, and the built-in draws.
    let shaders = tempfile::tempdir().unwrap();
    std::fs::write(
        shaders.path().join("scene.wgsl"),
        "@fragment\nfn fs_main() -> @location(0) vec4<f32> {\n    return vec4<f32>(1.0, 0.0, 0.0 1.0);\n}\n",
    )
    .unwrap();
    // A heart recording for the P key.
    let heart = shaders.path().join("heart.csv");
    let rec = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args([
            "sensors",
            "record",
            "--source",
            "sim:stressed",
            "--seconds",
            "200",
            "--fast",
            "--out",
        ])
        .arg(&heart)
        .output()
        .unwrap();
    assert!(
        rec.status.success(),
        "{}",
        String::from_utf8_lossy(&rec.stderr)
    );
    let (app, rx, erx) = play(
        &display,
        &[
            "--size".as_ref(),
            "640x360".as_ref(),
            "--seconds".as_ref(),
            "120".as_ref(),
            "--shaders".as_ref(),
            shaders.path().as_os_str(),
            "--heart".as_ref(),
            heart.as_os_str(),
        ],
    );
    let mut seen = Vec::new();
    wait_line(&rx, 120, &mut seen, |l| l.starts_with("presenting 640x360"));
    let mut errs = Vec::new();
    let warning = wait_line(&erx, 5, &mut errs, |l| l.contains("scene.wgsl"));
    assert!(
        warning.contains("scene.wgsl:3:") && warning.contains("built-in"),
        "the warning names the file, line and column: {warning}"
    );

    // Keys reach the simulated viewer: six Ups add +3 z of arousal.
    focus(&display);
    xdotool(
        &display,
        &["key", "--delay", "40", "Up", "Up", "Up", "Up", "Up", "Up"],
    );
    let l = wait_line(&rx, 30, &mut seen, |l| {
        l.starts_with("t ") && field(l, "arousal_z") >= 2.0
    });
    eprintln!("after six Ups: {l}");

    // A drag turns the head.
    xdotool(&display, &["mousemove", "300", "180", "mousedown", "1"]);
    xdotool(&display, &["mousemove", "--sync", "340", "180"]);
    xdotool(
        &display,
        &["mousemove", "--sync", "400", "180", "mouseup", "1"],
    );
    let l = wait_line(&rx, 30, &mut seen, |l| {
        l.starts_with("t ") && field(l, "yaw") > 0.1
    });
    eprintln!("after the drag: {l}");

    // P plays the recording through the estimator (calibrating at first:
    // quality 0, so the director sees neutral engagement), and P again stops it.
    xdotool(&display, &["key", "p"]);
    wait_line(&rx, 30, &mut seen, |l| l == "playing the heart recording");
    let l = wait_line(&rx, 30, &mut seen, |l| l.starts_with("t "));
    assert!(
        field(&l, "arousal_z").abs() < 1.0,
        "calibrating, not nudged: {l}"
    );
    xdotool(&display, &["key", "p"]);
    wait_line(&rx, 30, &mut seen, |l| l.starts_with("recording stopped"));

    // What is on the screen.
    let dump = Command::new("xwd")
        .args(["-root", "-silent"])
        .env("DISPLAY", &display)
        .output()
        .unwrap();
    assert!(dump.status.success(), "xwd");
    let (w, h, px) = parse_xwd(&dump.stdout);
    assert_eq!((w, h), (800, 600));
    let window: Vec<[u8; 3]> = (0..360)
        .flat_map(|y| px[y * w..y * w + 640].iter().copied())
        .collect();
    let lum: Vec<f32> = window
        .iter()
        .map(|p| 0.2126 * f32::from(p[0]) + 0.7152 * f32::from(p[1]) + 0.0722 * f32::from(p[2]))
        .collect();
    let mean = lum.iter().sum::<f32>() / lum.len() as f32;
    let sd = (lum.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / lum.len() as f32).sqrt();
    let distinct = {
        let mut c: Vec<[u8; 3]> = window
            .iter()
            .map(|p| [p[0] & 0xf0, p[1] & 0xf0, p[2] & 0xf0])
            .collect();
        c.sort_unstable();
        c.dedup();
        c.len()
    };
    // The readout: near-white text in the top rows.
    let text = (0..30)
        .flat_map(|y| px[y * w..y * w + 640].iter())
        .filter(|p| p.iter().all(|c| *c > 230))
        .count();
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("desktop-preview.ppm");
    let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
    ppm.extend(px.iter().flatten());
    std::fs::write(&shot, ppm).unwrap();
    eprintln!(
        "screenshot {}: mean {mean:.1}, sd {sd:.1}, {distinct} colours, {text} text pixels",
        shot.display()
    );
    assert!(mean > 15.0 && sd > 12.0, "not blank: mean {mean}, sd {sd}");
    assert!(
        distinct > 20,
        "a scene, not a flat fill: {distinct} colours"
    );
    assert!(text > 200, "the readout is on screen: {text} text pixels");

    // Esc closes it, and it says so.
    xdotool(&display, &["key", "Escape"]);
    wait_line(&rx, 30, &mut seen, |l| l.starts_with("closed after"));
    let mut app = app;
    let status = app.0.wait().unwrap();
    assert!(status.success(), "{status}");

    // No sound card here: the film played silent, with exactly one warning
    // (and none of ALSA's own chatter).
    errs.extend(erx.try_iter());
    let silent: Vec<&String> = errs
        .iter()
        .filter(|l| l.contains("no audio device"))
        .collect();
    let no_card =
        std::fs::read_to_string("/proc/asound/cards").map_or(true, |c| c.contains("no soundcards"));
    if no_card {
        assert_eq!(silent.len(), 1, "one warning: {errs:#?}");
        assert!(silent[0].contains("plays silent"), "{}", silent[0]);
        assert!(!errs.iter().any(|l| l.starts_with("ALSA lib")), "{errs:#?}");
    } else {
        assert!(silent.len() <= 1, "{errs:#?}");
    }
}

#[test]
fn without_a_display_it_says_what_to_do() {
    let out = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args(["play", "--desktop"])
        .current_dir(repo())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no display") && err.contains("Xvfb"), "{err}");
    // Plain `play` looks for an OpenXR runtime first and says why it uses the window.
    let out = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args(["play"])
        .current_dir(repo())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XR_RUNTIME_JSON", "/nonexistent/runtime.json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("playing in a desktop window"), "{text}");
}

/// The refiner in the frame loop on lavapipe, where one 128 px step takes
/// 0.7 s: forced on (`--refine quest`), it sizes its region from the window's
/// pixels per degree, measures the baseline frame, runs one refined frame,
/// sees it blow the budget and steps down in one move to off, and the film
/// plays on. `auto` keeps it off on a CPU adapter, and bad
/// weights are named and the film plays unrefined.
#[test]
fn the_refiner_steps_out_of_the_way_when_frames_run_long() {
    need("Xvfb", "xvfb");
    let (_x, display) = xvfb();
    let play = |extra: &[&str]| {
        let mut args = vec!["--size", "320x240", "--seconds", "60"];
        args.extend_from_slice(extra);
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        play(&display, &args)
    };
    let mut seen = Vec::new();

    let (_app, rx, _erx) = play(&["--refine", "quest"]);
    wait_line(&rx, 120, &mut seen, |l| {
        l.starts_with("refiner: quest profile")
    });
    // A 240-line window's fovea is a few pixels: the smallest region, 64 px.
    wait_line(&rx, 60, &mut seen, |l| {
        l.starts_with("refiner: 64 px regions round where the viewer looks")
    });
    wait_line(&rx, 60, &mut seen, |l| {
        l.starts_with("refiner: baseline frame")
    });
    let l = wait_line(&rx, 120, &mut seen, |l| l.contains("→ off"));
    assert!(l.contains("1 step × 64 px"), "{l}");
    // Frames keep coming: status lines go on after it stepped out.
    let t0 = wait_line(&rx, 30, &mut seen, |l| l.starts_with("t "));
    let t1 = wait_line(&rx, 30, &mut seen, |l| l.starts_with("t ") && l != t0);
    eprintln!("{l}\n{t1}");
    drop(_app);

    let (_app, rx, _erx) = play(&[]);
    let l = wait_line(&rx, 120, &mut seen, |l| l.starts_with("refiner: "));
    assert!(l.contains("off on a CPU adapter"), "{l}");
    drop(_app);

    let (_app, rx, erx) = play(&["--refine", "quest", "--refiner-weights", "no/such.bpk"]);
    let mut errs = Vec::new();
    let w = wait_line(&erx, 120, &mut errs, |l| l.contains("such.bpk"));
    assert!(w.contains("refinement is off"), "{w}");
    wait_line(&rx, 60, &mut seen, |l| l.starts_with("presenting"));
}

/// `play --heart sim:PROFILE`: a simulated strap in real time drives the director from the start,
/// through the same link and estimator as a real strap; the status line says what the strap
/// is doing (searching, calibrating, its heart rate). A `--heart` that is neither a strap nor a
/// file is refused before anything opens.
#[test]
fn a_strap_drives_the_window_from_the_start_and_says_how_it_is() {
    need("Xvfb", "xvfb");
    let (_x, display) = xvfb();
    let out = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args([
            "play",
            "--desktop",
            "--heart",
            "sim:calm",
            "--consent",
            "given",
            "--baseline-s",
            "2",
            "--seconds",
            "10",
            "--size",
            "320x180",
        ])
        .current_dir(repo())
        .env("DISPLAY", &display)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("reads your heart rate"),
        "told before sensing: {stderr}"
    );
    let strap: Vec<&str> = stdout.lines().filter(|l| l.contains("| strap")).collect();
    assert!(!strap.is_empty(), "{stdout}");
    assert!(
        strap
            .iter()
            .any(|l| l.contains("strap sim") && l.contains("bpm")),
        "the heart rate reaches the readout: {stdout}"
    );

    let bad = Command::new(showrunner())
        .env("SHOWRUNNER_STATE_DIR", showrunner_tests::state_dir())
        .args(["play", "--desktop", "--heart", "sim:sleepy"])
        .current_dir(repo())
        .env("DISPLAY", &display)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--heart sim:sleepy: unknown profile"), "{err}");
}

/// Issue 19, item 5: the author's loop. Saved drafts reload at the same knot; a draft that does
/// not compile shows `check`'s findings (file:line) and the last good one plays on.
#[test]
fn watch_reloads_a_saved_story_at_its_knot_and_survives_a_broken_draft() {
    need("Xvfb", "xvfb");
    let (_x, display) = xvfb();
    let dir = tempfile::tempdir().unwrap();
    let story = dir.path().join("draft.ink");
    let draft = |lamp: &str| {
        format!("-> quay\n=== quay ===\nThe quay. # shot: 2\n-> lamp\n=== lamp ===\n{lamp} # shot: 60\nThe lamp turns.\n-> END\n")
    };
    std::fs::write(&story, draft("The lamp, first draft.")).unwrap();
    let (_app, out, err) = play(
        &display,
        &[
            "--story".as_ref(),
            story.as_os_str(),
            "--watch".as_ref(),
            "--size".as_ref(),
            "320x240".as_ref(),
            "--seconds".as_ref(),
            "30".as_ref(),
        ],
    );
    let mut seen = Vec::new();
    wait_line(&out, 60, &mut seen, |l| l.starts_with("watching "));
    // Into the lamp knot (the quay's beat lasts 2 s).
    wait_line(&out, 60, &mut seen, |l| l.contains(" beat 2 "));
    std::fs::write(&story, draft("The lamp, second draft.")).unwrap();
    wait_line(&out, 20, &mut seen, |l| {
        l.starts_with("reloaded ") && l.ends_with("at knot `lamp`")
    });
    let first = wait_line(&out, 20, &mut seen, |l| {
        l.starts_with("reload to first frame:")
    });
    eprintln!("{first}");
    // A draft that does not compile: its finding, with its line, and the film goes on.
    std::fs::write(&story, "-> quay\n=== quay ===\nThe quay.\n-> nowhere\n").unwrap();
    wait_line(&out, 20, &mut seen, |l| {
        l.contains("does not compile; the last good draft plays on")
    });
    let mut errs = Vec::new();
    wait_line(&err, 5, &mut errs, |l| l.contains("draft.ink:4:"));
    let t = |l: &str| -> Option<f64> {
        l.strip_prefix("t ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let before = seen.iter().rev().find_map(|l| t(l)).unwrap_or(0.0);
    wait_line(&out, 20, &mut seen, |l| {
        t(l).is_some_and(|x| x >= before + 2.0)
    });
}

/// Issue 20, item 2, in the window: with a strap named and no consent taken, the film waits
/// behind the consent notice (the clock stands at 0, nothing senses: no strap starts); key 2
/// declines, and the film plays with neutral engagement and no sensor. Item 3: the menu (Tab)
/// turns sensing on, and off again.
#[test]
fn the_window_asks_before_sensing_and_a_decline_starts_no_sensor() {
    need_window_tools();
    let (_x, display) = xvfb();
    let (_app, rx, erx) = play(
        &display,
        &[
            "--heart".as_ref(),
            "sim:calm".as_ref(),
            "--baseline-s".as_ref(),
            "2".as_ref(),
            "--seconds".as_ref(),
            "40".as_ref(),
            "--size".as_ref(),
            "640x360".as_ref(),
        ],
    );
    let mut seen = Vec::new();
    wait_line(&rx, 120, &mut seen, |l| l.starts_with("presenting 640x360"));
    std::thread::sleep(Duration::from_secs(3));
    // The notice and its two panels are on the screen: bright words on the notice's plate in
    // the upper half of the window.
    let dump = Command::new("xwd")
        .args(["-root", "-silent"])
        .env("DISPLAY", &display)
        .output()
        .unwrap();
    let (w, _, px) = parse_xwd(&dump.stdout);
    if let Ok(p) = std::env::var("SHOWRUNNER_CONSENT_SHOT") {
        // The window as a PPM, to look at.
        let mut ppm = b"P6\n640 360\n255\n".to_vec();
        ppm.extend((0..360).flat_map(|y| px[y * w..y * w + 640].iter().flatten().copied()));
        std::fs::write(p, ppm).unwrap();
    }
    let bright = (20..170)
        .flat_map(|y| px[y * w + 100..y * w + 540].iter())
        .filter(|p| p.iter().all(|c| *c > 190))
        .count();
    assert!(bright > 150, "the notice's words: {bright} bright pixels");
    while let Ok(l) = rx.try_recv() {
        seen.push(l);
    }
    assert!(
        seen.iter()
            .filter(|l| l.starts_with("t "))
            .all(|l| field(l, "t") == 0.0 && l.contains("no sensing until the viewer answers")),
        "the film waits, unsensed: {seen:#?}"
    );
    focus(&display);
    xdotool(&display, &["key", "2"]);
    wait_line(&rx, 30, &mut seen, |l| l.starts_with("consent: declined"));
    let l = wait_line(&rx, 60, &mut seen, |l| {
        l.starts_with("t ") && field(l, "t") >= 2.0
    });
    assert!(l.contains("no sensing (the viewer declined)"), "{l}");
    assert!(
        !seen.iter().any(|l| l.contains("strap sim")),
        "no strap started: {seen:#?}"
    );
    let mut errs = Vec::new();
    while let Ok(l) = erx.try_recv() {
        errs.push(l);
    }
    assert!(
        !errs.iter().any(|l| l.contains("reads your heart rate")),
        "no strap was opened: {errs:#?}"
    );
    // The menu (Tab) turns sensing on (key 2: the strap starts), and off again.
    xdotool(&display, &["key", "Tab"]);
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&display, &["key", "2"]);
    wait_line(&rx, 30, &mut seen, |l| {
        l.starts_with("sensing: on from the menu")
    });
    wait_line(&rx, 60, &mut seen, |l| {
        l.starts_with("t ") && l.contains("strap sim")
    });
    xdotool(&display, &["key", "Tab"]);
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&display, &["key", "2"]);
    wait_line(&rx, 30, &mut seen, |l| {
        l.starts_with("sensing: off from the menu")
    });
    wait_line(&rx, 60, &mut seen, |l| {
        l.starts_with("t ") && l.contains("no sensing (turned off from the menu)")
    });
}
