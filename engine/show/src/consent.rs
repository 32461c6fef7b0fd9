//! Consent before sensing. Heart rate is health data (GDPR Art. 9) and reading a viewer's
//! state from it is emotion recognition, which must be disclosed before exposure (EU AI Act
//! Art. 50(3)). So before any sensor starts (the strap, eye tracking), the show holds the
//! film and puts up a notice: what is sensed, what it changes, that it stays on the device,
//! how to turn it off. Accepting starts sensing; declining plays the film with neutral
//! engagement and starts no sensor. An installation that took consent before the headset
//! went on says so (`--consent given`), and the log keeps which it was.

/// The notice the viewer reads before anything senses them.
pub const NOTICE: &str = "Before the film starts\n\
This film can adapt to you. With your permission it reads your heart rate from the strap \
and, where this headset tracks them, your eyes, to tell whether you are bored, gripped or \
overwhelmed, and it changes its pace, its colours, its intensity and which way the story \
goes. A neural network also refines the pictures.\n\
Nothing leaves this device and nothing is recorded unless you ask. You can turn sensing \
off at any time from the menu (the menu button; Tab in the window).";

/// Added to the notice in a venue's seat (`play --festival`): what the operator sees.
pub const AT_VENUE: &str = "In this venue the operator's console shows how engaged you are \
(bored, gripped or overwhelmed), never your heart rate or where you look; it is deleted \
when the next viewer sits down.";

/// Added to the venue's notice in a seat of a shared film: what leaves the seat for the film.
pub const IN_SHARED_FILM: &str = "This is a shared film: everyone in the room watches one \
story. Your seat sends the film's host the same derived engagement (never your heart rate, \
never where you look), where it is averaged with the other seats' to steer the film, and \
your choices count as votes.";

/// The two answers, as the panels (and keys 1 and 2) offer them.
pub const ANSWERS: [&str; 2] = ["Watch with sensing", "Watch without sensing"];

/// Where consent to sensing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Consent {
    /// Nothing senses the viewer, so nothing was asked (a simulated or recorded viewer; the
    /// window's mouse standing in for the eyes).
    #[default]
    NotNeeded,
    /// The notice is up: nothing senses yet, and the film waits.
    Asking,
    /// The viewer accepted, in the headset (or the window).
    Given,
    /// An installation took consent before the headset went on (`--consent given`).
    GivenOffHeadset,
    /// The viewer declined (or `--consent declined`): neutral engagement, no sensor.
    Declined,
    /// The viewer turned sensing off from the menu: neutral engagement, the sensors closed.
    TurnedOff,
    /// The viewer turned sensing back on from the menu.
    TurnedOn,
}

impl Consent {
    /// Whether sensors may run.
    pub fn sensing(self) -> bool {
        matches!(self, Self::Given | Self::GivenOffHeadset | Self::TurnedOn)
    }

    /// Whether the eyes' ray may be read (for attention and choosing by dwell): not while
    /// asking, not after a decline.
    pub fn allows_gaze(self) -> bool {
        !matches!(self, Self::Asking | Self::Declined | Self::TurnedOff)
    }

    /// The log's reason for it.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotNeeded => "nothing senses the viewer",
            Self::Asking => "asked before sensing",
            Self::Given => "the viewer accepted sensing on the consent panel",
            Self::GivenOffHeadset => {
                "the installation took the viewer's consent before the headset went on (--consent given)"
            }
            Self::Declined => "the viewer declined sensing: neutral engagement, no sensor started",
            Self::TurnedOff => {
                "the viewer turned sensing off from the menu: neutral engagement, the sensors closed"
            }
            Self::TurnedOn => "the viewer turned sensing back on from the menu",
        }
    }
}
