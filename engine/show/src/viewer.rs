//! Simulated and recorded viewers for headless screenings.
//!
//! A simulated viewer is a small closed-loop model: arousal and boredom follow
//! targets set by the profile and by what is on screen (the director's
//! intensity), with first-order lag, seeded noise, occasional ectopic spikes and
//! strap dropouts. Its noise is a pure function of (seed, tick), so its whole
//! state is two numbers and a session save restores it exactly.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use showrunner_core::EngagementSample;
use std::path::Path;

/// A simulated viewer's temperament.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Relaxed and attentive: moderate response to intensity.
    Calm,
    /// Drifts off unless something happens; high stakes win them back briefly.
    Bored,
    /// Absorbed, aroused but below the ceiling.
    Gripped,
    /// Anxious: arousal overshoots the ceiling when intensity rises.
    Stressed,
}

impl Profile {
    /// Every profile's name.
    pub const NAMES: [&'static str; 4] = ["calm", "bored", "gripped", "stressed"];

    /// Parses a profile name.
    pub fn parse(s: &str) -> Option<Profile> {
        Some(match s {
            "calm" => Profile::Calm,
            "bored" => Profile::Bored,
            "gripped" => Profile::Gripped,
            "stressed" => Profile::Stressed,
            _ => return None,
        })
    }

    /// (arousal baseline, arousal gain per unit intensity, boredom baseline,
    /// boredom relief per unit intensity, boredom creep per minute).
    fn params(self) -> (f32, f32, f32, f32, f32) {
        match self {
            Profile::Calm => (0.0, 0.9, 0.3, 0.3, 0.02),
            Profile::Bored => (-0.3, 0.6, 0.85, 0.55, 0.10),
            Profile::Gripped => (1.0, 0.8, 0.08, 0.05, 0.0),
            Profile::Stressed => (1.4, 1.9, 0.1, 0.05, 0.0),
        }
    }
}

/// The simulated viewer's state (saved with the session).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimState {
    /// Current arousal z.
    pub arousal: f32,
    /// Current boredom.
    pub boredom: f32,
    /// Seconds since the viewer last saw high intensity.
    pub since_thrill_s: f32,
}

