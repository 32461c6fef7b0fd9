//! `play --festival`: a seat in a venue. It registers with the operator (its status, retained,
//! every second and at once on a change; its last will says `offline`), waits for start,
//! plays, and at the end or on reset deletes the viewer's data and waits for the next viewer.
//!
//! The MQTT link lives on its own thread ([`showrunner_festival::link`]); this loop only hands
//! it messages and takes what arrived, never waiting on it while a film plays. [`Seat`] is the
//! seat whoever drives its frames: the headless loop here ([`run`]: `--headless`, a real-time
//! show with no window, and `--fast`, the same on a simulated clock for soak tests) and the
//! window (`--desktop`, [`crate::desktop`]) and the headset ([`crate::headset`]) through
//! [`Film`].
//!
//! In a shared film (`join`) the seat's show follows the host's cues ([`Following`]): each is
//! presented when the film's clock reaches it, a seat that joins late or lost the broker stages
//! the current beat, and the seat sends the host its viewer's derived engagement and vote.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use showrunner_director::DirectorConfig;
use showrunner_festival::link::{now_ms, BrokerAddr, Event, Keyring, Link, LinkConfig};
use showrunner_festival::pairing::SeatPairing;
use showrunner_festival::{
    Ack, Body, Command, EngagementSample, FilmState, FrameTiming, Message, Outcome, SeatState,
    SeatStatus, Sender, SharedChoice, SharedCue, StrapState, Topic, Vote,
};
use showrunner_show::consent::Consent;
use showrunner_show::{Cue, EngagementSource, Show, ShowFrame, ViewerInput};
use showrunner_story::CompiledStory;

use crate::heart::{ConsentArg, HeartSpec, Viewer};
use crate::session::{Session, SessionArgs};

/// The display rate a headless seat keeps (and budgets its frames against).
const RATE_HZ: f64 = 90.0;
/// On the fast clock, the show time each step advances (a frame at 30 Hz).
const FAST_DT: f64 = 1.0 / 30.0;
/// On the fast clock, steps between looks at the link (one show second).
const FAST_BATCH: usize = 30;
/// In a shared film, the seat sends its viewer's derived engagement this often, seconds.
const SAMPLE_S: f64 = 0.5;
/// A shared film's host silent this long: the seat says it holds the beat.
const HOLD_AFTER: Duration = Duration::from_secs(3);
/// Silent this long: the film is gone (the operator restarted); the seat waits again.
const GIVE_UP_AFTER: Duration = Duration::from_secs(30);

/// What `play --festival` is asked.
pub struct SeatArgs {
    /// The broker.
    pub broker: BrokerAddr,
    /// With a TLS broker: the venue's CA certificate (PEM); the system's CAs when `None`.
    pub ca: Option<PathBuf>,
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
    /// Its log and progress save (none in a shared film: the host keeps the film's).
    session: Option<(Session, PathBuf)>,
    /// The shared film it follows, if it is one.
    shared: Option<Following>,
}

/// A seat's screening of the shared film: the host's cues waiting for their time, and what of
/// the film the seat has presented.
struct Following {
    /// The host's run (its link's `boot`) and the film's number in it.
    boot: u64,
    film: u64,
    /// Cues not yet presented, in the order they came.
    pending: VecDeque<SharedCue>,
    /// The last cue presented.
    shown: Option<SharedCue>,
    /// When the host last spoke.
    heard: Instant,
    /// Holding the beat: the host is silent.
    holding: bool,
    /// The viewer's last derived engagement, and when the next is due (film seconds played).
    sample: Option<EngagementSample>,
    next_sample_s: f64,
    /// When the choice on offer appeared (seconds played), and the beat whose choice the seat
    /// voted on (the simulated viewer votes once; the window's viewer may change their mind).
    offered_at: f64,
    voted: Option<u64>,
    /// The simulated viewer's vote: option `vote_seed` mod the options.
    vote_seed: u64,
}

impl Following {
    /// The story's name, as the host says it (known from the first cue that came).
    fn story(&self) -> &str {
        self.shown
            .as_ref()
            .or(self.pending.back())
            .map_or("", |c| &c.story)
    }

    /// The host holds the film.
    fn paused(&self) -> bool {
        self.shown.as_ref().is_some_and(|c| c.paused)
    }

    /// How the film ended, once the host said so.
    fn ended(&self) -> Option<Outcome> {
        let c = self.shown.as_ref().filter(|c| c.ended)?;
        Some(c.outcome.unwrap_or(Outcome::Ended))
    }
}

