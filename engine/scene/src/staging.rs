//! The staging system: story directives become entities and changes.

use std::collections::BTreeMap;

use glam::{Vec3, Vec4};
use hecs::{Entity, World};
use rapier3d::prelude::ColliderHandle;
use showrunner_core::{Directive, Fate, Palette, Stakes};

use crate::components::{
    Character, Mark, Material, Mesh, Parts, Pose, Prop, SetPiece, Stance, Transform,
};
use crate::physics::{remove_prop, spawn_prop, PhysicsContext};
use crate::rig::Skin;
use crate::sets::{Resolved, SetLibrary};

/// What the author's directives have set so far: read by the renderer
/// (palette, intensity) and the front end (shot length).
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// The last `scene:`.
    pub scene: Option<String>,
    /// The set staging it.
    pub set: Option<String>,
    /// The author's palette (the director grades from it).
    pub palette: Palette,
    /// The author's intensity, 0..=1.
    pub intensity: f32,
    /// The intensity the director asks the scene to play at (its `Tick.intensity`, which
    /// starts from the author's and is capped while it de-escalates): gestures and debris
    /// follow it. `None` (an offline render with no director) plays the author's.
    pub played: Option<f32>,
    /// The last `shot:` length, seconds.
    pub shot_s: Option<f32>,
    /// The last `stakes:`.
    pub stakes: Stakes,
    /// The ending reached.
    pub ending: Option<String>,
    /// Fates decided so far (the dead stay out of the frame).
    pub fates: BTreeMap<String, Fate>,
    /// Characters in casting order (mark assignment follows it).
    pub cast: Vec<String>,
    /// Problems staged around (a scene with no set), for the log.
    pub warnings: Vec<String>,
    /// Who speaks the current line (a character id), and whom they address (`None`: the
    /// viewer); see [`crate::Scene::speak`].
    pub speaker: Option<(String, Option<String>)>,
    /// The last `view:` in this scene (`None`: the set's seat).
    pub view: Option<String>,
    /// Where the viewer is to watch from ([`crate::vantage::Vantage`] gets there through a
    /// fade): the set's vantage the `view:` names, else its seat.
    pub vantage: Transform,
    views: Vec<(String, Transform)>,
    marks: Vec<Vec3>,
    entrance: Vec3,
    set_colliders: Vec<ColliderHandle>,
    debris: u32,
}

impl Default for Stage {
    fn default() -> Self {
        Self {
            scene: None,
            set: None,
            palette: Palette::Neutral,
            intensity: 0.3,
            played: None,
            shot_s: None,
            stakes: Stakes::Low,
            ending: None,
            fates: BTreeMap::new(),
            cast: Vec::new(),
            warnings: Vec::new(),
            speaker: None,
            view: None,
            vantage: Transform::default(),
            views: Vec::new(),
            marks: vec![Vec3::new(0.0, 0.0, -2.5)],
            entrance: Vec3::new(2.0, 0.0, -4.0),
            set_colliders: Vec::new(),
            debris: 0,
        }
    }
}

fn character_color(id: &str) -> Vec4 {
    // A stable, distinct costume colour per character.
    let h = id.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    let c = |k: u32| 0.25 + 0.6 * (((h >> k) & 0xff) as f32 / 255.0);
    Vec4::new(c(0), c(8), c(16), 1.0)
}

fn find_character(world: &World, id: &str) -> Option<Entity> {
    world
        .query::<(Entity, &Character)>()
        .iter()
        .find(|(_, c)| c.id == id)
        .map(|(e, _)| e)
}

fn spawn_character(
    world: &mut World,
    stage: &Stage,
    library: &SetLibrary,
    id: &str,
    role: &str,
) -> Entity {
    let e = world.spawn((
        Transform::at(stage.entrance),
        Character {
            id: id.into(),
            role: role.into(),
            fate: Fate::Alive,
            target: stage.entrance,
            walk_speed: 1.1,
        },
        Pose::default(),
    ));
    dress(world, e, library, id);
    e
}

