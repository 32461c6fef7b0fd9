//! The shared film (`festival serve --shared`): one [`Show`] on the operator's machine, its
//! director reading the room's collective engagement, its choices a vote of the seats. Each seat
//! renders the film itself from the host's [`SharedCue`]s, presenting each at the same instant
//! on the film's clock.
//!
//! The host runs [`LEAD_MS`] ahead of what the seats show, so a cue reaches every seat before
//! its time and none waits on the network to present it. Every cue carries the whole present
//! (the beat, the stage so far, the choices, the director), so a seat that joins late or lost
//! the broker for a while stages the current beat and is in step again.
//!
//! **The collective engagement** the director reads ([`Collective`]), over the seats whose
//! derived sample (never a heart rate) arrived within [`PRESENT_S`] and whose signal quality
//! is above zero, each weighted by its quality:
//! - `arousal_z`: the weighted mean, or the most aroused seat's arousal less one standard
//!   deviation, whichever is higher, so one overwhelmed viewer still brings the ceiling's
//!   back-off;
//! - `boredom` and `attention`: the weighted means;
//! - `quality`: the mean quality of the seats counted (none counted: neutral, no signal).
//!
//! **Votes**: each seat votes once per choice point (a later vote replaces its earlier). The
//! choice is called when every seat counted has voted, or one second before the director's own
//! wait runs out, for the option with the most votes. A tie or silence is left to the director,
//! which also keeps its comfort rules (sparing a character when arousal runs too high) over the
//! room's vote.

use std::collections::{BTreeMap, VecDeque};

use anyhow::Result;
use serde::Serialize;
use showrunner_director::DirectorConfig;
use showrunner_festival::{
    EngagementSample, Outcome, SeatName, SharedChoice, SharedCue, SharedDirector, Vote,
};
use showrunner_scene::sets::SetLibrary;
use showrunner_show::EngagementSource;
use showrunner_show::{Cue, Show};
use showrunner_story::CompiledStory;

/// How far the host runs ahead of what the seats present, ms: a cue's time to reach every seat.
pub const LEAD_MS: u64 = 400;
/// A seat's sample counts for this long after it arrives, seconds.
pub const PRESENT_S: f64 = 3.0;
/// The host says where the film is at least this often (a cue with nothing new), ms.
const HEARTBEAT_MS: u64 = 1000;
/// The decisions the console is shown.
const DECISIONS: usize = 24;

/// The room's engagement: the seats' last derived samples, as the host's director reads them.
#[derive(Debug, Default)]
pub struct Collective {
    seats: BTreeMap<SeatName, (EngagementSample, u64)>,
    /// The host's clock now, ms since the Unix epoch (set before each step).
    now_ms: u64,
}

/// The room's engagement at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RoomEngagement {
    /// What the director reads.
    pub sample: EngagementSample,
    /// Seats counted.
    pub seats: usize,
    /// Of those, the quality-weighted share whose boredom is at or above 0.6.
    pub bored_share: f32,
}

impl Collective {
    /// A seat's sample, received at `now_ms`.
    pub fn take(&mut self, seat: &SeatName, sample: EngagementSample, now_ms: u64) {
        self.seats
            .insert(seat.clone(), (sample.sanitized(), now_ms));
    }

    /// The seats counted at `now_ms`: a sample within [`PRESENT_S`], with some signal.
    fn counted(&self, now_ms: u64) -> impl Iterator<Item = (&SeatName, &EngagementSample)> {
        self.seats.iter().filter_map(move |(name, (s, at))| {
            let fresh = now_ms.saturating_sub(*at) as f64 <= PRESENT_S * 1e3;
            (fresh && s.quality > 0.0).then_some((name, s))
        })
    }

    /// How many seats are counted at `now_ms`.
    pub fn present(&self, now_ms: u64) -> usize {
        self.counted(now_ms).count()
    }