impl Screening {
    /// Beats begun: the host's count in a shared film.
    fn beat(&self) -> u64 {
        match &self.shared {
            Some(f) => f.shown.as_ref().map_or(0, |c| c.beat),
            None => self.show.readout.beats,
        }
    }

    /// The palette the film is graded in, by its name.
    fn palette(&self) -> String {
        match self.shared.as_ref().and_then(|f| f.shown.as_ref()) {
            Some(c) => c.director.palette.clone(),
            None if self.shared.is_some() => String::new(),
            None => self.show.palette_name(),
        }
    }

    /// The viewer's derived engagement, none while the viewer is asked or declined.
    fn engagement(&self) -> Option<EngagementSample> {
        let sample = match &self.shared {
            Some(f) => f.sample,
            None => Some(self.show.readout.sample),
        };
        sample.filter(|_| self.show.consent().allows_gaze())
    }
}

/// A seat in a venue: its link to the operator, where it is in its round of screenings, and
/// the screening playing. The headless loop ([`run`]) and the window
/// ([`crate::desktop`]) drive it the same way: [`Seat::pump`] what came, [`Seat::frame`] the
/// film, [`Seat::report`] the status.
pub struct Seat {
    args: std::sync::Arc<SeatArgs>,
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
    /// The shared film's last cue, with its host's run: where a seat that joins starts.
    cue: Option<(u64, SharedCue)>,
    /// The story of the last screening when it was the shared film's (the status names it).
    shared_story: Option<String>,
    /// The front end refines its pictures: each screening tells its viewer.
    refined: bool,
    /// The front end reads the viewer's eyes (a headset that tracks them): each screening
    /// asks before it does, as the strap does.
    eyes: bool,
    /// A screening (or a story) being made ready off the frame thread.
    preparing: Option<Preparing>,
    /// What the threads that close screenings could not do (a save not deleted).
    closing: (mpsc::Sender<String>, mpsc::Receiver<String>),
    /// The thread closing the last screening: the next one is made ready only after it has
    /// finished (on the thread that makes it ready), so it never deletes the next viewer's save.
    closer: Option<std::thread::JoinHandle<()>>,
}

/// What a command asks for, made ready off the frame thread (the story read and compiled, the
/// sets and actors loaded, the viewer's sensors opened), so a window or a headset never waits
/// on the disk for it. The show itself is made on the frame thread (ink's runtime stays on
/// one thread) from these, in a moment.
struct Ready {
    /// The story the seat now has (a start or `load_story` that named one).
    story: Option<CompiledStory>,
    /// The next screening's parts.
    screening: Option<Parts>,
}

/// A screening's parts, made ready.
struct Parts {
    library: showrunner_scene::sets::SetLibrary,
    viewer: Viewer,
    /// The viewer's consent as the installation has it.
    consent: Consent,
    /// The screening's number and seed.
    number: u64,
    seed: u64,
    /// The shared film it follows, if it is one.
    shared: Option<Following>,
}

/// A command being made ready, whose ack waits for it.
struct Preparing {
    rx: mpsc::Receiver<Result<Ready>>,
    seq: u64,
    /// When it was asked for.
    since: Instant,
}

