//! The director's policy: every threshold and rate it uses, with defaults.

use serde::{Deserialize, Serialize};

/// The director's whole policy, read from JSON (`--director FILE`) with every
/// field optional; unknown keys are rejected so a typo never
/// silently falls back to a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectorConfig {
    /// Samples with `quality` below this are treated as neutral engagement.
    pub min_quality: f32,
    /// Expected screen time of the story in seconds; the target curve's x axis is `t / expected_runtime_s`.
    pub expected_runtime_s: f64,
    /// Beat-duration scale.
    pub pacing: PacingConfig,
    /// Colour grade rate limits.
    pub grade: GradeConfig,
    /// When the viewer counts as bored, and the high-stakes divert it triggers.
    pub boredom: BoredomConfig,
    /// What gaze attention (where eye tracking reports it) adds to boredom.
    pub attention: AttentionConfig,
    /// The arousal ceiling and the de-escalation it triggers.
    pub ceiling: CeilingConfig,
    /// How the director picks a choice the viewer did not make.
    pub choice: ChoiceConfig,
    /// Sparing characters when the viewer is distressed.
    pub mercy: MercyConfig,
    /// How strongly the on-device refiner reworks the frame, per palette.
    pub refine: RefineConfig,
}

/// The refiner's strength (the noise level SDEdit starts from, 0 = off,
/// 0.3 = the most it was trained for) as the director sets it. An author's
/// palette (`palette:` tag, e.g. one per act) picks it; it glides at
/// `rate_per_s` so the look never pops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RefineConfig {
    /// Strength for palettes not listed in `palettes`.
    pub strength: f32,
    /// Strength per palette (`{"noir": 0.45, "bleach": 0}`).
    pub palettes: std::collections::HashMap<showrunner_core::Palette, f32>,
    /// Largest change of the strength per second.
    pub rate_per_s: f32,
}

impl Default for RefineConfig {
    fn default() -> Self {
        use showrunner_core::Palette;
        Self {
            strength: 0.1,
            palettes: [
                (Palette::Noir, 0.2),
                (Palette::Night, 0.15),
                (Palette::Bleach, 0.05),
            ]
            .into_iter()
            .collect(),
            rate_per_s: 0.05,
        }
    }
}

impl RefineConfig {
    /// The strength target for `palette`, within 0..=0.3.
    pub fn strength_for(&self, palette: showrunner_core::Palette) -> f32 {
        self.palettes
            .get(&palette)
            .copied()
            .unwrap_or(self.strength)
            .clamp(0.0, 0.3)
    }
}

/// Beat-duration scale: below 1 beats are shorter (faster), above 1 longer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PacingConfig {
    /// Fastest pacing (shortest beats), ≥ 0.75.
    pub min: f32,
    /// Slowest pacing, ≤ 1.5.
    pub max: f32,
    /// Largest change of the scale per second.
    pub rate_per_s: f32,
}

/// Colour grade rate limits (the anti-flash guarantee lives here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GradeConfig {
    /// Largest change per second of warmth, saturation and contrast.
    pub rate_per_s: f32,
    /// Largest exposure change per second, in EV. 0.5 EV/s keeps any change in
    /// a sixth of a second under 6% of luminance: no flash is possible.
    pub exposure_ev_per_s: f32,
    /// How much saturation and contrast rise when the viewer is bored (0..1).
    pub bored_punch: f32,
    /// How much saturation and contrast fall while de-escalating (0..1).
    pub calm_soften: f32,
}

/// Boredom and the high-stakes divert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoredomConfig {
    /// Boredom at or above this makes the viewer bored.
    pub threshold: f32,
    /// Boredom must fall below this to stop being bored (hysteresis).
    pub release: f32,
    /// Seconds of continuous boredom before a high-stakes divert.
    pub divert_after_s: f64,
    /// Seconds after a divert before the next one.
    pub cooldown_s: f64,
    /// How much the intensity target rises at full boredom.
    pub intensity_push: f32,
}

/// Gaze attention: the share of the last seconds the eyes rested on the action (the speaking
/// character, staged props), 1 where no eye tracking reports. The rule: **looking away is
/// boredom evidence** — attention below `away_below`, held for `away_after_s`, counts the viewer
/// as bored (boredom taken as at least the boredom threshold) and brings the high-stakes
/// interlude after `divert_after_s × away_divert_scale` instead of `divert_after_s`. A viewer
/// who watches (attention at or above `away_below`) is judged by the heart alone: the pace
/// holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttentionConfig {
    /// Attention below this is looking away.
    pub away_below: f32,
    /// Seconds of looking away before it counts.
    pub away_after_s: f64,
    /// The divert's wait, scaled, while the viewer looks away (0 < scale <= 1).
    pub away_divert_scale: f64,
}

impl Default for AttentionConfig {
    fn default() -> Self {
        Self {
            away_below: 0.35,
            away_after_s: 6.0,
            away_divert_scale: 0.5,
        }
    }
}

