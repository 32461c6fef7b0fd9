//! `showrunner screen`: a headless screening on a simulated clock.
//!
//! The same [`Show`] a headset plays, minus the pixels, on a simulated clock:
//! viewer → engagement → director → story. Every beat appends one line to
//! `decisions.jsonl` and then saves the session atomically, so a screening
//! killed at any instant resumes (`--resume`) with nothing lost and produces
//! the same bytes as one that was never interrupted.

use crate::persist::{private_file, write_private};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use showrunner_biometrics::{replay, Estimator, EstimatorConfig, SensorEvent};
use showrunner_core::EngagementSample;
use showrunner_director::{Chooser, DirectorConfig, Event};
use showrunner_show::viewer::{Profile, Recording, SimState, SimViewer};
use showrunner_show::{EngagementSource, Show, ShowState};
use showrunner_story::CompiledStory;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use showrunner_show::TICK_HZ;
/// Seconds the simulated viewer takes to make an explicit choice (`--choose`).
const VIEWER_CHOICE_AFTER_S: f64 = 2.5;
/// Save format version (2: the show's state is one [`ShowState`]).
const SAVE_VERSION: u32 = 2;
/// A story that runs this long (simulated) is assumed to loop.
const MAX_SCREEN_S: f64 = 6.0 * 3600.0;

/// Who is watching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewerSpec {
    /// A simulated profile.
    Profile(Profile),
    /// A recorded engagement file (JSON lines).
    Recording(PathBuf),
    /// A heart recording (CSV), read through the engagement estimator.
    Heart(PathBuf),
}

impl ViewerSpec {
    /// `calm|bored|gripped|stressed` or a path to a recording.
    pub fn parse(s: &str) -> Result<Self> {
        if let Some(p) = Profile::parse(s) {
            return Ok(ViewerSpec::Profile(p));
        }
        let path = PathBuf::from(s);
        if path.is_file() {
            return Ok(ViewerSpec::Recording(path));
        }
        bail!(
            "--viewer {s}: not a profile ({}) nor an engagement recording file",
            Profile::NAMES.join(", ")
        )
    }

    /// A heart recording, checked to exist.
    pub fn heart(path: &Path) -> Result<Self> {
        if !path.is_file() {
            bail!(
                "--heart {}: no such file (record one with `showrunner sensors record`)",
                path.display()
            );
        }
        Ok(ViewerSpec::Heart(path.to_path_buf()))
    }

    fn label(&self) -> String {
        match self {
            ViewerSpec::Profile(p) => serde_json::to_value(p)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned(),
            ViewerSpec::Recording(p) => p.display().to_string(),
            ViewerSpec::Heart(p) => format!("heart:{}", p.display()),
        }
    }
}

/// A heart recording played through the engagement estimator on the
/// screening's simulated clock. The estimator's state depends only on the
/// events fed so far, so a resumed screening that feeds the same events up to
/// the same time continues exactly where the first one stopped.
struct HeartReplay {
    events: Vec<SensorEvent>,
    next: usize,
    estimator: Estimator,
}

impl HeartReplay {
    fn load(path: &Path) -> Result<Self> {
        Ok(Self {
            events: replay::load(path)?,
            next: 0,
            estimator: Estimator::new(EstimatorConfig::default()),
        })
    }

    fn at(&mut self, t: f64) -> EngagementSample {
        while let Some(e) = self.events.get(self.next).filter(|e| e.t <= t) {
            self.estimator.push(e);
            self.next += 1;
        }
        self.estimator.sample(t).sample
    }
}

