//! The denoiser: a small conditional UNet (856 k parameters) that
//! predicts the refined frame `x0` from a noised frame `x_t`, the cheap
//! render it is conditioned on, the cheap render's guide (its disparity,
//! [`crate::disparity`]: what the real-time path knows of the geometry, so
//! the network can tell a silhouette from a shadow edge; and the ambient
//! occlusion computed from it, [`crate::guide_occlusion`], which the network
//! cannot learn to derive itself in the training this project affords) and
//! the noise level `t` (a constant input channel). It adds
//! its output to the cheap render, so an untrained or zero-strength refiner
//! leaves the frame as it was.
//!
//! Four levels (full, ½, ¼, ⅛ resolution) with the channels where the pixels
//! are few: 12 → 24 → 64 → 160. Every block is GroupNorm'd, which makes the
//! UNet blind to a pixel's absolute level; the film grade the reference
//! carries is a curve on exactly that level. So a small **colour path** runs
//! beside it without normalisation: a 3 × 3 convolution over the last decoder
//! features and the raw cheap pixels and guide, SiLU, and a 1 × 1 convolution
//! to RGB, added to the output. At 128 × 128 one step costs about 1.44 GFLOP
//! ([`UnetConfig::flops`]), inside the Quest profile's 1.5 GFLOP per eye-frame.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, PaddingConfig2d};
use burn::tensor::activation::silu;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu_device;

    #[test]
    fn im2col_equals_burns_convolution_and_is_the_default_on_ndarray_only() {
        let dev = crate::ndarray_device();
        assert!(prefers_im2col(&dev) && prefers_im2col(&dev.clone().autodiff()));
        // burn-flex's own convolutions are im2col + gemm already, and faster forward.
        assert!(!prefers_im2col(&cpu_device()) && !prefers_im2col(&cpu_device().autodiff()));
        dev.seed(9);
        let m = UnetConfig::new().init(&dev);
        let x = crate::region_noise(1, [2, 3, 32, 24], &dev);
        let c = crate::region_noise(2, [2, 3, 32, 24], &dev)
            .mul_scalar(0.1)
            .add_scalar(0.5);
        let g = crate::region_noise(3, [2, crate::GUIDE_CHANNELS, 32, 24], &dev).abs();
        let a = m.forward_with(x.clone(), c.clone(), g.clone(), 0.4, false);
        let b = m.forward_with(x, c, g, 0.4, true);
        let worst = (a - b).abs().max().into_data().try_to_vec::<f32>().unwrap()[0];
        assert!(worst < 1e-4, "im2col differs by {worst}");
    }

    #[test]
    fn two_stage_group_norm_equals_burns_and_its_gradient_too() {
        let dev = cpu_device().autodiff();
        dev.seed(4);
        let mut norm = GroupNormConfig::new(4, 16).init(&dev);
        // Parameters away from their 1 / 0 start, and values with an offset and a spread
        // per channel, as a convolution's output has.
        let param = |seed, scale: f32, offset: f32| {
            let t = crate::region_noise(seed, [1, 1, 1, 16], &dev)
                .reshape([16])
                .mul_scalar(scale)
                .add_scalar(offset);
            Some(burn::module::Param::from_tensor(t))
        };
        norm.gamma = param(5, 0.3, 1.0);
        norm.beta = param(6, 1.0, 0.0);
        let x = crate::region_noise(7, [2, 16, 12, 10], &dev)
            .mul_scalar(3.0)
            .add_scalar(1.5)
            .require_grad();
        let ours = group_norm(&norm, x.clone());
        let burns = norm.forward(x.clone());
        let worst: f32 = (ours.clone() - burns.clone()).abs().max().into_scalar();
        assert!(worst < 1e-5, "the forward differs by {worst}");
        // The same gradient flows back: training through either is the same training.
        let w = crate::region_noise(8, [2, 16, 12, 10], &dev);
        let (ga, gb) = (
            (ours * w.clone()).sum().backward(),
            (burns * w).sum().backward(),
        );
        let (ga, gb) = (x.grad(&ga).unwrap(), x.grad(&gb).unwrap());
        let worst: f32 = (ga - gb).abs().max().into_scalar();
        assert!(worst < 1e-4, "the gradient differs by {worst}");
    }
}

