//! The film as one thing: the story runner, the director, the engagement source's samples and
//! the staged [`Scene`], advanced one frame at a time by [`Show::advance`]. The window and the
//! headset are shells around it: they read input, call `advance`, and present the scene and the
//! [`Readout`].
//!
//! The director ticks at a fixed 10 Hz whatever the display rate (the film's decisions do not
//! depend on it), each new beat's directives are staged, the choice panels follow the viewer,
//! and the scene steps (locomotion, gesture, physics). The headless screening (`screen`) runs
//! the same beat rules ([`beat_seconds`], [`beat_intensity`], [`choice_option`]) on a simulated
//! clock with saves; moving it onto `Show` is the next step of issue 18.
//!
//! No wgpu, no burn, no Bluetooth stack: it builds and tests in seconds.

use anyhow::Result;
use showrunner_core::{Directive, EngagementSample, Palette};
use showrunner_director::{
    Chooser, Director, DirectorConfig, Event, Grade, InterludeOption, StoryView, Tick,
};
use showrunner_scene::choices::{aimed_choice, choice_panels_system};
use showrunner_scene::glam::Vec3;
use showrunner_scene::sets::SetLibrary;
use showrunner_scene::Scene;
use showrunner_story::{CompiledStory, Step, StoryRunner};

mod beat;
mod source;
pub mod viewer;

pub use beat::{beat_intensity, beat_seconds, choice_option, interlude_options, story_engagement};
pub use source::{EngagementSource, LiveViewer};

/// Director ticks per second (the screening's rate).
const TICK_HZ: f64 = 10.0;
const TICK_S: f64 = 1.0 / TICK_HZ;

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
    /// The director's last event, as a sentence (`kind: reason`).
    pub decision: String,
    /// The current beat's text (subtitles).
    pub text: String,
    /// Choices on offer (empty outside a choice point).
    pub choices: Vec<String>,
    /// Beats shown so far.
    pub beats: u64,
    /// The knot of the current beat (for messages about its cues).
    pub knot: String,
    /// High-stakes interludes the director has diverted to so far.
    pub diverts: u64,
    /// The story has ended.
    pub ended: bool,
}

/// What the viewer does this frame, as the front end read it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ViewerInput {
    /// Where the viewer's head is (stage space): the choice panels face it.
    pub head: Vec3,
    /// The ray the viewer points or looks along (origin, unit direction): the panel it meets
    /// lights up. `None` when nothing points.
    pub pointer: Option<(Vec3, Vec3)>,
}

/// What one frame brought, for the front end to present or report.
#[derive(Debug, Default, PartialEq)]
pub struct ShowFrame {
    /// The directives staged this frame (a new beat's, a choice's fates); empty in most frames.
    /// Sound takes its cues from them.
    pub staged: Vec<Directive>,
    /// What could not be staged this frame (a scene with no set), each said once.
    pub warnings: Vec<String>,
}

/// The show, driven by frames.
pub struct Show {
    runner: StoryRunner,
    director: Director,
    phase: Phase,
    clock: f64,
    acc: f64,
    palette: Palette,
    last_mercy: bool,
    staged: Vec<Directive>,
    /// The interludes as the director weighs them, refreshed when the story steps (ink's visit
    /// counts only change then, and reading them allocates).
    interludes: Vec<InterludeOption>,
    /// What to show about it.
    pub readout: Readout,
    /// The staged scene the front end renders.
    pub scene: Scene,
}

