//! The viewer's heart in `play`: `--heart ble[:NAME|ADDR]`, `--heart sim:PROFILE` or
//! `--heart REC.csv`. A strap (real, or a simulated one in real time) reaches the director
//! through a [`SensorLink`] that its own thread fills and the frame thread drains without ever
//! waiting; a recording stays what the `P` key plays. [`Viewer`] is the engagement source both
//! front ends hand to `Show::advance`.
//!
//! No sensor starts before consent ([`with_consent`], [`answered`]): until the viewer accepts
//! on the show's notice (or an installation says it took consent, `--consent given`), the
//! viewer is [`Viewer::Unsensed`] and no Bluetooth link is opened.

use crate::platform::{Grant, Permission};
use crate::sensors::{open_link, Source};
use anyhow::{bail, Context, Result};
use showrunner_biometrics::ble::Selector;
use showrunner_biometrics::estimator::NoSignal;
use showrunner_biometrics::sim::HeartProfile;
use showrunner_biometrics::{
    replay, Estimator, EstimatorConfig, EventKind, SensorEvent, SensorLink,
};
use showrunner_core::EngagementSample;
use showrunner_show::{Consent, EngagementSource, LiveViewer, Show};
use std::path::PathBuf;

/// What `--heart` names.
#[derive(Debug, Clone, PartialEq)]
pub enum HeartSpec {
    /// A Bluetooth LE strap: the strongest, or the one named (name or address).
    Ble(Selector),
    /// A simulated strap, in real time.
    Sim(HeartProfile),
    /// A heart recording (CSV) that `P` plays in the window.
    Recording(PathBuf),
}

/// `--consent`: how consent to sensing is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ConsentArg {
    /// Ask the viewer on the show's notice before any sensor starts.
    #[default]
    Ask,
    /// The installation took the viewer's consent before the headset went on.
    Given,
    /// The viewer declined beforehand: no sensor starts.
    Declined,
}

impl HeartSpec {
    /// Whether it senses a person (a strap, or a simulated one standing in for it), so
    /// consent comes first; a recording is played, not sensed.
    pub fn senses(&self) -> bool {
        matches!(self, Self::Ble(_) | Self::Sim(_))
    }

    /// `ble`, `ble:NAME|ADDR`, `sim:PROFILE` or the path of a recording.
    pub fn parse(s: &str) -> Result<Self> {
        if s == "ble" {
            return Ok(Self::Ble(Selector::Strongest));
        }
        if let Some(dev) = s.strip_prefix("ble:") {
            if dev.is_empty() {
                bail!("--heart ble:: name the strap (ble:NAME or ble:ADDRESS), or use plain `ble`");
            }
            return Ok(Self::Ble(Selector::parse(dev)));
        }
        if let Some(p) = s.strip_prefix("sim:") {
            return HeartProfile::parse(p).map(Self::Sim).with_context(|| {
                format!(
                    "--heart {s}: unknown profile; use one of sim:{}",
                    HeartProfile::NAMES.join(", sim:")
                )
            });
        }
        let path = PathBuf::from(s);
        if !path.is_file() {
            bail!(
                "--heart {s}: not `ble`, `ble:NAME`, `sim:PROFILE`, nor a heart recording \
                 (record one with `showrunner sensors record`)"
            );
        }
        Ok(Self::Recording(path))
    }
}

/// Latencies kept for the report at the end: enough for an hour of once-a-second beats;
/// preallocated, so recording one never allocates on the frame thread.
const LATENCIES: usize = 1 << 13;

/// A live strap (or a simulated one) drained into the engagement estimator.
pub struct Strap {
    link: SensorLink,
    estimator: Estimator,
    connected: Option<String>,
    ended: Option<String>,
    last: Option<(NoSignal, f32)>,
    hr: Option<f32>,
    /// Seconds from the strap's thread receiving an event to the frame thread taking it.
    to_frame: Vec<f32>,
    /// Link times of events taken since the last tick; and seconds from each to that tick.
    since_tick: Vec<f64>,
    to_tick: Vec<f32>,
}

/// The median and the 99th percentile of `v`, milliseconds.
fn p50_p99_ms(v: &[f32]) -> Option<(f32, f32)> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    let at = |p: f32| s[((s.len() - 1) as f32 * p).round() as usize] * 1e3;
    Some((at(0.5), at(0.99)))
}

