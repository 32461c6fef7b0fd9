//! The Bluetooth LE source (btleplug): any strap with the Heart Rate Service.
//!
//! Scan for service 0x180D; choose the strap by name, by address or by the
//! strongest signal; connect; read Body Sensor Location (0x2A38) and Battery
//! Level (0x180F/0x2A19) when present; subscribe to Heart Rate Measurement
//! (0x2A37). When the strap drops, a [`EventKind::Disconnected`] goes out at
//! once, and the source reconnects with exponential backoff until it is back.
//!
//! Runs on its own thread with a single-threaded tokio runtime; the frame
//! thread only ever sees the [`SensorLink`]. Nothing here logs or stores a
//! heart value.

use std::time::Duration;

use btleplug::api::{
    Central, CentralEvent, Characteristic, Manager as _, Peripheral as _, ScanFilter,
};
use btleplug::platform::{Adapter, Manager, Peripheral, PeripheralId};
use futures::StreamExt;
use serde::Serialize;
use uuid::Uuid;

use crate::event::{BodyLocation, EventKind, SensorEvent, StrapInfo, RR_PER_READING};
use crate::hrm;
use crate::link::{Producer, SensorLink};

/// Heart Rate Service.
pub const HEART_RATE_SERVICE: Uuid = uuid16(0x180D);
/// Heart Rate Measurement characteristic.
pub const HEART_RATE_MEASUREMENT: Uuid = uuid16(0x2A37);
/// Body Sensor Location characteristic.
pub const BODY_SENSOR_LOCATION: Uuid = uuid16(0x2A38);
/// Battery Service.
pub const BATTERY_SERVICE: Uuid = uuid16(0x180F);
/// Battery Level characteristic.
pub const BATTERY_LEVEL: Uuid = uuid16(0x2A19);

/// A 16-bit Bluetooth SIG UUID on the base UUID.
pub const fn uuid16(short: u16) -> Uuid {
    Uuid::from_u128(((short as u128) << 96) | 0x0000_0000_0000_1000_8000_0080_5f9b_34fb)
}

/// Which strap to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The one with the strongest signal after the scan window.
    Strongest,
    /// The first whose advertised name contains this (case-insensitive).
    Name(String),
    /// The one with this address (case-insensitive, `AA:BB:..`).
    Address(String),
}

impl Selector {
    /// `strongest`, `addr:AA:BB:CC:DD:EE:FF` / a bare address, or a name.
    pub fn parse(s: &str) -> Self {
        let looks_like_addr = s.len() == 17 && s.split(':').count() == 6;
        if s.eq_ignore_ascii_case("strongest") || s.is_empty() {
            Self::Strongest
        } else if let Some(a) = s.strip_prefix("addr:") {
            Self::Address(a.to_owned())
        } else if looks_like_addr {
            Self::Address(s.to_owned())
        } else {
            Self::Name(s.to_owned())
        }
    }

    fn matches(&self, s: &FoundStrap) -> bool {
        match self {
            Self::Strongest => true,
            Self::Name(n) => s.name.to_lowercase().contains(&n.to_lowercase()),
            Self::Address(a) => s.address.eq_ignore_ascii_case(a),
        }
    }
}

/// How the BLE source behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct BleConfig {
    /// Which strap.
    pub select: Selector,
    /// How long to listen before choosing the strongest (default 3 s).
    pub scan_window: Duration,
    /// First reconnection delay (default 250 ms) ...
    pub backoff_min: Duration,
    /// ... doubling up to this (default 2 s).
    pub backoff_max: Duration,
    /// Limit on connect and service discovery (default 10 s).
    pub connect_timeout: Duration,
}

