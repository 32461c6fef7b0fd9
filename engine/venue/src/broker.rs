//! The embedded broker (rumqttd, MQTT 5 on plain TCP) that `festival serve` runs by default.
//!
//! Only paired clients connect: the user `operator` with the operator's password (client id
//! `operator` or `operator-…`), a seat as `seat.NAME` with its own (client id the same, so a
//! seat cannot connect under another's id and knock it off). rumqttd 0.20 has no topic ACLs:
//! a paired seat could publish on any topic, and what stops it is the receivers' check of
//! every message's code ([`showrunner_festival::link`]).

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use showrunner_festival::pairing::Pairings;
use showrunner_festival::{SeatName, MAX_PAYLOAD};

/// Whether `password` is the broker password of `user` connecting as `client_id`.
pub fn authorized(
    pairings: &Pairings,
    operator_password: &str,
    client_id: &str,
    user: &str,
    password: &str,
) -> bool {
    if user == "operator" {
        return (client_id == "operator" || client_id.starts_with("operator-"))
            && same(password, operator_password);
    }
    let Some(name) = user.strip_prefix("seat.") else {
        return false;
    };
    let Ok(seat) = SeatName::new(name) else {
        return false;
    };
    client_id == user && matches!(pairings.seat(&seat), Ok(Some((_, p))) if same(password, &p))
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The broker, running on its own threads for as long as the process lives (rumqttd has no
/// way to stop it; `festival serve` ends with its process).
pub struct EmbeddedBroker {
    /// Where it listens.
    pub addr: SocketAddr,
}

impl EmbeddedBroker {
    /// Starts the broker on `addr` and waits (up to 5 s) until it accepts connections.
    pub fn start(addr: SocketAddr, pairings: Pairings, operator_password: String) -> Result<Self> {
        // rumqttd reports a port it cannot bind only in its log: try it first, for an error
        // that says what to do.
        drop(TcpListener::bind(addr).with_context(|| {
            format!("--mqtt {addr}: cannot listen there (another broker or `festival serve` on that port?); pick another with --mqtt HOST:PORT, or use that broker with --broker")
        })?);
        let mut connections = ConnectionSettings {
            connection_timeout_ms: 5_000,
            max_payload_size: MAX_PAYLOAD + 1024,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        };
        let p = Arc::new(pairings);
        connections.set_auth_handler(move |client_id: String, user: String, pass: String| {
            std::future::ready(authorized(&p, &operator_password, &client_id, &user, &pass))
        });
        let server = ServerSettings {
            name: "showrunner-v5".into(),
            listen: addr,
            tls: None,
            next_connection_delay_ms: 1,
            connections,
        };
        let config = Config {
            id: 0,
            router: RouterConfig {
                max_connections: 1_024,
                max_outgoing_packet_count: 200,
                // Each topic's log of messages, bounded: a status is under 1 KiB and the
                // busiest topics carry a few a second, so 4 × 1 MiB is minutes of them.
                max_segment_size: 1 << 20,
                max_segment_count: 4,
                custom_segment: None,
                initialized_filters: None,
                shared_subscriptions_strategy: Default::default(),
            },
            v5: Some(HashMap::from([("1".to_owned(), server)])),
            ..Default::default()
        };
        let mut broker = Broker::new(config);
        let thread = std::thread::Builder::new()
            .name("festival-broker".into())
            .spawn(move || {
                if let Err(e) = broker.start() {
                    eprintln!("festival: the embedded broker stopped: {e}");
                }
            })
            .context("cannot start the broker's thread")?;
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(Self { addr });
            }
            if thread.is_finished() {
                bail!("--mqtt {addr}: the embedded broker stopped as it started; run with RUST_LOG=rumqttd=debug to see why");
            }
            if Instant::now() > until {
                bail!("--mqtt {addr}: the embedded broker did not accept connections within 5 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paired_clients_under_their_own_ids() {
        let dir = tempfile::tempdir().unwrap();
        let (p, op, _) = Pairings::open(dir.path()).unwrap();
        let seat = SeatName::new("seat-1").unwrap();
        let paired = p.pair(&seat, &op).unwrap();
        let ok = |c: &str, u: &str, pw: &str| authorized(&p, &op.password, c, u, pw);
        assert!(ok("operator", "operator", &op.password));
        assert!(ok("operator-console", "operator", &op.password));
        assert!(!ok("operator", "operator", "guess"));
        assert!(ok("seat.seat-1", "seat.seat-1", &paired.password));
        assert!(
            !ok("seat.seat-2", "seat.seat-1", &paired.password),
            "another seat's id"
        );
        assert!(
            !ok("seat.seat-2", "seat.seat-2", &paired.password),
            "not paired"
        );
        assert!(!ok("operator", "seat.seat-1", &paired.password));
        assert!(!ok("x", "admin", ""));
    }
}
