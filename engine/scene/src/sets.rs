//! Sets: what a `scene:` directive builds around the viewer. The built-in
//! library stages the sample story; a creator's sets (glTF) plug in by name.

use glam::{Vec3, Vec4};

use crate::components::{Light, Material, Transform};

/// A static piece of set dressing (walls, floor, furniture, the sky): a mesh placed in the
/// set, and the box that stops falling things, where it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Dressing {
    /// Mesh name (the renderer's: a set's meshes are `SET/NAME`).
    pub mesh: String,
    /// Where the mesh is drawn.
    pub transform: Transform,
    /// Look (multiplies the mesh's own textures).
    pub material: Material,
    /// A static box collider, `(centre, half extents)` in set space, axis-aligned.
    pub collider: Option<(Vec3, Vec3)>,
}

impl Dressing {
    /// The unit box scaled to `half_extents` at `center`, solid: the stand-in rooms' pieces.
    pub fn solid_box(center: Vec3, half_extents: Vec3, material: Material) -> Self {
        Self {
            mesh: "box".into(),
            transform: Transform {
                translation: center,
                scale: half_extents * 2.0,
                ..Transform::default()
            },
            material,
            collider: Some((center, half_extents)),
        }
    }
}

/// A set.
#[derive(Debug, Clone, PartialEq)]
pub struct SetDesc {
    /// Name (`lamp_room`).
    pub name: String,
    /// Where characters stand, in cast order.
    pub marks: Vec<(String, Vec3)>,
    /// Where characters enter from.
    pub entrance: Vec3,
    /// Static dressing.
    pub dressing: Vec<Dressing>,
    /// Lights (position, light).
    pub lights: Vec<(Vec3, Light)>,
    /// Vantages the viewer can watch from (`view:` directives name them; `seat`, where a
    /// set has one, is where each scene starts; without it, the origin facing −z).
    pub views: Vec<(String, Transform)>,
    /// The set's air: fog, rain, spray and lightning.
    pub atmosphere: crate::atmosphere::Atmosphere,
    /// Where the sea breaks on the rock and throws up spray when it storms (`spray:` nodes).
    pub spray: Vec<Vec3>,
}

/// How a scene name was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The set of that name.
    Exact,
    /// A variant of a set (`lamp_room_dark` → `lamp_room`).
    Variant,
    /// No such set: the placeholder, with a warning.
    Placeholder,
}

/// The sets a screening can use, and who plays whom.
#[derive(Debug, Clone, Default)]
pub struct SetLibrary {
    sets: Vec<SetDesc>,
    performers: std::collections::BTreeMap<String, Performer>,
    /// Scenes the viewer moved to another set: scene → set.
    moves: std::collections::BTreeMap<String, String>,
    /// Actors the viewer recast: actor → the performer who plays them now.
    playing: std::collections::BTreeMap<String, String>,
}

/// The model that plays an actor: what the renderer draws and, for a skinned model, the
/// skeleton and clips the actor acts with.
#[derive(Debug, Clone)]
pub struct Performer {
    /// The model's parts (the renderer's meshes; most models have one).
    pub models: Vec<String>,
    /// The model's own material factors (its textures carry the rest).
    pub material: Material,
    /// The skeleton, for a skinned model; `None` stands, walks rigidly and is lit.
    pub rig: Option<std::sync::Arc<crate::rig::Rig>>,
}

fn mat(r: f32, g: f32, b: f32, roughness: f32) -> Material {
    Material {
        base_color: Vec4::new(r, g, b, 1.0),
        roughness,
        ..Material::default()
    }
}

fn room(name: &str, w: f32, d: f32, h: f32, wall: Material, lamp: Vec3) -> SetDesc {
    let (hw, hd, hh) = (w / 2.0, d / 2.0, h / 2.0);
    let wall_box = |c: Vec3, e: Vec3| Dressing::solid_box(c, e, wall);
    SetDesc {
        name: name.into(),
        // In front of the viewer's seat (the origin), spread across the room.
        marks: vec![
            ("centre".into(), Vec3::new(0.0, 0.0, -(hd - 0.6))),
            (
                "left".into(),
                Vec3::new(-(hw - 0.5).min(1.3), 0.0, -(hd - 0.9)),
            ),
            (
                "right".into(),
                Vec3::new((hw - 0.5).min(1.3), 0.0, -(hd - 0.9)),
            ),
            (
                "back left".into(),
                Vec3::new(-(hw * 0.35), 0.0, -(hd - 0.3)),
            ),
            ("back right".into(), Vec3::new(hw * 0.35, 0.0, -(hd - 0.3))),
            (
                "far left".into(),
                Vec3::new(-(hw - 0.35), 0.0, -(hd - 0.35)),
            ),
        ],
        entrance: Vec3::new(hw - 0.5, 0.0, -hd + 0.5),
        dressing: vec![
            Dressing::solid_box(
                Vec3::new(0.0, -0.05, 0.0),
                Vec3::new(hw, 0.05, hd),
                mat(0.32, 0.24, 0.17, 0.7),
            ),
            wall_box(Vec3::new(0.0, hh, -hd), Vec3::new(hw, hh, 0.05)),
            wall_box(Vec3::new(-hw, hh, 0.0), Vec3::new(0.05, hh, hd)),
            wall_box(Vec3::new(hw, hh, 0.0), Vec3::new(0.05, hh, hd)),
            Dressing::solid_box(
                Vec3::new(0.0, 0.4, -3.6),
                Vec3::new(0.6, 0.4, 0.35),
                mat(0.35, 0.22, 0.12, 0.8),
            ),
        ],
        views: Vec::new(),
        atmosphere: Default::default(),
        spray: Vec::new(),
        lights: vec![
            (
                Vec3::new(0.0, h - 0.3, -2.0),
                Light::Point {
                    color: lamp,
                    range: w.max(d),
                },
            ),
            (
                Vec3::ZERO,
                Light::Directional {
                    direction: Vec3::new(-0.4, -1.0, -0.3).normalize(),
                    color: Vec3::splat(0.6),
                },
            ),
        ],
    }
}