impl Strap {
    /// Opens the strap's link: BLE searches and reconnects in the background, never blocking.
    pub fn open(spec: &HeartSpec, seed: u64, baseline_s: f64) -> Result<Self> {
        let cfg = EstimatorConfig {
            baseline_s,
            ..EstimatorConfig::default()
        };
        cfg.validate()
            .map_err(|e| anyhow::anyhow!("--baseline-s {baseline_s}: {e}"))?;
        let src = match spec {
            HeartSpec::Ble(select) => Source::Ble(select.clone()),
            HeartSpec::Sim(p) => Source::Sim(*p),
            HeartSpec::Recording(p) => bail!(
                "{}: a recording is played with the P key, not opened as a strap",
                p.display()
            ),
        };
        let link =
            open_link(&src, seed, false).context("--heart: cannot start the strap's thread")?;
        Ok(Self {
            link,
            estimator: Estimator::new(cfg),
            connected: None,
            ended: None,
            last: None,
            hr: None,
            to_frame: Vec::with_capacity(LATENCIES),
            since_tick: Vec::with_capacity(256),
            to_tick: Vec::with_capacity(LATENCIES),
        })
    }

    fn drain(&mut self) {
        let (est, connected, ended) = (&mut self.estimator, &mut self.connected, &mut self.ended);
        let name = self.link.name();
        let now = self.link.now();
        let (to_frame, since_tick) = (&mut self.to_frame, &mut self.since_tick);
        self.link.drain(|e: SensorEvent| {
            if matches!(e.kind, EventKind::Reading(_)) {
                if to_frame.len() < LATENCIES {
                    to_frame.push((now - e.t).max(0.0) as f32);
                }
                if since_tick.len() < since_tick.capacity() {
                    since_tick.push(e.t);
                }
            }
            match &e.kind {
                EventKind::Connected(s) => *connected = Some(format!("{} ({})", s.name, s.address)),
                EventKind::Disconnected => *connected = None,
                EventKind::Ended { reason } => *ended = Some(reason.clone()),
                // A source without a connection of its own (the simulated strap) is connected
                // by reading.
                EventKind::Reading(_) if connected.is_none() => *connected = Some(name.to_owned()),
                _ => {}
            }
            est.push(&e);
        });
    }

    /// The strap's state, one word: `searching`, `calibrating`, `connected`, `no-contact`,
    /// `reconnecting` or `ended` (the front ends say it the moment it changes).
    pub fn state(&self) -> &'static str {
        if self.ended.is_some() {
            return "ended";
        }
        if self.connected.is_none() {
            return if self.hr.is_some() {
                "reconnecting"
            } else {
                "searching"
            };
        }
        match self.last {
            Some((NoSignal::NoContact, _)) => "no-contact",
            Some((NoSignal::Calibrating, _)) => "calibrating",
            _ => "connected",
        }
    }

    /// How fast heartbeats reached the film, for the log at the end: from the strap's thread
    /// receiving a reading to the frame thread taking it, and to the director's next tick.
    pub fn latency_report(&self) -> Option<String> {
        let (f50, f99) = p50_p99_ms(&self.to_frame)?;
        let (t50, t99) = p50_p99_ms(&self.to_tick).unwrap_or((f32::NAN, f32::NAN));
        Some(format!(
            "strap: {} readings; strap thread → frame thread p50 {f50:.2} ms, p99 {f99:.2} ms; → the director's tick p50 {t50:.1} ms, p99 {t99:.1} ms",
            self.to_frame.len()
        ))
    }

    /// The strap's state in a few words, for the readout and the log: searching, connected,
    /// no contact, reconnecting, calibrating, or ended, with the heart rate when there is one.
    pub fn status(&self) -> String {
        let hr = self.hr.map_or(String::new(), |h| format!(", {h:.0} bpm"));
        if let Some(why) = &self.ended {
            return format!("strap ended ({why})");
        }
        let Some(name) = &self.connected else {
            return if self.hr.is_some() {
                "strap reconnecting".into()
            } else {
                "strap: searching".into()
            };
        };
        match self.last {
            Some((NoSignal::NoContact, _)) => format!("strap {name}: no skin contact"),
            Some((NoSignal::Calibrating, c)) if c < 1.0 => {
                format!("strap {name}: calibrating {:.0}%{hr}", c * 100.0)
            }
            Some((NoSignal::Calibrating, _)) => format!("strap {name}: settling the baseline{hr}"),
            _ => format!("strap {name}: connected{hr}"),
        }
    }
}

