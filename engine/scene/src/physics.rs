//! The physics context (rapier3d) and the fixed-timestep physics system.
//!
//! Physics advances in fixed steps of [`PhysicsContext::STEP`] seconds,
//! whatever the display rate; each prop keeps its last two step poses, and
//! its [`Transform`] is interpolated between them by how far the display
//! time is into the next step. Results therefore depend only on simulated
//! time, never on the frame rate.

use std::sync::Mutex;

use glam::{Quat, Vec3};
use hecs::{Entity, World};
use rapier3d::prelude::*;

use crate::components::{Material, Mesh, Prop, SetPiece, Transform};

/// Something hit something hard enough to be heard: from rapier's collision
/// events, for the sound of a falling prop landing where it lands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impact {
    /// The prop that hit (its entity), when it is one.
    pub entity: Option<Entity>,
    /// Where, in stage space (the prop's centre at the moment of contact).
    pub position: Vec3,
    /// Closing speed, m/s (how loud it should be).
    pub speed: f32,
}

/// Collects impacts during a rapier step (rapier calls it through `&self`).
struct ImpactCollector {
    impacts: Mutex<Vec<Impact>>,
}

impl EventHandler for ImpactCollector {
    fn handle_collision_event(
        &self,
        bodies: &RigidBodySet,
        colliders: &ColliderSet,
        event: CollisionEvent,
        _contact_pair: Option<&ContactPair>,
    ) {
        let CollisionEvent::Started(a, b, _) = event else {
            return;
        };
        let velocity = |h: ColliderHandle| {
            let c = colliders.get(h)?;
            let body = bodies.get(c.parent()?)?;
            Some((c, body.translation(), body.linvel()))
        };
        let (ca, cb) = (velocity(a), velocity(b));
        let va = ca.map(|c| c.2).unwrap_or(Vec3::ZERO);
        let vb = cb.map(|c| c.2).unwrap_or(Vec3::ZERO);
        let speed = (va - vb).length();
        if speed < PhysicsContext::IMPACT_MIN_SPEED {
            return;
        }
        // The faster of the two is the one that hit.
        let Some((c, position, _)) = (match (ca, cb) {
            (Some(x), Some(y)) => Some(if x.2.length() >= y.2.length() { x } else { y }),
            (x, y) => x.or(y),
        }) else {
            return;
        };
        let entity = u64::try_from(c.user_data).ok().and_then(Entity::from_bits);
        if let Ok(mut v) = self.impacts.lock() {
            if v.len() < PhysicsContext::MAX_IMPACTS {
                v.push(Impact {
                    entity,
                    position,
                    speed,
                });
            }
        }
    }

    fn handle_contact_force_event(
        &self,
        _dt: Real,
        _bodies: &RigidBodySet,
        _colliders: &ColliderSet,
        _contact_pair: &ContactPair,
        _total_force_magnitude: Real,
    ) {
    }

    fn handle_soft_body_tear_event(&self, _soft_bodies: &SoftBodySet, _event: &SoftBodyTearEvent) {}
}

/// Wraps rapier's state, Hotham-style.
pub struct PhysicsContext {
    /// Bodies, colliders, pipeline.
    pub world: PhysicsWorld,
    accumulator: f64,
    alpha: f32,
    steps: u64,
    collector: ImpactCollector,
    impacts: Vec<Impact>,
}

impl Default for PhysicsContext {
    fn default() -> Self {
        Self::new()
    }
}

impl PhysicsContext {
    /// The fixed step, seconds (120 Hz).
    pub const STEP: f32 = 1.0 / 120.0;
    /// At most this many steps per frame: after a long stall the simulation
    /// slows down rather than spiralling (the frame must not take longer).
    pub const MAX_STEPS_PER_FRAME: u32 = 8;
    /// Contacts closing slower than this (m/s) make no sound.
    pub const IMPACT_MIN_SPEED: f32 = 0.4;
    /// At most this many impacts are kept per frame (the loudest matter).
    pub const MAX_IMPACTS: usize = 32;

    /// An empty world with gravity and a ground plane at y = 0.
    pub fn new() -> Self {
        let mut world = PhysicsWorld::new();
        world.integration_parameters.dt = Self::STEP;
        world.insert_collider(
            ColliderBuilder::cuboid(50.0, 0.5, 50.0)
                .translation(Vec3::new(0.0, -0.5, 0.0))
                .friction(0.8)
                .build(),
            None,
        );
        Self {
            world,
            accumulator: 0.0,
            alpha: 0.0,
            steps: 0,
            collector: ImpactCollector {
                impacts: Mutex::new(Vec::with_capacity(Self::MAX_IMPACTS)),
            },
            impacts: Vec::with_capacity(Self::MAX_IMPACTS),
        }
    }

