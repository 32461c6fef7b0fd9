//! What acting actors cost (issue 21, item 3), each figure beside its baseline in the same
//! run:
//! - CPU, per frame: `skinning_system` for the sample's five actors (clips sampled and
//!   blended, the gesture pose, joint palettes), against the procedural animation every
//!   character already had (`locomotion_system` + `gesture_system`);
//! - GPU, per frame: the lamp room with the five skinned actors, against the same room with
//!   the five rigid stand-in figures they replaced, both eyes at 640 × 360 each (render,
//!   submit, wait: lavapipe here, any adapter elsewhere).
//!
//! Median and p99 of single frames.
//!
//! Run: `cargo bench -p showrunner-render --bench actors` (without `--bench`, as `cargo test`
//! runs it, a few frames check it runs).

use std::time::{Duration, Instant};

use showrunner_assets::actors::{load_cast, SAMPLE_CAST};
use showrunner_assets::sets::load_sets;
use showrunner_core::Directive;
use showrunner_light::{LightEstimate, Sh9};
use showrunner_render::{wgpu, EyeView, FrameInputs, Gpu, Grade, RenderTarget, Renderer};
use showrunner_scene::animation::{gesture_system, locomotion_system};
use showrunner_scene::glam::Vec3;
use showrunner_scene::rig::skinning_system;
use showrunner_scene::sets::SetLibrary;
use showrunner_scene::Scene;

const SIZE: (u32, u32) = (640, 360);
const DT: f32 = 1.0 / 90.0;

/// Median and p99 of single timings, in microseconds.
fn median_p99(v: &mut [Duration]) -> (f64, f64) {
    v.sort();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}

/// The lamp room with the five on their marks, played for two seconds.
fn staged(library: SetLibrary) -> Scene {
    let mut scene = Scene::new(library);
    let mut tags = vec!["scene: lamp_room".to_owned()];
    tags.extend(
        SAMPLE_CAST
            .iter()
            .enumerate()
            .map(|(i, a)| format!("cast: role{i}={a}")),
    );
    let ds: Vec<Directive> = tags
        .iter()
        .filter_map(|t| Directive::parse(t).unwrap())
        .collect();
    scene.stage(&ds);
    scene.speak("MARA: Wind it every forty minutes.");
    let mut clock = 0.0;
    scene.advance(2.0, DT, &mut clock);
    scene
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 2000 } else { 5 };
    let frames = if full { 40 } else { 2 };
    let sets = load_sets(&[], true);
    let cast: Vec<String> = SAMPLE_CAST.iter().map(|s| (*s).to_owned()).collect();
    let t0 = Instant::now();
    let actors = load_cast(&cast, &[], &[], true).expect("the project's figures");
    let vertices: usize = actors.models.iter().map(|m| m.mesh.vertices.len()).sum();
    println!(
        "five actors built in {:.0} ms: {vertices} skinned vertices, {} joints each",
        t0.elapsed().as_secs_f64() * 1e3,
        actors.performers[0]
            .1
            .rig
            .as_ref()
            .map_or(0, |r| r.joints.len())
    );
    let mut library = sets.library.clone();
    for (a, p) in &actors.performers {
        library.cast(a, p.clone());
    }
    let mut acting = staged(library);
    let stand_ins = staged(sets.library.clone());

    // CPU: the skinning system against the animation every character already had.
    let (mut skin_t, mut base_t) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for k in 0..n {
        let t = 2.0 + k as f32 * DT;
        let t0 = Instant::now();
        locomotion_system(&mut acting.world, DT, Vec3::ZERO);
        gesture_system(&mut acting.world, t, 0.5);
        base_t.push(t0.elapsed());
        let t0 = Instant::now();
        skinning_system(&mut acting.world, 0.5, DT);
        skin_t.push(t0.elapsed());
    }
    let (sm, sp) = median_p99(&mut skin_t);
    let (bm, bp) = median_p99(&mut base_t);
    println!(
        "CPU  skinning, 5 actors      median {sm:7.1} µs  p99 {sp:7.1} µs  ({:.1}× locomotion + gesture: {bm:.1} / {bp:.1} µs)",
        sm / bm.max(1e-3)
    );

    // GPU: the room with five skinned actors against the five rigid stand-ins.
    let gpu = Gpu::headless().expect("a GPU or Mesa's lavapipe");
    println!(
        "adapter: {} ({:?})",
        gpu.adapter.name, gpu.adapter.device_type
    );
    let mut r = Renderer::new(&gpu.device, &gpu.queue);
    for m in sets.models.iter().chain(&actors.models) {
        r.add_model(m);
    }
    let target = RenderTarget::new(&gpu.device, SIZE.0, SIZE.1);
    let mut sh = Sh9::ambient(Vec3::splat(0.3));
    sh.add_directional(Vec3::new(-0.3, 1.0, 0.2), Vec3::splat(1.2));
    let eyes = EyeView::stereo(
        Vec3::new(0.0, 1.6, 0.5),
        Vec3::new(0.0, 1.2, -3.0),
        0.064,
        1.2,
        SIZE.0 as f32 / SIZE.1 as f32,
    );
    let inputs = FrameInputs {
        eyes,
        light: LightEstimate {
            sh,
            ..LightEstimate::default()
        },
        sun: (Vec3::new(-0.4, -1.0, -0.3), Vec3::splat(1.0)),
        grade: Grade::default(),
    };
    let mut time = |scene: &Scene| {
        let mut v = Vec::with_capacity(frames);
        for _ in 0..frames + 2 {
            let t0 = Instant::now();
            let cmd = r.render(&scene.world, &inputs, &target);
            gpu.queue.submit([cmd]);
            let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
            v.push(t0.elapsed());
        }
        v.drain(..2); // first frames upload
        let stats = r.stats();
        (median_p99(&mut v), stats.triangles, stats.draws)
    };
    let ((am, ap), at, ad) = time(&acting);
    let ((bm, bp), bt, bd) = time(&stand_ins);
    println!(
        "GPU  lamp room, 5 skinned    median {:7.1} ms  p99 {:7.1} ms  {at} triangles, {ad} draws per eye",
        am / 1e3,
        ap / 1e3
    );
    println!(
        "GPU  lamp room, 5 stand-ins  median {:7.1} ms  p99 {:7.1} ms  {bt} triangles, {bd} draws per eye  (skinned {:.2}×)",
        bm / 1e3,
        bp / 1e3,
        am / bm.max(1e-3)
    );
    println!(
        "per 1,000 skinned vertices: CPU {:.2} µs (palettes, not per vertex), frame {:+.2} ms (both eyes and the shadow pass, against the stand-ins)",
        sm / (vertices as f64 / 1e3),
        (am - bm) / 1e3 / (vertices as f64 / 1e3)
    );
}
