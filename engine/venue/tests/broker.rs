//! The embedded broker and the link on loopback: paired seats and the operator talk MQTT 5
//! through rumqttd; the broker keeps out the unpaired; every receiver refuses what its sender
//! did not sign; a vanished seat's last will tells the operator at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use showrunner_festival::link::{BrokerAddr, Event, Keyring, Link, LinkConfig};
use showrunner_festival::pairing::{OperatorSecrets, Pairings, SeatPairing};
use showrunner_festival::{
    Ack, Body, Command, Message, SeatName, SeatState, SeatStatus, Sender, Topic,
};
use showrunner_venue::broker::EmbeddedBroker;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Venue {
    _dir: tempfile::TempDir,
    pairings: Pairings,
    op: OperatorSecrets,
    addr: BrokerAddr,
}

fn venue() -> Venue {
    let dir = tempfile::tempdir().unwrap();
    let (pairings, op, _) = Pairings::open(dir.path()).unwrap();
    let port = free_port();
    EmbeddedBroker::start(
        format!("127.0.0.1:{port}").parse().unwrap(),
        pairings.clone(),
        op.password.clone(),
    )
    .unwrap();
    Venue {
        _dir: dir,
        pairings,
        op,
        addr: BrokerAddr::tcp("127.0.0.1", port),
    }
}

fn status(state: SeatState) -> SeatStatus {
    SeatStatus::idle(state)
}

fn operator(v: &Venue) -> Link {
    let p = v.pairings.clone();
    let keyring: Keyring = Arc::new(move |s: &Sender| match s {
        Sender::Seat(n) => p.seat(n).ok().flatten().map(|(k, _)| k),
        Sender::Operator => None,
    });
    Link::start(LinkConfig {
        broker: v.addr.clone(),
        me: Sender::Operator,
        client_id: "operator".into(),
        key: v.op.key.clone(),
        password: v.op.password.clone(),
        subscribe: vec![Topic::every_seat("status"), Topic::every_seat("ack")],
        will: None,
        keyring,
        keep_alive: Duration::from_secs(5),
        ca: None,
    })
    .unwrap()
}

fn seat(v: &Venue, p: &SeatPairing) -> Link {
    let op_key = p.operator_key.clone();
    let keyring: Keyring = Arc::new(move |s: &Sender| match s {
        Sender::Operator => Some(op_key.clone()),
        Sender::Seat(_) => None,
    });
    let me = Sender::Seat(p.seat.clone());
    Link::start(LinkConfig {
        broker: v.addr.clone(),
        client_id: showrunner_festival::pairing::user_of(&me),
        me,
        key: p.key.clone(),
        password: p.password.clone(),
        subscribe: vec![
            Topic::Command(p.seat.clone()).path(),
            Topic::AllCommand.path(),
        ],
        will: Some((
            Topic::Status(p.seat.clone()),
            Body::Status(status(SeatState::Offline)),
        )),
        keyring,
        keep_alive: Duration::from_secs(5),
        ca: None,
    })
    .unwrap()
}

/// Waits up to 10 s for an event `want` accepts, returning every event seen meanwhile.
fn until(link: &mut Link, want: impl Fn(&Event) -> bool) -> (bool, Vec<Event>) {
    let end = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while Instant::now() < end {
        if let Some(e) = link.wait(Duration::from_millis(50)) {
            let hit = want(&e);
            seen.push(e);
            if hit {
                return (true, seen);
            }
        }
    }
    (false, seen)
}

fn is_status(e: &Event, name: &str, state: SeatState) -> bool {
    matches!(e, Event::Message { message: Message { from: Sender::Seat(s), body: Body::Status(st), .. }, .. }
        if s.as_str() == name && st.state == state)
}

