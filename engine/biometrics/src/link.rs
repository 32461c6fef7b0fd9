//! One interface for every heart source: a background thread that produces
//! timestamped [`SensorEvent`]s into a bounded channel, and a [`SensorLink`]
//! the frame thread drains without ever blocking.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::event::{EventKind, SensorEvent};

/// Channel capacity: a minute of once-a-second readings plus headroom. A
/// frame thread that stalls longer loses the oldest-but-unsent events, which
/// are counted in [`SensorLink::dropped`].
pub const CHANNEL_CAPACITY: usize = 256;

/// How a file or simulated source is paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Each event is sent when its time comes (`speed` × real time).
    RealTime {
        /// 1.0 = real time, 2.0 = twice as fast.
        speed: f64,
    },
    /// As fast as the consumer takes them (the producer waits on a full channel;
    /// the consumer never waits).
    AsFastAsPossible,
}

/// The producer's half, handed to a source's thread.
#[derive(Clone)]
pub struct Producer {
    tx: SyncSender<SensorEvent>,
    stop: Arc<AtomicBool>,
    dropped: Arc<AtomicU64>,
    epoch: Instant,
}

impl Producer {
    /// Seconds since the link started: the timestamp of live events.
    pub fn now(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }

    /// Whether the consumer asked the source to stop (or went away).
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sends without waiting; a full channel drops the event and counts it.
    /// Returns false once the consumer is gone.
    pub fn send(&self, e: SensorEvent) -> bool {
        match self.tx.try_send(e) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => {
                self.stop.store(true, Ordering::Relaxed);
                false
            }
        }
    }

    /// Sends, waiting while the channel is full (for as-fast-as-possible
    /// replays; only the producer waits). Returns false once stopped.
    pub fn send_wait(&self, mut e: SensorEvent) -> bool {
        loop {
            if self.stopped() {
                return false;
            }
            match self.tx.try_send(e) {
                Ok(()) => return true,
                Err(TrySendError::Full(back)) => {
                    e = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.stop.store(true, Ordering::Relaxed);
                    return false;
                }
            }
        }
    }

    /// Sleeps up to `d`, waking early when stopped. Returns false if stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        while !self.stopped() {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(20)));
        }
        false
    }
}

/// The consumer's half: owned by the frame thread.
pub struct SensorLink {
    rx: Receiver<SensorEvent>,
    stop: Arc<AtomicBool>,
    dropped: Arc<AtomicU64>,
    epoch: Instant,
    thread: Option<JoinHandle<()>>,
    name: String,
}

