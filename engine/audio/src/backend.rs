//! Two kira backends of our own besides the sound card (cpal):
//!
//! - [`CaptureBackend`] pulls the mix into a caller's buffer: offline
//!   soundtracks and the tests, with no sound card;
//! - [`NullBackend`] runs the mixer on its own thread at real-time pace and
//!   throws the samples away: the silent film when there is no audio device,
//!   so clocks still tick and finished sounds are still freed, and the frame
//!   thread never does the mixing.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kira::backend::{Backend, Renderer};

/// The sample rate of everything the project renders.
pub const SAMPLE_RATE: u32 = 48_000;

/// A backend that renders only when asked, into the caller's buffer.
pub struct CaptureBackend {
    renderer: Option<Box<Renderer>>,
}

impl Backend for CaptureBackend {
    type Settings = ();
    type Error = Infallible;

    fn setup(_: (), _internal_buffer_size: usize) -> Result<(Self, u32), Infallible> {
        Ok((Self { renderer: None }, SAMPLE_RATE))
    }

    fn start(&mut self, renderer: Renderer) -> Result<(), Infallible> {
        self.renderer = Some(Box::new(renderer));
        Ok(())
    }
}

impl CaptureBackend {
    /// Renders `out.len() / 2` stereo frames (interleaved L, R) at
    /// [`SAMPLE_RATE`], first applying every command sent since the last call.
    pub fn render(&mut self, out: &mut [f32]) {
        match &mut self.renderer {
            Some(r) => {
                r.on_start_processing();
                r.process(out, 2);
            }
            None => out.fill(0.0),
        }
    }
}

/// A backend with no output: a thread mixes in 10 ms blocks at real-time
/// pace and discards them.
pub struct NullBackend {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Backend for NullBackend {
    type Settings = ();
    type Error = std::io::Error;

    fn setup(_: (), _internal_buffer_size: usize) -> Result<(Self, u32), std::io::Error> {
        Ok((
            Self {
                stop: Arc::new(AtomicBool::new(false)),
                thread: None,
            },
            SAMPLE_RATE,
        ))
    }

    fn start(&mut self, mut renderer: Renderer) -> Result<(), std::io::Error> {
        let stop = self.stop.clone();
        self.thread = Some(
            std::thread::Builder::new()
                .name("audio-null".into())
                .spawn(move || {
                    const BLOCK: usize = (SAMPLE_RATE / 100) as usize;
                    let mut buf = vec![0.0f32; BLOCK * 2];
                    let start = Instant::now();
                    let mut blocks = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        renderer.on_start_processing();
                        renderer.process(&mut buf, 2);
                        blocks += 1;
                        let due = start + Duration::from_millis(blocks * 10);
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                    }
                })?,
        );
        Ok(())
    }
}

impl Drop for NullBackend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
