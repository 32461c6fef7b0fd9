//! CPU cost of updating the staged scene each frame (staging, animation,
//! physics) for 1,000 entities and 200 rigid bodies, all awake and
//! colliding: the worst case, plus encoding both eyes of the frame on the CPU
//! (excluding GPU execution; the device is lavapipe here, any GPU elsewhere).
//! Issue 4's targets: update + stereo encode p99 ≤ 2 ms, physics alone p99 ≤ 1 ms.
//!
//! Run: `cargo bench -p showrunner-tests --bench scene`

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, Criterion};
use showrunner_core::Directive;
use showrunner_scene::animation::{gesture_system, locomotion_system};
use showrunner_scene::components::{Material, Transform};
use showrunner_scene::glam::Vec3;
use showrunner_scene::hecs::World;
use showrunner_scene::physics::{physics_system, spawn_prop, PhysicsContext};
use showrunner_scene::sets::SetLibrary;
use showrunner_scene::staging::{staging_system, Stage};
use std::time::{Duration, Instant};

const DT: f32 = 1.0 / 90.0;

struct Scene {
    world: World,
    stage: Stage,
    physics: PhysicsContext,
}

/// The lamp room, 20 characters, 200 boxes falling onto each other, and
/// static dressing up to 1,000 entities.
fn scene() -> Scene {
    let mut world = World::new();
    let mut stage = Stage::default();
    let mut physics = PhysicsContext::new();
    let lib = SetLibrary::builtin();
    let mut tags = vec!["scene: lamp_room".to_owned()];
    tags.extend((0..20).map(|i| format!("cast: role{i}=actor{i}")));
    let ds: Vec<Directive> = tags
        .iter()
        .filter_map(|t| Directive::parse(t).unwrap())
        .collect();
    staging_system(&mut world, &mut stage, &mut physics, &lib, &ds);
    for i in 0..200 {
        let (x, z, y) = (
            (i % 10) as f32 * 0.45 - 2.0,
            ((i / 10) % 5) as f32 * 0.45 - 4.0,
            0.5 + (i / 50) as f32 * 0.5,
        );
        spawn_prop(
            &mut world,
            &mut physics,
            "crate",
            Material::default(),
            Vec3::splat(0.15),
            Vec3::new(x, y, z),
            Vec3::new(0.3, 0.0, -0.2),
        );
    }
    while world.len() < 1000 {
        world.spawn((
            Transform::at(Vec3::new(0.0, 3.0, -6.0)),
            Material::default(),
        ));
    }
    Scene {
        world,
        stage,
        physics,
    }
}

fn frame(s: &mut Scene, t: f32) -> u32 {
    locomotion_system(&mut s.world, DT, Vec3::ZERO);
    gesture_system(&mut s.world, t, s.stage.intensity);
    physics_system(&mut s.world, &mut s.physics, DT)
}

fn benches(c: &mut Criterion) {
    let mut s = scene();
    let mut t = 0.0;
    c.bench_function("scene update (1,000 entities, 200 bodies)", |b| {
        b.iter(|| {
            t += DT;
            black_box(frame(&mut s, t));
        })
    });
}

/// Median and p99 over the first 3 s of fresh scenes (boxes falling and piling).
fn tail(f: impl Fn(&mut Scene, f32), runs: usize) -> (f64, f64) {
    let mut times = Vec::new();
    for _ in 0..runs {
        let mut s = scene();
        for k in 0..270 {
            let t0 = Instant::now();
            f(&mut s, k as f32 * DT);
            times.push(t0.elapsed());
        }
    }
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    (
        us(times[times.len() / 2]),
        us(times[times.len() * 99 / 100]),
    )
}

fn tail_latencies() {
    let runs = 6;
    let gpu = showrunner_render::Gpu::headless().expect("a GPU or lavapipe");
    let renderer =
        std::cell::RefCell::new(showrunner_render::Renderer::new(&gpu.device, &gpu.queue));
    let target = showrunner_render::RenderTarget::new(&gpu.device, 256, 256);
    let inputs = showrunner_render::FrameInputs {
        eyes: showrunner_render::EyeView::stereo(
            Vec3::new(0.0, 1.6, 0.5),
            Vec3::new(0.0, 1.0, -2.5),
            0.064,
            1.4,
            1.0,
        ),
        light: showrunner_light::LightEstimate::default(),
        sun: (Vec3::new(-0.4, -1.0, -0.3), Vec3::ONE),
        grade: showrunner_render::Grade::default(),
    };
    // Update + encode, timed together; submitting (and, every 30 frames,
    // waiting for lavapipe to catch up) happens outside the timed span: GPU
    // execution is not CPU frame cost.
    let mut ue = Vec::new();
    for _ in 0..runs {
        let mut s = scene();
        for k in 0..270 {
            let t0 = Instant::now();
            black_box(frame(&mut s, k as f32 * DT));
            let cmd = renderer.borrow_mut().render(&s.world, &inputs, &target);
            ue.push(t0.elapsed());
            gpu.queue.submit([cmd]);
            if k % 30 == 29 {
                let _ = gpu.device.poll(wgpu_poll());
            }
        }
    }
    ue.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let update_encode = (us(ue[ue.len() / 2]), us(ue[ue.len() * 99 / 100]));
    let touch = tail(
        |s, _| {
            for t in s.world.query_mut::<&mut Transform>() {
                t.translation.y += 0.0;
                black_box(t);
            }
        },
        runs,
    );
    let physics = tail(
        |s, _| {
            black_box(physics_system(&mut s.world, &mut s.physics, DT));
        },
        runs,
    );
    let update = tail(
        |s, t| {
            black_box(frame(s, t));
        },
        runs,
    );
    println!("\nper-frame CPU cost, 90 Hz, first 3 s of 6 fresh scenes (µs):");
    println!("| what | median | p99 | baseline | ratio of medians | ratio of p99 |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, (m, p): (f64, f64), bname: &str, (bm, bp): (f64, f64)| {
        println!(
            "| {name} | {m:.1} | {p:.1} | {bname} | {:.1}× | {:.1}× |",
            m / bm,
            p / bp
        );
    };
    row(
        "physics (fixed 120 Hz steps + interpolation)",
        physics,
        "touch every Transform",
        touch,
    );
    row(
        "scene update (animation + physics)",
        update,
        "touch every Transform",
        touch,
    );
    row(
        "scene update + stereo encode (CPU)",
        update_encode,
        "scene update",
        update,
    );
}

fn wgpu_poll() -> showrunner_render::wgpu::PollType {
    showrunner_render::wgpu::PollType::wait_indefinitely()
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