/// What a screening needs.
#[derive(Debug, Clone)]
pub struct ScreenArgs {
    /// The story.
    pub story: CompiledStory,
    /// Who watches.
    pub viewer: ViewerSpec,
    /// Seed for the story's and the simulated viewer's randomness.
    pub seed: u64,
    /// Output folder.
    pub out: PathBuf,
    /// The director's policy.
    pub config: DirectorConfig,
    /// Explicit viewer choices, in order.
    pub choose: Vec<usize>,
    /// Continue a saved session.
    pub resume: bool,
    /// Start over even if an unfinished session is there.
    pub force: bool,
    /// Wall-clock pause per beat (for demos and crash tests).
    pub beat_delay_ms: u64,
    /// Render frames and a report: `Some(fps)`, one still per beat plus
    /// `fps` frames per second of each beat (0 for stills only).
    pub render: Option<f32>,
    /// Render the soundtrack with the sound library in this folder.
    pub audio: Option<PathBuf>,
    /// With `render`: a photo of the room whose light the stills take.
    pub room: Option<PathBuf>,
    /// With `render`: the stills' width and height.
    pub still_size: (u32, u32),
    /// With `render`: sign the stills, the contact sheet and the soundtrack with C2PA content
    /// credentials, with this certificate chain and key (PEM).
    pub sign: Option<(PathBuf, PathBuf)>,
    /// `--set` and `--cast`.
    pub staging: crate::sets::Staging,
    /// `--generate`, `--generator URL`: the story grows at its extension points.
    pub generate: crate::grow::GenerateArgs,
}

/// Everything a resumed screening needs, saved after every beat.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Session {
    version: u32,
    story: String,
    fingerprint: String,
    seed: u64,
    viewer: ViewerSpec,
    choose: Vec<usize>,
    config: DirectorConfig,
    /// The show at the end of the last beat (`None` before the first beat ends).
    show: Option<ShowState>,
    sim: Option<SimState>,
    choices_used: usize,
    decisions_len: u64,
    finished: bool,
}

/// The screening's viewer: a simulated profile, an engagement recording or a heart recording,
/// answering the director's ticks on the simulated clock.
struct ScreenViewer {
    sim: Option<SimViewer>,
    recording: Option<Recording>,
    heart: Option<HeartReplay>,
    /// Ticks answered so far (the simulated viewer's noise is counted in ticks).
    tick: u64,
}

impl EngagementSource for ScreenViewer {
    fn sample(&mut self, t: f64, intensity: f32) -> EngagementSample {
        self.tick += 1;
        if let Some(h) = &mut self.heart {
            return h.at(t);
        }
        match (&mut self.sim, &self.recording) {
            (Some(v), _) => v.step(self.tick, t, (1.0 / TICK_HZ) as f32, intensity),
            (None, Some(r)) => r.at(t),
            (None, None) => EngagementSample::neutral(t),
        }
    }
}

struct Screening {
    show: Show<ScreenViewer>,
    /// The story growing at its extension points (`--generate`).
    grow: Option<crate::grow::Grow>,
    recorder: Option<crate::report::Recorder>,
    s: Session,
    decisions: fs::File,
    out: PathBuf,
    beat_delay_ms: u64,
}

impl Screening {
    /// One director tick: the explicit choice the simulated viewer makes once a choice point
    /// has waited long enough, the beats that ended written down, the save after each.
    fn tick(&mut self) -> Result<()> {
        let explicit = self.s.choose.get(self.s.choices_used).copied();
        if let (Some(c), Some(waiting)) = (explicit, self.show.choice_waiting_s()) {
            if waiting >= VIEWER_CHOICE_AFTER_S {
                let offered = self.show.readout.choices.len();
                if c >= offered {
                    bail!(
                        "--choose: choice {} is {c}, but this choice point offers {offered} choices",
                        self.s.choices_used + 1,
                    );
                }
                self.show.choose(c);
            }
        }
        let frame = self.show.tick()?;
        if let Some(g) = &mut self.grow {
            g.frame(&mut self.show, &frame)?;
        }
        for tick in &frame.ticks {
            for e in &tick.events {
                if let Event::Choose {
                    by: Chooser::Viewer,
                    ..
                } = e
                {
                    self.s.choices_used += 1;
                }
            }
        }
        for beat in &frame.beats {
            if let Some(r) = &mut self.recorder {
                r.beat(beat)?;
            }
            self.append_line(&beat.line)?;
        }
        if let Some(state) = frame.save {
            self.s.show = Some(*state);
            self.save()?;
            if self.beat_delay_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(self.beat_delay_ms));
            }
        }
        Ok(())
    }

    fn append_line(&mut self, line: &str) -> Result<()> {
        self.decisions.write_all(line.as_bytes())?;
        self.decisions.sync_data()?;
        self.s.decisions_len += line.len() as u64;
        Ok(())
    }

    fn save(&mut self) -> Result<()> {
        self.s.sim = self.show.viewer.sim.as_ref().map(|v| v.state);
        let bytes = serde_json::to_vec(&self.s)?;
        Ok(write_private(&self.out.join("session.json"), &bytes)?)
    }
}

