//! The screening's record: one `decisions.jsonl` line per beat (time, knot, text, tags, the
//! engagement the beat began with, and every decision of the director with its reason), and the
//! summary (path, fates, cast, ending, counts). `screen` always writes it; `play` only when the
//! viewer asks (`--out`), since it holds heart-derived engagement.
//!
//! The log is kept by the [`Show`](crate::Show) as it plays, so every front end writes the same
//! lines; it allocates only when a beat changes or the director decides something.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use showrunner_core::{Directive, EngagementSample, Fate, Palette};
use showrunner_director::{Chooser, Event, Grade, Tick};
use showrunner_story::Beat;
use std::collections::BTreeMap;

/// The author's staging, as the directives set it so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staging {
    /// The current `scene:`.
    pub scene: Option<String>,
    /// The current `palette:`.
    pub palette: Palette,
    /// Each character's fate (`fate:`, or a choice's).
    pub fates: BTreeMap<String, Fate>,
    /// Who plays each role (`cast:`).
    pub cast: BTreeMap<String, String>,
    /// The `ending:` reached.
    pub ending: Option<String>,
    /// The current `view:` (cleared by a new `scene:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
}

impl Staging {
    /// Takes a beat's (or a choice's) directives into account.
    pub fn apply(&mut self, directives: &[Directive]) {
        for d in directives {
            match d {
                Directive::Scene(s) => {
                    if self.scene.as_ref() != Some(s) {
                        self.view = None;
                    }
                    self.scene = Some(s.clone());
                }
                Directive::View(v) => self.view = Some(v.clone()),
                Directive::Palette(p) => self.palette = *p,
                Directive::Fate { character, fate } => {
                    self.fates.insert(character.clone(), *fate);
                }
                Directive::Cast { role, actor } => {
                    self.cast.insert(role.clone(), actor.clone());
                }
                Directive::Ending(e) => self.ending = Some(e.clone()),
                Directive::Intensity(_)
                | Directive::Stakes(_)
                | Directive::Shot(_)
                | Directive::Sfx { .. }
                | Directive::PaletteDef(_)
                | Directive::Extend(_)
                | Directive::ExtendCast(_)
                | Directive::ExtendScene(_)
                | Directive::ExtendPalette(_) => {}
            }
        }
    }

    /// The directives that put this staging back on an empty stage (a resumed show).
    pub fn directives(&self) -> Vec<Directive> {
        let mut out: Vec<Directive> = self.scene.iter().cloned().map(Directive::Scene).collect();
        out.extend(self.view.iter().cloned().map(Directive::View));
        out.push(Directive::Palette(self.palette));
        out.extend(self.cast.iter().map(|(role, actor)| Directive::Cast {
            role: role.clone(),
            actor: actor.clone(),
        }));
        out.extend(self.fates.iter().map(|(character, fate)| Directive::Fate {
            character: character.clone(),
            fate: *fate,
        }));
        out
    }
}

/// What the director did over the show.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Beats played to their end.
    pub beats: u64,
    /// Episodes written for extension points and merged into the story.
    #[serde(default)]
    pub episodes: u64,
    /// Choices the viewer made.
    pub viewer_choices: u64,
    /// Choices the director made for a viewer who did not.
    pub director_choices: u64,
    /// High-stakes interludes diverted to.
    pub diverts: u64,
    /// Fates the director overrode (mercy).
    pub fate_overrides: u64,
    /// Times the director began to de-escalate.
    pub deescalations: u64,
}

/// The log's state, saved with the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogState {
    /// The author's staging so far.
    pub staging: Staging,
    /// The knots visited, in order (repeats collapsed).
    pub path: Vec<String>,
    /// What the director did.
    pub counts: Counts,
    /// Events since the last beat line (a choice point's), written with the next line.
    pub pending: Vec<Value>,
}

/// The beat being played.
struct Open {
    t_start: f64,
    start_sample: EngagementSample,
    knot: String,
    interlude: Option<usize>,
    text: String,
    tags: Vec<String>,
    directives: Vec<Directive>,
}

/// A beat that ended: its log line and what a recorder of stills needs.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatRecord {
    /// The beat's number (1-based).
    pub number: u64,
    /// Its directives.
    pub directives: Vec<Directive>,
    /// Its words (the subtitle the viewer read).
    pub text: String,
    /// How long it played, seconds.
    pub duration_s: f64,
    /// The grade at its end.
    pub grade: Grade,
    /// The intensity the director asked of the scene at its end.
    pub intensity: f32,
    /// Its `decisions.jsonl` line, newline included.
    pub line: String,
}

/// The log, kept as the show plays.
pub(crate) struct Log {
    pub(crate) state: LogState,
    story: String,
    /// The story's own palettes' names (`palette_def:`), by [`Palette::Custom`] index.
    palettes: Vec<String>,
    open: Option<Open>,
    interludes: Vec<String>,
}

/// Rounds to 4 decimals, as the log writes numbers.
fn r4(v: f32) -> f64 {
    (f64::from(v) * 1e4).round() / 1e4
}

/// Rounds show time to the tick (0.1 s).
fn r1(t: f64) -> f64 {
    (t * 10.0).round() / 10.0
}

fn engagement_json(s: &EngagementSample) -> Value {
    json!({
        "arousal_z": r4(s.arousal_z),
        "boredom": r4(s.boredom),
        "attention": r4(s.attention),
        "quality": r4(s.quality),
    })
}

impl Log {
    pub(crate) fn new(story: String, interludes: Vec<String>, state: LogState) -> Self {
        Self {
            state,
            story,
            palettes: Vec::new(),
            open: None,
            interludes,
        }
    }

