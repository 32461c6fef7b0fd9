//! Choices in the world: when the story offers a choice, one panel per option
//! floats in an arc in front of the viewer, its words on its face; a
//! controller ray (or the eyes) picks the panel it points at, and the picked
//! panel glows.
//!
//! [`choice_panels_system`] keeps the panels in step with the choices on
//! offer; [`aimed_choice`] says which panel a ray points at.

use glam::{Quat, Vec3, Vec4};
use hecs::{Entity, World};

use crate::components::{Label, LabelLook, Material, Mesh, Transform};

/// A panel standing for choice `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChoicePanel {
    /// Which choice.
    pub index: usize,
}

/// The words on panel `index`'s face (an entity of its own, a hair in front of the panel,
/// so a ray test over panels never meets it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChoiceLabel {
    /// Which choice.
    pub index: usize,
}

/// How far in front of the eyes the panels float, metres.
pub const PANEL_DISTANCE: f32 = 1.6;
/// How far below eye height the panels' centres are, metres.
pub const PANEL_DROP: f32 = 0.12;
/// Angle between neighbouring panels, radians.
const PANEL_SPACING: f32 = 0.32;
/// A ray further than this from every panel centre picks nothing, radians:
/// the panel nearest the ray wins, so a loose aim between two still picks one.
const PICK_CONE: f32 = 0.3;

/// A panel's width, height and depth, metres (its label's face is as wide and tall).
pub const PANEL_SIZE: Vec3 = Vec3::new(0.42, 0.26, 0.02);

/// Where panel `index` of `count` stands for eyes at `eye` (looking along
/// −z of the stage), facing the eyes, left to right.
pub fn panel_position(index: usize, count: usize, eye: Vec3) -> (Vec3, Quat) {
    let yaw = (index as f32 - (count as f32 - 1.0) / 2.0) * PANEL_SPACING;
    let pos = eye
        + Vec3::new(
            yaw.sin() * PANEL_DISTANCE,
            -PANEL_DROP,
            -yaw.cos() * PANEL_DISTANCE,
        );
    (pos, Quat::from_rotation_y(-yaw))
}

/// One bead of the dwell ring: a gaze resting on a panel fills a ring of
/// [`DWELL_BEADS`] beads around it, clockwise from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DwellBead(pub usize);

/// Beads in the dwell ring.
pub const DWELL_BEADS: usize = 16;
const BEAD_SIZE: f32 = 0.028;