impl Show {
    /// Starts `story` with the director's `config`, staging from `library`.
    pub fn new(
        story: &CompiledStory,
        seed: u64,
        config: DirectorConfig,
        library: SetLibrary,
    ) -> Result<Self> {
        Ok(Self {
            scene: Scene::new(library),
            runner: StoryRunner::new(story, seed)?,
            director: Director::new(config),
            phase: Phase::Next,
            clock: 0.0,
            acc: 0.0,
            palette: Palette::default(),
            last_mercy: false,
            staged: Vec::new(),
            interludes: Vec::new(),
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
                beats: 0,
                knot: String::new(),
                diverts: 0,
                ended: false,
            },
        })
    }

    /// Show time, seconds.
    pub fn clock(&self) -> f64 {
        self.clock
    }

    /// Directives of the beats (and choices) that began since the last call. [`Show::advance`]
    /// stages them itself; for callers that only run the story ([`Show::update`]).
    pub fn take_staged(&mut self) -> Vec<Directive> {
        std::mem::take(&mut self.staged)
    }

    /// One frame of `dt` seconds: the director's ticks that fall in it (engagement from
    /// `source`; `choice` is the choice the viewer made, taken at a choice point and then
    /// cleared, else kept), the new beats staged, the choice panels following `input`, and the
    /// scene stepped. Allocates only when a beat changes.
    pub fn advance(
        &mut self,
        dt: f64,
        input: &ViewerInput,
        source: &mut dyn EngagementSource,
        choice: &mut Option<usize>,
    ) -> Result<ShowFrame> {
        self.update(dt, &mut |t, i| source.sample(t, i), choice)?;
        let mut frame = ShowFrame::default();
        if !self.staged.is_empty() {
            frame.staged = std::mem::take(&mut self.staged);
            self.scene.stage(&frame.staged);
            frame.warnings = self.scene.stage.warnings.drain(..).collect();
        }
        let aimed = input
            .pointer
            .and_then(|(origin, dir)| aimed_choice(&self.scene.world, origin, dir));
        choice_panels_system(
            &mut self.scene.world,
            self.readout.choices.len(),
            aimed,
            input.head,
        );
        self.scene.step(dt as f32, self.clock as f32);
        Ok(frame)
    }

    /// Advances the story and the director only (no scene) by `dt` seconds of wall time.
    /// `viewer(t, intensity)` yields engagement for a tick; `choice` is the choice the viewer
    /// pressed (taken when a choice point is on offer, else kept).
    pub fn update(
        &mut self,
        dt: f64,
        viewer: &mut dyn FnMut(f64, f32) -> EngagementSample,
        choice: &mut Option<usize>,
    ) -> Result<()> {
        self.acc += dt.clamp(0.0, 0.25);
        while self.acc >= TICK_S && !self.readout.ended {
            self.acc -= TICK_S;
            self.step(viewer, choice)?;
        }
        Ok(())
    }

    fn tick(
        &mut self,
        viewer: &mut dyn FnMut(f64, f32) -> EngagementSample,
        view: &StoryView<'_>,
    ) -> Tick {
        let sample = viewer(self.clock, self.readout.intensity);
        let tick = self.director.tick(sample, view);
        self.clock += TICK_S;
        let r = &mut self.readout;
        r.sample = sample;
        r.mode = tick.mode.name();
        r.pacing = tick.pacing;
        r.intensity = tick.intensity;
        r.grade = tick.grade;
        r.refine_strength = tick.refine_strength;
        if let Some(e) = tick.events.last() {
            r.decision = format!("{}: {}", e.kind(), e.reason());
        }
        r.diverts += tick
            .events
            .iter()
            .filter(|e| matches!(e, Event::Divert { .. }))
            .count() as u64;
        self.last_mercy = tick.mercy;
        tick
    }

    fn step(
        &mut self,
        viewer: &mut dyn FnMut(f64, f32) -> EngagementSample,
        choice: &mut Option<usize>,
    ) -> Result<()> {
        // Ask the story for steps until one takes time (a beat or a choice).
        while matches!(self.phase, Phase::Next) {
            self.runner
                .set_engagement(&story_engagement(&self.readout.sample, self.last_mercy))?;
            let step = self.runner.next()?;
            self.interludes.clear();
            self.interludes.extend(interlude_options(&self.runner));
            match step {
                Step::Beat(b) => {
                    for d in &b.directives {
                        if let Directive::Palette(p) = d {
                            self.palette = *p;
                        }
                    }
                    self.staged.extend(b.directives.iter().cloned());
                    self.readout.beats += 1;
                    self.readout.knot.clone_from(&b.knot);
                    self.readout.text = b.text.trim().to_owned();
                    self.readout.choices.clear();
                    self.phase = Phase::Beat {
                        duration: beat_seconds(&b.text, &b.directives),
                        shown: 0.0,
                        divert: None,
                        author_intensity: beat_intensity(&b.directives),
                        can_divert: b.interlude.is_none(),
                    };
                }
                Step::Choices(c) => {
                    self.readout.choices = c.iter().map(|c| c.text.clone()).collect();
                    self.phase = Phase::Choosing {
                        options: c.iter().map(|c| choice_option(&c.directives)).collect(),
                        texts: c.iter().map(|c| c.text.clone()).collect(),
                        fates: c.iter().map(|c| c.directives.clone()).collect(),
                        started: self.clock,
                    };
                }
                Step::InterludeOver(_) => {}
                Step::End => {
                    self.readout.ended = true;
                    self.readout.choices.clear();
                    self.phase = Phase::Ended;
                }
            }
        }
        let palette = self.palette;
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
                    viewer,
                    &StoryView {
                        palette,
                        author_intensity,
                        choices: &[],
                        choice_waiting_s: 0.0,
                        viewer_choice: None,
                        interludes: &interludes,
                        can_divert: can_divert && divert.is_none(),
                    },
                );
                self.interludes = interludes;
                shown += TICK_S / f64::from(tk.pacing);
                for e in &tk.events {
                    if let Event::Divert { interlude, .. } = e {
                        divert = Some(*interlude);
                    }
                }
                if shown >= duration {
                    if let Some(i) = divert {
                        self.runner.start_interlude(i)?;
                    }
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
                let viewer_choice = choice.filter(|i| *i < options.len());
                let tk = self.tick(
                    viewer,
                    &StoryView {
                        palette,
                        author_intensity: None,
                        choices: &options,
                        choice_waiting_s: self.clock - started,
                        viewer_choice,
                        interludes: &[],
                        can_divert: false,
                    },
                );
                let chosen = tk.events.iter().find_map(|e| match e {
                    Event::Choose { index, by, .. } => Some((*index, *by)),
                    _ => None,
                });
                if let Some((index, by)) = chosen {
                    if by == Chooser::Viewer {
                        *choice = None;
                    }
                    self.readout.decision = format!(
                        "{} chose \"{}\"",
                        if by == Chooser::Viewer {
                            "you"
                        } else {
                            "the director"
                        },
                        texts[index]
                    );
                    self.staged.extend(
                        fates[index]
                            .iter()
                            .filter(|d| matches!(d, Directive::Fate { .. }))
                            .cloned(),
                    );
                    self.runner.choose(index)?;
                    self.readout.choices.clear();
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

    fn run(fps: f64, seconds: f64) -> (Vec<String>, Readout) {
        let mut live = Show::new(
            &story(),
            1,
            DirectorConfig::default(),
            SetLibrary::builtin(),
        )
        .unwrap();
        let mut staged = Vec::new();
        let mut viewer = |t: f64, _| EngagementSample::neutral(t);
        let frames = (seconds * fps) as usize;
        for _ in 0..frames {
            live.update(1.0 / fps, &mut viewer, &mut None).unwrap();
            staged.extend(live.take_staged().iter().map(|d| format!("{d:?}")));
        }
        (staged, live.readout)
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
        let mut live = Show::new(
            &story(),
            1,
            DirectorConfig::default(),
            SetLibrary::builtin(),
        )
        .unwrap();
        let mut viewer = |t: f64, _| EngagementSample::neutral(t);
        let mut saw_choices = false;
        let mut took = false;
        for _ in 0..(30 * 60 * 30) {
            let mut choice = None;
            if !live.readout.choices.is_empty() {
                saw_choices = true;
                choice = Some(live.readout.choices.len() - 1);
            }
            live.update(1.0 / 30.0, &mut viewer, &mut choice).unwrap();
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
        let mut show = Show::new(
            &story(),
            1,
            DirectorConfig::default(),
            SetLibrary::builtin(),
        )
        .unwrap();
        let mut viewer = |t: f64, _| EngagementSample::neutral(t);
        let input = ViewerInput {
            head: Vec3::new(0.0, 1.25, 0.6),
            pointer: None,
        };
        let (mut staged_frames, mut beats_staged) = (0, 0);
        for _ in 0..(90 * 60) {
            let before = show.readout.beats;
            let frame = show
                .advance(1.0 / 90.0, &input, &mut viewer, &mut None)
                .unwrap();
            if !frame.staged.is_empty() {
                staged_frames += 1;
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
    }
}
