//! Where the viewer watches from. A set names vantages (`view:NAME` nodes); the `view:`
//! directive picks one. The viewer is never moved while they can see: the frame fades to
//! black, the vantage jumps, and the frame fades back (a comfort fade, as VR teleports do).
//! Head tracking stays the viewer's own throughout: the vantage only places their tracking
//! space in the set.

use glam::{Mat4, Quat, Vec3};

use crate::components::Transform;

/// Seconds to fade out (and again to fade back in) around a change of vantage.
pub const FADE_S: f32 = 0.25;

/// The viewer's vantage: where their tracking space's origin stands in the set, and how far
/// the frame is faded for a change of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vantage {
    current: Transform,
    target: Transform,
    /// 0 clear ..= 1 black.
    fade: f32,
}

impl Default for Vantage {
    fn default() -> Self {
        Self {
            current: Transform::default(),
            target: Transform::default(),
            fade: 0.0,
        }
    }
}

impl Vantage {
    /// Asks for a new vantage: reached at the bottom of a fade, never by visible motion.
    pub fn go_to(&mut self, target: Transform) {
        self.target = target;
    }

    /// Moves the fade on by `dt` seconds: down while a new vantage waits, the jump at full
    /// black, then up again.
    pub fn step(&mut self, dt: f32) {
        let rate = dt.max(0.0) / FADE_S;
        if self.current != self.target {
            self.fade = (self.fade + rate).min(1.0);
            if self.fade >= 1.0 {
                self.current = self.target;
            }
        } else {
            self.fade = (self.fade - rate).max(0.0);
        }
    }

    /// How far the frame is faded to black, 0 ..= 1.
    pub fn fade(&self) -> f32 {
        self.fade
    }

    /// The vantage in force (where the viewer's tracking origin stands).
    pub fn current(&self) -> Transform {
        self.current
    }

    /// Tracking space to the set's space.
    pub fn matrix(&self) -> Mat4 {
        Mat4::from_rotation_translation(self.current.rotation, self.current.translation)
    }

    /// A point from the viewer's tracking space into the set.
    pub fn point(&self, p: Vec3) -> Vec3 {
        self.current.translation + self.current.rotation * p
    }

    /// A direction from the viewer's tracking space into the set.
    pub fn direction(&self, d: Vec3) -> Vec3 {
        self.current.rotation * d
    }

    /// A vantage at `at`, facing `yaw` radians to the left of −z (upright: a vantage never
    /// tilts the horizon).
    pub fn facing(at: Vec3, yaw: f32) -> Transform {
        Transform {
            translation: at,
            rotation: Quat::from_rotation_y(yaw),
            scale: Vec3::ONE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps at `rate` Hz for `seconds`, recording (fade, where the vantage was) each frame.
    fn run(v: &mut Vantage, rate: f32, seconds: f32) -> Vec<(f32, Vec3)> {
        let n = (seconds * rate).round() as usize;
        (0..n)
            .map(|_| {
                v.step(1.0 / rate);
                (v.fade(), v.current().translation)
            })
            .collect()
    }

    #[test]
    fn the_vantage_only_changes_at_full_black_at_any_display_rate() {
        for rate in [60.0, 72.0, 90.0, 120.0] {
            let mut v = Vantage::default();
            v.go_to(Vantage::facing(Vec3::new(2.0, 0.0, -1.0), 0.5));
            let frames = run(&mut v, rate, 1.0);
            let mut last = Vec3::ZERO;
            for (fade, at) in &frames {
                if *at != last {
                    assert_eq!(*fade, 1.0, "{rate} Hz: moved at fade {fade}");
                    last = *at;
                }
            }
            assert_eq!(last, Vec3::new(2.0, 0.0, -1.0), "{rate} Hz: arrived");
            assert_eq!(frames.last().unwrap().0, 0.0, "{rate} Hz: faded back in");
            // Out and back in within two fades (and a frame).
            let dark = frames.iter().filter(|(f, _)| *f > 0.0).count() as f32 / rate;
            assert!(
                dark <= 2.0 * FADE_S + 1.5 / rate,
                "{rate} Hz: dark for {dark} s"
            );
        }
    }

    #[test]
    fn the_fade_is_one_dip_so_never_a_flash() {
        let mut v = Vantage::default();
        v.go_to(Vantage::facing(Vec3::X, 0.0));
        let frames = run(&mut v, 90.0, 1.0);
        // Down monotonically, then up monotonically: one dark dip, not a flicker.
        let turn = frames.iter().position(|(f, _)| *f == 1.0).unwrap();
        assert!(frames[..=turn].windows(2).all(|w| w[1].0 >= w[0].0));
        assert!(frames[turn..].windows(2).all(|w| w[1].0 <= w[0].0));
    }

    #[test]
    fn tracking_space_maps_into_the_set() {
        let mut v = Vantage::default();
        v.go_to(Vantage::facing(
            Vec3::new(1.0, 0.0, 0.0),
            std::f32::consts::FRAC_PI_2,
        ));
        run(&mut v, 90.0, 1.0);
        // Facing −z in tracking space is facing −x in the set after a quarter turn left.
        assert!((v.direction(Vec3::NEG_Z) - Vec3::NEG_X).length() < 1e-5);
        assert!((v.point(Vec3::new(0.0, 1.2, 0.0)) - Vec3::new(1.0, 1.2, 0.0)).length() < 1e-5);
        assert!(v
            .matrix()
            .transform_point3(Vec3::new(0.0, 1.2, -1.0))
            .abs_diff_eq(v.point(Vec3::new(0.0, 1.2, -1.0)), 1e-5));
    }
}
