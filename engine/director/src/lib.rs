//! The Showrunner director: bends the story to the viewer's body.
//!
//! Each tick the director reads one [`EngagementSample`] and a view of where
//! the story is ([`StoryView`]) and returns a [`Tick`]: pacing, a rate-limited
//! colour [`Grade`], intensity, and at most a few discrete [`Event`]s — choose a
//! choice, divert to a high-stakes interlude, spare a character, start or stop
//! de-escalating — each with a machine-readable [`Reason`] that prints as a
//! sentence.
//!
//! Invariants, relied on by the frame thread:
//! - **pure and deterministic**: the output is a function of the config, the
//!   [`DirectorState`] and the inputs; no clock, no randomness, no I/O;
//! - **no heap allocation per tick** (a test counts them);
//! - **a viewer's explicit choice always wins**;
//! - **no flashes**: exposure moves at most `grade.exposure_ev_per_s` (≤ 0.5 EV/s).
//!
//! The whole [`DirectorState`] is serde-serialisable so a session can be saved
//! at every beat and resumed after a crash.

mod config;
mod reason;

pub use config::{
    BoredomConfig, CeilingConfig, ChoiceConfig, ConfigError, DirectorConfig, GradeConfig,
    MercyConfig, PacingConfig, RefineConfig,
};
pub use reason::{Chooser, Event, Mode, Reason};
/// The colour grade, defined once in `showrunner-core` (the renderer applies the same type).
pub use showrunner_core::Grade;

use arrayvec::ArrayVec;
use serde::{Deserialize, Serialize};
use showrunner_core::{EngagementSample, Fate, Palette, Stakes};

/// Most discrete events one tick can produce.
pub const MAX_EVENTS: usize = 4;

/// A choice the story offers, with the tags the director scores it by.
/// Built once per choice point by the story layer, read by reference each tick.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChoiceOption {
    /// `stakes:` tag of the choice, if any.
    pub stakes: Option<Stakes>,
    /// `intensity:` tag of the choice, if any.
    pub intensity: Option<f32>,
    /// `fate:` tags of the choice.
    pub fates: Vec<(String, Fate)>,
}

/// A high-stakes interlude the director may divert to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InterludeOption {
    /// How often it has played this session (ink's visit count).
    pub visits: u32,
    /// Its `intensity:` tag, if any.
    pub intensity: Option<f32>,
}

/// Where the story is, as the director needs to know it this tick.
#[derive(Debug, Clone, Copy)]
pub struct StoryView<'a> {
    /// The author's current palette (last `palette:` tag).
    pub palette: Palette,
    /// The author's intensity for the current beat, if tagged.
    pub author_intensity: Option<f32>,
    /// The choices on offer; empty between choice points.
    pub choices: &'a [ChoiceOption],
    /// Seconds the current choice point has been waiting for the viewer.
    pub choice_waiting_s: f64,
    /// The viewer's explicit choice, if they made one this tick.
    pub viewer_choice: Option<usize>,
    /// The interludes the director may divert to.
    pub interludes: &'a [InterludeOption],
    /// Whether a divert is possible now (between beats of the main story,
    /// not at a choice point, not already in an interlude).
    pub can_divert: bool,
}

impl StoryView<'_> {
    /// A story view with nothing on offer and the neutral palette.
    pub const EMPTY: StoryView<'static> = StoryView {
        palette: Palette::Neutral,
        author_intensity: None,
        choices: &[],
        choice_waiting_s: 0.0,
        viewer_choice: None,
        interludes: &[],
        can_divert: false,
    };
}

/// What the director says this tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// The engagement state the director settled on.
    pub mode: Mode,
    /// Beat-duration scale, within `pacing.min ..= pacing.max` (0.75 ..= 1.5).
    pub pacing: f32,
    /// Why the pacing target is what it is.
    pub pacing_reason: Reason,
    /// The grade to render with (already rate-limited).
    pub grade: Grade,
    /// Why the grade target is what it is.
    pub grade_reason: Reason,
    /// The on-device refiner's strength (0 = off), from the palette, gliding.
    pub refine_strength: f32,
    /// Dramatic intensity 0..1 for staging, sound and music.
    pub intensity: f32,
    /// Why the intensity is what it is.
    pub intensity_reason: Reason,
    /// True while the director would spare protected characters (the ink variable `mercy`).
    pub mercy: bool,
    /// Discrete decisions taken this tick.
    pub events: ArrayVec<Event, MAX_EVENTS>,
}

