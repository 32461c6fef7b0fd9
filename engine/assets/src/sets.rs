//! The sample's sets: Carrow Rock and its lighthouse, one set for every `scene:` the sample
//! names, made from procedural geometry and textures and written as glTF by
//! `showrunner assets build` (`assets/sets/NAME.glb`). A set is read back through the same
//! glTF path as an author's own: meshes with their materials, and named nodes:
//!
//! - `mark:NAME` — where a character stands (in the order the file lists them);
//! - `entrance` — where characters walk on from;
//! - `view:NAME` — a vantage for the viewer's feet, facing its −z (`view:seat`, where a set
//!   has one, is where each scene starts; the `view:` directive moves the viewer to another);
//! - `collider:NAME` — an empty whose transform maps the unit box (−½..½) to a static box
//!   that stops falling things (or any mesh node with `"solid": true` in its extras);
//! - lights (`KHR_lights_punctual`): the sun or moon (directional) and lamps (point);
//! - `atmosphere` — extras `{"fog": [r, g, b], "fog_density": D, "fog_height": H, "rain": R}`:
//!   height fog (linear colour, density per metre at y = 0, metres it thins by e over) and
//!   rain (0 ..= 1); `"swell": S` (metres) sets how the sea heaves, `"spray": P` (0 ..= 1) how
//!   much it throws up, `"lightning": L` (0 ..= 1) how bright the storm's strikes are (by
//!   default all three go with the rain);
//! - `spray:NAME` — where the sea breaks on the rock, throwing up spray when it storms;
//!
//! The viewer's seat is the origin, facing −z; y is up; metres.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use glam::{Affine3A, Mat4, Quat, Vec2, Vec3, Vec4};
use showrunner_scene::atmosphere::Atmosphere;
use showrunner_scene::components::{Light, Material, Transform};
use showrunner_scene::sets::{Dressing, SetDesc, SetLibrary};

use crate::gltf_io::{self, AssetError, Loaded, Model, ModelMaterial, Node};
use crate::mesh::MeshData;
use crate::texture::{Image, Sky, Surface};

/// Every scene the sample names, each with a set of its own.
pub const SAMPLE_SCENES: [&str; 18] = [
    "title_card",
    "landing",
    "stairwell",
    "lamp_room",
    "kitchen",
    "radio_room",
    "gallery",
    "lamp_room_dark",
    "the_gut",
    "dawn_slip",
    "lamp_room_day",
    "ember_slip",
    "lamp_room_ember",
    "ice_slip",
    "lamp_room_ice",
    "rogue_wave",
    "distant_flare",
    "blackout",
];

/// Texels across a surface's maps.
pub const SURFACE_TEXELS: u32 = 256;
/// Texels around a sky (half as many from zenith to nadir).
pub const SKY_TEXELS: u32 = 1024;

/// A surface's base colour, normal and metallic-roughness maps.
type Maps = [Arc<Image>; 3];

/// Textures are made once per process and shared by every set using them.
fn surface_maps(s: Surface) -> Maps {
    static CACHE: OnceLock<Mutex<BTreeMap<&'static str, Maps>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(m) = cache.lock().expect("not poisoned").get(s.name()) {
        return m.clone();
    }
    let m = s.maps(SURFACE_TEXELS);
    let maps = [
        Arc::new(m.base_color),
        Arc::new(m.normal),
        Arc::new(m.metallic_roughness),
    ];
    cache
        .lock()
        .expect("not poisoned")
        .insert(s.name(), maps.clone());
    maps
}

fn sky_image(s: Sky) -> Arc<Image> {
    static CACHE: OnceLock<Mutex<BTreeMap<&'static str, Arc<Image>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(m) = cache.lock().expect("not poisoned").get(s.name()) {
        return m.clone();
    }
    let img = Arc::new(s.image(SKY_TEXELS));
    cache
        .lock()
        .expect("not poisoned")
        .insert(s.name(), img.clone());
    img
}

/// What a part is made of.
#[derive(Clone, Copy)]
enum Stuff {
    /// A textured surface, tinted.
    Surface(Surface, Vec3),
    /// A textured surface, tinted and glowing (the lit lens).
    LitSurface(Surface, Vec3, Vec3),
    /// A flat colour with emission (lamps, dials, the lit lens).
    Glow(Vec3, Vec3),
    /// The sky.
    Sky(Sky),
}

struct Builder {
    textured: bool,
    parts: Vec<(String, Stuff, MeshData)>,
    nodes: Vec<Node>,
}

impl Builder {
    fn new(textured: bool) -> Self {
        Self {
            textured,
            parts: Vec::new(),
            nodes: Vec::new(),
        }
    }

    /// The mesh of part `name` (made on first use).
    fn part(&mut self, name: &str, stuff: Stuff) -> &mut MeshData {
        let i = match self.parts.iter().position(|p| p.0 == name) {
            Some(i) => i,
            None => {
                self.parts.push((name.into(), stuff, MeshData::default()));
                self.parts.len() - 1
            }
        };
        &mut self.parts[i].2
    }

    fn mark(&mut self, name: &str, at: Vec3) {
        self.nodes.push(Node::empty(
            &format!("mark:{name}"),
            Mat4::from_translation(at),
        ));
    }

    /// A vantage for the viewer's feet, facing `yaw` radians left of −z.
    fn view(&mut self, name: &str, at: Vec3, yaw: f32) {
        self.nodes.push(Node::empty(
            &format!("view:{name}"),
            Mat4::from_rotation_translation(Quat::from_rotation_y(yaw), at),
        ));
    }

    fn node(&mut self, name: &str, at: Vec3) {
        self.nodes
            .push(Node::empty(name, Mat4::from_translation(at)));
    }

    fn collider(&mut self, name: &str, centre: Vec3, half: Vec3) {
        self.nodes.push(Node::empty(
            &format!("collider:{name}"),
            Mat4::from_scale_rotation_translation(half * 2.0, Quat::IDENTITY, centre),
        ));
    }

    fn light(&mut self, name: &str, at: Mat4, light: Light) {
        self.nodes.push(Node {
            light: Some(light),
            ..Node::empty(name, at)
        });
    }

    fn lamp(&mut self, name: &str, at: Vec3, color: Vec3, range: f32) {
        self.light(
            name,
            Mat4::from_translation(at),
            Light::Point { color, range },
        );
    }

    /// The sun or moon shining along `direction`.
    fn sun(&mut self, direction: Vec3, color: Vec3) {
        let rot = Quat::from_rotation_arc(Vec3::NEG_Z, direction.normalize());
        self.light(
            "sun",
            Mat4::from_quat(rot),
            Light::Directional {
                direction: direction.normalize(),
                color,
            },
        );
    }

    /// The set's air: height fog (linear colour, density per metre at y = 0, metres it thins
    /// by e over) and rain (0..=1), as the `atmosphere` node's extras.
    fn air(&mut self, fog: Vec3, density: f32, height: f32, rain: f32) {
        self.nodes.push(Node {
            extras: Some(serde_json::json!({
                "fog": fog.to_array(),
                "fog_density": density,
                "fog_height": height,
                "rain": rain,
            })),
            ..Node::empty("atmosphere", Mat4::IDENTITY)
        });
    }

    /// The set's sky light: how much of the room's ambient light reaches it, per channel.
    fn ambient(&mut self, color: Vec3) {
        self.light("ambient", Mat4::IDENTITY, Light::Ambient { color });
    }

    fn finish(self) -> (Vec<Model>, Vec<Node>) {
        let mut models = Vec::new();
        let mut nodes = Vec::new();
        for (name, stuff, mut mesh) in self.parts {
            if mesh.vertices.is_empty() {
                continue;
            }
            let mut material = ModelMaterial::default();
            match stuff {
                Stuff::Surface(s, tint) | Stuff::LitSurface(s, tint, _) => {
                    for v in &mut mesh.vertices {
                        v.uv = (Vec2::from(v.uv) / s.tile_m()).into();
                    }
                    material.factors = Material {
                        base_color: tint.extend(1.0),
                        metallic: 1.0,
                        roughness: 1.0,
                        emissive: match stuff {
                            Stuff::LitSurface(_, _, e) => e,
                            _ => Vec3::ZERO,
                        },
                    };
                    if self.textured {
                        let [b, n, mr] = surface_maps(s);
                        material.base_color = Some(b);
                        material.normal = Some(n);
                        material.metallic_roughness = Some(mr);
                    }
                }
                Stuff::Glow(base, emissive) => {
                    material.factors = Material {
                        base_color: base.extend(1.0),
                        metallic: 0.0,
                        roughness: 0.5,
                        emissive,
                    };
                }
                Stuff::Sky(sky) => {
                    material.unlit = true;
                    material.factors = Material {
                        base_color: Vec4::ONE,
                        metallic: 0.0,
                        roughness: 1.0,
                        emissive: Vec3::ZERO,
                    };
                    if self.textured {
                        material.base_color = Some(sky_image(sky));
                    }
                }
            }
            nodes.push(Node {
                models: vec![models.len()],
                ..Node::empty(&name, Mat4::IDENTITY)
            });
            models.push(Model {
                name,
                mesh,
                material,
                rig: None,
            });
        }
        nodes.extend(self.nodes);
        (models, nodes)
    }
}

