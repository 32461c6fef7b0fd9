//! Images and the project's procedural textures: tileable surfaces (masonry, whitewash,
//! planks, iron, brass, glass, water, rock, concrete), each as base colour, normal and
//! metallic-roughness maps made from one height field, and equirectangular skies. No
//! downloads, no photographs: everything here is made by the code, under the project's
//! licence, and is the same on every machine (no floating-point randomness).

use glam::{Vec2, Vec3};

/// An RGBA8 image.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    /// Width, texels.
    pub width: u32,
    /// Height, texels.
    pub height: u32,
    /// Row-major RGBA, 8 bits a channel.
    pub rgba: Vec<u8>,
    /// Colour (sRGB-encoded: base colour, sky) rather than data (normals, roughness).
    pub color: bool,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Image({}×{}, {}, key {:016x})",
            self.width,
            self.height,
            if self.color { "sRGB" } else { "linear" },
            self.key()
        )
    }
}

fn srgb_to_linear(c: u8) -> f32 {
    let v = f32::from(c) / 255.0;
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// A linear value (0..1) as an sRGB-encoded byte.
pub(crate) fn linear_to_srgb(v: f32) -> u8 {
    let v = v.clamp(0.0, 1.0);
    let s = if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    };
    (s * 255.0 + 0.5) as u8
}

impl Image {
    /// A one-texel image.
    pub fn solid(rgba: [u8; 4], color: bool) -> Self {
        Self {
            width: 1,
            height: 1,
            rgba: rgba.to_vec(),
            color,
        }
    }

    /// A content hash (FNV-1a over size, kind and texels): the renderer uploads an image
    /// once however many materials and sets share it.
    pub fn key(&self) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        let mut eat = |b: u8| {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        };
        for b in self
            .width
            .to_le_bytes()
            .into_iter()
            .chain(self.height.to_le_bytes())
            .chain([u8::from(self.color)])
        {
            eat(b);
        }
        for &b in &self.rgba {
            eat(b);
        }
        h
    }

    /// Bytes the full mip chain takes on the GPU (RGBA8).
    pub fn gpu_bytes(&self) -> usize {
        self.mip_chain().iter().map(|(_, _, t)| t.len()).sum()
    }

    /// The image and its mip levels down to 1 × 1, each a 2 × 2 box filter of the last:
    /// averaged in linear light for colour (so a texture does not darken with distance),
    /// as stored for data (normal maps are renormalised).
    pub fn mip_chain(&self) -> Vec<(u32, u32, Vec<u8>)> {
        let mut out = vec![(self.width, self.height, self.rgba.clone())];
        loop {
            let (w, h, src) = out.last().expect("level 0 is there");
            if *w == 1 && *h == 1 {
                break;
            }
            let (nw, nh) = ((*w / 2).max(1), (*h / 2).max(1));
            let mut dst = vec![0u8; (nw * nh * 4) as usize];
            for y in 0..nh {
                for x in 0..nw {
                    let mut acc = [0.0f32; 4];
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let sx = (x * 2 + dx).min(w - 1);
                        let sy = (y * 2 + dy).min(h - 1);
                        let i = ((sy * w + sx) * 4) as usize;
                        for (c, a) in acc.iter_mut().enumerate() {
                            let b = src[i + c];
                            *a += if self.color && c < 3 {
                                srgb_to_linear(b)
                            } else {
                                f32::from(b) / 255.0
                            };
                        }
                    }
                    let o = ((y * nw + x) * 4) as usize;
                    for c in 0..4 {
                        let v = acc[c] / 4.0;
                        dst[o + c] = if self.color && c < 3 {
                            linear_to_srgb(v)
                        } else {
                            (v * 255.0 + 0.5) as u8
                        };
                    }
                }
            }
            out.push((nw, nh, dst));
        }
        out
    }

    /// PNG bytes (RGBA8).
    pub fn to_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().expect("writing to memory");
        w.write_image_data(&self.rgba).expect("sizes agree");
        w.finish().expect("writing to memory");
        out
    }

    /// Decodes a PNG (any colour type or depth) to RGBA8.
    pub fn from_png(bytes: &[u8], color: bool) -> Result<Self, String> {
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
        dec.set_transformations(png::Transformations::normalize_to_color8());
        let bad = |e: png::DecodingError| format!("not a readable PNG: {e}");
        let mut reader = dec.read_info().map_err(bad)?;
        let size = reader
            .output_buffer_size()
            .ok_or("the PNG is too large to decode")?;
        let mut buf = vec![0; size];
        let info = reader.next_frame(&mut buf).map_err(bad)?;
        let px = &buf[..info.buffer_size()];
        let rgba: Vec<u8> = match info.color_type {
            png::ColorType::Rgba => px.to_vec(),
            png::ColorType::Rgb => px
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            png::ColorType::GrayscaleAlpha => px
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
            _ => px.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        };
        if info.width == 0 || info.height == 0 {
            return Err("the PNG has no texels".into());
        }
        Ok(Self {
            width: info.width,
            height: info.height,
            rgba,
            color,
        })
    }

    /// The mean colour, linear RGB (tests, and a texture's look at a distance).
    pub fn mean_linear(&self) -> Vec3 {
        let n = (self.width * self.height) as f32;
        self.rgba.chunks_exact(4).fold(Vec3::ZERO, |a, p| {
            a + if self.color {
                Vec3::new(
                    srgb_to_linear(p[0]),
                    srgb_to_linear(p[1]),
                    srgb_to_linear(p[2]),
                )
            } else {
                Vec3::new(p[0] as f32, p[1] as f32, p[2] as f32) / 255.0
            }
        }) / n
    }
}

