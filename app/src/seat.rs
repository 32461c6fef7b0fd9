//! `play --festival`: a seat in a venue. It registers with the operator (its status, retained,
//! every second and at once on a change; its last will says `offline`), waits for start,
//! plays, and at the end or on reset deletes the viewer's data and waits for the next viewer.
//!
//! The MQTT link lives on its own thread ([`showrunner_festival::link`]); this loop only hands
//! it messages and takes what arrived, never waiting on it while a film plays. Built here: the
//! headless seat (`--headless`, a real-time show with no window, and `--fast`, the same on a
//! simulated clock for soak tests). The window's and the headset's seats are not built yet.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use showrunner_director::DirectorConfig;
use showrunner_festival::link::{BrokerAddr, Event, Keyring, Link, LinkConfig};
use showrunner_festival::pairing::SeatPairing;
use showrunner_festival::{
    Ack, Body, Command, FilmState, FrameTiming, Message, Outcome, SeatState, SeatStatus, Sender,
    StrapState, Topic,
};
use showrunner_show::consent::Consent;
use showrunner_show::Show;
use showrunner_story::CompiledStory;

use crate::heart::{ConsentArg, HeartSpec, Viewer};
use crate::session::{Session, SessionArgs};

/// The display rate a headless seat keeps (and budgets its frames against).
const RATE_HZ: f64 = 90.0;
/// On the fast clock, the show time each step advances (a frame at 30 Hz).
const FAST_DT: f64 = 1.0 / 30.0;
/// On the fast clock, steps between looks at the link (one show second).
const FAST_BATCH: usize = 30;

/// What `play --festival` is asked.
pub struct SeatArgs {
    /// The broker.
    pub broker: BrokerAddr,
    /// The seat's pairing (its name and keys).
    pub pairing: SeatPairing,
    /// The simulated clock (`--fast`).
    pub fast: bool,
    /// The story loaded at start (the sample without `--story`).
    pub story: CompiledStory,
    /// Where stories named by the operator are looked for.
    pub stories: PathBuf,
    /// The director's policy.
    pub config: DirectorConfig,
    /// Seed of the first screening (each next one adds 1).
    pub seed: u64,
    /// The viewer's heart.
    pub heart: Option<HeartSpec>,
    /// Consent as the installation has it.
    pub consent: ConsentArg,
    /// The estimator's calm baseline, seconds.
    pub baseline_s: f64,
    /// Stop after this many seconds of wall time.
    pub seconds: Option<f64>,
    /// Where the progress save goes (deleted after every screening).
    pub state_dir: PathBuf,
    /// The viewer asked to keep the screening's log here (`--out`); otherwise nothing is
    /// written but the progress save.
    pub out: Option<PathBuf>,
}

/// A screening in progress.
struct Screening {
    show: Show<Viewer>,
    session: Session,
    save: PathBuf,
}

struct Seat {
    link: Link,
    me: showrunner_festival::SeatName,
    state: SeatState,
    story: CompiledStory,
    screening: Option<Screening>,
    consent_given: bool,
    /// Screenings begun in this run; the last one is the one the status is about.
    screenings: u64,
    /// Film time played in the last screening, seconds.
    played_s: f64,
    /// Beats begun in the last screening.
    beats: u64,
    /// How the last screening stopped, once it has.
    outcome: Option<Outcome>,
    last_error: Option<String>,
    frame_ms: Vec<f32>,
    missed: u32,
    last_status: Option<Instant>,
    changed: bool,
}

/// Runs the seat until `seconds` (or killed).
pub fn run(args: SeatArgs) -> Result<()> {
    let me = args.pairing.seat.clone();
    let op_key = args.pairing.operator_key.clone();
    let keyring: Keyring = std::sync::Arc::new(move |s: &Sender| match s {
        Sender::Operator => Some(op_key.clone()),
        Sender::Seat(_) => None,
    });
    let sender = Sender::Seat(me.clone());
    let link = Link::start(LinkConfig {
        broker: args.broker.clone(),
        client_id: showrunner_festival::pairing::user_of(&sender),
        me: sender,
        key: args.pairing.key.clone(),
        password: args.pairing.password.clone(),
        subscribe: vec![Topic::Command(me.clone()).path(), Topic::AllCommand.path()],
        will: Some((Topic::Status(me.clone()), Body::Status(offline()))),
        keyring,
        keep_alive: Duration::from_secs(5),
    })?;
    println!(
        "seat {me}: joining {} ({} clock); waiting for the operator's start",
        args.broker,
        if args.fast { "fast" } else { "real-time" }
    );
    let mut seat = Seat {
        link,
        me,
        state: SeatState::Waiting,
        story: args.story.clone(),
        screening: None,
        consent_given: args.consent == ConsentArg::Given,
        screenings: 0,
        played_s: 0.0,
        beats: 0,
        outcome: None,
        last_error: None,
        frame_ms: Vec::new(),
        missed: 0,
        last_status: None,
        changed: true,
    };
    let start = Instant::now();
    let mut next_frame = Instant::now();
    loop {
        if args
            .seconds
            .is_some_and(|s| start.elapsed().as_secs_f64() > s)
        {
            break;
        }
        let playing = seat.state == SeatState::Playing;
        let events = if playing || seat.state == SeatState::Consent {
            seat.link.drain()
        } else {
            let mut e: Vec<_> = seat
                .link
                .wait(Duration::from_millis(50))
                .into_iter()
                .collect();
            e.extend(seat.link.drain());
            e
        };
        for e in events {
            seat.take(e, &args);
        }
        if seat.state == SeatState::Playing {
            if args.fast {
                for _ in 0..FAST_BATCH {
                    seat.frame(FAST_DT)?;
                    if seat.state != SeatState::Playing {
                        break;
                    }
                }
            } else {
                let dt = 1.0 / RATE_HZ;
                seat.frame(dt)?;
                next_frame += Duration::from_secs_f64(dt);
                let now = Instant::now();
                if next_frame > now {
                    std::thread::sleep(next_frame - now);
                } else {
                    next_frame = now;
                }
            }
        } else {
            next_frame = Instant::now();
        }
        seat.report();
    }
    // Goodbye: an offline status (no will fires on a clean goodbye), and the viewer's data.
    seat.end(Outcome::Stopped);
    seat.state = SeatState::Offline;
    seat.changed = true;
    seat.report();
    std::thread::sleep(Duration::from_millis(100));
    seat.link.close();
    Ok(())
}

