//! The messages: an envelope (`v`, `from`, `seq`, `body`) whose body the topic decides.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use showrunner_core::{EngagementSample, Grade};

use crate::{ProtocolError, Sender, Topic, MAX_PAYLOAD, VERSION};

/// Where a seat is in its round of screenings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatState {
    /// Waiting for the operator's start (the previous viewer's data already deleted).
    Waiting,
    /// The consent notice is up.
    Consent,
    /// A film is playing.
    Playing,
    /// Held by the operator (or the viewer's menu).
    Paused,
    /// The film ended; the seat waits for a reset.
    Ended,
    /// Gone: the seat's last will, published by the broker when it vanishes.
    Offline,
}

/// The heart-rate strap as the seat sees it: its state only, never the heart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrapState {
    /// No strap: the film adapts to neutral engagement (or the viewer declined sensing).
    None,
    /// Looking for it.
    Searching,
    /// Connected, learning the viewer's calm baseline.
    Calibrating,
    /// Connected and read.
    Connected,
    /// Connected, but the strap does not touch the skin.
    NoContact,
    /// Lost; reconnecting in the background.
    Reconnecting,
}

/// Frame timing over the last second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameTiming {
    /// Median frame time, ms.
    pub p50_ms: f32,
    /// 99th percentile, ms.
    pub p99_ms: f32,
    /// Frames that missed the display's deadline.
    pub missed: u32,
}

/// The film as the director has it: what a lighting or sound desk follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilmState {
    /// The palette it is graded in (its name in the story's `palette:` tags).
    pub palette: String,
    /// The director's intensity, 0 ..= 1.
    pub intensity: f32,
    /// The director's last decision, in words.
    pub decision: String,
}

/// How a screening stopped, as the seat that played it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The story reached its end.
    Ended,
    /// The operator reset the seat mid-film.
    Reset,
    /// The seat was shut down mid-film.
    Stopped,
}

/// A seat's heartbeat, every second (retained).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatStatus {
    /// Where the seat is.
    pub state: SeatState,
    /// The story loaded (its file name), if any.
    pub story: Option<String>,
    /// Beats begun in this screening.
    pub beat: u64,
    /// The knot the story is in.
    pub knot: String,
    /// The strap.
    pub strap: StrapState,
    /// The viewer's derived engagement (no heart rate), while sensing is on.
    pub engagement: Option<EngagementSample>,
    /// The film's palette, intensity and last decision, while one plays.
    #[serde(default)]
    pub film: Option<FilmState>,
    /// The screening this status is about: its number in the seat's run (`boot`), 1 for the
    /// first, 0 before any. With the run it names the screening in the operator's record.
    #[serde(default)]
    pub screening: u64,
    /// Film time played in that screening, seconds on the seat's clock (the simulated one with
    /// `--fast`).
    #[serde(default)]
    pub played_s: f64,
    /// How that screening stopped, once it has.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Frame timing.
    pub frame: FrameTiming,
    /// The last error the seat met, for the operator's alarm.
    pub last_error: Option<String>,
}

impl SeatStatus {
    /// A seat in `state` with no film: no story, beat, strap, engagement or frames (a last
    /// will's `offline`, a seat's first word).
    pub fn idle(state: SeatState) -> Self {
        Self {
            state,
            story: None,
            beat: 0,
            knot: String::new(),
            strap: StrapState::None,
            engagement: None,
            film: None,
            screening: 0,
            played_s: 0.0,
            outcome: None,
            frame: FrameTiming {
                p50_ms: 0.0,
                p99_ms: 0.0,
                missed: 0,
            },
            last_error: None,
        }
    }
}

/// What the operator asks of a seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Start the film (the loaded story, or this one) for the viewer in the seat.
    Start {
        /// The story to play, when not the loaded one.
        story: Option<String>,
    },
    /// Hold the film.
    Pause,
    /// Go on.
    Resume,
    /// End the screening, delete the viewer's data, and wait for the next viewer.
    Reset,
    /// Load a story (a file the seat has) for the next start.
    LoadStory {
        /// The story's file name.
        story: String,
    },
    /// The viewer consented before the headset went on (the installation took it).
    ConsentGiven,
    /// Join the shared film `film` the operator hosts: a screening that plays the host's cues
    /// from its current beat (what `start` becomes while the operator hosts one).
    Join {
        /// The film's number ([`SharedCue::film`]).
        film: u64,
    },
}

