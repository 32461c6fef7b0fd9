//! Replays the fuzz corpus (fuzz/corpus, grown by `cargo fuzz`) through the
//! same checks as the fuzz targets, so every input the fuzzer found
//! interesting stays covered by the ordinary test run on stable Rust.

use std::path::Path;

use showrunner_biometrics::hrm::decode;
use showrunner_biometrics::replay::parse;

fn corpus(name: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(name);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn hrm_corpus() {
    let inputs = corpus("hrm");
    assert!(inputs.len() >= 10, "the corpus is checked in");
    let mut ok = 0;
    for data in &inputs {
        if let Ok(m) = decode(data) {
            let again = decode(&m.encode()).unwrap();
            assert_eq!(
                (again.bpm, again.contact, again.energy_kj, &again.rr_1024),
                (m.bpm, m.contact, m.energy_kj, &m.rr_1024)
            );
            ok += 1;
        }
    }
    assert!(
        ok > 0 && ok < inputs.len(),
        "the corpus has good and bad packets ({ok} of {})",
        inputs.len()
    );
}

#[test]
fn replay_corpus() {
    for data in corpus("replay") {
        if let Ok(text) = std::str::from_utf8(&data) {
            match parse(text, "fuzz.csv") {
                Ok(events) => assert!(events.windows(2).all(|w| w[0].t <= w[1].t)),
                Err(e) => assert!(e.line <= text.lines().count()),
            }
        }
    }
}
