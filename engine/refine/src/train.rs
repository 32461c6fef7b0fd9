//! Training the denoiser on the project's own render pairs (burn autodiff).
//!
//! A pair is a cheap real-time frame and the reference frame of the same shot
//! (supersampled, soft shadows, ambient occlusion, film grade). Each step
//! draws a batch of random crops (with random mirroring), a noise level
//! `t ∈ [0.02, t_max]`, and noises either the cheap frame (what SDEdit feeds
//! the network at run time; 3 in 4 steps) or the reference (the diffusion
//! objective, what later DDIM steps see),
//! then regresses the network's `x0` on the reference (MSE plus an L1 on
//! image gradients, which keeps flat walls flat). Adam with a
//! cosine learning-rate decay.
//!
//! Everything random is drawn from `seed` and the step number, so a run that
//! stops and resumes from a checkpoint ends with the same weights as one that
//! never stopped.

use std::fs;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, OptimizerRecord};
use burn::tensor::{Bytes, Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{alpha_bar, RefineError, Unet, UnetConfig};

/// One training example: the same shot rendered cheaply and as reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// Name (set, shot) for reports.
    pub name: String,
    /// Width, pixels.
    pub w: usize,
    /// Height, pixels.
    pub h: usize,
    /// The real-time render, planar RGB (`3 × h × w`), 0..1 sRGB-encoded.
    pub cheap: Vec<f32>,
    /// The reference render, same layout.
    pub reference: Vec<f32>,
    /// The real-time render's guide, planar `GUIDE_CHANNELS × h × w`:
    /// [`crate::disparity`], then [`crate::guide_occlusion`].
    pub guide: Vec<f32>,
}

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Seed of everything random (weights, crops, noise).
    pub seed: u64,
    /// Optimiser steps in all.
    pub steps: usize,
    /// Crops per step.
    pub batch: usize,
    /// Side of a crop, pixels (a multiple of 8).
    pub crop: usize,
    /// Peak learning rate (Adam), decayed along a cosine to 1/20 of it.
    pub lr: f64,
    /// Highest noise level trained for (the run-time strength stays below it).
    pub t_max: f32,
    /// Weight of the image-gradient L1 term beside the MSE.
    pub gradient_weight: f32,
    /// Weight of the (1 − SSIM) term (7 × 7 uniform windows, as scored).
    #[serde(default)]
    pub ssim_weight: f32,
    /// Weights the run started from (fine-tuning), if not from scratch.
    #[serde(default)]
    pub init: Option<String>,
    /// The network's channels at its four levels.
    pub channels: [usize; 4],
    /// Channels of the network's colour path (0: none).
    #[serde(default = "default_colour")]
    pub colour: usize,
    /// Share of steps whose input is the reference noised (the diffusion
    /// objective, what later DDIM steps see) rather than the cheap frame
    /// noised (what the first SDEdit step sees at run time).
    #[serde(default = "default_reference_start")]
    pub reference_start: f64,
}

fn default_colour() -> usize {
    UnetConfig::new().colour
}

fn default_reference_start() -> f64 {
    0.25
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            steps: 2000,
            batch: 4,
            crop: 64,
            lr: 2e-3,
            t_max: 0.3,
            gradient_weight: 0.1,
            ssim_weight: 1.0,
            init: None,
            channels: UnetConfig::new().channels,
            colour: default_colour(),
            reference_start: default_reference_start(),
        }
    }
}

impl TrainConfig {
    /// The network this configuration trains.
    pub fn unet(&self) -> UnetConfig {
        UnetConfig::new()
            .with_channels(self.channels)
            .with_colour(self.colour)
    }

    /// Learning rate at `step`.
    pub fn lr_at(&self, step: usize) -> f64 {
        let p = step as f64 / self.steps.max(1) as f64;
        let min = self.lr / 20.0;
        min + 0.5 * (self.lr - min) * (1.0 + (std::f64::consts::PI * p.min(1.0)).cos())
    }
}

/// Mean absolute difference of the horizontal and vertical pixel
/// differences of `a` and `b`: punishes texture the reference does not have
/// (blotches in flat walls cost SSIM far more than MSE shows) and soft edges.
fn gradient_l1(a: Tensor<4>, b: Tensor<4>) -> Tensor<1> {
    let [n, c, h, w] = a.dims();
    let dx = |t: Tensor<4>| {
        t.clone().slice([0..n, 0..c, 0..h, 1..w]) - t.slice([0..n, 0..c, 0..h, 0..w - 1])
    };
    let dy = |t: Tensor<4>| {
        t.clone().slice([0..n, 0..c, 1..h, 0..w]) - t.slice([0..n, 0..c, 0..h - 1, 0..w])
    };
    (dx(a.clone()) - dx(b.clone())).abs().mean() + (dy(a) - dy(b)).abs().mean()
}

