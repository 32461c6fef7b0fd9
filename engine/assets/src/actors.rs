//! The sample's actors: skinned humanoids made by the project. Each is one glTF model with a
//! 19-joint skeleton (hips, spine, chest, neck, head; shoulder, upper arm, forearm and hand
//! each side; thigh, shin and foot each side), up to four joint weights per vertex (blended
//! at the elbows, knees, waist and neck so they bend without tearing), a base-colour and a
//! roughness atlas (skin, hair, clothes: one texture, one draw), and the five clips actors act
//! with: `idle`, `walk`, `talk`, `kneel`, `fall`.
//!
//! Every figure is generated from a [`Figure`]: height, build, clothing, hair, hat, beard
//! and colours. The sample's five people have their own ([`figure`]); any other name gets
//! one derived from the name, so an actor a story casts is always a distinct person.
//! `showrunner assets build` writes them as `assets/models/NAME.glb`, read back through
//! the same loader as an author's or a viewer's own model.

use std::f32::consts::{PI, TAU};
use std::sync::Arc;

use glam::{Affine3A, EulerRot, Mat4, Quat, Vec2, Vec3, Vec4};
use showrunner_scene::components::Material;
use showrunner_scene::rig::{Channel, Clip, Joint, Rig, Track, Trs};

use std::path::{Path, PathBuf};

use showrunner_scene::sets::Performer;

use crate::gltf_io::{AssetError, Loaded, Model, ModelMaterial, MISSING_TEXTURE};
use crate::mesh::{MeshData, VertexSkin};
use crate::texture::{fbm, linear_to_srgb, Image};

/// The people the sample story casts (`viewer` is the camera).
pub const SAMPLE_CAST: [&str; 5] = ["mara", "tomas", "calum", "shiel", "coastguard"];

/// What covers the body above the legs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Top {
    /// A coat to the knee (an oilskin, a greatcoat).
    LongCoat,
    /// A jacket to the hip.
    Jacket,
    /// A knitted jumper with a roll neck.
    Jumper,
}

/// The hair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hair {
    /// Cropped close.
    Short,
    /// Gathered in a bun at the back.
    Bun,
    /// Tied back in a tail.
    Ponytail,
}

/// What is on the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hat {
    /// Nothing.
    None,
    /// A peaked cap.
    Cap,
    /// A knitted watch cap.
    Beanie,
}

/// One person: proportions, clothes and colours (linear RGB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    /// Standing height, metres.
    pub height: f32,
    /// Shoulder and chest breadth, 1 average.
    pub build: f32,
    /// Hip breadth, 1 average.
    pub hips: f32,
    /// Girth at the waist, 1 average.
    pub belly: f32,
    /// What they wear on top.
    pub top: Top,
    /// Their hair.
    pub hair: Hair,
    /// Their hat.
    pub hat: Hat,
    /// A full beard.
    pub beard: bool,
    /// Skin.
    pub skin: Vec3,
    /// Hair (and beard).
    pub hair_color: Vec3,
    /// The top (coat, jacket, jumper).
    pub top_color: Vec3,
    /// Trousers.
    pub legs_color: Vec3,
    /// Boots.
    pub boots_color: Vec3,
    /// The hat.
    pub hat_color: Vec3,
    /// A band of colour across the chest (a coastguard's reflective stripe); none when
    /// equal to the top.
    pub accent: Vec3,
    /// The top's sheen (0 matte wool ..= 1 wet oilskin).
    pub sheen: f32,
}

fn rgb(r: f32, g: f32, b: f32) -> Vec3 {
    Vec3::new(r, g, b)
}

/// The figure who plays `actor`: the sample's five as written for them, anyone else derived
/// from the name (the same name always gives the same person).
pub fn figure(actor: &str) -> Figure {
    match actor {
        // The keeper: spare, weathered, a long dark-green oilskin, grey hair in a bun.
        "mara" => Figure {
            height: 1.66,
            build: 0.9,
            hips: 1.0,
            belly: 0.9,
            top: Top::LongCoat,
            hair: Hair::Bun,
            hat: Hat::None,
            beard: false,
            skin: rgb(0.55, 0.38, 0.3),
            hair_color: rgb(0.52, 0.52, 0.5),
            top_color: rgb(0.06, 0.13, 0.08),
            legs_color: rgb(0.05, 0.05, 0.06),
            boots_color: rgb(0.03, 0.025, 0.02),
            hat_color: rgb(0.1, 0.1, 0.1),
            accent: rgb(0.06, 0.13, 0.08),
            sheen: 0.8,
        },
        // The skipper: broad, bearded, a navy jumper and a peaked cap.
        "tomas" => Figure {
            height: 1.82,
            build: 1.2,
            hips: 1.1,
            belly: 1.25,
            top: Top::Jumper,
            hair: Hair::Short,
            hat: Hat::Cap,
            beard: true,
            skin: rgb(0.6, 0.4, 0.32),
            hair_color: rgb(0.22, 0.16, 0.11),
            top_color: rgb(0.03, 0.05, 0.13),
            legs_color: rgb(0.12, 0.1, 0.08),
            boots_color: rgb(0.04, 0.03, 0.02),
            hat_color: rgb(0.02, 0.03, 0.07),
            accent: rgb(0.03, 0.05, 0.13),
            sheen: 0.0,
        },
        // The deckhand: young, lanky, yellow oilskins, red hair.
        "calum" => Figure {
            height: 1.87,
            build: 0.85,
            hips: 0.9,
            belly: 0.8,
            top: Top::Jacket,
            hair: Hair::Short,
            hat: Hat::None,
            beard: false,
            skin: rgb(0.7, 0.5, 0.42),
            hair_color: rgb(0.4, 0.12, 0.04),
            top_color: rgb(0.75, 0.55, 0.03),
            legs_color: rgb(0.7, 0.5, 0.03),
            boots_color: rgb(0.02, 0.02, 0.02),
            hat_color: rgb(0.7, 0.5, 0.03),
            accent: rgb(0.75, 0.55, 0.03),
            sheen: 0.9,
        },
        // The boatman: short, stocky, a brown waxed jacket and a red watch cap.
        "shiel" => Figure {
            height: 1.7,
            build: 1.15,
            hips: 1.05,
            belly: 1.15,
            top: Top::Jacket,
            hair: Hair::Short,
            hat: Hat::Beanie,
            beard: false,
            skin: rgb(0.52, 0.34, 0.26),
            hair_color: rgb(0.3, 0.28, 0.26),
            top_color: rgb(0.17, 0.1, 0.05),
            legs_color: rgb(0.18, 0.18, 0.17),
            boots_color: rgb(0.05, 0.035, 0.02),
            hat_color: rgb(0.4, 0.04, 0.04),
            accent: rgb(0.17, 0.1, 0.05),
            sheen: 0.45,
        },
        // The coastguard: a navy uniform coat with a reflective band, a cap, a ponytail.
        "coastguard" => Figure {
            height: 1.74,
            build: 0.95,
            hips: 1.0,
            belly: 0.95,
            top: Top::LongCoat,
            hair: Hair::Ponytail,
            hat: Hat::Cap,
            beard: false,
            skin: rgb(0.38, 0.24, 0.17),
            hair_color: rgb(0.03, 0.025, 0.02),
            top_color: rgb(0.02, 0.03, 0.08),
            legs_color: rgb(0.02, 0.03, 0.07),
            boots_color: rgb(0.02, 0.02, 0.02),
            hat_color: rgb(0.8, 0.8, 0.8),
            accent: rgb(0.85, 0.8, 0.1),
            sheen: 0.3,
        },
        other => derived(other),
    }
}

