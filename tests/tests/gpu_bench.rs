//! `bench/gpu.sh` and `showrunner bench gpu` (issue 25, item 4) keep working. CI has no GPU, so
//! the script runs small on lavapipe: these tests check that every pass and every refinement is
//! there and timed from GPU timestamps, not what the figures are (BENCHMARKS.md keeps those).

use std::process::Command;

use serde_json::Value;
use showrunner_tests::{repo, showrunner};

#[test]
fn the_gpu_script_times_every_pass_and_the_refiner_on_lavapipe() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out/gpu.json");
    let out = Command::new("bash")
        .arg(repo().join("bench/gpu.sh"))
        .arg("--small")
        .env("SHOWRUNNER_BIN", showrunner())
        .env("GPU_BENCH_JSON", &json)
        .current_dir(repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench/gpu.sh --small failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["eye_px"], serde_json::json!([256, 272]));
    assert_eq!(v["scene"], "lamp_room");
    // The sample's frame: the room, its five actors and the words (a subtitle, two choices),
    // drawn without a missing asset.
    assert_eq!(v["labels"], 3, "{v}");
    assert!(v["triangles_per_eye"].as_u64().unwrap() > 10_000, "{v}");
    assert_eq!(v["warnings"], serde_json::json!([]), "{v}");
    assert!(v["refine_error"].is_null(), "{v}");

    let rows = v["rows"].as_array().unwrap();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no row `{name}` in {v}"))
    };
    let mut expected = vec![
        "two passes: shadow",
        "two passes: both eyes",
        "two passes: frame (shadow + eyes)",
        "refine quest: 1 step × 32 px, both eyes",
        "refine quest: 1 step × 32 px, both eyes: CPU recording",
    ];
    if v["multiview"] == true {
        expected.extend([
            "multiview: shadow",
            "multiview: both eyes",
            "multiview: frame (shadow + eyes)",
        ]);
    }
    for name in expected {
        let r = row(name);
        assert_eq!(r["samples"], 3, "{r}");
        let (median, p99) = (
            r["median_ms"].as_f64().unwrap(),
            r["p99_ms"].as_f64().unwrap(),
        );
        assert!(median > 0.0 && p99 >= median, "{r}");
        // Printed in the table too.
        assert!(stdout.contains(name), "{name} not in the table:\n{stdout}");
    }
    // Each frame's parts add up: the frame is its shadow pass and its eyes, sample by sample.
    let m = |n: &str| row(n)["median_ms"].as_f64().unwrap();
    let two = m("two passes: frame (shadow + eyes)");
    assert!(
        (two - m("two passes: shadow") - m("two passes: both eyes")).abs() < 0.25 * two,
        "{v}"
    );
    assert_eq!(
        row("two passes: frame (shadow + eyes)")["ratio_to_two_pass_frame"],
        1.0
    );
    let refine = row("refine quest: 1 step × 32 px, both eyes");
    assert!(refine["ratio_to_frame"].as_f64().unwrap() > 0.0, "{refine}");
    assert_eq!(refine["region_px"], 32);
    // The words are timed inside the eye passes where the adapter can (lavapipe can).
    let text = row("two passes: text (both eyes)");
    if v["text_timed_inside_passes"] == true {
        assert_eq!(text["samples"], 3, "{text}");
    } else {
        assert!(stdout.contains("text not timed"), "{stdout}");
    }
}

#[test]
fn bench_gpu_names_what_it_cannot_do() {
    let run = |args: &[&str]| {
        let out = Command::new(showrunner())
            .args([
                "bench", "gpu", "--size", "64x64", "--frames", "1", "--warmup", "0",
            ])
            .args(args)
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = run(&["--profiles", "phone"]);
    assert!(
        e.contains("no profile `phone`") && e.contains("quest, pcvr, desktop"),
        "{e}"
    );
    let e = run(&["--scene", "moon_base", "--profiles", "none"]);
    assert!(
        e.contains("--scene moon_base") && e.contains("lamp_room"),
        "{e}"
    );
}

/// With the head leaning, every refined frame after the first moves its history by the head's
/// turn and each pixel's parallax (the warp's gathers on the GPU, here lavapipe): it runs, and
/// is timed.
#[test]
fn a_leaning_head_refines_with_its_history_reprojected_on_the_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("lean.json");
    let out = Command::new(showrunner())
        .args([
            "bench", "gpu", "--size", "96x96", "--frames", "3", "--warmup", "1",
        ])
        .args([
            "--refine-sizes",
            "32",
            "--profiles",
            "quest",
            "--lean",
            "--json",
        ])
        .arg(&json)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["head_leaning_while_refining"], true);
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "refine quest: 1 step × 32 px, both eyes, head leaning")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(row["samples"], 3, "{row}");
    assert!(row["median_ms"].as_f64().unwrap() > 0.0, "{row}");
}