impl Seat {
    /// Joins the venue: the link to the broker starts (and keeps reconnecting) in the
    /// background; the seat waits for the operator's start.
    pub fn join(args: SeatArgs) -> Result<Self> {
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
            subscribe: vec![
                Topic::Command(me.clone()).path(),
                Topic::AllCommand.path(),
                Topic::SharedCue.path(),
            ],
            will: Some((Topic::Status(me.clone()), Body::Status(offline()))),
            keyring,
            keep_alive: Duration::from_secs(5),
            ca: args.ca.clone(),
        })?;
        println!(
            "seat {me}: joining {} ({} clock); waiting for the operator's start",
            args.broker,
            if args.fast { "fast" } else { "real-time" }
        );
        Ok(Self {
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
            cue: None,
            shared_story: None,
            refined: false,
            eyes: false,
            preparing: None,
            closing: mpsc::channel(),
            closer: None,
            args: std::sync::Arc::new(args),
        })
    }

    /// The seat's name.
    pub fn name(&self) -> &showrunner_festival::SeatName {
        &self.me
    }

    /// Takes what came from the operator (waiting up to `wait` for the first), and holds or
    /// gives up a shared film whose host fell silent. Never waits while a film plays.
    pub fn pump(&mut self, wait: Duration) {
        let mut events: Vec<_> = if wait.is_zero() {
            Vec::new()
        } else {
            self.link.wait(wait).into_iter().collect()
        };
        events.extend(self.link.drain());
        for e in events {
            self.take(e);
        }
        self.take_ready();
        while let Ok(e) = self.closing.1.try_recv() {
            self.fail(e);
        }
        self.watch_the_host();
    }

    /// What was made ready, if it is: the screening begins (or the story is loaded), and the
    /// command is acknowledged.
    fn take_ready(&mut self) {
        let Some(p) = &self.preparing else { return };
        let off_ms = p.since.elapsed().as_secs_f64() * 1e3;
        let (seq, r) = match p.rx.try_recv() {
            Ok(r) => (p.seq, r),
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => (
                p.seq,
                Err(anyhow::anyhow!(
                    "the screening could not be made ready (its thread stopped)"
                )),
            ),
        };
        self.preparing = None;
        let r = r.and_then(|ready| {
            if let Some(story) = ready.story {
                self.story = story;
            }
            if let Some(parts) = ready.screening {
                let consent = parts.consent;
                let on = Instant::now();
                let mut sc = self.screening_of(parts)?;
                let made = format!(
                    "made ready in {off_ms:.0} ms on another thread and {:.0} ms on this one",
                    on.elapsed().as_secs_f64() * 1e3
                );
                // Cues that came while it was made ready: the latest is where it starts.
                if let (Some(f), Some((boot, c))) = (&mut sc.shared, &self.cue) {
                    if *boot == f.boot && c.film == f.film && !c.ended {
                        f.pending.push_back(c.clone());
                    }
                }
                let film = sc.shared.as_ref().map(|f| f.film);
                self.begin(sc, consent);
                match film {
                    Some(film) => println!(
                        "seat {}: screening {} joins the shared film {film} ({made})",
                        self.me, self.screenings
                    ),
                    None => println!(
                        "seat {}: screening {} of {} begins ({made})",
                        self.me, self.screenings, self.story.path
                    ),
                }
            }
            Ok(())
        });
        if let Err(e) = &r {
            self.fail(format!("{e:#}"));
        }
        self.ack(seq, r);
    }

    /// The seat's error: said in its log, and shown to the operator in its status.
    fn fail(&mut self, why: String) {
        eprintln!("seat {}: {why}", self.me);
        self.last_error = Some(why);
        self.changed = true;
    }

    /// Answers command `seq`.
    fn ack(&mut self, seq: u64, r: Result<()>) {
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

    /// The film playing, if one is: what the window renders.
    pub fn film(&self) -> Option<&Show<Viewer>> {
        self.screening.as_ref().map(|s| &s.show)
    }

    /// [`Seat::film`], to change.
    pub fn film_mut(&mut self) -> Option<&mut Show<Viewer>> {
        self.screening.as_mut().map(|s| &mut s.show)
    }

    /// Goodbye: an offline status (no will fires on a clean goodbye), and the viewer's data
    /// deleted.
    pub fn leave(mut self) {
        self.end(Outcome::Stopped);
        self.state = SeatState::Offline;
        self.changed = true;
        self.report();
        std::thread::sleep(Duration::from_millis(100));
        // The seat is going: the viewer's save is deleted before the program ends.
        if let Some(c) = self.closer.take() {
            let _ = c.join();
        }
        self.link.close();
    }
}

/// The film a window or a headset plays: its own, or in a venue's seat the seat's screening,
/// with a still stage saying the seat waits between screenings.
pub struct Film {
    own: Show<Viewer>,
    seat: Option<Seat>,
    /// The own film's story growing at its extension points.
    grow: Option<crate::grow::Grow>,
}

impl Film {
    /// The front end's own film, growing with `grow` where the story may.
    pub fn own(show: Show<Viewer>, grow: Option<crate::grow::Grow>) -> Self {
        Self {
            own: show,
            seat: None,
            grow,
        }
    }

    /// A venue's seat: its screenings, and until one starts a still stage that says so.
    pub fn seat(seat: Seat) -> Self {
        let mut idle = Show::follower(
            showrunner_scene::sets::SetLibrary::builtin(),
            Viewer::Unsensed("no film yet"),
        );
        idle.readout.notice = format!(
            "Seat {}\nThe film starts when the operator starts it.",
            seat.name()
        );
        Self {
            own: idle,
            seat: Some(seat),
            grow: None,
        }
    }

    /// The film to present.
    pub fn show(&self) -> &Show<Viewer> {
        self.seat.as_ref().and_then(Seat::film).unwrap_or(&self.own)
    }

    /// [`Film::show`], to change.
    pub fn show_mut(&mut self) -> &mut Show<Viewer> {
        if self.seat.as_ref().is_some_and(|s| s.film().is_some()) {
            self.seat
                .as_mut()
                .and_then(Seat::film_mut)
                .expect("a screening")
        } else {
            &mut self.own
        }
    }