fn offline() -> SeatStatus {
    SeatStatus::idle(SeatState::Offline)
}

/// A story the operator names: a plain file name in `dir`.
fn find_story(dir: &Path, name: &str) -> Result<CompiledStory> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!("`{name}` is not a story's file name (give the file's name, such as lighthouse.ink)");
    }
    let path = dir.join(name);
    if !path.is_file() {
        bail!(
            "no story `{name}` on this seat (looked in {})",
            dir.display()
        );
    }
    Ok(showrunner_story::load(&path)?)
}

impl Seat {
    fn take(&mut self, e: Event, args: &SeatArgs) {
        match e {
            Event::Connected => {
                println!("seat {}: connected to the broker", self.me);
                self.changed = true;
            }
            Event::Disconnected(why) => {
                println!("seat {}: {why} (the film plays on)", self.me);
            }
            Event::Refused(why) => eprintln!("seat {}: refused: {why}", self.me),
            Event::TwoRuns(from) => eprintln!(
                "seat {}: `{from}` speaks from two runs at once: is a second operator running with the same secrets?",
                self.me
            ),
            Event::Message {
                message:
                    Message {
                        body: Body::Command(cmd),
                        seq,
                        ..
                    },
                kept: false,
            } => {
                let r = self.command(&cmd, args);
                if let Err(e) = &r {
                    self.last_error = Some(format!("{e:#}"));
                    eprintln!("seat {}: {e:#}", self.me);
                }
                if !self.link.publish(
                    Topic::Ack(self.me.clone()),
                    Body::Ack(Ack {
                        seq,
                        ok: r.is_ok(),
                        error: r.err().map(|e| format!("{e:#}")),
                    }),
                ) {
                    eprintln!(
                        "seat {}: the ack of command {seq} could not be sent (the link's outbox is full or it is offline)",
                        self.me
                    );
                }
                self.changed = true;
            }
            Event::Message { .. } => {}
        }
    }

    fn command(&mut self, cmd: &Command, args: &SeatArgs) -> Result<()> {
        match cmd {
            Command::Start { story } => {
                if self.screening.is_some() {
                    bail!("already playing a film; reset the seat first");
                }
                if let Some(name) = story {
                    self.story = find_story(&args.stories, name)?;
                }
                self.start(args)
            }
            Command::LoadStory { story } => {
                self.story = find_story(&args.stories, story)?;
                Ok(())
            }
            Command::Pause => match self.state {
                SeatState::Playing => {
                    self.state = SeatState::Paused;
                    Ok(())
                }
                s => bail!("nothing to pause (the seat is {s:?})"),
            },
            Command::Resume => match self.state {
                SeatState::Paused => {
                    self.state = SeatState::Playing;
                    Ok(())
                }
                s => bail!("nothing to resume (the seat is {s:?})"),
            },
            Command::Reset => {
                self.end(Outcome::Reset);
                Ok(())
            }
            Command::ConsentGiven => {
                self.consent_given = true;
                if let Some(sc) = &mut self.screening {
                    if sc.show.consent() == Consent::Asking {
                        crate::heart::apply_consent(&mut sc.show, Consent::GivenOffHeadset);
                        self.state = SeatState::Playing;
                    }
                }
                Ok(())
            }
        }
    }

