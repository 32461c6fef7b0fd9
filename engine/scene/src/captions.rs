//! Subtitles in the world, placed as XR captioning practice places them (BBC R&D's
//! 360° subtitle studies, the W3C's XR accessibility requirements): a fixed,
//! comfortable distance, below the line of sight, "lag-follow" (the line stays
//! put while the head looks around a little and glides after it when it turns
//! further), and never over the action: the top of the line sits clear below
//! the characters' bodies when they come close.
//!
//! [`subtitle_system`] keeps the one subtitle entity (a [`Label`] with
//! [`LabelLook::Subtitle`], anchored at its top edge) in step with the current line;
//! [`notice_system`] puts a notice (the consent notice, the menu) above the panels.

use glam::{Quat, Vec3};
use hecs::{Entity, World};

use crate::components::{Character, Label, LabelLook, Transform};

/// How far from the eyes the subtitle floats, metres (nearer than the actors, so it
/// never hides behind them; far enough to focus on without strain).
pub const SUBTITLE_DISTANCE: f32 = 1.8;
/// The subtitle's top edge is at least this far below eye level, radians (12°): below
/// the gaze, under the choice panels.
pub const MIN_DROP: f32 = 12.0 * std::f32::consts::PI / 180.0;
/// And at most this far (28°), however close the actors come.
pub const MAX_DROP: f32 = 28.0 * std::f32::consts::PI / 180.0;
/// The head turns this far (20°) before the subtitle starts to follow.
pub const FOLLOW_DEADZONE: f32 = 20.0 * std::f32::consts::PI / 180.0;
/// Time constant of the glide after the head, and of moving clear of the action, seconds.
pub const FOLLOW_TIME_S: f32 = 0.35;
/// Space kept between the action and the subtitle's top edge, radians (2°).
const CLEARANCE: f32 = 2.0 * std::f32::consts::PI / 180.0;
/// A character's body below this height (from its feet, metres) is not "the action":
/// faces, hands and torsos are (the figure's hands hang to 0.8 m); legs may sit behind
/// a subtitle.
const ACTION_LOW: f32 = 0.8;
/// Characters further than this to either side of the subtitle do not push it (35°).
const ACTION_SPREAD: f32 = 35.0 * std::f32::consts::PI / 180.0;

/// The subtitle's placement state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Subtitle {
    /// The direction it stands in, radians (0: −z, positive: to the right).
    pub yaw: f32,
    /// How far below eye level its top edge is, radians.
    pub drop: f32,
    /// Gliding after the head (set when the head left the dead zone, cleared on arrival).
    following: bool,
}

/// The yaw of a horizontal direction (0: −z, positive: to the right).
fn yaw_of(dir: Vec3) -> Option<f32> {
    let flat = Vec3::new(dir.x, 0.0, dir.z);
    (flat.length_squared() > 1e-6).then(|| flat.x.atan2(-flat.z))
}

/// `a − b` wrapped into (−π, π].
fn wrap(a: f32) -> f32 {
    let tau = std::f32::consts::TAU;
    let r = (a + std::f32::consts::PI).rem_euclid(tau) - std::f32::consts::PI;
    if r <= -std::f32::consts::PI {
        r + tau
    } else {
        r
    }
}

/// Where the subtitle's top edge must be for the action in `world` seen from `head`
/// towards `yaw`: below every nearby character's body by [`CLEARANCE`], within
/// [`MIN_DROP`] ..= [`MAX_DROP`].
pub fn clear_drop(world: &World, head: Vec3, yaw: f32) -> f32 {
    let mut drop = MIN_DROP;
    for (_, t) in world.query::<(&Character, &Transform)>().iter() {
        let to = t.translation - head;
        let Some(y) = yaw_of(to) else { continue };
        if wrap(y - yaw).abs() > ACTION_SPREAD {
            continue;
        }
        let flat = Vec3::new(to.x, 0.0, to.z).length();
        // The angle below eye level of the lowest point of the action.
        let below = (-(to.y + ACTION_LOW)).atan2(flat);
        drop = drop.max(below + CLEARANCE);
    }
    drop.clamp(MIN_DROP, MAX_DROP)
}

