//! `showrunner sensors …` and `screen --heart` end to end.

use showrunner_tests::{repo, run_showrunner as run, showrunner};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn ok(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Records `seconds` of a simulated strap, as fast as possible.
fn record(path: &Path, profile: &str, seconds: u32) {
    let o = run(&[
        "sensors",
        "record",
        "--out",
        path.to_str().unwrap(),
        "--source",
        &format!("sim:{profile}"),
        "--seconds",
        &seconds.to_string(),
        "--fast",
        "--seed",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn decode_prints_every_field() {
    // u16 HR 300, contact detected, energy 1234 kJ, RR 1024 and 853 (1/1024 s).
    let v = ok(&run(&["sensors", "decode", "1f 2c 01 d2 04 00 04 55 03"]));
    assert_eq!(v["heart_rate_bpm"], 300);
    assert_eq!(v["heart_rate_format"], "u16");
    assert_eq!(v["sensor_contact"], "detected");
    assert_eq!(v["energy_expended_kj"], 1234);
    assert_eq!(v["rr_1024"], serde_json::json!([1024, 853]));
    assert_eq!(v["rr_ms"][0], 1000.0);
    // Contact bits both clear: not supported, not "no contact".
    assert_eq!(
        ok(&run(&["sensors", "decode", "0048"]))["sensor_contact"],
        "not_supported"
    );
}

#[test]
fn decode_rejects_bad_payloads_clearly() {
    for (hex, says) in [
        ("10 48 00", "RR intervals do not fit"),
        ("01 48", "truncated packet"),
        ("00 48 00", "over-long packet"),
        ("zz", "not hex"),
    ] {
        let o = run(&["sensors", "decode", hex]);
        assert_eq!(o.status.code(), Some(2), "{hex}");
        assert!(
            stderr(&o).contains(says) && stderr(&o).contains(hex),
            "{hex}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn analyze_matches_pyhrv_on_its_own_sample() {
    let v = ok(&run(&[
        "sensors",
        "analyze",
        "--rr",
        "tests/data/hrv/pyhrv-sample-short.csv",
    ]));
    let r: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo().join("tests/data/hrv/pyhrv-sample-short.reference.json"))
            .unwrap(),
    )
    .unwrap();
    let raw = &v["raw_metrics"];
    for (ours, theirs) in [
        ("mean_nn_ms", "nni_mean"),
        ("sdnn_ms", "sdnn"),
        ("rmssd_ms", "rmssd"),
        ("pnn50", "pnn50"),
    ] {
        let (a, b) = (raw[ours].as_f64().unwrap(), r[theirs].as_f64().unwrap());
        assert!((a - b).abs() / b <= 0.01, "{ours}: {a} vs pyhrv {b}");
    }
    assert_eq!(v["rr_intervals"], 337);
    assert_eq!(v["artifacts"]["neighbour"], 28);
    assert!(v["metrics"]["rmssd_ms"].as_f64().unwrap() < raw["rmssd_ms"].as_f64().unwrap());
}

#[test]
fn bad_recordings_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.csv");
    fs::write(&f, "t,hr,rr\n0.5,70,850\n1.0,seventy,850\n").unwrap();
    for args in [
        vec!["sensors", "analyze", "--rr", f.to_str().unwrap()],
        vec![
            "screen",
            "--heart",
            f.to_str().unwrap(),
            "--out",
            dir.path().join("s").to_str().unwrap(),
        ],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("bad.csv:3: hr 'seventy'"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn record_is_private_atomic_and_never_clobbers() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("take1.csv");
    let o = run(&[
        "sensors",
        "record",
        "--out",
        f.to_str().unwrap(),
        "--source",
        "sim:calm",
        "--seconds",
        "60",
        "--fast",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The viewer is told what their heart rate is for before sensing starts.
    assert!(stderr(&o).contains("reads your heart rate to shape the film"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("take1.csv")],
        "no temporary file left behind"
    );
    let text = fs::read_to_string(&f).unwrap();
    let rows = text.lines().filter(|l| !l.starts_with('#')).count();
    assert!((55..=65).contains(&(rows - 1)), "{rows} rows for 60 s");
    // A second recording to the same name is refused; the first is intact.
    let o = run(&[
        "sensors",
        "record",
        "--out",
        f.to_str().unwrap(),
        "--source",
        "sim:bored",
        "--seconds",
        "5",
        "--fast",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"));
    assert_eq!(fs::read_to_string(&f).unwrap(), text);
    // A replay of the recording is the recording.
    let g = dir.path().join("take2.csv");
    let o = run(&[
        "sensors",
        "record",
        "--out",
        g.to_str().unwrap(),
        "--source",
        &format!("replay:{}", f.display()),
        "--fast",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let data = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(data(&fs::read_to_string(&g).unwrap()), data(&text));
}

#[test]
fn heart_recordings_drive_the_director() {
    let dir = tempfile::tempdir().unwrap();
    let (calm, stressed) = (dir.path().join("calm.csv"), dir.path().join("stressed.csv"));
    record(&calm, "calm", 1500);
    record(&stressed, "stressed", 1500);
    let screen = |heart: &Path, out: &str| {
        let out = dir.path().join(out);
        let o = run(&[
            "screen",
            "--heart",
            heart.to_str().unwrap(),
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let summary: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
        let decisions = fs::read_to_string(out.join("decisions.jsonl")).unwrap();
        (summary, decisions)
    };
    let (calm_s, calm_d) = screen(&calm, "calm");
    let (stressed_s, stressed_d) = screen(&stressed, "stressed");
    assert_eq!(calm_s["counts"]["deescalations"], 0, "{calm_s}");
    assert!(
        stressed_s["counts"]["deescalations"].as_u64().unwrap() >= 1,
        "{stressed_s}"
    );
    assert_ne!(calm_s["ending"], stressed_s["ending"]);
    // The opening is the calm baseline: neutral (quality 0) until it is built,
    // then trusted.
    let quality = |d: &str| -> Vec<f64> {
        d.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter_map(|v| v["engagement"]["quality"].as_f64())
            .collect()
    };
    for d in [&calm_d, &stressed_d] {
        let q = quality(d);
        assert_eq!(q[0], 0.0);
        assert!(q.iter().any(|&x| x > 0.5));
    }
}

#[test]
fn heart_screening_resumes_byte_identically_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let heart = dir.path().join("h.csv");
    record(&heart, "stressed", 1500);
    let whole = dir.path().join("whole");
    let h = heart.to_str().unwrap();
    let o = run(&[
        "screen",
        "--heart",
        h,
        "--seed",
        "7",
        "--out",
        whole.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cut = dir.path().join("cut");
    let mut child = Command::new(showrunner())
        .args([
            "screen",
            "--heart",
            h,
            "--seed",
            "7",
            "--out",
            cut.to_str().unwrap(),
            "--beat-delay-ms",
            "10",
        ])
        .current_dir(repo())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while fs::read_to_string(cut.join("decisions.jsonl")).map_or(0, |s| s.lines().count()) < 60 {
        assert!(t0.elapsed().as_secs() < 120, "screening did not progress");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let o = run(&["screen", "--out", cut.to_str().unwrap(), "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["decisions.jsonl", "summary.json"] {
        assert_eq!(
            fs::read(whole.join(f)).unwrap(),
            fs::read(cut.join(f)).unwrap(),
            "{f} differs after resume"
        );
    }
}
