//! The story grows: episodes for a story's extension points (`extend:` tags), written by a
//! language model and checked before they play.
//!
//! The structure is the project's (one knot, its directive tags, a choice, every path back to
//! the extension point); the words are the model's. [`write_episode`] asks a [`Writer`] for the
//! words ([`prompt`]), takes them apart ([`words`]), builds the episode's ink ([`episode`]),
//! and merges it into the story through [`showrunner_story::merge_episode`], which compiles it
//! and checks it with the same rules as `showrunner check` and the episode's own. A refused
//! attempt is tried again with its reasons told to the writer, up to a bound. Nothing a model
//! writes is trusted: only a checked, compiled episode comes back.
//!
//! [`Generator`] does this on its own thread behind bounded channels: the frame thread asks
//! and polls, and never waits (a screening on a simulated clock may wait, so that the same
//! seed and model give the same film on the same machine and build: candle's float arithmetic
//! differs between CPUs).
//!
//! Writers: `local::Local` (SmolLM2's GGUF weights on the CPU through candle; feature
//! `local`), [`endpoint::Endpoint`] (any OpenAI-compatible chat API: llama.cpp's server,
//! Ollama, a hosted model) and [`Scripted`] (fixed replies, for tests and replays).

pub mod draft;
pub mod endpoint;
pub mod episode;
#[cfg(feature = "local")]
pub mod local;
pub mod prompt;
pub mod words;

use serde_json::{json, Value};
use showrunner_story::{CompiledStory, ExtensionPoint};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the director wants of an episode, from how the viewer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// The viewer is bored: raise the stakes.
    Stakes,
    /// The viewer is overwhelmed (the director is backing off): give relief.
    Relief,
    /// The viewer is with the story: keep its course.
    Course,
}

impl Intent {
    /// The intent for the director's mode, as it names it (`bored`, `deescalating`, ...).
    pub fn for_mode(mode: &str) -> Self {
        match mode {
            "bored" => Intent::Stakes,
            "deescalating" => Intent::Relief,
            _ => Intent::Course,
        }
    }

    /// The intent's name, as logged.
    pub const fn name(self) -> &'static str {
        match self {
            Intent::Stakes => "stakes",
            Intent::Relief => "relief",
            Intent::Course => "course",
        }
    }
}

/// One episode to write.
#[derive(Debug, Clone)]
pub struct Request {
    /// The story to grow (the authored story with the episodes merged so far).
    pub story: CompiledStory,
    /// Where.
    pub point: ExtensionPoint,
    /// The last lines the viewer saw, oldest first.
    pub so_far: Vec<String>,
    /// What the director wants.
    pub intent: Intent,
    /// Seeds the writer's sampling; attempt `n` uses `seed + n`.
    pub seed: u64,
}

impl Request {
    /// The episode's knot: `ext_` and the extension point's knot.
    pub fn knot(&self) -> String {
        format!(
            "{}{}",
            showrunner_story::extend::EPISODE_PREFIX,
            self.point.knot
        )
    }
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: &'static str,
    /// What it says.
    pub content: String,
}

/// Why a writer gave no reply.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The writer could not be reached or did not answer in time.
    #[error("{0}")]
    Unreachable(String),
    /// It answered, but not with a reply.
    #[error("{0}")]
    BadReply(String),
}

/// Something that writes words for a chat: a language model, local or behind an endpoint.
pub trait Writer: Send {
    /// The model, as logged (never a key or a secret).
    fn model(&self) -> String;
    /// The reply to `chat`, sampled with `seed`.
    fn complete(&mut self, chat: &[Message], seed: u64) -> Result<String, WriteError>;
}

/// A writer that gives fixed replies in turn (the last one again when they run out): tests,
/// and replaying what a model once wrote.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// The replies; `Err` text is an unreachable writer.
    pub replies: Vec<Result<String, String>>,
    /// Replies given so far.
    pub given: usize,
    /// The chats it was asked, in turn.
    pub asked: Vec<Vec<Message>>,
}

impl Scripted {
    /// Gives `replies` in turn.
    pub fn new(replies: impl IntoIterator<Item = Result<String, String>>) -> Self {
        Self {
            replies: replies.into_iter().collect(),
            given: 0,
            asked: Vec::new(),
        }
    }
}

impl Writer for Scripted {
    fn model(&self) -> String {
        "scripted".into()
    }
    fn complete(&mut self, chat: &[Message], _seed: u64) -> Result<String, WriteError> {
        self.asked.push(chat.to_vec());
        let i = self.given.min(self.replies.len().saturating_sub(1));
        self.given += 1;
        match self.replies.get(i) {
            Some(Ok(r)) => Ok(r.clone()),
            Some(Err(e)) => Err(WriteError::Unreachable(e.clone())),
            None => Err(WriteError::Unreachable("no replies".into())),
        }
    }
}

/// One try at an episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// How long the writer took, milliseconds.
    pub ms: u64,
    /// Characters in its reply.
    pub reply_chars: usize,
    /// Why it was refused (empty: accepted).
    pub refused: Vec<String>,
}

