//! The words' cost on the frame thread and the GPU (issue 20's measure), on lavapipe or any
//! adapter, each beside its baseline in the same run:
//! - a subtitle change: `Renderer::render` (encode) in a frame whose subtitle changed
//!   (typesetting, the mip chain, the texture upload queued) against the same call in a
//!   frame whose words did not change; the difference is the change's cost;
//! - the same in real time, the words set in the background (`set_words_in_background`):
//!   the frame thread's encode in the frames after a change, where the upload lands, against
//!   the other frames (issue 20's target for the frame: ≤ 0.5 ms per change);
//! - a frame with words (a subtitle and two labelled choice panels) against the same frame
//!   without them, rendered, submitted and waited for at 512 × 512 per eye.
//!
//! Median and p99 of single frames.
//!
//! Run: `cargo bench -p showrunner-render --bench text` (without `--bench`, as `cargo test`
//! runs it, a few frames check it runs).

use showrunner_core::Directive;
use showrunner_light::{LightEstimate, Sh9};
use showrunner_render::{wgpu, EyeView, FrameInputs, Gpu, Grade, RenderTarget, Renderer};
use showrunner_scene::captions::subtitle_system;
use showrunner_scene::choices::choice_panels_system;
use showrunner_scene::glam::Vec3;
use showrunner_scene::sets::SetLibrary;
use showrunner_scene::Scene;
use std::time::{Duration, Instant};

const SIZE: u32 = 512;
const HEAD: Vec3 = Vec3::new(0.0, 1.25, 0.6);
const LINES: [&str; 4] = [
    "MARA: Wind it every forty minutes. Miss one and she stops. A light that doesn't turn is a lie.",
    "The stair coils up the inside of the tower like the inside of a shell.",
    "MARA: Kittiwake, Carrow. I hear you. Go ahead.",
    "Salt on the glass. It halves the beam. We go out and wipe it.",
];

/// Median and p99 of `n` single calls of `f`, in nanoseconds.
fn percentiles(mut f: impl FnMut(), n: usize) -> (f64, f64) {
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed()
        })
        .collect();
    v.sort();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize].as_nanos() as f64;
    (at(0.5), at(0.99))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 200 } else { 4 };
    let gpu = Gpu::headless().expect("a GPU or Mesa's lavapipe");
    let mut r = Renderer::new(&gpu.device, &gpu.queue);
    let target = RenderTarget::new(&gpu.device, SIZE, SIZE);
    let mut scene = Scene::new(SetLibrary::builtin());
    let tags: Vec<Directive> = [
        "scene: lamp_room",
        "cast: keeper=mara",
        "cast: skipper=tomas",
    ]
    .iter()
    .filter_map(|t| Directive::parse(t).ok().flatten())
    .collect();
    scene.stage(&tags);
    let mut sh = Sh9::ambient(Vec3::splat(0.25));
    sh.add_directional(Vec3::new(-0.3, 1.0, 0.2), Vec3::splat(1.5));
    let inputs = FrameInputs {
        eyes: EyeView::stereo(HEAD, HEAD + Vec3::new(0.0, -0.12, -1.0), 0.064, 1.6, 1.0),
        light: LightEstimate {
            sh,
            ..LightEstimate::default()
        },
        sun: (Vec3::new(-0.4, -1.0, -0.3), Vec3::splat(1.2)),
        grade: Grade::default(),
    };
    let wait = |gpu: &Gpu| {
        let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
    };
    let frame = |r: &mut Renderer, scene: &Scene| {
        gpu.queue.submit([r.render(&scene.world, &inputs, &target)]);
        wait(&gpu);
    };
    // Without words.
    let bare = percentiles(|| frame(&mut r, &scene), n);
    // With a subtitle and two labelled panels, words unchanged.
    let offered = [
        "Go down to the slip".to_owned(),
        "Stay with the light".to_owned(),
    ];
    choice_panels_system(&mut scene.world, &offered, &[], None, HEAD, None);
    subtitle_system(&mut scene.world, LINES[0], HEAD, Vec3::NEG_Z, 0.0);
    let worded = percentiles(|| frame(&mut r, &scene), n);
    // The frame thread's encode (`render`, where typesetting and the upload happen) with the
    // words unchanged, against frames whose subtitle changed; each frame is waited for
    // outside the timing.
    let encode = |r: &mut Renderer, scene: &Scene| {
        let t0 = Instant::now();
        let cmd = r.render(&scene.world, &inputs, &target);
        let took = t0.elapsed();
        gpu.queue.submit([cmd]);
        wait(&gpu);
        took
    };
    let pct = |mut v: Vec<Duration>| {
        v.sort();
        let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize].as_nanos() as f64;
        (at(0.5), at(0.99))
    };
    // A first frame with the words, outside the timing (the pipelines' first use).
    frame(&mut r, &scene);
    let (mut same, mut changed) = (Vec::new(), Vec::new());
    for k in 0..n {
        // Interleaved, so a slow patch of the machine hits both.
        same.push(encode(&mut r, &scene));
        subtitle_system(
            &mut scene.world,
            LINES[(k + 1) % LINES.len()],
            HEAD,
            Vec3::NEG_Z,
            0.0,
        );
        changed.push(encode(&mut r, &scene));
    }
    let (steady, changing) = (pct(same), pct(changed));
    // Real time: the words set in the background; a change every 10th frame, frames 11 ms
    // apart as at 90 Hz; the frame thread's encode in every frame, against frames with no
    // change in the same run.
    r.set_words_in_background(true);
    let (mut calm, mut busy) = (Vec::new(), Vec::new());
    for k in 0..n * 5 {
        if k % 10 == 0 {
            subtitle_system(
                &mut scene.world,
                LINES[(k / 10) % LINES.len()],
                HEAD,
                Vec3::NEG_Z,
                0.0,
            );
        }
        let took = encode(&mut r, &scene);
        // The frame that sent the job and the few after it (the upload lands in one of them).
        if k % 10 < 4 {
            busy.push(took);
        } else {
            calm.push(took);
        }
        std::thread::sleep(Duration::from_millis(11));
    }
    let (calm, busy) = (pct(calm), pct(busy));
    let ms = |ns: f64| ns / 1e6;
    println!(
        "{} x {SIZE} per eye, {n} frames each, {}",
        SIZE, gpu.adapter.name
    );
    println!(
        "frame without words      median {:.2} ms  p99 {:.2} ms",
        ms(bare.0),
        ms(bare.1)
    );
    println!(
        "frame with 3 labels      median {:.2} ms  p99 {:.2} ms   ratio {:.2}x / {:.2}x",
        ms(worded.0),
        ms(worded.1),
        worded.0 / bare.0,
        worded.1 / bare.1
    );
    println!("in the frame (offline):");
    println!(
        "encode, words unchanged  median {:.3} ms  p99 {:.3} ms",
        ms(steady.0),
        ms(steady.1)
    );
    println!(
        "encode, subtitle changed median {:.3} ms  p99 {:.3} ms   (the change: {:.3} ms median, {:.3} ms p99)",
        ms(changing.0),
        ms(changing.1),
        ms(changing.0 - steady.0),
        ms(changing.1 - steady.1)
    );
    println!("in the background (real time, a change every 10th frame at 90 Hz):");
    println!(
        "encode, frames after a change  median {:.3} ms  p99 {:.3} ms   (other frames: {:.3} / {:.3} ms)",
        ms(busy.0),
        ms(busy.1),
        ms(calm.0),
        ms(calm.1)
    );
}