    /// The room's engagement at show time `t` (see the module's docs).
    pub fn aggregate(&self, t: f64, now_ms: u64) -> RoomEngagement {
        let (mut w, mut a, mut b, mut att, mut q, mut bored, mut top, mut n) =
            (0.0f32, 0.0, 0.0, 0.0, 0.0, 0.0, f32::MIN, 0usize);
        for (_, s) in self.counted(now_ms) {
            w += s.quality;
            a += s.quality * s.arousal_z;
            b += s.quality * s.boredom;
            att += s.quality * s.attention;
            q += s.quality;
            if s.boredom >= 0.6 {
                bored += s.quality;
            }
            top = top.max(s.arousal_z);
            n += 1;
        }
        if n == 0 {
            return RoomEngagement {
                sample: EngagementSample::neutral(t),
                seats: 0,
                bored_share: 0.0,
            };
        }
        let sample = EngagementSample {
            t,
            arousal_z: (a / w).max(top - 1.0),
            boredom: b / w,
            attention: att / w,
            quality: q / n as f32,
        }
        .sanitized();
        RoomEngagement {
            sample,
            seats: n,
            bored_share: bored / w,
        }
    }
}

impl EngagementSource for Collective {
    fn sample(&mut self, t: f64, _intensity: f32) -> EngagementSample {
        self.aggregate(t, self.now_ms).sample
    }
}

/// One choice point's votes.
#[derive(Debug, Clone)]
struct Ballot {
    beat: u64,
    options: usize,
    votes: BTreeMap<SeatName, u32>,
    /// The option the room's vote called, once it has.
    called: Option<u32>,
    /// A tie was left to the director (said once).
    tied: bool,
}

impl Ballot {
    fn counts(&self) -> Vec<u32> {
        let mut c = vec![0u32; self.options];
        for v in self.votes.values() {
            if let Some(n) = c.get_mut(*v as usize) {
                *n += 1;
            }
        }
        c
    }
}

/// The option with the most votes; `None` on silence or a tie.
fn plurality(counts: &[u32]) -> Option<u32> {
    let top = *counts.iter().max()?;
    if top == 0 || counts.iter().filter(|c| **c == top).count() > 1 {
        return None;
    }
    counts.iter().position(|c| *c == top).map(|i| i as u32)
}

/// A decision of the shared film, as the console lists them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The film.
    pub film: u64,
    /// Seconds on its clock.
    pub at_s: f64,
    /// What was decided, in words.
    pub what: String,
}

struct Film {
    show: Show<Collective>,
    number: u64,
    /// When the host's show clock read 0, ms since the Unix epoch (moved on by pauses).
    zero_ms: u64,
    last_ms: u64,
    paused_at: Option<u64>,
    cue: SharedCue,
    sent: Option<(SharedCue, u64)>,
    ballot: Option<Ballot>,
    /// How the choice last taken is said: the show's words for it (which speak to one viewer,
    /// "you chose …") and the room's ("the room chose … (2 of 3 votes)").
    chose_words: Option<(String, String)>,
    /// The room's words for a choice taken this step, until the show's are known.
    chose_now: Option<String>,
}

/// What a step of the host has to say.
#[derive(Debug, Default)]
pub struct Stepped {
    /// A cue to publish (retained on `shared/cue`).
    pub cue: Option<SharedCue>,
    /// Lines for the operator's log.
    pub said: Vec<String>,
}

/// The shared film's host.
pub struct SharedHost {
    story: CompiledStory,
    name: String,
    config: DirectorConfig,
    seed: u64,
    films: u64,
    film: Option<Film>,
    /// The room's samples, kept between films (a seat's next sample replaces it).
    room: Collective,
    /// The latest decisions, newest last.
    pub decisions: VecDeque<Decision>,
    /// The last cue published (the console shows it after the film ends).
    last: Option<SharedCue>,
}

impl SharedHost {
    /// A host of `story` with the director's `config`; each film's seed is `seed` plus its
    /// number less one.
    pub fn new(story: CompiledStory, config: DirectorConfig, seed: u64) -> Self {
        let name = std::path::Path::new(&story.path)
            .file_name()
            .map_or_else(|| story.path.clone(), |n| n.to_string_lossy().into_owned());
        Self {
            story,
            name,
            config,
            seed,
            films: 0,
            film: None,
            room: Collective::default(),
            decisions: VecDeque::new(),
            last: None,
        }
    }

