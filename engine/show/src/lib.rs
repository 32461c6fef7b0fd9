//! The film as one thing: the story runner, the director, the engagement source's samples, the
//! session log and the staged [`Scene`], advanced one frame at a time by [`Show::advance`]. The
//! window and the headset are shells around it: they read input into a [`ViewerInput`], call
//! `advance`, and present the scene, the [`ShowFrame`] and the [`Readout`]. The headless
//! screening (`screen`) is the same show on a simulated clock ([`Show::tick`]), writing the
//! log's lines and the saves it hands out.
//!
//! The director ticks at a fixed 10 Hz whatever the display rate (the film's decisions do not
//! depend on it), each new beat's directives are staged, the choice panels follow the viewer,
//! the gaze measures attention and can take a choice by dwelling ([`gaze`]), the director's
//! intensity is what the actors play, and the scene steps (locomotion, gesture, physics).
//! Before anything senses the viewer the show can hold the film behind a notice and ask
//! ([`consent`]); until the viewer accepts, the eyes' ray is not read.
//!
//! A show can also *follow* ([`Show::follower`]): it plays the [`Cue`]s another show hands
//! out (beats, the director's ticks, choices) with no story runner or director of its own.
//!
//! No wgpu, no burn, no Bluetooth stack: it builds and tests in seconds.

use anyhow::{bail, Context, Result};
use arrayvec::ArrayVec;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use showrunner_core::{Directive, EngagementSample, Palette};
use showrunner_director::{
    Chooser, Director, DirectorConfig, DirectorState, Event, Grade, InterludeOption, StoryView,
    Tick,
};
use showrunner_scene::captions::{notice_system, subtitle_system};
use showrunner_scene::choices::{aimed_choice, choice_panels_system};
use showrunner_scene::glam::Vec3;
use showrunner_scene::sets::SetLibrary;
use showrunner_scene::Scene;
use showrunner_story::{CompiledStory, ExtensionPoint, RunnerState, Step, StoryGraph, StoryRunner};
use std::collections::VecDeque;

mod beat;
pub mod comfort;
pub mod consent;
mod endings;
pub mod gaze;
mod log;
pub mod menu;
mod source;
pub mod viewer;

pub use beat::{beat_intensity, beat_seconds, choice_option, interlude_options, story_engagement};
pub use consent::Consent;
pub use log::{BeatRecord, Counts, LogState, Staging};
pub use source::{EngagementSource, LiveViewer};

/// Director ticks per second (the screening's rate).
pub const TICK_HZ: f64 = 10.0;
const TICK_S: f64 = 1.0 / TICK_HZ;
/// The most director ticks one frame can hold (a frame's `dt` is capped at 0.25 s).
pub const MAX_TICKS_PER_FRAME: usize = 4;
/// Version of [`ShowState`]'s format.
pub const SAVE_VERSION: u32 = 2;

enum Phase {
    /// Between steps: the next tick asks the story for the next one.
    Next,
    Beat {
        duration: f64,
        shown: f64,
        divert: Option<usize>,
        author_intensity: Option<f32>,
        can_divert: bool,
    },
    Choosing {
        options: Vec<showrunner_director::ChoiceOption>,
        texts: Vec<String>,
        fates: Vec<Vec<Directive>>,
        started: f64,
    },
    Ended,
}

/// What the front end shows about the show: the readout.
#[derive(Debug, Clone)]
pub struct Readout {
    /// The engagement sample of the last tick.
    pub sample: EngagementSample,
    /// The director's mode (`engaged`, `bored`, `gripped`, ...).
    pub mode: &'static str,
    /// Beat pacing scale.
    pub pacing: f32,
    /// Intensity the director asks of the scene.
    pub intensity: f32,
    /// The colour grade.
    pub grade: Grade,
    /// The refiner's strength the director asks for (0 = off).
    pub refine_strength: f32,
    /// The director's last event, as a sentence (`kind: reason`), for status lines.
    pub decision: String,
    /// The current beat's text (subtitles).
    pub text: String,
    /// Choices on offer (empty outside a choice point).
    pub choices: Vec<String>,
    /// The choice panel the gaze dwells on and how far its ring has filled (0 ..= 1).
    pub dwell: Option<(usize, f32)>,
    /// Attention measured from the gaze, when the gaze reports ([`gaze`]).
    pub gaze_attention: Option<f32>,
    /// Beats shown so far.
    pub beats: u64,
    /// The knot of the current beat (for messages about its cues).
    pub knot: String,
    /// High-stakes interludes the director has diverted to so far.
    pub diverts: u64,
    /// The viewer paused the show.
    pub paused: bool,
    /// The story has ended.
    pub ended: bool,
    /// A notice the viewer is reading (the consent notice), shown above the panels; empty
    /// when none.
    pub notice: String,
}

/// What the viewer does this frame, as the front end read it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ViewerInput {
    /// Where the viewer's head is (stage space): the choice panels face it.
    pub head: Vec3,
    /// Which way the head faces (stage space; zero: straight ahead, −z): the subtitle
    /// follows it softly ([`showrunner_scene::captions`]).
    pub facing: Vec3,
    /// The ray a controller (or the window's view) points along (origin, unit direction): the
    /// panel it meets lights up, and `select` takes it. `None` when nothing points.
    pub pointer: Option<(Vec3, Vec3)>,
    /// The ray the eyes look along (the headset's eye tracking; in the window, the ray through
    /// the mouse pointer): attention, and choosing by dwell. `None` when nothing reports gaze.
    pub gaze: Option<(Vec3, Vec3)>,
    /// A select press this frame (takes the panel `pointer` meets).
    pub select: bool,
    /// A menu's "choose option N" this frame (the window's number keys).
    pub choose: Option<usize>,
    /// Pause or resume this frame.
    pub pause: bool,
    /// Open or close the viewer's menu this frame ([`menu`]).
    pub menu: bool,
}

impl ViewerInput {
    /// The input moved from the viewer's tracking space into the set, where `vantage` stands
    /// them.
    pub fn placed(&self, vantage: &showrunner_scene::vantage::Vantage) -> ViewerInput {
        let ray =
            |r: Option<(Vec3, Vec3)>| r.map(|(o, d)| (vantage.point(o), vantage.direction(d)));
        // No facing means straight ahead: the vantage's ahead.
        let facing = if self.facing == Vec3::ZERO {
            Vec3::NEG_Z
        } else {
            self.facing
        };
        ViewerInput {
            head: vantage.point(self.head),
            facing: vantage.direction(facing),
            pointer: ray(self.pointer),
            gaze: ray(self.gaze),
            ..*self
        }
    }
}

/// What one frame brought, for the front end to present or report: what changed (a beat's
/// directives and subtitles, the choices on offer, the director's ticks with their grade,
/// intensity, refine strength and events, the log's lines, the save). The standing state is in
/// [`Show::readout`].
#[derive(Debug, Default)]
pub struct ShowFrame {
    /// The directives staged this frame (a new beat's, a choice's fates); empty in most frames.
    /// Sound takes its cues from them.
    pub staged: Vec<Directive>,
    /// The subtitles, when a beat began this frame (they stay in [`Readout::text`]).
    pub subtitles: Option<String>,
    /// The choices on offer, when the offer changed this frame (empty: it ended); they stay
    /// in [`Readout::choices`].
    pub choices: Option<Vec<String>>,
    /// What could not be staged this frame (a scene with no set), each said once.
    pub warnings: Vec<String>,
    /// The director's ticks in this frame (at 10 Hz: none in most frames at display rates),
    /// each with its grade, intensity, refine strength and events.
    pub ticks: ArrayVec<Tick, MAX_TICKS_PER_FRAME>,
    /// Beats that ended this frame, with their log lines.
    pub beats: Vec<BeatRecord>,
    /// The show's state after the last beat that ended this frame: what a save holds.
    pub save: Option<Box<ShowState>>,
    /// A select this frame: the choice it took, or `None` when it pointed at no panel.
    pub select: Option<Option<usize>>,
    /// A choice the gaze took by dwelling this frame.
    pub dwelt: Option<usize>,
    /// What a follower needs to play this frame (only with [`Show::hand_out_cues`]).
    pub cues: Vec<Cue>,
    /// The viewer answered the consent notice, or switched sensing from the menu, this
    /// frame: the front end starts its sensors where [`Consent::sensing`] and closes them
    /// (or starts none) otherwise.
    pub consent: Option<Consent>,
    /// The viewer asked from the menu to recentre the view.
    pub recentre: bool,
}

/// What a following show is handed: the leader's story, as it plays.
#[derive(Debug, Clone, PartialEq)]
pub enum Cue {
    /// A beat began.
    Beat {
        /// Its knot.
        knot: String,
        /// Its text.
        text: String,
        /// Its directives.
        directives: Vec<Directive>,
    },
    /// Choices are on offer (their texts).
    Choices(Vec<String>),
    /// A choice was taken: the fates it staged.
    Chose {
        /// Which choice.
        index: usize,
        /// Its `fate:` directives.
        fates: Vec<Directive>,
    },
    /// The director ticked.
    Tick(Box<Tick>),
    /// The leader's director and clock as a host across a network says them: for a follower
    /// that is not handed every tick (a venue's seat in a shared film).
    Director {
        /// The leader's show clock, seconds (a follower's clock never goes back).
        clock_s: f64,
        /// Its mode.
        mode: showrunner_director::Mode,
        /// Its intensity, 0 ..= 1.
        intensity: f32,
        /// The grade.
        grade: Grade,
        /// The refiner's strength.
        refine_strength: f32,
        /// Its last decision, in words.
        decision: String,
    },
    /// The story ended.
    End,
}

/// What the viewer restaged from the menu: characters recast (actor → the performer who plays
/// them) and scenes moved to another set (scene → set). Kept in the save, so a resumed film
/// plays as the viewer left it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restaged {
    /// Actor → the performer who plays them now.
    pub recast: std::collections::BTreeMap<String, String>,
    /// Scene → the set it plays in now.
    pub settings: std::collections::BTreeMap<String, String>,
}

impl Restaged {
    /// Keeps `key` → `to` in `map`, or forgets `key` when `to` is `key` itself (as written).
    fn keep(map: &mut std::collections::BTreeMap<String, String>, key: &str, to: &str) {
        if key == to {
            map.remove(key);
        } else {
            map.insert(key.to_owned(), to.to_owned());
        }
    }
}

/// Everything needed to continue a show where it was, taken at the end of a beat: story
/// position, director state, the log. No heart samples: only the director's summary of the last
/// tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowState {
    /// Format version ([`SAVE_VERSION`]).
    pub version: u32,
    /// The story's fingerprint (a save belongs to one story).
    pub fingerprint: String,
    /// The story's seed.
    pub seed: u64,
    /// Show time, seconds.
    pub clock_s: f64,
    /// Director ticks so far.
    pub ticks: u64,
    /// The director's memory.
    pub director: DirectorState,
    /// The story's position.
    pub runner: RunnerState,
    /// The author's palette.
    pub palette: Palette,
    /// The last tick's sample, intensity and mercy (what ink and the next tick read).
    pub last_sample: EngagementSample,
    /// See `last_sample`.
    pub last_intensity: f32,
    /// See `last_sample`.
    pub last_mercy: bool,
    /// Beats begun and interludes diverted to.
    pub beats: u64,
    /// See `beats`.
    pub diverts: u64,
    /// The log: staging, path, counts, pending events.
    pub log: LogState,
    /// What the viewer restaged from the menu (absent in saves from before the menu could).
    #[serde(default)]
    pub restaged: Restaged,
}

impl ShowState {
    /// Reads a save, naming `origin` (its file) in every error.
    pub fn from_json(text: &str, origin: &str) -> Result<Self> {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{origin}:{}:{}: the save is corrupted ({e}); it was left untouched",
                e.line(),
                e.column()
            )
        })?;
        let version = v.get("version").and_then(Value::as_u64);
        if version != Some(u64::from(SAVE_VERSION)) {
            bail!(
                "{origin}: saved by another version of showrunner (format {}, this one reads {SAVE_VERSION}); it was left untouched",
                version.map_or("unknown".into(), |v| v.to_string())
            );
        }
        serde_json::from_value(v)
            .with_context(|| format!("{origin}: not a showrunner save; it was left untouched"))
    }
}

/// The story and the director, for a show that leads.
struct Lead {
    runner: StoryRunner,
    director: Director,
    phase: Phase,
    /// The interludes as the director weighs them, refreshed when the story steps (ink's visit
    /// counts only change then, and reading them allocates).
    interludes: Vec<InterludeOption>,
    log: log::Log,
    fingerprint: String,
    seed: u64,
    /// The story: its fate marks (the menu's entries) and looking ahead from a choice point
    /// (another ending).
    story: CompiledStory,
    /// The main flow's choice points so far.
    checkpoints: Vec<endings::Checkpoint>,
    /// The endings this viewer has seen in this session.
    seen_endings: Vec<String>,
    /// Actors in the order the story cast them (marks are given in that order), for
    /// [`Show::staged`]; empty after a resume, which stages in the log's order.
    cast_order: Vec<String>,
    /// Where the story may grow, and its knot graph to look ahead in.
    growth: Growth,
}

