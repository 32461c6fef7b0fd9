//! Playing a story beat by beat.

use crate::graph::START;
use crate::{split_tags, CompiledStory, StoryError};
use bladeink::story::Story;
use bladeink::value_type::ValueType;
use serde::{Deserialize, Serialize};
use showrunner_core::{Directive, PaletteDef};
use std::collections::BTreeSet;

/// The ink variables the runtime keeps current, when the story declares them:
/// `arousal` (z-score), `boredom` (0..1), `attention` (0..1),
/// `signal_quality` (0..1) and `mercy` (true while the director would spare
/// protected characters).
pub const ENGAGEMENT_VARIABLES: [&str; 5] =
    ["arousal", "boredom", "attention", "signal_quality", "mercy"];

/// Engagement as the story sees it, written into its ink variables.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Engagement {
    /// Arousal z-score.
    pub arousal: f32,
    /// Boredom 0..1.
    pub boredom: f32,
    /// Attention 0..1.
    pub attention: f32,
    /// Signal quality 0..1.
    pub signal_quality: f32,
    /// Whether the director would spare protected characters now.
    pub mercy: bool,
}

/// A high-stakes interlude the director can divert to.
#[derive(Debug, Clone, PartialEq)]
pub struct Interlude {
    /// Its knot.
    pub knot: String,
    /// Its `intensity:` tag.
    pub intensity: Option<f32>,
}

/// One line of the story: what is shown for one beat.
#[derive(Debug, Clone, PartialEq)]
pub struct Beat {
    /// The text exactly as ink produced it (usually ending in `\n`).
    pub text: String,
    /// Its tags, one directive each.
    pub tags: Vec<String>,
    /// Its tags parsed (author notes left out).
    pub directives: Vec<Directive>,
    /// The knot it belongs to (`(start)` for the opening content).
    pub knot: String,
    /// The interlude being played, if any.
    pub interlude: Option<usize>,
}

/// A choice on offer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceView {
    /// Its text.
    pub text: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its tags parsed, with those written after its `]` (which ink prints on the line once
    /// it is taken; the director weighs them before).
    pub directives: Vec<Directive>,
}

/// What the story does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A line to show.
    Beat(Beat),
    /// The story waits for a choice: call [`StoryRunner::choose`].
    Choices(Vec<ChoiceView>),
    /// An interlude finished; the main story resumes where it was.
    InterludeOver(usize),
    /// The story is over.
    End,
}

/// What must be saved to resume a runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerState {
    /// bladeink's saved state JSON (all flows, variables, visit counts, RNG).
    pub ink: String,
    /// The interlude being played.
    pub interlude: Option<usize>,
    /// The knot of the last beat.
    pub knot: String,
    /// An episode waiting to play before its extension point: (the point's knot, the
    /// episode's knot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode: Option<(String, String)>,
}

const INTERLUDE_FLOW: &str = "interlude";

/// Plays a compiled story with bladeink.
pub struct StoryRunner {
    story: Story,
    path: String,
    knots: BTreeSet<String>,
    interludes: Vec<Interlude>,
    declared: [bool; 5],
    interlude: Option<usize>,
    knot: String,
    /// The tags written after each choice's `]`, which ink prints only once it is taken.
    after_bracket: crate::choice_tags::AfterBracket,
    /// The story's own palettes (`palette_def:` global tags), in order.
    palettes: Vec<PaletteDef>,
    /// The knot each plain line is written in, for a line the story ends right after.
    line_knots: std::collections::HashMap<String, Option<String>>,
    palette_names: Vec<String>,
    /// An episode to play when the main story reaches its extension point: (the point's knot,
    /// the episode's knot).
    episode: Option<(String, String)>,
}

impl StoryRunner {
    /// Starts a story. `seed` drives ink's own randomness (shuffles, RANDOM).
    pub fn new(compiled: &CompiledStory, seed: u64) -> Result<Self, StoryError> {
        let mut report = crate::Report {
            path: compiled.path.clone(),
            diagnostics: vec![],
            summary: Default::default(),
            dot: String::new(),
        };
        crate::check::check_compiled(compiled, &mut report);
        Self::with_interludes(compiled, seed, &report.summary.interludes)
    }

