//! Temporal stability: the refined region of the last frame, moved with the
//! head (reprojection) and blended into this frame's, where the scene did not
//! change under it.
//!
//! Reprojection ([`Motion`]) is a shift in pixels, which the app makes from
//! the head's rotation since the last frame (and the region's own move), plus
//! where the depth is known each pixel's parallax from the head's translation:
//! a point at disparity `d` ([`crate::disparity`]: the pixels a metre spans
//! there, over 128) moves `128 × d` pixels for every metre the eye moves
//! sideways. Where the cheap
//! render changed under a pixel (something moved, was uncovered, or the shot
//! cut) the history is rejected and the fresh refinement shows; what the
//! rejection lets through is clamped to the range of the fresh refinement's
//! neighbourhood, so what moved on leaves no trail. `showrunner refiner eval`
//! measures both sides: flicker on still shots, and the history's cost
//! against the reference while the head slides sideways.
//!
//! On half-rate frames (the budget controller's second-cheapest rung) the app
//! does not run the network at all: [`Temporal::hold`] reprojects the last
//! refined region onto the new frame with the same rejection.

use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Int, Tensor};

/// How the last frame's region moved onto this frame's.
#[derive(Debug, Clone)]
pub struct Motion {
    /// The whole region's shift, pixels (content at x goes to x + dx): the head's rotation
    /// and the region's own move. Whole pixels without parallax.
    pub dx: f32,
    /// The same, down.
    pub dy: f32,
    /// Each pixel's parallax from the head's translation: this frame's disparity
    /// (`[n, 1, h, w]`, [`crate::disparity`]) and how many pixels one unit of it moves, right
    /// and down (`−128 × ` the eye's move to its right in metres, `128 × ` its move up).
    /// `None`: rotation only.
    pub parallax: Option<(Tensor<4>, f32, f32)>,
}

impl Motion {
    /// A shift of the whole region, no parallax.
    pub fn shift(dx: f32, dy: f32) -> Self {
        Self {
            dx,
            dy,
            parallax: None,
        }
    }

    /// The eye moved `right` and `up` metres (in its own frame) since the last frame, over a
    /// region whose disparity is `disparity`.
    pub fn with_parallax(self, disparity: Tensor<4>, right: f32, up: f32) -> Self {
        let scale = crate::GUIDE_PIXELS;
        Self {
            parallax: (right.is_finite() && up.is_finite() && (right != 0.0 || up != 0.0))
                .then(|| (disparity, -scale * right, scale * up)),
            ..self
        }
    }
}

/// Moves `prev` as `m` says (each pixel to where its content is now, sampled bilinearly:
/// the parallax of a head's sideways lean is a fraction of a pixel a frame); pixels that
/// nothing moved onto come from `fill`. Same shapes, `[n, c, h, w]`.
pub fn warp(prev: Tensor<4>, fill: Tensor<4>, m: &Motion) -> Tensor<4> {
    let Some((disparity, px, py)) = &m.parallax else {
        let whole = |d: f32| d.round().clamp(-1e6, 1e6) as i32;
        return reproject(prev, fill, whole(m.dx), whole(m.dy));
    };
    let [n, c, h, w] = prev.dims();
    let device = prev.device();
    let coords = |len: usize, shape: [usize; 4]| {
        Tensor::<1, Int>::arange(0..len as i64, &device)
            .float()
            .reshape(shape)
    };
    // Where each pixel's content was: here, less its flow.
    let sx = (coords(w, [1, 1, 1, w]) - disparity.clone().mul_scalar(*px)).sub_scalar(m.dx);
    let sy = (coords(h, [1, 1, h, 1]) - disparity.clone().mul_scalar(*py)).sub_scalar(m.dy);
    let outside = sx
        .clone()
        .lower_elem(0.0)
        .bool_or(sx.clone().greater_elem((w - 1) as f32))
        .bool_or(sy.clone().lower_elem(0.0))
        .bool_or(sy.clone().greater_elem((h - 1) as f32));
    let (x0, y0) = (sx.clone().floor(), sy.clone().floor());
    let (fx, fy) = (sx - x0.clone(), sy - y0.clone());
    let flat = prev.reshape([n, c, h * w]);
    let at = |x: Tensor<4>, y: Tensor<4>| {
        let index = (y.clamp(0.0, (h - 1) as f32).mul_scalar(w as f32)
            + x.clamp(0.0, (w - 1) as f32))
        .int()
        .reshape([n, 1, h * w])
        .repeat_dim(1, c);
        flat.clone().gather(2, index).reshape([n, c, h, w])
    };
    let row = |y: Tensor<4>| {
        let left = at(x0.clone(), y.clone());
        let right = at(x0.clone().add_scalar(1.0), y);
        left.clone() + (right - left).mul(fx.clone())
    };
    let (top, bottom) = (row(y0.clone()), row(y0.add_scalar(1.0)));
    let moved = top.clone() + (bottom - top).mul(fy);
    moved.mask_where(outside.repeat_dim(1, c), fill)
}