    /// The film playing (its number), if one is.
    pub fn film(&self) -> Option<u64> {
        self.film.as_ref().map(|f| f.number)
    }

    /// Starts a film at `now_ms` unless one plays; its number either way.
    pub fn start(&mut self, now_ms: u64) -> Result<u64> {
        if let Some(f) = &self.film {
            return Ok(f.number);
        }
        let number = self.films + 1;
        let mut show = Show::new(
            &self.story,
            self.seed.wrapping_add(number - 1),
            self.config.clone(),
            SetLibrary::builtin(),
            std::mem::take(&mut self.room),
        )?;
        show.hand_out_cues(true);
        self.films = number;
        let cue = SharedCue {
            film: number,
            story: self.name.clone(),
            epoch_ms: now_ms + LEAD_MS,
            at_s: 0.0,
            beat: 0,
            start_s: 0.0,
            knot: String::new(),
            text: String::new(),
            tags: Vec::new(),
            staged: Vec::new(),
            choices: Vec::new(),
            chose: None,
            director: director_of(&show),
            paused: false,
            ended: false,
            outcome: None,
        };
        self.film = Some(Film {
            show,
            number,
            zero_ms: now_ms,
            last_ms: now_ms,
            paused_at: None,
            cue,
            sent: None,
            ballot: None,
            chose_words: None,
            chose_now: None,
        });
        self.decide(
            number,
            0.0,
            format!("shared film {number} of {} begins", self.name),
        );
        Ok(number)
    }

    /// Holds the film (the seats hold it too).
    pub fn pause(&mut self, now_ms: u64) {
        if let Some(f) = &mut self.film {
            f.paused_at.get_or_insert(now_ms);
            f.cue.paused = true;
        }
    }

    /// Goes on from where it was held.
    pub fn resume(&mut self, now_ms: u64) {
        if let Some(f) = &mut self.film {
            if let Some(at) = f.paused_at.take() {
                f.zero_ms += now_ms.saturating_sub(at);
                f.last_ms = now_ms;
            }
            f.cue.paused = false;
        }
    }

    /// Ends the film (the operator reset every seat): its last cue says so.
    pub fn reset(&mut self) -> Stepped {
        let Some(mut f) = self.film.take() else {
            return Stepped::default();
        };
        f.cue.ended = true;
        f.cue.outcome = Some(Outcome::Reset);
        f.cue.at_s = f.show.clock();
        f.cue.epoch_ms = f.zero_ms + LEAD_MS;
        self.room = std::mem::take(&mut f.show.viewer);
        let said = format!("shared film {} reset by the operator", f.number);
        self.decide(f.number, f.cue.at_s, said.clone());
        self.last = Some(f.cue.clone());
        Stepped {
            cue: Some(f.cue),
            said: vec![said],
        }
    }

    /// A seat's derived engagement, received at `now_ms`.
    pub fn sample(&mut self, seat: &SeatName, sample: EngagementSample, now_ms: u64) {
        match &mut self.film {
            Some(f) => f.show.viewer.take(seat, sample, now_ms),
            None => self.room.take(seat, sample, now_ms),
        }
    }

    /// A seat's vote; `Err` says why it does not count.
    pub fn vote(&mut self, seat: &SeatName, vote: Vote) -> Result<(), String> {
        let ballot = self
            .film
            .as_mut()
            .and_then(|f| f.ballot.as_mut())
            .ok_or("no choice is on offer")?;
        if vote.beat != ballot.beat {
            return Err(format!(
                "a vote on beat {}, but the choice on offer follows beat {}",
                vote.beat, ballot.beat
            ));
        }
        if vote.choice as usize >= ballot.options {
            return Err(format!(
                "option {} of {} (options count from 0)",
                vote.choice, ballot.options
            ));
        }
        if ballot.called.is_some() {
            return Err("the choice is already called".into());
        }
        ballot.votes.insert(seat.clone(), vote.choice);
        Ok(())
    }

