//! The continuous colour grade: each palette's target, which the director steers toward and the
//! renderer applies. One type for both, so nothing converts between them.

use crate::Palette;
use serde::{Deserialize, Serialize};

/// A parametric colour grade. The renderer applies it after tone mapping;
/// the director only moves it, rate-limited, toward a target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    /// Exposure offset in EV (stops).
    pub exposure_ev: f32,
    /// White balance shift, -1 (cold blue) ..= 1 (warm amber).
    pub warmth: f32,
    /// Saturation multiplier, 0 (greyscale) ..= 2.
    pub saturation: f32,
    /// Contrast around mid-grey, 0.5 ..= 1.5.
    pub contrast: f32,
}

impl Grade {
    /// This grade with the frame faded toward black by `fade` (0 clear ..= 1 black, down to
    /// −16 EV): the comfort fade around a change of the viewer's vantage. One dip down and
    /// back, so at most one luminance flash per change.
    pub fn faded(self, fade: f32) -> Grade {
        let fade = if fade.is_finite() {
            fade.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let keep = (1.0 - fade).max(1.0 / 65536.0);
        Grade {
            exposure_ev: self.exposure_ev + keep.log2(),
            ..self
        }
    }

    /// The identity grade.
    pub const NEUTRAL: Grade = Grade {
        exposure_ev: 0.0,
        warmth: 0.0,
        saturation: 1.0,
        contrast: 1.0,
    };

    /// The grade a built-in palette asks for (a story's own, [`Palette::Custom`], is looked up
    /// in its definitions: neutral here).
    pub const fn of(palette: Palette) -> Grade {
        let (exposure_ev, warmth, saturation, contrast) = match palette {
            Palette::Neutral => (0.0, 0.0, 1.0, 1.0),
            Palette::Dawn => (0.1, 0.35, 0.95, 0.9),
            Palette::Day => (0.2, 0.05, 1.1, 1.0),
            Palette::Dusk => (-0.2, 0.5, 0.9, 0.85),
            Palette::Night => (-0.8, -0.5, 0.7, 1.05),
            Palette::Noir => (-0.4, -0.1, 0.15, 1.4),
            Palette::Ember => (-0.1, 0.8, 1.3, 1.15),
            Palette::Storm => (-0.5, -0.35, 0.6, 1.2),
            Palette::Ice => (0.1, -0.7, 0.7, 0.95),
            Palette::Verdant => (0.0, 0.1, 1.35, 1.0),
            Palette::Bleach => (0.3, -0.05, 0.4, 1.35),
            // A story's own palette: its grade is the story's (the director holds the table).
            Palette::Custom(_) => (0.0, 0.0, 1.0, 1.0),
        };
        Grade {
            exposure_ev,
            warmth,
            saturation,
            contrast,
        }
    }

    /// Moves every component toward `target` by at most `rate * dt` (and
    /// `ev_rate * dt` for exposure). Returns whether it arrived.
    pub fn approach(&mut self, target: &Grade, rate: f32, ev_rate: f32, dt: f32) -> bool {
        let step = |v: &mut f32, t: f32, max: f32| {
            let d = (t - *v).clamp(-max, max);
            *v += d;
            (t - *v).abs() <= f32::EPSILON
        };
        let a = step(&mut self.exposure_ev, target.exposure_ev, ev_rate * dt);
        let b = step(&mut self.warmth, target.warmth, rate * dt);
        let c = step(&mut self.saturation, target.saturation, rate * dt);
        let d = step(&mut self.contrast, target.contrast, rate * dt);
        a && b && c && d
    }

    /// Relative luminance factor of the grade's exposure (2^EV).
    pub fn luminance_gain(&self) -> f32 {
        self.exposure_ev.exp2()
    }
}

impl Default for Grade {
    /// The identity grade ([`Grade::NEUTRAL`]).
    fn default() -> Self {
        Self::NEUTRAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approach_is_rate_limited() {
        let mut g = Grade::NEUTRAL;
        let target = Grade::of(Palette::Noir);
        let arrived = g.approach(&target, 0.2, 0.5, 0.1);
        assert!(!arrived);
        assert!((g.saturation - 0.98).abs() < 1e-6);
        assert!((g.exposure_ev + 0.05).abs() < 1e-6);
        for _ in 0..200 {
            g.approach(&target, 0.2, 0.5, 0.1);
        }
        assert_eq!(g, target);
    }

    #[test]
    fn warm_palettes_are_warmer_than_cold_ones() {
        assert!(Grade::of(Palette::Ember).warmth > Grade::of(Palette::Neutral).warmth);
        assert!(Grade::of(Palette::Ice).warmth < Grade::of(Palette::Neutral).warmth);
    }
}
