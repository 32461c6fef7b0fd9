//! The film's sets as the app finds them: the story's own `sets/` folder (beside the story
//! file), then `assets/sets`, then the sets the project builds (`showrunner_assets::sets`).
//! A screening that draws nothing loads them without their textures; a front end that
//! draws hands their models to the renderer. The actors the story casts are found the same
//! way: `models/ACTOR.glb` beside the story, then `assets/models`, then the project's
//! figures (`showrunner_assets::actors`).

use std::path::{Path, PathBuf};

use showrunner_assets::actors::{load_cast, CastAssets};
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

/// Where actors' models are looked for, in order: the story's `models/` folder, then
/// `assets/models`.
pub fn actor_dirs(story: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(parent) = Path::new(story).parent() {
        dirs.push(parent.join("models"));
    }
    dirs.push(PathBuf::from(crate::MODELS));
    dirs.dedup();
    dirs
}

/// The story's casting (`cast: ROLE=ACTOR`, the viewer left out), in order, as
/// (role, actor).
fn story_cast(story: &str) -> Vec<(String, String)> {
    use showrunner_core::Directive;
    let Ok(text) = showrunner_package::read_to_string(Path::new(story)) else {
        return Vec::new();
    };
    let mut cast: Vec<(String, String)> = Vec::new();
    for (_, d) in showrunner_story::source_directives(&text) {
        if let Directive::Cast { role, actor } = d {
            if actor != "viewer" && !cast.iter().any(|(_, a)| *a == actor) {
                cast.push((role, actor));
            }
        }
    }
    cast
}

/// `--cast` by role or actor, as actor → file; a name the story does not cast is an error
/// naming the roles it does.
fn recast(
    cast: &[(String, String)],
    wanted: &[(String, PathBuf)],
) -> anyhow::Result<Vec<(String, PathBuf)>> {
    wanted
        .iter()
        .map(|(who, file)| {
            let actor = cast
                .iter()
                .find(|(role, actor)| role == who || actor == who)
                .map(|(_, a)| a.clone());
            match actor {
                Some(a) => Ok((a, file.clone())),
                None => {
                    let roles: Vec<String> =
                        cast.iter().map(|(r, a)| format!("{r} ({a})")).collect();
                    anyhow::bail!(
                        "--cast {who}={}: the story casts no role or actor `{who}`; its roles are {}",
                        file.display(),
                        roles.join(", ")
                    )
                }
            }
        })
        .collect()
}

/// Casts the story's actors into `library` (their models from the story's or the project's
/// folders, else the project's figures); returns the models to draw and the problems.
fn cast(
    library: &mut SetLibrary,
    story: &str,
    staging: &Staging,
    textured: bool,
) -> anyhow::Result<(Vec<showrunner_assets::Model>, Vec<String>)> {
    let cast = story_cast(story);
    let mut actors: Vec<String> = cast.iter().map(|(_, a)| a.clone()).collect();
    let mut files = recast(&cast, &staging.cast)?;
    let flag = if let Some(avatar) = &staging.avatar {
        if actors.iter().any(|a| a == AVATAR) {
            anyhow::bail!(
                "--avatar {}: the story has an actor called `{AVATAR}` already; cast your model in their role with --cast {AVATAR}={}",
                avatar.display(),
                avatar.display()
            );
        }
        actors.push(AVATAR.to_owned());
        files.push((AVATAR.to_owned(), avatar.clone()));
        "--cast or --avatar"
    } else {
        "--cast"
    };
    let CastAssets {
        performers,
        models,
        warnings,
    } = load_cast(&actors, &actor_dirs(story), &files, textured)
        .map_err(|e| anyhow::anyhow!("{flag}: {e}"))?;
    for (actor, p) in performers {
        library.cast(&actor, p);
    }
    Ok((models, warnings))
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

/// `--cast ROLE=MODEL`: a model (`.glb`, `.gltf` or `.vrm`) plays a role (or an actor).
pub fn parse_cast(s: &str) -> Result<(String, PathBuf), String> {
    let bad = || format!("`{s}`: expected ROLE=MODEL.glb, e.g. keeper=me.vrm");
    let (role, file) = s.split_once('=').ok_or_else(bad)?;
    let (role, file) = (role.trim(), file.trim());
    if role.is_empty() || file.is_empty() {
        return Err(bad());
    }
    Ok((role.to_owned(), PathBuf::from(file)))
}

/// What the viewer changed about how the film is staged: scenes moved to other sets
/// (`--set`), roles recast (`--cast`), and their own avatar offered for any role (`--avatar`).
#[derive(Debug, Clone, Default)]
pub struct Staging {
    /// `--set SCENE=OTHER`.
    pub sets: Vec<(String, String)>,
    /// `--cast ROLE=MODEL` (a role, or an actor's name).
    pub cast: Vec<(String, PathBuf)>,
    /// `--avatar MODEL`: the viewer's own, offered by the menu for any role (performer `you`).
    pub avatar: Option<PathBuf>,
}

/// The performer name the viewer's own avatar goes by.
pub const AVATAR: &str = "you";

/// Applies `--set` moves; an unknown set is an error naming the sets there are.
fn apply_moves(library: &mut SetLibrary, moves: &[(String, String)]) -> anyhow::Result<()> {
    for (scene, other) in moves {
        library
            .move_scene(scene, other)
            .map_err(|e| anyhow::anyhow!("--set {scene}={other}: {e}"))?;
    }
    Ok(())
}

/// The sets' marks, dressing, lights and colliders and who plays whom, for a show that
/// draws nothing (no textures are made or read), with `--set` and `--cast` applied. Problems are said once, on
/// stderr.
pub fn library(story: &str, staging: &Staging) -> anyhow::Result<SetLibrary> {
    let SetAssets {
        mut library,
        warnings,
        ..
    } = load_sets(&dirs(story), false);
    say(&warnings);
    let (_, warnings) = cast(&mut library, story, staging, false)?;
    say(&warnings);
    apply_moves(&mut library, &staging.sets)?;
    Ok(library)
}

/// The sets with their textures, their models uploaded to `renderer`. Returns the library
/// and the problems, for the caller to say.
pub fn for_renderer(
    renderer: &mut Renderer,
    story: &str,
    staging: &Staging,
) -> anyhow::Result<(SetLibrary, Vec<String>)> {
    let SetAssets {
        mut library,
        models,
        mut warnings,
    } = load_sets(&dirs(story), true);
    for m in &models {
        renderer.add_model(m);
    }
    let (actors, cast_warnings) = cast(&mut library, story, staging, true)?;
    for m in &actors {
        renderer.add_model(m);
    }
    warnings.extend(cast_warnings);
    apply_moves(&mut library, &staging.sets)?;
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
    let Ok(text) = showrunner_package::read_to_string(path) else {
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
