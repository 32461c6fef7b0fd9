//! What the operator knows of the room: each seat's last status, its alarms, a sparkline of its
//! engagement, and the record of every screening with its outcome. Plain state driven by the
//! link's events and the clock, so it is tested without a broker.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use showrunner_festival::link::Event;
use showrunner_festival::{
    Body, Message, Outcome, SeatState, SeatStatus, Sender, StrapState, Topic,
};

/// A seat that has not spoken for this long is alarmed as silent (it reports every second).
pub const SILENT_MS: u64 = 3_000;
/// A screening whose seat has been silent this long is recorded as lost. A seat that comes
/// back sooner (a network cut: it played on) says how its screening went, and that is what
/// the record keeps.
pub const LOST_MS: u64 = 30_000;
/// How long a seat stays alarmed for two headsets under its name after the last sign of it.
pub const TWO_RUNS_MS: u64 = 10_000;
/// Screenings remembered per seat as recorded, so none is recorded twice (a retained status
/// read again after a restart of the operator, a seat back after a cut).
const REMEMBERED: usize = 32;
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
    /// When a run it had left last spoke again (two headsets under its name).
    #[serde(skip)]
    two_runs_ms: Option<u64>,
    /// The screening in progress.
    #[serde(skip)]
    current: Option<Which>,
    /// Screenings recorded lately: (run, number).
    #[serde(skip)]
    recorded: VecDeque<(u64, u64)>,
}

/// Which screening: the seat's run, its number there, and when the operator saw it start.
#[derive(Debug, Clone, Copy)]
struct Which {
    boot: u64,
    number: u64,
    started_ms: Option<u64>,
}

/// One screening, as the record keeps it (no engagement: only what happened).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screening {
    /// The seat.
    pub seat: String,
    /// The seat's run (`boot`) and the screening's number in it: together, which screening.
    pub boot: u64,
    /// See `boot`.
    pub number: u64,
    /// The story.
    pub story: Option<String>,
    /// When it started, ms since the epoch, as the operator first saw it play (`None`: the
    /// operator was not running then).
    pub started_ms: Option<u64>,
    /// When the operator learnt that it stopped.
    pub stopped_ms: u64,
    /// Beats played.
    pub beats: u64,
    /// Film time played, seconds on the seat's clock (for a lost one, as last heard).
    pub played_s: f64,
    /// `ended` (the story's end), `reset` (the operator reset it), `stopped` (the seat was
    /// shut down mid-film), `lost` (the seat went silent for good, or came back in a new run,
    /// before saying how it went).
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
    /// Messages refused so far (bad codes, replays, malformed).
    pub refused: u64,
    /// The operator's own link to the broker: `None` while connected (or before the first
    /// try), else why it was lost and since when (ms since the epoch). Seats play on meanwhile;
    /// a command sent meanwhile is dropped (and logged so).
    pub broker_lost: Option<(String, u64)>,
    /// Screenings in the record read back at start, by seat, until the seat is heard from.
    earlier: BTreeMap<String, VecDeque<(u64, u64)>>,
}