/// A figure from a name's hash: every choice and colour from its own bits.
fn derived(name: &str) -> Figure {
    let h = name.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let bits = |k: u32, n: u32| (h.rotate_right(k) % n) as usize;
    let unit = |k: u32| (h.rotate_right(k) & 0xff) as f32 / 255.0;
    let skins = [
        rgb(0.7, 0.5, 0.42),
        rgb(0.55, 0.38, 0.3),
        rgb(0.38, 0.24, 0.17),
        rgb(0.22, 0.13, 0.09),
    ];
    let hairs = [
        rgb(0.03, 0.025, 0.02),
        rgb(0.22, 0.16, 0.11),
        rgb(0.4, 0.12, 0.04),
        rgb(0.5, 0.42, 0.25),
        rgb(0.5, 0.5, 0.48),
    ];
    let cloths = [
        rgb(0.03, 0.05, 0.13),
        rgb(0.17, 0.1, 0.05),
        rgb(0.06, 0.13, 0.08),
        rgb(0.3, 0.05, 0.04),
        rgb(0.2, 0.2, 0.19),
        rgb(0.7, 0.5, 0.03),
    ];
    let top_color = cloths[bits(3, 6)];
    Figure {
        height: 1.6 + 0.28 * unit(0),
        build: 0.85 + 0.35 * unit(8),
        hips: 0.9 + 0.2 * unit(16),
        belly: 0.85 + 0.4 * unit(24),
        top: [Top::LongCoat, Top::Jacket, Top::Jumper][bits(5, 3)],
        hair: [Hair::Short, Hair::Bun, Hair::Ponytail][bits(7, 3)],
        hat: [Hat::None, Hat::Cap, Hat::Beanie][bits(11, 3)],
        beard: bits(13, 4) == 0,
        skin: skins[bits(17, 4)],
        hair_color: hairs[bits(19, 5)],
        top_color,
        legs_color: cloths[bits(23, 6)] * 0.6,
        boots_color: rgb(0.03, 0.025, 0.02),
        hat_color: cloths[bits(29, 6)],
        accent: top_color,
        sheen: unit(4),
    }
}

/// The atlas: a 4 × 4 grid of cells, one per stuff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Skin,
    Hair,
    Top,
    Legs,
    Boots,
    Hat,
    Eyes,
    Accent,
}

const ATLAS: u32 = 256;
const CELLS: u32 = 4;

impl Cell {
    const ALL: [Cell; 8] = [
        Cell::Skin,
        Cell::Hair,
        Cell::Top,
        Cell::Legs,
        Cell::Boots,
        Cell::Hat,
        Cell::Eyes,
        Cell::Accent,
    ];

    fn origin(self) -> Vec2 {
        let i = self as u32;
        Vec2::new((i % CELLS) as f32, (i / CELLS) as f32) / CELLS as f32
    }

    fn color(self, f: &Figure) -> Vec3 {
        match self {
            Cell::Skin => f.skin,
            Cell::Hair => f.hair_color,
            Cell::Top => f.top_color,
            Cell::Legs => f.legs_color,
            Cell::Boots => f.boots_color,
            Cell::Hat => f.hat_color,
            Cell::Eyes => rgb(0.02, 0.015, 0.012),
            Cell::Accent => f.accent,
        }
    }

    fn roughness(self, f: &Figure) -> f32 {
        match self {
            Cell::Skin => 0.55,
            Cell::Hair => 0.6,
            Cell::Top => 0.9 - 0.6 * f.sheen,
            Cell::Legs => 0.85,
            Cell::Boots => 0.4,
            Cell::Hat => 0.9,
            Cell::Eyes => 0.2,
            Cell::Accent => 0.5,
        }
    }

    /// A knit ribs across, woven cloth and hair streak along; skin and eyes are smooth.
    fn grain(self, f: &Figure, uv: Vec2) -> f32 {
        let n = fbm(uv, 8, 3, self as u32 * 7 + 1);
        match self {
            Cell::Top if f.top == Top::Jumper => {
                0.8 + 0.2 * (uv.x * 96.0 * PI).sin().abs() + 0.1 * n
            }
            Cell::Hat => 0.85 + 0.15 * (uv.y * 64.0 * PI).sin().abs() + 0.1 * n,
            Cell::Hair => 0.8 + 0.3 * fbm(Vec2::new(uv.x * 4.0, uv.y * 0.5), 16, 2, 5),
            Cell::Skin | Cell::Eyes => 0.95 + 0.1 * n,
            _ => 0.85 + 0.3 * n,
        }
    }
}

/// The figure's atlas: base colour (sRGB) and metallic-roughness (G roughness).
fn atlas(f: &Figure) -> (Image, Image) {
    let mut color = vec![0u8; (ATLAS * ATLAS * 4) as usize];
    let mut mr = vec![0u8; (ATLAS * ATLAS * 4) as usize];
    let cell = ATLAS / CELLS;
    for y in 0..ATLAS {
        for x in 0..ATLAS {
            let k = ((x / cell) + (y / cell) * CELLS) as usize;
            let i = ((y * ATLAS + x) * 4) as usize;
            let Some(c) = Cell::ALL.get(k).copied() else {
                continue;
            };
            let uv = Vec2::new(x as f32, y as f32) / ATLAS as f32;
            let v = c.color(f) * c.grain(f, uv);
            color[i..i + 4].copy_from_slice(&[
                linear_to_srgb(v.x),
                linear_to_srgb(v.y),
                linear_to_srgb(v.z),
                255,
            ]);
            let r = (c.roughness(f) * (0.9 + 0.2 * fbm(uv, 16, 2, 9))).clamp(0.05, 1.0);
            mr[i..i + 4].copy_from_slice(&[255, (r * 255.0) as u8, 0, 255]);
        }
    }
    (
        Image {
            width: ATLAS,
            height: ATLAS,
            rgba: color,
            color: true,
        },
        Image {
            width: ATLAS,
            height: ATLAS,
            rgba: mr,
            color: false,
        },
    )
}

/// The skeleton's joints: name, parent.
const JOINTS: [(&str, Option<usize>); 19] = [
    ("hips", None),
    ("spine", Some(0)),
    ("chest", Some(1)),
    ("neck", Some(2)),
    ("head", Some(3)),
    ("shoulder.L", Some(2)),
    ("upper_arm.L", Some(5)),
    ("forearm.L", Some(6)),
    ("hand.L", Some(7)),
    ("shoulder.R", Some(2)),
    ("upper_arm.R", Some(9)),
    ("forearm.R", Some(10)),
    ("hand.R", Some(11)),
    ("thigh.L", Some(0)),
    ("shin.L", Some(13)),
    ("foot.L", Some(14)),
    ("thigh.R", Some(0)),
    ("shin.R", Some(16)),
    ("foot.R", Some(17)),
];

const HIPS: usize = 0;
const SPINE: usize = 1;
const CHEST: usize = 2;
const NECK: usize = 3;
const HEAD: usize = 4;
/// Per side (L, R): shoulder, upper arm, forearm, hand.
const ARM: [[usize; 4]; 2] = [[5, 6, 7, 8], [9, 10, 11, 12]];
/// Per side (L, R): thigh, shin, foot.
const LEG: [[usize; 3]; 2] = [[13, 14, 15], [16, 17, 18]];