/// Where the story may grow: its extension points, and which is ahead of the viewer.
struct Growth {
    points: Vec<ExtensionPoint>,
    graph: StoryGraph,
    /// The extension point ahead (an index into `points`) and how many knots away, found when
    /// the story enters a knot.
    ahead: Option<(usize, usize)>,
    /// The knot `ahead` was found from.
    from: String,
}

impl Growth {
    fn of(story: &CompiledStory) -> Self {
        let graph = StoryGraph::from_json(&story.json).unwrap_or_default();
        let prefix = showrunner_story::extend::EPISODE_PREFIX;
        // A point that has its episode already (merged before a resume) is not asked again.
        let points = showrunner_story::extension_points(&graph)
            .into_iter()
            .filter(|p| !graph.knots.contains_key(&format!("{prefix}{}", p.knot)))
            .collect();
        Self {
            points,
            graph,
            ahead: None,
            from: String::new(),
        }
    }

    /// Looks ahead from `knot` for the nearest extension point not yet visited (`path`), none
    /// while an episode waits for its point (`waiting`): the runner keeps one. Returns whether
    /// the waiting point can no longer be reached from `knot`. Only when the knot changed: it
    /// allocates.
    fn look_ahead(&mut self, knot: &str, path: &[String], waiting: Option<&str>) -> bool {
        if self.points.is_empty() || self.from == knot {
            return false;
        }
        self.from = knot.to_owned();
        let distances = self.graph.distances_from(knot);
        if let Some(w) = waiting {
            self.ahead = None;
            return !distances.contains_key(w);
        }
        self.ahead = self
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| !path.contains(&p.knot))
            .filter_map(|(i, p)| Some((i, *distances.get(&p.knot)?)))
            .filter(|(_, d)| *d > 0)
            .min_by_key(|(_, d)| *d);
        false
    }
}

/// What a writer of episodes reports for an extension point: the episode, merged into the
/// story, when it was accepted, and what the log says about it.
#[derive(Debug, Clone)]
pub struct EpisodeReport {
    /// The extension point's knot.
    pub point: String,
    /// The episode's knot.
    pub knot: String,
    /// The fingerprint of the story it was written for: a report for another (the author
    /// reloaded an edit meanwhile) is refused.
    pub base: String,
    /// The story with the episode merged, checked; `None` when it was refused.
    pub merged: Option<CompiledStory>,
    /// What the log keeps of it (the model, a summary of the prompt, the time taken, the
    /// attempts and why each was refused): a JSON object.
    pub details: Value,
}

/// The show's clocks and what a frame gathers.
#[derive(Default)]
struct Core {
    /// What the viewer restaged from the menu (kept in the save).
    restaged: Restaged,
    clock: f64,
    acc: f64,
    ticks: u64,
    palette: Palette,
    last_mercy: bool,
    /// The viewer's pending choice (a select, a number key, a dwell, or `screen --choose`).
    choice: Option<usize>,
    gaze: gaze::Gaze,
    cues: bool,
    consent: Consent,
    /// The front end refines the pictures with the neural network (for the disclosure).
    refined: bool,
    /// The viewer's menu, while it is open.
    menu: Option<menu::Menu>,
    /// The start line is up.
    start_line: bool,
    /// The credits went up.
    credited: bool,
    /// What the viewer is to be told ([`Show::tell`]), in turn.
    to_tell: std::collections::VecDeque<String>,
    /// Until when (show time) the words being told stay up.
    telling_until: Option<f64>,
    out: ShowFrame,
}

/// How long the start line ("this film adapts to you ...") stays up, seconds of show time.
pub const START_LINE_S: f64 = 8.0;

/// How long the words of [`Show::tell`] stay up, seconds of show time.
pub const TELL_S: f64 = 8.0;

impl Core {
    /// One director tick more: the clock moves on by one tick, counted in ticks so an hour of
    /// them does not drift from the simulated clock.
    fn count_tick(&mut self) {
        self.clock = ((self.clock * TICK_HZ).round() + 1.0) / TICK_HZ;
        self.ticks += 1;
    }

    fn cue(&mut self, cue: impl FnOnce() -> Cue) {
        if self.cues {
            self.out.cues.push(cue());
        }
    }
}

/// The show, driven by frames, with its viewer `V`: where its engagement comes from (a strap,
/// a simulated or recorded viewer), which the front end may reach (`show.viewer`) to say its
/// state or nudge it.
pub struct Show<V: EngagementSource> {
    lead: Option<Lead>,
    queue: VecDeque<Cue>,
    core: Core,
    /// Where the director's engagement comes from.
    pub viewer: V,
    /// What to show about it.
    pub readout: Readout,
    /// The staged scene the front end renders.
    pub scene: Scene,
}

impl<V: EngagementSource> Show<V> {
    /// Starts `story` with the director's `config`, staging from `library`, watched by
    /// `viewer`.
    pub fn new(
        story: &CompiledStory,
        seed: u64,
        config: DirectorConfig,
        library: SetLibrary,
        viewer: V,
    ) -> Result<Self> {
        let runner = StoryRunner::new(story, seed)?;
        let interludes = runner.interludes().iter().map(|i| i.knot.clone()).collect();
        let mut director = Director::new(config);
        director.set_palettes(runner.palettes());
        let mut log = log::Log::new(story.path.clone(), interludes, LogState::default());
        log.set_palettes(runner.palettes().iter().map(|p| p.name.clone()).collect());
        Ok(Self::with(
            Some(Lead {
                runner,
                director,
                phase: Phase::Next,
                interludes: Vec::new(),
                log,
                fingerprint: story.fingerprint(),
                seed,
                story: story.clone(),
                checkpoints: Vec::new(),
                seen_endings: Vec::new(),
                cast_order: Vec::new(),
                growth: Growth::of(story),
            }),
            library,
            viewer,
        ))
    }

    /// Continues `story` from a save taken at the end of a beat (`origin` names it in errors):
    /// the next beat plays next, with the director as it was, and the first [`Show::advance`]
    /// stages the scene, cast and fates the story had reached.
    pub fn resume(
        story: &CompiledStory,
        config: DirectorConfig,
        library: SetLibrary,
        state: &ShowState,
        origin: &str,
        viewer: V,
    ) -> Result<Self> {
        if state.fingerprint != story.fingerprint() {
            bail!(
                "{origin}: this save is of another story (fingerprint {}, {} has {}); pass the story it was saved from, or start over without --resume",
                state.fingerprint,
                story.path,
                story.fingerprint()
            );
        }
        let mut show = Self::new(story, state.seed, config.clone(), library, viewer)?;
        let lead = show.lead.as_mut().expect("a new show leads");
        lead.runner.restore(&state.runner, origin)?;
        lead.director = Director::with_state(config, state.director.clone());
        lead.director.set_palettes(lead.runner.palettes());
        lead.log.state = state.log.clone();
        let c = &mut show.core;
        c.clock = state.clock_s;
        c.ticks = state.ticks;
        c.palette = state.palette;
        c.last_mercy = state.last_mercy;
        c.out.staged = state.log.staging.directives();
        // As the viewer restaged it; what no longer resolves (a set or a model gone) is said
        // and left as written.
        for (actor, by) in &state.restaged.recast {
            if let Err(e) = show.scene.library.recast(actor, by) {
                show.core.out.warnings.push(format!("{origin}: {e}"));
            }
        }
        for (scene, set) in &state.restaged.settings {
            if let Err(e) = show.scene.library.move_scene(scene, set) {
                show.core.out.warnings.push(format!("{origin}: {e}"));
            }
        }
        show.core.restaged = state.restaged.clone();
        let r = &mut show.readout;
        r.sample = state.last_sample;
        r.intensity = state.last_intensity;
        r.beats = state.beats;
        r.diverts = state.diverts;
        Ok(show)
    }

    /// A show that follows another: it plays the [`Cue`]s given to [`Show::follow`], with no
    /// story or director of its own (its `viewer` is never asked).
    pub fn follower(library: SetLibrary, viewer: V) -> Self {
        Self::with(None, library, viewer)
    }

    fn with(lead: Option<Lead>, library: SetLibrary, viewer: V) -> Self {
        Self {
            lead,
            queue: VecDeque::new(),
            core: Core::default(),
            viewer,
            scene: Scene::new(library),
            readout: Readout {
                sample: EngagementSample::neutral(0.0),
                mode: "engaged",
                pacing: 1.0,
                intensity: 0.3,
                grade: Grade::NEUTRAL,
                refine_strength: 0.0,
                decision: String::new(),
                text: String::new(),
                choices: Vec::new(),
                dwell: None,
                gaze_attention: None,
                beats: 0,
                knot: String::new(),
                diverts: 0,
                paused: false,
                ended: false,
                notice: String::new(),
            },
        }
    }

    /// Holds the film behind the consent notice ([`consent::NOTICE`]) with its two answers
    /// on the choice panels (keys 1 and 2 in the window): call it before starting any sensor.
    /// Nothing ticks and the eyes' ray is not read until the viewer answers; the answer comes
    /// in [`ShowFrame::consent`] and goes in the log.
    pub fn ask_consent(&mut self) {
        self.core.consent = Consent::Asking;
        self.readout.notice = consent::NOTICE.to_owned();
        self.readout.choices = consent::ANSWERS.map(str::to_owned).to_vec();
        self.core.choice = None;
    }

    /// [`Show::ask_consent`] in a venue's seat: the notice also says what the operator sees
    /// ([`consent::AT_VENUE`]).
    pub fn ask_consent_at_venue(&mut self) {
        self.ask_consent();
        self.readout.notice.push('\n');
        self.readout.notice.push_str(consent::AT_VENUE);
    }

    /// [`Show::ask_consent_at_venue`] in a seat of a shared film: the notice also says what
    /// leaves the seat to steer the film ([`consent::IN_SHARED_FILM`]).
    pub fn ask_consent_in_shared_film(&mut self) {
        self.ask_consent_at_venue();
        self.readout.notice.push('\n');
        self.readout.notice.push_str(consent::IN_SHARED_FILM);
    }

    /// Records consent taken another way (`--consent given` by an installation, `--consent
    /// declined`), in the log as well.
    pub fn set_consent(&mut self, consent: Consent) {
        if self.core.consent == Consent::Asking {
            self.readout.notice.clear();
            self.readout.choices.clear();
        }
        self.core.consent = consent;
        if consent != Consent::NotNeeded {
            self.note("consent", consent.reason());
        }
    }

    /// The palette the film is graded in now, by the name a `palette:` tag gives it (a story's
    /// own palettes by the story's name for them).
    pub fn palette_name(&self) -> String {
        match self.core.palette {
            Palette::Custom(i) => self
                .lead
                .as_ref()
                .and_then(|l| l.runner.palettes().get(usize::from(i)))
                .map_or_else(|| format!("custom {i}"), |p| p.name.clone()),
            p => p.name().to_owned(),
        }
    }

    /// Where consent to sensing stands.
    pub fn consent(&self) -> Consent {
        self.core.consent
    }

    /// Says whether the front end refines the pictures with the neural network, for the start
    /// line and the credits (EU AI Act Art. 50: what the AI did is disclosed).
    pub fn disclose_refinement(&mut self, on: bool) {
        self.core.refined = on;
    }

    /// The line at the start of the film: that it adapts, and to what; that a neural network
    /// refines its pictures, where one does.
    pub fn start_line(&self) -> String {
        let pictures = if self.core.refined {
            "\nIts pictures are refined by a neural network as you watch."
        } else {
            ""
        };
        if self.core.consent == Consent::Declined {
            return format!(
                "This film plays as written\nYou chose to watch without sensing: nothing reads you, and the story does not adapt to you.{pictures}"
            );
        }
        let to = if self.core.consent.sensing() {
            "to you: your heart and, where the headset tracks them, your eyes shape its pace, its colours and its story"
        } else {
            "to its viewer: its pace, its colours and its story follow how the film is being watched"
        };
        format!("This film adapts\nIt adapts {to}.{pictures}")
    }

    /// The end credits: what adapted (the director's decisions by kind, counted) and whether
    /// a neural network refined the pictures.
    pub fn credits(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::from("The End\nWhat adapted to you in this screening:\n");
        let counted = self.lead.as_ref().map(|l| l.log.state.counts.clone());
        match counted {
            Some(c) => {
                let mut any = false;
                for (n, one, many) in [
                    (
                        c.director_choices,
                        "choice the director made for you",
                        "choices the director made for you",
                    ),
                    (
                        c.diverts,
                        "high-stakes interlude when your attention sagged",
                        "high-stakes interludes when your attention sagged",
                    ),
                    (c.fate_overrides, "life spared", "lives spared"),
                    (
                        c.episodes,
                        "scene a language model wrote for you, checked before it played",
                        "scenes a language model wrote for you, checked before they played",
                    ),
                    (
                        c.deescalations,
                        "time the film calmed down for you",
                        "times the film calmed down for you",
                    ),
                ] {
                    if n > 0 {
                        any = true;
                        let _ = writeln!(out, "· {n} {}", if n == 1 { one } else { many });
                    }
                }
                if !any {
                    out.push_str("· no choices, interludes or fates changed\n");
                }
                let _ = writeln!(
                    out,
                    "· the pace and the colours followed you throughout ({} choices were yours)",
                    c.viewer_choices
                );
            }
            None => out.push_str("· the pace and the colours followed the film you watched with\n"),
        }
        out.push_str(if self.core.refined {
            "A neural network refined the pictures."
        } else {
            "No neural network refined the pictures."
        });
        out
    }

