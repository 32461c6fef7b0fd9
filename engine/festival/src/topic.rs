//! The protocol's topics, and who may publish on each.

use std::fmt;

use crate::{ProtocolError, PREFIX};

/// A seat's name: 1 to 32 ASCII letters, digits, `-` or `_` (no MQTT wildcards, no `/`), as
/// the venue labels its seats (`seat-3`, `row_b_left`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeatName(String);

impl SeatName {
    /// Longest name, characters.
    pub const MAX: usize = 32;

    /// `name` as a seat's name; `Err` says what a name may hold.
    pub fn new(name: &str) -> Result<Self, String> {
        if name.is_empty() || name.len() > Self::MAX {
            return Err(format!(
                "a seat's name is 1 to {} characters, not {}",
                Self::MAX,
                name.len()
            ));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "a seat's name holds letters, digits, `-` and `_` only, not `{}`",
                c.escape_default()
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SeatName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who sent a message: the operator, or a seat (the envelope's `from`: `operator`,
/// `seat:NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sender {
    /// The operator's machine (`festival serve`), which also hosts a shared film.
    Operator,
    /// A seat.
    Seat(SeatName),
}

impl Sender {
    /// Reads an envelope's `from`.
    pub fn parse(from: &str) -> Result<Self, String> {
        if from == "operator" {
            return Ok(Self::Operator);
        }
        match from.strip_prefix("seat:") {
            Some(name) => SeatName::new(name).map(Self::Seat),
            None => Err(format!(
                "`from` is `operator` or `seat:NAME`, not `{}`",
                from.escape_default()
            )),
        }
    }
}

impl fmt::Display for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Operator => f.write_str("operator"),
            Self::Seat(s) => write!(f, "seat:{s}"),
        }
    }
}

/// A topic of the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `seat/NAME/status`: the seat's heartbeat (retained; its last will says `offline`).
    Status(SeatName),
    /// `seat/NAME/command`: the operator's command to one seat.
    Command(SeatName),
    /// `all/command`: the operator's command to every seat.
    AllCommand,
    /// `seat/NAME/ack`: the seat's answer to a command.
    Ack(SeatName),
    /// `shared/cue`: the shared film's next beat (retained, so a late joiner catches up).
    SharedCue,
    /// `shared/sample/NAME`: a seat's derived engagement, for the shared film's director.
    SharedSample(SeatName),
    /// `shared/vote/NAME`: a seat's vote on the shared film's choice.
    SharedVote(SeatName),
}

impl Topic {
    /// Reads a topic name; `Err` names it and what is wrong.
    pub fn parse(topic: &str) -> Result<Self, ProtocolError> {
        let bad = |why: String| ProtocolError::Topic {
            topic: topic.escape_default().to_string(),
            why,
        };
        let rest = topic
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| bad(format!("it does not start with `{PREFIX}/`")))?;
        let parts: Vec<&str> = rest.split('/').collect();
        let seat = |name: &str| SeatName::new(name).map_err(&bad);
        Ok(match parts.as_slice() {
            ["seat", name, "status"] => Self::Status(seat(name)?),
            ["seat", name, "command"] => Self::Command(seat(name)?),
            ["seat", name, "ack"] => Self::Ack(seat(name)?),
            ["all", "command"] => Self::AllCommand,
            ["shared", "cue"] => Self::SharedCue,
            ["shared", "sample", name] => Self::SharedSample(seat(name)?),
            ["shared", "vote", name] => Self::SharedVote(seat(name)?),
            _ => return Err(bad("no such topic".into())),
        })
    }

    /// The topic's full name.
    pub fn path(&self) -> String {
        match self {
            Self::Status(s) => format!("{PREFIX}/seat/{s}/status"),
            Self::Command(s) => format!("{PREFIX}/seat/{s}/command"),
            Self::AllCommand => format!("{PREFIX}/all/command"),
            Self::Ack(s) => format!("{PREFIX}/seat/{s}/ack"),
            Self::SharedCue => format!("{PREFIX}/shared/cue"),
            Self::SharedSample(s) => format!("{PREFIX}/shared/sample/{s}"),
            Self::SharedVote(s) => format!("{PREFIX}/shared/vote/{s}"),
        }
    }

    /// Who may publish on it: the operator its commands and cues, a seat only its own topics.
    pub fn publisher(&self) -> Sender {
        match self {
            Self::Command(_) | Self::AllCommand | Self::SharedCue => Sender::Operator,
            Self::Status(s) | Self::Ack(s) | Self::SharedSample(s) | Self::SharedVote(s) => {
                Sender::Seat(s.clone())
            }
        }
    }

    /// Whether its messages are published retained (a newcomer reads the last one at once).
    pub fn retained(&self) -> bool {
        matches!(self, Self::Status(_) | Self::SharedCue)
    }

    /// What a subscriber filters with to hear every seat's messages of this kind (`+` for the
    /// seat's name).
    pub fn every_seat(kind: &str) -> String {
        match kind {
            "sample" | "vote" => format!("{PREFIX}/shared/{kind}/+"),
            _ => format!("{PREFIX}/seat/+/{kind}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_read_back_and_name_their_publisher() {
        let s = SeatName::new("row_b-3").unwrap();
        for t in [
            Topic::Status(s.clone()),
            Topic::Command(s.clone()),
            Topic::AllCommand,
            Topic::Ack(s.clone()),
            Topic::SharedCue,
            Topic::SharedSample(s.clone()),
            Topic::SharedVote(s.clone()),
        ] {
            assert_eq!(Topic::parse(&t.path()).unwrap(), t);
        }
        assert_eq!(Topic::Command(s.clone()).publisher(), Sender::Operator);
        assert_eq!(Topic::Status(s.clone()).publisher(), Sender::Seat(s));
        assert!(Topic::SharedCue.retained() && !Topic::AllCommand.retained());
        assert_eq!(Topic::every_seat("status"), "showrunner/v1/seat/+/status");
    }

    #[test]
    fn bad_topics_and_names_say_what_is_wrong() {
        for (topic, says) in [
            ("showrunner/v2/seat/a/status", "does not start"),
            ("showrunner/v1/seat/a/launch", "no such topic"),
            ("showrunner/v1/seat/+/status", "not `+`"),
            ("showrunner/v1/seat//status", "1 to 32"),
            ("showrunner/v1/seat/a/status/extra", "no such topic"),
        ] {
            let e = Topic::parse(topic).unwrap_err().to_string();
            assert!(e.contains(says), "{topic}: {e}");
        }
        assert!(SeatName::new(&"x".repeat(33)).is_err());
        assert_eq!(Sender::parse("seat:a1").unwrap().to_string(), "seat:a1");
        assert!(Sender::parse("admin").unwrap_err().contains("operator"));
    }
}
