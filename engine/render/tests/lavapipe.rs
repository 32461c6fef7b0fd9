//! The renderer on a real Vulkan device: Mesa's lavapipe on CI (install
//! `mesa-vulkan-drivers`), any GPU elsewhere. Frames are small (96×96 per eye).

use std::path::PathBuf;
use std::sync::Mutex;

use showrunner_core::Directive;
use showrunner_light::{LightEstimate, Sh9};
use showrunner_render::{
    read_depth, read_eye, EyeView, FrameInputs, Gpu, Grade, RenderTarget, Renderer, Shaders,
    SCENE_WGSL,
};
use showrunner_scene::components::{Character, Transform};
use showrunner_scene::glam::Vec3;
use showrunner_scene::hecs::World;
use showrunner_scene::physics::PhysicsContext;
use showrunner_scene::sets::SetLibrary;
use showrunner_scene::staging::{staging_system, Stage};
use showrunner_scene::Scene;

const W: u32 = 96;

/// One device for the whole file: lavapipe is slow to start.
static GPU: Mutex<Option<(Gpu, Renderer)>> = Mutex::new(None);

fn with_renderer<R>(f: impl FnOnce(&Gpu, &mut Renderer) -> R) -> R {
    let mut g = GPU.lock().unwrap_or_else(|e| e.into_inner());
    if g.is_none() {
        let gpu = Gpu::headless().unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "adapter: {} ({:?})",
            gpu.adapter.name, gpu.adapter.device_type
        );
        let r = Renderer::new(&gpu.device, &gpu.queue);
        *g = Some((gpu, r));
    }
    let (gpu, r) = g.as_mut().unwrap();
    let out = f(gpu, r);
    // The device lives in a static that is never dropped: leave no work in
    // flight, or the process can exit while lavapipe's threads still run a
    // submitted frame (a SIGSEGV after the test has passed).
    let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
    out
}

fn world(tags: &[&str]) -> World {
    let mut world = World::new();
    let mut stage = Stage::default();
    let mut physics = PhysicsContext::new();
    let ds: Vec<Directive> = tags
        .iter()
        .filter_map(|t| Directive::parse(t).unwrap())
        .collect();
    staging_system(
        &mut world,
        &mut stage,
        &mut physics,
        &SetLibrary::builtin(),
        &ds,
    );
    // Everyone already on their mark.
    for (t, c) in world.query_mut::<(&mut Transform, &Character)>() {
        t.translation = c.target;
    }
    world
}

fn room_light(scale: f32) -> LightEstimate {
    let mut sh = Sh9::ambient(Vec3::splat(0.25 * scale));
    sh.add_directional(Vec3::new(-0.3, 1.0, 0.2), Vec3::splat(1.5 * scale));
    LightEstimate {
        sh,
        ..LightEstimate::default()
    }
}

fn inputs(light: LightEstimate, grade: Grade) -> FrameInputs {
    FrameInputs {
        eyes: EyeView::stereo(
            Vec3::new(0.0, 1.6, 0.5),
            Vec3::new(0.0, 1.0, -2.5),
            0.064,
            1.4,
            1.0,
        ),
        light,
        sun: (Vec3::new(-0.4, -1.0, -0.3), Vec3::splat(1.2)),
        grade,
    }
}

/// Renders both eyes; returns RGBA8 per eye.
fn render(world: &World, inputs: &FrameInputs) -> [Vec<u8>; 2] {
    with_renderer(|gpu, r| {
        let target = RenderTarget::new(&gpu.device, W, W);
        let cmd = r.render(world, inputs, &target);
        gpu.queue.submit([cmd]);
        [0, 1].map(|eye| read_eye(&gpu.device, &gpu.queue, &target, eye).unwrap())
    })
}