/// An integer hash of a lattice point: the same on every machine.
fn hash(x: i32, y: i32, seed: u32) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x8da6_b343)
        ^ (y as u32).wrapping_mul(0xd816_3841)
        ^ seed.wrapping_mul(0xcb1a_b31f);
    h ^= h >> 13;
    h = h.wrapping_mul(0x5bd1_e995);
    h ^= h >> 15;
    (h & 0xffff) as f32 / 65535.0
}

/// Value noise at `p` (in lattice cells), tiling every `period` cells.
fn value_noise(p: Vec2, period: i32, seed: u32) -> f32 {
    let i = p.floor();
    let f = p - i;
    let s = f * f * (Vec2::splat(3.0) - 2.0 * f);
    let (x0, y0) = (i.x as i32, i.y as i32);
    let w = |x: i32, y: i32| hash(x.rem_euclid(period), y.rem_euclid(period), seed);
    let a = w(x0, y0) + (w(x0 + 1, y0) - w(x0, y0)) * s.x;
    let b = w(x0, y0 + 1) + (w(x0 + 1, y0 + 1) - w(x0, y0 + 1)) * s.x;
    a + (b - a) * s.y
}

/// Fractal value noise over the unit tile (`uv` in 0..1), `base` cells across at the first
/// octave, tiling seamlessly; 0..1.
pub fn fbm(uv: Vec2, base: i32, octaves: u32, seed: u32) -> f32 {
    let (mut sum, mut amp, mut norm, mut period) = (0.0, 0.5, 0.0, base);
    for o in 0..octaves {
        sum += amp * value_noise(uv * period as f32, period, seed.wrapping_add(o * 131));
        norm += amp;
        amp *= 0.5;
        period *= 2;
    }
    sum / norm
}

/// The surfaces the project's sets are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// Dressed granite blocks in courses, mortared: the tower.
    Masonry,
    /// Limewashed plaster over stone: the keepers' rooms.
    Whitewash,
    /// Painted tongue-and-groove boards: floors, doors, tables.
    Planks,
    /// Painted cast iron, chipped to rust: the lantern's frame, stair, railings.
    Iron,
    /// Polished brass: the lens's housing, the radio's fittings.
    Brass,
    /// Prismatic glass: the lens, the windows.
    Glass,
    /// The sea's surface, with foam.
    Water,
    /// Weathered granite outcrop with lichen: the rock the tower stands on.
    Rock,
    /// Cast concrete, algae-streaked: the slipway.
    Concrete,
}