/// Where each joint sits at rest, in model space (feet at the origin, facing −z, arms
/// hanging; the character's right is +x).
fn joint_positions(f: &Figure) -> [Vec3; 19] {
    let s = f.height / 1.75;
    let sw = 0.185 * f.build * s;
    let hw = 0.09 * f.hips * s;
    let y = |v: f32| v * s;
    let mut p = [Vec3::ZERO; 19];
    p[HIPS] = Vec3::new(0.0, y(0.96), 0.0);
    p[SPINE] = Vec3::new(0.0, y(1.06), 0.0);
    p[CHEST] = Vec3::new(0.0, y(1.26), 0.0);
    p[NECK] = Vec3::new(0.0, y(1.47), 0.0);
    p[HEAD] = Vec3::new(0.0, y(1.56), 0.0);
    for (side, sign) in [(0, -1.0), (1, 1.0)] {
        let [sh, ua, fa, ha] = ARM[side];
        p[sh] = Vec3::new(sign * 0.05 * s, y(1.42), 0.0);
        p[ua] = Vec3::new(sign * sw, y(1.42), 0.0);
        p[fa] = Vec3::new(sign * (sw + 0.015 * s), y(1.14), 0.01);
        p[ha] = Vec3::new(sign * (sw + 0.025 * s), y(0.88), 0.0);
        let [th, sn, ft] = LEG[side];
        p[th] = Vec3::new(sign * hw, y(0.92), 0.0);
        p[sn] = Vec3::new(sign * hw, y(0.5), 0.0);
        p[ft] = Vec3::new(sign * hw, y(0.085), 0.02);
    }
    p
}

/// Builds the body part by part: each shape's vertices get a cell's texture coordinates and
/// weights from a function of their position.
struct Body {
    mesh: MeshData,
}

/// A triangle wave in 0..1: continuous texture coordinates inside a cell with no seams.
fn tri(x: f32) -> f32 {
    (x.rem_euclid(2.0) - 1.0).abs()
}

impl Body {
    fn part(
        &mut self,
        cell: Cell,
        shape: impl FnOnce(&mut MeshData),
        weights: impl Fn(Vec3) -> VertexSkin,
    ) {
        let mut m = MeshData::default();
        shape(&mut m);
        m.smooth_normals();
        let o = cell.origin();
        let size = 1.0 / CELLS as f32;
        for v in &mut m.vertices {
            let p = Vec3::from(v.position);
            let t = Vec2::new(tri((p.x + p.z) * 3.0), tri(p.y * 3.0));
            v.uv = (o + (Vec2::splat(0.1) + 0.8 * t) * size).into();
        }
        m.skin = m
            .vertices
            .iter()
            .map(|v| weights(Vec3::from(v.position)))
            .collect();
        self.mesh.append(&m, Affine3A::IDENTITY);
    }
}

/// All on one joint.
fn rigid(j: usize) -> impl Fn(Vec3) -> VertexSkin {
    move |_| VertexSkin::from_influences(&[(j, 1.0)])
}

/// Along the bone from `a` (joint `ja`) to `b` (joint `jb`): blended half-and-half with
/// `parent` at the start and with `jb` at the end over `blend` of the length, so the joint
/// bends smoothly.
fn along(a: Vec3, b: Vec3, ja: usize, jb: usize, parent: usize) -> impl Fn(Vec3) -> VertexSkin {
    move |p| {
        let d = b - a;
        let t = ((p - a).dot(d) / d.length_squared()).clamp(0.0, 1.0);
        let blend = 0.22;
        let wp = if t < blend {
            0.5 * (1.0 - t / blend)
        } else {
            0.0
        };
        let wc = if t > 1.0 - blend {
            0.5 * (t - (1.0 - blend)) / blend
        } else {
            0.0
        };
        VertexSkin::from_influences(&[(ja, 1.0 - wp - wc), (parent, wp), (jb, wc)])
    }
}

/// Up the body by height: hips, spine, chest, neck in turn, blended across each boundary.
fn trunk(p: &[Vec3; 19]) -> impl Fn(Vec3) -> VertexSkin {
    let bands = [
        (HIPS, p[SPINE].y),
        (SPINE, p[CHEST].y + 0.02),
        (CHEST, p[NECK].y),
        (NECK, f32::INFINITY),
    ];
    let shoulders = [p[ARM[0][1]], p[ARM[1][1]]];
    move |v: Vec3| {
        let k = bands.iter().position(|b| v.y < b.1).unwrap_or(3);
        let w = 0.06;
        let mut inf = vec![(bands[k].0, 1.0f32)];
        if k + 1 < bands.len() {
            let to_next = bands[k].1 - v.y;
            if to_next < w {
                let x = 0.5 * (1.0 - to_next / w);
                inf[0].1 -= x;
                inf.push((bands[k + 1].0, x));
            }
        }
        if k > 0 {
            let from_prev = v.y - bands[k - 1].1;
            if from_prev < w {
                let x = 0.5 * (1.0 - from_prev / w);
                inf[0].1 -= x;
                inf.push((bands[k - 1].0, x));
            }
        }
        // The top outside corners move a little with the arms.
        for (side, s) in shoulders.iter().enumerate() {
            let near = 1.0 - (v - *s).length() / 0.12;
            if near > 0.0 && v.x * s.x > 0.0 {
                let x = 0.35 * near;
                for i in &mut inf {
                    i.1 *= 1.0 - x;
                }
                inf.push((ARM[side][1], x));
            }
        }
        VertexSkin::from_influences(&inf)
    }
}

/// Below the hips, a coat's skirt: with the hips, and more with the leg on its side the
/// further out it is, so it swings with the stride.
fn skirt(p: &[Vec3; 19]) -> impl Fn(Vec3) -> VertexSkin {
    let upper = trunk(p);
    let hip_y = p[HIPS].y - 0.04;
    let hw = p[LEG[1][0]].x.abs().max(0.05);
    move |v: Vec3| {
        if v.y >= hip_y {
            return upper(v);
        }
        let side = if v.x < 0.0 { 0 } else { 1 };
        let out = (v.x.abs() / (hw * 1.6)).clamp(0.0, 1.0);
        let down = ((hip_y - v.y) / 0.3).clamp(0.0, 1.0);
        let leg = 0.6 * out * down;
        VertexSkin::from_influences(&[(HIPS, 1.0 - leg), (LEG[side][0], leg)])
    }
}

/// A round tube from `a` to `b`, radius `r0` to `r1`, closed with rounded ends.
fn tube(m: &mut MeshData, a: Vec3, b: Vec3, r0: f32, r1: f32) {
    let d = b - a;
    let len = d.length();
    let at = Affine3A::from_rotation_translation(Quat::from_rotation_arc(Vec3::Y, d / len), a);
    let profile = [
        (0.0, -r0 * 0.6),
        (r0 * 0.75, -r0 * 0.45),
        (r0, 0.0),
        (0.5 * (r0 + r1) * 1.04, len * 0.5),
        (r1, len),
        (r1 * 0.75, len + r1 * 0.45),
        (0.0, len + r1 * 0.6),
    ];
    m.add_lathe(at, &profile, 12, (0.0, TAU), false);
}

/// An ellipsoid with radii `r` at `c`.
fn blob(m: &mut MeshData, c: Vec3, r: Vec3) {
    m.add_sphere(
        Affine3A::from_scale_rotation_translation(r, Quat::IDENTITY, c),
        1.0,
        8,
        12,
        false,
    );
}

/// A lathe about a vertical axis through `c`, squashed front to back by `depth`.
fn body_lathe(
    m: &mut MeshData,
    c: Vec3,
    profile: &[(f32, f32)],
    width: f32,
    depth: f32,
    sweep: (f32, f32),
) {
    m.add_lathe(
        Affine3A::from_scale_rotation_translation(Vec3::new(width, 1.0, depth), Quat::IDENTITY, c),
        profile,
        16,
        sweep,
        false,
    );
}