/// Temporal history of one eye's refined region.
#[derive(Debug, Clone)]
pub struct Temporal {
    /// Weight of the history where the scene held still (0: none).
    pub history: f32,
    /// Change in the cheap render (0..1 per channel, averaged) at which the
    /// history is rejected entirely; below it the weight falls linearly.
    /// 0.4 by default: the edges of a breathing, weight-shifting actor change
    /// by 0.15–0.3 frame to frame, and the graded look amplifies that (the
    /// reference changes 1.97× as much as the cheap render); without the
    /// history the refined shot flickers 1.71× the cheap one. Lower
    /// thresholds flicker more and higher ones let more stale history
    /// through, which [`Temporal::clamp`] then bounds (BENCHMARKS.md,
    /// "Refiner with an occlusion guide": flicker 1.03× at 0.4 with the
    /// clamp, and the history costs 1.2 dB while the head slides sideways
    /// 0.45 m/s, against 2.0 dB unclamped at 0.3).
    pub reject: f32,
    /// Clamp the reprojected history to the range of this frame's refined
    /// 3 × 3 neighbourhood (per channel), widened by this margin (0..1),
    /// before blending, as temporal anti-aliasing does: history that no
    /// longer fits what is under it (a trail of something that moved on)
    /// cannot linger, while a still picture's small frame-to-frame jitter
    /// stays inside the range and is damped. `None`: unclamped.
    pub clamp: Option<f32>,
    prev: Option<(Tensor<4>, Tensor<4>)>,
}

impl Default for Temporal {
    fn default() -> Self {
        Self {
            history: 0.95,
            reject: 0.4,
            clamp: Some(0.02),
            prev: None,
        }
    }
}

/// Per-channel minimum and maximum of each pixel's 3 × 3 neighbourhood.
fn neighbourhood(x: &Tensor<4>) -> (Tensor<4>, Tensor<4>) {
    let options = MaxPoolOptions::new([3, 3])
        .with_stride([1, 1])
        .with_padding([1, 1]);
    let hi = max_pool2d(x.clone(), options.clone());
    let lo = max_pool2d(x.clone().neg(), options).neg();
    (lo, hi)
}

/// Moves `prev` by `(dx, dy)` pixels (content at x goes to x + dx); pixels
/// with nothing moved onto them come from `fill`. Same shapes, `[n, c, h, w]`.
pub fn reproject(prev: Tensor<4>, fill: Tensor<4>, dx: i32, dy: i32) -> Tensor<4> {
    let [n, c, h, w] = prev.dims();
    let (h, w) = (h as i32, w as i32);
    if dx.abs() >= w || dy.abs() >= h {
        return fill;
    }
    if dx == 0 && dy == 0 {
        return prev;
    }
    let span = |d: i32, len: i32| {
        // (source range, destination range)
        if d >= 0 {
            ((0, len - d), (d, len))
        } else {
            ((-d, len), (0, len + d))
        }
    };
    let ((sx0, sx1), (tx0, tx1)) = span(dx, w);
    let ((sy0, sy1), (ty0, ty1)) = span(dy, h);
    let r = |a: i32, b: i32| a as usize..b as usize;
    let moved = prev.slice([0..n, 0..c, r(sy0, sy1), r(sx0, sx1)]);
    fill.slice_assign([0..n, 0..c, r(ty0, ty1), r(tx0, tx1)], moved)
}

impl Temporal {
    /// Forgets the history (a cut, a new region size, refinement turned on).
    pub fn reset(&mut self) {
        self.prev = None;
    }

    /// Blends this frame's `refined` region with the last one moved by
    /// `(dx, dy)`, and keeps the result as the new history. `cheap` is this
    /// frame's unrefined region.
    pub fn stabilise(
        &mut self,
        refined: Tensor<4>,
        cheap: Tensor<4>,
        dx: i32,
        dy: i32,
    ) -> Tensor<4> {
        self.stabilise_moved(refined, cheap, &Motion::shift(dx as f32, dy as f32))
    }

