//! `showrunner refiner`: the shipped weights on held-out scenes, training
//! end to end with a resume, and bad weights.

use std::path::Path;

use serde_json::Value;
use showrunner_tests::{repo, run_showrunner as run};

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "showrunner {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Renders refiner data into `dir`: shots per training set, per held-out set.
fn data(dir: &Path, shots: &str, held_out: &str, size: &str) {
    ok(&[
        "refiner",
        "data",
        "--out",
        dir.to_str().unwrap(),
        "--shots",
        shots,
        "--held-out-shots",
        held_out,
        "--size",
        size,
    ]);
}

fn png_size(p: &Path) -> (u32, u32) {
    let d = std::fs::read(p).unwrap();
    assert_eq!(&d[1..4], b"PNG", "{}", p.display());
    let be = |o: usize| u32::from_be_bytes(d[o..o + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Issue 6, item 3 (issue 21, item 7: on the sample's sets and actors): on renders of sets
/// never seen in training, the shipped refiner beats the cheap render against the reference
/// (supersampled, soft shadows, ambient occlusion, film grade) by ≥ 2 dB PSNR (measured:
/// +2.75 dB) and ≥ 0.03 SSIM (measured: +0.123; see BENCHMARKS.md), and flickers at most
/// 10 % more than the cheap render on still shots (measured: 0.82×; the reference itself
/// changes 1.50× as much). While the head slides sideways the temporal history costs some of
/// the gain (measured: 0.34 dB with the history reprojected by depth, 1.14 dB by the head's
/// turn alone, as before) but the refined frames still beat the cheap ones. The dump holds the PNGs to recompute it from
/// (`tests/refine/check_metrics.py DIR` checks them against scikit-image).
#[test]
fn shipped_weights_beat_the_cheap_render_on_held_out_scenes() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let dump = dir.path().join("dump");
    let d = data_dir.to_str().unwrap();
    data(&data_dir, "0", "6", "128");
    let report: Value = serde_json::from_str(&ok(&[
        "refiner",
        "eval",
        "--data",
        d,
        "--dump",
        dump.to_str().unwrap(),
    ]))
    .unwrap();
    eprintln!(
        "cheap {} refined {} gain {} flicker {}",
        report["cheap"], report["refined"], report["gain"], report["flicker"]
    );
    assert_eq!(report["frames_evaluated"], 24);
    let gain = &report["gain"];
    assert!(gain["psnr_db"].as_f64().unwrap() >= 2.0, "{gain}");
    assert!(gain["ssim"].as_f64().unwrap() >= 0.03, "{gain}");
    let ratio = report["flicker"]["ratio"].as_f64().unwrap();
    assert!(ratio <= 1.10, "flicker {}", report["flicker"]);
    let motion = &report["motion"];
    for metric in ["psnr", "ssim"] {
        let (with, cheap) = (
            motion["refined_with_history"][metric].as_f64().unwrap(),
            motion["cheap"][metric].as_f64().unwrap(),
        );
        assert!(with > cheap, "in motion {metric}: {motion}");
    }
    // Reprojecting the history by each pixel's depth closes most of what it cost when only
    // the head's turn was reprojected.
    let cost = |k: &str| motion[k]["psnr_db"].as_f64().unwrap();
    assert!(
        cost("history_cost") < 0.5 * cost("history_cost_rotation_only"),
        "{motion}"
    );
    for f in report["frames"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let sizes: Vec<(u32, u32)> = ["cheap", "refined", "reference"]
            .iter()
            .map(|k| png_size(&dump.join(format!("{name}.{k}.png"))))
            .collect();
        assert!(sizes.iter().all(|s| *s == (128, 128)), "{name}: {sizes:?}");
    }
    // Marked machine-readably, as an independent reader (Pillow) sees it: the refined frame
    // as made with a trained model, the others as rendered.
    let name = report["frames"][0]["name"].as_str().unwrap();
    let iptc = "http://cv.iptc.org/newscodes/digitalsourcetype/";
    for (kind, term) in [
        ("refined", "compositeWithTrainedAlgorithmicMedia"),
        ("cheap", "algorithmicMedia"),
        ("reference", "algorithmicMedia"),
    ] {
        let got =
            showrunner_tests::png_digital_source_type(&dump.join(format!("{name}.{kind}.png")));
        assert_eq!(
            got.as_deref(),
            Some(format!("{iptc}{term}").as_str()),
            "{kind}"
        );
    }
    assert!(dump.join("eval.json").exists());
}

/// Data and training are resumable from the command line; training is deterministic, refuses
/// to overwrite a run, and the weights it writes load.
#[test]
fn training_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let d = data_dir.to_str().unwrap();
    data(&data_dir, "1", "1", "32");
    // A data run cut short (its plan kept, a pair missing) goes on where it stopped.
    let manifest = data_dir.join("manifest.json");
    std::fs::rename(&manifest, data_dir.join("manifest.partial.json")).unwrap();
    let gone = data_dir.join("train/lamp_room-00.reference.png");
    std::fs::remove_file(&gone).unwrap();
    let out = run(&[
        "refiner",
        "data",
        "--out",
        d,
        "--shots",
        "1",
        "--held-out-shots",
        "1",
        "--size",
        "32",
    ]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("(13 already there from a run cut short)"),
        "{said}"
    );
    assert_eq!(png_size(&gone), (32, 32), "the missing pair is made");
    assert!(manifest.exists() && !data_dir.join("manifest.partial.json").exists());
    let train = |out: &str, steps: &str, weights: &str, extra: &[&str]| {
        let mut a = vec![
            "refiner",
            "train",
            "--data",
            d,
            "--out",
            out,
            "--steps",
            steps,
            "--batch",
            "1",
            "--crop",
            "16",
            "--every",
            "2",
            "--weights",
            weights,
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    // One run of 4 steps; another interrupted after 2 and resumed: the same weights.
    let a = train(&p("a"), "4", &p("a.bpk"), &[]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let cut = train(&p("b"), "4", &p("b.bpk"), &["--stop-after", "2"]);
    assert!(
        cut.status.success(),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
    assert!(!dir.path().join("b.bpk").exists());
    let again = train(&p("b"), "4", &p("b.bpk"), &[]);
    assert!(
        !again.status.success(),
        "a checkpointed run is not overwritten"
    );
    let e = String::from_utf8_lossy(&again.stderr);
    assert!(e.contains("--resume"), "{e}");
    let b = train(&p("b"), "4", &p("b.bpk"), &["--resume"]);
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    // Compare the weights' values (with a probe's output), not the files,
    // which also hold parameter ids.
    ok(&[
        "refiner",
        "export",
        "--weights",
        &p("a.bpk"),
        "--out",
        &p("xa"),
        "--size",
        "16",
    ]);
    ok(&[
        "refiner",
        "export",
        "--weights",
        &p("b.bpk"),
        "--out",
        &p("xb"),
        "--size",
        "16",
    ]);
    assert!(
        std::fs::read(dir.path().join("xa/tensors.f32")).unwrap()
            == std::fs::read(dir.path().join("xb/tensors.f32")).unwrap(),
        "an interrupted and resumed run ends with the same weights"
    );
    // Other settings are refused, naming the file.
    let other = train(&p("b"), "6", &p("c.bpk"), &["--resume"]);
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("state.json"));
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a/state.json")).unwrap())
            .unwrap();
    assert_eq!(state["step"], 4);
}

/// A missing or damaged weights file is named, with what to do.
#[test]
fn bad_weights_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("cut.bpk");
    let good = std::fs::read(repo().join("assets/refiner/refiner.bpk")).unwrap();
    std::fs::write(&w, &good[..good.len() / 3]).unwrap();
    for weights in [w.to_str().unwrap(), "no/such.bpk"] {
        let out = run(&[
            "refiner",
            "export",
            "--weights",
            weights,
            "--out",
            dir.path().join("x").to_str().unwrap(),
        ]);
        assert!(!out.status.success());
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            e.contains(weights.rsplit('/').next().unwrap()) && e.contains("refinement is off"),
            "{e}"
        );
    }
}
