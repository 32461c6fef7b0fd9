//! `screen --render --sign CERT KEY` (issue 24, item 5): the stills, the contact sheet and the
//! soundtrack carry C2PA content credentials, signed with a certificate a test CA issued
//! (made with Debian's openssl by `scripts/c2pa-test-pki.sh`: C2PA refuses self-signed ones),
//! and `showrunner credentials` reads them back: who signed, that the engine rendered the
//! frames, that none was refined, and which episode a language model wrote, with the model.

use serde_json::Value;
use showrunner_tests::{chat_endpoint, png_digital_source_type, repo, run_showrunner as run};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A story of two knots; the second is an extension point an episode may play before.
const STORY: &str = "# cast: keeper=mara\nThe kettle sighs on the stove. # scene: kitchen # stakes: low # intensity: 0.2\n-> the_lamp\n=== the_lamp ===\nThe lamp room hums. # scene: kitchen # stakes: low # intensity: 0.3 # extend: the keeper checks the lamp before the storm # extend_cast: mara\nMARA: It will hold tonight.\n-> END\n";

/// The episode's words, as the endpoint writes them.
const WORDS: &str =
    "The wind leans on the glass.\nMARA: Hold the lamp steady.\nA pane hums, then settles.\n";

/// A test CA and a signing certificate it issued, in `dir`: (chain, key, CA).
fn pki(dir: &Path, extra: &[&str]) -> (String, String, String) {
    let o = Command::new("bash")
        .arg(repo().join("scripts/c2pa-test-pki.sh"))
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    (s("chain.pem"), s("leaf.key"), s("ca.pem"))
}

/// Screens [`STORY`] rendered, with sound, growing through an endpoint, signed with `sign`.
fn screen(dir: &Path, sign: [&str; 2]) -> (Output, PathBuf) {
    let story = dir.join("lamp.ink");
    fs::write(&story, STORY).unwrap();
    let out = dir.join("signed");
    let url = chat_endpoint(vec![Some(WORDS.to_owned())]);
    let o = run(&[
        "screen",
        "--story",
        story.to_str().unwrap(),
        "--viewer",
        "bored",
        "--render",
        "--still-size",
        "160x90",
        "--audio",
        "--generator",
        &url,
        "--sign",
        sign[0],
        sign[1],
        "--out",
        out.to_str().unwrap(),
    ]);
    (o, out)
}

fn credentials(ca: &str, files: &[PathBuf], json: bool) -> (bool, String) {
    let mut args = vec!["credentials", "--trust", ca];
    if json {
        args.push("--json");
    }
    let files: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    args.extend(files);
    let o = run(&args);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn a_signed_screening_says_what_made_each_file_and_who_signed_it() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, key, ca) = pki(&dir.path().join("pki"), &[]);
    let (o, out) = screen(dir.path(), [&chain, &key]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["counts"]["episodes"], 1, "{summary:#}");
    assert_eq!(summary["credentials"]["signer"], "Showrunner test signer");

    // Which still shows the episode's words.
    let beats: Vec<Value> = fs::read_to_string(out.join("decisions.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let written = beats
        .iter()
        .find(|b| b["knot"] == "ext_the_lamp")
        .expect("the episode played")["beat"]
        .as_u64()
        .unwrap();
    let authored = beats[0]["beat"].as_u64().unwrap();
    let still = |n: u64| out.join(format!("frames/beat-{n:04}.png"));
    let files = [
        still(authored),
        still(written),
        out.join("contact-sheet.png"),
        out.join("soundtrack.wav"),
    ];
    let (ok, text) = credentials(&ca, &files, false);
    assert!(ok, "{text}");
    assert_eq!(text.matches(": trusted: intact").count(), 4, "{text}");
    assert!(
        text.contains("signed by Showrunner test signer (Showrunner tests)"),
        "{text}"
    );

    let (ok, json) = credentials(&ca, &files, true);
    assert!(ok, "{json}");
    let reports: Vec<Value> = serde_json::from_str(&json).unwrap();
    let manifest = |i: usize| {
        let r = &reports[i]["report"];
        r["manifests"][r["active_manifest"].as_str().unwrap()].clone()
    };
    let assertion = |m: &Value, label: &str| {
        m["assertions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["label"].as_str().unwrap().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in {m:#}"))["data"]
            .clone()
    };
    // The authored still: rendered by the engine, no trained model, not refined.
    let m = manifest(0);
    let created = &assertion(&m, "c2pa.actions")["actions"][0];
    assert_eq!(created["action"], "c2pa.created");
    assert!(created["digitalSourceType"]
        .as_str()
        .unwrap()
        .ends_with("/algorithmicMedia"));
    let film = assertion(&m, "org.showrunner.film");
    assert_eq!(
        (film["refined"].clone(), film["story"].clone()),
        (false.into(), "lamp.ink".into())
    );
    assert!(film.get("episode").is_none());
    // The episode's still: its words by the endpoint's model, and it says so.
    let m = manifest(1);
    let created = &assertion(&m, "c2pa.actions")["actions"][0];
    assert!(created["digitalSourceType"]
        .as_str()
        .unwrap()
        .ends_with("/compositeWithTrainedAlgorithmicMedia"));
    let film = assertion(&m, "org.showrunner.film");
    assert_eq!(film["episode"]["knot"], "ext_the_lamp");
    assert!(film["episode"]["model"]
        .as_str()
        .unwrap()
        .contains("127.0.0.1"));
    // The XMP inside the PNG agrees, after signing (read by Pillow).
    assert_eq!(
        png_digital_source_type(&still(written)).as_deref(),
        Some("http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia")
    );
    // The contact sheet lists every frame, none refined, and the episode with its beats.
    let film = assertion(&manifest(2), "org.showrunner.film");
    let frames = film["frames"].as_array().unwrap();
    assert_eq!(frames.len(), beats.len());
    assert_eq!(film["refined_frames"], serde_json::json!([]));
    assert_eq!(film["episodes"][0]["knot"], "ext_the_lamp");
    let shown = format!("frames/beat-{written:04}.png");
    assert!(
        film["episodes"][0]["stills"]
            .as_array()
            .is_some_and(|s| s.contains(&shown.into())),
        "{film:#}"
    );
    // The soundtrack names the same episode.
    let film = assertion(&manifest(3), "org.showrunner.film");
    assert_eq!(film["episodes"][0]["knot"], "ext_the_lamp");

    // A changed pixel is caught; so is a file that was never signed.
    let mut png = fs::read(still(authored)).unwrap();
    let n = png.len();
    png[n - 17] ^= 0x55;
    fs::write(still(authored), &png).unwrap();
    let (ok, text) = credentials(&ca, &[still(authored)], false);
    assert!(!ok && text.contains("INVALID"), "{text}");
    let (ok, text) = credentials(&ca, &[out.join("engagement.svg")], false);
    assert!(!ok && text.contains("engagement.svg"), "{text}");
}

#[test]
fn a_certificate_c2pa_refuses_stops_the_screening_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, key, _) = pki(&dir.path().join("pki"), &["P-256", "--no-eku"]);
    let (o, out) = screen(dir.path(), [&chain, &key]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&chain) && err.contains("C2PA refuses this certificate"),
        "{err}"
    );
    assert!(!out.join("frames").exists(), "nothing was rendered");
}
