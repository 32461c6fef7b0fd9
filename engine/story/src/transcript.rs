//! Transcripts: a story played with a fixed choice sequence, written as JSON.
//!
//! The format is the one `tests/inkjs/transcript.js` writes from inkjs, the
//! reference ink runtime, so the two can be compared event by event:
//! `{"events": [{"line", "tags"} | {"choices": [{"text", "tags"}], "chose"} | {"end": true}]}`.

use crate::{CompiledStory, Step, StoryError, StoryRunner};
use serde_json::{json, Value};

/// Most events a transcript records before giving up (a story that loops).
pub const MAX_EVENTS: usize = 20_000;

/// Plays `story` taking `choices[i]` at the i-th choice point (0 once they run
/// out; an index past the end wraps around) and returns the transcript.
pub fn transcript(story: &CompiledStory, choices: &[usize]) -> Result<Value, StoryError> {
    let mut runner = StoryRunner::new(story, 0)?;
    let mut events = Vec::new();
    let mut next_choice = choices.iter();
    while events.len() < MAX_EVENTS {
        match runner.next()? {
            Step::Beat(b) => events.push(json!({"line": b.text, "tags": b.tags})),
            Step::Choices(cs) => {
                let k = next_choice.next().copied().unwrap_or(0) % cs.len();
                let list: Vec<Value> = cs
                    .iter()
                    .map(|c| json!({"text": c.text, "tags": c.tags}))
                    .collect();
                events.push(json!({"choices": list, "chose": k}));
                runner.choose(k)?;
            }
            Step::InterludeOver(_) => {}
            Step::End => {
                events.push(json!({"end": true}));
                return Ok(json!({ "events": events }));
            }
        }
    }
    events.push(json!({"error": "too many events"}));
    Ok(json!({ "events": events }))
}