    /// Opens the viewer's menu (the film holds; its entries take the panels, its words the
    /// notice), or closes it (what it covered comes back).
    pub fn toggle_menu(&mut self) {
        if let Some(m) = self.core.menu.take() {
            self.readout.choices = m.covered_choices;
            self.readout.notice = m.covered_notice;
            self.note("menu", "the viewer closed the menu; the film goes on");
            return;
        }
        let (names, fates) = self.savable();
        let another = match &self.lead {
            Some(lead) if self.readout.ended => endings::find(
                &lead.story,
                lead.seed,
                &lead.checkpoints,
                &lead.seen_endings,
            ),
            _ => None,
        };
        let after_end = self.readout.ended.then_some(another.is_some());
        let restage = (
            !self.on_stage().is_empty(),
            self.scene.stage.scene.is_some(),
        );
        let actions = menu::actions(self.core.consent, &fates, after_end, restage);
        let labels = actions.iter().map(|a| a.label(&names)).collect();
        let greyed = actions.iter().map(|a| !a.enabled()).collect();
        self.core.menu = Some(menu::Menu {
            names,
            keys: Vec::new(),
            page: menu::Page::Main,
            offset: 0,
            another,
            greyed,
            actions,
            covered_choices: std::mem::replace(&mut self.readout.choices, labels),
            covered_notice: std::mem::replace(
                &mut self.readout.notice,
                menu::notice(self.core.consent),
            ),
        });
        self.core.choice = None;
        self.note("menu", "the viewer opened the menu; the film holds");
    }

    /// The characters on stage, in the order the story cast them: (actor, role).
    fn on_stage(&self) -> Vec<(String, String)> {
        let stage = &self.scene.stage;
        let mut on: Vec<(String, String)> = self
            .scene
            .world
            .query::<&showrunner_scene::components::Character>()
            .iter()
            .map(|c| (c.id.clone(), c.role.clone()))
            .collect();
        on.sort_by_key(|(id, _)| stage.cast.iter().position(|c| c == id));
        on
    }

    /// Opens a list page of the menu (the characters on stage, who could play one, the sets),
    /// its entries from `offset` (the first again past the end).
    fn open_page(&mut self, page: menu::Page, offset: usize) {
        use menu::{set_title, MenuAction, Page};
        let title = |s: &str| set_title(s);
        let library = &self.scene.library;
        let (items, names, keys): (Vec<MenuAction>, Vec<String>, Vec<String>) = match &page {
            Page::Main => return,
            Page::Roles => {
                let on = self.on_stage();
                let names = on
                    .iter()
                    .map(|(actor, role)| {
                        let by = library.played_by(actor);
                        let who = match by {
                            b if b == actor => String::new(),
                            "you" => ", played by you".to_owned(),
                            b => format!(", played by {}", title(b)),
                        };
                        format!("{}, the {role}{who}", title(actor))
                    })
                    .collect();
                let keys = on.into_iter().map(|(a, _)| a).collect();
                (
                    (0..self.on_stage().len()).map(MenuAction::Role).collect(),
                    names,
                    keys,
                )
            }
            Page::Players { actor } => {
                let mut keys = vec![actor.clone()];
                let all = library.performer_names();
                if all.contains(&"you") && actor != "you" {
                    keys.push("you".into());
                }
                keys.extend(
                    all.iter()
                        .filter(|p| **p != actor && **p != "you")
                        .map(|p| (*p).to_owned()),
                );
                let now = library.played_by(actor);
                let mut items =
                    menu::entries(&keys, now, MenuAction::PlaysNow, MenuAction::PlayedBy);
                if !all.contains(&"you") {
                    items.push(MenuAction::NoAvatar);
                }
                let names = keys
                    .iter()
                    .map(|k| match k.as_str() {
                        "you" => "you (your own avatar)".to_owned(),
                        k if k == actor => format!("{}, as written", title(k)),
                        k => title(k),
                    })
                    .collect();
                (items, names, keys)
            }
            Page::Settings => {
                let scene = self.scene.stage.scene.clone().unwrap_or_default();
                let now = library.set_of(&scene);
                let keys: Vec<String> =
                    library.set_names().into_iter().map(str::to_owned).collect();
                let items = menu::entries(&keys, now, MenuAction::HereNow, MenuAction::MoveTo);
                let names = keys
                    .iter()
                    .map(|k| {
                        if *k == scene {
                            format!("{}, as written", title(k))
                        } else {
                            title(k)
                        }
                    })
                    .collect();
                (items, names, keys)
            }
        };
        let offset = if offset >= items.len() { 0 } else { offset };
        let actions = menu::list_page(&items, offset);
        let labels = actions.iter().map(|a| a.label(&names)).collect();
        if let Some(m) = &mut self.core.menu {
            m.greyed = actions.iter().map(|a| !a.enabled()).collect();
            m.actions = actions;
            m.names = names;
            m.keys = keys;
            m.page = page;
            m.offset = offset;
            self.readout.choices = labels;
        }
    }

    /// The story's fate-marked characters and whether each can be saved now.
    fn savable(&self) -> (Vec<String>, Vec<menu::Savable>) {
        let Some(lead) = &self.lead else {
            return (Vec::new(), Vec::new());
        };
        let marks = showrunner_story::fate_marks(&lead.story);
        let names = marks.iter().map(|m| m.who.clone()).collect();
        let fates = marks
            .iter()
            .map(|m| {
                if lead.director.viewer_spares(&m.who) {
                    menu::Savable::Asked
                } else if m.can_be_spared() {
                    menu::Savable::Yes
                } else if m.dies_in_lines {
                    menu::Savable::No
                } else {
                    menu::Savable::Never
                }
            })
            .collect();
        (names, fates)
    }

    /// Whether the viewer's menu is open.
    pub fn menu_open(&self) -> bool {
        self.core.menu.is_some()
    }

    /// The menu entry `i` was taken.
    fn menu_pick(&mut self, i: usize) {
        let Some(action) = self
            .core
            .menu
            .as_ref()
            .and_then(|m| m.actions.get(i).copied())
        else {
            return;
        };
        match action {
            menu::MenuAction::Back => {}
            menu::MenuAction::SensingOff | menu::MenuAction::SensingOn => {
                let to = if action == menu::MenuAction::SensingOff {
                    Consent::TurnedOff
                } else {
                    Consent::TurnedOn
                };
                self.set_consent(to);
                self.core.out.consent = Some(to);
            }
            menu::MenuAction::Recentre => {
                self.core.out.recentre = true;
                self.note("menu", "the viewer recentred the view");
            }
            menu::MenuAction::Save(i) => {
                let who = self
                    .core
                    .menu
                    .as_ref()
                    .and_then(|m| m.names.get(i).cloned())
                    .unwrap_or_default();
                if let Some(lead) = &mut self.lead {
                    lead.director.spare_for_viewer(&who);
                }
                self.note(
                    "menu",
                    &format!("the viewer asked to save {who}: the director spares them wherever the story offers a way"),
                );
            }
            menu::MenuAction::WhoPlays => {
                self.open_page(menu::Page::Roles, 0);
                return;
            }
            menu::MenuAction::Setting => {
                self.open_page(menu::Page::Settings, 0);
                return;
            }
            menu::MenuAction::Role(i) => {
                let actor = self.menu_key(i);
                self.open_page(menu::Page::Players { actor }, 0);
                return;
            }
            menu::MenuAction::More => {
                if let Some(m) = &self.core.menu {
                    let (page, offset) = (m.page.clone(), m.offset + menu::PAGE);
                    self.open_page(page, offset);
                }
                return;
            }
            menu::MenuAction::PlayedBy(i) => {
                let by = self.menu_key(i);
                let actor = match self.core.menu.as_ref().map(|m| &m.page) {
                    Some(menu::Page::Players { actor }) => actor.clone(),
                    _ => return,
                };
                match self.scene.recast(&actor, &by) {
                    Ok(()) => {
                        Restaged::keep(&mut self.core.restaged.recast, &actor, &by);
                        self.note(
                            "menu",
                            &format!("the viewer recast {actor}: {by} plays them now"),
                        );
                    }
                    Err(e) => self.core.out.warnings.push(format!("recast: {e}")),
                }
            }
            menu::MenuAction::MoveTo(i) => {
                let set = self.menu_key(i);
                let Some(scene) = self.scene.stage.scene.clone() else {
                    return;
                };
                match self.scene.move_scene(&scene, &set) {
                    Ok(()) => {
                        Restaged::keep(&mut self.core.restaged.settings, &scene, &set);
                        self.note(
                            "menu",
                            &format!("the viewer changed the setting: the scene {scene} plays in the set {set}"),
                        );
                    }
                    Err(e) => self
                        .core
                        .out
                        .warnings
                        .push(format!("change the setting: {e}")),
                }
            }
            menu::MenuAction::AnotherEnding => {
                let another = self.core.menu.as_ref().and_then(|m| m.another);
                self.toggle_menu();
                if let Some(a) = another {
                    self.rewind(a);
                }
                return;
            }
            greyed => {
                // Nothing to act on: said in the entry; the menu stays open.
                let what = greyed.label(self.core.menu.as_ref().map_or(&[][..], |m| &m.names));
                self.note(
                    "menu",
                    &format!("the viewer took a greyed entry ({what}): nothing to do"),
                );
                return;
            }
        }
        self.toggle_menu();
    }

    /// What the open menu page's entry `i` names, as the show knows it (an actor, a set).
    fn menu_key(&self, i: usize) -> String {
        self.core
            .menu
            .as_ref()
            .and_then(|m| m.keys.get(i).cloned())
            .unwrap_or_default()
    }

    /// Goes back to the choice point `a.at` and takes option `a.option` there, toward an
    /// ending not seen: the film plays on from there (the director, the clock and the log go
    /// on; the credits come down).
    fn rewind(&mut self, a: endings::Another) {
        let Some(lead) = &mut self.lead else { return };
        let Some(cp) = lead.checkpoints.get(a.at).cloned() else {
            return;
        };
        if let Err(e) = lead
            .runner
            .restore(&cp.state, "another ending")
            .and_then(|()| lead.runner.choose(a.option))
        {
            self.core
                .out
                .warnings
                .push(format!("another ending could not be played: {e}"));
            return;
        }
        lead.checkpoints.truncate(a.at + 1);
        lead.checkpoints[a.at].taken = Some(a.option);
        lead.phase = Phase::Next;
        self.readout.ended = false;
        self.readout.choices.clear();
        self.readout.notice.clear();
        self.core.credited = false;
        let taken = cp
            .taken
            .and_then(|t| cp.texts.get(t))
            .map_or("", String::as_str);
        let other = cp.texts.get(a.option).map_or("", String::as_str);
        self.note(
            "menu",
            &format!("another ending: back to the choice where \"{taken}\" was taken, taking \"{other}\" toward an ending not yet seen"),
        );
    }

    /// Tells the viewer something once, in the world: the words are the notice above the
    /// panels for [`TELL_S`] seconds of the film (after anything up before them: the consent
    /// notice, the menu, the start line, words told before), and a line in the log. For what
    /// the headset itself did to the film: that a sensor the viewer allowed was refused by
    /// the system, say.
    pub fn tell(&mut self, words: &str) {
        self.note("told", words);
        self.core.to_tell.push_back(words.to_owned());
    }

    /// An event of the viewer's in the log (consent, the menu).
    fn note(&mut self, kind: &str, reason: &str) {
        let t = self.core.clock;
        if let Some(lead) = &mut self.lead {
            lead.log.note(kind, reason, t);
        }
    }

    /// The start line for its first seconds, the credits at the end.
    fn disclose(&mut self) {
        if self.core.consent == Consent::Asking || self.core.menu.is_some() {
            return;
        }
        if self.readout.ended {
            if !self.core.credited {
                self.core.credited = true;
                self.core.start_line = false;
                self.readout.notice = self.credits();
            }
            return;
        }
        let early = self.core.clock < START_LINE_S;
        if early && !self.core.start_line && self.readout.notice.is_empty() && self.core.ticks < 2 {
            self.core.start_line = true;
            self.readout.notice = self.start_line();
        } else if !early && self.core.start_line {
            self.core.start_line = false;
            self.readout.notice.clear();
        }
        if self
            .core
            .telling_until
            .is_some_and(|until| self.core.clock >= until)
        {
            self.core.telling_until = None;
            self.readout.notice.clear();
        }
        if self.core.telling_until.is_none() && self.readout.notice.is_empty() {
            if let Some(words) = self.core.to_tell.pop_front() {
                self.readout.notice = words;
                self.core.telling_until = Some(self.core.clock + TELL_S);
            }
        }
    }