    /// One frame with the viewer's `input`: a seat first takes what the operator sent, plays
    /// its screening (or the still stage) and reports.
    pub fn advance(&mut self, dt: f64, input: &ViewerInput) -> Result<ShowFrame> {
        let Some(seat) = &mut self.seat else {
            let frame = self.own.advance(dt, input)?;
            if let Some(g) = &mut self.grow {
                // The story stays as written when growing it fails: the film never stops.
                if let Err(e) = g.frame(&mut self.own, &frame) {
                    eprintln!("showrunner: warning: the story stops growing: {e:#}");
                    self.grow = None;
                }
            }
            return Ok(frame);
        };
        seat.pump(Duration::ZERO);
        let frame = seat.frame(dt, Some(input))?;
        seat.report();
        match frame {
            Some(frame) => Ok(frame),
            None => self.own.advance(dt, input),
        }
    }

    /// Tells the viewer whether a network refines the pictures: the film now, and a seat's
    /// every screening to come.
    pub fn disclose_refinement(&mut self, on: bool) {
        self.own.disclose_refinement(on);
        if let Some(seat) = &mut self.seat {
            seat.refined = on;
            if let Some(show) = seat.film_mut() {
                show.disclose_refinement(on);
            }
        }
    }

    /// The front end reads the viewer's eyes: each of a seat's screenings to come asks first.
    pub fn senses_eyes(&mut self) {
        if let Some(seat) = &mut self.seat {
            seat.eyes = true;
        }
    }

    /// Whether this is a venue's seat (whose films end and begin at the operator's word).
    pub fn is_seat(&self) -> bool {
        self.seat.is_some()
    }

    /// A seat says goodbye (see [`Seat::leave`]); nothing for the front end's own film.
    pub fn leave(&mut self) {
        if let Some(seat) = self.seat.take() {
            seat.leave();
        }
    }
}

