//! Per-frame timing telemetry: where the motion-to-photon budget goes.
//!
//! Every frame records the CPU time of its phases — `xrWaitFrame`, the scene
//! and director update, the pose sample (`xrLocateViews`), encoding,
//! submission through `xrEndFrame` — and the slack between the pose sample
//! and the predicted display time. The frame loop also opens a `tracing`
//! span per phase, so a subscriber (e.g. Tracy, or `SHOWRUNNER_TRACE=1`)
//! sees the same phases. Recording never allocates: samples go into a ring
//! allocated once.

use std::time::Duration;

/// One frame's phases, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameTimes {
    /// `xrWaitFrame` (blocking by design: it paces the loop).
    pub wait: f32,
    /// Scene, director and story update.
    pub update: f32,
    /// Locating the views for the predicted display time.
    pub pose: f32,
    /// Encoding both eyes (CPU side).
    pub encode: f32,
    /// Queue submission through `xrEndFrame`.
    pub submit: f32,
    /// Pose sample → `xrEndFrame` returned: the CPU part of motion-to-photon.
    pub pose_to_end: f32,
    /// Time spent waiting for the GPU inside that span, when the front end
    /// measures it apart (on lavapipe this is the driver rendering on the CPU).
    pub gpu: f32,
    /// `pose_to_end` minus `gpu`: the CPU cost of the frame alone.
    pub pose_to_end_cpu: f32,
    /// Predicted display time − pose sample time (how far ahead the pose was
    /// predicted); negative would mean the frame is already late.
    pub pose_to_display: f32,
}

impl FrameTimes {
    const NAMES: [&'static str; 9] = [
        "wait",
        "update",
        "pose",
        "encode",
        "submit",
        "gpu",
        "pose_to_end",
        "pose_to_end_cpu",
        "pose_to_display",
    ];

    fn get(&self, i: usize) -> f32 {
        [
            self.wait,
            self.update,
            self.pose,
            self.encode,
            self.submit,
            self.gpu,
            self.pose_to_end,
            self.pose_to_end_cpu,
            self.pose_to_display,
        ][i]
    }
}

/// Microseconds in a duration, as the telemetry stores them.
pub fn micros(d: Duration) -> f32 {
    d.as_secs_f32() * 1e6
}

/// The frames of a session.
#[derive(Debug, Clone)]
pub struct Telemetry {
    ring: Vec<FrameTimes>,
    next: usize,
    /// Frames recorded (including ones the ring has forgotten).
    pub frames: u64,
    /// Frames whose display time came more than 1.5 display periods after
    /// the previous one's (the runtime had to skip a refresh).
    pub missed: u64,
    /// Frames the runtime said not to render (`shouldRender` false).
    pub skipped: u64,
    last_display_ns: Option<i64>,
}

/// Median and 99th percentile of one phase, microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// Phase name.
    pub name: &'static str,
    /// Median.
    pub p50: f32,
    /// 99th percentile.
    pub p99: f32,
}

impl Telemetry {
    /// Keeps the last `capacity` frames (e.g. 1 << 16: 15 min at 72 Hz).
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: Vec::with_capacity(capacity.max(1)),
            next: 0,
            frames: 0,
            missed: 0,
            skipped: 0,
            last_display_ns: None,
        }
    }

    /// Records a rendered frame shown at `display_ns` with `period_ns` between refreshes.
    pub fn record(&mut self, t: FrameTimes, display_ns: i64, period_ns: i64) {
        if let Some(last) = self.last_display_ns {
            if period_ns > 0 && display_ns - last > period_ns * 3 / 2 {
                self.missed += 1;
            }
        }
        self.last_display_ns = Some(display_ns);
        self.frames += 1;
        if self.ring.len() < self.ring.capacity() {
            self.ring.push(t);
        } else {
            self.ring[self.next] = t;
            self.next = (self.next + 1) % self.ring.len();
        }
    }

    /// Counts a frame ended without rendering.
    pub fn record_skipped(&mut self, display_ns: i64) {
        self.skipped += 1;
        self.last_display_ns = Some(display_ns);
    }

    /// p50/p99 of every phase over the frames the ring holds.
    pub fn summary(&self) -> Vec<Stat> {
        (0..FrameTimes::NAMES.len())
            .map(|i| {
                let mut v: Vec<f32> = self.ring.iter().map(|t| t.get(i)).collect();
                v.sort_by(f32::total_cmp);
                let q = |p: f32| {
                    if v.is_empty() {
                        0.0
                    } else {
                        v[((v.len() - 1) as f32 * p).round() as usize]
                    }
                };
                Stat {
                    name: FrameTimes::NAMES[i],
                    p50: q(0.5),
                    p99: q(0.99),
                }
            })
            .collect()
    }

    /// The summary as lines for a log: frames, missed, then each phase in ms.
    pub fn report(&self) -> String {
        let mut s = format!(
            "xr telemetry: {} frames rendered, {} missed, {} not rendered (runtime said so)\n",
            self.frames, self.missed, self.skipped
        );
        for st in self.summary() {
            s += &format!(
                "  {:<16} p50 {:>7.3} ms  p99 {:>7.3} ms\n",
                st.name,
                st.p50 / 1000.0,
                st.p99 / 1000.0
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_missed_frames_and_the_ring() {
        let mut t = Telemetry::new(100);
        let period = 50_000_000; // 20 Hz
        let mut display = 0;
        for i in 0..200 {
            display += if i == 150 { 2 * period } else { period };
            t.record(
                FrameTimes {
                    pose_to_end: i as f32,
                    ..FrameTimes::default()
                },
                display,
                period,
            );
        }
        assert_eq!(t.frames, 200);
        assert_eq!(t.missed, 1);
        let s = t.summary();
        let e = s.iter().find(|s| s.name == "pose_to_end").unwrap();
        // The ring holds frames 100..200.
        assert!((e.p50 - 150.0).abs() <= 1.0, "{e:?}");
        assert!((e.p99 - 198.0).abs() <= 1.0, "{e:?}");
        assert!(t.report().contains("1 missed"));
    }
}
