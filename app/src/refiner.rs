//! `showrunner refiner`: the refiner's data, training, evaluation and timing.
//!
//! - `data`: renders training and held-out pairs from the sample's sets (the procedural
//!   sets and actors of `showrunner_assets`, built in memory).
//!   Each pair is one shot rendered twice by the project's renderer:
//!   *cheap* (the real-time path: one sample a pixel, 3 × 3 shadow filter,
//!   no ambient occlusion, the in-shader grade) and *reference* (4 × 4
//!   supersampled, soft shadows, depth-derived ambient occlusion, bloom, and
//!   a finishing pass: local contrast and a film grade with an S-curve, split
//!   toning and lifted blacks). Shots span 5–50° of
//!   view on 128 px: from the pixel density the refiner sees around the view
//!   centre in a headset (~22 px per degree) to wide views with more edges.
//!   Four sets, with the rest of their families, are held out of training entirely. The cheap frame's depth
//!   is kept as the depth guide; `train` and `eval` add the ambient
//!   occlusion the GPU derives from it at run time ([`network_guide`]).
//! - `train`: burn autodiff on burn-ndarray; deterministic from `--seed`,
//!   with a progress bar, checkpoints and `--resume`.
//! - `eval`: PSNR / SSIM of cheap and refined against the reference on the
//!   held-out shots, and flicker on a still shot, as JSON; `--dump DIR`
//!   writes the PNGs so anyone can recompute them
//!   (`tests/refine/check_metrics.py`).
//! - `bench`: per-step time on burn-ndarray and on the wgpu device.
//! - `export`: weights and a probe input as raw little-endian f32 with a JSON
//!   index, for the PyTorch side-by-side (`tests/refine/torch_side_by_side.py`).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use showrunner_assets::actors::load_cast;
use showrunner_assets::sets::load_sets;
use showrunner_core::{Directive, Stakes};
use showrunner_refine::burn::tensor::{Device, Tensor, TensorData};
use showrunner_refine::{box_blur, GUIDE_CHANNELS};
use showrunner_refine::{metrics, Motion, Pair, Temporal, TrainConfig, Trainer, UnetConfig};
use showrunner_render::{
    read_depth, read_eye, EyeView, FrameInputs, Gpu, Grade, RenderTarget, Renderer,
};
use showrunner_scene::components::{Character, Transform};
use showrunner_scene::glam::Vec3;
use showrunner_scene::sets::SetLibrary;
use showrunner_scene::Scene;

use crate::images::read_rgb_png;
use crate::room::studio as studio_light;

/// The shipped weights.
pub const WEIGHTS: &str = "assets/refiner/refiner.bpk";

/// Sets never seen in training: the held-out scenes, one of each family of the sample's
/// sets (`showrunner_assets::sets`) whose others are not trained on either, so no held-out
/// shot shares its geometry with a training one: two rooms of the keeper's quarters, the slip
/// at dawn (its ember and ice states are not trained on), the gallery in the storm (nor are
/// the rogue wave and the flare, seen from the same walkway).
const HELD_OUT: [&str; 4] = ["kitchen", "radio_room", "dawn_slip", "gallery"];
/// Sets used for training: the lamp room in its five states, the landing, the stairwell, the
/// shore under the title, the gut in the storm, the blackout.
const TRAIN: [&str; 10] = [
    "lamp_room",
    "lamp_room_dark",
    "lamp_room_day",
    "lamp_room_ember",
    "lamp_room_ice",
    "landing",
    "stairwell",
    "title_card",
    "the_gut",
    "blackout",
];
/// Actors the shots cast.
const ACTORS: [(&str, &str); 5] = [
    ("keeper", "mara"),
    ("skipper", "tomas"),
    ("deckhand", "calum"),
    ("boatman", "shiel"),
    ("coastguard", "coastguard"),
];
/// Supersampling of the reference (per axis).
const SS: u32 = 4;
/// Depth guide PNGs: 16-bit steps of 1/4096, up to 16.
const GUIDE_UNIT: f32 = 4096.0;
const GUIDE_MAX: f32 = 15.99;
/// The reference's shadow penumbra, shadow-map texels.
const SOFT_SHADOW: f32 = 8.0;

/// `showrunner refiner …`
#[derive(Subcommand)]
pub enum RefinerCommand {
    /// Render training and held-out pairs (cheap, reference) into a folder; a run cut short
    /// goes on where it stopped when run again with the same options.
    Data {
        /// Output folder (`train/` and `held-out/` with NAME.cheap.png and NAME.reference.png).
        #[arg(long, default_value = "refiner-data")]
        out: PathBuf,
        /// Shots per training set (10 sets).
        #[arg(long, default_value_t = 64)]
        shots: usize,
        /// Shots per held-out set (4 sets).
        #[arg(long, default_value_t = 6)]
        held_out_shots: usize,
        /// Frame side, pixels.
        #[arg(long, default_value_t = 128)]
        size: u32,
        /// Seed of the shots (camera, light, grade, cast).
        #[arg(long, default_value_t = 11)]
        seed: u64,
    },
    /// Train the denoiser on a data folder (made first when missing).
    Train {
        /// The data folder (see `refiner data`).
        #[arg(long, default_value = "refiner-data")]
        data: PathBuf,
        /// Checkpoint folder.
        #[arg(long, default_value = "refiner-run")]
        out: PathBuf,
        /// Continue the run checkpointed in --out.
        #[arg(long)]
        resume: bool,
        /// Optimiser steps.
        #[arg(long, default_value_t = 2000)]
        steps: usize,
        /// Crops per step.
        #[arg(long, default_value_t = 4)]
        batch: usize,
        /// Crop side, pixels (multiple of 8).
        #[arg(long, default_value_t = 64)]
        crop: usize,
        /// Peak learning rate.
        #[arg(long, default_value_t = 2e-3)]
        lr: f64,
        /// Seed of weights, crops and noise.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Checkpoint every this many steps.
        #[arg(long, default_value_t = 100)]
        every: usize,
        /// Where to write the final weights.
        #[arg(long, default_value = WEIGHTS)]
        weights: PathBuf,
        /// Start from these weights (fine-tuning) instead of from scratch.
        #[arg(long, value_name = "FILE.bpk")]
        init: Option<PathBuf>,
        /// Weight of the (1 − SSIM) term in the loss, beside MSE and the gradient L1.
        #[arg(long, default_value_t = 1.0)]
        ssim_weight: f32,
        /// Stop (after a checkpoint) once this many steps are done, as if
        /// interrupted (tests of --resume).
        #[arg(long, hide = true)]
        stop_after: Option<usize>,
    },
    /// Quality on held-out shots (JSON on stdout).
    Eval {
        /// Weights.
        #[arg(long, default_value = WEIGHTS)]
        weights: PathBuf,
        /// The data folder (see `refiner data`; made first when missing).
        #[arg(long, default_value = "refiner-data")]
        data: PathBuf,
        /// Also write NAME.cheap.png, NAME.refined.png, NAME.reference.png and eval.json here.
        #[arg(long, value_name = "DIR")]
        dump: Option<PathBuf>,
        /// Denoising steps.
        #[arg(long, default_value_t = 1)]
        steps: usize,
        /// Noise level the refinement starts from (0..0.3, the range it was trained on).
        #[arg(long, default_value_t = 0.1)]
        strength: f32,
        /// Frames of the still shot the flicker is measured on.
        #[arg(long, default_value_t = 10)]
        flicker_frames: usize,
        /// Weight of the reprojected history where the scene held still (0..1).
        #[arg(long, default_value_t = showrunner_refine::Temporal::default().history)]
        history: f32,
        /// Change in the cheap render (0..1, mean over channels) at which the history is rejected.
        #[arg(long, default_value_t = showrunner_refine::Temporal::default().reject)]
        reject: f32,
        /// Widening of the refined frame's 3 × 3 neighbourhood range the history
        /// is clamped to, against trails (0..1; negative: unclamped).
        #[arg(long, default_value_t = showrunner_refine::Temporal::default().clamp.unwrap_or(-1.0))]
        clamp: f32,
    },
    /// Time one refinement step (median and p99) on the CPU backends (burn-flex,
    /// and burn-ndarray as the baseline) and the wgpu device; with --train, one
    /// training step on the CPU backends.
    Bench {
        /// Region sides to time.
        #[arg(long, value_delimiter = ',', default_value = "64,128")]
        sizes: Vec<usize>,
        /// Timed runs per size and backend (after one warm-up).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// `cpu` (burn-flex, the CPU backend), `ndarray` (burn-ndarray, the CPU
        /// backend before it), `wgpu` (the GPU, or Mesa's lavapipe), or `all`; a
        /// list with commas.
        #[arg(long, value_delimiter = ',', default_value = "all")]
        backend: Vec<String>,
        /// Time one training step instead, as `refiner train` takes it (a batch
        /// of 4 crops of 64 × 64, noised, forward, loss, backward, Adam), on
        /// the CPU backends `--backend` names (burn-flex and burn-ndarray with `all`).
        #[arg(long)]
        train: bool,
    },
    /// Write weights and a probe (input and the CPU backend's output, burn-flex) as raw f32 for PyTorch.
    Export {
        /// Weights.
        #[arg(long, default_value = WEIGHTS)]
        weights: PathBuf,
        /// Output folder (index.json, tensors.f32).
        #[arg(long)]
        out: PathBuf,
        /// Side of the probe input.
        #[arg(long, default_value_t = 128)]
        size: usize,
    },
}

