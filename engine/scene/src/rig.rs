//! Skeletons and their clips: what makes an actor act. A [`Rig`] is a skinned model's
//! skeleton (joints with their rest pose and inverse bind matrices, as glTF stores them) and
//! its animation clips; an actor on stage carries it in a [`Skin`], whose joint palette
//! [`skinning_system`] recomputes every frame from the character's [`Pose`]: the five acts
//! (idle, walk, talk, kneel, fall) blended by locomotion, speech and stance, the director's
//! intensity in their tempo, and the gesture pose (arm raise, head turn) layered on top.
//!
//! Nothing here allocates per frame once a skin has run one frame; sampling never panics on
//! any rig [`Rig::new`] accepted.

use std::sync::Arc;

use glam::{Mat4, Quat, Vec3, Vec4};
use hecs::World;

use crate::components::{Character, Pose, Stance};

/// A joint's local transform: translation, rotation, scale (glTF's TRS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trs {
    /// Translation from the parent joint, metres.
    pub translation: Vec3,
    /// Rotation relative to the parent joint.
    pub rotation: Quat,
    /// Scale.
    pub scale: Vec3,
}

impl Default for Trs {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl Trs {
    /// No transform.
    pub const IDENTITY: Self = Self {
        translation: Vec3::ZERO,
        rotation: Quat::IDENTITY,
        scale: Vec3::ONE,
    };

    /// At `translation`, unrotated.
    pub fn at(translation: Vec3) -> Self {
        Self {
            translation,
            ..Self::IDENTITY
        }
    }

    /// The matrix.
    pub fn matrix(&self) -> Mat4 {
        Mat4::from_scale_rotation_translation(self.scale, self.rotation, self.translation)
    }

    /// Between `self` (w = 0) and `other` (w = 1): translation and scale linearly, rotation
    /// along the shorter arc.
    pub fn lerp(&self, other: &Trs, w: f32) -> Trs {
        Trs {
            translation: self.translation.lerp(other.translation, w),
            rotation: self.rotation.slerp(other.rotation, w),
            scale: self.scale.lerp(other.scale, w),
        }
    }
}

/// One joint of a skeleton.
#[derive(Debug, Clone, PartialEq)]
pub struct Joint {
    /// Its name in the file (`upper_arm.R`, `mixamorig:Head`).
    pub name: String,
    /// Its parent joint, when it has one in the skeleton.
    pub parent: Option<usize>,
    /// Its rest (bind) pose relative to the parent.
    pub rest: Trs,
}

/// What a track of a clip moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The joint's translation (values are xyz).
    Translation,
    /// The joint's rotation (values are a quaternion, xyzw).
    Rotation,
    /// The joint's scale (values are xyz).
    Scale,
}

/// One joint's keyframes for one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The joint it moves (an index into [`Rig::joints`]).
    pub joint: usize,
    /// Which of its transform's parts.
    pub channel: Channel,
    /// Key times, seconds, ascending.
    pub times: Vec<f32>,
    /// One value per key.
    pub values: Vec<Vec4>,
    /// Held until the next key (glTF `STEP`) rather than interpolated.
    pub step: bool,
}

impl Track {
    fn sample(&self, t: f32) -> Vec4 {
        let n = self.times.len();
        let i = self.times.partition_point(|&k| k <= t);
        if i == 0 {
            return self.values[0];
        }
        if i >= n || self.step {
            return self.values[i.min(n) - 1];
        }
        let (t0, t1) = (self.times[i - 1], self.times[i]);
        let w = if t1 > t0 { (t - t0) / (t1 - t0) } else { 1.0 };
        let (a, b) = (self.values[i - 1], self.values[i]);
        match self.channel {
            Channel::Rotation => Vec4::from(Quat::from_vec4(a).slerp(Quat::from_vec4(b), w)),
            _ => a.lerp(b, w),
        }
    }
}

/// An animation clip: tracks over joints.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// Its name (`idle`, `walk`, `talk`, `kneel`, `fall` are the ones actors act with).
    pub name: String,
    /// Length, seconds (the last key's time).
    pub duration: f32,
    /// What moves.
    pub tracks: Vec<Track>,
}

