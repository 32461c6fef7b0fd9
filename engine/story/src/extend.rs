//! Where a story may grow: extension points (`extend:` on a knot's first line) and the rules an
//! episode written for one must keep before it is merged into the story.
//!
//! An extension point is a knot. An episode for it is one knot of its own, appended to the
//! story's source, that plays just before the extension point's knot and diverts back into it
//! on every path, so the story goes on as its author wrote it. The episode may give lines to
//! the characters the author listed (`extend_cast:`), play in the sets listed
//! (`extend_scene:`, else the knot's own) and grade with the palettes listed
//! (`extend_palette:`, else the knot's own). Nothing else: no ink code, no diverts into the
//! authored story other than back to the extension point, no fates, endings or casting.

use crate::graph::{EdgeKind, StoryGraph, START};
use crate::{split_tags, CompiledStory, Severity, StoryError};
use showrunner_core::{speaker, Directive};
use std::collections::BTreeSet;
use std::path::Path;

/// Knots written for extension points are named with this prefix (`ext_KNOT_N`); an author's
/// knot may not use it.
pub const EPISODE_PREFIX: &str = "ext_";

/// One place the story may grow, as its author marked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionPoint {
    /// The knot an episode plays before, then diverts back to.
    pub knot: String,
    /// What the episode is about (`extend: PREMISE`).
    pub premise: String,
    /// Characters who may speak in it (`extend_cast:`).
    pub cast: Vec<String>,
    /// Sets it may play in (`extend_scene:`, else the knot's own `scene:`).
    pub scenes: Vec<String>,
    /// Palettes it may grade with (`extend_palette:`, else the knot's own `palette:`).
    pub palettes: Vec<String>,
}

/// The story's own palette names (its global `palette_def:` tags).
pub(crate) fn own_palettes(graph: &StoryGraph) -> Vec<String> {
    graph
        .knots
        .get(START)
        .map(|k| split_tags(&k.tags))
        .unwrap_or_default()
        .iter()
        .filter_map(|t| match Directive::parse(t) {
            Ok(Some(Directive::PaletteDef(d))) => Some(d.name),
            _ => None,
        })
        .collect()
}

/// The story's extension points, in knot order. Marks that `check` finds wrong are left out.
pub fn extension_points(graph: &StoryGraph) -> Vec<ExtensionPoint> {
    let own = own_palettes(graph);
    let mut out = Vec::new();
    for (knot, info) in graph.knots.iter().filter(|(k, _)| *k != START) {
        let mut point = ExtensionPoint {
            knot: knot.clone(),
            premise: String::new(),
            cast: Vec::new(),
            scenes: Vec::new(),
            palettes: Vec::new(),
        };
        let (mut scene, mut palette) = (None, None);
        for tag in split_tags(&info.knot_tags) {
            match Directive::parse_in(&tag, &own) {
                Ok(Some(Directive::Extend(p))) => point.premise = p,
                Ok(Some(Directive::ExtendCast(c))) => point.cast = c,
                Ok(Some(Directive::ExtendScene(s))) => point.scenes = s,
                Ok(Some(Directive::ExtendPalette(p))) => point.palettes = p,
                Ok(Some(Directive::Scene(s))) => scene = Some(s),
                Ok(Some(Directive::Palette(_))) => {
                    palette = tag.split_once(':').map(|(_, v)| v.trim().to_owned());
                }
                _ => {}
            }
        }
        if point.premise.is_empty() {
            continue;
        }
        if point.scenes.is_empty() {
            point.scenes.extend(scene);
        }
        if point.palettes.is_empty() {
            point.palettes.extend(palette);
        }
        out.push(point);
    }
    out
}

fn key(tag: &str) -> &str {
    tag.split_once(':').map_or(tag, |(k, _)| k).trim()
}

