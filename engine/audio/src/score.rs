//! The adaptive score: how loud each stem is and how open the music bus's
//! filter is, from the director's intensity and the viewer's engagement.
//!
//! A pure function ([`score_mix`]) decides; [`crate::AudioContext`] sends
//! the result to kira as tweens, so levels glide and never jump.

use showrunner_core::EngagementSample;

/// The stems, in the order [`MixTarget::stem_db`] uses.
pub const STEMS: [&str; 4] = ["pad", "pulse", "percussion", "tension"];

/// Where the score should be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixTarget {
    /// Each stem's volume, dB (−60 is silent).
    pub stem_db: [f32; 4],
    /// The music bus's low-pass cutoff, Hz: darker when calm.
    pub cutoff_hz: f64,
    /// The music bus's volume, dB: backs off while arousal is over the ceiling.
    pub bus_db: f32,
    /// How hard the score drives, 0..=1 (intensity nudged by boredom).
    pub drive: f32,
}

/// Engagement with a signal quality below this is ignored (the director's
/// own intensity already accounts for it).
pub const MIN_QUALITY: f32 = 0.3;

/// The music bus's level under the effects and stingers, dB.
pub const MUSIC_DB: f32 = -6.0;

/// Arousal (z) above which the music backs off.
pub const AROUSAL_CEILING_Z: f32 = 1.5;

fn smoothstep(lo: f32, hi: f32, x: f32) -> f32 {
    let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Linear gain to dB, floored at kira's silence (−60 dB).
pub fn gain_db(g: f32) -> f32 {
    if g <= 0.001 {
        -60.0
    } else {
        (20.0 * g.log10()).max(-60.0)
    }
}

/// The score's target for the director's `intensity` (0..=1) and the viewer's
/// engagement.
///
/// - The pad is always there, a little quieter as the drive rises.
/// - The pulse comes in from drive 0.15, percussion from 0.4, tension from 0.65.
/// - A bored viewer tightens the score a little (+0.2 drive at full boredom).
/// - Arousal over [`AROUSAL_CEILING_Z`] takes the tension stem out and the bus
///   down (up to −9 dB below [`MUSIC_DB`]): the score never pushes an overwhelmed viewer further.
/// - The bus filter opens from 700 Hz (calm, muffled) to ~17 kHz (full drive).
pub fn score_mix(intensity: f32, e: &EngagementSample) -> MixTarget {
    // A poor signal (no strap, no contact) says nothing about the viewer.
    let trusted = e.quality >= MIN_QUALITY;
    let boredom = if trusted && e.boredom.is_finite() {
        e.boredom
    } else {
        0.0
    };
    let arousal = if trusted && e.arousal_z.is_finite() {
        e.arousal_z
    } else {
        0.0
    };
    let intensity = if intensity.is_finite() {
        intensity
    } else {
        0.3
    };
    let drive = (intensity + 0.2 * (boredom - 0.3).max(0.0) / 0.7).clamp(0.0, 1.0);
    let over = smoothstep(AROUSAL_CEILING_Z, AROUSAL_CEILING_Z + 1.0, arousal);
    let gains = [
        1.0 - 0.4 * drive,
        smoothstep(0.15, 0.45, drive),
        smoothstep(0.4, 0.7, drive),
        smoothstep(0.65, 0.9, drive) * (1.0 - over),
    ];
    MixTarget {
        stem_db: gains.map(gain_db),
        cutoff_hz: 700.0 * 24f64.powf(f64::from(drive)),
        bus_db: MUSIC_DB - 9.0 * over,
        drive,
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // stems are indexed by number, as in `STEMS`
mod tests {
    use super::*;

    fn e(boredom: f32, arousal_z: f32) -> EngagementSample {
        EngagementSample {
            boredom,
            arousal_z,
            quality: 1.0,
            ..EngagementSample::neutral(0.0)
        }
    }

    #[test]
    fn calm_is_thin_and_dark_stakes_are_full_and_open() {
        let calm = score_mix(0.1, &e(0.0, 0.0));
        let high = score_mix(0.95, &e(0.0, 0.0));
        assert!(calm.stem_db[0] > -3.0, "the pad carries calm: {calm:?}");
        for s in 1..4 {
            assert_eq!(calm.stem_db[s], -60.0, "{} silent when calm", STEMS[s]);
            assert!(high.stem_db[s] > -1.0, "{} full at high stakes", STEMS[s]);
        }
        assert!(calm.cutoff_hz < 1500.0 && high.cutoff_hz > 12_000.0);
    }

    #[test]
    fn layers_enter_in_order_as_intensity_rises() {
        let mut last = [-60.0f32; 4];
        for k in 0..=20 {
            let m = score_mix(k as f32 / 20.0, &e(0.0, 0.0));
            for s in 1..4 {
                assert!(m.stem_db[s] >= last[s], "monotone");
            }
            last = m.stem_db;
        }
        let mid = score_mix(0.5, &e(0.0, 0.0));
        assert!(mid.stem_db[1] > mid.stem_db[2] && mid.stem_db[2] > mid.stem_db[3]);
    }

    #[test]
    fn boredom_tightens_and_overwhelm_backs_off() {
        let base = score_mix(0.5, &e(0.0, 0.0));
        let bored = score_mix(0.5, &e(1.0, 0.0));
        assert!(bored.drive > base.drive + 0.15);
        let tense = score_mix(0.9, &e(0.0, 0.0));
        let over = score_mix(0.9, &e(0.0, 3.0));
        assert!(tense.stem_db[3] > -3.0);
        assert_eq!(over.stem_db[3], -60.0);
        assert!(over.bus_db <= MUSIC_DB - 8.9);
        let untrusted = EngagementSample {
            quality: 0.1,
            ..e(1.0, 3.0)
        };
        assert_eq!(score_mix(0.5, &untrusted), base);
        let nan = score_mix(f32::NAN, &e(f32::NAN, f32::INFINITY));
        assert!(nan.stem_db.iter().all(|d| d.is_finite()) && nan.cutoff_hz.is_finite());
    }
}
