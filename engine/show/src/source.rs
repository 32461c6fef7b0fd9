//! Where the show's engagement comes from. The director asks once per tick; a source answers at
//! once (a live strap is drained by its own thread, never waited on).

use crate::viewer::{Profile, SimViewer};
use showrunner_biometrics::{Estimator, EstimatorConfig, SensorEvent};
use showrunner_core::EngagementSample;

/// A source of engagement for the director's ticks.
pub trait EngagementSource {
    /// Engagement at show time `t` seconds, while the director asks `intensity` of the scene
    /// (a simulated viewer responds to it).
    fn sample(&mut self, t: f64, intensity: f32) -> EngagementSample;

    /// Called once per frame, between the director's ticks: a live source takes what arrived
    /// (never waiting), so a heartbeat reaches the estimator within a frame, not a tick.
    fn poll(&mut self) {}
}

impl<F: FnMut(f64, f32) -> EngagementSample> EngagementSource for F {
    fn sample(&mut self, t: f64, intensity: f32) -> EngagementSample {
        self(t, intensity)
    }
}

/// Where a live viewer's engagement comes from: a simulated viewer whose
/// arousal the front end can nudge, or a heart recording played through the
/// engagement estimator.
pub struct LiveViewer {
    sim: SimViewer,
    /// Added to the simulated arousal (the desktop's Up/Down keys).
    pub nudge: f32,
    heart: Option<(Vec<SensorEvent>, usize, Estimator, f64)>,
    heart_events: Option<Vec<SensorEvent>>,
    tick: u64,
}

impl LiveViewer {
    /// A calm simulated viewer; `heart_events` can be played later.
    pub fn new(seed: u64, heart_events: Option<Vec<SensorEvent>>) -> Self {
        Self {
            sim: SimViewer::new(Profile::Calm, seed),
            nudge: 0.0,
            heart: None,
            heart_events,
            tick: 0,
        }
    }

    /// Starts the heart recording at show time `t` (`Some(true)`), or stops
    /// the one playing (`Some(false)`); `None` when there is no recording.
    pub fn toggle_recording(&mut self, t: f64) -> Option<bool> {
        if self.heart.take().is_some() {
            return Some(false);
        }
        let events = self.heart_events.clone()?;
        let est = Estimator::new(EstimatorConfig::default());
        self.heart = Some((events, 0, est, t));
        Some(true)
    }

    /// Engagement at show time `t`.
    fn engagement(&mut self, t: f64, intensity: f32) -> EngagementSample {
        self.tick += 1;
        if let Some((events, next, est, start)) = &mut self.heart {
            let rt = t - *start;
            while let Some(e) = events.get(*next).filter(|e| e.t <= rt) {
                est.push(e);
                *next += 1;
            }
            let mut s = est.sample(rt).sample;
            s.t = t;
            return s;
        }
        let mut s = self.sim.step(self.tick, t, 0.1, intensity);
        s.arousal_z += self.nudge;
        if self.nudge < 0.0 {
            // Pushed down far enough, a viewer drifts off.
            s.boredom = s.boredom.max((-self.nudge / 2.0).min(1.0));
        }
        s
    }

    /// What drives it, for the readout.
    pub fn source(&self) -> &'static str {
        if self.heart.is_some() {
            "heart recording (P stops)"
        } else if self.heart_events.is_some() {
            "simulated (Up/Down; P plays the recording)"
        } else {
            "simulated (Up/Down)"
        }
    }
}

impl EngagementSource for LiveViewer {
    fn sample(&mut self, t: f64, intensity: f32) -> EngagementSample {
        self.engagement(t, intensity)
    }
}
