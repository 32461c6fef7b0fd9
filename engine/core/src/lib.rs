//! Shared vocabulary of Showrunner.
//!
//! Everything more than one engine crate speaks lives here, and nothing else:
//! the cinematic [`Directive`]s an author writes as ink tags (with their parser,
//! the single source of truth for the grammar in `docs/story-format.md`), the
//! [`EngagementSample`] the biometrics layer fills and the director reads, the
//! named [`Palette`]s and the colour [`Grade`] the director steers and the renderer applies,
//! and who speaks a line of dialogue ([`speaker`]: the subtitle sets them apart, the stage has
//! them act it).
//! The crate has no I/O and builds in a second.

mod dialogue;
mod directive;
mod engagement;
mod grade;

pub use dialogue::speaker;
pub use directive::{Directive, DirectiveError, Fate, Palette, PaletteDef, Stakes, DIRECTIVE_KEYS};
pub use engagement::EngagementSample;
pub use grade::Grade;
