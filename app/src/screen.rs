//! `showrunner screen`: a headless screening on a simulated clock.
//!
//! The same one-way flow as a headset frame, minus the pixels:
//! viewer → engagement → director → story. Every beat appends one line to
//! `decisions.jsonl` and then saves the session atomically, so a screening
//! killed at any instant resumes (`--resume`) with nothing lost and produces
//! the same bytes as one that was never interrupted.

use crate::persist::write_atomic;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use showrunner_biometrics::{replay, Estimator, EstimatorConfig, SensorEvent};
use showrunner_core::{Directive, EngagementSample, Fate, Palette};
use showrunner_director::{
    ChoiceOption, Chooser, Director, DirectorConfig, DirectorState, Event, InterludeOption,
    StoryView, Tick,
};
use showrunner_show::viewer::{Profile, Recording, SimState, SimViewer};
use showrunner_show::{
    beat_intensity, beat_seconds, choice_option, interlude_options, story_engagement,
};
use showrunner_story::{CompiledStory, RunnerState, Step, StoryRunner};
use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Director ticks per simulated second.
const TICK_HZ: f64 = 10.0;
/// Seconds the simulated viewer takes to make an explicit choice (`--choose`).
const VIEWER_CHOICE_AFTER_S: f64 = 2.5;
/// Save format version.
const SAVE_VERSION: u32 = 1;
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
}

/// The author's staging state, as the directives set it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Staging {
    scene: Option<String>,
    palette: Palette,
    fates: BTreeMap<String, Fate>,
    cast: BTreeMap<String, String>,
    ending: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Counts {
    beats: u64,
    viewer_choices: u64,
    director_choices: u64,
    diverts: u64,
    fate_overrides: u64,
    deescalations: u64,
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
    director: DirectorState,
    runner: RunnerState,
    sim: Option<SimState>,
    clock_s: f64,
    tick: u64,
    choices_used: usize,
    staging: Staging,
    path: Vec<String>,
    counts: Counts,
    pending: Vec<Value>,
    decisions_len: u64,
    finished: bool,
    last_sample: EngagementSample,
    last_intensity: f32,
    last_mercy: bool,
}

fn r4(v: f32) -> f64 {
    (f64::from(v) * 1e4).round() / 1e4
}

fn engagement_json(s: &EngagementSample) -> Value {
    json!({
        "arousal_z": r4(s.arousal_z),
        "boredom": r4(s.boredom),
        "attention": r4(s.attention),
        "quality": r4(s.quality),
    })
}

fn event_json(e: &Event, t: f64, choices: &[String], interludes: &[String]) -> Value {
    let mut v =
        json!({"t": (t * 10.0).round() / 10.0, "kind": e.kind(), "reason": e.reason().to_string()});
    match e {
        Event::Choose { index, .. } => {
            v["choice"] = json!(index);
            v["text"] = json!(choices.get(*index));
        }
        Event::Spare {
            excluded_choice, ..
        } => {
            v["excluded_choice"] = json!(excluded_choice);
            v["text"] = json!(choices.get(*excluded_choice));
        }
        Event::Divert { interlude, .. } => v["interlude"] = json!(interludes.get(*interlude)),
        Event::DeescalateStart(_) | Event::DeescalateEnd(_) => {}
    }
    v
}

struct Screening {
    runner: StoryRunner,
    director: Director,
    sim: Option<SimViewer>,
    recording: Option<Recording>,
    heart: Option<HeartReplay>,
    recorder: Option<crate::report::Recorder>,
    s: Session,
    decisions: fs::File,
    out: PathBuf,
    interlude_names: Vec<String>,
    beat_delay_ms: u64,
}

impl Screening {
    fn sample(&mut self, intensity: f32) -> EngagementSample {
        let t = self.s.clock_s;
        self.s.tick += 1;
        if let Some(h) = &mut self.heart {
            return h.at(t);
        }
        match (&mut self.sim, &self.recording) {
            (Some(v), _) => v.step(self.s.tick, t, (1.0 / TICK_HZ) as f32, intensity),
            (None, Some(r)) => r.at(t),
            (None, None) => EngagementSample::neutral(t),
        }
    }

    /// One director tick at the current clock; the clock then advances.
    fn tick(&mut self, view: &StoryView<'_>) -> Tick {
        let sample = self.sample(self.s.last_intensity);
        self.s.last_sample = sample;
        let tick = self.director.tick(sample, view);
        self.s.clock_s = ((self.s.clock_s * TICK_HZ).round() + 1.0) / TICK_HZ;
        self.s.last_intensity = tick.intensity;
        self.s.last_mercy = tick.mercy;
        tick
    }

    fn record_events(&mut self, tick: &Tick, choices: &[String]) {
        for e in &tick.events {
            match e {
                Event::Choose {
                    by: Chooser::Viewer,
                    ..
                } => self.s.counts.viewer_choices += 1,
                Event::Choose {
                    by: Chooser::Director,
                    ..
                } => self.s.counts.director_choices += 1,
                Event::Divert { .. } => self.s.counts.diverts += 1,
                Event::Spare { .. } => self.s.counts.fate_overrides += 1,
                Event::DeescalateStart(_) => self.s.counts.deescalations += 1,
                Event::DeescalateEnd(_) => {}
            }
            let t = self.s.clock_s;
            self.s
                .pending
                .push(event_json(e, t, choices, &self.interlude_names));
        }
    }