/// Mean of 7 × 7 windows (valid positions only), as sums of shifted slices:
/// cheap to differentiate on burn-ndarray.
fn box7(t: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = t.dims();
    let (ho, wo) = (h - 6, w - 6);
    let mut rows = t.clone().slice([0..n, 0..c, 0..h, 0..wo]);
    for k in 1..7 {
        rows = rows + t.clone().slice([0..n, 0..c, 0..h, k..k + wo]);
    }
    let mut out = rows.clone().slice([0..n, 0..c, 0..ho, 0..wo]);
    for k in 1..7 {
        out = out + rows.clone().slice([0..n, 0..c, k..k + ho, 0..wo]);
    }
    out.div_scalar(49.0)
}

/// Mean SSIM of `a` against `b` (0..1 images), per channel with 7 × 7
/// uniform windows and sample covariance, as `metrics::ssim` scores it.
fn ssim(a: Tensor<4>, b: Tensor<4>) -> Tensor<1> {
    let (c1, c2) = (0.01f32.powi(2), 0.03f32.powi(2));
    let norm = 49.0 / 48.0;
    let (ma, mb) = (box7(a.clone()), box7(b.clone()));
    let va = (box7(a.clone() * a.clone()) - ma.clone() * ma.clone()).mul_scalar(norm);
    let vb = (box7(b.clone() * b.clone()) - mb.clone() * mb.clone()).mul_scalar(norm);
    let vab = (box7(a * b) - ma.clone() * mb.clone()).mul_scalar(norm);
    let num = (ma.clone() * mb.clone()).mul_scalar(2.0).add_scalar(c1)
        * vab.mul_scalar(2.0).add_scalar(c2);
    let den = (ma.clone() * ma + mb.clone() * mb).add_scalar(c1) * (va + vb).add_scalar(c2);
    (num / den).mean()
}

/// What a checkpoint folder's `state.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointState {
    /// The configuration being trained (a resume must match it).
    pub config: TrainConfig,
    /// Steps done.
    pub step: usize,
    /// Weights file (in the same folder).
    pub model: String,
    /// Optimiser state file (in the same folder).
    pub optimizer: String,
    /// Mean loss of each block of 50 steps so far.
    pub losses: Vec<f32>,
}

/// A training run.
pub struct Trainer {
    /// The configuration.
    pub config: TrainConfig,
    model: Unet,
    optim: ModuleOptimizer,
    device: Device,
    /// Steps done.
    pub step: usize,
    /// Mean loss of each block of 50 steps.
    pub losses: Vec<f32>,
    block: (f32, usize),
}

