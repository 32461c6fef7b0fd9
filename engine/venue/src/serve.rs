//! `festival serve`: the operator's process. It runs the broker (embedded, or connects to the
//! venue's), keeps the room ([`crate::Room`]) from the seats' messages, appends every screening
//! to the record, and serves the console's API to whoever has the token.
//!
//! Threads: the link's network thread; the console's (a tokio runtime serving axum); and this
//! loop, which owns the room and the link. The console hands it commands through a bounded
//! channel and reads the room through a `watch` of its latest snapshot: neither waits on the
//! other.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use showrunner_festival::link::{now_ms, BrokerAddr, Event, Keyring, Link, LinkConfig};
use showrunner_festival::pairing::Pairings;
use showrunner_festival::{Body, Command, Message, SeatName, Sender, Topic};
use tokio::sync::{mpsc, watch};
use tokio_stream::StreamExt;

use crate::broker::EmbeddedBroker;
use crate::operator::Room;
use crate::osc::ShowControl;
use crate::shared::SharedHost;

/// What `festival serve` is asked.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    /// The operator's folder: secrets, paired seats, the record.
    pub dir: PathBuf,
    /// Where the embedded broker listens.
    pub mqtt: SocketAddr,
    /// The venue's broker instead of the embedded one.
    pub broker: Option<BrokerAddr>,
    /// With a TLS broker (`mqtts://`): the venue's CA certificate (PEM), else the system's CAs.
    pub ca: Option<PathBuf>,
    /// Where the console listens (localhost unless told otherwise).
    pub http: SocketAddr,
    /// Send show control (OSC) here: a lighting or sound desk.
    pub osc: Option<SocketAddr>,
    /// Stop after this many seconds (tests).
    pub seconds: Option<f64>,
    /// Host one shared film for every seat (`--shared`).
    pub shared: Option<SharedArgs>,
}

/// The shared film `festival serve --shared` hosts.
#[derive(Debug, Clone)]
pub struct SharedArgs {
    /// Its story.
    pub story: showrunner_story::CompiledStory,
    /// The director's policy.
    pub config: showrunner_director::DirectorConfig,
    /// The first film's seed (each next one adds 1).
    pub seed: u64,
}

/// A command the console asks for: one seat's, or every seat's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleCommand {
    /// The seat, or none for every seat.
    pub seat: Option<String>,
    /// What to do.
    pub command: Command,
}

struct Console {
    token: String,
    room: watch::Receiver<serde_json::Value>,
    commands: mpsc::Sender<(Option<SeatName>, Command)>,
    refused: AtomicU64,
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

impl Console {
    /// The request carries the token (`Authorization: Bearer …`, or `?token=…`).
    fn allowed(&self, headers: &HeaderMap, query: &TokenQuery) -> bool {
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let given = bearer.or(query.token.as_deref()).unwrap_or("");
        let ok = given.len() == self.token.len()
            && given
                .bytes()
                .zip(self.token.bytes())
                .fold(0u8, |d, (a, b)| d | (a ^ b))
                == 0;
        if !ok {
            let n = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            eprintln!("festival: console: a request without the right token refused ({n} so far)");
        }
        ok
    }
}

type Shared = Arc<Console>;

async fn room(
    State(c): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<Json<serde_json::Value>, StatusCode> {
    if !c.allowed(&headers, &q) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let mut v = c.room.borrow().clone();
    v["console_refused"] = c.refused.load(Ordering::Relaxed).into();
    Ok(Json(v))
}

/// The console's page: no data until the browser gives the token.
async fn page() -> axum::response::Html<&'static str> {
    axum::response::Html(include_str!("console.html"))
}

/// The room as server-sent events: the snapshot at once, then each change.
async fn events(
    State(c): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<
    Sse<impl futures_core::Stream<Item = Result<SseEvent, std::convert::Infallible>>>,
    StatusCode,
> {
    if !c.allowed(&headers, &q) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let stream = tokio_stream::wrappers::WatchStream::new(c.room.clone())
        .map(|room| Ok(SseEvent::default().event("room").data(room.to_string())));
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn command(
    State(c): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    body: axum::body::Bytes,
) -> (StatusCode, String) {
    if !c.allowed(&headers, &q) {
        return (
            StatusCode::UNAUTHORIZED,
            "the console's token is needed\n".into(),
        );
    }
    let cmd: ConsoleCommand = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("line {}, column {}: {e}; send {{\"seat\": \"NAME\" or null, \"command\": {{\"do\": \"reset\"}}}}\n", e.line(), e.column()),
            )
        }
    };
    let seat = match cmd.seat.as_deref().map(SeatName::new).transpose() {
        Ok(s) => s,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("seat: {e}\n")),
    };
    match c.commands.try_send((seat, cmd.command)) {
        Ok(()) => (StatusCode::ACCEPTED, "sent\n".into()),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many commands at once; try again in a moment\n".into(),
        ),
    }
}

