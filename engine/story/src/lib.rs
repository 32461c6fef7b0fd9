//! Ink stories for Showrunner.
//!
//! A story is written in ink (inkle's narrative language) and staged with
//! cinematic directives written as ink tags (`docs/story-format.md`). This crate
//! - loads `.ink` source (compiled with `bladeink-compiler`) or compiled ink JSON
//!   ([`load`]), with errors that name the file and line;
//! - builds the static knot graph of a compiled story ([`StoryGraph`]) and
//!   validates a story ([`check`]): tags, dead ends, unreachable knots, interludes
//!   the director could never divert to;
//! - plays a story beat by beat with `bladeink` ([`StoryRunner`]), keeps the
//!   engagement variables an author can read in ink current, plays high-stakes
//!   interludes in a side flow, and saves and restores the ink state.
//!
//! No wgpu, no burn: this crate builds and tests in seconds.

mod check;
mod choice_tags;
mod error;
mod fates;
mod graph;
mod load;
mod runner;
pub mod transcript;

pub use check::{check, Diagnostic, Place, Report, Severity, Summary};
pub use error::StoryError;
pub use fates::{fate_marks, FateMark};
pub use graph::{EdgeKind, KnotInfo, StoryGraph};
pub use load::{compile_source, load, CompiledStory};
pub use runner::{
    Beat, ChoiceView, Engagement, Interlude, RunnerState, Step, StoryRunner, ENGAGEMENT_VARIABLES,
};

/// Splits raw ink tags into single tags.
///
/// bladeink-compiler 2.1.0 compiles a tag-only line `# a # b` into one tag
/// `"a # b"` where inklecate and inkjs give two; ink tags cannot contain an
/// unescaped `#`, so splitting restores the reference behaviour.
pub fn split_tags<S: AsRef<str>>(raw: &[S]) -> Vec<String> {
    raw.iter()
        .flat_map(|t| t.as_ref().split('#'))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}