fn ckpt_err(file: &Path, message: impl std::fmt::Display) -> RefineError {
    RefineError::Weights {
        file: file.display().to_string(),
        message: message.to_string(),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

impl Trainer {
    /// A fresh run on `device` (an autodiff device is made from it), from
    /// scratch or, with `config.init`, from those weights.
    pub fn new(config: TrainConfig, device: &Device) -> Result<Self, RefineError> {
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let model = match &config.init {
            None => config.unet().init(&device),
            Some(path) => crate::load(Path::new(path), &config.unet(), &device)?,
        };
        let optim = AdamConfig::new().with_epsilon(1e-8).init();
        Ok(Self {
            config,
            model,
            optim,
            device,
            step: 0,
            losses: Vec::new(),
            block: (0.0, 0),
        })
    }

    /// Resumes the run checkpointed in `dir`; `config` must be the one it started with.
    pub fn resume(dir: &Path, config: TrainConfig, device: &Device) -> Result<Self, RefineError> {
        let state_path = dir.join("state.json");
        let text = fs::read_to_string(&state_path).map_err(|e| ckpt_err(&state_path, e))?;
        let state: CheckpointState = serde_json::from_str(&text)
            .map_err(|e| ckpt_err(&state_path, format!("line {}: {e}", e.line())))?;
        if state.config != config {
            return Err(ckpt_err(
                &state_path,
                "was made with other training settings; pass the same ones, or start afresh with another --out",
            ));
        }
        let mut t = Self::new(config, device)?;
        let model_path = dir.join(&state.model);
        t.model = t
            .model
            .clone()
            .try_load_file(&model_path)
            .map_err(|e| ckpt_err(&model_path, format!("cannot load: {e}")))?;
        let optim_path = dir.join(&state.optimizer);
        let bytes = fs::read(&optim_path).map_err(|e| ckpt_err(&optim_path, e))?;
        let record = OptimizerRecord::from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| ckpt_err(&optim_path, format!("cannot load: {e}")))?;
        t.optim = t.optim.load_record(record);
        t.step = state.step;
        t.losses = state.losses;
        Ok(t)
    }

    /// Writes a checkpoint into `dir` (weights, optimiser state, then
    /// `state.json` naming them: a crash mid-write leaves the last good one).
    pub fn checkpoint(&self, dir: &Path) -> Result<PathBuf, RefineError> {
        fs::create_dir_all(dir).map_err(|e| ckpt_err(dir, e))?;
        let model = format!("model-{:06}.bpk", self.step);
        let optimizer = format!("optimizer-{:06}.bpk", self.step);
        crate::save(&self.model.valid(), &dir.join(&model))?;
        let optim_path = dir.join(&optimizer);
        let bytes = self
            .optim
            .to_record()
            .into_bytes()
            .map_err(|e| ckpt_err(&optim_path, e))?;
        write_atomic(&optim_path, &bytes).map_err(|e| ckpt_err(&optim_path, e))?;
        let state = CheckpointState {
            config: self.config.clone(),
            step: self.step,
            model: model.clone(),
            optimizer: optimizer.clone(),
            losses: self.losses.clone(),
        };
        let state_path = dir.join("state.json");
        let json = serde_json::to_vec_pretty(&state).expect("plain data serialises");
        write_atomic(&state_path, &json).map_err(|e| ckpt_err(&state_path, e))?;
        // Older checkpoints are superseded.
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if (n.starts_with("model-") || n.starts_with("optimizer-"))
                    && n != model
                    && n != optimizer
                {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(dir.join(model))
    }

    /// The network as trained so far, for inference (no autodiff).
    pub fn model(&self) -> Unet {
        self.model.valid()
    }

    /// One optimiser step on a batch drawn from `pairs`; returns the loss.
    pub fn step(&mut self, pairs: &[Pair]) -> f32 {
        assert!(!pairs.is_empty(), "no training pairs");
        let cfg = &self.config;
        let mut rng = ChaCha8Rng::seed_from_u64(
            cfg.seed ^ (self.step as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let c = cfg.crop;
        let n = cfg.batch;
        let mut cheap = Vec::with_capacity(n * 3 * c * c);
        let mut reference = Vec::with_capacity(n * 3 * c * c);
        let mut guide = Vec::with_capacity(n * crate::GUIDE_CHANNELS * c * c);
        for _ in 0..n {
            let p = &pairs[rng.random_range(0..pairs.len())];
            let x0 = rng.random_range(0..=p.w - c);
            let y0 = rng.random_range(0..=p.h - c);
            let flip = rng.random_bool(0.5);
            for (src, dst, planes) in [
                (&p.cheap, &mut cheap, 3),
                (&p.reference, &mut reference, 3),
                (&p.guide, &mut guide, crate::GUIDE_CHANNELS),
            ] {
                for ch in 0..planes {
                    for y in 0..c {
                        let row = &src[ch * p.w * p.h + (y0 + y) * p.w + x0..][..c];
                        if flip {
                            dst.extend(row.iter().rev());
                        } else {
                            dst.extend_from_slice(row);
                        }
                    }
                }
            }
        }
        let t = rng.random_range(0.02..cfg.t_max.max(0.03));
        // What the first SDEdit step sees at run time (the cheap frame
        // noised) or the diffusion objective (later DDIM steps).
        let from_reference = rng.random_bool(cfg.reference_start.clamp(0.0, 1.0));
        let noise: Vec<f32> = (0..n * 3 * c * c)
            .map(|_| rng.sample::<f32, _>(rand_distr::StandardNormal))
            .collect();
        let shape = [n, 3, c, c];
        let dev = &self.device;
        let cheap = Tensor::<4>::from_data(TensorData::new(cheap, shape), dev);
        let reference = Tensor::<4>::from_data(TensorData::new(reference, shape), dev);
        let noise = Tensor::<4>::from_data(TensorData::new(noise, shape), dev);
        let guide = Tensor::<4>::from_data(
            TensorData::new(guide, [n, crate::GUIDE_CHANNELS, c, c]),
            dev,
        );
        let ab = alpha_bar(t);
        let start = if from_reference {
            reference.clone()
        } else {
            cheap.clone()
        };
        let x_t = start.mul_scalar(ab.sqrt()) + noise.mul_scalar((1.0 - ab).sqrt());
        let pred = self.model.forward(x_t, cheap, guide, t);
        let mut loss = (pred.clone() - reference.clone()).powi_scalar(2).mean()
            + gradient_l1(pred.clone(), reference.clone()).mul_scalar(cfg.gradient_weight);
        if cfg.ssim_weight > 0.0 {
            loss = loss
                + ssim(pred, reference)
                    .neg()
                    .add_scalar(1.0)
                    .mul_scalar(cfg.ssim_weight);
        }
        let value = loss
            .clone()
            .into_data()
            .try_to_vec::<f32>()
            .ok()
            .and_then(|v| v.first().copied())
            .unwrap_or(f32::NAN);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        let lr = cfg.lr_at(self.step);
        self.model = self.optim.step(lr, self.model.clone(), grads);
        self.step += 1;
        self.block.0 += value;
        self.block.1 += 1;
        if self.block.1 == 50 {
            self.losses.push(self.block.0 / 50.0);
            self.block = (0.0, 0);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu_device;

    fn pairs() -> Vec<Pair> {
        (0..3)
            .map(|k| {
                let (w, h) = (24, 20);
                let cheap: Vec<f32> = (0..3 * w * h)
                    .map(|i| ((i * 7 + k * 13) % 17) as f32 / 17.0)
                    .collect();
                // The "reference": a darker, contrastier version.
                let reference = cheap.iter().map(|v| (v * v * 0.9).min(1.0)).collect();
                let guide = (0..crate::GUIDE_CHANNELS * w * h)
                    .map(|i| (i % w) as f32 / w as f32)
                    .collect();
                Pair {
                    name: format!("p{k}"),
                    w,
                    h,
                    cheap,
                    reference,
                    guide,
                }
            })
            .collect()
    }

    fn config(steps: usize) -> TrainConfig {
        TrainConfig {
            seed: 3,
            steps,
            batch: 2,
            crop: 16,
            lr: 3e-3,
            t_max: 0.5,
            gradient_weight: 0.1,
            ssim_weight: 0.1,
            init: None,
            channels: [4, 8, 8, 8],
            colour: 4,
            reference_start: 0.25,
        }
    }

    fn weights(m: &Unet) -> Vec<f32> {
        let x = Tensor::<4>::ones([1, 3, 16, 16], &cpu_device()).mul_scalar(0.5);
        let g = Tensor::<4>::ones([1, crate::GUIDE_CHANNELS, 16, 16], &cpu_device());
        m.forward(x.clone(), x, g, 0.3)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    }

    #[test]
    fn the_ssim_loss_scores_like_the_metric() {
        let dev = cpu_device();
        let p = &pairs()[0];
        let t =
            |v: &[f32]| Tensor::<4>::from_data(TensorData::new(v.to_vec(), [1, 3, p.h, p.w]), &dev);
        let ours = ssim(t(&p.cheap), t(&p.reference))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()[0];
        let q = |v: &[f32]| -> Vec<u8> {
            let n = p.w * p.h;
            (0..n * 3)
                .map(|i| (v[(i % 3) * n + i / 3] * 255.0).round() as u8)
                .collect()
        };
        let metric = crate::metrics::ssim(&q(&p.reference), &q(&p.cheap), p.w, p.h).unwrap();
        assert!(
            (f64::from(ours) - metric).abs() < 0.02,
            "{ours} vs {metric}"
        );
    }

    #[test]
    fn the_loss_falls() {
        let p = pairs();
        let mut t = Trainer::new(config(60), &cpu_device()).unwrap();
        let first: f32 = (0..5).map(|_| t.step(&p)).sum::<f32>() / 5.0;
        for _ in 5..55 {
            t.step(&p);
        }
        let last: f32 = (0..5).map(|_| t.step(&p)).sum::<f32>() / 5.0;
        assert!(last < first * 0.7, "loss {first} → {last}");
        assert_eq!(t.losses.len(), 1);
    }

    /// The patched burn-flex (third_party/burn-flex/FORK.md) takes its matrix-product
    /// convolution for a full-resolution layer's weight gradient (a batch of 4, 12 channels,
    /// 64 × 64: burn convolves the input by the output gradient, a 64 × 64 "kernel"), where
    /// it took its small-channel path before. Both gradients equal burn-ndarray's, to f32's
    /// rounding over a sum of 16,384 products (1e-4 of the largest; measured 1.4e-5).
    #[test]
    fn a_full_resolution_layer_s_gradients_equal_ndarray_s() {
        use burn::tensor::module::conv2d;
        use burn::tensor::ops::ConvOptions;
        let grads = |device: Device| {
            let dev = device.autodiff();
            let wave = |n: usize, k: usize| -> Vec<f32> {
                (0..n)
                    .map(|i| ((i * 7 + k * 13) % 251) as f32 / 251.0 - 0.5)
                    .collect()
            };
            let x = Tensor::<4>::from_data(
                TensorData::new(wave(4 * 12 * 64 * 64, 1), [4, 12, 64, 64]),
                &dev,
            )
            .require_grad();
            let w =
                Tensor::<4>::from_data(TensorData::new(wave(12 * 12 * 9, 2), [12, 12, 3, 3]), &dev)
                    .require_grad();
            let y = conv2d(
                x.clone(),
                w.clone(),
                None,
                ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
            );
            // A loss whose output gradient varies over the map, so every tap differs.
            let target = Tensor::<4>::from_data(
                TensorData::new(wave(4 * 12 * 64 * 64, 3), [4, 12, 64, 64]),
                &dev,
            );
            let g = (y - target).powi_scalar(2).sum().backward();
            let v = |t: Tensor<4>| t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
            (v(w.grad(&g).unwrap()), v(x.grad(&g).unwrap()))
        };
        let (fw, fx) = grads(cpu_device());
        let (nw, nx) = grads(crate::ndarray_device());
        for (what, a, b) in [("weight", fw, nw), ("input", fx, nx)] {
            let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
            let worst = a
                .iter()
                .zip(&b)
                .fold(0f32, |m, (p, q)| m.max((p - q).abs()));
            assert!(
                worst <= 1e-4 * scale,
                "the {what} gradient differs by {worst} (largest {scale})"
            );
        }
    }

    /// Issue 25 item 2: training moved from burn-ndarray to burn-flex without
    /// changing what it learns. From the same start, 100 steps of the shipped
    /// network (smaller crops, to keep the test short) end with the losses equal
    /// and all but a few weights within 1e-4 of burn-ndarray's.
    #[test]
    fn flex_trains_as_ndarray_did() {
        let pairs: Vec<Pair> = pairs()
            .into_iter()
            .map(|p| {
                // 96 × 80: 4 × 4 tiles of the small pair, every other one inverted.
                let f = 4;
                let tile = |v: &[f32], planes: usize| -> Vec<f32> {
                    let mut out = Vec::with_capacity(planes * f * f * p.w * p.h);
                    for ch in 0..planes {
                        for y in 0..f * p.h {
                            for x in 0..f * p.w {
                                let v = v[ch * p.w * p.h + (y % p.h) * p.w + x % p.w];
                                out.push(if (x / p.w + y / p.h) % 2 == 1 {
                                    1.0 - v
                                } else {
                                    v
                                });
                            }
                        }
                    }
                    out
                };
                Pair {
                    w: f * p.w,
                    h: f * p.h,
                    cheap: tile(&p.cheap, 3),
                    reference: tile(&p.reference, 3),
                    guide: tile(&p.guide, crate::GUIDE_CHANNELS),
                    name: p.name,
                }
            })
            .collect();
        let dir = std::env::temp_dir().join(format!("showrunner-flex-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let start = dir.join("start.bpk");
        let mut config = TrainConfig {
            steps: 100,
            batch: 2,
            crop: 32,
            ..TrainConfig::default()
        };
        let ndarray = crate::ndarray_device();
        ndarray.seed(config.seed);
        crate::save(&config.unet().init(&ndarray), &start).unwrap();
        config.init = Some(start.display().to_string());
        let mut a = Trainer::new(config.clone(), &ndarray).unwrap();
        let mut b = Trainer::new(config, &cpu_device()).unwrap();
        let (mut la, mut lb) = (Vec::new(), Vec::new());
        for _ in 0..100 {
            la.push(a.step(&pairs));
            lb.push(b.step(&pairs));
        }
        let _ = fs::remove_dir_all(&dir);
        let (wa, wb) = (a.model().export(), b.model().export());
        assert_eq!(wa.len(), wb.len());
        // Adam divides each step by the gradient's running size, so a weight whose gradient
        // is near zero moves by up to a learning rate a step on the sign of rounding noise:
        // those few drift apart by more than 1e-4 whichever way a backend orders its sums
        // (BENCHMARKS.md, "Training on burn-flex"). Every other weight, and the loss at
        // every step, must agree.
        let (mut count, mut over, mut worst, mut squares) = (0usize, 0usize, (0.0f32, ""), 0.0f64);
        for ((name, _, x), (_, _, y)) in wa.iter().zip(&wb) {
            for (x, y) in x.iter().zip(y) {
                let d = (x - y).abs();
                count += 1;
                over += usize::from(d > 1e-4);
                squares += f64::from(d) * f64::from(d);
                if d > worst.0 {
                    worst = (d, name);
                }
            }
        }
        let rms = (squares / count as f64).sqrt();
        let loss_gap = la
            .iter()
            .zip(&lb)
            .map(|(x, y)| (x - y).abs() / x.abs())
            .fold(0.0, f32::max);
        eprintln!(
            "after 100 steps: {over} of {count} weights differ by more than 1e-4; \
             the most {} ({}); rms {rms:e}; losses within {loss_gap:e} (relative)",
            worst.0, worst.1
        );
        assert!(
            la[99] < la[0] * 0.8,
            "burn-ndarray's loss did not fall: {la:?}"
        );
        for (k, (x, y)) in la.iter().zip(&lb).enumerate() {
            assert!(
                (x - y).abs() <= 1e-3 * x.abs(),
                "step {k}: loss {x} against {y}"
            );
        }
        assert!(
            over * 1000 <= count,
            "{over} of {count} weights differ by more than 1e-4 (the most: {} by {})",
            worst.1,
            worst.0
        );
        assert!(rms < 3e-5, "the weights differ by {rms:e} (rms)");
    }

    #[test]
    fn a_resumed_run_ends_where_an_unbroken_one_does() {
        let p = pairs();
        let dir = std::env::temp_dir().join(format!("showrunner-train-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut a = Trainer::new(config(6), &cpu_device()).unwrap();
        for _ in 0..6 {
            a.step(&p);
        }
        let mut b = Trainer::new(config(6), &cpu_device()).unwrap();
        for _ in 0..3 {
            b.step(&p);
        }
        b.checkpoint(&dir).unwrap();
        b.step(&p); // work lost in a "crash" after the checkpoint
        drop(b);
        let mut c = Trainer::resume(&dir, config(6), &cpu_device()).unwrap();
        assert_eq!(c.step, 3);
        for _ in 3..6 {
            c.step(&p);
        }
        let (wa, wc) = (weights(&a.model()), weights(&c.model()));
        let worst = wa
            .iter()
            .zip(&wc)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-6, "resumed run differs by {worst}");
        // Only the newest checkpoint is kept.
        c.checkpoint(&dir).unwrap();
        let files: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files.len(), 3, "{files:?}");
        // Other settings are refused, naming the file.
        let e = Trainer::resume(&dir, config(9), &cpu_device())
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("state.json") && e.contains("other training settings"),
            "{e}"
        );
        // A damaged state file is named with its line.
        fs::write(dir.join("state.json"), "{\n \"step\": oops").unwrap();
        let e = Trainer::resume(&dir, config(6), &cpu_device())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("state.json") && e.contains("line 2"), "{e}");
        let _ = fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// One training step's forward and backward on each CPU backend, im2col and
    /// burn's own convolutions (`--run-ignored only -E 'test(train_step_timing)'
    /// --no-capture`); `showrunner refiner bench --train` times whole steps.
    #[test]
    #[ignore]
    fn train_step_timing() {
        for (name, dev) in [
            ("flex", crate::cpu_device()),
            ("ndarray", crate::ndarray_device()),
        ] {
            let dev = dev.autodiff();
            dev.seed(1);
            let m = UnetConfig::new().init(&dev);
            let x = Tensor::<4>::ones([4, 3, 64, 64], &dev).mul_scalar(0.5);
            for im2col in [true, true, false, false] {
                let t = std::time::Instant::now();
                let g = Tensor::<4>::ones([4, crate::GUIDE_CHANNELS, 64, 64], &dev);
                let y = m.forward_with(x.clone(), x.clone(), g, 0.3, im2col);
                let loss = (y - x.clone()).powi_scalar(2).mean();
                let _ = loss.clone().into_data();
                let f = t.elapsed();
                drop(loss.backward());
                eprintln!(
                    "{name} im2col {im2col}: forward {f:?} backward {:?}",
                    t.elapsed() - f
                );
            }
        }
    }
}