/// Input channels: `x_t` (3), the cheap render (3), its guide
/// ([`crate::GUIDE_CHANNELS`]: disparity, occlusion), `t` (1).
pub const INPUTS: usize = 7 + crate::GUIDE_CHANNELS;

/// Raw pixel channels the colour path sees beside the decoder's features:
/// the cheap render (3) and its guide.
const COLOUR_PIXELS: usize = 3 + crate::GUIDE_CHANNELS;

/// The colour path: un-normalised, so it sees absolute levels.
#[derive(Module, Debug)]
pub struct Colour {
    conv1: Conv2d,
    conv2: Conv2d,
}

/// A 1 × 1 convolution as one matrix product (no im2col needed).
fn conv1x1(c: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [n, cin, h, w] = x.dims();
    let weight = c.weight.val();
    let cout = weight.dims()[0];
    let wm: Tensor<3> = weight.reshape([1, cout, cin]);
    let mut y: Tensor<4> = wm
        .matmul(x.reshape([n, cin, h * w]))
        .reshape([n, cout, h, w]);
    if let Some(b) = &c.bias {
        y = y + b.val().reshape([1, cout, 1, 1]);
    }
    y
}

/// The UNet's shape.
#[derive(Config, Debug)]
pub struct UnetConfig {
    /// Channels at full, ½, ¼ and ⅛ resolution.
    #[config(default = "[12, 24, 64, 160]")]
    pub channels: [usize; 4],
    /// Groups of every GroupNorm (divides every channel count).
    #[config(default = 4)]
    pub groups: usize,
    /// Channels of the colour path (0: none).
    #[config(default = 16)]
    pub colour: usize,
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
            enc0: Block::new(INPUTS, c0, g, device),
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
            colour: (self.colour > 0).then(|| Colour {
                conv1: Conv2dConfig::new([c0 + COLOUR_PIXELS, self.colour], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device),
                conv2: Conv2dConfig::new([self.colour, 3], [1, 1]).init(device),
            }),
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
        let macs = block(INPUTS as f64, c0, 0)
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
        let k = self.colour as f64;
        let colour = conv(c0 + COLOUR_PIXELS as f64, k, 0) + k * 3.0 * px(0);
        2.0 * (macs + colour)
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

/// `n.forward(x)` (burn's `GroupNorm`, the same maths and parameters), with each group's
/// mean and variance reduced in two stages: along every row of the group first, then over
/// the rows. burn reduces a group's `channels / groups × h × w` values in one reduction with
/// one output per group (8 at a time here), which a GPU runs on a handful of its workgroups:
/// on an H200 that reduction was 93 % of a 512 px refinement step and 80 % of a 128 px one
/// (BENCHMARKS.md, "On a real GPU"). Rows of one group have equal lengths, so the mean of
/// their means is the group's mean.
pub fn group_norm(n: &GroupNorm, x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let g = n.num_groups;
    let grouped = x.reshape([b, g, c / g * h, w]);
    let mean = grouped.clone().mean_dim(3).mean_dim(2);
    let centred = grouped.sub(mean);
    let var = centred.clone().square().mean_dim(3).mean_dim(2);
    let normed = centred
        .div(var.add_scalar(n.epsilon).sqrt())
        .reshape([b, c, h, w]);
    match (&n.gamma, &n.beta) {
        (Some(gamma), Some(beta)) if n.affine => normed
            .mul(gamma.val().reshape([1, c, 1, 1]))
            .add(beta.val().reshape([1, c, 1, 1])),
        _ => normed,
    }
}

/// A named parameter: (name, shape, values in row-major order).
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

fn export_conv(name: &str, c: &Conv2d, out: &mut Vec<NamedTensor>) {
    let w = c.weight.val();
    out.push((
        format!("{name}.weight"),
        w.dims().to_vec(),
        values(w.into_data()),
    ));
    if let Some(b) = &c.bias {
        let b = b.val();
        out.push((
            format!("{name}.bias"),
            b.dims().to_vec(),
            values(b.into_data()),
        ));
    }
}

fn export_norm(name: &str, n: &GroupNorm, out: &mut Vec<NamedTensor>) {
    for (part, p) in [("weight", &n.gamma), ("bias", &n.beta)] {
        if let Some(p) = p {
            let v = p.val();
            out.push((
                format!("{name}.{part}"),
                v.dims().to_vec(),
                values(v.into_data()),
            ));
        }
    }
}

/// A 3 × 3 convolution (padding 1, stride 1 or 2) as im2col + one matrix
/// product: the same maths as `Conv2d::forward` with the same weights, but
/// made of slices and a matmul, whose gradients burn-ndarray computes ~30×
/// faster than its direct convolution's (and whose forward is faster on the
/// CPU too). `h` and `w` must be even for stride 2.
pub fn conv3x3_im2col(c: &Conv2d, x: Tensor<4>, stride: usize) -> Tensor<4> {
    let [n, cin, h, w] = x.dims();
    let weight = c.weight.val();
    let [cout, wcin, kh, kw] = weight.dims();
    assert_eq!(
        (wcin, kh, kw),
        (cin, 3, 3),
        "a 3 × 3 convolution over {cin} channels"
    );
    let xp = x.pad((1, 1, 1, 1), burn::tensor::ops::PadMode::Constant(0.0));
    let (ho, wo) = (h / stride, w / stride);
    let mut cols = Vec::with_capacity(9);
    if stride == 1 {
        for ky in 0..3 {
            for kx in 0..3 {
                cols.push(xp.clone().slice([0..n, 0..cin, ky..ky + h, kx..kx + w]));
            }
        }
    } else {
        assert_eq!(stride, 2, "stride 1 or 2");
        let (hp, wp) = ((h + 2) / 2, (w + 2) / 2);
        let split: Tensor<6> = xp.reshape([n, cin, hp, 2, wp, 2]);
        for ky in 0..3 {
            for kx in 0..3 {
                let (a, b, c2, d) = (ky / 2, ky % 2, kx / 2, kx % 2);
                let tap =
                    split
                        .clone()
                        .slice([0..n, 0..cin, a..a + ho, b..b + 1, c2..c2 + wo, d..d + 1]);
                cols.push(tap.reshape([n, cin, ho, wo]));
            }
        }
    }
    // [n, cin, 9, ho, wo] → [n, cin·9, ho·wo], matching the weight's (cin, ky, kx) order.
    let cols: Tensor<5> = Tensor::stack(cols, 2);
    let cols: Tensor<3> = cols.reshape([n, cin * 9, ho * wo]);
    let wm: Tensor<3> = weight.reshape([1, cout, cin * 9]);
    let mut y: Tensor<4> = wm.matmul(cols).reshape([n, cout, ho, wo]);
    if let Some(b) = &c.bias {
        y = y + b.val().reshape([1, cout, 1, 1]);
    }
    y
}

fn values(d: burn::tensor::TensorData) -> Vec<f32> {
    d.convert::<f32>().try_to_vec::<f32>().unwrap_or_default()
}

impl Block {
    fn export(&self, name: &str, out: &mut Vec<NamedTensor>) {
        export_conv(&format!("{name}.conv1"), &self.conv1, out);
        export_norm(&format!("{name}.norm1"), &self.norm1, out);
        export_conv(&format!("{name}.conv2"), &self.conv2, out);
        export_norm(&format!("{name}.norm2"), &self.norm2, out);
    }

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