/// Runs the seat without a window until `seconds` (or killed).
pub fn run(args: SeatArgs) -> Result<()> {
    let (fast, seconds) = (args.fast, args.seconds);
    let mut seat = Seat::join(args)?;
    let start = Instant::now();
    let mut next_frame = Instant::now();
    loop {
        if seconds.is_some_and(|s| start.elapsed().as_secs_f64() > s) {
            break;
        }
        let busy = matches!(seat.state, SeatState::Playing | SeatState::Consent);
        seat.pump(if busy {
            Duration::ZERO
        } else {
            Duration::from_millis(50)
        });
        if seat.state == SeatState::Playing {
            // A shared film plays on the film's clock, fast seat or not.
            if fast && !seat.following() {
                for _ in 0..FAST_BATCH {
                    seat.frame(FAST_DT, None)?;
                    if seat.state != SeatState::Playing {
                        break;
                    }
                }
            } else {
                let dt = 1.0 / RATE_HZ;
                seat.frame(dt, None)?;
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
    seat.leave();
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
    fn take(&mut self, e: Event) {
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
                        body: Body::Cue(cue),
                        boot,
                        ..
                    },
                ..
            } => self.cue(boot, cue),
            Event::Message {
                message:
                    Message {
                        body: Body::Command(cmd),
                        seq,
                        boot,
                        ..
                    },
                kept: false,
            } => {
                let r = self.command(&cmd, seq, boot);
                if let Err(e) = &r {
                    self.fail(format!("{e:#}"));
                }
                // A command made ready off the frame thread is answered when it is.
                if r.is_err() || self.preparing.as_ref().is_none_or(|p| p.seq != seq) {
                    self.ack(seq, r);
                }
            }
            Event::Message { .. } => {}
        }
    }

    fn command(&mut self, cmd: &Command, seq: u64, boot: u64) -> Result<()> {
        if matches!(
            cmd,
            Command::Join { .. } | Command::Start { .. } | Command::LoadStory { .. }
        ) && self.preparing.is_some()
        {
            bail!("still making the last command's film ready; try again in a moment");
        }
        match cmd {
            Command::Join { film } => {
                if self.screening.is_some() {
                    bail!("already playing a film; reset the seat first");
                }
                let job = self.join_film(*film, boot);
                self.prepare(seq, job)
            }
            Command::Start { story } => {
                if self.screening.is_some() {
                    bail!("already playing a film; reset the seat first");
                }
                let job = self.start(story.clone());
                self.prepare(seq, job)
            }
            Command::LoadStory { story } => {
                let (dir, name) = (self.args.stories.clone(), story.clone());
                self.prepare(seq, move || {
                    Ok(Ready {
                        story: Some(find_story(&dir, &name)?),
                        screening: None,
                    })
                })
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

    /// Makes `job` ready on its own thread; command `seq` is answered when it is.
    fn prepare(
        &mut self,
        seq: u64,
        job: impl FnOnce() -> Result<Ready> + Send + 'static,
    ) -> Result<()> {
        let (tx, rx) = mpsc::sync_channel(1);
        let closer = self.closer.take();
        std::thread::Builder::new()
            .name("seat-prepare".into())
            .spawn(move || {
                // The last viewer's save is gone before the next screening is opened. A closer
                // that panicked has nothing left to wait for.
                if let Some(c) = closer {
                    let _ = c.join();
                }
                // The seat may have moved on (a reset): then nobody waits for it.
                let _ = tx.send(job());
            })
            .context("cannot start a thread to make the film ready")?;
        self.preparing = Some(Preparing {
            rx,
            seq,
            since: Instant::now(),
        });
        Ok(())
    }

    /// The viewer for the next screening: its number, seed, consent as the installation has
    /// it, and whether its eyes are read (opened on the thread that makes the screening ready).
    fn next_viewer(&self) -> (u64, u64, ConsentArg, bool) {
        let number = self.screenings + 1;
        let seed = self.args.seed.wrapping_add(number - 1);
        let consent = if self.consent_given {
            ConsentArg::Given
        } else {
            self.args.consent
        };
        (number, seed, consent, self.eyes)
    }

    /// The next screening of the seat's story (or of the story `named`), to make ready.
    fn start(&self, named: Option<String>) -> impl FnOnce() -> Result<Ready> + Send + 'static {
        let (number, seed, consent, eyes) = self.next_viewer();
        let (args, story) = (self.args.clone(), self.story.clone());
        move || {
            let story = match &named {
                Some(name) => find_story(&args.stories, name)?,
                None => story,
            };
            let parts = parts(&args, &story.path, number, seed, (consent, eyes))?;
            Ok(Ready {
                screening: Some(parts),
                story: named.is_some().then_some(story),
            })
        }
    }

    /// A screening of the shared film `film` of the host whose run is `boot`, to make ready:
    /// it starts at the film's current beat when the seat has its cue, else at the first cue
    /// that comes.
    fn join_film(&self, film: u64, boot: u64) -> impl FnOnce() -> Result<Ready> + Send + 'static {
        let (number, seed, consent, eyes) = self.next_viewer();
        let (args, story_path) = (self.args.clone(), self.story.path.clone());
        move || {
            // The seat's own sets and actors stage what the host sends (the cues name them).
            let mut parts = parts(&args, &story_path, number, seed, (consent, eyes))?;
            parts.shared = Some(Following {
                boot,
                film,
                pending: VecDeque::new(),
                shown: None,
                heard: Instant::now(),
                holding: false,
                sample: None,
                next_sample_s: 0.0,
                offered_at: 0.0,
                voted: None,
                vote_seed: args.seed,
            });
            Ok(Ready {
                story: None,
                screening: Some(parts),
            })
        }
    }

    /// The screening made of `parts`: the show (a follower in a shared film), with its session
    /// (the save and, when the viewer asked, the log) for a film of the seat's own.
    fn screening_of(&self, parts: Parts) -> Result<Screening> {
        let Parts {
            library,
            viewer,
            number,
            seed,
            shared,
            ..
        } = parts;
        if shared.is_some() {
            return Ok(Screening {
                show: Show::follower(library, viewer),
                session: None,
                shared,
            });
        }
        let args = &self.args;
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
            // A venue's films play as the operator chose them.
            generate: Default::default(),
        };
        let (show, session) = Session::open_with(
            &session_args,
            &self.story,
            seed,
            args.config.clone(),
            viewer,
            library,
        )?;
        Ok(Screening {
            show,
            session: Some((session, save)),
            shared: None,
        })
    }

    fn begin(&mut self, sc: Screening, consent: Consent) {
        let Screening {
            mut show,
            session,
            shared,
        } = sc;
        self.state = if consent == Consent::Asking {
            println!(
                "seat {}: the consent notice is up; nothing senses the viewer until they answer",
                self.me
            );
            if shared.is_some() {
                show.ask_consent_in_shared_film();
            } else {
                show.ask_consent_at_venue();
            }
            SeatState::Consent
        } else {
            crate::heart::apply_consent(&mut show, consent);
            SeatState::Playing
        };
        show.disclose_refinement(self.refined);
        self.last_error = None;
        self.shared_story = None;
        self.screenings += 1;
        self.played_s = 0.0;
        self.beats = 0;
        self.outcome = None;
        self.screening = Some(Screening {
            show,
            session,
            shared,
        });
    }

    /// Whether the screening is of the shared film.
    fn following(&self) -> bool {
        self.screening.as_ref().is_some_and(|s| s.shared.is_some())
    }

    /// A cue of the shared film from the host whose run is `boot`.
    fn cue(&mut self, boot: u64, cue: SharedCue) {
        if let Some(f) = self.screening.as_mut().and_then(|s| s.shared.as_mut()) {
            if boot != f.boot {
                // The host restarted: the film this seat followed is gone.
                self.fail(
                    "the shared film's host restarted and its film is gone; start the seat again"
                        .into(),
                );
                self.end(Outcome::Stopped);
            } else if cue.film == f.film {
                f.heard = Instant::now();
                if f.holding {
                    f.holding = false;
                    println!(
                        "seat {}: the shared film's host speaks again: catching up at beat {}",
                        self.me, cue.beat
                    );
                }
                // Only the newest matters to a seat that fell behind: each cue is whole.
                if f.pending.len() >= 64 {
                    f.pending.pop_front();
                }
                f.pending.push_back(cue.clone());
            }
        }
        self.cue = Some((boot, cue));
    }

    /// Holds the shared film's beat while its host is silent, and gives up on it after
    /// [`GIVE_UP_AFTER`].
    fn watch_the_host(&mut self) {
        let Some(f) = self.screening.as_mut().and_then(|s| s.shared.as_mut()) else {
            return;
        };
        let silent = f.heard.elapsed();
        if silent > GIVE_UP_AFTER {
            self.fail(format!(
                "the shared film's host was silent for {} s; waiting for the operator",
                GIVE_UP_AFTER.as_secs()
            ));
            self.end(Outcome::Stopped);
        } else if silent > HOLD_AFTER && !f.holding {
            f.holding = true;
            println!(
                "seat {}: holding beat {}: the shared film's host is silent",
                self.me,
                f.shown.as_ref().map_or(0, |c| c.beat)
            );
        }
    }

    /// One frame of the film, if one plays: with the viewer's `input` in the window (the scene
    /// staged and stepped, the panels and the subtitle following the head), or the story and
    /// the director only without one. The frame comes back for the window to present. The
    /// consent panel's answer, and a choice the viewer makes in a shared film (a vote), are the
    /// seat's to act on; a film the operator holds stands still.
    pub fn frame(&mut self, dt: f64, input: Option<&ViewerInput>) -> Result<Option<ShowFrame>> {
        let Some(sc) = &mut self.screening else {
            return Ok(None);
        };
        let dt = if self.state == SeatState::Paused {
            0.0
        } else {
            dt
        };
        let t = Instant::now();
        let mut paused = dt == 0.0;
        if let Some(f) = &mut sc.shared {
            present(f, &mut sc.show, &self.me, self.played_s);
            paused |= f.paused();
            if !paused {
                let simulated = input.is_none();
                speak_for_the_viewer(
                    f,
                    &mut sc.show,
                    &mut self.link,
                    &self.me,
                    self.played_s,
                    simulated,
                );
            }
        }
        let mut frame = match input {
            Some(i) => sc.show.advance(dt, i)?,
            None => sc.show.run(dt)?,
        };
        if let Some(answer) = frame.consent.take() {
            let a = &self.args;
            crate::heart::answered(&mut sc.show, answer, a.heart.as_ref(), a.seed, a.baseline_s);
            if self.state == SeatState::Consent {
                self.state = SeatState::Playing;
            }
            self.changed = true;
        }
        if let (Some(f), Some(i)) = (&mut sc.shared, input) {
            // The viewer in the window chose: a number key, a click on a panel, a dwell.
            if let Some(choice) = i.choose.or(frame.select.flatten()).or(frame.dwelt) {
                vote(f, &mut self.link, &self.me, choice);
            }
        }
        if !paused {
            self.played_s += dt;
        }
        if let Some((session, _)) = &mut sc.session {
            session.record(&mut frame);
        }
        let ms = t.elapsed().as_secs_f32() * 1e3;
        self.frame_ms.push(ms);
        if f64::from(ms) > 1e3 / RATE_HZ {
            self.missed += 1;
        }
        let ended = match &sc.shared {
            Some(f) => f.ended(),
            None => sc.show.readout.ended.then_some(Outcome::Ended),
        };
        if let Some(outcome) = ended {
            let beats = sc.beat();
            println!("seat {}: the film ended after {beats} beats", self.me);
            self.state = SeatState::Ended;
            self.outcome = Some(outcome);
            self.changed = true;
            self.report();
            self.end(outcome);
        }
        Ok(Some(frame))
    }

    /// Ends the screening (if any): the progress save and, unless the viewer asked to keep
    /// it, every trace of the viewer deleted; then waits for the next viewer.
    fn end(&mut self, outcome: Outcome) {
        if let Some(sc) = self.screening.take() {
            self.outcome = Some(outcome);
            self.beats = sc.beat();
            self.shared_story = sc.shared.as_ref().map(|f| f.story().to_owned());
            let Screening { show, session, .. } = sc;
            let reset = (outcome == Outcome::Reset).then(|| self.me.to_string());
            if let Some((session, save)) = session {
                // Off the frame thread: the log's last lines written, then the viewer's save
                // deleted (after the writer, which could write it again), then a reset said.
                let writing = session.close(&show, "festival seat");
                let closing = self.closing.0.clone();
                let closed =
                    std::thread::Builder::new()
                        .name("seat-close".into())
                        .spawn(move || {
                            writing.wait();
                            match std::fs::remove_file(&save) {
                                Ok(()) => {}
                                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                                Err(e) => {
                                    let _ = closing.send(format!(
                                        "{}: the viewer's save could not be deleted: {e}",
                                        save.display()
                                    ));
                                    return;
                                }
                            }
                            if let Some(me) = reset {
                                println!("seat {me}: reset; the viewer's data deleted");
                            }
                        });
                match closed {
                    // Never joined on this thread. A screening begins only from a preparation,
                    // which takes the closer before it: there is never an earlier one here.
                    Ok(h) => self.closer = Some(h),
                    Err(e) => {
                        self.last_error = Some(format!(
                        "the screening could not be closed, and the viewer's save may be left: {e}"
                    ))
                    }
                }
            } else if let Some(me) = reset {
                // A shared film's follower keeps nothing of the viewer's.
                println!("seat {me}: reset; the viewer's data deleted");
            }
        }
        // A film still being made ready is dropped, and its command told so.
        if let Some(p) = self.preparing.take() {
            self.ack(
                p.seq,
                Err(anyhow::anyhow!(
                    "the seat stopped before its film was ready"
                )),
            );
        }
        self.consent_given = false;
        if self.state != SeatState::Offline {
            self.state = SeatState::Waiting;
        }
        self.changed = true;
    }

    /// The status, every second and at once on a change.
    pub fn report(&mut self) {
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
                sc.beat(),
                sc.show.readout.knot.clone(),
                // Derived engagement only.
                sc.engagement(),
                strap_state(&sc.show.viewer),
                Some(FilmState {
                    palette: sc.palette(),
                    intensity: sc.show.readout.intensity,
                    decision: sc.show.readout.decision.clone(),
                }),
            ),
            // Between screenings: the last one's beats, with its outcome.
            None => (self.beats, String::new(), None, StrapState::None, None),
        };
        let shared = self.screening.as_ref().and_then(|s| s.shared.as_ref());
        let status = SeatStatus {
            state: match shared {
                Some(f) if f.paused() && self.state == SeatState::Playing => SeatState::Paused,
                _ => self.state,
            },
            story: match shared
                .map(Following::story)
                .or(self.shared_story.as_deref())
            {
                Some(story) => Some(story.to_owned()),
                None => Path::new(&self.story.path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned()),
            },
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

/// A screening's parts, made on the thread that makes it ready: the sets and actors of the
/// story at `story_path`, and a fresh viewer (its estimator learns this viewer's baseline anew)
/// with consent as the installation has it, asked before its eyes are read when they are.
fn parts(
    args: &SeatArgs,
    story_path: &str,
    number: u64,
    seed: u64,
    (consent, eyes): (ConsentArg, bool),
) -> Result<Parts> {
    let (viewer, consent) =
        crate::heart::with_consent(args.heart.as_ref(), consent, eyes, seed, args.baseline_s)?;
    Ok(Parts {
        library: crate::sets::library(story_path, &crate::sets::Staging::default())?,
        viewer,
        consent,
        number,
        seed,
        shared: None,
    })
}

/// Presents the newest of the shared film's cues whose time has come on the film's clock: a new
/// beat (a seat that fell behind or joined late stages the stage so far instead of the beat's
/// own directives), the choices, the choice taken, the director, a pause, the end.
fn present(
    f: &mut Following,
    show: &mut Show<Viewer>,
    me: &showrunner_festival::SeatName,
    played_s: f64,
) {
    let now = now_ms();
    let due = |c: &SharedCue| (now as f64) >= c.epoch_ms as f64 + c.at_s * 1e3;
    // Each cue is whole: of those due, only the newest is presented (after a silence, the
    // host's queued cues arrive together and the seat goes straight to the current beat).
    let mut newest = None;
    while f.pending.front().is_some_and(due) {
        newest = f.pending.pop_front();
    }
    if let Some(c) = newest {
        let was = f.shown.take();
        let (beat, choices, chose) = was.as_ref().map_or((0, &[][..], None), |w| {
            (w.beat, &w.choices[..], w.chose.as_ref())
        });
        let mut cues = Vec::new();
        if c.beat > beat {
            let caught_up = c.beat != beat + 1;
            let tags = if caught_up { &c.staged } else { &c.tags };
            cues.push(Cue::Beat {
                knot: c.knot.clone(),
                text: c.text.clone(),
                directives: directives(tags, me),
            });
            let late = now as f64 - (c.epoch_ms as f64 + c.start_s * 1e3);
            println!(
                "seat {me}: shared film {} beat {} at {now} ms ({late:.0} ms after its time{})",
                c.film,
                c.beat,
                if caught_up {
                    "; staged from the film so far"
                } else {
                    ""
                }
            );
        }
        if c.choices != choices && !c.choices.is_empty() {
            cues.push(Cue::Choices(c.choices.clone()));
        }
        if let Some(ch) = c.chose.as_ref().filter(|ch| Some(*ch) != chose) {
            cues.push(Cue::Chose {
                index: ch.index as usize,
                fates: directives(&ch.fates, me),
            });
            said_choice(me, &c.choices, ch);
        }
        let d = &c.director;
        cues.push(Cue::Director {
            clock_s: c.at_s,
            mode: serde_json::from_value(serde_json::Value::String(d.mode.clone()))
                .unwrap_or(showrunner_director::Mode::Engaged),
            intensity: d.intensity,
            grade: d.grade,
            refine_strength: d.refine_strength,
            decision: d.decision.clone(),
        });
        show.follow(cues);
        if c.choices != choices {
            f.offered_at = played_s;
            f.voted = None;
        }
        f.shown = Some(c);
    }
}

fn said_choice(me: &showrunner_festival::SeatName, choices: &[String], ch: &SharedChoice) {
    let text = choices.get(ch.index as usize).map_or("?", String::as_str);
    println!(
        "seat {me}: the shared film took \"{text}\" by {} (votes {:?})",
        ch.by, ch.votes
    );
}

/// Tags from the wire as directives; one that does not read is named and skipped.
fn directives(
    tags: &[String],
    me: &showrunner_festival::SeatName,
) -> Vec<showrunner_core::Directive> {
    tags.iter()
        .filter_map(|t| match showrunner_core::Directive::parse(t) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("seat {me}: the shared film's tag `{t}` skipped: {e}");
                None
            }
        })
        .collect()
}

