//! Typesetting one subtitle change (shaping, wrapping, rasterising and compositing the
//! block) and one choice label, against the baseline of copying an already typeset
//! subtitle block (what a change costs beyond moving its pixels), in the same run.
//! Median and p99 of single calls, glyph cache warm as in a film after its first lines.
//! Issue 20's target, with the upload (`cargo bench -p showrunner-render --bench text`):
//! ≤ 0.5 ms per subtitle change.
//!
//! Run: `cargo bench -p showrunner-text --bench typeset` (without `--bench`, as `cargo
//! test` runs it, a few calls check it runs).

use std::hint::black_box;
use std::time::{Duration, Instant};

use showrunner_text::{Look, Typesetter};

const LINES: [&str; 4] = [
    "MARA: Wind it every forty minutes. Miss one and she stops. A light that doesn't turn is a lie.",
    "The stair coils up the inside of the tower like the inside of a shell.",
    "MARA: Kittiwake, Carrow. I hear you. Go ahead.",
    "Salt on the glass. It halves the beam. We go out and wipe it.",
];

fn time(n: usize, mut f: impl FnMut(usize)) -> (Duration, Duration) {
    let mut v: Vec<Duration> = (0..n)
        .map(|k| {
            let t0 = Instant::now();
            f(k);
            t0.elapsed()
        })
        .collect();
    v.sort();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 2000 } else { 8 };
    let mut t = Typesetter::new();
    for l in LINES {
        t.set(l, &Look::SUBTITLE);
    }
    let block = t.set(LINES[0], &Look::SUBTITLE);
    let sub = time(n, |k| {
        black_box(t.set(black_box(LINES[k % LINES.len()]), &Look::SUBTITLE));
    });
    let label = time(n, |_| {
        black_box(t.set(black_box("Go down to the slip yourself"), &Look::PANEL));
    });
    let copy = time(n, |_| {
        black_box(black_box(&block).rgba.clone());
    });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{n} calls each; subtitle block {} x {} texels",
        block.width, block.height
    );
    for (name, (m, p)) in [
        ("subtitle change (typeset)", sub),
        ("choice label (typeset)   ", label),
        ("baseline: copy the block ", copy),
    ] {
        println!("{name}  median {:.3} ms  p99 {:.3} ms", ms(m), ms(p));
    }
    println!(
        "ratio subtitle/baseline   median {:.1}x  p99 {:.1}x",
        sub.0.as_secs_f64() / copy.0.as_secs_f64(),
        sub.1.as_secs_f64() / copy.1.as_secs_f64()
    );
}