fn outdoors(name: &str, ground: Material, sun: Vec3) -> SetDesc {
    SetDesc {
        name: name.into(),
        marks: vec![
            ("centre".into(), Vec3::new(0.0, 0.0, -3.0)),
            ("left".into(), Vec3::new(-2.0, 0.0, -3.5)),
            ("right".into(), Vec3::new(2.0, 0.0, -3.5)),
            ("far".into(), Vec3::new(0.0, 0.0, -8.0)),
            ("far left".into(), Vec3::new(-3.0, 0.0, -6.0)),
            ("far right".into(), Vec3::new(3.0, 0.0, -6.0)),
        ],
        entrance: Vec3::new(-6.0, 0.0, -6.0),
        dressing: vec![
            Dressing::solid_box(
                Vec3::new(0.0, -0.05, -6.0),
                Vec3::new(20.0, 0.05, 20.0),
                ground,
            ),
            Dressing::solid_box(
                Vec3::new(0.0, 0.3, -5.0),
                Vec3::new(3.0, 0.3, 1.0),
                mat(0.4, 0.38, 0.35, 0.9),
            ),
        ],
        views: Vec::new(),
        atmosphere: Default::default(),
        spray: Vec::new(),
        lights: vec![(
            Vec3::ZERO,
            Light::Directional {
                direction: Vec3::new(0.3, -0.6, -0.7).normalize(),
                color: sun,
            },
        )],
    }
}

impl SetLibrary {
    /// The sets of the bundled sample (a lighthouse on a rock): rooms of the
    /// lighthouse, the slipway, the sea. Built from primitives, no downloads.
    pub fn builtin() -> Self {
        let stone = mat(0.55, 0.53, 0.5, 0.9);
        let plaster = mat(0.75, 0.72, 0.66, 0.8);
        let warm = Vec3::new(4.0, 3.2, 2.2);
        Self {
            performers: Default::default(),
            moves: Default::default(),
            playing: Default::default(),
            sets: vec![
                room("lamp_room", 5.0, 5.0, 3.2, stone, Vec3::new(6.0, 5.5, 4.0)),
                room("gallery", 6.0, 4.0, 3.0, stone, Vec3::new(2.0, 2.0, 2.2)),
                room("kitchen", 4.5, 4.0, 2.6, plaster, warm),
                room("landing", 3.5, 3.5, 2.8, plaster, warm),
                room(
                    "radio_room",
                    3.0,
                    3.0,
                    2.5,
                    plaster,
                    Vec3::new(2.5, 3.0, 3.5),
                ),
                room("blackout", 5.0, 5.0, 3.2, stone, Vec3::new(0.2, 0.2, 0.3)),
                room("stairwell", 3.0, 3.0, 4.0, stone, Vec3::new(1.5, 1.3, 1.0)),
                room(
                    "title_card",
                    8.0,
                    8.0,
                    4.0,
                    mat(0.05, 0.05, 0.06, 1.0),
                    Vec3::splat(0.5),
                ),
                outdoors(
                    "the_gut",
                    mat(0.2, 0.22, 0.24, 0.4),
                    Vec3::new(1.5, 1.6, 1.8),
                ),
                outdoors("slip", mat(0.3, 0.28, 0.25, 0.95), Vec3::new(3.0, 2.8, 2.5)),
                outdoors(
                    "rogue_wave",
                    mat(0.1, 0.15, 0.2, 0.3),
                    Vec3::new(1.0, 1.2, 1.5),
                ),
                outdoors(
                    "distant_flare",
                    mat(0.12, 0.12, 0.15, 0.9),
                    Vec3::new(0.4, 0.4, 0.6),
                ),
            ],
        }
    }

