//! `showrunner sensors …`: find straps, decode packets, analyze and record
//! heart data, and watch the engagement estimate live.

use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::json;
use showrunner_biometrics::ble::{self, BleConfig, Selector};
use showrunner_biometrics::event::EventKind;
use showrunner_biometrics::hrm::{self, parse_hex};
use showrunner_biometrics::hrv::{time_domain, ArtifactRules, Rejection};
use showrunner_biometrics::replay::{self, HeartWriter};
use showrunner_biometrics::sim::{HeartProfile, SimConfig, SimStrap};
use showrunner_biometrics::{Estimator, EstimatorConfig, Pacing, SensorLink};

/// What the viewer is told before any sensing starts.
pub const NOTICE: &str =
    "Showrunner reads your heart rate to shape the film as you watch. It stays on this \
device: nothing is recorded or sent anywhere unless you ask for a recording.";

/// `showrunner sensors` subcommands.
#[derive(Subcommand)]
pub enum SensorsCommand {
    /// List nearby heart-rate straps (Bluetooth LE, Heart Rate Service 0x180D).
    Scan {
        /// How long to listen, seconds.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Decode one Heart Rate Measurement (0x2A37) payload given in hex, e.g. `16 48 55 03`.
    Decode {
        /// The payload: hex bytes, with or without spaces, commas or 0x.
        #[arg(required = true, num_args = 1..)]
        hex: Vec<String>,
    },
    /// HRV metrics (mean NN, SDNN, RMSSD, pNN50) of a heart recording, as JSON.
    Analyze {
        /// A heart recording (docs/heart-format.md) with RR intervals.
        #[arg(long, value_name = "FILE")]
        rr: PathBuf,
    },
    /// Record heart data to a file (explicit opt-in; the file is readable only by you).
    Record {
        /// Where to write the recording (CSV, docs/heart-format.md).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// `ble` (a strap), `sim:calm|bored|gripped|stressed`, or `replay:FILE`.
        #[arg(long, default_value = "ble")]
        source: String,
        /// Which strap: `strongest`, a name (substring) or an address.
        #[arg(long, default_value = "strongest")]
        device: String,
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long)]
        seconds: Option<f64>,
        /// Seed for `sim:` sources.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// For `sim:` and `replay:`, run as fast as possible instead of in real time.
        #[arg(long)]
        fast: bool,
        /// Overwrite --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Show the live engagement estimate once a second (nothing is recorded).
    Watch {
        /// `ble`, `sim:PROFILE` or `replay:FILE`.
        #[arg(long, default_value = "ble")]
        source: String,
        /// Which strap: `strongest`, a name (substring) or an address.
        #[arg(long, default_value = "strongest")]
        device: String,
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long)]
        seconds: Option<f64>,
        /// Seed for `sim:` sources.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Seconds of calm opening for the baseline.
        #[arg(long, default_value_t = 120.0)]
        baseline_s: f64,
        /// Also show heart rate (it is your own data; it is shown, never stored).
        #[arg(long)]
        show_heart: bool,
    },
}

/// Where heart events come from.
pub(crate) enum Source {
    /// A Bluetooth LE strap.
    Ble(Selector),
    /// A simulated strap.
    Sim(HeartProfile),
    /// A recording, replayed.
    Replay(PathBuf),
}

fn parse_source(s: &str, device: &str) -> Result<Source> {
    if s == "ble" {
        return Ok(Source::Ble(Selector::parse(device)));
    }
    if let Some(p) = s.strip_prefix("sim:") {
        return HeartProfile::parse(p).map(Source::Sim).with_context(|| {
            format!(
                "--source {s}: unknown profile; use one of sim:{}",
                HeartProfile::NAMES.join(", sim:")
            )
        });
    }
    if let Some(f) = s.strip_prefix("replay:") {
        return Ok(Source::Replay(PathBuf::from(f)));
    }
    bail!("--source {s}: expected `ble`, `sim:PROFILE` or `replay:FILE`")
}

/// The link for `src`: real time, or as fast as possible (`fast`, for recordings and tests).
pub(crate) fn open_link(src: &Source, seed: u64, fast: bool) -> Result<SensorLink> {
    let pacing = if fast {
        Pacing::AsFastAsPossible
    } else {
        Pacing::RealTime { speed: 1.0 }
    };
    Ok(match src {
        Source::Ble(sel) => ble::spawn(BleConfig {
            select: sel.clone(),
            ..BleConfig::default()
        })?,
        Source::Sim(p) => {
            SensorLink::from_events("sim", SimStrap::new(SimConfig::new(*p, seed)), pacing)?
        }
        Source::Replay(f) => SensorLink::from_events("replay", replay::load(f)?, pacing)?,
    })
}

fn ctrl_c() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    ctrlc::set_handler(move || s.store(true, Ordering::SeqCst))
        .context("cannot install the Ctrl-C handler")?;
    Ok(stop)
}

