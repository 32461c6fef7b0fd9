//! The MQTT 5 link (rumqttc) that a seat and the operator each keep to the broker.
//!
//! The network lives on its own thread; the owner (a seat's frame thread, the operator's loop)
//! only ever hands it a message without waiting ([`Link::publish`]: a full queue drops the
//! message and counts it) and takes what arrived ([`Link::drain`]). The thread reconnects by
//! itself, subscribes again after every connection, and checks everything that arrives before
//! the owner sees it: the protocol ([`crate::decode`]), the sender's authentication code
//! ([`Key::verify`]) and [`Replay`]. Whatever it refuses is counted and said once as an
//! [`Event::Refused`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rumqttc::v5::mqttbytes::v5::{
    ConnectReturnCode, LastWill, LastWillProperties, Packet, PublishProperties,
};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{Client, ConnectionError, Event as MqttEvent, MqttOptions};

use crate::{decode, encode, Body, Key, Message, Replay, Sender, Topic, MAC_PROPERTY, WILL_SEQ};

/// Messages the network thread may have queued for the owner before it drops them.
const INBOX: usize = 256;
/// Requests the owner may have queued for the network before [`Link::publish`] drops them.
const OUTBOX: usize = 64;
/// How far a message's stamp may be from this machine's clock.
pub const CLOCK_WINDOW_MS: u64 = 30_000;

/// A broker's address: `mqtt://HOST:PORT` (1883 when the port is left out), or
/// `mqtts://HOST:PORT` for TLS (8883).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS (`mqtts://`): the broker's certificate is checked against the venue's CA
    /// ([`LinkConfig::ca`]) or the system's.
    pub tls: bool,
}

impl BrokerAddr {
    /// A plain TCP broker at `host:port`.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            tls: false,
        }
    }

    /// Reads `mqtt://HOST[:PORT]`, `mqtts://HOST[:PORT]` (or `HOST[:PORT]`); `Err` says what
    /// an address looks like.
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "broker `{url}`: {why}; give it as mqtt://HOST:PORT (or mqtts://HOST:PORT for TLS), e.g. mqtt://192.168.1.10:1883"
            )
        };
        let (tls, rest) = match url.split_once("://") {
            Some(("mqtt", rest)) => (false, rest),
            Some(("mqtts", rest)) => (true, rest),
            Some((scheme, _)) => return Err(bad(&format!("`{scheme}://` is not served"))),
            None => (false, url),
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| bad(&format!("`{p}` is not a port")))?,
            ),
            _ => (rest, if tls { 8883 } else { 1883 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', '@', ' ']) {
            return Err(bad("no host"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            tls,
        })
    }
}