    fn decide(&mut self, film: u64, at_s: f64, what: String) {
        if self.decisions.len() >= DECISIONS {
            self.decisions.pop_front();
        }
        self.decisions.push_back(Decision { film, at_s, what });
    }

    /// Runs the film up to `now_ms` (the host's clock): the story, the director on the room's
    /// engagement, the vote; says what to publish.
    pub fn step(&mut self, now_ms: u64) -> Result<Stepped> {
        let mut out = Stepped::default();
        let Some(f) = &mut self.film else {
            return Ok(out);
        };
        let mut decided = Vec::new();
        if f.paused_at.is_none() {
            f.show.viewer.now_ms = now_ms;
            let mut left = now_ms.saturating_sub(f.last_ms) as f64 / 1e3;
            f.last_ms = now_ms;
            while left > 0.0 && !f.cue.ended {
                let dt = left.min(0.25);
                left -= dt;
                let frame = f.show.run(dt)?;
                for cue in frame.cues {
                    take_cue(f, cue);
                }
            }
            call_the_vote(f, now_ms, &self.config, &mut decided);
        }
        if let Some(ours) = f.chose_now.take() {
            f.chose_words = Some((f.show.readout.decision.clone(), ours));
        }
        let before = f.cue.director.decision.clone();
        f.cue.director = director_of(&f.show);
        if let Some((show_s, ours)) = &f.chose_words {
            if f.cue.director.decision == *show_s {
                f.cue.director.decision.clone_from(ours);
            }
        }
        if f.cue.director.decision != before && !f.cue.director.decision.is_empty() {
            decided.push(f.cue.director.decision.clone());
        }
        f.cue.at_s = f.show.clock();
        f.cue.epoch_ms = f.zero_ms + LEAD_MS;
        let due = match &f.sent {
            None => true,
            Some((sent, at)) => now_ms.saturating_sub(*at) >= HEARTBEAT_MS || news(sent, &f.cue),
        };
        let (number, at_s, ended) = (f.number, f.cue.at_s, f.cue.ended);
        if due {
            f.sent = Some((f.cue.clone(), now_ms));
            out.cue = Some(f.cue.clone());
            self.last = Some(f.cue.clone());
        }
        for what in decided {
            out.said
                .push(format!("shared film {number}, {at_s:.1} s: {what}"));
            self.decide(number, at_s, what);
        }
        if ended {
            let f = self.film.take().expect("a film");
            self.room = f.show.viewer;
            let what = format!("shared film {number} ended after {} beats", f.cue.beat);
            out.said.push(what.clone());
            self.decide(number, at_s, what);
        }
        Ok(out)
    }

    /// The shared film as the console shows it.
    pub fn snapshot(&self, now_ms: u64) -> serde_json::Value {
        let (cue, room, present) = match &self.film {
            Some(f) => (
                Some(&f.cue),
                f.show.viewer.aggregate(f.show.clock(), now_ms),
                f.ballot.as_ref().map(|b| (b.counts(), b.votes.len())),
            ),
            None => (self.last.as_ref(), self.room.aggregate(0.0, now_ms), None),
        };
        serde_json::json!({
            "story": self.name,
            "playing": self.film.is_some(),
            "cue": cue,
            "room": room,
            "votes": present.as_ref().map(|(c, _)| c),
            "voters": present.map(|(_, n)| n),
            "decisions": self.decisions,
        })
    }
}

/// The director as every seat takes it.
fn director_of(show: &Show<Collective>) -> SharedDirector {
    let r = &show.readout;
    SharedDirector {
        mode: r.mode.to_owned(),
        palette: show.palette_name(),
        grade: r.grade,
        intensity: r.intensity,
        refine_strength: r.refine_strength,
        decision: r.decision.clone(),
    }
}

/// A directive as a seat stages it from the wire: palettes stay with the host (the grade
/// carries them), and a story's own palette definitions with it.
fn tag(d: &showrunner_core::Directive) -> Option<String> {
    use showrunner_core::Directive as D;
    (!matches!(d, D::Palette(_) | D::PaletteDef(_))).then(|| d.to_string())
}

