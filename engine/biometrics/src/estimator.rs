//! The engagement estimator: heart events in, [`EngagementSample`] out.
//!
//! Per accepted beat (so results do not depend on the frame rate):
//! 1. **Artifact rejection**: RR outside the physiological range, or more than
//!    20 % from the median of its two neighbours on each side, is rejected
//!    and counted; a beat is judged once two later beats have arrived.
//! 2. **Baseline**: the first `baseline_s` seconds of accepted beats (a calm
//!    opening) give the viewer's own mean and spread of short-window heart
//!    rate, and their ln RMSSD. Afterwards the baseline adapts slowly
//!    (time constant `baseline_adapt_s`), and only while the viewer is near
//!    it, so a long scare does not become the new normal.
//! 3. **Signals**: HR z-score over `hr_window_s` (5–10 s), ln RMSSD over
//!    `hrv_window_s` (30–60 s); arousal = a weighted mix (lower HRV = more
//!    aroused), smoothed; boredom = sustained under-arousal.
//! 4. **Hysteresis**: arousal moves only by more than `arousal_deadband`;
//!    the bored flag needs `bored_enter` for `bored_hold_s` and clears below
//!    `bored_exit`; the [`EngagementState`] bands have separate enter/exit levels.
//!
//! [`Estimator::sample`] then gates on signal quality: no strap, no skin
//! contact, no beats for `stale_s`, too many artifacts or an unfinished
//! baseline → quality 0, which the director treats as neutral engagement.
//!
//! Nothing here allocates after construction or blocks; it is meant to run on
//! the frame thread.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use showrunner_core::EngagementSample;

use crate::event::{EventKind, Reading, SensorContact, SensorEvent};
use crate::hrv::{ArtifactRules, Rejection};

/// Tuning of the estimator. Defaults are documented per field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EstimatorConfig {
    /// Seconds of accepted beats that make the calm baseline (default 120).
    pub baseline_s: f64,
    /// Time constant of the baseline's slow adaptation afterwards, s (default 900).
    pub baseline_adapt_s: f64,
    /// Heart-rate window for the z-score, s (5–10; default 8).
    pub hr_window_s: f64,
    /// RMSSD window, s (30–60; default 45).
    pub hrv_window_s: f64,
    /// Shortest plausible RR, ms (default 300 = 200 bpm).
    pub rr_min_ms: f32,
    /// Longest plausible RR, ms (default 2000 = 30 bpm).
    pub rr_max_ms: f32,
    /// Neighbour-median tolerance (default 0.20).
    pub neighbour_tolerance: f32,
    /// No accepted beat for this long → quality 0, s (default 4).
    pub stale_s: f64,
    /// Window of the artifact rate that gates quality, s (default 30).
    pub quality_window_s: f64,
    /// Artifact rate at and above which quality is 0 (default 0.25).
    pub max_artifact_rate: f32,
    /// Floor of the baseline's heart-rate spread, bpm (default 2.5).
    pub hr_sd_floor_bpm: f32,
    /// Spread of ln RMSSD that counts as one z unit (default 0.25).
    pub ln_rmssd_unit: f32,
    /// Weight of HRV in arousal, 0..=1 (default 0.3; the rest is HR).
    pub hrv_weight: f32,
    /// Smoothing of arousal, s (default 3).
    pub arousal_smooth_s: f64,
    /// Arousal output moves only when the smoothed value is this far from it (default 0.1).
    pub arousal_deadband: f32,
    /// Smoothing of the slow arousal that drives boredom, s (default 30).
    pub boredom_smooth_s: f64,
    /// Boredom level at which the viewer becomes bored (default 0.6) ...
    pub bored_enter: f32,
    /// ... after holding it this long, s (default 10) ...
    pub bored_hold_s: f64,
    /// ... and stops being bored below this (default 0.45).
    pub bored_exit: f32,
}

impl Default for EstimatorConfig {
    fn default() -> Self {
        Self {
            baseline_s: 120.0,
            baseline_adapt_s: 900.0,
            hr_window_s: 8.0,
            hrv_window_s: 45.0,
            rr_min_ms: 300.0,
            rr_max_ms: 2000.0,
            neighbour_tolerance: 0.20,
            stale_s: 4.0,
            quality_window_s: 30.0,
            max_artifact_rate: 0.25,
            hr_sd_floor_bpm: 2.5,
            ln_rmssd_unit: 0.25,
            hrv_weight: 0.3,
            arousal_smooth_s: 3.0,
            arousal_deadband: 0.1,
            boredom_smooth_s: 30.0,
            bored_enter: 0.6,
            bored_hold_s: 10.0,
            bored_exit: 0.45,
        }
    }
}