fn at(p: Vec3) -> Affine3A {
    Affine3A::from_translation(p)
}

fn turned(angle: f32, p: Vec3) -> Affine3A {
    Affine3A::from_rotation_translation(Quat::from_rotation_y(angle), p)
}

const WHITE: Vec3 = Vec3::ONE;
const TAU: f32 = std::f32::consts::TAU;

fn sky(b: &mut Builder, s: Sky) {
    b.part("sky", Stuff::Sky(s))
        .add_sphere(Affine3A::IDENTITY, 480.0, 24, 48, true);
}

fn sea(b: &mut Builder, level: f32, tint: Vec3) {
    b.part("sea", Stuff::Surface(Surface::Water, tint))
        .add_grid(at(Vec3::new(0.0, level, 0.0)), Vec2::splat(900.0), 48);
}

/// A rock: a sphere squashed and roughened by noise, sunk into the sea.
fn rock(b: &mut Builder, part: &str, tint: Vec3, centre: Vec3, size: Vec3, seed: u32) {
    let mut m = MeshData::default();
    m.add_sphere(Affine3A::IDENTITY, 1.0, 10, 16, false);
    m.displace(|p| {
        let u = Vec2::new(p.x.atan2(p.z) / TAU + 0.5, p.y * 0.5 + 0.5);
        (crate::texture::fbm(u, 4, 4, seed) - 0.5) * 0.7
    });
    let shape = Affine3A::from_scale_rotation_translation(
        size,
        Quat::from_rotation_y(seed as f32 * 1.7),
        centre,
    );
    b.part(part, Stuff::Surface(Surface::Rock, tint))
        .append(&m, shape);
}

/// The lighthouse seen from outside: a white tower with a red band, the gallery, the
/// lantern (lit or not) and its dome, standing at `base`, `scale` of full size (28 m).
fn tower(b: &mut Builder, base: Vec3, scale: f32, lit: bool) {
    let s = |v: f32| v * scale;
    let t = Affine3A::from_scale_rotation_translation(Vec3::splat(scale), Quat::IDENTITY, base);
    let white = Vec3::new(1.0, 0.98, 0.94);
    b.part("tower", Stuff::Surface(Surface::Whitewash, white))
        .add_lathe(
            t,
            &[(3.2, -2.0), (3.0, 0.0), (2.4, 24.0)],
            32,
            (0.0, TAU),
            false,
        );
    b.part(
        "tower band",
        Stuff::Surface(Surface::Whitewash, Vec3::new(0.62, 0.08, 0.06)),
    )
    .add_lathe(t, &[(2.68, 13.0), (2.6, 16.5)], 32, (0.0, TAU), false);
    let iron = Stuff::Surface(Surface::Iron, WHITE);
    let m = b.part("tower iron", iron);
    m.add_cylinder(t * at(Vec3::new(0.0, 24.0, 0.0)), 3.2, 0.25, 32);
    m.add_lathe(
        t,
        &[(3.15, 25.1), (3.25, 25.1), (3.25, 25.2), (3.15, 25.2)],
        32,
        (0.0, TAU),
        false,
    );
    for k in 0..24 {
        let a = k as f32 / 24.0 * TAU;
        m.add_box(
            t * turned(a, Vec3::new(3.2 * a.sin(), 24.7, 3.2 * a.cos())),
            Vec3::new(0.03, 0.45, 0.03),
        );
    }
    m.add_lathe(
        t,
        &[
            (2.0, 27.2),
            (2.1, 27.3),
            (1.5, 28.2),
            (0.6, 28.8),
            (0.05, 29.0),
        ],
        24,
        (0.0, TAU),
        false,
    );
    for k in 0..8 {
        let a = k as f32 / 8.0 * TAU;
        m.add_box(
            t * turned(a, Vec3::new(1.85 * a.sin(), 25.7, 1.85 * a.cos())),
            Vec3::new(0.05, 1.5, 0.05),
        );
    }
    let glow = if lit {
        Vec3::new(6.0, 5.0, 3.2)
    } else {
        Vec3::ZERO
    };
    b.part("lantern", Stuff::Glow(Vec3::new(0.3, 0.38, 0.4), glow))
        .add_lathe(t, &[(1.8, 24.25), (1.8, 27.2)], 24, (0.0, TAU), false);
    if lit {
        b.lamp("lantern", base + Vec3::Y * s(25.7), glow * 4.0, s(60.0));
    }
}

/// Outdoors on the rock: sky, sea, rocks, the tower somewhere behind or across.
fn shore(b: &mut Builder, s: Sky, frost: bool) {
    shore_to(b, s, frost, -7.0);
}

/// [`shore`] with the rock shelf reaching `far` metres ahead (z) of the viewer.
fn shore_to(b: &mut Builder, s: Sky, frost: bool, far: f32) {
    sky(b, s);
    let (fog, density, rain) = air_of(s);
    b.air(fog, density, 12.0, rain);
    let sea_tint = match s {
        Sky::Ice => Vec3::new(1.3, 1.45, 1.5),
        Sky::Ember => Vec3::new(1.4, 0.9, 0.8),
        Sky::Dawn | Sky::Dusk => Vec3::new(1.2, 1.1, 1.1),
        _ => WHITE,
    };
    sea(b, -0.8, sea_tint);
    let rock_tint = if frost {
        Vec3::new(2.2, 2.4, 2.6)
    } else {
        WHITE
    };
    for (k, (c, size)) in [
        (Vec3::new(-7.0, -0.5, -9.0), Vec3::new(4.0, 2.2, 3.0)),
        (Vec3::new(8.0, -0.6, -12.0), Vec3::new(5.0, 2.8, 4.0)),
        (Vec3::new(-4.0, -0.7, 3.5), Vec3::new(3.0, 1.6, 2.5)),
        (Vec3::new(5.5, -0.7, 2.0), Vec3::new(2.5, 1.4, 2.0)),
        (Vec3::new(-16.0, -1.0, -26.0), Vec3::new(6.0, 3.0, 5.0)),
        (Vec3::new(20.0, -1.0, -34.0), Vec3::new(7.0, 2.5, 6.0)),
    ]
    .into_iter()
    .enumerate()
    {
        rock(b, "rocks", rock_tint, c, size, 11 + k as u32);
    }
    // The rock platform the viewer and the actors stand on.
    let (centre, half) = (
        Vec3::new(0.0, -0.6, (3.0 + far) / 2.0),
        Vec3::new(6.0, 0.6, (3.0 - far) / 2.0),
    );
    b.part("rock shelf", Stuff::Surface(Surface::Rock, rock_tint))
        .add_box(at(centre), half);
    b.collider("shelf", centre, half);
    // Where the sea breaks: along the shelf's seaward edge and on the rocks beyond it.
    for (k, x) in [-3.6f32, 1.1, 4.7].into_iter().enumerate() {
        b.node(&format!("spray:edge {k}"), Vec3::new(x, -0.8, far - 0.35));
    }
    b.node("spray:west rock", Vec3::new(-7.0, -0.8, -5.8));
    b.node("spray:east rock", Vec3::new(7.0, -0.8, -7.8));
}

/// How much of the room's ambient light a sky lets through (dusk warms it, night all but
/// puts it out).
fn sky_light(s: Sky) -> Vec3 {
    match s {
        Sky::Day => Vec3::new(1.0, 1.0, 1.05),
        Sky::Dusk => Vec3::new(0.8, 0.62, 0.55),
        Sky::Dawn => Vec3::new(0.75, 0.62, 0.6),
        Sky::Ember => Vec3::new(0.75, 0.42, 0.32),
        Sky::Ice => Vec3::new(0.85, 0.92, 1.05),
        Sky::Storm => Vec3::new(0.22, 0.25, 0.32),
        Sky::Night => Vec3::splat(0.04),
    }
}

/// The air outdoors under a sky: (fog colour, density, rain).
fn air_of(s: Sky) -> (Vec3, f32, f32) {
    match s {
        Sky::Storm => (Vec3::new(0.035, 0.04, 0.05), 0.03, 1.0),
        Sky::Ice => (Vec3::new(0.55, 0.6, 0.65), 0.02, 0.0),
        Sky::Dawn => (Vec3::new(0.5, 0.38, 0.34), 0.008, 0.0),
        Sky::Dusk => (Vec3::new(0.45, 0.3, 0.26), 0.006, 0.0),
        Sky::Ember => (Vec3::new(0.5, 0.2, 0.1), 0.012, 0.0),
        Sky::Day => (Vec3::new(0.6, 0.68, 0.75), 0.003, 0.0),
        Sky::Night => (Vec3::splat(0.003), 0.01, 0.0),
    }
}

