//! The refiner on a real wgpu device shared with the renderer (Mesa's
//! lavapipe here; any GPU elsewhere). Sizes are tiny: lavapipe is slow.

use showrunner_refine::interop::{Interop, Rect, REFINE_IO_WGSL};
use showrunner_refine::{
    cpu_device, gpu_device, guide_occlusion, load, refine, region_noise, save, UnetConfig,
    GUIDE_CHANNELS,
};
use showrunner_render::{read_eye, Gpu, RenderTarget, COLOR_FORMAT};

use showrunner_refine::burn::tensor::{Device, Tensor, TensorData};

/// Reversed-Z depth of row `y` of the test room: a wall 2.5 m away above
/// row 24, a floor below it (inverse depth rising 0.02 per metre per row).
fn room_depth(y: usize) -> f32 {
    let inv = 1.0 / 2.5 + y.saturating_sub(24) as f32 * 0.02;
    0.05 * inv
}

/// Writes [`room_depth`] into eye `layer`'s depth (rows from the top of the eye).
fn draw_room(gpu: &Gpu, target: &RenderTarget, layer: u32) {
    use showrunner_render::wgpu;
    let module = gpu
        .device
        .create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("room depth"),
            source: wgpu::ShaderSource::Wgsl(
                "@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
                    let p = vec2<f32>(f32(i & 1u) * 4.0 - 1.0, f32(i >> 1u) * 4.0 - 1.0);
                    return vec4<f32>(p, 0.0, 1.0);
                }
                struct Out { @builtin(frag_depth) depth: f32 }
                @fragment fn fs(@builtin(position) p: vec4<f32>) -> Out {
                    let y = floor(p.y);
                    var o: Out;
                    o.depth = 0.05 * (1.0 / 2.5 + max(y - 24.0, 0.0) * 0.02);
                    return o;
                }"
                .into(),
            ),
        });
    let pipeline = gpu
        .device
        .create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("room depth"),
            layout: None,
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs"),
                compilation_options: Default::default(),
                targets: &[],
            }),
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: Some(wgpu::DepthStencilState {
                format: showrunner_render::DEPTH_FORMAT,
                depth_write_enabled: Some(true),
                depth_compare: Some(wgpu::CompareFunction::Always),
                stencil: Default::default(),
                bias: Default::default(),
            }),
            multisample: Default::default(),
            multiview_mask: None,
            cache: None,
        });
    let view = target.depth.create_view(&wgpu::TextureViewDescriptor {
        dimension: Some(wgpu::TextureViewDimension::D2),
        base_array_layer: layer,
        array_layer_count: Some(1),
        ..Default::default()
    });
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("room depth"),
            color_attachments: &[],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: &view,
                depth_ops: Some(wgpu::Operations {
                    load: wgpu::LoadOp::Clear(0.0),
                    store: wgpu::StoreOp::Store,
                }),
                stencil_ops: None,
            }),
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_pipeline(&pipeline);
        pass.draw(0..3, 0..1);
    }
    gpu.queue.submit([enc.finish()]);
}

#[test]
fn the_io_shader_validates_with_naga() {
    let module = naga::front::wgsl::parse_str(REFINE_IO_WGSL).expect("refine_io.wgsl parses");
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .expect("refine_io.wgsl validates");
}

