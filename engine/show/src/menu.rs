//! The viewer's menu (the menu button in the headset, Tab in the window): the film holds
//! while it is open, its words are a notice above the panels, and its entries are the
//! panels (point and select, or their number keys). Sensing can be turned off, and back on,
//! at any time; the view can be recentred. Each use is an event in the log with its reason.

use crate::consent::Consent;

/// What a menu entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAction {
    /// Closes the menu; the film goes on.
    Back,
    /// Turns sensing off: neutral engagement from now on, the sensors closed.
    SensingOff,
    /// Turns sensing back on.
    SensingOn,
    /// Puts "forward" where the viewer looks.
    Recentre,
}

impl MenuAction {
    /// The entry's words on its panel.
    pub fn label(self) -> &'static str {
        match self {
            Self::Back => "Back to the film",
            Self::SensingOff => "Turn sensing off",
            Self::SensingOn => "Turn sensing on",
            Self::Recentre => "Recentre the view",
        }
    }
}

/// The menu while it is open: its entries, and what it covered (the story's choices on
/// offer and the notice that was up), put back when it closes.
#[derive(Debug, Clone)]
pub(crate) struct Menu {
    pub(crate) actions: Vec<MenuAction>,
    pub(crate) covered_choices: Vec<String>,
    pub(crate) covered_notice: String,
}

/// The entries for where consent stands: sensing's switch only where something senses (or
/// could, had the viewer not declined).
pub(crate) fn actions(consent: Consent) -> Vec<MenuAction> {
    let mut a = vec![MenuAction::Back];
    if consent.sensing() {
        a.push(MenuAction::SensingOff);
    } else if matches!(consent, Consent::Declined | Consent::TurnedOff) {
        a.push(MenuAction::SensingOn);
    }
    a.push(MenuAction::Recentre);
    a
}

/// The menu's notice: that the film holds, and what senses the viewer now.
pub(crate) fn notice(consent: Consent) -> String {
    let sensing = match consent {
        Consent::NotNeeded => "Nothing senses you: the film adapts to a simulated viewer.",
        c if c.sensing() => {
            "Sensing is on: your heart and, where the headset tracks them, your eyes shape the film. It stays on this device."
        }
        _ => "Sensing is off: nothing reads you, and the film plays as written.",
    };
    format!("Menu\nThe film holds while the menu is open.\n{sensing}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_offered_is_the_one_that_changes_something() {
        assert_eq!(
            actions(Consent::Given),
            [
                MenuAction::Back,
                MenuAction::SensingOff,
                MenuAction::Recentre
            ]
        );
        assert_eq!(
            actions(Consent::TurnedOff),
            [
                MenuAction::Back,
                MenuAction::SensingOn,
                MenuAction::Recentre
            ]
        );
        assert_eq!(
            actions(Consent::NotNeeded),
            [MenuAction::Back, MenuAction::Recentre]
        );
        assert!(notice(Consent::TurnedOn).contains("Sensing is on"));
        assert!(notice(Consent::Declined).contains("Sensing is off"));
    }
}