fn sun_of(s: Sky) -> (Vec3, Vec3) {
    match s {
        Sky::Day => (Vec3::new(-0.4, -0.8, -0.5), Vec3::new(2.2, 2.1, 1.9)),
        Sky::Dusk => (Vec3::new(0.7, -0.15, -0.7), Vec3::new(1.6, 0.9, 0.5)),
        Sky::Dawn => (Vec3::new(-0.7, -0.12, 0.7), Vec3::new(1.4, 1.0, 0.7)),
        Sky::Ember => (Vec3::new(-0.4, -0.08, -0.9), Vec3::new(1.5, 0.5, 0.2)),
        Sky::Ice => (Vec3::new(-0.5, -0.5, 0.7), Vec3::new(1.1, 1.15, 1.25)),
        Sky::Storm => (Vec3::new(0.3, -0.9, -0.3), Vec3::new(0.12, 0.14, 0.2)),
        Sky::Night => (Vec3::new(0.0, -1.0, 0.0), Vec3::splat(0.01)),
    }
}

/// The slipway: a concrete ramp from the shelf down into the sea, the winch house, the tower
/// up on the rock behind to the left.
fn slip(b: &mut Builder, s: Sky) {
    let frost = s == Sky::Ice;
    shore(b, s, frost);
    let concrete = Stuff::Surface(
        Surface::Concrete,
        if frost {
            Vec3::new(1.5, 1.6, 1.7)
        } else {
            WHITE
        },
    );
    let ramp = Affine3A::from_rotation_translation(
        Quat::from_rotation_x(0.16),
        Vec3::new(0.5, -0.9, -7.0),
    );
    b.part("slipway", concrete)
        .add_box(ramp, Vec3::new(1.8, 0.3, 4.5));
    let m = b.part("slipway", concrete);
    m.add_box(at(Vec3::new(0.5, 0.05, -1.5)), Vec3::new(2.4, 0.05, 2.5));
    let iron = Stuff::Surface(Surface::Iron, WHITE);
    let m = b.part("winch", iron);
    m.add_cylinder(
        Affine3A::from_rotation_translation(
            Quat::from_rotation_z(TAU / 4.0),
            Vec3::new(3.2, 0.6, -0.6),
        ),
        0.35,
        1.2,
        16,
    );
    m.add_box(at(Vec3::new(2.6, 0.3, -0.6)), Vec3::new(0.1, 0.3, 0.4));
    // Rails down the slip.
    for x in [-0.6, 1.6] {
        m.add_box(
            ramp * at(Vec3::new(x, 0.33, 0.0)),
            Vec3::new(0.05, 0.03, 4.5),
        );
    }
    tower(b, Vec3::new(-14.0, 0.0, -22.0), 1.0, s == Sky::Ember);
    let (d, c) = sun_of(s);
    b.sun(d, c);
    b.ambient(sky_light(s));
    b.view("down_the_slip", Vec3::new(1.2, 0.1, -2.0), 0.2);
    b.mark("slip head", Vec3::new(-0.6, 0.1, -2.4));
    b.mark("by the winch", Vec3::new(2.4, 0.1, -1.2));
    b.mark("down the slip", Vec3::new(0.8, 0.1, -3.6));
    b.mark("on the rock", Vec3::new(-2.3, 0.0, -3.3));
    b.mark("at the edge", Vec3::new(1.9, 0.1, -3.9));
    b.mark("behind", Vec3::new(-1.6, 0.0, -4.6));
    b.node("entrance", Vec3::new(-5.0, 0.0, -5.0));
}

/// The boat landing where the viewer arrives: a quay with steps into the sea, bollards,
/// the tower rising on the rock ahead, dusk.
fn landing(b: &mut Builder, s: Sky) {
    shore(b, s, false);
    let concrete = Stuff::Surface(Surface::Concrete, WHITE);
    let m = b.part("quay", concrete);
    m.add_box(at(Vec3::new(0.0, -0.05, -1.5)), Vec3::new(3.0, 0.1, 3.5));
    for k in 0..5 {
        let k = k as f32;
        m.add_box(
            at(Vec3::new(3.6 + 0.35 * k, -0.25 - 0.2 * k, -1.5)),
            Vec3::new(0.2, 0.1, 1.2),
        );
    }
    b.collider(
        "quay",
        Vec3::new(0.0, -0.05, -1.5),
        Vec3::new(3.0, 0.1, 3.5),
    );
    let iron = Stuff::Surface(Surface::Iron, WHITE);
    let m = b.part("bollards", iron);
    for x in [-2.6, 2.6] {
        m.add_lathe(
            at(Vec3::new(x, 0.05, 1.0)),
            &[
                (0.0, 0.0),
                (0.16, 0.0),
                (0.12, 0.35),
                (0.2, 0.45),
                (0.0, 0.5),
            ],
            12,
            (0.0, TAU),
            false,
        );
    }
    // The tower, full size, up on the rock ahead; its door at the top of a stair.
    tower(b, Vec3::new(1.5, 1.5, -16.0), 1.0, false);
    let m = b.part("steps", concrete);
    for k in 0..8 {
        let k = k as f32;
        m.add_box(
            at(Vec3::new(1.5, 0.1 + 0.19 * k, -5.5 - 0.9 * k)),
            Vec3::new(0.9, 0.1 + 0.095 * k, 0.45),
        );
    }
    // A small boat at the steps.
    let planks = Stuff::Surface(Surface::Planks, Vec3::new(0.5, 0.7, 0.9));
    b.part("boat", planks).add_lathe(
        Affine3A::from_scale_rotation_translation(
            Vec3::new(0.6, 1.0, 2.4),
            Quat::IDENTITY,
            Vec3::new(5.6, -0.95, 0.5),
        ),
        &[(0.0, -0.1), (0.9, 0.1), (1.0, 0.55)],
        16,
        (0.0, TAU),
        false,
    );
    let (d, c) = sun_of(s);
    b.sun(d, c);
    b.ambient(sky_light(s));
    b.view("at_the_steps", Vec3::new(2.6, 0.05, 0.2), 0.5);
    b.mark("quay centre", Vec3::new(-0.3, 0.05, -2.3));
    b.mark("by the steps", Vec3::new(1.9, 0.05, -1.1));
    b.mark("bollard", Vec3::new(-2.1, 0.05, -0.9));
    b.mark("foot of the stair", Vec3::new(1.0, 0.05, -4.3));
    b.mark("quay end", Vec3::new(-1.8, 0.05, -3.9));
    b.mark("behind", Vec3::new(0.5, 0.05, -4.8));
    b.node("entrance", Vec3::new(1.5, 0.05, -5.2));
}

/// The keepers' round rooms inside the tower: whitewashed walls, a floor of boards, a
/// ceiling, a deep window onto the weather, a lamp.
fn round_room(b: &mut Builder, radius: f32, height: f32, wall: Vec3, window_sky: Sky) {
    let c = Vec3::new(0.0, 0.0, -1.6);
    b.part("walls", Stuff::Surface(Surface::Whitewash, wall))
        .add_lathe(
            at(c),
            &[(radius, 0.0), (radius, height), (0.0, height)],
            40,
            (0.0, TAU),
            true,
        );
    b.part("floor", Stuff::Surface(Surface::Planks, WHITE))
        .add_cylinder(at(c - Vec3::Y * 0.1), radius + 0.05, 0.1, 40);
    b.collider("floor", c - Vec3::Y * 0.05, Vec3::new(radius, 0.05, radius));
    // Ceiling beams.
    let iron = Stuff::Surface(Surface::Planks, Vec3::new(0.6, 0.55, 0.5));
    let m = b.part("beams", iron);
    for k in 0..3 {
        let a = k as f32 / 3.0 * (TAU / 2.0);
        m.add_box(
            turned(a, c + Vec3::Y * (height - 0.12)),
            Vec3::new(radius, 0.1, 0.08),
        );
    }
    // The window: a recess in the wall ahead-left with the weather in it.
    let (d, col) = sun_of(window_sky);
    let window_light = window_sky.image(16).mean_linear();
    let a = -0.5f32;
    let dir = Vec3::new(a.sin(), 0.0, -a.cos());
    let m = b.part(
        "window frame",
        Stuff::Surface(Surface::Planks, Vec3::new(0.9, 0.9, 0.85)),
    );
    let w = turned(-a, c + dir * (radius - 0.05) + Vec3::Y * 1.5);
    m.add_box(
        w * at(Vec3::new(0.0, 0.55, 0.0)),
        Vec3::new(0.5, 0.05, 0.12),
    );
    m.add_box(
        w * at(Vec3::new(0.0, -0.55, 0.0)),
        Vec3::new(0.5, 0.05, 0.16),
    );
    m.add_box(
        w * at(Vec3::new(-0.45, 0.0, 0.0)),
        Vec3::new(0.05, 0.55, 0.12),
    );
    m.add_box(
        w * at(Vec3::new(0.45, 0.0, 0.0)),
        Vec3::new(0.05, 0.55, 0.12),
    );
    m.add_box(w * at(Vec3::new(0.0, 0.0, 0.0)), Vec3::new(0.02, 0.5, 0.03));
    b.part("window", Stuff::Glow(window_light, window_light * 1.5))
        .add_box(
            w * at(Vec3::new(0.0, 0.0, -0.1)),
            Vec3::new(0.42, 0.52, 0.02),
        );
    b.sun(d, col * 0.4);
    b.ambient(sky_light(window_sky) * 0.6 + Vec3::splat(0.1));
}

