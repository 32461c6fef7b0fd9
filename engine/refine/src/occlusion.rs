//! Screen-space ambient occlusion from depth: what the reference renders
//! carry and the real-time path lacks. The refiner is given it as the
//! second channel of its guide ([`crate::GUIDE_CHANNELS`]): the network
//! cannot learn the geometry test from disparity alone in a training run this
//! machine affords (BENCHMARKS.md, "Refiner with an occlusion guide"), so the
//! GPU computes it from the cheap depth, as a game's SSAO pass would, and the
//! network learns how the look uses it.

use crate::GUIDE_PIXELS;

/// Separable box blur (radius `r`) of a `w` × `h` field, edges clamped.
pub fn box_blur(v: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
        let mut out = vec![0.0; src.len()];
        let (len, lines) = if horizontal { (w, h) } else { (h, w) };
        let at = |line: usize, i: usize| {
            if horizontal {
                line * w + i
            } else {
                i * w + line
            }
        };
        for line in 0..lines {
            let mut sum = 0.0f64;
            let clampi = |i: isize| i.clamp(0, len as isize - 1) as usize;
            for i in -(r as isize)..=(r as isize) {
                sum += f64::from(src[at(line, clampi(i))]);
            }
            for i in 0..len {
                out[at(line, i)] = (sum / (2 * r + 1) as f64) as f32;
                sum += f64::from(src[at(line, clampi(i as isize + r as isize + 1))]);
                sum -= f64::from(src[at(line, clampi(i as isize - r as isize))]);
            }
        }
        out
    };
    pass(&pass(v, true), false)
}

/// How far round a pixel ambient occlusion looks, metres in the world.
pub const AO_RADIUS: f32 = 0.4;
/// Neighbours further than this in depth (metres) do not occlude: a figure
/// standing well in front of a wall casts no dark halo on it.
pub const AO_RANGE: f32 = 0.6;
/// How dark a fully enclosed crease gets.
pub const AO_STRENGTH: f32 = 0.7;

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Ambient occlusion from a reversed-Z depth buffer (`d = near / z`, which
/// is affine in screen space across any plane). Pairs of neighbours at
/// opposite offsets (8 directions, 2 distances, [`AO_RADIUS`] in the world
/// projected with `focal_px`) predict where the surface would be if it were
/// flat; a pixel lying behind that prediction sits in a crease — a corner, the
/// floor at a foot — and is occluded by as much as it lies behind (up to
/// 15 cm). Flat and convex surfaces are untouched whatever their slant, and a
/// pair that straddles a depth gap wider than [`AO_RANGE`] (a silhouette) is
/// ignored. The pattern turns from pixel to pixel (interleaved gradient
/// noise) and a 5 × 5 blur takes the noise out, as real-time SSAO does, so
/// the few directions leave no streaks. Returns a factor per pixel,
/// `1 − AO_STRENGTH` .. 1. The reference renders' occlusion (on their
/// supersampled depth) and the occlusion half of the refiner's guide (on the
/// cheap depth, [`guide_occlusion`]; the same code in WGSL, `to_occlusion`
/// in `shaders/refine_io.wgsl`).
pub fn occlusion(depth: &[f32], w: usize, h: usize, focal_px: f32, near: f32) -> Vec<f32> {
    const PAIRS: usize = 16;
    let max_r = (w.max(h) / 16).max(2) as f32;
    let sector = std::f32::consts::PI / 8.0;
    let at = |x: isize, y: isize| -> Option<f32> {
        if x < 0 || y < 0 || x >= w as isize || y >= h as isize {
            return None;
        }
        let d = depth[y as usize * w + x as usize];
        (d > 1e-6).then_some(d)
    };
    let mut out = vec![1.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let d = depth[y * w + x];
            if d <= 1e-6 {
                continue; // sky: nothing behind it to occlude
            }
            let z = near / d;
            let r = (AO_RADIUS * focal_px / z).clamp(2.0, max_r);
            // Interleaved gradient noise (Jimenez 2014): a turn per pixel.
            let ign =
                (52.982_918 * (0.067_110_56 * x as f32 + 0.005_837_15 * y as f32).fract()).fract();
            let mut occ = 0.0;
            for k in 0..8 {
                let (s, c) = ((k as f32 + ign) * sector).sin_cos();
                for scale in [0.5 + 0.25 * ign, 1.0] {
                    let (ox, oy) = ((c * r * scale).round(), (s * r * scale).round());
                    let (ox, oy) = (ox as isize, oy as isize);
                    let (px, py) = (x as isize, y as isize);
                    let (Some(a), Some(b)) = (at(px + ox, py + oy), at(px - ox, py - oy)) else {
                        continue;
                    };
                    let (za, zb) = (near / a, near / b);
                    if (za - z).abs() > AO_RANGE || (zb - z).abs() > AO_RANGE {
                        continue;
                    }
                    let behind = z - near / (0.5 * (a + b));
                    occ += smoothstep(0.01, 0.15, behind);
                }
            }
            out[y * w + x] = 1.0 - AO_STRENGTH * occ / PAIRS as f32;
        }
    }
    box_blur(&out, w, h, 2)
}

