//! Compile time of a story, source → a story the runtime plays (ink JSON, checked by bladeink),
//! here (the patched bladeink-compiler) and with inkjs 2.4's compiler (node, the reference
//! Inky uses), in one run, on the sample story.
//!
//! Run: `cargo bench -p showrunner-story --bench compile` (needs node and `npm ci` in
//! `tests/inkjs`, which `scripts/setup.sh --tests` does). Without `--bench` (as `cargo test`
//! runs it) it compiles the sample once and stops.

use showrunner_story::compile_source;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sample = repo.join("assets/stories/lighthouse.ink");
    let runs = if full { 40 } else { 1 };
    let src = std::fs::read_to_string(&sample).expect("the sample story");
    let dir = sample.parent().unwrap();
    let mut times: Vec<Duration> = (0..runs + runs / 5)
        .map(|_| {
            let t0 = Instant::now();
            compile_source(&src, "lighthouse.ink", dir).expect("it compiles");
            t0.elapsed()
        })
        .skip(runs / 5)
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |p: f64| ms(times[((times.len() - 1) as f64 * p).round() as usize]);
    println!(
        "sample, bladeink-compiler (patched): median {:.2} ms  p99 {:.2} ms  ({runs} runs, {} bytes of ink)",
        at(0.5),
        at(0.99),
        src.len()
    );
    if !full {
        return;
    }
    let node = Command::new("node")
        .arg(repo.join("tests/inkjs/compile_time.js"))
        .arg(&sample)
        .arg(runs.to_string())
        .output();
    match node {
        Ok(o) if o.status.success() => {
            let v: serde_json::Value =
                serde_json::from_slice(&o.stdout).expect("compile_time.js prints JSON");
            let (m, p) = (
                v["median_ms"].as_f64().unwrap(),
                v["p99_ms"].as_f64().unwrap(),
            );
            println!("sample, inkjs 2.4 (node):            median {m:.2} ms  p99 {p:.2} ms");
            println!(
                "ratio (ours / inkjs):               median {:.2}x  p99 {:.2}x",
                at(0.5) / m,
                at(0.99) / p
            );
        }
        Ok(o) => println!(
            "inkjs not measured: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => println!("inkjs not measured: node: {e}"),
    }
}
