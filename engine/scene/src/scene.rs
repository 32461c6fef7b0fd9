//! [`Scene`]: one staged scene (the world, its stage, its physics and the sets it stages
//! from) and the one way it moves in time, [`Scene::step`]. Every front end and every
//! offline render (the report's stills, the soundtrack, the refiner's training pairs) steps
//! scenes through it, so the systems always run in the same order.

use crate::animation::{conversation_system, gesture_system, locomotion_system, speaker_of};
use crate::physics::{physics_system, PhysicsContext};
use crate::sets::SetLibrary;
use crate::staging::{staging_system, Stage};
use crate::vantage::Vantage;
use glam::Vec3;
use hecs::World;
use showrunner_core::Directive;

/// A staged scene: what directives have put on the stage, moving.
pub struct Scene {
    /// The entities: sets, characters, props, lights, panels.
    pub world: World,
    /// What the directives have staged so far (scene, palette, intensity, cast, warnings).
    pub stage: Stage,
    /// The rigid bodies (fixed step, interpolated).
    pub physics: PhysicsContext,
    /// The sets that `scene:` directives name.
    pub library: SetLibrary,
    /// Where the viewer watches from, and the comfort fade around a change of it.
    pub vantage: Vantage,
}

impl Scene {
    /// An empty stage that stages from `library`.
    pub fn new(library: SetLibrary) -> Self {
        Self {
            world: World::new(),
            stage: Stage::default(),
            physics: PhysicsContext::new(),
            library,
            vantage: Vantage::default(),
        }
    }

    /// Stages a beat's directives ([`staging_system`]). What could not be staged is added to
    /// `stage.warnings`, for the caller to report and drain.
    pub fn stage(&mut self, directives: &[Directive]) {
        staging_system(
            &mut self.world,
            &mut self.stage,
            &mut self.physics,
            &self.library,
            directives,
        );
    }

    /// The viewer recast `actor`: the performer of `by` plays them from now on (`by` =
    /// `actor` gives them back their own), dressed so at once where they stand. `Err` names
    /// the performers there are.
    pub fn recast(&mut self, actor: &str, by: &str) -> Result<(), String> {
        self.library.recast(actor, by)?;
        crate::staging::redress(&mut self.world, &self.library, actor);
        Ok(())
    }

    /// The viewer moved `scene` to the set `other` (`other` = `scene` puts it back): when it
    /// is the scene on stage, the new set is built now, the viewer seated in it (through the
    /// comfort fade) and the cast on its marks. `Err` names the sets there are.
    pub fn move_scene(&mut self, scene: &str, other: &str) -> Result<(), String> {
        self.library.move_scene(scene, other)?;
        if self.stage.scene.as_deref() == Some(scene) {
            crate::staging::restage(
                &mut self.world,
                &mut self.stage,
                &mut self.physics,
                &self.library,
            );
        }
        Ok(())
    }

    /// The line now spoken (a beat's text): when it is dialogue (`NAME: words`), that
    /// character talks and turns to whom they address, the others to them; otherwise no one
    /// talks.
    pub fn speak(&mut self, line: &str) {
        self.stage.speaker =
            speaker_of(line, &self.stage.cast).map(|(id, to)| (id, to.map(str::to_owned)));
    }

    /// Moves the scene on by one frame of `dt` seconds, the show's clock reading `clock`
    /// seconds at the frame's end: the viewer's vantage fades towards the staged one,
    /// the speaker talks and turns to whom they address, characters walk to their marks,
    /// actors with a skeleton act (their clips blended), gesture with the staged
    /// intensity (the director's when it directs, [`Stage::playing_intensity`]), and physics takes
    /// its fixed steps. Returns the physics steps taken.
    pub fn step(&mut self, dt: f32, clock: f32) -> u32 {
        self.vantage.go_to(self.stage.vantage);
        self.vantage.step(dt);
        let head = self.vantage.point(Vec3::Y * 1.2);
        let intensity = self.stage.playing_intensity();
        crate::atmosphere::rain_system(&mut self.world, head, dt, intensity);
        let (speaker, to) = match &self.stage.speaker {
            Some((s, to)) => (Some(s.as_str()), to.as_deref()),
            None => (None, None),
        };
        conversation_system(&mut self.world, speaker, to, dt);
        locomotion_system(&mut self.world, dt, head);
        gesture_system(&mut self.world, clock, intensity);
        crate::rig::skinning_system(&mut self.world, intensity, dt);
        physics_system(&mut self.world, &mut self.physics, dt)
    }

