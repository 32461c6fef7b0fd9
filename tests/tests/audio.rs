//! The sound, end to end with no sound card: the sample's sounds are what the
//! project's synthesis makes, `screen --audio` renders the soundtrack offline
//! (and the report links it), and bad sounds are named while the film goes on.
//! The mix itself (stems following engagement, left/right, stingers on the
//! beat) is tested in `engine/audio`.

use showrunner_tests::{repo, showrunner};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const STORY: &str = r#"
Harbour at dusk. # scene: landing # palette: dusk # intensity: 0.2 # shot: 3 # cast: keeper=mara # sfx: gull
A gust. # shot: 2 # sfx: wind # intensity: 0.5
-> storm
=== storm ===
The hatch bangs. # scene: lamp_room_dark # stakes: high # intensity: 0.9 # shot: 3 # sfx: hatch@mara
Something unheard. # shot: 2 # sfx: no_such_sound
Quiet again. # shot: 3 # intensity: 0.3 # ending: quiet
-> END
"#;

fn screen(dir: &Path, extra: &[&str]) -> Output {
    let story = dir.join("harbour.ink");
    fs::write(&story, STORY).unwrap();
    Command::new(showrunner())
        .args(["screen", "--viewer", "calm", "--audio", "--story"])
        .arg(&story)
        .args(extra)
        .current_dir(repo())
        .output()
        .unwrap()
}

fn wav(path: &Path) -> (u16, u32, u16, Vec<i16>) {
    let b = fs::read(path).unwrap();
    assert_eq!(&b[0..4], b"RIFF");
    assert_eq!(&b[8..12], b"WAVE");
    let channels = u16::from_le_bytes([b[22], b[23]]);
    let rate = u32::from_le_bytes(b[24..28].try_into().unwrap());
    let bits = u16::from_le_bytes([b[34], b[35]]);
    assert_eq!(&b[36..40], b"data");
    let samples = b[44..]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    (channels, rate, bits, samples)
}

#[test]
fn the_sample_sounds_are_made_by_the_project_command() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(showrunner())
        .args(["assets", "sounds", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut made = 0;
    for sub in ["", "stems", "stingers", "sfx"] {
        for e in fs::read_dir(dir.path().join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                continue;
            }
            let rel = p.strip_prefix(dir.path()).unwrap();
            let shipped = repo().join("assets/sounds").join(rel);
            assert!(
                fs::read(&shipped).ok() == Some(fs::read(&p).unwrap()),
                "{} is not what `showrunner assets sounds` makes; run it and commit the result",
                shipped.display()
            );
            made += 1;
        }
    }
    assert!(made >= 14, "{made} files");
}

#[test]
fn screen_audio_writes_the_soundtrack_and_names_an_unknown_cue() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = screen(dir.path(), &["--out", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    // The unknown cue: one error naming the story, the knot and the sound; the film went on.
    let unknown: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("no_such_sound"))
        .collect();
    assert_eq!(unknown.len(), 1, "{err}");
    assert!(
        unknown[0].contains("harbour.ink") && unknown[0].contains("knot `storm`"),
        "{}",
        unknown[0]
    );
    assert!(unknown[0].contains("stays silent"), "{}", unknown[0]);

    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let st = &summary["soundtrack"];
    assert_eq!(st["file"], "soundtrack.wav");
    assert_eq!(st["stingers"], 1, "the ending's stinger: {st}");
    // gull, wind, hatch, plus footsteps of Mara walking to her mark.
    assert!(st["effects"].as_u64().unwrap() >= 3, "{st}");
    assert_eq!(st["warnings"], 1, "{st}");

    let (channels, rate, bits, samples) = wav(&out.join("soundtrack.wav"));
    assert_eq!((channels, rate, bits), (2, 48_000, 16));
    let seconds = samples.len() as f64 / 2.0 / 48_000.0;
    let film = summary["duration_s"].as_f64().unwrap();
    assert!(
        (seconds - (film + 4.0)).abs() < 1.0,
        "{seconds} s of sound for a {film} s film plus 4 s of ring-out"
    );
    let rms = |from: f64, to: f64| {
        let s = &samples[(from * 96_000.0) as usize..(to * 96_000.0) as usize];
        (s.iter()
            .map(|v| (f64::from(*v) / 32768.0).powi(2))
            .sum::<f64>()
            / s.len() as f64)
            .sqrt()
    };
    assert!(rms(0.5, 3.0) > 0.01, "the score plays: {}", rms(0.5, 3.0));

    // It replays decisions.jsonl, so it is the same every time.
    let again = dir.path().join("again");
    let o = screen(dir.path(), &["--out", again.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        fs::read(out.join("soundtrack.wav")).unwrap()
            == fs::read(again.join("soundtrack.wav")).unwrap(),
        "deterministic"
    );
}

#[test]
fn the_report_links_the_soundtrack() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = screen(
        dir.path(),
        &[
            "--render",
            "--still-size",
            "320x180",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<audio controls preload=none src=\"soundtrack.wav\">")
            && html.contains("<a href=\"soundtrack.wav\">"),
        "{html}"
    );
    assert!(
        html.contains("no_such_sound"),
        "the warning is in the report"
    );
}

#[test]
fn a_broken_sound_file_is_named_and_the_film_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let sounds = dir.path().join("sounds");
    for sub in ["stems", "stingers", "sfx"] {
        fs::create_dir_all(sounds.join(sub)).unwrap();
        for e in fs::read_dir(repo().join("assets/sounds").join(sub)).unwrap() {
            let p = e.unwrap().path();
            fs::copy(&p, sounds.join(sub).join(p.file_name().unwrap())).unwrap();
        }
    }
    // Truncated mid-header, and one missing.
    let pulse = fs::read(sounds.join("stems/pulse.wav")).unwrap();
    fs::write(sounds.join("stems/pulse.wav"), &pulse[..30]).unwrap();
    fs::remove_file(sounds.join("stingers/ending.wav")).unwrap();
    let out = dir.path().join("s");
    let o = screen(
        dir.path(),
        &[
            "--sounds",
            sounds.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("stems/pulse.wav: cannot decode it"),
        "the broken file is named: {err}"
    );
    assert!(
        err.contains("stingers/ending.{wav,ogg,flac}: missing"),
        "{err}"
    );
    assert!(out.join("soundtrack.wav").is_file());
}

#[test]
fn check_warns_about_a_cue_with_no_sound_file() {
    let dir = tempfile::tempdir().unwrap();
    let story = dir.path().join("harbour.ink");
    fs::write(&story, STORY).unwrap();
    let o = Command::new(showrunner())
        .args(["check"])
        .arg(&story)
        .current_dir(repo())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "a warning, not an error: {err}");
    let line = err
        .lines()
        .find(|l| l.contains("no_such_sound"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("harbour.ink:7"), "file and line: {line}");
    assert!(!err.contains("`gull`") && !err.contains("`hatch`"), "{err}");
}
