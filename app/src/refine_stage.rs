//! The refine stage of the frame: after the scene is rendered and before it
//! is presented (desktop) or submitted (headset), each eye's region where the
//! viewer looks (the gaze, followed smoothly; the view centre where nothing
//! tracks the eyes), as large as the fovea at the eye's resolution, goes
//! through the refiner on the renderer's own GPU device and is blended back
//! with a soft edge. Its temporal history moves with the head's turn and,
//! pixel by pixel, the parallax of its translation (the depth guide).
//!
//! The frame thread never waits for it: the stage only records GPU work
//! (texture → tensor, the network, tensor → texture) on the shared queue. Its
//! cost is read from GPU timestamps written before and after that work where
//! the device has timestamp queries (read back frames later, never waited
//! for), and from the frame time otherwise (the frame's duration over the
//! baseline measured with refinement off); the budget controller steps down
//! (fewer steps, smaller region, half rate with reprojection, off) as soon as
//! a frame runs long, and back up when there is room.

use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use showrunner_refine::burn::tensor::{Device, Tensor};
use showrunner_refine::interop::{Interop, Rect};
use showrunner_refine::{
    disparity_scale, fovea_region, refine, region_noise, BudgetController, Motion, Plan, Profile,
    RefineError, Temporal, Unet, UnetConfig, FOVEA_DEGREES,
};
use showrunner_render::{EyeView, Gpu, RenderTarget, COLOR_FORMAT};
use showrunner_scene::glam::{Vec3, Vec4};

/// Frames measured with refinement off before it starts (the baseline).
const BASELINE_FRAMES: u32 = 30;
/// With GPU timestamps: the share of the frame period refinement may take.
const GPU_SHARE: f32 = 0.33;
/// How fast the refined region follows the gaze: the time constant of its approach, ms.
/// A saccade's target is reached in about three of them (≈ 100 ms, while the eye's own
/// saccadic suppression hides the move); a fixation's tremor is smoothed away.
const GAZE_FOLLOW_MS: f32 = 35.0;

/// Whether to refine frames.
#[derive(Debug, Clone, Copy)]
pub enum RefineChoice {
    /// Never.
    Off,
    /// The Quest profile on a GPU; off on a CPU adapter (lavapipe).
    Auto,
    /// This profile, whatever the adapter.
    Forced(showrunner_refine::Profile),
}

impl RefineChoice {
    /// The profile to run on an adapter of `kind`, or why not.
    pub fn resolve(
        self,
        kind: showrunner_render::wgpu::DeviceType,
    ) -> Result<showrunner_refine::Profile, &'static str> {
        match self {
            RefineChoice::Off => Err("off (--refine off)"),
            RefineChoice::Forced(p) => Ok(p),
            RefineChoice::Auto if kind == showrunner_render::wgpu::DeviceType::Cpu => {
                Err("off on a CPU adapter (a 128 px step takes 0.5–4 s on lavapipe); --refine quest forces it")
            }
            RefineChoice::Auto => Ok(showrunner_refine::PROFILES[0]),
        }
    }
}

/// GPU time of the refine work, from timestamps written by two empty
/// compute passes around it; read back a few frames later without waiting.
struct GpuTimer {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    /// Read-back buffers and their state (0 free, 1 in flight, 2 mapped, 3 failed).
    slots: Vec<(wgpu::Buffer, Arc<AtomicU8>)>,
    next: usize,
    period_ns: f32,
    open: Option<usize>,
}

use showrunner_render::wgpu;

/// Each slot's pair of timestamps is resolved at a multiple of this: wgpu
/// requires `QUERY_RESOLVE_BUFFER_ALIGNMENT` (256) for the destination offset,
/// and a validation error on the shared device aborts the process.
const RESOLVE_STRIDE: u64 = wgpu::QUERY_RESOLVE_BUFFER_ALIGNMENT;