    fn push_engagement(&mut self) -> Result<()> {
        self.runner
            .set_engagement(&story_engagement(&self.s.last_sample, self.s.last_mercy))?;
        Ok(())
    }

    fn beat(&mut self, beat: showrunner_story::Beat) -> Result<()> {
        let author_intensity = beat_intensity(&beat.directives);
        for d in &beat.directives {
            let st = &mut self.s.staging;
            match d {
                Directive::Scene(s) => st.scene = Some(s.clone()),
                Directive::Palette(p) => st.palette = *p,
                Directive::Intensity(_) | Directive::Stakes(_) => {}
                Directive::Fate { character, fate } => {
                    st.fates.insert(character.clone(), *fate);
                }
                Directive::Cast { role, actor } => {
                    st.cast.insert(role.clone(), actor.clone());
                }
                Directive::Ending(e) => st.ending = Some(e.clone()),
                Directive::Shot(_) | Directive::Sfx { .. } => {}
            }
        }
        if self.s.path.last() != Some(&beat.knot) {
            self.s.path.push(beat.knot.clone());
        }
        let t_start = self.s.clock_s;
        let start_sample = self.s.last_sample;
        let duration = beat_seconds(&beat.text, &beat.directives);
        let interludes: Vec<InterludeOption> = interlude_options(&self.runner).collect();
        let view = StoryView {
            palette: self.s.staging.palette,
            author_intensity,
            choices: &[],
            choice_waiting_s: 0.0,
            viewer_choice: None,
            interludes: &interludes,
            can_divert: beat.interlude.is_none(),
        };
        // The beat plays until its duration, stretched or tightened by pacing, has elapsed.
        let mut shown = 0.0;
        let mut divert = None;
        let mut tick = None;
        while shown < duration {
            let tk = self.tick(&StoryView {
                can_divert: view.can_divert && divert.is_none(),
                ..view
            });
            shown += 1.0 / TICK_HZ / f64::from(tk.pacing);
            for e in &tk.events {
                if let Event::Divert { interlude, .. } = e {
                    divert = Some(*interlude);
                }
            }
            self.record_events(&tk, &[]);
            tick = Some(tk);
        }
        let tick = tick.expect("a beat lasts at least one tick");
        self.s.counts.beats += 1;
        if let Some(r) = &mut self.recorder {
            r.beat(
                self.s.counts.beats,
                &beat.directives,
                self.s.clock_s - t_start,
                &tick.grade,
            )?;
        }
        let g = tick.grade;
        let line = json!({
            "beat": self.s.counts.beats,
            "t": (t_start * 10.0).round() / 10.0,
            "duration_s": ((self.s.clock_s - t_start) * 10.0).round() / 10.0,
            "knot": beat.knot,
            "interlude": beat.interlude.map(|i| &self.interlude_names[i]),
            "text": beat.text.trim(),
            "tags": beat.tags,
            "engagement": engagement_json(&start_sample),
            "mode": tick.mode.name(),
            "decisions": {
                "pacing": {"value": r4(tick.pacing), "reason": tick.pacing_reason.to_string()},
                "grade": {
                    "value": {"exposure_ev": r4(g.exposure_ev), "warmth": r4(g.warmth), "saturation": r4(g.saturation), "contrast": r4(g.contrast)},
                    "reason": tick.grade_reason.to_string(),
                },
                "intensity": {"value": r4(tick.intensity), "reason": tick.intensity_reason.to_string()},
                "mercy": tick.mercy,
                "events": std::mem::take(&mut self.s.pending),
            },
        });
        self.append_line(&line)?;
        if let Some(i) = divert {
            self.runner.start_interlude(i)?;
        }
        self.save()?;
        if self.beat_delay_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(self.beat_delay_ms));
        }
        Ok(())
    }

    fn choose(&mut self, choices: Vec<showrunner_story::ChoiceView>) -> Result<()> {
        let options: Vec<ChoiceOption> = choices
            .iter()
            .map(|c| choice_option(&c.directives))
            .collect();
        let texts: Vec<String> = choices.iter().map(|c| c.text.clone()).collect();
        let explicit = self.s.choose.get(self.s.choices_used).copied();
        let started = self.s.clock_s;
        loop {
            let waiting = self.s.clock_s - started;
            let viewer_choice = explicit.filter(|_| waiting >= VIEWER_CHOICE_AFTER_S);
            let tk = self.tick(&StoryView {
                palette: self.s.staging.palette,
                author_intensity: None,
                choices: &options,
                choice_waiting_s: waiting,
                viewer_choice,
                interludes: &[],
                can_divert: false,
            });
            self.record_events(&tk, &texts);
            let chosen = tk.events.iter().find_map(|e| match e {
                Event::Choose { index, by, .. } => Some((*index, *by)),
                _ => None,
            });
            if let Some((index, by)) = chosen {
                if by == Chooser::Viewer {
                    self.s.choices_used += 1;
                }
                for d in &choices[index].directives {
                    if let Directive::Fate { character, fate } = d {
                        self.s.staging.fates.insert(character.clone(), *fate);
                    }
                }
                self.runner.choose(index)?;
                return Ok(());
            }
            if let Some(bad) = viewer_choice {
                bail!(
                    "--choose: choice {} is {bad}, but this choice point offers {} choices",
                    self.s.choices_used + 1,
                    choices.len()
                );
            }
        }
    }

    fn append_line(&mut self, line: &Value) -> Result<()> {
        let mut text = serde_json::to_string(line)?;
        text.push('\n');
        self.decisions.write_all(text.as_bytes())?;
        self.decisions.sync_data()?;
        self.s.decisions_len += text.len() as u64;
        Ok(())
    }

    fn save(&mut self) -> Result<()> {
        self.s.director = self.director.state().clone();
        self.s.runner = self.runner.save()?;
        self.s.sim = self.sim.as_ref().map(|v| v.state);
        let bytes = serde_json::to_vec(&self.s)?;
        write_atomic(&self.out.join("session.json"), &bytes)
    }

    fn summary(&self) -> Value {
        json!({
            "story": self.s.story,
            "viewer": self.s.viewer.label(),
            "seed": self.s.seed,
            "ending": self.s.staging.ending,
            "fates": self.s.staging.fates,
            "cast": self.s.staging.cast,
            "path": self.s.path,
            "counts": self.s.counts,
            "duration_s": (self.s.clock_s * 10.0).round() / 10.0,
            "trailing_events": self.s.pending,
        })
    }
}