fn linear(c: u8) -> f32 {
    let v = f32::from(c) / 255.0;
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn mean_rgb(px: &[u8]) -> Vec3 {
    let n = px.len() / 4;
    let s: Vec3 = px
        .chunks(4)
        .map(|p| Vec3::new(linear(p[0]), linear(p[1]), linear(p[2])))
        .sum();
    s / n as f32
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

#[test]
fn a_staged_scene_renders_in_stereo() {
    let w = world(&[
        "scene: lamp_room",
        "cast: keeper=mara",
        "cast: skipper=tomas",
    ]);
    let [l, r] = render(&w, &inputs(room_light(1.0), Grade::default()));
    let lum: Vec<f32> = l
        .chunks(4)
        .map(|p| f32::from(p[0]) + f32::from(p[1]) + f32::from(p[2]))
        .collect();
    let mean = lum.iter().sum::<f32>() / lum.len() as f32;
    let var = lum.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / lum.len() as f32;
    assert!(
        mean > 30.0 && var.sqrt() > 10.0,
        "not blank: mean {mean}, sd {}",
        var.sqrt()
    );
    assert_ne!(l, r, "the eyes see from different places");
    assert!(psnr(&l, &r) > 12.0, "but the same scene");
}

#[test]
fn a_warmer_grade_makes_the_frame_warmer() {
    let w = world(&["scene: kitchen", "cast: keeper=mara"]);
    let cold = mean_rgb(
        &render(
            &w,
            &inputs(
                room_light(1.0),
                Grade {
                    warmth: -0.8,
                    ..Grade::default()
                },
            ),
        )[0],
    );
    let warm = mean_rgb(
        &render(
            &w,
            &inputs(
                room_light(1.0),
                Grade {
                    warmth: 0.8,
                    ..Grade::default()
                },
            ),
        )[0],
    );
    assert!(
        warm.x / warm.z > cold.x / cold.z * 1.2,
        "warm {warm} vs cold {cold}"
    );
}

#[test]
fn a_brighter_room_makes_a_brighter_frame() {
    let w = world(&["scene: kitchen", "cast: keeper=mara"]);
    let luma = |v: Vec3| v.dot(Vec3::new(0.2126, 0.7152, 0.0722));
    let dim = luma(mean_rgb(
        &render(&w, &inputs(room_light(0.5), Grade::default()))[0],
    ));
    let bright = luma(mean_rgb(
        &render(&w, &inputs(room_light(2.0), Grade::default()))[0],
    ));
    assert!(bright > dim * 1.3, "bright {bright} vs dim {dim}");
}

#[test]
fn a_fate_removes_or_keeps_the_character_in_the_frame() {
    let i = inputs(room_light(1.0), Grade::default());
    let dead = render(
        &world(&["scene: lamp_room", "cast: keeper=mara", "fate: mara=dead"]),
        &i,
    );
    let empty = render(&world(&["scene: lamp_room"]), &i);
    assert_ne!(dead, empty, "the dead lie where they fell");
    let gone = render(
        &world(&[
            "scene: lamp_room",
            "cast: keeper=mara",
            "fate: mara=dead",
            "scene: kitchen",
        ]),
        &i,
    );
    assert_eq!(
        gone,
        render(&world(&["scene: lamp_room", "scene: kitchen"]), &i),
        "and are left behind with the set: the next is as it would be without her"
    );
    let alive = render(
        &world(&["scene: lamp_room", "cast: keeper=mara", "fate: mara=alive"]),
        &i,
    );
    let changed = alive[0]
        .chunks(4)
        .zip(empty[0].chunks(4))
        .filter(|(a, b)| a != b)
        .count();
    let share = changed as f32 / (W * W) as f32;
    assert!(
        share > 0.02,
        "the living stay in it: {:.1}% of pixels",
        share * 100.0
    );
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/lamp_room_left.png")
}

#[test]
fn golden_image_within_40_db() {
    let w = world(&[
        "scene: lamp_room",
        "cast: keeper=mara",
        "cast: skipper=tomas",
    ]);
    let [l, _] = render(&w, &inputs(room_light(1.0), Grade::default()));
    assert_golden(&l, (W, W), &golden_path());
}

/// Writes `px` (RGBA, `size`) as a PNG at `path`.
fn write_png(px: &[u8], size: (u32, u32), path: &std::path::Path) {
    let mut enc = png::Encoder::new(std::fs::File::create(path).unwrap(), size.0, size.1);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(px).unwrap();
}

/// `px` (RGBA, `size`) within 40 dB PSNR of the picture at `path`; `SHOWRUNNER_BLESS=1` writes
/// it there first (then look at it).
fn assert_golden(px: &[u8], size: (u32, u32), path: &std::path::Path) {
    if std::env::var_os("SHOWRUNNER_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_png(px, size, path);
        eprintln!("blessed {}", path.display());
    }
    let dec = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; create it with SHOWRUNNER_BLESS=1 and check the picture",
                path.display()
            )
        }),
    ));
    let mut rd = dec.read_info().unwrap();
    let mut golden = vec![0; rd.output_buffer_size().unwrap()];
    let info = rd.next_frame(&mut golden).unwrap();
    golden.truncate(info.buffer_size());
    let p = psnr(px, &golden);
    assert!(p >= 40.0, "PSNR {p:.1} dB against {}", path.display());
}

