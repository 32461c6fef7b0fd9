//! A simulated heart-rate strap: seeded, with the structure of real RR series
//! (respiratory sinus arrhythmia at 0.25 Hz, a 0.1 Hz baroreflex wave, a slow
//! random drift, beat-to-beat noise, occasional ectopic beats with their
//! compensatory pause, and rare missed beats), sent once a second like a
//! real strap. Every profile opens calm (for the estimator's baseline) and
//! moves into its state over a minute.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::event::{SensorContact, SensorEvent, RR_PER_READING};

/// Who the simulated strap is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeartProfile {
    /// Stays at baseline.
    Calm,
    /// Heart rate sinks below baseline, variability rises.
    Bored,
    /// Moderately raised heart rate, lower variability.
    Gripped,
    /// Strongly raised heart rate, little variability.
    Stressed,
}

impl HeartProfile {
    /// Names accepted by [`parse`](Self::parse).
    pub const NAMES: [&'static str; 4] = ["calm", "bored", "gripped", "stressed"];

    /// Parses a profile name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "calm" => Some(Self::Calm),
            "bored" => Some(Self::Bored),
            "gripped" => Some(Self::Gripped),
            "stressed" => Some(Self::Stressed),
            _ => None,
        }
    }

    /// (heart-rate offset from baseline in bpm, RSA amplitude in ms).
    fn target(self) -> (f64, f64) {
        match self {
            Self::Calm => (0.0, 38.0),
            Self::Bored => (-6.0, 48.0),
            Self::Gripped => (4.0, 24.0),
            Self::Stressed => (15.0, 10.0),
        }
    }
}

/// Parameters of the simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimConfig {
    /// Profile.
    pub profile: HeartProfile,
    /// Seed; the same seed gives the same series.
    pub seed: u64,
    /// Resting heart rate, bpm.
    pub resting_bpm: f64,
    /// Seconds of calm before the profile sets in.
    pub opening_s: f64,
    /// Seconds to move from calm into the profile.
    pub ramp_s: f64,
    /// Probability of an ectopic beat per beat.
    pub ectopic_p: f64,
    /// Probability of a missed beat per beat.
    pub missed_p: f64,
}

impl SimConfig {
    /// Defaults for a profile: 68 bpm resting, 150 s calm opening, 60 s ramp,
    /// 0.4 % ectopic and 0.1 % missed beats.
    pub fn new(profile: HeartProfile, seed: u64) -> Self {
        Self {
            profile,
            seed,
            resting_bpm: 68.0,
            opening_s: 150.0,
            ramp_s: 60.0,
            ectopic_p: 0.004,
            missed_p: 0.001,
        }
    }
}

/// The simulated strap: an endless iterator of once-a-second readings.
pub struct SimStrap {
    cfg: SimConfig,
    rng: ChaCha8Rng,
    noise: Normal<f64>,
    t_beat: f64,
    drift: f64,
    pending_comp: Option<f64>,
    next_note: f64,
    buf: Vec<f32>,
    recent: [f32; 4],
    recent_n: usize,
    started: bool,
}