/// A seat's answer to a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// The command's `seq`.
    pub seq: u64,
    /// Whether it was done.
    pub ok: bool,
    /// Why not, when not.
    pub error: Option<String>,
}

/// The director of a shared film as its host has it: what every seat grades and stages with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedDirector {
    /// Its mode (`engaged`, `bored`, `gripped`, `deescalating`, `no_signal`), read from the
    /// room's collective engagement.
    pub mode: String,
    /// The palette it grades in (its name in the story's `palette:` tags).
    pub palette: String,
    /// The grade every seat renders with (already rate-limited by the director: no flashes).
    pub grade: Grade,
    /// Its intensity, 0 ..= 1.
    pub intensity: f32,
    /// The refiner's strength it asks for (0 = off).
    pub refine_strength: f32,
    /// Its last decision, in words.
    pub decision: String,
}

/// How the shared film's choice was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedChoice {
    /// The option taken (0-based).
    pub index: u32,
    /// `vote` (the seats' plurality) or `director` (a tie, silence, or the director's comfort
    /// rules overriding the room).
    pub by: String,
    /// The seats' votes for each option when it was taken.
    pub votes: Vec<u32>,
    /// The `fate:` directives it staged, as tags.
    pub fates: Vec<String>,
}

/// The shared film as its host has it now (retained on `shared/cue`): sent when a beat begins,
/// choices are offered or taken, the director changes its mind, the film pauses, resumes or
/// ends, and every second. Each cue says all a seat needs, so one that joins late (or lost
/// some) stages `staged` and is at the current beat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedCue {
    /// The film's number in the host's run (a seat joins one film; a new film, a new number).
    pub film: u64,
    /// The story (its file name). Seats need not have it: the cue carries the beat.
    pub story: String,
    /// When the film's clock read 0 on the seats, ms since the Unix epoch: a seat presents
    /// show time `s` at `epoch_ms + 1000 s` on its own clock (venue machines keep time by NTP).
    /// The host runs ahead of this by its lead, so a cue arrives before its time. A pause moves
    /// it on by the pause's length.
    pub epoch_ms: u64,
    /// When what the cue says takes effect, seconds on the film's clock.
    pub at_s: f64,
    /// The beat's number in the film (1 for the first; 0 before any).
    pub beat: u64,
    /// When the beat began, seconds on the film's clock.
    pub start_s: f64,
    /// The knot it is in.
    pub knot: String,
    /// Its line.
    pub text: String,
    /// Its directives, as the story's tags (`scene: lamp_room`), in order (without palettes:
    /// the director's grade carries the colour).
    pub tags: Vec<String>,
    /// The stage with this beat, as tags: the scene, view, cast and fates so far. What a seat
    /// that joins late, or missed a beat, stages instead of `tags`.
    pub staged: Vec<String>,
    /// The choices on offer after the beat (empty when none): the seats vote.
    pub choices: Vec<String>,
    /// The choice taken, once it is.
    pub chose: Option<SharedChoice>,
    /// The director now.
    pub director: SharedDirector,
    /// The operator paused the film: the seats hold it.
    pub paused: bool,
    /// The film is over: its story ended (or the operator reset it, with `outcome`).
    pub ended: bool,
    /// How it ended, once it has.
    pub outcome: Option<Outcome>,
}

/// A seat's vote on the shared film's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    /// The beat the choice follows.
    pub beat: u64,
    /// The option chosen (0-based).
    pub choice: u32,
}

/// A message's body: what its topic carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// On `seat/NAME/status`.
    Status(SeatStatus),
    /// On `seat/NAME/command` and `all/command`.
    Command(Command),
    /// On `seat/NAME/ack`.
    Ack(Ack),
    /// On `shared/cue`.
    Cue(SharedCue),
    /// On `shared/sample/NAME`.
    Sample(EngagementSample),
    /// On `shared/vote/NAME`.
    Vote(Vote),
}

/// A message: where it goes, who sent it, its number in the sender's sequence, its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its topic.
    pub topic: Topic,
    /// Its sender (the topic's publisher).
    pub from: Sender,
    /// The sender's count of messages in this run, from 0 (an ack names its command's).
    pub seq: u64,
    /// The sender's run: a random number it draws when it starts (with `seq`, what
    /// [`crate::Replay`] checks).
    pub boot: u64,
    /// When it was sent, ms since the Unix epoch on the sender's clock.
    pub sent_ms: u64,
    /// What it says.
    pub body: Body,
}

