//! Time-domain HRV metrics against pyhrv 0.5.0's own output on pyhrv's real
//! 5-minute NN series (see tests/data/hrv/make_reference.py for provenance).

use std::path::PathBuf;

use showrunner_biometrics::event::EventKind;
use showrunner_biometrics::hrv::{time_domain, ArtifactRules};
use showrunner_biometrics::replay;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/hrv")
        .join(name)
}

fn nn_series() -> Vec<f64> {
    let events = replay::load(&data("pyhrv-sample-short.csv")).unwrap();
    events
        .iter()
        .flat_map(|e| match &e.kind {
            EventKind::Reading(r) => r.rr_ms.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect()
}

fn within_1pct(name: &str, ours: f64, theirs: f64) {
    let rel = (ours - theirs).abs() / theirs.abs();
    assert!(
        rel <= 0.01,
        "{name}: ours {ours}, pyhrv {theirs} ({:.4}% off)",
        rel * 100.0
    );
    // In practice they agree far more closely than the 1% the issue allows.
    eprintln!("{name}: ours {ours:.6} pyhrv {theirs:.6} rel {rel:.2e}");
}

#[test]
fn time_domain_matches_pyhrv_within_1_percent() {
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data("pyhrv-sample-short.reference.json")).unwrap(),
    )
    .unwrap();
    let r = |k: &str| {
        reference[k]
            .as_f64()
            .unwrap_or_else(|| panic!("reference lacks {k}"))
    };
    let nn = nn_series();
    assert_eq!(nn.len() as f64, r("nni_counter"));
    let m = time_domain(&nn, None).unwrap();
    within_1pct("mean NN", m.mean_nn_ms, r("nni_mean"));
    within_1pct("SDNN", m.sdnn_ms, r("sdnn"));
    within_1pct("RMSSD", m.rmssd_ms, r("rmssd"));
    within_1pct("pNN50", m.pnn50, r("pnn50"));
    within_1pct("mean HR", m.mean_hr_bpm, r("hr_mean"));
    assert_eq!(m.nn50 as f64, r("nn50"));
}

#[test]
fn the_artifact_filter_on_real_clean_data() {
    // pyhrv's series is already NN (clean), but its viewer has strong
    // respiratory sinus arrhythmia (RMSSD ≈ 101 ms), so the 20%
    // neighbour rule still rejects some real beats: 28 of 337 (8.3%). Pinned
    // so a change in the rule shows up here; the estimator's quality gate
    // (max_artifact_rate 0.25) still trusts this viewer.
    let nn = nn_series();
    let rr: Vec<f32> = nn.iter().map(|&v| v as f32).collect();
    let verdicts = ArtifactRules::default().filter(&rr);
    let rejected = verdicts.iter().filter(|v| v.is_some()).count();
    eprintln!(
        "20% neighbour rule rejects {rejected} of {} real NN intervals",
        rr.len()
    );
    assert_eq!(rejected, 28, "{rejected} of {} rejected", rr.len());
}