/// Everything the director remembers between ticks. Serialisable for session saves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorState {
    /// Time of the previous tick.
    pub last_t: Option<f64>,
    /// Current pacing scale.
    pub pacing: f32,
    /// Current grade.
    pub grade: Grade,
    /// Current intensity.
    pub intensity: f32,
    /// Whether the viewer counts as bored (with hysteresis).
    pub bored: bool,
    /// Since when boredom has been continuously high.
    pub bored_since: Option<f64>,
    /// Time of the last high-stakes divert.
    pub last_divert_t: Option<f64>,
    /// Since when arousal has been above the ceiling.
    pub above_ceiling_since: Option<f64>,
    /// Since when arousal has been below the release level while de-escalating.
    pub below_release_since: Option<f64>,
    /// Whether the director is de-escalating.
    pub deescalating: bool,
    /// Current refiner strength (absent in saves from before it existed).
    #[serde(default = "default_refine_strength")]
    pub refine_strength: f32,
    /// Since when gaze attention has been below `attention.away_below`.
    #[serde(default)]
    pub away_since: Option<f64>,
    /// Characters the viewer asked (from the menu) to save: no choice the director makes
    /// kills them, whatever the engagement, and the story's `mercy` stays set.
    #[serde(default)]
    pub spared_by_viewer: Vec<String>,
}

fn default_refine_strength() -> f32 {
    config::RefineConfig::default().strength
}

impl Default for DirectorState {
    fn default() -> Self {
        Self {
            last_t: None,
            pacing: 1.0,
            grade: Grade::NEUTRAL,
            intensity: 0.3,
            bored: false,
            bored_since: None,
            away_since: None,
            spared_by_viewer: Vec::new(),
            last_divert_t: None,
            above_ceiling_since: None,
            below_release_since: None,
            deescalating: false,
            refine_strength: default_refine_strength(),
        }
    }
}

/// The director: a policy and its state.
#[derive(Debug, Clone)]
pub struct Director {
    config: DirectorConfig,
    state: DirectorState,
    /// The grades of the story's own palettes ([`Palette::Custom`]), by index.
    palettes: Vec<Grade>,
}

fn approach(v: f32, target: f32, max_step: f32) -> f32 {
    v + (target - v).clamp(-max_step, max_step)
}

fn held(since: Option<f64>, t: f64) -> f64 {
    since.map_or(0.0, |s| (t - s).max(0.0))
}

impl Director {
    /// A director with a validated policy and a fresh state.
    pub fn new(config: DirectorConfig) -> Self {
        Self::with_state(config, DirectorState::default())
    }

    /// A director resuming from a saved state.
    pub fn with_state(config: DirectorConfig, state: DirectorState) -> Self {
        Self {
            config,
            state,
            palettes: Vec::new(),
        }
    }

    /// The story's own palettes (`palette_def:`), which [`Palette::Custom`] numbers; set once
    /// per story (ticks look them up, never allocate).
    pub fn set_palettes(&mut self, palettes: &[showrunner_core::PaletteDef]) {
        self.palettes = palettes.iter().map(|p| p.grade).collect();
    }

    /// The grade `palette` asks for: a built-in's, or the story's definition.
    fn palette_grade(&self, palette: Palette) -> Grade {
        match palette {
            Palette::Custom(i) => self
                .palettes
                .get(usize::from(i))
                .copied()
                .unwrap_or(Grade::NEUTRAL),
            p => Grade::of(p),
        }
    }

    /// The policy.
    pub fn config(&self) -> &DirectorConfig {
        &self.config
    }

    /// The state to save.
    pub fn state(&self) -> &DirectorState {
        &self.state
    }

    /// The intensity a choice stands for: its tag, else its stakes, else the default.
    pub fn choice_intensity(&self, c: &ChoiceOption) -> f32 {
        let ch = &self.config.choice;
        c.intensity.unwrap_or(match c.stakes {
            Some(Stakes::High) => ch.high_stakes_intensity,
            Some(Stakes::Low) => ch.low_stakes_intensity,
            None => ch.untagged_intensity,
        })
    }

    /// The intensity the director wants now, given progress and engagement.
    fn desired_intensity(&self, progress: f32, boredom: f32) -> f32 {
        let b = &self.config.boredom;
        let mut want = self.config.target_intensity(progress);
        if self.state.bored {
            let over = ((boredom - b.threshold) / (1.0 - b.threshold).max(1e-3)).clamp(0.0, 1.0);
            want += b.intensity_push * (0.5 + 0.5 * over);
        }
        if self.state.deescalating {
            want = want.min(self.config.ceiling.intensity_cap);
        }
        want.clamp(0.0, 1.0)
    }