/// Whether the session saved at `path` is a finished screening, whatever version wrote it
/// (`None`: unreadable, or not a session).
fn finished(path: &Path) -> Option<bool> {
    let v: Value = serde_json::from_str(&fs::read_to_string(path).ok()?).ok()?;
    v.get("finished")?.as_bool()
}

fn load_session(path: &Path) -> Result<Session> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the saved session", path.display()))?;
    let corrupted = |e: serde_json::Error| {
        anyhow::anyhow!(
            "{}:{}:{}: the saved session is corrupted ({e}); it was left untouched — start a new screening with --force, or in another --out folder",
            path.display(),
            e.line(),
            e.column()
        )
    };
    // The version first: a save of another format is not a corrupted one.
    let v: Value = serde_json::from_str(&text).map_err(corrupted)?;
    let version = v.get("version").and_then(Value::as_u64);
    if version != Some(u64::from(SAVE_VERSION)) {
        bail!(
            "{}: saved by another version of showrunner (format {}, this one reads {SAVE_VERSION}), so it cannot be resumed; it was left untouched — start over with --force, or in another --out folder",
            path.display(),
            version.map_or("unknown".into(), |v| v.to_string())
        );
    }
    serde_json::from_str(&text).map_err(corrupted)
}

/// Runs a screening; returns the summary.
pub fn screen(args: ScreenArgs) -> Result<Value> {
    let out = args.out.clone();
    fs::create_dir_all(&out)
        .with_context(|| format!("{}: cannot create the output folder", out.display()))?;
    let session_path = out.join("session.json");
    let decisions_path = out.join("decisions.jsonl");
    let fingerprint = args.story.fingerprint();

    let session = if args.resume {
        let s = load_session(&session_path)?;
        if s.fingerprint != fingerprint {
            bail!(
                "{}: this session screened a different story ({}, fingerprint {}); pass that story with --story",
                session_path.display(),
                s.story,
                s.fingerprint
            );
        }
        if s.finished {
            bail!(
                "{}: this screening already finished; see {}",
                session_path.display(),
                out.join("summary.json").display()
            );
        }
        s
    } else {
        // A finished screening is screened over, whichever version made it.
        if session_path.exists() && !args.force && finished(&session_path) != Some(true) {
            match load_session(&session_path) {
                Ok(s) if s.finished => {}
                Ok(_) => bail!(
                    "{}: an unfinished screening is saved here; continue it with --resume or start over with --force",
                    out.display()
                ),
                Err(e) => bail!("{e:#}"),
            }
        }
        Session {
            version: SAVE_VERSION,
            story: args.story.path.clone(),
            fingerprint,
            seed: args.seed,
            viewer: args.viewer.clone(),
            choose: args.choose.clone(),
            config: args.config.clone(),
            show: None,
            sim: None,
            choices_used: 0,
            decisions_len: 0,
            finished: false,
        }
    };
    let origin = session_path.display().to_string();
    session
        .config
        .validate(&origin)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let heart = match &session.viewer {
        ViewerSpec::Heart(p) => Some(HeartReplay::load(p)?),
        _ => None,
    };
    let (sim, recording) = match &session.viewer {
        ViewerSpec::Profile(p) => {
            let mut v = SimViewer::new(*p, session.seed);
            if let Some(st) = session.sim {
                v.state = st;
            }
            (Some(v), None)
        }
        ViewerSpec::Recording(p) => (None, Some(Recording::load(p)?)),
        ViewerSpec::Heart(_) => (None, None),
    };
    let viewer = ScreenViewer {
        sim,
        recording,
        heart,
        tick: session.show.as_ref().map_or(0, |s| s.ticks),
    };
    // The certificate is proved before the film starts, not found wanting at its end.
    let signing = crate::sign::load(
        args.sign.as_ref(),
        &args.story.path,
        &session.fingerprint,
        session.seed,
    )?;
    let episodes = out.join("episodes");
    let show = match &session.show {
        Some(state) => Show::resume(
            &crate::grow::story_as_saved(&args.story, &episodes, &state.fingerprint)?,
            session.config.clone(),
            crate::sets::library(&args.story.path, &args.staging)?,
            state,
            &origin,
            viewer,
        )?,
        None => Show::new(
            &args.story,
            session.seed,
            session.config.clone(),
            crate::sets::library(&args.story.path, &args.staging)?,
            viewer,
        )?,
    };
    let decisions = if args.resume {
        let f = OpenOptions::new()
            .append(true)
            .open(&decisions_path)
            .with_context(|| format!("{}: cannot reopen", decisions_path.display()))?;
        // Drop whatever was written after the last save (a partial or unsaved line).
        f.set_len(session.decisions_len)?;
        f
    } else {
        private_file(&decisions_path)?
    };
    let _ = fs::remove_file(out.join("summary.json"));
    if !args.resume && episodes.is_dir() {
        fs::remove_dir_all(&episodes).with_context(|| {
            format!(
                "{}: cannot clear the last screening's episodes",
                episodes.display()
            )
        })?;
    }
    let mut sc = Screening {
        show,
        // The simulated clock waits for each episode: the same seed and model, the same film.
        grow: crate::grow::Grow::start(
            &args.generate,
            session.seed,
            Some(episodes),
            Some(std::time::Duration::from_secs(900)),
        )?,
        recorder: match args.render {
            Some(fps) => Some(crate::report::Recorder::new(
                &out,
                fps,
                crate::room::choose(args.room.as_deref())?,
                &args.story.path,
                args.still_size,
                &args.staging,
                signing,
            )?),
            None => None,
        },
        s: session,
        decisions,
        out: out.clone(),
        beat_delay_ms: args.beat_delay_ms,
    };
    if !args.resume {
        sc.save()?;
    }
    while !sc.show.readout.ended {
        if sc.show.clock() > MAX_SCREEN_S {
            bail!(
                "{}: the story ran for 6 simulated hours without ending; does it loop?",
                sc.s.story
            );
        }
        sc.tick()?;
    }
    let mut summary = sc
        .show
        .summary(&sc.s.viewer.label())
        .context("a screening leads its show")?;
    let mut sound_warnings = Vec::new();
    if let Some(sounds) = &args.audio {
        let st = crate::soundtrack::render(&out, sounds, &sc.s.story)?;
        for w in &st.warnings {
            eprintln!("showrunner: warning: {w}");
        }
        summary["soundtrack"] = json!({
            "file": "soundtrack.wav",
            "seconds": st.seconds,
            "stingers": st.stingers,
            "effects": st.effects,
            "warnings": st.warnings.len(),
        });
        sound_warnings = st.warnings;
        if let Some(r) = &sc.recorder {
            r.sign_soundtrack(&out.join("soundtrack.wav"))?;
        }
    }
    if let Some(c) = sc.recorder.as_ref().and_then(|r| r.credentials()) {
        summary["credentials"] = c;
    }
    let mut text = serde_json::to_string_pretty(&summary)?;
    text.push('\n');
    write_private(&out.join("summary.json"), text.as_bytes())?;
    if let Some(r) = &sc.recorder {
        r.finish(&out, &summary, &sound_warnings)?;
    }
    sc.s.finished = true;
    sc.save()?;
    Ok(summary)
}