    /// [`Temporal::stabilise`] with the last region moved as `motion` says (the parallax of
    /// the head's translation too, where it is given).
    pub fn stabilise_moved(
        &mut self,
        refined: Tensor<4>,
        cheap: Tensor<4>,
        motion: &Motion,
    ) -> Tensor<4> {
        let out = match self.prev.take() {
            Some((prev_out, prev_cheap)) if prev_out.dims() == refined.dims() => {
                let weight = self.weight(&cheap, prev_cheap, motion);
                let mut history = warp(prev_out, refined.clone(), motion);
                if let Some(margin) = self.clamp {
                    let (lo, hi) = neighbourhood(&refined);
                    history = history
                        .max_pair(lo.sub_scalar(margin))
                        .min_pair(hi.add_scalar(margin));
                }
                refined.clone() + (history - refined).mul(weight)
            }
            _ => refined,
        };
        self.prev = Some((out.clone(), cheap));
        out
    }

    /// A half-rate frame: no new refinement; the last refined region moved by
    /// `(dx, dy)` where the scene held still, this frame's `cheap` elsewhere.
    /// `None` when there is no history of that size (show the cheap frame).
    pub fn hold(&mut self, cheap: Tensor<4>, dx: i32, dy: i32) -> Option<Tensor<4>> {
        let (prev_out, prev_cheap) = self.prev.take()?;
        if prev_out.dims() != cheap.dims() {
            return None;
        }
        // Full trust in the history where nothing changed, none where it did.
        let keep = self.history;
        self.history = 1.0;
        let motion = Motion::shift(dx as f32, dy as f32);
        let weight = self.weight(&cheap, prev_cheap, &motion);
        self.history = keep;
        let history = warp(prev_out, cheap.clone(), &motion);
        let out = cheap.clone() + (history - cheap.clone()).mul(weight);
        self.prev = Some((out.clone(), cheap));
        Some(out)
    }