    /// Scores the choices and returns `(index, fitted intensity, desired, spared)`:
    /// the best choice and, when mercy excluded a better-fitting one, its index.
    fn score_choices(
        &self,
        choices: &[ChoiceOption],
        desired: f32,
        mercy: bool,
    ) -> Option<(usize, f32, Option<usize>)> {
        let kills = |c: &ChoiceOption| {
            c.fates.iter().any(|(who, f)| {
                *f == Fate::Dead && ((mercy && self.config.spares(who)) || self.viewer_spares(who))
            })
        };
        let score = |c: &ChoiceOption| {
            let mut s = -(self.choice_intensity(c) - desired).abs();
            if self.state.deescalating && c.stakes == Some(Stakes::High) {
                s -= 0.5;
            }
            s
        };
        let best_of = |allow: &dyn Fn(&ChoiceOption) -> bool| {
            choices
                .iter()
                .enumerate()
                .filter(|(_, c)| allow(c))
                .fold(None::<(usize, f32)>, |best, (i, c)| {
                    let s = score(c);
                    match best {
                        Some((_, bs)) if bs >= s => best,
                        _ => Some((i, s)),
                    }
                })
                .map(|(i, _)| i)
        };
        let unrestricted = best_of(&|_| true)?;
        if kills(&choices[unrestricted]) {
            if let Some(spared) = best_of(&|c| !kills(c)) {
                return Some((
                    spared,
                    self.choice_intensity(&choices[spared]),
                    Some(unrestricted),
                ));
            }
        }
        Some((
            unrestricted,
            self.choice_intensity(&choices[unrestricted]),
            None,
        ))
    }

