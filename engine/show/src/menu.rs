//! The viewer's menu (the menu button in the headset, Tab in the window): the film holds
//! while it is open, its words are a notice above the panels, and its entries are the
//! panels (point and select, or their number keys). Sensing can be turned off, and back on,
//! at any time; the view can be recentred; a character whose fate the story marks can be
//! saved (the director then spares them wherever the story offers a way; where it offers
//! none, the entry says so and does nothing); a role can be recast ("who plays whom": any of
//! the story's performers, or the viewer's own avatar where they gave one); the scene can
//! move to another set ("change the setting"). Long lists page with a "More" entry. Each use
//! is an event in the log with its reason.

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
    /// Asks the director to spare the `n`th fate-marked character.
    Save(usize),
    /// Greyed: the `n`th character's death is in the story's lines, with no way around it.
    CannotSave(usize),
    /// Greyed: the `n`th character is already to be spared.
    Saved(usize),
    /// Greyed: the story marks no one's fate.
    NoOneToSave,
    /// After the end: back to the last choice point that leads to an ending not seen.
    AnotherEnding,
    /// Greyed, after the end: no choice point left leads to an ending not seen.
    NoOtherEnding,
    /// Opens the page of the characters on stage, to choose who plays one.
    WhoPlays,
    /// Opens the page of who could play the `n`th character on stage.
    Role(usize),
    /// Has the `n`th performer play the character chosen.
    PlayedBy(usize),
    /// Greyed: the `n`th performer plays them now.
    PlaysNow(usize),
    /// Greyed: the viewer gave no avatar of their own (the entry says how to).
    NoAvatar,
    /// Opens the page of the sets the scene on stage could move to.
    Setting,
    /// Moves the scene on stage to the `n`th set.
    MoveTo(usize),
    /// Greyed: the scene is in the `n`th set now.
    HereNow(usize),
    /// The next page of a long list (after the last, the first again).
    More,
}

impl MenuAction {
    /// The entry's words on its panel; `names` are what the page's entries name by index (the
    /// fate-marked characters, the characters on stage, the performers or the sets, as the
    /// viewer reads them).
    pub fn label(self, names: &[String]) -> String {
        let name = |i: usize| -> String {
            let n = names.get(i).map_or("them", String::as_str);
            let mut c = n.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        };
        match self {
            Self::Back => "Back to the film".into(),
            Self::SensingOff => "Turn sensing off".into(),
            Self::SensingOn => "Turn sensing on".into(),
            Self::Recentre => "Recentre the view".into(),
            Self::Save(i) => format!("Save {}", name(i)),
            Self::CannotSave(i) => format!(
                "{}: the story's own lines decide; there is no way to spare them",
                name(i)
            ),
            Self::Saved(i) => format!("{} will be spared", name(i)),
            Self::NoOneToSave => "No one's fate is marked in this story".into(),
            Self::AnotherEnding => "Another ending".into(),
            Self::NoOtherEnding => "You have seen every ending these choices lead to".into(),
            Self::WhoPlays => "Who plays whom".into(),
            Self::Role(i) | Self::MoveTo(i) => name(i),
            Self::PlayedBy(i) => {
                format!("Played by {}", names.get(i).map_or("them", String::as_str))
            }
            Self::PlaysNow(i) => format!(
                "Played by {} (now)",
                names.get(i).map_or("them", String::as_str)
            ),
            Self::NoAvatar => {
                "To play a role yourself, start the film with --avatar YOU.vrm (or .glb)".into()
            }
            Self::Setting => "Change the setting".into(),
            Self::HereNow(i) => format!("{} (here now)", name(i)),
            Self::More => "More".into(),
        }
    }

    /// Whether taking it does something (greyed entries do nothing).
    pub fn enabled(self) -> bool {
        !matches!(
            self,
            Self::CannotSave(_)
                | Self::Saved(_)
                | Self::NoOneToSave
                | Self::NoOtherEnding
                | Self::PlaysNow(_)
                | Self::NoAvatar
                | Self::HereNow(_)
        )
    }
}

/// The menu's pages: the first, and the lists it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Page {
    /// The first page.
    Main,
    /// The characters on stage.
    Roles,
    /// Who could play the character `actor`.
    Players {
        /// The character (their actor's name in the story).
        actor: String,
    },
    /// The sets the scene on stage could move to.
    Settings,
}

/// Entries of a list on one page, at most (with Back and More: eight panels, keys 1 to 8).
pub(crate) const PAGE: usize = 6;

/// A list's page: Back, then `items` from `offset` (at most [`PAGE`] of them), then More
/// where the list is longer than a page.
pub(crate) fn list_page(items: &[MenuAction], offset: usize) -> Vec<MenuAction> {
    let mut a = vec![MenuAction::Back];
    a.extend(items.iter().skip(offset).take(PAGE));
    if items.len() > PAGE {
        a.push(MenuAction::More);
    }
    a
}

/// A list's entries: `now` (the one in effect, greyed) as `current`, the others as `other`,
/// each by its index in `keys`.
pub(crate) fn entries(
    keys: &[String],
    now: &str,
    current: fn(usize) -> MenuAction,
    other: fn(usize) -> MenuAction,
) -> Vec<MenuAction> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| if k == now { current(i) } else { other(i) })
        .collect()
}