#[test]
fn the_key_light_casts_shadows() {
    use showrunner_scene::components::{Material, Mesh};
    // A plank floating over the floor, the key light straight down, the eye
    // looking down from the side so it sees the floor under the plank: that
    // floor is in shadow.
    let mut w = World::new();
    let floor = Material {
        base_color: showrunner_scene::glam::Vec4::new(0.8, 0.8, 0.8, 1.0),
        ..Material::default()
    };
    w.spawn((
        Transform {
            translation: Vec3::new(0.0, -0.05, -3.0),
            scale: Vec3::new(8.0, 0.1, 8.0),
            ..Transform::default()
        },
        Mesh("box".into()),
        floor,
    ));
    w.spawn((
        Transform {
            translation: Vec3::new(-0.8, 1.5, -3.0),
            scale: Vec3::new(1.0, 0.05, 1.0),
            ..Transform::default()
        },
        Mesh("box".into()),
        floor,
    ));
    let mut light = room_light(0.2);
    light.sh = Sh9::ambient(Vec3::splat(0.05));
    let i = FrameInputs {
        eyes: [EyeView::look_at(
            Vec3::new(2.5, 3.0, -1.0),
            Vec3::new(-0.5, 0.0, -3.0),
            1.2,
            1.0,
        ); 2],
        light,
        sun: (Vec3::new(0.0, -1.0, 0.0), Vec3::splat(1.5)),
        grade: Grade::default(),
    };
    let [l, _] = render(&w, &i);
    // Project the floor points under and beside the plank into the image.
    let vp = i.eyes[0].projection * i.eyes[0].view;
    let at = |p: Vec3| {
        let c = vp * p.extend(1.0);
        let (x, y) = (c.x / c.w, c.y / c.w);
        let (px, py) = (
            ((x * 0.5 + 0.5) * W as f32) as usize,
            ((0.5 - y * 0.5) * W as f32) as usize,
        );
        let k = (py * W as usize + px) * 4;
        f32::from(l[k]) + f32::from(l[k + 1]) + f32::from(l[k + 2])
    };
    let (under, beside) = (
        at(Vec3::new(-0.8, 0.0, -3.0)),
        at(Vec3::new(1.0, 0.0, -3.0)),
    );
    assert!(
        under < beside * 0.6,
        "shadowed floor {under} vs lit floor {beside}"
    );
}

#[test]
fn multiview_and_two_passes_give_the_same_picture() {
    let w = world(&[
        "scene: lamp_room",
        "cast: keeper=mara",
        "cast: skipper=tomas",
    ]);
    let i = inputs(room_light(1.0), Grade::default());
    let has = with_renderer(|_, r| r.multiview());
    if !has {
        // Honest: nothing to compare on an adapter without multiview.
        eprintln!("adapter has no multiview; two passes only");
        return;
    }
    let single = render(&w, &i);
    with_renderer(|_, r| r.set_multiview(false));
    let double = render(&w, &i);
    with_renderer(|_, r| r.set_multiview(true));
    for eye in 0..2 {
        let p = psnr(&single[eye], &double[eye]);
        assert!(
            p >= 40.0,
            "eye {eye}: PSNR {p:.1} dB between multiview and two passes"
        );
    }
}