    /// Plays `story` from here on, in place of the one playing (an author saved an edit): the
    /// director, the clock, the log and the staged scene are kept, and the story goes on at
    /// the start of the knot it was in where the new one still has it, else at the nearest one
    /// visited before that it has, else from the top. Returns the knot it went on at. A follower
    /// has no story: an error.
    pub fn reload(&mut self, story: &CompiledStory) -> Result<String> {
        let Some(lead) = &mut self.lead else {
            bail!("a show that follows another has no story of its own to reload");
        };
        let mut runner = StoryRunner::new(story, lead.seed)?;
        let visited = lead.log.state.path.iter().rev();
        let at = std::iter::once(&self.readout.knot)
            .chain(visited)
            .find(|k| runner.has_knot(k))
            .cloned();
        if let Some(knot) = &at {
            runner.jump_to(knot)?;
        }
        lead.interludes = interlude_options(&runner).collect();
        lead.director.set_palettes(runner.palettes());
        lead.log
            .set_palettes(runner.palettes().iter().map(|p| p.name.clone()).collect());
        lead.log
            .rename_interludes(runner.interludes().iter().map(|i| i.knot.clone()).collect());
        lead.runner = runner;
        lead.growth = Growth::of(story);
        // Choice points of the old draft cannot be restored into the new one.
        lead.story = story.clone();
        lead.checkpoints.clear();
        lead.fingerprint = story.fingerprint();
        lead.phase = Phase::Next;
        self.readout.choices.clear();
        self.core.out.choices = Some(Vec::new());
        self.core.choice = None;
        Ok(at.unwrap_or_else(|| "the top".into()))
    }

    /// The extension point the story is heading for, with how many knots away it is: the
    /// nearest knot tagged `extend:` that the story can reach from the knot playing, has not
    /// played and has no episode waiting. Found when the story enters a knot. `None` for a
    /// follower, a story without extension points, or when none is ahead.
    pub fn upcoming_extension(&self) -> Option<(&ExtensionPoint, usize)> {
        let lead = self.lead.as_ref()?;
        let (i, d) = lead.growth.ahead?;
        Some((&lead.growth.points[i], d))
    }

    /// The story playing, with the episodes merged into it so far (a follower: `None`).
    pub fn story(&self) -> Option<&CompiledStory> {
        self.lead.as_ref().map(|l| &l.story)
    }

    /// Takes a writer's report for an extension point: an accepted episode is merged (the
    /// story as it plays is kept exactly, and the episode plays when the story enters the
    /// point, just before it), unless the story is already in or past the point. Logged either
    /// way, in the next beat's line. Returns whether the episode will play.
    pub fn episode(&mut self, report: EpisodeReport) -> Result<bool> {
        let Some(lead) = &mut self.lead else {
            bail!("a show that follows another has no story to grow");
        };
        let passed =
            lead.log.state.path.contains(&report.point) || self.readout.knot == report.point;
        let stale = report.base != lead.fingerprint;
        let mut event = match report.details {
            Value::Object(m) => Value::Object(m),
            other => serde_json::json!({ "details": other }),
        };
        event["point"] = report.point.clone().into();
        event["episode"] = report.knot.clone().into();
        let (accepted, reason) = match &report.merged {
            None => (false, "refused: the authored story plays on".to_owned()),
            Some(_) if stale => (
                false,
                "too late: the story was changed while the episode was written".to_owned(),
            ),
            Some(_) if passed => (
                false,
                format!("too late: the story already reached `{}`", report.point),
            ),
            Some(merged) => {
                // An episode adds no interlude: the story's own are kept, not found again.
                let interludes: Vec<String> = lead
                    .runner
                    .interludes()
                    .iter()
                    .map(|i| i.knot.clone())
                    .collect();
                let mut runner = StoryRunner::with_interludes(merged, lead.seed, &interludes)?;
                runner.restore(&lead.runner.save()?, &merged.path)?;
                runner.play_before(&report.point, &report.knot)?;
                lead.runner = runner;
                lead.story = merged.clone();
                lead.fingerprint = merged.fingerprint();
                lead.growth = Growth::of(merged);
                (true, format!("accepted: plays before `{}`", report.point))
            }
        };
        event["accepted"] = accepted.into();
        lead.log.event("generate", &reason, self.core.clock, event);
        // The next extension point is looked for from the knot playing again.
        let waiting = lead.runner.waiting_episode().map(|(p, _)| p);
        lead.growth
            .look_ahead(&self.readout.knot, &lead.log.state.path, waiting);
        Ok(accepted)
    }

    /// Hands out, in each [`ShowFrame::cues`], what a follower needs (off by default: it
    /// allocates every tick).
    pub fn hand_out_cues(&mut self, on: bool) {
        self.core.cues = on;
    }

    /// Gives a follower what its leader handed out; played at the next frame. A show that
    /// leads ignores cues.
    pub fn follow(&mut self, cues: impl IntoIterator<Item = Cue>) {
        if self.lead.is_none() {
            self.queue.extend(cues);
        }
    }

    /// The stage as the story has set it so far (scene, view, palette, cast, fates): the
    /// directives that put it back on an empty stage, for a follower that joins late. Empty
    /// for a follower.
    pub fn staged(&self) -> Vec<Directive> {
        let Some(lead) = &self.lead else {
            return Vec::new();
        };
        let mut out = lead.log.state.staging.directives();
        // Cast in the story's order, so the actors stand on the same marks.
        let order = |d: &Directive| match d {
            Directive::Cast { actor, .. } => lead
                .cast_order
                .iter()
                .position(|a| a == actor)
                .unwrap_or(usize::MAX),
            _ => 0,
        };
        out.sort_by_key(|d| (matches!(d, Directive::Fate { .. }), order(d)));
        out
    }

    /// Show time, seconds.
    pub fn clock(&self) -> f64 {
        self.core.clock
    }

    /// The viewer chose option `index` (a menu, `screen --choose`): taken at the next tick if
    /// a choice point offers it; cleared when any choice is taken.
    pub fn choose(&mut self, index: usize) {
        self.core.choice = Some(index);
    }

    /// How long the choice point on offer has waited, seconds; `None` outside one.
    pub fn choice_waiting_s(&self) -> Option<f64> {
        match &self.lead.as_ref()?.phase {
            Phase::Choosing { started, .. } => Some(self.core.clock - started),
            _ => None,
        }
    }

    /// The screening's summary so far: `viewer` says who watched. `None` for a follower.
    pub fn summary(&self, viewer: &str) -> Option<Value> {
        let lead = self.lead.as_ref()?;
        Some(lead.log.summary(viewer, lead.seed, self.core.clock))
    }

    /// One frame of `dt` seconds (capped at 0.25): the viewer's `input` (pause, select, gaze),
    /// the director's ticks that fall in it (engagement from the viewer), the new beats
    /// staged, the choice panels (with their words) and the subtitle following the viewer,
    /// and the scene stepped with the director's intensity. Allocates only when a beat
    /// changes, the director decides something or a notice comes or goes.
    pub fn advance(&mut self, dt: f64, input: &ViewerInput) -> Result<ShowFrame> {
        let dt = dt.clamp(0.0, 0.25);
        // The viewer's input is in their tracking space; the film is in the set's, where the
        // vantage (`view:`) puts the viewer.
        let input = &input.placed(&self.scene.vantage);
        let asking = self.core.consent == Consent::Asking;
        if input.menu && !asking {
            self.toggle_menu();
        }
        let world = &self.scene.world;
        let in_menu = self.core.menu.is_some();
        // The eyes are a sensor: not read before consent, nor after a decline.
        let gaze_ray = input.gaze.filter(|_| self.core.consent.allows_gaze());
        if input.pause && !asking {
            self.readout.paused = !self.readout.paused;
        }
        let aimed = input
            .pointer
            .and_then(|(origin, dir)| aimed_choice(world, origin, dir));
        if input.select {
            self.core.out.select = Some(aimed);
            if aimed.is_some() {
                self.core.choice = aimed;
            }
        }
        if let Some(i) = input.choose.filter(|i| *i < self.readout.choices.len()) {
            self.core.choice = Some(i);
        }
        if in_menu {
            if let Some(i) = self.core.choice.take() {
                self.menu_pick(i);
            }
        } else if asking {
            if let Some(i) = self.core.choice.take() {
                let answer = if i == 0 {
                    Consent::Given
                } else {
                    Consent::Declined
                };
                self.set_consent(answer);
                self.core.out.consent = Some(answer);
            }
        } else if !self.readout.paused {
            let world = &self.scene.world;
            let looked = gaze_ray.and_then(|(origin, dir)| aimed_choice(world, origin, dir));
            let g = &mut self.core.gaze;
            g.observe(
                dt as f32,
                gaze_ray.map(|(origin, dir)| gaze::on_action(world, origin, dir)),
            );
            if let Some(i) = g.dwell(dt as f32, looked) {
                self.core.choice = Some(i);
                self.core.out.dwelt = Some(i);
            }
            self.viewer.poll();
            self.run_ticks(dt)?;
        }
        self.readout.dwell = self.core.gaze.dwell_progress();
        self.readout.gaze_attention = self.core.gaze.attention();
        if !self.core.out.staged.is_empty() {
            self.scene.stage(&self.core.out.staged);
            let warnings = self.scene.stage.warnings.drain(..);
            self.core.out.warnings.extend(warnings);
        }
        if let Some(line) = &self.core.out.subtitles {
            // Whoever speaks the new line acts it.
            self.scene.speak(line);
        }
        self.disclose();
        // The actors play the director's intensity, the author's tag being where it starts.
        self.scene.stage.played = Some(self.readout.intensity);
        let lit = aimed.or(self.readout.dwell.map(|(i, _)| i));
        choice_panels_system(
            &mut self.scene.world,
            &self.readout.choices,
            self.core.menu.as_ref().map_or(&[][..], |m| &m.greyed),
            lit,
            input.head,
            self.readout.dwell,
        );
        subtitle_system(
            &mut self.scene.world,
            &self.readout.text,
            input.head,
            input.facing,
            dt as f32,
        );
        notice_system(
            &mut self.scene.world,
            &self.readout.notice,
            input.head,
            input.facing,
        );
        if !self.readout.paused {
            self.scene.step(dt as f32, self.core.clock as f32);
        }
        Ok(std::mem::take(&mut self.core.out))
    }

    /// Runs the story and the director only (no scene, no input) for `dt` seconds of show time
    /// (capped at 0.25): the headless screening and tests.
    pub fn run(&mut self, dt: f64) -> Result<ShowFrame> {
        self.run_ticks(dt.clamp(0.0, 0.25))?;
        Ok(std::mem::take(&mut self.core.out))
    }

    /// Exactly one director tick (no scene): the screening's simulated clock.
    pub fn tick(&mut self) -> Result<ShowFrame> {
        self.one_tick()?;
        Ok(std::mem::take(&mut self.core.out))
    }

    fn run_ticks(&mut self, dt: f64) -> Result<()> {
        if self.lead.is_none() {
            self.play_cues();
            return Ok(());
        }
        self.core.acc += dt;
        while self.core.acc >= TICK_S && !self.readout.ended {
            self.core.acc -= TICK_S;
            self.one_tick()?;
        }
        Ok(())
    }

    fn one_tick(&mut self) -> Result<()> {
        match &mut self.lead {
            Some(lead) if !self.readout.ended => {
                lead.step(&mut self.core, &mut self.readout, &mut self.viewer)
            }
            Some(_) => Ok(()),
            None => {
                self.play_cues();
                Ok(())
            }
        }
    }

    /// A follower plays what it was handed.
    fn play_cues(&mut self) {
        let (core, r) = (&mut self.core, &mut self.readout);
        while let Some(cue) = self.queue.pop_front() {
            match &cue {
                Cue::Beat {
                    knot,
                    text,
                    directives,
                } => {
                    core.out.staged.extend(directives.iter().cloned());
                    r.beats += 1;
                    r.knot.clone_from(knot);
                    r.text.clone_from(text);
                    core.out.subtitles = Some(text.clone());
                    if !r.choices.is_empty() {
                        r.choices.clear();
                        core.out.choices = Some(Vec::new());
                    }
                }
                Cue::Choices(texts) => {
                    r.choices.clone_from(texts);
                    core.out.choices = Some(texts.clone());
                }
                Cue::Chose { fates, .. } => {
                    core.out.staged.extend(fates.iter().cloned());
                    r.choices.clear();
                    core.out.choices = Some(Vec::new());
                }
                Cue::Tick(tick) => {
                    core.count_tick();
                    r.show_tick(tick);
                    let _ = core.out.ticks.try_push((**tick).clone());
                }
                Cue::Director {
                    clock_s,
                    mode,
                    intensity,
                    grade,
                    refine_strength,
                    decision,
                } => {
                    if clock_s.is_finite() {
                        core.clock = core.clock.max(*clock_s);
                    }
                    r.mode = mode.name();
                    r.intensity = *intensity;
                    r.grade = *grade;
                    r.refine_strength = *refine_strength;
                    r.decision.clone_from(decision);
                }
                Cue::End => {
                    r.ended = true;
                    r.choices.clear();
                }
            }
            core.cue(|| cue);
        }
    }
}