/// splitmix64: a counter-based generator, so noise needs no stored RNG state.
fn hash(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Uniform in [-1, 1).
fn noise(seed: u64, n: u64, stream: u64) -> f32 {
    (hash(seed ^ stream.wrapping_mul(0xa076_1d64_78bd_642f), n) >> 40) as f32 / (1u64 << 23) as f32
        - 1.0
}

/// A simulated viewer.
#[derive(Debug, Clone)]
pub struct SimViewer {
    profile: Profile,
    seed: u64,
    /// Its state.
    pub state: SimState,
}

impl SimViewer {
    /// A viewer at rest.
    pub fn new(profile: Profile, seed: u64) -> Self {
        let (a0, _, b0, _, _) = profile.params();
        Self {
            profile,
            seed,
            state: SimState {
                arousal: a0,
                boredom: b0 * 0.5,
                since_thrill_s: 0.0,
            },
        }
    }

    /// Advances the viewer by `dt` seconds of watching `intensity` and returns the sample at `t`.
    pub fn step(&mut self, tick: u64, t: f64, dt: f32, intensity: f32) -> EngagementSample {
        let (a0, gain, b0, relief, creep) = self.profile.params();
        let s = &mut self.state;
        if intensity >= 0.7 {
            s.since_thrill_s = 0.0;
        } else {
            s.since_thrill_s += dt;
        }
        let arousal_target = a0 + gain * (intensity - 0.3) * 2.0;
        s.arousal += (arousal_target - s.arousal) * (dt / 8.0).min(1.0);
        let boredom_target = (b0 + creep * s.since_thrill_s / 60.0
            - relief * (intensity - 0.3).max(0.0) * 2.0)
            .clamp(0.0, 1.0);
        s.boredom += (boredom_target - s.boredom) * (dt / 12.0).min(1.0);
        // Measurement noise, and an ectopic beat now and then (a brief spike).
        let mut arousal = s.arousal + 0.15 * noise(self.seed, tick, 1);
        if noise(self.seed, tick, 2) > 0.995 {
            arousal += 1.5;
        }
        // A strap that slips for a few seconds about every four minutes.
        let slot = (t / 240.0) as u64;
        let drop_at = 30.0 + 180.0 * (noise(self.seed, slot, 3) + 1.0) as f64 / 2.0;
        let in_drop = (t - slot as f64 * 240.0 - drop_at).abs() < 3.0;
        EngagementSample {
            t,
            arousal_z: arousal,
            boredom: (s.boredom + 0.05 * noise(self.seed, tick, 4)).clamp(0.0, 1.0),
            attention: (1.0 - 0.6 * s.boredom + 0.05 * noise(self.seed, tick, 5)).clamp(0.0, 1.0),
            quality: if in_drop { 0.1 } else { 0.95 },
        }
    }
}

/// A recorded engagement file: JSON lines of [`EngagementSample`], `t` ascending.
#[derive(Debug, Clone)]
pub struct Recording {
    samples: Vec<EngagementSample>,
}

impl Recording {
    /// Reads a recording; errors name the file and line.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read engagement recording", path.display()))?;
        let mut samples: Vec<EngagementSample> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let s: EngagementSample = serde_json::from_str(line).with_context(|| {
                format!(
                    "{}:{}: not an engagement sample (expected {{\"t\", \"arousal_z\", \"boredom\", \"attention\", \"quality\"}})",
                    path.display(),
                    i + 1
                )
            })?;
            if let Some(prev) = samples.last() {
                if s.t < prev.t {
                    bail!(
                        "{}:{}: time goes backwards ({} after {})",
                        path.display(),
                        i + 1,
                        s.t,
                        prev.t
                    );
                }
            }
            samples.push(s);
        }
        if samples.is_empty() {
            bail!("{}: the recording holds no samples", path.display());
        }
        Ok(Self { samples })
    }

    /// The latest sample at or before `t` (the first one before it starts), stamped `t`.
    pub fn at(&self, t: f64) -> EngagementSample {
        let i = self.samples.partition_point(|s| s.t <= t).saturating_sub(1);
        EngagementSample {
            t,
            ..self.samples[i]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_sample(p: Profile, intensity: f32) -> (f32, f32) {
        let mut v = SimViewer::new(p, 1);
        let (mut a, mut b) = (0.0, 0.0);
        for i in 0..3000 {
            let s = v.step(i, i as f64 * 0.1, 0.1, intensity);
            if i >= 1500 {
                a += s.arousal_z / 1500.0;
                b += s.boredom / 1500.0;
            }
        }
        (a, b)
    }

    #[test]
    fn profiles_behave_as_named() {
        let (calm_a, calm_b) = mean_sample(Profile::Calm, 0.5);
        let (bored_a, bored_b) = mean_sample(Profile::Bored, 0.5);
        let (_, gripped_b) = mean_sample(Profile::Gripped, 0.5);
        let (stressed_a, _) = mean_sample(Profile::Stressed, 0.8);
        assert!(bored_b > 0.6 && bored_b > calm_b, "{bored_b} {calm_b}");
        assert!(gripped_b < 0.2);
        assert!(
            stressed_a > 2.0,
            "stressed viewers pass the ceiling: {stressed_a}"
        );
        assert!(calm_a < 1.0 && bored_a < calm_a);
    }

    #[test]
    fn same_seed_same_viewer() {
        let mut a = SimViewer::new(Profile::Bored, 9);
        let mut b = SimViewer::new(Profile::Bored, 9);
        for i in 0..100 {
            assert_eq!(a.step(i, i as f64, 0.1, 0.4), b.step(i, i as f64, 0.1, 0.4));
        }
    }

    #[test]
    fn recordings_report_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.jsonl");
        std::fs::write(&p, "{\"t\":0,\"arousal_z\":0,\"boredom\":0.2,\"attention\":1,\"quality\":1}\n{\"t\":1,\"arousal\":3}\n").unwrap();
        let e = format!("{:#}", Recording::load(&p).unwrap_err());
        assert!(e.contains("e.jsonl:2:"), "{e}");
    }
}