/// A surface's three maps (glTF's base colour, normal and metallic-roughness), and how many
/// metres one tile of them covers.
#[derive(Debug, Clone)]
pub struct SurfaceMaps {
    /// sRGB base colour.
    pub base_color: Image,
    /// Tangent-space normal (OpenGL convention: +y up the texture, as glTF).
    pub normal: Image,
    /// glTF's packing: G roughness, B metallic.
    pub metallic_roughness: Image,
    /// Metres one tile covers (texture coordinates in metres are divided by it).
    pub tile_m: f32,
}

/// One texel of a surface: height (0..1), linear albedo, roughness, metallic.
struct Texel {
    h: f32,
    albedo: Vec3,
    rough: f32,
    metal: f32,
}

fn bricks(uv: Vec2, rows: f32, cols: f32, mortar: f32, seed: u32) -> (f32, f32) {
    // Returns (inside-ness 0 at the joint ..1 in the block, the block's random value).
    let row = (uv.y * rows).floor();
    let offset = if (row as i32) % 2 == 0 { 0.0 } else { 0.5 };
    let x = uv.x * cols + offset;
    let col = x.floor();
    let fx = x - col;
    let fy = uv.y * rows - row;
    // Distance to the nearest joint, in tiles.
    let d = (fx.min(1.0 - fx) / cols).min(fy.min(1.0 - fy) / rows);
    let inside = ((d - mortar) / mortar).clamp(0.0, 1.0);
    let id = hash((col as i32).rem_euclid(cols as i32), row as i32, seed);
    (inside, id)
}

