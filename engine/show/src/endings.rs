//! Another ending: the show keeps the story's state at each choice point of the main flow,
//! and after the end looks back from the last choice point to the first for an option not
//! taken that leads to an ending the viewer has not seen (playing the story forward from
//! there, trying the later choices' options depth first, within a budget of runs), so the
//! menu can rewind to it.

use showrunner_core::Directive;
use showrunner_story::{CompiledStory, RunnerState, Step, StoryRunner};

/// Runs of the story tried at most when looking for an unseen ending.
pub(crate) const BUDGET: u32 = 48;
/// Choice points kept (the oldest go first).
pub(crate) const KEPT: usize = 64;

/// The story at a choice point of the main flow, before it was taken.
#[derive(Debug, Clone)]
pub(crate) struct Checkpoint {
    pub(crate) state: RunnerState,
    pub(crate) texts: Vec<String>,
    pub(crate) taken: Option<usize>,
}

/// Where another ending lies: checkpoint `at`, option `option`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Another {
    pub(crate) at: usize,
    pub(crate) option: usize,
}

/// The latest choice point with an option not taken that leads to an ending not in `seen`.
pub(crate) fn find(
    story: &CompiledStory,
    seed: u64,
    checkpoints: &[Checkpoint],
    seen: &[String],
) -> Option<Another> {
    let mut budget = BUDGET;
    for (at, cp) in checkpoints.iter().enumerate().rev() {
        for option in (0..cp.texts.len()).filter(|o| Some(*o) != cp.taken) {
            if reaches_unseen(story, seed, &cp.state, option, seen, &mut budget) {
                return Some(Another { at, option });
            }
            if budget == 0 {
                return None;
            }
        }
    }
    None
}

/// Whether choosing `option` at `state` can end in an ending not in `seen`.
fn reaches_unseen(
    story: &CompiledStory,
    seed: u64,
    state: &RunnerState,
    option: usize,
    seen: &[String],
    budget: &mut u32,
) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Ok(mut r) = StoryRunner::new(story, seed) else {
        return false;
    };
    if r.restore(state, "another ending").is_err() || r.choose(option).is_err() {
        return false;
    }
    let mut ending: Option<String> = None;
    // A story that never ends within this many steps is not followed further.
    for _ in 0..100_000 {
        match r.next() {
            Ok(Step::Beat(b)) => {
                for d in &b.directives {
                    if let Directive::Ending(e) = d {
                        ending = Some(e.clone());
                    }
                }
            }
            Ok(Step::Choices(c)) => {
                let Ok(here) = r.save() else { return false };
                return (0..c.len()).any(|o| reaches_unseen(story, seed, &here, o, seen, budget));
            }
            Ok(Step::InterludeOver(_)) => {}
            Ok(Step::End) => {
                let e = ending.unwrap_or_else(|| r.knot().to_owned());
                return !seen.contains(&e);
            }
            Err(_) => return false,
        }
    }
    false
}
