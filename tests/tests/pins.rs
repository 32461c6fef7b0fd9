//! Pinned screenings of the sample: `decisions.jsonl` and `summary.json` for three viewers and
//! two seeds, byte for byte. Moving the film into one `Show` (issue 18) must not change what a
//! viewer is shown or why; a change that is meant to (gaze steering, the director's intensity on
//! the stage) re-blesses the pins with `SHOWRUNNER_BLESS_PINS=1 cargo nextest run --workspace -E
//! 'binary(pins)'`, and the reviewed diff of `tests/fixtures/pins/` goes with it.

use showrunner_tests::{repo, showrunner};
use std::fs;
use std::path::Path;
use std::process::Command;

const VIEWERS: [&str; 3] = ["bored", "gripped", "stressed"];
const SEEDS: [u64; 2] = [1, 7];
const FILES: [&str; 2] = ["decisions.jsonl", "summary.json"];

/// Where the first difference is, as a message a reviewer can act on.
fn first_difference(pinned: &str, now: &str) -> String {
    for (i, (a, b)) in pinned.lines().zip(now.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  pinned: {a}\n  now:    {b}", i + 1);
        }
    }
    format!(
        "the pinned file has {} lines, the screening {}",
        pinned.lines().count(),
        now.lines().count()
    )
}

fn screen(out: &Path, viewer: &str, seed: u64) {
    let o = Command::new(showrunner())
        .args([
            "screen",
            "--viewer",
            viewer,
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(out)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "screen --viewer {viewer} --seed {seed}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn screenings_match_their_pins_byte_for_byte() {
    let bless = std::env::var_os("SHOWRUNNER_BLESS_PINS").is_some();
    let pins = repo().join("tests/fixtures/pins");
    let mut failures = Vec::new();
    for viewer in VIEWERS {
        for seed in SEEDS {
            let dir = tempfile::tempdir().unwrap();
            screen(dir.path(), viewer, seed);
            let pin_dir = pins.join(format!("{viewer}-seed{seed}"));
            for file in FILES {
                let now = fs::read_to_string(dir.path().join(file)).unwrap();
                let pin = pin_dir.join(file);
                if bless {
                    fs::create_dir_all(&pin_dir).unwrap();
                    fs::write(&pin, &now).unwrap();
                    continue;
                }
                match fs::read_to_string(&pin) {
                    Ok(pinned) if pinned == now => {}
                    Ok(pinned) => failures.push(format!(
                        "{}: {}",
                        pin.display(),
                        first_difference(&pinned, &now)
                    )),
                    Err(e) => failures.push(format!("{}: {e}", pin.display())),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "screenings differ from their pins (if the change is meant, re-bless with \
         SHOWRUNNER_BLESS_PINS=1 and review the diff):\n{}",
        failures.join("\n")
    );
}
