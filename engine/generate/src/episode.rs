//! The episode's ink: the project's structure around the model's words.

use crate::words::Words;
use crate::{Intent, Request};
use std::fmt::Write;

/// The stakes and intensity an episode is tagged with for what the director wants.
pub fn tone(intent: Intent) -> (&'static str, f32) {
    match intent {
        Intent::Stakes => ("high", 0.75),
        Intent::Relief => ("low", 0.25),
        Intent::Course => ("low", 0.5),
    }
}

/// Builds the episode `knot` for `request` from `words`: its first line tagged with a scene
/// and palette the extension point allows (picked by the seed), the stakes and intensity of
/// the director's intent and a held first shot; then the lines; then the viewer's choices if
/// the words have them; every path back to the extension point.
pub fn build(request: &Request, knot: &str, words: &Words) -> String {
    let point = &request.point;
    let pick = |names: &[String]| {
        (!names.is_empty()).then(|| names[(request.seed % names.len() as u64) as usize].clone())
    };
    let (stakes, intensity) = tone(request.intent);
    let mut ink = format!("=== {knot} ===\n");
    for (i, line) in words.lines.iter().enumerate() {
        ink.push_str(line);
        if i == 0 {
            if let Some(scene) = pick(&point.scenes) {
                let _ = write!(ink, " # scene: {scene}");
            }
            if let Some(palette) = pick(&point.palettes) {
                let _ = write!(ink, " # palette: {palette}");
            }
            let _ = write!(
                ink,
                " # stakes: {stakes} # intensity: {intensity} # shot: 6"
            );
        }
        ink.push('\n');
    }
    if words.choices.is_empty() {
        let _ = writeln!(ink, "-> {}", point.knot);
    } else {
        for choice in &words.choices {
            let _ = writeln!(ink, "* [{choice}]\n    -> {}", point.knot);
        }
    }
    ink
}
