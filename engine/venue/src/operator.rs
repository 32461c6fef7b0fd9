//! What the operator knows of the room: each seat's last status, its alarms, a sparkline of its
//! engagement, and the record of every screening with its outcome. Plain state driven by the
//! link's events and the clock, so it is tested without a broker.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use showrunner_festival::link::Event;
use showrunner_festival::{Ack, Body, Message, SeatState, SeatStatus, Sender, StrapState, Topic};

/// A seat that has not spoken for this long is alarmed as silent (it reports every second).
pub const SILENT_MS: u64 = 3_000;
/// Engagement points kept per seat for its sparkline (a minute at one a second).
pub const SPARKLINE: usize = 60;

/// Why the operator should look at a seat.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "alarm", rename_all = "snake_case")]
pub enum Alarm {
    /// No status for a while, or its last will came: the headset is off, crashed or off the
    /// network.
    Silent {
        /// Since when, ms since the epoch.
        since_ms: u64,
    },
    /// The strap is on but does not touch the skin.
    NoContact,
    /// Frames missed the display's deadline in the last second.
    MissedFrames {
        /// How many.
        missed: u32,
    },
    /// The seat reported an error.
    Error {
        /// What it said.
        error: String,
    },
    /// Two headsets report under one name (two runs alternate).
    TwoSeatsOneName,
}

/// One seat as the operator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SeatView {
    /// Its name.
    pub name: String,
    /// Its last status (`None` before the first).
    pub status: Option<SeatStatus>,
    /// When it last spoke, ms since the epoch.
    pub last_heard_ms: u64,
    /// Its alarms now.
    pub alarms: Vec<Alarm>,
    /// Its arousal (z), oldest first, one point per status.
    pub sparkline: VecDeque<f32>,
    /// Screenings it ended, reset or lost today.
    pub screenings: u32,
    #[serde(skip)]
    boot: u64,
    #[serde(skip)]
    boots: VecDeque<u64>,
    #[serde(skip)]
    started_ms: Option<u64>,
}

/// One screening, as the record keeps it (no engagement: only what happened).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screening {
    /// The seat.
    pub seat: String,
    /// The story.
    pub story: Option<String>,
    /// When it started, ms since the epoch (as the operator first saw it play).
    pub started_ms: u64,
    /// When it stopped.
    pub stopped_ms: u64,
    /// Beats played.
    pub beats: u64,
    /// `ended` (the story's end), `reset` (the operator reset it), `lost` (the seat went
    /// silent while playing).
    pub outcome: &'static str,
}

/// A command the operator sent, and who acknowledged it how soon.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// Its `seq`.
    pub seq: u64,
    /// The seat it went to (`None`: every seat).
    pub seat: Option<String>,
    /// What it asked, as the protocol writes it (`reset`).
    pub command: String,
    /// When it was sent, ms since the epoch.
    pub sent_ms: u64,
    /// Each seat that answered, whether it did it, and how long the answer took, ms.
    pub acks: Vec<(String, bool, u64)>,
}

/// Commands remembered with their acks.
const SENT: usize = 16;

/// The room.
#[derive(Debug, Default)]
pub struct Room {
    /// The last commands sent, with who acknowledged them.
    pub sent: VecDeque<Sent>,
    /// The seats by name.
    pub seats: BTreeMap<String, SeatView>,
    /// Every screening that stopped, in order.
    pub record: Vec<Screening>,
    /// Acks, for whoever waits on one: (seat, ack).
    pub acks: VecDeque<(String, Ack)>,
    /// Messages refused so far (bad codes, replays, malformed).
    pub refused: u64,
}

impl Room {
    /// Takes one event of the operator's link at `now_ms`; returns the lines to log (and the
    /// screenings that stopped are in [`Room::record`]).
    pub fn take(&mut self, event: &Event, now_ms: u64) -> Vec<String> {
        match event {
            Event::Connected => vec!["connected to the broker".into()],
            Event::Disconnected(why) => vec![format!("broker lost: {why}")],
            Event::Refused(why) => {
                self.refused += 1;
                vec![format!("refused: {why}")]
            }
            Event::Message { message, kept } => self.message(message, *kept, now_ms),
        }
    }

    /// Notes a command sent at `now_ms`, for its acks.
    pub fn sent(&mut self, seq: u64, seat: Option<&str>, command: &str, now_ms: u64) {
        self.sent.push_back(Sent {
            seq,
            seat: seat.map(str::to_owned),
            command: command.to_owned(),
            sent_ms: now_ms,
            acks: Vec::new(),
        });
        if self.sent.len() > SENT {
            self.sent.pop_front();
        }
    }