/// The figure's mesh, skinned to [`JOINTS`].
fn body_mesh(f: &Figure, p: &[Vec3; 19]) -> MeshData {
    let s = f.height / 1.75;
    let mut b = Body {
        mesh: MeshData::default(),
    };
    let (bw, hp, bl) = (f.build, f.hips, f.belly);
    // Legs and boots.
    for &[th, sn, ft] in &LEG {
        b.part(
            Cell::Legs,
            |m| tube(m, p[th], p[sn], 0.078 * hp * s, 0.058 * s),
            along(p[th], p[sn], th, sn, HIPS),
        );
        b.part(
            Cell::Legs,
            |m| tube(m, p[sn], p[ft] + Vec3::Y * 0.05 * s, 0.056 * s, 0.046 * s),
            along(p[sn], p[ft], sn, ft, th),
        );
        // A boot: ankle shaft and a sole to the toe.
        let fx = p[ft].x;
        b.part(
            Cell::Boots,
            |m| {
                m.add_box(
                    Affine3A::from_translation(Vec3::new(fx, 0.05 * s, -0.045 * s)),
                    Vec3::new(0.05, 0.05 * s, 0.13 * s),
                );
                tube(
                    m,
                    Vec3::new(fx, 0.04 * s, 0.01),
                    Vec3::new(fx, 0.2 * s, 0.01),
                    0.052 * s,
                    0.05 * s,
                );
            },
            along(p[ft] + Vec3::Y * 0.15, p[ft], ft, ft, sn),
        );
    }
    // The trunk: hips to shoulders, wider than deep.
    let torso = [
        (0.0, 0.84),
        (0.11 * hp, 0.86),
        (0.145 * hp, 0.95),
        (0.13 * bl, 1.06),
        (0.14 * bw.max(bl * 0.95), 1.18),
        (0.15 * bw, 1.3),
        (0.155 * bw, 1.4),
        (0.09, 1.47),
        (0.0, 1.48),
    ]
    .map(|(r, y)| (r * s, y * s));
    b.part(
        Cell::Top,
        |m| body_lathe(m, Vec3::ZERO, &torso, 1.2, 0.75, (0.0, TAU)),
        trunk(p),
    );
    // Arms in sleeves; hands.
    for &[sh, ua, fa, ha] in &ARM {
        b.part(
            Cell::Top,
            |m| tube(m, p[ua], p[fa], 0.05 * bw * s, 0.043 * s),
            along(p[ua], p[fa], ua, fa, sh),
        );
        b.part(
            Cell::Top,
            |m| tube(m, p[fa], p[ha] + Vec3::Y * 0.02, 0.042 * s, 0.036 * s),
            along(p[fa], p[ha], fa, ha, ua),
        );
        b.part(
            Cell::Skin,
            |m| {
                blob(
                    m,
                    p[ha] - Vec3::Y * 0.06 * s,
                    Vec3::new(0.02, 0.055, 0.034) * s,
                )
            },
            rigid(ha),
        );
    }
    // Top garments.
    let hem = match f.top {
        Top::LongCoat => Some(0.52),
        Top::Jacket => Some(0.84),
        Top::Jumper => None,
    };
    if let Some(hem) = hem {
        let flare = if f.top == Top::LongCoat { 0.26 } else { 0.17 };
        let coat = [
            (flare * hp.max(bl), hem),
            (0.165 * hp.max(bl), 0.95),
            (0.145 * bl.max(bw * 0.9), 1.08),
            (0.16 * bw, 1.3),
            (0.165 * bw, 1.41),
            (0.1, 1.47),
            (0.075, 1.52),
        ]
        .map(|(r, y)| (r * s, y * s));
        b.part(
            Cell::Top,
            |m| body_lathe(m, Vec3::ZERO, &coat, 1.2, 0.78, (0.0, TAU)),
            skirt(p),
        );
        if f.accent != f.top_color {
            let band = [(0.168 * bw, 1.2), (0.17 * bw, 1.25)].map(|(r, y)| (r * s, y * s));
            b.part(
                Cell::Accent,
                |m| body_lathe(m, Vec3::ZERO, &band, 1.2, 0.78, (0.0, TAU)),
                trunk(p),
            );
        }
    } else {
        // A roll neck.
        let roll =
            [(0.065, 1.44), (0.075, 1.47), (0.07, 1.52), (0.06, 1.53)].map(|(r, y)| (r * s, y * s));
        b.part(
            Cell::Top,
            |m| body_lathe(m, Vec3::ZERO, &roll, 1.0, 1.0, (0.0, TAU)),
            trunk(p),
        );
    }
    // Neck and head.
    b.part(
        Cell::Skin,
        |m| {
            tube(
                m,
                p[NECK] - Vec3::Y * 0.04 * s,
                p[HEAD] + Vec3::Y * 0.04 * s,
                0.052 * s,
                0.05 * s,
            )
        },
        along(p[NECK], p[HEAD], NECK, HEAD, CHEST),
    );
    let head_c = p[HEAD] + Vec3::new(0.0, 0.09, -0.005) * s;
    let head_r = Vec3::new(0.085, 0.11, 0.1) * s;
    b.part(Cell::Skin, |m| blob(m, head_c, head_r), rigid(HEAD));
    // Nose and eyes.
    b.part(
        Cell::Skin,
        |m| {
            m.add_box(
                Affine3A::from_translation(head_c + Vec3::new(0.0, -0.01, -0.1) * s),
                Vec3::new(0.012, 0.022, 0.014) * s,
            )
        },
        rigid(HEAD),
    );
    for x in [-0.033, 0.033] {
        b.part(
            Cell::Eyes,
            |m| {
                blob(
                    m,
                    head_c + Vec3::new(x, 0.015, -0.088) * s,
                    Vec3::splat(0.011 * s),
                )
            },
            rigid(HEAD),
        );
    }
    // Hair: a cap over the crown, longer behind; then its style.
    let hr = head_r * 1.07;
    let dome = |from: f32, to: f32| -> Vec<(f32, f32)> {
        (0..=6)
            .map(|k| {
                let a = from + (to - from) * k as f32 / 6.0;
                (a.sin(), a.cos())
            })
            .collect()
    };
    let crown = dome(1.25, 0.0);
    let hair_at = Affine3A::from_scale_rotation_translation(
        hr,
        Quat::IDENTITY,
        head_c + Vec3::new(0.0, 0.004, 0.004) * s,
    );
    if f.hat != Hat::Beanie {
        let profile: Vec<(f32, f32)> = crown.iter().map(|&(r, y)| (r, y)).collect();
        b.part(
            Cell::Hair,
            |m| m.add_lathe(hair_at, &profile, 16, (0.0, TAU), false),
            rigid(HEAD),
        );
        // The back of the head, down to the nape.
        let back = dome(2.1, 1.2);
        b.part(
            Cell::Hair,
            |m| m.add_lathe(hair_at, &back, 12, (-1.4, 2.8), false),
            rigid(HEAD),
        );
    }
    match f.hair {
        Hair::Short => {}
        Hair::Bun => b.part(
            Cell::Hair,
            |m| {
                blob(
                    m,
                    head_c + Vec3::new(0.0, 0.06, 0.1) * s,
                    Vec3::splat(0.048 * s),
                )
            },
            rigid(HEAD),
        ),
        Hair::Ponytail => b.part(
            Cell::Hair,
            |m| {
                tube(
                    m,
                    head_c + Vec3::new(0.0, 0.02, 0.11) * s,
                    head_c + Vec3::new(0.0, -0.2, 0.14) * s,
                    0.035 * s,
                    0.02 * s,
                )
            },
            rigid(HEAD),
        ),
    }
    if f.beard {
        b.part(
            Cell::Hair,
            |m| {
                blob(
                    m,
                    head_c + Vec3::new(0.0, -0.065, -0.04) * s,
                    Vec3::new(0.08, 0.06, 0.065) * s,
                )
            },
            rigid(HEAD),
        );
    }
    match f.hat {
        Hat::None => {}
        Hat::Cap => {
            let top = [(0.0, 0.09), (0.085, 0.085), (0.102, 0.05), (0.098, 0.0)]
                .map(|(r, y)| (r * s, y * s));
            let c = head_c + Vec3::new(0.0, 0.03, 0.0) * s;
            b.part(
                Cell::Hat,
                |m| body_lathe(m, c, &top, 1.02, 1.08, (0.0, TAU)),
                rigid(HEAD),
            );
            b.part(
                Cell::Hat,
                |m| {
                    m.add_box(
                        Affine3A::from_translation(c + Vec3::new(0.0, 0.008, -0.12) * s),
                        Vec3::new(0.075, 0.007, 0.045) * s,
                    )
                },
                rigid(HEAD),
            );
        }
        Hat::Beanie => {
            let c = head_c + Vec3::new(0.0, 0.015, 0.005) * s;
            let profile = [
                (0.0, 0.14),
                (0.06, 0.13),
                (0.1, 0.09),
                (0.112, 0.03),
                (0.114, 0.0),
                (0.118, -0.015),
                (0.11, -0.02),
            ]
            .map(|(r, y)| (r * s, y * s));
            b.part(
                Cell::Hat,
                |m| body_lathe(m, c, &profile, 1.0, 1.05, (0.0, TAU)),
                rigid(HEAD),
            );
        }
    }
    b.mesh
}

