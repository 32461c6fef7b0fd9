//! Decisions and their reasons: plain data on the frame thread, sentences in the log.

use serde::{Deserialize, Serialize};
use showrunner_core::Palette;
use std::fmt;

/// The engagement state the director settled on for a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Signal quality too low: engagement treated as neutral.
    NoSignal,
    /// Attentive, calm enough.
    Engaged,
    /// Aroused, below the ceiling.
    Gripped,
    /// Boredom high.
    Bored,
    /// Arousal stayed above the ceiling: backing off.
    Deescalating,
}

impl Mode {
    /// The mode's name as logged.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::NoSignal => "no_signal",
            Mode::Engaged => "engaged",
            Mode::Gripped => "gripped",
            Mode::Bored => "bored",
            Mode::Deescalating => "deescalating",
        }
    }
}

/// Who made a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chooser {
    /// The viewer, explicitly.
    Viewer,
    /// The director, after the viewer let the choice time out.
    Director,
}

/// A discrete decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// Take choice `index`.
    Choose {
        /// Index into the story's current choices.
        index: usize,
        /// Who chose.
        by: Chooser,
        /// Why.
        reason: Reason,
    },
    /// Play interlude `interlude` (index into `StoryView::interludes`) now.
    Divert {
        /// Which interlude.
        interlude: usize,
        /// Why.
        reason: Reason,
    },
    /// A character was spared: the best-fitting choice would have killed them.
    Spare {
        /// The choice that was ruled out.
        excluded_choice: usize,
        /// Why.
        reason: Reason,
    },
    /// De-escalation begins.
    DeescalateStart(Reason),
    /// De-escalation ends.
    DeescalateEnd(Reason),
}

impl Event {
    /// The event's kind as logged.
    pub const fn kind(&self) -> &'static str {
        match self {
            Event::Choose {
                by: Chooser::Viewer,
                ..
            } => "viewer_choice",
            Event::Choose {
                by: Chooser::Director,
                ..
            } => "director_choice",
            Event::Divert { .. } => "divert",
            Event::Spare { .. } => "fate_override",
            Event::DeescalateStart(_) => "deescalate_start",
            Event::DeescalateEnd(_) => "deescalate_end",
        }
    }

    /// The reason behind the event.
    pub const fn reason(&self) -> &Reason {
        match self {
            Event::Choose { reason, .. }
            | Event::Divert { reason, .. }
            | Event::Spare { reason, .. } => reason,
            Event::DeescalateStart(r) | Event::DeescalateEnd(r) => r,
        }
    }
}