impl SensorLink {
    /// Starts `run` on a background thread named `name`, with a producer
    /// whose clock starts now.
    pub fn spawn(name: &str, run: impl FnOnce(Producer) + Send + 'static) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(CHANNEL_CAPACITY);
        let stop = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicU64::new(0));
        let epoch = Instant::now();
        let p = Producer {
            tx,
            stop: stop.clone(),
            dropped: dropped.clone(),
            epoch,
        };
        let thread = std::thread::Builder::new()
            .name(format!("heart-{name}"))
            .spawn(move || run(p))?;
        Ok(Self {
            rx,
            stop,
            dropped,
            epoch,
            thread: Some(thread),
            name: name.to_owned(),
        })
    }

    /// Plays events from an iterator (a replay file or a simulation) with
    /// the given pacing; event times are on the source's own clock, played
    /// from the link's start.
    pub fn from_events<I>(name: &str, events: I, pacing: Pacing) -> std::io::Result<Self>
    where
        I: IntoIterator<Item = SensorEvent>,
        I::IntoIter: Send + 'static,
    {
        let iter = events.into_iter();
        Self::spawn(name, move |p| {
            let mut last_t = 0.0;
            for e in iter {
                if p.stopped() {
                    return;
                }
                last_t = e.t;
                let ok = match pacing {
                    Pacing::AsFastAsPossible => p.send_wait(e),
                    Pacing::RealTime { speed } => {
                        let due = e.t / speed.max(1e-6);
                        let wait = due - p.now();
                        if wait > 0.0 && !p.sleep(Duration::from_secs_f64(wait)) {
                            return;
                        }
                        p.send(e)
                    }
                };
                if !ok {
                    return;
                }
            }
            let end = SensorEvent {
                t: last_t,
                kind: EventKind::Ended {
                    reason: "the source has no more data".into(),
                },
            };
            match pacing {
                Pacing::AsFastAsPossible => p.send_wait(end),
                Pacing::RealTime { .. } => p.send(end),
            };
        })
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When the link started: live event times are seconds since this.
    pub fn epoch(&self) -> Instant {
        self.epoch
    }

    /// Seconds since the link started, on the events' clock.
    pub fn now(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }

    /// Hands every waiting event to `f`, without blocking. Returns how many.
    pub fn drain(&self, mut f: impl FnMut(SensorEvent)) -> usize {
        let mut n = 0;
        loop {
            match self.rx.try_recv() {
                Ok(e) => {
                    f(e);
                    n += 1;
                }
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => return n,
            }
        }
    }

    /// Waits up to `d` for the next event: for tools and background
    /// threads, never for the frame thread.
    pub fn recv_timeout(&self, d: Duration) -> Option<SensorEvent> {
        match self.rx.recv_timeout(d) {
            Ok(e) => Some(e),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Whether the source thread has finished.
    pub fn finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Events the source produced while the channel was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Asks the source to stop and waits for its thread (at shutdown, not
    /// on the frame thread's hot path).
    pub fn close(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SensorLink {
    fn drop(&mut self) {
        // Never join here: dropping must not block the frame thread. The
        // source sees the flag (or the closed channel) and ends by itself.
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SensorContact;

    #[test]
    fn fast_replay_delivers_everything_in_order() {
        let evs: Vec<_> = (0..1000)
            .map(|i| SensorEvent::reading(i as f64, Some(70), SensorContact::Detected, &[857.0]))
            .collect();
        let link = SensorLink::from_events("test", evs.clone(), Pacing::AsFastAsPossible).unwrap();
        let mut got = Vec::new();
        while let Some(e) = link.recv_timeout(Duration::from_secs(5)) {
            if matches!(e.kind, EventKind::Ended { .. }) {
                break;
            }
            got.push(e);
        }
        assert_eq!(got, evs);
        link.close();
    }

    #[test]
    fn drain_never_blocks_on_a_silent_source() {
        let link = SensorLink::spawn("silent", |p| {
            p.sleep(Duration::from_secs(30));
        })
        .unwrap();
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert_eq!(link.drain(|_| {}), 0);
        }
        assert!(t0.elapsed() < Duration::from_millis(500));
        link.close(); // the sleeping source wakes on stop
    }

    #[test]
    fn a_stalled_consumer_costs_events_not_time() {
        let link = SensorLink::spawn("flood", |p| {
            for i in 0..(CHANNEL_CAPACITY * 3) {
                p.send(SensorEvent::reading(
                    i as f64,
                    Some(70),
                    SensorContact::Detected,
                    &[],
                ));
            }
        })
        .unwrap();
        while !link.finished() {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(link.drain(|_| {}), CHANNEL_CAPACITY);
        assert_eq!(link.dropped(), (CHANNEL_CAPACITY * 2) as u64);
    }

    #[test]
    fn real_time_pacing_waits_for_the_event_time() {
        let evs = vec![
            SensorEvent::reading(0.0, Some(70), SensorContact::Detected, &[]),
            SensorEvent::reading(0.2, Some(70), SensorContact::Detected, &[]),
        ];
        let link = SensorLink::from_events("rt", evs, Pacing::RealTime { speed: 1.0 }).unwrap();
        let t0 = Instant::now();
        let _ = link.recv_timeout(Duration::from_secs(2)).unwrap();
        let _ = link.recv_timeout(Duration::from_secs(2)).unwrap();
        assert!(t0.elapsed() >= Duration::from_millis(150));
    }
}