impl Clip {
    /// Writes the clip's pose at `t` seconds (clamped to the clip) into `pose`, joint by
    /// joint; joints the clip does not move keep what `pose` held.
    pub fn sample(&self, t: f32, pose: &mut [Trs]) {
        let t = t.clamp(0.0, self.duration.max(0.0));
        for track in &self.tracks {
            let Some(j) = pose.get_mut(track.joint) else {
                continue;
            };
            let v = track.sample(t);
            match track.channel {
                Channel::Translation => j.translation = v.truncate(),
                Channel::Rotation => j.rotation = Quat::from_vec4(v).normalize(),
                Channel::Scale => j.scale = v.truncate(),
            }
        }
    }
}

/// The five things an actor does, each a clip of the rig (by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Act {
    /// Standing, breathing (loops).
    Idle,
    /// A walk cycle of one stride pair (loops; phase follows the distance walked).
    Walk,
    /// Speaking: head and hands (loops; layered over the upper body).
    Talk,
    /// Going down on one knee (plays once and holds).
    Kneel,
    /// Falling to the ground (plays once and holds).
    Fall,
}

impl Act {
    /// Every act, in the order of [`Act::index`].
    pub const ALL: [Act; 5] = [Act::Idle, Act::Walk, Act::Talk, Act::Kneel, Act::Fall];