/// `DIR/record.jsonl`: each screening the room records, appended as one line (and synced)
/// the moment it is recorded; never rewritten.
struct Record {
    path: std::path::PathBuf,
    file: std::fs::File,
    /// Screenings of `Room::record` written so far.
    written: usize,
}

impl Record {
    /// Opens the record for appending, and reads back what a previous run of the operator
    /// wrote into `room` ([`Room::remember`]), so a screening it recorded is not recorded again
    /// when its seat's retained status says how it went. A line that cannot be read is named
    /// and skipped.
    fn open(path: &std::path::Path, room: &mut Room) -> Result<Self> {
        if let Ok(text) = std::fs::read_to_string(path) {
            for (i, line) in text.lines().enumerate() {
                let v: serde_json::Value = match serde_json::from_str(line) {
                    Ok(v) => v,
                    Err(e) => {
                        eprintln!("festival: {}:{}: {e}; line skipped", path.display(), i + 1);
                        continue;
                    }
                };
                if let (Some(seat), Some(boot), Some(number)) =
                    (v["seat"].as_str(), v["boot"].as_u64(), v["number"].as_u64())
                {
                    room.remember(seat, boot, number);
                }
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open the record", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            written: 0,
        })
    }

    /// Appends the screenings the room recorded since the last call.
    fn append(&mut self, room: &Room) -> Result<()> {
        for s in &room.record[self.written..] {
            let line = serde_json::to_string(s)? + "\n";
            self.file
                .write_all(line.as_bytes())
                .and_then(|()| self.file.sync_data())
                .with_context(|| format!("{}: cannot append", self.path.display()))?;
            self.written += 1;
        }
        Ok(())
    }
}

/// Starts the console on `addr` on its own thread; returns where it listens.
fn start_console(addr: SocketAddr, console: Console) -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr).with_context(|| {
        format!("--http {addr}: cannot listen there; pick another with --http HOST:PORT")
    })?;
    let bound = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let app = Router::new()
        .route("/", get(page))
        .route("/api/room", get(room))
        .route("/api/events", get(events))
        .route("/api/command", post(command))
        .with_state(Arc::new(console));
    std::thread::Builder::new()
        .name("festival-console".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return eprintln!("festival: console: cannot start: {e}"),
            };
            rt.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => {
                        if let Err(e) = axum::serve(l, app).await {
                            eprintln!("festival: console stopped: {e}");
                        }
                    }
                    Err(e) => eprintln!("festival: console: {e}"),
                }
            });
        })?;
    Ok(bound)
}

