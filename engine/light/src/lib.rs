//! Room lighting from the passthrough camera.
//!
//! [`RoomLightEstimator`] turns RGB frames with a known camera orientation
//! and field of view into the room's light as **L2 spherical harmonics**
//! (9 × RGB radiance coefficients), a **dominant light** (direction and
//! colour) and an **exposure**, smoothed over time. The renderer lights the
//! scene with it, so characters look lit by the viewer's own room.
//!
//! Method: every sampled pixel is a radiance observation along a world
//! direction, weighted by the solid angle it covers. The estimator keeps the
//! weighted least-squares normal equations of the SH fit, `A c = b`, and
//! decays them with a time constant each frame, so new views add to (and
//! slowly replace) what earlier views saw: turning the head fills in the
//! sphere. A small prior keeps directions never seen from exploding: it pulls towards a uniform room of the mean radiance
//! seen. Solving the 9 × 9 system is a Cholesky factorisation
//! (nalgebra).

use glam::{Quat, Vec3};
use nalgebra::{SMatrix, SVector};

/// L2 spherical harmonics: 9 coefficients of linear RGB radiance, in the
/// standard real basis order (l, m) = (0,0), (1,−1), (1,0), (1,1), (2,−2),
/// (2,−1), (2,0), (2,1), (2,2); world space with y up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sh9(pub [Vec3; 9]);

impl Default for Sh9 {
    fn default() -> Self {
        Self([Vec3::ZERO; 9])
    }
}

impl Sh9 {
    /// The basis functions at unit direction `d`.
    pub fn basis(d: Vec3) -> [f32; 9] {
        let (x, y, z) = (d.x, d.y, d.z);
        [
            0.282_095,
            0.488_603 * y,
            0.488_603 * z,
            0.488_603 * x,
            1.092_548 * x * y,
            1.092_548 * y * z,
            0.315_392 * (3.0 * z * z - 1.0),
            1.092_548 * x * z,
            0.546_274 * (x * x - y * y),
        ]
    }

    /// Radiance towards direction `d` (unit).
    pub fn eval(&self, d: Vec3) -> Vec3 {
        Self::basis(d)
            .iter()
            .zip(&self.0)
            .map(|(b, c)| *c * *b)
            .sum()
    }

    /// A uniform environment of radiance `l`.
    pub fn ambient(l: Vec3) -> Self {
        let mut s = Self::default();
        s.0[0] = l / 0.282_095;
        s
    }

    /// Adds a light of total radiant intensity `e` from direction `dir`
    /// (towards the light), as its SH projection.
    pub fn add_directional(&mut self, dir: Vec3, e: Vec3) {
        for (c, b) in self.0.iter_mut().zip(Self::basis(dir.normalize())) {
            *c += e * b;
        }
    }

    /// Irradiance SH for a Lambertian surface (Ramamoorthi & Hanrahan 2001):
    /// the radiance coefficients convolved with the clamped cosine. The
    /// renderer evaluates this at the surface normal and divides by π.
    pub fn irradiance(&self) -> Self {
        use std::f32::consts::{FRAC_PI_4, PI};
        let a = [
            PI,
            2.0 * PI / 3.0,
            2.0 * PI / 3.0,
            2.0 * PI / 3.0,
            FRAC_PI_4,
            FRAC_PI_4,
            FRAC_PI_4,
            FRAC_PI_4,
            FRAC_PI_4,
        ];
        let mut s = *self;
        for (c, k) in s.0.iter_mut().zip(a) {
            *c *= k;
        }
        s
    }

    /// Mean radiance over the sphere.
    pub fn mean(&self) -> Vec3 {
        self.0[0] * 0.282_095
    }
}

/// Pixels of a frame.
#[derive(Debug, Clone, Copy)]
pub enum Pixels<'a> {
    /// 8-bit sRGB, RGB interleaved, row-major, top row first (a camera image).
    Srgb8(&'a [u8]),
    /// Linear RGB, row-major, top row first (a rendered frame).
    Linear(&'a [Vec3]),
}

/// One passthrough frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// The image.
    pub pixels: Pixels<'a>,
    /// Camera to world rotation; the camera looks down −z with +y up.
    pub orientation: Quat,
    /// Vertical field of view, radians (pinhole).
    pub fov_y: f32,
}

/// Why a frame was not used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    /// The pixel buffer does not match width × height.
    #[error("frame is {width}×{height} but has {got} pixel values (expected {expected})")]
    Size {
        /// Width.
        width: usize,
        /// Height.
        height: usize,
        /// Values given.
        got: usize,
        /// Values expected.
        expected: usize,
    },
    /// The field of view is not within (0, π).
    #[error("field of view {0} rad is not within (0, π)")]
    Fov(f32),
}

/// What the estimator currently believes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LightEstimate {
    /// Radiance SH of the room.
    pub sh: Sh9,
    /// Unit direction towards the dominant light (world space).
    pub direction: Vec3,
    /// The dominant light's colour × intensity (linear RGB).
    pub color: Vec3,
    /// Exposure to apply, in EV: positive brightens (a dim room), negative
    /// darkens, 0 when the room's mean luminance is middle grey (0.18).
    pub exposure_ev: f32,
    /// Fraction of the sphere seen recently, 0..=1.
    pub coverage: f32,
}

