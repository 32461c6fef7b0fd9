//! A signed message sent again is still signed: the receiver also refuses what it has seen.
//! Each sender numbers its messages (`seq`) within a run (`boot`, random at its start) and
//! stamps them with its clock (`sent_ms`). [`Replay`] refuses a message outside the clock
//! window, one whose number it has already taken in that run (or that lags the newest by more
//! than [`WINDOW`]), and one from a run the sender has left.
//!
//! A broker keeps order per topic, not across topics (rumqttd routes each subscription's topics
//! on their own; measured: a seat's status overtook its ack on the way to the operator), so a
//! number below the newest is taken once if it is within the window, as IPsec's anti-replay
//! window does (RFC 4303 §3.4.3).

use std::collections::{HashMap, VecDeque};

use crate::Message;

/// Earlier runs remembered per sender.
const RETIRED: usize = 16;

/// How far behind the newest message from a sender another may arrive and still be taken.
pub const WINDOW: u64 = 64;

/// The `seq` of a seat's last will: signed when the seat connects, published by the broker
/// when it vanishes (see [`Replay::check_kept`]).
pub const WILL_SEQ: u64 = u64::MAX;

#[derive(Debug)]
struct Seen {
    boot: u64,
    /// The newest `seq` taken in this run.
    seq: u64,
    /// Which of the [`WINDOW`] numbers up to `seq` were taken: bit `i` is `seq - i`.
    taken: u64,
    retired: VecDeque<u64>,
    /// The run's last will was taken (and the sender has not spoken since).
    will: bool,
}

impl Seen {
    /// A run's first message taken: `seq` (none yet for a will, which is taken late).
    fn new(boot: u64, seq: u64, will: bool) -> Self {
        Self {
            boot,
            seq: if will { 0 } else { seq },
            taken: u64::from(!will),
            retired: VecDeque::new(),
            will,
        }
    }

    /// The sender restarted: the run it left is remembered as ended, and the new one begins.
    fn begin_run(&mut self, boot: u64, seq: u64, will: bool) {
        if self.retired.len() == RETIRED {
            self.retired.pop_front();
        }
        self.retired.push_back(self.boot);
        let retired = std::mem::take(&mut self.retired);
        *self = Self {
            retired,
            ..Self::new(boot, seq, will)
        };
    }

    /// Takes `seq`, newer than the newest: the window moves up to it.
    fn advance(&mut self, seq: u64) {
        let ahead = seq - self.seq;
        self.taken = if ahead >= WINDOW {
            0
        } else {
            self.taken << ahead
        } | 1;
        self.seq = seq;
    }
}

/// What a receiver has seen of each sender.
#[derive(Debug)]
pub struct Replay {
    window_ms: u64,
    seen: HashMap<String, Seen>,
}

impl Replay {
    /// Refuses messages stamped more than `window_ms` from the receiver's clock (the venue's
    /// machines keep time by NTP; 30 s is generous).
    pub fn new(window_ms: u64) -> Self {
        Self {
            window_ms,
            seen: HashMap::new(),
        }
    }

    /// Accepts `m` (received at `now_ms`) once: `Err` says why it was refused. Call it only
    /// for messages whose authentication code was checked, so a forger cannot move a sender's
    /// count on.
    pub fn check(&mut self, m: &Message, now_ms: u64) -> Result<(), String> {
        let topic = m.topic.path();
        if m.sent_ms.abs_diff(now_ms) > self.window_ms {
            return Err(format!(
                "topic `{topic}`: sent {} s from this machine's clock, more than the {} s allowed; refused (a replay, or a clock to set right: check NTP on both)",
                m.sent_ms.abs_diff(now_ms) / 1000,
                self.window_ms / 1000
            ));
        }
        let from = m.from.to_string();
        let Some(s) = self.seen.get_mut(&from) else {
            self.seen.insert(from, Seen::new(m.boot, m.seq, false));
            return Ok(());
        };
        if m.boot == s.boot {
            if m.seq > s.seq {
                s.advance(m.seq);
                s.will = false;
                return Ok(());
            }
            let behind = s.seq - m.seq;
            if behind >= WINDOW {
                return Err(format!(
                    "topic `{topic}`: message {} from `{from}` is more than {WINDOW} behind its newest ({}); refused as a replay",
                    m.seq, s.seq
                ));
            }
            if s.taken & (1 << behind) != 0 {
                return Err(format!(
                    "topic `{topic}`: message {} from `{from}` again; refused as a replay",
                    m.seq
                ));
            }
            s.taken |= 1 << behind;
            return Ok(());
        }
        if s.retired.contains(&m.boot) {
            return Err(format!(
                "topic `{topic}`: from a run of `{from}` that has ended; refused as a replay"
            ));
        }
        // The sender restarted: a new run, counting from its start.
        s.begin_run(m.boot, m.seq, false);
        Ok(())
    }
}

impl Replay {
    /// Whether `m` comes from a run its sender has left (what [`Replay::check`] refuses as
    /// "a run that has ended").
    pub fn ended_run(&self, m: &Message) -> bool {
        self.seen
            .get(&m.from.to_string())
            .is_some_and(|s| s.boot != m.boot && s.retired.contains(&m.boot))
    }

