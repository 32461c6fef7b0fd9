//! Photosensitivity: does the film flash? The general-flash rule of ITU-R BT.1702 (and the
//! Harding test): a flash is a pair of opposing changes in relative luminance, each at least
//! 0.1 (10 % of the maximum), with the darker state below 0.8; more than three flashes within
//! any one second is a violation.
//!
//! The luminance is the renderer's, frame by frame at the display rate: the show's grade of
//! each frame applied, as `shaders/scene.wgsl` applies it (exposure, ACES tone map, warmth,
//! saturation, contrast), to grey patches from shadow to highlight, lit by the storm's
//! lightning where it strikes ([`struck`]). One still per beat could not show a flash; this
//! sees every frame's grade and every strike.

use showrunner_core::Grade;
use showrunner_scene::atmosphere::LIGHTNING_LIGHT;

/// Relative luminance change that counts as a transition (10 % of the maximum).
pub const FLASH_DELTA: f32 = 0.1;
/// The darker state of a flash is below this.
pub const FLASH_DARK_BELOW: f32 = 0.8;
/// Flashes allowed within any one second.
pub const MAX_FLASHES_PER_S: usize = 3;
/// The grey radiances the grade is applied to: shadow, mid-grey, light, highlight.
pub const PATCHES: [f32; 4] = [0.05, 0.18, 0.5, 1.0];

fn aces(x: f32) -> f32 {
    ((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14)).clamp(0.0, 1.0)
}

/// The displayed relative luminance (0 ..= 1) of grey `radiance` under `grade`, as the
/// renderer's shader computes it (scene exposure left out: it is the room's, not the film's).
pub fn luminance(grade: &Grade, radiance: f32) -> f32 {
    let a = aces(radiance * grade.exposure_ev.exp2());
    let w = grade.warmth;
    // The warmth tint's effect on luminance (Rec. 709 weights); saturation keeps luminance.
    let luma = a * (1.0 + 0.12 * w * 0.2126 + 0.02 * w * 0.7152 - 0.12 * w * 0.0722);
    ((luma - 0.5) * grade.contrast + 0.5).clamp(0.0, 1.0)
}

/// Grey `radiance` (an albedo under the room's light) as a lightning strike of `flash`
/// (0 ..= 1, [`showrunner_scene::atmosphere::Atmosphere::flash`]) lights it: the shader adds
/// up to [`LIGHTNING_LIGHT`] times the albedo, on what faces the sky.
pub fn struck(radiance: f32, flash: f32) -> f32 {
    radiance * (1.0 + LIGHTNING_LIGHT * flash.clamp(0.0, 1.0))
}

/// Counts flashes in a luminance series sampled at `rate` Hz: the most found in any one-second
/// window, and how many windows (starting at each frame) hold more than
/// [`MAX_FLASHES_PER_S`].
pub fn flashes(series: &[f32], rate: f32) -> (usize, usize) {
    // The turning points: each run of change in one direction ends at an extremum.
    let Some(&first) = series.first() else {
        return (0, 0);
    };
    let mut turns: Vec<(usize, f32)> = vec![(0, first)];
    let (mut peak, mut dir) = ((0usize, first), 0i8);
    for (i, &l) in series.iter().enumerate().skip(1) {
        let d: i8 = if l > peak.1 {
            1
        } else if l < peak.1 {
            -1
        } else {
            continue;
        };
        if dir != 0 && d != dir {
            turns.push(peak);
        }
        peak = (i, l);
        dir = d;
    }
    turns.push(peak);
    // A transition between consecutive extrema counts when large enough.
    let transitions: Vec<(usize, f32, f32)> = turns
        .windows(2)
        .filter(|w| (w[1].1 - w[0].1).abs() >= FLASH_DELTA)
        .map(|w| (w[1].0, w[0].1, w[1].1))
        .collect();
    // A flash: two consecutive opposing transitions (each transition in one flash only), the
    // darker state below FLASH_DARK_BELOW.
    let mut flash_frames = Vec::new();
    let mut k = 0;
    while k + 1 < transitions.len() {
        let (a, b) = (transitions[k], transitions[k + 1]);
        let opposing = (a.2 - a.1).signum() != (b.2 - b.1).signum();
        let darker = a.1.min(a.2).min(b.2);
        if opposing && darker < FLASH_DARK_BELOW {
            flash_frames.push(b.0);
            k += 2;
        } else {
            k += 1;
        }
    }
    let window = rate.max(1.0) as usize;
    let (mut worst, mut violations) = (0, 0);
    for (k, &start) in flash_frames.iter().enumerate() {
        let n = flash_frames[k..]
            .iter()
            .take_while(|&&f| f < start + window)
            .count();
        worst = worst.max(n);
        if n > MAX_FLASHES_PER_S {
            violations += 1;
        }
    }
    (worst, violations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grade_moves_luminance_as_the_shader_does() {
        let n = Grade::NEUTRAL;
        let bright = Grade {
            exposure_ev: 1.0,
            ..n
        };
        assert!(luminance(&bright, 0.18) > luminance(&n, 0.18));
        assert!(luminance(&n, 1.0) > luminance(&n, 0.05));
        assert!((0.0..=1.0).contains(&luminance(&bright, 10.0)));
    }

    #[test]
    fn a_storm_s_lightning_flashes_within_the_limit() {
        use showrunner_scene::atmosphere::lightning_at;
        let rate = 90.0;
        let n = Grade::NEUTRAL;
        let mut seen = 0;
        for patch in PATCHES {
            let series: Vec<f32> = (0..(rate as usize * 120))
                .map(|i| luminance(&n, struck(patch, lightning_at(i as f32 / rate, 1.0))))
                .collect();
            let (worst, violations) = flashes(&series, rate);
            assert_eq!(violations, 0, "patch {patch}: {worst} flashes in a second");
            assert!(worst <= 2, "patch {patch}: {worst}");
            seen = seen.max(worst);
        }
        assert!(seen >= 1, "the lightning is bright enough to see");
    }

    #[test]
    fn a_four_hertz_flash_is_caught_and_a_slow_fade_is_not() {
        let rate = 90.0;
        // 4 Hz square wave between dark and bright for two seconds.
        let flash: Vec<f32> = (0..180)
            .map(|i| if (i * 8 / 90) % 2 == 0 { 0.1 } else { 0.7 })
            .collect();
        let (worst, violations) = flashes(&flash, rate);
        assert!(worst >= 4 && violations > 0, "{worst} {violations}");
        // 2 Hz: at most 3 flashes a second, allowed.
        let slow: Vec<f32> = (0..180)
            .map(|i| if (i * 4 / 90) % 2 == 0 { 0.1 } else { 0.7 })
            .collect();
        assert_eq!(flashes(&slow, rate).1, 0, "{:?}", flashes(&slow, rate));
        // A slow swell, once a second: allowed.
        let fade: Vec<f32> = (0..180)
            .map(|i| 0.2 + 0.5 * (std::f32::consts::PI * i as f32 / 90.0).sin().abs())
            .collect();
        assert_eq!(flashes(&fade, rate).1, 0, "{:?}", flashes(&fade, rate));
        // Small flicker below 10 %: nothing.
        let flicker: Vec<f32> = (0..180).map(|i| 0.5 + 0.04 * (i % 2) as f32).collect();
        assert_eq!(flashes(&flicker, rate), (0, 0));
    }
}
