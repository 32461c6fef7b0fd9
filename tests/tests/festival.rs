//! A venue on loopback, end to end with the real binary: `festival pair`, `festival serve`
//! (the embedded broker and the console) and two `play --festival --headless` seats.
//! On the fast clock: the operator starts both; they play the sample to its end and wait again
//! with the viewer's save deleted; a story a seat lacks is refused and shown; a killed seat's
//! last will raises the alarm at once; the console's API refuses a request without its token.
//! In real time, through the console's page in headless Chromium: the seats appear, Start and
//! Reset work, a killed seat is alarmed.
//! The shared film (`serve --shared`, a short fixture story in real time): four seats present
//! each beat on the film's clock, one joining late at the current beat; the room's vote takes
//! the choice; the console's panel shows the vote and the decisions; a seat holds the beat
//! while the venue's Mosquitto is away and catches up when it is back.
//! A venue's hour, unattended (`tests/festival/soak.py --hours 1`, both brokers): eight fast
//! seats screen back to back while seats are killed, the broker restarted and a seat's network
//! cut; every screening is in the record once with its outcome.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use showrunner_tests::{repo, showrunner};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child whose output is collected (and echoed, for a failing test's log); killed on drop.
struct Proc {
    child: Child,
    out: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    fn spawn(args: &[&str], state: &Path) -> Self {
        let mut cmd = Command::new(showrunner());
        cmd.args(args).env("SHOWRUNNER_STATE_DIR", state);
        Self::run(cmd)
    }