fn e(x: f32, y: f32, z: f32) -> Quat {
    Quat::from_euler(EulerRot::YXZ, y, x, z)
}

fn rot(joint: usize, keys: &[(f32, Quat)]) -> Track {
    Track {
        joint,
        channel: Channel::Rotation,
        times: keys.iter().map(|k| k.0).collect(),
        values: keys.iter().map(|k| Vec4::from(k.1)).collect(),
        step: false,
    }
}

fn pos(joint: usize, keys: &[(f32, Vec3)]) -> Track {
    Track {
        joint,
        channel: Channel::Translation,
        times: keys.iter().map(|k| k.0).collect(),
        values: keys.iter().map(|k| k.1.extend(0.0)).collect(),
        step: false,
    }
}

/// A rotation about x only at each key time.
fn pitch(joint: usize, keys: &[(f32, f32)]) -> Track {
    rot(
        joint,
        &keys
            .iter()
            .map(|&(t, a)| (t, e(a, 0.0, 0.0)))
            .collect::<Vec<_>>(),
    )
}

fn clip(name: &str, tracks: Vec<Track>) -> Clip {
    let duration = tracks
        .iter()
        .filter_map(|t| t.times.last().copied())
        .fold(0.0, f32::max);
    Clip {
        name: name.into(),
        duration,
        tracks,
    }
}