    /// Per-pixel history weight `[n, 1, h, w]`: `history` where the cheap
    /// render held still under the reprojection, falling to 0 at `reject`.
    fn weight(&self, cheap: &Tensor<4>, prev_cheap: Tensor<4>, motion: &Motion) -> Tensor<4> {
        // Uncovered pixels get the current cheap frame as "history", so they
        // count as unchanged in the test but carry this frame's refinement.
        let moved = warp(prev_cheap, cheap.clone(), motion);
        let change = (cheap.clone() - moved).abs().mean_dim(1);
        change
            .div_scalar(self.reject.max(1e-6))
            .neg()
            .add_scalar(1.0)
            .clamp(0.0, 1.0)
            .mul_scalar(self.history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu_device;
    use burn::tensor::TensorData;

    fn ramp(h: usize, w: usize) -> Tensor<4> {
        let v: Vec<f32> = (0..h * w).map(|i| (i % w) as f32 / w as f32).collect();
        Tensor::from_data(TensorData::new(v, [1, 1, h, w]), &cpu_device())
    }

    fn vals(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn reprojection_moves_content_and_fills_the_gap() {
        let a = ramp(4, 8);
        let fill = Tensor::<4>::ones([1, 1, 4, 8], &cpu_device()).mul_scalar(9.0);
        let r = vals(reproject(a.clone(), fill.clone(), 2, 0));
        // Row 0: two filled pixels, then the ramp from its start.
        assert_eq!(&r[..4], &[9.0, 9.0, 0.0, 0.125]);
        let r = vals(reproject(a.clone(), fill.clone(), -1, 1));
        assert_eq!(&r[..8], &[9.0; 8], "row 0 uncovered");
        assert_eq!(&r[8..10], &[0.125, 0.25]);
        assert_eq!(r[15], 9.0);
        assert_eq!(vals(reproject(a.clone(), fill.clone(), 8, 0)), vals(fill));
        assert_eq!(vals(reproject(a.clone(), a.clone(), 0, 0)), vals(a));
    }

    #[test]
    fn parallax_moves_near_pixels_further_than_far_ones() {
        let dev = cpu_device();
        let a = ramp(4, 8);
        let fill = Tensor::<4>::ones([1, 1, 4, 8], &dev).mul_scalar(9.0);
        // Without parallax the warp is the plain shift.
        let shift = Motion::shift(2.0, 1.0);
        assert_eq!(
            vals(warp(a.clone(), fill.clone(), &shift)),
            vals(reproject(a.clone(), fill.clone(), 2, 1))
        );
        // The eye moves 1/128 m to its left: one pixel of rightward shift per unit of
        // disparity. The top half of the region is near (2: two pixels), the bottom far (0).
        let mut d = vec![2.0f32; 16];
        d.extend([0.0; 16]);
        let disparity = Tensor::from_data(TensorData::new(d, [1, 1, 4, 8]), &dev);
        let m = Motion::shift(0.0, 0.0).with_parallax(disparity, -1.0 / 128.0, 0.0);
        let r = vals(warp(a.clone(), fill.clone(), &m));
        assert_eq!(
            &r[..4],
            &[9.0, 9.0, 0.0, 0.125],
            "near: moved two, the gap filled"
        );
        assert_eq!(&r[16..20], &[0.0, 0.125, 0.25, 0.375], "far: where it was");
        // Rotation and parallax add up: one more to the right everywhere.
        let m = Motion { dx: 1.0, ..m };
        let r = vals(warp(a.clone(), fill.clone(), &m));
        assert_eq!(&r[..4], &[9.0, 9.0, 9.0, 0.0]);
        assert_eq!(&r[16..19], &[9.0, 0.0, 0.125]);
        // Standing still, or a nonsense move: no parallax.
        let still = Motion::shift(0.0, 0.0).with_parallax(ramp(4, 8), 0.0, 0.0);
        assert!(still.parallax.is_none());
        let nan = Motion::shift(0.0, 0.0).with_parallax(ramp(4, 8), f32::NAN, 0.0);
        assert!(nan.parallax.is_none());
    }

    #[test]
    fn a_still_scene_blends_history_and_a_changed_one_rejects_it() {
        let dev = cpu_device();
        let cheap = Tensor::<4>::ones([1, 3, 8, 8], &dev).mul_scalar(0.5);
        let mut t = Temporal {
            clamp: None,
            ..Temporal::default()
        };
        let first = t.stabilise(cheap.clone().add_scalar(0.1), cheap.clone(), 0, 0);
        assert!((vals(first)[0] - 0.6).abs() < 1e-6, "no history yet");
        // Same cheap frame, a refinement that jittered by 0.1: history damps it.
        let second = vals(t.stabilise(cheap.clone().add_scalar(0.2), cheap.clone(), 0, 0));
        let want = 0.7 + (0.6 - 0.7) * 0.95;
        assert!((second[0] - want).abs() < 1e-6, "{} vs {want}", second[0]);
        // The scene changed under every pixel: the fresh refinement shows.
        let changed = cheap.clone().add_scalar(0.4);
        let third = vals(t.stabilise(changed.clone().add_scalar(0.1), changed, 0, 0));
        assert!((third[0] - 1.0).abs() < 1e-6, "{}", third[0]);
    }

    #[test]
    fn clamped_history_damps_jitter_but_leaves_no_trail() {
        let dev = cpu_device();
        let cheap = Tensor::<4>::ones([1, 3, 8, 8], &dev).mul_scalar(0.5);
        let mut t = Temporal::default();
        let margin = t.clamp.unwrap();
        t.stabilise(cheap.clone().add_scalar(0.2), cheap.clone(), 0, 0);
        // A jitter smaller than the margin: damped as if unclamped.
        let small = 0.7 + margin / 2.0;
        let out = vals(t.stabilise(cheap.clone().add_scalar(small - 0.5), cheap.clone(), 0, 0));
        let want = small + (0.7 - small) * t.history;
        assert!((out[0] - want).abs() < 1e-5, "{} vs {want}", out[0]);
        // The refinement jumps by 0.2 where the cheap frame barely changed (a
        // low-contrast edge moved on): the history is kept within the margin.
        let jumped = vals(t.stabilise(cheap.clone().add_scalar(0.45), cheap.clone(), 0, 0));
        assert!(
            (jumped[0] - 0.95).abs() <= margin + 1e-5,
            "{} stays within {margin} of 0.95",
            jumped[0]
        );
    }

    #[test]
    fn half_rate_frames_hold_the_last_refinement() {
        let dev = cpu_device();
        let cheap = Tensor::<4>::ones([1, 3, 8, 8], &dev).mul_scalar(0.5);
        let mut t = Temporal::default();
        assert!(t.hold(cheap.clone(), 0, 0).is_none(), "nothing to hold yet");
        t.stabilise(cheap.clone().add_scalar(0.2), cheap.clone(), 0, 0);
        let held = vals(t.hold(cheap.clone(), 0, 0).unwrap());
        assert!((held[0] - 0.7).abs() < 1e-6);
        assert_eq!(t.history, Temporal::default().history);
        // Another size: no history.
        let big = Tensor::<4>::ones([1, 3, 16, 16], &dev);
        assert!(t.hold(big, 0, 0).is_none());
    }
}