fn texel(surface: Surface, uv: Vec2) -> Texel {
    let grain = fbm(uv, 8, 5, 7);
    let fine = fbm(uv, 32, 3, 11);
    match surface {
        Surface::Masonry => {
            let (inside, id) = bricks(uv, 8.0, 4.0, 0.005, 3);
            let block =
                Vec3::new(0.42, 0.40, 0.37) * (0.8 + 0.35 * id) + Vec3::splat(0.12 * (grain - 0.5));
            let mortar = Vec3::new(0.30, 0.29, 0.27);
            let weather = fbm(uv, 4, 3, 19);
            let albedo = mortar.lerp(block, inside) * (0.85 + 0.3 * weather);
            Texel {
                h: inside * (0.7 + 0.3 * grain) + 0.1 * fine,
                albedo,
                rough: 0.75 + 0.2 * (1.0 - inside),
                metal: 0.0,
            }
        }
        Surface::Whitewash => {
            let stain = fbm(uv, 3, 4, 23);
            let albedo = Vec3::new(0.80, 0.78, 0.72) * (0.88 + 0.12 * grain)
                - Vec3::new(0.05, 0.06, 0.08) * (stain - 0.4).max(0.0) * 3.0;
            Texel {
                h: 0.5 * grain + 0.3 * fine,
                albedo: albedo.max(Vec3::splat(0.05)),
                rough: 0.9,
                metal: 0.0,
            }
        }
        Surface::Planks => {
            let boards = 8.0;
            let b = uv.x * boards;
            let board = b.floor();
            let fx = b - board;
            let id = hash(board as i32, 0, 29);
            let streak = fbm(
                Vec2::new(uv.x * 1.0, uv.y * 0.125),
                16,
                4,
                31 + board as u32,
            );
            let gap = ((fx.min(1.0 - fx)) / 0.04).clamp(0.0, 1.0);
            let wood = Vec3::new(0.36, 0.23, 0.13) * (0.75 + 0.45 * id) * (0.8 + 0.4 * streak);
            Texel {
                h: gap * (0.8 + 0.2 * streak),
                albedo: wood * (0.3 + 0.7 * gap),
                rough: 0.6 + 0.2 * streak,
                metal: 0.0,
            }
        }
        Surface::Iron => {
            let chip = fbm(uv, 6, 5, 37);
            let rust = ((chip - 0.62) / 0.08).clamp(0.0, 1.0);
            let paint = Vec3::new(0.05, 0.09, 0.07) * (0.9 + 0.2 * grain);
            let rusty = Vec3::new(0.30, 0.12, 0.05) * (0.7 + 0.5 * fine);
            Texel {
                h: 0.6 - 0.4 * rust + 0.1 * fine,
                albedo: paint.lerp(rusty, rust),
                rough: 0.45 + 0.45 * rust,
                metal: 0.3 * (1.0 - rust),
            }
        }
        Surface::Brass => Texel {
            h: 0.5 + 0.1 * fine,
            albedo: Vec3::new(0.78, 0.56, 0.24) * (0.85 + 0.2 * grain),
            rough: 0.25 + 0.25 * grain,
            metal: 1.0,
        },
        Surface::Glass => {
            // Fresnel prisms: concentric ridges across v.
            let ridge = (uv.y * 16.0).fract();
            Texel {
                h: ridge,
                albedo: Vec3::new(0.55, 0.75, 0.72),
                rough: 0.08,
                metal: 0.0,
            }
        }
        Surface::Water => {
            let swell = fbm(uv, 4, 5, 41);
            let chop = fbm(uv, 16, 3, 43);
            let foam = ((fbm(uv, 8, 4, 47) - 0.66) / 0.1).clamp(0.0, 1.0);
            let deep = Vec3::new(0.015, 0.05, 0.06);
            Texel {
                h: 0.6 * swell + 0.4 * chop,
                albedo: deep.lerp(Vec3::new(0.6, 0.65, 0.65), foam * 0.8),
                rough: 0.12 + 0.5 * foam,
                metal: 0.0,
            }
        }
        Surface::Rock => {
            let crag = fbm(uv, 4, 6, 53);
            let lichen = ((fbm(uv, 6, 4, 59) - 0.6) / 0.08).clamp(0.0, 1.0);
            let stone = Vec3::new(0.22, 0.21, 0.2) * (0.7 + 0.6 * crag);
            Texel {
                h: crag,
                albedo: stone.lerp(Vec3::new(0.45, 0.42, 0.2), lichen * 0.7),
                rough: 0.85,
                metal: 0.0,
            }
        }
        Surface::Concrete => {
            let streak = fbm(Vec2::new(uv.x, uv.y * 0.25), 12, 4, 61);
            let algae = ((fbm(uv, 5, 4, 67) - 0.55) / 0.15).clamp(0.0, 1.0);
            let crack = (1.0 - ((fbm(uv, 6, 5, 71) - 0.5).abs() / 0.012)).clamp(0.0, 1.0);
            let base = Vec3::new(0.36, 0.36, 0.34) * (0.8 + 0.3 * streak);
            Texel {
                h: 0.6 + 0.2 * fine - 0.5 * crack,
                albedo: base.lerp(Vec3::new(0.12, 0.16, 0.08), algae * 0.8) * (1.0 - 0.6 * crack),
                rough: 0.8 - 0.3 * algae,
                metal: 0.0,
            }
        }
    }
}

impl Surface {
    /// Every surface, in a fixed order.
    pub const ALL: [Surface; 9] = [
        Surface::Masonry,
        Surface::Whitewash,
        Surface::Planks,
        Surface::Iron,
        Surface::Brass,
        Surface::Glass,
        Surface::Water,
        Surface::Rock,
        Surface::Concrete,
    ];