/// One shot of a scene.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Shot {
    name: String,
    set: String,
    cast: Vec<(String, String)>,
    debris: bool,
    head: [f32; 3],
    target: [f32; 3],
    /// Vertical field of view, degrees.
    fov_deg: f32,
    sun: [f32; 3],
    grade: [f32; 4],
    settle_s: f32,
}

/// A tiny deterministic generator (SplitMix64), so shots need no RNG crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn f(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
    fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn plan_shots(sets: &[&str], per_set: usize, seed: u64) -> Vec<Shot> {
    let mut rng = Rng(seed);
    let mut shots = Vec::new();
    for set in sets {
        for k in 0..per_set {
            let n_cast = 1 + rng.pick(3);
            let mut cast: Vec<(String, String)> = Vec::new();
            while cast.len() < n_cast {
                let (r, a) = ACTORS[rng.pick(ACTORS.len())];
                if !cast.iter().any(|(role, _)| role == r) {
                    cast.push((r.into(), a.into()));
                }
            }
            let head = [rng.f(-1.2, 1.2), rng.f(1.0, 1.8), rng.f(-0.8, 1.2)];
            // Aim near the stage: a character's mark or the set; resolved when staged.
            let target = [rng.f(-1.6, 1.6), rng.f(0.3, 1.7), rng.f(-4.0, -2.2)];
            let sun = Vec3::new(rng.f(-0.8, 0.8), -1.0, rng.f(-0.8, 0.6)).normalize();
            shots.push(Shot {
                name: format!("{set}-{k:02}"),
                set: (*set).into(),
                cast,
                debris: rng.pick(4) == 0,
                head,
                target,
                fov_deg: rng.f(5.0, 50.0),
                sun: sun.into(),
                grade: [
                    rng.f(-0.6, 0.6),
                    rng.f(-0.7, 0.7),
                    rng.f(0.7, 1.3),
                    rng.f(0.8, 1.2),
                ],
                settle_s: rng.f(3.0, 8.0),
            });
        }
    }
    shots
}

fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(c: f32) -> f32 {
    let c = c.clamp(0.0, 1.0);
    if c <= 0.003_130_8 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// The renderer's near plane: its reversed-Z depth is `d = NEAR / z`.
const NEAR: f32 = 0.05;

/// The reference's ambient occlusion: [`showrunner_refine::occlusion()`] of
/// the supersampled depth.
fn depth_ao(depth: &[f32], w: usize, h: usize, focal_px: f32) -> Vec<f32> {
    showrunner_refine::occlusion(depth, w, h, focal_px, NEAR)
}

/// The reference look applied after the renderer's own grade: a filmic
/// S-curve, teal shadows and warm highlights, lifted blacks.
fn film_grade(c: [f32; 3]) -> [f32; 3] {
    let c = c.map(|v| v.clamp(0.0, 1.0));
    let l = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    let shadow = (1.0 - l) * (1.0 - l);
    let high = l * l;
    let tint_s = [-0.03, 0.005, 0.04];
    let tint_h = [0.04, 0.012, -0.035];
    let mut out = [0.0; 3];
    for i in 0..3 {
        let x = c[i].clamp(0.0, 1.0);
        let s = x * x * (3.0 - 2.0 * x);
        let v = x + 0.8 * (s - x) + shadow * tint_s[i] + high * tint_h[i];
        out[i] = (0.03 + 0.96 * v).clamp(0.0, 1.0);
    }
    out
}

/// Renders shots cheap and reference.
struct Studio {
    gpu: Gpu,
    renderer: Renderer,
    library: SetLibrary,
    cheap: RenderTarget,
    reference: RenderTarget,
    size: u32,
}

/// A staged shot, ready to render (possibly several frames, for flicker).
struct Staged {
    scene: Scene,
    clock: f32,
}

impl Staged {
    fn advance(&mut self, seconds: f32) {
        self.scene.advance(seconds, 1.0 / 30.0, &mut self.clock);
    }
}

impl Studio {
    fn new(size: u32) -> Result<Self> {
        let gpu =
            Gpu::headless().context("rendering training pairs needs a GPU or Mesa's lavapipe")?;
        let mut renderer = Renderer::new(&gpu.device, &gpu.queue);
        // The sample's sets and actors as the project builds them (not files an author may
        // have put in assets/), so the same seed makes the same pairs everywhere.
        let mut sets = load_sets(&[], true);
        let actors: Vec<String> = ACTORS.iter().map(|(_, a)| (*a).to_owned()).collect();
        let cast = load_cast(&actors, &[], &[], true)?;
        for m in sets.models.iter().chain(&cast.models) {
            renderer.add_model(m);
        }
        for (actor, p) in cast.performers {
            sets.library.cast(&actor, p);
        }
        // Its depth is the refiner's guide (the real-time path has it too).
        let cheap = RenderTarget::new(&gpu.device, size, size).keeping_depth();
        // Its depth is read back for ambient occlusion.
        let reference = RenderTarget::new(&gpu.device, size * SS, size * SS).keeping_depth();
        Ok(Self {
            gpu,
            renderer,
            library: sets.library,
            cheap,
            reference,
            size,
        })
    }

    fn stage(&self, shot: &Shot) -> Staged {
        let mut s = Staged {
            scene: Scene::new(self.library.clone()),
            clock: 0.0,
        };
        let mut ds = vec![Directive::Scene(shot.set.clone())];
        ds.extend(shot.cast.iter().map(|(role, actor)| Directive::Cast {
            role: role.clone(),
            actor: actor.clone(),
        }));
        if shot.debris {
            ds.push(Directive::Stakes(Stakes::High));
        }
        s.scene.stage(&ds);
        s.advance(shot.settle_s);
        s
    }

    fn inputs(&self, shot: &Shot, staged: &Staged) -> FrameInputs {
        // The shot is planned around the set's seat (where the viewer's vantage puts them).
        let vantage = staged.scene.vantage;
        let head = vantage.point(Vec3::from(shot.head));
        // Aim at the nearest character to the planned target when one is close.
        let mut target = vantage.point(Vec3::from(shot.target));
        let mut best = f32::MAX;
        for (_, t) in staged
            .scene
            .world
            .query::<(&Character, &Transform)>()
            .iter()
        {
            let p = t.translation + Vec3::new(0.0, 1.4, 0.0);
            let d = p.distance(target);
            if d < best && d < 2.0 {
                best = d;
                target = p;
            }
        }
        let (light, _) = studio_light();
        let g = shot.grade;
        let eye = EyeView::look_at(head, target, shot.fov_deg.to_radians(), 1.0);
        FrameInputs {
            eyes: [eye, eye],
            light,
            sun: (Vec3::from(shot.sun), Vec3::splat(1.0)),
            grade: Grade {
                exposure_ev: g[0],
                warmth: g[1],
                saturation: g[2],
                contrast: g[3],
            },
        }
    }

    /// The cheap frame, RGB8.
    fn cheap(&mut self, inputs: &FrameInputs, staged: &Staged) -> Result<Vec<u8>> {
        self.renderer.set_shadow_softness(0.0);
        let cmd = self
            .renderer
            .render(&staged.scene.world, inputs, &self.cheap);
        self.gpu.queue.submit([cmd]);
        let rgba = read_eye(&self.gpu.device, &self.gpu.queue, &self.cheap, 0)?;
        Ok(rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect())
    }

    /// The cheap frame's depth guide: [`showrunner_refine::disparity`] of
    /// each pixel, row-major (what `refiner data` stores).
    fn guide(&self, inputs: &FrameInputs) -> Result<Vec<f32>> {
        let depth = read_depth(&self.gpu.device, &self.gpu.queue, &self.cheap, 0)?;
        let p = &inputs.eyes[0].projection;
        // Reversed-Z infinite projection: w_axis.z is the near plane.
        let scale = showrunner_refine::disparity_scale(p.y_axis.y, p.w_axis.z, self.size);
        Ok(depth
            .iter()
            .map(|&z| showrunner_refine::disparity(z, scale))
            .collect())
    }

    /// The network's whole guide for the cheap frame ([`network_guide`]).
    fn network_guide(&self, inputs: &FrameInputs) -> Result<Vec<f32>> {
        let n = self.size as usize;
        let focal = inputs.eyes[0].projection.y_axis.y * n as f32 / 2.0;
        Ok(network_guide(self.guide(inputs)?, n, n, focal))
    }

    /// The reference frame, RGB8.
    fn reference(&mut self, inputs: &FrameInputs, staged: &Staged) -> Result<Vec<u8>> {
        self.renderer.set_shadow_softness(SOFT_SHADOW);
        let cmd = self
            .renderer
            .render(&staged.scene.world, inputs, &self.reference);
        self.gpu.queue.submit([cmd]);
        let big = (self.size * SS) as usize;
        let rgba = read_eye(&self.gpu.device, &self.gpu.queue, &self.reference, 0)?;
        let depth = read_depth(&self.gpu.device, &self.gpu.queue, &self.reference, 0)?;
        self.renderer.set_shadow_softness(0.0);
        // Focal length in pixels: the projection's y scale is 1 / tan(fov / 2).
        let focal = inputs.eyes[0].projection.y_axis.y * big as f32 / 2.0;
        let ao = depth_ao(&depth, big, big, focal);
        let n = self.size as usize;
        let ss = SS as usize;
        // Supersampling: the mean of 4 × 4 samples in linear light, occluded.
        let mut lin = vec![0.0f32; n * n * 3];
        for y in 0..n {
            for x in 0..n {
                for sy in 0..ss {
                    for sx in 0..ss {
                        let i = (y * ss + sy) * big + x * ss + sx;
                        for c in 0..3 {
                            lin[(y * n + x) * 3 + c] +=
                                srgb_to_linear(f32::from(rgba[i * 4 + c]) / 255.0) * ao[i];
                        }
                    }
                }
            }
        }
        lin.iter_mut().for_each(|v| *v /= (ss * ss) as f32);
        Ok(finish(&lin, n))
    }
}

/// Per-channel planes of an interleaved RGB image.
fn planes(rgb: &[f32], n: usize) -> [Vec<f32>; 3] {
    std::array::from_fn(|c| (0..n * n).map(|i| rgb[i * 3 + c]).collect())
}

/// The reference's finishing, on a supersampled, occluded frame in linear
/// light (`n` × `n`, interleaved RGB): bloom around highlights, then in
/// display space local contrast ("clarity", an unsharp mask) and the film
/// grade. Returns RGB8.
fn finish(lin: &[f32], n: usize) -> Vec<u8> {
    let bloom_r = (n / 48).max(1);
    let bright: Vec<f32> = lin.iter().map(|v| (v - 0.55).max(0.0)).collect();
    let glow = planes(&bright, n).map(|p| box_blur(&box_blur(&p, n, n, bloom_r), n, n, bloom_r));
    let display: Vec<f32> = (0..n * n * 3)
        .map(|i| linear_to_srgb(lin[i] + 0.4 * glow[i % 3][i / 3]))
        .collect();
    let soft = planes(&display, n).map(|p| box_blur(&p, n, n, 2));
    let mut out = Vec::with_capacity(n * n * 3);
    for i in 0..n * n {
        let px: [f32; 3] =
            std::array::from_fn(|c| display[i * 3 + c] + 0.7 * (display[i * 3 + c] - soft[c][i]));
        for v in film_grade(px) {
            out.push((v * 255.0 + 0.5) as u8);
        }
    }
    out
}

/// An RGB picture, marked with where it came from (the refiner's output or the engine's render).
fn write_rgb_png(
    path: &Path,
    w: u32,
    h: u32,
    rgb: &[u8],
    provenance: crate::images::Provenance,
) -> Result<()> {
    crate::images::write_png(
        path,
        (w, h),
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        rgb,
        provenance,
    )
}

/// The depth guide as a 16-bit grey PNG: `value × 4096` (0..16).
fn write_guide_png(path: &Path, w: u32, h: u32, guide: &[f32]) -> Result<()> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Sixteen);
        let data: Vec<u8> = guide
            .iter()
            .flat_map(|g| ((g.clamp(0.0, GUIDE_MAX) * GUIDE_UNIT).round() as u16).to_be_bytes())
            .collect();
        enc.write_header()?.write_image_data(&data)?;
    }
    crate::persist::write_atomic(path, &bytes)
        .with_context(|| format!("{}: cannot write", path.display()))
}