    fn forward(&self, x: Tensor<4>, im2col: bool) -> Tensor<4> {
        let x = silu(group_norm(&self.norm1, conv(&self.conv1, x, 1, im2col)));
        silu(group_norm(&self.norm2, conv(&self.conv2, x, 1, im2col)))
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
    colour: Option<Colour>,
}

fn conv(c: &Conv2d, x: Tensor<4>, stride: usize, im2col: bool) -> Tensor<4> {
    if im2col {
        conv3x3_im2col(c, x, stride)
    } else {
        c.forward(x)
    }
}

/// Whether `device` is burn-ndarray (plain or autodiff), where the im2col
/// convolution is the fast one. burn 0.22 does not expose the backend of a
/// `Device` other than through its debug form.
pub fn prefers_im2col(device: &Device) -> bool {
    format!("{device:?}").contains("NdArray")
}

fn up(x: Tensor<4>) -> Tensor<4> {
    // Nearest: the only mode burn-ndarray can train through.
    interpolate(
        x,
        InterpolateOptions::new(InterpolateMode::Nearest).with_scale_factor([2.0, 2.0]),
    )
}

impl Unet {
    /// Every parameter with PyTorch's names (`enc0.conv1.weight`, a
    /// GroupNorm's gamma as `weight`), for the PyTorch side-by-side.
    pub fn export(&self) -> Vec<NamedTensor> {
        let mut out = Vec::new();
        self.enc0.export("enc0", &mut out);
        export_conv("down1", &self.down1, &mut out);
        self.enc1.export("enc1", &mut out);
        export_conv("down2", &self.down2, &mut out);
        self.enc2.export("enc2", &mut out);
        export_conv("down3", &self.down3, &mut out);
        self.mid.export("mid", &mut out);
        self.dec2.export("dec2", &mut out);
        self.dec1.export("dec1", &mut out);
        self.dec0.export("dec0", &mut out);
        export_conv("out", &self.out, &mut out);
        if let Some(c) = &self.colour {
            export_conv("colour1", &c.conv1, &mut out);
            export_conv("colour2", &c.conv2, &mut out);
        }
        out
    }