/// Dresses character `e` (actor `id`) as whoever plays them now: the model cast for them (its
/// parts and, for a skinned model, a skeleton to act with); else the stand-in figure in a
/// colour of their own.
fn dress(world: &mut World, e: Entity, library: &SetLibrary, id: &str) {
    let performer = library.performer(id);
    let (mesh, material) = match performer.filter(|p| !p.models.is_empty()) {
        Some(p) => (p.models[0].clone(), p.material),
        None => (
            "character".to_owned(),
            Material {
                base_color: character_color(id),
                roughness: 0.7,
                ..Material::default()
            },
        ),
    };
    let _ = world.insert(e, (Mesh(mesh), material));
    let _ = world.remove_one::<Skin>(e);
    let _ = world.remove_one::<Parts>(e);
    if let Some(rig) = performer.and_then(|p| p.rig.clone()) {
        let _ = world.insert_one(e, Skin::new(rig));
    }
    if let Some(more) = performer.map(|p| &p.models).filter(|m| m.len() > 1) {
        let _ = world.insert_one(e, Parts(more[1..].to_vec()));
    }
}

/// The viewer recast `actor`: whoever is on stage as them is dressed as their new performer
/// at once, where they stand, in the pose they are in.
pub fn redress(world: &mut World, library: &SetLibrary, actor: &str) {
    if let Some(e) = find_character(world, actor) {
        dress(world, e, library, actor);
    }
}

/// The viewer moved the scene on stage to another set: the set is struck and the new one
/// built, the viewer seated in it and the cast standing on its marks (no walk on: the menu
/// holds the film while this happens).
pub fn restage(
    world: &mut World,
    stage: &mut Stage,
    physics: &mut PhysicsContext,
    library: &SetLibrary,
) {
    let Some(scene) = stage.scene.clone() else {
        return;
    };
    build_set(world, stage, physics, library, &scene);
    for (t, c) in world.query_mut::<(&mut Transform, &Character)>() {
        t.translation = c.target;
    }
}

fn assign_marks(world: &mut World, stage: &Stage) {
    for (c, pose) in world.query_mut::<(&mut Character, &mut Pose)>() {
        if pose.stance != Stance::Standing {
            continue; // kneeling by the fallen, or fallen
        }
        let i = stage.cast.iter().position(|x| *x == c.id).unwrap_or(0);
        c.target = stage.marks[i % stage.marks.len()];
    }
}

fn build_set(
    world: &mut World,
    stage: &mut Stage,
    physics: &mut PhysicsContext,
    library: &SetLibrary,
    scene: &str,
) {
    // Strike the old set: its entities, props' bodies and static colliders.
    let old: Vec<Entity> = world
        .query::<(Entity, &SetPiece)>()
        .iter()
        .map(|(e, _)| e)
        .collect();
    // The fallen are left behind with the set they fell in.
    let fallen: Vec<Entity> = world
        .query::<(Entity, &Pose)>()
        .iter()
        .filter(|(_, p)| p.stance == Stance::Fallen)
        .map(|(e, _)| e)
        .collect();
    for e in old.into_iter().chain(fallen) {
        if let Ok(p) = world.get::<&Prop>(e).map(|p| *p) {
            remove_prop(physics, &p);
        }
        let _ = world.despawn(e);
    }
    // Those who knelt get up for the new scene.
    for (_, pose) in world.query_mut::<(&Character, &mut Pose)>() {
        if pose.stance == Stance::Kneeling {
            pose.stance = Stance::Standing;
            pose.attend = None;
        }
    }
    for h in stage.set_colliders.drain(..) {
        physics.world.remove_collider(h);
    }
    let (set, how) = library.resolve(scene);
    if how == Resolved::Placeholder {
        stage.warnings.push(format!(
            "scene `{scene}`: no set of that name; staged in a placeholder room"
        ));
    }
    for d in &set.dressing {
        if !d.mesh.is_empty() {
            world.spawn((d.transform, Mesh(d.mesh.clone()), d.material, SetPiece));
        }
        if let Some((center, half)) = d.collider {
            stage
                .set_colliders
                .push(physics.add_static_box(center, half));
        }
    }
    for (pos, light) in &set.lights {
        world.spawn((Transform::at(*pos), *light, SetPiece));
    }
    for (name, pos) in &set.marks {
        world.spawn((Transform::at(*pos), Mark(name.clone()), SetPiece));
    }
    world.spawn((set.atmosphere, SetPiece));
    // Drops start round the set's seat; the rain system keeps them round the viewer.
    let seat_head = seat(&set.views).translation + Vec3::Y * 1.2;
    crate::atmosphere::spawn_rain(world, set.atmosphere.rain, seat_head);
    crate::atmosphere::spawn_spray(world, set.atmosphere.spray, &set.spray);
    stage.marks = set.marks.iter().map(|(_, p)| *p).collect();
    stage.views = set.views.clone();
    stage.view = None;
    stage.vantage = seat(&stage.views);
    stage.entrance = set.entrance;
    stage.set = Some(set.name);
    stage.scene = Some(scene.into());
    assign_marks(world, stage);
}