#[test]
fn a_shader_the_pipeline_rejects_is_named_and_the_built_in_draws() {
    // Valid WGSL (naga accepts it) that asks for a binding the renderer does
    // not provide: only pipeline creation can catch it.
    let dir = std::env::temp_dir().join(format!("showrunner-bad-shader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = SCENE_WGSL
        .replacen(
            "@vertex\n",
            "@group(0) @binding(9) var<uniform> extra: vec4<f32>;\n\n@vertex\n",
            1,
        )
        .replace(
            "fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {\n",
            "fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {\n    _ = extra;\n",
        );
    assert_ne!(bad, SCENE_WGSL);
    std::fs::write(dir.join("scene.wgsl"), &bad).unwrap();
    let (shaders, errors) = Shaders::load(&dir);
    assert!(errors.is_empty(), "naga accepts it: {errors:?}");
    assert_eq!(shaders.scene, bad);
    let w = world(&["scene: lamp_room", "cast: keeper=mara"]);
    let inputs = inputs(room_light(1.0), Grade::default());
    let expected = render(&w, &inputs);
    let got = with_renderer(|gpu, _| {
        let (mut r, err) = Renderer::with_shaders(&gpu.device, &gpu.queue, &shaders);
        let err = err.expect("the pipeline rejects the shader").to_string();
        assert!(
            err.contains("scene.wgsl") && err.contains("built-in"),
            "{err}"
        );
        let target = RenderTarget::new(&gpu.device, W, W);
        let cmd = r.render(&w, &inputs, &target);
        gpu.queue.submit([cmd]);
        [0, 1].map(|eye| read_eye(&gpu.device, &gpu.queue, &target, eye).unwrap())
    });
    assert_eq!(got, expected, "the fallback is the built-in picture");
}

#[test]
fn a_model_whose_texture_is_missing_shows_magenta() {
    use showrunner_render::assets::{gltf_io::builtin_models, MISSING_TEXTURE};
    let w = world(&[
        "scene: lamp_room",
        "cast: keeper=mara",
        "cast: skipper=tomas",
    ]);
    let inputs = inputs(room_light(1.0), Grade::default());
    let [plain, _] = render(&w, &inputs);
    let [missing, _] = with_renderer(|gpu, _| {
        let mut r = Renderer::new(&gpu.device, &gpu.queue);
        let mut character = builtin_models()
            .into_iter()
            .find(|m| m.name == "character")
            .unwrap();
        character.material.factors.base_color = MISSING_TEXTURE;
        r.add_model(&character);
        let target = RenderTarget::new(&gpu.device, W, W);
        let cmd = r.render(&w, &inputs, &target);
        gpu.queue.submit([cmd]);
        [0, 1].map(|eye| read_eye(&gpu.device, &gpu.queue, &target, eye).unwrap())
    });
    // Pixels that changed are the characters: they lost their green.
    let (mut g_plain, mut g_missing, mut changed) = (0.0, 0.0, 0);
    for (a, b) in plain.chunks(4).zip(missing.chunks(4)) {
        if a != b {
            changed += 1;
            g_plain += linear(a[1]) / linear(a[0]).max(1e-3);
            g_missing += linear(b[1]) / linear(b[0]).max(1e-3);
        }
    }
    assert!(changed > 50, "the characters changed: {changed} pixels");
    assert!(
        g_missing < 0.2 * g_plain,
        "magenta: green/red {g_missing} vs {g_plain}"
    );
}

#[test]
fn passthrough_leaves_the_background_transparent() {
    let empty = World::new();
    let inputs = inputs(room_light(1.0), Grade::default());
    let [opaque, _] = render(&empty, &inputs);
    assert!(opaque.chunks(4).all(|p| p[3] == 255));
    let [clear, _] = with_renderer(|gpu, _| {
        let mut r = Renderer::new(&gpu.device, &gpu.queue);
        r.set_passthrough(true);
        let target = RenderTarget::new(&gpu.device, W, W);
        let cmd = r.render(&empty, &inputs, &target);
        gpu.queue.submit([cmd]);
        [0, 1].map(|eye| read_eye(&gpu.device, &gpu.queue, &target, eye).unwrap())
    });
    assert!(
        clear.chunks(4).all(|p| p[3] == 0),
        "the room shows where nothing is drawn"
    );
}

#[test]
fn a_target_that_keeps_depth_reads_it_back_and_one_that_discards_says_so() {
    let w = world(&["scene: lamp_room", "cast: keeper=mara"]);
    let inputs = inputs(room_light(1.0), Grade::default());
    with_renderer(|gpu, r| {
        let target = RenderTarget::new(&gpu.device, W, W).keeping_depth();
        gpu.queue.submit([r.render(&w, &inputs, &target)]);
        for eye in 0..2 {
            let depth = read_depth(&gpu.device, &gpu.queue, &target, eye).unwrap();
            assert_eq!(depth.len(), (W * W) as usize);
            // Reversed-Z: the set fills the frame, in (0, 1]; the bottom rows
            // (the floor at the viewer's feet) are nearer than the middle
            // (the back wall), so their depth values are larger.
            assert!(depth.iter().all(|d| (0.0..=1.0).contains(d)));
            let covered = depth.iter().filter(|d| **d > 0.0).count();
            assert!(
                covered > depth.len() / 2,
                "eye {eye}: {covered} px have depth"
            );
            let row = |y: u32| {
                let r = &depth[(y * W) as usize..((y + 1) * W) as usize];
                r.iter().sum::<f32>() / W as f32
            };
            assert!(
                row(W - 2) > row(W / 2),
                "eye {eye}: floor nearer than the wall"
            );
        }
        // The default target discards depth after the pass (cheaper on tiled
        // GPUs): reading it is a clear error, not a frame of zeros.
        let discarding = RenderTarget::new(&gpu.device, W, W);
        gpu.queue.submit([r.render(&w, &inputs, &discarding)]);
        let e = read_depth(&gpu.device, &gpu.queue, &discarding, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("keeping_depth"), "{e}");
    });
}

/// The words' scene: the lamp room with Mara, her line as the subtitle and two choices
/// on their panels, seen by an eye whose view is about 6 pixels a degree (a still's,
/// a third of a Quest 3's).
fn words_world(cast: bool) -> (World, Vec3) {
    use showrunner_scene::captions::subtitle_system;
    use showrunner_scene::choices::choice_panels_system;
    let mut w = world(if cast {
        &["scene: lamp_room", "cast: keeper=mara"]
    } else {
        &["scene: lamp_room"]
    });
    let head = Vec3::new(0.0, 1.25, 0.6);
    choice_panels_system(
        &mut w,
        &[
            "Go down to the slip".to_owned(),
            "Stay with the light, whatever comes".to_owned(),
        ],
        &[],
        Some(0),
        head,
        None,
    );
    subtitle_system(
        &mut w,
        "MARA: Cold hands. Good. You'll not feel the brass burn.",
        head,
        Vec3::NEG_Z,
        0.0,
    );
    (w, head)
}

const WORDS: (u32, u32) = (384, 256);

fn render_words(world: &World, head: Vec3) -> Vec<u8> {
    render_words_graded(world, head, Grade::default())
}

fn render_words_graded(world: &World, head: Vec3, grade: Grade) -> Vec<u8> {
    let (ww, wh) = WORDS;
    let eyes = EyeView::stereo(
        head,
        head + Vec3::new(0.0, -0.12, -1.0),
        0.064,
        0.7,
        ww as f32 / wh as f32,
    );
    let i = FrameInputs {
        eyes,
        ..inputs(room_light(1.0), grade)
    };
    with_renderer(|gpu, r| {
        let target = RenderTarget::new(&gpu.device, ww, wh);
        gpu.queue.submit([r.render(world, &i, &target)]);
        assert_eq!(r.labels_drawn(), 3, "a subtitle and two choice labels");
        read_eye(&gpu.device, &gpu.queue, &target, 0).unwrap()
    })
}

fn words_golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/words_left.png")
}

#[test]
fn a_subtitle_and_labelled_panels_match_the_golden_image() {
    let (w, head) = words_world(true);
    let px = render_words(&w, head);
    let (ww, wh) = WORDS;
    assert_golden(&px, WORDS, &words_golden_path());
    // The words are there (a blessed picture of an empty frame would not pass): the
    // subtitle's dark plate below the panels, with light strokes of text on it.
    let at = |x: u32, y: u32| &px[((y * ww + x) * 4) as usize..((y * ww + x) * 4 + 3) as usize];
    let (mut plate, mut strokes) = (0, 0);
    for y in wh * 3 / 5..wh * 4 / 5 {
        for x in 1..ww - 1 {
            let dark = |x| at(x, y).iter().all(|c| *c < 70);
            if dark(x) {
                plate += 1;
            } else if at(x, y).iter().all(|c| *c > 110) && (dark(x - 1) || dark(x + 1)) {
                strokes += 1;
            }
        }
    }
    assert!(plate > 3000, "the subtitle's plate: {plate} px");
    assert!(strokes > 40, "text on the plate: {strokes} px");
}

#[test]
fn the_words_are_the_same_in_the_multiview_pass_and_in_two_passes() {
    // No actor: the character's legs differ between the two paths at this view (38 dB
    // without any words; noted in BENCHMARKS.md), which is not what this test is about.
    let (w, head) = words_world(false);
    if !with_renderer(|_, r| r.multiview()) {
        eprintln!("adapter has no multiview; two passes only");
        return;
    }
    let single = render_words(&w, head);
    with_renderer(|_, r| r.set_multiview(false));
    let double = render_words(&w, head);
    with_renderer(|_, r| r.set_multiview(true));
    let p = psnr(&single, &double);
    assert!(p >= 40.0, "PSNR {p:.1} dB between multiview and two passes");
}

/// Issue 20, item 5: the words never flash with the director's grade. A hard grade (two stops
/// down, cold, desaturated, flat) changes the frame a great deal and the subtitle (an opaque
/// plate, unlit words) not at all.
#[test]
fn the_words_do_not_change_with_the_grade() {
    let (w, head) = words_world(true);
    let plain = render_words(&w, head);
    let hard = Grade {
        exposure_ev: -2.0,
        warmth: -1.0,
        saturation: 0.2,
        contrast: 0.6,
    };
    let graded = render_words_graded(&w, head, hard);
    let (ww, wh) = WORDS;
    let mean = |px: &[u8], y0: u32, y1: u32, x0: u32, x1: u32| {
        let mut sum = 0.0;
        for y in y0..y1 {
            for x in x0..x1 {
                let i = ((y * ww + x) * 4) as usize;
                sum += (f64::from(px[i]) + f64::from(px[i + 1]) + f64::from(px[i + 2])) / 3.0;
            }
        }
        sum / f64::from((y1 - y0) * (x1 - x0))
    };
    let whole = (mean(&plain, 0, wh, 0, ww) - mean(&graded, 0, wh, 0, ww)).abs();
    // The middle of the subtitle's plate (its words included): rows and columns inside it.
    let (y0, y1, x0, x1) = (wh * 13 / 20, wh * 14 / 20, ww / 3, ww * 2 / 3);
    let words = (mean(&plain, y0, y1, x0, x1) - mean(&graded, y0, y1, x0, x1)).abs();
    assert!(whole > 20.0, "the grade changes the frame: {whole:.1}");
    assert!(
        words < 3.0,
        "the subtitle stays as it was: {words:.1} against {whole:.1}"
    );
}

/// The stills' framing (`screen --render`): a seated viewer looking ahead and a little down.
fn still_inputs(size: (u32, u32)) -> FrameInputs {
    FrameInputs {
        eyes: EyeView::stereo(
            Vec3::new(0.0, 1.25, 0.6),
            Vec3::new(0.0, 1.0, -3.0),
            0.064,
            1.0,
            size.0 as f32 / size.1 as f32,
        ),
        light: room_light(1.0),
        sun: (Vec3::new(-0.4, -1.0, -0.3), Vec3::ONE),
        grade: Grade::default(),
    }
}

/// `scene` staged empty from `library` (its set, lights and air; no one cast).
fn staged_set(library: &SetLibrary, scene: &str) -> World {
    let mut world = World::new();
    let mut stage = Stage::default();
    let mut physics = PhysicsContext::new();
    staging_system(
        &mut world,
        &mut stage,
        &mut physics,
        library,
        &[Directive::Scene(scene.into())],
    );
    assert_eq!(stage.set.as_deref(), Some(scene), "the set of its name");
    world
}

/// `scene` staged from `library` with the sample's five actors cast, Mara speaking to Tomas,
/// played for `seconds` (they walk on to the set's marks and act); the scene and the eyes
/// its stills see it with (the vantage's, as `screen --render` frames it).
fn staged_scene(library: &SetLibrary, scene: &str, seconds: f32) -> (Scene, FrameInputs) {
    let mut s = Scene::new(library.clone());
    let mut d = vec![Directive::Scene(scene.into())];
    for (role, actor) in [
        ("keeper", "mara"),
        ("skipper", "tomas"),
        ("deckhand", "calum"),
        ("boatman", "shiel"),
        ("coastguard", "coastguard"),
    ] {
        d.push(Directive::Cast {
            role: role.into(),
            actor: actor.into(),
        });
    }
    s.stage(&d);
    s.speak("MARA: (to Tomas) The light's failing.");
    let mut clock = 0.0;
    s.advance(seconds, 1.0 / 30.0, &mut clock);
    let (head, look_at) = (
        s.vantage.point(Vec3::new(0.0, 1.25, 0.6)),
        s.vantage.point(Vec3::new(0.0, 1.0, -3.0)),
    );
    let inputs = FrameInputs {
        eyes: EyeView::stereo(head, look_at, 0.064, 1.0, 16.0 / 9.0),
        ..still_inputs((16, 9))
    };
    (s, inputs)
}

/// Every scene of the sample, staged in its set with the sample's five actors on its marks and
/// rendered as the stills frame it: each matches its golden image (tests/golden/scenes/,
/// blessed after looking at them with `SHOWRUNNER_BLESS=1`), and no two look alike.
#[test]
fn every_scene_with_its_cast_matches_its_golden_and_no_two_look_alike() {
    use showrunner_assets::actors::{load_cast, SAMPLE_CAST};
    use showrunner_assets::sets::{load_sets, SAMPLE_SCENES};
    const SIZE: (u32, u32) = (192, 108);
    let mut sets = load_sets(&[], true);
    assert!(sets.warnings.is_empty(), "{:?}", sets.warnings);
    let actors: Vec<String> = SAMPLE_CAST.map(String::from).to_vec();
    let cast = load_cast(&actors, &[], &[], true).unwrap();
    for (actor, p) in cast.performers {
        sets.library.cast(&actor, p);
    }
    let stills: Vec<Vec<u8>> = with_renderer(|gpu, r| {
        for m in sets.models.iter().chain(&cast.models) {
            r.add_model(m);
        }
        let target = RenderTarget::new(&gpu.device, SIZE.0, SIZE.1);
        SAMPLE_SCENES
            .iter()
            .map(|scene| {
                let (s, inputs) = staged_scene(&sets.library, scene, 6.0);
                assert_eq!(s.stage.set.as_deref(), Some(*scene), "the set of its name");
                gpu.queue.submit([r.render(&s.world, &inputs, &target)]);
                assert!(r.missing_meshes.is_empty(), "{:?}", r.missing_meshes);
                read_eye(&gpu.device, &gpu.queue, &target, 0).unwrap()
            })
            .collect()
    });
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/scenes");
    for (scene, px) in SAMPLE_SCENES.iter().zip(&stills) {
        keep(px, SIZE, &format!("scene_{scene}.png"));
    }
    for (scene, px) in SAMPLE_SCENES.iter().zip(&stills) {
        assert_golden(px, SIZE, &dir.join(format!("{scene}.png")));
    }
    // Pairwise: the mean absolute difference per channel (0..255) of every two scenes' stills.
    // The closest two are the gallery and the rogue wave (the same walkway, the wave coming
    // or not), 7.8 apart when blessed.
    let mut least = (f64::MAX, "", "");
    for i in 0..stills.len() {
        for j in i + 1..stills.len() {
            let d = stills[i]
                .iter()
                .zip(&stills[j])
                .map(|(a, b)| f64::from(a.abs_diff(*b)))
                .sum::<f64>()
                / stills[i].len() as f64;
            if d < least.0 {
                least = (d, SAMPLE_SCENES[i], SAMPLE_SCENES[j]);
            }
        }
    }
    eprintln!(
        "the two most alike: {} and {}, {:.1} apart",
        least.1, least.2, least.0
    );
    assert!(
        least.0 >= 6.0,
        "{} and {} look alike: {:.1} levels apart on average",
        least.1,
        least.2,
        least.0
    );
}

/// A model's base colour texture is sampled (not folded to its mean): a checkerboard on a
/// panel facing the eye comes out as dark and light squares.
#[test]
fn a_textured_model_shows_its_texture() {
    use showrunner_assets::{Image, MeshData, Model};
    use showrunner_scene::components::{Material, Mesh};
    use std::sync::Arc;
    let mut rgba = Vec::new();
    for y in 0..8 {
        for x in 0..8 {
            let v = if (x + y) % 2 == 0 { 255 } else { 20 };
            rgba.extend([v, v, v, 255]);
        }
    }
    let checker = Arc::new(Image {
        width: 8,
        height: 8,
        rgba,
        color: true,
    });
    let mut panel = MeshData::default();
    panel.add_cuboid(Vec3::new(-1.0, 0.0, -0.01), Vec3::new(1.0, 2.0, 0.0));
    let mut textured = Model::plain("checker panel", panel.clone(), Material::default());
    textured.material.base_color = Some(checker);
    let plain = Model::plain("plain panel", panel, Material::default());
    let shoot = |name: &str| {
        let mut w = World::new();
        w.spawn((
            Transform::at(Vec3::new(0.0, 0.0, -1.5)),
            Mesh(name.into()),
            Material::default(),
        ));
        let inputs = FrameInputs {
            eyes: EyeView::stereo(
                Vec3::new(0.0, 1.0, 0.5),
                Vec3::new(0.0, 1.0, -1.5),
                0.0,
                0.6,
                1.0,
            ),
            ..still_inputs((W, W))
        };
        with_renderer(|_, r| {
            r.add_model(&textured);
            r.add_model(&plain);
        });
        let [left, _] = render(&w, &inputs);
        left
    };
    let spread = |px: &[u8]| {
        // The middle third of the frame is all panel.
        let (mut lo, mut hi) = (255u8, 0u8);
        for y in W / 3..2 * W / 3 {
            for x in W / 3..2 * W / 3 {
                let g = px[((y * W + x) * 4 + 1) as usize];
                lo = lo.min(g);
                hi = hi.max(g);
            }
        }
        (lo, hi)
    };
    let (lo, hi) = spread(&shoot("checker panel"));
    assert!(hi - lo > 100, "the squares show: {lo}..{hi}");
    let (lo, hi) = spread(&shoot("plain panel"));
    assert!(hi - lo < 30, "untextured is even: {lo}..{hi}");
}

/// Mara's skinned model, made once for the file.
fn mara() -> &'static showrunner_assets::Model {
    static MARA: std::sync::OnceLock<showrunner_assets::Model> = std::sync::OnceLock::new();
    MARA.get_or_init(|| showrunner_assets::actors::actor_model("mara"))
}