    /// Moves the scene on by `seconds` in frames of at most `max_dt`, advancing `clock` with
    /// it (offline renders: a still's settling time, frames of a shot).
    pub fn advance(&mut self, seconds: f32, max_dt: f32, clock: &mut f32) {
        let mut left = seconds;
        while left > 1e-6 {
            let dt = left.min(max_dt);
            *clock += dt;
            self.step(dt, *clock);
            left -= dt;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::{Character, Transform};
    use showrunner_core::Stakes;

    fn staged() -> Scene {
        let mut s = Scene::new(SetLibrary::builtin());
        s.stage(&[
            Directive::Scene("lamp_room".into()),
            Directive::Cast {
                role: "keeper".into(),
                actor: "mara".into(),
            },
            Directive::Stakes(Stakes::High),
        ]);
        s
    }

    fn positions(s: &Scene) -> Vec<(String, [f32; 3])> {
        let mut v: Vec<_> = s
            .world
            .query::<(&Character, &Transform)>()
            .iter()
            .map(|(c, t)| (c.id.clone(), t.translation.to_array()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    #[test]
    fn advancing_in_frames_is_stepping_frame_by_frame() {
        let (mut a, mut b) = (staged(), staged());
        let mut clock = 0.0;
        a.advance(1.0, 1.0 / 30.0, &mut clock);
        let mut t = 0.0f32;
        let mut left = 1.0f32;
        while left > 1e-6 {
            let dt = left.min(1.0 / 30.0);
            t += dt;
            b.step(dt, t);
            left -= dt;
        }
        assert_eq!(clock, t);
        assert_eq!(positions(&a), positions(&b));
        assert!(!positions(&a).is_empty(), "the cast is on stage");
    }

    #[test]
    fn physics_steps_at_its_fixed_rate_whatever_the_frame_rate() {
        for hz in [60.0f32, 72.0, 90.0, 120.0] {
            let mut s = staged();
            let mut steps = 0;
            for k in 1..=hz as u32 {
                steps += s.step(1.0 / hz, k as f32 / hz);
            }
            assert!(
                (119..=121).contains(&steps),
                "{hz} Hz: {steps} steps in 1 s"
            );
        }
    }

    #[test]
    fn the_viewer_recasts_a_role_and_moves_the_scene_to_another_set() {
        use crate::components::{Mesh, Parts};
        use crate::sets::Performer;
        let mut s = staged();
        let model = |name: &str| Performer {
            models: vec![name.into(), format!("{name} hat")],
            material: crate::components::Material::default(),
            rig: None,
        };
        s.library.cast("mara", model("mara"));
        s.library.cast("you", model("you"));
        s.stage(&[Directive::Cast {
            role: "skipper".into(),
            actor: "tomas".into(),
        }]);
        let dressed = |s: &Scene, who: &str| {
            s.world
                .query::<(&Character, &Mesh, Option<&Parts>)>()
                .iter()
                .find(|(c, _, _)| c.id == who)
                .map(|(_, m, p)| (m.0.clone(), p.map(|p| p.0.clone())))
                .unwrap()
        };
        // Mara was on stage before her model was cast; the recast dresses her at once.
        s.recast("mara", "you").unwrap();
        assert_eq!(
            dressed(&s, "mara"),
            ("you".into(), Some(vec!["you hat".into()]))
        );
        // Tomas has no model: given back his own, he is the stand-in figure, parts gone.
        s.recast("tomas", "you").unwrap();
        s.recast("tomas", "tomas").unwrap();
        assert_eq!(dressed(&s, "tomas"), ("character".into(), None));
        let err = s.recast("mara", "nobody").unwrap_err();
        assert!(err.contains("you"), "{err}");
        // Changing the setting rebuilds the set on stage and stands the cast on its marks.
        let before = positions(&s);
        s.move_scene("lamp_room", "kitchen").unwrap();
        assert_eq!(s.library.set_of("lamp_room"), "kitchen");
        assert_eq!(s.stage.scene.as_deref(), Some("lamp_room"));
        let after = positions(&s);
        assert_ne!(before, after, "the cast stands on the kitchen's marks");
        let marks: Vec<Vec3> = s
            .world
            .query::<(&Transform, &crate::components::Mark)>()
            .iter()
            .map(|(t, _)| t.translation)
            .collect();
        for (_, p) in &after {
            assert!(
                marks.iter().any(|m| m.distance(Vec3::from(*p)) < 1e-4),
                "{p:?} is on a mark of {marks:?}"
            );
        }
        // And back; an unknown set is an error naming the sets.
        s.move_scene("lamp_room", "lamp_room").unwrap();
        assert_eq!(s.library.set_of("lamp_room"), "lamp_room");
        let err = s.move_scene("lamp_room", "the_moon").unwrap_err();
        assert!(err.contains("kitchen"), "{err}");
    }

    #[test]
    fn unknown_sets_warn_and_the_warning_waits_for_the_caller() {
        let mut s = Scene::new(SetLibrary::builtin());
        s.stage(&[Directive::Scene("nowhere_at_all".into())]);
        assert_eq!(s.stage.warnings.len(), 1, "{:?}", s.stage.warnings);
        s.step(1.0 / 90.0, 1.0 / 90.0);
        assert_eq!(s.stage.warnings.len(), 1, "stepping does not drop warnings");
    }
}
