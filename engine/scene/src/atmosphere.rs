//! The air of a set: height fog (the renderer's, from the set's [`Atmosphere`]) and rain,
//! streaks that fall around the viewer wherever the vantage puts them. Rain is deterministic
//! (no randomness: the same screening gives the same stills) and bounded (a fixed number of
//! drops, recycled to the top as they reach the ground).

use glam::{Quat, Vec3, Vec4};
use hecs::World;

use crate::components::{Material, Mesh, SetPiece, Transform};

/// A set's air: fog that thickens toward the sea, and how hard it rains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Atmosphere {
    /// The fog's linear colour (what distance fades to).
    pub fog_color: Vec3,
    /// Fog density at y = 0, per metre (0: clear air).
    pub fog_density: f32,
    /// Metres over which the fog thins by e (height falloff).
    pub fog_height: f32,
    /// Rain, 0 (none) ..= 1 (a storm): how many drops fall.
    pub rain: f32,
    /// The sea's swell, metres from trough to mean (the renderer moves a set's `sea` by it).
    pub swell: f32,
    /// Seconds the set has been up: the waves' clock ([`rain_system`] runs it).
    pub clock: f32,
}

impl Default for Atmosphere {
    fn default() -> Self {
        Self {
            fog_color: Vec3::ZERO,
            fog_density: 0.0,
            fog_height: 20.0,
            rain: 0.0,
            swell: 0.15,
            clock: 0.0,
        }
    }
}

/// A raindrop: falls at `speed` m/s along `fall` and starts again above the viewer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Raindrop {
    /// Unit direction of fall (slanted by the wind).
    pub fall: Vec3,
    /// Metres a second.
    pub speed: f32,
    /// Where in the column round the viewer it falls (x, z offset).
    pub offset: Vec3,
}

/// Drops in a full storm.
pub const STORM_DROPS: u32 = 360;
/// Metres above the viewer's head where drops start, and below it where they end.
const TOP: f32 = 6.0;
const BOTTOM: f32 = -3.0;

/// Rains on the set: `rain` (0..=1) of [`STORM_DROPS`] drops in a column 9 m across round
/// `head`, spread evenly (a golden-angle spiral) at staggered heights. Set pieces: struck
/// with the set.
pub fn spawn_rain(world: &mut World, rain: f32, head: Vec3) {
    let n = (rain.clamp(0.0, 1.0) * STORM_DROPS as f32).round() as u32;
    let wind = Quat::from_rotation_z(0.18);
    let fall = wind * Vec3::NEG_Y;
    for k in 0..n {
        let a = k as f32 * 2.399_963;
        let r = 0.6 + 4.0 * ((k as f32 + 0.5) / n as f32).sqrt();
        let offset = Vec3::new(a.cos() * r, 0.0, a.sin() * r);
        // Heights staggered by a low-discrepancy sequence, so no sheet of drops falls at once.
        let h = BOTTOM + (TOP - BOTTOM) * ((k as f32 * 0.618_034) % 1.0);
        world.spawn((
            Transform {
                translation: head + offset + Vec3::Y * h,
                rotation: wind,
                scale: Vec3::new(0.006, 0.45, 0.006),
            },
            Mesh("box".into()),
            Material {
                base_color: Vec4::new(0.55, 0.6, 0.65, 1.0),
                metallic: 0.0,
                roughness: 0.2,
                emissive: Vec3::new(0.05, 0.055, 0.065),
            },
            Raindrop {
                fall,
                speed: 8.0 + 2.0 * ((k as f32 * 0.754_877) % 1.0),
                offset,
            },
            SetPiece,
        ));
    }
}

/// Moves the rain on by `dt`: each drop falls, and one that has fallen past the viewer starts
/// again above them (where the viewer is now, so the rain follows a change of vantage).
pub fn rain_system(world: &mut World, head: Vec3, dt: f32) {
    for air in world.query_mut::<&mut Atmosphere>() {
        air.clock += dt;
    }
    for (t, d) in world.query_mut::<(&mut Transform, &Raindrop)>() {
        t.translation += d.fall * d.speed * dt;
        let below = t.translation.y - head.y;
        if below < BOTTOM {
            let over = BOTTOM - below;
            t.translation = head + d.offset + Vec3::Y * (TOP - over % (TOP - BOTTOM));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drops(world: &World) -> Vec<Vec3> {
        world
            .query::<(&Transform, &Raindrop)>()
            .iter()
            .map(|(t, _)| t.translation)
            .collect()
    }

    #[test]
    fn rain_falls_round_the_viewer_and_never_runs_out() {
        let head = Vec3::new(0.0, 1.2, 0.0);
        let mut world = World::new();
        spawn_rain(&mut world, 1.0, head);
        assert_eq!(drops(&world).len(), STORM_DROPS as usize);
        let before = drops(&world);
        rain_system(&mut world, head, 0.05);
        let after = drops(&world);
        let fell = before.iter().zip(&after).filter(|(b, a)| a.y < b.y).count();
        assert!(fell > STORM_DROPS as usize * 9 / 10, "{fell} fell");
        for _ in 0..600 {
            rain_system(&mut world, head, 1.0 / 90.0);
        }
        for p in drops(&world) {
            let rel = p - head;
            assert!(rel.y >= BOTTOM - 0.2 && rel.y <= TOP + 0.2, "{rel}");
            assert!(Vec3::new(rel.x, 0.0, rel.z).length() < 6.5, "{rel}");
        }
        // Half as much rain, half as many drops; none without rain.
        let mut light = World::new();
        spawn_rain(&mut light, 0.5, head);
        assert_eq!(drops(&light).len(), STORM_DROPS as usize / 2);
        let mut dry = World::new();
        spawn_rain(&mut dry, 0.0, head);
        assert!(drops(&dry).is_empty());
    }

    #[test]
    fn the_rain_follows_a_new_vantage() {
        let mut world = World::new();
        spawn_rain(&mut world, 1.0, Vec3::new(0.0, 1.2, 0.0));
        let there = Vec3::new(20.0, 1.2, -5.0);
        for _ in 0..180 {
            rain_system(&mut world, there, 1.0 / 90.0);
        }
        let near = drops(&world)
            .iter()
            .filter(|p| Vec3::new(p.x - there.x, 0.0, p.z - there.z).length() < 6.5)
            .count();
        assert_eq!(
            near, STORM_DROPS as usize,
            "every drop has started again round the viewer"
        );
    }
}
