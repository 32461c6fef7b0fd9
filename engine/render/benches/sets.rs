//! What each set costs (issue 21's measure), on lavapipe or any adapter, each set beside
//! the placeholder room (the box room every set replaced) in the same run:
//! - triangles and draw calls per eye, and the set's own texture memory (its images with
//!   their mip chains), against the Quest 3 budget in BENCHMARKS.md;
//! - frame CPU: `Renderer::render` (gathering instances, uniforms, encoding both eyes);
//! - frame time: render, submit and wait, both eyes at 640 × 360 each.
//!
//! Median and p99 of single frames.
//!
//! Run: `cargo bench -p showrunner-render --bench sets` (without `--bench`, as `cargo test`
//! runs it, two frames of two sets check it runs).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use showrunner_assets::sets::{load_sets, SAMPLE_SCENES};
use showrunner_core::Directive;
use showrunner_light::{LightEstimate, Sh9};
use showrunner_render::{wgpu, EyeView, FrameInputs, Gpu, Grade, RenderTarget, Renderer};
use showrunner_scene::glam::Vec3;
use showrunner_scene::Scene;

const SIZE: (u32, u32) = (640, 360);

/// Median and p99 of single timings, in milliseconds.
fn median_p99(v: &mut [Duration]) -> (f64, f64) {
    v.sort();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.99))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 40 } else { 2 };
    let gpu = Gpu::headless().expect("a GPU or Mesa's lavapipe");
    println!(
        "adapter: {} ({:?})",
        gpu.adapter.name, gpu.adapter.device_type
    );
    let t0 = Instant::now();
    let sets = load_sets(&[], true);
    println!(
        "sets built and loaded in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let mut r = Renderer::new(&gpu.device, &gpu.queue);
    let t0 = Instant::now();
    for m in &sets.models {
        r.add_model(m);
    }
    let mut all = HashSet::new();
    let bytes: usize = sets
        .models
        .iter()
        .flat_map(|m| {
            [
                &m.material.base_color,
                &m.material.normal,
                &m.material.metallic_roughness,
            ]
        })
        .flatten()
        .filter(|img| all.insert(img.key()))
        .map(|img| img.gpu_bytes())
        .sum();
    println!(
        "models uploaded in {:.2} s; every set's textures together: {:.1} MiB on the GPU ({} images)",
        t0.elapsed().as_secs_f64(),
        bytes as f64 / (1 << 20) as f64,
        all.len()
    );
    let target = RenderTarget::new(&gpu.device, SIZE.0, SIZE.1);
    let mut sh = Sh9::ambient(Vec3::splat(0.22));
    sh.add_directional(Vec3::new(-0.4, 1.0, 0.3), Vec3::new(1.2, 1.05, 0.9));
    let inputs = FrameInputs {
        eyes: EyeView::stereo(
            Vec3::new(0.0, 1.25, 0.6),
            Vec3::new(0.0, 1.0, -3.0),
            0.064,
            1.0,
            SIZE.0 as f32 / SIZE.1 as f32,
        ),
        light: LightEstimate {
            sh,
            ..LightEstimate::default()
        },
        sun: (Vec3::new(-0.4, -1.0, -0.3), Vec3::ONE),
        grade: Grade::default(),
    };
    let scenes: Vec<&str> = if full {
        std::iter::once("(placeholder)")
            .chain(SAMPLE_SCENES)
            .collect()
    } else {
        vec!["(placeholder)", "kitchen"]
    };
    println!(
        "| set | triangles / eye | draws / eye | textures (MiB) | frame CPU median / p99 (ms) | frame median / p99 (ms) | frame ÷ placeholder's (its median beside it) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut placeholder = Scene::new(sets.library.clone());
    placeholder.stage(&[Directive::Scene("(placeholder)".into())]);
    for scene in scenes {
        let mut s = Scene::new(sets.library.clone());
        s.stage(&[Directive::Scene(scene.into())]);
        // The set's own images, each once.
        let mut seen = HashSet::new();
        let tex: usize = sets
            .models
            .iter()
            .filter(|m| m.name.starts_with(&format!("{scene}/")))
            .flat_map(|m| {
                [
                    &m.material.base_color,
                    &m.material.normal,
                    &m.material.metallic_roughness,
                ]
            })
            .flatten()
            .filter(|img| seen.insert(img.key()))
            .map(|img| img.gpu_bytes())
            .sum();
        // Warm up: pipelines, the first upload of labels and instances.
        for _ in 0..2 {
            gpu.queue.submit([r.render(&s.world, &inputs, &target)]);
            let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
        }
        let stats = r.stats();
        let mut encodes: Vec<Duration> = (0..n)
            .map(|_| {
                let t0 = Instant::now();
                drop(r.render(&s.world, &inputs, &target));
                t0.elapsed()
            })
            .collect();
        let cpu = median_p99(&mut encodes);
        // Frames of the set and of the placeholder, alternating, so both see the same machine.
        let mut frame_of = |world: &showrunner_scene::hecs::World| {
            let t0 = Instant::now();
            gpu.queue.submit([r.render(world, &inputs, &target)]);
            let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
            t0.elapsed()
        };
        let (mut set_t, mut base_t) = (Vec::new(), Vec::new());
        for _ in 0..n {
            set_t.push(frame_of(&s.world));
            base_t.push(frame_of(&placeholder.world));
        }
        let frame = median_p99(&mut set_t);
        let base = median_p99(&mut base_t).0;
        println!(
            "| {scene} | {} | {} | {:.1} | {:.2} / {:.2} | {:.1} / {:.1} | {:.2} ({base:.1}) |",
            stats.triangles,
            stats.draws,
            tex as f64 / (1 << 20) as f64,
            cpu.0,
            cpu.1,
            frame.0,
            frame.1,
            frame.0 / base,
        );
    }
}
