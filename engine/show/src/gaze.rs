//! Where the viewer looks: attention, and choosing by gaze alone.
//!
//! **Attention** is the fraction of the last [`ATTENTION_WINDOW_S`] seconds in which the gaze
//! (the headset's eye tracking; in the window, the ray through the mouse pointer) rested on the
//! action: a character on stage or a staged prop. It is known once the gaze has reported for
//! at least [`ATTENTION_MIN_SEEN_S`] of the window; until then (and with no eye tracking at all)
//! the engagement source's attention stands (1: unknown counts as watching).
//!
//! **Dwell choice**: the gaze resting on one choice panel for [`DWELL_CHOOSE_S`] takes that
//! choice, no button needed; the panel shows a ring that fills as the dwell grows. Looking
//! away resets it.
//!
//! Fixed-size bins, no allocation.

use showrunner_scene::components::{Character, Prop, Transform};
use showrunner_scene::glam::Vec3;
use showrunner_scene::hecs::World;

/// Seconds of gaze history attention is measured over.
pub const ATTENTION_WINDOW_S: f32 = 6.0;
/// Attention is known once the gaze reported for this many seconds of the window.
pub const ATTENTION_MIN_SEEN_S: f32 = 1.0;
/// Seconds of gaze on one choice panel that take the choice.
pub const DWELL_CHOOSE_S: f32 = 1.5;
/// The gaze is on something when within this angle of it, radians (about 10°: foveal and
/// parafoveal vision, plus eye-tracker error).
const ON_ANGLE: f32 = 0.17;

const BIN_S: f32 = 0.1;
const BINS: usize = (ATTENTION_WINDOW_S / BIN_S) as usize;

/// The gaze's recent history.
#[derive(Debug, Clone)]
pub struct Gaze {
    /// Seconds the gaze was on the action, per bin.
    on: [f32; BINS],
    /// Seconds the gaze reported at all, per bin.
    seen: [f32; BINS],
    bin: usize,
    bin_t: f32,
    dwell: Option<(usize, f32)>,
}

impl Default for Gaze {
    fn default() -> Self {
        Self {
            on: [0.0; BINS],
            seen: [0.0; BINS],
            bin: 0,
            bin_t: 0.0,
            dwell: None,
        }
    }
}

impl Gaze {
    /// One frame of `dt` seconds: `on_action` is whether the gaze rested on the action, `None`
    /// when the gaze reported nothing this frame.
    pub fn observe(&mut self, dt: f32, on_action: Option<bool>) {
        let mut left = dt.clamp(0.0, ATTENTION_WINDOW_S);
        while left > 0.0 {
            let room = BIN_S - self.bin_t;
            let take = left.min(room);
            if let Some(on) = on_action {
                self.seen[self.bin] += take;
                if on {
                    self.on[self.bin] += take;
                }
            }
            self.bin_t += take;
            left -= take;
            if self.bin_t >= BIN_S - 1e-6 {
                self.bin = (self.bin + 1) % BINS;
                self.bin_t = 0.0;
                self.on[self.bin] = 0.0;
                self.seen[self.bin] = 0.0;
            }
        }
    }

    /// Attention over the window, 0 ..= 1; `None` while the gaze has reported too little.
    pub fn attention(&self) -> Option<f32> {
        let seen: f32 = self.seen.iter().sum();
        let on: f32 = self.on.iter().sum();
        (seen >= ATTENTION_MIN_SEEN_S).then(|| (on / seen).clamp(0.0, 1.0))
    }

    /// One frame of `dt` seconds with the gaze on choice panel `panel` (or none): returns the
    /// choice once the dwell on it reaches [`DWELL_CHOOSE_S`].
    pub fn dwell(&mut self, dt: f32, panel: Option<usize>) -> Option<usize> {
        self.dwell = match (panel, self.dwell) {
            (Some(p), Some((q, s))) if p == q => Some((p, s + dt.max(0.0))),
            (Some(p), _) => Some((p, dt.max(0.0))),
            (None, _) => None,
        };
        match self.dwell {
            Some((p, s)) if s >= DWELL_CHOOSE_S => {
                self.dwell = None;
                Some(p)
            }
            _ => None,
        }
    }