fn load_session(path: &Path) -> Result<Session> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the saved session", path.display()))?;
    let s: Session = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: the saved session is corrupted ({e}); it was left untouched — start a new screening with --force, or in another --out folder",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if s.version != SAVE_VERSION {
        bail!(
            "{}: saved by another version of showrunner (format {}, this one reads {SAVE_VERSION})",
            path.display(),
            s.version
        );
    }
    Ok(s)
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
        if session_path.exists() && !args.force {
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
            director: DirectorState::default(),
            runner: RunnerState {
                ink: String::new(),
                interlude: None,
                knot: String::new(),
            },
            sim: None,
            clock_s: 0.0,
            tick: 0,
            choices_used: 0,
            staging: Staging::default(),
            path: Vec::new(),
            counts: Counts::default(),
            pending: Vec::new(),
            decisions_len: 0,
            finished: false,
            last_sample: EngagementSample::neutral(0.0),
            last_intensity: 0.3,
            last_mercy: false,
        }
    };

    let mut runner = StoryRunner::new(&args.story, session.seed)?;
    if args.resume {
        runner.restore(&session.runner, &session_path.display().to_string())?;
    }
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
    session
        .config
        .validate(&session_path.display().to_string())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let director = Director::with_state(session.config.clone(), session.director.clone());
    let decisions = if args.resume {
        let f = OpenOptions::new()
            .append(true)
            .open(&decisions_path)
            .with_context(|| format!("{}: cannot reopen", decisions_path.display()))?;
        // Drop whatever was written after the last save (a partial or unsaved line).
        f.set_len(session.decisions_len)?;
        f
    } else {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&decisions_path)
            .with_context(|| format!("{}: cannot write", decisions_path.display()))?
    };
    let _ = fs::remove_file(out.join("summary.json"));
    let interlude_names = runner.interludes().iter().map(|i| i.knot.clone()).collect();
    let mut sc = Screening {
        runner,
        director,
        sim,
        recording,
        heart,
        recorder: match args.render {
            Some(fps) => Some(crate::report::Recorder::new(
                &out,
                fps,
                crate::room::choose(args.room.as_deref())?,
            )?),
            None => None,
        },
        s: session,
        decisions,
        out: out.clone(),
        interlude_names,
        beat_delay_ms: args.beat_delay_ms,
    };
    if !args.resume {
        sc.save()?;
    }
    loop {
        if sc.s.clock_s > MAX_SCREEN_S {
            bail!(
                "{}: the story ran for 6 simulated hours without ending; does it loop?",
                sc.s.story
            );
        }
        sc.push_engagement()?;
        match sc.runner.next()? {
            Step::Beat(b) => sc.beat(b)?,
            Step::Choices(c) => sc.choose(c)?,
            Step::InterludeOver(_) => {}
            Step::End => break,
        }
    }
    let mut summary = sc.summary();
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
    }
    let mut text = serde_json::to_string_pretty(&summary)?;
    text.push('\n');
    write_atomic(&out.join("summary.json"), text.as_bytes())?;
    if let Some(r) = &sc.recorder {
        r.finish(&out, &summary, &sound_warnings)?;
    }
    sc.s.finished = true;
    sc.save()?;
    Ok(summary)
}
