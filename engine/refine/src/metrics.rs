//! Image quality metrics, computed the way scikit-image computes them so
//! anyone can check the numbers from the PNGs `showrunner refiner eval --dump`
//! writes:
//!
//! - [`psnr`]: `skimage.metrics.peak_signal_noise_ratio(ref, img)` on 8-bit
//!   images (data range 255), over all channels.
//! - [`ssim`]: `skimage.metrics.structural_similarity(ref, img,
//!   channel_axis=-1)` with its defaults: a 7 × 7 uniform window, sample
//!   covariance, K1 = 0.01, K2 = 0.03, data range 255, the mean over the
//!   image less a 3-pixel border, averaged over the channels.
//!
//! Both take tightly packed 8-bit RGB (`w * h * 3` bytes).

/// Peak signal-to-noise ratio in dB of `img` against `reference` (8-bit RGB).
/// Identical images give `f64::INFINITY`.
pub fn psnr(reference: &[u8], img: &[u8]) -> f64 {
    assert_eq!(reference.len(), img.len(), "images of different sizes");
    let mse = reference
        .iter()
        .zip(img)
        .map(|(&a, &b)| {
            let d = f64::from(a) - f64::from(b);
            d * d
        })
        .sum::<f64>()
        / reference.len().max(1) as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

/// Mean structural similarity of `img` against `reference`, both `w` × `h`
/// 8-bit RGB. Images smaller than 7 × 7 give `None`.
pub fn ssim(reference: &[u8], img: &[u8], w: usize, h: usize) -> Option<f64> {
    assert_eq!(reference.len(), w * h * 3, "reference is not {w}×{h} RGB");
    assert_eq!(img.len(), w * h * 3, "image is not {w}×{h} RGB");
    const WIN: usize = 7;
    if w < WIN || h < WIN {
        return None;
    }
    let np = (WIN * WIN) as f64;
    let cov_norm = np / (np - 1.0);
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let pad = (WIN - 1) / 2;
    let mut total = 0.0;
    for ch in 0..3 {
        let x: Vec<f64> = (0..w * h)
            .map(|i| f64::from(reference[i * 3 + ch]))
            .collect();
        let y: Vec<f64> = (0..w * h).map(|i| f64::from(img[i * 3 + ch])).collect();
        // Summed-area tables of x, y, x², y², xy: every window mean in O(1).
        let sat = |f: &dyn Fn(usize) -> f64| {
            let mut s = vec![0.0f64; (w + 1) * (h + 1)];
            for r in 0..h {
                let mut row = 0.0;
                for c in 0..w {
                    row += f(r * w + c);
                    s[(r + 1) * (w + 1) + c + 1] = s[r * (w + 1) + c + 1] + row;
                }
            }
            s
        };
        let sx = sat(&|i| x[i]);
        let sy = sat(&|i| y[i]);
        let sxx = sat(&|i| x[i] * x[i]);
        let syy = sat(&|i| y[i] * y[i]);
        let sxy = sat(&|i| x[i] * y[i]);
        let mean = |s: &[f64], r: usize, c: usize| {
            let (r0, c0, r1, c1) = (r - pad, c - pad, r + pad + 1, c + pad + 1);
            (s[r1 * (w + 1) + c1] - s[r0 * (w + 1) + c1] - s[r1 * (w + 1) + c0]
                + s[r0 * (w + 1) + c0])
                / np
        };
        let mut sum = 0.0;
        let mut n = 0usize;
        for r in pad..h - pad {
            for c in pad..w - pad {
                let (ux, uy) = (mean(&sx, r, c), mean(&sy, r, c));
                let vx = cov_norm * (mean(&sxx, r, c) - ux * ux);
                let vy = cov_norm * (mean(&syy, r, c) - uy * uy);
                let vxy = cov_norm * (mean(&sxy, r, c) - ux * uy);
                sum += ((2.0 * ux * uy + c1) * (2.0 * vxy + c2))
                    / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
                n += 1;
            }
        }
        total += sum / n as f64;
    }
    Some(total / 3.0)
}

/// Mean absolute change per channel value (0..255) between two consecutive
/// frames: the flicker measure (on a still shot, the refined frames may not
/// change more than 10 % above the unrefined ones).
pub fn mean_abs_change(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "frames of different sizes");
    a.iter()
        .zip(b)
        .map(|(&p, &q)| (f64::from(p) - f64::from(q)).abs())
        .sum::<f64>()
        / a.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic 16 × 12 RGB test card.
    fn card(seed: u32) -> Vec<u8> {
        (0..16 * 12 * 3)
            .map(|i: u32| ((i.wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503)) >> 7) as u8)
            .collect()
    }

    #[test]
    fn identical_images_are_perfect() {
        let a = card(1);
        assert_eq!(psnr(&a, &a), f64::INFINITY);
        assert!((ssim(&a, &a, 16, 12).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(mean_abs_change(&a, &a), 0.0);
    }

    #[test]
    fn psnr_of_a_known_error() {
        let a = vec![100u8; 300];
        let mut b = a.clone();
        for v in b.iter_mut().step_by(2) {
            *v = 110;
        }
        // MSE = 50 → 10 log10(255² / 50).
        let want = 10.0 * (65025.0f64 / 50.0).log10();
        assert!((psnr(&a, &b) - want).abs() < 1e-9);
    }

    /// Golden values from scikit-image 0.26 on these exact cards
    /// (`tests/refine/check_metrics.py --cards` prints them).
    #[test]
    fn matches_scikit_image_on_the_test_cards() {
        let (a, b) = (card(1), card(2));
        let p = psnr(&a, &b);
        let s = ssim(&a, &b, 16, 12).unwrap();
        eprintln!("psnr {p:.6} ssim {s:.6}");
        assert!(p.is_finite() && s < 1.0);
        let golden = include_str!("../tests/metrics-golden.txt");
        let mut it = golden.split_whitespace().map(|v| v.parse::<f64>().unwrap());
        let (gp, gs) = (it.next().unwrap(), it.next().unwrap());
        assert!((p - gp).abs() < 1e-6, "psnr {p} vs scikit-image {gp}");
        assert!((s - gs).abs() < 1e-6, "ssim {s} vs scikit-image {gs}");
    }

    #[test]
    fn tiny_images_have_no_ssim() {
        assert_eq!(ssim(&[0; 27], &[0; 27], 3, 3), None);
    }
}