/// Why the director decided something. Plain numbers on the frame thread;
/// `Display` turns it into a sentence for logs and reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// Signal quality below the threshold.
    NoSignal {
        /// Sample quality.
        quality: f32,
        /// Threshold.
        min_quality: f32,
    },
    /// Nothing to correct.
    Engaged {
        /// Arousal z.
        arousal_z: f32,
        /// Boredom.
        boredom: f32,
    },
    /// Aroused below the ceiling: give beats room.
    Gripped {
        /// Arousal z.
        arousal_z: f32,
    },
    /// Bored: tighten.
    Bored {
        /// Boredom.
        boredom: f32,
    },
    /// De-escalating: slow down.
    Deescalating {
        /// Arousal z.
        arousal_z: f32,
    },
    /// The author's palette as written.
    Palette {
        /// Palette.
        palette: Palette,
    },
    /// The author's palette, punched up for a bored viewer.
    PaletteBored {
        /// Palette.
        palette: Palette,
        /// Boredom.
        boredom: f32,
    },
    /// The author's palette, softened and warmed to calm.
    PaletteCalming {
        /// Palette.
        palette: Palette,
        /// Arousal z.
        arousal_z: f32,
    },
    /// Intensity as the author tagged it.
    AuthorIntensity {
        /// Intensity.
        intensity: f32,
    },
    /// No author intensity: the target curve.
    TargetCurve {
        /// Progress through the expected runtime.
        progress: f32,
        /// Curve value.
        target: f32,
    },
    /// Intensity pushed up for a bored viewer.
    IntensityPushed {
        /// Boredom.
        boredom: f32,
        /// Push.
        push: f32,
    },
    /// Intensity capped while de-escalating.
    IntensityCapped {
        /// Cap.
        cap: f32,
        /// Arousal z.
        arousal_z: f32,
    },
    /// The viewer chose explicitly.
    ViewerChose,
    /// The director chose the best fit to the engagement target.
    BestFit {
        /// The chosen choice's intensity.
        intensity: f32,
        /// The intensity the director wanted.
        desired: f32,
        /// How long the viewer had to choose.
        waited_s: f32,
        /// The mode at the time.
        mode: Mode,
    },
    /// Boredom stayed high.
    BoredFor {
        /// Boredom.
        boredom: f32,
        /// For how long.
        held_s: f32,
    },
    /// The viewer's eyes left the action long enough: a high-stakes interlude, sooner.
    LookedAway {
        /// Gaze attention.
        attention: f32,
        /// Bored (by gaze) for how long.
        held_s: f32,
    },
    /// The viewer asked (from the menu) to save the character the excluded choice kills.
    ViewerAskedToSpare,
    /// The viewer was distressed: a character on the mercy list was spared.
    Distressed {
        /// Arousal z.
        arousal_z: f32,
        /// Mercy threshold.
        mercy_z: f32,
    },
    /// Arousal stayed above the ceiling.
    AboveCeiling {
        /// Arousal z.
        arousal_z: f32,
        /// Ceiling.
        ceiling_z: f32,
        /// For how long.
        held_s: f32,
    },
    /// Arousal came back down.
    ArousalReleased {
        /// Arousal z.
        arousal_z: f32,
        /// Release level.
        release_z: f32,
        /// For how long below it.
        held_s: f32,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::NoSignal { quality, min_quality } => write!(
                f,
                "signal quality {quality:.2} is below {min_quality:.2}: engagement treated as neutral"
            ),
            Reason::Engaged { arousal_z, boredom } => {
                write!(f, "viewer engaged (arousal z {arousal_z:.2}, boredom {boredom:.2}): as written")
            }
            Reason::Gripped { arousal_z } => {
                write!(f, "viewer gripped (arousal z {arousal_z:.2}): beats given more room")
            }
            Reason::Bored { boredom } => write!(f, "viewer bored ({boredom:.2}): beats tightened"),
            Reason::Deescalating { arousal_z } => {
                write!(f, "de-escalating (arousal z {arousal_z:.2}): beats slowed to let the viewer breathe")
            }
            Reason::Palette { palette } => write!(f, "author's palette `{}`", palette.name()),
            Reason::PaletteBored { palette, boredom } => write!(
                f,
                "author's palette `{}`, saturation and contrast raised for a bored viewer ({boredom:.2})",
                palette.name()
            ),
            Reason::PaletteCalming { palette, arousal_z } => write!(
                f,
                "author's palette `{}`, softened and warmed to calm (arousal z {arousal_z:.2})",
                palette.name()
            ),
            Reason::AuthorIntensity { intensity } => write!(f, "author's intensity {intensity:.2}"),
            Reason::TargetCurve { progress, target } => write!(
                f,
                "no author intensity: target curve gives {target:.2} at {:.0}% of the runtime",
                progress * 100.0
            ),
            Reason::IntensityPushed { boredom, push } => {
                write!(f, "intensity pushed up by {push:.2} for a bored viewer ({boredom:.2})")
            }
            Reason::IntensityCapped { cap, arousal_z } => {
                write!(f, "intensity capped at {cap:.2} while de-escalating (arousal z {arousal_z:.2})")
            }
            Reason::ViewerChose => f.write_str("the viewer chose; the viewer's choice always wins"),
            Reason::BestFit { intensity, desired, waited_s, mode } => write!(
                f,
                "no viewer choice after {waited_s:.1} s: intensity {intensity:.2} fits the target {desired:.2} best (viewer {})",
                mode.name()
            ),
            Reason::BoredFor { boredom, held_s } => write!(
                f,
                "boredom {boredom:.2} held for {held_s:.0} s: high-stakes interlude"
            ),
            Reason::LookedAway { attention, held_s } => write!(
                f,
                "eyes off the action (attention {attention:.2}) for {held_s:.0} s: high-stakes interlude, sooner"
            ),
            Reason::Distressed { arousal_z, mercy_z } => write!(
                f,
                "viewer distressed (arousal z {arousal_z:.2} ≥ {mercy_z:.2} or de-escalating): character spared"
            ),
            Reason::ViewerAskedToSpare => f.write_str(
                "the viewer asked from the menu to save this character: character spared",
            ),
            Reason::AboveCeiling { arousal_z, ceiling_z, held_s } => write!(
                f,
                "arousal z {arousal_z:.2} above the ceiling {ceiling_z:.2} for {held_s:.0} s"
            ),
            Reason::ArousalReleased { arousal_z, release_z, held_s } => write!(
                f,
                "arousal z {arousal_z:.2} below {release_z:.2} for {held_s:.0} s"
            ),
        }
    }
}
