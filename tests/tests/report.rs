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
            "0.5",
            // Small frames, and few: on lavapipe a set's frame costs about 0.1 s whatever its
            // size, so the ~1,200 frames of 1 fps took 200 s (BENCHMARKS.md, issue 21).
            "--still-size",
            "320x180",
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
        "--render-fps 0.5 adds frames within beats: {extra}"
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
        .arg("--sets")
        .arg(dir.path().join("sets"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        fs::read(dir.path().join("sample.glb")).unwrap(),
        fs::read(repo().join("assets/models/sample.glb")).unwrap(),
        "assets/models/sample.glb is what `showrunner assets build` makes; rebuild and commit it"
    );
    // One set per scene of the sample, each a glTF file that loads with its textures.
    let sets: Vec<_> = fs::read_dir(dir.path().join("sets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sets.len(), 18, "{sets:?}");
    let kitchen = showrunner_assets::load(&dir.path().join("sets/kitchen.glb")).unwrap();
    assert!(kitchen.warnings.is_empty(), "{:?}", kitchen.warnings);
    assert!(kitchen
        .models
        .iter()
        .any(|m| m.material.base_color.is_some()));
    assert!(kitchen.nodes.iter().any(|n| n.name.starts_with("mark:")));
    // The five actors, each a skinned model with every clip actors act with.
    for actor in ["mara", "tomas", "calum", "shiel", "coastguard"] {
        let m = showrunner_assets::load(&dir.path().join(format!("{actor}.glb"))).unwrap();
        assert!(m.warnings.is_empty(), "{actor}: {:?}", m.warnings);
        let rig = m.models[0].rig.as_ref().unwrap();
        assert!(rig.joints.len() >= 15, "{actor}");
        let mut clips: Vec<&str> = rig.clips.iter().map(|c| c.name.as_str()).collect();
        clips.sort_unstable();
        assert_eq!(clips, ["fall", "idle", "kneel", "talk", "walk"], "{actor}");
    }
}

/// `--cast ROLE=MODEL` recasts a role (by role or by actor); a role the story does not cast
/// is named with the ones it does.
#[test]
fn cast_recasts_a_role() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let o = Command::new(showrunner())
        .args(["assets", "build", "--out"])
        .arg(&models)
        .arg("--sets")
        .arg(dir.path().join("sets"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shoot = |name: &str, actor: &str, extra: &[&str]| {
        let line = format!("In the kitchen. # scene: kitchen # cast: keeper={actor} # shot: 3");
        screen_one_line(dir.path(), name, &line, "320x180", extra)
    };
    let tomas = models.join("tomas.glb");
    let tomas = tomas.to_str().unwrap();
    let (o, by_role) = shoot("by_role", "mara", &["--cast", &format!("keeper={tomas}")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, by_actor) = shoot("by_actor", "mara", &["--cast", &format!("mara={tomas}")]);
    let (_, mara) = shoot("mara", "mara", &[]);
    let (_, written) = shoot("written", "tomas", &[]);
    let (r, a, m, w) = (
        still(&by_role, 1),
        still(&by_actor, 1),
        still(&mara, 1),
        still(&written, 1),
    );
    assert!(diff(&r, &a) < 0.01, "by role or by actor: {}", diff(&r, &a));
    assert!(
        diff(&r, &w) < 0.5,
        "Tomas's model as if the story cast him: {}",
        diff(&r, &w)
    );
    assert!(diff(&r, &m) > 0.5, "not Mara: {}", diff(&r, &m));
    // Only where the actor stands (with her shadow) changed: a band of the frame.
    let (mut lo, mut hi, mut changed) = (u32::MAX, 0, 0);
    for (k, (a, b)) in r.chunks(4).zip(m.chunks(4)).enumerate() {
        if a.iter().zip(b).any(|(x, y)| x.abs_diff(*y) > 12) {
            let x = k as u32 % 320;
            (lo, hi, changed) = (lo.min(x), hi.max(x), changed + 1);
        }
    }
    assert!(changed > 200, "{changed} pixels changed");
    assert!(
        hi - lo < 120,
        "changes span x {lo}..{hi} of 320: more than where she stands"
    );
    let (o, _) = shoot("bad", "mara", &["--cast", &format!("captain={tomas}")]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--cast captain=") && e.contains("keeper (mara)"),
        "{e}"
    );
    let (o, _) = shoot("missing", "mara", &["--cast", "keeper=/nowhere/me.vrm"]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("/nowhere/me.vrm") && e.contains("cannot read"),
        "{e}"
    );
}

#[test]
fn a_broken_model_is_reported_and_the_film_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("assets/models")).unwrap();
    fs::write(dir.path().join("assets/models/broken.glb"), b"not a model").unwrap();
    let o = Command::new(showrunner())
        .args([
            "screen",
            "--viewer",
            "calm",
            "--render",
            "--still-size",
            "320x180",
            "--out",
            "s",
        ])
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

/// `view:` moves where the viewer watches from, and the stills see it from there.
#[test]
fn a_view_moves_the_stills_vantage() {
    let dir = tempfile::tempdir().unwrap();
    let story = dir.path().join("kitchen.ink");
    fs::write(
        &story,
        "In the kitchen. # scene: kitchen # shot: 2\n\
         From the range now. # view: by_the_range # shot: 2\n\
         And a view the kitchen does not have. # view: up_the_chimney # shot: 2\n\
         -> END\n",
    )
    .unwrap();
    let out = dir.path().join("s");
    let o = Command::new(showrunner())
        .args(["screen", "--render", "--still-size", "160x90", "--story"])
        .arg(&story)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let read = |n: u32| still(&out, n);
    let (seat, range, stayed) = (read(1), read(2), read(3));
    assert!(
        diff(&seat, &range) > 10.0,
        "the vantage moved: {}",
        diff(&seat, &range)
    );
    assert!(
        diff(&range, &stayed) < diff(&seat, &range) / 2.0,
        "an unknown view stays put"
    );
    let lines = fs::read_to_string(out.join("decisions.jsonl")).unwrap();
    assert!(
        lines.contains("up_the_chimney") && lines.contains("by_the_range"),
        "{lines}"
    );
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("up_the_chimney") && report.contains("no such view"),
        "the report names the unknown view"
    );
}

/// Screens a one-line story (`line`, then the end) rendered at `size` into `dir/name`, with
/// `extra` arguments: what the command said, and where its stills are.
fn screen_one_line(
    dir: &std::path::Path,
    name: &str,
    line: &str,
    size: &str,
    extra: &[&str],
) -> (std::process::Output, std::path::PathBuf) {
    let story = dir.join(format!("{name}.ink"));
    fs::write(&story, format!("{line}\n-> END\n")).unwrap();
    let out = dir.join(name);
    let o = Command::new(showrunner())
        .args(["screen", "--render", "--still-size", size, "--story"])
        .arg(&story)
        .args(extra)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    (o, out)
}

/// The RGBA of still `n` of the screening in `out`.
fn still(out: &std::path::Path, n: u32) -> Vec<u8> {
    let dec = png::Decoder::new(std::io::BufReader::new(
        fs::File::open(out.join(format!("frames/beat-{n:04}.png"))).unwrap(),
    ));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    r.next_frame(&mut buf).unwrap();
    buf
}

/// Mean absolute difference per channel, 0..255.
fn diff(a: &[u8], b: &[u8]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum::<f64>()
        / a.len() as f64
}

/// `--set SCENE=OTHER` stages a scene in another set; a set that is not there is named with
/// the ones that are.
#[test]
fn set_moves_a_scene_to_another_set() {
    let dir = tempfile::tempdir().unwrap();
    let shoot = |name: &str, scene: &str, extra: &[&str]| {
        let line = format!("In a room. # scene: {scene} # shot: 2");
        screen_one_line(dir.path(), name, &line, "160x90", extra)
    };
    let (o, moved) = shoot("moved", "kitchen", &["--set", "kitchen=radio_room"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, radio) = shoot("radio", "radio_room", &[]);
    let (_, kitchen) = shoot("kitchen", "kitchen", &[]);
    let (m, r, k) = (still(&moved, 1), still(&radio, 1), still(&kitchen, 1));
    assert!(
        diff(&m, &r) < 1.0,
        "staged in the radio room: {}",
        diff(&m, &r)
    );
    assert!(diff(&m, &k) > 10.0, "not the kitchen: {}", diff(&m, &k));
    let (o, _) = shoot("bad", "kitchen", &["--set", "kitchen=moonbase"]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--set kitchen=moonbase") && e.contains("moonbase") && e.contains("radio_room"),
        "{e}"
    );
}

/// `check` warns, at the line, of a scene with no set of its own and a view no set names.
#[test]
fn check_names_scenes_and_views_the_sets_lack() {
    let dir = tempfile::tempdir().unwrap();
    let story = dir.path().join("places.ink");
    fs::write(
        &story,
        "A. # scene: kitchen # view: by_the_range\n\
         B. # view: up_the_chimney\n\
         C. # scene: moon_base\n\
         -> END\n",
    )
    .unwrap();
    let o = Command::new(showrunner())
        .args(["check", "--strict"])
        .arg(&story)
        .output()
        .unwrap();
    assert!(!o.status.success(), "--strict fails on the warnings");
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("places.ink:2: warning: view `up_the_chimney`"),
        "{e}"
    );
    assert!(
        e.contains("places.ink:3: warning: scene `moon_base`"),
        "{e}"
    );
    assert_eq!(
        e.matches("warning").count(),
        2,
        "kitchen and by_the_range exist: {e}"
    );
}