fn kitchen(b: &mut Builder) {
    round_room(b, 3.2, 2.7, Vec3::new(1.0, 0.97, 0.9), Sky::Dusk);
    let c = Vec3::new(0.0, 0.0, -1.6);
    let wood = Stuff::Surface(Surface::Planks, Vec3::new(1.1, 1.0, 0.9));
    let m = b.part("table", wood);
    let t = c + Vec3::new(0.2, 0.0, -0.5);
    m.add_box(at(t + Vec3::Y * 0.76), Vec3::new(0.8, 0.03, 0.5));
    for (x, z) in [(-0.7, -0.4), (0.7, -0.4), (-0.7, 0.4), (0.7, 0.4)] {
        m.add_box(at(t + Vec3::new(x, 0.37, z)), Vec3::new(0.04, 0.37, 0.04));
    }
    // Benches.
    m.add_box(
        at(t + Vec3::new(0.0, 0.44, -0.85)),
        Vec3::new(0.7, 0.03, 0.15),
    );
    m.add_box(
        at(t + Vec3::new(0.0, 0.22, -0.85)),
        Vec3::new(0.65, 0.22, 0.03),
    );
    b.collider("table", t + Vec3::Y * 0.4, Vec3::new(0.8, 0.4, 0.5));
    // The range against the wall, its firebox glowing.
    let iron = Stuff::Surface(Surface::Iron, Vec3::new(0.6, 0.6, 0.6));
    let r = c + Vec3::new(-2.4, 0.0, -1.4);
    let m = b.part("range", iron);
    m.add_box(turned(0.9, r + Vec3::Y * 0.45), Vec3::new(0.6, 0.45, 0.35));
    m.add_cylinder(at(r + Vec3::new(0.1, 0.9, -0.1)), 0.08, 1.8, 10);
    b.part(
        "firebox",
        Stuff::Glow(Vec3::new(0.4, 0.1, 0.02), Vec3::new(3.0, 1.0, 0.2)),
    )
    .add_box(
        turned(0.9, r + Vec3::new(0.27, 0.35, 0.2)),
        Vec3::new(0.2, 0.12, 0.02),
    );
    b.lamp(
        "firebox",
        r + Vec3::new(0.5, 0.4, 0.4),
        Vec3::new(1.6, 0.6, 0.15),
        3.0,
    );
    b.collider("range", r + Vec3::Y * 0.45, Vec3::new(0.6, 0.45, 0.6));
    // Shelves of crockery.
    let m = b.part("shelves", wood);
    let s = c + Vec3::new(2.2, 0.0, -2.0);
    for y in [1.2, 1.6] {
        m.add_box(turned(-0.85, s + Vec3::Y * y), Vec3::new(0.6, 0.02, 0.15));
    }
    let m = b.part(
        "crockery",
        Stuff::Surface(Surface::Whitewash, Vec3::new(1.1, 1.1, 1.15)),
    );
    for k in 0..6 {
        let off = Quat::from_rotation_y(-0.85) * Vec3::new(-0.45 + 0.18 * k as f32, 0.0, 0.0);
        m.add_lathe(
            at(s + off + Vec3::Y * (if k % 2 == 0 { 1.22 } else { 1.62 })),
            &[(0.0, 0.0), (0.05, 0.0), (0.07, 0.12), (0.0, 0.1)],
            10,
            (0.0, TAU),
            false,
        );
    }
    // The lamp over the table.
    b.part(
        "lamp",
        Stuff::Glow(Vec3::new(1.0, 0.9, 0.7), Vec3::new(4.0, 3.0, 1.8)),
    )
    .add_sphere(at(t + Vec3::Y * 2.0), 0.1, 6, 10, false);
    b.lamp(
        "table lamp",
        t + Vec3::Y * 1.9,
        Vec3::new(3.0, 2.4, 1.6),
        5.0,
    );
    b.view("by_the_range", c + Vec3::new(-1.2, 0.0, 0.9), -0.6);
    b.mark("at the table", t + Vec3::new(-0.4, 0.0, -1.1));
    b.mark("by the range", r + Vec3::new(0.8, 0.0, 0.7));
    b.mark("table end", t + Vec3::new(1.2, 0.0, 0.1));
    b.mark("by the shelves", s + Vec3::new(-0.7, 0.0, 0.5));
    b.mark("window", c + Vec3::new(-1.1, 0.0, -2.1));
    b.mark("doorway", c + Vec3::new(1.8, 0.0, 1.2));
    b.node("entrance", c + Vec3::new(2.6, 0.0, 1.0));
}

fn radio_room(b: &mut Builder) {
    round_room(b, 2.6, 2.5, Vec3::new(0.82, 0.9, 0.86), Sky::Storm);
    let c = Vec3::new(0.0, 0.0, -1.6);
    let wood = Stuff::Surface(Surface::Planks, Vec3::new(0.9, 0.8, 0.75));
    let d = c + Vec3::new(0.6, 0.0, -1.9);
    let m = b.part("desk", wood);
    m.add_box(turned(0.3, d + Vec3::Y * 0.74), Vec3::new(0.8, 0.03, 0.38));
    m.add_box(turned(0.3, d + Vec3::Y * 0.37), Vec3::new(0.75, 0.37, 0.34));
    b.collider("desk", d + Vec3::Y * 0.4, Vec3::new(0.8, 0.4, 0.4));
    // The set: a cabinet of dials.
    let iron = Stuff::Surface(Surface::Iron, Vec3::new(0.7, 0.7, 0.7));
    let r = turned(0.3, d + Vec3::new(0.0, 1.02, -0.1));
    b.part("radio", iron).add_box(r, Vec3::new(0.45, 0.25, 0.2));
    let m = b.part(
        "dials",
        Stuff::Glow(Vec3::new(0.8, 0.6, 0.2), Vec3::new(2.5, 1.6, 0.4)),
    );
    for k in 0..4 {
        m.add_box(
            r * at(Vec3::new(-0.3 + 0.2 * k as f32, 0.05, 0.205)),
            Vec3::new(0.06, 0.05, 0.005),
        );
    }
    let brass = Stuff::Surface(Surface::Brass, WHITE);
    b.part("microphone", brass).add_cylinder(
        turned(0.3, d + Vec3::new(-0.5, 0.77, 0.1)),
        0.04,
        0.3,
        10,
    );
    // The chart on the wall.
    b.part(
        "chart",
        Stuff::Surface(Surface::Whitewash, Vec3::new(1.0, 0.9, 0.7)),
    )
    .add_box(
        turned(-0.9, c + Vec3::new(2.0, 1.5, -1.45)),
        Vec3::new(0.5, 0.35, 0.01),
    );
    b.part(
        "desk lamp",
        Stuff::Glow(Vec3::new(0.9, 0.85, 0.7), Vec3::new(3.0, 2.5, 1.5)),
    )
    .add_sphere(at(d + Vec3::new(0.55, 1.05, 0.05)), 0.07, 6, 10, false);
    b.lamp(
        "desk lamp",
        d + Vec3::new(0.5, 1.2, 0.4),
        Vec3::new(2.2, 1.9, 1.3),
        3.5,
    );
    b.lamp("ceiling", c + Vec3::Y * 2.2, Vec3::new(0.5, 0.55, 0.7), 4.0);
    b.view("at_the_set", c + Vec3::new(1.5, 0.0, -1.7), 1.35);
    b.mark("at the set", d + Vec3::new(-0.2, 0.0, 0.8));
    b.mark("by the chart", c + Vec3::new(1.4, 0.0, -0.6));
    b.mark("by the window", c + Vec3::new(-1.2, 0.0, -1.2));
    b.mark("doorway", c + Vec3::new(-1.5, 0.0, 0.8));
    b.mark("behind", c + Vec3::new(-0.3, 0.0, -1.6));
    b.mark("centre", c + Vec3::new(0.2, 0.0, -0.3));
    b.node("entrance", c + Vec3::new(-2.0, 0.0, 1.0));
}

