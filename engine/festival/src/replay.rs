//! A signed message sent again is still signed: the receiver also refuses what it has seen.
//! Each sender numbers its messages (`seq`) within a run (`boot`, random at its start) and
//! stamps them with its clock (`sent_ms`). [`Replay`] refuses a message outside the clock
//! window, one whose number it has passed in that run, and one from a run the sender has left.

use std::collections::{HashMap, VecDeque};

use crate::Message;

/// Earlier runs remembered per sender.
const RETIRED: usize = 16;

#[derive(Debug)]
struct Seen {
    boot: u64,
    seq: u64,
    retired: VecDeque<u64>,
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
            self.seen.insert(
                from,
                Seen {
                    boot: m.boot,
                    seq: m.seq,
                    retired: VecDeque::new(),
                },
            );
            return Ok(());
        };
        if m.boot == s.boot {
            if m.seq <= s.seq {
                return Err(format!(
                    "topic `{topic}`: message {} from `{from}` again (it has sent {}); refused as a replay",
                    m.seq, s.seq
                ));
            }
            s.seq = m.seq;
            return Ok(());
        }
        if s.retired.contains(&m.boot) {
            return Err(format!(
                "topic `{topic}`: from a run of `{from}` that has ended; refused as a replay"
            ));
        }
        // The sender restarted: a new run, counting from its start.
        if s.retired.len() == RETIRED {
            s.retired.pop_front();
        }
        s.retired.push_back(s.boot);
        s.boot = m.boot;
        s.seq = m.seq;
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
        assert!(r.check(&m(1, 0, now), now).is_err(), "an older one");
        // The sender restarts: its new run counts from 0; the old run is over.
        r.check(&m(2, 0, now), now).unwrap();
        let old = r.check(&m(1, 5, now), now).unwrap_err();
        assert!(old.contains("ended"), "{old}");
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
}
