//! Whose fate the story marks (`fate: NAME=dead|alive` tags), and whether it can be spared:
//! a choice tagged with the death is one the director can avoid; a death in the story's own
//! lines can be avoided only where it lies in a branch a `mercy` conditional chooses
//! (`{mercy: -> spared | -> falls}`), which the director's mercy turns. Read from the ink
//! source (a story loaded as compiled JSON has none to read: no marks).

use showrunner_core::{Directive, Fate};

use crate::CompiledStory;

/// A character whose fate the story marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FateMark {
    /// The character, as the tags name them.
    pub who: String,
    /// A choice is tagged with their death (the director can avoid it).
    pub dies_by_choice: bool,
    /// A line that is not a choice is tagged with their death.
    pub dies_in_lines: bool,
    /// A death in the lines lies in a knot or stitch that a `mercy` conditional diverts to.
    pub dies_in_mercy_branch: bool,
}

impl FateMark {
    /// Whether asking to save them can change anything: a choice that kills them the
    /// director can avoid, or a death in a branch the director's mercy steers away from.
    pub fn can_be_spared(&self) -> bool {
        self.dies_by_choice || self.dies_in_mercy_branch
    }
}

/// The knot or stitch a header line (`=== name ===`, `= name`) opens.
fn section(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix('=')?;
    let name = rest.trim_start_matches('=').trim_start();
    let name = name.strip_prefix("function ").unwrap_or(name);
    let end = name
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(name.len());
    (end > 0).then(|| &name[..end])
}

/// The story's fate marks, by first appearance.
pub fn fate_marks(story: &CompiledStory) -> Vec<FateMark> {
    // The knots and stitches a mercy conditional diverts to.
    let mut merciful: Vec<&str> = Vec::new();
    for source in story.sources.values() {
        for raw in source.lines() {
            let code = raw.split("//").next().unwrap_or("");
            if code.contains("{mercy") {
                for target in code.split("->").skip(1) {
                    let t = target.trim_start();
                    let end = t
                        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                        .unwrap_or(t.len());
                    if let Some(name) = t[..end].rsplit('.').next().filter(|n| !n.is_empty()) {
                        merciful.push(name);
                    }
                }
            }
        }
    }
    let mut marks: Vec<FateMark> = Vec::new();
    for source in story.sources.values() {
        let mut here = "";
        for raw in source.lines() {
            let line = raw.split("//").next().unwrap_or("");
            if let Some(name) = section(line) {
                here = name;
                continue;
            }
            let choice = line.trim_start().starts_with(['*', '+']);
            for tag in line.split('#').skip(1) {
                // A malformed tag is `check`'s to report, not this scan's.
                let Ok(Some(Directive::Fate { character, fate })) =
                    Directive::parse(tag.split(']').next().unwrap_or("").trim())
                else {
                    continue;
                };
                let i = match marks.iter().position(|m| m.who == character) {
                    Some(i) => i,
                    None => {
                        marks.push(FateMark {
                            who: character,
                            dies_by_choice: false,
                            dies_in_lines: false,
                            dies_in_mercy_branch: false,
                        });
                        marks.len() - 1
                    }
                };
                if fate == Fate::Dead {
                    if choice {
                        marks[i].dies_by_choice = true;
                    } else {
                        marks[i].dies_in_lines = true;
                        marks[i].dies_in_mercy_branch |= merciful.contains(&here);
                    }
                }
            }
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_sample_marks_mara_tomas_and_calum_and_only_mara_can_be_spared() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/stories");
        let src = std::fs::read_to_string(root.join("lighthouse.ink")).unwrap();
        let story = crate::compile_source(&src, "lighthouse.ink", &root).unwrap();
        let marks = fate_marks(&story);
        let get = |who: &str| marks.iter().find(|m| m.who == who).unwrap().clone();
        let mara = get("mara");
        assert!(mara.dies_by_choice && mara.dies_in_mercy_branch && mara.can_be_spared());
        let tomas = get("tomas");
        assert!(!tomas.dies_by_choice && tomas.dies_in_lines && !tomas.dies_in_mercy_branch);
        assert!(
            !tomas.can_be_spared(),
            "his deaths are in the lines, outside mercy's branches"
        );
        let calum = get("calum");
        assert!(
            !calum.dies_by_choice && !calum.dies_in_lines,
            "Calum always lives"
        );
        assert!(!calum.can_be_spared());
    }

    #[test]
    fn a_death_only_in_lines_with_no_mercy_branch_cannot_be_spared() {
        let src = "Start.\n* [Go] -> a\n* [Stay # fate: ann=alive] -> a\n=== a ===\nShe falls. # fate: bo=dead\n-> END\n";
        let story = crate::compile_source(src, "t.ink", Path::new(".")).unwrap();
        let marks = fate_marks(&story);
        assert!(
            marks.iter().all(|m| !m.dies_in_mercy_branch),
            "no mercy branch"
        );
        assert_eq!(marks.len(), 2);
        assert!(!marks[1].can_be_spared(), "{marks:?}");
        assert_eq!(section("=== the_wave ==="), Some("the_wave"));
        assert_eq!(section("= inner"), Some("inner"));
        assert_eq!(section("-> a"), None);
    }
}