/// Inside the tower: the stair coiling up the wall round a central newel, a slit window.
fn stairwell(b: &mut Builder) {
    let c = Vec3::new(0.0, 0.0, -1.7);
    let r = 2.4;
    b.part(
        "walls",
        Stuff::Surface(Surface::Masonry, Vec3::new(1.3, 1.25, 1.2)),
    )
    .add_lathe(at(c), &[(r, -4.0), (r, 9.0)], 40, (0.0, TAU), true);
    b.part(
        "floor",
        Stuff::Surface(Surface::Masonry, Vec3::new(0.8, 0.8, 0.8)),
    )
    .add_cylinder(at(c - Vec3::Y * 0.1), r, 0.1, 40);
    b.collider("floor", c - Vec3::Y * 0.05, Vec3::new(r, 0.05, r));
    let iron = Stuff::Surface(Surface::Iron, WHITE);
    b.part("newel", iron)
        .add_cylinder(at(c - Vec3::Y * 4.0), 0.14, 13.0, 16);
    // Steps: 20 a turn, 0.19 m each, from the floor up past the ceiling, spiralling from the
    // back wall round to the viewer's right.
    let m = b.part(
        "steps",
        Stuff::Surface(Surface::Planks, Vec3::new(0.8, 0.75, 0.7)),
    );
    for k in 0..48 {
        let a = TAU * 0.35 + k as f32 / 20.0 * TAU;
        let y = 0.19 * k as f32;
        let mid = (r + 0.14) / 2.0;
        m.add_box(
            turned(a, c + Vec3::new(mid * a.sin(), y + 0.02, mid * a.cos())),
            Vec3::new(0.3, 0.04, (r - 0.14) / 2.0),
        );
    }
    let m = b.part("handrail", iron);
    for k in 0..48 {
        let a = TAU * 0.35 + k as f32 / 20.0 * TAU;
        let y = 0.19 * k as f32;
        m.add_box(
            turned(a, c + Vec3::new(0.3 * a.sin(), y + 0.5, 0.3 * a.cos())),
            Vec3::new(0.02, 0.5, 0.02),
        );
    }
    // The slit window high on the wall ahead, and the keeper's lantern on a hook.
    let window_light = Sky::Dusk.image(16).mean_linear();
    b.part("window", Stuff::Glow(window_light, window_light * 2.0))
        .add_box(
            at(c + Vec3::new(-0.3, 2.6, -r + 0.02)),
            Vec3::new(0.12, 0.6, 0.03),
        );
    b.part(
        "lantern",
        Stuff::Glow(Vec3::new(1.0, 0.85, 0.6), Vec3::new(4.0, 2.8, 1.4)),
    )
    .add_sphere(at(c + Vec3::new(1.6, 2.0, -1.3)), 0.08, 6, 10, false);
    b.lamp(
        "lantern",
        c + Vec3::new(1.4, 2.0, -1.1),
        Vec3::new(2.5, 1.9, 1.1),
        5.0,
    );
    let (d, col) = sun_of(Sky::Dusk);
    b.sun(d, col * 0.3);
    b.ambient(Vec3::new(0.35, 0.32, 0.3));
    b.view("on_the_stair", c + Vec3::new(-1.03, 1.92, 0.75), -0.94);
    b.mark("foot of the stair", c + Vec3::new(-0.8, 0.0, -1.2));
    b.mark("by the newel", c + Vec3::new(0.6, 0.0, -0.6));
    b.mark("on the stair", c + Vec3::new(1.6, 0.0, -0.9));
    b.mark("against the wall", c + Vec3::new(-1.6, 0.0, -0.4));
    b.mark("behind", c + Vec3::new(-0.2, 0.0, -1.9));
    b.mark("doorway", c + Vec3::new(1.2, 0.0, 1.0));
    b.node("entrance", c + Vec3::new(1.8, 0.0, 1.2));
}

/// How the lantern room is seen in each state of the story.
#[derive(Clone, Copy, PartialEq)]
enum Lantern {
    Dusk,
    Dark,
    Day,
    Ember,
    Ice,
    Blackout,
}

/// The lantern room at the top of the tower: a low wall, glazing bars round a glass room
/// open to the sky, the domed roof, the great lens on its pedestal, the sea far below.
fn lamp_room(b: &mut Builder, state: Lantern) {
    let s = match state {
        Lantern::Dusk => Sky::Dusk,
        Lantern::Dark => Sky::Storm,
        Lantern::Day => Sky::Day,
        Lantern::Ember => Sky::Ember,
        Lantern::Ice => Sky::Ice,
        Lantern::Blackout => Sky::Night,
    };
    sky(b, s);
    sea(b, -40.0, WHITE);
    let (fog, density, _) = air_of(s);
    b.air(fog, density * 0.6, 30.0, 0.0);
    let c = Vec3::new(0.0, 0.0, -2.3);
    let r = 3.2;
    let frost = state == Lantern::Ice;
    let wall_tint = if frost {
        Vec3::new(1.1, 1.2, 1.35)
    } else {
        Vec3::new(0.95, 0.93, 0.88)
    };
    b.part("low wall", Stuff::Surface(Surface::Whitewash, wall_tint))
        .add_lathe(
            at(c),
            &[(r, 0.0), (r, 1.0), (r - 0.25, 1.0)],
            40,
            (0.0, TAU),
            true,
        );
    b.part(
        "floor",
        Stuff::Surface(Surface::Planks, Vec3::new(0.8, 0.8, 0.8)),
    )
    .add_cylinder(at(c - Vec3::Y * 0.1), r, 0.1, 40);
    b.collider("floor", c - Vec3::Y * 0.05, Vec3::new(r, 0.05, r));
    let iron = Stuff::Surface(Surface::Iron, WHITE);
    let m = b.part("glazing bars", iron);
    for k in 0..12 {
        let a = (k as f32 + 0.5) / 12.0 * TAU;
        m.add_box(
            turned(
                a,
                c + Vec3::new((r - 0.1) * a.sin(), 2.0, (r - 0.1) * a.cos()),
            ),
            Vec3::new(0.04, 1.0, 0.04),
        );
    }
    m.add_lathe(
        at(c),
        &[
            (r - 0.05, 1.95),
            (r - 0.15, 1.95),
            (r - 0.15, 2.03),
            (r - 0.05, 2.03),
        ],
        40,
        (0.0, TAU),
        false,
    );
    m.add_lathe(
        at(c),
        &[(r, 3.0), (r - 0.6, 3.5), (1.0, 4.0), (0.0, 4.15)],
        40,
        (0.0, TAU),
        true,
    );
    // The lens: brass pedestal, a barrel of glass prisms, lit by state.
    let brass = Stuff::Surface(Surface::Brass, WHITE);
    let m = b.part("pedestal", brass);
    m.add_lathe(
        at(c),
        &[
            (0.0, 0.0),
            (0.5, 0.0),
            (0.35, 0.2),
            (0.3, 0.95),
            (0.55, 1.0),
            (0.0, 1.05),
        ],
        24,
        (0.0, TAU),
        false,
    );
    m.add_lathe(
        at(c),
        &[(0.52, 2.62), (0.2, 2.8), (0.0, 2.82)],
        24,
        (0.0, TAU),
        false,
    );
    let glow = match state {
        Lantern::Dark => Vec3::new(7.0, 6.0, 4.2),
        Lantern::Dusk => Vec3::new(3.0, 2.5, 1.6),
        Lantern::Ember => Vec3::new(2.0, 1.0, 0.4),
        Lantern::Ice => Vec3::new(1.6, 1.8, 2.2),
        Lantern::Day | Lantern::Blackout => Vec3::ZERO,
    };
    let lens = [
        (0.0, 1.05),
        (0.45, 1.08),
        (0.58, 1.45),
        (0.6, 1.85),
        (0.58, 2.25),
        (0.45, 2.6),
        (0.0, 2.62),
    ];
    b.part(
        "lens",
        Stuff::LitSurface(Surface::Glass, Vec3::ONE, glow * 0.12),
    )
    .add_lathe(at(c), &lens, 32, (0.0, TAU), false);
    if glow != Vec3::ZERO {
        b.part("lamp", Stuff::Glow(Vec3::ONE, glow)).add_sphere(
            at(c + Vec3::Y * 1.85),
            0.16,
            8,
            12,
            false,
        );
        b.lamp("lens", c + Vec3::Y * 1.85, glow, 7.0);
    }
    if state == Lantern::Day {
        // Curtains drawn round the lens against the sun.
        b.part(
            "curtains",
            Stuff::Surface(Surface::Whitewash, Vec3::new(1.0, 0.9, 0.72)),
        )
        .add_lathe(
            at(c),
            &[(0.75, 0.95), (0.8, 1.8), (0.72, 2.7)],
            28,
            (0.0, TAU),
            false,
        );
    }
    // The log desk and the hatch in the floor.
    let wood = Stuff::Surface(Surface::Planks, WHITE);
    let desk = c + Vec3::new(-2.3, 0.0, -0.2);
    let m = b.part("desk", wood);
    m.add_box(
        turned(1.2, desk + Vec3::Y * 0.9),
        Vec3::new(0.45, 0.03, 0.25),
    );
    m.add_box(
        turned(1.2, desk + Vec3::Y * 0.45),
        Vec3::new(0.4, 0.45, 0.2),
    );
    b.collider("desk", desk + Vec3::Y * 0.45, Vec3::new(0.45, 0.45, 0.45));
    b.part("hatch", iron).add_box(
        at(c + Vec3::new(1.4, 0.01, 0.6)),
        Vec3::new(0.35, 0.01, 0.35),
    );
    let (d, col) = sun_of(s);
    b.sun(d, col);
    b.ambient(sky_light(s));
    b.view("by_the_glass", c + Vec3::new(-2.0, 0.0, 1.2), -0.9);
    b.view("at_the_desk", c + Vec3::new(-2.6, 0.0, 0.7), -0.3);
    b.mark("at the lens", c + Vec3::new(-1.0, 0.0, 0.7));
    b.mark("across the lens", c + Vec3::new(1.1, 0.0, -0.5));
    b.mark("at the glass", c + Vec3::new(-1.2, 0.0, -1.7));
    b.mark("by the hatch", c + Vec3::new(1.6, 0.0, 0.8));
    b.mark("at the desk", desk + Vec3::new(0.7, 0.0, 0.3));
    b.mark("behind the lens", c + Vec3::new(0.4, 0.0, -2.0));
    b.node("entrance", c + Vec3::new(1.4, 0.0, 0.6));
}

