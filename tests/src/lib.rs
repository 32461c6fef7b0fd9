//! Helpers shared by the integration tests: where the repository and the
//! `showrunner` binary are.

use std::path::PathBuf;

/// The repository root (`SHOWRUNNER_REPO` when a test runs somewhere the
/// checkout is not, e.g. inside the Monado root).
pub fn repo() -> PathBuf {
    if let Some(r) = std::env::var_os("SHOWRUNNER_REPO") {
        return r.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `showrunner` binary, built by cargo before the tests run (`.ci/run` builds it with the
/// README's first command; alone, run `cargo build -p showrunner` first).
/// `SHOWRUNNER_BIN` overrides it (tests run inside the Monado root).
pub fn showrunner() -> PathBuf {
    if let Some(b) = std::env::var_os("SHOWRUNNER_BIN") {
        return b.into();
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/test-binary → target/<profile>/showrunner
    let bin = exe.parent().unwrap().parent().unwrap().join("showrunner");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p showrunner` first (`bash .ci/run` does)",
        bin.display()
    );
    bin
}

/// Where `play` keeps its saves during the tests (`SHOWRUNNER_STATE_DIR`), so no test writes
/// into the user's state folder: one per test process.
pub fn state_dir() -> PathBuf {
    std::env::temp_dir().join(format!("showrunner-test-state-{}", std::process::id()))
}

/// A generated ink story of `knots` knots for benchmarks: each knot has three
/// tagged lines and a three-way choice with stakes and intensity tags; the
/// last knots end; every 100th knot is a high-stakes interlude.
pub fn generated_story(knots: usize) -> String {
    let mut s = String::from("VAR arousal = 0.0\nVAR boredom = 0.0\n-> k0\n");
    for k in 0..knots {
        if k % 100 == 99 {
            s += &format!("=== k{k} ===\nA wave hits, number {k}. # stakes: high # intensity: 0.9\nIt passes. # shot: 4\n-> DONE\n");
            continue;
        }
        let next = |d: usize| {
            let mut n = k + d;
            while n % 100 == 99 {
                n += 1;
            }
            if n >= knots {
                "END".to_string()
            } else {
                format!("k{n}")
            }
        };
        s += &format!(
            "=== k{k} ===\nKnot {k} opens on the quay. # scene: s{scene} # palette: dusk\nThe light turns, {k} times. # shot: 3 # intensity: 0.{i}\n{{boredom > 0.5: Someone yawns.|Nobody moves.}}\n\
             * [Go on # stakes: high # intensity: 0.8] -> {a}\n* [Wait # stakes: low] -> {b}\n* [Look back # intensity: 0.5] -> {c}\n",
            scene = k % 7,
            i = k % 10,
            a = next(1),
            b = next(2),
            c = next(3),
        );
    }
    s
}

/// Median and p99 of single calls of `f`, in nanoseconds (after a warm-up of
/// `n / 10` calls), for the benchmarks' tail-latency tables.
pub fn percentiles(mut f: impl FnMut(), n: usize) -> (f64, f64) {
    use std::time::{Duration, Instant};
    for _ in 0..n / 10 {
        f();
    }
    let mut t: Vec<Duration> = (0..n)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    let ns = |d: Duration| d.as_nanos() as f64;
    (ns(t[n / 2]), ns(t[n * 99 / 100]))
}