/// Runs the operator until killed (or `seconds`).
pub fn serve(args: ServeArgs) -> Result<()> {
    let (pairings, secrets, made) = Pairings::open(&args.dir).map_err(|e| anyhow!(e))?;
    let secrets_file = args.dir.join("operator.json");
    if made {
        println!(
            "festival: made the operator's secrets in {} (only you can read it)",
            secrets_file.display()
        );
        println!(
            "festival: the console's token (shown once; it is in that file): {}",
            secrets.console_token
        );
    }
    let broker = match &args.broker {
        Some(b) => b.clone(),
        None => {
            let b = EmbeddedBroker::start(args.mqtt, pairings.clone(), secrets.password.clone())?;
            let host = if b.addr.ip().is_unspecified() {
                "127.0.0.1".to_owned()
            } else {
                b.addr.ip().to_string()
            };
            println!("festival: broker listening on mqtt://{} (MQTT 5)", b.addr);
            BrokerAddr::tcp(host, b.addr.port())
        }
    };
    let p = pairings.clone();
    let keyring: Keyring = Arc::new(move |s: &Sender| match s {
        Sender::Seat(name) => p.seat(name).ok().flatten().map(|(k, _)| k),
        Sender::Operator => None,
    });
    let mut link = Link::start(LinkConfig {
        broker: broker.clone(),
        me: Sender::Operator,
        client_id: "operator".into(),
        key: secrets.key.clone(),
        password: secrets.password.clone(),
        subscribe: ["status", "ack", "sample", "vote"]
            .into_iter()
            .map(Topic::every_seat)
            .collect(),
        will: None,
        keyring,
        keep_alive: Duration::from_secs(5),
        ca: args.ca.clone(),
    })
    .context("cannot start the operator's link")?;
    let (snapshot_tx, snapshot_rx) = watch::channel(serde_json::json!({"seats": []}));
    let (cmd_tx, mut cmd_rx) = mpsc::channel(64);
    let http = start_console(
        args.http,
        Console {
            token: secrets.console_token.clone(),
            room: snapshot_rx,
            commands: cmd_tx,
            refused: AtomicU64::new(0),
        },
    )?;
    println!(
        "festival: console on http://{http}/ (the token is in {})",
        secrets_file.display()
    );
    let mut osc = match args.osc {
        Some(to) => {
            println!("festival: show control (OSC) to {to}");
            Some(ShowControl::new(to).with_context(|| format!("--osc {to}: cannot send there"))?)
        }
        None => None,
    };
    let mut host = args.shared.as_ref().map(|s| {
        println!(
            "festival: hosting a shared film of {}: Start begins it, and each seat started joins it",
            s.story.path
        );
        SharedHost::new(s.story.clone(), s.config.clone(), s.seed)
    });
    let mut last_cue = None;
    let mut room = Room::default();
    let mut record = Record::open(&args.dir.join("record.jsonl"), &mut room)?;
    let start = Instant::now();
    let mut last_alarms = Instant::now();
    let mut changed = true;
    loop {
        if args
            .seconds
            .is_some_and(|s| start.elapsed().as_secs_f64() > s)
        {
            break;
        }
        // A film plays: step it at least every 20 ms (its ticks are 100 ms apart).
        let wait = if host.as_ref().is_some_and(|h| h.film().is_some()) {
            20
        } else {
            100
        };
        let mut events: Vec<_> = link.wait(Duration::from_millis(wait)).into_iter().collect();
        events.extend(link.drain());
        let now = now_ms();
        for e in &events {
            if let (
                Some(h),
                Event::Message {
                    message:
                        Message {
                            from: Sender::Seat(name),
                            body,
                            ..
                        },
                    kept: false,
                },
            ) = (&mut host, e)
            {
                match body {
                    Body::Sample(s) => h.sample(name, *s, now),
                    Body::Vote(v) => {
                        if let Err(why) = h.vote(name, *v) {
                            println!("festival: {name}'s vote not counted: {why}");
                        }
                    }
                    _ => {}
                }
            }
            if let (
                Some(osc),
                Event::Message {
                    message:
                        Message {
                            from: Sender::Seat(name),
                            body: Body::Status(now_status),
                            ..
                        },
                    ..
                },
            ) = (&mut osc, e)
            {
                let before = room
                    .seats
                    .get(name.as_str())
                    .and_then(|s| s.status.as_ref());
                osc.status(name.as_str(), before, now_status);
            }
            for line in room.take(e, now) {
                println!("festival: {line}");
            }
            changed = true;
        }
        if last_alarms.elapsed() > Duration::from_millis(500) {
            last_alarms = Instant::now();
            for line in room.alarms(now) {
                println!("festival: {line}");
            }
            changed = true;
        }
        while let Ok((seat, cmd)) = cmd_rx.try_recv() {
            let cmd = match &mut host {
                Some(h) => match host_command(h, seat.is_none(), cmd, now_ms()) {
                    Ok((cmd, ended)) => {
                        if let Some(cue) = ended {
                            publish_cue(&mut link, &mut osc, &mut last_cue, cue);
                        }
                        cmd
                    }
                    Err(e) => {
                        println!("festival: the shared film cannot start: {e:#}");
                        continue;
                    }
                },
                None => cmd,
            };
            let topic = seat.clone().map_or(Topic::AllCommand, Topic::Command);
            let seq = link.next_seq();
            let what = serde_json::to_value(&cmd)
                .ok()
                .and_then(|v| v["do"].as_str().map(str::to_owned))
                .unwrap_or_default();
            room.sent(seq, seat.as_ref().map(SeatName::as_str), &what, now_ms());
            let sent = link.publish(topic, Body::Command(cmd.clone()));
            changed = true;
            println!(
                "festival: command {seq} {cmd:?} to {}{}",
                seat.map_or("every seat".to_owned(), |s| s.to_string()),
                if sent {
                    ""
                } else {
                    " dropped: the broker is away"
                }
            );
        }
        if let Some(h) = &mut host {
            let stepped = h.step(now_ms())?;
            for line in &stepped.said {
                println!("festival: {line}");
            }
            if let Some(cue) = stepped.cue {
                publish_cue(&mut link, &mut osc, &mut last_cue, cue);
                changed = true;
            }
        }
        record.append(&room)?;
        if changed {
            changed = false;
            let mut snap = snapshot(&room, &link);
            if let Some(h) = &host {
                snap["shared"] = h.snapshot(now_ms());
            }
            let _ = snapshot_tx.send(snap);
        }
    }
    Ok(())
}

