//! `showrunner check`: everything that can be known about a story before it plays.

use crate::graph::{EdgeKind, StoryGraph, START};
use crate::{load, split_tags, CompiledStory, StoryError};
use serde::Serialize;
use showrunner_core::Directive;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The story will misbehave: `check` exits non-zero.
    Error,
    /// Probably a mistake (`--strict` makes it an error).
    Warning,
}

/// Where a finding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Place {
    /// A line of an ink source file.
    Line {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
    },
    /// A knot (for compiled JSON, or when no source line is known).
    Knot {
        /// The file.
        file: String,
        /// The knot.
        knot: String,
    },
    /// The whole file.
    File {
        /// The file.
        file: String,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line { file, line } => write!(f, "{file}:{line}"),
            Place::Knot { file, knot } => write!(f, "{file}: knot `{knot}`"),
            Place::File { file } => write!(f, "{file}"),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where.
    pub place: Place,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {sev}: {}", self.place, self.message)
    }
}

/// The shape of a story.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Knots (functions and the opening content not counted).
    pub knots: usize,
    /// Choice points.
    pub choices: usize,
    /// Distinct `ending:` names.
    pub endings: Vec<String>,
    /// Longest shortest path, in knots, from the start to any knot.
    pub max_depth: usize,
    /// Interludes the director can divert to.
    pub interludes: Vec<String>,
    /// Extension points (`extend:`): knots an episode may play before.
    pub extension_points: Vec<String>,
}

/// Everything `check` found about one file.
#[derive(Debug, Clone)]
pub struct Report {
    /// The file checked.
    pub path: String,
    /// Findings, errors first, in file order within each severity.
    pub diagnostics: Vec<Diagnostic>,
    /// The story's shape (empty when it did not compile).
    pub summary: Summary,
    /// The knot graph as Graphviz DOT (empty when it did not compile).
    pub dot: String,
}

impl Report {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// Checks a story file. Never fails: a story that does not load is a report
/// with one error.
pub fn check(path: &Path) -> Report {
    let name = path.display().to_string();
    let mut report = Report {
        path: name.clone(),
        diagnostics: Vec::new(),
        summary: Summary::default(),
        dot: String::new(),
    };
    let story = match load(path) {
        Ok(s) => s,
        Err(e) => {
            let place = match &e {
                StoryError::Compile { file, line, .. } if *line > 0 => Place::Line {
                    file: file.clone(),
                    line: *line,
                },
                StoryError::Compile { file, .. } => Place::File { file: file.clone() },
                _ => Place::File { file: name.clone() },
            };
            let message = match e {
                StoryError::Compile { message, .. } => message,
                other => other.to_string(),
            };
            report.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                place,
                message,
            });
            return report;
        }
    };
    check_compiled(&story, &mut report);
    report
}

/// Finds the source line of the `nth` occurrence of a tag's text.
fn locate_tag(story: &CompiledStory, tag: &str, nth: usize) -> Option<(String, usize)> {
    let mut seen = 0;
    for (file, text) in &story.sources {
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let hits = code.split('#').skip(1).filter(|t| t.trim() == tag).count();
            if seen + hits > nth {
                return Some((file.clone(), i + 1));
            }
            seen += hits;
        }
    }
    None
}

/// Finds the header line of knot `name` (`=== name ===`, `== function name(x) ==`, …) in the
/// story's sources; a `knot.stitch` is found at its stitch's header (`= stitch`) after its
/// knot's. `None` for compiled JSON, which keeps no source.
fn locate_knot(story: &CompiledStory, name: &str) -> Option<(String, usize)> {
    let (knot, stitch) = match name.split_once('.') {
        Some((k, st)) => (k, Some(st)),
        None => (name, None),
    };
    // The name a header line declares, with how many `=` open it.
    let header = |line: &str| -> Option<(usize, String)> {
        let code = line.split("//").next().unwrap_or("").trim_start();
        let eqs = code.chars().take_while(|c| *c == '=').count();
        if eqs == 0 {
            return None;
        }
        let rest = code[eqs..].trim_start();
        let rest = rest.strip_prefix("function ").map_or(rest, str::trim_start);
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        (!ident.is_empty()).then_some((eqs, ident))
    };
    for (file, text) in &story.sources {
        let mut in_knot = false;
        for (i, line) in text.lines().enumerate() {
            let Some((eqs, ident)) = header(line) else {
                continue;
            };
            if eqs >= 2 {
                in_knot = ident == knot;
                if in_knot && stitch.is_none() {
                    return Some((file.clone(), i + 1));
                }
            } else if in_knot && stitch == Some(ident.as_str()) {
                return Some((file.clone(), i + 1));
            }
        }
    }
    None
}

