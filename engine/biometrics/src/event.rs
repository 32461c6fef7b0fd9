//! What every heart source delivers: timestamped events.

use arrayvec::ArrayVec;
use serde::Serialize;

pub use crate::hrm::SensorContact;

/// The most RR intervals one [`Reading`] carries; a source splits longer
/// packets into several readings with the same timestamp.
pub const RR_PER_READING: usize = 8;

/// One heart reading: what a strap notification (or a replay row) says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// Heart rate the strap reported, bpm (`None` when the source has only RR).
    pub bpm: Option<u16>,
    /// Skin contact.
    pub contact: SensorContact,
    /// RR intervals in ms, oldest first, the last one ending at the event's time.
    pub rr_ms: ArrayVec<f32, RR_PER_READING>,
}

/// A strap's identity and state, sent when it connects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrapInfo {
    /// Advertised name (e.g. "Polar H10 1A2B3C4D").
    pub name: String,
    /// Bluetooth address or platform id.
    pub address: String,
    /// Body Sensor Location (0x2A38), when the strap has it.
    pub location: Option<BodyLocation>,
    /// Battery level in percent (0x2A19), when the strap has it.
    pub battery: Option<u8>,
}

/// Body Sensor Location (0x2A38) values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyLocation {
    /// 0
    Other,
    /// 1
    Chest,
    /// 2
    Wrist,
    /// 3
    Finger,
    /// 4
    Hand,
    /// 5
    EarLobe,
    /// 6
    Foot,
    /// Any value the specification reserves.
    Reserved(u8),
}

impl BodyLocation {
    /// Decodes the 0x2A38 byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0 => Self::Other,
            1 => Self::Chest,
            2 => Self::Wrist,
            3 => Self::Finger,
            4 => Self::Hand,
            5 => Self::EarLobe,
            6 => Self::Foot,
            r => Self::Reserved(r),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A heart reading.
    Reading(Reading),
    /// A strap connected (or reconnected).
    Connected(StrapInfo),
    /// The strap dropped out; the estimator reports zero quality at once.
    Disconnected,
    /// A new battery level, percent.
    Battery {
        /// Percent.
        percent: u8,
    },
    /// A packet that did not decode; counted, never fatal.
    Malformed {
        /// Why.
        error: String,
    },
    /// The source ended (a replay file ran out, a simulation finished) or
    /// failed for good.
    Ended {
        /// Why, for the log.
        reason: String,
    },
}

/// A timestamped event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorEvent {
    /// Seconds on the source's clock: since the link started for live and
    /// simulated sources, as written in the file for replays.
    pub t: f64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl SensorEvent {
    /// A reading at `t`.
    pub fn reading(t: f64, bpm: Option<u16>, contact: SensorContact, rr_ms: &[f32]) -> Self {
        Self {
            t,
            kind: EventKind::Reading(Reading {
                bpm,
                contact,
                rr_ms: rr_ms.iter().copied().take(RR_PER_READING).collect(),
            }),
        }
    }
}