impl EstimatorConfig {
    /// Checks ranges; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        if !(self.baseline_s.is_finite() && self.baseline_s >= 0.0) {
            return Err("baseline_s must be a non-negative number of seconds".into());
        }
        if !(5.0..=10.0).contains(&self.hr_window_s) {
            return Err("hr_window_s must be within 5..=10 s".into());
        }
        if !(30.0..=60.0).contains(&self.hrv_window_s) {
            return Err("hrv_window_s must be within 30..=60 s".into());
        }
        if !(self.rr_min_ms >= 200.0 && self.rr_max_ms <= 3000.0 && self.rr_min_ms < self.rr_max_ms)
        {
            return Err(
                "rr_min_ms..rr_max_ms must be an increasing range within 200..=3000 ms".into(),
            );
        }
        if !(self.neighbour_tolerance > 0.0 && self.neighbour_tolerance < 1.0) {
            return Err("neighbour_tolerance must be within 0..1".into());
        }
        for (name, v) in [
            ("baseline_adapt_s", self.baseline_adapt_s),
            ("stale_s", self.stale_s),
            ("quality_window_s", self.quality_window_s),
            ("arousal_smooth_s", self.arousal_smooth_s),
            ("boredom_smooth_s", self.boredom_smooth_s),
        ] {
            if !pos(v) {
                return Err(format!("{name} must be a positive number of seconds"));
            }
        }
        if !(self.bored_hold_s.is_finite() && self.bored_hold_s >= 0.0) {
            return Err("bored_hold_s must be a non-negative number of seconds".into());
        }
        for (name, v) in [
            ("max_artifact_rate", self.max_artifact_rate),
            ("hrv_weight", self.hrv_weight),
            ("bored_enter", self.bored_enter),
            ("bored_exit", self.bored_exit),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(format!("{name} must be within 0..=1"));
            }
        }
        if self.bored_exit > self.bored_enter {
            return Err("bored_exit must not exceed bored_enter (hysteresis)".into());
        }
        if !(self.hr_sd_floor_bpm > 0.0 && self.ln_rmssd_unit > 0.0 && self.arousal_deadband >= 0.0)
        {
            return Err(
                "hr_sd_floor_bpm and ln_rmssd_unit must be positive, arousal_deadband non-negative"
                    .into(),
            );
        }
        Ok(())
    }

    fn rules(&self) -> ArtifactRules {
        ArtifactRules {
            rr_min_ms: self.rr_min_ms,
            rr_max_ms: self.rr_max_ms,
            neighbour_tolerance: self.neighbour_tolerance,
        }
    }
}

/// The viewer's state as the estimator classifies it (with hysteresis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementState {
    /// Building the baseline.
    Calibrating,
    /// Near baseline.
    Calm,
    /// Under-aroused for a while.
    Bored,
    /// Aroused (enter z ≥ 0.75, leave < 0.5).
    Gripped,
    /// Strongly aroused (enter z ≥ 2, leave < 1.5).
    Overwhelmed,
}

/// Why quality is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoSignal {
    /// Nothing has arrived yet.
    NoData,
    /// The strap dropped out.
    Disconnected,
    /// The strap reports no skin contact.
    NoContact,
    /// No accepted beat for `stale_s`.
    Stale,
    /// Too many rejected beats recently.
    TooManyArtifacts,
    /// The baseline is not finished.
    Calibrating,
}

/// Counts of what was rejected, since the start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ArtifactCounts {
    /// Beats (RR intervals or HR-only readings) seen.
    pub beats: u64,
    /// Accepted.
    pub accepted: u64,
    /// RR outside the physiological range (includes RR 0).
    pub out_of_range: u64,
    /// RR too far from its neighbours.
    pub neighbour: u64,
    /// HR-only readings with an impossible rate (e.g. 0 or 400 bpm).
    pub bad_hr: u64,
    /// Packets that did not decode.
    pub malformed: u64,
}

impl ArtifactCounts {
    /// Rejected beats as a fraction of beats seen.
    pub fn rejection_rate(&self) -> f32 {
        if self.beats == 0 {
            0.0
        } else {
            (self.beats - self.accepted) as f32 / self.beats as f32
        }
    }
}