impl GpuTimer {
    fn new(gpu: &Gpu) -> Option<Self> {
        if !gpu
            .device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
        {
            return None;
        }
        let slots = 4;
        let set = gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("refine timer"),
            ty: wgpu::QueryType::Timestamp,
            count: 2 * slots as u32,
        });
        let resolve = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("refine timer resolve"),
            size: RESOLVE_STRIDE * slots as u64,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let slots = (0..slots)
            .map(|_| {
                (
                    gpu.device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("refine timer readback"),
                        size: 16,
                        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
                        mapped_at_creation: false,
                    }),
                    Arc::new(AtomicU8::new(0)),
                )
            })
            .collect();
        Some(Self {
            set,
            resolve,
            slots,
            next: 0,
            period_ns: gpu.queue.get_timestamp_period(),
            open: None,
        })
    }

    fn mark(&self, gpu: &Gpu, slot: usize, end: bool) {
        let mut enc = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("refine timer"),
            });
        let q = 2 * slot as u32;
        enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("refine timer"),
            timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                query_set: &self.set,
                beginning_of_pass_write_index: (!end).then_some(q),
                end_of_pass_write_index: end.then_some(q + 1),
            }),
        });
        if end {
            let off = RESOLVE_STRIDE * slot as u64;
            enc.resolve_query_set(&self.set, q..q + 2, &self.resolve, off);
            enc.copy_buffer_to_buffer(&self.resolve, off, &self.slots[slot].0, 0, 16);
        }
        gpu.queue.submit([enc.finish()]);
        if end {
            let state = self.slots[slot].1.clone();
            self.slots[slot]
                .0
                .slice(..)
                .map_async(wgpu::MapMode::Read, move |r| {
                    state.store(if r.is_ok() { 2 } else { 3 }, Ordering::Release);
                });
        }
    }

    /// Starts timing, if a slot is free.
    fn begin(&mut self, gpu: &Gpu) {
        let slot = self.next;
        if self.slots[slot].1.load(Ordering::Acquire) != 0 {
            return;
        }
        self.slots[slot].1.store(1, Ordering::Release);
        self.mark(gpu, slot, false);
        self.open = Some(slot);
    }

    fn end(&mut self, gpu: &Gpu) {
        if let Some(slot) = self.open.take() {
            self.mark(gpu, slot, true);
            self.next = (slot + 1) % self.slots.len();
        }
    }

    /// Refinement GPU times (ms) that have arrived since the last call.
    fn collect(&mut self, gpu: &Gpu) -> Vec<f32> {
        let _ = gpu.device.poll(wgpu::PollType::Poll);
        let mut out = Vec::new();
        for (buf, state) in &self.slots {
            match state.load(Ordering::Acquire) {
                2 => {
                    let ms = buf.slice(..).get_mapped_range().ok().map(|d| {
                        let at = |i: usize| {
                            u64::from_le_bytes(d[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
                        };
                        at(1).saturating_sub(at(0)) as f32 * self.period_ns / 1e6
                    });
                    buf.unmap();
                    state.store(0, Ordering::Release);
                    out.extend(ms);
                }
                3 => state.store(0, Ordering::Release),
                _ => {}
            }
        }
        out
    }
}

/// The refiner in the frame loop.
pub struct RefineStage {
    burn: Device,
    model: Unet,
    interop: Interop,
    budget: BudgetController,
    temporal: [Temporal; 2],
    noise: Option<(usize, Tensor<4>)>,
    /// World direction of each eye's last region centre (reprojection).
    last_dir: [Option<Vec3>; 2],
    /// Where each eye was at its last refined frame (the history's parallax).
    last_pos: [Option<Vec3>; 2],
    /// Where each eye's region is centred now (pixels), following the gaze smoothly.
    centre: [Option<(f32, f32)>; 2],
    /// A line for the log when the fovea's region was sized (`frame_time` returns it).
    notice: Option<String>,
    /// The largest region the profile affords; the fovea at the display's resolution sets
    /// the region under it ([`fovea_region`]). `None`: pinned, the region is the plan's.
    ceiling: Option<usize>,
    frame: u64,
    baseline_ms: Option<f32>,
    baseline: (f32, u32),
    period_ms: f32,
    last_plan: Plan,
    timer: Option<GpuTimer>,
    /// Soft edge, as a fraction of the region.
    pub feather: f32,
}

/// Where an eye's view centre (its forward direction) lands in the eye
/// image, in pixels, and that direction in the world.
fn view_centre(eye: &EyeView, size: (u32, u32)) -> ((f32, f32), Vec3) {
    let inv_view = eye.view.inverse();
    let fwd = inv_view
        .transform_vector3(Vec3::NEG_Z)
        .normalize_or(Vec3::NEG_Z);
    let clip = eye.projection * eye.view * (eye.position + fwd * 10.0).extend(1.0);
    let ndc = if clip.w.abs() > 1e-6 {
        Vec4::new(clip.x / clip.w, clip.y / clip.w, 0.0, 0.0)
    } else {
        Vec4::ZERO
    };
    (
        (
            (ndc.x * 0.5 + 0.5) * size.0 as f32,
            (0.5 - ndc.y * 0.5) * size.1 as f32,
        ),
        fwd,
    )
}

/// The world direction (from the eye) of the pixel `px` of the eye image.
fn pixel_dir(eye: &EyeView, px: (f32, f32), size: (u32, u32)) -> Vec3 {
    let ndc = Vec4::new(
        px.0 / size.0 as f32 * 2.0 - 1.0,
        1.0 - px.1 / size.1 as f32 * 2.0,
        0.5,
        1.0,
    );
    let p = (eye.projection * eye.view).inverse() * ndc;
    (p.w.abs() >= 1e-9)
        .then(|| (p.truncate() / p.w - eye.position).try_normalize())
        .flatten()
        .unwrap_or_else(|| view_centre(eye, size).1)
}

/// Where the region of each eye should be centred: where the gaze (a world direction)
/// lands in the eye image when it lands inside it, the view centre otherwise.
fn aim(eye: &EyeView, gaze: Option<Vec3>, size: (u32, u32)) -> (f32, f32) {
    gaze.and_then(|d| project_dir(eye, d, size))
        .filter(|p| (0.0..size.0 as f32).contains(&p.0) && (0.0..size.1 as f32).contains(&p.1))
        .unwrap_or_else(|| view_centre(eye, size).0)
}

/// One frame of the region's approach from `from` to `to` (pixels) at a display period of
/// `period_ms`: exponential, with the time constant [`GAZE_FOLLOW_MS`].
fn follow(from: Option<(f32, f32)>, to: (f32, f32), period_ms: f32) -> (f32, f32) {
    match from {
        Some(f) if f.0.is_finite() && f.1.is_finite() => {
            let k = 1.0 - (-period_ms.max(0.0) / GAZE_FOLLOW_MS).exp();
            (f.0 + (to.0 - f.0) * k, f.1 + (to.1 - f.1) * k)
        }
        _ => to,
    }
}

/// Where the world direction `dir` (from the eye) lands in the eye image, pixels.
/// A direction is a point at infinity: where it lands moves with the head's turn, not its
/// translation (that is the history's parallax, [`Motion`]).
pub(crate) fn project_dir(eye: &EyeView, dir: Vec3, size: (u32, u32)) -> Option<(f32, f32)> {
    let clip = eye.projection * eye.view * dir.extend(0.0);
    (clip.w > 1e-6).then(|| {
        (
            (clip.x / clip.w * 0.5 + 0.5) * size.0 as f32,
            (0.5 - clip.y / clip.w * 0.5) * size.1 as f32,
        )
    })
}

/// Runs `f`, the refiner's own GPU work, inside a validation error scope
/// on `device`. A validation error there (a bug in the stage, or an adapter
/// that lacks something its passes need) comes back as an error, which turns
/// refinement off with a warning, instead of reaching the device's
/// uncaptured-error handler, which cubecl makes panic: the film goes on.
/// Native wgpu settles the scope at once, so this never waits on the GPU.
fn within_error_scope<T>(
    device: &wgpu::Device,
    f: impl FnOnce() -> Result<T, RefineError>,
) -> Result<T, RefineError> {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let result = f();
    let mut popped = std::pin::pin!(scope.pop());
    match popped
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Some(e)) => Err(RefineError::Device(format!(
            "a GPU validation error in the refiner's work: {e}"
        ))),
        _ => result,
    }
}