/// Shows `text` as the subtitle for a viewer whose eyes are at `head` looking along
/// `facing` (zero: straight ahead, −z), `dt` seconds after the last call: spawns it
/// where the viewer looks, changes its words in place, glides after the head once it
/// turns past [`FOLLOW_DEADZONE`], keeps it clear of the action, and removes it when
/// `text` is blank. A frame whose line is unchanged allocates nothing.
pub fn subtitle_system(world: &mut World, text: &str, head: Vec3, facing: Vec3, dt: f32) {
    let existing = world
        .query_mut::<(Entity, &Subtitle)>()
        .into_iter()
        .map(|(e, _)| e)
        .next();
    if text.trim().is_empty() {
        if let Some(e) = existing {
            let _ = world.despawn(e);
        }
        return;
    }
    let dt = if dt.is_finite() {
        dt.clamp(0.0, 0.25)
    } else {
        0.0
    };
    let k = 1.0 - (-dt / FOLLOW_TIME_S).exp();
    let looking = yaw_of(facing);
    let e = match existing {
        Some(e) => e,
        None => {
            let yaw = looking.unwrap_or(0.0);
            let drop = clear_drop(world, head, yaw);
            world.spawn((
                Subtitle {
                    yaw,
                    drop,
                    following: false,
                },
                Label {
                    text: text.to_owned(),
                    look: LabelLook::Subtitle,
                },
                Transform::default(),
            ))
        }
    };
    let Ok(mut sub) = world.get::<&mut Subtitle>(e).map(|s| *s) else {
        return;
    };
    if let Some(want) = looking {
        let off = wrap(want - sub.yaw);
        if off.abs() > FOLLOW_DEADZONE {
            sub.following = true;
        }
        if sub.following {
            sub.yaw = wrap(sub.yaw + off * k);
            sub.following = off.abs() > 1f32.to_radians();
        }
    }
    let clear = clear_drop(world, head, sub.yaw);
    sub.drop += (clear - sub.drop) * k;
    if let Ok(mut label) = world.get::<&mut Label>(e) {
        if label.text != text {
            label.text.clear();
            label.text.push_str(text);
        }
    }
    if let Ok(mut s) = world.get::<&mut Subtitle>(e) {
        *s = sub;
    }
    if let Ok(mut t) = world.get::<&mut Transform>(e) {
        let dir = Vec3::new(
            sub.yaw.sin() * sub.drop.cos(),
            -sub.drop.sin(),
            -sub.yaw.cos() * sub.drop.cos(),
        );
        *t = Transform {
            translation: head + dir * SUBTITLE_DISTANCE,
            // Facing the eyes: turned to the yaw, tilted back by the drop.
            rotation: Quat::from_rotation_y(-sub.yaw) * Quat::from_rotation_x(-sub.drop),
            scale: Vec3::ONE,
        };
    }
}

/// A notice on show: where it stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Notice;

/// How far from the eyes a notice stands, metres.
pub const NOTICE_DISTANCE: f32 = 2.0;
/// How far above eye level a notice's centre is, radians (11°: above the choice panels).
pub const NOTICE_RISE: f32 = 11.0 * std::f32::consts::PI / 180.0;