/// A set's seat: its `seat` view, else the origin facing −z.
fn seat(views: &[(String, Transform)]) -> Transform {
    views
        .iter()
        .find(|(n, _)| n == "seat")
        .map_or_else(Transform::default, |(_, t)| *t)
}

/// Applies one beat's directives to the world, in order.
pub fn staging_system(
    world: &mut World,
    stage: &mut Stage,
    physics: &mut PhysicsContext,
    library: &SetLibrary,
    directives: &[Directive],
) {
    for d in directives {
        match d {
            Directive::Scene(s) if stage.scene.as_deref() != Some(s) => {
                build_set(world, stage, physics, library, s)
            }
            Directive::Scene(_) => {}
            Directive::View(v) => match stage.views.iter().find(|(n, _)| n == v) {
                Some((_, t)) => {
                    stage.vantage = *t;
                    stage.view = Some(v.clone());
                }
                None => {
                    let named: Vec<&str> = stage.views.iter().map(|(n, _)| n.as_str()).collect();
                    stage.warnings.push(format!(
                        "view `{v}`: the set `{}` has no such view ({}); the viewer stays where they are",
                        stage.set.as_deref().unwrap_or("(none yet)"),
                        if named.is_empty() {
                            "it names none: add `view:NAME` nodes to its glTF".to_owned()
                        } else {
                            format!("it has {}", named.join(", "))
                        }
                    ));
                }
            },
            Directive::Shot(s) => stage.shot_s = Some(*s),
            Directive::Palette(p) => stage.palette = *p,
            Directive::Intensity(i) => stage.intensity = *i,
            Directive::Ending(e) => stage.ending = Some(e.clone()),
            // Sound cues are the audio system's; palette definitions the director's; extension
            // marks the episode writer's.
            Directive::Sfx { .. }
            | Directive::PaletteDef(_)
            | Directive::Extend(_)
            | Directive::ExtendCast(_)
            | Directive::ExtendScene(_)
            | Directive::ExtendPalette(_) => {}
            Directive::Cast { role, actor } => {
                if actor == "viewer" {
                    continue; // the viewer is the camera, not a body on stage
                }
                if !stage.cast.contains(actor) {
                    stage.cast.push(actor.clone());
                }
                if stage.fates.get(actor) == Some(&Fate::Dead) {
                    continue;
                }
                match find_character(world, actor) {
                    Some(e) => {
                        if let Ok(mut c) = world.get::<&mut Character>(e) {
                            c.role = role.clone();
                        }
                    }
                    None => {
                        spawn_character(world, stage, library, actor, role);
                    }
                }
                assign_marks(world, stage);
            }
            Directive::Fate { character, fate } => {
                stage.fates.insert(character.clone(), *fate);
                let found = find_character(world, character);
                match (fate, found) {
                    (Fate::Dead, Some(e)) => fall(world, e),
                    (Fate::Alive, None) if stage.cast.contains(character) => {
                        spawn_character(world, stage, library, character, character);
                        assign_marks(world, stage);
                    }
                    (_, Some(e)) => {
                        if let Ok(mut c) = world.get::<&mut Character>(e) {
                            c.fate = *fate;
                        }
                    }
                    _ => {}
                }
            }
            Directive::Stakes(s) => {
                stage.stakes = *s;
                if *s == Stakes::High {
                    spawn_debris(world, stage, physics);
                }
            }
        }
    }
}