/// One estimate: what the director reads, plus what a developer wants to see.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// What the director reads.
    pub sample: EngagementSample,
    /// Classified state.
    pub state: EngagementState,
    /// Why quality is 0, if it is.
    pub no_signal: Option<NoSignal>,
    /// Heart rate over the short window, bpm.
    pub hr_bpm: Option<f32>,
    /// ln RMSSD over the long window.
    pub ln_rmssd: Option<f32>,
    /// Baseline heart rate, once known.
    pub baseline_hr_bpm: Option<f32>,
    /// Rejected fraction over the quality window.
    pub artifact_rate: f32,
    /// Baseline progress, 0..=1.
    pub calibration: f32,
}

#[derive(Debug, Clone, Copy)]
struct Beat {
    t: f64,
    rr: f32,
    /// Follows the previous accepted beat directly (successive difference valid).
    adjacent: bool,
    /// Came from an HR-only reading (no RR; excluded from RMSSD).
    hr_only: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }
    fn sd(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).sqrt()
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Baseline {
    hr: f64,
    hr_var: f64,
    ln_rmssd: Option<f64>,
}

/// Heart events in, engagement out. See the module docs.
#[derive(Debug, Clone)]
pub struct Estimator {
    cfg: EstimatorConfig,
    rules: ArtifactRules,
    /// Last in-range beats (times and RR), the oldest ones already judged;
    /// the last two wait for their right-hand neighbours.
    window: VecDeque<(f64, f32, bool)>,
    beats: VecDeque<Beat>,
    verdicts: VecDeque<(f64, bool)>,
    counts: ArtifactCounts,
    chain: bool,
    last_beat_t: f64,
    last_rr_t: f64,
    last_event_t: f64,
    connected: Option<bool>,
    contact: SensorContact,
    // Baseline.
    calib_s: f64,
    calib_hr: Welford,
    calib_ln: Welford,
    baseline: Option<Baseline>,
    // Signals.
    hr_w: Option<f64>,
    ln_w: Option<f64>,
    arousal_s: f64,
    arousal_out: f32,
    slow_z: f64,
    bored: bool,
    bored_since: Option<f64>,
    state: EngagementState,
}

const BEAT_CAP: usize = 512;