/// Reads a depth guide written by [`write_guide_png`].
fn read_guide_png(path: &Path) -> Result<(u32, u32, Vec<f32>)> {
    let file = fs::File::open(path).with_context(|| {
        format!(
            "{}: cannot open (data from before the depth guide? render it again with `showrunner refiner data`)",
            path.display()
        )
    })?;
    let (info, buf) = crate::images::decode_png(file, path, png::Transformations::IDENTITY)?;
    if info.color_type != png::ColorType::Grayscale || info.bit_depth != png::BitDepth::Sixteen {
        bail!(
            "{}: a depth guide is a 16-bit grey PNG, this is {:?} {:?}",
            path.display(),
            info.color_type,
            info.bit_depth
        );
    }
    let px = (info.width * info.height) as usize;
    let v = buf[..px * 2]
        .chunks_exact(2)
        .map(|b| f32::from(u16::from_be_bytes([b[0], b[1]])) / GUIDE_UNIT)
        .collect();
    Ok((info.width, info.height, v))
}

/// The data folder's index.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    size: u32,
    seed: u64,
    train: Vec<Shot>,
    held_out: Vec<Shot>,
}

fn make_data(out: &Path, shots: usize, held_out_shots: usize, size: u32, seed: u64) -> Result<()> {
    if size % 8 != 0 || size < 16 {
        bail!("--size {size}: use a multiple of 8, at least 16");
    }
    let manifest = Manifest {
        size,
        seed,
        train: plan_shots(&TRAIN, shots, seed),
        held_out: plan_shots(&HELD_OUT, held_out_shots, seed ^ 0xA5A5),
    };
    // A run cut short (killed, out of memory: lavapipe holds on to memory for every pass it
    // draws) goes on where it stopped: the plan is written first, and a shot of the same plan
    // whose three files are there (each written whole, atomically) is not rendered again.
    fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let plan_path = out.join("manifest.partial.json");
    let plan = serde_json::to_vec_pretty(&manifest)?;
    let resuming = fs::read(&plan_path).is_ok_and(|p| p == plan);
    if !resuming {
        crate::persist::write_atomic(&plan_path, &plan)
            .with_context(|| format!("{}: cannot write", plan_path.display()))?;
    }
    let mut studio = Studio::new(size)?;
    let total = manifest.train.len() + manifest.held_out.len();
    let mut kept = 0;
    let bar = indicatif::ProgressBar::new(total as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "rendering pairs {bar:30} {pos}/{len} {msg} [{elapsed}<{eta}]",
        )
        .expect("a valid template"),
    );
    for (folder, list) in [("train", &manifest.train), ("held-out", &manifest.held_out)] {
        let dir = out.join(folder);
        fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        for shot in list.iter() {
            bar.set_message(shot.name.clone());
            let done = |kind: &str| {
                fs::metadata(dir.join(format!("{}.{kind}.png", shot.name)))
                    .is_ok_and(|m| m.len() > 0)
            };
            if resuming && ["cheap", "depth", "reference"].into_iter().all(done) {
                kept += 1;
                bar.inc(1);
                continue;
            }
            let staged = studio.stage(shot);
            let inputs = studio.inputs(shot, &staged);
            let cheap = studio.cheap(&inputs, &staged)?;
            let guide = studio.guide(&inputs)?;
            let reference = studio.reference(&inputs, &staged)?;
            write_rgb_png(
                &dir.join(format!("{}.cheap.png", shot.name)),
                size,
                size,
                &cheap,
                crate::images::Provenance::RENDERED,
            )?;
            write_guide_png(
                &dir.join(format!("{}.depth.png", shot.name)),
                size,
                size,
                &guide,
            )?;
            write_rgb_png(
                &dir.join(format!("{}.reference.png", shot.name)),
                size,
                size,
                &reference,
                crate::images::Provenance::RENDERED,
            )?;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let path = out.join("manifest.json");
    crate::persist::write_atomic(&path, &plan)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    let _ = fs::remove_file(&plan_path);
    eprintln!(
        "{}: {} training pairs from {} sets, {} held-out pairs from {} other sets{}",
        out.display(),
        manifest.train.len(),
        TRAIN.len(),
        manifest.held_out.len(),
        HELD_OUT.len(),
        if kept > 0 {
            format!(" ({kept} already there from a run cut short)")
        } else {
            String::new()
        }
    );
    Ok(())
}

fn ensure_data(data: &Path) -> Result<Manifest> {
    let path = data.join("manifest.json");
    if !path.exists() {
        eprintln!(
            "{}: no data yet; rendering it (refiner data --out {})",
            data.display(),
            data.display()
        );
        make_data(data, 24, 6, 128, 11)?;
    }
    let text =
        fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a refiner data index; render it again with `showrunner refiner data`",
            path.display()
        )
    })
}

fn to_planar(rgb: &[u8]) -> Vec<f32> {
    let n = rgb.len() / 3;
    let mut v = vec![0.0; rgb.len()];
    for i in 0..n {
        for c in 0..3 {
            v[c * n + i] = f32::from(rgb[i * 3 + c]) / 255.0;
        }
    }
    v
}

fn from_planar(v: &[f32]) -> Vec<u8> {
    let n = v.len() / 3;
    let mut rgb = vec![0; v.len()];
    for i in 0..n {
        for c in 0..3 {
            rgb[i * 3 + c] = (v[c * n + i].clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
        }
    }
    rgb
}

/// The network's guide ([`showrunner_refine::GUIDE_CHANNELS`] planes) from a
/// depth guide of a `w` × `h` frame whose focal length is `focal_px`: the
/// disparity, then the occlusion made from it (as `to_occlusion` does on the
/// GPU at run time).
fn network_guide(mut disparity: Vec<f32>, w: usize, h: usize, focal_px: f32) -> Vec<f32> {
    let occlusion = showrunner_refine::guide_occlusion(&disparity, w, h, focal_px);
    disparity.extend(occlusion);
    disparity
}

fn load_pairs(data: &Path, folder: &str, shots: &[Shot]) -> Result<Vec<Pair>> {
    shots
        .iter()
        .map(|s| {
            let (w, h, cheap) =
                read_rgb_png(&data.join(folder).join(format!("{}.cheap.png", s.name)))?;
            let (w2, h2, reference) =
                read_rgb_png(&data.join(folder).join(format!("{}.reference.png", s.name)))?;
            let (w3, h3, guide) =
                read_guide_png(&data.join(folder).join(format!("{}.depth.png", s.name)))?;
            if (w, h) != (w2, h2) || (w, h) != (w3, h3) {
                bail!(
                    "{}: the cheap, reference and depth images of {} differ in size; render the data again with `showrunner refiner data`",
                    data.join(folder).display(),
                    s.name
                );
            }
            Ok(Pair {
                name: s.name.clone(),
                w: w as usize,
                h: h as usize,
                cheap: to_planar(&cheap),
                reference: to_planar(&reference),
                // The frame spans the shot's vertical field of view.
                guide: network_guide(
                    guide,
                    w as usize,
                    h as usize,
                    h as f32 / 2.0 / (s.fov_deg.to_radians() / 2.0).tan(),
                ),
            })
        })
        .collect()
}

fn tensor(v: Vec<f32>, shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(v, shape), device)
}

fn values(t: Tensor<4>) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading a tensor back: {e:?}"))
}