impl RefineStage {
    /// Loads `weights` and hands burn the renderer's device. `refresh_hz` is
    /// the display's rate (the frame budget). Errors name the file or say
    /// what the GPU lacks; the caller plays on unrefined.
    pub fn new(
        gpu: &Gpu,
        weights: &Path,
        profile: Profile,
        refresh_hz: f32,
    ) -> Result<Self, RefineError> {
        let burn = showrunner_refine::gpu_device(
            gpu.instance.clone(),
            gpu.raw_adapter.clone(),
            gpu.device.clone(),
            gpu.queue.clone(),
        )?;
        let model = showrunner_refine::load(weights, &UnetConfig::new(), &burn)?;
        let (interop, timer) = within_error_scope(&gpu.device, || {
            Ok((Interop::new(&gpu.device, COLOR_FORMAT), GpuTimer::new(gpu)))
        })?;
        Ok(Self {
            burn,
            model,
            interop,
            budget: BudgetController::new(&profile, 1.0),
            temporal: [Temporal::default(), Temporal::default()],
            noise: None,
            last_dir: [None; 2],
            last_pos: [None; 2],
            centre: [None; 2],
            ceiling: Some(profile.region),
            notice: None,
            frame: 0,
            baseline_ms: None,
            baseline: (0.0, 0),
            period_ms: 1000.0 / refresh_hz.max(1.0),
            last_plan: Plan::OFF,
            timer,
            feather: 0.25,
        })
    }