impl std::fmt::Display for BrokerAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// The TLS client configuration for a broker: its certificate checked against the CA
/// certificates in `ca` (PEM: the venue's own CA), else against the system's. `Err` names the
/// file and what to do.
#[cfg(feature = "tls")]
pub fn tls_config(ca: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    // ring's primitives for the whole process (a second install, by another link, is refused
    // and harmless).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            let shown = path.display();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|i| i.collect::<Result<_, _>>())
                .map_err(|e| {
                    format!("--ca {shown}: cannot read a PEM certificate there ({e}); give the venue's CA certificate, the one its broker's certificate is signed with")
                })?;
            if certs.is_empty() {
                return Err(format!(
                    "--ca {shown}: no certificate in it (a PEM file with BEGIN CERTIFICATE blocks)"
                ));
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| format!("--ca {shown}: a certificate that cannot be used: {e}"))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(
                    "no CA certificate on this system to check the broker's with; give the venue's with --ca FILE"
                        .into(),
                );
            }
        }
    }
    Ok(Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

/// Whose key checks a sender's messages: a seat knows the operator's, the operator each
/// seat's (looked up when a message comes, so a seat paired while the operator runs is known).
pub type Keyring = Arc<dyn Fn(&Sender) -> Option<Key> + Send + Sync>;

/// How to reach the broker and what to hear there.
pub struct LinkConfig {
    /// The broker.
    pub broker: BrokerAddr,
    /// Who this end is; also its broker user name.
    pub me: Sender,
    /// Its MQTT client id: the user name itself for a seat (one connection per seat,
    /// [`crate::pairing::user_of`]); `operator` or `operator-…` for the operator's processes.
    pub client_id: String,
    /// Its key (signs everything it sends).
    pub key: Key,
    /// The broker's password for `me` (from pairing).
    pub password: String,
    /// Topic filters to subscribe to after every connection.
    pub subscribe: Vec<String>,
    /// What the broker publishes (retained) when this end vanishes: a seat's `offline` status.
    pub will: Option<(Topic, Body)>,
    /// The keys of those it hears.
    pub keyring: Keyring,
    /// The MQTT keep-alive (at least 5 s); the broker declares a link that went quiet dead
    /// after 1.5 times it (a closed connection at once).
    pub keep_alive: Duration,
    /// With a TLS broker (`mqtts://`): the venue's CA certificate (PEM) its certificate is
    /// checked against; the system's CAs when `None`.
    pub ca: Option<std::path::PathBuf>,
}

/// What the network thread tells the owner.
// A message is most of what comes through, a few a second per seat: boxing it would add an
// allocation to each for the sake of the rare small variants.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Connected (again) to the broker, its subscriptions acknowledged: what is published to
    /// this end from now on reaches it.
    Connected,
    /// The connection was lost or refused: why, said once until it comes back.
    Disconnected(String),
    /// A message that passed every check.
    Message {
        /// It.
        message: Message,
        /// The broker kept it (a retained status read at subscription, or a last will): it is
        /// not news, only the latest word.
        kept: bool,
    },
    /// Something was refused: a malformed message, a bad or missing code, a replay.
    Refused(String),
    /// A live, freshly stamped message came from a run its sender had left (it is refused all
    /// the same, as a [`Event::Refused`] too): two processes speak under one pairing (two
    /// headsets given one name), or someone replays a message seconds old.
    TwoRuns(Sender),
}

/// Counters the owner reads any time (the console shows them).
#[derive(Debug, Default)]
pub struct LinkStats {
    /// Messages refused (see [`Event::Refused`]).
    pub refused: AtomicU64,
    /// Messages the owner did not take in time (the inbox was full).
    pub dropped_in: AtomicU64,
    /// Messages [`Link::publish`] dropped (the outbox was full: the broker is away).
    pub dropped_out: AtomicU64,
    /// Connections made.
    pub connections: AtomicU64,
}

/// One end's link to the broker. Dropping it stops the network thread without waiting for it.
pub struct Link {
    client: Client,
    me: Sender,
    key: Key,
    boot: u64,
    seq: u64,
    inbox: Receiver<Event>,
    stop: Arc<AtomicBool>,
    stats: Arc<LinkStats>,
    _thread: JoinHandle<()>,
}

/// Milliseconds since the Unix epoch on this machine's clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn random_boot() -> u64 {
    // A run's number: random, so a restarted sender is a new run.
    Key::generate().map_or_else(
        |_| now_ms() ^ u64::from(std::process::id()) << 32,
        |k| {
            let h = k.sign("boot", &[]);
            u64::from_str_radix(&h[..16], 16).unwrap_or(0)
        },
    )
}

fn properties(mac: String) -> PublishProperties {
    PublishProperties {
        user_properties: vec![(MAC_PROPERTY.to_owned(), mac)],
        ..Default::default()
    }
}