/// What the host's show handed out, into the film's cue.
fn take_cue(f: &mut Film, cue: Cue) {
    let c = &mut f.cue;
    match cue {
        Cue::Beat {
            knot,
            text,
            directives,
        } => {
            c.beat += 1;
            c.start_s = f.show.clock();
            c.knot = knot;
            c.text = text;
            c.tags = directives.iter().filter_map(tag).collect();
            c.staged = f.show.staged().iter().filter_map(tag).collect();
            c.choices.clear();
            c.chose = None;
            f.ballot = None;
        }
        Cue::Choices(texts) => {
            f.ballot = Some(Ballot {
                beat: c.beat,
                options: texts.len(),
                votes: BTreeMap::new(),
                called: None,
                tied: false,
            });
            c.choices = texts;
            c.chose = None;
        }
        Cue::Chose { index, fates } => {
            let (votes, called) = f
                .ballot
                .as_ref()
                .map_or((vec![0; c.choices.len()], None), |b| (b.counts(), b.called));
            let by = if called == Some(index as u32) {
                "vote"
            } else {
                "director"
            };
            let text = c.choices.get(index).cloned().unwrap_or_default();
            let voted: u32 = votes.iter().sum();
            f.chose_now = Some(match (by, called) {
                ("vote", _) => format!(
                    "the room chose \"{text}\" ({} of {voted} votes)",
                    votes[index]
                ),
                (_, Some(_)) => format!("the director chose \"{text}\" over the room's vote"),
                _ if voted == 0 => format!("the director chose \"{text}\": nobody voted"),
                _ => format!("the director chose \"{text}\": the vote was tied"),
            });
            c.chose = Some(SharedChoice {
                index: index as u32,
                by: by.into(),
                votes,
                fates: fates.iter().filter_map(tag).collect(),
            });
            f.ballot = None;
        }
        Cue::End => {
            c.ended = true;
            c.outcome = Some(Outcome::Ended);
        }
        Cue::Tick(_) | Cue::Director { .. } => {}
    }
}

/// Calls the choice on offer for the room's plurality, once every seat counted has voted or
/// the director's wait is about to run out; a tie or silence is left to the director.
fn call_the_vote(f: &mut Film, now_ms: u64, config: &DirectorConfig, decided: &mut Vec<String>) {
    let Some(b) = &mut f.ballot else { return };
    if b.called.is_some() {
        return;
    }
    let present = f.show.viewer.present(now_ms);
    let everyone = present > 0 && b.votes.len() >= present;
    let closing = f
        .show
        .choice_waiting_s()
        .is_some_and(|w| w >= config.choice.timeout_s - 1.0);
    if !(everyone || closing) {
        return;
    }
    let counts = b.counts();
    match plurality(&counts) {
        Some(i) => {
            b.called = Some(i);
            f.show.choose(i as usize);
        }
        None if !b.votes.is_empty() && !b.tied => {
            b.tied = true;
            decided.push(format!(
                "the vote is tied ({counts:?}): the director decides"
            ));
        }
        None => {}
    }
}