    /// [`StoryRunner::new`] with the story's interludes already known (`check` found them):
    /// a story grown by an episode has its story's, and taking one on the frame thread should
    /// not check the whole story again.
    pub fn with_interludes(
        compiled: &CompiledStory,
        seed: u64,
        interludes: &[String],
    ) -> Result<Self, StoryError> {
        let json_err = |e: bladeink::story::error::StoryError| StoryError::Json {
            path: compiled.path.clone(),
            message: e.to_string(),
        };
        let story = Story::new_with_seed(&compiled.json, (seed % i32::MAX as u64) as i32)
            .map_err(json_err)?;
        let graph =
            crate::StoryGraph::from_json(&compiled.json).map_err(|message| StoryError::Json {
                path: compiled.path.clone(),
                message,
            })?;
        let interludes = interludes
            .iter()
            .filter_map(|k| {
                Some(Interlude {
                    knot: k.clone(),
                    intensity: graph.knots.get(k)?.intensity(),
                })
            })
            .collect();
        // The story's own palettes: its global `palette_def:` tags (check reports bad ones).
        let palettes: Vec<PaletteDef> = story
            .get_global_tags()
            .map(|t| split_tags(&t))
            .unwrap_or_default()
            .iter()
            .filter_map(|t| match Directive::parse(t) {
                Ok(Some(Directive::PaletteDef(d))) => Some(d),
                _ => None,
            })
            .collect();
        let globals = story.get_global_variables();
        let declared = ENGAGEMENT_VARIABLES.map(|v| globals.iter().any(|g| g == v));
        Ok(Self {
            story,
            path: compiled.path.clone(),
            knots: graph.knots.into_keys().collect(),
            interludes,
            declared,
            interlude: None,
            knot: START.to_owned(),
            after_bracket: crate::choice_tags::AfterBracket::from_json(&compiled.json, START),
            palette_names: palettes.iter().map(|p| p.name.clone()).collect(),
            line_knots: crate::choice_tags::line_knots(&compiled.json),
            palettes,
            episode: None,
        })
    }

    fn runtime_err(&self, e: impl ToString) -> StoryError {
        StoryError::Runtime {
            path: self.path.clone(),
            knot: self.knot.clone(),
            message: e.to_string(),
        }
    }

    fn parse_tags(&self, tags: &[String]) -> Result<Vec<Directive>, StoryError> {
        tags.iter()
            .filter_map(|t| Directive::parse_in(t, &self.palette_names).transpose())
            .collect::<Result<_, _>>()
            .map_err(|source| StoryError::BadTag {
                path: self.path.clone(),
                knot: self.knot.clone(),
                source,
            })
    }

    /// The interludes the director may divert to.
    pub fn interludes(&self) -> &[Interlude] {
        &self.interludes
    }

    /// How often interlude `i` has played (ink's visit count).
    pub fn interlude_visits(&self, i: usize) -> u32 {
        self.story
            .get_visit_count_at_path_string(&self.interludes[i].knot)
            .map_or(0, |v| v.max(0) as u32)
    }

    /// The interlude being played, if any.
    pub fn in_interlude(&self) -> Option<usize> {
        self.interlude
    }

    /// The knot of the most recent beat.
    pub fn knot(&self) -> &str {
        &self.knot
    }

    /// Which engagement variables the story declares, in [`ENGAGEMENT_VARIABLES`] order.
    pub fn declared_engagement(&self) -> [bool; 5] {
        self.declared
    }