impl SimStrap {
    /// A strap with this configuration.
    pub fn new(cfg: SimConfig) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            noise: Normal::new(0.0, 1.0).expect("unit normal"),
            cfg,
            t_beat: 0.0,
            drift: 0.0,
            pending_comp: None,
            next_note: 1.0,
            buf: Vec::with_capacity(16),
            recent: [0.0; 4],
            recent_n: 0,
            started: false,
        }
    }

    fn mix(&self, t: f64) -> f64 {
        let c = &self.cfg;
        ((t - c.opening_s) / c.ramp_s.max(1e-6)).clamp(0.0, 1.0)
    }

    fn next_rr(&mut self) -> f64 {
        if let Some(c) = self.pending_comp.take() {
            return c;
        }
        let t = self.t_beat;
        let m = self.mix(t);
        let (off, rsa_target) = self.cfg.profile.target();
        let (_, rsa_calm) = HeartProfile::Calm.target();
        let rsa = rsa_calm + m * (rsa_target - rsa_calm);
        // Ornstein–Uhlenbeck drift of heart rate, σ ≈ 1.2 bpm, τ = 30 s.
        let dt = 0.9;
        let tau = 30.0;
        let sigma = 1.2;
        let n: f64 = self.noise.sample(&mut self.rng);
        self.drift += -self.drift * dt / tau + sigma * (2.0 * dt / tau).sqrt() * n;
        let lf = 1.5 * (std::f64::consts::TAU * 0.1 * t).sin();
        let hr = self.cfg.resting_bpm + m * off + self.drift + lf;
        let mut rr = 60_000.0 / hr.max(35.0)
            + rsa * (std::f64::consts::TAU * 0.25 * t).sin()
            + 8.0 * self.noise.sample(&mut self.rng);
        let u: f64 = self.rng.random();
        if u < self.cfg.ectopic_p {
            // Premature beat, then a compensatory pause (sum ≈ two beats).
            let base = rr;
            rr = base * 0.65;
            self.pending_comp = Some(base * 1.35);
        } else if u < self.cfg.ectopic_p + self.cfg.missed_p {
            rr *= 2.0; // the strap missed a beat
        }
        rr.clamp(250.0, 2500.0)
    }
}

impl Iterator for SimStrap {
    type Item = SensorEvent;

    fn next(&mut self) -> Option<SensorEvent> {
        if !self.started {
            self.started = true;
        }
        loop {
            let rr = self.next_rr();
            self.t_beat += rr / 1000.0;
            if self.buf.len() < RR_PER_READING {
                self.buf.push(rr as f32);
            }
            self.recent[self.recent_n % 4] = rr as f32;
            self.recent_n += 1;
            if self.t_beat >= self.next_note {
                let t = self.t_beat;
                self.next_note = self.next_note.max(t.floor()) + 1.0;
                let k = self.recent_n.min(4);
                let mean = self.recent[..k].iter().sum::<f32>() / k as f32;
                let bpm = (60_000.0 / mean).round() as u16;
                let ev = SensorEvent::reading(t, Some(bpm), SensorContact::Detected, &self.buf);
                self.buf.clear();
                return Some(ev);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    fn rr_series(p: HeartProfile, seed: u64, secs: f64) -> Vec<(f64, f32)> {
        let mut out = Vec::new();
        for e in SimStrap::new(SimConfig::new(p, seed)).take_while(|e| e.t < secs) {
            if let EventKind::Reading(r) = e.kind {
                out.extend(r.rr_ms.iter().map(|&v| (e.t, v)));
            }
        }
        out
    }

    #[test]
    fn seeded_and_deterministic() {
        assert_eq!(
            rr_series(HeartProfile::Calm, 7, 60.0),
            rr_series(HeartProfile::Calm, 7, 60.0)
        );
        assert_ne!(
            rr_series(HeartProfile::Calm, 7, 60.0),
            rr_series(HeartProfile::Calm, 8, 60.0)
        );
    }

    #[test]
    fn profiles_differ_after_the_opening() {
        let mean_hr = |p| {
            let s = rr_series(p, 3, 600.0);
            let late: Vec<f32> = s
                .iter()
                .filter(|(t, _)| *t > 300.0)
                .map(|(_, v)| *v)
                .collect();
            60_000.0 / (late.iter().sum::<f32>() / late.len() as f32)
        };
        let (calm, bored, gripped, stressed) = (
            mean_hr(HeartProfile::Calm),
            mean_hr(HeartProfile::Bored),
            mean_hr(HeartProfile::Gripped),
            mean_hr(HeartProfile::Stressed),
        );
        assert!(
            bored < calm && calm < gripped && gripped < stressed,
            "{bored} {calm} {gripped} {stressed}"
        );
    }

    #[test]
    fn readings_come_about_once_a_second_with_contact() {
        let ev: Vec<_> = SimStrap::new(SimConfig::new(HeartProfile::Calm, 1))
            .take(100)
            .collect();
        let span = ev.last().unwrap().t - ev[0].t;
        assert!((90.0..110.0).contains(&span), "{span}");
        assert!(ev.windows(2).all(|w| w[1].t > w[0].t));
    }
}