impl Room {
    /// Takes one event of the operator's link at `now_ms`; returns the lines to log (and the
    /// screenings that stopped are in [`Room::record`]).
    pub fn take(&mut self, event: &Event, now_ms: u64) -> Vec<String> {
        match event {
            Event::Connected => {
                self.broker_lost = None;
                vec!["connected to the broker".into()]
            }
            Event::Disconnected(why) => {
                self.broker_lost = Some((why.clone(), now_ms));
                vec![format!("broker lost: {why}")]
            }
            Event::Refused(why) => {
                self.refused += 1;
                vec![format!("refused: {why}")]
            }
            Event::Message { message, kept } => self.message(message, *kept, now_ms),
            Event::TwoRuns(Sender::Seat(name)) => {
                let name = name.to_string();
                let seat = self.seat(&name);
                let first = seat.two_runs_ms.is_none();
                seat.two_runs_ms = Some(now_ms);
                self.alarms(now_ms);
                if first {
                    vec![format!("{name}: two headsets speak under this name; give each its own pairing (festival pair --seat NAME)")]
                } else {
                    Vec::new()
                }
            }
            Event::TwoRuns(Sender::Operator) => {
                vec!["a second operator speaks with this operator's secrets".into()]
            }
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
        let earlier = &mut self.earlier;
        self.seats
            .entry(name.to_owned())
            .or_insert_with(|| SeatView {
                name: name.to_owned(),
                status: None,
                last_heard_ms: 0,
                alarms: Vec::new(),
                sparkline: VecDeque::new(),
                screenings: 0,
                two_runs_ms: None,
                current: None,
                recorded: earlier.remove(name).unwrap_or_default(),
            })
    }

    /// Notes a screening already in the record (read back at start), so it is not recorded
    /// again when its seat's retained status says how it went.
    pub fn remember(&mut self, seat: &str, boot: u64, number: u64) {
        let recorded = match self.seats.get_mut(seat) {
            Some(view) => &mut view.recorded,
            None => self.earlier.entry(seat.to_owned()).or_default(),
        };
        recorded.push_back((boot, number));
        if recorded.len() > REMEMBERED {
            recorded.pop_front();
        }
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
                } else if seat.last_heard_ms == 0 {
                    seat.last_heard_ms = m.sent_ms.min(now_ms);
                }
                if let Some(e) = &st.engagement {
                    seat.sparkline.push_back(e.arousal_z);
                    if seat.sparkline.len() > SPARKLINE {
                        seat.sparkline.pop_front();
                    }
                }
                // Before the status is taken: a screening left behind is told by the last one.
                let stopped = screening_change(seat, m.boot, st, kept, now_ms);
                seat.status = Some(st.clone());
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
                for s in stopped {
                    lines.push(format!(
                        "{name}: screening {} {} after {} beats",
                        s.number, s.outcome, s.beats
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
                        .push((name, ack.ok, now_ms.saturating_sub(s.sent_ms)));
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
                if now_ms.saturating_sub(seat.last_heard_ms) > LOST_MS {
                    if let Some(s) = lost(seat, now_ms) {
                        lines.push(format!(
                            "{}: screening {} lost (the seat has been silent for {} s)",
                            seat.name,
                            s.number,
                            LOST_MS / 1000
                        ));
                        self.record.push(s);
                    }
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
            if seat
                .two_runs_ms
                .is_some_and(|t| now_ms.saturating_sub(t) < TWO_RUNS_MS)
            {
                alarms.push(Alarm::TwoSeatsOneName);
            }
            seat.alarms = alarms;
        }
        lines
    }
}

/// The screening in progress, recorded as lost.
fn lost(seat: &mut SeatView, now_ms: u64) -> Option<Screening> {
    let which = seat.current.take()?;
    let st = seat.status.clone();
    Some(record(seat, which, st.as_ref(), "lost", now_ms))
}

fn record(
    seat: &mut SeatView,
    which: Which,
    st: Option<&SeatStatus>,
    outcome: &'static str,
    now_ms: u64,
) -> Screening {
    let Which {
        boot,
        number,
        started_ms,
    } = which;
    seat.screenings += 1;
    seat.recorded.push_back((boot, number));
    if seat.recorded.len() > REMEMBERED {
        seat.recorded.pop_front();
    }
    // What the status says of this screening, when it is about this one (for a lost one, the
    // last word heard).
    let this = st.filter(|s| s.screening == number);
    Screening {
        seat: seat.name.clone(),
        boot,
        number,
        story: st.and_then(|s| s.story.clone()),
        started_ms,
        stopped_ms: now_ms,
        beats: this.map_or(0, |s| s.beat),
        played_s: this.map_or(0.0, |s| s.played_s),
        outcome,
    }
}

/// A screening is named by the seat's run and its number there. It starts when a status about
/// it plays, and is recorded once: with the outcome the seat gives (ended, reset, stopped), or
/// as lost when the seat moves on (a new run after a crash, a later screening) without saying,
/// or stays silent (see [`LOST_MS`]). A last will says nothing of the screening (the seat may
/// be playing on behind a network cut).
fn screening_change(
    seat: &mut SeatView,
    boot: u64,
    st: &SeatStatus,
    kept: bool,
    now_ms: u64,
) -> Vec<Screening> {
    use SeatState::*;
    let mut out = Vec::new();
    let will = st.state == Offline && st.screening == 0;
    if will {
        return out;
    }
    let key = (boot, st.screening);
    if seat.current.is_some_and(|c| (c.boot, c.number) != key) {
        out.extend(lost(seat, now_ms));
    }
    if st.screening == 0 || seat.recorded.contains(&key) {
        return out;
    }
    let which = Which {
        boot,
        number: st.screening,
        started_ms: match seat.current {
            Some(c) => c.started_ms,
            None => (!kept).then_some(now_ms),
        },
    };
    match st.outcome {
        Some(o) => {
            seat.current = None;
            let outcome = match o {
                Outcome::Ended => "ended",
                Outcome::Reset => "reset",
                Outcome::Stopped => "stopped",
            };
            out.push(record(seat, which, Some(st), outcome, now_ms));
        }
        None if matches!(st.state, Playing | Paused | Consent | Ended) => {
            seat.current = Some(which);
        }
        // Waiting with no outcome: a screening that never began (not sent by a seat).
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_festival::{Ack, FrameTiming, SeatName};

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
            screening: 0,
            played_s: 0.0,
            outcome: None,
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

    /// A status about screening `n` of the run.
    fn film(state: SeatState, beat: u64, n: u64, outcome: Option<Outcome>) -> SeatStatus {
        SeatStatus {
            screening: n,
            played_s: beat as f64 * 4.0,
            outcome,
            ..status(state, beat)
        }
    }

    fn outcomes(r: &Room) -> Vec<(u64, u64, &'static str)> {
        r.record
            .iter()
            .map(|s| (s.boot, s.number, s.outcome))
            .collect()
    }

    #[test]
    fn screenings_are_recorded_once_with_their_outcomes() {
        use SeatState::*;
        let mut r = Room::default();
        said(&mut r, "a", 1, film(Waiting, 0, 0, None), 1_000);
        said(&mut r, "a", 1, film(Playing, 1, 1, None), 2_000);
        let lines = said(
            &mut r,
            "a",
            1,
            film(Ended, 30, 1, Some(Outcome::Ended)),
            3_000,
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("screening 1 ended after 30 beats")),
            "{lines:?}"
        );
        // The next status says the same of screening 1: not recorded again.
        said(
            &mut r,
            "a",
            1,
            film(Waiting, 0, 1, Some(Outcome::Ended)),
            3_500,
        );
        said(&mut r, "a", 1, film(Playing, 2, 2, None), 4_000);
        said(
            &mut r,
            "a",
            1,
            film(Waiting, 0, 2, Some(Outcome::Reset)),
            5_000,
        );
        assert_eq!(outcomes(&r), [(1, 1, "ended"), (1, 2, "reset")]);
        assert_eq!(r.record[0].started_ms, Some(2_000));
        assert_eq!(r.record[0].played_s, 120.0);
        said(&mut r, "a", 1, film(Playing, 3, 3, None), 6_000);
        // It stops reporting: silent at once, but the screening is not given up yet.
        assert!(r.alarms(7_000).is_empty());
        assert!(r.alarms(6_000 + SILENT_MS + 1).is_empty());
        assert!(matches!(r.seats["a"].alarms[0], Alarm::Silent { .. }));
        // Back within LOST_MS (a network cut; it played on): the screening goes on.
        said(
            &mut r,
            "a",
            1,
            film(Playing, 9, 3, None),
            6_000 + LOST_MS - 1,
        );
        assert!(r.seats["a"].alarms.is_empty());
        let end = 6_000 + LOST_MS;
        said(
            &mut r,
            "a",
            1,
            film(Waiting, 0, 3, Some(Outcome::Ended)),
            end,
        );
        assert_eq!(outcomes(&r)[2], (1, 3, "ended"));
        // Screening 4 starts, and the seat goes silent for good: lost, once.
        said(&mut r, "a", 1, film(Playing, 1, 4, None), end + 1_000);
        let lost = r.alarms(end + 1_000 + LOST_MS + 1);
        assert_eq!(lost.len(), 1, "{lost:?}");
        assert!(r.alarms(end + 1_000 + 2 * LOST_MS).is_empty());
        assert_eq!(outcomes(&r)[3], (1, 4, "lost"));
        assert_eq!(r.seats["a"].screenings, 4);
    }

    #[test]
    fn a_seat_that_restarts_mid_film_loses_that_screening_and_a_will_loses_nothing() {
        use SeatState::*;
        let mut r = Room::default();
        said(&mut r, "a", 1, film(Playing, 5, 2, None), 1_000);
        // Its last will (signed at connection: screening 0) says it vanished.
        let will = SeatStatus {
            state: Offline,
            ..status(Offline, 0)
        };
        said(&mut r, "a", 1, will, 2_000);
        assert!(r.record.is_empty());
        // It comes back in a new run: screening 2 of run 1 is lost; the new run waits.
        said(&mut r, "a", 7, film(Waiting, 0, 0, None), 3_000);
        assert_eq!(outcomes(&r), [(1, 2, "lost")]);
        // A seat shut down mid-film says so.
        said(&mut r, "a", 7, film(Playing, 1, 1, None), 4_000);
        said(
            &mut r,
            "a",
            7,
            film(Offline, 3, 1, Some(Outcome::Stopped)),
            5_000,
        );
        assert_eq!(outcomes(&r)[1], (7, 1, "stopped"));
    }

    #[test]
    fn an_operator_that_restarts_records_what_ended_meanwhile_and_nothing_twice() {
        use SeatState::*;
        let mut r = Room::default();
        // The record read back at start holds screening 1 of run 5.
        r.remember("a", 5, 1);
        let kept = |r: &mut Room, st: SeatStatus, now| {
            let name = SeatName::new("a").unwrap();
            r.take(
                &Event::Message {
                    message: Message {
                        topic: Topic::Status(name.clone()),
                        from: Sender::Seat(name),
                        seq: 3,
                        boot: 5,
                        sent_ms: 1,
                        body: Body::Status(st),
                    },
                    kept: true,
                },
                now,
            )
        };
        kept(&mut r, film(Waiting, 0, 1, Some(Outcome::Ended)), 1_000);
        assert!(r.record.is_empty());
        // Screening 2 ended while the operator was down: recorded, start unknown.
        let mut r2 = Room::default();
        r2.remember("a", 5, 1);
        kept(&mut r2, film(Waiting, 0, 2, Some(Outcome::Reset)), 1_000);
        assert_eq!(outcomes(&r2), [(5, 2, "reset")]);
        assert_eq!(r2.record[0].started_ms, None);
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
        // The link heard a run `c` had left speak again, freshly stamped.
        let c = Sender::Seat(SeatName::new("c").unwrap());
        let lines = r.take(&Event::TwoRuns(c), 2_000);
        assert!(lines[0].contains("give each its own pairing"), "{lines:?}");
        assert!(r.seats["c"].alarms.contains(&Alarm::TwoSeatsOneName));
        r.alarms(2_000 + TWO_RUNS_MS);
        assert!(!r.seats["c"].alarms.contains(&Alarm::TwoSeatsOneName));
    }

    #[test]
    fn the_operator_s_own_broker_link_is_kept_for_the_console() {
        let mut r = Room::default();
        r.take(&Event::Connected, 1_000);
        assert_eq!(r.broker_lost, None);
        r.take(&Event::Disconnected("connection refused".into()), 2_000);
        assert_eq!(r.broker_lost, Some(("connection refused".into(), 2_000)));
        r.take(&Event::Connected, 3_000);
        assert_eq!(r.broker_lost, None);
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