/// Makes the panels match the choices on offer (`texts`; none: removes them), each
/// labelled with its words (dimmed, and the panel too, where `greyed` says it does nothing:
/// a menu entry with nothing to act on), lights the one at `highlighted`, and fills the dwell ring
/// around the panel the gaze rests on (`dwell`: panel and fill, 0 ..= 1). New panels
/// float in front of `eye` (the viewer's eyes when the choice appears) and then stay put.
/// A frame whose panels and words already match allocates nothing.
pub fn choice_panels_system(
    world: &mut World,
    texts: &[String],
    greyed: &[bool],
    highlighted: Option<usize>,
    eye: Vec3,
    dwell: Option<(usize, f32)>,
) {
    let count = texts.len();
    // Counted without collecting: a frame whose panels already match allocates nothing.
    let (mut panels, mut stale) = (0, false);
    for panel in world.query::<&ChoicePanel>().iter() {
        panels += 1;
        stale |= panel.index >= count;
    }
    if panels != count || stale {
        let existing: Vec<Entity> = world
            .query::<(Entity, &ChoicePanel)>()
            .iter()
            .map(|(e, _)| e)
            .chain(world.query::<(Entity, &DwellBead)>().iter().map(|(e, _)| e))
            .chain(
                world
                    .query::<(Entity, &ChoiceLabel)>()
                    .iter()
                    .map(|(e, _)| e),
            )
            .collect();
        for e in existing {
            let _ = world.despawn(e);
        }
        if count > 0 {
            for k in 0..DWELL_BEADS {
                world.spawn((
                    DwellBead(k),
                    Transform {
                        scale: Vec3::ZERO,
                        ..Transform::default()
                    },
                    Mesh("box".into()),
                    panel_material(true),
                ));
            }
        }
        for (index, text) in texts.iter().enumerate() {
            let (translation, rotation) = panel_position(index, count, eye);
            world.spawn((
                ChoicePanel { index },
                Transform {
                    translation,
                    rotation,
                    scale: PANEL_SIZE,
                },
                Mesh("box".into()),
                panel_material(false),
            ));
            world.spawn((
                ChoiceLabel { index },
                Transform {
                    translation: translation
                        + rotation * Vec3::new(0.0, 0.0, PANEL_SIZE.z * 0.5 + 0.004),
                    rotation,
                    scale: Vec3::ONE,
                },
                Label {
                    text: text.clone(),
                    look: LabelLook::Panel,
                },
            ));
        }
    }
    let grey = |i: usize| greyed.get(i).copied().unwrap_or(false);
    for (l, label) in world.query_mut::<(&ChoiceLabel, &mut Label)>() {
        if let Some(text) = texts.get(l.index).filter(|t| **t != label.text) {
            label.text.clone_from(text);
        }
        label.look = if grey(l.index) {
            LabelLook::PanelGreyed
        } else {
            LabelLook::Panel
        };
    }
    for (panel, material) in world.query_mut::<(&ChoicePanel, &mut Material)>() {
        *material = if grey(panel.index) {
            greyed_material()
        } else {
            panel_material(highlighted == Some(panel.index))
        };
    }
    let ring = dwell.and_then(|(index, fill)| {
        world
            .query::<(&ChoicePanel, &Transform)>()
            .iter()
            .find(|(p, _)| p.index == index)
            .map(|(_, t)| (*t, fill.clamp(0.0, 1.0)))
    });
    for (bead, t) in world.query_mut::<(&DwellBead, &mut Transform)>() {
        let Some((panel, fill)) = ring else {
            t.scale = Vec3::ZERO;
            continue;
        };
        let shown = (fill * DWELL_BEADS as f32).ceil() as usize;
        let a = bead.0 as f32 / DWELL_BEADS as f32 * std::f32::consts::TAU;
        // Around the panel's edge, just in front of it, clockwise from the top.
        let local = Vec3::new(
            a.sin() * (PANEL_SIZE.x * 0.5 + 0.04),
            a.cos() * (PANEL_SIZE.y * 0.5 + 0.04),
            0.03,
        );
        t.translation = panel.translation + panel.rotation * local;
        t.rotation = panel.rotation;
        t.scale = if bead.0 < shown {
            Vec3::splat(BEAD_SIZE)
        } else {
            Vec3::ZERO
        };
    }
}

fn greyed_material() -> Material {
    Material {
        base_color: Vec4::new(0.16, 0.17, 0.19, 1.0),
        metallic: 0.0,
        roughness: 0.95,
        emissive: Vec3::ZERO,
    }
}

fn panel_material(lit: bool) -> Material {
    Material {
        base_color: if lit {
            Vec4::new(0.6, 0.32, 0.06, 1.0)
        } else {
            Vec4::new(0.35, 0.38, 0.45, 1.0)
        },
        metallic: 0.0,
        roughness: 0.9,
        emissive: if lit {
            Vec3::new(0.21, 0.11, 0.02)
        } else {
            Vec3::ZERO
        },
    }
}