/// Outside on the gallery: the iron walkway round the lantern (to the viewer's right), its
/// railing, the storm, the sea forty metres down.
fn gallery(b: &mut Builder, s: Sky, wave: bool, flare: bool) {
    sky(b, s);
    sea(b, -40.0, WHITE);
    // The lantern's centre: to the viewer's right, or (looking out the other way, for the
    // flare) to the left.
    let side = if flare { -1.0 } else { 1.0 };
    let (fog, density, rain) = air_of(s);
    // Forty metres up: the haze is below, the rain is here. The wave's own spray is the
    // haze there: the air before it is clear enough to see it coming.
    b.air(fog, density * if wave { 0.1 } else { 0.6 }, 30.0, rain);
    let c = Vec3::new(3.0 * side, 0.0, -0.5);
    let iron = Stuff::Surface(Surface::Iron, WHITE);
    let m = b.part("walkway", iron);
    m.add_lathe(
        at(c),
        &[(1.9, 0.0), (4.1, 0.0), (4.1, -0.2), (1.9, -0.2)],
        48,
        (0.0, TAU),
        true,
    );
    b.collider(
        "walkway",
        Vec3::new(0.0, -0.1, -0.5),
        Vec3::new(2.2, 0.1, 4.0),
    );
    let m = b.part("railing", iron);
    m.add_lathe(
        at(c),
        &[(4.0, 1.05), (4.1, 1.05), (4.1, 1.12), (4.0, 1.12)],
        48,
        (0.0, TAU),
        false,
    );
    m.add_lathe(
        at(c),
        &[(4.0, 0.55), (4.06, 0.55), (4.06, 0.6), (4.0, 0.6)],
        48,
        (0.0, TAU),
        false,
    );
    for k in 0..36 {
        let a = k as f32 / 36.0 * TAU;
        m.add_box(
            turned(a, c + Vec3::new(4.05 * a.sin(), 0.55, 4.05 * a.cos())),
            Vec3::new(0.025, 0.55, 0.025),
        );
    }
    // The lantern's glass wall and bars, lit from inside.
    let glow = Vec3::new(2.5, 2.1, 1.4);
    b.part(
        "lantern glass",
        Stuff::Glow(Vec3::new(0.25, 0.3, 0.32), glow * 0.6),
    )
    .add_lathe(at(c), &[(1.9, 1.0), (1.9, 3.2)], 36, (0.0, TAU), false);
    b.part("lantern wall", Stuff::Surface(Surface::Whitewash, WHITE))
        .add_lathe(at(c), &[(1.95, 0.0), (1.95, 1.0)], 36, (0.0, TAU), false);
    let m = b.part("lantern bars", iron);
    for k in 0..12 {
        let a = k as f32 / 12.0 * TAU;
        m.add_box(
            turned(a, c + Vec3::new(1.95 * a.sin(), 2.1, 1.95 * a.cos())),
            Vec3::new(0.05, 1.1, 0.05),
        );
    }
    m.add_lathe(
        at(c),
        &[(2.1, 3.2), (1.4, 3.9), (0.1, 4.3)],
        36,
        (0.0, TAU),
        false,
    );
    b.lamp("lantern", c + Vec3::Y * 2.0, glow * 2.0, 8.0);
    // The tower's shaft falling away below the walkway.
    b.part("tower", Stuff::Surface(Surface::Whitewash, WHITE))
        .add_lathe(at(c), &[(2.6, -40.0), (1.95, -0.2)], 36, (0.0, TAU), false);
    if wave {
        // A wall of water rising out of the dark, already taller than the tower.
        let mut m = MeshData::default();
        m.add_grid(Affine3A::IDENTITY, Vec2::new(160.0, 60.0), 40);
        for v in &mut m.vertices {
            let p = Vec3::from(v.position);
            let t = (p.z / 60.0 + 0.5).clamp(0.0, 1.0); // 0 near .. 1 far
            let lift = 55.0
                * (t * std::f32::consts::PI * 0.9).sin().max(0.0)
                * (1.0 - (p.x / 80.0).powi(2));
            v.position = [p.x, p.y + lift - 40.0, p.z - 70.0 + 25.0 * (1.0 - t) * t];
        }
        m.smooth_normals();
        b.part(
            "rogue wave",
            Stuff::Surface(Surface::Water, Vec3::new(1.4, 1.6, 1.6)),
        )
        .append(&m, Affine3A::IDENTITY);
    }
    if flare {
        // A red star low over the sea, its smoke trail, and its light on the cloud.
        let f = Vec3::new(25.0, 14.0, -240.0);
        b.part(
            "flare",
            Stuff::Glow(Vec3::new(1.0, 0.2, 0.1), Vec3::new(40.0, 4.0, 1.0)),
        )
        .add_sphere(at(f), 3.0, 8, 12, false);
        b.part(
            "flare trail",
            Stuff::Glow(Vec3::new(0.3, 0.2, 0.2), Vec3::new(0.6, 0.15, 0.1)),
        )
        .add_lathe(
            at(Vec3::new(f.x, -40.0, f.z)),
            &[(0.8, 0.0), (0.4, 54.0)],
            8,
            (0.0, TAU),
            false,
        );
    }
    let (d, col) = sun_of(s);
    b.sun(d, col);
    b.ambient(sky_light(s));
    let m = |x: f32, z: f32| Vec3::new(x * side, 0.0, z);
    b.view("round_the_curve", m(1.8, 2.4), 0.39 * side);
    b.mark("at the rail", m(-0.4, -2.2));
    b.mark("by the door", m(1.0, -1.8));
    b.mark("round the curve", m(0.4, -3.4));
    b.mark("on the walkway", m(-0.6, -1.0));
    b.mark("far round", m(1.9, -3.9));
    b.mark("behind", m(0.9, 1.2));
    b.node("entrance", m(1.2, -1.8));
}