    /// Writes engagement into the story's ink variables (those it declares).
    /// Called between beats, never mid-line.
    pub fn set_engagement(&mut self, e: &Engagement) -> Result<(), StoryError> {
        let values = [
            ValueType::Float(e.arousal),
            ValueType::Float(e.boredom),
            ValueType::Float(e.attention),
            ValueType::Float(e.signal_quality),
            ValueType::Bool(e.mercy),
        ];
        for ((name, value), declared) in ENGAGEMENT_VARIABLES.iter().zip(&values).zip(self.declared)
        {
            if declared {
                self.story
                    .set_variable(name, value)
                    .map_err(|e| self.runtime_err(e))?;
            }
        }
        Ok(())
    }

    fn knot_of_current_path(&self) -> Option<String> {
        let path = self.story.get_current_path()?;
        let first = path.split('.').next().unwrap_or("");
        Some(if self.knots.contains(first) && first != START {
            first.to_owned()
        } else {
            START.to_owned()
        })
    }

    /// Plays knot `episode` (an episode merged into this story for an extension point) when
    /// the main story next enters knot `point`, just before it; the episode diverts back to
    /// `point`, which then plays as written. Replaces an episode already waiting.
    pub fn play_before(&mut self, point: &str, episode: &str) -> Result<(), StoryError> {
        for k in [point, episode] {
            if !self.knots.contains(k) {
                return Err(self.runtime_err(format!("no knot `{k}` for an episode")));
            }
        }
        self.episode = Some((point.to_owned(), episode.to_owned()));
        Ok(())
    }

    /// Forgets the episode waiting (the story went where its extension point cannot be
    /// reached): (the point's knot, the episode's knot).
    pub fn forget_episode(&mut self) -> Option<(String, String)> {
        self.episode.take()
    }

    /// The episode waiting for its extension point: (the point's knot, the episode's knot).
    pub fn waiting_episode(&self) -> Option<(&str, &str)> {
        self.episode.as_ref().map(|(p, e)| (p.as_str(), e.as_str()))
    }