impl Default for BleConfig {
    fn default() -> Self {
        Self {
            select: Selector::Strongest,
            scan_window: Duration::from_secs(3),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// A strap heard during a scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundStrap {
    /// Advertised name (or "(unnamed)").
    pub name: String,
    /// Bluetooth address.
    pub address: String,
    /// Signal strength, dBm.
    pub rssi: Option<i16>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn runtime() -> Result<tokio::runtime::Runtime, BoxError> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

async fn adapter() -> Result<Adapter, BoxError> {
    let manager = Manager::new().await.map_err(|e| {
        format!("Bluetooth is not available ({e}); is bluetoothd running and is this user allowed to use it?")
    })?;
    manager
        .adapters()
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| "no Bluetooth adapter found; plug one in or enable Bluetooth".into())
}

async fn describe(p: &Peripheral) -> Option<FoundStrap> {
    let props = p.properties().await.ok()??;
    if !props.services.contains(&HEART_RATE_SERVICE) {
        return None;
    }
    Some(FoundStrap {
        name: props.local_name.unwrap_or_else(|| "(unnamed)".into()),
        address: p.address().to_string(),
        rssi: props.rssi,
    })
}

async fn heard(a: &Adapter) -> Result<Vec<(Peripheral, FoundStrap)>, BoxError> {
    let mut out = Vec::new();
    for p in a.peripherals().await? {
        if let Some(s) = describe(&p).await {
            out.push((p, s));
        }
    }
    out.sort_by(|x, y| {
        y.1.rssi
            .unwrap_or(i16::MIN)
            .cmp(&x.1.rssi.unwrap_or(i16::MIN))
    });
    Ok(out)
}

/// Scans for `window` and lists the heart-rate straps heard, strongest first.
pub fn scan(window: Duration) -> Result<Vec<FoundStrap>, BoxError> {
    runtime()?.block_on(async {
        let a = adapter().await?;
        a.start_scan(ScanFilter {
            services: vec![HEART_RATE_SERVICE],
        })
        .await?;
        tokio::time::sleep(window).await;
        let found = heard(&a).await?;
        let _ = a.stop_scan().await;
        Ok(found.into_iter().map(|(_, s)| s).collect())
    })
}

/// Starts the BLE source on its own thread.
pub fn spawn(cfg: BleConfig) -> std::io::Result<SensorLink> {
    SensorLink::spawn("ble", move |p| {
        let reason = match runtime() {
            Ok(rt) => match rt.block_on(run(&cfg, &p)) {
                Ok(()) => "stopped".to_owned(),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        p.send(SensorEvent {
            t: p.now(),
            kind: EventKind::Ended { reason },
        });
    })
}

async fn choose(
    a: &Adapter,
    cfg: &BleConfig,
    p: &Producer,
) -> Result<Option<Peripheral>, BoxError> {
    a.start_scan(ScanFilter {
        services: vec![HEART_RATE_SERVICE],
    })
    .await?;
    let started = tokio::time::Instant::now();
    loop {
        if p.stopped() {
            return Ok(None);
        }
        let found = heard(a).await?;
        let pick = found.into_iter().find(|(_, s)| cfg.select.matches(s));
        let window_over = started.elapsed() >= cfg.scan_window;
        match (&cfg.select, pick) {
            // A named strap is taken as soon as it is heard; the strongest
            // only after the whole window, so every strap had its chance.
            (Selector::Strongest, Some((per, _))) if window_over => return Ok(Some(per)),
            (Selector::Name(_) | Selector::Address(_), Some((per, _))) => return Ok(Some(per)),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn run(cfg: &BleConfig, p: &Producer) -> Result<(), BoxError> {
    let a = adapter().await?;
    let mut events = a.events().await?;
    let Some(per) = choose(&a, cfg, p).await? else {
        return Ok(());
    };
    let _ = a.stop_scan().await;
    let id = per.id();
    let mut backoff = cfg.backoff_min;
    while !p.stopped() {
        match session(&a, &per, &id, &mut events, cfg, p).await {
            Ok(true) => {
                // It was streaming and dropped: report at once, then retry soon.
                p.send(SensorEvent {
                    t: p.now(),
                    kind: EventKind::Disconnected,
                });
                backoff = cfg.backoff_min;
            }
            Ok(false) => return Ok(()),
            Err(_) => {
                // Not reachable (out of range, switched off): wait and retry.
                // The error itself carries nothing the viewer can act on.
                if !p.sleep(backoff) {
                    return Ok(());
                }
                backoff = (backoff * 2).min(cfg.backoff_max);
            }
        }
    }
    Ok(())
}

fn find(per: &Peripheral, uuid: Uuid) -> Option<Characteristic> {
    per.characteristics().into_iter().find(|c| c.uuid == uuid)
}

/// One connection: Ok(true) when it dropped after streaming, Ok(false) when
/// asked to stop, Err when it could not be set up.
async fn session(
    a: &Adapter,
    per: &Peripheral,
    id: &PeripheralId,
    events: &mut (impl futures::Stream<Item = CentralEvent> + Unpin),
    cfg: &BleConfig,
    p: &Producer,
) -> Result<bool, BoxError> {
    let _ = a;
    if !per.is_connected().await.unwrap_or(false) {
        tokio::time::timeout(cfg.connect_timeout, per.connect())
            .await
            .map_err(|_| "connect timed out")??;
    }
    tokio::time::timeout(cfg.connect_timeout, per.discover_services())
        .await
        .map_err(|_| "service discovery timed out")??;
    let hrm_char = find(per, HEART_RATE_MEASUREMENT)
        .ok_or("the strap has no Heart Rate Measurement characteristic")?;
    let location = match find(per, BODY_SENSOR_LOCATION) {
        Some(c) => per
            .read(&c)
            .await
            .ok()
            .and_then(|v| v.first().copied())
            .map(BodyLocation::from_byte),
        None => None,
    };
    let battery = match find(per, BATTERY_LEVEL) {
        Some(c) => per.read(&c).await.ok().and_then(|v| v.first().copied()),
        None => None,
    };
    let props = per.properties().await.ok().flatten();
    let mut notes = per.notifications().await?;
    per.subscribe(&hrm_char).await?;
    p.send(SensorEvent {
        t: p.now(),
        kind: EventKind::Connected(StrapInfo {
            name: props
                .and_then(|pp| pp.local_name)
                .unwrap_or_else(|| "(unnamed)".into()),
            address: per.address().to_string(),
            location,
            battery,
        }),
    });
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            n = notes.next() => match n {
                Some(n) if n.uuid == HEART_RATE_MEASUREMENT => {
                    let t = p.now();
                    for e in readings(t, &n.value) {
                        p.send(e);
                    }
                }
                Some(n) if n.uuid == BATTERY_LEVEL => {
                    if let Some(&percent) = n.value.first() {
                        p.send(SensorEvent { t: p.now(), kind: EventKind::Battery { percent } });
                    }
                }
                Some(_) => {}
                None => return Ok(true),
            },
            ev = events.next() => match ev {
                Some(CentralEvent::DeviceDisconnected(d)) if &d == id => return Ok(true),
                Some(_) => {}
                None => return Err("the Bluetooth event stream ended".into()),
            },
            _ = tick.tick() => {
                if p.stopped() {
                    let _ = per.unsubscribe(&hrm_char).await;
                    let _ = per.disconnect().await;
                    return Ok(false);
                }
            }
        }
    }
}

/// Turns one 0x2A37 payload into events: readings (RR split into groups of
/// [`RR_PER_READING`], the last group ending at `t`) or one `Malformed`.
pub fn readings(t: f64, payload: &[u8]) -> impl Iterator<Item = SensorEvent> {
    let mut out: arrayvec::ArrayVec<SensorEvent, 33> = arrayvec::ArrayVec::new();
    match hrm::decode(payload) {
        Ok(m) => {
            let rr: Vec<f32> = m.rr_ms().map(|v| v as f32).collect();
            if rr.is_empty() {
                out.push(SensorEvent::reading(t, Some(m.bpm), m.contact, &[]));
            } else {
                // Earlier groups end before `t` by the intervals that follow them.
                let mut end = t - rr.iter().map(|&v| f64::from(v)).sum::<f64>() / 1000.0;
                for chunk in rr.chunks(RR_PER_READING) {
                    end += chunk.iter().map(|&v| f64::from(v)).sum::<f64>() / 1000.0;
                    if out.is_full() {
                        break;
                    }
                    out.push(SensorEvent::reading(end, Some(m.bpm), m.contact, chunk));
                }
            }
        }
        Err(e) => out.push(SensorEvent {
            t,
            kind: EventKind::Malformed {
                error: e.to_string(),
            },
        }),
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sig_uuids() {
        assert_eq!(
            HEART_RATE_SERVICE.to_string(),
            "0000180d-0000-1000-8000-00805f9b34fb"
        );
        assert_eq!(
            BATTERY_LEVEL.to_string(),
            "00002a19-0000-1000-8000-00805f9b34fb"
        );
    }

    #[test]
    fn selectors() {
        assert_eq!(Selector::parse("strongest"), Selector::Strongest);
        assert_eq!(
            Selector::parse("F0:0D:CA:FE:00:01"),
            Selector::Address("F0:0D:CA:FE:00:01".into())
        );
        assert_eq!(Selector::parse("Polar"), Selector::Name("Polar".into()));
        let s = FoundStrap {
            name: "Polar H10 1234".into(),
            address: "AA:BB:CC:DD:EE:FF".into(),
            rssi: Some(-60),
        };
        assert!(Selector::Name("polar".into()).matches(&s));
        assert!(Selector::Address("aa:bb:cc:dd:ee:ff".into()).matches(&s));
        assert!(!Selector::Name("garmin".into()).matches(&s));
    }

    #[test]
    fn packets_become_readings_or_malformed() {
        let ev: Vec<_> = readings(10.0, &[0x10, 72, 0x00, 0x04, 0x00, 0x04]).collect();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].t, 10.0);
        let bad: Vec<_> = readings(10.0, &[0x10, 72, 0x00]).collect();
        assert!(matches!(bad[0].kind, EventKind::Malformed { .. }));
        // 20 RR intervals → three readings, the last ending at t.
        let mut pkt = vec![0x10, 72];
        for _ in 0..20 {
            pkt.extend(1024u16.to_le_bytes());
        }
        let ev: Vec<_> = readings(30.0, &pkt).collect();
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[2].t, 30.0);
        assert!((ev[0].t - 18.0).abs() < 1e-9);
    }
}