/// Whether `now` says something the seats have not been told since `sent`.
fn news(sent: &SharedCue, now: &SharedCue) -> bool {
    let (a, b) = (&sent.director, &now.director);
    let g = |x: &showrunner_festival::Grade| [x.exposure_ev, x.warmth, x.saturation, x.contrast];
    let grade_moved = g(&a.grade)
        .iter()
        .zip(g(&b.grade))
        .any(|(x, y)| (x - y).abs() >= 0.01);
    sent.beat != now.beat
        || sent.choices != now.choices
        || sent.chose != now.chose
        || sent.paused != now.paused
        || sent.ended != now.ended
        || a.mode != b.mode
        || a.palette != b.palette
        || a.decision != b.decision
        || (a.intensity - b.intensity).abs() >= 0.02
        || grade_moved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(n: &str) -> SeatName {
        SeatName::new(n).unwrap()
    }

    fn sample(arousal_z: f32, boredom: f32, quality: f32) -> EngagementSample {
        EngagementSample {
            t: 0.0,
            arousal_z,
            boredom,
            attention: 0.8,
            quality,
        }
    }

    #[test]
    fn the_room_s_engagement_is_the_documented_aggregate() {
        let mut c = Collective::default();
        assert_eq!(c.aggregate(1.0, 0).sample, EngagementSample::neutral(1.0));
        c.take(&seat("a"), sample(0.0, 0.8, 1.0), 1000);
        c.take(&seat("b"), sample(1.0, 0.2, 0.5), 1000);
        // No signal: not counted.
        c.take(&seat("c"), sample(3.0, 0.9, 0.0), 1000);
        let r = c.aggregate(5.0, 1500);
        assert_eq!(r.seats, 2);
        let s = r.sample;
        assert!((s.arousal_z - 1.0 / 3.0).abs() < 1e-5, "{s:?}");
        assert!((s.boredom - (0.8 + 0.1) / 1.5).abs() < 1e-5);
        assert!((s.quality - 0.75).abs() < 1e-5);
        assert!((r.bored_share - 1.0 / 1.5).abs() < 1e-5);
        assert_eq!(s.t, 5.0);
        // One overwhelmed seat lifts the room's arousal to its own less one σ.
        c.take(&seat("d"), sample(4.0, 0.1, 0.2), 1000);
        assert!((c.aggregate(5.0, 1500).sample.arousal_z - 3.0).abs() < 1e-5);
        // Silent seats drop out after PRESENT_S.
        c.take(&seat("a"), sample(0.0, 0.8, 1.0), 4000);
        let later = c.aggregate(6.0, 4000 + 2000);
        assert_eq!(later.seats, 1);
        assert_eq!(c.present(10_000), 0);
    }

    #[test]
    fn the_plurality_calls_a_choice_and_a_tie_or_silence_does_not() {
        assert_eq!(plurality(&[1, 3, 2]), Some(1));
        assert_eq!(plurality(&[2, 2, 0]), None);
        assert_eq!(plurality(&[0, 0]), None);
        assert_eq!(plurality(&[]), None);
    }

    fn host() -> SharedHost {
        let story = showrunner_story::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/stories/lighthouse.ink"
        )))
        .unwrap();
        SharedHost::new(story, DirectorConfig::default(), 7)
    }

    /// Steps the host every 50 ms from `*t` for `s` seconds, keeping the room's samples fresh;
    /// the cues it publishes.
    fn run(h: &mut SharedHost, t: &mut u64, s: f64, seats: &[&str]) -> Vec<SharedCue> {
        let mut cues = Vec::new();
        let end = *t + (s * 1e3) as u64;
        while *t < end {
            *t += 50;
            if *t % 500 == 0 {
                for name in seats {
                    h.sample(&seat(name), sample(0.2, 0.3, 0.9), *t);
                }
            }
            cues.extend(h.step(*t).unwrap().cue);
        }
        cues
    }

    #[test]
    fn the_host_cues_each_beat_with_its_time_and_the_stage_so_far() {
        let mut h = host();
        let t0 = 1_800_000_000_000;
        let mut t = t0;
        assert_eq!(h.start(t).unwrap(), 1);
        assert_eq!(h.start(t).unwrap(), 1, "one film at a time");
        let cues = run(&mut h, &mut t, 40.0, &["a", "b"]);
        let beats: Vec<_> = cues.iter().map(|c| c.beat).collect();
        assert!(beats.windows(2).all(|w| w[1] >= w[0]), "{beats:?}");
        assert!(*beats.last().unwrap() >= 3, "{beats:?}");
        // Each beat's cue is sent as it begins, with the lead before the seats present it.
        for c in &cues {
            assert_eq!(c.epoch_ms, t0 + LEAD_MS);
            assert!(c.start_s <= c.at_s && c.at_s <= 40.0 + 1e-9);
        }
        let first = cues.iter().find(|c| c.beat == 1).unwrap();
        assert_eq!(
            first.start_s, first.at_s,
            "a new beat is cued when it begins"
        );
        assert!(first.staged.iter().any(|t| t.starts_with("scene:")));
        assert!(cues
            .iter()
            .all(|c| !c.tags.iter().any(|t| t.starts_with("palette"))));
        // Heartbeats: never more than a second without a cue.
        let gaps: Vec<_> = cues.windows(2).map(|w| w[1].at_s - w[0].at_s).collect();
        assert!(gaps.iter().all(|g| *g <= 1.1), "{gaps:?}");
        // The room's engagement is what the director read.
        let s = h.snapshot(t);
        assert_eq!(s["room"]["seats"], 2);
        assert_eq!(s["playing"], true);
    }

    #[test]
    fn a_pause_holds_the_film_and_moves_its_epoch_on() {
        let mut h = host();
        let mut t = 1_800_000_000_000;
        h.start(t).unwrap();
        run(&mut h, &mut t, 5.0, &[]);
        let clock = h.film.as_ref().unwrap().show.clock();
        h.pause(t);
        let held = run(&mut h, &mut t, 10.0, &[]);
        assert!(held.iter().all(|c| c.paused && c.at_s == clock));
        h.resume(t);
        let cues = run(&mut h, &mut t, 2.0, &[]);
        let last = cues.last().unwrap();
        assert!(!last.paused);
        assert_eq!(last.epoch_ms, 1_800_000_000_000 + 10_000 + LEAD_MS);
        let clock = h.film.as_ref().unwrap().show.clock();
        assert!(
            (clock - 7.0).abs() < 0.15,
            "the pause did not count: {clock}"
        );
        assert!(last.at_s > 5.5, "{}", last.at_s);
    }

    #[test]
    fn the_room_s_vote_calls_the_choice_and_silence_leaves_it_to_the_director() {
        for voting in [true, false] {
            let mut h = host();
            let mut t = 1_800_000_000_000;
            h.start(t).unwrap();
            let seats = ["a", "b", "c"];
            let mut chose = None;
            for _ in 0..4000 {
                let cues = run(&mut h, &mut t, 0.5, &seats);
                if let Some(c) = cues.iter().find_map(|c| c.chose.clone()) {
                    chose = Some(c);
                    break;
                }
                let Some(f) = &h.film else { break };
                if voting && !f.cue.choices.is_empty() {
                    let beat = f.cue.beat;
                    let last = f.cue.choices.len() as u32 - 1;
                    assert!(h
                        .vote(
                            &seat("z"),
                            Vote {
                                beat: beat + 1,
                                choice: 0
                            }
                        )
                        .is_err());
                    assert!(h.vote(&seat("z"), Vote { beat, choice: 99 }).is_err());
                    for (s, choice) in [("a", last), ("b", last), ("c", 0)] {
                        h.vote(&seat(s), Vote { beat, choice }).unwrap();
                    }
                }
            }
            let chose = chose.expect("a choice was taken");
            let said: Vec<_> = h.decisions.iter().map(|d| d.what.clone()).collect();
            if voting {
                assert_eq!(chose.by, "vote", "{said:?}");
                assert_eq!(chose.votes.iter().sum::<u32>(), 3);
                assert_eq!(chose.votes[chose.index as usize], 2);
                assert!(
                    said.iter().any(|s| s.contains("(2 of 3 votes)")),
                    "{said:?}"
                );
            } else {
                assert_eq!(chose.by, "director");
                assert!(said.iter().any(|s| s.contains("nobody voted")), "{said:?}");
            }
        }
    }

    #[test]
    fn a_reset_ends_the_film_and_the_next_start_is_a_new_one() {
        let mut h = host();
        let mut t = 1_800_000_000_000;
        h.start(t).unwrap();
        run(&mut h, &mut t, 3.0, &[]);
        let last = h.reset().cue.unwrap();
        assert!(last.ended && last.outcome == Some(Outcome::Reset));
        assert_eq!(h.film(), None);
        assert_eq!(h.start(t).unwrap(), 2);
        assert_eq!(h.snapshot(t)["cue"]["film"], 2);
    }
}