    /// The impacts of the last [`physics_system`] call (props landing,
    /// knocking into each other), for sound.
    pub fn impacts(&self) -> &[Impact] {
        &self.impacts
    }

    /// Fixed steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Interpolation factor of the last frame, 0..1.
    pub fn alpha(&self) -> f32 {
        self.alpha
    }

    /// Adds a static box (a wall, a table) to the set.
    pub fn add_static_box(&mut self, center: Vec3, half_extents: Vec3) -> ColliderHandle {
        self.world.insert_collider(
            ColliderBuilder::cuboid(half_extents.x, half_extents.y, half_extents.z)
                .translation(center)
                .build(),
            None,
        )
    }
}

/// Spawns a dynamic box prop: an entity with a rigid body, a mesh and a material.
pub fn spawn_prop(
    world: &mut World,
    physics: &mut PhysicsContext,
    mesh: &str,
    material: Material,
    half_extents: Vec3,
    position: Vec3,
    velocity: Vec3,
) -> Entity {
    let body = RigidBodyBuilder::dynamic()
        .translation(position)
        .linvel(velocity)
        .build();
    let collider = ColliderBuilder::cuboid(half_extents.x, half_extents.y, half_extents.z)
        .density(400.0)
        .friction(0.7)
        .restitution(0.2)
        .active_events(ActiveEvents::COLLISION_EVENTS)
        .build();
    let (handle, collider) = physics.world.insert(body, collider);
    let pose = (position, Quat::IDENTITY);
    let entity = world.spawn((
        Transform {
            translation: position,
            rotation: Quat::IDENTITY,
            scale: half_extents * 2.0,
        },
        Mesh(mesh.to_owned()),
        material,
        Prop {
            body: handle,
            previous: pose,
            current: pose,
        },
        SetPiece,
    ));
    // Impacts name the entity that hit.
    if let Some(c) = physics.world.colliders.get_mut(collider) {
        c.user_data = u128::from(entity.to_bits().get());
    }
    entity
}

/// Removes a prop's body (call before despawning its entity).
pub fn remove_prop(physics: &mut PhysicsContext, prop: &Prop) {
    physics.world.remove_body(prop.body);
}