    /// Advances to the next beat, choice point, interlude end or the end.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Step, StoryError> {
        // An episode waits for its extension point: the line about to play is looked at, and
        // if it is the point's first, the story goes back to before it and into the episode.
        // Only while one waits does a line cost a saved state.
        if self.interlude.is_none() && self.story.can_continue() {
            if let Some((point, episode)) = self.episode.clone() {
                let before = self.story.save_state().map_err(|e| self.runtime_err(e))?;
                let knot = self.knot.clone();
                let step = self.next_line()?;
                if self.knot == point && knot != point {
                    self.story
                        .load_state(&before)
                        .map_err(|e| self.runtime_err(e))?;
                    self.story
                        .choose_path_string(&episode, true, None)
                        .map_err(|e| self.runtime_err(e))?;
                    self.knot = episode;
                    self.episode = None;
                    return self.next_line();
                }
                return Ok(step);
            }
        }
        self.next_line()
    }

    fn next_line(&mut self) -> Result<Step, StoryError> {
        if self.story.can_continue() {
            let before = self.knot_of_current_path();
            let text = self.story.cont().map_err(|e| self.runtime_err(e))?;
            // ink stops just after the line, so the pointer is in the line's knot unless the
            // story ended with it: then the knot that has the line's text, else the one
            // before.
            let after = self.knot_of_current_path().or_else(|| {
                self.line_knots
                    .get(text.trim())
                    .cloned()
                    .flatten()
                    .filter(|k| self.knots.contains(k))
            });
            if let Some(k) = after.or(before) {
                self.knot = k;
            }
            if self.story.has_error() {
                return Err(self.runtime_err(self.story.get_current_errors().join("; ")));
            }
            let raw = self
                .story
                .get_current_tags()
                .map_err(|e| self.runtime_err(e))?;
            let tags = split_tags(&raw);
            let directives = self.parse_tags(&tags)?;
            return Ok(Step::Beat(Beat {
                text,
                tags,
                directives,
                knot: self.knot.clone(),
                interlude: self.interlude,
            }));
        }
        let choices = self.story.get_current_choices();
        if !choices.is_empty() {
            let mut out = Vec::with_capacity(choices.len());
            for c in &choices {
                let tags = split_tags(&c.tags);
                let mut directives = self.parse_tags(&tags)?;
                // The tags after `]` are the chosen line's in ink; the director weighs them
                // with the choice, before it is taken.
                let after: Vec<String> = self
                    .after_bracket
                    .get(&self.knot, &c.text)
                    .iter()
                    .filter(|t| !tags.contains(t))
                    .cloned()
                    .collect();
                directives.extend(self.parse_tags(&after)?);
                out.push(ChoiceView {
                    text: c.text.clone(),
                    tags,
                    directives,
                });
            }
            return Ok(Step::Choices(out));
        }
        if let Some(i) = self.interlude.take() {
            self.story.switch_to_default_flow();
            self.story
                .remove_flow(INTERLUDE_FLOW)
                .map_err(|e| self.runtime_err(e))?;
            return Ok(Step::InterludeOver(i));
        }
        Ok(Step::End)
    }

    /// The story's own palettes (`palette_def:` global tags), in the order
    /// [`showrunner_core::Palette::Custom`] numbers them.
    pub fn palettes(&self) -> &[PaletteDef] {
        &self.palettes
    }

    /// Whether the story has a knot called `name`.
    pub fn has_knot(&self, name: &str) -> bool {
        self.knots.contains(name)
    }

    /// Goes to the start of knot `name` (an author's reload keeping the viewer's place): the
    /// next step is that knot's first line. An interlude playing is left.
    pub fn jump_to(&mut self, name: &str) -> Result<(), StoryError> {
        if !self.knots.contains(name) {
            return Err(self.runtime_err(format!("no knot `{name}` to go to")));
        }
        if self.interlude.take().is_some() {
            self.story.switch_to_default_flow();
            let _ = self.story.remove_flow(INTERLUDE_FLOW);
        }
        self.story
            .choose_path_string(name, true, None)
            .map_err(|e| self.runtime_err(e))?;
        self.knot = name.to_owned();
        Ok(())
    }

    /// Takes choice `index` of the current choice point.
    pub fn choose(&mut self, index: usize) -> Result<(), StoryError> {
        self.story
            .choose_choice_index(index)
            .map_err(|e| self.runtime_err(e))
    }

    /// Starts interlude `i` in a side flow; the main story waits where it is,
    /// and resumes after [`Step::InterludeOver`]. Variables and visit counts
    /// are shared, so what happens in the interlude is remembered.
    pub fn start_interlude(&mut self, i: usize) -> Result<(), StoryError> {
        let knot = self
            .interludes
            .get(i)
            .ok_or_else(|| self.runtime_err(format!("no interlude {i}")))?
            .knot
            .clone();
        self.story
            .switch_flow(INTERLUDE_FLOW)
            .map_err(|e| self.runtime_err(e))?;
        self.story
            .choose_path_string(&knot, true, None)
            .map_err(|e| self.runtime_err(e))?;
        self.interlude = Some(i);
        self.knot = knot;
        Ok(())
    }

    /// Everything needed to resume this story later.
    pub fn save(&self) -> Result<RunnerState, StoryError> {
        Ok(RunnerState {
            ink: self.story.save_state().map_err(|e| self.runtime_err(e))?,
            interlude: self.interlude,
            knot: self.knot.clone(),
            episode: self.episode.clone(),
        })
    }

    /// Restores a saved state. `save_path` names the save file in errors.
    pub fn restore(&mut self, state: &RunnerState, save_path: &str) -> Result<(), StoryError> {
        if state.interlude.is_some_and(|i| i >= self.interludes.len()) {
            return Err(StoryError::State {
                path: save_path.to_owned(),
                message: "it plays an interlude this story does not have".into(),
            });
        }
        if let Some((point, episode)) = &state.episode {
            if let Some(k) = [point, episode]
                .into_iter()
                .find(|k| !self.knots.contains(*k))
            {
                return Err(StoryError::State {
                    path: save_path.to_owned(),
                    message: format!(
                        "it waits to play an episode at knot `{k}`, which this story does not have (were the session's episodes moved?)"
                    ),
                });
            }
        }
        // bladeink's loader is not ours: a corrupted state must be an error, not a crash.
        let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.story.load_state(&state.ink)
        }));
        match loaded {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(StoryError::State {
                    path: save_path.to_owned(),
                    message: e.to_string(),
                })
            }
            Err(_) => {
                return Err(StoryError::State {
                    path: save_path.to_owned(),
                    message: "the ink state could not be parsed".into(),
                })
            }
        }
        self.interlude = state.interlude;
        self.knot = state.knot.clone();
        self.episode = state.episode.clone();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile_source;
    use std::path::Path;

    const INK: &str = "\
VAR boredom = 0.0
VAR mercy = false
-> hall
=== hall ===
# scene: hall
One. # shot: 3
Two.
{boredom > 0.5: Bored now.|Calm now.}
* [Left # stakes: high # fate: mara=dead] -> left
* [Right # stakes: low] -> right
=== left ===
{mercy: Spared.|Fallen.}
Left end. # ending: left
-> END
=== right ===
Right end. # ending: right
-> END
=== wave ===
# stakes: high
# intensity: 0.9
Wave one.
Wave two.
-> DONE
";

    fn runner() -> StoryRunner {
        StoryRunner::new(&compile_source(INK, "r.ink", Path::new(".")).unwrap(), 7).unwrap()
    }

    fn beat(s: Step) -> Beat {
        match s {
            Step::Beat(b) => b,
            other => panic!("expected a beat, got {other:?}"),
        }
    }

    #[test]
    fn an_episode_plays_just_before_its_extension_point_then_the_point_as_written() {
        let text = INK.replace(
            "=== left ===\n",
            "=== left ===\n# extend: the floor gives\n",
        );
        let story = compile_source(&text, "r.ink", Path::new(".")).unwrap();
        let graph = crate::StoryGraph::from_json(&story.json).unwrap();
        let point = crate::extension_points(&graph).remove(0);
        let ink = "=== ext_left_1 ===\nThe floor gives. # stakes: high # intensity: 0.8\n* [Jump]\n    You jump.\n    -> left\n";
        let merged = crate::merge_episode(&story, &point, "ext_left_1", ink).unwrap();
        let mut r = StoryRunner::new(&merged, 7).unwrap();
        r.play_before("left", "ext_left_1").unwrap();
        for _ in 0..3 {
            beat(r.next().unwrap());
        }
        assert!(matches!(r.next().unwrap(), Step::Choices(_)));
        r.choose(0).unwrap();
        // Saved and resumed with the episode waiting: it still plays.
        let saved = r.save().unwrap();
        let mut r = StoryRunner::new(&merged, 7).unwrap();
        r.restore(&saved, "s.json").unwrap();
        assert_eq!(r.waiting_episode(), Some(("left", "ext_left_1")));
        let b = beat(r.next().unwrap());
        assert_eq!(
            (b.text.as_str(), b.knot.as_str()),
            ("The floor gives.\n", "ext_left_1")
        );
        assert_eq!(r.waiting_episode(), None);
        let Step::Choices(c) = r.next().unwrap() else {
            panic!("the episode's choice")
        };
        assert_eq!(c[0].text, "Jump");
        r.choose(0).unwrap();
        assert_eq!(beat(r.next().unwrap()).text, "You jump.\n");
        // Back in the authored story, from the point's first line, as written.
        let b = beat(r.next().unwrap());
        assert_eq!(b.knot, "left");
        assert!(b.text == "Spared.\n" || b.text == "Fallen.\n", "{b:?}");
        assert_eq!(beat(r.next().unwrap()).text, "Left end.\n");
        // A save that waits for an episode the story lacks is refused, naming the save.
        let mut plain = StoryRunner::new(&story, 7).unwrap();
        let e = plain.restore(&saved, "s.json").unwrap_err().to_string();
        assert!(e.contains("s.json") && e.contains("ext_left_1"), "{e}");
    }

    #[test]
    fn plays_beats_choices_and_engagement() {
        let mut r = runner();
        assert_eq!(r.declared_engagement(), [false, true, false, false, true]);
        let b = beat(r.next().unwrap());
        assert_eq!(b.text, "One.\n");
        assert_eq!(b.knot, "hall");
        assert_eq!(b.tags, vec!["scene: hall", "shot: 3"]);
        assert_eq!(b.directives.len(), 2);
        beat(r.next().unwrap());
        r.set_engagement(&Engagement {
            boredom: 0.9,
            mercy: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(beat(r.next().unwrap()).text, "Bored now.\n");
        let Step::Choices(c) = r.next().unwrap() else {
            panic!()
        };
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].text, "Left");
        assert_eq!(c[0].tags, vec!["stakes: high", "fate: mara=dead"]);
        r.choose(0).unwrap();
        let b = beat(r.next().unwrap());
        assert_eq!((b.text.as_str(), b.knot.as_str()), ("Spared.\n", "left"));
        assert_eq!(beat(r.next().unwrap()).tags, vec!["ending: left"]);
        assert_eq!(r.next().unwrap(), Step::End);
    }

    #[test]
    fn the_last_line_belongs_to_its_knot_even_when_the_story_ends_with_it() {
        let src =
            "-> quay\n=== quay ===\nThe quay.\n-> lamp\n=== lamp ===\nThe lamp, at last.\n-> END\n";
        let story = crate::compile_source(src, "end.ink", std::path::Path::new(".")).unwrap();
        let mut r = StoryRunner::new(&story, 1).unwrap();
        let mut knots = Vec::new();
        while let Step::Beat(b) = r.next().unwrap() {
            knots.push((b.text.trim().to_owned(), b.knot));
        }
        assert_eq!(
            knots,
            [
                ("The quay.".to_owned(), "quay".to_owned()),
                ("The lamp, at last.".to_owned(), "lamp".to_owned())
            ]
        );
    }

    #[test]
    fn interludes_play_in_a_side_flow_and_resume() {
        let mut r = runner();
        assert_eq!(
            r.interludes(),
            &[Interlude {
                knot: "wave".into(),
                intensity: Some(0.9)
            }]
        );
        beat(r.next().unwrap());
        assert_eq!(r.interlude_visits(0), 0);
        r.start_interlude(0).unwrap();
        let b = beat(r.next().unwrap());
        assert_eq!((b.text.as_str(), b.interlude), ("Wave one.\n", Some(0)));
        // A save in the middle of an interlude resumes inside it.
        let saved = r.save().unwrap();
        beat(r.next().unwrap());
        assert_eq!(r.next().unwrap(), Step::InterludeOver(0));
        assert_eq!(beat(r.next().unwrap()).text, "Two.\n");
        assert_eq!(r.interlude_visits(0), 1);

        let mut r2 = runner();
        r2.restore(&saved, "save.json").unwrap();
        assert_eq!(beat(r2.next().unwrap()).text, "Wave two.\n");
        assert_eq!(r2.next().unwrap(), Step::InterludeOver(0));
        assert_eq!(beat(r2.next().unwrap()).text, "Two.\n");
    }

    #[test]
    fn corrupted_state_is_an_error() {
        let mut r = runner();
        let mut s = r.save().unwrap();
        s.ink.truncate(s.ink.len() / 2);
        let e = r.restore(&s, "save.json").unwrap_err().to_string();
        assert!(
            e.starts_with("save.json: saved story state is unusable"),
            "{e}"
        );
        // The runner still works after a failed restore.
        beat(r.next().unwrap());
    }

    #[test]
    fn bad_runtime_tags_name_file_and_knot() {
        let src = "-> k\n=== k ===\nHi. # {\"palette: pink\"}\nBye.\n-> END\n";
        let mut r =
            StoryRunner::new(&compile_source(src, "d.ink", Path::new(".")).unwrap(), 1).unwrap();
        let e = r.next().unwrap_err().to_string();
        assert!(e.starts_with("d.ink: in knot `k`: `palette: pink`"), "{e}");
    }
}