/// Runs a `sensors` subcommand.
pub fn run(cmd: SensorsCommand) -> Result<ExitCode> {
    match cmd {
        SensorsCommand::Scan { seconds, json } => scan(seconds, json),
        SensorsCommand::Decode { hex } => decode(&hex.join(" ")),
        SensorsCommand::Analyze { rr } => analyze(&rr),
        SensorsCommand::Record {
            out,
            source,
            device,
            seconds,
            seed,
            fast,
            force,
        } => record(
            &out,
            &parse_source(&source, &device)?,
            seconds,
            seed,
            fast,
            force,
        ),
        SensorsCommand::Watch {
            source,
            device,
            seconds,
            seed,
            baseline_s,
            show_heart,
        } => watch(
            &parse_source(&source, &device)?,
            seconds,
            seed,
            baseline_s,
            show_heart,
        ),
    }
}

fn scan(seconds: f64, as_json: bool) -> Result<ExitCode> {
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 120.0) {
        bail!("--seconds {seconds}: give a scan time between 0 and 120 seconds");
    }
    let found = ble::scan(Duration::from_secs_f64(seconds)).map_err(|e| anyhow::anyhow!("{e}"))?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&found)?);
    } else if found.is_empty() {
        eprintln!("no heart-rate strap heard in {seconds} s; is it on your chest (most only advertise when worn)?");
    } else {
        println!("{:<28} {:<18} {:>6}", "name", "address", "signal");
        for s in &found {
            let rssi = s.rssi.map_or("?".to_owned(), |r| format!("{r} dBm"));
            println!("{:<28} {:<18} {:>6}", s.name, s.address, rssi);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn decode(hex: &str) -> Result<ExitCode> {
    let bytes = parse_hex(hex).map_err(|e| anyhow::anyhow!("`{hex}`: not hex: {e}"))?;
    let m = hrm::decode(&bytes).map_err(|e| anyhow::anyhow!("0x2A37 payload `{hex}`: {e}"))?;
    let rr_ms: Vec<f64> = m.rr_ms().map(|v| (v * 1000.0).round() / 1000.0).collect();
    let out = json!({
        "flags": format!("0x{:02x}", m.flags),
        "heart_rate_bpm": m.bpm,
        "heart_rate_format": if m.flags & 1 != 0 { "u16" } else { "u8" },
        "sensor_contact": m.contact,
        "energy_expended_kj": m.energy_kj,
        "rr_1024": m.rr_1024.as_slice(),
        "rr_ms": rr_ms,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

fn analyze(path: &Path) -> Result<ExitCode> {
    let events = replay::load(path)?;
    let mut rr = Vec::new();
    let mut gap_before = Vec::new();
    let mut gap = false;
    for e in &events {
        match &e.kind {
            EventKind::Reading(r) => {
                for &v in &r.rr_ms {
                    rr.push(v);
                    gap_before.push(gap);
                    gap = false;
                }
            }
            EventKind::Disconnected => gap = true,
            _ => {}
        }
    }
    if rr.len() < 3 {
        bail!(
            "{}: {} RR interval(s); HRV needs at least 3 (a recording with heart rate only has none)",
            path.display(),
            rr.len()
        );
    }
    let rules = ArtifactRules::default();
    let verdicts = rules.filter(&rr);
    let mut nn = Vec::new();
    let mut adjacent = Vec::new();
    let mut prev_ok = false;
    for (i, v) in verdicts.iter().enumerate() {
        if v.is_none() {
            nn.push(f64::from(rr[i]));
            adjacent.push(prev_ok && !gap_before[i]);
        }
        prev_ok = v.is_none();
    }
    let raw: Vec<f64> = rr.iter().map(|&v| f64::from(v)).collect();
    let count = |k: Rejection| verdicts.iter().filter(|v| **v == Some(k)).count();
    let rejected = verdicts.iter().filter(|v| v.is_some()).count();
    let out = json!({
        "file": path.display().to_string(),
        "rr_intervals": rr.len(),
        "artifacts": {
            "rule": "RR outside 300..=2000 ms, or more than 20% from the median of its two neighbours on each side",
            "out_of_range": count(Rejection::OutOfRange),
            "neighbour": count(Rejection::Neighbour),
            "rejection_rate": rejected as f64 / rr.len() as f64,
        },
        "metrics": time_domain(&nn, Some(&adjacent)),
        "raw_metrics": time_domain(&raw, Some(&gap_before.iter().map(|g| !g).collect::<Vec<_>>())),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

/// Creates `path`'s temporary sibling with mode 0600.
fn private_file(path: &Path) -> Result<(PathBuf, fs::File)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .context("--out must name a file")?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.recording"));
    let f = showrunner_persist::private_file(&tmp)
        .with_context(|| format!("{}: cannot create the recording", tmp.display()))?;
    Ok((tmp, f))
}

fn record(
    out: &Path,
    src: &Source,
    seconds: Option<f64>,
    seed: u64,
    fast: bool,
    force: bool,
) -> Result<ExitCode> {
    if out.exists() && !force {
        bail!(
            "{}: already exists; choose another --out or pass --force to replace it",
            out.display()
        );
    }
    if fast && seconds.is_none() && matches!(src, Source::Sim(_)) {
        bail!("--fast with a simulated strap needs --seconds (a simulation never ends by itself)");
    }
    eprintln!("{NOTICE}");
    eprintln!(
        "Recording to {} (readable only by you). Ctrl-C stops.",
        out.display()
    );
    let stop = ctrl_c()?;
    let (tmp, file) = private_file(out)?;
    let mut w = HeartWriter::new(BufWriter::new(file))?;
    let link = open_link(src, seed, fast)?;
    let (mut readings, mut drops, mut malformed) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let mut last_note = Instant::now();
    let mut ended = None;
    'outer: while !stop.load(Ordering::SeqCst) {
        let Some(e) = link.recv_timeout(Duration::from_millis(200)) else {
            if link.finished() {
                break;
            }
            if seconds.is_some_and(|s| !fast && started.elapsed().as_secs_f64() >= s) {
                break;
            }
            continue;
        };
        if seconds.is_some_and(|s| {
            if fast {
                e.t >= s
            } else {
                started.elapsed().as_secs_f64() >= s
            }
        }) {
            break;
        }
        match &e.kind {
            EventKind::Reading(_) => readings += 1,
            EventKind::Disconnected => drops += 1,
            EventKind::Malformed { .. } => malformed += 1,
            EventKind::Connected(s) => eprintln!("connected: {} ({})", s.name, s.address),
            EventKind::Ended { reason } => {
                ended = Some(reason.clone());
                w.write(&e)?;
                break 'outer;
            }
            EventKind::Battery { .. } => {}
        }
        w.write(&e)?;
        if last_note.elapsed() >= Duration::from_secs(10) {
            eprintln!(
                "recording: {readings} readings, {drops} drop-outs, {malformed} malformed packets"
            );
            last_note = Instant::now();
        }
    }
    link.close();
    let f = w.finish()?.into_inner().map_err(|e| e.into_error())?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, out)
        .with_context(|| format!("{}: cannot move the recording into place", out.display()))?;
    if let Some(dir) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    if let Some(reason) = ended.filter(|r| r != "the source has no more data" && r != "stopped") {
        eprintln!("the source ended: {reason}");
    }
    eprintln!(
        "{}: {readings} readings, {drops} drop-outs, {malformed} malformed packets",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn watch(
    src: &Source,
    seconds: Option<f64>,
    seed: u64,
    baseline_s: f64,
    show_heart: bool,
) -> Result<ExitCode> {
    let cfg = EstimatorConfig {
        baseline_s,
        ..EstimatorConfig::default()
    };
    cfg.validate()
        .map_err(|e| anyhow::anyhow!("--baseline-s: {e}"))?;
    eprintln!("{NOTICE}");
    let stop = ctrl_c()?;
    let link = open_link(src, seed, false)?;
    let mut est = Estimator::new(cfg);
    let frame = Duration::from_micros(13_889); // a 72 Hz frame loop
    let mut next_print = 1.0;
    while !stop.load(Ordering::SeqCst) {
        let now = link.now();
        if seconds.is_some_and(|s| now >= s) {
            break;
        }
        link.drain(|e| {
            if let EventKind::Connected(s) = &e.kind {
                eprintln!(
                    "connected: {} ({}), location {:?}, battery {:?}%",
                    s.name, s.address, s.location, s.battery
                );
            }
            if let EventKind::Ended { reason } = &e.kind {
                eprintln!("source ended: {reason}");
            }
            est.push(&e);
        });
        if now >= next_print {
            next_print += 1.0;
            let e = est.sample(now);
            let heart = if show_heart {
                format!(
                    " hr {:>5}",
                    e.hr_bpm.map_or("-".into(), |v| format!("{v:.0}"))
                )
            } else {
                String::new()
            };
            println!(
                "{now:7.1}s {:<12} arousal {:+5.2} boredom {:.2} quality {:.2}{heart} artifacts {:.0}% {}",
                format!("{:?}", e.state).to_lowercase(),
                e.sample.arousal_z,
                e.sample.boredom,
                e.sample.quality,
                e.artifact_rate * 100.0,
                e.no_signal.map_or(String::new(), |n| format!("({n:?})").to_lowercase())
            );
        }
        if link.finished() && link.drain(|e| est.push(&e)) == 0 {
            break;
        }
        std::thread::sleep(frame);
    }
    link.close();
    Ok(ExitCode::SUCCESS)
}