fn shared() -> (Gpu, Device) {
    let gpu = Gpu::headless().unwrap_or_else(|e| panic!("{e}"));
    let burn = gpu_device(
        gpu.instance.clone(),
        gpu.raw_adapter.clone(),
        gpu.device.clone(),
        gpu.queue.clone(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (gpu, burn)
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// One test function: burn registers a wgpu device once per process.
#[test]
fn on_the_renderers_device_burn_matches_the_cpu_and_pixels_move_without_the_cpu() {
    let (gpu, burn) = shared();

    // 1. The same weights and input on burn-wgpu and burn-ndarray agree within 1e-3.
    let cpu = cpu_device();
    cpu.seed(11);
    let cfg = UnetConfig::new();
    let model = cfg.init(&cpu);
    let cheap_v: Vec<f32> = (0..3 * 16 * 16)
        .map(|i| ((i * 37) % 255) as f32 / 255.0)
        .collect();
    let noise_cpu = region_noise(3, [1, 3, 16, 16], &cpu);
    let noise_v = values(noise_cpu.clone());
    let guide_v: Vec<f32> = (0..GUIDE_CHANNELS * 16 * 16)
        .map(|i| (i % 16) as f32 * 0.1)
        .collect();
    let on_cpu = values(refine(
        &model,
        Tensor::from_data(TensorData::new(cheap_v.clone(), [1, 3, 16, 16]), &cpu),
        Tensor::from_data(
            TensorData::new(guide_v.clone(), [1, GUIDE_CHANNELS, 16, 16]),
            &cpu,
        ),
        noise_cpu,
        2,
        0.5,
    ));
    let dir = std::env::temp_dir().join(format!("showrunner-refine-gpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("w.bpk");
    save(&model, &path).unwrap();
    let gpu_model = load(&path, &cfg, &burn).unwrap();
    let on_gpu = values(refine(
        &gpu_model,
        Tensor::from_data(TensorData::new(cheap_v, [1, 3, 16, 16]), &burn),
        Tensor::from_data(TensorData::new(guide_v, [1, GUIDE_CHANNELS, 16, 16]), &burn),
        Tensor::from_data(TensorData::new(noise_v, [1, 3, 16, 16]), &burn),
        2,
        0.5,
    ));
    let worst = on_cpu
        .iter()
        .zip(&on_gpu)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!("burn-wgpu vs burn-ndarray: max |Δ| = {worst:e}");
    assert!(worst <= 1e-3, "max |Δ| {worst}");

    // 2. Texture → tensor: a region of an eye, sRGB-encoded, equals the pixels read back.
    let target = RenderTarget::new(&gpu.device, 64, 48).keeping_depth();
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    for layer in 0..2 {
        let depth_view =
            target
                .depth
                .create_view(&showrunner_render::wgpu::TextureViewDescriptor {
                    dimension: Some(showrunner_render::wgpu::TextureViewDimension::D2),
                    base_array_layer: layer,
                    array_layer_count: Some(1),
                    ..Default::default()
                });
        let view = target
            .color
            .create_view(&showrunner_render::wgpu::TextureViewDescriptor {
                dimension: Some(showrunner_render::wgpu::TextureViewDimension::D2),
                base_array_layer: layer,
                array_layer_count: Some(1),
                ..Default::default()
            });
        // A gradient-ish clear per eye is enough to tell pixels apart.
        drop(
            enc.begin_render_pass(&showrunner_render::wgpu::RenderPassDescriptor {
                label: None,
                color_attachments: &[Some(showrunner_render::wgpu::RenderPassColorAttachment {
                    view: &view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: showrunner_render::wgpu::Operations {
                        load: showrunner_render::wgpu::LoadOp::Clear(
                            showrunner_render::wgpu::Color {
                                r: 0.2,
                                g: 0.05 + 0.3 * f64::from(layer),
                                b: 0.6,
                                a: 1.0,
                            },
                        ),
                        store: showrunner_render::wgpu::StoreOp::Store,
                    },
                })],
                // A depth per eye: 0.2 (left) and 0.4 (right).
                depth_stencil_attachment: Some(
                    showrunner_render::wgpu::RenderPassDepthStencilAttachment {
                        view: &depth_view,
                        depth_ops: Some(showrunner_render::wgpu::Operations {
                            load: showrunner_render::wgpu::LoadOp::Clear(0.2 + 0.2 * layer as f32),
                            store: showrunner_render::wgpu::StoreOp::Store,
                        }),
                        stencil_ops: None,
                    },
                ),
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            }),
        );
    }
    gpu.queue.submit([enc.finish()]);
    let io = Interop::new(&gpu.device, COLOR_FORMAT);
    let rect = Rect::around((40.0, 20.0), 16, (64, 48));
    assert_eq!(
        rect,
        Rect {
            x: 32,
            y: 12,
            w: 16,
            h: 16
        }
    );
    let t = io
        .texture_to_tensor(&gpu.device, &gpu.queue, &target.color, 1, rect, &burn)
        .unwrap();
    let px = read_eye(&gpu.device, &gpu.queue, &target, 1).unwrap();
    let got = values(t.clone());
    for c in 0..3 {
        let want = f32::from(px[(20 * 64 + 40) * 4 + c]) / 255.0;
        let v = got[c * 256 + 8 * 16 + 8];
        assert!((v - want).abs() < 2.0 / 255.0, "channel {c}: {v} vs {want}");
    }

    // 2b. Depth → guide: the same region of the eye's depth, times the
    //     scale; a flat wall square-on has no creases: occlusion 1.
    let g = values(
        io.depth_to_guide(
            &gpu.device,
            &gpu.queue,
            &target.depth,
            1,
            rect,
            5.0,
            40.0,
            &burn,
        )
        .unwrap(),
    );
    assert_eq!(g.len(), GUIDE_CHANNELS * 16 * 16);
    assert!(
        g[..256].iter().all(|v| (v - 2.0).abs() < 1e-5),
        "eye 1's depth 0.4 × 5: {:?}",
        &g[..4]
    );
    assert!(
        g[256..].iter().all(|v| (v - 1.0).abs() < 1e-5),
        "an open wall is not occluded: {:?}",
        &g[256..260]
    );
    let g0 = values(
        io.depth_to_guide(
            &gpu.device,
            &gpu.queue,
            &target.depth,
            0,
            rect,
            100.0,
            40.0,
            &burn,
        )
        .unwrap(),
    );
    assert!(
        g0[..256].iter().all(|v| (v - 16.0).abs() < 1e-5),
        "clamped at 16: {:?}",
        &g0[..4]
    );

    // 2c. The occlusion channel on the GPU equals the CPU's
    //     `guide_occlusion` on a room: a wall meeting a floor (inverse depth
    //     affine in screen space on each, as real planes' are).
    draw_room(&gpu, &target, 0);
    let room = Rect {
        x: 8,
        y: 0,
        w: 48,
        h: 48,
    };
    let (scale, focal) = (9.0, 40.0);
    let gpu_guide = values(
        io.depth_to_guide(
            &gpu.device,
            &gpu.queue,
            &target.depth,
            0,
            room,
            scale,
            focal,
            &burn,
        )
        .unwrap(),
    );
    let n = 48 * 48;
    let disparity: Vec<f32> = (0..n)
        .map(|i| (room_depth(i / 48) * scale).clamp(0.0, 16.0))
        .collect();
    let cpu_occ = guide_occlusion(&disparity, 48, 48, focal);
    let worst_d = gpu_guide[..n]
        .iter()
        .zip(&disparity)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst_d < 1e-5, "disparity differs by {worst_d}");
    let diffs: Vec<f32> = gpu_guide[n..]
        .iter()
        .zip(&cpu_occ)
        .map(|(a, b)| (a - b).abs())
        .collect();
    let worst = diffs.iter().copied().fold(0.0f32, f32::max);
    let mean = diffs.iter().sum::<f32>() / n as f32;
    eprintln!("occlusion GPU vs CPU: max |Δ| {worst:e}, mean {mean:e}");
    let crease = cpu_occ.iter().copied().fold(1.0f32, f32::min);
    assert!(crease < 0.9, "the room has a crease: {crease}");
    // Rounding of a sample offset may differ on a tie; the blur spreads it.
    assert!(worst < 0.03 && mean < 1e-3, "max {worst}, mean {mean}");

    // 3. Tensor → texture: white blended over the region with no feather
    //    replaces it; outside is untouched.
    let white = Tensor::<4>::ones([1, 3, 16, 16], &burn);
    let view = target
        .color
        .create_view(&showrunner_render::wgpu::TextureViewDescriptor {
            dimension: Some(showrunner_render::wgpu::TextureViewDimension::D2),
            base_array_layer: 1,
            array_layer_count: Some(1),
            ..Default::default()
        });
    io.tensor_to_texture(
        &gpu.device,
        &gpu.queue,
        &white,
        &view,
        (64, 48),
        rect,
        0.0,
        1.0,
        &burn,
    )
    .unwrap();
    let after = read_eye(&gpu.device, &gpu.queue, &target, 1).unwrap();
    let at = |x: usize, y: usize| &after[(y * 64 + x) * 4..(y * 64 + x) * 4 + 3];
    assert_eq!(at(40, 20), [255, 255, 255], "inside the region");
    assert_eq!(
        at(5, 5),
        &px[(5 * 64 + 5) * 4..(5 * 64 + 5) * 4 + 3],
        "outside"
    );
    // With a soft edge (eye 0): the centre is white, the region's corner keeps the frame.
    let view0 = target
        .color
        .create_view(&showrunner_render::wgpu::TextureViewDescriptor {
            dimension: Some(showrunner_render::wgpu::TextureViewDimension::D2),
            base_array_layer: 0,
            array_layer_count: Some(1),
            ..Default::default()
        });
    let before0 = read_eye(&gpu.device, &gpu.queue, &target, 0).unwrap();
    io.tensor_to_texture(
        &gpu.device,
        &gpu.queue,
        &white,
        &view0,
        (64, 48),
        rect,
        0.5,
        1.0,
        &burn,
    )
    .unwrap();
    let after0 = read_eye(&gpu.device, &gpu.queue, &target, 0).unwrap();
    let p = |img: &[u8], x: usize, y: usize| img[(y * 64 + x) * 4 + 1];
    assert!(
        p(&after0, 40, 20) > 250,
        "centre white: {}",
        p(&after0, 40, 20)
    );
    assert!(
        p(&after0, 32, 12).abs_diff(p(&before0, 32, 12)) <= 2,
        "the soft edge leaves the corner as it was"
    );
}

/// Rough timings for the notes (not a benchmark: dev build, one run each).
/// `cargo test -p showrunner-refine --test lavapipe -- --ignored --nocapture`
#[test]
#[ignore = "timing probe, run by hand"]
fn timing_probe_one_quest_step() {
    let (_gpu, burn) = shared();
    let cpu = cpu_device();
    let cfg = UnetConfig::new();
    let model = cfg.init(&cpu);
    let path = std::env::temp_dir().join(format!("showrunner-refine-t-{}.bpk", std::process::id()));
    let cheap = region_noise(1, [1, 3, 128, 128], &cpu)
        .mul_scalar(0.1)
        .add_scalar(0.5);
    let noise = region_noise(2, [1, 3, 128, 128], &cpu);
    let guide = region_noise(5, [1, GUIDE_CHANNELS, 128, 128], &cpu).abs();
    let _ = values(refine(
        &model,
        cheap.clone(),
        guide.clone(),
        noise.clone(),
        1,
        0.3,
    ));
    save(&model, &path).unwrap();
    for (name, dev) in [("burn-ndarray", &cpu), ("burn-wgpu (lavapipe)", &burn)] {
        let m = load(&path, &cfg, dev).unwrap();
        let c = Tensor::<4>::from_data(cheap.clone().into_data(), dev);
        let n = Tensor::<4>::from_data(noise.clone().into_data(), dev);
        let g = Tensor::<4>::from_data(guide.clone().into_data(), dev);
        let _ = values(refine(&m, c.clone(), g.clone(), n.clone(), 1, 0.3)); // warm-up (kernel compile)
        let t = std::time::Instant::now();
        for _ in 0..3 {
            let _ = values(refine(&m, c.clone(), g.clone(), n.clone(), 1, 0.3));
        }
        eprintln!(
            "{name}: one 128² step {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0 / 3.0
        );
    }
}