    /// The panel being dwelt on and how far the ring has filled, 0 ..= 1.
    pub fn dwell_progress(&self) -> Option<(usize, f32)> {
        self.dwell
            .map(|(p, s)| (p, (s / DWELL_CHOOSE_S).clamp(0.0, 1.0)))
    }
}

fn within(origin: Vec3, dir: Vec3, point: Vec3) -> bool {
    (point - origin)
        .try_normalize()
        .is_some_and(|to| to.dot(dir) > ON_ANGLE.cos())
}

/// Whether a gaze from `origin` along `dir` rests on the action: a character (at chest and
/// head height) or a staged prop.
pub fn on_action(world: &World, origin: Vec3, dir: Vec3) -> bool {
    let Some(dir) = dir.try_normalize() else {
        return false;
    };
    let characters = world
        .query::<(&Character, &Transform)>()
        .iter()
        .any(|(_, t)| {
            within(origin, dir, t.translation + Vec3::Y * 1.2)
                || within(origin, dir, t.translation + Vec3::Y * 1.55)
        });
    characters
        || world
            .query::<(&Prop, &Transform)>()
            .iter()
            .any(|(_, t)| within(origin, dir, t.translation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_is_the_share_of_the_window_spent_on_the_action() {
        let mut g = Gaze::default();
        assert_eq!(g.attention(), None, "no gaze: unknown");
        for _ in 0..90 {
            g.observe(1.0 / 90.0, Some(true));
        }
        assert!((g.attention().unwrap() - 1.0).abs() < 1e-3);
        // Three seconds away: half the (six-second) window.
        for _ in 0..(3 * 90) {
            g.observe(1.0 / 90.0, Some(false));
        }
        let a = g.attention().unwrap();
        assert!((a - 0.25).abs() < 0.05, "1 s on, 3 s away: {a}");
        // A long look away forgets the old attention entirely.
        for _ in 0..(7 * 72) {
            g.observe(1.0 / 72.0, Some(false));
        }
        assert!(g.attention().unwrap() < 0.01);
        // The tracker going quiet leaves the last reading until the window empties.
        for _ in 0..(7 * 72) {
            g.observe(1.0 / 72.0, None);
        }
        assert_eq!(g.attention(), None);
    }

    #[test]
    fn a_dwell_takes_a_choice_and_looking_away_resets_it() {
        let mut g = Gaze::default();
        let dt = 1.0 / 72.0;
        let mut frames = 0;
        let chosen = loop {
            frames += 1;
            if let Some(c) = g.dwell(dt, Some(1)) {
                break c;
            }
            assert!(frames < 1000);
        };
        assert_eq!(chosen, 1);
        assert!((frames as f32 * dt - DWELL_CHOOSE_S).abs() < 2.0 * dt);
        for _ in 0..60 {
            assert_eq!(g.dwell(dt, Some(0)), None);
        }
        let (p, fill) = g.dwell_progress().unwrap();
        assert!(p == 0 && fill > 0.5 && fill < 1.0);
        assert_eq!(g.dwell(dt, None), None);
        assert_eq!(g.dwell_progress(), None, "looking away resets the ring");
        assert_eq!(g.dwell(dt, Some(2)), None);
        assert!(
            g.dwell_progress().unwrap().1 < 0.02,
            "a new panel starts over"
        );
    }

    #[test]
    fn the_action_is_characters_and_props() {
        let mut w = World::new();
        let eye = Vec3::new(0.0, 1.5, 0.0);
        w.spawn((
            Character {
                id: "mara".into(),
                role: "keeper".into(),
                fate: showrunner_core::Fate::Alive,
                target: Vec3::ZERO,
                walk_speed: 1.0,
            },
            Transform {
                translation: Vec3::new(0.0, 0.0, -3.0),
                ..Default::default()
            },
        ));
        assert!(on_action(&w, eye, Vec3::new(0.0, 0.0, -1.0)));
        assert!(!on_action(&w, eye, Vec3::X), "looking aside");
        assert!(!on_action(&w, eye, Vec3::ZERO), "no direction");
    }
}
