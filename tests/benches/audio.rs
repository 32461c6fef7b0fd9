//! Frame-thread cost of the sound each frame: `audio_system` with 64
//! emitters (characters walking in circles, so every emitter moves and steps
//! every frame: the worst case), the listener on a turning head, and the
//! score's levels following a changing intensity. The mixer runs on its own
//! thread (the silent output; a sound card's callback thread alike) and
//! competes for the same 2 cores. Issue 7's target: p99 ≤ 0.2 ms.
//!
//! Run: `cargo bench -p showrunner-tests --bench audio`

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, Criterion};
use showrunner_audio::testing::{character, tone_library};
use showrunner_audio::{audio_system, AudioContext, AudioFrame, Output};
use showrunner_core::EngagementSample;
use showrunner_scene::components::{Pose, Transform};
use showrunner_scene::glam::{Quat, Vec3};
use showrunner_scene::hecs::World;
use std::time::Instant;

const EMITTERS: usize = 64;
const DT: f32 = 1.0 / 90.0;

fn world() -> World {
    let mut w = World::new();
    for i in 0..EMITTERS {
        character(
            &mut w,
            &format!("c{i}"),
            Vec3::new(i as f32 * 0.1, 0.0, -3.0),
        );
    }
    w
}

/// Moves every character along its circle and advances its stride.
fn walk(world: &mut World, t: f32) {
    for (k, (tr, pose)) in world
        .query_mut::<(&mut Transform, &mut Pose)>()
        .into_iter()
        .enumerate()
    {
        let a = t * 0.5 + k as f32 * 0.1;
        tr.translation = Vec3::new(3.0 * a.cos(), 0.0, 3.0 * a.sin());
        pose.stride_phase = t * 9.0 + k as f32;
    }
}

fn frame(t: f32) -> AudioFrame {
    AudioFrame {
        dt: DT,
        head: (Vec3::new(0.0, 1.6, 0.0), Quat::from_rotation_y(t * 0.7)),
        intensity: 0.5 + 0.5 * (t * 0.3).sin(),
        engagement: EngagementSample::neutral(f64::from(t)),
    }
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() * 99 / 100])
}

fn bench(c: &mut Criterion) {
    let mut lib = tone_library();
    lib.sfx.insert(
        "footstep".into(),
        showrunner_audio::testing::tone(300.0, 0.05, 0.3),
    );
    let (mut audio, _) = AudioContext::new(lib, Output::Silent).unwrap();
    let mut w = world();
    let mut t = 0.0f32;
    c.bench_function("audio_system, 64 moving emitters", |b| {
        b.iter(|| {
            t += DT;
            walk(&mut w, t);
            audio_system(&w, &mut audio, &frame(t), &[]);
            black_box(&audio);
        })
    });
    c.bench_function("baseline: walk only", |b| {
        b.iter(|| {
            t += DT;
            walk(&mut w, t);
            black_box(&w);
        })
    });

    // Single frames, timed one by one, at 90 Hz pace so the mixer thread
    // keeps up as it would in the headset: 20 s of frames.
    let frames = 1800;
    let mut with_audio = Vec::with_capacity(frames);
    let mut walk_only = Vec::with_capacity(frames);
    for k in 0..frames {
        t += DT;
        let s = Instant::now();
        walk(&mut w, t);
        walk_only.push(s.elapsed().as_secs_f64() * 1e6);
        let f = frame(t);
        let s = Instant::now();
        audio_system(&w, &mut audio, &f, &[]);
        with_audio.push(s.elapsed().as_secs_f64() * 1e6);
        if k % 9 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    let (m, p) = percentiles(with_audio);
    let (bm, bp) = percentiles(walk_only);
    println!("\nper-frame cost on the frame thread, {frames} frames (µs), {} emitters, mixer thread running:", audio.stats().emitters);
    println!("| what | median | p99 | baseline | ratio of medians | ratio of p99 |");
    println!("|---|---|---|---|---|---|");
    println!("| audio_system | {m:.1} | {p:.1} | moving the 64 characters ({bm:.1} / {bp:.1}) | {:.1}× | {:.1}× |", m / bm, p / bp);

    // The mixer's side (the sound card's thread, not the frame's): rendering
    // 10 ms blocks through the capture backend with 64 emitters standing,
    // asleep (silent) and all sounding at once, against no emitters at all.
    let mixer = |emitters: usize, sounding: bool| -> (f64, f64) {
        let mut lib = tone_library();
        lib.stems = Default::default();
        let (mut audio, _) = AudioContext::new(lib, Output::Capture).unwrap();
        let mut w = World::new();
        for i in 0..emitters {
            let a = i as f32 * 0.1;
            character(
                &mut w,
                &format!("c{i}"),
                Vec3::new(3.0 * a.cos(), 0.0, 3.0 * a.sin()),
            );
        }
        let f = frame(0.0);
        audio_system(&w, &mut audio, &f, &[]);
        if sounding {
            for i in 0..emitters {
                audio.cue(&w, "tone", Some(&format!("c{i}")), "bench");
            }
        }
        let mut buf = vec![0.0f32; 2 * 480];
        let mut times = Vec::with_capacity(300);
        // 3 s of 10 ms blocks (the tone lasts 4 s: all sound throughout).
        for _ in 0..300 {
            let s = Instant::now();
            audio.render(&mut buf);
            times.push(s.elapsed().as_secs_f64() * 1e6);
            black_box(&buf);
        }
        percentiles(times)
    };
    let (b_m, b_p) = mixer(0, false);
    let (a_m, a_p) = mixer(EMITTERS, false);
    let (s_m, s_p) = mixer(EMITTERS, true);
    println!("\nmixer cost per 10 ms block (µs), capture backend:");
    println!("| what | median | p99 | ratio of medians to baseline | ratio of p99 |");
    println!("|---|---|---|---|---|");
    println!("| no emitters (baseline: score tracks, buses, compressor) | {b_m:.1} | {b_p:.1} | 1× | 1× |");
    println!(
        "| 64 emitters asleep | {a_m:.1} | {a_p:.1} | {:.2}× | {:.2}× |",
        a_m / b_m,
        a_p / b_p
    );
    println!(
        "| 64 emitters sounding | {s_m:.1} | {s_p:.1} | {:.1}× | {:.1}× |",
        s_m / b_m,
        s_p / b_p
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
