//! Triangle meshes on the CPU and the procedural shapes the project's sets and models are
//! built from: boxes, lathes (towers, columns, domes, a lens), spheres, subdivided planes.
//! Texture coordinates are in metres along each surface unless a shape says otherwise, so a
//! material tiles at one density wherever it is used.

use glam::{Affine3A, Vec2, Vec3};

/// One vertex: position, normal and texture coordinate.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Vertex {
    /// Model-space position, metres.
    pub position: [f32; 3],
    /// Unit normal.
    pub normal: [f32; 3],
    /// Texture coordinate (glTF's: v down the image).
    pub uv: [f32; 2],
}

/// A skinned vertex's joints and their weights (glTF's `JOINTS_0`, `WEIGHTS_0`): up to four
/// joints of the model's skin, weights summing to 1.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct VertexSkin {
    /// Indices into the skin's joints.
    pub joints: [u16; 4],
    /// Their weights.
    pub weights: [f32; 4],
}

impl Default for VertexSkin {
    fn default() -> Self {
        Self {
            joints: [0; 4],
            weights: [1.0, 0.0, 0.0, 0.0],
        }
    }
}

impl VertexSkin {
    /// The strongest four of `influences` (joint, weight), normalised to sum to 1.
    pub fn from_influences(influences: &[(usize, f32)]) -> Self {
        let mut top = [(0usize, 0.0f32); 4];
        for &(j, w) in influences {
            if w <= 0.0 || !w.is_finite() {
                continue;
            }
            if let Some(slot) = top.iter_mut().find(|(k, v)| *k == j && *v > 0.0) {
                slot.1 += w;
            } else if w > top[3].1 {
                top[3] = (j, w);
            }
            top.sort_by(|a, b| b.1.total_cmp(&a.1));
        }
        let sum: f32 = top.iter().map(|t| t.1).sum();
        if sum <= 0.0 {
            return Self::default();
        }
        Self {
            joints: top.map(|t| t.0 as u16),
            weights: top.map(|t| t.1 / sum),
        }
    }
}

/// An indexed triangle mesh on the CPU.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeshData {
    /// Vertices.
    pub vertices: Vec<Vertex>,
    /// Triangles, counter-clockwise from outside.
    pub indices: Vec<u32>,
    /// Skinned meshes: one per vertex. Empty for a rigid mesh.
    pub skin: Vec<VertexSkin>,
}

impl MeshData {
    /// Triangles in the mesh.
    pub fn triangles(&self) -> usize {
        self.indices.len() / 3
    }

    /// The axis-aligned bounds `(min, max)`; `None` when empty.
    pub fn bounds(&self) -> Option<(Vec3, Vec3)> {
        let first = Vec3::from(self.vertices.first()?.position);
        Some(self.vertices.iter().fold((first, first), |(lo, hi), v| {
            let p = Vec3::from(v.position);
            (lo.min(p), hi.max(p))
        }))
    }

    fn vertex(&mut self, p: Vec3, n: Vec3, uv: Vec2) -> u32 {
        self.vertices.push(Vertex {
            position: p.into(),
            normal: n.into(),
            uv: uv.into(),
        });
        self.vertices.len() as u32 - 1
    }

    /// A flat quad, corners counter-clockwise seen from the side `normal` points to, with
    /// the four corners' texture coordinates.
    pub fn push_quad(&mut self, corners: [Vec3; 4], normal: Vec3, uvs: [Vec2; 4]) {
        let base = self.vertices.len() as u32;
        for (c, uv) in corners.into_iter().zip(uvs) {
            self.vertex(c, normal, uv);
        }
        self.indices
            .extend([base, base + 1, base + 2, base, base + 2, base + 3]);
    }

    /// Appends another mesh moved by `at` (normals follow the rotation and scale).
    pub fn append(&mut self, other: &MeshData, at: Affine3A) {
        let base = self.vertices.len() as u32;
        if !self.skin.is_empty() || !other.skin.is_empty() {
            // A rigid part joins a skinned mesh on the first joint.
            self.skin.resize(self.vertices.len(), VertexSkin::default());
            self.skin.extend(other.skin.iter().copied());
            self.skin.resize(
                self.vertices.len() + other.vertices.len(),
                VertexSkin::default(),
            );
        }
        let normal_m = at.matrix3.inverse().transpose();
        for v in &other.vertices {
            self.vertices.push(Vertex {
                position: at.transform_point3(v.position.into()).into(),
                normal: (normal_m * Vec3::from(v.normal)).normalize_or_zero().into(),
                uv: v.uv,
            });
        }
        self.indices.extend(other.indices.iter().map(|i| base + i));
    }