/// The gut: the channel between the rocks where the sea runs in, the slip across it, the
/// tower behind the viewer throwing its beam.
fn the_gut(b: &mut Builder) {
    shore_to(b, Sky::Storm, false, -5.0);
    for (k, (c, size)) in [
        (Vec3::new(-5.5, -0.5, -8.0), Vec3::new(3.0, 3.5, 6.0)),
        (Vec3::new(5.0, -0.5, -9.0), Vec3::new(3.0, 4.0, 7.0)),
        (Vec3::new(-3.5, -0.8, -16.0), Vec3::new(2.5, 2.5, 4.0)),
        (Vec3::new(3.0, -0.8, -18.0), Vec3::new(3.0, 2.0, 4.0)),
    ]
    .into_iter()
    .enumerate()
    {
        rock(
            b,
            "gut walls",
            Vec3::new(0.8, 0.85, 0.9),
            c,
            size,
            31 + k as u32,
        );
    }
    // White water where the sea runs into the channel.
    b.part(
        "surf",
        Stuff::Surface(Surface::Water, Vec3::new(6.0, 6.0, 6.0)),
    )
    .add_grid(at(Vec3::new(0.0, -0.7, -9.0)), Vec2::new(5.0, 10.0), 8);
    let concrete = Stuff::Surface(Surface::Concrete, Vec3::new(0.7, 0.7, 0.7));
    b.part("slipway", concrete).add_box(
        Affine3A::from_rotation_translation(
            Quat::from_rotation_x(-0.2),
            Vec3::new(-1.2, -0.3, -21.0),
        ),
        Vec3::new(1.6, 0.3, 4.0),
    );
    tower(b, Vec3::new(9.0, 0.0, 14.0), 1.0, true);
    let (d, col) = sun_of(Sky::Storm);
    b.sun(d, col);
    b.ambient(sky_light(Sky::Storm));
    b.view("at_the_brink", Vec3::new(-1.5, 0.0, -4.6), 0.0);
    b.mark("at the brink", Vec3::new(-1.2, 0.0, -3.4));
    b.mark("on the rock", Vec3::new(1.4, 0.0, -3.0));
    b.mark("back from the edge", Vec3::new(-2.6, 0.0, -1.6));
    b.mark("by the viewer", Vec3::new(2.2, 0.0, -1.3));
    b.mark("behind", Vec3::new(0.3, 0.0, -4.4));
    b.mark("across", Vec3::new(-1.2, 0.0, -19.5));
    b.node("entrance", Vec3::new(-4.0, 0.0, -2.0));
}

/// The title: the lighthouse across the water at dusk, its light just lit, seen from the
/// landing rocks.
fn title_card(b: &mut Builder) {
    shore(b, Sky::Dusk, false);
    tower(b, Vec3::new(-10.0, 3.0, -80.0), 1.0, true);
    rock(
        b,
        "rocks",
        WHITE,
        Vec3::new(-10.0, -2.0, -80.0),
        Vec3::new(16.0, 6.0, 12.0),
        41,
    );
    let (d, col) = sun_of(Sky::Dusk);
    b.sun(d, col);
    b.ambient(sky_light(Sky::Dusk));
    b.mark("on the shelf", Vec3::new(-0.8, 0.0, -2.8));
    b.mark("left", Vec3::new(-2.3, 0.0, -3.4));
    b.mark("right", Vec3::new(1.6, 0.0, -3.0));
    b.mark("ahead", Vec3::new(0.5, 0.0, -4.6));
    b.mark("far left", Vec3::new(-3.6, 0.0, -4.8));
    b.mark("far right", Vec3::new(3.2, 0.0, -4.5));
    b.node("entrance", Vec3::new(5.0, 0.0, -5.0));
}

/// Builds one of the sample's sets: its models (set-local names) and nodes. `textured`:
/// with its image textures (what the renderer draws), or without (quick, for a screening
/// that draws nothing; the factors, and so the staged scene, are the same either way).
pub fn build(scene: &str, textured: bool) -> Option<(Vec<Model>, Vec<Node>)> {
    let mut b = Builder::new(textured);
    match scene {
        "title_card" => title_card(&mut b),
        "landing" => landing(&mut b, Sky::Dusk),
        "stairwell" => stairwell(&mut b),
        "lamp_room" => lamp_room(&mut b, Lantern::Dusk),
        "lamp_room_dark" => lamp_room(&mut b, Lantern::Dark),
        "lamp_room_day" => lamp_room(&mut b, Lantern::Day),
        "lamp_room_ember" => lamp_room(&mut b, Lantern::Ember),
        "lamp_room_ice" => lamp_room(&mut b, Lantern::Ice),
        "blackout" => lamp_room(&mut b, Lantern::Blackout),
        "kitchen" => kitchen(&mut b),
        "radio_room" => radio_room(&mut b),
        "gallery" => gallery(&mut b, Sky::Storm, false, false),
        "rogue_wave" => gallery(&mut b, Sky::Storm, true, false),
        "distant_flare" => gallery(&mut b, Sky::Storm, false, true),
        "the_gut" => the_gut(&mut b),
        "dawn_slip" => slip(&mut b, Sky::Dawn),
        "ember_slip" => slip(&mut b, Sky::Ember),
        "ice_slip" => slip(&mut b, Sky::Ice),
        _ => return None,
    }
    Some(b.finish())
}

/// A loaded set file as the scene stages it: every mesh node as dressing (meshes renamed
/// `SET/MESH`), `mark:` nodes as marks, lights, colliders. A set with no marks gets a row of
/// them and a warning.
pub fn describe(scene: &str, file: &Path, loaded: &Loaded) -> (SetDesc, Vec<AssetError>) {
    let mut warnings = Vec::new();
    let mut set = SetDesc {
        name: scene.into(),
        marks: Vec::new(),
        entrance: Vec3::new(2.0, 0.0, -4.0),
        dressing: Vec::new(),
        lights: Vec::new(),
        views: Vec::new(),
        atmosphere: Atmosphere::default(),
        spray: Vec::new(),
    };
    let mut has_entrance = false;
    let mut colliders = 0;
    for n in &loaded.nodes {
        let (scale, rotation, translation) = n.transform.to_scale_rotation_translation();
        if let Some(mark) = n.name.strip_prefix("mark:") {
            set.marks.push((mark.trim().to_owned(), translation));
        } else if n.name.starts_with("spray:") {
            set.spray.push(translation);
        } else if let Some(view) = n.name.strip_prefix("view:") {
            // Upright: only the turn about y is kept (a vantage never tilts the horizon).
            let facing = rotation * Vec3::NEG_Z;
            let yaw = (-facing.x).atan2(-facing.z);
            set.views.push((
                view.trim().to_owned(),
                Transform {
                    translation,
                    rotation: Quat::from_rotation_y(yaw),
                    scale: Vec3::ONE,
                },
            ));
        } else if n.name == "atmosphere" {
            if let Some(e) = &n.extras {
                let num = |k: &str, lo: f32, hi: f32, d: f32| {
                    e.get(k)
                        .and_then(serde_json::Value::as_f64)
                        .map(|v| v as f32)
                        .filter(|v| v.is_finite())
                        .map_or(d, |v| v.clamp(lo, hi))
                };
                set.atmosphere = Atmosphere {
                    fog_color: gltf_io::extras_rgb(e, "fog").unwrap_or(Vec3::ZERO),
                    fog_density: num("fog_density", 0.0, 1.0, 0.0),
                    fog_height: num("fog_height", 0.1, 1000.0, 20.0),
                    rain: num("rain", 0.0, 1.0, 0.0),
                    ..Atmosphere::default()
                };
                // A storm's sea runs higher, throws up spray and brings lightning, unless the
                // set says otherwise.
                let rain = set.atmosphere.rain;
                set.atmosphere.swell = num("swell", 0.0, 10.0, 0.15 + 0.6 * rain);
                set.atmosphere.spray = num("spray", 0.0, 1.0, rain);
                set.atmosphere.lightning = num("lightning", 0.0, 1.0, rain);
            }
        } else if n.name == "entrance" {
            set.entrance = translation;
            has_entrance = true;
        } else if n.name.starts_with("collider:") {
            set.dressing.push(Dressing {
                mesh: String::new(),
                transform: Transform::at(translation),
                material: Material::default(),
                collider: Some((translation, (scale * 0.5).abs())),
            });
            colliders += 1;
        }
        if let Some(l) = n.light {
            set.lights.push((translation, l));
        }
        let solid = n
            .extras
            .as_ref()
            .and_then(|e| e.get("solid"))
            .and_then(serde_json::Value::as_bool)
            == Some(true);
        for &m in &n.models {
            let model = &loaded.models[m];
            let collider = solid
                .then(|| model.mesh.bounds())
                .flatten()
                .map(|(lo, hi)| {
                    let (lo, hi) = (
                        n.transform.transform_point3(lo),
                        n.transform.transform_point3(hi),
                    );
                    ((lo + hi) * 0.5, ((hi - lo) * 0.5).abs())
                });
            colliders += usize::from(collider.is_some());
            set.dressing.push(Dressing {
                mesh: format!("{scene}/{}", model.name),
                transform: Transform {
                    translation,
                    rotation,
                    scale,
                },
                material: model.material.factors,
                collider,
            });
        }
    }
    if colliders == 0 {
        set.dressing.push(Dressing {
            mesh: String::new(),
            transform: Transform::default(),
            material: Material::default(),
            collider: Some((Vec3::new(0.0, -0.05, 0.0), Vec3::new(50.0, 0.05, 50.0))),
        });
    }
    if set.marks.is_empty() {
        warnings.push(gltf_io::err(
            file,
            "has no marks (nodes named `mark:NAME`); the characters stand in a row in front of \
             the viewer until you add some",
        ));
        set.marks = (0..6)
            .map(|k| (format!("row {k}"), Vec3::new(-2.5 + k as f32, 0.0, -3.0)))
            .collect();
    }
    if !has_entrance {
        set.entrance = set.marks[0].1 + Vec3::new(3.0, 0.0, -1.0);
    }
    (set, warnings)
}

