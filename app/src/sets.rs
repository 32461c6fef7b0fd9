//! The film's sets as the app finds them: the story's own `sets/` folder (beside the story
//! file), then `assets/sets`, then the sets the project builds (`showrunner_assets::sets`).
//! A screening that draws nothing loads them without their textures; a front end that
//! draws hands their models to the renderer.

use std::path::{Path, PathBuf};

use showrunner_assets::sets::{load_sets, SetAssets};
use showrunner_render::Renderer;
use showrunner_scene::sets::SetLibrary;

/// Where authors' sets are looked for, in order.
pub fn dirs(story: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(parent) = Path::new(story).parent() {
        dirs.push(parent.join("sets"));
    }
    dirs.push(PathBuf::from(crate::SETS));
    dirs.dedup();
    dirs
}

fn say(warnings: &[String]) {
    for w in warnings {
        eprintln!("showrunner: warning: {w}");
    }
}

/// `--set SCENE=OTHER`: stage a scene in another set.
pub fn parse_move(s: &str) -> Result<(String, String), String> {
    let bad = || format!("`{s}`: expected SCENE=OTHER_SET, e.g. kitchen=radio_room");
    let (scene, other) = s.split_once('=').ok_or_else(bad)?;
    let (scene, other) = (scene.trim(), other.trim());
    if scene.is_empty() || other.is_empty() {
        return Err(bad());
    }
    Ok((scene.to_owned(), other.to_owned()))
}

/// Applies `--set` moves; an unknown set is an error naming the sets there are.
fn apply_moves(library: &mut SetLibrary, moves: &[(String, String)]) -> anyhow::Result<()> {
    for (scene, other) in moves {
        library
            .move_scene(scene, other)
            .map_err(|e| anyhow::anyhow!("--set {scene}={other}: {e}"))?;
    }
    Ok(())
}

/// The sets' marks, dressing, lights and colliders, for a show that draws nothing (no
/// textures are made or read), with `moves` (`--set`) applied. Problems are said once, on
/// stderr.
pub fn library(story: &str, moves: &[(String, String)]) -> anyhow::Result<SetLibrary> {
    let SetAssets {
        mut library,
        warnings,
        ..
    } = load_sets(&dirs(story), false);
    say(&warnings);
    apply_moves(&mut library, moves)?;
    Ok(library)
}

/// The sets with their textures, their models uploaded to `renderer`. Returns the library
/// and the problems, for the caller to say.
pub fn for_renderer(
    renderer: &mut Renderer,
    story: &str,
    moves: &[(String, String)],
) -> anyhow::Result<(SetLibrary, Vec<String>)> {
    let SetAssets {
        mut library,
        models,
        warnings,
    } = load_sets(&dirs(story), true);
    for m in &models {
        renderer.add_model(m);
    }
    apply_moves(&mut library, moves)?;
    Ok((library, warnings))
}

/// `check`'s look at the sets a story names: a `scene:` with no set of its own (it would play
/// in the placeholder room or a variant's set) and a `view:` no set names (the viewer would
/// stay where they are), each a warning at its line. Which scene a `view:` plays in depends on
/// the path through the story, so a view is checked against every set.
pub fn diagnostics(path: &Path) -> Vec<showrunner_story::Diagnostic> {
    use showrunner_core::Directive;
    use showrunner_scene::sets::Resolved;
    use showrunner_story::{Diagnostic, Place, Severity};
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let story = path.display().to_string();
    let SetAssets { library, .. } = load_sets(&dirs(&story), false);
    let mut out = Vec::new();
    for (line, d) in showrunner_story::source_directives(&text) {
        let message = match d {
            Directive::Scene(scene) => match library.resolve(&scene) {
                (_, Resolved::Exact) => continue,
                (set, Resolved::Variant) => format!(
                    "scene `{scene}`: no set of its own; it plays in `{}` (add sets/{scene}.glb beside the story for one)",
                    set.name
                ),
                (_, Resolved::Placeholder) => format!(
                    "scene `{scene}`: no set of that name; it would play in a placeholder room (add sets/{scene}.glb beside the story)"
                ),
            },
            Directive::View(view) if !library.has_view(&view) => format!(
                "view `{view}`: no set names it (a `view:{view}` node); the viewer would stay where they are"
            ),
            _ => continue,
        };
        out.push(Diagnostic {
            severity: Severity::Warning,
            place: Place::Line {
                file: story.clone(),
                line,
            },
            message,
        });
    }
    out
}