    fn seat(&mut self, name: &str) -> &mut SeatView {
        self.seats
            .entry(name.to_owned())
            .or_insert_with(|| SeatView {
                name: name.to_owned(),
                status: None,
                last_heard_ms: 0,
                alarms: Vec::new(),
                sparkline: VecDeque::new(),
                screenings: 0,
                boot: 0,
                boots: VecDeque::new(),
                started_ms: None,
            })
    }

    fn message(&mut self, m: &Message, kept: bool, now_ms: u64) -> Vec<String> {
        let Sender::Seat(name) = &m.from else {
            return Vec::new();
        };
        let name = name.to_string();
        let mut lines = Vec::new();
        match (&m.topic, &m.body) {
            (Topic::Status(_), Body::Status(st)) => {
                let seat = self.seat(&name);
                let before = seat.status.as_ref().map(|s| s.state);
                if !kept {
                    seat.last_heard_ms = now_ms;
                    // Two runs alternating under one name: two headsets share it.
                    if m.boot != seat.boot {
                        seat.boots.push_back(m.boot);
                        if seat.boots.len() > 4 {
                            seat.boots.pop_front();
                        }
                    }
                } else if seat.last_heard_ms == 0 {
                    seat.last_heard_ms = m.sent_ms.min(now_ms);
                }
                seat.boot = m.boot;
                if let Some(e) = &st.engagement {
                    seat.sparkline.push_back(e.arousal_z);
                    if seat.sparkline.len() > SPARKLINE {
                        seat.sparkline.pop_front();
                    }
                }
                seat.status = Some(st.clone());
                let stopped = screening_change(seat, before, st, now_ms);
                if before != Some(st.state) {
                    lines.push(format!(
                        "{name}: {} → {}{}",
                        before.map_or("(new)".to_owned(), |s| format!("{s:?}").to_lowercase()),
                        format!("{:?}", st.state).to_lowercase(),
                        st.story
                            .as_ref()
                            .map_or(String::new(), |s| format!(" ({s})"))
                    ));
                }
                if let Some(s) = stopped {
                    lines.push(format!(
                        "{name}: screening {} after {} beats",
                        s.outcome, s.beats
                    ));
                    self.record.push(s);
                }
            }
            (Topic::Ack(_), Body::Ack(ack)) => {
                if !ack.ok {
                    lines.push(format!(
                        "{name}: refused command {}: {}",
                        ack.seq,
                        ack.error.as_deref().unwrap_or("no reason given")
                    ));
                }
                if let Some(s) = self.sent.iter_mut().find(|s| s.seq == ack.seq) {
                    s.acks
                        .push((name.clone(), ack.ok, now_ms.saturating_sub(s.sent_ms)));
                }
                self.acks.push_back((name, ack.clone()));
                if self.acks.len() > 256 {
                    self.acks.pop_front();
                }
            }
            _ => {}
        }
        self.alarms(now_ms);
        lines
    }

    /// Brings every seat's alarms up to `now_ms` (a seat goes silent with no event at all):
    /// call it every second or so. Returns lines for the screenings lost to silence.
    pub fn alarms(&mut self, now_ms: u64) -> Vec<String> {
        let mut lines = Vec::new();
        for seat in self.seats.values_mut() {
            let mut alarms = Vec::new();
            let offline = seat
                .status
                .as_ref()
                .is_some_and(|s| s.state == SeatState::Offline);
            if offline || now_ms.saturating_sub(seat.last_heard_ms) > SILENT_MS {
                alarms.push(Alarm::Silent {
                    since_ms: seat.last_heard_ms,
                });
                if let Some(started) = seat.started_ms.take() {
                    let st = seat.status.as_ref();
                    let s = Screening {
                        seat: seat.name.clone(),
                        story: st.and_then(|s| s.story.clone()),
                        started_ms: started,
                        stopped_ms: seat.last_heard_ms,
                        beats: st.map_or(0, |s| s.beat),
                        outcome: "lost",
                    };
                    seat.screenings += 1;
                    lines.push(format!(
                        "{}: screening lost (the seat went silent)",
                        seat.name
                    ));
                    self.record.push(s);
                }
            }
            if let Some(st) = &seat.status {
                if st.strap == StrapState::NoContact {
                    alarms.push(Alarm::NoContact);
                }
                if st.frame.missed > 0 && !offline {
                    alarms.push(Alarm::MissedFrames {
                        missed: st.frame.missed,
                    });
                }
                if let Some(e) = &st.last_error {
                    alarms.push(Alarm::Error { error: e.clone() });
                }
            }
            let b = &seat.boots;
            if b.len() >= 4 && b[0] == b[2] && b[1] == b[3] && b[0] != b[1] {
                alarms.push(Alarm::TwoSeatsOneName);
            }
            seat.alarms = alarms;
        }
        lines
    }
}