/// Mara, skinned, two metres in front of the camera and facing it, posed by `pose` (played
/// for a second so the clips' blend settles).
fn actor_world(pose: showrunner_scene::components::Pose) -> World {
    use showrunner_scene::components::{Material, Mesh};
    use showrunner_scene::rig::Skin;
    let mut skin = Skin::new(mara().rig.clone().unwrap());
    for _ in 0..30 {
        skin.animate(&pose, 1.1, 0.5, 1.0 / 30.0);
    }
    let mut w = World::new();
    w.spawn((
        Transform {
            translation: Vec3::new(0.0, 0.0, -1.6),
            rotation: showrunner_scene::glam::Quat::from_rotation_y(std::f32::consts::PI),
            ..Transform::default()
        },
        Mesh("mara".into()),
        Material {
            base_color: showrunner_scene::glam::Vec4::ONE,
            roughness: 1.0,
            ..Material::default()
        },
        pose,
        skin,
    ));
    w
}

fn render_actor(w: &World) -> [Vec<u8>; 2] {
    let inputs = FrameInputs {
        eyes: EyeView::stereo(
            Vec3::new(0.0, 1.1, 0.5),
            Vec3::new(0.0, 1.0, -1.6),
            0.064,
            1.0,
            1.0,
        ),
        ..still_inputs((W, W))
    };
    with_renderer(|_, r| r.add_model(mara()));
    render(w, &inputs)
}