/// [`occlusion`] of a depth guide ([`crate::disparity`], which is
/// `focal_px / (GUIDE_PIXELS × distance)`: reversed-Z depth with a near
/// plane of `focal_px / GUIDE_PIXELS`) of an eye whose focal length is
/// `focal_px` pixels.
pub fn guide_occlusion(guide: &[f32], w: usize, h: usize, focal_px: f32) -> Vec<f32> {
    occlusion(guide, w, h, focal_px, focal_px / GUIDE_PIXELS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEAR: f32 = 0.05;

    /// Reversed-Z depth of a view straight at a wall `wall_z` metres away,
    /// with a floor plane meeting it at row `h / 2` (its inverse depth affine
    /// in screen space, as a real plane's is).
    fn room(w: usize, h: usize, wall_z: f32) -> Vec<f32> {
        let mut depth = vec![0.0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                let inv = if y < h / 2 {
                    1.0 / wall_z
                } else {
                    1.0 / wall_z + (y - h / 2) as f32 * 0.02
                };
                depth[y * w + x] = NEAR * inv;
            }
        }
        depth
    }

    #[test]
    fn ambient_occlusion_darkens_a_corner_not_an_open_wall_or_a_slanted_floor() {
        let (w, h, focal) = (64, 64, 60.0);
        let ao = occlusion(&room(w, h, 2.0), w, h, focal, NEAR);
        let corner = ao[(h / 2) * w + w / 2];
        let wall = ao[4 * w + w / 2];
        let floor = ao[(h - 6) * w + w / 2];
        assert!((wall - 1.0).abs() < 1e-4, "open wall {wall}");
        assert!(
            (floor - 1.0).abs() < 1e-3,
            "a slanted plane is not a crease: {floor}"
        );
        assert!(corner < 0.85, "corner {corner}");
        assert!(ao
            .iter()
            .all(|&a| (1.0 - AO_STRENGTH - 1e-4..=1.0).contains(&a)));
    }

    #[test]
    fn a_figure_well_in_front_of_a_wall_casts_no_halo_one_near_it_does() {
        let (w, h, focal) = (64, 64, 60.0);
        for (gap, halo) in [(2.0, false), (0.15, true)] {
            let mut depth = room(w, h, 3.0);
            // A figure 10 px wide in the middle of the wall, `gap` m in front of it.
            for y in 8..h / 2 {
                for x in 27..37 {
                    depth[y * w + x] = NEAR / (3.0 - gap);
                }
            }
            let ao = occlusion(&depth, w, h, focal, NEAR);
            let beside = ao[20 * w + 25];
            let open = ao[20 * w + 5];
            assert!((open - 1.0).abs() < 1e-4, "{open}");
            if halo {
                assert!(
                    beside < 0.97,
                    "contact shadow beside a near figure: {beside}"
                );
            } else {
                assert!(
                    (beside - 1.0).abs() < 1e-4,
                    "no halo on the far wall: {beside}"
                );
            }
        }
    }

    #[test]
    fn the_guide_occlusion_is_the_depth_occlusion_at_the_same_geometry() {
        let (w, h, focal) = (48, 40, 55.0);
        let depth = room(w, h, 2.5);
        let scale = crate::disparity_scale(2.0 * focal / h as f32, NEAR, h as u32);
        let guide: Vec<f32> = depth.iter().map(|&d| crate::disparity(d, scale)).collect();
        let a = occlusion(&depth, w, h, focal, NEAR);
        let b = guide_occlusion(&guide, w, h, focal);
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-3, "{worst}");
        assert!(a.iter().any(|&v| v < 0.9), "the room has a crease");
    }
}