/// Shows `text` as a notice in front of a viewer at `head` looking along `facing`, above the
/// choice panels (which carry its answers), facing the eyes; it stays where it was put while
/// it is read. Blank `text` removes it.
pub fn notice_system(world: &mut World, text: &str, head: Vec3, facing: Vec3) {
    let existing = world
        .query_mut::<(Entity, &Notice)>()
        .into_iter()
        .map(|(e, _)| e)
        .next();
    match existing {
        Some(e) if text.trim().is_empty() => {
            let _ = world.despawn(e);
        }
        Some(e) => {
            if let Ok(mut label) = world.get::<&mut Label>(e) {
                if label.text != text {
                    label.text.clear();
                    label.text.push_str(text);
                }
            }
        }
        None if text.trim().is_empty() => {}
        None => {
            let yaw = yaw_of(facing).unwrap_or(0.0);
            let dir = Vec3::new(
                yaw.sin() * NOTICE_RISE.cos(),
                NOTICE_RISE.sin(),
                -yaw.cos() * NOTICE_RISE.cos(),
            );
            world.spawn((
                Notice,
                Label {
                    text: text.to_owned(),
                    look: LabelLook::Notice,
                },
                Transform {
                    translation: head + dir * NOTICE_DISTANCE,
                    rotation: Quat::from_rotation_y(-yaw) * Quat::from_rotation_x(NOTICE_RISE),
                    scale: Vec3::ONE,
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_core::Fate;

    const HEAD: Vec3 = Vec3::new(0.0, 1.25, 0.6);

    fn subtitle(w: &World) -> Option<(Subtitle, Transform, String)> {
        w.query::<(&Subtitle, &Transform, &Label)>()
            .iter()
            .next()
            .map(|(s, t, l)| (*s, *t, l.text.clone()))
    }

    fn facing(yaw_deg: f32) -> Vec3 {
        let y = yaw_deg.to_radians();
        Vec3::new(y.sin(), 0.0, -y.cos())
    }

    #[test]
    fn a_line_shows_below_the_gaze_facing_the_viewer_and_goes_when_blank() {
        let mut w = World::new();
        subtitle_system(
            &mut w,
            "MARA: You'll be the new one.",
            HEAD,
            Vec3::NEG_Z,
            1.0 / 90.0,
        );
        let (s, t, text) = subtitle(&w).expect("shown");
        assert_eq!(text, "MARA: You'll be the new one.");
        assert_eq!(s.drop, MIN_DROP, "an empty stage: just below the gaze");
        let to = t.translation - HEAD;
        assert!((to.length() - SUBTITLE_DISTANCE).abs() < 1e-4);
        assert!(to.y < 0.0 && to.z < 0.0, "ahead and below: {to}");
        // Its face (+z) looks back at the eyes.
        assert!((t.rotation * Vec3::Z).dot(-to.normalize()) > 0.999);
        // The next line changes the words in place; a blank one removes it.
        subtitle_system(
            &mut w,
            "MARA: Bring your bag.",
            HEAD,
            Vec3::NEG_Z,
            1.0 / 90.0,
        );
        assert_eq!(w.query::<&Subtitle>().iter().count(), 1);
        assert_eq!(subtitle(&w).unwrap().2, "MARA: Bring your bag.");
        subtitle_system(&mut w, "  ", HEAD, Vec3::NEG_Z, 1.0 / 90.0);
        assert!(subtitle(&w).is_none());
    }

    #[test]
    fn it_stays_while_the_head_looks_around_and_glides_after_a_turn() {
        let mut w = World::new();
        let dt = 1.0 / 90.0;
        subtitle_system(&mut w, "A line.", HEAD, facing(0.0), dt);
        // A glance 15° aside: the line stays where it was.
        for _ in 0..90 {
            subtitle_system(&mut w, "A line.", HEAD, facing(15.0), dt);
        }
        assert_eq!(subtitle(&w).unwrap().0.yaw, 0.0);
        // A turn of 70°: it follows, smoothly, and arrives within a second and a half.
        let mut last = 0.0f32;
        for _ in 0..135 {
            subtitle_system(&mut w, "A line.", HEAD, facing(70.0), dt);
            let yaw = subtitle(&w).unwrap().0.yaw;
            assert!(yaw >= last, "it never swings back");
            assert!(
                (yaw - last).to_degrees() < 3.0,
                "no jump: {} → {}",
                last.to_degrees(),
                yaw.to_degrees()
            );
            last = yaw;
        }
        assert!(
            (last.to_degrees() - 70.0).abs() < 2.0,
            "{}",
            last.to_degrees()
        );
        // Across the ±180° seam it takes the short way round.
        for _ in 0..180 {
            subtitle_system(&mut w, "A line.", HEAD, facing(-170.0), dt);
        }
        let yaw = subtitle(&w).unwrap().0.yaw.to_degrees();
        assert!(
            (wrap((yaw + 170.0).to_radians())).abs() < 2f32.to_radians(),
            "{yaw}"
        );
    }

    #[test]
    fn a_character_close_in_front_pushes_the_line_below_its_body() {
        let mut w = World::new();
        let dt = 1.0 / 90.0;
        // Mara steps up to 1.4 m in front of the viewer.
        let feet = Vec3::new(0.1, 0.0, HEAD.z - 1.4);
        w.spawn((
            Character {
                id: "mara".into(),
                role: "keeper".into(),
                fate: Fate::Alive,
                target: feet,
                walk_speed: 1.0,
            },
            Transform {
                translation: feet,
                ..Transform::default()
            },
        ));
        for _ in 0..180 {
            subtitle_system(&mut w, "MARA: Cold hands. Good.", HEAD, Vec3::NEG_Z, dt);
        }
        let (s, t, _) = subtitle(&w).unwrap();
        let to_body = feet + Vec3::Y * ACTION_LOW - HEAD;
        let body_below = (-to_body.y).atan2(Vec3::new(to_body.x, 0.0, to_body.z).length());
        assert!(s.drop > MIN_DROP, "pushed down");
        assert!(
            s.drop >= body_below + CLEARANCE * 0.9,
            "top edge {:.1}° below eye level, the body's lowest action {:.1}°",
            s.drop.to_degrees(),
            body_below.to_degrees()
        );
        // The subtitle's top edge is below the line from the eyes to the body.
        let top = t.translation - HEAD;
        assert!(top.y / top.length() < to_body.y / to_body.length());
        // A character far off to the side does not move it.
        let mut side = World::new();
        side.spawn((
            Character {
                id: "tomas".into(),
                role: "skipper".into(),
                fate: Fate::Alive,
                target: Vec3::new(-1.5, 0.0, HEAD.z - 0.5),
                walk_speed: 1.0,
            },
            Transform {
                translation: Vec3::new(-1.5, 0.0, HEAD.z - 0.5),
                ..Transform::default()
            },
        ));
        subtitle_system(&mut side, "A line.", HEAD, Vec3::NEG_Z, dt);
        assert_eq!(subtitle(&side).unwrap().0.drop, MIN_DROP);
    }

    #[test]
    fn a_notice_stands_above_the_panels_facing_the_viewer_until_it_is_blank() {
        let mut w = World::new();
        notice_system(&mut w, "Before the film starts", HEAD, facing(30.0));
        let (t, text) = w
            .query::<(&Notice, &Transform, &Label)>()
            .iter()
            .next()
            .map(|(_, t, l)| (*t, l.text.clone()))
            .unwrap();
        assert_eq!(text, "Before the film starts");
        let to = t.translation - HEAD;
        assert!(to.y > 0.0, "above eye level");
        assert!(
            (yaw_of(to).unwrap().to_degrees() - 30.0).abs() < 0.5,
            "where the viewer looked"
        );
        assert!(
            (t.rotation * Vec3::Z).dot(-to.normalize()) > 0.999,
            "facing the eyes"
        );
        // It stays put while read, even when the head turns.
        notice_system(&mut w, "Before the film starts", HEAD, facing(-60.0));
        let again = w
            .query::<(&Notice, &Transform)>()
            .iter()
            .next()
            .map(|(_, t)| *t)
            .unwrap();
        assert_eq!(again, t);
        notice_system(&mut w, "", HEAD, facing(0.0));
        assert_eq!(w.query::<&Notice>().iter().count(), 0);
    }

    #[test]
    fn nonsense_input_never_panics_or_poisons_the_placement() {
        let mut w = World::new();
        for (facing, dt) in [
            (Vec3::ZERO, 0.01),
            (Vec3::Y, f32::NAN),
            (Vec3::new(f32::NAN, 0.0, 1.0), 1e9),
            (Vec3::NEG_Z, -3.0),
        ] {
            subtitle_system(&mut w, "Words.", HEAD, facing, dt);
            let (s, t, _) = subtitle(&w).unwrap();
            assert!(s.yaw.is_finite() && s.drop.is_finite() && t.translation.is_finite());
        }
    }
}