    /// `x_t`, `cheap`: `[n, 3, h, w]` in 0..1 (h, w multiples of 8);
    /// `guide`: `[n, GUIDE_CHANNELS, h, w]`, the cheap render's guide
    /// ([`crate::disparity`], [`crate::guide_occlusion`]); `t`: noise level 0..1. Returns the predicted
    /// refined frame. On burn-ndarray the convolutions run as im2col +
    /// matmul ([`conv3x3_im2col`]), elsewhere as burn's direct convolution.
    pub fn forward(&self, x_t: Tensor<4>, cheap: Tensor<4>, guide: Tensor<4>, t: f32) -> Tensor<4> {
        let im2col = prefers_im2col(&cheap.device());
        self.forward_with(x_t, cheap, guide, t, im2col)
    }

    /// [`Unet::forward`] with the convolution path chosen by the caller.
    pub fn forward_with(
        &self,
        x_t: Tensor<4>,
        cheap: Tensor<4>,
        guide: Tensor<4>,
        t: f32,
        im2col: bool,
    ) -> Tensor<4> {
        let [n, _, h, w] = cheap.dims();
        let tmap = Tensor::<4>::ones([n, 1, h, w], &cheap.device()).mul_scalar(t);
        let i = im2col;
        let h0 = self.enc0.forward(
            Tensor::cat(vec![x_t, cheap.clone(), guide.clone(), tmap], 1),
            i,
        );
        let h1 = self
            .enc1
            .forward(silu(conv(&self.down1, h0.clone(), 2, i)), i);
        let h2 = self
            .enc2
            .forward(silu(conv(&self.down2, h1.clone(), 2, i)), i);
        let h3 = self
            .mid
            .forward(silu(conv(&self.down3, h2.clone(), 2, i)), i);
        let u2 = self.dec2.forward(Tensor::cat(vec![up(h3), h2], 1), i);
        let u1 = self.dec1.forward(Tensor::cat(vec![up(u2), h1], 1), i);
        let u0 = self.dec0.forward(Tensor::cat(vec![up(u1), h0], 1), i);
        let out = cheap.clone() + conv(&self.out, u0.clone(), 1, i);
        match &self.colour {
            Some(c) => {
                let x = Tensor::cat(vec![u0, cheap, guide], 1);
                let x = silu(conv(&c.conv1, x, 1, i));
                out + if i {
                    conv1x1(&c.conv2, x)
                } else {
                    c.conv2.forward(x)
                }
            }
            None => out,
        }
    }
}
