//! Procedural character animation: walking to marks, breathing, gestures.

use glam::{Quat, Vec3};
use hecs::World;

use crate::components::{Character, Pose, Stance, Transform};

/// Walks every character towards their mark: accelerates out of a stand,
/// slows into the mark, never overshoots, and turns to face where they go
/// (and, once there, whom they attend to, else the viewer's head at `viewer`, stage
/// space). The fallen stay where they fell.
pub fn locomotion_system(world: &mut World, dt: f32, viewer: Vec3) {
    for (t, c, pose) in world.query_mut::<(&mut Transform, &Character, &mut Pose)>() {
        if pose.stance == Stance::Fallen {
            pose.speed = 0.0;
            continue;
        }
        let to = c.target - t.translation;
        let flat = Vec3::new(to.x, 0.0, to.z);
        let dist = flat.length();
        let facing = if dist > 0.05 {
            // Ease into the mark over the last 0.6 m.
            let speed = c.walk_speed * (dist / 0.6).clamp(0.15, 1.0);
            let step = (speed * dt).min(dist);
            t.translation += flat / dist * step;
            pose.speed = if dt > 0.0 { step / dt } else { 0.0 };
            pose.stride_phase = (pose.stride_phase + step * 4.0) % std::f32::consts::TAU;
            flat
        } else {
            pose.speed = 0.0;
            let v = pose.attend.unwrap_or(viewer) - t.translation;
            Vec3::new(v.x, 0.0, v.z)
        };
        if facing.length_squared() > 1e-6 {
            // Characters face −z in model space.
            let yaw = (-facing.x).atan2(-facing.z);
            let want = Quat::from_rotation_y(yaw);
            let k = 1.0 - (-dt * 6.0).exp();
            t.rotation = t.rotation.slerp(want, k);
        }
    }
}

/// Who is speaking the current line: they talk (their talk clip, a soft key light eased on)
/// and turn to whom they address (`to`: a character's id, `None` the viewer); everyone else
/// on their feet turns to the speaker. With no speaker on stage, all face the viewer again.
pub fn conversation_system(world: &mut World, speaker: Option<&str>, to: Option<&str>, dt: f32) {
    let mut at_speaker = None;
    let mut at_addressee = None;
    for (c, t) in world.query::<(&Character, &Transform)>().iter() {
        if Some(c.id.as_str()) == speaker {
            at_speaker = Some(t.translation);
        }
        if Some(c.id.as_str()) == to {
            at_addressee = Some(t.translation);
        }
    }
    let k = 1.0 - (-dt / 0.3).exp();
    for (c, pose) in world.query_mut::<(&Character, &mut Pose)>() {
        let speaking = at_speaker.is_some() && Some(c.id.as_str()) == speaker;
        pose.talking = speaking && pose.stance == Stance::Standing;
        pose.key += ((if speaking { 1.0 } else { 0.0 }) - pose.key) * k;
        if pose.stance != Stance::Standing {
            continue;
        }
        pose.attend = if speaking { at_addressee } else { at_speaker };
    }
}

/// The speaker of a line (as the subtitle names them: [`showrunner_core::speaker`]) as a
/// character id (`MARA` → `mara`), and whom it addresses: a cast member named at the start
/// of the words (`MARA: Tomas, the rope.`), else `None` (the viewer).
pub fn speaker_of<'a>(line: &str, cast: &'a [String]) -> Option<(String, Option<&'a str>)> {
    let (Some(name), words) = showrunner_core::speaker(line) else {
        return None;
    };
    let id = name.to_lowercase().replace(' ', "_");
    let first = words
        .trim_start()
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    let to = cast
        .iter()
        .find(|c| **c == first && **c != id)
        .map(String::as_str);
    Some((id, to))
}