/// The panel a ray from `origin` along `dir` points at: the one whose centre
/// is closest in angle, if within the pick cone.
pub fn aimed_choice(world: &World, origin: Vec3, dir: Vec3) -> Option<usize> {
    let dir = dir.try_normalize()?;
    world
        .query::<(&ChoicePanel, &Transform)>()
        .iter()
        .filter_map(|(p, t)| {
            let to = (t.translation - origin).try_normalize()?;
            let angle = dir.dot(to).clamp(-1.0, 1.0).acos();
            (angle < PICK_CONE).then_some((p.index, angle))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("Choice {i}")).collect()
    }

    #[test]
    fn panels_follow_the_choices_and_light_the_aimed_one() {
        let mut w = World::new();
        let eye = Vec3::new(0.2, 1.25, 0.1);
        choice_panels_system(&mut w, &texts(3), &[], None, eye, None);
        assert_eq!(w.query::<&ChoicePanel>().iter().count(), 3);
        // Straight ahead: the middle panel; to the right: the last one.
        assert_eq!(aimed_choice(&w, eye, -Vec3::Z), Some(1));
        let (right, _) = panel_position(2, 3, eye);
        assert_eq!(aimed_choice(&w, eye, right - eye), Some(2));
        assert_eq!(
            aimed_choice(&w, eye, Vec3::Y),
            None,
            "pointing up picks nothing"
        );
        // Two choices: a ray straight ahead falls between them and picks the nearer.
        let mut two = World::new();
        choice_panels_system(&mut two, &texts(2), &[], None, eye, None);
        assert_eq!(
            aimed_choice(&two, eye, Vec3::new(-0.02, 0.0, -1.0)),
            Some(0)
        );
        choice_panels_system(&mut w, &texts(3), &[], Some(2), eye, None);
        let lit: Vec<usize> = w
            .query::<(&ChoicePanel, &Material)>()
            .iter()
            .filter(|(_, m)| m.emissive != Vec3::ZERO)
            .map(|(p, _)| p.index)
            .collect();
        assert_eq!(lit, [2]);
        choice_panels_system(&mut w, &texts(2), &[], None, eye, None);
        assert_eq!(w.query::<&ChoicePanel>().iter().count(), 2);
        choice_panels_system(&mut w, &texts(0), &[], None, eye, None);
        assert_eq!(w.query::<&ChoicePanel>().iter().count(), 0);
        assert_eq!(
            w.query::<&DwellBead>().iter().count(),
            0,
            "the ring goes too"
        );
        assert_eq!(w.query::<&ChoiceLabel>().iter().count(), 0, "and the words");
    }

    #[test]
    fn each_panel_wears_its_words_on_the_face_that_looks_at_the_viewer() {
        let mut w = World::new();
        let eye = Vec3::new(0.0, 1.25, 0.6);
        let offered = vec![
            "Go down to the slip".to_owned(),
            "Stay with the light".to_owned(),
        ];
        choice_panels_system(&mut w, &offered, &[], None, eye, None);
        let panel_at = |w: &World, i: usize| {
            w.query::<(&ChoicePanel, &Transform)>()
                .iter()
                .find(|(p, _)| p.index == i)
                .map(|(_, t)| *t)
                .unwrap()
        };
        for (l, label, t) in w.query::<(&ChoiceLabel, &Label, &Transform)>().iter() {
            assert_eq!(label.text, offered[l.index]);
            assert_eq!(label.look, LabelLook::Panel);
            let panel = panel_at(&w, l.index);
            // In front of the panel, on the viewer's side, facing the viewer.
            let to_eye = (eye - panel.translation).normalize();
            assert!((t.translation - panel.translation).dot(to_eye) > PANEL_SIZE.z * 0.5);
            assert!((t.rotation * Vec3::Z).dot(to_eye) > 0.9);
        }
        assert_eq!(w.query::<&ChoiceLabel>().iter().count(), 2);
        // The same number of choices with other words: the words change in place.
        let next = vec!["Row out".to_owned(), "Signal with the lamp".to_owned()];
        choice_panels_system(&mut w, &next, &[false, true], None, eye, None);
        let mut now: Vec<(usize, String)> = w
            .query::<(&ChoiceLabel, &Label)>()
            .iter()
            .map(|(l, t)| (l.index, t.text.clone()))
            .collect();
        now.sort();
        assert_eq!(now, [(0, next[0].clone()), (1, next[1].clone())]);
        // A greyed entry's words and panel are dimmed.
        let looks: Vec<(usize, LabelLook)> = {
            let mut v: Vec<_> = w
                .query::<(&ChoiceLabel, &Label)>()
                .iter()
                .map(|(l, t)| (l.index, t.look))
                .collect();
            v.sort_by_key(|(i, _)| *i);
            v
        };
        assert_eq!(looks, [(0, LabelLook::Panel), (1, LabelLook::PanelGreyed)]);
        // The picking ray meets panels, never their words.
        assert_eq!(
            aimed_choice(&w, eye, panel_at(&w, 1).translation - eye),
            Some(1)
        );
    }

    #[test]
    fn the_dwell_ring_fills_around_the_panel_looked_at() {
        let mut w = World::new();
        let eye = Vec3::new(0.0, 1.25, 0.0);
        let shown = |w: &World| {
            w.query::<(&DwellBead, &Transform)>()
                .iter()
                .filter(|(_, t)| t.scale != Vec3::ZERO)
                .map(|(_, t)| t.translation)
                .collect::<Vec<_>>()
        };
        choice_panels_system(&mut w, &texts(3), &[], None, eye, None);
        assert!(shown(&w).is_empty(), "no dwell, no ring");
        choice_panels_system(&mut w, &texts(3), &[], Some(2), eye, Some((2, 0.5)));
        let beads = shown(&w);
        assert_eq!(beads.len(), DWELL_BEADS / 2);
        let (panel, _) = panel_position(2, 3, eye);
        for b in &beads {
            assert!(b.distance(panel) < 0.35, "around panel 3: {b} vs {panel}");
        }
        choice_panels_system(&mut w, &texts(3), &[], Some(2), eye, Some((2, 1.0)));
        assert_eq!(shown(&w).len(), DWELL_BEADS);
    }
}
