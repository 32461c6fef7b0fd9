//! Procedural character animation: walking to marks, breathing, gestures.

use glam::{Quat, Vec3};
use hecs::World;

use crate::components::{Character, Pose, Transform, Viewer};

/// Walks every character towards their mark: accelerates out of a stand,
/// slows into the mark, never overshoots, and turns to face where they go
/// (and, once there, the viewer).
pub fn locomotion_system(world: &mut World, dt: f32) {
    let viewer = world
        .query::<&Viewer>()
        .iter()
        .next()
        .map_or(Vec3::ZERO, |v| v.head.translation);
    for (t, c, pose) in world.query_mut::<(&mut Transform, &Character, &mut Pose)>() {
        let to = c.target - t.translation;
        let flat = Vec3::new(to.x, 0.0, to.z);
        let dist = flat.length();
        let facing = if dist > 0.05 {
            // Ease into the mark over the last 0.6 m.
            let speed = c.walk_speed * (dist / 0.6).clamp(0.15, 1.0);
            let step = (speed * dt).min(dist);
            t.translation += flat / dist * step;
            pose.stride_phase = (pose.stride_phase + step * 4.0) % std::f32::consts::TAU;
            flat
        } else {
            let v = viewer - t.translation;
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
        pose.arm_raise = (i * 0.6 * (0.5 + 0.5 * (0.9 * t + phase).sin())).clamp(0.0, 1.0);
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
    fn characters_reach_their_mark_without_overshooting() {
        let mut world = World::new();
        let target = Vec3::new(0.0, 0.0, -2.5);
        let e = walker(&mut world, Vec3::new(3.0, 0.0, -4.0), target);
        let mut closest = f32::MAX;
        for _ in 0..(90 * 8) {
            locomotion_system(&mut world, 1.0 / 90.0);
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