/// The sets a film can use, with the models the renderer draws them with.
#[derive(Debug, Default)]
pub struct SetAssets {
    /// Marks, dressing, lights and colliders, by scene name.
    pub library: SetLibrary,
    /// Every set's models, named `SET/MESH`.
    pub models: Vec<Model>,
    /// What could not be used, naming the file: each set so affected falls back (to the
    /// built one, or the placeholder room).
    pub warnings: Vec<String>,
}

/// Where a scene's set comes from: an author's file in one of `dirs` (`NAME.glb`, searched
/// in order), else the built one.
pub fn find(scene: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter()
        .map(|d| d.join(format!("{scene}.glb")))
        .find(|p| showrunner_package::is_file(p))
}

/// The film's sets: for each sample scene, the author's `NAME.glb` from `dirs` (the story's
/// `sets/` folder, then `assets/sets`) when there is one, else the built set; and every
/// other `.glb` in those folders as a set of its own (an author's new scene). `textured`:
/// with the images the renderer samples (a screening that draws nothing skips them).
pub fn load_sets(dirs: &[PathBuf], textured: bool) -> SetAssets {
    let mut out = SetAssets::default();
    let mut scenes: Vec<String> = SAMPLE_SCENES.iter().map(|s| (*s).to_owned()).collect();
    for d in dirs {
        let Ok(entries) = showrunner_package::list(d) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "glb"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        for n in names {
            if !scenes.contains(&n) {
                scenes.push(n);
            }
        }
    }
    for scene in scenes {
        let from_file = find(&scene, dirs).map(|p| (gltf_io::load(&p), p));
        let loaded = match from_file {
            Some((Ok(l), p)) => Some((l, p)),
            Some((Err(e), _)) => {
                out.warnings.push(format!(
                    "{e}; {}",
                    if SAMPLE_SCENES.contains(&scene.as_str()) {
                        "using the built set instead"
                    } else {
                        "the scene is staged in the placeholder room"
                    }
                ));
                None
            }
            None => None,
        };
        let loaded = loaded.or_else(|| {
            let (models, nodes) = build(&scene, textured)?;
            let name = PathBuf::from(format!("(built) {scene}.glb"));
            let bytes = gltf_io::glb_bytes(&models, &nodes).ok()?;
            let l = gltf_io::load_slice(&bytes, &name).ok()?;
            Some((l, name))
        });
        let Some((loaded, file)) = loaded else {
            continue;
        };
        let (desc, warnings) = describe(&scene, &file, &loaded);
        out.warnings.extend(
            warnings
                .iter()
                .chain(&loaded.warnings)
                .map(ToString::to_string),
        );
        out.library.insert(desc);
        out.models.extend(loaded.models.into_iter().map(|mut m| {
            m.name = format!("{scene}/{}", m.name);
            m
        }));
    }
    out
}

/// The built sets, written to `dir` as `NAME.glb` (what `showrunner assets build` does):
/// returns each file with its triangle count.
pub fn write_sets(dir: &Path) -> Result<Vec<(PathBuf, usize)>, AssetError> {
    std::fs::create_dir_all(dir).map_err(|e| gltf_io::err(dir, format!("cannot create: {e}")))?;
    let mut out = Vec::new();
    for scene in SAMPLE_SCENES {
        let (models, nodes) = build(scene, true).expect("a sample scene");
        let path = dir.join(format!("{scene}.glb"));
        gltf_io::write_glb(&path, &models, &nodes)?;
        out.push((path, models.iter().map(|m| m.mesh.triangles()).sum()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_scene::sets::Resolved;

    #[test]
    fn every_scene_of_the_sample_has_a_set_of_its_own() {
        let sample = include_str!("../../../assets/stories/lighthouse.ink");
        let sets = load_sets(&[], false);
        assert!(sets.warnings.is_empty(), "{:?}", sets.warnings);
        let mut named = Vec::new();
        for line in sample.lines() {
            for tag in line.split('#').skip(1) {
                if let Some(scene) = tag.trim().strip_prefix("scene:") {
                    let scene = scene.trim().trim_end_matches(']').trim().to_owned();
                    let (set, how) = sets.library.resolve(&scene);
                    assert_eq!(how, Resolved::Exact, "{scene}");
                    assert!(set.marks.len() >= 6, "{scene}: {} marks", set.marks.len());
                    assert!(
                        set.dressing.iter().any(|d| d.collider.is_some()),
                        "{scene}: nothing to stand on"
                    );
                    if !named.contains(&scene) {
                        named.push(scene);
                    }
                }
            }
        }
        named.sort();
        let mut ours: Vec<String> = SAMPLE_SCENES.iter().map(|s| (*s).to_owned()).collect();
        ours.sort();
        assert_eq!(named, ours, "one set per scene the sample names");
    }

    #[test]
    fn marks_are_not_a_row() {
        for scene in SAMPLE_SCENES {
            let (models, nodes) = build(scene, false).unwrap();
            let l = Loaded {
                models,
                nodes,
                warnings: vec![],
                front_z: -1.0,
            };
            let (set, w) = describe(scene, Path::new("x.glb"), &l);
            assert!(w.is_empty());
            for (name, t) in &set.views {
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{scene}: view `{name}` cannot be named by a `view:` tag"
                );
                assert!(
                    t.translation.y >= -0.05,
                    "{scene}: view `{name}` under the floor"
                );
                for (mark, p) in &set.marks {
                    let d = Vec3::new(p.x - t.translation.x, 0.0, p.z - t.translation.z).length();
                    assert!(
                        d >= 1.0,
                        "{scene}: view `{name}` is {d:.2} m from mark `{mark}`"
                    );
                }
            }
            let depths: Vec<f32> = set.marks.iter().map(|m| m.1.z).collect();
            let spread = depths.iter().fold(f32::MIN, |a, &b| a.max(b))
                - depths.iter().fold(f32::MAX, |a, &b| a.min(b));
            assert!(spread > 1.0, "{scene}: the marks' depths spread {spread} m");
            for (name, p) in &set.marks {
                assert!(
                    p.z < 1.5 && p.length() > 0.8,
                    "{scene}: mark {name} at {p} is on the viewer"
                );
            }
        }
    }

    #[test]
    fn an_authors_set_replaces_the_built_one_and_a_broken_one_falls_back() {
        let dir = std::env::temp_dir().join(format!("showrunner-sets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The author's kitchen: one box and two marks.
        let models = vec![Model::plain(
            "table",
            MeshData::unit_box(),
            Material::default(),
        )];
        let nodes = vec![
            Node {
                models: vec![0],
                extras: Some(serde_json::json!({"solid": true})),
                ..Node::empty("table", Mat4::from_translation(Vec3::new(0.0, 0.5, -2.0)))
            },
            Node::empty(
                "mark:cook",
                Mat4::from_translation(Vec3::new(1.0, 0.0, -2.0)),
            ),
            Node::empty(
                "mark:guest",
                Mat4::from_translation(Vec3::new(-1.0, 0.0, -2.0)),
            ),
        ];
        gltf_io::write_glb(&dir.join("kitchen.glb"), &models, &nodes).unwrap();
        // A broken landing, and a new scene with no marks.
        std::fs::write(dir.join("landing.glb"), b"not a glb").unwrap();
        gltf_io::write_glb(&dir.join("cellar.glb"), &models, &nodes[..1]).unwrap();
        let sets = load_sets(std::slice::from_ref(&dir), false);
        let (kitchen, _) = sets.library.resolve("kitchen");
        assert_eq!(
            kitchen
                .marks
                .iter()
                .map(|m| m.0.as_str())
                .collect::<Vec<_>>(),
            ["cook", "guest"]
        );
        assert_eq!(kitchen.dressing[0].mesh, "kitchen/table");
        assert_eq!(
            kitchen.dressing[0].collider,
            Some((Vec3::new(0.0, 0.5, -2.0), Vec3::splat(0.5)))
        );
        assert!(sets.models.iter().any(|m| m.name == "kitchen/table"));
        let broken: Vec<&String> = sets
            .warnings
            .iter()
            .filter(|w| w.contains("landing.glb"))
            .collect();
        assert_eq!(broken.len(), 1, "{:?}", sets.warnings);
        assert!(
            broken[0].contains("using the built set instead"),
            "{}",
            broken[0]
        );
        assert!(sets.library.resolve("landing").0.marks.len() >= 6);
        let cellar: Vec<&String> = sets
            .warnings
            .iter()
            .filter(|w| w.contains("cellar.glb"))
            .collect();
        assert_eq!(cellar.len(), 1, "{:?}", sets.warnings);
        assert!(cellar[0].contains("no marks"), "{}", cellar[0]);
        assert_eq!(sets.library.resolve("cellar").1, Resolved::Exact);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
