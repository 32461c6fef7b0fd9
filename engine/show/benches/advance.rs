//! `Show::advance` per frame with 1,000 entities and 200 rigid bodies (the sample story staged,
//! its cast on stage, 200 crates falling onto each other, static dressing up to 1,000), at
//! 90 Hz with a pointer and a gaze, against the scene's own step (`Scene::step`: locomotion,
//! gestures, physics; the work every frame did before the show was one thing) on the same
//! scenes in the same run. Median and p99 of single frames over the first 3 s of fresh scenes
//! (the pile falling, as `tests/benches/scene.rs` times it). Issue 18's target: p99 ≤ 1 ms.
//!
//! Run: `cargo bench -p showrunner-show --bench advance` (without `--bench`, as `cargo test`
//! runs it, it plays a few frames and checks they run).

use showrunner_core::EngagementSample;
use showrunner_director::DirectorConfig;
use showrunner_scene::components::{Material, Transform};
use showrunner_scene::glam::Vec3;
use showrunner_scene::physics::spawn_prop;
use showrunner_scene::sets::SetLibrary;
use showrunner_show::{Show, ViewerInput};
use showrunner_story::compile_source;
use std::path::Path;
use std::time::{Duration, Instant};

const DT: f64 = 1.0 / 90.0;

type Neutral = fn(f64, f32) -> EngagementSample;

fn neutral(t: f64, _: f32) -> EngagementSample {
    EngagementSample::neutral(t)
}

fn show() -> Show<Neutral> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/stories");
    let src = std::fs::read_to_string(root.join("lighthouse.ink")).expect("the sample story");
    let story = compile_source(&src, "assets/stories/lighthouse.ink", &root).expect("it compiles");
    let mut show = Show::new(
        &story,
        1,
        DirectorConfig::default(),
        SetLibrary::builtin(),
        neutral as Neutral,
    )
    .expect("the show starts");
    // The first beats stage the set and the cast.
    let input = ViewerInput::default();
    for _ in 0..(90 * 5) {
        show.advance(DT, &input).expect("it plays");
    }
    let s = &mut show.scene;
    for i in 0..200 {
        let (x, z, y) = (
            (i % 10) as f32 * 0.45 - 2.0,
            ((i / 10) % 5) as f32 * 0.45 - 4.0,
            0.5 + (i / 50) as f32 * 0.5,
        );
        spawn_prop(
            &mut s.world,
            &mut s.physics,
            "crate",
            Material::default(),
            Vec3::splat(0.15),
            Vec3::new(x, y, z),
            Vec3::new(0.3, 0.0, -0.2),
        );
    }
    while s.world.len() < 1000 {
        s.world.spawn((
            Transform::at(Vec3::new(0.0, 3.0, -6.0)),
            Material::default(),
        ));
    }
    show
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    // Fresh scenes, the first 3 s of each: the crates fall and pile up, all awake (the worst
    // phase; a settled pile sleeps and costs next to nothing).
    let (runs, frames) = if full { (8, 270) } else { (1, 20) };
    let head = Vec3::new(0.0, 1.25, 0.6);
    let input = ViewerInput {
        head,
        pointer: Some((head, Vec3::NEG_Z)),
        gaze: Some((head, Vec3::NEG_Z)),
        ..Default::default()
    };
    let (mut adv, mut step) = (Vec::new(), Vec::new());
    let mut entities = 0;
    for _ in 0..runs {
        // The two interleave run by run, so a slow patch of the machine hits both.
        let mut a = show();
        entities = a.scene.world.len();
        for _ in 0..frames {
            let t0 = Instant::now();
            a.advance(DT, &input).expect("it plays");
            adv.push(t0.elapsed());
        }
        let mut b = show();
        let mut clock = b.clock() as f32;
        for _ in 0..frames {
            let t0 = Instant::now();
            clock += DT as f32;
            b.scene.step(DT as f32, clock);
            step.push(t0.elapsed());
        }
    }
    let pct = |v: &mut Vec<Duration>, p: f64| {
        v.sort();
        v[((v.len() - 1) as f64 * p).round() as usize]
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (am, ap) = (pct(&mut adv, 0.5), pct(&mut adv, 0.99));
    let (sm, sp) = (pct(&mut step, 0.5), pct(&mut step, 0.99));
    println!("{entities} entities, 200 bodies; {runs} fresh scenes x {frames} frames at 90 Hz");
    println!(
        "Show::advance   median {:.3} ms  p99 {:.3} ms",
        ms(am),
        ms(ap)
    );
    println!(
        "Scene::step     median {:.3} ms  p99 {:.3} ms   (baseline, same scenes, same run)",
        ms(sm),
        ms(sp)
    );
    println!(
        "ratio           median {:.2}x  p99 {:.2}x",
        am.as_secs_f64() / sm.as_secs_f64(),
        ap.as_secs_f64() / sp.as_secs_f64()
    );
}