/// Breathing, idle sway and gestures; bigger and quicker with `intensity`.
/// `t` is the film's clock, so animation is deterministic.
pub fn gesture_system(world: &mut World, t: f32, intensity: f32) {
    let i = intensity.clamp(0.0, 1.0);
    for (c, pose) in world.query_mut::<(&Character, &mut Pose)>() {
        // Per-character phase so a group never moves in lockstep.
        let phase = c.id.bytes().map(f32::from).sum::<f32>() * 0.37;
        let breath_hz = 0.22 + 0.2 * i;
        pose.bob = 0.008 * (1.0 + i) * (std::f32::consts::TAU * breath_hz * t + phase).sin();
        pose.head_yaw =
            0.25 * (0.5 + i) * (0.31 * t + phase).sin() * (0.17 * t + 2.0 * phase).cos();
        // Whoever speaks gestures; those listening only shift a hand.
        let reach = if pose.talking { 0.6 } else { 0.25 };
        pose.arm_raise = (i * reach * (0.5 + 0.5 * (0.9 * t + phase).sin())).clamp(0.0, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_core::Fate;

    fn walker(world: &mut World, from: Vec3, to: Vec3) -> hecs::Entity {
        world.spawn((
            Transform::at(from),
            Character {
                id: "mara".into(),
                role: "keeper".into(),
                fate: Fate::Alive,
                target: to,
                walk_speed: 1.0,
            },
            Pose::default(),
        ))
    }

    #[test]
    fn the_speaker_acts_and_turns_to_whom_they_address() {
        let mut world = World::new();
        let mara = walker(
            &mut world,
            Vec3::new(-1.0, 0.0, -3.0),
            Vec3::new(-1.0, 0.0, -3.0),
        );
        let tomas = world.spawn((
            Transform::at(Vec3::new(1.0, 0.0, -3.0)),
            Character {
                id: "tomas".into(),
                role: "skipper".into(),
                fate: Fate::Alive,
                target: Vec3::new(1.0, 0.0, -3.0),
                walk_speed: 1.0,
            },
            Pose::default(),
        ));
        let cast = ["mara".to_owned(), "tomas".to_owned()];
        let facing = |world: &World, e| world.get::<&Transform>(e).unwrap().rotation * Vec3::NEG_Z;
        let play = |world: &mut World, line: &str| {
            let said = speaker_of(line, &cast);
            let (who, to) = (
                said.as_ref().map(|s| s.0.as_str()),
                said.as_ref().and_then(|s| s.1),
            );
            for _ in 0..90 {
                conversation_system(world, who, to, 1.0 / 30.0);
                locomotion_system(world, 1.0 / 30.0, Vec3::new(0.0, 1.2, 0.0));
            }
        };
        play(&mut world, "MARA: Tomas, the rope.");
        let (m, t) = (
            *world.get::<&Pose>(mara).unwrap(),
            *world.get::<&Pose>(tomas).unwrap(),
        );
        assert!(
            m.talking && m.key > 0.9,
            "Mara speaks, in her key light: {m:?}"
        );
        assert!(!t.talking && t.key < 0.1, "Tomas listens: {t:?}");
        assert!(facing(&world, mara).x > 0.9, "she turns to him");
        assert!(facing(&world, tomas).x < -0.9, "he turns to her");
        play(&mut world, "MARA: You'll be the new one.");
        assert!(
            facing(&world, mara).z > 0.9,
            "to the viewer, when no one is named"
        );
        play(&mut world, "The boat backs away.");
        let m = *world.get::<&Pose>(mara).unwrap();
        assert!(!m.talking && m.key < 0.1, "narration: no one speaks");
        assert!(facing(&world, tomas).z > 0.9, "all face the viewer again");
        assert_eq!(
            speaker_of("SHIEL: This is you, then.", &cast),
            Some(("shiel".into(), None))
        );
    }

    #[test]
    fn characters_reach_their_mark_without_overshooting() {
        let mut world = World::new();
        let target = Vec3::new(0.0, 0.0, -2.5);
        let e = walker(&mut world, Vec3::new(3.0, 0.0, -4.0), target);
        let mut closest = f32::MAX;
        for _ in 0..(90 * 8) {
            locomotion_system(&mut world, 1.0 / 90.0, Vec3::ZERO);
            let d = world
                .get::<&Transform>(e)
                .unwrap()
                .translation
                .distance(target);
            assert!(d <= closest + 1e-4, "moved away from the mark");
            closest = d;
        }
        assert!(closest < 0.06, "still {closest} m away");
        // Arrived, they turn to face the viewer at the origin.
        let r = world.get::<&Transform>(e).unwrap().rotation;
        let forward = r * Vec3::NEG_Z;
        assert!(forward.z > 0.9, "facing the viewer: {forward}");
    }

    #[test]
    fn gestures_grow_with_intensity_and_are_deterministic() {
        let amplitude = |i: f32| {
            let mut world = World::new();
            walker(&mut world, Vec3::ZERO, Vec3::ZERO);
            let mut max_arm = 0.0f32;
            let mut max_bob = 0.0f32;
            for k in 0..600 {
                gesture_system(&mut world, k as f32 / 30.0, i);
                let p = *world.query::<&Pose>().iter().next().unwrap();
                max_arm = max_arm.max(p.arm_raise);
                max_bob = max_bob.max(p.bob.abs());
            }
            (max_arm, max_bob)
        };
        let (calm, tense) = (amplitude(0.1), amplitude(0.9));
        assert!(
            tense.0 > calm.0 * 2.0 && tense.1 > calm.1,
            "{calm:?} vs {tense:?}"
        );
        assert_eq!(amplitude(0.5), amplitude(0.5));
    }
}