/// A screening starts when a seat plays and stops when it ends, is reset (back to waiting) or
/// goes offline while playing.
fn screening_change(
    seat: &mut SeatView,
    before: Option<SeatState>,
    st: &SeatStatus,
    now_ms: u64,
) -> Option<Screening> {
    use SeatState::*;
    match st.state {
        Playing | Paused | Consent => {
            seat.started_ms.get_or_insert(now_ms);
            None
        }
        Ended | Waiting | Offline => {
            let started = seat.started_ms.take()?;
            let outcome = match (st.state, before) {
                (Ended, _) => "ended",
                (Offline, _) => "lost",
                _ => "reset",
            };
            seat.screenings += 1;
            Some(Screening {
                seat: seat.name.clone(),
                story: st.story.clone(),
                started_ms: started,
                stopped_ms: now_ms,
                beats: st.beat,
                outcome,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_festival::{FrameTiming, SeatName};

    fn status(state: SeatState, beat: u64) -> SeatStatus {
        SeatStatus {
            state,
            story: Some("lighthouse.ink".into()),
            beat,
            knot: "k".into(),
            strap: StrapState::None,
            engagement: None,
            film: None,
            frame: FrameTiming {
                p50_ms: 1.0,
                p99_ms: 2.0,
                missed: 0,
            },
            last_error: None,
        }
    }

    fn said(room: &mut Room, seat: &str, boot: u64, st: SeatStatus, now: u64) -> Vec<String> {
        let name = SeatName::new(seat).unwrap();
        let m = Message {
            topic: Topic::Status(name.clone()),
            from: Sender::Seat(name),
            seq: now,
            boot,
            sent_ms: now,
            body: Body::Status(st),
        };
        room.take(
            &Event::Message {
                message: m,
                kept: false,
            },
            now,
        )
    }

    #[test]
    fn screenings_are_recorded_with_their_outcomes() {
        let mut r = Room::default();
        said(&mut r, "a", 1, status(SeatState::Waiting, 0), 1_000);
        said(&mut r, "a", 1, status(SeatState::Playing, 1), 2_000);
        let lines = said(&mut r, "a", 1, status(SeatState::Ended, 30), 3_000);
        assert!(
            lines.iter().any(|l| l.contains("ended after 30 beats")),
            "{lines:?}"
        );
        said(&mut r, "a", 1, status(SeatState::Playing, 2), 4_000);
        said(&mut r, "a", 1, status(SeatState::Waiting, 0), 5_000);
        said(&mut r, "a", 1, status(SeatState::Playing, 3), 6_000);
        // It stops reporting: silent, and the screening is lost.
        assert!(r.alarms(7_000).is_empty());
        let lost = r.alarms(6_000 + SILENT_MS + 1);
        assert_eq!(lost.len(), 1, "{lost:?}");
        let outcomes: Vec<_> = r.record.iter().map(|s| s.outcome).collect();
        assert_eq!(outcomes, ["ended", "reset", "lost"]);
        assert_eq!(r.seats["a"].screenings, 3);
        assert!(matches!(r.seats["a"].alarms[0], Alarm::Silent { .. }));
        // It comes back: the alarm goes.
        said(&mut r, "a", 2, status(SeatState::Waiting, 0), 20_000);
        assert!(r.seats["a"].alarms.is_empty());
    }

    #[test]
    fn alarms_for_contact_frames_errors_and_a_shared_name() {
        let mut r = Room::default();
        let mut st = status(SeatState::Playing, 1);
        st.strap = StrapState::NoContact;
        st.frame.missed = 3;
        st.last_error = Some("no story `x.ink` on this seat".into());
        said(&mut r, "b", 1, st, 1_000);
        let a = &r.seats["b"].alarms;
        assert!(a.contains(&Alarm::NoContact) && a.contains(&Alarm::MissedFrames { missed: 3 }));
        assert!(a.iter().any(|a| matches!(a, Alarm::Error { .. })));
        for (i, boot) in [7, 8, 7, 8].into_iter().enumerate() {
            said(
                &mut r,
                "c",
                boot,
                status(SeatState::Waiting, 0),
                2_000 + i as u64,
            );
        }
        assert!(r.seats["c"].alarms.contains(&Alarm::TwoSeatsOneName));
    }

    #[test]
    fn a_command_s_acks_are_counted_with_their_delay() {
        let mut r = Room::default();
        r.sent(4, None, "reset", 1_000);
        let name = SeatName::new("a").unwrap();
        let m = Message {
            topic: Topic::Ack(name.clone()),
            from: Sender::Seat(name),
            seq: 9,
            boot: 1,
            sent_ms: 1_030,
            body: Body::Ack(Ack {
                seq: 4,
                ok: true,
                error: None,
            }),
        };
        r.take(
            &Event::Message {
                message: m,
                kept: false,
            },
            1_042,
        );
        assert_eq!(r.sent[0].acks, [("a".to_owned(), true, 42)]);
    }
}
