//! Input: one action set with suggested bindings for every controller the
//! runtime may have (Khronos simple, Oculus Touch, Valve Index, hand
//! interaction where offered) and eye gaze where offered.
//!
//! - `select` (trigger, select click, pinch): picks the aimed choice panel;
//! - `pause` (menu / B on the left): pauses the film;
//! - `recenter` (B / A on the right): puts "forward" where the head looks;
//! - `aim` (both hands): the pointing ray;
//! - `gaze` (`XR_EXT_eye_gaze_interaction`): where the eyes look, for
//!   selection by gaze and the `attention` signal.

use glam::{Quat, Vec3};
use openxr as xr;

use crate::XrError;

/// What the viewer did this frame (edges, not levels).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Input {
    /// Select went down this frame.
    pub select: bool,
    /// Pause went down this frame.
    pub pause: bool,
    /// Recenter went down this frame.
    pub recenter: bool,
    /// The pointing ray (origin, unit direction) in stage space, if a hand is tracked.
    pub aim: Option<(Vec3, Vec3)>,
    /// The gaze ray in stage space, if eye gaze is offered and tracked.
    pub gaze: Option<(Vec3, Vec3)>,
}

pub(crate) struct Actions {
    pub set: xr::ActionSet,
    select: xr::Action<bool>,
    pause: xr::Action<bool>,
    recenter: xr::Action<bool>,
    aim: xr::Action<xr::Posef>,
    gaze: Option<xr::Action<xr::Posef>>,
    hands: [xr::Path; 2],
    aim_spaces: Vec<xr::Space>,
    gaze_space: Option<xr::Space>,
}

fn path(instance: &xr::Instance, s: &str) -> Result<xr::Path, XrError> {
    instance
        .string_to_path(s)
        .map_err(|e| XrError::from_xr(&format!("path {s}"), e))
}

/// A pose as glam position and orientation.
pub fn pose(p: xr::Posef) -> (Vec3, Quat) {
    (
        Vec3::new(p.position.x, p.position.y, p.position.z),
        Quat::from_xyzw(
            p.orientation.x,
            p.orientation.y,
            p.orientation.z,
            p.orientation.w,
        ),
    )
}

