//! Built-in meshes made from procedural geometry: the unit box every set
//! piece and prop is scaled from, and a simple character figure.

use glam::Vec3;

/// One vertex: position and normal.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Vertex {
    /// Model-space position, metres.
    pub position: [f32; 3],
    /// Unit normal.
    pub normal: [f32; 3],
}

/// An indexed triangle mesh on the CPU.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeshData {
    /// Vertices.
    pub vertices: Vec<Vertex>,
    /// Triangles, counter-clockwise from outside.
    pub indices: Vec<u32>,
}

impl MeshData {
    fn push_quad(&mut self, corners: [Vec3; 4], normal: Vec3) {
        let base = self.vertices.len() as u32;
        for c in corners {
            self.vertices.push(Vertex {
                position: c.into(),
                normal: normal.into(),
            });
        }
        self.indices
            .extend([base, base + 1, base + 2, base, base + 2, base + 3]);
    }

    /// A box from `min` to `max`, flat-shaded.
    pub fn cuboid(min: Vec3, max: Vec3) -> Self {
        let mut m = Self::default();
        m.add_cuboid(min, max);
        m
    }

    fn add_cuboid(&mut self, min: Vec3, max: Vec3) {
        let p = |x: bool, y: bool, z: bool| {
            Vec3::new(
                if x { max.x } else { min.x },
                if y { max.y } else { min.y },
                if z { max.z } else { min.z },
            )
        };
        let (f, t) = (false, true);
        self.push_quad([p(f, f, t), p(t, f, t), p(t, t, t), p(f, t, t)], Vec3::Z);
        self.push_quad(
            [p(t, f, f), p(f, f, f), p(f, t, f), p(t, t, f)],
            Vec3::NEG_Z,
        );
        self.push_quad([p(t, f, t), p(t, f, f), p(t, t, f), p(t, t, t)], Vec3::X);
        self.push_quad(
            [p(f, f, f), p(f, f, t), p(f, t, t), p(f, t, f)],
            Vec3::NEG_X,
        );
        self.push_quad([p(f, t, t), p(t, t, t), p(t, t, f), p(f, t, f)], Vec3::Y);
        self.push_quad(
            [p(f, f, f), p(t, f, f), p(t, f, t), p(f, f, t)],
            Vec3::NEG_Y,
        );
    }

    /// The unit box, −0.5..0.5 on each axis.
    pub fn unit_box() -> Self {
        Self::cuboid(Vec3::splat(-0.5), Vec3::splat(0.5))
    }

    /// A standing figure, 1.7 m tall, feet at the origin, facing −z: legs,
    /// torso, arms, head, as smooth-shaded boxes a renderer can light.
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

    #[test]
    fn boxes_are_closed_and_outward_facing() {
        let m = MeshData::unit_box();
        assert_eq!(m.vertices.len(), 24);
        assert_eq!(m.indices.len(), 36);
        for tri in m.indices.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(m.vertices[tri[k] as usize].position));
            let n = Vec3::from(m.vertices[tri[0] as usize].normal);
            assert!(
                (b - a).cross(c - a).dot(n) > 0.0,
                "counter-clockwise from outside"
            );
            assert!(((a + b + c) / 3.0).dot(n) > 0.0, "normal points out");
        }
    }

    #[test]
    fn the_character_stands_on_the_floor() {
        let m = MeshData::character();
        let (lo, hi) = m.vertices.iter().fold((f32::MAX, f32::MIN), |(lo, hi), v| {
            (lo.min(v.position[1]), hi.max(v.position[1]))
        });
        assert_eq!((lo, hi), (0.0, 1.7));
    }
}
