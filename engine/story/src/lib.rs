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
pub mod extend;
mod fates;
mod graph;
mod load;
mod runner;
pub mod transcript;

pub use check::{check, check_story, Diagnostic, Place, Report, Severity, Summary};
pub use error::StoryError;
pub use extend::{extension_points, merge_episode, ExtensionPoint};
pub use fates::{fate_marks, FateMark};
pub use graph::{EdgeKind, KnotInfo, StoryGraph};
pub use load::{compile_source, load, CompiledStory};
pub use runner::{
    Beat, ChoiceView, Engagement, Interlude, RunnerState, Step, StoryRunner, ENGAGEMENT_VARIABLES,
};

/// The directives written in ink source, each with the 1-based line it is on: every tag after
/// a `#` on a line (a `//` comment ends the line; a choice's closing `]` is not part of its
/// last tag). Malformed tags and author notes are left out: `check` reports the former.
/// For checks that look at what a story names (sound cues, sets, views) line by line.
pub fn source_directives(
    source: &str,
) -> impl Iterator<Item = (usize, showrunner_core::Directive)> + '_ {
    source.lines().enumerate().flat_map(|(i, line)| {
        let line = line.split("//").next().unwrap_or("");
        line.split('#').skip(1).filter_map(move |tag| {
            let tag = tag.trim().trim_end_matches(']').trim();
            showrunner_core::Directive::parse(tag)
                .ok()
                .flatten()
                .map(|d| (i + 1, d))
        })
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_core::Directive;

    #[test]
    fn source_directives_are_found_on_their_lines() {
        let src = "A line. # scene: kitchen # x-note: mine\n\
                   * [Go # stakes: high # view: by_the_range]\n\
                   // # sfx: commented_out\n\
                   Bad. # sceen: typo # sfx: gull // # sfx: after_comment\n";
        let got: Vec<(usize, Directive)> = source_directives(src).collect();
        assert_eq!(
            got,
            vec![
                (1, Directive::Scene("kitchen".into())),
                (2, Directive::Stakes(showrunner_core::Stakes::High)),
                (2, Directive::View("by_the_range".into())),
                (
                    4,
                    Directive::Sfx {
                        name: "gull".into(),
                        at: None
                    }
                ),
            ]
        );
    }
}