    /// A short name (the material's, the images').
    pub fn name(self) -> &'static str {
        match self {
            Surface::Masonry => "masonry",
            Surface::Whitewash => "whitewash",
            Surface::Planks => "planks",
            Surface::Iron => "iron",
            Surface::Brass => "brass",
            Surface::Glass => "glass",
            Surface::Water => "water",
            Surface::Rock => "rock",
            Surface::Concrete => "concrete",
        }
    }

    /// Metres one tile covers.
    pub fn tile_m(self) -> f32 {
        match self {
            Surface::Masonry => 2.4,
            Surface::Whitewash => 2.0,
            Surface::Planks => 1.2,
            Surface::Iron | Surface::Brass => 1.0,
            Surface::Glass => 1.0,
            Surface::Water => 8.0,
            Surface::Rock => 4.0,
            Surface::Concrete => 3.0,
        }
    }

    /// The surface's maps, `size` texels square (a power of two).
    pub fn maps(self, size: u32) -> SurfaceMaps {
        let n = size as usize;
        let texels: Vec<Texel> = (0..n * n)
            .map(|i| {
                let uv = Vec2::new((i % n) as f32 + 0.5, (i / n) as f32 + 0.5) / size as f32;
                texel(self, uv)
            })
            .collect();
        let mut base = Vec::with_capacity(n * n * 4);
        let mut normal = Vec::with_capacity(n * n * 4);
        let mut mr = Vec::with_capacity(n * n * 4);
        // Height to slope: the height field spans `depth` metres over a tile.
        let depth = match self {
            Surface::Rock => 0.08,
            Surface::Masonry | Surface::Planks | Surface::Concrete => 0.02,
            Surface::Water => 0.15,
            _ => 0.005,
        };
        let texel_m = self.tile_m() / size as f32;
        for y in 0..n {
            for x in 0..n {
                let t = &texels[y * n + x];
                let h = |dx: isize, dy: isize| {
                    let xx = (x as isize + dx).rem_euclid(n as isize) as usize;
                    let yy = (y as isize + dy).rem_euclid(n as isize) as usize;
                    texels[yy * n + xx].h
                };
                // +u is +x of the tangent frame; +v runs down the image, so −y.
                let dhdx = (h(1, 0) - h(-1, 0)) * depth / (2.0 * texel_m);
                let dhdy = -(h(0, 1) - h(0, -1)) * depth / (2.0 * texel_m);
                let nrm = Vec3::new(-dhdx, -dhdy, 1.0).normalize();
                base.extend([
                    linear_to_srgb(t.albedo.x),
                    linear_to_srgb(t.albedo.y),
                    linear_to_srgb(t.albedo.z),
                    255,
                ]);
                normal.extend([nrm.x, nrm.y, nrm.z].map(|c| ((c * 0.5 + 0.5) * 255.0 + 0.5) as u8));
                normal.push(255);
                mr.extend([
                    255,
                    (t.rough.clamp(0.0, 1.0) * 255.0 + 0.5) as u8,
                    (t.metal.clamp(0.0, 1.0) * 255.0 + 0.5) as u8,
                    255,
                ]);
            }
        }
        let img = |rgba, color| Image {
            width: size,
            height: size,
            rgba,
            color,
        };
        SurfaceMaps {
            base_color: img(base, true),
            normal: img(normal, false),
            metallic_roughness: img(mr, false),
            tile_m: self.tile_m(),
        }
    }
}

/// The skies the sample's sets are seen under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sky {
    /// A clear afternoon over a calm sea.
    Day,
    /// Storm clouds at night, the sea barely lit.
    Storm,
    /// A low sun through a red haze: the ember ending.
    Ember,
    /// Pale overcast and sea smoke: the ice ending.
    Ice,
    /// First light under breaking cloud.
    Dawn,
    /// A low amber sun under a violet sky: the first evening.
    Dusk,
    /// Black with a few stars: the title card and the blackout.
    Night,
}

