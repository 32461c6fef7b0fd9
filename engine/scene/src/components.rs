//! Components of the scene world.

use glam::{Quat, Vec3, Vec4};
use rapier3d::prelude::RigidBodyHandle;
use showrunner_core::Fate;

/// Where an entity is, in metres, in the viewer's stage space (y up, the
/// viewer's seat at the origin facing −z).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    /// Position.
    pub translation: Vec3,
    /// Orientation.
    pub rotation: Quat,
    /// Scale.
    pub scale: Vec3,
}

impl Default for Transform {
    fn default() -> Self {
        Self {
            translation: Vec3::ZERO,
            rotation: Quat::IDENTITY,
            scale: Vec3::ONE,
        }
    }
}

impl Transform {
    /// At a position, unrotated, unscaled.
    pub fn at(translation: Vec3) -> Self {
        Self {
            translation,
            ..Self::default()
        }
    }

    /// The model matrix.
    pub fn matrix(&self) -> glam::Mat4 {
        glam::Mat4::from_scale_rotation_translation(self.scale, self.rotation, self.translation)
    }
}

/// Which mesh to draw: a name in the asset library (a glTF mesh, or a built-in primitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mesh(pub String);

/// Further meshes an entity draws with its own transform, material and skin: the other
/// parts of a model made of several (a VRM avatar's body, face and hair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts(pub Vec<String>);

/// Words in the world: the renderer typesets `text` as `look` says and draws it on a
/// quad in the entity's plane (facing its +z), sized by the text at the headset's pixel
/// density, not by the transform's scale. Unlit and ungraded: words never change with
/// the director's grade, so they never flash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The words (any UTF-8; `NAME: line` sets the speaker apart).
    pub text: String,
    /// How they are set.
    pub look: LabelLook,
}

/// The kinds of words the film shows, each with its typography (the renderer's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelLook {
    /// A subtitle: on a dark plate, anchored at its top edge (more lines grow downward,
    /// away from the action).
    Subtitle,
    /// The face of a choice panel, centred on it.
    Panel,
    /// A panel whose entry does nothing (a menu entry with nothing to act on): dimmed.
    PanelGreyed,
    /// A notice, a menu or the credits: flush left on a plate, centred on the entity.
    Notice,
}

/// PBR-lite material.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Material {
    /// Linear RGBA base colour.
    pub base_color: Vec4,
    /// 0 dielectric ..= 1 metal.
    pub metallic: f32,
    /// 0 mirror ..= 1 matte.
    pub roughness: f32,
    /// Linear RGB emission.
    pub emissive: Vec3,
}

impl Default for Material {
    fn default() -> Self {
        Self {
            base_color: Vec4::new(0.8, 0.8, 0.8, 1.0),
            metallic: 0.0,
            roughness: 0.6,
            emissive: Vec3::ZERO,
        }
    }
}

/// A character of the story.
#[derive(Debug, Clone, PartialEq)]
pub struct Character {
    /// The story's name for them (`mara`).
    pub id: String,
    /// Their role from `cast:` (`keeper`).
    pub role: String,
    /// Their fate so far.
    pub fate: Fate,
    /// The mark they walk to.
    pub target: Vec3,
    /// Walking speed, m/s.
    pub walk_speed: f32,
}

/// Procedural animation state the renderer applies to a character's rig.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pose {
    /// Vertical breathing/step bob, metres.
    pub bob: f32,
    /// Head turn, radians (+ left).
    pub head_yaw: f32,
    /// Arm raise for gestures, 0 (down) ..= 1 (raised).
    pub arm_raise: f32,
    /// Walk cycle phase, radians.
    pub stride_phase: f32,
    /// Walking speed this frame, m/s (0 standing on the mark).
    pub speed: f32,
    /// Speaking the current line.
    pub talking: bool,
    /// Standing, kneeling or fallen.
    pub stance: Stance,
    /// The speaker's key light on them, 0..=1 (eased in and out as lines change hands).
    pub key: f32,
    /// Whom they turn to once on their mark (stage space): whoever they speak to or listen
    /// to, or someone fallen; `None` faces the viewer.
    pub attend: Option<Vec3>,
}

/// How a character holds themselves: what the kneel and fall clips play.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stance {
    /// On their feet (idle, walk, talk).
    #[default]
    Standing,
    /// Down on one knee (beside someone who has fallen).
    Kneeling,
    /// On the ground: the story killed them; they lie there until the scene changes.
    Fallen,
}

/// A light.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Light {
    /// Sun or moon: parallel rays along `direction` (which it shines towards).
    Directional {
        /// Direction of travel of the light, normalised.
        direction: Vec3,
        /// Linear RGB × intensity.
        color: Vec3,
    },
    /// The set's sky light: multiplies the room's ambient light (per channel), so a night
    /// scene is dark and a dusk one warm in any room.
    Ambient {
        /// Linear RGB factor (1 leaves the room's ambient as it is).
        color: Vec3,
    },
    /// A lamp at the entity's position.
    Point {
        /// Linear RGB × intensity.
        color: Vec3,
        /// Range, metres.
        range: f32,
    },
}

/// A named spot on the set where characters stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark(pub String);

/// A physical prop: its rigid body and the last two fixed-step poses, for
/// interpolation at the display rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prop {
    /// The body in [`crate::physics::PhysicsContext`].
    pub body: RigidBodyHandle,
    /// Pose at the previous fixed step.
    pub previous: (Vec3, Quat),
    /// Pose at the latest fixed step.
    pub current: (Vec3, Quat),
}

/// Belongs to the current set; removed when the scene changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetPiece;

/// The viewer's head, as the headset (or the desktop mouse) reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Viewer {
    /// Head pose in stage space.
    pub head: Transform,
}