/// The story kills `e`: they fall where they stand and lie there until the scene changes;
/// the nearest one still standing goes to kneel beside them.
fn fall(world: &mut World, e: Entity) {
    let Ok(at) = world.get::<&Transform>(e).map(|t| t.translation) else {
        return;
    };
    if let Ok(mut c) = world.get::<&mut Character>(e) {
        c.fate = Fate::Dead;
    }
    if let Ok(mut p) = world.get::<&mut Pose>(e) {
        p.stance = Stance::Fallen;
        p.talking = false;
    }
    let nearest = world
        .query::<(Entity, &Transform, &Pose)>()
        .with::<&Character>()
        .iter()
        .filter(|(o, _, p)| *o != e && p.stance == Stance::Standing)
        .map(|(o, t, _)| (o, t.translation))
        .min_by(|a, b| a.1.distance(at).total_cmp(&b.1.distance(at)));
    if let Some((o, from)) = nearest {
        // Beside the body, on the side they come from.
        let side = Vec3::new(from.x - at.x, 0.0, from.z - at.z).normalize_or(Vec3::X);
        if let Ok(mut c) = world.get::<&mut Character>(o) {
            c.target = at + side * 0.7;
        }
        if let Ok(mut p) = world.get::<&mut Pose>(o) {
            p.stance = Stance::Kneeling;
            p.attend = Some(at);
        }
    }
}

impl Stage {
    /// The intensity the scene plays at: the director's, else the author's.
    pub fn playing_intensity(&self) -> f32 {
        self.played.unwrap_or(self.intensity)
    }
}

/// How many loose things high stakes drop: 3 as the author staged it; with a director, as
/// many as its intensity asks (1 when it calms the scene, 4 at full intensity).
fn debris_pieces(stage: &Stage) -> u32 {
    match stage.played {
        None => 3,
        Some(i) => (i.clamp(0.0, 1.0) * 4.0).round().max(1.0) as u32,
    }
}