/// What the seat tells the shared film's host for its viewer: the derived engagement every
/// [`SAMPLE_S`] (while sensing is allowed), and, for a `simulated` viewer (the headless
/// seat), a vote a second after the choice appears, for option `--seed` mod the options.
fn speak_for_the_viewer(
    f: &mut Following,
    show: &mut Show<Viewer>,
    link: &mut Link,
    me: &showrunner_festival::SeatName,
    played_s: f64,
    simulated: bool,
) {
    if played_s >= f.next_sample_s {
        f.next_sample_s = played_s + SAMPLE_S;
        show.viewer.poll();
        let s = show.viewer.sample(show.clock(), show.readout.intensity);
        f.sample = Some(s);
        // The window's readout shows this viewer's engagement (the film follows the room's).
        show.readout.sample = s;
        if show.consent().allows_gaze() {
            link.publish(Topic::SharedSample(me.clone()), Body::Sample(s));
        }
    }
    let Some(c) = &f.shown else { return };
    let open = !c.choices.is_empty() && c.chose.is_none() && !c.paused;
    if simulated && open && f.voted.is_none() && played_s - f.offered_at >= 1.0 {
        let choice = (f.vote_seed % c.choices.len() as u64) as usize;
        vote(f, link, me, choice);
    }
}

/// The seat's vote on the choice on offer (a later one replaces it at the host); nothing when
/// none is on offer.
fn vote(f: &mut Following, link: &mut Link, me: &showrunner_festival::SeatName, choice: usize) {
    let Some(c) = &f.shown else { return };
    if c.choices.is_empty() || c.chose.is_some() || choice >= c.choices.len() {
        return;
    }
    f.voted = Some(c.beat);
    println!("seat {me}: votes for \"{}\"", c.choices[choice]);
    link.publish(
        Topic::SharedVote(me.clone()),
        Body::Vote(Vote {
            beat: c.beat,
            choice: choice as u32,
        }),
    );
}