/// Advances physics by `frame_dt` seconds of display time in fixed steps and
/// writes interpolated poses into the props' transforms. Returns the number
/// of fixed steps taken.
pub fn physics_system(world: &mut World, physics: &mut PhysicsContext, frame_dt: f32) -> u32 {
    let step = f64::from(PhysicsContext::STEP);
    physics.impacts.clear();
    physics.accumulator += f64::from(frame_dt.max(0.0));
    let mut n = 0;
    // The epsilon absorbs f32 frame times: 60 frames of 1/60 s are 120 steps.
    while physics.accumulator + 1e-6 >= step && n < PhysicsContext::MAX_STEPS_PER_FRAME {
        for prop in world.query_mut::<&mut Prop>() {
            prop.previous = prop.current;
        }
        physics.world.step_with_events(&(), &physics.collector);
        if let Ok(mut v) = physics.collector.impacts.lock() {
            let room = PhysicsContext::MAX_IMPACTS - physics.impacts.len();
            let n = v.len().min(room);
            physics.impacts.extend(v.drain(..).take(n));
            v.clear();
        }
        for prop in world.query_mut::<&mut Prop>() {
            if let Some(b) = physics.world.bodies.get(prop.body) {
                prop.current = (b.translation(), *b.rotation());
            }
        }
        physics.accumulator -= step;
        physics.steps += 1;
        n += 1;
    }
    if n == PhysicsContext::MAX_STEPS_PER_FRAME {
        // Fell behind: drop the backlog instead of spiralling.
        physics.accumulator = physics.accumulator.min(step);
    }
    physics.accumulator = physics.accumulator.max(0.0);
    physics.alpha = (physics.accumulator / step).clamp(0.0, 1.0) as f32;
    let a = physics.alpha;
    for (t, prop) in world.query_mut::<(&mut Transform, &Prop)>() {
        t.translation = prop.previous.0.lerp(prop.current.0, a);
        t.rotation = prop.previous.1.slerp(prop.current.1, a);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drop_box(frame_hz: f32, seconds: f32) -> (Vec3, u64) {
        let mut world = World::new();
        let mut physics = PhysicsContext::new();
        let e = spawn_prop(
            &mut world,
            &mut physics,
            "crate",
            Material::default(),
            Vec3::splat(0.25),
            Vec3::new(0.0, 3.0, -2.0),
            Vec3::ZERO,
        );
        let frames = (seconds * frame_hz).round() as u32;
        for _ in 0..frames {
            physics_system(&mut world, &mut physics, 1.0 / frame_hz);
        }
        let p = world.get::<&Prop>(e).unwrap().current.0;
        (p, physics.steps())
    }

    #[test]
    fn a_dropped_box_comes_to_rest_on_the_floor() {
        let (p, _) = drop_box(90.0, 3.0);
        assert!((p.y - 0.25).abs() < 0.02, "resting height {p}");
        assert!((p.x).abs() < 0.03 && (p.z + 2.0).abs() < 0.03, "{p}");
    }

    #[test]
    fn physics_does_not_depend_on_the_display_rate() {
        // 2 s at 60, 72, 90 and 120 Hz: the same fixed steps, the same result.
        let runs: Vec<_> = [60.0, 72.0, 90.0, 120.0]
            .iter()
            .map(|&hz| drop_box(hz, 2.0))
            .collect();
        for r in &runs {
            assert_eq!(r.1, 240, "fixed steps");
            assert_eq!(r.0, runs[0].0, "same pose");
        }
    }

    #[test]
    fn transforms_are_interpolated_between_steps() {
        let mut world = World::new();
        let mut physics = PhysicsContext::new();
        let e = spawn_prop(
            &mut world,
            &mut physics,
            "crate",
            Material::default(),
            Vec3::splat(0.1),
            Vec3::new(0.0, 5.0, 0.0),
            Vec3::ZERO,
        );
        physics_system(&mut world, &mut physics, 0.1);
        // Half a step more: the transform lies between the two step poses.
        physics_system(&mut world, &mut physics, PhysicsContext::STEP * 0.5);
        let prop = *world.get::<&Prop>(e).unwrap();
        let t = world.get::<&Transform>(e).unwrap().translation;
        assert!(
            physics.alpha() > 0.4 && physics.alpha() < 0.6,
            "{}",
            physics.alpha()
        );
        assert!(
            t.y < prop.previous.0.y && t.y > prop.current.0.y,
            "{t} between {:?} and {:?}",
            prop.previous,
            prop.current
        );
    }

    #[test]
    fn a_falling_prop_reports_one_impact_where_it_lands() {
        let mut world = World::new();
        let mut physics = PhysicsContext::new();
        let e = spawn_prop(
            &mut world,
            &mut physics,
            "crate",
            Material::default(),
            Vec3::splat(0.25),
            Vec3::new(1.0, 2.0, -2.0),
            Vec3::ZERO,
        );
        let mut hits = Vec::new();
        for _ in 0..180 {
            physics_system(&mut world, &mut physics, 1.0 / 90.0);
            hits.extend_from_slice(physics.impacts());
        }
        let first = hits.first().expect("the landing is heard");
        assert_eq!(first.entity, Some(e));
        // Dropped from 2 m (1.75 m fall): about 5.9 m/s at contact.
        assert!((first.speed - 5.86).abs() < 0.6, "{first:?}");
        assert!(first.position.y < 0.5, "where it lands: {first:?}");
        assert!((first.position.x - 1.0).abs() < 0.1 && (first.position.z + 2.0).abs() < 0.1);
        // Bounces are quieter; a box at rest makes no more sound.
        assert!(
            hits.iter().skip(1).all(|h| h.speed < first.speed),
            "{hits:?}"
        );
        physics_system(&mut world, &mut physics, 1.0 / 90.0);
        assert!(physics.impacts().is_empty());
    }

    #[test]
    fn a_long_stall_is_capped_not_spiralled() {
        let mut world = World::new();
        let mut physics = PhysicsContext::new();
        let n = physics_system(&mut world, &mut physics, 5.0);
        assert_eq!(n, PhysicsContext::MAX_STEPS_PER_FRAME);
        assert_eq!(physics_system(&mut world, &mut physics, 0.0), 1);
    }
}