#[derive(Serialize)]
struct Envelope<'a, B> {
    v: u32,
    from: String,
    seq: u64,
    boot: u64,
    sent_ms: u64,
    body: &'a B,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    v: u64,
    from: String,
    seq: u64,
    boot: u64,
    sent_ms: u64,
    body: Value,
}

/// The message's topic name and payload (one JSON object).
pub fn encode(m: &Message) -> (String, Vec<u8>) {
    fn env<B: Serialize>(m: &Message, body: &B) -> Vec<u8> {
        serde_json::to_vec(&Envelope {
            v: VERSION,
            from: m.from.to_string(),
            seq: m.seq,
            boot: m.boot,
            sent_ms: m.sent_ms,
            body,
        })
        .expect("the protocol's types serialize")
    }
    let payload = match &m.body {
        Body::Status(b) => env(m, b),
        Body::Command(b) => env(m, b),
        Body::Ack(b) => env(m, b),
        Body::Cue(b) => env(m, b),
        Body::Sample(b) => env(m, b),
        Body::Vote(b) => env(m, b),
    };
    (m.topic.path(), payload)
}

/// Reads a message that came on `topic`. Never panics; whatever it refuses is named with the
/// topic and the place (see [`ProtocolError`]). A seat's engagement is kept in range
/// ([`EngagementSample::sanitized`]).
pub fn decode(topic: &str, payload: &[u8]) -> Result<Message, ProtocolError> {
    let t = Topic::parse(topic)?;
    let name = || topic.escape_default().to_string();
    if payload.len() > MAX_PAYLOAD {
        return Err(ProtocolError::TooLarge {
            topic: name(),
            len: payload.len(),
        });
    }
    let raw: RawEnvelope = serde_json::from_slice(payload).map_err(|e| ProtocolError::Json {
        topic: name(),
        line: e.line(),
        column: e.column(),
        why: e.to_string(),
    })?;
    if raw.v != u64::from(VERSION) {
        return Err(ProtocolError::Version {
            topic: name(),
            found: raw.v,
        });
    }
    let from = Sender::parse(&raw.from).map_err(|why| ProtocolError::Value {
        topic: name(),
        field: "from".into(),
        why,
    })?;
    let expected = t.publisher();
    if from != expected {
        return Err(ProtocolError::Sender {
            topic: name(),
            from: from.to_string(),
            expected: expected.to_string(),
        });
    }
    fn body<T: serde::de::DeserializeOwned>(topic: String, v: Value) -> Result<T, ProtocolError> {
        serde_json::from_value(v).map_err(|e| ProtocolError::Json {
            topic,
            line: 0,
            column: 0,
            why: format!("body: {e}"),
        })
    }
    let body = match &t {
        Topic::Status(_) => {
            let mut s: SeatStatus = body(name(), raw.body)?;
            s.engagement = s.engagement.map(EngagementSample::sanitized);
            if let Some(f) = &mut s.film {
                // As the director's guard keeps it: in range, never NaN.
                f.intensity = if f.intensity.is_finite() {
                    f.intensity.clamp(0.0, 1.0)
                } else {
                    0.0
                };
            }
            if !s.played_s.is_finite() || s.played_s < 0.0 {
                s.played_s = 0.0;
            }
            Body::Status(s)
        }
        Topic::Command(_) | Topic::AllCommand => Body::Command(body(name(), raw.body)?),
        Topic::Ack(_) => Body::Ack(body(name(), raw.body)?),
        Topic::SharedCue => {
            let mut c: SharedCue = body(name(), raw.body)?;
            for (field, v) in [("start_s", c.start_s), ("at_s", c.at_s)] {
                if !v.is_finite() || v < 0.0 {
                    return Err(ProtocolError::Value {
                        topic: name(),
                        field: format!("body.{field}"),
                        why: format!("is {v}: seconds, finite and not negative"),
                    });
                }
            }
            sanitize_director(&mut c.director);
            Body::Cue(c)
        }
        Topic::SharedSample(_) => {
            Body::Sample(body::<EngagementSample>(name(), raw.body)?.sanitized())
        }
        Topic::SharedVote(_) => Body::Vote(body(name(), raw.body)?),
    };
    Ok(Message {
        topic: t,
        from,
        seq: raw.seq,
        boot: raw.boot,
        sent_ms: raw.sent_ms,
        body,
    })
}

