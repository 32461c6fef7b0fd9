//! The system around the app: on a headset (Android), the activity's life and the runtime
//! permissions each sensor needs; on a desktop nothing is asked and everything is allowed.
//!
//! A permission is asked for only once the viewer has accepted sensing on the consent panel
//! (the heart strap's when it is about to start, the eyes' and the room's when the viewer
//! accepts). Android gives a native activity no answer to its request: the system's dialog
//! pauses the activity, and the activity resumes once the viewer has answered, so the answer is
//! read then ([`Permissions::decided`]). What the system refused is told to the viewer once, in
//! the world, and the film plays without that input.

use std::sync::Mutex;

/// A permission the system gives the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Scanning for and connecting to the heart strap.
    Bluetooth,
    /// Reading where the viewer looks.
    EyeTracking,
    /// The runtime's estimate of the room's light (Android XR's scene understanding).
    SceneUnderstanding,
}

impl Permission {
    #[cfg_attr(not(target_os = "android"), allow(dead_code))]
    /// Android's names for it. Bluetooth needs both; eye tracking is Meta's name on a Quest and
    /// Android's on Android XR, and either does (a headset knows one).
    pub fn android_names(self) -> &'static [&'static str] {
        match self {
            Self::Bluetooth => &[
                "android.permission.BLUETOOTH_SCAN",
                "android.permission.BLUETOOTH_CONNECT",
            ],
            Self::EyeTracking => &[
                "com.oculus.permission.EYE_TRACKING",
                "android.permission.EYE_TRACKING_FINE",
            ],
            Self::SceneUnderstanding => &["android.permission.SCENE_UNDERSTANDING_COARSE"],
        }
    }

    #[cfg_attr(not(target_os = "android"), allow(dead_code))]
    /// Whether `granted` (which of [`Permission::android_names`] the system granted) is enough.
    pub fn enough(self, granted: &[bool]) -> bool {
        match self {
            Self::EyeTracking => granted.iter().any(|g| *g),
            _ => !granted.is_empty() && granted.iter().all(|g| *g),
        }
    }

    /// What the viewer is told, once, when the system refused it.
    pub fn refused(self) -> &'static str {
        match self {
            Self::Bluetooth => "The headset did not allow Bluetooth, so your heart strap is not read: the film plays on without it. Allow it in the headset's settings (Apps, Showrunner, Permissions) to use the strap next time.",
            Self::EyeTracking => "The headset did not allow eye tracking, so where you look is not read: point and select to choose.",
            Self::SceneUnderstanding => "The headset did not allow scene understanding, so the film keeps its studio light instead of your room's.",
        }
    }
}

/// Where a permission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Allowed: the sensor may start.
    Granted,
    /// The system's dialog is up (or about to be): wait for [`Permissions::decided`].
    Asking,
    /// Refused (by the viewer in the system's dialog, or before, in the settings).
    Refused,
}

/// The system the app asks: Android's activity on a headset.
pub trait System: Send {
    /// Whether the system asks at all (a desktop allows everything without asking).
    fn asks(&self) -> bool;
    /// Whether `p` is granted now (cheap enough to call when an answer may have come).
    fn granted(&mut self, p: Permission) -> bool;
    /// Puts up the system's dialog for `p`; [`Grant::Refused`] when it cannot be asked at all.
    fn ask(&mut self, p: Permission) -> Grant;
    /// The activity's events since the last call, without waiting.
    fn events(&mut self) -> Events;
}

/// What the activity went through since the last look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Events {
    /// It came back to the front (after the system's dialog, among others).
    pub resumed: bool,
    /// It is being destroyed: the film should end.
    pub destroyed: bool,
}

/// A desktop: nothing is asked, everything is allowed, nothing happens to an activity.
struct Desktop;

impl System for Desktop {
    fn asks(&self) -> bool {
        false
    }
    fn granted(&mut self, _: Permission) -> bool {
        true
    }
    fn ask(&mut self, _: Permission) -> Grant {
        Grant::Granted
    }
    fn events(&mut self) -> Events {
        Events::default()
    }
}