/// Checks a story already compiled (a draft, an episode merged into its story): what
/// [`check`] reports of a file.
pub fn check_story(story: &CompiledStory) -> Report {
    let mut report = Report {
        path: story.path.clone(),
        diagnostics: Vec::new(),
        summary: Summary::default(),
        dot: String::new(),
    };
    check_compiled(story, &mut report);
    report
}

pub(crate) fn check_compiled(story: &CompiledStory, report: &mut Report) {
    let file = story.path.clone();
    let graph = match StoryGraph::from_json(&story.json) {
        Ok(g) => g,
        Err(e) => {
            report.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                place: Place::File { file },
                message: format!("cannot read the compiled story: {e}"),
            });
            return;
        }
    };
    let mut diags = Vec::new();
    // At the knot's header line, as compile errors are (editors jump there); by name for
    // compiled JSON.
    let knot_place = |knot: &str| match locate_knot(story, knot) {
        Some((file, line)) => Place::Line { file, line },
        None => Place::Knot {
            file: file.clone(),
            knot: knot.to_owned(),
        },
    };

    // 1. Tags, the story's own palettes first (global tags: `palette_def:`).
    let palettes = crate::extend::own_palettes(&graph);
    let mut occurrences: BTreeMap<String, usize> = BTreeMap::new();
    let mut endings = BTreeSet::new();
    let mut defined = BTreeSet::new();
    for (knot, info) in &graph.knots {
        for tag in split_tags(&info.tags) {
            let nth = occurrences.entry(tag.clone()).or_default();
            let place = locate_tag(story, &tag, *nth)
                .map(|(file, line)| Place::Line { file, line })
                .unwrap_or_else(|| knot_place(knot));
            *nth += 1;
            match Directive::parse_in(&tag, &palettes) {
                Ok(Some(Directive::Ending(e))) => {
                    endings.insert(e);
                }
                Ok(Some(Directive::PaletteDef(d))) if knot != START => diags.push(Diagnostic {
                    severity: Severity::Error,
                    place,
                    message: format!(
                        "palette `{}` is defined inside knot `{knot}`: palette definitions are global tags, at the top of the story before any content",
                        d.name
                    ),
                }),
                Ok(Some(Directive::PaletteDef(d))) if !defined.insert(d.name.clone()) => {
                    diags.push(Diagnostic {
                        severity: Severity::Error,
                        place,
                        message: format!("palette `{}` is defined twice", d.name),
                    })
                }
                Ok(_) => {}
                Err(e) => diags.push(Diagnostic {
                    severity: Severity::Error,
                    place,
                    message: e.to_string(),
                }),
            }
        }
    }

    // 2. Reachability, with interludes as the director's own roots.
    let main = graph.reachable_from([START]);
    let interludes: BTreeSet<String> = graph
        .knots
        .iter()
        .filter(|(n, k)| {
            !main.contains(*n)
                && k.is_high_stakes()
                && !n.starts_with(crate::extend::EPISODE_PREFIX)
        })
        .map(|(n, _)| n.clone())
        .collect();
    // Episodes written for extension points are played by the runner, not diverted to.
    let episodes = graph
        .knots
        .keys()
        .filter(|n| n.starts_with(crate::extend::EPISODE_PREFIX) && !main.contains(*n));
    let reached = graph.reachable_from(
        main.iter()
            .chain(&interludes)
            .chain(episodes)
            .map(String::as_str),
    );
    let finish = graph.can_finish();
    let mut divertable = Vec::new();
    for name in &interludes {
        let k = &graph.knots[name];
        let mut why = Vec::new();
        if k.params > 0 {
            why.push(format!(
                "it takes {} parameter(s); interludes must take none",
                k.params
            ));
        }
        if !finish.contains(name) {
            why.push("it never reaches `-> DONE`, so the story could never resume".to_owned());
        }
        for (t, kind) in &k.edges {
            if matches!(kind, EdgeKind::Divert | EdgeKind::Choice) && main.contains(t) {
                why.push(format!(
                    "it diverts into the main story's knot `{t}`, which would play on inside the interlude; end it with `-> DONE`"
                ));
            }
        }
        if why.is_empty() {
            divertable.push(name.clone());
        } else {
            diags.push(Diagnostic {
                severity: Severity::Error,
                place: knot_place(name),
                message: format!(
                    "`stakes: high` knot `{name}` is an interlude the director could never divert to: {}",
                    why.join("; ")
                ),
            });
        }
    }
    for (name, _) in graph.knots.iter().filter(|(n, _)| *n != START) {
        if graph.functions.contains(name) {
            continue;
        }
        if !reached.contains(name) {
            diags.push(Diagnostic {
                severity: Severity::Warning,
                place: knot_place(name),
                message: format!(
                    "no path reaches knot `{name}`: divert to it, or tag it `stakes: high` to make it an interlude the director can play"
                ),
            });
        } else if !finish.contains(name) && !interludes.contains(name) {
            diags.push(Diagnostic {
                severity: Severity::Error,
                place: knot_place(name),
                message: format!(
                    "dead end: no path from knot `{name}` reaches `-> END` or `-> DONE`; the screening would stop or loop forever here"
                ),
            });
        }
    }
    if !finish.contains(START) && reached.len() > 1 {
        diags.push(Diagnostic {
            severity: Severity::Error,
            place: Place::File { file: file.clone() },
            message: "dead end: the story's opening can never reach `-> END`".to_owned(),
        });
    }

    // 3. Extension points: marked on a knot's first line, reached, naming who and where.
    for (knot, message) in crate::extend::check_marks(&graph, &main) {
        diags.push(Diagnostic {
            severity: Severity::Error,
            place: knot_place(&knot),
            message,
        });
    }
    // An episode plays when the story enters its point at a line: a knot that opens with a
    // choice would offer it again after the episode.
    for point in crate::extend::extension_points(&graph) {
        let Some((file, line)) = locate_knot(story, &point.knot) else {
            continue;
        };
        let first = story.sources[&file]
            .lines()
            .skip(line)
            .map(|l| l.split("//").next().unwrap_or("").trim())
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        if first.is_some_and(|l| l.starts_with(['*', '+'])) {
            diags.push(Diagnostic {
                severity: Severity::Error,
                place: knot_place(&point.knot),
                message: format!(
                    "extension point `{}` opens with a choice: an episode plays just before the knot's first line, so start it with a line of story",
                    point.knot
                ),
            });
        }
    }

    diags.sort_by_key(|d| d.severity);
    report.diagnostics = diags;
    let depths = graph.depths();
    report.summary = Summary {
        knots: graph
            .knots
            .keys()
            .filter(|k| *k != START && !graph.functions.contains(*k))
            .count(),
        choices: graph.knots.values().map(|k| k.choices).sum(),
        endings: endings.into_iter().collect(),
        max_depth: depths.values().copied().max().unwrap_or(0),
        interludes: divertable,
        extension_points: crate::extend::extension_points(&graph)
            .into_iter()
            .map(|p| p.knot)
            .collect(),
    };
    let title = Path::new(&file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    report.dot = graph.to_dot(&title, &interludes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_text(name: &str, text: &str) -> Report {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let mut r = check(&p);
        // Make paths stable for assertions.
        let shown = p.display().to_string();
        for d in &mut r.diagnostics {
            let s = serde_json::to_string(&d.place)
                .unwrap()
                .replace(&shown, name);
            d.place = match serde_json::from_str::<serde_json::Value>(&s).unwrap() {
                v if v["kind"] == "line" => Place::Line {
                    file: v["file"].as_str().unwrap().into(),
                    line: v["line"].as_u64().unwrap() as usize,
                },
                v if v["kind"] == "knot" => Place::Knot {
                    file: v["file"].as_str().unwrap().into(),
                    knot: v["knot"].as_str().unwrap().into(),
                },
                v => Place::File {
                    file: v["file"].as_str().unwrap().into(),
                },
            };
        }
        r
    }

    #[test]
    fn clean_story_has_no_findings() {
        let r = check_text(
            "ok.ink",
            "# cast: keeper=mara\nHello. # scene: shore\n* [Go # stakes: high] -> a\n* [Stay] -> b\n=== a ===\nA. # ending: brave\n-> END\n=== b ===\nB. # ending: safe\n-> END\n=== wave ===\n# stakes: high\nWave.\n-> DONE\n",
        );
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        assert_eq!(r.summary.knots, 3);
        assert_eq!(r.summary.choices, 2);
        assert_eq!(r.summary.endings, vec!["brave", "safe"]);
        assert_eq!(r.summary.interludes, vec!["wave"]);
        assert_eq!(r.summary.max_depth, 1);
    }

    #[test]
    fn bad_tags_are_reported_at_their_line() {
        let r = check_text(
            "tags.ink",
            "Hello. # scene: shore\nAgain. # stake: high\nThen. # intensity: 2\nAnd. # scene: shore # palette: pink\n-> END\n",
        );
        let msgs: Vec<String> = r.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(r.errors(), 3, "{msgs:?}");
        assert!(
            msgs[0].starts_with(
                "tags.ink:2: error: unknown directive `stake`, did you mean `stakes`?"
            ),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("tags.ink:3: error: `intensity: 2`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("tags.ink:4: error: `palette: pink`")),
            "{msgs:?}"
        );
    }

    #[test]
    fn dead_ends_unreachable_knots_and_bad_interludes() {
        let r = check_text(
            "graph.ink",
            "-> a\n=== a ===\n* [x] -> loop\n* [y] -> END\n=== loop ===\nAgain.\n-> loop\n=== orphan ===\nNobody.\n-> END\n=== wave(n) ===\n# stakes: high\nWave.\n-> DONE\n=== surge ===\n# stakes: high\nSurge.\n-> a\n",
        );
        let msgs: Vec<String> = r.diagnostics.iter().map(|d| d.to_string()).collect();
        // Each at its knot's header line, in the compile errors' format.
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("graph.ink:5: error: dead end") && m.contains("`loop`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("graph.ink:8: warning: no path reaches knot `orphan`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| {
                m.starts_with("graph.ink:11: error:") && m.contains(
                "`wave` is an interlude the director could never divert to: it takes 1 parameter"
            )
            }),
            "{msgs:?}"
        );
        assert!(msgs.iter().any(|m| m.starts_with("graph.ink:15: error:") && m.contains("`surge` is an interlude the director could never divert to: it diverts into the main story's knot `a`")), "{msgs:?}");
        assert!(r.summary.interludes.is_empty());
    }

    #[test]
    fn knot_headers_are_found_in_their_file_however_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("part.ink"),
            "// the second act\n== function twice(x) ==\n~ return x * 2\n=== act_two\n= landing\nLanded.\n-> DONE\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("main.ink"),
            "INCLUDE part.ink\n-> act_two\n=== landing ===\nNot this one.\n-> END\n",
        )
        .unwrap();
        let story = crate::load(&dir.path().join("main.ink")).unwrap();
        let part = dir.path().join("part.ink").display().to_string();
        let main = dir.path().join("main.ink").display().to_string();
        assert_eq!(locate_knot(&story, "act_two"), Some((part.clone(), 4)));
        assert_eq!(
            locate_knot(&story, "act_two.landing"),
            Some((part.clone(), 5))
        );
        assert_eq!(locate_knot(&story, "twice"), Some((part, 2)));
        assert_eq!(locate_knot(&story, "landing"), Some((main, 3)));
        assert_eq!(locate_knot(&story, "nowhere"), None);
    }

    #[test]
    fn a_story_defines_its_own_palettes_and_check_names_them() {
        let ok = check_text(
            "own.ink",
            "# palette_def: amber = warm 0.6, saturation 0.9, exposure 0.2\nThe lamp. # palette: amber\nDark. # palette: noir\n-> END\n",
        );
        assert_eq!(ok.errors(), 0, "{:?}", ok.diagnostics);
        let r = check_text(
            "own.ink",
            "# palette_def: amber = warm 0.6, glow 2\nThe lamp. # palette: amberr\n-> END\n",
        );
        let msgs: Vec<String> = r.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(
            msgs.iter().any(|m| m.starts_with("own.ink:1:")
                && m.contains("unknown field")
                && m.contains("warm -1..=1")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("own.ink:2:")
                    && m.contains("built-in palette (neutral, dawn")),
            "{msgs:?}"
        );
        let r = check_text(
            "own.ink",
            "# palette_def: amber = warm 0.6\nThe lamp. # palette: amberr\n-> END\n",
        );
        let msgs: Vec<String> = r.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("or one of this story's (amber)")),
            "{msgs:?}"
        );
        let r = check_text("own.ink", "# palette_def: noir = warm 0.6\n-> END\n");
        assert!(
            r.diagnostics[0]
                .to_string()
                .contains("`noir` is a built-in palette"),
            "{:?}",
            r.diagnostics
        );
    }

    #[test]
    fn compile_errors_never_panic() {
        let r = check_text("broken.ink", "Hello\n=== a ===\n* [unclosed\n-> nowhere\n");
        assert_eq!(r.errors(), 1);
        assert!(
            r.diagnostics[0].to_string().starts_with("broken.ink:"),
            "{}",
            r.diagnostics[0]
        );
        let r = check_text("empty.json", "{}");
        assert_eq!(r.errors(), 1);
    }
}