impl Default for LightEstimate {
    fn default() -> Self {
        let sh = Sh9::ambient(Vec3::splat(0.18));
        Self {
            sh,
            direction: Vec3::Y,
            color: Vec3::ZERO,
            exposure_ev: 0.0,
            coverage: 0.0,
        }
    }
}

/// What the renderer lights a frame with: the room's estimate and the key light (its direction
/// of travel, its colour).
pub type RoomLight = (LightEstimate, (Vec3, Vec3));

impl LightEstimate {
    /// An estimate from a runtime's own: the room's radiance SH (`sh`, the main light left
    /// out) and its main light (unit `direction` towards it, `color` × intensity, linear RGB).
    /// The exposure follows the room's mean luminance as [`RoomLightEstimator`]'s does.
    pub fn from_parts(sh: Sh9, direction: Vec3, color: Vec3) -> Self {
        let mean = luminance(sh.mean() + color * 0.282_095 * 0.282_095).max(1e-4);
        Self {
            sh,
            direction: direction.try_normalize().unwrap_or(Vec3::Y),
            color: color.max(Vec3::ZERO),
            exposure_ev: (0.18 / mean).log2(),
            coverage: 1.0,
        }
    }

    /// The renderer's key light: its direction of travel and its colour, the strength kept
    /// within the studio's range (peak channel 1.5) so one bright window does not blow the set
    /// out.
    pub fn key_light(&self) -> (Vec3, Vec3) {
        let peak = self.color.max_element();
        let color = if peak > 1.5 {
            self.color * (1.5 / peak)
        } else {
            self.color
        };
        (-self.direction, color)
    }
}

/// Tuning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimatorConfig {
    /// Time constant of the smoothing, seconds (default 2).
    pub time_constant_s: f32,
    /// Sample every `stride`-th pixel in x and y (default 4).
    pub stride: usize,
    /// Strength of the prior (default 0.01, in units of the whole sphere's
    /// weight): where views are missing, the estimate falls back to a uniform
    /// room of the mean radiance seen, instead of extrapolating wildly.
    pub prior: f64,
}

impl Default for EstimatorConfig {
    fn default() -> Self {
        Self {
            time_constant_s: 2.0,
            stride: 4,
            prior: 0.01,
        }
    }
}

/// The estimator. Feed it frames with [`update`](Self::update).
#[derive(Debug, Clone)]
pub struct RoomLightEstimator {
    cfg: EstimatorConfig,
    a: SMatrix<f64, 9, 9>,
    b: SMatrix<f64, 9, 3>,
    seen: f64,
    estimate: LightEstimate,
}