#[test]
fn a_skinned_actor_bends_its_arm_when_the_pose_says_so() {
    use showrunner_scene::components::Pose;
    let down = render_actor(&actor_world(Pose::default()));
    let up = render_actor(&actor_world(Pose {
        arm_raise: 1.0,
        ..Pose::default()
    }));
    // Where the picture changed, and where: the raised arm is on the figure's right, the
    // viewer's left, between hip and shoulder.
    let (mut changed, mut left, mut above_hips) = (0, 0, 0);
    for y in 0..W {
        for x in 0..W {
            let i = ((y * W + x) * 4) as usize;
            let d = (0..3)
                .map(|c| (i32::from(down[0][i + c]) - i32::from(up[0][i + c])).abs())
                .max()
                .unwrap_or(0);
            if d > 24 {
                changed += 1;
                left += usize::from(x < W / 2);
                above_hips += usize::from(y < W * 3 / 5);
            }
        }
    }
    assert!(changed > 40, "only {changed} pixels changed");
    assert!(
        left * 10 > changed * 7,
        "{left} of {changed} on the raised side"
    );
    assert!(
        above_hips * 10 > changed * 7,
        "{above_hips} of {changed} above the hips"
    );
    // And the same picture from the multiview pass as from two passes.
    if with_renderer(|_, r| r.multiview()) {
        with_renderer(|_, r| r.set_multiview(false));
        let two = render_actor(&actor_world(Pose {
            arm_raise: 1.0,
            ..Pose::default()
        }));
        with_renderer(|_, r| r.set_multiview(true));
        for eye in 0..2 {
            let p = psnr(&up[eye], &two[eye]);
            assert!(
                p >= 40.0,
                "eye {eye}: PSNR {p:.1} dB, multiview against two passes"
            );
        }
    } else {
        eprintln!("adapter has no multiview; two passes only");
    }
}