/// The arousal ceiling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CeilingConfig {
    /// Arousal z-score of the ceiling.
    pub arousal_z: f32,
    /// Seconds above the ceiling before de-escalating.
    pub hold_s: f64,
    /// De-escalation ends once arousal stays below this z-score ...
    pub release_z: f32,
    /// ... for this many seconds.
    pub release_hold_s: f64,
    /// Intensity cap while de-escalating.
    pub intensity_cap: f32,
}

/// Choosing for the viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChoiceConfig {
    /// Seconds a choice waits for the viewer before the director chooses.
    pub timeout_s: f64,
    /// The engagement target curve: `[progress 0..1, target intensity 0..1]`
    /// points, progress strictly increasing, linearly interpolated.
    pub target_curve: Vec<[f32; 2]>,
    /// Intensity assumed for a `stakes: high` choice without an `intensity:` tag.
    pub high_stakes_intensity: f32,
    /// Intensity assumed for a `stakes: low` choice without an `intensity:` tag.
    pub low_stakes_intensity: f32,
    /// Intensity assumed for an untagged choice.
    pub untagged_intensity: f32,
}

/// Sparing characters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MercyConfig {
    /// Arousal z-score at or above which the viewer counts as distressed
    /// (de-escalation also counts).
    pub arousal_z: f32,
    /// Characters the director spares when the viewer is distressed: it never
    /// picks a choice tagged `fate: NAME=dead` for them then. `*` means everyone.
    pub spare: Vec<String>,
}

impl Default for DirectorConfig {
    fn default() -> Self {
        Self {
            min_quality: 0.4,
            expected_runtime_s: 1080.0,
            pacing: PacingConfig::default(),
            grade: GradeConfig::default(),
            boredom: BoredomConfig::default(),
            attention: AttentionConfig::default(),
            ceiling: CeilingConfig::default(),
            choice: ChoiceConfig::default(),
            mercy: MercyConfig::default(),
            refine: RefineConfig::default(),
        }
    }
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self {
            min: 0.75,
            max: 1.5,
            rate_per_s: 0.05,
        }
    }
}

impl Default for GradeConfig {
    fn default() -> Self {
        Self {
            rate_per_s: 0.2,
            exposure_ev_per_s: 0.5,
            bored_punch: 0.25,
            calm_soften: 0.3,
        }
    }
}

impl Default for BoredomConfig {
    fn default() -> Self {
        Self {
            threshold: 0.6,
            release: 0.45,
            divert_after_s: 20.0,
            cooldown_s: 120.0,
            intensity_push: 0.25,
        }
    }
}

impl Default for CeilingConfig {
    fn default() -> Self {
        Self {
            arousal_z: 2.0,
            hold_s: 6.0,
            release_z: 1.5,
            release_hold_s: 12.0,
            intensity_cap: 0.45,
        }
    }
}

impl Default for ChoiceConfig {
    fn default() -> Self {
        Self {
            timeout_s: 8.0,
            target_curve: vec![
                [0.0, 0.3],
                [0.3, 0.5],
                [0.7, 0.75],
                [0.88, 0.95],
                [1.0, 0.4],
            ],
            high_stakes_intensity: 0.85,
            low_stakes_intensity: 0.3,
            untagged_intensity: 0.5,
        }
    }
}

impl Default for MercyConfig {
    fn default() -> Self {
        Self {
            arousal_z: 1.5,
            spare: vec!["*".to_owned()],
        }
    }
}

/// A policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The JSON is malformed or has unknown keys.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde's message, which names the unknown key and the expected ones.
        message: String,
    },
    /// A value is out of range.
    #[error("{path}: `{field}`: {message}")]
    Invalid {
        /// The file (or `<defaults>`).
        path: String,
        /// The offending field.
        field: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
}

