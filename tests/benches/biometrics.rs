//! Frame-thread costs of the heart path: decoding a strap notification,
//! feeding it to the estimator, sampling the estimate once per frame, and
//! draining the source link — each beside a baseline measured in the same run.
//!
//! Run: `cargo bench -p showrunner-tests --bench biometrics`

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, Criterion};
use showrunner_biometrics::event::SensorEvent;
use showrunner_biometrics::hrm;
use showrunner_biometrics::sim::{HeartProfile, SimConfig, SimStrap};
use showrunner_biometrics::{Estimator, EstimatorConfig, SensorLink};
use showrunner_core::EngagementSample;
use showrunner_tests::percentiles;
use std::time::Duration;

/// A Polar-H10-like notification: HR u8, contact detected, two RR intervals.
const PACKET: [u8; 6] = [0x16, 72, 0x55, 0x03, 0x60, 0x03];

/// An hour of simulated readings, and an estimator warmed up on the first 10 minutes.
fn setup() -> (Vec<SensorEvent>, Estimator, usize) {
    let events: Vec<_> = SimStrap::new(SimConfig::new(HeartProfile::Gripped, 1))
        .take_while(|e| e.t < 3600.0)
        .collect();
    let mut est = Estimator::new(EstimatorConfig::default());
    let warm = events.iter().take_while(|e| e.t < 600.0).count();
    for e in &events[..warm] {
        est.push(e);
    }
    (events, est, warm)
}

fn benches(c: &mut Criterion) {
    c.bench_function("decode 0x2A37", |b| {
        b.iter(|| black_box(hrm::decode(black_box(&PACKET))))
    });
    let (events, est, warm) = setup();
    let mut i = warm;
    let mut e2 = est.clone();
    c.bench_function("estimator push (one reading)", |b| {
        b.iter(|| {
            e2.push(&events[i]);
            i += 1;
            if i == events.len() {
                i = warm;
                e2 = est.clone();
            }
        })
    });
    let t = events[warm].t;
    c.bench_function("estimator sample (per frame)", |b| {
        b.iter(|| black_box(est.sample(black_box(t))))
    });
}

fn tail_latencies() {
    let n = 200_000;
    let (events, est, warm) = setup();
    let base_copy = percentiles(|| drop(black_box(black_box(PACKET).to_vec())), n);
    let decode = percentiles(|| drop(black_box(hrm::decode(black_box(&PACKET)))), n);
    let mut e2 = est.clone();
    let mut i = warm;
    let push = percentiles(
        || {
            e2.push(&events[i]);
            i += 1;
            if i == events.len() {
                i = warm;
            }
        },
        events.len() - warm - 1,
    );
    let t = events[warm].t;
    let sanitize = percentiles(
        || {
            black_box(EngagementSample::neutral(black_box(t)).sanitized());
        },
        n,
    );
    let sample = percentiles(
        || {
            black_box(est.sample(black_box(t)));
        },
        n,
    );
    let link = SensorLink::spawn("idle", |p| {
        p.sleep(Duration::from_secs(3600));
    })
    .unwrap();
    let drain = percentiles(
        || {
            black_box(link.drain(|e| drop(black_box(e))));
        },
        n,
    );
    link.close();
    println!("\nsingle-call latencies of the heart path (ns):");
    println!("| what | median | p99 | baseline | ratio of medians | ratio of p99 |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, (m, p): (f64, f64), bname: &str, (bm, bp): (f64, f64)| {
        println!(
            "| {name} | {m:.0} | {p:.0} | {bname} | {:.1}× | {:.1}× |",
            m / bm.max(1.0),
            p / bp.max(1.0)
        );
    };
    row(
        "decode 0x2A37 (6 bytes)",
        decode,
        "copy the 6 bytes to a Vec",
        base_copy,
    );
    row(
        "estimator push (one reading)",
        push,
        "decode 0x2A37",
        decode,
    );
    row(
        "estimator sample (per frame)",
        sample,
        "EngagementSample::sanitized",
        sanitize,
    );
    row(
        "link drain, nothing waiting",
        drain,
        "EngagementSample::sanitized",
        sanitize,
    );
}

criterion_group! {
    name = group;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = benches
}

fn main() {
    group();
    tail_latencies();
    Criterion::default().final_summary();
}