/// The five clips, keyed on the figure's rest translations (`rest`: each joint's offset
/// from its parent). Rotations are local; +x about a joint swings a limb hanging below it
/// forward (the figure faces −z) and tips a bone above it back.
fn clips(rest: &[Vec3; 19], s: f32) -> Vec<Clip> {
    let [l, r] = [0, 1];
    let hips = rest[HIPS];
    let idle = clip(
        "idle",
        vec![
            pitch(CHEST, &[(0.0, 0.0), (2.0, -0.03), (4.0, 0.0)]),
            rot(
                SPINE,
                &[
                    (0.0, e(0.0, 0.0, 0.015)),
                    (2.0, e(0.0, 0.0, -0.015)),
                    (4.0, e(0.0, 0.0, 0.015)),
                ],
            ),
            rot(
                HEAD,
                &[
                    (0.0, e(0.02, 0.0, 0.0)),
                    (1.5, e(-0.02, 0.05, 0.0)),
                    (3.0, e(0.0, -0.04, 0.0)),
                    (4.0, e(0.02, 0.0, 0.0)),
                ],
            ),
            rot(
                ARM[r][1],
                &[
                    (0.0, e(0.02, 0.0, 0.09)),
                    (2.0, e(0.05, 0.0, 0.1)),
                    (4.0, e(0.02, 0.0, 0.09)),
                ],
            ),
            rot(
                ARM[l][1],
                &[
                    (0.0, e(0.02, 0.0, -0.09)),
                    (2.0, e(0.05, 0.0, -0.1)),
                    (4.0, e(0.02, 0.0, -0.09)),
                ],
            ),
            pitch(ARM[r][2], &[(0.0, 0.15), (4.0, 0.15)]),
            pitch(ARM[l][2], &[(0.0, 0.15), (4.0, 0.15)]),
            pos(
                HIPS,
                &[(0.0, hips), (2.0, hips - Vec3::Y * 0.004 * s), (4.0, hips)],
            ),
        ],
    );
    // One stride pair: the right heel strikes at 0, the left at 0.5.
    let leg = |side: usize, shift: f32| {
        let at = |t: f32| (t + shift).rem_euclid(1.0);
        let keys = |k: &[(f32, f32)]| -> Vec<(f32, f32)> {
            let mut v: Vec<(f32, f32)> = k.iter().map(|&(t, a)| (at(t), a)).collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            let first = v[0];
            let last = *v.last().unwrap_or(&first);
            // Close the loop at 0 and 1 with the wrapped neighbours' midpoint.
            let (t0, a0) = (first.0, first.1);
            let (t1, a1) = (last.0, last.1);
            let span = t0 + (1.0 - t1);
            let edge = if span > 0.0 {
                a1 + (a0 - a1) * ((1.0 - t1) / span)
            } else {
                a0
            };
            if t0 > 0.0 {
                v.insert(0, (0.0, edge));
            }
            if t1 < 1.0 {
                v.push((1.0, edge));
            }
            v
        };
        let [th, sn, ft] = LEG[side];
        vec![
            pitch(
                th,
                &keys(&[(0.0, 0.42), (0.25, 0.05), (0.5, -0.35), (0.75, 0.1)]),
            ),
            pitch(
                sn,
                &keys(&[
                    (0.0, -0.05),
                    (0.15, -0.25),
                    (0.5, -0.12),
                    (0.7, -1.05),
                    (0.9, -0.2),
                ]),
            ),
            pitch(
                ft,
                &keys(&[(0.0, 0.2), (0.2, 0.0), (0.55, -0.35), (0.75, 0.05)]),
            ),
        ]
    };
    let arm = |side: usize, shift: f32, out: f32| {
        let [_, ua, fa, _] = ARM[side];
        let k = |t: f32| (t + shift).rem_euclid(1.0);
        let mut u = [(k(0.0), -0.32), (k(0.5), 0.32)];
        u.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mid = (u[0].1 + u[1].1) / 2.0;
        let ua_keys: Vec<(f32, Quat)> = [(0.0, mid)]
            .into_iter()
            .chain(u)
            .chain([(1.0, mid)])
            .filter(|(t, _)| (0.0..=1.0).contains(t))
            .map(|(t, a)| (t, e(a, 0.0, out)))
            .collect();
        let mut dedup: Vec<(f32, Quat)> = Vec::new();
        for kq in ua_keys {
            if dedup.last().is_none_or(|d| d.0 < kq.0) {
                dedup.push(kq);
            }
        }
        vec![
            rot(ua, &dedup),
            pitch(fa, &[(0.0, 0.3), (0.5, 0.3), (1.0, 0.3)]),
        ]
    };
    let mut walk = vec![
        pos(
            HIPS,
            &[
                (0.0, hips - Vec3::Y * 0.03 * s),
                (0.25, hips + Vec3::Y * 0.005 * s),
                (0.5, hips - Vec3::Y * 0.03 * s),
                (0.75, hips + Vec3::Y * 0.005 * s),
                (1.0, hips - Vec3::Y * 0.03 * s),
            ],
        ),
        rot(
            HIPS,
            &[
                (0.0, e(0.0, 0.08, 0.0)),
                (0.5, e(0.0, -0.08, 0.0)),
                (1.0, e(0.0, 0.08, 0.0)),
            ],
        ),
        rot(
            CHEST,
            &[
                (0.0, e(-0.04, -0.12, 0.0)),
                (0.5, e(-0.04, 0.12, 0.0)),
                (1.0, e(-0.04, -0.12, 0.0)),
            ],
        ),
    ];
    walk.extend(leg(r, 0.0));
    walk.extend(leg(l, 0.5));
    // Arms swing against the legs on their side.
    walk.extend(arm(r, 0.5, 0.06));
    walk.extend(arm(l, 0.0, -0.06));
    let walk = clip("walk", walk);
    let talk = clip(
        "talk",
        vec![
            rot(
                HEAD,
                &[
                    (0.0, e(0.0, 0.0, 0.0)),
                    (0.5, e(-0.09, 0.05, 0.0)),
                    (1.0, e(0.03, 0.1, 0.0)),
                    (1.5, e(-0.06, -0.04, 0.0)),
                    (2.0, e(0.0, 0.0, 0.0)),
                ],
            ),
            rot(
                CHEST,
                &[
                    (0.0, e(0.0, 0.0, 0.0)),
                    (1.0, e(-0.03, 0.06, 0.0)),
                    (2.0, e(0.0, 0.0, 0.0)),
                ],
            ),
            rot(
                ARM[r][1],
                &[
                    (0.0, e(0.3, 0.0, 0.12)),
                    (0.7, e(0.5, 0.1, 0.2)),
                    (1.3, e(0.35, -0.1, 0.12)),
                    (2.0, e(0.3, 0.0, 0.12)),
                ],
            ),
            pitch(
                ARM[r][2],
                &[(0.0, 1.0), (0.7, 1.35), (1.3, 0.85), (2.0, 1.0)],
            ),
            rot(
                ARM[r][3],
                &[
                    (0.0, e(0.0, 0.0, 0.0)),
                    (0.7, e(0.0, 0.5, 0.0)),
                    (2.0, e(0.0, 0.0, 0.0)),
                ],
            ),
            rot(
                ARM[l][1],
                &[
                    (0.0, e(0.1, 0.0, -0.1)),
                    (1.0, e(0.28, 0.0, -0.15)),
                    (2.0, e(0.1, 0.0, -0.1)),
                ],
            ),
            pitch(ARM[l][2], &[(0.0, 0.5), (1.0, 0.85), (2.0, 0.5)]),
        ],
    );
    let down = |y: f32| hips + Vec3::new(0.0, -y * s, 0.0);
    let kneel = clip(
        "kneel",
        vec![
            pos(
                HIPS,
                &[
                    (0.0, hips),
                    (0.6, down(0.22) + Vec3::Z * 0.05),
                    (1.2, down(0.42) + Vec3::Z * 0.1),
                ],
            ),
            pitch(CHEST, &[(0.0, 0.0), (1.2, -0.22)]),
            pitch(HEAD, &[(0.0, 0.0), (1.2, -0.3)]),
            pitch(LEG[r][0], &[(0.0, 0.0), (0.6, 0.8), (1.2, 1.45)]),
            pitch(LEG[r][1], &[(0.0, 0.0), (0.6, -0.9), (1.2, -1.45)]),
            pitch(LEG[r][2], &[(0.0, 0.0), (1.2, 0.0)]),
            pitch(LEG[l][0], &[(0.0, 0.0), (0.6, -0.05), (1.2, -0.05)]),
            pitch(LEG[l][1], &[(0.0, 0.0), (0.6, -0.8), (1.2, -1.5)]),
            pitch(LEG[l][2], &[(0.0, 0.0), (1.2, 0.6)]),
            rot(
                ARM[r][1],
                &[(0.0, e(0.0, 0.0, 0.05)), (1.2, e(0.55, 0.0, 0.05))],
            ),
            pitch(ARM[r][2], &[(0.0, 0.1), (1.2, 0.5)]),
            rot(
                ARM[l][1],
                &[(0.0, e(0.0, 0.0, -0.05)), (1.2, e(0.45, 0.0, -0.1))],
            ),
            pitch(ARM[l][2], &[(0.0, 0.1), (1.2, 0.9)]),
        ],
    );
    let fall = clip(
        "fall",
        vec![
            pos(
                HIPS,
                &[
                    (0.0, hips),
                    (0.35, down(0.2) + Vec3::Z * 0.05 * s),
                    (0.8, Vec3::new(0.0, 0.45 * s, 0.35 * s)),
                    (1.2, Vec3::new(0.0, 0.16 * s, 0.55 * s)),
                    (1.4, Vec3::new(0.0, 0.14 * s, 0.56 * s)),
                ],
            ),
            rot(
                HIPS,
                &[
                    (0.0, e(0.0, 0.0, 0.0)),
                    (0.35, e(0.15, 0.0, 0.0)),
                    (0.8, e(0.9, 0.0, 0.05)),
                    (1.2, e(1.5, 0.0, 0.1)),
                    (1.4, e(1.52, 0.0, 0.1)),
                ],
            ),
            pitch(CHEST, &[(0.0, 0.0), (0.8, -0.3), (1.2, 0.0), (1.4, 0.02)]),
            rot(
                HEAD,
                &[
                    (0.0, e(0.0, 0.0, 0.0)),
                    (0.8, e(-0.2, 0.0, 0.0)),
                    (1.2, e(0.1, 0.6, 0.0)),
                    (1.4, e(0.12, 0.65, 0.0)),
                ],
            ),
            pitch(
                LEG[r][0],
                &[(0.0, 0.0), (0.35, 0.5), (0.8, 0.3), (1.2, 0.1), (1.4, 0.08)],
            ),
            pitch(
                LEG[r][1],
                &[
                    (0.0, 0.0),
                    (0.35, -0.9),
                    (0.8, -0.6),
                    (1.2, -0.1),
                    (1.4, -0.1),
                ],
            ),
            pitch(
                LEG[l][0],
                &[
                    (0.0, 0.0),
                    (0.35, 0.4),
                    (0.8, 0.2),
                    (1.2, -0.05),
                    (1.4, -0.05),
                ],
            ),
            pitch(
                LEG[l][1],
                &[
                    (0.0, 0.0),
                    (0.35, -0.8),
                    (0.8, -0.7),
                    (1.2, -0.25),
                    (1.4, -0.3),
                ],
            ),
            rot(
                ARM[r][1],
                &[
                    (0.0, e(0.0, 0.0, 0.05)),
                    (0.35, e(0.3, 0.0, 0.4)),
                    (0.8, e(0.2, 0.0, 0.9)),
                    (1.2, e(0.0, 0.0, 1.2)),
                    (1.4, e(0.0, 0.0, 1.25)),
                ],
            ),
            rot(
                ARM[l][1],
                &[
                    (0.0, e(0.0, 0.0, -0.05)),
                    (0.35, e(0.3, 0.0, -0.4)),
                    (0.8, e(0.2, 0.0, -0.9)),
                    (1.2, e(0.0, 0.0, -1.1)),
                    (1.4, e(0.0, 0.0, -1.15)),
                ],
            ),
            pitch(ARM[r][2], &[(0.0, 0.1), (1.4, 0.3)]),
            pitch(ARM[l][2], &[(0.0, 0.1), (1.4, 0.4)]),
        ],
    );
    vec![idle, walk, talk, kneel, fall]
}

/// The figure's rig: joints at rest (unrotated, so each clip's rotations read as written),
/// inverse bind matrices, clips.
fn rig(f: &Figure) -> Rig {
    let p = joint_positions(f);
    let mut rest = [Vec3::ZERO; 19];
    let joints: Vec<Joint> = JOINTS
        .iter()
        .enumerate()
        .map(|(k, (name, parent))| {
            rest[k] = p[k] - parent.map_or(Vec3::ZERO, |q| p[q]);
            Joint {
                name: (*name).into(),
                parent: *parent,
                rest: Trs::at(rest[k]),
            }
        })
        .collect();
    let inverse_bind = p.iter().map(|q| Mat4::from_translation(-*q)).collect();
    Rig::new(
        joints,
        inverse_bind,
        Mat4::IDENTITY,
        clips(&rest, f.height / 1.75),
    )
    .expect("the project's own skeleton is well formed")
}

