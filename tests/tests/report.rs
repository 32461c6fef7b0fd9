//! `screen --render`: frames, contact sheet, plot and report (lavapipe on CI).

use showrunner_tests::{repo, showrunner};
use std::fs;
use std::process::Command;

#[test]
fn screen_render_writes_frames_a_contact_sheet_a_plot_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = Command::new(showrunner())
        .args([
            "screen",
            "--viewer",
            "bored",
            "--seed",
            "7",
            "--render",
            "--render-fps",
            "1",
            "--out",
        ])
        .arg(&out)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let beats = summary["counts"]["beats"].as_u64().unwrap() as usize;
    let stills = fs::read_dir(out.join("frames"))
        .unwrap()
        .filter(|e| {
            let n = e.as_ref().unwrap().file_name().into_string().unwrap();
            n.starts_with("beat-") && n.len() == "beat-0001.png".len()
        })
        .count();
    assert_eq!(stills, beats, "one still per beat");
    let extra = fs::read_dir(out.join("frames")).unwrap().count() - stills;
    assert!(
        extra > beats,
        "--render-fps 1 adds frames within beats: {extra}"
    );
    // Stills are real pictures, not blank.
    let png = fs::read(out.join("frames/beat-0010.png")).unwrap();
    assert!(png.len() > 2000, "{} bytes", png.len());
    assert!(fs::metadata(out.join("contact-sheet.png")).unwrap().len() > 10_000);
    // Every picture says, machine-readably, that the engine made it (read by Pillow), and the
    // report says it in words.
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("rendered by Showrunner's engine") && html.contains("algorithmicMedia"));
    for f in ["frames/beat-0001.png", "contact-sheet.png"] {
        assert_eq!(
            showrunner_tests::png_digital_source_type(&out.join(f)).as_deref(),
            Some("http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"),
            "{f}"
        );
    }
    // What holds the viewer's engagement is theirs alone.
    #[cfg(unix)]
    for f in [
        "decisions.jsonl",
        "summary.json",
        "session.json",
        "engagement.svg",
        "report.html",
    ] {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
    let svg = fs::read_to_string(out.join("engagement.svg")).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("arousal z") && svg.contains("polyline"),
        "plot"
    );
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for needle in [
        "engagement.svg",
        "contact-sheet.png",
        "frames/beat-0001.png",
        "Beat by beat",
        "boredom",
    ] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    assert_eq!(html.matches("<tr>").count(), beats + 1, "a row per beat");
}

#[test]
fn render_cannot_be_resumed_yet() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(showrunner())
        .args(["screen", "--render", "--resume", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
}

#[test]
fn the_sample_models_are_made_by_the_project_command() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(showrunner())
        .args(["assets", "build", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        fs::read(dir.path().join("sample.glb")).unwrap(),
        fs::read(repo().join("assets/models/sample.glb")).unwrap(),
        "assets/models/sample.glb is what `showrunner assets build` makes; rebuild and commit it"
    );
}

#[test]
fn a_broken_model_is_reported_and_the_film_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("assets/models")).unwrap();
    fs::write(dir.path().join("assets/models/broken.glb"), b"not a model").unwrap();
    let o = Command::new(showrunner())
        .args(["screen", "--viewer", "calm", "--render", "--out", "s"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("broken.glb") && err.contains("built-in models"),
        "{err}"
    );
    let html = fs::read_to_string(dir.path().join("s/report.html")).unwrap();
    assert!(html.contains("broken.glb"), "the report shows the warning");
}
