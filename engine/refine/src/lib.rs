//! The refiner: frames rendered cheaply in real time, refined by a small
//! diffusion model on the renderer's own GPU device.
//!
//! - [`model`]: the conditional UNet denoiser (burn 0.22.1).
//! - [`refine`]: SDEdit sampling — start from the cheap render partially
//!   noised to level `strength` with noise fixed per region, then 1–4
//!   deterministic DDIM steps down to a clean frame.
//! - [`gpu_device`]: hands burn the renderer's `wgpu::Device` (one device for
//!   rendering and refining; burn's WGSL path, never its SPIR-V path).
//! - [`load`]: weights (burnpack) with errors naming the file; a bad file
//!   turns refinement off, the film goes on.
//! - [`train`]: training on the project's own cheap → reference render pairs.
//! - [`mod@occlusion`]: screen-space ambient occlusion from depth, the second
//!   channel of the network's guide.
//! - [`metrics`]: PSNR and SSIM as scikit-image computes them; flicker.
//! - [`temporal`]: reprojected history against flicker; half-rate frames.
//! - [`budget`]: the controller that steps refinement down (and back up) so
//!   it never costs a frame.
//!
//! This crate knows nothing about the renderer: it sees tensors and a device.

pub mod budget;
pub mod interop;
pub mod metrics;
pub mod model;
pub mod occlusion;
pub mod temporal;
pub mod train;

use std::f32::consts::FRAC_PI_2;
use std::path::Path;

pub use burn;
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

pub use budget::{fovea_region, BudgetController, Plan, FOVEA_DEGREES, MAX_REGION};
pub use model::{Unet, UnetConfig};
pub use occlusion::{box_blur, guide_occlusion, occlusion};
pub use temporal::{warp, Motion, Temporal};
pub use train::{Pair, TrainConfig, Trainer};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum RefineError {
    /// A weights file is missing, truncated or made for another network.
    #[error("{file}: {message}; refinement is off (make weights with `showrunner refiner train`)")]
    Weights {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// burn could not use the GPU device.
    #[error("the refiner cannot use this GPU ({0}); refinement is off")]
    Device(String),
}

/// How much refinement a device can afford per eye-frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// Name (`quest`, `pcvr`, `desktop`).
    pub name: &'static str,
    /// Side of the refined square around the view centre, pixels.
    pub region: usize,
    /// Denoising steps.
    pub steps: usize,
}

/// The profiles, cheapest first. The budget controller steps down from the
/// chosen one (fewer steps, smaller region, half rate, off) when frames run long.
pub const PROFILES: [Profile; 3] = [
    Profile {
        name: "quest",
        region: 128,
        steps: 1,
    },
    Profile {
        name: "pcvr",
        region: 192,
        steps: 2,
    },
    Profile {
        name: "desktop",
        region: 256,
        steps: 4,
    },
];

impl Profile {
    /// GFLOP per eye-frame with the network `config`.
    pub fn gflops(&self, config: &UnetConfig) -> f64 {
        config.flops(self.region) * self.steps as f64 / 1e9
    }
}

/// Channels of the guide the network is conditioned on beside the cheap
/// render: the depth guide ([`disparity`]) and the ambient occlusion made
/// from it ([`guide_occlusion`]), planar in that order.
pub const GUIDE_CHANNELS: usize = 2;

/// Pixels per metre, per 128 px, at which the depth guide is expressed.
pub const GUIDE_PIXELS: f32 = 128.0;

/// The factor that turns a reversed-Z depth-buffer value (`near / distance`,
/// the renderer's infinite projection) into the refiner's depth guide,
/// for an eye whose projection has y scale `proj_y` (`1 / tan(fov_y / 2)`),
/// near plane `near` (metres) and height `height_px` pixels.
///
/// The guide is *disparity*: how many pixels a metre spans at that depth,
/// over [`GUIDE_PIXELS`]. It is linear across a plane in screen space (so a
/// crease or a gap shows as a kink or a step) and means the same at any
/// field of view or resolution; 0 is the sky.
pub fn disparity_scale(proj_y: f32, near: f32, height_px: u32) -> f32 {
    let focal_px = proj_y * height_px as f32 / 2.0;
    focal_px / (near.max(1e-6) * GUIDE_PIXELS)
}