/// What came of a request.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The extension point's knot.
    pub point: String,
    /// The episode's knot.
    pub knot: String,
    /// The fingerprint of the story it was written for.
    pub base: String,
    /// The writer's model.
    pub model: String,
    /// A summary of what was asked (premise and intent: no story text).
    pub prompt: String,
    /// Each try, in turn.
    pub attempts: Vec<Attempt>,
    /// The accepted episode's ink.
    pub ink: Option<String>,
    /// The story with it merged (checked and compiled).
    pub merged: Option<CompiledStory>,
    /// From the request to the outcome, milliseconds.
    pub ms: u64,
}

impl Outcome {
    /// Whether an episode was accepted.
    pub fn accepted(&self) -> bool {
        self.merged.is_some()
    }

    /// What the log keeps: the model, the prompt's summary, the time, each attempt and why it
    /// was refused.
    pub fn details(&self) -> Value {
        json!({
            "model": self.model,
            "prompt": self.prompt,
            "ms": self.ms,
            "attempts": self.attempts.iter().map(|a| json!({
                "ms": a.ms,
                "reply_chars": a.reply_chars,
                "refused": a.refused,
            })).collect::<Vec<_>>(),
        })
    }
}

/// How many times an episode is tried before the authored story is left to play.
pub const MAX_ATTEMPTS: usize = 3;

/// Writes an episode for `request` with `writer`, trying up to `attempts` times, each time
/// telling the writer why the last was refused.
pub fn write_episode(writer: &mut dyn Writer, request: &Request, attempts: usize) -> Outcome {
    let start = Instant::now();
    let knot = request.knot();
    let mut out = Outcome {
        point: request.point.knot.clone(),
        knot: knot.clone(),
        base: request.story.fingerprint(),
        model: writer.model(),
        prompt: prompt::summary(request),
        attempts: Vec::new(),
        ink: None,
        merged: None,
        ms: 0,
    };
    let mut refused: Vec<String> = Vec::new();
    for n in 0..attempts.max(1) {
        let chat = prompt::chat(request, &refused);
        let t = Instant::now();
        let reply = writer.complete(&chat, request.seed.wrapping_add(n as u64));
        let ms = t.elapsed().as_millis() as u64;
        let (reply_chars, result) = match reply {
            Ok(text) => (text.chars().count(), accept(request, &knot, &text, &chat)),
            Err(e) => (0, Err(vec![format!("the writer failed: {e}")])),
        };
        match result {
            Ok((ink, merged)) => {
                out.attempts.push(Attempt {
                    ms,
                    reply_chars,
                    refused: Vec::new(),
                });
                out.ink = Some(ink);
                out.merged = Some(merged);
                break;
            }
            Err(why) => {
                out.attempts.push(Attempt {
                    ms,
                    reply_chars,
                    refused: why.clone(),
                });
                refused = why;
            }
        }
    }
    out.ms = start.elapsed().as_millis() as u64;
    out
}

/// A reply taken apart, built into an episode and merged; or why not.
fn accept(
    request: &Request,
    knot: &str,
    reply: &str,
    chat: &[Message],
) -> Result<(String, CompiledStory), Vec<String>> {
    let given: Vec<&str> = chat.iter().map(|m| m.content.as_str()).collect();
    let words = words::Words::parse(reply, &request.point.cast, &given)?;
    let ink = episode::build(request, knot, &words);
    let merged = showrunner_story::merge_episode(&request.story, &request.point, knot, &ink)?;
    Ok((ink, merged))
}

/// How many requests may wait for the generator.
pub const QUEUE: usize = 2;

/// Episodes written on a thread of their own. The frame thread asks ([`Generator::ask`]) and
/// polls ([`Generator::poll`]); neither ever waits.
pub struct Generator {
    requests: Option<SyncSender<Box<Request>>>,
    outcomes: Receiver<Outcome>,
    thread: Option<JoinHandle<()>>,
    model: String,
}