impl EngagementSource for Strap {
    fn poll(&mut self) {
        self.drain();
    }

    fn sample(&mut self, t: f64, _intensity: f32) -> EngagementSample {
        self.drain();
        let now = self.link.now();
        for e_t in self.since_tick.drain(..) {
            if self.to_tick.len() < LATENCIES {
                self.to_tick.push((now - e_t).max(0.0) as f32);
            }
        }
        let est = self.estimator.sample(now);
        self.last = est.no_signal.map(|n| (n, est.calibration));
        if est.hr_bpm.is_some() {
            self.hr = est.hr_bpm;
        }
        let mut s = est.sample;
        s.t = t;
        s
    }
}

/// Who drives the director in `play`: the simulated viewer (which `P` can switch to a
/// recording) or a strap.
pub enum Viewer {
    /// Simulated, nudged by the keys; a recording plays through the estimator on `P`.
    Simulated(Box<LiveViewer>),
    /// A live strap.
    Strap(Box<Strap>),
    /// No sensing, neutral engagement: waiting for consent, or the viewer declined.
    Unsensed(&'static str),
}

/// The viewer `play` starts with, and where consent stands: sensing (`--heart` naming a strap,
/// or eye tracking where `eyes`) waits for consent unless `consent` says it was taken
/// (`given`) or refused (`declined`); nothing that senses is opened before. The caller puts the
/// consent on the show ([`apply_consent`]).
pub fn with_consent(
    heart: Option<&HeartSpec>,
    consent: ConsentArg,
    eyes: bool,
    seed: u64,
    baseline_s: f64,
) -> Result<(Viewer, Consent)> {
    let senses = eyes || heart.is_some_and(HeartSpec::senses);
    Ok(match (senses, consent) {
        (false, _) => (Viewer::open(heart, seed, baseline_s)?, Consent::NotNeeded),
        (true, ConsentArg::Given) => (
            Viewer::open(heart, seed, baseline_s)?,
            Consent::GivenOffHeadset,
        ),
        (true, ConsentArg::Declined) => (Viewer::Unsensed(DECLINED), Consent::Declined),
        (true, ConsentArg::Ask) => (
            Viewer::Unsensed("no sensing until the viewer answers"),
            Consent::Asking,
        ),
    })
}

const DECLINED: &str = "no sensing (the viewer declined)";
/// The strap waits for the system's Bluetooth permission (the dialog is up).
pub const WAITING_FOR_BLUETOOTH: &str =
    "no sensing yet (waiting for the headset's Bluetooth permission)";
/// The system refused Bluetooth.
pub const BLUETOOTH_REFUSED: &str = "no sensing (the headset did not allow Bluetooth)";

/// The system answered a permission the film asked for (see [`crate::platform`]): a strap that
/// waited for Bluetooth starts, if the viewer still consents; a refusal is told to the viewer
/// once, in the world, and the film plays on without that input.
pub fn permission_decided(
    show: &mut Show<Viewer>,
    permission: Permission,
    granted: bool,
    heart: Option<&HeartSpec>,
    seed: u64,
    baseline_s: f64,
) {
    println!(
        "permission: the headset {} {permission:?}",
        if granted { "allowed" } else { "refused" }
    );
    if !granted {
        show.tell(permission.refused());
        if permission == Permission::Bluetooth {
            show.viewer = Viewer::Unsensed(BLUETOOTH_REFUSED);
        }
        return;
    }
    let waiting = matches!(show.viewer, Viewer::Unsensed(w) if w == WAITING_FOR_BLUETOOTH);
    if permission == Permission::Bluetooth && waiting && show.consent().sensing() {
        start_sensing(
            show,
            heart,
            seed,
            baseline_s,
            "permission: Bluetooth allowed",
        );
    }
}

/// Puts `consent` (from [`with_consent`]) on the show: the notice when asking, the log's line
/// otherwise.
pub fn apply_consent(show: &mut Show<Viewer>, consent: Consent) {
    match consent {
        Consent::NotNeeded => {}
        Consent::Asking => {
            show.ask_consent();
            println!("consent: asking before sensing; nothing senses the viewer until they answer");
        }
        other => {
            show.set_consent(other);
            println!("consent: {}", other.reason());
        }
    }
}

/// The viewer answered the notice, or switched sensing from the menu: on acceptance (or
/// turning it on) the strap `--heart` names starts now; on a decline none does, and turning
/// it off closes it; engagement is neutral without one. Says which on stdout; a strap that cannot
/// start is a warning, and the film goes on without sensing.
pub fn answered(
    show: &mut Show<Viewer>,
    answer: Consent,
    heart: Option<&HeartSpec>,
    seed: u64,
    baseline_s: f64,
) {
    if answer == Consent::TurnedOff {
        // The strap's account before it goes (as at exit); dropping it closes its link.
        if let Some(report) = show.viewer.latency_report() {
            println!("{report}");
        }
        show.viewer = Viewer::Unsensed("no sensing (turned off from the menu)");
        println!("sensing: off from the menu; the sensors are closed, engagement is neutral");
        return;
    }
    if !answer.sensing() {
        show.viewer = Viewer::Unsensed(DECLINED);
        println!("consent: declined; no sensor starts, the film plays with neutral engagement");
        return;
    }
    let how = if answer == Consent::TurnedOn {
        "sensing: on from the menu"
    } else {
        "consent: given"
    };
    start_sensing(show, heart, seed, baseline_s, how);
}

/// Opens the viewer `--heart` names on `show`, now that it may sense (`how` says why, in the
/// log); a strap that cannot start is a warning, and the film plays with neutral engagement.
fn start_sensing(
    show: &mut Show<Viewer>,
    heart: Option<&HeartSpec>,
    seed: u64,
    baseline_s: f64,
    how: &str,
) {
    match Viewer::open(heart, seed, baseline_s) {
        Ok(v) => {
            show.viewer = v;
            println!("{how}; sensing starts ({})", show.viewer.source());
        }
        Err(e) => {
            show.viewer = Viewer::Unsensed("no sensing (the strap could not start)");
            eprintln!(
                "showrunner: warning: {how}, but {e:#}; the film plays with neutral engagement"
            );
        }
    }
}

impl Viewer {
    /// The viewer `--heart` asks for (none: the simulated one).
    pub fn open(heart: Option<&HeartSpec>, seed: u64, baseline_s: f64) -> Result<Self> {
        Ok(match heart {
            None => Self::Simulated(Box::new(LiveViewer::new(seed, None))),
            Some(HeartSpec::Recording(p)) => {
                Self::Simulated(Box::new(LiveViewer::new(seed, Some(replay::load(p)?))))
            }
            Some(spec) => {
                // A real strap needs the system's leave to use the radio (on a headset: asked
                // now, after the viewer's consent; the strap starts once it is given).
                if let HeartSpec::Ble(_) = spec {
                    match crate::platform::ask(Permission::Bluetooth) {
                        Grant::Granted => {}
                        Grant::Asking => return Ok(Self::Unsensed(WAITING_FOR_BLUETOOTH)),
                        Grant::Refused => return Ok(Self::Unsensed(BLUETOOTH_REFUSED)),
                    }
                }
                eprintln!("{}", crate::sensors::NOTICE);
                Self::Strap(Box::new(Strap::open(spec, seed, baseline_s)?))
            }
        })
    }

