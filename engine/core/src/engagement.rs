//! The engagement sample: what the viewer's body says, in the director's units.

use serde::{Deserialize, Serialize};

/// One estimate of the viewer's engagement at time `t`.
///
/// Filled by the biometrics layer (heart rate, eye gaze) or by a simulated
/// viewer; read by the director once per tick. All fields are plain numbers so
/// the struct is `Copy` and costs nothing to pass on the frame thread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngagementSample {
    /// Session time of the estimate, in seconds.
    pub t: f64,
    /// Heart-rate arousal as a z-score against the viewer's own calm baseline
    /// (0 = baseline; +2 = two standard deviations above it).
    pub arousal_z: f32,
    /// Boredom, 0 (absorbed) ..= 1 (checked out).
    pub boredom: f32,
    /// Visual attention on the story, 0 ..= 1 (gaze dwell on characters; 1 when unknown).
    pub attention: f32,
    /// Signal quality, 0 (no strap, no contact, all artifacts) ..= 1 (clean).
    /// Below the director's threshold the sample is treated as neutral.
    pub quality: f32,
}

impl EngagementSample {
    /// A neutral sample at time `t`: baseline arousal, middling boredom, full
    /// attention and zero quality. This is what the director sees with no sensor.
    pub const fn neutral(t: f64) -> Self {
        Self {
            t,
            arousal_z: 0.0,
            boredom: 0.3,
            attention: 1.0,
            quality: 0.0,
        }
    }

    /// The same sample with every field forced into its documented range and
    /// non-finite values replaced by neutral ones, so a faulty source can never
    /// push NaN into the director.
    pub fn sanitized(self) -> Self {
        let n = Self::neutral(self.t);
        let fin = |v: f32, d: f32| if v.is_finite() { v } else { d };
        Self {
            t: if self.t.is_finite() { self.t } else { 0.0 },
            arousal_z: fin(self.arousal_z, n.arousal_z).clamp(-6.0, 6.0),
            boredom: fin(self.boredom, n.boredom).clamp(0.0, 1.0),
            attention: fin(self.attention, n.attention).clamp(0.0, 1.0),
            quality: fin(self.quality, 0.0).clamp(0.0, 1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitized_clamps_and_removes_nan() {
        let s = EngagementSample {
            t: 1.0,
            arousal_z: f32::NAN,
            boredom: 3.0,
            attention: -1.0,
            quality: f32::INFINITY,
        }
        .sanitized();
        assert_eq!(s.arousal_z, 0.0);
        assert_eq!(s.boredom, 1.0);
        assert_eq!(s.attention, 0.0);
        assert_eq!(s.quality, 0.0);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<EngagementSample>(
            r#"{"t":0,"arousal_z":0,"boredom":0,"attention":1,"quality":1,"pulse":3}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("pulse"), "{err}");
    }
}