    /// The story's own palettes' names, so reasons name them as the author did.
    pub(crate) fn set_palettes(&mut self, names: Vec<String>) {
        self.palettes = names;
    }

    /// A reason with the author's name for the story's palette in play (the director's
    /// reasons carry the palette, not its name).
    fn palette_named(&self, reason: String) -> String {
        match self.state.staging.palette {
            Palette::Custom(i) => match self.palettes.get(usize::from(i)) {
                Some(name) => reason.replace("`story-defined`", &format!("`{name}`")),
                None => reason,
            },
            _ => reason,
        }
    }

    /// The story was reloaded: its interludes' names, for the lines to come.
    pub(crate) fn rename_interludes(&mut self, interludes: Vec<String>) {
        self.interludes = interludes;
    }

    /// A beat began at show time `t`, after a tick that measured `sample`.
    pub(crate) fn begin(&mut self, beat: &Beat, t: f64, sample: EngagementSample) {
        self.state.staging.apply(&beat.directives);
        if self.state.path.last() != Some(&beat.knot) {
            self.state.path.push(beat.knot.clone());
        }
        self.open = Some(Open {
            t_start: t,
            start_sample: sample,
            knot: beat.knot.clone(),
            interlude: beat.interlude,
            text: beat.text.trim().to_owned(),
            tags: beat.tags.clone(),
            directives: beat.directives.clone(),
        });
    }

    /// A choice was taken: its `fate:` directives count.
    pub(crate) fn chose(&mut self, fates: &[Directive]) {
        self.state.staging.apply(fates);
    }

    /// The events of a tick that ended at show time `t`; `choices` are the texts on offer.
    /// Allocates only when there are events.
    pub(crate) fn tick(&mut self, tick: &Tick, t: f64, choices: &[String]) {
        for e in &tick.events {
            let c = &mut self.state.counts;
            match e {
                Event::Choose {
                    by: Chooser::Viewer,
                    ..
                } => c.viewer_choices += 1,
                Event::Choose {
                    by: Chooser::Director,
                    ..
                } => c.director_choices += 1,
                Event::Divert { .. } => c.diverts += 1,
                Event::Spare { .. } => c.fate_overrides += 1,
                Event::DeescalateStart(_) => c.deescalations += 1,
                Event::DeescalateEnd(_) => {}
            }
            let mut v = json!({"t": r1(t), "kind": e.kind(), "reason": e.reason().to_string()});
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
                Event::Divert { interlude, .. } => {
                    v["interlude"] = json!(self.interludes.get(*interlude));
                }
                Event::DeescalateStart(_) | Event::DeescalateEnd(_) => {}
            }
            self.state.pending.push(v);
        }
    }

    /// Something the viewer did or decided outside the director (consent, the menu), at show
    /// time `t`: an event in the next beat's line, with its reason.
    pub(crate) fn note(&mut self, kind: &str, reason: &str, t: f64) {
        self.state
            .pending
            .push(json!({"t": r1(t), "kind": kind, "reason": reason}));
    }

    /// [`Log::note`] with more to say: `more`'s fields (a JSON object) beside the kind and
    /// reason.
    pub(crate) fn event(&mut self, kind: &str, reason: &str, t: f64, more: Value) {
        let mut v = json!({"t": r1(t), "kind": kind, "reason": reason});
        if let Value::Object(m) = more {
            for (k, x) in m {
                v[k] = x;
            }
        }
        self.state.pending.push(v);
    }

    /// The open beat ended at show time `t` with the director's last `tick`: its line.
    pub(crate) fn end(&mut self, tick: &Tick, t: f64) -> Option<BeatRecord> {
        let open = self.open.take()?;
        self.state.counts.beats += 1;
        let g = tick.grade;
        let text = open.text.clone();
        let line = json!({
            "beat": self.state.counts.beats,
            "t": r1(open.t_start),
            "duration_s": r1(t - open.t_start),
            "knot": open.knot,
            "interlude": open.interlude.and_then(|i| self.interludes.get(i)),
            "text": open.text,
            "tags": open.tags,
            "engagement": engagement_json(&open.start_sample),
            "mode": tick.mode.name(),
            "decisions": {
                "pacing": {"value": r4(tick.pacing), "reason": tick.pacing_reason.to_string()},
                "grade": {
                    "value": {"exposure_ev": r4(g.exposure_ev), "warmth": r4(g.warmth), "saturation": r4(g.saturation), "contrast": r4(g.contrast)},
                    "reason": self.palette_named(tick.grade_reason.to_string()),
                },
                "intensity": {"value": r4(tick.intensity), "reason": tick.intensity_reason.to_string()},
                "mercy": tick.mercy,
                "events": std::mem::take(&mut self.state.pending),
            },
        });
        let mut line = line.to_string();
        line.push('\n');
        Some(BeatRecord {
            number: self.state.counts.beats,
            directives: open.directives,
            text,
            duration_s: t - open.t_start,
            grade: g,
            intensity: tick.intensity,
            line,
        })
    }

    /// The summary of the show so far: `viewer` and `seed` say what was screened.
    pub(crate) fn summary(&self, viewer: &str, seed: u64, t: f64) -> Value {
        let s = &self.state;
        json!({
            "story": self.story,
            "viewer": viewer,
            "seed": seed,
            "ending": s.staging.ending,
            "fates": s.staging.fates,
            "cast": s.staging.cast,
            "path": s.path,
            "counts": s.counts,
            "duration_s": r1(t),
            "trailing_events": s.pending,
        })
    }
}