impl Readout {
    fn show_tick(&mut self, tick: &Tick) {
        self.mode = tick.mode.name();
        self.pacing = tick.pacing;
        self.intensity = tick.intensity;
        self.grade = tick.grade;
        self.refine_strength = tick.refine_strength;
        if let Some(e) = tick.events.last() {
            self.decision = format!("{}: {}", e.kind(), e.reason());
        }
        self.diverts += tick
            .events
            .iter()
            .filter(|e| matches!(e, Event::Divert { .. }))
            .count() as u64;
    }
}

impl Lead {
    fn state(&self, core: &Core, readout: &Readout) -> Result<ShowState> {
        Ok(ShowState {
            version: SAVE_VERSION,
            fingerprint: self.fingerprint.clone(),
            seed: self.seed,
            clock_s: core.clock,
            ticks: core.ticks,
            director: self.director.state().clone(),
            runner: self.runner.save()?,
            palette: core.palette,
            last_sample: readout.sample,
            last_intensity: readout.intensity,
            last_mercy: core.last_mercy,
            beats: readout.beats,
            diverts: readout.diverts,
            log: self.log.state.clone(),
            restaged: core.restaged.clone(),
        })
    }

    /// One director tick at the show's clock; the clock then advances by one tick.
    fn tick(
        &mut self,
        core: &mut Core,
        readout: &mut Readout,
        source: &mut dyn EngagementSource,
        view: &StoryView<'_>,
        choices: &[String],
    ) -> Tick {
        let mut sample = source.sample(core.clock, readout.intensity);
        if let Some(a) = core.gaze.attention() {
            sample.attention = a;
        }
        let tick = self.director.tick(sample, view);
        core.count_tick();
        readout.sample = sample;
        readout.show_tick(&tick);
        core.last_mercy = tick.mercy;
        self.log.tick(&tick, core.clock, choices);
        let _ = core.out.ticks.try_push(tick.clone());
        core.cue(|| Cue::Tick(Box::new(tick.clone())));
        tick
    }