/// The sea heaves with the set's clock; the rest of a set stands still.
#[test]
fn the_sea_heaves_and_the_rest_stands_still() {
    use showrunner_assets::sets::load_sets;
    use showrunner_scene::atmosphere::Atmosphere;
    const SIZE: (u32, u32) = (192, 108);
    let sets = load_sets(&[], true);
    with_renderer(|_, r| {
        for m in &sets.models {
            r.add_model(m);
        }
    });
    let shoot = |scene: &str, clock: f32| {
        with_renderer(|gpu, r| {
            let mut world = staged_set(&sets.library, scene);
            for air in world.query_mut::<&mut Atmosphere>() {
                air.clock = clock;
            }
            let target = RenderTarget::new(&gpu.device, SIZE.0, SIZE.1);
            gpu.queue
                .submit([r.render(&world, &still_inputs(SIZE), &target)]);
            read_eye(&gpu.device, &gpu.queue, &target, 0).unwrap()
        })
    };
    let moved = |scene: &str| {
        let (a, b) = (shoot(scene, 0.0), shoot(scene, 3.0));
        a.chunks(4).zip(b.chunks(4)).filter(|(x, y)| x != y).count()
    };
    let (slip, kitchen) = (moved("dawn_slip"), moved("kitchen"));
    assert!(
        slip > 100,
        "the sea off the slip moved {slip} pixels in 3 s"
    );
    assert_eq!(kitchen, 0, "a room with no sea is still");
}