    /// Accepts a message the broker kept rather than one sent now: a seat's last will (which the
    /// broker publishes when the seat vanishes, long after the seat signed it) or a retained
    /// status read by a receiver that just subscribed. Neither can be fresh, so the clock window
    /// does not apply; a run the sender has left is still refused, and so is a kept message older
    /// than what was already taken from its run. A will ([`WILL_SEQ`]) is taken once until the
    /// sender speaks again (it may come back in the same run after a network cut).
    pub fn check_kept(&mut self, m: &Message) -> Result<(), String> {
        let topic = m.topic.path();
        let from = m.from.to_string();
        let will = m.seq == WILL_SEQ;
        let Some(s) = self.seen.get_mut(&from) else {
            self.seen.insert(from, Seen::new(m.boot, m.seq, will));
            return Ok(());
        };
        if s.boot != m.boot {
            if s.retired.contains(&m.boot) {
                return Err(format!(
                    "topic `{topic}`: a kept message from a run of `{from}` that has ended; ignored"
                ));
            }
            s.begin_run(m.boot, m.seq, will);
            return Ok(());
        }
        if will {
            if s.will {
                return Err(format!(
                    "topic `{topic}`: the last will of `{from}` again; ignored"
                ));
            }
            s.will = true;
            return Ok(());
        }
        if m.seq <= s.seq {
            return Err(format!(
                "topic `{topic}`: a kept message {} from `{from}`, older than what it has sent since; ignored",
                m.seq
            ));
        }
        s.advance(m.seq);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Body, Command, Sender, Topic};

    fn m(boot: u64, seq: u64, sent_ms: u64) -> Message {
        Message {
            topic: Topic::AllCommand,
            from: Sender::Operator,
            seq,
            boot,
            sent_ms,
            body: Body::Command(Command::Reset),
        }
    }

    #[test]
    fn each_message_is_taken_once_and_old_runs_are_refused() {
        let now = 1_796_000_000_000;
        let mut r = Replay::new(30_000);
        r.check(&m(1, 0, now), now).unwrap();
        r.check(&m(1, 1, now), now).unwrap();
        let again = r.check(&m(1, 1, now), now).unwrap_err();
        assert!(again.contains("replay"), "{again}");
        assert!(r.check(&m(1, 0, now), now).is_err(), "an older one, taken");
        // The sender restarts: its new run counts from 0; the old run is over.
        r.check(&m(2, 0, now), now).unwrap();
        let old = r.check(&m(1, 5, now), now).unwrap_err();
        assert!(old.contains("ended"), "{old}");
        assert!(r.ended_run(&m(1, 5, now)) && !r.ended_run(&m(2, 5, now)));
        // Outside the window either way: stale, or a clock to set right.
        let stale = r.check(&m(2, 9, now - 60_000), now).unwrap_err();
        assert!(stale.contains("NTP"), "{stale}");
        assert!(r.check(&m(2, 9, now + 60_000), now).is_err());
        r.check(&m(2, 9, now + 1_000), now).unwrap();
        // Another sender has a count of its own.
        let mut seat = m(7, 0, now);
        seat.from = Sender::Seat(crate::SeatName::new("seat-1").unwrap());
        seat.topic = Topic::Status(crate::SeatName::new("seat-1").unwrap());
        r.check(&seat, now).unwrap();
    }

    #[test]
    fn a_message_overtaken_on_another_topic_is_taken_once_within_the_window() {
        let now = 1_796_000_000_000;
        let mut r = Replay::new(30_000);
        r.check(&m(1, 10, now), now).unwrap();
        // 11 (an ack) is overtaken by 12 and 13 (statuses): it is still taken, once.
        r.check(&m(1, 12, now), now).unwrap();
        r.check(&m(1, 13, now), now).unwrap();
        r.check(&m(1, 11, now), now).unwrap();
        assert!(r.check(&m(1, 11, now), now).is_err());
        assert!(r.check(&m(1, 12, now), now).is_err());
        // WINDOW or more behind the newest: refused, whether seen or not; just inside, taken.
        r.check(&m(1, 13 + WINDOW, now), now).unwrap();
        let old = r.check(&m(1, 9, now), now).unwrap_err();
        assert!(old.contains("behind"), "{old}");
        r.check(&m(1, 14, now), now).unwrap();
        // A jump past the whole window forgets what it held, and the edge still counts.
        r.check(&m(1, 1_000, now), now).unwrap();
        r.check(&m(1, 1_000 - WINDOW + 1, now), now).unwrap();
        assert!(r.check(&m(1, 1_000 - WINDOW, now), now).is_err());
    }

    #[test]
    fn a_will_is_taken_late_once_and_an_old_run_s_is_not() {
        let now = 1_796_000_000_000;
        let mut r = Replay::new(30_000);
        r.check(&m(3, 0, now), now).unwrap();
        r.check(&m(3, 40, now), now).unwrap();
        // The will was signed at connection, an hour before the broker published it.
        let will = m(3, WILL_SEQ, now - 3_600_000);
        assert!(r.check(&will, now).is_err(), "too old for a live message");
        r.check_kept(&will).unwrap();
        assert!(r.check_kept(&will).is_err(), "once");
        // The seat comes back in the same run after a network cut and goes on counting.
        r.check(&m(3, 41, now), now).unwrap();
        r.check_kept(&will).unwrap();
        // A retained status read at subscription: older than the clock window, still shown.
        let mut fresh = Replay::new(30_000);
        fresh.check_kept(&m(3, 40, now - 600_000)).unwrap();
        assert!(
            fresh.check_kept(&m(3, 39, now)).is_err(),
            "older than what was taken"
        );
        // The sender restarted (run 4); the old run's will is refused.
        r.check(&m(4, 0, now), now).unwrap();
        assert!(r.check_kept(&will).unwrap_err().contains("ended"));
    }
}
