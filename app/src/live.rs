//! The show in real time, one frame at a time: what the desktop preview (and
//! later the headset) drives. The headless screening (`screen.rs`) runs the
//! same viewer → director → story flow on a simulated clock with saves; this
//! one is frame-driven: [`Live::update`] advances the director in fixed
//! 10 Hz ticks from the frame's `dt`, so the film's decisions do not depend on
//! the display rate, and hands the scene the directives of each new beat.

use anyhow::Result;
use showrunner_core::{Directive, EngagementSample, Palette};
use showrunner_director::{
    Chooser, Director, DirectorConfig, Event, Grade, InterludeOption, StoryView, Tick,
};
use showrunner_story::{CompiledStory, Engagement, Step, StoryRunner};

use crate::screen::{beat_intensity, beat_seconds, choice_option};
use crate::viewer::{Profile, SimViewer};
use showrunner_biometrics::{Estimator, EstimatorConfig, SensorEvent};

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

/// The show, driven by frames.
pub struct Live {
    runner: StoryRunner,
    director: Director,
    phase: Phase,
    clock: f64,
    acc: f64,
    palette: Palette,
    last_mercy: bool,
    staged: Vec<Directive>,
    /// What to show about it.
    pub readout: Readout,
}

impl Live {
    /// Starts `story` with the director's `config`.
    pub fn new(story: &CompiledStory, seed: u64, config: DirectorConfig) -> Result<Self> {
        Ok(Self {
            runner: StoryRunner::new(story, seed)?,
            director: Director::new(config),
            phase: Phase::Next,
            clock: 0.0,
            acc: 0.0,
            palette: Palette::default(),
            last_mercy: false,
            staged: Vec::new(),
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

    /// Directives of the beats (and choices) that began since the last call,
    /// for `staging_system`.
    pub fn take_staged(&mut self) -> Vec<Directive> {
        std::mem::take(&mut self.staged)
    }

    /// Advances the show by `dt` seconds of wall time. `viewer(t, intensity)`
    /// yields engagement for a tick; `choice` is the choice the viewer
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
            let s = self.readout.sample;
            self.runner.set_engagement(&Engagement {
                arousal: s.arousal_z,
                boredom: s.boredom,
                attention: s.attention,
                signal_quality: s.quality,
                mercy: self.last_mercy,
            })?;
            match self.runner.next()? {
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
        let interludes: Vec<InterludeOption> = (0..self.runner.interludes().len())
            .map(|i| InterludeOption {
                visits: self.runner.interlude_visits(i),
                intensity: self.runner.interludes()[i].intensity,
            })
            .collect();
        match std::mem::replace(&mut self.phase, Phase::Next) {
            Phase::Beat {
                duration,
                mut shown,
                mut divert,
                author_intensity,
                can_divert,
            } => {
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
    pub fn sample(&mut self, t: f64, intensity: f32) -> EngagementSample {
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

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_story::compile_source;
    use std::path::Path;

    fn story() -> CompiledStory {
        compile_source(
            crate::SAMPLE,
            crate::SAMPLE_NAME,
            Path::new("assets/stories"),
        )
        .unwrap()
    }

    fn run(fps: f64, seconds: f64) -> (Vec<String>, Readout) {
        let mut live = Live::new(&story(), 1, DirectorConfig::default()).unwrap();
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
        let mut live = Live::new(&story(), 1, DirectorConfig::default()).unwrap();
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
}
