//! The `showrunner` binary end to end: check, screen, determinism, resume after kill -9, bad input.

use showrunner_tests::{repo, run_showrunner as run, showrunner};
use std::fs;
use std::path::Path;
use std::process::Command;

fn screen(out: &Path, viewer: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "screen",
        "--viewer",
        viewer,
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn sample_story_passes_check_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let dot = dir.path().join("g.dot");
    let o = run(&[
        "check",
        "--strict",
        "--graph",
        dot.to_str().unwrap(),
        "assets/stories/lighthouse.ink",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("0 errors, 0 warnings"), "{stdout}");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let dot = fs::read_to_string(dot).unwrap();
    assert!(
        dot.starts_with("digraph") && dot.contains("octagon"),
        "{dot}"
    );
}

#[test]
fn check_reports_bad_stories_with_places_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ink");
    fs::write(&bad, "Hi. # palette: pink\n-> a\n=== a ===\n* [x] -> a\n").unwrap();
    let broken = dir.path().join("broken.ink");
    fs::write(&broken, "Hello.\n-> nowhere\n").unwrap();
    let json = dir.path().join("bad.json");
    fs::write(&json, "{\"inkVersion\": 21, \"root\": [").unwrap();
    for (file, want) in [
        (&bad, "bad.ink:1: error: `palette: pink`"),
        (&broken, "broken.ink:2: error:"),
        (&json, "bad.json: error:"),
    ] {
        let o = run(&["check", file.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(want), "want {want:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn same_inputs_give_byte_identical_screenings() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    screen(&a, "bored", &[]);
    screen(&b, "bored", &[]);
    for f in ["decisions.jsonl", "summary.json"] {
        assert_eq!(
            fs::read(a.join(f)).unwrap(),
            fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn profiles_lead_to_visibly_different_screenings() {
    let dir = tempfile::tempdir().unwrap();
    let calm = screen(&dir.path().join("calm"), "calm", &[]);
    let bored = screen(&dir.path().join("bored"), "bored", &[]);
    let stressed = screen(&dir.path().join("stressed"), "stressed", &[]);
    // A bored viewer gets a high-stakes interlude; a calm one does not need one.
    assert!(bored["counts"]["diverts"].as_u64().unwrap() >= 1, "{bored}");
    assert_eq!(calm["counts"]["diverts"], 0, "{calm}");
    // A stressed viewer makes the director back off and spare Mara.
    assert!(
        stressed["counts"]["deescalations"].as_u64().unwrap() >= 1,
        "{stressed}"
    );
    assert_eq!(stressed["fates"]["mara"], "alive", "{stressed}");
    assert_ne!(calm["path"], stressed["path"]);
    assert_ne!(calm["ending"], stressed["ending"]);
    // Every beat is logged with its engagement and the reason for every decision.
    let lines = fs::read_to_string(dir.path().join("stressed/decisions.jsonl")).unwrap();
    let mut saw_override = false;
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for k in ["t", "knot", "text", "tags", "engagement"] {
            assert!(v.get(k).is_some(), "{k} missing in {line}");
        }
        for d in ["pacing", "grade", "intensity"] {
            assert!(!v["decisions"][d]["reason"].as_str().unwrap().is_empty());
        }
        for e in v["decisions"]["events"].as_array().unwrap() {
            assert!(!e["reason"].as_str().unwrap().is_empty(), "{e}");
            saw_override |= e["kind"] == "fate_override";
        }
    }
    assert!(saw_override, "the fate override is logged with its reason");
}

#[test]
fn the_viewers_choice_always_wins() {
    let dir = tempfile::tempdir().unwrap();
    let directed = screen(&dir.path().join("d"), "stressed", &[]);
    let chosen = screen(
        &dir.path().join("v"),
        "stressed",
        &["--choose", "1,1,1,1,1,1,1,1,1,1"],
    );
    assert_eq!(chosen["counts"]["director_choices"], 0, "{chosen}");
    assert!(chosen["counts"]["viewer_choices"].as_u64().unwrap() >= 8);
    assert_ne!(directed["path"], chosen["path"]);
}

#[test]
fn resume_after_kill_9_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    screen(&whole, "bored", &[]);

    let cut = dir.path().join("cut");
    let out = cut.to_str().unwrap();
    let args = [
        "screen",
        "--viewer",
        "bored",
        "--seed",
        "7",
        "--out",
        out,
        "--beat-delay-ms",
        "10",
    ];
    let mut child = Command::new(showrunner())
        .args(args)
        .current_dir(repo())
        .spawn()
        .unwrap();
    // Wait until a good part of the screening is on disk, then SIGKILL it mid-run.
    let t0 = std::time::Instant::now();
    loop {
        let n = fs::read_to_string(cut.join("decisions.jsonl"))
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if n >= 40 {
            break;
        }
        assert!(t0.elapsed().as_secs() < 120, "screening did not progress");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!cut.join("summary.json").exists(), "killed before the end");

    // Without --resume the unfinished session is protected.
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));

    let o = run(&[
        "screen", "--viewer", "bored", "--seed", "7", "--out", out, "--resume",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["decisions.jsonl", "summary.json"] {
        assert_eq!(
            fs::read(whole.join(f)).unwrap(),
            fs::read(cut.join(f)).unwrap(),
            "{f} differs after resume"
        );
    }
}

#[test]
fn corrupted_save_is_reported_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    screen(&out, "calm", &[]);
    let save = out.join("session.json");
    let mut bytes = fs::read(&save).unwrap();
    bytes.truncate(bytes.len() / 3);
    fs::write(&save, &bytes).unwrap();
    for extra in [&["--resume"][..], &[][..]] {
        let mut args = vec![
            "screen",
            "--viewer",
            "calm",
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("session.json:1:") && err.contains("corrupted"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(
            fs::read(&save).unwrap(),
            bytes,
            "the corrupted save was touched"
        );
    }
}

#[test]
fn a_save_from_another_version_is_screened_over_when_finished_and_named_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    fs::create_dir_all(&out).unwrap();
    let save = out.join("session.json");
    let args = ["screen", "--viewer", "calm", "--out", out.to_str().unwrap()];
    // An unfinished screening saved by an older showrunner: named, kept, and what to do.
    let old = br#"{"version":1,"finished":false,"director":{}}"#;
    fs::write(&save, old).unwrap();
    for extra in [&["--resume"][..], &[][..]] {
        let mut a = args.to_vec();
        a.extend_from_slice(extra);
        let o = run(&a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("another version") && err.contains("--force"),
            "{err}"
        );
        assert_eq!(fs::read(&save).unwrap(), old, "the old save was touched");
    }
    // A finished one is screened over, as any finished screening is.
    fs::write(&save, br#"{"version":1,"finished":true,"director":{}}"#).unwrap();
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn bad_director_config_and_recording_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("policy.json");
    fs::write(&cfg, "{\n \"boredom\": {\"treshold\": 0.5}\n}\n").unwrap();
    let o = run(&[
        "screen",
        "--director",
        cfg.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("policy.json:2:") && err.contains("treshold"),
        "{err}"
    );

    let rec = dir.path().join("rec.jsonl");
    fs::write(&rec, "{\"t\":0,\"arousal_z\":0.1,\"boredom\":0.9,\"attention\":1,\"quality\":1}\n{\"t\":1, oops\n").unwrap();
    let o = run(&[
        "screen",
        "--viewer",
        rec.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rec.jsonl:2:"), "{err}");
}

#[test]
fn recorded_engagement_drives_the_director() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("bored.jsonl");
    let mut text = String::new();
    for t in 0..1500 {
        text += &format!(
            "{{\"t\":{t},\"arousal_z\":-0.2,\"boredom\":0.9,\"attention\":0.5,\"quality\":1}}\n"
        );
    }
    fs::write(&rec, text).unwrap();
    let s = screen(&dir.path().join("r"), rec.to_str().unwrap(), &[]);
    assert!(s["counts"]["diverts"].as_u64().unwrap() >= 2, "{s}");
}

#[test]
fn screen_with_no_arguments_plays_the_bundled_sample() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(showrunner())
        .arg("screen")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("screening/summary.json")).unwrap())
            .unwrap();
    let d = s["duration_s"].as_f64().unwrap();
    assert!(
        (900.0..=1500.0).contains(&d),
        "15–20 minutes of screen time (paced): {d}"
    );
    assert!(s["ending"].is_string());
}

/// Issue 20, item 5: the sample never flashes, for any simulated viewer, frame by frame at 90 Hz.
#[test]
fn the_sample_never_flashes_for_any_viewer() {
    let o = run(&["comfort"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let viewers = report["viewers"].as_array().unwrap();
    assert_eq!(viewers.len(), 4);
    for v in viewers {
        assert_eq!(v["violations"], 0, "{v}");
        assert!(
            v["frames"].as_u64().unwrap() > 90 * 600,
            "the whole film: {v}"
        );
    }
}