/// The permissions asked for, and their answers.
pub struct Permissions {
    system: Box<dyn System>,
    asked: Vec<(Permission, Grant)>,
}

impl Permissions {
    /// Asking `system`.
    pub fn new(system: Box<dyn System>) -> Self {
        Self {
            system,
            asked: Vec::new(),
        }
    }

    fn recorded(&self, p: Permission) -> Option<Grant> {
        self.asked.iter().find(|(q, _)| *q == p).map(|(_, g)| *g)
    }

    fn record(&mut self, p: Permission, g: Grant) {
        match self.asked.iter_mut().find(|(q, _)| *q == p) {
            Some(entry) => entry.1 = g,
            None => self.asked.push((p, g)),
        }
    }

    /// Asks for `p` (once: asked again, the first answer stands).
    pub fn ask(&mut self, p: Permission) -> Grant {
        if let Some(g) = self.recorded(p) {
            return g;
        }
        let g = if self.system.granted(p) {
            Grant::Granted
        } else {
            self.system.ask(p)
        };
        self.record(p, g);
        g
    }

    /// Whether a sensor needing `p` may run now: granted, or on a system that does not ask.
    pub fn allowed(&self, p: Permission) -> bool {
        match self.recorded(p) {
            Some(g) => g == Grant::Granted,
            None => !self.system.asks(),
        }
    }

    /// The activity's events, and the answers that came with them: each permission that was
    /// being asked for and is now decided, granted or not.
    pub fn decided(&mut self) -> (Events, Vec<(Permission, bool)>) {
        let events = self.system.events();
        let mut out = Vec::new();
        if events.resumed {
            let waiting: Vec<Permission> = self
                .asked
                .iter()
                .filter(|(_, g)| *g == Grant::Asking)
                .map(|(p, _)| *p)
                .collect();
            for p in waiting {
                let granted = self.system.granted(p);
                self.record(
                    p,
                    if granted {
                        Grant::Granted
                    } else {
                        Grant::Refused
                    },
                );
                out.push((p, granted));
            }
        }
        (events, out)
    }
}

static PERMISSIONS: Mutex<Option<Permissions>> = Mutex::new(None);

/// Asks `system` from now on (the headset's activity, at start-up).
#[cfg_attr(not(target_os = "android"), allow(dead_code))]
pub fn install(system: Box<dyn System>) {
    *PERMISSIONS.lock().unwrap_or_else(|e| e.into_inner()) = Some(Permissions::new(system));
}

fn with<T>(f: impl FnOnce(&mut Permissions) -> T) -> T {
    let mut guard = PERMISSIONS.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(|| Permissions::new(Box::new(Desktop))))
}

/// [`Permissions::ask`] of the system installed (a desktop's when none was).
pub fn ask(p: Permission) -> Grant {
    with(|ps| ps.ask(p))
}

/// [`Permissions::allowed`] of the system installed.
pub fn allowed(p: Permission) -> bool {
    with(|ps| ps.allowed(p))
}

/// [`Permissions::decided`] of the system installed: once a frame, it never waits.
pub fn pump() -> (Events, Vec<(Permission, bool)>) {
    with(Permissions::decided)
}