impl DirectorConfig {
    /// Parses and validates a policy from JSON text; `name` is used in errors.
    pub fn from_json(text: &str, name: &str) -> Result<Self, ConfigError> {
        let cfg: Self = serde_json::from_str(text).map_err(|e| ConfigError::Parse {
            path: name.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        cfg.validate(name)?;
        Ok(cfg)
    }

    /// Checks every range the director relies on.
    pub fn validate(&self, name: &str) -> Result<(), ConfigError> {
        let err = |field: &'static str, message: &str| {
            Err(ConfigError::Invalid {
                path: name.to_owned(),
                field,
                message: message.to_owned(),
            })
        };
        let unit = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        let pos = |v: f64| v.is_finite() && v > 0.0;
        if !unit(self.min_quality) {
            return err("min_quality", "must be within 0..=1");
        }
        if !pos(self.expected_runtime_s) {
            return err("expected_runtime_s", "must be a positive number of seconds");
        }
        let p = &self.pacing;
        if !(p.min >= 0.75 && p.min <= 1.0 && p.max >= 1.0 && p.max <= 1.5) {
            return err(
                "pacing",
                "min must be within 0.75..=1 and max within 1..=1.5",
            );
        }
        if !(p.rate_per_s > 0.0 && p.rate_per_s.is_finite()) {
            return err("pacing.rate_per_s", "must be positive");
        }
        let g = &self.grade;
        if !(g.rate_per_s > 0.0 && g.rate_per_s <= 2.0) {
            return err("grade.rate_per_s", "must be within (0, 2]");
        }
        if !(g.exposure_ev_per_s > 0.0 && g.exposure_ev_per_s <= 0.5) {
            return err(
                "grade.exposure_ev_per_s",
                "must be within (0, 0.5]: faster exposure changes could flash",
            );
        }
        if !unit(g.bored_punch) || !unit(g.calm_soften) {
            return err("grade", "bored_punch and calm_soften must be within 0..=1");
        }
        let a = &self.attention;
        if !unit(a.away_below) {
            return err("attention.away_below", "must be within 0..=1");
        }
        if !(a.away_after_s.is_finite() && a.away_after_s >= 0.0) {
            return err("attention.away_after_s", "must be 0 or more seconds");
        }
        if !(a.away_divert_scale > 0.0 && a.away_divert_scale <= 1.0) {
            return err(
                "attention.away_divert_scale",
                "must be within (0, 1]: looking away brings the interlude sooner, never later",
            );
        }
        let b = &self.boredom;
        if !(unit(b.threshold) && unit(b.release) && b.release <= b.threshold) {
            return err(
                "boredom",
                "threshold and release must be within 0..=1 with release <= threshold",
            );
        }
        if !(pos(b.divert_after_s) && b.cooldown_s.is_finite() && b.cooldown_s >= 0.0) {
            return err(
                "boredom",
                "divert_after_s must be positive and cooldown_s non-negative",
            );
        }
        if !unit(b.intensity_push) {
            return err("boredom.intensity_push", "must be within 0..=1");
        }
        let c = &self.ceiling;
        if !(c.arousal_z.is_finite() && c.release_z.is_finite() && c.release_z <= c.arousal_z) {
            return err("ceiling", "release_z must not exceed arousal_z");
        }
        if !(c.hold_s >= 0.0 && c.release_hold_s >= 0.0 && unit(c.intensity_cap)) {
            return err(
                "ceiling",
                "hold times must be non-negative and intensity_cap within 0..=1",
            );
        }
        let ch = &self.choice;
        if !(ch.timeout_s >= 0.0 && ch.timeout_s.is_finite()) {
            return err(
                "choice.timeout_s",
                "must be a non-negative number of seconds",
            );
        }
        if ch.target_curve.is_empty()
            || ch.target_curve.iter().any(|[x, y]| !unit(*x) || !unit(*y))
            || ch.target_curve.windows(2).any(|w| w[1][0] <= w[0][0])
        {
            return err(
                "choice.target_curve",
                "needs at least one [progress, intensity] point, both within 0..=1, progress strictly increasing",
            );
        }
        if !unit(ch.high_stakes_intensity)
            || !unit(ch.low_stakes_intensity)
            || !unit(ch.untagged_intensity)
        {
            return err("choice", "assumed intensities must be within 0..=1");
        }
        if !self.mercy.arousal_z.is_finite() {
            return err("mercy.arousal_z", "must be a number");
        }
        Ok(())
    }

    /// The target intensity at `progress` (0..1) on the target curve.
    pub fn target_intensity(&self, progress: f32) -> f32 {
        let c = &self.choice.target_curve;
        let x = progress.clamp(0.0, 1.0);
        if x <= c[0][0] {
            return c[0][1];
        }
        for w in c.windows(2) {
            let ([x0, y0], [x1, y1]) = (w[0], w[1]);
            if x <= x1 {
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
            }
        }
        c[c.len() - 1][1]
    }

    /// Whether `character` is on the mercy list.
    pub fn spares(&self, character: &str) -> bool {
        self.mercy.spare.iter().any(|s| s == "*" || s == character)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let d = DirectorConfig::default();
        d.validate("<defaults>").unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(DirectorConfig::from_json(&json, "x").unwrap(), d);
        assert_eq!(DirectorConfig::from_json("{}", "x").unwrap(), d);
    }

    #[test]
    fn unknown_keys_are_rejected_with_place() {
        let e =
            DirectorConfig::from_json("{\n  \"boredom\": {\"treshold\": 0.5}\n}", "policy.json")
                .unwrap_err()
                .to_string();
        assert!(e.starts_with("policy.json:2:"), "{e}");
        assert!(e.contains("treshold") && e.contains("threshold"), "{e}");
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        let e = DirectorConfig::from_json(r#"{"grade":{"exposure_ev_per_s":4}}"#, "p.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("flash"), "{e}");
        let e = DirectorConfig::from_json(r#"{"pacing":{"min":0.2}}"#, "p.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("0.75"), "{e}");
        assert!(DirectorConfig::from_json(
            r#"{"choice":{"target_curve":[[0.5,0.1],[0.2,0.3]]}}"#,
            "p"
        )
        .is_err());
    }

    #[test]
    fn target_curve_interpolates() {
        let d = DirectorConfig::default();
        assert_eq!(d.target_intensity(0.0), 0.3);
        assert!((d.target_intensity(0.15) - 0.4).abs() < 1e-6);
        assert!((d.target_intensity(2.0) - 0.4).abs() < 1e-6);
    }
}