/// The depth guide of one depth-buffer value (see [`disparity_scale`]),
/// clamped to 0..16.
pub fn disparity(depth: f32, scale: f32) -> f32 {
    (depth * scale).clamp(0.0, 16.0)
}

/// The share of signal left at noise level `t` (cosine schedule): 1 at t = 0,
/// 0 at t = 1.
pub fn alpha_bar(t: f32) -> f32 {
    (t.clamp(0.0, 1.0) * FRAC_PI_2).cos().powi(2)
}

/// Refines `cheap` (`[n, 3, h, w]`, 0..1), whose guide is `guide`
/// (`[n, GUIDE_CHANNELS, h, w]`: [`disparity`] and [`guide_occlusion`]): noise it to level `strength` with
/// `noise` (same shape as `cheap`, standard normal, fixed per region so the
/// result is stable from frame to frame), then `steps` DDIM steps to t = 0.
/// `strength` 0 returns the cheap frame unchanged.
pub fn refine(
    model: &Unet,
    cheap: Tensor<4>,
    guide: Tensor<4>,
    noise: Tensor<4>,
    steps: usize,
    strength: f32,
) -> Tensor<4> {
    if strength <= 0.0 || steps == 0 {
        return cheap;
    }
    let t0 = strength.min(1.0);
    let ab = alpha_bar(t0);
    let mut x = cheap.clone().mul_scalar(ab.sqrt()) + noise.mul_scalar((1.0 - ab).sqrt());
    let mut x0 = cheap.clone();
    for k in 0..steps {
        let t = t0 * (1.0 - k as f32 / steps as f32);
        let t_next = t0 * (1.0 - (k + 1) as f32 / steps as f32);
        x0 = model.forward(x.clone(), cheap.clone(), guide.clone(), t);
        if t_next > 0.0 {
            let (a, a_next) = (alpha_bar(t), alpha_bar(t_next));
            let eps = (x - x0.clone().mul_scalar(a.sqrt())).div_scalar((1.0 - a).sqrt().max(1e-4));
            x = x0.clone().mul_scalar(a_next.sqrt()) + eps.mul_scalar((1.0 - a_next).sqrt());
        }
    }
    x0.clamp(0.0, 1.0)
}

/// Standard normal noise for a region, the same every time for the same
/// `seed` (temporal stability: the refiner does not shimmer on a still shot).
pub fn region_noise(seed: u64, shape: [usize; 4], device: &Device) -> Tensor<4> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|_| rng.sample::<f32, _>(rand_distr::StandardNormal))
        .collect();
    Tensor::from_data(TensorData::new(v, shape), device)
}

/// A burn device on the renderer's wgpu device (registered once per device;
/// keep and clone the returned `Device`).
pub fn gpu_device(
    instance: wgpu::Instance,
    adapter: wgpu::Adapter,
    device: wgpu::Device,
    queue: wgpu::Queue,
) -> Result<Device, RefineError> {
    let backend = adapter.get_info().backend;
    Device::wgpu_options()
        .setup(burn::tensor::wgpu::WgpuSetup {
            instance,
            adapter,
            device,
            queue,
            backend,
        })
        .init()
        .map_err(|e| RefineError::Device(e.to_string()))
}

/// The CPU device (burn-flex, burn's own CPU backend: SIMD kernels and both
/// cores): training, evaluation, and the reference the GPU path is checked
/// against.
pub fn cpu_device() -> Device {
    Device::flex()
}

/// burn-ndarray, the CPU backend training ran on before burn-flex (burn 0.22
/// deprecates it for flex): the baseline of `showrunner refiner bench
/// --train`, and the backend a training run on [`cpu_device`] is checked
/// against (`train::tests::flex_trains_as_ndarray_did`).
#[allow(deprecated)] // kept as the baseline, on purpose
pub fn ndarray_device() -> Device {
    Device::ndarray()
}

/// Loads weights into a network of shape `config` on `device`.
pub fn load(path: &Path, config: &UnetConfig, device: &Device) -> Result<Unet, RefineError> {
    let err = |message: String| RefineError::Weights {
        file: path.display().to_string(),
        message,
    };
    let bytes = showrunner_package::read(path).map_err(|e| match e.kind() {
        // The package's own message says which package lacked it.
        std::io::ErrorKind::NotFound if e.get_ref().is_none() => err("no such file".into()),
        _ => err(format!("cannot read: {e}")),
    })?;
    let record = burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
        .map_err(|e| err(format!("cannot load the weights: {e}")))?;
    config
        .init(device)
        .try_load_record(record)
        .map_err(|e| err(format!("cannot load the weights: {e}")))
}