impl Generator {
    /// Starts the thread with its `writer`.
    pub fn spawn(mut writer: Box<dyn Writer>) -> std::io::Result<Self> {
        let (requests, rx) = mpsc::sync_channel::<Box<Request>>(QUEUE);
        let (tx, outcomes) = mpsc::sync_channel::<Outcome>(QUEUE);
        let model = writer.model();
        let thread = std::thread::Builder::new()
            .name("showrunner-generate".into())
            .spawn(move || {
                for request in rx {
                    let outcome = write_episode(writer.as_mut(), &request, MAX_ATTEMPTS);
                    if tx.send(outcome).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Self {
            requests: Some(requests),
            outcomes,
            thread: Some(thread),
            model,
        })
    }

    /// The writer's model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Asks for an episode. `false` when the queue is full or the thread has gone: ask again
    /// later. Never waits.
    pub fn ask(&self, request: Request) -> bool {
        match self
            .requests
            .as_ref()
            .map(|r| r.try_send(Box::new(request)))
        {
            Some(Ok(())) => true,
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => false,
        }
    }

    /// An outcome, if one is ready. Never waits.
    pub fn poll(&self) -> Option<Outcome> {
        // Empty or disconnected: nothing now.
        self.outcomes.try_recv().ok()
    }

    /// Waits up to `timeout` for an outcome: only for a screening on a simulated clock, where
    /// the film's clock waits with it.
    pub fn wait(&self, timeout: Duration) -> Option<Outcome> {
        // Timed out or disconnected: nothing.
        self.outcomes.recv_timeout(timeout).ok()
    }
}

impl Drop for Generator {
    /// Closes the queue so the thread ends after the episode it is writing. It is not joined:
    /// a model mid-reply (or an endpoint that hangs until its timeout) must not hold up the
    /// end of the film; the thread owns nothing that needs saving.
    fn drop(&mut self) {
        self.requests.take();
        if let Some(t) = self.thread.take() {
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn request(intent: Intent) -> Request {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/stories");
        let story = showrunner_story::load(&root.join("lighthouse.ink")).unwrap();
        let graph = showrunner_story::StoryGraph::from_json(&story.json).unwrap();
        let point = showrunner_story::extension_points(&graph)
            .into_iter()
            .find(|p| p.knot == "the_gallery")
            .unwrap();
        Request {
            story,
            point,
            so_far: vec!["MARA: Kittiwake, Carrow. I hear you.".into()],
            intent,
            seed: 11,
        }
    }

    const GOOD: &str = "The lantern shudders as the wind finds the glass.\nMARA: Hold the lamp steady.\nA pane cracks, a thin white line.\nCHOICE: Brace the pane\nCHOICE: Call Mara\n";

    #[test]
    fn a_refused_reply_is_tried_again_with_its_reasons() {
        let mut w = Scripted::new([
            Ok("The glass breaks.\n-> the_wave\nTOMAS: Help!\n".to_owned()),
            Ok(GOOD.to_owned()),
        ]);
        let o = write_episode(&mut w, &request(Intent::Stakes), MAX_ATTEMPTS);
        assert!(o.accepted(), "{:?}", o.attempts);
        assert_eq!(o.attempts.len(), 2);
        assert!(
            o.attempts[0].refused.iter().any(|r| r.contains("a divert")),
            "{:?}",
            o.attempts
        );
        // The second chat told the writer why.
        let second = &w.asked[1].last().unwrap().content;
        assert!(
            second.contains("Your last reply was refused") && second.contains("TOMAS speaks"),
            "{second}"
        );
        let ink = o.ink.clone().unwrap();
        assert!(
            ink.starts_with("=== ext_the_gallery ===\nThe lantern shudders"),
            "{ink}"
        );
        assert!(
            ink.contains("# stakes: high # intensity: 0.75"),
            "a bored viewer gets stakes: {ink}"
        );
        assert!(
            ink.contains("* [Brace the pane]\n    -> the_gallery"),
            "{ink}"
        );
        assert!(o.details()["attempts"][0]["refused"][0].is_string());
        // Nothing of the story's text is in the log's summary of the prompt.
        assert!(!o.prompt.contains("Kittiwake"), "{}", o.prompt);
    }

    #[test]
    fn a_writer_that_never_gets_it_right_leaves_the_authored_story() {
        let mut w = Scripted::new([
            Ok("{mercy: yes}".to_owned()),
            Err("connection refused".to_owned()),
        ]);
        let o = write_episode(&mut w, &request(Intent::Relief), MAX_ATTEMPTS);
        assert!(!o.accepted());
        assert_eq!(o.attempts.len(), MAX_ATTEMPTS);
        assert!(
            o.attempts[1].refused[0].contains("connection refused"),
            "{:?}",
            o.attempts
        );
    }

    #[test]
    fn an_overwhelmed_viewer_gets_relief() {
        let mut w = Scripted::new([Ok(GOOD.to_owned())]);
        let o = write_episode(&mut w, &request(Intent::Relief), 1);
        assert!(o.ink.unwrap().contains("# stakes: low # intensity: 0.25"));
        assert!(w.asked[0].last().unwrap().content.contains("relief"));
    }

    #[test]
    fn the_generator_answers_on_its_own_thread_and_never_blocks_the_asker() {
        let g = Generator::spawn(Box::new(Scripted::new([Ok(GOOD.to_owned())]))).unwrap();
        assert_eq!(g.model(), "scripted");
        assert!(g.poll().is_none());
        assert!(g.ask(request(Intent::Course)));
        let o = g.wait(Duration::from_secs(20)).expect("an outcome");
        assert!(o.accepted());
        // A full queue says so rather than waiting: the queue, the one being written and the
        // outcomes nobody has taken are bounded.
        let asked = (0..20).filter(|_| g.ask(request(Intent::Course))).count();
        assert!(asked <= 2 * QUEUE + 1, "{asked}");
    }
}