/// The host's director as every seat's renderer may take it: in range, never NaN (a grade out
/// of range becomes neutral rather than a flash).
fn sanitize_director(d: &mut SharedDirector) {
    let unit = |v: f32| {
        if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    d.intensity = unit(d.intensity);
    d.refine_strength = unit(d.refine_strength);
    let g = &d.grade;
    let in_range = g.exposure_ev.is_finite()
        && (-4.0..=4.0).contains(&g.exposure_ev)
        && (-1.0..=1.0).contains(&g.warmth)
        && (0.0..=2.0).contains(&g.saturation)
        && (0.5..=1.5).contains(&g.contrast);
    if !in_range {
        d.grade = Grade::NEUTRAL;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeatName;
    use proptest::prelude::*;

    fn seat() -> SeatName {
        SeatName::new("seat-1").unwrap()
    }

    fn status() -> SeatStatus {
        SeatStatus {
            state: SeatState::Playing,
            story: Some("lighthouse.ink".into()),
            beat: 12,
            knot: "lamp_room".into(),
            strap: StrapState::Connected,
            engagement: Some(EngagementSample {
                t: 40.0,
                arousal_z: 0.8,
                boredom: 0.2,
                attention: 0.9,
                quality: 0.95,
            }),
            film: None,
            frame: FrameTiming {
                p50_ms: 9.1,
                p99_ms: 12.5,
                missed: 0,
            },
            screening: 0,
            played_s: 0.0,
            outcome: None,
            last_error: None,
        }
    }

    pub(crate) fn cue() -> SharedCue {
        SharedCue {
            film: 2,
            story: "lighthouse.ink".into(),
            epoch_ms: 1_796_000_000_000,
            at_s: 33.0,
            beat: 4,
            start_s: 31.5,
            knot: "gallery".into(),
            text: "SHIEL: This is you, then.".into(),
            tags: vec!["scene: gallery".into(), "cast: boatman=shiel".into()],
            staged: vec!["scene: gallery".into(), "cast: boatman=shiel".into()],
            choices: vec!["Stay".into(), "Go".into()],
            chose: Some(SharedChoice {
                index: 1,
                by: "vote".into(),
                votes: vec![1, 2],
                fates: vec![],
            }),
            director: SharedDirector {
                mode: "engaged".into(),
                palette: "storm".into(),
                grade: Grade::NEUTRAL,
                intensity: 0.6,
                refine_strength: 0.0,
                decision: String::new(),
            },
            paused: false,
            ended: false,
            outcome: None,
        }
    }

    fn every_kind() -> Vec<Message> {
        let s = seat();
        let seat_says = |topic: Topic, body: Body| Message {
            topic,
            from: Sender::Seat(s.clone()),
            seq: 7,
            boot: 41,
            sent_ms: 1_796_000_000_000,
            body,
        };
        let operator_says = |topic: Topic, body: Body| Message {
            topic,
            from: Sender::Operator,
            seq: 3,
            boot: 5,
            sent_ms: 1_796_000_000_000,
            body,
        };
        vec![
            seat_says(Topic::Status(s.clone()), Body::Status(status())),
            operator_says(
                Topic::Command(s.clone()),
                Body::Command(Command::Start {
                    story: Some("lighthouse.ink".into()),
                }),
            ),
            operator_says(Topic::AllCommand, Body::Command(Command::Reset)),
            seat_says(
                Topic::Ack(s.clone()),
                Body::Ack(Ack {
                    seq: 3,
                    ok: false,
                    error: Some("no story `x.ink` on this seat".into()),
                }),
            ),
            operator_says(Topic::SharedCue, Body::Cue(cue())),
            seat_says(
                Topic::SharedSample(s.clone()),
                Body::Sample(status().engagement.unwrap()),
            ),
            seat_says(
                Topic::SharedVote(s.clone()),
                Body::Vote(Vote { beat: 9, choice: 1 }),
            ),
        ]
    }

    #[test]
    fn every_message_reads_back_as_it_was_sent() {
        for m in every_kind() {
            let (topic, payload) = encode(&m);
            assert_eq!(decode(&topic, &payload).unwrap(), m, "{topic}");
        }
        // The wire form, as docs/festival.md shows it.
        let (_, p) = encode(&every_kind()[2]);
        assert_eq!(
            String::from_utf8(p).unwrap(),
            r#"{"v":1,"from":"operator","seq":3,"boot":5,"sent_ms":1796000000000,"body":{"do":"reset"}}"#
        );
    }

    #[test]
    fn refusals_name_the_topic_and_the_place() {
        let cmd = "showrunner/v1/seat/seat-1/command";
        let status = "showrunner/v1/seat/seat-1/status";
        let cases: [(&str, &str, &str); 7] = [
            (cmd, "{\"v\":1,\n\"from\":", "line 2"),
            (
                cmd,
                r#"{"v":2,"from":"operator","seq":0,"boot":1,"sent_ms":0,"body":{"do":"pause"}}"#,
                "version 2",
            ),
            (
                cmd,
                r#"{"v":1,"from":"seat:seat-2","seq":0,"boot":1,"sent_ms":0,"body":{"do":"pause"}}"#,
                "only `operator` may publish",
            ),
            (
                status,
                r#"{"v":1,"from":"seat:seat-2","seq":0,"boot":1,"sent_ms":0,"body":{}}"#,
                "only `seat:seat-1`",
            ),
            (
                cmd,
                r#"{"v":1,"from":"operator","seq":0,"boot":1,"sent_ms":0,"body":{"do":"launch"}}"#,
                "unknown variant `launch`",
            ),
            (
                cmd,
                r#"{"v":1,"from":"root","seq":0,"boot":1,"sent_ms":0,"body":{"do":"pause"}}"#,
                "`from`",
            ),
            (
                "showrunner/v1/shared/cue",
                r#"{"v":1,"from":"operator","seq":0,"boot":1,"sent_ms":0,"body":{"film":1,"story":"a.ink","epoch_ms":0,"at_s":0,"beat":1,"start_s":-1,"knot":"","text":"","tags":[],"staged":[],"choices":[],"chose":null,"director":{"mode":"engaged","palette":"neutral","grade":{"exposure_ev":0,"warmth":0,"saturation":1,"contrast":1},"intensity":0.5,"refine_strength":0,"decision":""},"paused":false,"ended":false,"outcome":null}}"#,
                "body.start_s",
            ),
        ];
        for (topic, payload, says) in cases {
            let e = decode(topic, payload.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(topic) && e.contains(says), "{payload}: {e}");
        }
        let big = vec![b' '; MAX_PAYLOAD + 1];
        assert!(decode(cmd, &big)
            .unwrap_err()
            .to_string()
            .contains("over the"));
    }

    #[test]
    fn a_seat_s_engagement_is_kept_in_range() {
        let topic = "showrunner/v1/shared/sample/seat-1";
        let p = r#"{"v":1,"from":"seat:seat-1","seq":0,"boot":1,"sent_ms":0,"body":{"t":1,"arousal_z":1e39,"boredom":-3,"attention":2,"quality":0.5}}"#;
        let Body::Sample(s) = decode(topic, p.as_bytes()).unwrap().body else {
            panic!("a sample")
        };
        assert!(s.arousal_z.is_finite() && (0.0..=1.0).contains(&s.boredom));
        assert_eq!(s.attention, 1.0);
    }

    #[test]
    fn a_host_s_director_is_kept_in_range() {
        let mut c = cue();
        c.director.intensity = 7.0;
        c.director.grade.saturation = 40.0;
        let m = Message {
            topic: Topic::SharedCue,
            from: Sender::Operator,
            seq: 1,
            boot: 1,
            sent_ms: 0,
            body: Body::Cue(c),
        };
        let (topic, payload) = encode(&m);
        let Body::Cue(c) = decode(&topic, &payload).unwrap().body else {
            panic!("a cue")
        };
        assert_eq!(c.director.intensity, 1.0);
        assert_eq!(
            c.director.grade,
            Grade::NEUTRAL,
            "no flash from a bad grade"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever arrives, on whatever topic, the decoder answers without panicking.
        #[test]
        fn any_bytes_on_any_topic_never_panic(
            topic in prop_oneof![
                Just("showrunner/v1/seat/a/status".to_owned()),
                Just("showrunner/v1/seat/a/command".to_owned()),
                Just("showrunner/v1/shared/cue".to_owned()),
                Just("showrunner/v1/shared/vote/a".to_owned()),
                ".{0,60}",
            ],
            payload in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            let _ = decode(&topic, &payload);
        }

        /// Valid envelopes with mangled bodies: refused or read, never a panic.
        #[test]
        fn mangled_messages_never_panic(k in 0usize..7, cut in 0usize..400, byte in any::<u8>()) {
            let m = &every_kind()[k];
            let (topic, mut payload) = encode(m);
            if cut < payload.len() {
                payload[cut] = byte;
            }
            let _ = decode(&topic, &payload);
            payload.truncate(cut.min(payload.len()));
            let _ = decode(&topic, &payload);
        }
    }
}