    fn run(mut cmd: Command) -> Self {
        let mut child = cmd
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    eprintln!("  | {line}");
                    out.lock().unwrap().push(line);
                }
            });
        }
        Self { child, out }
    }

    fn said(&self, what: &str) -> bool {
        self.out.lock().unwrap().iter().any(|l| l.contains(what))
    }

    fn lines(&self) -> Vec<String> {
        self.out.lock().unwrap().clone()
    }

    /// Waits up to `s` seconds until it has said `what`.
    fn until_said(&self, s: u64, what: &str) {
        let end = Instant::now() + Duration::from_secs(s);
        while !self.said(what) {
            assert!(Instant::now() < end, "never said `{what}` within {s} s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn curl(args: &[&str]) -> (u16, String) {
    let o = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "5"])
        .args(args)
        .output()
        .expect("curl (Debian's curl package)");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

struct Console {
    url: String,
    token: String,
}

impl Console {
    fn room(&self) -> Value {
        let (code, body) = curl(&[
            "-H",
            &format!("Authorization: Bearer {}", self.token),
            &format!("{}/api/room", self.url),
        ]);
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    fn command(&self, seat: Option<&str>, command: Value) {
        let body = serde_json::json!({ "seat": seat, "command": command }).to_string();
        let (code, text) = curl(&[
            "-H",
            &format!("Authorization: Bearer {}", self.token),
            "-H",
            "Content-Type: application/json",
            "--data",
            &body,
            &format!("{}/api/command", self.url),
        ]);
        assert_eq!(code, 202, "{text}");
    }

    /// Waits up to `s` seconds for the room to satisfy `want`.
    fn until(&self, s: u64, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + Duration::from_secs(s);
        loop {
            let room = self.room();
            if want(&room) {
                return room;
            }
            assert!(
                Instant::now() < end,
                "{what}: not within {s} s; the room: {room:#}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn seat<'a>(room: &'a Value, name: &str) -> Option<&'a Value> {
    room["seats"].as_array()?.iter().find(|s| s["name"] == name)
}

fn state_of(room: &Value, name: &str) -> String {
    seat(room, name)
        .and_then(|s| s["status"]["state"].as_str())
        .unwrap_or("")
        .to_owned()
}

fn outcomes(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(dir.join("record.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["seat"].as_str().unwrap().to_owned(),
                v["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A venue on loopback: seats paired, `festival serve` running, its console answering.
struct Venue {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    state: std::path::PathBuf,
    serve: Proc,
    console: Console,
    /// The venue's own Mosquitto (`serve --broker`), with its configuration, if it has one.
    mosquitto: Option<(Proc, std::path::PathBuf)>,
    /// The broker as the seats are given it (`mqtt://…` or `mqtts://…`).
    url: String,
    /// The venue's CA certificate, with a TLS broker.
    ca: Option<std::path::PathBuf>,
}

/// Which broker a test's venue runs.
#[derive(Clone, Copy, PartialEq)]
enum Broker {
    /// `festival serve`'s own.
    Embedded,
    /// A Mosquitto of the test's own (`festival mosquitto`), plain TCP.
    Mosquitto,
    /// The same with TLS: a CA and the broker's certificate made by `openssl`.
    MosquittoTls,
}

/// Two seats, the embedded broker.
fn venue() -> Venue {
    venue_with(&["seat-1", "seat-2"], &[], Broker::Embedded)
}

/// A venue's CA and a broker certificate it signed for 127.0.0.1 and localhost, made in `dir`
/// by Debian's `openssl`: (ca.pem, server.pem, server.key).
fn certificates(dir: &Path) -> [std::path::PathBuf; 3] {
    std::fs::create_dir_all(dir).unwrap();
    let at = |f: &str| dir.join(f);
    let san = at("san.cnf");
    std::fs::write(&san, "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let steps: [Vec<&str>; 3] = [
        [
            &["req", "-x509"][..],
            &ec,
            &["-days", "2", "-subj", "/CN=venue CA", "-keyout"],
        ]
        .concat(),
        [&["req"][..], &ec, &["-subj", "/CN=localhost", "-keyout"]].concat(),
        vec!["x509", "-req", "-days", "2", "-CAcreateserial", "-in"],
    ];
    let files = [
        vec![at("ca.key"), at("ca.pem")],
        vec![at("server.key"), at("server.csr")],
        vec![at("server.csr"), at("server.pem")],
    ];
    for (i, (step, f)) in steps.iter().zip(&files).enumerate() {
        let mut cmd = Command::new("openssl");
        cmd.args(step).arg(&f[0]).arg("-out").arg(&f[1]);
        if i == 2 {
            cmd.arg("-CA")
                .arg(at("ca.pem"))
                .arg("-CAkey")
                .arg(at("ca.key"));
            cmd.arg("-extfile").arg(&san);
        }
        let o = cmd.output().expect("openssl (Debian's openssl package)");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    [at("ca.pem"), at("server.pem"), at("server.key")]
}

fn mosquitto(conf: &Path) -> Proc {
    let mut cmd = Command::new("mosquitto");
    cmd.arg("-c").arg(conf);
    Proc::run(cmd)
}

/// `seats` paired; `festival serve` with `serve_args` more, on the embedded broker or on a
/// Mosquitto of the test's own.
fn venue_with(seats: &[&str], serve_args: &[&str], broker_kind: Broker) -> Venue {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("operator");
    let state = tmp.path().join("state");
    for s in seats {
        let o = Command::new(showrunner())
            .args([
                "festival",
                "pair",
                "--seat",
                s,
                "--dir",
                dir.to_str().unwrap(),
            ])
            .current_dir(repo())
            .env("SHOWRUNNER_STATE_DIR", &state)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let secrets: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("operator.json")).unwrap()).unwrap();
    let (mqtt, http) = (free_port(), free_port());
    let broker = format!("127.0.0.1:{mqtt}");
    let http_at = format!("127.0.0.1:{http}");
    let mut args = vec!["festival", "serve", "--dir", dir.to_str().unwrap()];
    let mut own = None;
    let tls = broker_kind == Broker::MosquittoTls;
    let url = format!("{}://{broker}", if tls { "mqtts" } else { "mqtt" });
    let ca = tls.then(|| certificates(&tmp.path().join("tls")));
    let ca_arg = ca.as_ref().map(|c| c[0].to_str().unwrap().to_owned());
    if broker_kind != Broker::Embedded {
        let out = tmp.path().join("mosquitto");
        let mut cmd = Command::new(showrunner());
        cmd.args(["festival", "mosquitto", "--dir", dir.to_str().unwrap()])
            .arg("--out")
            .arg(&out)
            .args(["--listen", &broker]);
        if let Some([_, cert, key]) = &ca {
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        let o = cmd.current_dir(repo()).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let conf = out.join("mosquitto.conf");
        own = Some((mosquitto(&conf), conf));
        args.extend(["--broker", &url]);
        if let Some(ca) = &ca_arg {
            args.extend(["--ca", ca]);
        }
    } else {
        args.extend(["--mqtt", &broker]);
    }
    args.extend(["--http", &http_at]);
    args.extend(serve_args);
    let serve = Proc::spawn(&args, &state);
    let console = Console {
        url: format!("http://127.0.0.1:{http}"),
        token: secrets["console_token"].as_str().unwrap().to_owned(),
    };
    let end = Instant::now() + Duration::from_secs(20);
    while curl(&[&format!("{}/api/room", console.url)]).0 == 0 {
        assert!(Instant::now() < end, "the console never answered");
        std::thread::sleep(Duration::from_millis(100));
    }
    Venue {
        _tmp: tmp,
        dir,
        state,
        serve,
        console,
        mosquitto: own,
        url,
        ca: ca.map(|[ca, _, _]| ca),
    }
}

impl Venue {
    /// A headless seat (`fast`: on the simulated clock).
    fn seat(&self, name: &str, fast: bool) -> Proc {
        self.seat_with(name, if fast { &["--fast"] } else { &[] })
    }

    /// A headless real-time seat, with `more` arguments.
    fn seat_with(&self, name: &str, more: &[&str]) -> Proc {
        let broker = self.url.clone();
        let ca = self.ca.as_ref().map(|c| c.to_str().unwrap().to_owned());
        let pairing = self.dir.join(format!("{name}.pairing.json"));
        let mut args = vec![
            "play",
            "--festival",
            &broker,
            "--seat",
            name,
            "--pairing",
            pairing.to_str().unwrap(),
            "--headless",
            "--consent",
            "given",
        ];
        if let Some(ca) = &ca {
            args.extend(["--ca", ca]);
        }
        args.extend(more);
        Proc::spawn(&args, &self.state)
    }
}

#[test]
fn a_venue_runs_screenings_resets_and_sees_a_seat_vanish() {
    let v = venue();
    let (console, dir, state) = (&v.console, &v.dir, &v.state);
    // Without the token: refused, and counted.
    assert_eq!(curl(&[&format!("{}/api/room", console.url)]).0, 401);
    assert_eq!(
        curl(&[&format!("{}/api/room?token=wrong", console.url)]).0,
        401
    );
    assert!(console.room()["console_refused"].as_u64().unwrap() >= 2);

    let _s1 = v.seat("seat-1", true);
    let mut s2 = v.seat("seat-2", true);
    console.until(30, "both seats waiting", |r| {
        state_of(r, "seat-1") == "waiting" && state_of(r, "seat-2") == "waiting"
    });

    // Start every seat: both play the sample to its end and wait again.
    console.command(None, serde_json::json!({"do": "start", "story": null}));
    console.until(120, "two screenings ended", |_| {
        outcomes(dir).iter().filter(|(_, o)| o == "ended").count() == 2
    });
    let room = console.until(10, "both seats waiting again", |r| {
        state_of(r, "seat-1") == "waiting" && state_of(r, "seat-2") == "waiting"
    });
    assert!(
        seat(&room, "seat-1").unwrap()["sparkline"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );
    // The viewer's data is gone: no progress save is left.
    assert_no_saves(state, "");

    // A story the seat lacks: refused, and the console shows why.
    console.command(
        Some("seat-1"),
        serde_json::json!({"do": "start", "story": "nowhere.ink"}),
    );
    console.until(10, "seat-1's error shown", |r| {
        seat(r, "seat-1").unwrap()["alarms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| {
                a["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("no story `nowhere.ink`"))
            })
    });

    // seat-2 is killed: its last will makes it silent on the console at once.
    s2.child.kill().unwrap();
    let t = Instant::now();
    console.until(10, "seat-2 offline", |r| {
        seat(r, "seat-2").unwrap()["alarms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["alarm"] == "silent")
    });
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(v.serve.said("seat-2: waiting → offline"));
    drop(s2);
}

/// No progress save is left under `state` in a path containing `within`. A seat deletes the
/// viewer's save off its frame thread once the log's last lines are written, so it may say it
/// waits a moment before the save is gone: this waits up to 10 s for it.
fn assert_no_saves(state: &Path, within: &str) {
    let saves = || -> Vec<_> {
        walk(state)
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(within))
            .filter(|p| p.to_string_lossy().ends_with(".save.json"))
            .collect()
    };
    let t = Instant::now();
    while !saves().is_empty() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(saves().is_empty(), "left behind: {:?}", saves());
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_console_shows_the_seats_resets_one_and_alarms_a_killed_one() {
    let node_modules = repo().join("tests/console/node_modules");
    assert!(
        node_modules.join("playwright-core").is_dir(),
        "{} is missing: run `npm ci --prefix tests/console` (scripts/setup.sh --tests does)",
        node_modules.display()
    );
    let v = venue();
    let s1 = v.seat("seat-1", false);
    let mut s2 = v.seat("seat-2", false);
    let mut node = Command::new("node")
        .arg(repo().join("tests/console/console.js"))
        .args([&v.console.url, &v.console.token])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node (Debian's nodejs)");
    let mut stdin = node.stdin.take();
    for line in BufReader::new(node.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        eprintln!("  console.js | {line}");
        if line == "KILL seat-2" {
            s2.child.kill().unwrap();
            use std::io::Write;
            // Said, and closed: node waits for nothing more.
            if let Some(mut pipe) = stdin.take() {
                writeln!(pipe, "killed").unwrap();
            }
        }
    }
    let status = node.wait().unwrap();
    assert!(
        status.success(),
        "the console test failed (its output is above)"
    );
    // The reset screening is in the record, and the seat deleted the viewer's data.
    assert!(outcomes(&v.dir).contains(&("seat-1".into(), "reset".into())));
    assert_no_saves(&v.state, "seat-seat-1");
    s1.until_said(10, "reset; the viewer's data deleted");
}

fn alarmed(room: &Value, name: &str, alarm: &str) -> bool {
    seat(room, name).is_some_and(|s| {
        s["alarms"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["alarm"] == alarm))
    })
}

#[test]
fn a_command_flood_is_turned_away_in_part_and_the_room_goes_on() {
    let v = venue();
    let console = &v.console;
    let _s1 = v.seat("seat-1", false);
    console.until(30, "seat-1 waiting", |r| state_of(r, "seat-1") == "waiting");
    console.command(
        Some("seat-1"),
        serde_json::json!({"do": "start", "story": null}),
    );
    console.until(10, "seat-1 playing", |r| state_of(r, "seat-1") == "playing");
    // 400 pauses and resumes, 64 at a time in parallel.
    let url = format!("{}/api/command", console.url);
    let mut args = vec![
        "-s".to_owned(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}\n".into(),
        "-Z".into(),
        "--parallel-max".into(),
        "64".into(),
        "-H".into(),
        format!("Authorization: Bearer {}", console.token),
        "-H".into(),
        "Content-Type: application/json".into(),
        "--data".into(),
        r#"{"seat":"seat-1","command":{"do":"pause"}}"#.into(),
    ];
    args.extend(std::iter::repeat_n(url, 400));
    let o = Command::new("curl").args(&args).output().expect("curl");
    let codes = String::from_utf8_lossy(&o.stdout).into_owned();
    let taken = codes.lines().filter(|c| *c == "202").count();
    let turned = codes.lines().filter(|c| *c == "503").count();
    assert_eq!(taken + turned, 400, "only 202 and 503: {codes}");
    assert!(taken > 0, "{codes}");
    eprintln!("flood: {taken} taken, {turned} turned away (503: try again)");
    // The seat answered what reached it (all but the first refused: it is already paused),
    // and the room still commands it.
    console.until(20, "seat-1 paused", |r| state_of(r, "seat-1") == "paused");
    console.command(Some("seat-1"), serde_json::json!({"do": "reset"}));
    console.until(10, "seat-1 reset", |r| state_of(r, "seat-1") == "waiting");
    assert!(v.serve.said("refused command"), "the refusals are logged");
    assert!(
        outcomes(&v.dir).contains(&("seat-1".to_owned(), "reset".to_owned())),
        "{:?}",
        outcomes(&v.dir)
    );
}

#[test]
fn two_headsets_under_one_name_are_alarmed() {
    let v = venue();
    let _a = v.seat("seat-2", false);
    v.console
        .until(30, "seat-2 waiting", |r| state_of(r, "seat-2") == "waiting");
    // A second headset given the same pairing: the broker takes each connection from the
    // other in turn, and the operator sees two runs alternate under one name.
    let _b = v.seat("seat-2", false);
    v.console.until(30, "the alarm", |r| {
        alarmed(r, "seat-2", "two_seats_one_name")
    });
}

/// The soak test's short version (the 12-hour day is the same script with `--hours 12`).
fn soak(broker: &str) {
    let out = Command::new("python3")
        .arg(repo().join("tests/festival/soak.py"))
        .args(["--hours", "1", "--seats", "8", "--broker", broker, "--bin"])
        .arg(showrunner())
        .current_dir(repo())
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    println!("{stdout}");
    assert!(out.status.success(), "the soak failed:\n{stderr}");
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    // Eight seats, an hour of film each: the sample is a few minutes long.
    assert!(report["film_hours"].as_f64().unwrap() >= 8.0, "{report}");
    assert_eq!(report["broker_restarts"], 2, "{report}");
    assert_eq!(report["kills"], 3, "{report}");
}

#[test]
fn a_venue_s_hour_with_kills_broker_restarts_and_a_cut_on_the_embedded_broker() {
    soak("embedded");
}

#[test]
fn a_venue_s_hour_with_kills_broker_restarts_and_a_cut_on_mosquitto() {
    soak("mosquitto");
}

/// The shared-film fixture: eleven short beats and one choice, about 25 s in real time.
const SHARED: &str = "tests/fixtures/stories/shared.ink";

/// A seat's presented beats of the shared film: (beat, when in ms, staged from the film so far).
fn shared_beats(p: &Proc) -> Vec<(u64, u64, bool)> {
    p.lines()
        .iter()
        .filter_map(|l| {
            let rest = l.split_once("shared film ")?.1;
            let (_, rest) = rest.split_once(" beat ")?;
            let (beat, rest) = rest.split_once(" at ")?;
            let (ms, _) = rest.split_once(" ms ")?;
            Some((
                beat.parse().ok()?,
                ms.parse().ok()?,
                l.contains("staged from the film so far"),
            ))
        })
        .collect()
}

#[test]
fn a_shared_film_plays_in_step_a_late_seat_catches_up_and_the_room_votes() {
    let names = ["seat-1", "seat-2", "seat-3", "seat-4"];
    let v = venue_with(&names, &["--shared", "--story", SHARED], Broker::Embedded);
    let console = &v.console;
    // Simulated viewers vote option `seed` mod 2: three for "Call the boat back", one not.
    let seats: Vec<Proc> = names
        .iter()
        .zip(["1", "1", "2", "3"])
        .map(|(n, seed)| v.seat_with(n, &["--seed", seed]))
        .collect();
    console.until(30, "every seat waiting", |r| {
        names.iter().all(|n| state_of(r, n) == "waiting")
    });
    // The console's page follows the film in headless Chromium meanwhile.
    let page = Command::new("node")
        .arg(repo().join("tests/console/shared.js"))
        .args([&console.url, &console.token])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (Debian's nodejs)");
    for n in &names[..3] {
        console.command(Some(n), serde_json::json!({"do": "start", "story": null}));
    }
    // The fourth seat's viewer sits down late: it joins at the current beat.
    console.until(20, "the shared film at its third beat", |r| {
        r["shared"]["cue"]["beat"].as_u64().unwrap_or(0) >= 3
    });
    console.command(
        Some("seat-4"),
        serde_json::json!({"do": "start", "story": null}),
    );
    for s in &seats {
        s.until_said(60, "the film ended after 11 beats");
    }
    let beats: Vec<_> = seats.iter().map(shared_beats).collect();
    let numbers = |b: &[(u64, u64, bool)]| b.iter().map(|x| x.0).collect::<Vec<_>>();
    for b in &beats[..3] {
        assert_eq!(numbers(b), (1..=11).collect::<Vec<_>>(), "{b:?}");
    }
    let late = &beats[3];
    assert!(
        late[0].0 >= 3 && late[0].2,
        "joined at the current beat: {late:?}"
    );
    assert_eq!(late.last().unwrap().0, 11);
    // How far apart the seats presented each beat (the benchmark measures it with 32).
    let spread: Vec<u64> = (1..=11)
        .map(|n| {
            let at: Vec<u64> = beats
                .iter()
                .filter_map(|b| b.iter().find(|x| x.0 == n && !x.2).map(|x| x.1))
                .collect();
            at.iter().max().unwrap() - at.iter().min().unwrap()
        })
        .collect();
    eprintln!("spread of each beat across the seats, ms: {spread:?}");
    // The room voted; the director took the room's choice, and every seat played it.
    let room = console.room();
    let decisions = room["shared"]["decisions"].to_string();
    assert!(
        decisions.contains(r#"the room chose \"Call the boat back\""#),
        "{decisions}"
    );
    for s in &seats {
        assert!(s.said(r#"the shared film took "Call the boat back" by vote"#));
    }
    assert!(v.serve.said("shared film 1 ended after 11 beats"));
    let page = page.wait_with_output().unwrap();
    eprintln!(
        "{}{}",
        String::from_utf8_lossy(&page.stdout),
        String::from_utf8_lossy(&page.stderr)
    );
    assert!(
        page.status.success(),
        "the console's shared-film panel (above)"
    );
    let ended = outcomes(&v.dir)
        .iter()
        .filter(|(_, o)| o == "ended")
        .count();
    assert_eq!(ended, 4, "{:?}", outcomes(&v.dir));
}

#[test]
fn a_seat_holds_the_shared_film_s_beat_while_the_broker_is_away_then_catches_up() {
    let v = venue_with(
        &["seat-1", "seat-2"],
        &["--shared", "--story", SHARED],
        Broker::Mosquitto,
    );
    let mut v = v;
    let seats = [v.seat("seat-1", false), v.seat("seat-2", false)];
    v.console.until(30, "both seats waiting", |r| {
        state_of(r, "seat-1") == "waiting" && state_of(r, "seat-2") == "waiting"
    });
    v.console
        .command(None, serde_json::json!({"do": "start", "story": null}));
    seats[0].until_said(20, "shared film 1 beat 2 ");
    // The venue's broker goes away for five seconds.
    let (broker, conf) = v.mosquitto.take().unwrap();
    drop(broker);
    for s in &seats {
        s.until_said(10, "holding beat");
    }
    std::thread::sleep(Duration::from_secs(2));
    let _broker = mosquitto(&conf);
    for s in &seats {
        s.until_said(20, "the shared film's host speaks again");
        s.until_said(60, "the film ended after 11 beats");
        let beats = shared_beats(s);
        let held = beats.windows(2).find(|w| w[1].0 > w[0].0 + 1);
        assert!(
            held.is_some_and(|w| w[1].2),
            "beats were skipped while the broker was away, and the seat staged the film so far: {beats:?}"
        );
        assert_eq!(beats.last().unwrap().0, 11);
    }
    assert!(v.serve.said("shared film 1 ended after 11 beats"));
}

#[test]
fn seats_and_the_operator_reach_a_tls_broker_and_a_seat_that_cannot_check_it_is_kept_out() {
    let v = venue_with(&["seat-1", "seat-2"], &[], Broker::MosquittoTls);
    assert!(v.url.starts_with("mqtts://"));
    let console = &v.console;
    let _s1 = v.seat("seat-1", true);
    console.until(30, "seat-1 waiting over TLS", |r| {
        state_of(r, "seat-1") == "waiting"
    });
    console.command(
        Some("seat-1"),
        serde_json::json!({"do": "start", "story": null}),
    );
    console.until(20, "seat-1's screening over TLS", |r| {
        seat(r, "seat-1").is_some_and(|s| s["status"]["screening"] == 1)
    });
    // Without the venue's CA the broker's certificate cannot be checked: the seat stays out,
    // and says why.
    let pairing = v.dir.join("seat-2.pairing.json");
    // seat-2, given the broker as `url` and no CA.
    let seat_2 = |url: &str| {
        Proc::spawn(
            &[
                "play",
                "--festival",
                url,
                "--seat",
                "seat-2",
                "--pairing",
                pairing.to_str().unwrap(),
                "--headless",
                "--seconds",
                "20",
            ],
            &v.state,
        )
    };
    let out = seat_2(&v.url);
    out.until_said(15, "give the venue's CA certificate with --ca FILE");
    // Nor does a plain connection to the TLS listener get in.
    let plain = seat_2(&v.url.replace("mqtts://", "mqtt://"));
    std::thread::sleep(Duration::from_secs(3));
    assert!(!plain.said("connected to the broker"));
    assert!(
        seat(&console.room(), "seat-2").is_none(),
        "seat-2 never reported"
    );
}

#[test]
fn a_seat_in_a_window_plays_the_operator_s_screening_and_waits_again() {
    let (_x, display) = showrunner_tests::xvfb();
    let v = venue_with(&["seat-1"], &[], Broker::Embedded);
    let console = &v.console;
    let pairing = v.dir.join("seat-1.pairing.json");
    let mut cmd = Command::new(showrunner());
    cmd.args([
        "play",
        "--festival",
        &v.url,
        "--seat",
        "seat-1",
        "--pairing",
    ])
    .arg(&pairing)
    .args(["--desktop", "--consent", "given", "--size", "320x180"])
    .args(["--refine", "off"])
    .env("DISPLAY", &display)
    .env_remove("WAYLAND_DISPLAY")
    .env("SHOWRUNNER_STATE_DIR", &v.state);
    let window = Proc::run(cmd);
    console.until(90, "the window's seat waiting", |r| {
        state_of(r, "seat-1") == "waiting"
    });
    window.until_said(30, "presenting 320x180");
    console.command(
        Some("seat-1"),
        serde_json::json!({"do": "start", "story": null}),
    );
    // The window plays the film: its frames are timed in the seat's status.
    console.until(60, "the window's seat playing, its frames timed", |r| {
        seat(r, "seat-1").is_some_and(|s| {
            s["status"]["state"] == "playing" && s["status"]["frame"]["p50_ms"].as_f64() > Some(0.0)
        })
    });
    console.command(Some("seat-1"), serde_json::json!({"do": "reset"}));
    console.until(30, "the window's seat waiting again", |r| {
        state_of(r, "seat-1") == "waiting"
    });
    assert!(window.said("reset; the viewer's data deleted"));
    assert!(outcomes(&v.dir).contains(&("seat-1".to_owned(), "reset".to_owned())));
}