impl Actions {
    /// Creates the actions and suggests bindings for each profile the
    /// runtime accepts (a profile it rejects is skipped, not fatal).
    pub fn new(
        instance: &xr::Instance,
        hand_interaction: bool,
        eye_gaze: bool,
    ) -> Result<(Self, Vec<String>), XrError> {
        let e = |what: &'static str| move |err| XrError::from_xr(what, err);
        let set = instance
            .create_action_set("showrunner", "Showrunner", 0)
            .map_err(e("xrCreateActionSet"))?;
        let hands = [
            path(instance, "/user/hand/left")?,
            path(instance, "/user/hand/right")?,
        ];
        let select = set
            .create_action::<bool>("select", "Choose", &hands)
            .map_err(e("select action"))?;
        let pause = set
            .create_action::<bool>("pause", "Pause", &[])
            .map_err(e("pause action"))?;
        let recenter = set
            .create_action::<bool>("recenter", "Recenter", &[])
            .map_err(e("recenter action"))?;
        let aim = set
            .create_action::<xr::Posef>("aim", "Point", &hands)
            .map_err(e("aim action"))?;
        let gaze = if eye_gaze {
            Some(
                set.create_action::<xr::Posef>("gaze", "Eye gaze", &[])
                    .map_err(e("gaze action"))?,
            )
        } else {
            None
        };
        let mut profiles = Vec::new();
        let mut suggest = |profile: &str, bindings: Vec<xr::Binding<'_>>| {
            let Ok(p) = instance.string_to_path(profile) else {
                return;
            };
            if instance
                .suggest_interaction_profile_bindings(p, &bindings)
                .is_ok()
            {
                profiles.push(profile.to_owned());
            }
        };
        let b = |s: &str| path(instance, s);
        suggest(
            "/interaction_profiles/khr/simple_controller",
            vec![
                xr::Binding::new(&select, b("/user/hand/left/input/select/click")?),
                xr::Binding::new(&select, b("/user/hand/right/input/select/click")?),
                xr::Binding::new(&pause, b("/user/hand/left/input/menu/click")?),
                xr::Binding::new(&aim, b("/user/hand/left/input/aim/pose")?),
                xr::Binding::new(&aim, b("/user/hand/right/input/aim/pose")?),
            ],
        );
        suggest(
            "/interaction_profiles/oculus/touch_controller",
            vec![
                xr::Binding::new(&select, b("/user/hand/left/input/trigger/value")?),
                xr::Binding::new(&select, b("/user/hand/right/input/trigger/value")?),
                xr::Binding::new(&pause, b("/user/hand/left/input/menu/click")?),
                xr::Binding::new(&recenter, b("/user/hand/right/input/b/click")?),
                xr::Binding::new(&aim, b("/user/hand/left/input/aim/pose")?),
                xr::Binding::new(&aim, b("/user/hand/right/input/aim/pose")?),
            ],
        );
        suggest(
            "/interaction_profiles/valve/index_controller",
            vec![
                xr::Binding::new(&select, b("/user/hand/left/input/trigger/click")?),
                xr::Binding::new(&select, b("/user/hand/right/input/trigger/click")?),
                xr::Binding::new(&pause, b("/user/hand/left/input/b/click")?),
                xr::Binding::new(&recenter, b("/user/hand/right/input/b/click")?),
                xr::Binding::new(&aim, b("/user/hand/left/input/aim/pose")?),
                xr::Binding::new(&aim, b("/user/hand/right/input/aim/pose")?),
            ],
        );
        if hand_interaction {
            suggest(
                "/interaction_profiles/ext/hand_interaction_ext",
                vec![
                    xr::Binding::new(&select, b("/user/hand/left/input/pinch_ext/value")?),
                    xr::Binding::new(&select, b("/user/hand/right/input/pinch_ext/value")?),
                    xr::Binding::new(&aim, b("/user/hand/left/input/aim/pose")?),
                    xr::Binding::new(&aim, b("/user/hand/right/input/aim/pose")?),
                ],
            );
        }
        if let Some(g) = &gaze {
            suggest(
                "/interaction_profiles/ext/eye_gaze_interaction",
                vec![xr::Binding::new(
                    g,
                    b("/user/eyes_ext/input/gaze_ext/pose")?,
                )],
            );
        }
        Ok((
            Self {
                set,
                select,
                pause,
                recenter,
                aim,
                gaze,
                hands,
                aim_spaces: Vec::new(),
                gaze_space: None,
            },
            profiles,
        ))
    }

    /// Attaches the set to the session and makes the pose spaces.
    pub fn attach<G: xr::Graphics>(&mut self, session: &xr::Session<G>) -> Result<(), XrError> {
        session
            .attach_action_sets(&[&self.set])
            .map_err(|e| XrError::from_xr("xrAttachSessionActionSets", e))?;
        for h in self.hands {
            self.aim_spaces.push(
                self.aim
                    .create_space(session, h, xr::Posef::IDENTITY)
                    .map_err(|e| XrError::from_xr("aim space", e))?,
            );
        }
        if let Some(g) = &self.gaze {
            self.gaze_space = Some(
                g.create_space(session, xr::Path::NULL, xr::Posef::IDENTITY)
                    .map_err(|e| XrError::from_xr("gaze space", e))?,
            );
        }
        Ok(())
    }

    /// Syncs and reads this frame's input, rays in `base` space at `time`.
    pub fn read<G: xr::Graphics>(
        &self,
        session: &xr::Session<G>,
        base: &xr::Space,
        time: xr::Time,
    ) -> Result<Input, XrError> {
        let e = |what: &'static str| move |err| XrError::from_xr(what, err);
        session
            .sync_actions(&[xr::ActiveActionSet::new(&self.set)])
            .map_err(e("xrSyncActions"))?;
        let pressed = |a: &xr::Action<bool>, p: xr::Path| -> Result<(bool, bool), XrError> {
            let s = a.state(session, p).map_err(e("xrGetActionStateBoolean"))?;
            Ok((
                s.is_active && s.current_state && s.changed_since_last_sync,
                s.is_active,
            ))
        };
        let mut input = Input::default();
        let mut pressed_hand = None;
        for (i, h) in self.hands.iter().enumerate() {
            if pressed(&self.select, *h)?.0 {
                input.select = true;
                pressed_hand = Some(i);
            }
        }
        input.pause = pressed(&self.pause, xr::Path::NULL)?.0;
        input.recenter = pressed(&self.recenter, xr::Path::NULL)?.0;
        let ray = |space: &xr::Space| -> Result<Option<(Vec3, Vec3)>, XrError> {
            let loc = space.locate(base, time).map_err(e("xrLocateSpace"))?;
            let ok = loc.location_flags.contains(
                xr::SpaceLocationFlags::POSITION_VALID | xr::SpaceLocationFlags::ORIENTATION_VALID,
            );
            Ok(ok.then(|| {
                let (p, q) = pose(loc.pose);
                (p, q * -Vec3::Z)
            }))
        };
        // The hand that pressed aims; otherwise the right, then the left.
        let order = match pressed_hand {
            Some(0) => [0, 1],
            _ => [1, 0],
        };
        for i in order {
            if let Some(s) = self.aim_spaces.get(i) {
                if let Some(r) = ray(s)? {
                    input.aim = Some(r);
                    break;
                }
            }
        }
        if let Some(s) = &self.gaze_space {
            input.gaze = ray(s)?;
        }
        Ok(input)
    }
}