fn srgb_to_linear(v: u8) -> f32 {
    let c = f32::from(v) / 255.0;
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn luminance(c: Vec3) -> f32 {
    c.dot(Vec3::new(0.2126, 0.7152, 0.0722))
}

impl RoomLightEstimator {
    /// A fresh estimator (a neutral grey room until frames arrive).
    pub fn new(cfg: EstimatorConfig) -> Self {
        Self {
            cfg,
            a: SMatrix::zeros(),
            b: SMatrix::zeros(),
            seen: 0.0,
            estimate: LightEstimate::default(),
        }
    }

    /// The current estimate.
    pub fn estimate(&self) -> &LightEstimate {
        &self.estimate
    }

    /// Adds a frame seen `dt` seconds after the previous one and updates the estimate.
    pub fn update(&mut self, frame: &Frame<'_>, dt: f32) -> Result<&LightEstimate, FrameError> {
        let n = frame.width * frame.height;
        let got = match frame.pixels {
            Pixels::Srgb8(p) => p.len(),
            Pixels::Linear(p) => p.len() * 3,
        };
        if got != n * 3 {
            return Err(FrameError::Size {
                width: frame.width,
                height: frame.height,
                got,
                expected: n * 3,
            });
        }
        if !(frame.fov_y > 0.0 && frame.fov_y < std::f32::consts::PI) {
            return Err(FrameError::Fov(frame.fov_y));
        }
        let keep = f64::from((-dt.max(0.0) / self.cfg.time_constant_s.max(1e-3)).exp());
        self.a *= keep;
        self.b *= keep;
        self.seen *= keep;
        let tan_y = (frame.fov_y * 0.5).tan();
        let tan_x = tan_y * frame.width as f32 / frame.height as f32;
        let s = self.cfg.stride.max(1);
        // Pixel footprint on the image plane at distance 1, per sample.
        let (px, py) = (
            2.0 * tan_x / frame.width as f32,
            2.0 * tan_y / frame.height as f32,
        );
        let area = px * py * (s * s) as f32;
        let mut frame_omega = 0.0f64;
        for j in (s / 2..frame.height).step_by(s) {
            let y = tan_y * (1.0 - 2.0 * (j as f32 + 0.5) / frame.height as f32);
            for i in (s / 2..frame.width).step_by(s) {
                let x = tan_x * (2.0 * (i as f32 + 0.5) / frame.width as f32 - 1.0);
                let r2 = 1.0 + x * x + y * y;
                let w = f64::from(area / (r2 * r2.sqrt()));
                let d = frame.orientation * (Vec3::new(x, y, -1.0) / r2.sqrt());
                let k = j * frame.width + i;
                let l = match frame.pixels {
                    Pixels::Srgb8(p) => Vec3::new(
                        srgb_to_linear(p[3 * k]),
                        srgb_to_linear(p[3 * k + 1]),
                        srgb_to_linear(p[3 * k + 2]),
                    ),
                    Pixels::Linear(p) => p[k],
                };
                let y9 = SVector::<f64, 9>::from(Sh9::basis(d).map(f64::from));
                self.a += y9 * y9.transpose() * w;
                let lv = nalgebra::RowVector3::new(f64::from(l.x), f64::from(l.y), f64::from(l.z));
                self.b += y9 * lv * w;
                frame_omega += w;
            }
        }
        self.seen += frame_omega;
        self.solve();
        Ok(&self.estimate)
    }

    fn solve(&mut self) {
        if self.seen <= 0.0 {
            return;
        }
        // Prior: a uniform room of the mean radiance seen (only the DC term).
        // Σ w·Y00·L / Σ w·Y00² is that mean expressed as a DC coefficient.
        let lambda = self.cfg.prior.max(1e-9);
        let mut prior = SMatrix::<f64, 9, 3>::zeros();
        if self.a[(0, 0)] > 0.0 {
            for ch in 0..3 {
                prior[(0, ch)] = self.b[(0, ch)] / self.a[(0, 0)];
            }
        }
        // The less of the sphere has been seen, the more the detail bands are
        // held to the prior: a single view's gradient then reads as a light
        // direction (band 1), not as quadrupole ringing (band 2) extrapolated
        // behind the viewer. With the whole room seen, the data decides.
        let coverage = (self.seen / (4.0 * std::f64::consts::PI)).min(1.0);
        let unseen = (1.0 - coverage).powi(2);
        let mut reg = self.a;
        for k in 0..9 {
            let band = [1.0, 10.0, 10.0, 10.0, 100.0, 100.0, 100.0, 100.0, 100.0][k];
            reg[(k, k)] += lambda * (1.0 + (band - 1.0) * unseen);
        }
        let mut weighted_prior = prior;
        for k in 0..9 {
            for ch in 0..3 {
                weighted_prior[(k, ch)] *= reg[(k, k)] - self.a[(k, k)];
            }
        }
        let Some(chol) = reg.cholesky() else { return };
        let c = chol.solve(&(self.b + weighted_prior));
        let mut sh = Sh9::default();
        for k in 0..9 {
            sh.0[k] = Vec3::new(c[(k, 0)] as f32, c[(k, 1)] as f32, c[(k, 2)] as f32);
        }
        // Dominant light from the linear band, luminance-weighted.
        let band1 = |c: Vec3| luminance(c);
        let v = Vec3::new(band1(sh.0[3]), band1(sh.0[1]), band1(sh.0[2]));
        let direction = v.try_normalize().unwrap_or(Vec3::Y);
        let along = |c: usize| {
            (sh.0[3][c] * direction.x + sh.0[1][c] * direction.y + sh.0[2][c] * direction.z)
                / 0.488_603
        };
        let color = Vec3::new(along(0), along(1), along(2)).max(Vec3::ZERO);
        let mean = luminance(sh.mean()).max(1e-4);
        self.estimate = LightEstimate {
            sh,
            direction,
            color,
            exposure_ev: (0.18 / mean).log2(),
            coverage: (self.seen / (4.0 * std::f64::consts::PI)).min(1.0) as f32,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basis_is_orthonormal() {
        // Fibonacci-sphere quadrature: ∫ Y_i Y_j dΩ = δ_ij.
        let n = 20_000;
        let mut g = [[0.0f64; 9]; 9];
        for k in 0..n {
            let z = 1.0 - 2.0 * (k as f64 + 0.5) / n as f64;
            let r = (1.0 - z * z).sqrt();
            let phi = k as f64 * 2.399_963_229_728_653;
            let d = Vec3::new((r * phi.cos()) as f32, (r * phi.sin()) as f32, z as f32);
            let y = Sh9::basis(d);
            for i in 0..9 {
                for j in 0..9 {
                    g[i][j] += f64::from(y[i] * y[j]) * 4.0 * std::f64::consts::PI / n as f64;
                }
            }
        }
        for (i, row) in g.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((v - want).abs() < 1e-3, "<Y{i},Y{j}> = {v}");
            }
        }
    }

    #[test]
    fn ambient_and_irradiance() {
        let s = Sh9::ambient(Vec3::splat(0.5));
        assert!((s.eval(Vec3::X) - Vec3::splat(0.5)).length() < 1e-5);
        assert!((s.mean() - Vec3::splat(0.5)).length() < 1e-5);
        // A uniform room of radiance L gives irradiance π L on any surface.
        let e = s.irradiance().eval(Vec3::Y);
        assert!((e - Vec3::splat(0.5 * std::f32::consts::PI)).length() < 1e-4);
    }
}