    fn start(&mut self, args: &SeatArgs) -> Result<()> {
        // Numbered once it begins: a start that fails leaves the last screening the latest.
        let number = self.screenings + 1;
        let seed = args.seed.wrapping_add(number - 1);
        let consent = if self.consent_given {
            ConsentArg::Given
        } else {
            args.consent
        };
        // A fresh viewer each screening: the estimator learns this viewer's baseline anew.
        let (viewer, consent) =
            crate::heart::with_consent(args.heart.as_ref(), consent, false, seed, args.baseline_s)?;
        let stem = Path::new(&self.story.path)
            .file_stem()
            .map_or("story".into(), |s| s.to_string_lossy().into_owned());
        let save = args
            .state_dir
            .join(format!("seat-{}", self.me))
            .join(format!("{stem}.save.json"));
        let session_args = SessionArgs {
            save: save.clone(),
            resume: false,
            out: args
                .out
                .as_ref()
                .map(|d| d.join(format!("screening-{number}"))),
            staging: crate::sets::Staging::default(),
        };
        let (mut show, session) = Session::open(
            &session_args,
            &self.story,
            seed,
            args.config.clone(),
            viewer,
        )?;
        self.state = if consent == Consent::Asking {
            show.ask_consent_at_venue();
            SeatState::Consent
        } else {
            crate::heart::apply_consent(&mut show, consent);
            SeatState::Playing
        };
        self.last_error = None;
        self.screenings = number;
        self.played_s = 0.0;
        self.beats = 0;
        self.outcome = None;
        self.screening = Some(Screening {
            show,
            session,
            save,
        });
        println!(
            "seat {}: screening {} of {} begins",
            self.me, self.screenings, self.story.path
        );
        Ok(())
    }

    /// One frame of the film.
    fn frame(&mut self, dt: f64) -> Result<()> {
        let Some(sc) = &mut self.screening else {
            return Ok(());
        };
        let t = Instant::now();
        let mut frame = sc.show.run(dt)?;
        self.played_s += dt;
        sc.session.record(&mut frame);
        let ms = t.elapsed().as_secs_f32() * 1e3;
        self.frame_ms.push(ms);
        if f64::from(ms) > 1e3 / RATE_HZ {
            self.missed += 1;
        }
        if sc.show.readout.ended {
            let beats = sc.show.readout.beats;
            println!("seat {}: the film ended after {beats} beats", self.me);
            self.state = SeatState::Ended;
            self.outcome = Some(Outcome::Ended);
            self.changed = true;
            self.report();
            self.end(Outcome::Ended);
        }
        Ok(())
    }

    /// Ends the screening (if any): the progress save and, unless the viewer asked to keep
    /// it, every trace of the viewer deleted; then waits for the next viewer.
    fn end(&mut self, outcome: Outcome) {
        if let Some(sc) = self.screening.take() {
            self.outcome = Some(outcome);
            self.beats = sc.show.readout.beats;
            let Screening {
                show,
                session,
                save,
            } = sc;
            session.finish(&show, "festival seat");
            drop(show);
            match std::fs::remove_file(&save) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    self.last_error = Some(format!(
                        "{}: the viewer's save could not be deleted: {e}",
                        save.display()
                    ));
                }
            }
            if outcome == Outcome::Reset {
                println!("seat {}: reset; the viewer's data deleted", self.me);
            }
        }
        self.consent_given = false;
        if self.state != SeatState::Offline {
            self.state = SeatState::Waiting;
        }
        self.changed = true;
    }

    /// The status, every second and at once on a change.
    fn report(&mut self) {
        let due = self
            .last_status
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if !(self.changed || due) {
            return;
        }
        let mut ms = std::mem::take(&mut self.frame_ms);
        ms.sort_by(f32::total_cmp);
        let pick = |q: f32| {
            ms.get(((ms.len() as f32 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let (beat, knot, engagement, strap, film) = match &self.screening {
            Some(sc) => (
                sc.show.readout.beats,
                sc.show.readout.knot.clone(),
                // Derived engagement only, and none while the viewer is asked or declined.
                sc.show
                    .consent()
                    .allows_gaze()
                    .then_some(sc.show.readout.sample),
                strap_state(&sc.show.viewer),
                Some(FilmState {
                    palette: sc.show.palette_name(),
                    intensity: sc.show.readout.intensity,
                    decision: sc.show.readout.decision.clone(),
                }),
            ),
            // Between screenings: the last one's beats, with its outcome.
            None => (self.beats, String::new(), None, StrapState::None, None),
        };
        let status = SeatStatus {
            state: self.state,
            story: Path::new(&self.story.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            beat,
            knot,
            strap,
            engagement,
            film,
            screening: self.screenings,
            played_s: self.played_s,
            outcome: self.outcome,
            frame: FrameTiming {
                p50_ms: pick(0.5),
                p99_ms: pick(0.99),
                missed: std::mem::take(&mut self.missed),
            },
            last_error: self.last_error.clone(),
        };
        self.link
            .publish(Topic::Status(self.me.clone()), Body::Status(status));
        self.last_status = Some(Instant::now());
        self.changed = false;
    }
}

/// The strap as the operator may see it: its state only.
fn strap_state(viewer: &Viewer) -> StrapState {
    match viewer.strap_state() {
        None => StrapState::None,
        Some("searching") => StrapState::Searching,
        Some("reconnecting") => StrapState::Reconnecting,
        Some("calibrating") => StrapState::Calibrating,
        Some("no-contact") => StrapState::NoContact,
        Some("ended") => StrapState::None,
        Some(_) => StrapState::Connected,
    }
}