    /// One director step. Never allocates; see the crate docs for the invariants.
    pub fn tick(&mut self, sample: EngagementSample, story: &StoryView<'_>) -> Tick {
        let cfg = &self.config;
        let raw = sample.sanitized();
        let t = raw.t;
        let dt = match self.state.last_t {
            Some(last) => (t - last).clamp(0.0, 1.0) as f32,
            None => 0.0,
        };
        self.state.last_t = Some(t);
        let mut events = ArrayVec::<Event, MAX_EVENTS>::new();

        // 1. Engagement, with low-quality samples replaced by neutral ones.
        let trusted = raw.quality >= cfg.min_quality;
        let e = if trusted {
            raw
        } else {
            EngagementSample::neutral(t)
        };

        // 2. Looking away is boredom evidence ([`config::AttentionConfig`]).
        let a = &cfg.attention;
        if e.attention < a.away_below {
            self.state.away_since.get_or_insert(t);
        } else {
            self.state.away_since = None;
        }
        let away =
            held(self.state.away_since, t) >= a.away_after_s && self.state.away_since.is_some();
        let e = if away {
            EngagementSample {
                boredom: e.boredom.max(cfg.boredom.threshold),
                ..e
            }
        } else {
            e
        };

        // 2b. Boredom with hysteresis.
        let b = &cfg.boredom;
        if self.state.bored {
            if e.boredom < b.release {
                self.state.bored = false;
                self.state.bored_since = None;
            }
        } else if e.boredom >= b.threshold {
            self.state.bored = true;
            self.state.bored_since = Some(t);
        }

        // 3. The arousal ceiling: de-escalate after `hold_s` above it, release
        //    after `release_hold_s` below `release_z`.
        let c = &cfg.ceiling;
        if e.arousal_z >= c.arousal_z {
            self.state.above_ceiling_since.get_or_insert(t);
        } else {
            self.state.above_ceiling_since = None;
        }
        if self.state.deescalating {
            if e.arousal_z < c.release_z {
                let since = *self.state.below_release_since.get_or_insert(t);
                if t - since >= c.release_hold_s {
                    self.state.deescalating = false;
                    self.state.below_release_since = None;
                    if events.len() < MAX_EVENTS {
                        events.push(Event::DeescalateEnd(Reason::ArousalReleased {
                            arousal_z: e.arousal_z,
                            release_z: c.release_z,
                            held_s: (t - since) as f32,
                        }));
                    }
                }
            } else {
                self.state.below_release_since = None;
            }
        } else if held(self.state.above_ceiling_since, t) >= c.hold_s
            && self.state.above_ceiling_since.is_some()
        {
            self.state.deescalating = true;
            self.state.below_release_since = None;
            events.push(Event::DeescalateStart(Reason::AboveCeiling {
                arousal_z: e.arousal_z,
                ceiling_z: c.arousal_z,
                held_s: held(self.state.above_ceiling_since, t) as f32,
            }));
        }

        let mode = if !trusted {
            Mode::NoSignal
        } else if self.state.deescalating {
            Mode::Deescalating
        } else if self.state.bored {
            Mode::Bored
        } else if e.arousal_z >= 1.0 {
            Mode::Gripped
        } else {
            Mode::Engaged
        };
        let mercy = trusted && (self.state.deescalating || e.arousal_z >= cfg.mercy.arousal_z);

        // 4. Pacing: faster when bored, slower when arousal is high.
        let p = &cfg.pacing;
        let (pace_target, pacing_reason) = match mode {
            Mode::Deescalating => (
                p.max,
                Reason::Deescalating {
                    arousal_z: e.arousal_z,
                },
            ),
            Mode::Bored => {
                let over =
                    ((e.boredom - b.threshold) / (1.0 - b.threshold).max(1e-3)).clamp(0.0, 1.0);
                (
                    1.0 - (1.0 - p.min) * (0.5 + 0.5 * over),
                    Reason::Bored { boredom: e.boredom },
                )
            }
            Mode::Gripped => {
                let k = ((e.arousal_z - 1.0) / (c.arousal_z - 1.0).max(1e-3)).clamp(0.0, 1.0);
                (
                    1.0 + (p.max - 1.0) * 0.5 * k,
                    Reason::Gripped {
                        arousal_z: e.arousal_z,
                    },
                )
            }
            Mode::Engaged => (
                1.0,
                Reason::Engaged {
                    arousal_z: e.arousal_z,
                    boredom: e.boredom,
                },
            ),
            Mode::NoSignal => (
                1.0,
                Reason::NoSignal {
                    quality: raw.quality,
                    min_quality: cfg.min_quality,
                },
            ),
        };
        self.state.pacing =
            approach(self.state.pacing, pace_target, p.rate_per_s * dt).clamp(p.min, p.max);

        // 5. Grade: the author's palette, punched up for boredom, softened when de-escalating.
        let g = &cfg.grade;
        let mut target = self.palette_grade(story.palette);
        let grade_reason = match mode {
            Mode::Bored => {
                target.saturation *= 1.0 + g.bored_punch;
                target.contrast = (target.contrast + 0.5 * g.bored_punch).min(1.5);
                Reason::PaletteBored {
                    palette: story.palette,
                    boredom: e.boredom,
                }
            }
            Mode::Deescalating => {
                target.saturation *= 1.0 - g.calm_soften;
                target.contrast = (target.contrast - 0.5 * g.calm_soften).max(0.5);
                target.warmth = (target.warmth + 0.5 * g.calm_soften).min(1.0);
                Reason::PaletteCalming {
                    palette: story.palette,
                    arousal_z: e.arousal_z,
                }
            }
            _ => Reason::Palette {
                palette: story.palette,
            },
        };
        target.saturation = target.saturation.clamp(0.0, 2.0);
        self.state
            .grade
            .approach(&target, g.rate_per_s, g.exposure_ev_per_s, dt);

        // 5b. Refiner strength: the palette's, gliding.
        self.state.refine_strength = approach(
            self.state.refine_strength,
            cfg.refine.strength_for(story.palette),
            cfg.refine.rate_per_s * dt,
        );

        // 6. Intensity: the author's, pushed by boredom, capped while de-escalating.
        let progress = (t / cfg.expected_runtime_s) as f32;
        let desired = self.desired_intensity(progress, e.boredom);
        let author = story.author_intensity.unwrap_or(desired);
        let (int_target, intensity_reason) = if self.state.deescalating {
            (
                author.min(c.intensity_cap),
                Reason::IntensityCapped {
                    cap: c.intensity_cap,
                    arousal_z: e.arousal_z,
                },
            )
        } else if self.state.bored {
            (
                (author + b.intensity_push).min(1.0),
                Reason::IntensityPushed {
                    boredom: e.boredom,
                    push: b.intensity_push,
                },
            )
        } else if story.author_intensity.is_some() {
            (author, Reason::AuthorIntensity { intensity: author })
        } else {
            (
                desired,
                Reason::TargetCurve {
                    progress,
                    target: desired,
                },
            )
        };
        self.state.intensity =
            approach(self.state.intensity, int_target, 0.25 * dt.max(0.0)).clamp(0.0, 1.0);

        // 7. Choices: the viewer's always wins; otherwise the best fit after the timeout.
        if !story.choices.is_empty() {
            match story.viewer_choice {
                Some(i) if i < story.choices.len() => events.push(Event::Choose {
                    index: i,
                    by: Chooser::Viewer,
                    reason: Reason::ViewerChose,
                }),
                _ if story.choice_waiting_s >= cfg.choice.timeout_s => {
                    if let Some((i, fit, spared)) =
                        self.score_choices(story.choices, desired, mercy)
                    {
                        if let Some(excluded) = spared {
                            for (who, f) in &story.choices[excluded].fates {
                                let asked = self.viewer_spares(who);
                                if *f == Fate::Dead
                                    && (asked || (mercy && cfg.spares(who)))
                                    && events.len() < MAX_EVENTS - 1
                                {
                                    events.push(Event::Spare {
                                        excluded_choice: excluded,
                                        reason: if asked {
                                            Reason::ViewerAskedToSpare
                                        } else {
                                            Reason::Distressed {
                                                arousal_z: e.arousal_z,
                                                mercy_z: cfg.mercy.arousal_z,
                                            }
                                        },
                                    });
                                    break;
                                }
                            }
                        }
                        events.push(Event::Choose {
                            index: i,
                            by: Chooser::Director,
                            reason: Reason::BestFit {
                                intensity: fit,
                                desired,
                                waited_s: story.choice_waiting_s as f32,
                                mode,
                            },
                        });
                    }
                }
                _ => {}
            }
        }

        // 8. High-stakes divert after sustained boredom, with a cooldown.
        let cooled = self
            .state
            .last_divert_t
            .is_none_or(|last| t - last >= b.cooldown_s);
        let bored_for = held(self.state.bored_since, t);
        let divert_after = if away {
            b.divert_after_s * a.away_divert_scale
        } else {
            b.divert_after_s
        };
        if story.can_divert
            && story.choices.is_empty()
            && trusted
            && self.state.bored
            && !self.state.deescalating
            && bored_for >= divert_after
            && cooled
            && events.len() < MAX_EVENTS
        {
            let pick = story
                .interludes
                .iter()
                .enumerate()
                .min_by(|(ia, a), (ib, bb)| {
                    let fa =
                        (a.intensity.unwrap_or(cfg.choice.high_stakes_intensity) - desired).abs();
                    let fb =
                        (bb.intensity.unwrap_or(cfg.choice.high_stakes_intensity) - desired).abs();
                    a.visits
                        .cmp(&bb.visits)
                        .then(fa.total_cmp(&fb))
                        .then(ia.cmp(ib))
                })
                .map(|(i, _)| i);
            if let Some(i) = pick {
                events.push(Event::Divert {
                    interlude: i,
                    reason: if away {
                        Reason::LookedAway {
                            attention: e.attention,
                            held_s: bored_for as f32,
                        }
                    } else {
                        Reason::BoredFor {
                            boredom: e.boredom,
                            held_s: bored_for as f32,
                        }
                    },
                });
                self.state.last_divert_t = Some(t);
                self.state.bored_since = Some(t);
            }
        }

        Tick {
            mode,
            pacing: self.state.pacing,
            pacing_reason,
            grade: self.state.grade,
            grade_reason,
            refine_strength: self.state.refine_strength,
            intensity: self.state.intensity,
            intensity_reason,
            // The story's mercy branches open for a distressed viewer, and for the whole
            // film once the viewer asked to save someone.
            mercy: mercy || !self.state.spared_by_viewer.is_empty(),
            events,
        }
    }

    /// The viewer asked (from the menu) to save `who`: from now on no choice the director
    /// makes kills them, whatever the engagement, and the story's `mercy` is set.
    pub fn spare_for_viewer(&mut self, who: &str) {
        if !self.viewer_spares(who) {
            self.state.spared_by_viewer.push(who.to_owned());
        }
    }

    /// Whether the viewer asked to save `who`.
    pub fn viewer_spares(&self, who: &str) -> bool {
        self.state.spared_by_viewer.iter().any(|s| s == who)
    }
}

#[cfg(test)]
mod tests;