/// A set's name as the viewer reads it: `lamp_room_dark` → "Lamp room dark".
pub(crate) fn set_title(name: &str) -> String {
    let words = name.replace(['_', '-'], " ");
    let mut c = words.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A fate-marked character as the menu offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Savable {
    /// The director can spare them.
    Yes,
    /// Already asked.
    Asked,
    /// Their death is in the lines with no way around.
    No,
    /// They never die: nothing to offer.
    Never,
}

/// The menu while it is open: its entries, and what it covered (the story's choices on
/// offer and the notice that was up), put back when it closes.
#[derive(Debug, Clone)]
pub(crate) struct Menu {
    pub(crate) actions: Vec<MenuAction>,
    /// What the entries name (by index), as the viewer reads it: on the first page the
    /// fate-marked characters, then the characters on stage, the performers or the sets.
    pub(crate) names: Vec<String>,
    /// The same, as the show knows them (actors' and sets' names), on the list pages.
    pub(crate) keys: Vec<String>,
    /// The page open, and where in its list it starts.
    pub(crate) page: Page,
    pub(crate) offset: usize,
    /// Per entry: it does nothing (drawn dimmed).
    pub(crate) greyed: Vec<bool>,
    /// After the end: where another ending lies.
    pub(crate) another: Option<crate::endings::Another>,
    pub(crate) covered_choices: Vec<String>,
    pub(crate) covered_notice: String,
}

/// The entries for where consent stands: sensing's switch only where something senses (or
/// could, had the viewer not declined).
/// The entries: `after_end` is `Some(found)` once the story ended (whether another ending
/// was found).
/// `restage` says what can be restaged now: (characters on stage, a scene on stage), for
/// "Who plays whom" and "Change the setting".
pub(crate) fn actions(
    consent: Consent,
    fates: &[Savable],
    after_end: Option<bool>,
    restage: (bool, bool),
) -> Vec<MenuAction> {
    let mut a = vec![MenuAction::Back];
    match after_end {
        Some(true) => a.push(MenuAction::AnotherEnding),
        Some(false) => a.push(MenuAction::NoOtherEnding),
        None => {}
    }
    if consent.sensing() {
        a.push(MenuAction::SensingOff);
    } else if matches!(consent, Consent::Declined | Consent::TurnedOff) {
        a.push(MenuAction::SensingOn);
    }
    a.push(MenuAction::Recentre);
    let before = a.len();
    for (i, f) in fates.iter().enumerate() {
        match f {
            Savable::Yes => a.push(MenuAction::Save(i)),
            Savable::Asked => a.push(MenuAction::Saved(i)),
            Savable::No => a.push(MenuAction::CannotSave(i)),
            Savable::Never => {}
        }
    }
    if a.len() == before {
        a.push(MenuAction::NoOneToSave);
    }
    if restage.0 {
        a.push(MenuAction::WhoPlays);
    }
    if restage.1 {
        a.push(MenuAction::Setting);
    }
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
    fn long_lists_page_and_come_round_again() {
        let items: Vec<MenuAction> = (0..14).map(MenuAction::MoveTo).collect();
        let first = list_page(&items, 0);
        assert_eq!(first.len(), PAGE + 2);
        assert_eq!(first[0], MenuAction::Back);
        assert_eq!(first[1], MenuAction::MoveTo(0));
        assert_eq!(*first.last().unwrap(), MenuAction::More);
        assert_eq!(
            list_page(&items, 12)[1..3],
            [MenuAction::MoveTo(12), MenuAction::MoveTo(13)]
        );
        // A short list: no More.
        assert_eq!(list_page(&items[..3], 0).len(), 4);
        let names = ["lamp_room_dark"].map(set_title);
        assert_eq!(names[0], "Lamp room dark");
        assert_eq!(
            MenuAction::HereNow(0).label(&names),
            "Lamp room dark (here now)"
        );
        assert!(!MenuAction::HereNow(0).enabled() && MenuAction::MoveTo(0).enabled());
        assert!(MenuAction::NoAvatar.label(&[]).contains("--avatar"));
    }

    #[test]
    fn the_switch_offered_is_the_one_that_changes_something() {
        let none = [Savable::Never];
        assert_eq!(
            actions(Consent::Given, &none, None, (false, false)),
            [
                MenuAction::Back,
                MenuAction::SensingOff,
                MenuAction::Recentre,
                MenuAction::NoOneToSave
            ]
        );
        assert_eq!(
            actions(Consent::TurnedOff, &[], None, (false, false)),
            [
                MenuAction::Back,
                MenuAction::SensingOn,
                MenuAction::Recentre,
                MenuAction::NoOneToSave
            ]
        );
        let fates = [Savable::Yes, Savable::No, Savable::Never, Savable::Asked];
        let a = actions(Consent::NotNeeded, &fates, None, (false, false));
        assert_eq!(
            a,
            [
                MenuAction::Back,
                MenuAction::Recentre,
                MenuAction::Save(0),
                MenuAction::CannotSave(1),
                MenuAction::Saved(3)
            ]
        );
        let names = ["mara", "tomas", "calum", "iain"].map(String::from);
        let labels: Vec<String> = a.iter().map(|x| x.label(&names)).collect();
        assert_eq!(labels[2], "Save Mara");
        assert!(labels[3].starts_with("Tomas: the story's own lines decide"));
        assert_eq!(labels[4], "Iain will be spared");
        assert!(!a[3].enabled() && !a[4].enabled() && a[2].enabled());
        assert_eq!(
            actions(Consent::NotNeeded, &[], Some(true), (true, true))[..2],
            [MenuAction::Back, MenuAction::AnotherEnding]
        );
        assert!(!MenuAction::NoOtherEnding.enabled());
        assert_eq!(
            actions(Consent::NotNeeded, &[], None, (true, true)),
            [
                MenuAction::Back,
                MenuAction::Recentre,
                MenuAction::NoOneToSave,
                MenuAction::WhoPlays,
                MenuAction::Setting
            ]
        );
        assert!(notice(Consent::TurnedOn).contains("Sensing is on"));
        assert!(notice(Consent::Declined).contains("Sensing is off"));
    }
}