#[test]
fn seats_and_the_operator_talk_through_the_embedded_broker() {
    let v = venue();
    let s1 = v
        .pairings
        .pair(&SeatName::new("seat-1").unwrap(), &v.op)
        .unwrap();
    let mut op = operator(&v);
    assert!(until(&mut op, |e| *e == Event::Connected).0);
    let mut a = seat(&v, &s1);
    assert!(until(&mut a, |e| *e == Event::Connected).0);

    // The heartbeat reaches the operator, signed and checked.
    assert!(a.publish(
        Topic::Status(s1.seat.clone()),
        Body::Status(status(SeatState::Waiting))
    ));
    assert!(until(&mut op, |e| is_status(e, "seat-1", SeatState::Waiting)).0);

    // A command to every seat arrives, is acked by its seq.
    let seq = op.next_seq();
    op.publish(Topic::AllCommand, Body::Command(Command::Reset));
    let (got, seen) = until(&mut a, |e| {
        matches!(
            e,
            Event::Message {
                message: Message {
                    body: Body::Command(Command::Reset),
                    ..
                },
                ..
            }
        )
    });
    assert!(got, "{seen:?}");
    a.publish(
        Topic::Ack(s1.seat.clone()),
        Body::Ack(Ack {
            seq,
            ok: true,
            error: None,
        }),
    );
    assert!(until(&mut op, |e| matches!(e, Event::Message { message: Message { body: Body::Ack(k), .. }, .. } if k.seq == seq)).0);

    // A late operator reads the retained status at once (kept, not news).
    let mut late = operator(&v);
    let (got, seen) = until(&mut late, |e| {
        matches!(e, Event::Message { kept: true, .. }) && is_status(e, "seat-1", SeatState::Waiting)
    });
    assert!(got, "{seen:?}");
    drop(late);

    // The seat vanishes (no goodbye): its last will says so at once.
    let t = Instant::now();
    drop(a);
    let (got, seen) = until(&mut op, |e| is_status(e, "seat-1", SeatState::Offline));
    assert!(got, "no will: {seen:?}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn the_unpaired_are_kept_out_and_forgeries_refused() {
    let v = venue();
    let s1 = v
        .pairings
        .pair(&SeatName::new("seat-1").unwrap(), &v.op)
        .unwrap();
    let s2 = v
        .pairings
        .pair(&SeatName::new("seat-2").unwrap(), &v.op)
        .unwrap();
    let mut op = operator(&v);
    assert!(until(&mut op, |e| *e == Event::Connected).0);

    // Without the right password the broker refuses the connection.
    let mut stranger = s1.clone();
    stranger.password = "guess".into();
    let mut x = seat(&v, &stranger);
    let (connected, seen) = until(&mut x, |e| {
        matches!(e, Event::Connected | Event::Disconnected(_))
    });
    assert!(connected, "{seen:?}");
    assert!(
        matches!(seen.last(), Some(Event::Disconnected(_))),
        "a wrong password got in: {seen:?}"
    );
    drop(x);

    // seat-2, paired, publishes on seat-1's topic: as itself (the topic is not its own) and
    // as seat-1 (signed with its own key, not seat-1's). Both are refused and counted.
    let mut b = seat(&v, &s2);
    assert!(until(&mut b, |e| *e == Event::Connected).0);
    let mut forged = Message {
        topic: Topic::Status(s1.seat.clone()),
        from: Sender::Seat(s2.seat.clone()),
        seq: 1,
        boot: 1,
        sent_ms: showrunner_festival::link::now_ms(),
        body: Body::Status(status(SeatState::Playing)),
    };
    b.publish_message(&forged);
    let (got, seen) = until(
        &mut op,
        |e| matches!(e, Event::Refused(w) if w.contains("only `seat:seat-1`")),
    );
    assert!(got, "{seen:?}");
    forged.from = Sender::Seat(s1.seat.clone());
    b.publish_message(&forged);
    let (got, seen) = until(
        &mut op,
        |e| matches!(e, Event::Refused(w) if w.contains("does not match")),
    );
    assert!(got, "{seen:?}");
    // And a seat cannot command another: the command is signed with seat-2's key, not the
    // operator's.
    let mut a = seat(&v, &s1);
    assert!(until(&mut a, |e| *e == Event::Connected).0);
    b.publish_message(&Message {
        topic: Topic::Command(s1.seat.clone()),
        from: Sender::Operator,
        seq: 2,
        boot: 1,
        sent_ms: showrunner_festival::link::now_ms(),
        body: Body::Command(Command::Reset),
    });
    let (got, seen) = until(
        &mut a,
        |e| matches!(e, Event::Refused(w) if w.contains("does not match")),
    );
    assert!(got, "{seen:?}");
    assert!(
        op.stats()
            .refused
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    );
    assert!(!seen.iter().any(|e| matches!(e, Event::Message { .. })));
}

/// Mosquitto, configured by `festival mosquitto`: the broker itself keeps a seat off another
/// seat's topic (the message never reaches the operator), and the unpaired out.
#[test]
fn mosquitto_s_acls_keep_each_seat_to_its_own_topics() {
    let dir = tempfile::tempdir().unwrap();
    let (pairings, op, _) = Pairings::open(&dir.path().join("operator")).unwrap();
    let s1 = pairings
        .pair(&SeatName::new("seat-1").unwrap(), &op)
        .unwrap();
    let s2 = pairings
        .pair(&SeatName::new("seat-2").unwrap(), &op)
        .unwrap();
    let port = free_port();
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let conf = showrunner_venue::mosquitto::write_config(
        &pairings,
        &op,
        &dir.path().join("mosquitto"),
        format!("127.0.0.1:{port}").parse().unwrap(),
        None,
        &user,
    )
    .expect("Mosquitto (Debian's mosquitto package; scripts/setup.sh --tests installs it)");
    let mut broker = std::process::Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("mosquitto");
    let v = Venue {
        _dir: dir,
        pairings,
        op,
        addr: BrokerAddr::tcp("127.0.0.1", port),
    };
    let end = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "mosquitto did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut op = operator(&v);
    assert!(until(&mut op, |e| *e == Event::Connected).0);
    let mut b = seat(&v, &s2);
    assert!(until(&mut b, |e| *e == Event::Connected).0);
    // seat-2 on seat-1's topic: Mosquitto drops it; the operator hears nothing of it.
    b.publish_message(&Message {
        topic: Topic::Status(s1.seat.clone()),
        from: Sender::Seat(s1.seat.clone()),
        seq: 1,
        boot: 1,
        sent_ms: showrunner_festival::link::now_ms(),
        body: Body::Status(status(SeatState::Playing)),
    });
    // Its own topic goes through.
    b.publish(
        Topic::Status(s2.seat.clone()),
        Body::Status(status(SeatState::Waiting)),
    );
    let (got, seen) = until(&mut op, |e| is_status(e, "seat-2", SeatState::Waiting));
    assert!(got, "{seen:?}");
    std::thread::sleep(Duration::from_millis(500));
    seen_nothing_of_seat_1(&mut op, seen);
    // A wrong password is refused by Mosquitto too.
    let mut stranger = s1.clone();
    stranger.password = "guess".into();
    let mut x = seat(&v, &stranger);
    let (_, seen) = until(&mut x, |e| {
        matches!(e, Event::Connected | Event::Disconnected(_))
    });
    assert!(
        matches!(seen.last(), Some(Event::Disconnected(_))),
        "{seen:?}"
    );
    let _ = broker.kill();
    let _ = broker.wait();
}

fn seen_nothing_of_seat_1(op: &mut Link, mut seen: Vec<Event>) {
    seen.extend(op.drain());
    assert!(
        !seen.iter().any(|e| match e {
            Event::Message { message, .. } =>
                message.topic == Topic::Status(SeatName::new("seat-1").unwrap()),
            Event::Refused(w) => w.contains("seat-1"),
            _ => false,
        }),
        "seat-2's message on seat-1's topic got through Mosquitto: {seen:?}"
    );
}
