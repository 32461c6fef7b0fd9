//! The festival protocol, `showrunner/v1`: what the headsets in a venue (seats) and the
//! operator say to each other over MQTT: topics, messages, their JSON, and a decoder that never
//! panics and names the topic and the place of whatever it refuses (`docs/festival.md`).
//!
//! | topic | from | what | retained |
//! | --- | --- | --- | --- |
//! | `showrunner/v1/seat/NAME/status` | the seat (its last will: `offline`) | [`SeatStatus`], every second | yes |
//! | `showrunner/v1/seat/NAME/command` | the operator | [`Command`] | no |
//! | `showrunner/v1/all/command` | the operator | [`Command`] for every seat | no |
//! | `showrunner/v1/seat/NAME/ack` | the seat | [`Ack`] of a command | no |
//! | `showrunner/v1/shared/cue` | the operator (the shared film's host) | [`SharedCue`] | yes |
//! | `showrunner/v1/shared/sample/NAME` | the seat | its derived [`EngagementSample`] | no |
//! | `showrunner/v1/shared/vote/NAME` | the seat | [`Vote`] on the choice on offer | no |
//!
//! [`link`] is the MQTT 5 link (rumqttc, on its own thread) each end keeps to the broker, and
//! [`pairing`] the keys and broker passwords the operator hands out.
//!
//! Every payload is one JSON object, an envelope: `{"v": 1, "from": "seat:NAME" | "operator",
//! "seq": N, "boot": B, "sent_ms": T, "body": {...}}`. Only derived engagement ever leaves a seat: no heart rate, no
//! beat-to-beat intervals, no gaze. Every message is signed with its sender's [`Key`] (the
//! MQTT 5 user property [`MAC_PROPERTY`]), and the receiver checks it whatever the broker lets
//! through, and refuses what it has seen ([`Replay`]).

mod auth;
pub mod link;
mod message;
pub mod pairing;
mod replay;
mod topic;

pub use auth::{Key, MAC_PROPERTY};
pub use message::{
    decode, encode, Ack, Body, Command, FilmState, FrameTiming, Message, Outcome, SeatState,
    SeatStatus, SharedChoice, SharedCue, SharedDirector, StrapState, Vote,
};
pub use replay::{Replay, WILL_SEQ};
pub use showrunner_core::{EngagementSample, Grade};
pub use topic::{SeatName, Sender, Topic};

/// The protocol's version: the `v` of every envelope and the `v1` of every topic.
pub const VERSION: u32 = 1;
/// Every topic starts with this.
pub const PREFIX: &str = "showrunner/v1";
/// The largest payload a receiver reads, bytes (a status is well under 1 KiB; a cue with a
/// long line and its choices a few KiB).
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// Why a message was refused: each names the topic it came on and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    /// Not one of the protocol's topics.
    #[error("topic `{topic}`: {why}; the topics are showrunner/v1/seat/NAME/{{status,command,ack}}, showrunner/v1/all/command and showrunner/v1/shared/{{cue,sample/NAME,vote/NAME}}")]
    Topic {
        /// The topic as received.
        topic: String,
        /// What is wrong with it.
        why: String,
    },
    /// The payload is larger than [`MAX_PAYLOAD`].
    #[error("topic `{topic}`: a payload of {len} bytes is over the {max} a message may have; it was dropped", max = MAX_PAYLOAD)]
    TooLarge {
        /// The topic it came on.
        topic: String,
        /// Its length, bytes.
        len: usize,
    },
    /// Not JSON, or not an envelope of the topic's message.
    #[error("topic `{topic}`, payload line {line}, column {column}: {why}")]
    Json {
        /// The topic it came on.
        topic: String,
        /// Where in the payload (1-based; 0 when the place is the whole payload).
        line: usize,
        /// See `line`.
        column: usize,
        /// What the JSON reader said.
        why: String,
    },
    /// Another version of the protocol.
    #[error("topic `{topic}`: protocol version {found} (this seat speaks {VERSION}); update showrunner on every seat and the operator's machine to one version")]
    Version {
        /// The topic it came on.
        topic: String,
        /// The `v` it carried.
        found: u64,
    },
    /// The sender is not the one the topic belongs to (a seat speaking for another, or for
    /// the operator).
    #[error("topic `{topic}`: sent as `{from}`, but only `{expected}` may publish here; refused")]
    Sender {
        /// The topic it came on.
        topic: String,
        /// The `from` it carried.
        from: String,
        /// Who may publish on the topic.
        expected: String,
    },
    /// A field out of its range.
    #[error("topic `{topic}`: `{field}` {why}")]
    Value {
        /// The topic it came on.
        topic: String,
        /// The field, as a path in the body (`body.engagement.boredom`).
        field: String,
        /// What is wrong with it.
        why: String,
    },
}