/// Saves weights (burnpack), atomically: a temporary file beside `path`,
/// fsync, rename. A crash leaves the old weights or the new, never half.
pub fn save(model: &Unet, path: &Path) -> Result<(), RefineError> {
    let err = |message: String| RefineError::Weights {
        file: path.display().to_string(),
        message,
    };
    let bytes = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| err(format!("cannot encode: {e}")))?;
    train::write_atomic(path, &bytes).map_err(|e| err(format!("cannot write: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guide(device: &Device) -> Tensor<4> {
        region_noise(3, [1, GUIDE_CHANNELS, 16, 16], device).abs()
    }

    fn tiny(device: &Device) -> (Unet, Tensor<4>, Tensor<4>) {
        device.seed(7);
        let model = UnetConfig::new().init(device);
        let cheap = region_noise(1, [1, 3, 16, 16], device)
            .mul_scalar(0.1)
            .add_scalar(0.5);
        let noise = region_noise(2, [1, 3, 16, 16], device);
        (model, cheap, noise)
    }

    #[test]
    fn the_quest_profile_fits_its_budget() {
        let cfg = UnetConfig::new();
        let g: Vec<(&str, f64)> = PROFILES.iter().map(|p| (p.name, p.gflops(&cfg))).collect();
        eprintln!("GFLOP per eye-frame: {g:?}");
        assert!(g[0].1 <= 1.5, "quest: {}", g[0].1);
        assert!(g.windows(2).all(|w| w[0].1 < w[1].1), "cheapest first");
    }

    #[test]
    fn the_network_is_small_and_cheap() {
        let cfg = UnetConfig::new();
        let n = cfg.init(&cpu_device()).num_params();
        assert!((300_000..=1_500_000).contains(&n), "{n} parameters");
        let g = cfg.flops(128) / 1e9;
        assert!(g <= 1.5, "{g} GFLOP per 128² step");
    }

    #[test]
    fn zero_strength_is_the_identity_and_refining_keeps_the_shape() {
        let dev = cpu_device();
        let (model, cheap, noise) = tiny(&dev);
        let same = refine(&model, cheap.clone(), guide(&dev), noise.clone(), 2, 0.0);
        assert_eq!(
            same.into_data().try_to_vec::<f32>().unwrap(),
            cheap.clone().into_data().try_to_vec::<f32>().unwrap()
        );
        let out = refine(&model, cheap, guide(&dev), noise, 2, 0.4);
        assert_eq!(out.dims(), [1, 3, 16, 16]);
        let v = out.into_data().try_to_vec::<f32>().unwrap();
        assert!(v.iter().all(|x| (0.0..=1.0).contains(x)));
    }

    #[test]
    fn bad_weight_files_name_the_file() {
        let dir = std::env::temp_dir().join(format!("showrunner-refine-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dev = cpu_device();
        let cfg = UnetConfig::new();
        let missing = load(&dir.join("nope.bpk"), &cfg, &dev)
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("nope.bpk") && missing.contains("refinement is off"),
            "{missing}"
        );
        let (model, cheap, noise) = tiny(&dev);
        // Force the lazy parameters, then save and reload: same output.
        let before = refine(&model, cheap.clone(), guide(&dev), noise.clone(), 1, 0.5);
        let path = dir.join("w.bpk");
        save(&model, &path).unwrap();
        let back = load(&path, &cfg, &dev).unwrap();
        let after = refine(&back, cheap, guide(&dev), noise, 1, 0.5);
        assert_eq!(
            before.into_data().try_to_vec::<f32>().unwrap(),
            after.into_data().try_to_vec::<f32>().unwrap()
        );
        // Truncated.
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.join("cut.bpk");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let e = load(&cut, &cfg, &dev).unwrap_err().to_string();
        assert!(e.contains("cut.bpk"), "{e}");
        // Made for another network.
        let other = UnetConfig::new().with_channels([8, 16, 32, 64]);
        let e = load(&path, &other, &dev).unwrap_err().to_string();
        assert!(e.contains("w.bpk") && e.contains("cannot load"), "{e}");
    }
}