    /// This stage refining by `plan` every frame from the first, whatever it costs: no
    /// baseline, no budget (`showrunner bench gpu` times each plan).
    pub fn pinned(mut self, plan: Plan) -> Self {
        let top = Profile {
            name: "pinned",
            region: plan.region,
            steps: plan.steps,
        };
        self.budget = BudgetController::new(&top, f32::INFINITY);
        self.baseline_ms = Some(0.0);
        self.ceiling = None;
        self
    }

    /// The display's frame period (XR: the runtime's predicted period).
    pub fn set_period_ms(&mut self, ms: f32) {
        if ms > 0.0 && ms.is_finite() {
            self.period_ms = ms;
        }
    }

    /// The plan the last frame ran (the desktop readout shows it).
    #[cfg_attr(target_os = "android", allow(dead_code))]
    pub fn plan(&self) -> Plan {
        self.last_plan
    }

    /// Reports the last frame's duration (ms) and collects GPU timings that
    /// arrived. Before the baseline is known it measures it; after, the
    /// refinement's cost (GPU time where timestamps work, the frame's excess
    /// over the baseline otherwise) moves the budget. Returns a line to log
    /// when the plan changed (and when the fovea's region was first sized).
    pub fn frame_time(&mut self, gpu: &Gpu, frame_ms: f32) -> Option<String> {
        let notice = self.notice.take();
        match (notice, self.budget_step(gpu, frame_ms)) {
            (Some(a), Some(b)) => Some(format!("{a}\n{b}")),
            (a, b) => a.or(b),
        }
    }

    fn budget_step(&mut self, gpu: &Gpu, frame_ms: f32) -> Option<String> {
        let Some(base) = self.baseline_ms else {
            self.baseline.0 += frame_ms;
            self.baseline.1 += 1;
            if self.baseline.1 >= BASELINE_FRAMES {
                let base = self.baseline.0 / self.baseline.1 as f32;
                self.baseline_ms = Some(base);
                let (budget, how) = if self.timer.is_some() {
                    // A third of the frame on the GPU (the scene has the rest).
                    (self.period_ms * GPU_SHARE, "GPU timestamps")
                } else {
                    // What is left of the frame, less a fifth for safety.
                    (((self.period_ms - base) * 0.8).max(1.0), "frame time")
                };
                self.budget = BudgetController::new(&self.profile_of_ladder(), budget);
                return Some(format!(
                    "refiner: baseline frame {base:.1} ms of {:.1}; refinement may use {budget:.1} ms (measured by {how})",
                    self.period_ms
                ));
            }
            return None;
        };
        let before = self.budget.plan();
        let (changed, took) = match &mut self.timer {
            Some(timer) => {
                let costs = timer.collect(gpu);
                if before.is_on() {
                    let mut changed = false;
                    let mut took = None;
                    for c in costs {
                        changed |= self.budget.report(c);
                        took = Some(format!("{c:.1} ms on the GPU"));
                        if changed {
                            break;
                        }
                    }
                    (changed, took)
                } else {
                    (self.budget.report(0.0), None)
                }
            }
            None => {
                if !self.last_plan.is_on() && before.is_on() {
                    return None;
                }
                let cost = if self.last_plan.is_on() {
                    (frame_ms - base).max(0.0)
                } else {
                    0.0
                };
                (
                    self.budget.report(cost),
                    Some(format!("{frame_ms:.1} ms, baseline {base:.1} ms")),
                )
            }
        };
        changed.then(|| {
            let after = self.budget.plan();
            match took {
                Some(t) => format!(
                    "refiner: {} → {} (a refined frame took {t})",
                    describe(before),
                    describe(after)
                ),
                None => format!(
                    "refiner: {} → {} (probing again)",
                    describe(before),
                    describe(after)
                ),
            }
        })
    }