/// High stakes: a few loose things fall and tumble near the marks.
fn spawn_debris(world: &mut World, stage: &mut Stage, physics: &mut PhysicsContext) {
    for k in 0..debris_pieces(stage) {
        let n = stage.debris;
        stage.debris += 1;
        let mark = stage.marks[(n as usize) % stage.marks.len()];
        // A deterministic scatter (golden-angle spiral), no randomness.
        let a = n as f32 * 2.399_963;
        let offset = Vec3::new(a.cos(), 0.0, a.sin()) * (0.6 + 0.2 * k as f32);
        spawn_prop(
            world,
            physics,
            "crate",
            Material {
                base_color: Vec4::new(0.45, 0.3, 0.18, 1.0),
                roughness: 0.85,
                ..Material::default()
            },
            Vec3::new(0.18, 0.12, 0.15),
            mark + offset + Vec3::Y * (2.5 + 0.4 * k as f32),
            Vec3::new(-offset.x, 0.0, -offset.z) * 0.5,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::Light;
    use crate::physics::physics_system;

    struct Fixture {
        world: World,
        stage: Stage,
        physics: PhysicsContext,
        library: SetLibrary,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                world: World::new(),
                stage: Stage::default(),
                physics: PhysicsContext::new(),
                library: SetLibrary::builtin(),
            }
        }
        fn stage(&mut self, tags: &[&str]) {
            let ds: Vec<Directive> = tags
                .iter()
                .filter_map(|t| Directive::parse(t).unwrap())
                .collect();
            staging_system(
                &mut self.world,
                &mut self.stage,
                &mut self.physics,
                &self.library,
                &ds,
            );
        }
        fn count<C: hecs::Component>(&self) -> usize {
            self.world.query::<&C>().iter().count()
        }
        fn character(&self, id: &str) -> Option<Character> {
            self.world
                .query::<&Character>()
                .iter()
                .find(|c| c.id == id)
                .cloned()
        }
    }

    #[test]
    fn a_scene_builds_its_set_and_a_new_scene_strikes_it() {
        let mut f = Fixture::new();
        f.stage(&["scene: kitchen"]);
        assert_eq!(f.stage.set.as_deref(), Some("kitchen"));
        assert_eq!(f.count::<Mark>(), 6);
        assert_eq!(f.count::<Light>(), 2);
        let colliders = f.physics.world.colliders.len();
        f.stage(&["scene: dawn_slip"]);
        assert_eq!(f.stage.set.as_deref(), Some("slip"));
        assert_eq!(f.count::<Light>(), 1, "the kitchen's lights are gone");
        assert!(
            f.physics.world.colliders.len() < colliders,
            "the kitchen's walls are gone"
        );
        assert!(f.stage.warnings.is_empty());
    }

    #[test]
    fn an_unknown_scene_is_staged_in_a_placeholder_with_a_warning() {
        let mut f = Fixture::new();
        f.stage(&["scene: moon_base"]);
        assert!(f.stage.set.as_deref().unwrap().contains("placeholder"));
        assert!(f.stage.warnings[0].contains("moon_base"));
        assert!(f.count::<Mark>() > 0);
    }

    #[test]
    fn cast_brings_characters_on_to_their_marks() {
        let mut f = Fixture::new();
        f.stage(&[
            "scene: lamp_room",
            "cast: keeper=mara",
            "cast: skipper=tomas",
            "cast: newcomer=viewer",
        ]);
        assert_eq!(f.count::<Character>(), 2, "the viewer has no body");
        let mara = f.character("mara").unwrap();
        let tomas = f.character("tomas").unwrap();
        assert_eq!(mara.role, "keeper");
        assert_ne!(mara.target, tomas.target, "each to their own mark");
        let t = f
            .world
            .query::<(&Character, &Transform)>()
            .iter()
            .next()
            .map(|(_, t)| *t)
            .unwrap();
        assert_ne!(t.translation, mara.target, "they enter, then walk");
    }

    #[test]
    fn fate_removes_or_keeps_a_character() {
        let mut f = Fixture::new();
        f.stage(&[
            "scene: lamp_room",
            "cast: keeper=mara",
            "cast: skipper=tomas",
        ]);
        f.stage(&["fate: mara=alive"]);
        assert!(f.character("mara").is_some());
        let stance = |f: &Fixture, id: &str| {
            f.world
                .query::<(&Character, &Pose)>()
                .iter()
                .find(|(c, _)| c.id == id)
                .map(|(_, p)| p.stance)
        };
        f.stage(&["fate: tomas=dead"]);
        assert_eq!(
            stance(&f, "tomas"),
            Some(Stance::Fallen),
            "the dead fall where they stand"
        );
        assert_eq!(
            stance(&f, "mara"),
            Some(Stance::Kneeling),
            "and the nearest kneels by them"
        );
        f.stage(&["cast: skipper=tomas"]);
        assert_eq!(
            stance(&f, "tomas"),
            Some(Stance::Fallen),
            "and do not get up"
        );
        f.stage(&["scene: kitchen"]);
        assert_eq!(
            stance(&f, "mara"),
            Some(Stance::Standing),
            "a new scene, on their feet"
        );
        assert!(f.character("tomas").is_none(), "and stay out of it");
        assert!(
            f.character("mara").is_some(),
            "the living follow the story to the next set"
        );
    }

    #[test]
    fn high_stakes_drop_things_that_land() {
        let mut f = Fixture::new();
        f.stage(&["scene: lamp_room", "stakes: low"]);
        assert_eq!(f.count::<Prop>(), 0);
        f.stage(&["stakes: high"]);
        assert_eq!(f.count::<Prop>(), 3);
        for _ in 0..(3 * 90) {
            physics_system(&mut f.world, &mut f.physics, 1.0 / 90.0);
        }
        for t in f
            .world
            .query::<(&Prop, &Transform)>()
            .iter()
            .map(|(_, t)| *t)
        {
            assert!(t.translation.y < 0.5, "landed: {t:?}");
        }
        // Striking the set removes the debris and its bodies.
        let bodies = f.physics.world.bodies.len();
        f.stage(&["scene: kitchen"]);
        assert_eq!(f.count::<Prop>(), 0);
        assert_eq!(f.physics.world.bodies.len(), bodies - 3);
    }

    #[test]
    fn palette_intensity_shot_and_ending_are_recorded() {
        let mut f = Fixture::new();
        f.stage(&[
            "palette: ember",
            "intensity: 0.8",
            "shot: 4",
            "ending: dawn",
        ]);
        assert_eq!(f.stage.palette, Palette::Ember);
        assert_eq!(f.stage.intensity, 0.8);
        assert_eq!(f.stage.shot_s, Some(4.0));
        assert_eq!(f.stage.ending.as_deref(), Some("dawn"));
    }

    #[test]
    fn the_directors_intensity_sets_how_much_falls() {
        let mut f = Fixture::new();
        f.stage(&["scene: lamp_room"]);
        f.stage.played = Some(0.2);
        f.stage(&["stakes: high"]);
        assert_eq!(f.count::<Prop>(), 1, "a calmed scene drops one thing");
        let mut g = Fixture::new();
        g.stage(&["scene: lamp_room"]);
        g.stage.played = Some(1.0);
        g.stage(&["stakes: high"]);
        assert_eq!(g.count::<Prop>(), 4, "full intensity drops four");
        assert_eq!(g.stage.playing_intensity(), 1.0);
    }

    #[test]
    fn a_view_moves_the_vantage_and_an_unknown_one_says_what_the_set_has() {
        use crate::sets::SetDesc;
        let mut library = SetLibrary::builtin();
        let (mut room, _) = library.resolve("kitchen");
        room.name = "kitchen".into();
        let by_the_range = crate::vantage::Vantage::facing(Vec3::new(-1.0, 0.0, -0.5), 0.6);
        room.views = vec![
            (
                "seat".into(),
                crate::vantage::Vantage::facing(Vec3::new(0.0, 0.0, 0.3), 0.0),
            ),
            ("by_the_range".into(), by_the_range),
        ];
        library.insert(SetDesc { ..room });
        let (mut world, mut stage, mut physics) =
            (World::new(), Stage::default(), PhysicsContext::new());
        let mut go = |tags: &[&str], stage: &mut Stage| {
            let ds: Vec<Directive> = tags
                .iter()
                .filter_map(|t| Directive::parse(t).unwrap())
                .collect();
            staging_system(&mut world, stage, &mut physics, &library, &ds);
        };
        go(&["scene: kitchen"], &mut stage);
        assert_eq!(
            stage.vantage.translation,
            Vec3::new(0.0, 0.0, 0.3),
            "each scene starts at its seat"
        );
        go(&["view: by_the_range"], &mut stage);
        assert_eq!(stage.vantage, by_the_range);
        assert_eq!(stage.view.as_deref(), Some("by_the_range"));
        go(&["view: up_the_chimney"], &mut stage);
        assert_eq!(
            stage.vantage, by_the_range,
            "an unknown view leaves the viewer be"
        );
        let w = stage.warnings.last().unwrap();
        assert!(
            w.contains("up_the_chimney") && w.contains("seat, by_the_range"),
            "{w}"
        );
        go(&["scene: lamp_room"], &mut stage);
        assert_eq!(
            stage.vantage,
            Transform::default(),
            "a set without a seat: the origin"
        );
        assert_eq!(stage.view, None);
    }
}