impl Estimator {
    /// A fresh estimator (no baseline yet).
    pub fn new(cfg: EstimatorConfig) -> Self {
        Self {
            rules: cfg.rules(),
            cfg,
            window: VecDeque::with_capacity(8),
            beats: VecDeque::with_capacity(BEAT_CAP),
            verdicts: VecDeque::with_capacity(BEAT_CAP),
            counts: ArtifactCounts::default(),
            chain: false,
            last_beat_t: f64::NEG_INFINITY,
            last_rr_t: f64::NEG_INFINITY,
            last_event_t: f64::NEG_INFINITY,
            connected: None,
            contact: SensorContact::NotSupported,
            calib_s: 0.0,
            calib_hr: Welford::default(),
            calib_ln: Welford::default(),
            baseline: None,
            hr_w: None,
            ln_w: None,
            arousal_s: 0.0,
            arousal_out: 0.0,
            slow_z: 0.0,
            bored: false,
            bored_since: None,
            state: EngagementState::Calibrating,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EstimatorConfig {
        &self.cfg
    }

    /// What was rejected so far.
    pub fn counts(&self) -> ArtifactCounts {
        self.counts
    }

    /// Feeds one event. Events must come in time order (older ones are
    /// clamped to the latest time seen).
    pub fn push(&mut self, e: &SensorEvent) {
        let t = if e.t.is_finite() {
            e.t.max(self.last_event_t)
        } else {
            self.last_event_t
        };
        if !t.is_finite() {
            return;
        }
        self.last_event_t = t;
        match &e.kind {
            EventKind::Reading(r) => self.reading(t, r),
            EventKind::Connected(_) => {
                self.connected = Some(true);
            }
            EventKind::Disconnected | EventKind::Ended { .. } => {
                self.connected = Some(false);
                // Beats waiting for neighbours that will never come are dropped
                // (not judged, not counted); the chain of adjacency breaks.
                self.window.clear();
                self.chain = false;
            }
            EventKind::Battery { .. } => {}
            EventKind::Malformed { .. } => self.counts.malformed += 1,
        }
    }

    fn reading(&mut self, t: f64, r: &Reading) {
        self.connected = Some(true);
        self.contact = r.contact;
        if r.contact == SensorContact::NotDetected {
            // Whatever a strap off the skin measures is noise.
            return;
        }
        if r.rr_ms.is_empty() {
            let Some(bpm) = r.bpm else { return };
            let rr = if bpm == 0 {
                0.0
            } else {
                60_000.0 / f32::from(bpm)
            };
            let plausible = self.rules.in_range(rr);
            if !plausible {
                self.counts.bad_hr += 1;
            }
            // A strap that sends RR intervals also sends packets without any
            // (no beat ended since the last one): those carry no beat.
            if t - self.last_rr_t <= self.cfg.stale_s {
                return;
            }
            // HR-only strap: one pseudo-beat per reading.
            if plausible {
                self.in_range_beat(t, rr, true); // counted when judged
            } else {
                self.counts.beats += 1;
                self.verdict(t, false);
            }
            return;
        }
        self.last_rr_t = t;
        let total: f32 = r.rr_ms.iter().sum();
        let mut bt = t - f64::from(total) / 1000.0;
        for &rr in &r.rr_ms {
            bt += f64::from(rr) / 1000.0;
            let bt = bt.max(self.last_beat_t);
            if !self.rules.in_range(rr) {
                self.counts.beats += 1;
                self.counts.out_of_range += 1;
                self.verdict(bt, false);
                // An interval that really elapsed (a missed beat) breaks the
                // chain of successive differences; a zero is garbage, no time.
                if rr >= 1.0 {
                    self.chain = false;
                }
                continue;
            }
            self.in_range_beat(bt, rr, false);
        }
    }

    fn in_range_beat(&mut self, t: f64, rr: f32, hr_only: bool) {
        self.last_beat_t = t;
        if self.window.len() == 5 {
            self.window.pop_front();
        }
        self.window.push_back((t, rr, hr_only));
        let n = self.window.len();
        if n < 3 {
            return;
        }
        let j = n - 3;
        let mut before = [0f32; 2];
        let nb = j.min(2);
        for (k, slot) in before[..nb].iter_mut().enumerate() {
            *slot = self.window[j - nb + k].1;
        }
        let after = [self.window[n - 2].1, self.window[n - 1].1];
        let (bt, brr, bho) = self.window[j];
        self.counts.beats += 1;
        match self.rules.judge(&before[..nb], brr, &after) {
            Ok(()) => {
                self.counts.accepted += 1;
                self.verdict(bt, true);
                self.accept(bt, brr, bho);
            }
            Err(why) => {
                match why {
                    Rejection::OutOfRange => self.counts.out_of_range += 1,
                    Rejection::Neighbour => self.counts.neighbour += 1,
                }
                self.verdict(bt, false);
                self.chain = false;
            }
        }
    }

    fn verdict(&mut self, t: f64, ok: bool) {
        if self.verdicts.len() == BEAT_CAP {
            self.verdicts.pop_front();
        }
        self.verdicts.push_back((t, ok));
        while self
            .verdicts
            .front()
            .is_some_and(|&(vt, _)| vt < t - self.cfg.quality_window_s)
        {
            self.verdicts.pop_front();
        }
    }

    fn accept(&mut self, t: f64, rr: f32, hr_only: bool) {
        let prev_t = self.beats.back().map(|b| b.t);
        if self.beats.len() == BEAT_CAP {
            self.beats.pop_front();
        }
        self.beats.push_back(Beat {
            t,
            rr,
            adjacent: self.chain && !hr_only,
            hr_only,
        });
        self.chain = !hr_only;
        let keep = self.cfg.hrv_window_s.max(self.cfg.hr_window_s) + 5.0;
        while self.beats.front().is_some_and(|b| b.t < t - keep) {
            self.beats.pop_front();
        }
        let dt = prev_t.map_or(0.0, |p| (t - p).clamp(0.0, 2.0));
        self.update_signals(t, dt);
    }

    fn update_signals(&mut self, t: f64, dt: f64) {
        let cfg = &self.cfg;
        // Heart rate over the short window.
        let (mut sum, mut n) = (0.0, 0u32);
        for b in self
            .beats
            .iter()
            .rev()
            .take_while(|b| b.t > t - cfg.hr_window_s)
        {
            sum += 60_000.0 / f64::from(b.rr);
            n += 1;
        }
        let first_t = self.beats.front().map_or(t, |b| b.t);
        self.hr_w = (n >= 3).then(|| sum / f64::from(n));
        // ln RMSSD over the long window (RR beats only, adjacent pairs only).
        let (mut sq, mut d, mut prev) = (0.0, 0u32, None::<f32>);
        let mut span_start = t;
        for b in self.beats.iter().filter(|b| b.t > t - cfg.hrv_window_s) {
            if b.adjacent {
                if let Some(p) = prev {
                    let x = f64::from(b.rr - p);
                    sq += x * x;
                    d += 1;
                }
            }
            prev = (!b.hr_only).then_some(b.rr);
            span_start = span_start.min(b.t);
        }
        let hrv_span_ok =
            t - span_start >= cfg.hrv_window_s * 0.6 || t - first_t >= cfg.hrv_window_s * 0.6;
        self.ln_w = (d >= 10 && hrv_span_ok).then(|| (sq / f64::from(d)).sqrt().max(1.0).ln());

        let Some(hr) = self.hr_w else { return };
        let Some(base) = self.baseline else {
            // Calibrating: count seconds of good data, collect statistics once
            // the short window is full.
            self.calib_s += dt;
            if self.calib_s >= cfg.hr_window_s {
                self.calib_hr.push(hr);
                if let Some(l) = self.ln_w {
                    self.calib_ln.push(l);
                }
            }
            if self.calib_s >= cfg.baseline_s && self.calib_hr.n >= 2 {
                let sd = self.calib_hr.sd().max(f64::from(cfg.hr_sd_floor_bpm));
                self.baseline = Some(Baseline {
                    hr: self.calib_hr.mean,
                    hr_var: sd * sd,
                    ln_rmssd: (self.calib_ln.n > 0).then_some(self.calib_ln.mean),
                });
                self.state = EngagementState::Calm;
            }
            return;
        };
        let floor = f64::from(cfg.hr_sd_floor_bpm);
        let sd = base.hr_var.sqrt().max(floor);
        let z_hr = (hr - base.hr) / sd;
        let z_hrv = match (self.ln_w, base.ln_rmssd) {
            (Some(l), Some(b)) => Some(-(l - b) / f64::from(cfg.ln_rmssd_unit)),
            _ => None,
        };
        let raw = match z_hrv {
            Some(zv) => (1.0 - f64::from(cfg.hrv_weight)) * z_hr + f64::from(cfg.hrv_weight) * zv,
            None => z_hr,
        };
        // Slow adaptation, only near baseline so an aroused stretch cannot
        // drag the baseline with it.
        if z_hr.abs() < 1.5 && dt > 0.0 {
            let a = dt / cfg.baseline_adapt_s;
            let mut nb = base;
            nb.hr += a * (hr - base.hr);
            nb.hr_var = (nb.hr_var + a * ((hr - base.hr).powi(2) - base.hr_var)).max(floor * floor);
            if let (Some(l), Some(b)) = (self.ln_w, base.ln_rmssd) {
                nb.ln_rmssd = Some(b + a * (l - b));
            }
            self.baseline = Some(nb);
        }
        let k = 1.0 - (-dt / cfg.arousal_smooth_s).exp();
        self.arousal_s += k * (raw - self.arousal_s);
        if (self.arousal_s - f64::from(self.arousal_out)).abs() > f64::from(cfg.arousal_deadband) {
            self.arousal_out = self.arousal_s as f32;
        }
        let ks = 1.0 - (-dt / cfg.boredom_smooth_s).exp();
        self.slow_z += ks * (self.arousal_s - self.slow_z);
        let level = self.boredom_level();
        if self.bored {
            if level < cfg.bored_exit {
                self.bored = false;
                self.bored_since = None;
            }
        } else if level >= cfg.bored_enter {
            let since = *self.bored_since.get_or_insert(t);
            if t - since >= cfg.bored_hold_s {
                self.bored = true;
            }
        } else {
            self.bored_since = None;
        }
        let z = self.arousal_out;
        self.state = match self.state {
            EngagementState::Overwhelmed if z >= 1.5 => EngagementState::Overwhelmed,
            _ if z >= 2.0 => EngagementState::Overwhelmed,
            EngagementState::Gripped | EngagementState::Overwhelmed if z >= 0.5 => {
                EngagementState::Gripped
            }
            _ if z >= 0.75 => EngagementState::Gripped,
            _ if self.bored => EngagementState::Bored,
            _ => EngagementState::Calm,
        };
    }

    fn boredom_level(&self) -> f32 {
        (0.3 - 0.3 * self.slow_z).clamp(0.0, 1.0) as f32
    }

    /// The estimate at time `now` (same clock as the events). Cheap: the
    /// signals are updated per beat in [`push`](Self::push); this only gates
    /// them on signal quality.
    pub fn sample(&self, now: f64) -> Estimate {
        let cfg = &self.cfg;
        let (mut seen, mut bad) = (0u32, 0u32);
        for &(vt, ok) in self
            .verdicts
            .iter()
            .rev()
            .take_while(|(vt, _)| *vt > now - cfg.quality_window_s)
        {
            let _ = vt;
            seen += 1;
            bad += u32::from(!ok);
        }
        let rate = if seen == 0 {
            0.0
        } else {
            bad as f32 / seen as f32
        };
        let last_ok = self.beats.back().map(|b| b.t);
        let no_signal = match self.connected {
            None => Some(NoSignal::NoData),
            Some(false) => Some(NoSignal::Disconnected),
            Some(true) if self.contact == SensorContact::NotDetected => Some(NoSignal::NoContact),
            Some(true) if seen >= 5 && rate >= cfg.max_artifact_rate => {
                Some(NoSignal::TooManyArtifacts)
            }
            // Nothing accepted yet: the first beats wait for their neighbours.
            Some(true) if last_ok.is_none() && self.baseline.is_none() => {
                Some(NoSignal::Calibrating)
            }
            // A beat is judged two beats late: allow for that on top of stale_s.
            Some(true) if last_ok.is_none_or(|lt| now - lt > cfg.stale_s + 2.5) => {
                Some(NoSignal::Stale)
            }
            Some(true) if self.baseline.is_none() => Some(NoSignal::Calibrating),
            Some(true) => None,
        };
        let quality = match no_signal {
            Some(_) => 0.0,
            None => 1.0 - 0.7 * (rate / cfg.max_artifact_rate.max(1e-3)).clamp(0.0, 1.0),
        };
        let level = self.boredom_level();
        let boredom = if self.bored {
            level.max(cfg.bored_enter)
        } else {
            level.min(cfg.bored_enter - 0.01)
        };
        let sample = match no_signal {
            Some(_) => EngagementSample::neutral(now),
            None => EngagementSample {
                t: now,
                arousal_z: self.arousal_out,
                boredom,
                attention: 1.0,
                quality,
            },
        }
        .sanitized();
        Estimate {
            sample,
            state: self.state,
            no_signal,
            hr_bpm: self.hr_w.map(|v| v as f32),
            ln_rmssd: self.ln_w.map(|v| v as f32),
            baseline_hr_bpm: self.baseline.map(|b| b.hr as f32),
            artifact_rate: rate,
            calibration: if cfg.baseline_s <= 0.0 {
                1.0
            } else {
                (self.calib_s / cfg.baseline_s).clamp(0.0, 1.0) as f32
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use crate::sim::{HeartProfile, SimConfig, SimStrap};

    /// Runs a simulated strap through the estimator, sampling at 10 Hz, and
    /// returns the estimates at each sample time.
    fn run(
        events: impl IntoIterator<Item = SensorEvent>,
        until: f64,
    ) -> (Estimator, Vec<Estimate>) {
        let mut est = Estimator::new(EstimatorConfig::default());
        let mut out = Vec::new();
        let mut it = events.into_iter().peekable();
        let mut now = 0.0;
        while now < until {
            while let Some(e) = it.next_if(|e| e.t <= now) {
                est.push(&e);
            }
            out.push(est.sample(now));
            now += 0.1;
        }
        (est, out)
    }

    fn sim(p: HeartProfile, seed: u64) -> SimStrap {
        SimStrap::new(SimConfig::new(p, seed))
    }

    fn late(v: &[Estimate], from: f64) -> impl Iterator<Item = &Estimate> {
        v.iter().filter(move |e| e.sample.t >= from)
    }

    fn mean(v: impl Iterator<Item = f32>) -> f32 {
        let (s, n) = v.fold((0.0, 0), |(s, n), x| (s + x, n + 1));
        s / n as f32
    }

    fn state_after(v: &[Estimate], from: f64) -> EngagementState {
        let mut states: Vec<_> = late(v, from).map(|e| e.state).collect();
        states.dedup();
        assert_eq!(
            states.len(),
            1,
            "state should settle after {from} s: {states:?}"
        );
        states[0]
    }

    #[test]
    fn no_data_means_neutral() {
        let est = Estimator::new(EstimatorConfig::default());
        let e = est.sample(5.0);
        assert_eq!(e.no_signal, Some(NoSignal::NoData));
        assert_eq!(e.sample, EngagementSample::neutral(5.0));
    }

    #[test]
    fn calibrates_then_trusts_the_signal() {
        let (_, v) = run(sim(HeartProfile::Calm, 1), 200.0);
        let at = |t: f64| v.iter().find(|e| e.sample.t >= t).unwrap();
        assert_eq!(at(60.0).no_signal, Some(NoSignal::Calibrating));
        assert_eq!(at(60.0).sample.quality, 0.0);
        assert!((0.4..0.6).contains(&at(60.0).calibration));
        assert_eq!(at(150.0).no_signal, None);
        assert!(at(150.0).sample.quality > 0.8);
        assert!((60.0..80.0).contains(&at(150.0).baseline_hr_bpm.unwrap()));
    }

    #[test]
    fn profiles_are_told_apart() {
        let (_, calm) = run(sim(HeartProfile::Calm, 2), 600.0);
        let (_, bored) = run(sim(HeartProfile::Bored, 2), 600.0);
        let (_, gripped) = run(sim(HeartProfile::Gripped, 2), 600.0);
        let (_, stressed) = run(sim(HeartProfile::Stressed, 2), 600.0);
        let a = |v: &[Estimate]| mean(late(v, 300.0).map(|e| e.sample.arousal_z));
        let b = |v: &[Estimate]| mean(late(v, 300.0).map(|e| e.sample.boredom));
        assert!(a(&calm).abs() < 0.75, "calm arousal {}", a(&calm));
        assert!(b(&calm) < 0.6, "calm boredom {}", b(&calm));
        assert!(b(&bored) >= 0.6, "bored boredom {}", b(&bored));
        assert!(a(&bored) < -1.0);
        assert!(
            a(&gripped) > 0.5 && a(&gripped) < 2.0,
            "gripped arousal {}",
            a(&gripped)
        );
        assert!(a(&stressed) > 2.0, "stressed arousal {}", a(&stressed));
        assert_eq!(state_after(&bored, 330.0), EngagementState::Bored);
        assert_eq!(state_after(&stressed, 300.0), EngagementState::Overwhelmed);
    }

    #[test]
    fn ectopic_beats_are_rejected_and_reported() {
        let mut cfg = SimConfig::new(HeartProfile::Calm, 4);
        cfg.ectopic_p = 0.05;
        let (est, v) = run(SimStrap::new(cfg), 300.0);
        let c = est.counts();
        // Each ectopic beat and its compensatory pause are both rejected.
        let rate = c.rejection_rate();
        assert!((0.05..0.2).contains(&rate), "rejection rate {rate} ({c:?})");
        assert!(c.neighbour > 0);
        assert!(v.last().unwrap().artifact_rate > 0.0);
        assert!(
            v.last().unwrap().sample.quality > 0.4,
            "a few artifacts lower quality, they do not zero it"
        );
    }

    #[test]
    fn disconnect_zeroes_quality_at_once_and_reconnect_restores_it() {
        let events: Vec<_> = sim(HeartProfile::Calm, 5)
            .take_while(|e| e.t < 400.0)
            .collect();
        let mut est = Estimator::new(EstimatorConfig::default());
        let (before, after): (Vec<_>, Vec<_>) = events.iter().partition(|e| e.t < 200.0);
        for e in &before {
            est.push(e);
        }
        assert!(est.sample(200.0).sample.quality > 0.5);
        est.push(&SensorEvent {
            t: 200.0,
            kind: EventKind::Disconnected,
        });
        let e = est.sample(200.0);
        assert_eq!(
            (e.sample.quality, e.no_signal),
            (0.0, Some(NoSignal::Disconnected))
        );
        // The strap comes back 30 s later; the baseline is kept.
        let mut back = after.into_iter().filter(|e| e.t >= 230.0);
        for e in back.by_ref().take(6) {
            est.push(e);
        }
        let e = est.sample(236.0);
        assert_eq!(e.no_signal, None, "{e:?}");
        assert!(e.sample.quality > 0.5);
    }

    #[test]
    fn no_contact_and_silence_mean_neutral() {
        let mut est = Estimator::new(EstimatorConfig::default());
        for e in sim(HeartProfile::Calm, 6).take_while(|e| e.t < 150.0) {
            est.push(&e);
        }
        assert_eq!(est.sample(150.0).no_signal, None);
        assert_eq!(est.sample(160.0).no_signal, Some(NoSignal::Stale));
        est.push(&SensorEvent::reading(
            150.5,
            Some(70),
            SensorContact::NotDetected,
            &[850.0],
        ));
        assert_eq!(est.sample(150.5).no_signal, Some(NoSignal::NoContact));
    }

    #[test]
    fn nonsense_is_counted_and_never_poisons_the_baseline() {
        let clean: Vec<_> = sim(HeartProfile::Calm, 7)
            .take_while(|e| e.t < 300.0)
            .collect();
        let mut dirty = Vec::new();
        for e in &clean {
            dirty.push(e.clone());
            // After every real reading, the strap also sends nonsense.
            let t = e.t;
            dirty.push(SensorEvent::reading(
                t,
                Some(0),
                SensorContact::Detected,
                &[],
            ));
            dirty.push(SensorEvent::reading(
                t,
                Some(400),
                SensorContact::Detected,
                &[],
            ));
            dirty.push(SensorEvent::reading(
                t,
                Some(70),
                SensorContact::Detected,
                &[0.0],
            ));
            dirty.push(SensorEvent {
                t,
                kind: EventKind::Malformed { error: "x".into() },
            });
        }
        let (a, _) = run(clean, 300.0);
        let (b, _) = run(dirty, 300.0);
        let (ea, eb) = (a.sample(300.0), b.sample(300.0));
        assert_eq!(ea.baseline_hr_bpm, eb.baseline_hr_bpm);
        assert_eq!((ea.hr_bpm, ea.ln_rmssd), (eb.hr_bpm, eb.ln_rmssd));
        assert_eq!(ea.state, eb.state);
        let c = b.counts();
        assert!(
            c.bad_hr > 500 && c.out_of_range > 250 && c.malformed > 250,
            "{c:?}"
        );
        // With most "beats" nonsense, quality says so.
        assert_eq!(eb.no_signal, Some(NoSignal::TooManyArtifacts));
    }

    #[test]
    fn a_long_scare_does_not_become_the_baseline() {
        let (est, _) = run(sim(HeartProfile::Stressed, 8), 1200.0);
        let e = est.sample(1200.0);
        assert!(e.baseline_hr_bpm.unwrap() < 72.0, "{e:?}");
        assert!(e.sample.arousal_z > 2.0);
    }

    #[test]
    fn hysteresis_keeps_the_state_from_chattering() {
        // Gripped hovers near the 0.75 gripped threshold; count flips.
        let (_, v) = run(sim(HeartProfile::Gripped, 9), 900.0);
        let mut flips = 0;
        let mut prev = None;
        let mut out_changes = 0;
        let mut prev_out = None;
        for e in late(&v, 300.0) {
            if prev.is_some_and(|p| p != e.state) {
                flips += 1;
            }
            prev = Some(e.state);
            if prev_out.is_some_and(|p| p != e.sample.arousal_z) {
                out_changes += 1;
            }
            prev_out = Some(e.sample.arousal_z);
        }
        // 600 s at ~70 bpm is ~700 beats; without hysteresis the state flips
        // far more often than this.
        assert!(flips <= 12, "{flips} state changes in 600 s");
        assert!(
            out_changes < 300,
            "{out_changes} arousal output changes in 600 s"
        );
    }

    #[test]
    fn deterministic_given_the_same_events() {
        let (_, a) = run(sim(HeartProfile::Gripped, 10), 300.0);
        let (_, b) = run(sim(HeartProfile::Gripped, 10), 300.0);
        assert_eq!(a, b);
    }

    #[test]
    fn hr_only_straps_still_give_arousal() {
        let events = sim(HeartProfile::Stressed, 11).map(|mut e| {
            if let EventKind::Reading(r) = &mut e.kind {
                r.rr_ms.clear();
            }
            e
        });
        let (_, v) = run(events, 600.0);
        let last = v.last().unwrap();
        assert_eq!(last.no_signal, None);
        assert!(last.sample.arousal_z > 1.5, "{last:?}");
        assert_eq!(last.ln_rmssd, None);
    }

    #[test]
    fn config_validation_names_the_field() {
        let c = EstimatorConfig {
            hr_window_s: 20.0,
            ..EstimatorConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("hr_window_s"));
        let c = EstimatorConfig {
            bored_exit: 0.9,
            ..EstimatorConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("bored_exit"));
        assert!(EstimatorConfig::default().validate().is_ok());
    }
}
