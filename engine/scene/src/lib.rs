//! The staged scene: a [`hecs`] world of sets, characters, props and lights
//! that story directives stage around the viewer, with [`rapier3d`] physics
//! on a fixed timestep, interpolated to the display rate.
//!
//! In the style of Hotham: [`physics::PhysicsContext`] wraps the external
//! physics state; systems are plain functions over the world, with their
//! tests beside them:
//!
//! - [`staging::staging_system`] — directives (`scene`, `cast`, `fate`,
//!   `stakes`, `palette`, `intensity`, `shot`) → entities and [`staging::Stage`];
//! - [`animation::locomotion_system`] — characters walk to their marks;
//! - [`animation::gesture_system`] — procedural idle and gesture animation;
//! - [`rig::skinning_system`] — actors with a skeleton act: their clips (idle, walk, talk,
//!   kneel, fall) blended by locomotion, speech and stance, the gesture pose on top;
//! - [`physics::physics_system`] — fixed-step rapier, interpolated poses;
//! - [`choices::choice_panels_system`] — a panel per choice on offer, labelled
//!   with its words, picked by pointing ([`choices::aimed_choice`]);
//! - [`captions::subtitle_system`] — the current line below the viewer's gaze,
//!   following the head softly and kept clear of the action;
//! - [`atmosphere::rain_system`] — the air: rain falling round the viewer, spray where the
//!   sea breaks, lightning within the flash limit (the set's [`atmosphere::Atmosphere`] also
//!   sets the renderer's height fog);
//! - [`vantage::Vantage`] — where the viewer watches from (`view:`), changed only at the
//!   bottom of a comfort fade.
//!
//! [`Scene`] holds one staged scene (world, stage, physics, set library) and runs the
//! systems in their one order: [`Scene::stage`] for a beat's directives, [`Scene::step`] per
//! frame (locomotion, gesture, physics). Front ends and offline renders step scenes through it.
//!
//! The renderer reads [`components::Transform`], [`components::Mesh`],
//! [`components::Material`], [`components::Light`], [`components::Pose`] and
//! [`components::Label`];
//! this crate has no graphics dependency. All maths is [`glam`] (the same
//! version rapier uses, so poses pass between them without conversion).

pub mod animation;
pub mod atmosphere;
pub mod captions;
pub mod choices;
pub mod components;
pub mod physics;
pub mod rig;
mod scene;
pub mod sets;
pub mod staging;
pub mod vantage;

pub use glam;
pub use hecs;
pub use scene::Scene;