    /// The clip name that plays it.
    pub fn name(self) -> &'static str {
        match self {
            Act::Idle => "idle",
            Act::Walk => "walk",
            Act::Talk => "talk",
            Act::Kneel => "kneel",
            Act::Fall => "fall",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Joints the procedural layer moves, found by name ([`Bones::find`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bones {
    /// Hips (the root of the body).
    pub hips: Option<usize>,
    /// The upper spine or chest.
    pub chest: Option<usize>,
    /// Neck.
    pub neck: Option<usize>,
    /// Head.
    pub head: Option<usize>,
    /// The right upper arm.
    pub upper_arm_r: Option<usize>,
    /// The right forearm.
    pub forearm_r: Option<usize>,
    /// The left upper arm.
    pub upper_arm_l: Option<usize>,
    /// The left forearm.
    pub forearm_l: Option<usize>,
}

/// A joint name reduced for matching: lower case, letters and digits only, common rig
/// prefixes (`mixamorig:`, VRoid's `J_Bip_`) removed.
fn reduced(name: &str) -> String {
    let s: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let s = s.strip_prefix("mixamorig").unwrap_or(&s);
    match s.strip_prefix("jbip").or_else(|| s.strip_prefix("jadj")) {
        // VRoid: `J_Bip_C_Head` (centre), `J_Bip_R_UpperArm` (sides keep their letter).
        Some(v) => v.strip_prefix('c').unwrap_or(v).to_owned(),
        None => s.to_owned(),
    }
}

impl Bones {
    /// The bones of `joints` by the names rigs commonly give them (this project's, Blender's
    /// Rigify-style `upper_arm.R`, Mixamo's, VRoid's).
    pub fn find(joints: &[Joint]) -> Self {
        let names: Vec<String> = joints.iter().map(|j| reduced(&j.name)).collect();
        let pick = |candidates: &[&str]| {
            candidates
                .iter()
                .find_map(|c| names.iter().position(|n| n == c))
        };
        Self {
            hips: pick(&["hips", "pelvis", "hip"]),
            chest: pick(&["chest", "upperchest", "spine2", "spine1", "spine"]),
            neck: pick(&["neck"]),
            head: pick(&["head"]),
            upper_arm_r: pick(&["upperarmr", "rightarm", "rightupperarm", "rupperarm"]),
            forearm_r: pick(&["forearmr", "rightforearm", "rightlowerarm", "rlowerarm"]),
            upper_arm_l: pick(&["upperarml", "leftarm", "leftupperarm", "lupperarm"]),
            forearm_l: pick(&["forearml", "leftforearm", "leftlowerarm", "llowerarm"]),
        }
    }
}

/// A skeleton with its clips: what a skinned model brings to the stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Rig {
    /// The joints, in the order the mesh's joint indices count them.
    pub joints: Vec<Joint>,
    /// Per joint: model space to the joint's bind space.
    pub inverse_bind: Vec<Mat4>,
    /// Where the skeleton's root joints sit in the model (the transforms of their ancestors
    /// that are not joints: an exporter's armature node).
    pub root: Mat4,
    /// Its clips.
    pub clips: Vec<Clip>,
    /// Joints in an order where every parent comes before its children.
    order: Vec<usize>,
    /// The clip for each [`Act`], when the rig has one.
    acts: [Option<usize>; 5],
    /// The joints the procedural layer moves.
    pub bones: Bones,
    /// Joints of the upper body (the talk clip's layer): the chest and everything below it.
    upper: Vec<bool>,
}

impl Rig {
    /// Checks and indexes a skeleton: as many inverse bind matrices as joints, every parent
    /// an existing joint and no cycles, finite matrices, every track on an existing joint
    /// with ascending, finite times and one value per key. The error says what and where.
    pub fn new(
        joints: Vec<Joint>,
        inverse_bind: Vec<Mat4>,
        root: Mat4,
        clips: Vec<Clip>,
    ) -> Result<Self, String> {
        let n = joints.len();
        if n == 0 {
            return Err("the skin has no joints".into());
        }
        if inverse_bind.len() != n {
            return Err(format!(
                "{} inverse bind matrices for {n} joints",
                inverse_bind.len()
            ));
        }
        if let Some(k) = inverse_bind.iter().position(|m| !m.is_finite()) {
            return Err(format!(
                "joint `{}`: its inverse bind matrix is not finite",
                joints[k].name
            ));
        }
        // Parents first: a depth-first order from the roots; a joint left out is in a cycle.
        let mut children = vec![Vec::new(); n];
        let mut order = Vec::with_capacity(n);
        for (k, j) in joints.iter().enumerate() {
            match j.parent {
                Some(p) if p >= n => {
                    return Err(format!(
                        "joint `{}`: parent {p} is not a joint of the skin",
                        j.name
                    ))
                }
                Some(p) => children[p].push(k),
                None => order.push(k),
            }
        }
        let mut at = 0;
        while at < order.len() {
            let k = order[at];
            order.extend(children[k].iter().copied());
            at += 1;
        }
        if order.len() != n {
            return Err("the skeleton's joints form a cycle".into());
        }
        for c in &clips {
            for t in &c.tracks {
                let bad = if t.joint >= n {
                    Some(format!("a track moves joint {}, past {n} joints", t.joint))
                } else if t.times.is_empty() || t.times.len() != t.values.len() {
                    Some(format!(
                        "joint `{}`: {} key times for {} values",
                        joints[t.joint].name,
                        t.times.len(),
                        t.values.len()
                    ))
                } else if t.times.iter().any(|x| !x.is_finite())
                    || t.times.windows(2).any(|w| w[1] < w[0])
                {
                    Some(format!(
                        "joint `{}`: key times are not finite and ascending",
                        joints[t.joint].name
                    ))
                } else if t.values.iter().any(|v| !v.is_finite()) {
                    Some(format!(
                        "joint `{}`: a key value is not finite",
                        joints[t.joint].name
                    ))
                } else {
                    None
                };
                if let Some(b) = bad {
                    return Err(format!("animation `{}`: {b}", c.name));
                }
            }
        }
        let mut acts = [None; 5];
        for act in Act::ALL {
            acts[act.index()] = clips
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(act.name()));
        }
        let bones = Bones::find(&joints);
        let mut upper = vec![false; n];
        if let Some(chest) = bones.chest.or(bones.neck) {
            for &k in &order {
                upper[k] = k == chest || joints[k].parent.is_some_and(|p| upper[p]);
            }
        }
        Ok(Self {
            joints,
            inverse_bind,
            root,
            clips,
            order,
            acts,
            bones,
            upper,
        })
    }

    /// The same skeleton placed in its model by `root` instead (an avatar turned round).
    pub fn placed(&self, root: Mat4) -> Self {
        Self {
            root,
            ..self.clone()
        }
    }

    /// The clip that plays `act`, when the rig has one.
    pub fn clip(&self, act: Act) -> Option<&Clip> {
        self.acts[act.index()].map(|i| &self.clips[i])
    }

    /// The joint called `name`.
    pub fn joint(&self, name: &str) -> Option<usize> {
        self.joints.iter().position(|j| j.name == name)
    }

    /// The rest pose.
    pub fn rest(&self) -> Vec<Trs> {
        self.joints.iter().map(|j| j.rest).collect()
    }

    /// Model-space transforms of every joint for the local `pose`, into `globals`.
    pub fn globals(&self, pose: &[Trs], globals: &mut Vec<Mat4>) {
        globals.clear();
        globals.resize(self.joints.len(), Mat4::IDENTITY);
        for &k in &self.order {
            let parent = self.joints[k].parent.map_or(self.root, |p| globals[p]);
            globals[k] = parent * pose[k].matrix();
        }
    }
}

/// How an actor's acts blend, eased so nothing snaps (seconds to reach ~63 %).
const EASE_S: f32 = 0.25;
/// Walking faster than this (m/s) is all walk; slower blends towards idle.
const FULL_WALK: f32 = 0.6;

/// An actor's skeleton on stage: the rig, the blend of its acts, and the joint palette the
/// renderer skins with.
#[derive(Debug, Clone)]
pub struct Skin {
    /// The rig (shared by every entity playing the model).
    pub rig: Arc<Rig>,
    /// Per joint, model space to posed model space (`global × inverse bind`): what the vertex
    /// shader blends.
    pub palette: Vec<Mat4>,
    /// Eased weight of each act ([`Act::ALL`] order).
    pub weights: [f32; 5],
    /// Each act's clock, seconds.
    clocks: [f32; 5],
    local: Vec<Trs>,
    layer: Vec<Trs>,
    globals: Vec<Mat4>,
}

impl Skin {
    /// A skin for `rig`, at rest.
    pub fn new(rig: Arc<Rig>) -> Self {
        let n = rig.joints.len();
        let mut s = Self {
            rig,
            palette: vec![Mat4::IDENTITY; n],
            weights: [1.0, 0.0, 0.0, 0.0, 0.0],
            clocks: [0.0; 5],
            local: Vec::with_capacity(n),
            layer: Vec::with_capacity(n),
            globals: Vec::with_capacity(n),
        };
        s.pose_rest();
        s
    }

    fn pose_rest(&mut self) {
        self.local.clear();
        self.local.extend(self.rig.joints.iter().map(|j| j.rest));
        self.finish();
    }

    fn finish(&mut self) {
        self.rig.globals(&self.local, &mut self.globals);
        for ((p, g), ib) in self
            .palette
            .iter_mut()
            .zip(&self.globals)
            .zip(&self.rig.inverse_bind)
        {
            *p = *g * *ib;
        }
    }

    /// A joint's posed position in model space.
    pub fn joint_position(&self, joint: usize) -> Option<Vec3> {
        self.globals.get(joint).map(|g| g.w_axis.truncate())
    }

    /// Moves the acts on by `dt` at `intensity` and poses the skeleton from `pose`.
    pub fn animate(&mut self, pose: &Pose, walk_speed: f32, intensity: f32, dt: f32) {
        let rig = Arc::clone(&self.rig);
        let i = intensity.clamp(0.0, 1.0);
        // Targets: stance overrides all; then walking; talking layers over the upper body.
        let walking = (pose.speed / FULL_WALK.min(walk_speed.max(0.1))).clamp(0.0, 1.0);
        // One kneels once arrived (walking there first).
        let (kneel, fall) = match pose.stance {
            Stance::Standing => (0.0, 0.0),
            Stance::Kneeling => (1.0 - walking, 0.0),
            Stance::Fallen => (0.0, 1.0),
        };
        let down = kneel + fall;
        let target = [
            (1.0 - walking) * (1.0 - down),
            walking * (1.0 - down),
            if pose.talking { 1.0 - down } else { 0.0 },
            kneel,
            fall,
        ];
        let k = 1.0 - (-dt / EASE_S).exp();
        for (w, t) in self.weights.iter_mut().zip(target) {
            *w += (t - *w) * k;
        }
        // Clocks: idle and talk quicken with intensity; walk follows the stride; kneel and
        // fall run from when they start and hold their last pose.
        let tempo = 0.8 + 0.5 * i;
        self.clocks[0] += dt * tempo;
        if let Some(c) = rig.clip(Act::Walk) {
            self.clocks[1] = pose.stride_phase / std::f32::consts::TAU * c.duration;
        }
        self.clocks[2] += dt * tempo;
        for (k, on) in [(3, kneel), (4, fall)] {
            self.clocks[k] = if on > 0.0 { self.clocks[k] + dt } else { 0.0 };
        }
        // Base: idle and walk in proportion; then kneel and fall over them; then talk over
        // the upper body.
        self.local.clear();
        self.local.extend(rig.joints.iter().map(|j| j.rest));
        let looped = |c: &Clip, t: f32| {
            if c.duration > 0.0 {
                t.rem_euclid(c.duration)
            } else {
                0.0
            }
        };
        let mut have = 0.0;
        for act in [Act::Idle, Act::Walk, Act::Kneel, Act::Fall] {
            let w = self.weights[act.index()];
            let Some(clip) = rig.clip(act) else { continue };
            if w < 1e-3 {
                continue;
            }
            let t = match act {
                Act::Idle | Act::Walk => looped(clip, self.clocks[act.index()]),
                _ => self.clocks[act.index()],
            };
            self.layer.clear();
            self.layer.extend(rig.joints.iter().map(|j| j.rest));
            clip.sample(t, &mut self.layer);
            have += w;
            let share = w / have;
            for (l, s) in self.local.iter_mut().zip(&self.layer) {
                *l = l.lerp(s, share);
            }
        }
        let talk = self.weights[Act::Talk.index()];
        if let (Some(clip), true) = (rig.clip(Act::Talk), talk > 1e-3) {
            self.layer.clear();
            self.layer.extend(self.local.iter().copied());
            clip.sample(looped(clip, self.clocks[2]), &mut self.layer);
            for ((l, s), up) in self.local.iter_mut().zip(&self.layer).zip(&rig.upper) {
                if *up {
                    *l = l.lerp(s, talk);
                }
            }
        }
        // The gesture pose, over whatever the clips did: the head turns, the right arm rises
        // (a model without those joints, or without a skeleton at all, simply does not).
        let upright = 1.0 - down;
        let b = rig.bones;
        if let Some(h) = b.head.or(b.neck) {
            self.local[h].rotation =
                Quat::from_rotation_y(pose.head_yaw * upright) * self.local[h].rotation;
        }
        let raise = pose.arm_raise.clamp(0.0, 1.0) * upright;
        if raise > 0.0 {
            if let Some(a) = b.upper_arm_r {
                // Forward and up, about the body's side-to-side axis as the parent sees it.
                self.local[a].rotation =
                    self.local[a].rotation * Quat::from_axis_angle(self.arm_axis(a), 1.0 * raise);
            }
            if let Some(f) = b.forearm_r {
                self.local[f].rotation =
                    self.local[f].rotation * Quat::from_axis_angle(self.arm_axis(f), 1.2 * raise);
            }
        }
        self.finish();
    }

    /// The model's side-to-side (x) axis in `joint`'s own frame at rest, so a raise bends
    /// the arm forward whatever way the rig's joints are oriented.
    fn arm_axis(&self, joint: usize) -> Vec3 {
        let mut rot = Quat::IDENTITY;
        let mut at = Some(joint);
        while let Some(k) = at {
            rot = self.rig.joints[k].rest.rotation * rot;
            at = self.rig.joints[k].parent;
        }
        let (_, root_rot, _) = self.rig.root.to_scale_rotation_translation();
        ((root_rot * rot).inverse() * Vec3::X).normalize_or(Vec3::X)
    }
}

/// Poses every actor with a skeleton from its [`Pose`] (after the locomotion and gesture
/// systems), at the scene's `intensity`.
pub fn skinning_system(world: &mut World, intensity: f32, dt: f32) {
    for (c, pose, skin) in world.query_mut::<(&Character, &Pose, &mut Skin)>() {
        skin.animate(pose, c.walk_speed, intensity, dt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-bone arm along +y: shoulder at the origin, elbow at 0.3 m, with a clip that
    /// turns the shoulder 90° about z over one second.
    fn arm() -> Rig {
        let joints = vec![
            Joint {
                name: "upper_arm.R".into(),
                parent: None,
                rest: Trs::IDENTITY,
            },
            Joint {
                name: "forearm.R".into(),
                parent: Some(0),
                rest: Trs::at(Vec3::Y * 0.3),
            },
        ];
        let ib = vec![Mat4::IDENTITY, Mat4::from_translation(-Vec3::Y * 0.3)];
        let clip = Clip {
            name: "idle".into(),
            duration: 1.0,
            tracks: vec![Track {
                joint: 0,
                channel: Channel::Rotation,
                times: vec![0.0, 1.0],
                values: vec![
                    Vec4::from(Quat::IDENTITY),
                    Vec4::from(Quat::from_rotation_z(std::f32::consts::FRAC_PI_2)),
                ],
                step: false,
            }],
        };
        Rig::new(joints, ib, Mat4::IDENTITY, vec![clip]).unwrap()
    }

    #[test]
    fn the_bind_pose_leaves_the_mesh_where_it_is() {
        let skin = Skin::new(Arc::new(arm()));
        for p in &skin.palette {
            assert!(p.abs_diff_eq(Mat4::IDENTITY, 1e-6), "{p}");
        }
    }

    #[test]
    fn clips_interpolate_rotations_and_clamp_time() {
        let rig = arm();
        let clip = rig.clip(Act::Idle).unwrap();
        let mut pose = rig.rest();
        clip.sample(0.5, &mut pose);
        let (axis, angle) = pose[0].rotation.to_axis_angle();
        assert!((angle - std::f32::consts::FRAC_PI_4).abs() < 1e-4 && axis.z > 0.99);
        clip.sample(7.0, &mut pose);
        assert!((pose[0].rotation.to_axis_angle().1 - std::f32::consts::FRAC_PI_2).abs() < 1e-4);
        assert_eq!(
            pose[1], rig.joints[1].rest,
            "untracked joints keep their pose"
        );
        let mut g = Vec::new();
        rig.globals(&pose, &mut g);
        // The elbow swung from +y to −x.
        assert!(g[1]
            .w_axis
            .truncate()
            .abs_diff_eq(Vec3::new(-0.3, 0.0, 0.0), 1e-5));
    }

    #[test]
    fn the_gesture_pose_bends_the_arm() {
        let rig =
            Arc::new(Rig::new(arm().joints, arm().inverse_bind, Mat4::IDENTITY, vec![]).unwrap());
        let mut skin = Skin::new(rig);
        let hand_at = |skin: &Skin| skin.joint_position(1).unwrap();
        let rest = hand_at(&skin);
        let pose = Pose {
            arm_raise: 1.0,
            ..Pose::default()
        };
        skin.animate(&pose, 1.0, 0.5, 1.0 / 60.0);
        let raised = hand_at(&skin);
        assert!(raised.distance(rest) > 0.05, "{rest} → {raised}");
        skin.animate(&Pose::default(), 1.0, 0.5, 1.0 / 60.0);
        assert!(hand_at(&skin).abs_diff_eq(rest, 1e-5), "and lowers again");
    }

    #[test]
    fn bad_skeletons_are_refused_with_the_reason() {
        let mut j = arm().joints;
        j[0].parent = Some(1);
        let e = Rig::new(j, arm().inverse_bind, Mat4::IDENTITY, vec![]).unwrap_err();
        assert!(e.contains("cycle"), "{e}");
        let e = Rig::new(arm().joints, vec![Mat4::IDENTITY], Mat4::IDENTITY, vec![]).unwrap_err();
        assert!(e.contains("1 inverse bind matrices for 2 joints"), "{e}");
        let mut clip = arm().clips[0].clone();
        clip.tracks[0].times = vec![1.0, 0.0];
        let e = Rig::new(arm().joints, arm().inverse_bind, Mat4::IDENTITY, vec![clip]).unwrap_err();
        assert!(
            e.contains("animation `idle`") && e.contains("ascending"),
            "{e}"
        );
    }

    #[test]
    fn bones_are_found_by_the_names_rigs_use() {
        let named = |names: &[&str]| {
            let joints: Vec<Joint> = names
                .iter()
                .map(|n| Joint {
                    name: (*n).into(),
                    parent: None,
                    rest: Trs::IDENTITY,
                })
                .collect();
            Bones::find(&joints)
        };
        let mixamo = named(&[
            "mixamorig:Hips",
            "mixamorig:Head",
            "mixamorig:RightArm",
            "mixamorig:RightForeArm",
        ]);
        assert_eq!(
            (
                mixamo.hips,
                mixamo.head,
                mixamo.upper_arm_r,
                mixamo.forearm_r
            ),
            (Some(0), Some(1), Some(2), Some(3))
        );
        let vroid = named(&["J_Bip_C_Head", "J_Bip_R_UpperArm", "J_Bip_L_LowerArm"]);
        assert_eq!(
            (vroid.head, vroid.upper_arm_r, vroid.forearm_l),
            (Some(0), Some(1), Some(2))
        );
    }
}