    /// Stages `scene` in the set `other` (the viewer's "change the setting"): its marks,
    /// dressing and lights under the scene's name; `other` = `scene` puts it back in its own.
    /// `Err` names the sets there are when `other` is not one of them.
    pub fn move_scene(&mut self, scene: &str, other: &str) -> Result<(), String> {
        if other == scene {
            self.moves.remove(scene);
            return Ok(());
        }
        if self.sets.iter().any(|s| s.name == other) {
            self.moves.insert(scene.into(), other.into());
            return Ok(());
        }
        Err(format!(
            "no set named `{other}` to stage `{scene}` in; the sets are {}",
            self.set_names().join(", ")
        ))
    }

    /// The set `scene` is staged in: the one the viewer moved it to, else its own name.
    pub fn set_of<'a>(&'a self, scene: &'a str) -> &'a str {
        self.moves.get(scene).map_or(scene, String::as_str)
    }

    /// Every set's name, sorted.
    pub fn set_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.sets.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names
    }

    /// Whether any set names the vantage `view`.
    pub fn has_view(&self, view: &str) -> bool {
        self.sets
            .iter()
            .any(|s| s.views.iter().any(|(n, _)| n == view))
    }

    /// Has `performer` play `actor` (replacing whoever did).
    pub fn cast(&mut self, actor: &str, performer: Performer) {
        self.performers.insert(actor.into(), performer);
    }

    /// Who plays `actor`, when a model was cast (or the viewer recast them); else the
    /// stand-in figure plays them.
    pub fn performer(&self, actor: &str) -> Option<&Performer> {
        self.performers.get(self.played_by(actor))
    }

    /// Whose performer plays `actor`: the one the viewer recast them with, else their own.
    pub fn played_by<'a>(&'a self, actor: &'a str) -> &'a str {
        self.playing.get(actor).map_or(actor, String::as_str)
    }

    /// Every performer's name (the story's actors, and the viewer's own avatar where they
    /// gave one), sorted.
    pub fn performer_names(&self) -> Vec<&str> {
        self.performers.keys().map(String::as_str).collect()
    }

    /// Has the performer of `by` play `actor` from now on (the viewer's "who plays whom");
    /// `by` = `actor` gives them back their own. `Err` names the performers there are.
    pub fn recast(&mut self, actor: &str, by: &str) -> Result<(), String> {
        if by == actor {
            self.playing.remove(actor);
            return Ok(());
        }
        if !self.performers.contains_key(by) {
            return Err(format!(
                "no performer `{by}` to play `{actor}`; the performers are {}",
                self.performer_names().join(", ")
            ));
        }
        self.playing.insert(actor.into(), by.into());
        Ok(())
    }

    /// Adds or replaces a set (a creator's glTF set, once loaded).
    pub fn insert(&mut self, set: SetDesc) {
        self.sets.retain(|s| s.name != set.name);
        self.sets.push(set);
    }

    /// The set for a scene name: exact; else the longest set name the scene
    /// name starts or ends with (`lamp_room_dark`, `dawn_slip`); else a
    /// placeholder room, so the film goes on.
    pub fn resolve(&self, scene: &str) -> (SetDesc, Resolved) {
        if let Some(other) = self.moves.get(scene) {
            if let Some(s) = self.sets.iter().find(|s| s.name == *other) {
                let mut set = s.clone();
                set.name = scene.into();
                return (set, Resolved::Exact);
            }
        }
        if let Some(s) = self.sets.iter().find(|s| s.name == scene) {
            return (s.clone(), Resolved::Exact);
        }
        let variant = self
            .sets
            .iter()
            .filter(|s| {
                scene.starts_with(&format!("{}_", s.name))
                    || scene.ends_with(&format!("_{}", s.name))
            })
            .max_by_key(|s| s.name.len());
        match variant {
            Some(s) => (s.clone(), Resolved::Variant),
            None => {
                let mut p = room(
                    "placeholder",
                    5.0,
                    5.0,
                    3.0,
                    mat(0.5, 0.5, 0.5, 0.9),
                    Vec3::splat(3.0),
                );
                p.name = format!("placeholder for {scene}");
                (p, Resolved::Placeholder)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scene_of_the_sample_has_a_set() {
        let lib = SetLibrary::builtin();
        let sample = include_str!("../../../assets/stories/lighthouse.ink");
        let mut n = 0;
        for line in sample.lines() {
            for tag in line.split('#').skip(1) {
                if let Some(scene) = tag.trim().strip_prefix("scene:") {
                    let scene = scene.trim().trim_end_matches(']').trim();
                    let (_, how) = lib.resolve(scene);
                    assert_ne!(how, Resolved::Placeholder, "no set for scene `{scene}`");
                    n += 1;
                }
            }
        }
        assert!(n >= 20, "{n} scene tags");
        assert_eq!(lib.resolve("lamp_room_dark").1, Resolved::Variant);
        assert_eq!(lib.resolve("lamp_room_dark").0.name, "lamp_room");
        assert_eq!(lib.resolve("dawn_slip").0.name, "slip");
    }

    #[test]
    fn unknown_scenes_get_a_placeholder() {
        let (s, how) = SetLibrary::builtin().resolve("moon_base");
        assert_eq!(how, Resolved::Placeholder);
        assert!(s.name.contains("moon_base"));
        assert!(!s.marks.is_empty());
    }
}