/// Writes `px` (RGBA, `size`) as a PNG in the test's scratch folder, to look at.
fn keep(px: &[u8], size: (u32, u32), name: &str) {
    write_png(
        px,
        size,
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name),
    );
}

/// The storm on the rock (`the_gut`): a lightning strike lights the set from the sky, and the
/// sea breaking on the rock throws up spray that the frame shows. The stills are kept in the
/// test's scratch folder (`target/tmp/storm_*.png`).
#[test]
fn the_storm_strikes_and_throws_spray() {
    use showrunner_assets::sets::load_sets;
    use showrunner_scene::atmosphere::{lightning_at, rain_system, Atmosphere, SprayDrop};
    const SIZE: (u32, u32) = (384, 216);
    let sets = load_sets(&[], true);
    let strike = (0..2000)
        .map(|i| i as f32 * 0.01)
        .find(|&t| lightning_at(t, 1.0) > 0.95)
        .expect("a strike in the first 20 s");
    let head = Vec3::new(0.0, 1.25, 0.6);
    // The set at `clock` (the air moved on to it at the director's full intensity), with or
    // without its spray.
    let at = |clock: f32, spray: bool| {
        let mut world = staged_set(&sets.library, "the_gut");
        for air in world.query_mut::<&mut Atmosphere>() {
            air.clock = clock - 1.0 / 90.0;
        }
        rain_system(&mut world, head, 1.0 / 90.0, 1.0);
        if !spray {
            let drops: Vec<_> = world
                .query::<(showrunner_scene::hecs::Entity, &SprayDrop)>()
                .iter()
                .map(|(e, _)| e)
                .collect();
            assert!(!drops.is_empty(), "the storm's set throws spray");
            for e in drops {
                world.despawn(e).unwrap();
            }
        }
        world
    };
    let [lit, dark, bare] = with_renderer(|gpu, r| {
        for m in &sets.models {
            r.add_model(m);
        }
        let target = RenderTarget::new(&gpu.device, SIZE.0, SIZE.1);
        [
            at(strike, true),
            at(strike - 0.6, true),
            at(strike - 0.6, false),
        ]
        .map(|w| {
            gpu.queue
                .submit([r.render(&w, &still_inputs(SIZE), &target)]);
            read_eye(&gpu.device, &gpu.queue, &target, 0).unwrap()
        })
    });
    keep(&lit, SIZE, "storm_strike.png");
    keep(&dark, SIZE, "storm_dark.png");
    let luma = |px: &[u8]| {
        let c = mean_rgb(px);
        0.2126 * c.x + 0.7152 * c.y + 0.0722 * c.z
    };
    let (l, d) = (luma(&lit), luma(&dark));
    assert!(
        l > 1.5 * d,
        "a strike lights the storm: {l:.4} against {d:.4}"
    );
    let sprayed = dark
        .chunks(4)
        .zip(bare.chunks(4))
        .filter(|(a, b)| a != b)
        .count();
    assert!(sprayed > 200, "the spray covers {sprayed} pixels");
}