impl Sky {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Sky::Day => "day",
            Sky::Storm => "storm",
            Sky::Ember => "ember",
            Sky::Ice => "ice",
            Sky::Dawn => "dawn",
            Sky::Dusk => "dusk",
            Sky::Night => "night",
        }
    }

    /// (zenith, horizon, below-horizon sea haze, sun colour, sun direction (azimuth,
    /// elevation in radians), cloud cover 0..1, cloud colour).
    #[allow(clippy::type_complexity)]
    fn look(self) -> (Vec3, Vec3, Vec3, Vec3, (f32, f32), f32, Vec3) {
        match self {
            Sky::Day => (
                Vec3::new(0.12, 0.28, 0.62),
                Vec3::new(0.62, 0.74, 0.86),
                Vec3::new(0.20, 0.30, 0.36),
                Vec3::new(1.6, 1.5, 1.3),
                (0.9, 0.7),
                0.35,
                Vec3::new(0.95, 0.95, 0.97),
            ),
            Sky::Storm => (
                Vec3::new(0.015, 0.018, 0.026),
                Vec3::new(0.07, 0.08, 0.1),
                Vec3::new(0.02, 0.025, 0.03),
                Vec3::new(0.15, 0.17, 0.22),
                (2.5, 0.4),
                0.9,
                Vec3::new(0.09, 0.1, 0.12),
            ),
            Sky::Ember => (
                Vec3::new(0.10, 0.05, 0.08),
                Vec3::new(0.95, 0.38, 0.12),
                Vec3::new(0.18, 0.07, 0.05),
                Vec3::new(2.0, 0.9, 0.3),
                (0.4, 0.06),
                0.5,
                Vec3::new(0.45, 0.16, 0.1),
            ),
            Sky::Ice => (
                Vec3::new(0.45, 0.52, 0.6),
                Vec3::new(0.82, 0.87, 0.9),
                Vec3::new(0.5, 0.56, 0.6),
                Vec3::new(1.0, 1.0, 1.05),
                (1.8, 0.3),
                0.75,
                Vec3::new(0.78, 0.82, 0.86),
            ),
            Sky::Dawn => (
                Vec3::new(0.10, 0.14, 0.30),
                Vec3::new(0.92, 0.62, 0.46),
                Vec3::new(0.2, 0.16, 0.18),
                Vec3::new(1.8, 1.2, 0.7),
                (5.5, 0.08),
                0.55,
                Vec3::new(0.6, 0.42, 0.44),
            ),
            Sky::Dusk => (
                Vec3::new(0.08, 0.07, 0.2),
                Vec3::new(0.85, 0.5, 0.3),
                Vec3::new(0.16, 0.12, 0.16),
                Vec3::new(2.0, 1.2, 0.5),
                (-0.9, 0.1),
                0.45,
                Vec3::new(0.55, 0.35, 0.38),
            ),
            Sky::Night => (
                Vec3::new(0.002, 0.002, 0.005),
                Vec3::new(0.01, 0.012, 0.02),
                Vec3::new(0.003, 0.004, 0.006),
                Vec3::ZERO,
                (0.0, -1.0),
                0.0,
                Vec3::ZERO,
            ),
        }
    }

    /// The sky as an equirectangular sRGB image, `width` × `width / 2`: u the azimuth
    /// (as [`crate::mesh::MeshData::add_sphere`] maps it), v from the zenith (0) to the
    /// nadir (1). Linear values above 1 are clipped: the renderer draws it unlit.
    pub fn image(self, width: u32) -> Image {
        let height = width / 2;
        let (zenith, horizon, haze, sun, (az, el), cover, cloud) = self.look();
        let sun_dir = Vec3::new(el.cos() * az.sin(), el.sin(), el.cos() * az.cos());
        let mut rgba = Vec::with_capacity((width * height * 4) as usize);
        for y in 0..height {
            for x in 0..width {
                let u = (x as f32 + 0.5) / width as f32;
                let v = (y as f32 + 0.5) / height as f32;
                let theta = v * std::f32::consts::PI;
                let phi = u * std::f32::consts::TAU;
                let dir = Vec3::new(
                    theta.sin() * phi.sin(),
                    theta.cos(),
                    theta.sin() * phi.cos(),
                );
                let up = dir.y;
                let mut c = if up >= 0.0 {
                    horizon.lerp(zenith, up.powf(0.55))
                } else {
                    horizon.lerp(haze, (-up * 6.0).min(1.0))
                };
                if up > -0.02 && cover > 0.0 {
                    // Clouds: noise over the azimuth and a squashed elevation (thicker near
                    // the horizon, as seen through more sky).
                    let cv = Vec2::new(u, (0.5 - v).max(0.0) * 2.0);
                    let n = fbm(Vec2::new(cv.x, cv.y * 0.5), 6, 5, 83);
                    let density = ((n - (1.0 - cover)) / 0.25).clamp(0.0, 1.0)
                        * (1.0 - up.max(0.0)).powf(0.3);
                    let lit = cloud * (0.7 + 0.6 * fbm(cv, 12, 3, 89));
                    c = c.lerp(lit, density * 0.9);
                }
                let glow = dir.dot(sun_dir).max(0.0);
                c += sun * (glow.powf(64.0) * 0.8 + glow.powf(8.0) * 0.15);
                if self == Sky::Night && up > 0.05 && hash(x as i32, y as i32, 97) > 0.9975 {
                    c = Vec3::splat(0.6);
                }
                rgba.extend([
                    linear_to_srgb(c.x),
                    linear_to_srgb(c.y),
                    linear_to_srgb(c.z),
                    255,
                ]);
            }
        }
        Image {
            width,
            height,
            rgba,
            color: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fbm_tiles_seamlessly() {
        for y in 0..16 {
            let v = y as f32 / 16.0;
            let a = fbm(Vec2::new(0.0, v), 8, 4, 1);
            let b = fbm(Vec2::new(1.0, v), 8, 4, 1);
            assert!((a - b).abs() < 1e-5, "{a} {b}");
        }
    }

    #[test]
    fn surfaces_are_deterministic_and_distinct() {
        let a = Surface::Masonry.maps(32);
        let b = Surface::Masonry.maps(32);
        assert_eq!(a.base_color, b.base_color);
        let means: Vec<Vec3> = Surface::ALL
            .iter()
            .map(|s| s.maps(32).base_color.mean_linear())
            .collect();
        for i in 0..means.len() {
            for j in i + 1..means.len() {
                assert!(
                    (means[i] - means[j]).abs().max_element() > 0.01,
                    "{:?} and {:?} look the same",
                    Surface::ALL[i],
                    Surface::ALL[j]
                );
            }
        }
    }

    #[test]
    fn normal_maps_are_unit_and_face_out() {
        let m = Surface::Rock.maps(32);
        for p in m.normal.rgba.chunks_exact(4) {
            let n = Vec3::new(p[0] as f32, p[1] as f32, p[2] as f32) / 127.5 - Vec3::ONE;
            assert!((n.length() - 1.0).abs() < 0.03, "{n}");
            assert!(n.z > 0.2, "{n}");
        }
    }

    #[test]
    fn mips_go_down_to_one_texel_and_keep_the_mean_colour() {
        let img = Surface::Whitewash.maps(64).base_color;
        let chain = img.mip_chain();
        assert_eq!(chain.len(), 7);
        let (w, h, last) = chain.last().unwrap();
        assert_eq!((*w, *h), (1, 1));
        let mean = img.mean_linear();
        let got = Vec3::new(
            srgb_to_linear(last[0]),
            srgb_to_linear(last[1]),
            srgb_to_linear(last[2]),
        );
        assert!((got - mean).abs().max_element() < 0.01, "{got} vs {mean}");
        assert_eq!(
            img.gpu_bytes(),
            chain.iter().map(|c| c.2.len()).sum::<usize>()
        );
    }

    #[test]
    fn png_round_trips() {
        let img = Sky::Dawn.image(64);
        let back = Image::from_png(&img.to_png(), true).unwrap();
        assert_eq!(back, img);
        assert!(Image::from_png(b"not a png", true)
            .unwrap_err()
            .contains("PNG"));
    }

    #[test]
    fn skies_differ_and_the_horizon_is_brighter_than_the_zenith_by_day() {
        let day = Sky::Day.image(64);
        let px = |img: &Image, y: u32| {
            let i = ((y * img.width + 10) * 4) as usize;
            Vec3::new(
                srgb_to_linear(img.rgba[i]),
                srgb_to_linear(img.rgba[i + 1]),
                srgb_to_linear(img.rgba[i + 2]),
            )
        };
        assert!(px(&day, 15).length() > px(&day, 0).length());
        let storm = Sky::Storm.image(64);
        assert!(storm.mean_linear().length() < day.mean_linear().length() * 0.3);
    }
}