    /// What drives the director, for the readout.
    pub fn source(&self) -> String {
        match self {
            Self::Simulated(v) => v.source().to_owned(),
            Self::Strap(s) => s.status(),
            Self::Unsensed(why) => (*why).to_owned(),
        }
    }
}

impl EngagementSource for Viewer {
    fn sample(&mut self, t: f64, intensity: f32) -> EngagementSample {
        match self {
            Self::Simulated(v) => v.sample(t, intensity),
            Self::Strap(s) => s.sample(t, intensity),
            Self::Unsensed(_) => EngagementSample::neutral(t),
        }
    }

    fn poll(&mut self) {
        if let Self::Strap(s) = self {
            s.poll();
        }
    }
}

impl Viewer {
    /// The strap's state (`searching`, `calibrating`, `connected`, `no-contact`,
    /// `reconnecting`, `ended`), `None` without a strap.
    pub fn strap_state(&self) -> Option<&'static str> {
        match self {
            Self::Strap(s) => Some(s.state()),
            Self::Simulated(_) | Self::Unsensed(_) => None,
        }
    }

    /// The strap's state and whether the director gets a signal, when either changed since
    /// the last call (`last` keeps the previous pair), with the last tick's `quality`: what the
    /// front ends print at once.
    pub fn strap_change(&self, last: &mut (&'static str, bool), quality: f32) -> Option<String> {
        let Self::Strap(s) = self else { return None };
        let now = (s.state(), quality > 0.0);
        if now == *last {
            return None;
        }
        *last = now;
        Some(format!(
            "strap: {} ({}) quality {quality:.2}",
            now.0,
            s.status()
        ))
    }

    /// The strap's latency report (none for a simulated viewer).
    pub fn latency_report(&self) -> Option<String> {
        match self {
            Self::Strap(s) => s.latency_report(),
            Self::Simulated(_) | Self::Unsensed(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heart_specs_parse_and_bad_ones_say_what_to_write() {
        assert_eq!(
            HeartSpec::parse("ble").unwrap(),
            HeartSpec::Ble(Selector::Strongest)
        );
        assert!(matches!(
            HeartSpec::parse("ble:Polar H10").unwrap(),
            HeartSpec::Ble(_)
        ));
        assert!(matches!(
            HeartSpec::parse("sim:stressed").unwrap(),
            HeartSpec::Sim(_)
        ));
        let e = HeartSpec::parse("sim:sleepy").unwrap_err().to_string();
        assert!(e.contains("sim:sleepy") && e.contains("sim:"), "{e}");
        let e = HeartSpec::parse("nowhere.csv").unwrap_err().to_string();
        assert!(e.contains("`ble`") && e.contains("sensors record"), "{e}");
        assert!(HeartSpec::parse("ble:").is_err());
    }

    #[test]
    fn a_refused_permission_is_told_once_and_the_film_plays_unsensed() {
        let story = crate::load_story(None).unwrap();
        let mut show = Show::new(
            &story,
            1,
            showrunner_director::DirectorConfig::default(),
            crate::sets::library(&story.path, &Default::default()).unwrap(),
            Viewer::Unsensed(WAITING_FOR_BLUETOOTH),
        )
        .unwrap();
        show.set_consent(Consent::Given);
        let strap = HeartSpec::Ble(Selector::Strongest);
        permission_decided(
            &mut show,
            Permission::Bluetooth,
            false,
            Some(&strap),
            1,
            5.0,
        );
        assert!(matches!(show.viewer, Viewer::Unsensed(w) if w == BLUETOOTH_REFUSED));
        permission_decided(
            &mut show,
            Permission::EyeTracking,
            false,
            Some(&strap),
            1,
            5.0,
        );
        // A granted permission opens nothing the film was not waiting for.
        permission_decided(&mut show, Permission::Bluetooth, true, Some(&strap), 1, 5.0);
        assert!(matches!(show.viewer, Viewer::Unsensed(w) if w == BLUETOOTH_REFUSED));
        let mut told = Vec::new();
        let none = showrunner_show::ViewerInput::default();
        while show.clock() < 40.0 {
            show.advance(0.25, &none).unwrap();
            if !told.contains(&show.readout.notice) && !show.readout.notice.is_empty() {
                told.push(show.readout.notice.clone());
            }
        }
        let refused: Vec<&String> = told
            .iter()
            .filter(|n| n.starts_with("The headset did not allow"))
            .collect();
        assert_eq!(
            refused,
            [
                Permission::Bluetooth.refused(),
                Permission::EyeTracking.refused()
            ],
            "each told once, in turn: {told:?}"
        );
    }

    #[test]
    fn a_simulated_strap_connects_and_reads_a_heart_in_real_time() {
        let mut strap = Strap::open(
            &HeartSpec::Sim(HeartProfile::parse("calm").unwrap()),
            1,
            5.0,
        )
        .unwrap();
        assert_eq!(
            strap.status(),
            "strap: searching",
            "nothing has arrived yet"
        );
        let start = std::time::Instant::now();
        // Frames until the heart rate is known (a few beats in real time), 20 s at most.
        while !strap.status().contains("bpm") && start.elapsed().as_secs_f64() < 20.0 {
            // Each frame drains what arrived and returns; it never waits on the strap.
            let s = strap.sample(start.elapsed().as_secs_f64(), 0.3);
            assert!(s.quality.is_finite() && s.arousal_z.is_finite());
            std::thread::sleep(std::time::Duration::from_millis(11));
        }
        let status = strap.status();
        assert!(
            status.starts_with("strap sim") && status.contains("bpm"),
            "{status}"
        );
    }
}