/// Runs `showrunner refiner …`.
pub fn run(command: RefinerCommand) -> Result<()> {
    match command {
        RefinerCommand::Data {
            out,
            shots,
            held_out_shots,
            size,
            seed,
        } => make_data(&out, shots, held_out_shots, size, seed),
        RefinerCommand::Train {
            data,
            out,
            resume,
            steps,
            batch,
            crop,
            lr,
            seed,
            every,
            weights,
            init,
            ssim_weight,
            stop_after,
        } => {
            if crop % 8 != 0 || crop == 0 {
                bail!("--crop {crop}: use a multiple of 8");
            }
            let manifest = ensure_data(&data)?;
            if crop > manifest.size as usize {
                bail!(
                    "--crop {crop} is larger than the data's {} px frames",
                    manifest.size
                );
            }
            let pairs = load_pairs(&data, "train", &manifest.train)?;
            let config = TrainConfig {
                seed,
                steps,
                batch,
                crop,
                lr,
                ssim_weight,
                init: init.map(|p| p.display().to_string()),
                ..TrainConfig::default()
            };
            let device = showrunner_refine::cpu_device();
            let mut trainer = if resume {
                Trainer::resume(&out, config, &device)?
            } else {
                if out.join("state.json").exists() {
                    bail!(
                        "{}: a run is checkpointed there; pass --resume to continue it, or another --out",
                        out.display()
                    );
                }
                Trainer::new(config, &device)?
            };
            let bar = indicatif::ProgressBar::new(steps as u64).with_style(
                indicatif::ProgressStyle::with_template(
                    "training {bar:30} {pos}/{len} loss {msg} [{elapsed}<{eta}]",
                )
                .expect("a valid template"),
            );
            bar.set_position(trainer.step as u64);
            let mut recent = Vec::new();
            let started = Instant::now();
            let first = trainer.step;
            while trainer.step < steps {
                let loss = trainer.step(&pairs);
                recent.push(loss);
                if recent.len() > 20 {
                    recent.remove(0);
                }
                bar.set_message(format!(
                    "{:.5}",
                    recent.iter().sum::<f32>() / recent.len() as f32
                ));
                bar.inc(1);
                if trainer.step % every.max(1) == 0 || trainer.step == steps {
                    trainer.checkpoint(&out)?;
                }
                if stop_after.is_some_and(|s| trainer.step >= s) {
                    trainer.checkpoint(&out)?;
                    bar.finish_and_clear();
                    eprintln!(
                        "stopped after {} steps; continue with --resume",
                        trainer.step
                    );
                    return Ok(());
                }
            }
            bar.finish_and_clear();
            if let Some(dir) = weights.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir)
                    .with_context(|| format!("{}: cannot create", dir.display()))?;
            }
            showrunner_refine::save(&trainer.model(), &weights)?;
            let per_step = started.elapsed().as_secs_f64() / (trainer.step - first).max(1) as f64;
            eprintln!(
                "trained {} steps ({:.2} s a step this run); loss by 50 steps: {:?}\nweights: {}",
                trainer.step,
                per_step,
                trainer
                    .losses
                    .iter()
                    .map(|l| (l * 1e5).round() / 1e5)
                    .collect::<Vec<_>>(),
                weights.display()
            );
            Ok(())
        }
        RefinerCommand::Eval {
            weights,
            data,
            dump,
            steps,
            strength,
            flicker_frames,
            history,
            reject,
            clamp,
        } => {
            let mut temporal = Temporal::default();
            temporal.history = history.clamp(0.0, 0.98);
            temporal.reject = reject.max(1e-3);
            temporal.clamp = (clamp >= 0.0).then_some(clamp.min(1.0));
            let report = evaluate(
                &weights,
                &data,
                dump.as_deref(),
                steps,
                strength,
                flicker_frames,
                &temporal,
            )?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        RefinerCommand::Bench {
            sizes,
            runs,
            backend,
            train,
        } => {
            if runs == 0 {
                bail!("--runs 0: time at least one run");
            }
            let report = if train {
                bench_train(runs, &backend)?
            } else {
                bench(&sizes, runs, &backend)?
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        RefinerCommand::Export { weights, out, size } => export(&weights, &out, size),
    }
}

fn evaluate(
    weights: &Path,
    data: &Path,
    dump: Option<&Path>,
    steps: usize,
    strength: f32,
    flicker_frames: usize,
    temporal: &Temporal,
) -> Result<Value> {
    let manifest = ensure_data(data)?;
    let pairs = load_pairs(data, "held-out", &manifest.held_out)?;
    let device = showrunner_refine::cpu_device();
    let model = showrunner_refine::load(weights, &UnetConfig::new(), &device)?;
    if let Some(d) = dump {
        fs::create_dir_all(d).with_context(|| format!("{}: cannot create", d.display()))?;
    }
    let mut frames = Vec::new();
    let (mut sums, mut n) = ([0.0f64; 4], 0.0f64);
    for (k, p) in pairs.iter().enumerate() {
        let shape = [1, 3, p.h, p.w];
        let cheap = tensor(p.cheap.clone(), shape, &device);
        let guide = tensor(p.guide.clone(), [1, GUIDE_CHANNELS, p.h, p.w], &device);
        let noise = showrunner_refine::region_noise(1000 + k as u64, shape, &device);
        let refined = from_planar(&values(showrunner_refine::refine(
            &model, cheap, guide, noise, steps, strength,
        ))?);
        let cheap8 = from_planar(&p.cheap);
        let ref8 = from_planar(&p.reference);
        let m = |img: &[u8]| {
            (
                metrics::psnr(&ref8, img),
                metrics::ssim(&ref8, img, p.w, p.h).unwrap_or(f64::NAN),
            )
        };
        let (cp, cs) = m(&cheap8);
        let (rp, rs) = m(&refined);
        sums[0] += cp;
        sums[1] += cs;
        sums[2] += rp;
        sums[3] += rs;
        n += 1.0;
        frames.push(json!({
            "name": p.name,
            "cheap": {"psnr": cp, "ssim": cs},
            "refined": {"psnr": rp, "ssim": rs},
        }));
        if let Some(d) = dump {
            let (w, h) = (p.w as u32, p.h as u32);
            use crate::images::Provenance;
            write_rgb_png(
                &d.join(format!("{}.cheap.png", p.name)),
                w,
                h,
                &cheap8,
                Provenance::RENDERED,
            )?;
            write_rgb_png(
                &d.join(format!("{}.refined.png", p.name)),
                w,
                h,
                &refined,
                Provenance::REFINED,
            )?;
            write_rgb_png(
                &d.join(format!("{}.reference.png", p.name)),
                w,
                h,
                &ref8,
                Provenance::RENDERED,
            )?;
        }
    }
    let mean = |i: usize| sums[i] / n.max(1.0);
    let flicker = flicker(
        &model,
        &manifest,
        flicker_frames,
        steps,
        strength,
        temporal,
        &device,
    )?;
    let motion = motion(
        &model,
        &manifest,
        flicker_frames,
        steps,
        strength,
        temporal,
        &device,
    )?;
    let report = json!({
        "weights": weights.display().to_string(),
        "held_out_sets": HELD_OUT,
        "frames_evaluated": pairs.len(),
        "steps": steps,
        "strength": strength,
        "cheap": {"psnr": mean(0), "ssim": mean(1)},
        "refined": {"psnr": mean(2), "ssim": mean(3)},
        "gain": {"psnr_db": mean(2) - mean(0), "ssim": mean(3) - mean(1)},
        "flicker": flicker,
        "motion": motion,
        "frames": frames,
    });
    if let Some(d) = dump {
        let path = d.join("eval.json");
        crate::persist::write_atomic(&path, &serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(report)
}

/// The first shot without falling props in each held-out set: where
/// [`flicker`] and [`motion`] are measured.
fn still_shots(manifest: &Manifest) -> Result<Vec<Shot>> {
    let shots: Vec<Shot> = HELD_OUT
        .iter()
        .filter_map(|set| {
            manifest
                .held_out
                .iter()
                .find(|s| s.set == *set && !s.debris)
        })
        .cloned()
        .collect();
    if shots.is_empty() {
        bail!("no held-out shots to measure flicker and motion on");
    }
    Ok(shots)
}

/// Frames of shots through the network, for [`flicker`] and [`motion`]:
/// one studio, the same noise every frame.
struct ShotRun<'a> {
    model: &'a showrunner_refine::Unet,
    studio: Studio,
    noise: Tensor<4>,
    steps: usize,
    strength: f32,
    device: &'a Device,
    size: usize,
}

impl<'a> ShotRun<'a> {
    fn new(
        model: &'a showrunner_refine::Unet,
        size: u32,
        steps: usize,
        strength: f32,
        device: &'a Device,
    ) -> Result<Self> {
        let n = size as usize;
        Ok(Self {
            model,
            studio: Studio::new(size)?,
            noise: showrunner_refine::region_noise(77, [1, 3, n, n], device),
            steps,
            strength,
            device,
            size: n,
        })
    }

    /// This frame's cheap render (RGB8, and as a tensor), the network's
    /// refinement of it (no temporal history) and its disparity (the guide's
    /// first channel, `[1, 1, n, n]`, for reprojecting the history).
    fn frame(
        &mut self,
        inputs: &FrameInputs,
        staged: &Staged,
    ) -> Result<(Vec<u8>, Tensor<4>, Tensor<4>, Tensor<4>)> {
        let n = self.size;
        let cheap8 = self.studio.cheap(inputs, staged)?;
        let cheap = tensor(to_planar(&cheap8), [1, 3, n, n], self.device);
        let guide = tensor(
            self.studio.network_guide(inputs)?,
            [1, GUIDE_CHANNELS, n, n],
            self.device,
        );
        let disparity = guide.clone().slice([0..1, 0..1, 0..n, 0..n]);
        let refined = showrunner_refine::refine(
            self.model,
            cheap.clone(),
            guide,
            self.noise.clone(),
            self.steps,
            self.strength,
        );
        Ok((cheap8, cheap, refined, disparity))
    }
}

/// Flicker on a still shot of a held-out set: the camera does not move, the
/// characters breathe and shift their weight. Mean absolute frame-to-frame
/// change of the cheap frames and of the refined ones (fixed noise, temporal
/// history).
fn flicker(
    model: &showrunner_refine::Unet,
    manifest: &Manifest,
    frames: usize,
    steps: usize,
    strength: f32,
    stability: &Temporal,
    device: &Device,
) -> Result<Value> {
    let shots = still_shots(manifest)?;
    let mut run = ShotRun::new(model, manifest.size, steps, strength, device)?;
    let (mut dc, mut dr, mut dref, mut pairs) = (0.0, 0.0, 0.0, 0usize);
    for shot in &shots {
        let mut staged = run.studio.stage(shot);
        let mut temporal = stability.clone();
        temporal.reset();
        let mut prev: Option<[Vec<u8>; 3]> = None;
        for _ in 0..frames.max(2) {
            let inputs = run.studio.inputs(shot, &staged);
            let (cheap8, cheap, refined, _) = run.frame(&inputs, &staged)?;
            let refined8 = from_planar(&values(temporal.stabilise(refined, cheap, 0, 0))?);
            // The look the refiner is trained toward, for scale: how much
            // the reference itself changes frame to frame.
            let reference8 = run.studio.reference(&inputs, &staged)?;
            if let Some([pc, pr, pref]) = &prev {
                dc += metrics::mean_abs_change(pc, &cheap8);
                dr += metrics::mean_abs_change(pr, &refined8);
                dref += metrics::mean_abs_change(pref, &reference8);
                pairs += 1;
            }
            prev = Some([cheap8, refined8, reference8]);
            staged.advance(1.0 / 30.0);
        }
    }
    let (c, r, rf) = (dc / pairs as f64, dr / pairs as f64, dref / pairs as f64);
    Ok(json!({
        "shots": shots.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        "frames_per_shot": frames.max(2),
        "cheap_mean_abs_change": c,
        "refined_mean_abs_change": r,
        "ratio": if c > 0.0 { r / c } else { 1.0 },
        "reference_mean_abs_change": rf,
        "reference_ratio": if c > 0.0 { rf / c } else { 1.0 },
        "history": stability.history,
        "reject": stability.reject,
        "clamp": stability.clamp,
    }))
}

/// Sideways head motion per frame in [`motion`], metres (0.45 m/s at 30 Hz:
/// a lean).
const MOTION_STEP_M: f32 = 0.015;

/// The price of the temporal history: the same still-shot frames as
/// [`flicker`], but the head moves sideways [`MOTION_STEP_M`] a frame, so
/// everything shifts with parallax. Each frame's stabilised output and the
/// network's own output for that frame are scored against the frame's
/// reference: where history the rejection kept lingers (a trail), the
/// stabilised frame scores lower. Twice, from the same refinements: with the
/// history reprojected by each pixel's depth (`Motion::with_parallax`, what
/// the run time does) and by the head's rotation alone (before it did).
fn motion(
    model: &showrunner_refine::Unet,
    manifest: &Manifest,
    frames: usize,
    steps: usize,
    strength: f32,
    stability: &Temporal,
    device: &Device,
) -> Result<Value> {
    let shots = still_shots(manifest)?;
    let size = manifest.size as usize;
    let mut run = ShotRun::new(model, manifest.size, steps, strength, device)?;
    // psnr, ssim: stabilised (depth), the network alone, the cheap frame, stabilised (rotation).
    let mut sums = [0.0f64; 8];
    // Mean |cheap − last cheap reprojected|: by depth, by rotation alone.
    let mut predicted_change = [0.0f64; 2];
    let mut n = 0.0;
    for shot in &shots {
        let mut staged = run.studio.stage(shot);
        let mut temporal = stability.clone();
        temporal.reset();
        let mut rotation_only = temporal.clone();
        let mut moving = shot.clone();
        let mut last_cheap: Option<Tensor<4>> = None;
        let mut last_eye: Option<Vec3> = None;
        let mut last_forward: Option<Vec3> = None;
        for k in 0..frames.max(2) {
            // Head and aim move together: the view slides sideways.
            moving.head[0] = shot.head[0] + k as f32 * MOTION_STEP_M;
            moving.target[0] = shot.target[0] + k as f32 * MOTION_STEP_M;
            let inputs = run.studio.inputs(&moving, &staged);
            let (cheap8, cheap, refined, disparity) = run.frame(&inputs, &staged)?;
            let alone8 = from_planar(&values(refined.clone())?);
            // How far the left eye (the one rendered) moved since the last frame, in its own
            // frame (the shot's vantage may turn the set's axes).
            let eye = &inputs.eyes[0];
            let seen =
                last_eye.map_or(Vec3::ZERO, |p| eye.view.transform_vector3(eye.position - p));
            last_eye = Some(eye.position);
            // Where the last frame's forward direction (a point at infinity: the head's turn,
            // as it keeps its aim on a character) lands now, from the image's centre.
            let half = size as f32 / 2.0;
            let turned = last_forward
                .and_then(|f| crate::refine_stage::project_dir(eye, f, (size as u32, size as u32)))
                .map_or((0.0, 0.0), |p| (p.0 - half, p.1 - half));
            last_forward = Some(eye.view.inverse().transform_vector3(Vec3::NEG_Z));
            let moved = Motion::shift(turned.0, turned.1).with_parallax(disparity, seen.x, seen.y);
            // How well each reprojection predicts this frame's cheap render from the last.
            if let Some(last) = last_cheap.take() {
                let rotation = Motion::shift(turned.0.round(), turned.1.round());
                for (i, m) in [&moved, &rotation].into_iter().enumerate() {
                    let predicted = showrunner_refine::warp(last.clone(), cheap.clone(), m);
                    let change: f32 = (predicted - cheap.clone()).abs().mean().into_scalar();
                    predicted_change[i] += f64::from(change);
                }
            }
            last_cheap = Some(cheap.clone());
            // Before: the head's turn alone, in whole pixels, as the run time reprojected.
            let rotated8 = from_planar(&values(rotation_only.stabilise(
                refined.clone(),
                cheap.clone(),
                turned.0.round() as i32,
                turned.1.round() as i32,
            ))?);
            let stable8 = from_planar(&values(temporal.stabilise_moved(refined, cheap, &moved))?);
            if k > 0 {
                let reference8 = run.studio.reference(&inputs, &staged)?;
                for (i, img) in [&stable8, &alone8, &cheap8, &rotated8]
                    .into_iter()
                    .enumerate()
                {
                    sums[2 * i] += metrics::psnr(&reference8, img);
                    sums[2 * i + 1] +=
                        metrics::ssim(&reference8, img, size, size).unwrap_or(f64::NAN);
                }
                n += 1.0;
            }
            staged.advance(1.0 / 30.0);
        }
    }
    let m = |i: usize| sums[i] / n;
    Ok(json!({
        "shots": shots.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        "frames_per_shot": frames.max(2),
        "head_step_m": MOTION_STEP_M,
        "cheap": {"psnr": m(4), "ssim": m(5)},
        "refined_with_history": {"psnr": m(0), "ssim": m(1)},
        "refined_without_history": {"psnr": m(2), "ssim": m(3)},
        "history_cost": {"psnr_db": m(2) - m(0), "ssim": m(3) - m(1)},
        "refined_with_history_rotation_only": {"psnr": m(6), "ssim": m(7)},
        "history_cost_rotation_only": {"psnr_db": m(2) - m(6), "ssim": m(3) - m(7)},
        "reprojection": "the history moved by each pixel's depth (history_cost) and, before, by the head's rotation alone (history_cost_rotation_only)",
        "cheap_change_after_reprojection": {"depth": predicted_change[0] / n, "rotation_only": predicted_change[1] / n},
    }))
}

/// Median and p99 of `times` (sorted here, at least one), milliseconds.
fn median_p99(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let p99 = times[((times.len() as f64 * 0.99).ceil() as usize).clamp(1, times.len()) - 1];
    (median, p99)
}

/// Whether `--backend`'s list asks for the backend `name` (`all` asks for every one).
fn wants(backend: &[String], name: &str) -> bool {
    backend.iter().any(|b| b == name || b == "all")
}

/// The first name in `--backend`'s list that is not one of `valid`.
fn unknown<'a>(backend: &'a [String], valid: &[&str]) -> Option<&'a String> {
    backend.iter().find(|b| !valid.contains(&b.as_str()))
}