/// The model that plays `actor`: the skinned figure of [`figure`], named after the actor.
pub fn actor_model(actor: &str) -> Model {
    let f = figure(actor);
    let (color, mr) = atlas(&f);
    let mut m = untextured(actor, &f);
    m.material.base_color = Some(Arc::new(color));
    m.material.metallic_roughness = Some(Arc::new(mr));
    m
}

/// The figure's model with its colours as one plain material (for a show that draws
/// nothing, which only needs the skeleton).
fn untextured(actor: &str, f: &Figure) -> Model {
    let p = joint_positions(f);
    Model {
        name: actor.into(),
        mesh: body_mesh(f, &p),
        material: ModelMaterial {
            factors: Material {
                roughness: 1.0,
                ..Material::default()
            },
            ..ModelMaterial::default()
        },
        rig: Some(Arc::new(rig(f))),
    }
}

/// What casting found: who plays whom, the models to draw, and what went wrong.
#[derive(Debug, Default)]
pub struct CastAssets {
    /// Per actor, the performer the scene stages.
    pub performers: Vec<(String, Performer)>,
    /// Their models (named `cast/ACTOR/MODEL`), for the renderer.
    pub models: Vec<Model>,
    /// Problems worth saying once (a broken file, and what plays instead).
    pub warnings: Vec<String>,
}

/// The most joints one actor's skin may have (a VRoid avatar has about 150 with its hair and
/// skirt bones). A model with more stands in its bind pose, with a warning.
pub const MAX_SKIN_JOINTS: usize = 256;

/// The file that plays `actor` in `dirs`: `ACTOR.glb`, `.gltf` or `.vrm`, first folder first.
pub fn find_actor(actor: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter()
        .flat_map(|d| ["glb", "gltf", "vrm"].map(|x| d.join(format!("{actor}.{x}"))))
        .find(|p| showrunner_package::is_file(p))
}

/// A performer from a loaded file: every model in it (a model of several parts draws them
/// all), the first skeleton found moving them all. Its models are renamed `cast/ACTOR/...`.
/// A file whose figures face +z (glTF's convention) is turned to face −z as actors do: a
/// skinned model by its skeleton's root, a rigid one by its vertices.
pub fn performer_from(actor: &str, loaded: Loaded) -> (Performer, Vec<Model>) {
    let turn = loaded.front_z > 0.0;
    let half_turn = Mat4::from_rotation_y(PI);
    let rig = loaded.models.iter().find_map(|m| m.rig.clone()).map(|r| {
        if turn {
            Arc::new(r.placed(half_turn * r.root))
        } else {
            r
        }
    });
    let material = loaded
        .models
        .first()
        .map_or_else(Material::default, |m| m.material.factors);
    let models: Vec<Model> = loaded
        .models
        .into_iter()
        .map(|mut m| {
            m.name = format!("cast/{actor}/{}", m.name);
            if m.rig.is_some() {
                m.rig.clone_from(&rig);
            } else if turn {
                for v in &mut m.mesh.vertices {
                    let [x, y, z] = v.position;
                    v.position = [-x, y, -z];
                    let [x, y, z] = v.normal;
                    v.normal = [-x, y, -z];
                }
            }
            m
        })
        .collect();
    (
        Performer {
            models: models.iter().map(|m| m.name.clone()).collect(),
            material: Material {
                base_color: if material.base_color == MISSING_TEXTURE {
                    MISSING_TEXTURE
                } else {
                    Vec4::ONE
                },
                ..material
            },
            rig,
        },
        models,
    )
}

/// The models that play `actors`: a file the viewer named for one (`recast`: actor → file,
/// from `--cast`; a file that will not load is an error naming it), else `ACTOR.glb` in
/// `dirs` (one that will not load is a warning, and the project's figure plays), else the
/// project's figure for the name. `textured: false` (a show that draws nothing) makes no
/// textures.
pub fn load_cast(
    actors: &[String],
    dirs: &[PathBuf],
    recast: &[(String, PathBuf)],
    textured: bool,
) -> Result<CastAssets, AssetError> {
    let mut out = CastAssets::default();
    for actor in actors {
        let named = recast.iter().find(|(a, _)| a == actor).map(|(_, f)| f);
        let loaded = match (named, find_actor(actor, dirs)) {
            (Some(file), _) => Some(crate::gltf_io::load(file)?),
            (None, Some(file)) => match crate::gltf_io::load(&file) {
                Ok(l) => Some(l),
                Err(e) => {
                    out.warnings.push(format!(
                        "{e}; {actor} is played by the project's own figure"
                    ));
                    None
                }
            },
            (None, None) => None,
        };
        let loaded = match loaded {
            Some(l) => l,
            None => {
                let m = if textured {
                    actor_model(actor)
                } else {
                    untextured(actor, &figure(actor))
                };
                Loaded {
                    models: vec![m],
                    nodes: Vec::new(),
                    warnings: Vec::new(),
                    front_z: -1.0,
                }
            }
        };
        out.warnings
            .extend(loaded.warnings.iter().map(ToString::to_string));
        let (mut performer, models) = performer_from(actor, loaded);
        if let Some(n) = performer
            .rig
            .as_ref()
            .map(|r| r.joints.len())
            .filter(|&n| n > MAX_SKIN_JOINTS)
        {
            out.warnings.push(format!(
                "{actor}: the model's skin has {n} joints, more than the {MAX_SKIN_JOINTS} an actor may have; it stands in its bind pose (merge or remove bones in your modelling tool)"
            ));
            performer.rig = None;
        }
        out.performers.push((actor.clone(), performer));
        out.models.extend(models);
    }
    Ok(out)
}