/// The command line the headset's activity runs: `showrunner play --xr --heart ble` (the
/// strongest strap in range), then `extra`, the developer's arguments from the app's storage
/// (`files/showrunner.args`), which may name their own strap.
#[cfg_attr(not(target_os = "android"), allow(dead_code))]
pub fn headset_command_line(extra: Vec<String>) -> Vec<String> {
    let mut args: Vec<String> = vec!["showrunner".into(), "play".into()];
    if !extra.iter().any(|a| a == "--xr") {
        args.push("--xr".into());
    }
    if !extra
        .iter()
        .any(|a| a == "--heart" || a.starts_with("--heart="))
    {
        args.extend(["--heart".into(), "ble".into()]);
    }
    args.extend(extra);
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A headset whose viewer answers the dialogs as `answers` says, shared with the test.
    #[derive(Default)]
    struct Headset {
        granted: Vec<Permission>,
        dialogs: Vec<Permission>,
        resumed: bool,
    }

    struct Shared(Arc<Mutex<Headset>>);

    impl System for Shared {
        fn asks(&self) -> bool {
            true
        }
        fn granted(&mut self, p: Permission) -> bool {
            self.0.lock().unwrap().granted.contains(&p)
        }
        fn ask(&mut self, p: Permission) -> Grant {
            self.0.lock().unwrap().dialogs.push(p);
            Grant::Asking
        }
        fn events(&mut self) -> Events {
            Events {
                resumed: std::mem::take(&mut self.0.lock().unwrap().resumed),
                destroyed: false,
            }
        }
    }

    #[test]
    fn a_permission_is_asked_once_and_its_answer_read_when_the_activity_resumes() {
        let headset = Arc::new(Mutex::new(Headset::default()));
        let mut ps = Permissions::new(Box::new(Shared(headset.clone())));
        assert!(!ps.allowed(Permission::Bluetooth), "nothing before asking");
        assert_eq!(ps.ask(Permission::Bluetooth), Grant::Asking);
        assert_eq!(ps.ask(Permission::EyeTracking), Grant::Asking);
        assert_eq!(
            ps.ask(Permission::Bluetooth),
            Grant::Asking,
            "not asked twice"
        );
        assert_eq!(
            headset.lock().unwrap().dialogs,
            [Permission::Bluetooth, Permission::EyeTracking]
        );
        assert!(
            ps.decided().1.is_empty(),
            "no answer while the dialog is up"
        );
        {
            let mut h = headset.lock().unwrap();
            h.granted.push(Permission::Bluetooth);
            h.resumed = true;
        }
        let (events, answers) = ps.decided();
        assert!(events.resumed);
        assert_eq!(
            answers,
            [
                (Permission::Bluetooth, true),
                (Permission::EyeTracking, false)
            ]
        );
        assert!(ps.allowed(Permission::Bluetooth) && !ps.allowed(Permission::EyeTracking));
        headset.lock().unwrap().resumed = true;
        assert!(ps.decided().1.is_empty(), "each answer is told once");
        assert_eq!(
            ps.ask(Permission::EyeTracking),
            Grant::Refused,
            "a refusal stands"
        );
    }

    #[test]
    fn one_granted_before_is_not_asked() {
        let headset = Arc::new(Mutex::new(Headset {
            granted: vec![Permission::SceneUnderstanding],
            ..Headset::default()
        }));
        let mut ps = Permissions::new(Box::new(Shared(headset.clone())));
        assert_eq!(ps.ask(Permission::SceneUnderstanding), Grant::Granted);
        assert!(headset.lock().unwrap().dialogs.is_empty());
    }

    #[test]
    fn a_desktop_allows_everything_without_asking() {
        let mut ps = Permissions::new(Box::new(Desktop));
        assert!(ps.allowed(Permission::EyeTracking), "before asking");
        assert_eq!(ps.ask(Permission::Bluetooth), Grant::Granted);
        assert_eq!(ps.decided(), (Events::default(), Vec::new()));
    }

    #[test]
    fn the_headset_plays_in_xr_with_the_strongest_strap_unless_told_otherwise() {
        let line = |extra: &[&str]| {
            headset_command_line(extra.iter().map(|s| (*s).to_owned()).collect()).join(" ")
        };
        assert_eq!(line(&[]), "showrunner play --xr --heart ble");
        assert_eq!(
            line(&["--heart", "ble:Polar H10", "--seconds", "60"]),
            "showrunner play --xr --heart ble:Polar H10 --seconds 60"
        );
        assert_eq!(
            line(&["--festival", "mqtt://10.0.0.2:1883", "--seat", "front-left"]),
            "showrunner play --xr --heart ble --festival mqtt://10.0.0.2:1883 --seat front-left"
        );
    }

    #[test]
    fn eye_tracking_needs_either_name_bluetooth_both() {
        assert!(Permission::EyeTracking.enough(&[false, true]));
        assert!(!Permission::Bluetooth.enough(&[true, false]));
        assert!(Permission::Bluetooth.enough(&[true, true]));
        assert!(!Permission::SceneUnderstanding.enough(&[]));
    }
}