/// A command while the operator hosts the shared film: `start` starts the film (unless it
/// plays) and becomes `join`; pause, resume and reset for every seat hold, resume and end the
/// film too (the film's last cue, when it ends, comes back to publish).
fn host_command(
    h: &mut SharedHost,
    every_seat: bool,
    cmd: Command,
    now: u64,
) -> Result<(Command, Option<showrunner_festival::SharedCue>)> {
    let mut ended = None;
    let cmd = match cmd {
        Command::Start { .. } => Command::Join {
            film: h.start(now)?,
        },
        Command::Pause if every_seat => {
            h.pause(now);
            cmd
        }
        Command::Resume if every_seat => {
            h.resume(now);
            cmd
        }
        Command::Reset if every_seat => {
            let stepped = h.reset();
            for line in &stepped.said {
                println!("festival: {line}");
            }
            ended = stepped.cue;
            cmd
        }
        other => other,
    };
    Ok((cmd, ended))
}

/// Publishes the shared film's cue (retained) and sends what changed to the desks.
fn publish_cue(
    link: &mut Link,
    osc: &mut Option<ShowControl>,
    last: &mut Option<showrunner_festival::SharedCue>,
    cue: showrunner_festival::SharedCue,
) {
    if let Some(osc) = osc {
        osc.shared(last.as_ref(), &cue);
    }
    if !link.publish(Topic::SharedCue, Body::Cue(cue.clone())) {
        eprintln!(
            "festival: the shared film's cue (beat {}) could not be sent: the broker is away; the seats hold the beat and catch up with the next",
            cue.beat
        );
    }
    *last = Some(cue);
}

/// The room as the console's API and page have it.
fn snapshot(room: &Room, link: &Link) -> serde_json::Value {
    let seats: Vec<_> = room.seats.values().collect();
    let stats = link.stats();
    serde_json::json!({
        "seats": seats,
        "screenings": room.record.len(),
        "commands": room.sent,
        "refused": room.refused,
        "broker_lost": room.broker_lost.as_ref().map(|(why, since_ms)| {
            serde_json::json!({"why": why, "since_ms": since_ms})
        }),
        "link": {
            "refused": stats.refused.load(Ordering::Relaxed),
            "dropped_out": stats.dropped_out.load(Ordering::Relaxed),
            "dropped_in": stats.dropped_in.load(Ordering::Relaxed),
            "connections": stats.connections.load(Ordering::Relaxed),
        },
    })
}
