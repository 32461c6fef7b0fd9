//! Showrunner biometrics: the viewer's heart, from a Bluetooth LE strap (or a
//! replayed recording, or a simulation), turned into the [`EngagementSample`]
//! the director reads.
//!
//! ```text
//!  strap ─BLE─▶ ble::spawn ─┐
//!  file  ─────▶ replay   ───┼─▶ SensorLink (bounded channel) ─▶ Estimator ─▶ EngagementSample
//!  sim   ─────▶ SimStrap ───┘        background thread │ frame thread (drain, never blocks)
//! ```
//!
//! - [`hrm`]: the Heart Rate Measurement (0x2A37) decoder.
//! - [`event`]: what every source delivers.
//! - [`link`]: the one interface to sources (thread + bounded channel).
//! - [`replay`]: the heart recording format (CSV), read and written.
//! - [`sim`]: simulated straps.
//! - [`hrv`]: artifact rejection and time-domain HRV metrics.
//! - [`estimator`]: baseline, arousal, boredom, signal quality.
//! - `ble` (feature `ble`, on by default): the btleplug source.
//!
//! Privacy: heart data is health data. This crate has no network code, logs
//! nothing, and writes nothing; recording is the caller's explicit act
//! (`showrunner sensors record`).
//!
//! [`EngagementSample`]: showrunner_core::EngagementSample

#[cfg(feature = "ble")]
pub mod ble;
pub mod estimator;
pub mod event;
pub mod hrm;
pub mod hrv;
pub mod link;
pub mod replay;
pub mod sim;

pub use estimator::{Estimate, Estimator, EstimatorConfig};
pub use event::{EventKind, SensorEvent};
pub use link::{Pacing, SensorLink};