    fn profile_of_ladder(&self) -> Profile {
        let top = self.budget.plans()[0];
        Profile {
            name: "current",
            region: top.region,
            steps: top.steps,
        }
    }

    /// Refines both eyes of `target` (rendered for `eyes`) at `strength` per
    /// the budget's plan, each eye's region centred where `gaze` (a world direction, in the
    /// eyes' space; `None` where the headset does not track the eyes) lands, followed
    /// smoothly, else at the view centre; its size covers the fovea at the eyes' resolution,
    /// under the profile's. Records GPU work only. Errors turn refinement off for good (the
    /// caller drops the stage).
    pub fn apply(
        &mut self,
        gpu: &Gpu,
        target: &RenderTarget,
        eyes: &[EyeView; 2],
        gaze: Option<Vec3>,
        strength: f32,
    ) -> Result<(), RefineError> {
        self.frame += 1;
        if let Some(ceiling) = self.ceiling {
            // Reversed-Z infinite projection: y_axis.y is the focal length in half-heights.
            let focal_px = eyes[0].projection.y_axis.y * target.size.1 as f32 / 2.0;
            let fovea = fovea_region(focal_px, FOVEA_DEGREES);
            let region = fovea.min(ceiling);
            if self.budget.refit(region) || self.frame == 1 {
                let ppd = focal_px * std::f32::consts::PI / 180.0;
                self.notice = Some(format!(
                    "refiner: {region} px regions round where the viewer looks, {:.1}° at {ppd:.1} px/°{}",
                    region as f32 / ppd,
                    if region < fovea {
                        format!(" (the fovea's {FOVEA_DEGREES:.0}° needs {fovea} px; the profile stops at {ceiling})")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        let plan = if self.baseline_ms.is_some() && strength > 0.0 {
            self.budget.plan()
        } else {
            Plan::OFF
        };
        if plan != self.last_plan {
            for t in &mut self.temporal {
                t.reset();
            }
        }
        self.last_plan = plan;
        if !plan.is_on() {
            self.last_dir = [None; 2];
            self.last_pos = [None; 2];
            self.centre = [None; 2];
            return Ok(());
        }
        if !target.keep_depth {
            return Err(RefineError::Device(
                "the eyes' depth is discarded after each pass, and the refiner's guide is read from it".into(),
            ));
        }
        if !target
            .depth
            .usage()
            .contains(wgpu::TextureUsages::TEXTURE_BINDING)
        {
            return Err(RefineError::Device(
                "the eyes' depth cannot be sampled (the runtime's depth swapchain was made without SAMPLED), and the refiner's guide is read from it".into(),
            ));
        }
        let size = target.size;
        let n = plan.region.min(size.0 as usize).min(size.1 as usize) / 8 * 8;
        if n < 16 {
            return Ok(());
        }
        let noise = match &self.noise {
            Some((s, t)) if *s == n => t.clone(),
            _ => {
                let t = region_noise(0x5EED, [1, 3, n, n], &self.burn);
                self.noise = Some((n, t.clone()));
                t
            }
        };
        let hold = plan.every == 2 && self.frame % 2 == 1;
        within_error_scope(&gpu.device, || {
            if let Some(t) = &mut self.timer {
                t.begin(gpu);
            }
            let result = self.eyes(gpu, target, eyes, gaze, strength, plan, n, noise, hold);
            if let Some(t) = &mut self.timer {
                t.end(gpu);
            }
            result
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn eyes(
        &mut self,
        gpu: &Gpu,
        target: &RenderTarget,
        eyes: &[EyeView; 2],
        gaze: Option<Vec3>,
        strength: f32,
        plan: Plan,
        n: usize,
        noise: Tensor<4>,
        hold: bool,
    ) -> Result<(), RefineError> {
        let size = target.size;
        for (layer, eye) in eyes.iter().enumerate() {
            let centre = follow(self.centre[layer], aim(eye, gaze, size), self.period_ms);
            self.centre[layer] = Some(centre);
            let dir = pixel_dir(eye, centre, size);
            let rect = Rect::around(centre, n as u32, size);
            // Where the last frame's region centre is now: the history's shift.
            let (dx, dy) = match self.last_dir[layer].and_then(|d| project_dir(eye, d, size)) {
                Some(p) => (p.0 - centre.0, p.1 - centre.1),
                // No history to move: all of it falls outside.
                None => (1e6, 0.0),
            };
            self.last_dir[layer] = Some(dir);
            // How far the eye moved since then, in its own frame: the history's parallax.
            let moved = self.last_pos[layer]
                .map_or(Vec3::ZERO, |p| eye.view.transform_vector3(eye.position - p));
            self.last_pos[layer] = Some(eye.position);
            let cheap = self.interop.texture_to_tensor(
                &gpu.device,
                &gpu.queue,
                &target.color,
                layer as u32,
                rect,
                &self.burn,
            )?;
            let out = if hold {
                match self.temporal[layer].hold(cheap, dx.round() as i32, dy.round() as i32) {
                    Some(t) => t,
                    None => continue,
                }
            } else {
                // Reversed-Z infinite projection: w_axis.z is the near plane;
                // y_axis.y is the focal length in half-heights.
                let p = &eye.projection;
                let scale = disparity_scale(p.y_axis.y, p.w_axis.z, size.1);
                let focal_px = p.y_axis.y * size.1 as f32 / 2.0;
                let guide = self.interop.depth_to_guide(
                    &gpu.device,
                    &gpu.queue,
                    &target.depth,
                    layer as u32,
                    rect,
                    scale,
                    focal_px,
                    &self.burn,
                )?;
                let disparity = guide.clone().slice([0..1, 0..1, 0..n, 0..n]);
                let refined = refine(
                    &self.model,
                    cheap.clone(),
                    guide,
                    noise.clone(),
                    plan.steps,
                    strength,
                );
                let motion = Motion::shift(dx, dy).with_parallax(disparity, moved.x, moved.y);
                self.temporal[layer].stabilise_moved(refined, cheap, &motion)
            };
            let view = target
                .color
                .create_view(&showrunner_render::wgpu::TextureViewDescriptor {
                    dimension: Some(showrunner_render::wgpu::TextureViewDimension::D2),
                    base_array_layer: layer as u32,
                    array_layer_count: Some(1),
                    ..Default::default()
                });
            self.interop.tensor_to_texture(
                &gpu.device,
                &gpu.queue,
                &out,
                &view,
                size,
                rect,
                self.feather,
                1.0,
                &self.burn,
            )?;
        }
        Ok(())
    }
}

/// "1 step × 128 px" / "half rate" / "off".
pub fn describe(p: Plan) -> String {
    if !p.is_on() {
        "off".into()
    } else if p.every > 1 {
        format!("{} step × {} px at half rate", p.steps, p.region)
    } else {
        format!(
            "{} step{} × {} px",
            p.steps,
            if p.steps == 1 { "" } else { "s" },
            p.region
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_render::{read_eye, FrameInputs, Renderer};
    use showrunner_scene::hecs::World;

    #[test]
    fn a_gpu_validation_error_in_the_stage_turns_it_off_instead_of_aborting() {
        let gpu = Gpu::headless().expect("lavapipe");
        // burn on the device installs cubecl's uncaptured-error handler, which panics.
        let _burn = showrunner_refine::gpu_device(
            gpu.instance.clone(),
            gpu.raw_adapter.clone(),
            gpu.device.clone(),
            gpu.queue.clone(),
        )
        .unwrap();
        let caught = within_error_scope(&gpu.device, || {
            // MAP_READ goes with COPY_DST only: a validation error.
            let _ = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("invalid on purpose"),
                size: 16,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            });
            Ok(())
        })
        .unwrap_err()
        .to_string();
        assert!(caught.contains("validation error"), "{caught}");
        assert!(caught.contains("refinement is off"), "{caught}");
        assert_eq!(within_error_scope(&gpu.device, || Ok(7)).unwrap(), 7);
    }

    #[test]
    fn the_region_aims_at_the_gaze_and_follows_it_smoothly() {
        let eye = EyeView::look_at(Vec3::ZERO, Vec3::NEG_Z, 1.0, 2.0);
        let size = (200, 100);
        // No gaze, or a gaze behind the eye or off the image: the view centre.
        assert_eq!(aim(&eye, None, size), (100.0, 50.0));
        assert_eq!(aim(&eye, Some(Vec3::Z), size), (100.0, 50.0));
        assert_eq!(
            aim(&eye, Some(Vec3::new(-1.0, 0.0, -0.1)), size),
            (100.0, 50.0)
        );
        // A pixel's direction lands back on that pixel.
        for p in [(10.0, 10.0), (150.0, 80.0), (100.0, 50.0)] {
            let d = pixel_dir(&eye, p, size);
            let (x, y) = aim(&eye, Some(d), size);
            assert!(
                (x - p.0).abs() < 0.01 && (y - p.1).abs() < 0.01,
                "{p:?}: {x} {y}"
            );
        }
        // At 90 Hz the region covers about a quarter of the way a frame: a saccade's target
        // in about ten frames, never overshot.
        let mut at = follow(None, (0.0, 0.0), 11.1);
        assert_eq!(at, (0.0, 0.0));
        at = follow(Some(at), (100.0, 0.0), 11.1);
        assert!((at.0 - 27.2).abs() < 0.5, "{at:?}");
        for _ in 0..9 {
            at = follow(Some(at), (100.0, 0.0), 11.1);
            assert!(at.0 <= 100.0);
        }
        assert!(at.0 > 95.0, "{at:?}");
        // Nonsense in, the target out.
        assert_eq!(follow(Some((f32::NAN, 0.0)), (5.0, 6.0), 11.1), (5.0, 6.0));
    }

    #[test]
    fn view_centres_and_reprojection() {
        let eye = EyeView::look_at(Vec3::ZERO, Vec3::NEG_Z, 1.0, 1.0);
        let ((x, y), dir) = view_centre(&eye, (200, 100));
        assert!((x - 100.0).abs() < 1e-3 && (y - 50.0).abs() < 1e-3);
        assert!(dir.distance(Vec3::NEG_Z) < 1e-5);
        // The head turns right: what was ahead moves left in the image.
        let turned = EyeView::look_at(Vec3::ZERO, Vec3::new(0.1, 0.0, -1.0), 1.0, 1.0);
        let (px, _) = project_dir(&turned, dir, (200, 100)).unwrap();
        assert!(px < 100.0, "{px}");
    }

    /// Found by the Monado test: the second slot resolved its timestamps at
    /// offset 16, which wgpu rejects (offsets must be 256-aligned), and the
    /// validation error aborted the headset app on the budget controller's
    /// first probe. Every slot is used here, twice over.
    #[test]
    fn the_timer_uses_every_slot_without_a_validation_error() {
        let gpu = Gpu::headless().expect("lavapipe");
        let Some(mut timer) = GpuTimer::new(&gpu) else {
            eprintln!("no timestamp queries on this adapter; nothing to check");
            return;
        };
        // A validation error panics here (wgpu's default handler).
        let mut times = Vec::new();
        for _ in 0..2 * timer.slots.len() {
            timer.begin(&gpu);
            timer.end(&gpu);
            let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
            times.extend(timer.collect(&gpu));
        }
        assert_eq!(times.len(), 2 * timer.slots.len(), "{times:?}");
        assert!(
            times.iter().all(|t| t.is_finite() && *t >= 0.0),
            "{times:?}"
        );
    }

    #[test]
    fn the_stage_refines_the_centre_and_leaves_the_rest() {
        let gpu = Gpu::headless().expect("lavapipe");
        let dir = tempfile::tempdir().unwrap();
        let weights = dir.path().join("w.bpk");
        // Untrained weights with a visible effect: a freshly seeded network.
        let cpu = showrunner_refine::cpu_device();
        cpu.seed(3);
        let m = UnetConfig::new().init(&cpu);
        let x = Tensor::<4>::ones([1, 3, 8, 8], &cpu);
        let g = Tensor::<4>::ones([1, showrunner_refine::GUIDE_CHANNELS, 8, 8], &cpu);
        let _ = m.forward(x.clone(), x, g, 0.1);
        showrunner_refine::save(&m, &weights).unwrap();
        let profile = Profile {
            name: "test",
            region: 32,
            steps: 1,
        };
        let mut stage = RefineStage::new(&gpu, &weights, profile, 60.0).unwrap();
        let mut renderer = Renderer::new(&gpu.device, &gpu.queue);
        let target = RenderTarget::new(&gpu.device, 64, 48).keeping_depth();
        let eyes = EyeView::stereo(
            Vec3::new(0.0, 1.2, 0.5),
            Vec3::new(0.0, 1.0, -3.0),
            0.064,
            1.0,
            64.0 / 48.0,
        );
        let inputs = FrameInputs {
            eyes,
            light: Default::default(),
            sun: (Vec3::NEG_Y, Vec3::ONE),
            grade: Default::default(),
        };
        let world = World::new();
        let mut draw = |stage: &mut RefineStage, gaze: Option<Vec3>| {
            let cmd = renderer.render(&world, &inputs, &target);
            gpu.queue.submit([cmd]);
            stage.apply(&gpu, &target, &eyes, gaze, 0.3).unwrap();
            read_eye(&gpu.device, &gpu.queue, &target, 0).unwrap()
        };
        let mut gaze = None;
        let plain = draw(&mut stage, gaze); // no baseline yet: off
        let said: Vec<String> = (0..BASELINE_FRAMES)
            .filter_map(|_| stage.frame_time(&gpu, 5.0))
            .collect();
        // The region is sized from the eye's resolution, under the profile's 32 px.
        assert!(
            said[0].contains("32 px regions round where the viewer looks")
                && said[0].contains("the profile stops at 32"),
            "{said:?}"
        );
        let refined = draw(&mut stage, gaze);
        assert!(stage.plan().is_on());
        let px = |img: &[u8], x: usize, y: usize| img[(y * 64 + x) * 4..][..3].to_vec();
        assert_ne!(
            px(&plain, 32, 24),
            px(&refined, 32, 24),
            "the centre is refined"
        );
        assert_eq!(px(&plain, 1, 1), px(&refined, 1, 1), "the corner is not");
        // The eyes look to the upper left: the region follows them there within a few
        // frames, and the middle is left alone.
        gaze = Some(pixel_dir(&eyes[0], (16.0, 16.0), (64, 48)));
        let mut looked = Vec::new();
        for _ in 0..12 {
            looked = draw(&mut stage, gaze);
        }
        let c = stage.centre[0].unwrap();
        assert!(
            (c.0 - 16.0).abs() < 1.0 && (c.1 - 16.0).abs() < 1.0,
            "{c:?}"
        );
        assert_ne!(
            px(&plain, 16, 16),
            px(&looked, 16, 16),
            "where the eyes rest"
        );
        assert_eq!(
            px(&plain, 48, 36),
            px(&looked, 48, 36),
            "away from the eyes"
        );
        // A refined frame that blows the budget turns it down (timed on the
        // GPU where lavapipe has timestamps: a 32 px step takes far more than
        // a third of a 60 Hz frame there; by the frame time otherwise).
        let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
        let msg = stage.frame_time(&gpu, 500.0).expect("the plan changes");
        eprintln!("{msg}");
        assert!(msg.contains("→"), "{msg}");
        assert_ne!(stage.budget.plan(), stage.budget.plans()[0]);
    }
}