    /// A box from `min` to `max`, flat-shaded, each face textured in metres.
    pub fn cuboid(min: Vec3, max: Vec3) -> Self {
        let mut m = Self::default();
        m.add_cuboid(min, max);
        m
    }

    /// Adds a box from `min` to `max` (see [`MeshData::cuboid`]).
    pub fn add_cuboid(&mut self, min: Vec3, max: Vec3) {
        let p = |x: bool, y: bool, z: bool| {
            Vec3::new(
                if x { max.x } else { min.x },
                if y { max.y } else { min.y },
                if z { max.z } else { min.z },
            )
        };
        let s = max - min;
        let uv = |w: f32, h: f32, u0: f32, v0: f32| {
            [
                Vec2::new(u0, v0 + h),
                Vec2::new(u0 + w, v0 + h),
                Vec2::new(u0 + w, v0),
                Vec2::new(u0, v0),
            ]
        };
        let (f, t) = (false, true);
        // Sides: u along the face, v down from the top (so courses line up around a box).
        self.push_quad(
            [p(f, f, t), p(t, f, t), p(t, t, t), p(f, t, t)],
            Vec3::Z,
            uv(s.x, s.y, min.x, -max.y),
        );
        self.push_quad(
            [p(t, f, f), p(f, f, f), p(f, t, f), p(t, t, f)],
            Vec3::NEG_Z,
            uv(s.x, s.y, -max.x, -max.y),
        );
        self.push_quad(
            [p(t, f, t), p(t, f, f), p(t, t, f), p(t, t, t)],
            Vec3::X,
            uv(s.z, s.y, -max.z, -max.y),
        );
        self.push_quad(
            [p(f, f, f), p(f, f, t), p(f, t, t), p(f, t, f)],
            Vec3::NEG_X,
            uv(s.z, s.y, min.z, -max.y),
        );
        self.push_quad(
            [p(f, t, t), p(t, t, t), p(t, t, f), p(f, t, f)],
            Vec3::Y,
            uv(s.x, s.z, min.x, min.z),
        );
        self.push_quad(
            [p(f, f, f), p(t, f, f), p(t, f, t), p(f, f, t)],
            Vec3::NEG_Y,
            uv(s.x, s.z, min.x, min.z),
        );
    }

    /// Adds a box of half extents `half` placed by `at` (rotated, moved).
    pub fn add_box(&mut self, at: Affine3A, half: Vec3) {
        self.append(&Self::cuboid(-half, half), at);
    }

    /// The unit box, −0.5..0.5 on each axis.
    pub fn unit_box() -> Self {
        Self::cuboid(Vec3::splat(-0.5), Vec3::splat(0.5))
    }

    /// A surface of revolution about +y: `profile` is `(radius, height)` from bottom to
    /// top, swept through `segments` facets over the arc `start..start + sweep` radians
    /// (a full turn is `TAU`). Smooth around, creased at every profile point (so a
    /// tower's ledges read). `inside` turns the faces inward (a room seen from within).
    /// u runs along the arc in metres at the profile's widest radius, v down the profile
    /// in metres.
    pub fn add_lathe(
        &mut self,
        at: Affine3A,
        profile: &[(f32, f32)],
        segments: u32,
        (start, sweep): (f32, f32),
        inside: bool,
    ) {
        let mut m = Self::default();
        let r_max = profile.iter().fold(0.0f32, |a, p| a.max(p.0));
        let segments = segments.max(3);
        let mut v_along = 0.0;
        for w in profile.windows(2) {
            let ((r0, y0), (r1, y1)) = (w[0], w[1]);
            let slope = Vec2::new(y1 - y0, -(r1 - r0)); // outward normal in (r, y)
            let slope = slope.normalize_or(Vec2::X);
            let len = Vec2::new(r1 - r0, y1 - y0).length();
            let base = m.vertices.len() as u32;
            for s in 0..=segments {
                let a = start + sweep * s as f32 / segments as f32;
                let (sin, cos) = a.sin_cos();
                let radial = Vec3::new(sin, 0.0, cos);
                let mut n = radial * slope.x + Vec3::Y * slope.y;
                if inside {
                    n = -n;
                }
                let u = a * r_max;
                m.vertex(radial * r0 + Vec3::Y * y0, n, Vec2::new(u, -v_along));
                m.vertex(
                    radial * r1 + Vec3::Y * y1,
                    n,
                    Vec2::new(u, -(v_along + len)),
                );
            }
            for s in 0..segments {
                let (a0, a1) = (base + 2 * s, base + 2 * s + 1);
                let (b0, b1) = (a0 + 2, a1 + 2);
                if inside {
                    m.indices.extend([a0, a1, b1, a0, b1, b0]);
                } else {
                    m.indices.extend([a0, b0, b1, a0, b1, a1]);
                }
            }
            v_along += len;
        }
        self.append(&m, at);
    }