    fn step(
        &mut self,
        core: &mut Core,
        readout: &mut Readout,
        source: &mut dyn EngagementSource,
    ) -> Result<()> {
        // Ask the story for steps until one takes time (a beat or a choice).
        while matches!(self.phase, Phase::Next) {
            self.runner
                .set_engagement(&story_engagement(&readout.sample, core.last_mercy))?;
            let step = self.runner.next()?;
            self.interludes.clear();
            self.interludes.extend(interlude_options(&self.runner));
            match step {
                Step::Beat(b) => {
                    for d in &b.directives {
                        match d {
                            Directive::Palette(p) => core.palette = *p,
                            Directive::Cast { actor, .. } if !self.cast_order.contains(actor) => {
                                self.cast_order.push(actor.clone());
                            }
                            _ => {}
                        }
                    }
                    let episode = b.knot.starts_with(showrunner_story::extend::EPISODE_PREFIX);
                    if episode && self.log.state.path.last() != Some(&b.knot) {
                        // A scene a model wrote, played: what the credits count.
                        self.log.state.counts.episodes += 1;
                    }
                    self.log.begin(&b, core.clock, readout.sample);
                    if b.interlude.is_none() {
                        let waiting = self.runner.waiting_episode().map(|(p, _)| p);
                        if self
                            .growth
                            .look_ahead(&b.knot, &self.log.state.path, waiting)
                        {
                            if let Some((point, _)) = self.runner.forget_episode() {
                                let why = format!("the story went another way: the episode written for `{point}` will not play");
                                self.log.note("generate", &why, core.clock);
                            }
                        }
                    }
                    core.out.staged.extend(b.directives.iter().cloned());
                    readout.beats += 1;
                    readout.knot.clone_from(&b.knot);
                    readout.text = b.text.trim().to_owned();
                    if !readout.choices.is_empty() {
                        readout.choices.clear();
                        core.out.choices = Some(Vec::new());
                    }
                    core.out.subtitles = Some(readout.text.clone());
                    core.cue(|| Cue::Beat {
                        knot: b.knot.clone(),
                        text: readout.text.clone(),
                        directives: b.directives.clone(),
                    });
                    self.phase = Phase::Beat {
                        duration: beat_seconds(&b.text, &b.directives),
                        shown: 0.0,
                        divert: None,
                        author_intensity: beat_intensity(&b.directives),
                        can_divert: b.interlude.is_none(),
                    };
                }
                Step::Choices(c) => {
                    readout.choices = c.iter().map(|c| c.text.clone()).collect();
                    if self.runner.in_interlude().is_none() {
                        if self.checkpoints.len() >= endings::KEPT {
                            self.checkpoints.remove(0);
                        }
                        self.checkpoints.push(endings::Checkpoint {
                            state: self.runner.save()?,
                            texts: readout.choices.clone(),
                            taken: None,
                        });
                    }
                    core.out.choices = Some(readout.choices.clone());
                    core.cue(|| Cue::Choices(readout.choices.clone()));
                    self.phase = Phase::Choosing {
                        options: c.iter().map(|c| choice_option(&c.directives)).collect(),
                        texts: readout.choices.clone(),
                        fates: c.iter().map(|c| c.directives.clone()).collect(),
                        started: core.clock,
                    };
                }
                Step::InterludeOver(_) => {}
                Step::End => {
                    let ending = self
                        .log
                        .state
                        .staging
                        .ending
                        .clone()
                        .unwrap_or_else(|| self.runner.knot().to_owned());
                    if !self.seen_endings.contains(&ending) {
                        self.seen_endings.push(ending);
                    }
                    readout.ended = true;
                    readout.choices.clear();
                    core.cue(|| Cue::End);
                    self.phase = Phase::Ended;
                }
            }
        }
        let palette = core.palette;
        match std::mem::replace(&mut self.phase, Phase::Next) {
            Phase::Beat {
                duration,
                mut shown,
                mut divert,
                author_intensity,
                can_divert,
            } => {
                let interludes = std::mem::take(&mut self.interludes);
                let tk = self.tick(
                    core,
                    readout,
                    source,
                    &StoryView {
                        palette,
                        author_intensity,
                        choices: &[],
                        choice_waiting_s: 0.0,
                        viewer_choice: None,
                        interludes: &interludes,
                        can_divert: can_divert && divert.is_none(),
                    },
                    &[],
                );
                self.interludes = interludes;
                shown += TICK_S / f64::from(tk.pacing);
                for e in &tk.events {
                    if let Event::Divert { interlude, .. } = e {
                        divert = Some(*interlude);
                    }
                }
                if shown >= duration {
                    if let Some(record) = self.log.end(&tk, core.clock) {
                        core.out.beats.push(record);
                    }
                    if let Some(i) = divert {
                        self.runner.start_interlude(i)?;
                    }
                    core.out.save = Some(Box::new(self.state(core, readout)?));
                } else {
                    self.phase = Phase::Beat {
                        duration,
                        shown,
                        divert,
                        author_intensity,
                        can_divert,
                    };
                }
            }
            Phase::Choosing {
                options,
                texts,
                fates,
                started,
            } => {
                let viewer_choice = core.choice.filter(|i| *i < options.len());
                let tk = self.tick(
                    core,
                    readout,
                    source,
                    &StoryView {
                        palette,
                        author_intensity: None,
                        choices: &options,
                        choice_waiting_s: core.clock - started,
                        viewer_choice,
                        interludes: &[],
                        can_divert: false,
                    },
                    &texts,
                );
                let chosen = tk.events.iter().find_map(|e| match e {
                    Event::Choose { index, by, .. } => Some((*index, *by)),
                    _ => None,
                });
                if let Some((index, by)) = chosen {
                    core.choice = None;
                    readout.decision = format!(
                        "{} chose \"{}\"",
                        if by == Chooser::Viewer {
                            "you"
                        } else {
                            "the director"
                        },
                        texts[index]
                    );
                    let fated: Vec<Directive> = fates[index]
                        .iter()
                        .filter(|d| matches!(d, Directive::Fate { .. }))
                        .cloned()
                        .collect();
                    self.log.chose(&fated);
                    core.out.staged.extend(fated.iter().cloned());
                    core.cue(|| Cue::Chose {
                        index,
                        fates: fated,
                    });
                    self.runner.choose(index)?;
                    if self.runner.in_interlude().is_none() {
                        if let Some(cp) = self.checkpoints.last_mut().filter(|c| c.taken.is_none())
                        {
                            cp.taken = Some(index);
                        }
                    }
                    readout.choices.clear();
                    core.out.choices = Some(Vec::new());
                } else {
                    self.phase = Phase::Choosing {
                        options,
                        texts,
                        fates,
                        started,
                    };
                }
            }
            Phase::Ended => self.phase = Phase::Ended,
            Phase::Next => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_story::compile_source;
    use std::path::Path;

    fn story() -> CompiledStory {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/stories");
        let src = std::fs::read_to_string(root.join("lighthouse.ink")).unwrap();
        compile_source(&src, "assets/stories/lighthouse.ink", &root).unwrap()
    }

    type Neutral = fn(f64, f32) -> EngagementSample;

    fn neutral(t: f64, _: f32) -> EngagementSample {
        EngagementSample::neutral(t)
    }

    fn show() -> Show<Neutral> {
        Show::new(
            &story(),
            1,
            DirectorConfig::default(),
            SetLibrary::builtin(),
            neutral as Neutral,
        )
        .unwrap()
    }

    fn run(fps: f64, seconds: f64) -> (Vec<String>, Readout) {
        let mut live = show();
        let mut staged = Vec::new();
        let frames = (seconds * fps) as usize;
        for _ in 0..frames {
            let frame = live.run(1.0 / fps).unwrap();
            staged.extend(frame.staged.iter().map(|d| format!("{d:?}")));
        }
        (staged, live.readout)
    }

    #[test]
    fn an_accepted_episode_plays_before_its_extension_point_and_is_logged() {
        let mut live = show();
        let mut lines = String::new();
        let mut grew = false;
        let mut refused = false;
        for _ in 0..(10 * 60 * 10) {
            let frame = live.tick().unwrap();
            lines.extend(frame.beats.iter().map(|b| b.line.clone()));
            if let Some((point, distance)) = live.upcoming_extension() {
                let point = point.clone();
                assert!(distance > 0);
                if !refused {
                    // A refusal first: logged, and the same point stays ahead.
                    refused = true;
                    let r = EpisodeReport {
                        point: point.knot.clone(),
                        knot: format!("ext_{}", point.knot),
                        base: live.story().unwrap().fingerprint(),
                        merged: None,
                        details: serde_json::json!({"model": "test", "attempts": 3}),
                    };
                    assert!(!live.episode(r).unwrap());
                    continue;
                }
                if grew {
                    continue;
                }
                let knot = format!("ext_{}", point.knot);
                let ink = format!(
                    "=== {knot} ===\nThe stair is dark. # scene: {} # stakes: high # intensity: 0.7\nMARA: Mind the step.\n-> {}\n",
                    point.scenes[0], point.knot
                );
                let merged =
                    showrunner_story::merge_episode(live.story().unwrap(), &point, &knot, &ink)
                        .unwrap();
                let r = EpisodeReport {
                    point: point.knot.clone(),
                    knot,
                    base: live.story().unwrap().fingerprint(),
                    merged: Some(merged),
                    details: serde_json::json!({"model": "test"}),
                };
                assert!(live.episode(r).unwrap());
                grew = true;
            }
            if live.readout.knot == "the_call" {
                break;
            }
        }
        assert!(grew);
        let path = &live.lead.as_ref().unwrap().log.state.path;
        let at = path
            .iter()
            .position(|k| k == "ext_the_kitchen")
            .expect("the episode played");
        assert_eq!(path[at + 1], "the_kitchen", "{path:?}");
        assert!(lines.contains("\"The stair is dark.\""));
        assert!(lines.contains("\"kind\":\"generate\""));
        assert!(lines.contains("refused: the authored story plays on"));
        assert!(lines.contains("accepted: plays before `the_kitchen`"));
        // Saved with the episode merged: the save is of the grown story.
        let state = live
            .lead
            .as_ref()
            .unwrap()
            .state(&live.core, &live.readout)
            .unwrap();
        assert_eq!(state.fingerprint, live.story().unwrap().fingerprint());
        assert_eq!(state.log.counts.episodes, 1);
    }

    #[test]
    fn the_show_does_not_depend_on_the_frame_rate() {
        let (a, ra) = run(72.0, 60.0);
        let (b, rb) = run(90.0, 60.0);
        assert!(ra.beats > 3, "beats play: {}", ra.beats);
        assert_eq!(a, b);
        assert_eq!(ra.beats, rb.beats);
        assert_eq!(ra.text, rb.text);
    }

    #[test]
    fn a_pressed_choice_is_taken_at_the_choice_point_and_the_story_ends() {
        let mut live = show();
        let (mut saw_choices, mut took) = (false, false);
        for _ in 0..(30 * 60 * 30) {
            if !live.readout.choices.is_empty() {
                saw_choices = true;
                live.choose(live.readout.choices.len() - 1);
            }
            live.run(1.0 / 30.0).unwrap();
            took |= live.readout.decision.starts_with("you chose");
            if live.readout.ended {
                break;
            }
        }
        assert!(saw_choices && took, "{:?}", live.readout.decision);
        assert!(
            live.readout.ended,
            "the sample story ends within 30 minutes"
        );
    }

    #[test]
    fn advance_stages_each_new_beat_once_and_steps_the_scene() {
        use showrunner_scene::components::Character;
        let mut show = show();
        let input = ViewerInput {
            head: Vec3::new(0.0, 1.25, 0.6),
            ..Default::default()
        };
        let (mut staged_frames, mut beats_staged) = (0, 0);
        for _ in 0..(90 * 60) {
            let before = show.readout.beats;
            let frame = show.advance(1.0 / 90.0, &input).unwrap();
            if !frame.staged.is_empty() {
                staged_frames += 1;
            }
            if show.readout.beats != before {
                assert_eq!(frame.subtitles.as_deref(), Some(show.readout.text.as_str()));
            } else {
                assert_eq!(
                    frame.subtitles, None,
                    "subtitles come once, with their beat"
                );
            }
            beats_staged += show.readout.beats - before;
            assert!(frame.warnings.is_empty(), "{:?}", frame.warnings);
        }
        assert!(beats_staged > 3, "beats play: {beats_staged}");
        assert!(staged_frames >= 1 && staged_frames <= beats_staged as usize + 8);
        assert!(
            show.scene.stage.scene.is_some(),
            "the story's scene is staged"
        );
        let cast = show.scene.world.query::<&Character>().iter().count();
        assert!(cast > 0, "the cast is on stage");
        assert_eq!(
            show.scene.stage.played,
            Some(show.readout.intensity),
            "the actors play the director's intensity"
        );
    }

    /// Plays until the first choice point; returns the show there.
    fn to_first_choice(fps: f64) -> Show<Neutral> {
        let mut show = show();
        let input = ViewerInput {
            head: Vec3::new(0.0, 1.25, 0.6),
            ..Default::default()
        };
        for _ in 0..(fps as usize * 600) {
            let f = show.advance(1.0 / fps, &input).unwrap();
            if !show.readout.choices.is_empty() {
                assert_eq!(
                    f.choices.as_ref(),
                    Some(&show.readout.choices),
                    "the offer, once"
                );
                return show;
            }
        }
        panic!("no choice within 10 minutes");
    }

    #[test]
    fn a_gaze_resting_on_a_panel_takes_its_choice_with_no_button() {
        use showrunner_scene::choices::panel_position;
        let fps = 72.0;
        let mut show = to_first_choice(fps);
        let head = Vec3::new(0.0, 1.25, 0.6);
        let count = show.readout.choices.len();
        let (panel, _) = panel_position(count - 1, count, head);
        let input = ViewerInput {
            head,
            gaze: Some((head, (panel - head).normalize())),
            ..Default::default()
        };
        let (mut dwelt, mut ring) = (None, 0.0f32);
        for _ in 0..(fps as usize * 3) {
            let frame = show.advance(1.0 / fps, &input).unwrap();
            if let Some((_, fill)) = show.readout.dwell {
                ring = ring.max(fill);
            }
            if frame.dwelt.is_some() {
                dwelt = frame.dwelt;
            }
            if show.readout.decision.starts_with("you chose") {
                break;
            }
        }
        assert_eq!(dwelt, Some(count - 1));
        assert!(ring > 0.9, "the ring filled: {ring}");
        assert!(
            show.readout.decision.starts_with("you chose"),
            "{}",
            show.readout.decision
        );
    }

    #[test]
    fn select_takes_the_aimed_panel_and_says_when_it_aims_at_none() {
        let mut show = to_first_choice(90.0);
        let head = Vec3::new(0.0, 1.25, 0.6);
        let up = ViewerInput {
            head,
            pointer: Some((head, Vec3::Y)),
            select: true,
            ..Default::default()
        };
        let frame = show.advance(1.0 / 90.0, &up).unwrap();
        assert_eq!(frame.select, Some(None));
        let ahead = ViewerInput {
            pointer: Some((head, -Vec3::Z)),
            ..up
        };
        let frame = show.advance(1.0 / 90.0, &ahead).unwrap();
        assert!(matches!(frame.select, Some(Some(_))));
    }

    #[test]
    fn in_a_venue_the_notice_also_says_what_the_operator_sees() {
        use showrunner_scene::captions::Notice;
        use showrunner_scene::components::Label;
        let mut seat = show();
        seat.ask_consent_at_venue();
        seat.advance(1.0 / 90.0, &ViewerInput::default()).unwrap();
        assert_eq!(seat.consent(), Consent::Asking);
        let notice: Vec<String> = seat
            .scene
            .world
            .query::<(&Notice, &Label)>()
            .iter()
            .map(|(_, l)| l.text.clone())
            .collect();
        assert_eq!(notice.len(), 1);
        assert!(notice[0].starts_with(consent::NOTICE));
        assert!(notice[0].ends_with(consent::AT_VENUE));
        assert!(consent::AT_VENUE.contains("never your heart rate"));
    }

    #[test]
    fn consent_holds_the_film_and_its_answer_is_logged_and_handed_to_the_front_end() {
        use showrunner_scene::captions::Notice;
        use showrunner_scene::components::{Label, LabelLook};
        let head = Vec3::new(0.0, 1.25, 0.6);
        let ahead = (head, Vec3::NEG_Z);
        // Asked: the notice and its two answers are in the world; nothing ticks; the eyes'
        // ray is not read (a gaze resting on "with sensing" does not take it).
        let mut asked = show();
        asked.ask_consent();
        let gazing = ViewerInput {
            head,
            gaze: Some(ahead),
            ..Default::default()
        };
        for _ in 0..(5 * 90) {
            let f = asked.advance(1.0 / 90.0, &gazing).unwrap();
            assert!(f.ticks.is_empty() && f.consent.is_none());
        }
        assert_eq!(asked.consent(), Consent::Asking);
        assert_eq!(asked.clock(), 0.0);
        assert_eq!(asked.readout.gaze_attention, None, "the eyes were not read");
        let world = &asked.scene.world;
        let notice: Vec<String> = world
            .query::<(&Notice, &Label)>()
            .iter()
            .map(|(_, l)| l.text.clone())
            .collect();
        assert_eq!(notice, [consent::NOTICE]);
        let panels = world
            .query::<&Label>()
            .iter()
            .filter(|l| l.look == LabelLook::Panel)
            .count();
        assert_eq!(panels, 2);
        // Declining (key 2): the answer comes out once, the notice goes, the film starts,
        // and gaze stays unread for the rest of the film.
        let f = asked
            .advance(
                1.0 / 90.0,
                &ViewerInput {
                    choose: Some(1),
                    ..gazing
                },
            )
            .unwrap();
        assert_eq!(f.consent, Some(Consent::Declined));
        assert!(asked.readout.choices.is_empty());
        assert!(
            asked
                .readout
                .notice
                .starts_with("This film plays as written"),
            "the consent notice gives way to the start line: {}",
            asked.readout.notice
        );
        let mut lines = String::new();
        for _ in 0..(40 * 90) {
            let f = asked.advance(1.0 / 90.0, &gazing).unwrap();
            assert!(f.consent.is_none());
            lines.extend(f.beats.iter().map(|b| b.line.clone()));
        }
        assert!(asked.clock() > 30.0, "the film plays");
        assert_eq!(asked.readout.gaze_attention, None);
        assert_eq!(asked.scene.world.query::<&Notice>().iter().count(), 0);
        let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
        let events = first["decisions"]["events"].as_array().unwrap();
        assert_eq!(events[0]["kind"], "consent");
        assert!(events[0]["reason"].as_str().unwrap().contains("declined"));
        // Accepting (a select on the first panel) starts the film with the eyes read.
        let mut yes = show();
        yes.ask_consent();
        yes.advance(1.0 / 90.0, &gazing).unwrap();
        let (to_accept, _) = showrunner_scene::choices::panel_position(0, 2, head);
        let f = yes
            .advance(
                1.0 / 90.0,
                &ViewerInput {
                    pointer: Some((head, (to_accept - head).normalize())),
                    select: true,
                    ..gazing
                },
            )
            .unwrap();
        assert_eq!(f.consent, Some(Consent::Given));
        for _ in 0..90 {
            yes.advance(1.0 / 90.0, &gazing).unwrap();
        }
        assert!(
            yes.readout.gaze_attention.is_some(),
            "the eyes are read now"
        );
        // An installation's consent is logged as such.
        let mut kiosk = show();
        kiosk.set_consent(Consent::GivenOffHeadset);
        let mut line = None;
        while line.is_none() {
            line = kiosk
                .run(0.1)
                .unwrap()
                .beats
                .first()
                .map(|b| b.line.clone());
        }
        assert!(line.unwrap().contains("--consent given"));
    }

    #[test]
    fn the_film_says_it_adapts_at_the_start_and_what_adapted_at_the_end() {
        use showrunner_scene::captions::Notice;
        use showrunner_scene::components::Label;
        let notice = |s: &Show<Neutral>| {
            s.scene
                .world
                .query::<(&Notice, &Label)>()
                .iter()
                .map(|(_, l)| l.text.clone())
                .next()
        };
        let mut refined = show();
        refined.disclose_refinement(true);
        refined
            .advance(1.0 / 90.0, &ViewerInput::default())
            .unwrap();
        let start = notice(&refined).expect("the start line is up");
        assert!(
            start.contains("adapts") && start.contains("neural network"),
            "{start}"
        );
        let mut plain = show();
        plain.advance(1.0 / 90.0, &ViewerInput::default()).unwrap();
        assert!(!notice(&plain).unwrap().contains("neural network"));
        // Gone after its seconds; the credits at the end, with what adapted, counted.
        while plain.clock() < START_LINE_S + 0.5 {
            plain.advance(0.25, &ViewerInput::default()).unwrap();
        }
        assert_eq!(notice(&plain), None);
        while !plain.readout.ended && plain.clock() < 4.0 * 3600.0 {
            plain.advance(0.25, &ViewerInput::default()).unwrap();
        }
        assert!(plain.readout.ended);
        plain.advance(0.25, &ViewerInput::default()).unwrap();
        let credits = notice(&plain).expect("the credits are up");
        assert!(credits.starts_with("The End\nWhat adapted"), "{credits}");
        assert!(
            credits.contains("No neural network refined the pictures."),
            "{credits}"
        );
        let chosen = plain
            .lead
            .as_ref()
            .unwrap()
            .log
            .state
            .counts
            .director_choices;
        if chosen > 0 {
            assert!(credits.contains(&format!("{chosen} choice")), "{credits}");
        }
    }

    #[test]
    fn what_the_viewer_is_told_is_up_once_after_the_start_line_and_logged() {
        let mut film = show();
        let none = ViewerInput::default();
        let mut lines = String::new();
        let f = film.advance(0.1, &none).unwrap();
        lines.extend(f.beats.iter().map(|b| b.line.clone()));
        let start_line = film.readout.notice.clone();
        assert!(!start_line.is_empty(), "the start line is up");
        film.tell("Bluetooth was not allowed");
        film.tell("Eye tracking was not allowed");
        let mut seen: Vec<(String, f64)> = vec![(start_line.clone(), film.clock())];
        while film.clock() < START_LINE_S + 3.0 * TELL_S {
            let f = film.advance(0.25, &none).unwrap();
            lines.extend(f.beats.iter().map(|b| b.line.clone()));
            let n = film.readout.notice.clone();
            if seen.last().is_none_or(|(last, _)| *last != n) {
                seen.push((n, film.clock()));
            }
        }
        let words: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            words,
            [
                start_line.as_str(),
                "Bluetooth was not allowed",
                "Eye tracking was not allowed",
                ""
            ],
            "after the start line, each in turn, once"
        );
        let up = seen[2].1 - seen[1].1;
        assert!((up - TELL_S).abs() <= 0.5, "up {up} s");
        assert_eq!(lines.matches("\"kind\":\"told\"").count(), 2, "{lines}");
    }

    #[test]
    fn the_menu_holds_the_film_switches_sensing_and_recentres_each_use_logged() {
        let mut film = show();
        film.set_consent(Consent::GivenOffHeadset);
        let none = ViewerInput::default();
        let mut lines = String::new();
        fn step(
            film: &mut Show<Neutral>,
            dt: f64,
            input: &ViewerInput,
            lines: &mut String,
        ) -> ShowFrame {
            let f = film.advance(dt, input).unwrap();
            lines.extend(f.beats.iter().map(|b| b.line.clone()));
            f
        }
        for _ in 0..90 {
            step(&mut film, 1.0 / 90.0, &none, &mut lines);
        }
        let t = film.clock();
        film.advance(1.0 / 90.0, &ViewerInput { menu: true, ..none })
            .unwrap();
        assert!(film.menu_open());
        assert_eq!(
            film.readout.choices[..4],
            [
                "Back to the film",
                "Turn sensing off",
                "Recentre the view",
                "Save Mara"
            ]
        );
        assert!(film.readout.notice.starts_with("Menu\n"));
        for _ in 0..180 {
            let f = step(&mut film, 1.0 / 90.0, &none, &mut lines);
            assert!(f.ticks.is_empty(), "the film holds");
        }
        assert_eq!(film.clock(), t);
        // Sensing off (key 2): handed to the front end, logged, the menu closes.
        let f = film
            .advance(
                1.0 / 90.0,
                &ViewerInput {
                    choose: Some(1),
                    ..none
                },
            )
            .unwrap();
        assert_eq!(f.consent, Some(Consent::TurnedOff));
        assert!(!film.menu_open());
        assert!(!film.consent().allows_gaze() && !film.consent().sensing());
        // Reopened: the switch now turns it back on; recentre is handed out.
        film.advance(1.0 / 90.0, &ViewerInput { menu: true, ..none })
            .unwrap();
        assert_eq!(film.readout.choices[1], "Turn sensing on");
        let f = film
            .advance(
                1.0 / 90.0,
                &ViewerInput {
                    choose: Some(2),
                    ..none
                },
            )
            .unwrap();
        assert!(f.recentre && f.consent.is_none());
        // The story's own choices come back when the menu closes over them.
        while film.readout.choices.is_empty() {
            step(&mut film, 0.25, &none, &mut lines);
        }
        let offered = film.readout.choices.clone();
        film.advance(1.0 / 90.0, &ViewerInput { menu: true, ..none })
            .unwrap();
        assert_ne!(film.readout.choices, offered);
        film.advance(1.0 / 90.0, &ViewerInput { menu: true, ..none })
            .unwrap();
        assert_eq!(film.readout.choices, offered);
        // Every use is in the log, with its reason.
        while lines.matches("\"kind\":\"menu\"").count() < 6 && !film.readout.ended {
            step(&mut film, 0.25, &none, &mut lines);
        }
        assert!(
            lines.contains("turned sensing off from the menu"),
            "{lines}"
        );
        assert!(lines.contains("the viewer recentred the view"), "{lines}");
    }

    #[test]
    fn the_viewer_recasts_a_role_and_changes_the_setting_from_the_menu() {
        use showrunner_scene::components::{Character, Mesh};
        use showrunner_scene::sets::Performer;
        let none = ViewerInput::default();
        let open = ViewerInput { menu: true, ..none };
        let mut film = show();
        film.scene.library.cast(
            "you",
            Performer {
                models: vec!["you".into()],
                material: Default::default(),
                rig: None,
            },
        );
        let mut log = String::new();
        while film.on_stage().is_empty() {
            let f = film.advance(0.25, &none).unwrap();
            log.extend(f.beats.iter().map(|b| b.line.clone()));
        }
        let pick = |film: &mut Show<Neutral>, log: &mut String, starts: &str| {
            let i = film
                .readout
                .choices
                .iter()
                .position(|c| c.starts_with(starts))
                .unwrap_or_else(|| panic!("no `{starts}` in {:?}", film.readout.choices));
            let f = film
                .advance(
                    1.0 / 90.0,
                    &ViewerInput {
                        choose: Some(i),
                        ..none
                    },
                )
                .unwrap();
            log.extend(f.beats.iter().map(|b| b.line.clone()));
        };
        // Who plays whom: the characters on stage; who could play the first of them.
        let (actor, role) = film.on_stage()[0].clone();
        let title = menu::set_title(&actor);
        film.advance(1.0 / 90.0, &open).unwrap();
        pick(&mut film, &mut log, "Who plays whom");
        assert_eq!(film.readout.choices[0], "Back to the film");
        pick(&mut film, &mut log, &format!("{title}, the {role}"));
        assert_eq!(
            film.readout.choices,
            [
                "Back to the film".to_owned(),
                format!("Played by {title}, as written (now)"),
                "Played by you (your own avatar)".to_owned(),
            ]
        );
        // Their own, greyed, does nothing; the viewer's avatar plays them at once.
        pick(&mut film, &mut log, &format!("Played by {title}"));
        assert!(film.menu_open());
        pick(&mut film, &mut log, "Played by you");
        assert!(!film.menu_open(), "the menu closes on the film");
        let mesh = film
            .scene
            .world
            .query::<(&Character, &Mesh)>()
            .iter()
            .find(|(c, _)| c.id == actor)
            .map(|(_, m)| m.0.clone());
        assert_eq!(mesh.as_deref(), Some("you"));
        // Change the setting: the sets, a page at a time, coming round again.
        film.advance(1.0 / 90.0, &open).unwrap();
        pick(&mut film, &mut log, "Change the setting");
        let first = film.readout.choices.clone();
        assert_eq!(first.len(), menu::PAGE + 2, "{first:?}");
        assert_eq!(first.last().map(String::as_str), Some("More"));
        pick(&mut film, &mut log, "More");
        assert_ne!(film.readout.choices, first);
        pick(&mut film, &mut log, "More");
        assert_eq!(film.readout.choices, first, "two pages of twelve sets");
        let scene = film.scene.stage.scene.clone().unwrap();
        let to = first[1..]
            .iter()
            .position(|c| !c.ends_with("(here now)") && !c.ends_with("as written"))
            .map(|i| film.core.menu.as_ref().unwrap().keys[i].clone())
            .unwrap();
        pick(&mut film, &mut log, &menu::set_title(&to));
        assert!(!film.menu_open());
        assert_eq!(film.scene.library.set_of(&scene), to);
        // Both are in the log, with what was done.
        while !log.contains("changed the setting") && !film.readout.ended {
            let f = film.advance(0.25, &none).unwrap();
            log.extend(f.beats.iter().map(|b| b.line.clone()));
        }
        assert!(
            log.contains(&format!("the viewer recast {actor}: you plays them now")),
            "{log}"
        );
        assert!(
            log.contains(&format!("the scene {scene} plays in the set {to}")),
            "{log}"
        );
        // Kept in the save: a resumed film plays as the viewer left it; a save from before
        // the menu could restage still loads.
        let save = loop {
            if let Some(s) = film.advance(0.25, &none).unwrap().save {
                break s;
            }
        };
        assert_eq!(save.restaged.recast.get(&actor), Some(&"you".to_owned()));
        assert_eq!(save.restaged.settings.get(&scene), Some(&to));
        let mut library = SetLibrary::builtin();
        library.cast(
            "you",
            Performer {
                models: vec!["you".into()],
                material: Default::default(),
                rig: None,
            },
        );
        let resumed = |library: SetLibrary| {
            Show::resume(
                &story(),
                DirectorConfig::default(),
                library,
                &save,
                "save.json",
                neutral as Neutral,
            )
            .unwrap()
        };
        let mut again = resumed(library);
        assert_eq!(again.scene.library.played_by(&actor), "you");
        assert_eq!(again.scene.library.set_of(&scene), to);
        assert!(again.advance(0.1, &none).unwrap().warnings.is_empty());
        // Without the avatar this time: said, naming the save, and Mara is Mara again.
        let mut without = resumed(SetLibrary::builtin());
        assert_eq!(without.scene.library.played_by(&actor), actor);
        let w = without.advance(0.1, &none).unwrap().warnings;
        assert!(
            w.iter()
                .any(|w| w.starts_with("save.json") && w.contains("you")),
            "{w:?}"
        );
        let mut old: Value = serde_json::to_value(&*save).unwrap();
        old.as_object_mut().unwrap().remove("restaged");
        let old = ShowState::from_json(&old.to_string(), "old.json").unwrap();
        assert_eq!(old.restaged, Restaged::default());
    }

    #[test]
    fn saving_a_character_from_the_menu_spares_them_and_greys_what_cannot_be_done() {
        use showrunner_core::Fate;
        let none = ViewerInput::default();
        let open = ViewerInput { menu: true, ..none };
        // The same film to its end, with and without the viewer asking to save Mara; the
        // director makes every choice (a neutral viewer who never chooses).
        let ending = |save: bool| {
            let mut film = show();
            film.advance(1.0 / 90.0, &open).unwrap();
            let entries = film.readout.choices.clone();
            let save_mara = entries
                .iter()
                .position(|e| e == "Save Mara")
                .expect("offered");
            let tomas = entries
                .iter()
                .position(|e| e.starts_with("Tomas: the story's own lines decide"))
                .expect("greyed, saying why");
            assert!(
                !entries.iter().any(|e| e.contains("Calum")),
                "Calum never dies: {entries:?}"
            );
            // A greyed entry does nothing: the menu stays open.
            film.advance(
                1.0 / 90.0,
                &ViewerInput {
                    choose: Some(tomas),
                    ..none
                },
            )
            .unwrap();
            assert!(film.menu_open());
            let pick = if save { save_mara } else { 0 };
            film.advance(
                1.0 / 90.0,
                &ViewerInput {
                    choose: Some(pick),
                    ..none
                },
            )
            .unwrap();
            assert!(!film.menu_open());
            let mut log = String::new();
            while !film.readout.ended && film.clock() < 4.0 * 3600.0 {
                let f = film.advance(0.25, &none).unwrap();
                log.extend(f.beats.iter().map(|b| b.line.clone()));
            }
            let lead = film.lead.as_ref().unwrap();
            (lead.log.state.staging.fates.get("mara").copied(), log)
        };
        let (saved, log) = ending(true);
        assert_eq!(saved, Some(Fate::Alive), "Mara lives when the viewer asked");
        assert!(
            log.contains("the viewer asked to save mara"),
            "logged with its reason"
        );
        assert!(
            log.contains("greyed entry"),
            "the greyed entry's use is logged too"
        );
        let (unasked, _) = ending(false);
        assert_eq!(
            unasked,
            Some(Fate::Dead),
            "the same film, not asked: she falls"
        );
    }

    #[test]
    fn another_ending_rewinds_to_a_choice_that_leads_to_an_ending_not_seen() {
        let none = ViewerInput::default();
        let mut film = show();
        let play_out = |film: &mut Show<Neutral>, log: &mut String| {
            while !film.readout.ended && film.clock() < 4.0 * 3600.0 {
                let f = film.advance(0.25, &none).unwrap();
                log.extend(f.beats.iter().map(|b| b.line.clone()));
            }
            film.lead.as_ref().unwrap().log.state.staging.ending.clone()
        };
        let mut log = String::new();
        let first = play_out(&mut film, &mut log).expect("the sample tags its endings");
        // After the end the menu offers another ending (taken: true), or says none is left
        // (false); the menu panics on neither.
        let take_another = |film: &mut Show<Neutral>| {
            film.advance(0.25, &ViewerInput { menu: true, ..none })
                .unwrap();
            let entries = film.readout.choices.clone();
            if entries
                .iter()
                .any(|e| e.starts_with("You have seen every ending"))
            {
                return false;
            }
            let k = entries
                .iter()
                .position(|e| e == "Another ending")
                .unwrap_or_else(|| panic!("{entries:?}"));
            film.advance(
                0.25,
                &ViewerInput {
                    choose: Some(k),
                    ..none
                },
            )
            .unwrap();
            true
        };
        let t = film.clock();
        assert!(take_another(&mut film), "another ending is offered");
        assert!(!film.readout.ended && !film.menu_open());
        let second = play_out(&mut film, &mut log).expect("an ending");
        assert_ne!(second, first, "a different ending");
        assert!(film.clock() > t, "the clock went on");
        assert!(log.contains("another ending: back to the choice"), "logged");
        let seen = &film.lead.as_ref().unwrap().seen_endings;
        assert_eq!(seen[..], [first, second]);
        // Again and again: each time a new ending, until none is left to see from these
        // choices, and the entry greys out.
        for _ in 0..8 {
            if !take_another(&mut film) {
                break;
            }
            play_out(&mut film, &mut log);
        }
        let seen = film.lead.as_ref().unwrap().seen_endings.clone();
        assert!(seen.len() >= 3, "{seen:?}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            seen.len(),
            "never the same ending twice: {seen:?}"
        );
        assert!(
            film.readout
                .choices
                .iter()
                .any(|e| e.starts_with("You have seen every ending")),
            "{:?} after {seen:?}",
            film.readout.choices
        );
    }

    #[test]
    fn a_paused_show_stands_still() {
        let mut show = show();
        let input = ViewerInput::default();
        for _ in 0..90 {
            show.advance(1.0 / 90.0, &input).unwrap();
        }
        let pause = ViewerInput {
            pause: true,
            ..input
        };
        show.advance(1.0 / 90.0, &pause).unwrap();
        let t = show.clock();
        for _ in 0..900 {
            let f = show.advance(1.0 / 90.0, &input).unwrap();
            assert!(f.ticks.is_empty());
        }
        assert_eq!(show.clock(), t);
        assert!(show.readout.paused);
        show.advance(1.0 / 90.0, &pause).unwrap();
        for _ in 0..90 {
            show.advance(1.0 / 90.0, &input).unwrap();
        }
        assert!(show.clock() > t);
    }

    #[test]
    fn a_save_resumes_at_the_next_beat_with_the_director_as_it_was() {
        let mut a = show();
        let mut save = None;
        let mut lines = Vec::new();
        while save.is_none() || lines.len() < 3 {
            let f = a.run(0.1).unwrap();
            lines.extend(f.beats.iter().map(|b| b.line.clone()));
            if f.save.is_some() {
                save = f.save;
            }
        }
        let save = save.unwrap();
        let text = serde_json::to_string(&*save).unwrap();
        let state = ShowState::from_json(&text, "save.json").unwrap();
        assert_eq!(state, *save);
        let mut b = Show::resume(
            &story(),
            DirectorConfig::default(),
            SetLibrary::builtin(),
            &state,
            "save.json",
            neutral as Neutral,
        )
        .unwrap();
        // Both go on from the same point: the same next lines.
        let (mut la, mut lb) = (Vec::new(), Vec::new());
        for _ in 0..600 {
            la.extend(a.run(0.1).unwrap().beats.into_iter().map(|b| b.line));
            lb.extend(b.run(0.1).unwrap().beats.into_iter().map(|b| b.line));
        }
        assert!(!la.is_empty());
        assert_eq!(la, lb);
        assert_eq!(a.summary("x"), b.summary("x"));
    }

    #[test]
    fn a_bad_save_is_named_and_refused() {
        let e = ShowState::from_json("{\"version\": 2, ", "s.json").unwrap_err();
        assert!(format!("{e:#}").starts_with("s.json:1:"), "{e:#}");
        let e = ShowState::from_json("{\"version\": 1}", "s.json").unwrap_err();
        assert!(format!("{e:#}").contains("another version"), "{e:#}");
        let e = ShowState::from_json("{\"version\": 2}", "s.json").unwrap_err();
        assert!(format!("{e:#}").contains("not a showrunner save"), "{e:#}");
        let mut other = show();
        let mut save = None;
        while save.is_none() {
            save = other.run(0.1).unwrap().save;
        }
        let mut state = *save.unwrap();
        state.fingerprint = "another".into();
        let e = Show::resume(
            &story(),
            DirectorConfig::default(),
            SetLibrary::builtin(),
            &state,
            "s.json",
            neutral as Neutral,
        )
        .err()
        .unwrap();
        assert!(format!("{e:#}").contains("another story"), "{e:#}");
    }

    #[test]
    fn a_bored_viewer_gets_the_high_stakes_choice_whichever_way_its_tags_are_written() {
        // Inside the brackets, and after them (inkle's documented form, which ink prints on
        // the chosen line): the director sees the stakes either way.
        let inside = "The boat rocks.\n* [Stay in the boat # stakes: low # intensity: 0.1]\n  -> calm\n* [Row out to the wreck # stakes: high # intensity: 0.9]\n  -> wreck\n=== calm ===\nCalm.\n-> END\n=== wreck ===\nCold water.\n-> END\n";
        let after = "The boat rocks.\n* [Stay in the boat] # stakes: low # intensity: 0.1\n  -> calm\n* [Row out to the wreck] # stakes: high # intensity: 0.9\n  -> wreck\n=== calm ===\nCalm.\n-> END\n=== wreck ===\nCold water.\n-> END\n";
        for src in [inside, after] {
            let story = compile_source(src, "boat.ink", Path::new(".")).unwrap();
            let bored = |t: f64, _: f32| EngagementSample {
                t,
                arousal_z: 0.0,
                boredom: 0.9,
                attention: 1.0,
                quality: 1.0,
            };
            let mut show = Show::new(
                &story,
                1,
                DirectorConfig::default(),
                SetLibrary::builtin(),
                bored,
            )
            .unwrap();
            while !show.readout.ended {
                show.run(0.1).unwrap();
                assert!(show.clock() < 120.0, "the story ends");
            }
            assert_eq!(
                show.readout.decision, "the director chose \"Row out to the wreck\"",
                "{src}"
            );
        }
    }

    #[test]
    fn de_escalation_visibly_calms_the_actors() {
        use showrunner_scene::components::{Character, Pose};
        let src = "-> start\n=== start ===\nThe storm breaks the glass. # scene: lamp_room # cast: keeper=mara # cast: skipper=tomas # stakes: high # intensity: 0.95 # shot: 60\n-> END\n";
        let story = compile_source(src, "storm.ink", Path::new(".")).unwrap();
        // The same beat for a viewer at ease and for one whose heart races past the ceiling.
        let play = |arousal_z: f32| {
            let viewer = move |t: f64, _: f32| EngagementSample {
                t,
                arousal_z,
                boredom: 0.0,
                attention: 1.0,
                quality: 1.0,
            };
            let mut show = Show::new(
                &story,
                1,
                DirectorConfig::default(),
                SetLibrary::builtin(),
                viewer,
            )
            .unwrap();
            let input = ViewerInput::default();
            let mut max_arm = 0.0f32;
            for k in 0..(90 * 40) {
                show.advance(1.0 / 90.0, &input).unwrap();
                if k >= 90 * 30 {
                    for (_, p) in show.scene.world.query::<(&Character, &Pose)>().iter() {
                        max_arm = max_arm.max(p.arm_raise);
                    }
                }
            }
            (show.readout.mode, show.scene.stage.played.unwrap(), max_arm)
        };
        let (calm_mode, calm_i, calm_arm) = play(0.0);
        let (tense_mode, tense_i, tense_arm) = play(4.0);
        assert_eq!(tense_mode, "deescalating");
        assert_ne!(calm_mode, "deescalating");
        assert!(tense_i < calm_i - 0.3, "intensity {tense_i} vs {calm_i}");
        assert!(
            tense_arm < calm_arm * 0.6,
            "the actors' arms: {tense_arm} while de-escalating vs {calm_arm}"
        );
    }

    #[test]
    fn a_reloaded_story_goes_on_at_the_same_knot_with_the_director_as_it_was() {
        let v1 = "-> quay\n=== quay ===\nThe quay. # shot: 1\n-> lamp\n=== lamp ===\nThe lamp, first draft. # shot: 1\nStill the lamp. # shot: 30\n-> END\n";
        let v2 = "-> quay\n=== quay ===\nThe quay. # shot: 1\n-> lamp\n=== lamp ===\nThe lamp, second draft. # shot: 1\n-> END\n";
        let v3 = "-> dock\n=== dock ===\nA dock. # shot: 1\n-> END\n";
        let compile = |src: &str| compile_source(src, "draft.ink", Path::new(".")).unwrap();
        let mut show = Show::new(
            &compile(v1),
            1,
            DirectorConfig::default(),
            SetLibrary::builtin(),
            neutral as Neutral,
        )
        .unwrap();
        while show.readout.text != "Still the lamp." {
            show.run(0.1).unwrap();
        }
        let (beats, clock) = (show.readout.beats, show.clock());
        assert_eq!(show.reload(&compile(v2)).unwrap(), "lamp");
        let mut saw = Vec::new();
        while !show.readout.ended {
            show.run(0.1).unwrap();
            saw.push(show.readout.text.clone());
        }
        assert!(
            saw.contains(&"The lamp, second draft.".to_owned()),
            "{saw:?}"
        );
        assert!(
            show.readout.beats > beats && show.clock() > clock,
            "kept counting"
        );
        // A draft without that knot (nor any visited before it) starts from the top.
        let mut show2 = Show::new(
            &compile(v1),
            1,
            DirectorConfig::default(),
            SetLibrary::builtin(),
            neutral as Neutral,
        )
        .unwrap();
        show2.run(0.1).unwrap();
        assert_eq!(show2.reload(&compile(v3)).unwrap(), "the top");
        show2.run(0.1).unwrap();
        assert_eq!(show2.readout.text, "A dock.");
    }

    #[test]
    fn a_storys_own_palette_grades_the_film() {
        let src = "# palette_def: amber = warm 0.8, saturation 1.3, exposure 0.3\nThe lamp. # palette: amber # shot: 30\n-> END\n";
        let story = compile_source(src, "amber.ink", Path::new(".")).unwrap();
        let mut show = Show::new(
            &story,
            1,
            DirectorConfig::default(),
            SetLibrary::builtin(),
            neutral as Neutral,
        )
        .unwrap();
        for _ in 0..200 {
            show.run(0.1).unwrap();
        }
        let g = show.readout.grade;
        assert!(
            (g.warmth - 0.8).abs() < 0.05 && (g.saturation - 1.3).abs() < 0.05,
            "the grade reached the story's amber: {g:?}"
        );
        // The log names it as the author did.
        let mut lines = Vec::new();
        while !show.readout.ended {
            lines.extend(show.run(0.1).unwrap().beats.into_iter().map(|b| b.line));
        }
        assert!(
            lines.iter().any(|l| l.contains("author's palette `amber`")),
            "{lines:?}"
        );
    }

    #[test]
    fn a_follower_plays_what_its_leader_hands_out() {
        let mut leader = show();
        leader.hand_out_cues(true);
        let nobody =
            |t: f64, _: f32| -> EngagementSample { panic!("a follower asks no one ({t})") };
        let mut follower = Show::follower(SetLibrary::builtin(), nobody);
        let input = ViewerInput {
            head: Vec3::new(0.0, 1.25, 0.6),
            ..Default::default()
        };
        for _ in 0..(72 * 90) {
            let f = leader.advance(1.0 / 72.0, &input).unwrap();
            follower.follow(f.cues);
            follower.advance(1.0 / 72.0, &input).unwrap();
            assert_eq!(follower.readout.text, leader.readout.text);
            assert_eq!(follower.readout.choices, leader.readout.choices);
            assert_eq!(follower.readout.grade, leader.readout.grade);
        }
        assert!(leader.readout.beats > 3);
        assert_eq!(follower.readout.beats, leader.readout.beats);
        assert_eq!(follower.clock(), leader.clock());
        assert_eq!(follower.scene.stage.scene, leader.scene.stage.scene);
        assert_eq!(follower.scene.stage.cast, leader.scene.stage.cast);
        assert!(follower.summary("x").is_none());
    }

    #[test]
    fn a_follower_that_joins_late_stages_what_the_leader_staged_and_takes_its_director() {
        let mut leader = show();
        let input = ViewerInput {
            head: Vec3::new(0.0, 1.25, 0.6),
            ..Default::default()
        };
        for _ in 0..(72 * 40) {
            leader.advance(1.0 / 72.0, &input).unwrap();
        }
        let staged = leader.staged();
        assert!(staged.iter().any(|d| matches!(d, Directive::Scene(_))));
        let nobody =
            |t: f64, _: f32| -> EngagementSample { panic!("a follower asks no one ({t})") };
        let mut late = Show::follower(SetLibrary::builtin(), nobody);
        let storm = showrunner_director::Grade::of(Palette::Storm);
        late.follow([
            Cue::Beat {
                knot: leader.readout.knot.clone(),
                text: leader.readout.text.clone(),
                directives: staged,
            },
            Cue::Director {
                clock_s: leader.clock(),
                mode: showrunner_director::Mode::Bored,
                intensity: 0.7,
                grade: storm,
                refine_strength: 0.2,
                decision: "raise the stakes".into(),
            },
        ]);
        late.advance(1.0 / 72.0, &input).unwrap();
        assert_eq!(late.scene.stage.scene, leader.scene.stage.scene);
        assert_eq!(late.scene.stage.cast, leader.scene.stage.cast);
        assert_eq!(late.readout.text, leader.readout.text);
        assert_eq!(late.clock(), leader.clock());
        let r = &late.readout;
        assert_eq!((r.mode, r.intensity, r.grade), ("bored", 0.7, storm));
        assert_eq!(r.decision, "raise the stakes");
    }

    #[test]
    fn the_viewers_input_is_placed_where_the_vantage_stands_them() {
        use showrunner_scene::vantage::Vantage;
        let mut v = Vantage::default();
        v.go_to(Vantage::facing(
            Vec3::new(2.0, 0.0, -1.0),
            std::f32::consts::FRAC_PI_2,
        ));
        for _ in 0..90 {
            v.step(1.0 / 90.0);
        }
        let input = ViewerInput {
            head: Vec3::new(0.0, 1.25, 0.0),
            pointer: Some((Vec3::new(0.0, 1.25, 0.0), Vec3::NEG_Z)),
            select: true,
            ..ViewerInput::default()
        };
        let placed = input.placed(&v);
        assert!((placed.head - Vec3::new(2.0, 1.25, -1.0)).length() < 1e-5);
        // Straight ahead, a quarter turn left: −x in the set.
        assert!((placed.facing - Vec3::NEG_X).length() < 1e-5);
        assert!((placed.pointer.unwrap().1 - Vec3::NEG_X).length() < 1e-5);
        assert!(placed.select, "presses pass through");
    }
}