/// Writes the sample's actors as `dir/NAME.glb` (what `showrunner assets build` does).
pub fn write_actors(dir: &Path) -> Result<Vec<PathBuf>, AssetError> {
    std::fs::create_dir_all(dir).map_err(|e| crate::gltf_io::err(dir, e.to_string()))?;
    let mut written = Vec::new();
    for actor in SAMPLE_CAST {
        let m = actor_model(actor);
        let path = dir.join(format!("{actor}.glb"));
        let mut node = crate::gltf_io::Node::empty(actor, Mat4::IDENTITY);
        node.models = vec![0];
        crate::gltf_io::write_glb(&path, &[m], &[node])?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_scene::components::{Pose, Stance};
    use showrunner_scene::rig::{Act, Skin};

    #[test]
    fn every_actor_is_a_skinned_humanoid_with_every_clip() {
        for name in SAMPLE_CAST.iter().chain(&["harbourmaster"]) {
            let m = actor_model(name);
            let rig = m.rig.as_ref().unwrap();
            assert!(
                rig.joints.len() >= 15,
                "{name}: {} joints",
                rig.joints.len()
            );
            for act in Act::ALL {
                assert!(rig.clip(act).is_some(), "{name} has no {}", act.name());
            }
            assert_eq!(m.mesh.skin.len(), m.mesh.vertices.len());
            for s in &m.mesh.skin {
                let sum: f32 = s.weights.iter().sum();
                assert!((sum - 1.0).abs() < 1e-4, "{name}: weights sum to {sum}");
                assert!(s.joints.iter().all(|&j| (j as usize) < rig.joints.len()));
            }
            let b = rig.bones;
            assert!(b.head.is_some() && b.upper_arm_r.is_some() && b.forearm_r.is_some());
            let (lo, hi) = m.mesh.bounds().unwrap();
            let h = figure(name).height;
            assert!(
                lo.y.abs() < 0.02 && (hi.y - h).abs() < 0.12,
                "{name}: {lo} .. {hi}"
            );
        }
    }

    #[test]
    fn actors_round_trip_through_gltf_with_their_skeleton_and_clips() {
        let m = actor_model("calum");
        let mut node = crate::gltf_io::Node::empty("calum", Mat4::IDENTITY);
        node.models = vec![0];
        let bytes = crate::gltf_io::glb_bytes(std::slice::from_ref(&m), &[node]).unwrap();
        let back = crate::gltf_io::load_slice(&bytes, Path::new("calum.glb")).unwrap();
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        let b = &back.models[0];
        assert_eq!(b.mesh.skin, m.mesh.skin);
        let (r0, r1) = (m.rig.clone().unwrap(), b.rig.clone().unwrap());
        assert_eq!(r1.joints.len(), r0.joints.len());
        assert_eq!(r1.clips.len(), 5);
        // The same pose from the same inputs, walking and talking.
        let (mut s0, mut s1) = (Skin::new(r0), Skin::new(r1));
        let pose = Pose {
            speed: 0.8,
            stride_phase: 1.3,
            talking: true,
            arm_raise: 0.4,
            ..Pose::default()
        };
        for _ in 0..20 {
            s0.animate(&pose, 1.1, 0.6, 1.0 / 30.0);
            s1.animate(&pose, 1.1, 0.6, 1.0 / 30.0);
        }
        for (a, b) in s0.palette.iter().zip(&s1.palette) {
            assert!(a.abs_diff_eq(*b, 1e-4), "{a} vs {b}");
        }
    }

    /// A VRM avatar's joints have names of the author's; its humanoid map names the bones.
    #[test]
    fn a_vrm_avatars_bones_are_found_by_its_humanoid_map() {
        let m = actor_model("shiel");
        let r = m.rig.clone().unwrap();
        let mut joints = r.joints.clone();
        for (k, j) in joints.iter_mut().enumerate() {
            j.name = format!("Bone.{k:03}");
        }
        let renamed = Rig::new(joints, r.inverse_bind.clone(), r.root, r.clips.clone()).unwrap();
        assert_eq!(renamed.bones.head, None, "no name says which is the head");
        let m = Model {
            rig: Some(Arc::new(renamed)),
            ..m
        };
        let mut node = crate::gltf_io::Node::empty("avatar", Mat4::IDENTITY);
        node.models = vec![0];
        let bytes = crate::gltf_io::glb_bytes(&[m], &[node]).unwrap();
        // The joints are nodes 1.. (after the avatar's); map three as VRM 0.x does.
        let glb = gltf::binary::Glb::from_slice(&bytes).unwrap();
        let mut json: serde_json::Value = serde_json::from_slice(&glb.json).unwrap();
        json["extensionsUsed"] = serde_json::json!(["VRM"]);
        json["extensions"] = serde_json::json!({"VRM": {"humanoid": {"humanBones": [
            {"bone": "head", "node": 1 + HEAD},
            {"bone": "rightUpperArm", "node": 1 + ARM[1][1]},
            {"bone": "rightLowerArm", "node": 1 + ARM[1][2]},
        ]}}});
        let json = serde_json::to_vec(&json).unwrap();
        let vrm = gltf::binary::Glb {
            header: glb.header,
            json: json.into(),
            bin: glb.bin,
        }
        .to_vec()
        .unwrap();
        let back = crate::gltf_io::load_slice(&vrm, Path::new("avatar.vrm")).unwrap();
        let b = back.models[0].rig.as_ref().unwrap().bones;
        assert_eq!(
            (b.head, b.upper_arm_r, b.forearm_r),
            (Some(HEAD), Some(ARM[1][1]), Some(ARM[1][2]))
        );
        assert_eq!(back.front_z, -1.0, "VRM 0.x avatars face −z");
    }

    #[test]
    fn a_broken_actor_file_is_named_and_the_figure_plays() {
        let dir = std::env::temp_dir().join(format!("showrunner-cast-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("mara.glb"), b"glTF nonsense").unwrap();
        let cast = ["mara".to_owned(), "tomas".to_owned()];
        let got = load_cast(&cast, std::slice::from_ref(&dir), &[], false).unwrap();
        assert_eq!(got.performers.len(), 2);
        assert!(
            got.warnings[0].contains("mara.glb") && got.warnings[0].contains("figure"),
            "{:?}",
            got.warnings
        );
        assert!(got.performers[0].1.rig.is_some());
        let err =
            load_cast(&cast, &[], &[("tomas".into(), dir.join("mara.glb"))], false).unwrap_err();
        assert!(err.file.ends_with("mara.glb"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_skin_with_too_many_joints_stands_with_a_warning() {
        let joints: Vec<Joint> = (0..MAX_SKIN_JOINTS + 4)
            .map(|k| Joint {
                name: format!("bone{k}"),
                parent: (k > 0).then_some(0),
                rest: Trs::at(Vec3::Y * 0.01),
            })
            .collect();
        let n = joints.len();
        let rig = Rig::new(joints, vec![Mat4::IDENTITY; n], Mat4::IDENTITY, vec![]).unwrap();
        let mut m = Model::plain("tall", MeshData::unit_box(), Material::default());
        m.mesh.skin = vec![VertexSkin::default(); m.mesh.vertices.len()];
        m.rig = Some(Arc::new(rig));
        let dir = std::env::temp_dir().join(format!("showrunner-tall-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut node = crate::gltf_io::Node::empty("tall", Mat4::IDENTITY);
        node.models = vec![0];
        crate::gltf_io::write_glb(&dir.join("tall.glb"), &[m], &[node]).unwrap();
        let got = load_cast(&["tall".to_owned()], std::slice::from_ref(&dir), &[], false).unwrap();
        assert!(got.performers[0].1.rig.is_none(), "it stands");
        assert!(
            got.warnings
                .iter()
                .any(|w| w.contains("260 joints") && w.contains("bind pose")),
            "{:?}",
            got.warnings
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_five_are_distinct_people() {
        let looks: Vec<(Vec3, Vec3, Top, Hair, Hat)> = SAMPLE_CAST
            .iter()
            .map(|n| {
                let f = figure(n);
                let (lo, hi) = actor_model(n).mesh.bounds().unwrap();
                (hi - lo, f.top_color, f.top, f.hair, f.hat)
            })
            .collect();
        for (i, a) in looks.iter().enumerate() {
            for b in &looks[i + 1..] {
                let silhouette = (a.0 - b.0).abs().max_element() > 0.03;
                let clothes = a.1.distance(b.1) > 0.1 || (a.2, a.3, a.4) != (b.2, b.3, b.4);
                assert!(silhouette && clothes, "{a:?} and {b:?} look alike");
            }
        }
    }

    /// Where the right hand's vertices go under a skin's palette.
    fn hand_height(m: &Model, skin: &Skin) -> f32 {
        let hand = skin.rig.joint("hand.R").unwrap() as u16;
        let mut sum = 0.0;
        let mut n = 0.0;
        for (v, s) in m.mesh.vertices.iter().zip(&m.mesh.skin) {
            if s.joints[0] == hand && s.weights[0] > 0.99 {
                let p = Vec3::from(v.position);
                let moved: Vec3 = (0..4)
                    .map(|k| skin.palette[s.joints[k] as usize].transform_point3(p) * s.weights[k])
                    .sum();
                sum += moved.y;
                n += 1.0;
            }
        }
        sum / n
    }

    #[test]
    fn the_arm_rises_with_the_gesture_and_the_body_falls() {
        let m = actor_model("mara");
        let mut skin = Skin::new(m.rig.clone().unwrap());
        let at_rest = hand_height(&m, &skin);
        let raised = Pose {
            arm_raise: 1.0,
            ..Pose::default()
        };
        for _ in 0..60 {
            skin.animate(&raised, 1.1, 0.5, 1.0 / 30.0);
        }
        assert!(hand_height(&m, &skin) > at_rest + 0.3, "the hand rises");
        let fallen = Pose {
            stance: Stance::Fallen,
            ..Pose::default()
        };
        for _ in 0..90 {
            skin.animate(&fallen, 1.1, 0.5, 1.0 / 30.0);
        }
        let head = skin.joint_position(HEAD).unwrap();
        assert!(head.y < 0.4, "the fallen lie on the ground: head at {head}");
    }
}