    /// A solid cylinder (closed at both ends) of `radius`, from y = 0 to `height`.
    pub fn add_cylinder(&mut self, at: Affine3A, radius: f32, height: f32, segments: u32) {
        self.add_lathe(
            at,
            &[(0.0, 0.0), (radius, 0.0), (radius, height), (0.0, height)],
            segments,
            (0.0, std::f32::consts::TAU),
            false,
        );
    }

    /// A sphere (or, with `inside`, a sky dome seen from its centre) of `radius`, with
    /// equirectangular texture coordinates: u = azimuth / 2π, v = 0 at the zenith, 1 at the
    /// nadir (a sky image maps straight on).
    pub fn add_sphere(
        &mut self,
        at: Affine3A,
        radius: f32,
        rings: u32,
        segments: u32,
        inside: bool,
    ) {
        let mut m = Self::default();
        let (rings, segments) = (rings.max(2), segments.max(3));
        for r in 0..=rings {
            let v = r as f32 / rings as f32;
            let theta = v * std::f32::consts::PI;
            for s in 0..=segments {
                let u = s as f32 / segments as f32;
                let phi = u * std::f32::consts::TAU;
                let dir = Vec3::new(
                    theta.sin() * phi.sin(),
                    theta.cos(),
                    theta.sin() * phi.cos(),
                );
                m.vertex(
                    dir * radius,
                    if inside { -dir } else { dir },
                    Vec2::new(u, v),
                );
            }
        }
        let row = segments + 1;
        for r in 0..rings {
            for s in 0..segments {
                let a = r * row + s;
                let (b, c, d) = (a + 1, a + row, a + row + 1);
                if inside {
                    m.indices.extend([a, b, d, a, d, c]);
                } else {
                    m.indices.extend([a, c, d, a, d, b]);
                }
            }
        }
        self.append(&m, at);
    }

    /// A flat, upward-facing grid `size` metres across (x, z), centred on `at`'s origin,
    /// `cells` × `cells` quads: the sea's surface, which the shader moves, needs vertices.
    pub fn add_grid(&mut self, at: Affine3A, size: Vec2, cells: u32) {
        let mut m = Self::default();
        let cells = cells.max(1);
        for j in 0..=cells {
            for i in 0..=cells {
                let f = Vec2::new(i as f32, j as f32) / cells as f32 - 0.5;
                let p = Vec3::new(f.x * size.x, 0.0, f.y * size.y);
                m.vertex(p, Vec3::Y, Vec2::new(p.x, p.z));
            }
        }
        let row = cells + 1;
        for j in 0..cells {
            for i in 0..cells {
                let a = j * row + i;
                m.indices
                    .extend([a, a + row, a + row + 1, a, a + row + 1, a + 1]);
            }
        }
        self.append(&m, at);
    }

    /// Moves each vertex along its normal by `f(position)` metres and recomputes smooth
    /// normals from the faces (shared positions are welded for that): rocks from spheres.
    pub fn displace(&mut self, f: impl Fn(Vec3) -> f32) {
        for v in &mut self.vertices {
            let p = Vec3::from(v.position);
            v.position = (p + Vec3::from(v.normal) * f(p)).into();
        }
        self.smooth_normals();
    }

