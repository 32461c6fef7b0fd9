//! The denoiser: a small conditional UNet (about 0.85 M parameters) that
//! predicts the refined frame `x0` from a noised frame `x_t`, the cheap
//! render it is conditioned on, and the noise level `t` (a constant input
//! channel). It adds its output to the cheap render, so an untrained or
//! zero-strength refiner leaves the frame as it was.
//!
//! Four levels (full, ½, ¼, ⅛ resolution) with the channels where the pixels
//! are few: 12 → 24 → 64 → 160. At 128 × 128 one step costs about 1.36 GFLOP
//! ([`UnetConfig::flops`]), inside the Quest profile's 1.5 GFLOP per eye-frame.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, PaddingConfig2d};
use burn::tensor::activation::silu;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor};

/// The UNet's shape.
#[derive(Config, Debug)]
pub struct UnetConfig {
    /// Channels at full, ½, ¼ and ⅛ resolution.
    #[config(default = "[12, 24, 64, 160]")]
    pub channels: [usize; 4],
    /// Groups of every GroupNorm (divides every channel count).
    #[config(default = 4)]
    pub groups: usize,
}

impl UnetConfig {
    /// Builds the network on `device` (parameters are drawn on first use).
    pub fn init(&self, device: &Device) -> Unet {
        let [c0, c1, c2, c3] = self.channels;
        let g = self.groups;
        let down = |a, b| {
            Conv2dConfig::new([a, b], [3, 3])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Unet {
            enc0: Block::new(7, c0, g, device),
            down1: down(c0, c1),
            enc1: Block::new(c1, c1, g, device),
            down2: down(c1, c2),
            enc2: Block::new(c2, c2, g, device),
            down3: down(c2, c3),
            mid: Block::new(c3, c3, g, device),
            dec2: Block::new(c3 + c2, c2, g, device),
            dec1: Block::new(c2 + c1, c1, g, device),
            dec0: Block::new(c1 + c0, c0, g, device),
            out: Conv2dConfig::new([c0, 3], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
        }
    }

    /// Multiply-adds ×2 of one forward pass on a `size` × `size` region
    /// (convolutions; norms and activations add well under 1 %).
    pub fn flops(&self, size: usize) -> f64 {
        let [c0, c1, c2, c3] = self.channels.map(|c| c as f64);
        let px = |level: i32| (size as f64 / 2f64.powi(level)).powi(2);
        let conv = |cin: f64, cout: f64, level: i32| cin * cout * 9.0 * px(level);
        let block =
            |cin: f64, cout: f64, level: i32| conv(cin, cout, level) + conv(cout, cout, level);
        let macs = block(7.0, c0, 0)
            + conv(c0, c1, 1)
            + block(c1, c1, 1)
            + conv(c1, c2, 2)
            + block(c2, c2, 2)
            + conv(c2, c3, 3)
            + block(c3, c3, 3)
            + block(c3 + c2, c2, 2)
            + block(c2 + c1, c1, 1)
            + block(c1 + c0, c0, 0)
            + conv(c0, 3.0, 0);
        2.0 * macs
    }
}

/// Two 3 × 3 convolutions, each followed by GroupNorm and SiLU.
#[derive(Module, Debug)]
pub struct Block {
    conv1: Conv2d,
    norm1: GroupNorm,
    conv2: Conv2d,
    norm2: GroupNorm,
}

impl Block {
    fn new(cin: usize, cout: usize, groups: usize, device: &Device) -> Self {
        let conv = |a, b| {
            Conv2dConfig::new([a, b], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Self {
            conv1: conv(cin, cout),
            norm1: GroupNormConfig::new(groups, cout).init(device),
            conv2: conv(cout, cout),
            norm2: GroupNormConfig::new(groups, cout).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = silu(self.norm1.forward(self.conv1.forward(x)));
        silu(self.norm2.forward(self.conv2.forward(x)))
    }
}

/// The denoiser.
#[derive(Module, Debug)]
pub struct Unet {
    enc0: Block,
    down1: Conv2d,
    enc1: Block,
    down2: Conv2d,
    enc2: Block,
    down3: Conv2d,
    mid: Block,
    dec2: Block,
    dec1: Block,
    dec0: Block,
    out: Conv2d,
}

fn up(x: Tensor<4>) -> Tensor<4> {
    // Nearest: the only mode burn-ndarray can train through.
    interpolate(
        x,
        InterpolateOptions::new(InterpolateMode::Nearest).with_scale_factor([2.0, 2.0]),
    )
}

impl Unet {
    /// `x_t`, `cheap`: `[n, 3, h, w]` in 0..1 (h, w multiples of 8);
    /// `t`: noise level 0..1. Returns the predicted refined frame.
    pub fn forward(&self, x_t: Tensor<4>, cheap: Tensor<4>, t: f32) -> Tensor<4> {
        let [n, _, h, w] = cheap.dims();
        let tmap = Tensor::<4>::ones([n, 1, h, w], &cheap.device()).mul_scalar(t);
        let h0 = self
            .enc0
            .forward(Tensor::cat(vec![x_t, cheap.clone(), tmap], 1));
        let h1 = self.enc1.forward(silu(self.down1.forward(h0.clone())));
        let h2 = self.enc2.forward(silu(self.down2.forward(h1.clone())));
        let h3 = self.mid.forward(silu(self.down3.forward(h2.clone())));
        let u2 = self.dec2.forward(Tensor::cat(vec![up(h3), h2], 1));
        let u1 = self.dec1.forward(Tensor::cat(vec![up(u2), h1], 1));
        let u0 = self.dec0.forward(Tensor::cat(vec![up(u1), h0], 1));
        cheap + self.out.forward(u0)
    }
}