/// What `check` says about a story's extension marks: each problem with the knot it is in.
pub(crate) fn check_marks(graph: &StoryGraph, main: &BTreeSet<String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut characters = BTreeSet::new();
    let mut scenes = BTreeSet::new();
    for info in graph.knots.values() {
        for tag in split_tags(&info.tags) {
            match Directive::parse(&tag) {
                Ok(Some(Directive::Cast { role, actor })) => {
                    characters.insert(role);
                    characters.insert(actor);
                }
                Ok(Some(Directive::Fate { character, .. })) => {
                    characters.insert(character);
                }
                Ok(Some(Directive::Scene(s))) => {
                    scenes.insert(s);
                }
                _ => {}
            }
        }
    }
    for (knot, info) in &graph.knots {
        let is_mark = |t: &String| key(t) == "extend" || key(t).starts_with("extend_");
        let top: Vec<String> = split_tags(&info.knot_tags);
        let marks: Vec<&String> = top.iter().filter(|t| is_mark(t)).collect();
        let all = split_tags(&info.tags);
        if all.iter().filter(|t| is_mark(t)).count() > marks.len() {
            out.push((
                knot.clone(),
                format!("knot `{knot}` has an `extend` tag inside it: extension marks go on a knot's first line, where the episode would play before it"),
            ));
        }
        // An episode is never diverted to from the story; an author's knot is.
        if knot.starts_with(EPISODE_PREFIX) && main.contains(knot) {
            out.push((
                knot.clone(),
                format!("knot `{knot}` starts with `{EPISODE_PREFIX}`, which names episodes written for extension points: rename it"),
            ));
        }
        if marks.is_empty() {
            continue;
        }
        let premise = top.iter().any(|t| key(t) == "extend");
        if knot == START {
            out.push((
                knot.clone(),
                "`extend` tags at the top of the story: an extension point is a knot; put them on the first line of the knot an episode may play before".into(),
            ));
            continue;
        }
        if !premise {
            out.push((
                knot.clone(),
                format!("knot `{knot}` lists what an episode may use (`extend_…`) but has no `extend: PREMISE` saying what it is about"),
            ));
            continue;
        }
        if !main.contains(knot) {
            out.push((
                knot.clone(),
                format!("knot `{knot}` is an extension point the story never reaches (an interlude or an unreached knot): an episode could never play there"),
            ));
        }
        if info.params > 0 || graph.functions.contains(knot) {
            out.push((
                knot.clone(),
                format!("knot `{knot}` takes parameters: an episode diverts back to it with none, so it cannot be an extension point"),
            ));
        }
        for tag in &top {
            match Directive::parse(tag) {
                Ok(Some(Directive::ExtendCast(names))) => {
                    for name in names.iter().filter(|n| !characters.contains(*n)) {
                        out.push((
                            knot.clone(),
                            format!("`extend_cast` names `{name}`, who is in no `cast:` or `fate:` tag of this story"),
                        ));
                    }
                }
                Ok(Some(Directive::ExtendScene(names))) => {
                    for name in names.iter().filter(|n| !scenes.contains(*n)) {
                        out.push((
                            knot.clone(),
                            format!("`extend_scene` names `{name}`, a scene no knot plays in: an episode there would have no set"),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The ink an episode may never contain: it is words and the structure the project wrote,
/// never code. Each is a reason to reject it, with the line.
const FORBIDDEN: [(&str, &str); 12] = [
    ("~", "ink code (`~`)"),
    ("{", "ink logic (`{`)"),
    ("}", "ink logic (`}`)"),
    ("<-", "a thread (`<-`)"),
    ("->->", "a tunnel (`->->`)"),
    ("VAR ", "a variable (`VAR`)"),
    ("CONST ", "a constant (`CONST`)"),
    ("INCLUDE", "an `INCLUDE`"),
    ("EXTERNAL", "an `EXTERNAL` function"),
    ("<>", "glue (`<>`)"),
    ("LIST ", "a list (`LIST`)"),
    ("TODO", "a `TODO` comment"),
];

/// The directive keys an episode may use. Fates, endings, casting and extension marks are the
/// author's.
const EPISODE_KEYS: [&str; 5] = ["scene", "palette", "intensity", "stakes", "shot"];

/// Checks an episode before it is merged: `story` is the authored story, `point` the extension
/// point, `knot` the episode's knot name and `ink` its source. Returns the story with the
/// episode merged, compiled and passing `check`, or every reason it was refused (what the
/// writer is told when it tries again).
pub fn merge_episode(
    story: &CompiledStory,
    point: &ExtensionPoint,
    knot: &str,
    ink: &str,
) -> Result<CompiledStory, Vec<String>> {
    let mut why = Vec::new();
    if !knot.starts_with(EPISODE_PREFIX) {
        why.push(format!(
            "the episode's knot `{knot}` must start with `{EPISODE_PREFIX}`"
        ));
    }
    let header = format!("=== {knot} ===");
    let mut headers = 0;
    for (i, line) in ink.lines().enumerate() {
        let code = line.trim();
        if code.starts_with('=') {
            headers += 1;
            if code != header {
                why.push(format!(
                    "line {}: a second knot `{code}`: an episode is one knot, `{header}`",
                    i + 1
                ));
            }
        }
        for (bad, what) in FORBIDDEN {
            if code.contains(bad) {
                why.push(format!(
                    "line {}: {what} is not allowed in an episode",
                    i + 1
                ));
            }
        }
        if code.starts_with("//") || code.contains("/*") {
            why.push(format!(
                "line {}: comments are not allowed in an episode",
                i + 1
            ));
        }
        for tag in code.split('#').skip(1) {
            let tag = tag.trim();
            if !EPISODE_KEYS.contains(&key(tag)) {
                why.push(format!(
                    "line {}: tag `{tag}`: an episode may only tag {}",
                    i + 1,
                    EPISODE_KEYS.join(", ")
                ));
                continue;
            }
            match Directive::parse(tag) {
                Ok(Some(Directive::Scene(s))) if !point.scenes.contains(&s) => why.push(format!(
                    "line {}: scene `{s}` is not one this extension point allows ({})",
                    i + 1,
                    point.scenes.join(", ")
                )),
                Ok(Some(Directive::Palette(_))) => {
                    let name = tag.split_once(':').map_or("", |(_, v)| v.trim());
                    if !point.palettes.iter().any(|p| p == name) {
                        why.push(format!(
                            "line {}: palette `{name}` is not one this extension point allows ({})",
                            i + 1,
                            if point.palettes.is_empty() {
                                "none".to_owned()
                            } else {
                                point.palettes.join(", ")
                            }
                        ));
                    }
                }
                _ => {}
            }
        }
        let words = code.split('#').next().unwrap_or("");
        let words = words.trim_start_matches(['*', '+', '-', ' ']);
        let words = words
            .split(']')
            .next_back()
            .unwrap_or(words)
            .trim_start_matches('[');
        if let (Some(name), _) = speaker(words.trim()) {
            let known = point.cast.iter().any(|c| c.eq_ignore_ascii_case(name));
            if !known {
                why.push(format!(
                    "line {}: `{name}` speaks, and this extension point lets only {} speak",
                    i + 1,
                    if point.cast.is_empty() {
                        "the narrator".to_owned()
                    } else {
                        point.cast.join(", ")
                    }
                ));
            }
        }
    }
    if headers == 0 {
        why.push(format!("the episode has no knot header `{header}`"));
    }
    if !why.is_empty() {
        return Err(why);
    }
    if let Ok(graph) = StoryGraph::from_json(&story.json) {
        if graph.knots.contains_key(knot) {
            return Err(vec![format!(
                "the story already has a knot `{knot}`: one episode per extension point"
            )]);
        }
    }
    let Some(root) = story.sources.get(&story.path) else {
        return Err(vec![format!(
            "{}: the story has no ink source to grow (compiled JSON cannot be extended)",
            story.path
        )]);
    };
    let source = format!("{}\n\n{ink}\n", root.trim_end());
    let dir = Path::new(&story.path).parent().unwrap_or(Path::new(""));
    let merged = match crate::compile_source(&source, &story.path, dir) {
        Ok(m) => m,
        Err(StoryError::Compile { line, message, .. }) => {
            // The episode's first line follows the story's last and one blank line.
            let base = root.trim_end().lines().count() + 1;
            let at = line
                .checked_sub(base)
                .map_or(String::new(), |l| format!("line {l}: "));
            return Err(vec![format!("{at}it does not compile: {message}")]);
        }
        Err(e) => return Err(vec![format!("it does not compile: {e}")]),
    };
    let report = crate::check::check_story(&merged);
    let graph = match StoryGraph::from_json(&merged.json) {
        Ok(g) => g,
        Err(e) => return Err(vec![format!("cannot read the compiled episode: {e}")]),
    };
    for d in report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
    {
        why.push(d.message.clone());
    }
    let Some(info) = graph.knots.get(knot) else {
        why.push(format!("the merged story has no knot `{knot}`"));
        return Err(why);
    };
    if info.ends {
        why.push(
            "it ends the story (`-> END` or `-> DONE`): an episode goes back to the story".into(),
        );
    }
    if info.dynamic_divert || info.returns {
        why.push("it diverts to a variable or returns: an episode diverts only back to its extension point".into());
    }
    for (target, kind) in &info.edges {
        if matches!(
            kind,
            EdgeKind::Divert
                | EdgeKind::Choice
                | EdgeKind::Tunnel
                | EdgeKind::Call
                | EdgeKind::Reference
        ) && target != &point.knot
            && target != knot
        {
            why.push(format!(
                "it diverts to `{target}`: an episode may only go back to `{}`",
                point.knot
            ));
        }
    }
    if !info.edges.iter().any(|(t, _)| t == &point.knot) {
        why.push(format!("it never goes back to `{}`", point.knot));
    }
    let top = split_tags(&info.knot_tags);
    for wanted in ["stakes", "intensity"] {
        if !top.iter().any(|t| key(t) == wanted) {
            why.push(format!(
                "its first line has no `{wanted}:` tag, which the director needs"
            ));
        }
    }
    if why.is_empty() {
        Ok(merged)
    } else {
        Err(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "# cast: keeper=mara\n# palette_def: brine = warm 0.4, saturation 0.9\nHello. # scene: shore\n-> gallery\n=== gallery ===\nThe gallery. # scene: gallery # palette: storm # extend: the lamp fails # extend_cast: mara # extend_palette: storm, brine\nMARA: Hold the rail.\n-> END\n";

    fn compiled(text: &str) -> CompiledStory {
        crate::compile_source(text, "s.ink", Path::new("")).unwrap()
    }

    fn errors(text: &str) -> Vec<String> {
        crate::check::check_story(&compiled(text))
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.to_string())
            .collect()
    }

    fn point() -> ExtensionPoint {
        let story = compiled(STORY);
        let graph = StoryGraph::from_json(&story.json).unwrap();
        let points = extension_points(&graph);
        assert_eq!(points.len(), 1);
        points[0].clone()
    }

    #[test]
    fn a_marked_knot_is_an_extension_point_with_what_it_allows() {
        assert!(errors(STORY).is_empty(), "{:?}", errors(STORY));
        let p = point();
        assert_eq!(p.knot, "gallery");
        assert_eq!(p.premise, "the lamp fails");
        assert_eq!(p.cast, ["mara"]);
        // No `extend_scene:`: the knot's own scene.
        assert_eq!(p.scenes, ["gallery"]);
        assert_eq!(p.palettes, ["storm", "brine"]);
        let r = crate::check::check_story(&compiled(STORY));
        assert_eq!(r.summary.extension_points, ["gallery"]);
    }

    #[test]
    fn check_names_each_wrong_mark() {
        let cases = [
            // Inside the knot, not on its first line.
            (
                "Hello.\n-> a\n=== a ===\nA.\nB. # extend: x\n-> END\n",
                "extension marks go on a knot's first line",
            ),
            // What it may use, but no premise.
            (
                "Hello.\n-> a\n=== a ===\nA. # extend_scene: a\n-> END\n",
                "has no `extend: PREMISE`",
            ),
            // At the top of the story.
            (
                "# extend: x\nHello.\n-> END\n",
                "an extension point is a knot",
            ),
            // Someone no tag casts.
            (
                "Hello.\n-> a\n=== a ===\nA. # extend: x # extend_cast: nobody\n-> END\n",
                "`extend_cast` names `nobody`",
            ),
            // A set no knot plays in.
            (
                "Hello. # scene: s\n-> a\n=== a ===\nA. # extend: x # extend_scene: moon\n-> END\n",
                "`extend_scene` names `moon`",
            ),
            // On an interlude, which the main story never reaches.
            (
                "Hello.\n-> END\n=== wave ===\nW. # stakes: high # extend: x\n-> DONE\n",
                "never reaches",
            ),
            // Opening with a choice, which would be offered again after the episode.
            (
                "Hello.\n-> a\n=== a ===\n# extend: x\n* [Go] -> b\n=== b ===\nB.\n-> END\n",
                "start it with a line of story",
            ),
            // An author's knot named like an episode.
            (
                "Hello.\n-> ext_a\n=== ext_a ===\nA.\n-> END\n",
                "names episodes",
            ),
        ];
        for (text, says) in cases {
            let e = errors(text);
            assert!(e.iter().any(|m| m.contains(says)), "{text:?}: {e:?}");
        }
    }

    const GOOD: &str = "=== ext_gallery_1 ===\nThe rail is wet. # scene: gallery # palette: brine # stakes: high # intensity: 0.7 # shot: 6\nMARA: Hold on.\n* [Hold the rail]\n    You hold it.\n    -> gallery\n* [Let go]\n    You let go.\n    -> gallery\n";

    #[test]
    fn a_good_episode_merges_and_the_story_still_checks() {
        let story = compiled(STORY);
        let merged = merge_episode(&story, &point(), "ext_gallery_1", GOOD).unwrap();
        let graph = StoryGraph::from_json(&merged.json).unwrap();
        assert!(graph.knots.contains_key("ext_gallery_1"));
        // The authored story is unchanged: its extension point is still there, once.
        assert_eq!(extension_points(&graph), vec![point()]);
        let r = crate::check::check_story(&merged);
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        // One episode per extension point: a second for the same one is refused.
        let why = merge_episode(&merged, &point(), "ext_gallery_1", GOOD).unwrap_err();
        assert!(why[0].contains("already has a knot"), "{why:?}");
    }

    #[test]
    fn hostile_episodes_are_refused_with_their_reasons() {
        let story = compiled(STORY);
        let ok_top = "=== ext_gallery_1 ===\nA. # stakes: high # intensity: 0.5\n";
        let cases = [
            (format!("{ok_top}-> END\n"), "ends the story"),
            (format!("{ok_top}~ temp x = 1\n-> gallery\n"), "ink code"),
            (format!("{ok_top}{{mercy: A|B}}\n-> gallery\n"), "ink logic"),
            (format!("{ok_top}-> gallery\n=== other ===\nB.\n-> gallery\n"), "a second knot"),
            ("=== ext_gallery_1 ===\nA. # stakes: high # intensity: 0.5 # fate: mara=dead\n-> gallery\n".to_owned(), "may only tag"),
            ("=== ext_gallery_1 ===\nA. # scene: moon # stakes: high # intensity: 0.5\n-> gallery\n".to_owned(), "scene `moon`"),
            ("=== ext_gallery_1 ===\nA. # palette: dusk # stakes: high # intensity: 0.5\n-> gallery\n".to_owned(), "palette `dusk`"),
            (format!("{ok_top}TOMAS: Ahoy.\n-> gallery\n"), "`TOMAS` speaks"),
            ("=== ext_gallery_1 ===\nA.\n-> gallery\n".to_owned(), "no `stakes:` tag"),
            (format!("{ok_top}A.\n"), "never goes back"),
            (format!("{ok_top}-> nowhere\n"), "does not compile"),
            (format!("{ok_top}INCLUDE other.ink\n-> gallery\n"), "INCLUDE"),
            (format!("{ok_top}* Jump\n- Gather\n= stitch\n-> gallery\n"), "a second knot"),
            ("=== gallery_2 ===\nA. # stakes: high # intensity: 0.5\n-> gallery\n".to_owned(), "must start with"),
        ];
        for (ink, says) in &cases {
            let knot = if ink.starts_with("=== gallery_2") {
                "gallery_2"
            } else {
                "ext_gallery_1"
            };
            let why = merge_episode(&story, &point(), knot, ink).unwrap_err();
            assert!(why.iter().any(|w| w.contains(says)), "{ink:?}: {why:?}");
        }
    }

    #[test]
    fn an_episode_may_not_divert_into_the_authored_story() {
        let text = STORY.replace("-> END\n", "-> ending\n=== ending ===\nThe end.\n-> END\n");
        let story = compiled(&text);
        let graph = StoryGraph::from_json(&story.json).unwrap();
        let p = extension_points(&graph).remove(0);
        let ink = "=== ext_gallery_1 ===\nA. # stakes: high # intensity: 0.5\n* [Skip ahead] -> ending\n* [Back] -> gallery\n";
        let why = merge_episode(&story, &p, "ext_gallery_1", ink).unwrap_err();
        assert!(
            why.iter().any(|w| w.contains("diverts to `ending`")),
            "{why:?}"
        );
    }
}