    /// Recomputes normals as area-weighted face normals, averaged over vertices at the
    /// same position (so a sphere's seam stays smooth).
    pub fn smooth_normals(&mut self) {
        use std::collections::HashMap;
        let key = |p: [f32; 3]| p.map(|c| (c * 1e4).round() as i64);
        let mut acc: HashMap<[i64; 3], Vec3> = HashMap::new();
        for t in self.indices.chunks_exact(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(self.vertices[t[k] as usize].position));
            let n = (b - a).cross(c - a);
            for &i in t {
                *acc.entry(key(self.vertices[i as usize].position))
                    .or_default() += n;
            }
        }
        for v in &mut self.vertices {
            if let Some(n) = acc.get(&key(v.position)) {
                v.normal = n.normalize_or(Vec3::Y).into();
            }
        }
    }

    /// A standing figure, 1.7 m tall, feet at the origin, facing −z: legs, torso, arms,
    /// head, as boxes a renderer can light (the stand-in for a model that is missing).
    pub fn character() -> Self {
        let mut m = Self::default();
        m.add_cuboid(Vec3::new(-0.17, 0.0, -0.1), Vec3::new(-0.03, 0.85, 0.08)); // left leg
        m.add_cuboid(Vec3::new(0.03, 0.0, -0.1), Vec3::new(0.17, 0.85, 0.08)); // right leg
        m.add_cuboid(Vec3::new(-0.22, 0.85, -0.12), Vec3::new(0.22, 1.45, 0.1)); // torso
        m.add_cuboid(Vec3::new(-0.32, 0.8, -0.07), Vec3::new(-0.23, 1.42, 0.06)); // left arm
        m.add_cuboid(Vec3::new(0.23, 0.8, -0.07), Vec3::new(0.32, 1.42, 0.06)); // right arm
        m.add_cuboid(Vec3::new(-0.1, 1.48, -0.11), Vec3::new(0.1, 1.7, 0.1)); // head
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outward(m: &MeshData, centre: Vec3) {
        for tri in m.indices.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(m.vertices[tri[k] as usize].position));
            let n = Vec3::from(m.vertices[tri[0] as usize].normal);
            let face = (b - a).cross(c - a);
            if face.length() < 1e-5 {
                continue; // a pole's degenerate triangle
            }
            assert!(face.dot(n) > 0.0, "counter-clockwise seen from the normal");
            assert!(
                ((a + b + c) / 3.0 - centre).dot(n) > -1e-5,
                "normal points out"
            );
        }
    }

    #[test]
    fn boxes_are_closed_and_outward_facing() {
        let m = MeshData::unit_box();
        assert_eq!(m.vertices.len(), 24);
        assert_eq!(m.indices.len(), 36);
        outward(&m, Vec3::ZERO);
    }

    #[test]
    fn lathes_and_spheres_face_the_way_they_say() {
        let mut m = MeshData::default();
        m.add_cylinder(Affine3A::IDENTITY, 1.0, 2.0, 12);
        outward(&m, Vec3::Y);
        let mut s = MeshData::default();
        s.add_sphere(Affine3A::IDENTITY, 3.0, 8, 12, false);
        outward(&s, Vec3::ZERO);
        let mut dome = MeshData::default();
        dome.add_sphere(Affine3A::IDENTITY, 3.0, 8, 12, true);
        for tri in dome.indices.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(dome.vertices[tri[k] as usize].position));
            let face = (b - a).cross(c - a);
            if face.length() > 1e-5 {
                assert!(face.dot(a) < 0.0, "a sky dome faces its centre");
            }
        }
    }

    #[test]
    fn the_character_stands_on_the_floor() {
        let (lo, hi) = MeshData::character().bounds().unwrap();
        assert_eq!((lo.y, hi.y), (0.0, 1.7));
    }

    #[test]
    fn box_textures_run_in_metres() {
        let m = MeshData::cuboid(Vec3::ZERO, Vec3::new(4.0, 2.0, 1.0));
        // The front face spans 4 m of u and 2 m of v.
        let front = &m.vertices[0..4];
        let du = front.iter().map(|v| v.uv[0]).fold(f32::MIN, f32::max)
            - front.iter().map(|v| v.uv[0]).fold(f32::MAX, f32::min);
        let dv = front.iter().map(|v| v.uv[1]).fold(f32::MIN, f32::max)
            - front.iter().map(|v| v.uv[1]).fold(f32::MAX, f32::min);
        assert_eq!((du, dv), (4.0, 2.0));
    }
}