impl Link {
    /// Starts the link: the network thread connects (and keeps reconnecting) in the
    /// background; this returns at once. Fails when the thread cannot start, or a TLS broker's
    /// CA cannot be read (or this build has no TLS).
    pub fn start(config: LinkConfig) -> std::io::Result<Self> {
        let boot = random_boot();
        let id = config.client_id.clone();
        let mut options = MqttOptions::new(&id, &config.broker.host, config.broker.port);
        options
            // rumqttc refuses (panics on) keep-alives under 5 s.
            .set_keep_alive(config.keep_alive.max(Duration::from_secs(5)))
            .set_credentials(crate::pairing::user_of(&config.me), &config.password)
            .set_clean_start(true)
            .set_max_packet_size(Some(crate::MAX_PAYLOAD as u32 + 1024))
            .set_request_channel_capacity(OUTBOX);
        // Small messages that must arrive now (a command, its ack): no Nagle delay (40 ms with
        // the peer's delayed ack, measured in BENCHMARKS.md).
        let mut network = rumqttc::NetworkOptions::new();
        network.set_tcp_nodelay(true);
        options.set_network_options(network);
        if config.broker.tls {
            #[cfg(feature = "tls")]
            {
                let tls = tls_config(config.ca.as_deref()).map_err(std::io::Error::other)?;
                options.set_transport(rumqttc::Transport::tls_with_config(
                    rumqttc::TlsConfiguration::Rustls(tls),
                ));
            }
            #[cfg(not(feature = "tls"))]
            return Err(std::io::Error::other(format!(
                "{}: this build has no TLS (build with the `tls` feature: the headset's package build turns it on)",
                config.broker
            )));
        }
        if let Some((topic, body)) = &config.will {
            let m = Message {
                topic: topic.clone(),
                from: config.me.clone(),
                seq: WILL_SEQ,
                boot,
                sent_ms: now_ms(),
                body: body.clone(),
            };
            let (name, payload) = encode(&m);
            let mac = config.key.sign(&name, &payload);
            options.set_last_will(LastWill::new(
                name,
                payload,
                QoS::AtLeastOnce,
                topic.retained(),
                Some(LastWillProperties {
                    delay_interval: None,
                    payload_format_indicator: None,
                    message_expiry_interval: None,
                    content_type: None,
                    response_topic: None,
                    correlation_data: None,
                    user_properties: vec![(MAC_PROPERTY.to_owned(), mac)],
                }),
            ));
        }
        let (client, mut connection) = Client::new(options, OUTBOX);
        let (tx, inbox) = mpsc::sync_channel(INBOX);
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(LinkStats::default());
        let net = Net {
            client: client.clone(),
            subscribe: config.subscribe,
            keyring: config.keyring,
            replay: Replay::new(CLOCK_WINDOW_MS),
            tx,
            stats: stats.clone(),
            broker: config.broker.to_string(),
            connected: None,
            unacked: 0,
        };
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("festival-{id}"))
            .spawn(move || {
                let mut net = net;
                let mut backoff = Duration::from_millis(200);
                while !thread_stop.load(Ordering::Relaxed) {
                    match connection.recv_timeout(Duration::from_millis(200)) {
                        Ok(Ok(event)) => {
                            backoff = Duration::from_millis(200);
                            net.event(event);
                        }
                        Ok(Err(e)) => {
                            net.lost(&e);
                            // The next poll reconnects; wait a little longer each time.
                            std::thread::sleep(backoff);
                            backoff = (backoff * 2).min(Duration::from_secs(2));
                        }
                        Err(rumqttc::v5::RecvTimeoutError::Timeout) => {}
                        Err(rumqttc::v5::RecvTimeoutError::Disconnected) => break,
                    }
                }
            })?;
        Ok(Self {
            client,
            me: config.me,
            key: config.key,
            boot,
            seq: 0,
            inbox,
            stop,
            stats,
            _thread: thread,
        })
    }

    /// Signs and hands `body` to the network for `topic`, without waiting: `false` when the
    /// queue is full (the broker is away) and the message was dropped (counted).
    pub fn publish(&mut self, topic: Topic, body: Body) -> bool {
        let m = Message {
            topic,
            from: self.me.clone(),
            seq: self.seq,
            boot: self.boot,
            sent_ms: now_ms(),
            body,
        };
        self.seq += 1;
        self.publish_message(&m)
    }

    /// [`Link::publish`] of a message made elsewhere (its `seq` and `boot` are this link's
    /// business: use [`Link::publish`] unless testing a receiver).
    pub fn publish_message(&mut self, m: &Message) -> bool {
        let (name, payload) = encode(m);
        let mac = self.key.sign(&name, &payload);
        let qos = match m.body {
            // A heartbeat replaces the last; losing one costs a second.
            Body::Status(_) | Body::Sample(_) => QoS::AtMostOnce,
            _ => QoS::AtLeastOnce,
        };
        match self.client.try_publish_with_properties(
            name,
            qos,
            m.topic.retained(),
            payload,
            properties(mac),
        ) {
            Ok(()) => true,
            Err(_) => {
                self.stats.dropped_out.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// The `seq` the next [`Link::publish`] will carry (a command's ack names it).
    pub fn next_seq(&self) -> u64 {
        self.seq
    }

    /// Everything that arrived since the last call; never blocks.
    pub fn drain(&mut self) -> Vec<Event> {
        self.inbox.try_iter().collect()
    }

    /// Waits up to `timeout` for the next event (for loops that have nothing else to do:
    /// the operator's, a waiting seat's; never a frame).
    pub fn wait(&mut self, timeout: Duration) -> Option<Event> {
        self.inbox.recv_timeout(timeout).ok()
    }

    /// The counters.
    pub fn stats(&self) -> &LinkStats {
        &self.stats
    }

    /// Who this end is.
    pub fn me(&self) -> &Sender {
        &self.me
    }

    /// Says goodbye to the broker (a clean disconnect: no last will) and stops the thread
    /// without waiting for it. Publish an `offline` status first to say it.
    pub fn close(self) {
        let _ = self.client.try_disconnect();
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // Never joins: the thread may be inside a connect that waits on the network for
        // seconds. It sees the flag within 200 ms (or its channel close) and ends by itself.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The network thread's state.
struct Net {
    client: Client,
    subscribe: Vec<String>,
    keyring: Keyring,
    replay: Replay,
    tx: SyncSender<Event>,
    stats: Arc<LinkStats>,
    broker: String,
    /// Whether connected (`None` before the first attempt ended).
    connected: Option<bool>,
    /// Subscriptions of this connection not acknowledged yet: `Connected` is told when the
    /// last is, so what is published to this end from then on reaches it.
    unacked: usize,
}

impl Net {
    fn tell(&self, e: Event) {
        match self.tx.try_send(e) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.stats.dropped_in.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn refuse(&self, why: String) {
        self.stats.refused.fetch_add(1, Ordering::Relaxed);
        self.tell(Event::Refused(why));
    }

    fn lost(&mut self, e: &ConnectionError) {
        if self.connected != Some(false) {
            let why = match e {
                ConnectionError::ConnectionRefused(code) => format!(
                    "{}: the broker refused the connection ({code:?}){}",
                    self.broker,
                    if matches!(
                        code,
                        ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized
                    ) {
                        ": pair this seat again with `showrunner festival pair`"
                    } else {
                        ""
                    }
                ),
                e if e.to_string().contains("certificate") => format!(
                    "{}: {e}; the broker's certificate is not one this seat can check: give the venue's CA certificate with --ca FILE (retrying)",
                    self.broker
                ),
                e => format!("{}: {e}; retrying", self.broker),
            };
            self.tell(Event::Disconnected(why));
        }
        self.connected = Some(false);
    }

    fn event(&mut self, event: MqttEvent) {
        let MqttEvent::Incoming(packet) = event else {
            return;
        };
        match packet {
            Packet::ConnAck(_) => {
                self.connected = Some(true);
                self.stats.connections.fetch_add(1, Ordering::Relaxed);
                self.unacked = self
                    .subscribe
                    .iter()
                    .filter(|f| {
                        self.client
                            .try_subscribe((*f).clone(), QoS::AtLeastOnce)
                            .is_ok()
                    })
                    .count();
                if self.unacked == 0 {
                    self.tell(Event::Connected);
                }
            }
            Packet::SubAck(_) if self.unacked > 0 => {
                self.unacked -= 1;
                if self.unacked == 0 {
                    self.tell(Event::Connected);
                }
            }
            Packet::Publish(p) => {
                let topic = String::from_utf8_lossy(&p.topic).into_owned();
                let mac = p.properties.as_ref().and_then(|props| {
                    props
                        .user_properties
                        .iter()
                        .find(|(k, _)| k == MAC_PROPERTY)
                        .map(|(_, v)| v.as_str())
                });
                match self.check(&topic, &p.payload, mac, p.retain) {
                    Ok(message) => self.tell(Event::Message {
                        kept: p.retain || message.seq == WILL_SEQ,
                        message,
                    }),
                    Err(why) => self.refuse(why),
                }
            }
            Packet::Disconnect(d) => {
                self.connected = Some(false);
                self.tell(Event::Disconnected(format!(
                    "{}: the broker closed the connection ({:?})",
                    self.broker, d.reason_code
                )));
            }
            _ => {}
        }
    }

    /// The protocol, the code and the replay guard, in that order (the guard only for a
    /// message whose code checked out, so a forger cannot move a sender's count on).
    fn check(
        &mut self,
        topic: &str,
        payload: &[u8],
        mac: Option<&str>,
        retained: bool,
    ) -> Result<Message, String> {
        let m = decode(topic, payload).map_err(|e| e.to_string())?;
        let key = (self.keyring)(&m.from).ok_or_else(|| {
            format!(
                "topic `{topic}`: from `{}`, who is not paired with this operator; refused (pair it with `showrunner festival pair`)",
                m.from
            )
        })?;
        key.verify(topic, payload, mac)?;
        if retained || m.seq == WILL_SEQ {
            self.replay.check_kept(&m)?;
        } else {
            if let Err(why) = self.replay.check(&m, now_ms()) {
                if self.replay.ended_run(&m) {
                    self.tell(Event::TwoRuns(m.from.clone()));
                }
                return Err(why);
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_addresses_read_and_say_what_they_want() {
        assert_eq!(
            BrokerAddr::parse("mqtt://10.0.0.2:1884").unwrap(),
            BrokerAddr::tcp("10.0.0.2", 1884)
        );
        assert_eq!(BrokerAddr::parse("localhost").unwrap().port, 1883);
        assert_eq!(
            BrokerAddr::parse("mqtt://[::1]:1900").unwrap().to_string(),
            "mqtt://[::1]:1900"
        );
        let tls = BrokerAddr::parse("mqtts://broker.venue").unwrap();
        assert!(tls.tls && tls.port == 8883);
        assert_eq!(tls.to_string(), "mqtts://broker.venue:8883");
        for (bad, says) in [
            ("ws://h:8883", "not served"),
            ("mqtt://h:port", "not a port"),
            ("mqtt://:1883", "no host"),
        ] {
            let e = BrokerAddr::parse(bad).unwrap_err();
            assert!(e.contains(says) && e.contains("mqtt://HOST:PORT"), "{e}");
        }
    }

    #[cfg(feature = "tls")]
    #[test]
    fn a_ca_that_cannot_be_read_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        for (path, says) in [
            (dir.path().join("none.pem"), "cannot read"),
            (not_pem, "no certificate"),
        ] {
            let e = tls_config(Some(&path)).unwrap_err();
            assert!(
                e.contains(&path.display().to_string()) && e.contains(says),
                "{e}"
            );
        }
    }
}