fn bench(sizes: &[usize], runs: usize, backend: &[String]) -> Result<Value> {
    if let Some(b) = unknown(backend, &["cpu", "ndarray", "wgpu", "all"]) {
        bail!("--backend {b}: use cpu, ndarray, wgpu or all");
    }
    let wants = |name| wants(backend, name);
    // (name, device, im2col convolutions)
    let mut devices: Vec<(&str, Device, bool)> = Vec::new();
    if wants("cpu") {
        let cpu = showrunner_refine::cpu_device();
        let im2col = showrunner_refine::model::prefers_im2col(&cpu);
        devices.push(("flex", cpu.clone(), im2col));
        devices.push((
            if im2col { "flex-direct" } else { "flex-im2col" },
            cpu,
            !im2col,
        ));
    }
    if wants("ndarray") {
        devices.push(("ndarray", showrunner_refine::ndarray_device(), true));
        // burn-ndarray's own direct convolution.
        devices.push(("ndarray-direct", showrunner_refine::ndarray_device(), false));
    }
    if wants("wgpu") {
        let gpu = Gpu::headless().context("the wgpu bench needs a GPU or Mesa's lavapipe")?;
        let name = gpu.adapter.name.clone();
        let dev = showrunner_refine::gpu_device(
            gpu.instance.clone(),
            gpu.raw_adapter.clone(),
            gpu.device.clone(),
            gpu.queue.clone(),
        )?;
        eprintln!("wgpu adapter: {name}");
        devices.push(("wgpu", dev, false));
    }
    let config = UnetConfig::new();
    let mut rows = Vec::new();
    for (name, dev, im2col) in &devices {
        dev.seed(5);
        let model = config.init(dev);
        for &s in sizes {
            if s % 8 != 0 {
                bail!("--sizes: {s} is not a multiple of 8");
            }
            let shape = [1, 3, s, s];
            let cheap = showrunner_refine::region_noise(1, shape, dev)
                .mul_scalar(0.1)
                .add_scalar(0.5);
            let noise = showrunner_refine::region_noise(2, shape, dev);
            let guide = showrunner_refine::region_noise(6, [1, GUIDE_CHANNELS, s, s], dev).abs();
            let mut times = Vec::new();
            for k in 0..=runs {
                let t = Instant::now();
                // One SDEdit step as `refine` does it, with the convolution path fixed.
                let ab = showrunner_refine::alpha_bar(0.3);
                let x = cheap.clone().mul_scalar(ab.sqrt())
                    + noise.clone().mul_scalar((1.0 - ab).sqrt());
                let out = model
                    .forward_with(x, cheap.clone(), guide.clone(), 0.3, *im2col)
                    .clamp(0.0, 1.0);
                values(out)?; // waits for the device
                if k > 0 {
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
            let (median, p99) = median_p99(&mut times);
            rows.push(json!({
                "backend": name, "size": s, "runs": runs,
                "median_ms": median, "p99_ms": p99,
                "gflop": config.flops(s) / 1e9,
            }));
            eprintln!("{name:14} {s:4} px: median {median:9.2} ms  p99 {p99:9.2} ms");
        }
    }
    Ok(json!({ "step": "one refinement step (1 × UNet forward + SDEdit noise)", "rows": rows }))
}

/// One training step of `refiner train`'s default settings, timed on the CPU
/// backends `backend` names (burn-flex, and burn-ndarray as the baseline), from
/// the same start, on a synthetic 128 × 128 pair.
fn bench_train(runs: usize, backend: &[String]) -> Result<Value> {
    if let Some(b) = unknown(backend, &["cpu", "ndarray", "all"]) {
        bail!("--backend {b} with --train: training is timed on cpu (burn-flex), ndarray (burn-ndarray) or all (both)");
    }
    let wants = |name| wants(backend, name);
    let side = 128;
    let px = side * side;
    let wave = |k: usize, i: usize| ((i * 7 + k * 13) % 251) as f32 / 251.0;
    let cheap: Vec<f32> = (0..3 * px).map(|i| wave(1, i)).collect();
    let pair = Pair {
        name: "bench".into(),
        w: side,
        h: side,
        reference: cheap.iter().map(|v| v * v * 0.9).collect(),
        cheap,
        guide: (0..GUIDE_CHANNELS * px).map(|i| wave(2, i)).collect(),
    };
    let start =
        std::env::temp_dir().join(format!("showrunner-bench-train-{}.bpk", std::process::id()));
    let mut config = TrainConfig::default();
    let cpu = showrunner_refine::cpu_device();
    cpu.seed(config.seed);
    showrunner_refine::save(&config.unet().init(&cpu), &start)?;
    config.init = Some(start.display().to_string());
    let mut devices = Vec::new();
    if wants("cpu") {
        devices.push(("flex", cpu));
    }
    if wants("ndarray") {
        devices.push(("ndarray", showrunner_refine::ndarray_device()));
    }
    let trainers: Vec<_> = devices
        .into_iter()
        .map(|(name, device)| (name, Trainer::new(config.clone(), &device)))
        .collect();
    let _ = fs::remove_file(&start);
    let mut rows = Vec::new();
    for (name, trainer) in trainers {
        let mut trainer = trainer?;
        let mut times = Vec::new();
        for k in 0..=runs {
            let t = Instant::now();
            let loss = trainer.step(std::slice::from_ref(&pair));
            if !loss.is_finite() {
                bail!("{name}: the loss is {loss} at step {k}");
            }
            if k > 0 {
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        let (median, p99) = median_p99(&mut times);
        eprintln!("{name:8} train step: median {median:8.1} ms  p99 {p99:8.1} ms");
        rows.push(json!({"backend": name, "runs": runs, "median_ms": median, "p99_ms": p99}));
    }
    Ok(json!({
        "step": format!(
            "one training step: batch {} x {}², noise, forward, loss, backward, Adam",
            config.batch, config.crop
        ),
        "rows": rows,
    }))
}

fn export(weights: &Path, out: &Path, size: usize) -> Result<()> {
    let device = showrunner_refine::cpu_device();
    let config = UnetConfig::new();
    let model = showrunner_refine::load(weights, &config, &device)?;
    fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let mut blob: Vec<u8> = Vec::new();
    let mut index = Vec::new();
    let mut push = |name: String, shape: Vec<usize>, v: &[f32], index: &mut Vec<Value>| {
        index.push(json!({"name": name, "shape": shape, "offset": blob.len() / 4}));
        blob.extend(v.iter().flat_map(|x| x.to_le_bytes()));
    };
    for (name, shape, v) in model.export() {
        push(name, shape, &v, &mut index);
    }
    let shape = [1, 3, size, size];
    let x_t = showrunner_refine::region_noise(3, shape, &device);
    let cheap = showrunner_refine::region_noise(4, shape, &device)
        .mul_scalar(0.15)
        .add_scalar(0.5);
    let guide = showrunner_refine::region_noise(5, [1, GUIDE_CHANNELS, size, size], &device).abs();
    let t = 0.3;
    let started = Instant::now();
    let y = model.forward(x_t.clone(), cheap.clone(), guide.clone(), t);
    let y = values(y)?;
    let burn_ms = started.elapsed().as_secs_f64() * 1e3;
    push(
        "probe.x_t".into(),
        shape.to_vec(),
        &values(x_t)?,
        &mut index,
    );
    push(
        "probe.cheap".into(),
        shape.to_vec(),
        &values(cheap)?,
        &mut index,
    );
    push(
        "probe.guide".into(),
        vec![1, GUIDE_CHANNELS, size, size],
        &values(guide)?,
        &mut index,
    );
    push("probe.out".into(), shape.to_vec(), &y, &mut index);
    let tensors = out.join("tensors.f32");
    crate::persist::write_atomic(&tensors, &blob)
        .with_context(|| format!("{}: cannot write", tensors.display()))?;
    let idx = out.join("index.json");
    let doc = json!({"channels": config.channels, "groups": config.groups, "colour": config.colour, "t": t, "tensors": index, "burn_cpu_forward_ms": burn_ms});
    crate::persist::write_atomic(&idx, &serde_json::to_vec_pretty(&doc)?)
        .with_context(|| format!("{}: cannot write", idx.display()))?;
    eprintln!("{}: {} tensors", out.display(), index.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_film_grade_lifts_blacks_and_warms_highlights() {
        let black = film_grade([0.0; 3]);
        assert!(black.iter().sum::<f32>() / 3.0 > 0.02, "lifted: {black:?}");
        assert!(black[2] > black[0], "teal shadows: {black:?}");
        let white = film_grade([0.95; 3]);
        assert!(white[0] > white[2], "warm highlights: {white:?}");
        let mid = film_grade([0.25; 3]);
        assert!(mid[1] < 0.25, "the S-curve darkens the lower mids: {mid:?}");
    }

    #[test]
    fn shots_are_deterministic_and_held_out_sets_are_not_trained_on() {
        let a = plan_shots(&TRAIN, 3, 5);
        let b = plan_shots(&TRAIN, 3, 5);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert!(a.iter().all(|s| !HELD_OUT.contains(&s.set.as_str())));
        // Nor are the other sets of the held-out families.
        const HELD_OUT_KIN: [&str; 4] = ["ember_slip", "ice_slip", "rogue_wave", "distant_flare"];
        assert!(a.iter().all(|s| !HELD_OUT_KIN.contains(&s.set.as_str())));
        // Every set trained or held out is one the sample names.
        for set in TRAIN.iter().chain(&HELD_OUT).chain(&HELD_OUT_KIN) {
            assert!(
                showrunner_assets::sets::SAMPLE_SCENES.contains(set),
                "{set}"
            );
        }
        assert!(a.iter().all(|s| (5.0..=50.0).contains(&s.fov_deg)));
    }

    #[test]
    fn the_training_bench_times_both_cpu_backends() {
        let report = bench_train(1, &["all".into()]).unwrap();
        let rows = report["rows"].as_array().unwrap();
        let names: Vec<&str> = rows
            .iter()
            .map(|r| r["backend"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["flex", "ndarray"]);
        for r in rows {
            let (median, p99) = (
                r["median_ms"].as_f64().unwrap(),
                r["p99_ms"].as_f64().unwrap(),
            );
            assert!(median > 0.0 && p99 >= median, "{r}");
        }
        // The starting weights it wrote for both are gone.
        let start =
            std::env::temp_dir().join(format!("showrunner-bench-train-{}.bpk", std::process::id()));
        assert!(!start.exists());
        // One backend alone, and one it cannot train on, said.
        let report = bench_train(1, &["cpu".into()]).unwrap();
        assert_eq!(report["rows"].as_array().unwrap().len(), 1);
        let e = bench_train(1, &["wgpu".into()]).unwrap_err().to_string();
        assert!(e.contains("--backend wgpu with --train"), "{e}");
        let e = bench(&[64], 1, &["gpu".into()]).unwrap_err().to_string();
        assert!(
            e.contains("--backend gpu") && e.contains("cpu, ndarray, wgpu or all"),
            "{e}"
        );
    }

    #[test]
    fn planar_round_trip() {
        let rgb: Vec<u8> = (0..48).map(|i| (i * 5) as u8).collect();
        assert_eq!(from_planar(&to_planar(&rgb)), rgb);
    }
}
