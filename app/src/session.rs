//! `play`'s session: the viewer's place, saved after every beat so a crash or a dead battery
//! loses nothing (`play --resume` continues at the next beat, the director as it was), and,
//! when the viewer asks for it (`--out DIR`), the screening's log: the same `decisions.jsonl`
//! lines `screen` writes, and `summary.json` at the end.
//!
//! Nothing here runs on the frame thread but a channel send: a background writer serialises
//! the saves and appends the lines, atomically and owner-only (mode 0600: the log holds
//! heart-derived engagement). The progress save holds the story position and the director's
//! state, no heart samples.

use crate::persist::{private_file, write_private};
use anyhow::{bail, Context, Result};
use showrunner_director::DirectorConfig;
use showrunner_show::{EngagementSource, Show, ShowFrame, ShowState};
use showrunner_story::CompiledStory;
use std::collections::VecDeque;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;

/// Jobs the writer may have queued before the frame thread keeps them itself.
const QUEUE: usize = 16;

/// Where `play` keeps the viewer's place, and whether to continue from it.
#[derive(Debug, Clone)]
pub struct SessionArgs {
    /// The progress save.
    pub save: PathBuf,
    /// Continue from it.
    pub resume: bool,
    /// Keep the screening's log in this folder (`--out`).
    pub out: Option<PathBuf>,
    /// `--set` and `--cast`.
    pub staging: crate::sets::Staging,
    /// `--generate`, `--generator URL`: the story grows at its extension points.
    pub generate: crate::grow::GenerateArgs,
}

impl SessionArgs {
    /// Where the episodes written for this save are kept: beside it, `STORY.save.episodes/`.
    pub fn episodes(&self) -> PathBuf {
        self.save.with_extension("episodes")
    }
}

/// Where the progress save of `story` goes by default: `$SHOWRUNNER_STATE_DIR`, else
/// `$XDG_STATE_HOME/showrunner`, else `~/.local/state/showrunner`, as `STORY.save.json`.
pub fn default_save(story: &CompiledStory) -> PathBuf {
    let dir = state_dir();
    let stem = Path::new(&story.path)
        .file_stem()
        .map_or("story".into(), |s| s.to_string_lossy().into_owned());
    dir.join(format!("{stem}.save.json"))
}

/// Where the app keeps its state: `$SHOWRUNNER_STATE_DIR`, else `$XDG_STATE_HOME/showrunner`,
/// else `~/.local/state/showrunner`.
pub fn state_dir() -> PathBuf {
    std::env::var_os("SHOWRUNNER_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_STATE_HOME").map(|d| PathBuf::from(d).join("showrunner")))
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state/showrunner"))
        })
        .unwrap_or_else(|| PathBuf::from(".showrunner"))
}

enum Job {
    Save(Box<ShowState>),
    Line(String),
    Summary(Vec<u8>),
}

/// The background writer's handle. The frame thread only ever `try_send`s; what does not fit
/// waits here (a newer save replaces an older one) and goes at the next frame.
struct Writer {
    tx: Option<SyncSender<Job>>,
    waiting: VecDeque<Job>,
    errors: Receiver<String>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    fn spawn(save: PathBuf, log: Option<fs::File>, out: Option<PathBuf>) -> Result<Self> {
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
        let (etx, errors) = mpsc::sync_channel::<String>(QUEUE);
        let thread = std::thread::Builder::new()
            .name("showrunner-save".into())
            .spawn(move || {
                let mut log = log;
                for job in rx {
                    let r = match job {
                        Job::Save(state) => serde_json::to_vec(&*state)
                            .map_err(anyhow::Error::from)
                            .and_then(|bytes| {
                                write_private(&save, &bytes).map_err(anyhow::Error::from)
                            }),
                        Job::Line(line) => match &mut log {
                            Some(f) => f
                                .write_all(line.as_bytes())
                                .and_then(|()| f.sync_data())
                                .context("decisions.jsonl: cannot append"),
                            None => Ok(()),
                        },
                        Job::Summary(bytes) => match &out {
                            Some(dir) => write_private(&dir.join("summary.json"), &bytes)
                                .map_err(anyhow::Error::from),
                            None => Ok(()),
                        },
                    };
                    if let Err(e) = r {
                        let _ = etx.try_send(format!("{e:#}"));
                    }
                }
            })
            .context("cannot start the session writer")?;
        Ok(Self {
            tx: Some(tx),
            waiting: VecDeque::new(),
            errors,
            thread: Some(thread),
        })
    }

    /// Hands `job` over (or keeps it for the next frame); never blocks.
    fn send(&mut self, job: Job) {
        if let Job::Save(_) = job {
            // Only the newest place matters.
            self.waiting.retain(|j| !matches!(j, Job::Save(_)));
        }
        self.waiting.push_back(job);
        self.pump();
    }

    fn pump(&mut self) {
        let Some(tx) = &self.tx else { return };
        while let Some(job) = self.waiting.pop_front() {
            match tx.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(job)) => {
                    self.waiting.push_front(job);
                    return;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.waiting.clear();
                    return;
                }
            }
        }
    }

    /// Sends what waits and waits for the writer to finish (after the last frame).
    fn finish(&mut self) {
        if let Some(tx) = self.tx.take() {
            for job in self.waiting.drain(..) {
                let _ = tx.send(job);
            }
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Never join here: a drop may happen on the frame thread (an error unwinding the
        // loop). Closing the channel lets the writer finish what it has and end by itself;
        // `finish` is the one place that waits.
        self.tx.take();
    }
}

/// The session of one `play`.
pub struct Session {
    writer: Writer,
    save: PathBuf,
    logging: bool,
    said: bool,
    /// The story growing at its extension points, for the front end's film to take
    /// ([`crate::seat::Film::own`]).
    pub grow: Option<crate::grow::Grow>,
}

impl Session {
    /// Starts the show for `story`: from the beginning, or (`args.resume`) from the save.
    /// A save that cannot be read is named and left untouched.
    pub fn open<V: EngagementSource>(
        args: &SessionArgs,
        story: &CompiledStory,
        seed: u64,
        config: DirectorConfig,
        viewer: V,
    ) -> Result<(Show<V>, Self)> {
        let library = crate::sets::library(&story.path, &args.staging)?;
        Self::open_with(args, story, seed, config, viewer, library)
    }

    /// [`Session::open`] with the sets and actors already loaded (a seat loads them off the
    /// frame thread).
    pub fn open_with<V: EngagementSource>(
        args: &SessionArgs,
        story: &CompiledStory,
        seed: u64,
        config: DirectorConfig,
        viewer: V,
        library: showrunner_scene::sets::SetLibrary,
    ) -> Result<(Show<V>, Self)> {
        let origin = args.save.display().to_string();
        let mut resumed_lines = None;
        let show = if args.resume {
            let text = fs::read_to_string(&args.save).with_context(|| no_save(&args.save))?;
            let state = ShowState::from_json(&text, &origin)?;
            let story = crate::grow::story_as_saved(story, &args.episodes(), &state.fingerprint)?;
            let show = Show::resume(&story, config, library, &state, &origin, viewer)?;
            let d = &state.director;
            println!(
                "play: resumed at beat {} ({:.1} s in, after knot `{}`) from {origin}; director: pacing {:.4}, intensity {:.4}, bored {}, de-escalating {}",
                state.beats + 1,
                state.clock_s,
                state.log.path.last().map_or("", String::as_str),
                d.pacing,
                d.intensity,
                d.bored,
                d.deescalating
            );
            resumed_lines = Some(state.log.counts.beats);
            show
        } else {
            if args.save.exists() {
                println!(
                    "play: starting from the beginning; the place saved in {origin} is replaced when the first beat ends (play --resume continues it instead)"
                );
            }
            let episodes = args.episodes();
            if episodes.is_dir() {
                fs::remove_dir_all(&episodes).with_context(|| {
                    format!(
                        "{}: cannot clear the last film's episodes",
                        episodes.display()
                    )
                })?;
            }
            Show::new(story, seed, config, library, viewer)?
        };
        let grow = crate::grow::Grow::start(&args.generate, seed, Some(args.episodes()), None)?;
        if let Some(dir) = args.save.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).with_context(|| {
                format!("{}: cannot create the folder for the save", dir.display())
            })?;
        }
        let log = match &args.out {
            Some(dir) => {
                fs::create_dir_all(dir)
                    .with_context(|| format!("{}: cannot create the log folder", dir.display()))?;
                let path = dir.join("decisions.jsonl");
                if let (Some(lines), true) = (resumed_lines, path.exists()) {
                    let f = fs::OpenOptions::new()
                        .append(true)
                        .open(&path)
                        .with_context(|| format!("{}: cannot reopen", path.display()))?;
                    // Keep the lines the save knows: a line written after the last save (a kill
                    // between the two) is written again by the resumed show.
                    let text = fs::read(&path)
                        .with_context(|| format!("{}: cannot read", path.display()))?;
                    let keep = match lines {
                        0 => 0,
                        n => text
                            .iter()
                            .enumerate()
                            .filter(|(_, b)| **b == b'\n')
                            .nth(n as usize - 1)
                            .map_or(text.len(), |(i, _)| i + 1),
                    };
                    f.set_len(keep as u64)
                        .with_context(|| format!("{}: cannot trim", path.display()))?;
                    Some(f)
                } else {
                    Some(private_file(&path)?)
                }
            }
            None => None,
        };
        if let Some(dir) = &args.out {
            println!(
                "play: the screening's log (engagement and the director's decisions) goes to {}",
                dir.display()
            );
        }
        let writer = Writer::spawn(args.save.clone(), log, args.out.clone())?;
        Ok((
            show,
            Self {
                writer,
                save: args.save.clone(),
                logging: args.out.is_some(),
                said: false,
                grow,
            },
        ))
    }

    /// Takes what a frame brought for the disk (the save after a beat, the log's lines) and
    /// hands it to the writer. Never blocks; says once if the writer failed.
    pub fn record(&mut self, frame: &mut ShowFrame) {
        if self.logging {
            for beat in frame.beats.drain(..) {
                self.writer.send(Job::Line(beat.line));
            }
        }
        if let Some(state) = frame.save.take() {
            self.writer.send(Job::Save(state));
        }
        self.writer.pump();
        match self.writer.errors.try_recv() {
            Ok(e) if !self.said => {
                self.said = true;
                eprintln!(
                    "showrunner: warning: the session could not be saved ({e}); check the space and permissions of {}",
                    self.save.display()
                );
            }
            Ok(_) | Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => {}
        }
    }

    /// After the last frame: the summary (with `--out`), and everything written.
    pub fn finish<V: EngagementSource>(self, show: &Show<V>, viewer: &str) {
        self.close(show, viewer).wait();
    }

    /// [`Session::finish`] in two halves: the summary handed to the writer now, and the
    /// [`Closing`] that waits for the writer wherever it is waited on (a seat waits on another
    /// thread, so the frame never waits on the disk).
    pub fn close<V: EngagementSource>(mut self, show: &Show<V>, viewer: &str) -> Closing {
        if self.logging {
            if let Some(summary) = show.summary(viewer) {
                if let Ok(mut text) = serde_json::to_string_pretty(&summary) {
                    text.push('\n');
                    self.writer.send(Job::Summary(text.into_bytes()));
                }
            }
        }
        Closing(self)
    }
}

/// A session whose last lines are with its writer ([`Session::close`]).
pub struct Closing(Session);

impl Closing {
    /// Waits until everything is written.
    pub fn wait(mut self) {
        self.0.writer.finish();
    }
}

/// Checks `--resume`/`--out` before anything opens: a save to resume must exist.
pub fn check(args: &SessionArgs) -> Result<()> {
    if args.resume && !args.save.is_file() {
        bail!(no_save(&args.save));
    }
    Ok(())
}

/// What `--resume` says when there is no save to continue.
fn no_save(save: &Path) -> String {
    format!(
        "{}: no saved place to resume (play without --resume to start the story)",
        save.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_core::EngagementSample;

    fn story() -> CompiledStory {
        crate::load_story(None).unwrap()
    }

    #[test]
    fn a_session_saves_each_beat_and_resumes_there_with_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let args = SessionArgs {
            save: dir.path().join("state/lighthouse.save.json"),
            resume: false,
            out: Some(dir.path().join("log")),
            staging: Default::default(),
            generate: Default::default(),
        };
        let story = story();
        let neutral = |t: f64, _: f32| EngagementSample::neutral(t);
        let (mut show, mut session) =
            Session::open(&args, &story, 1, DirectorConfig::default(), neutral).unwrap();
        let mut lines = 0;
        while lines < 3 {
            let mut f = show.run(0.1).unwrap();
            lines += f.beats.len();
            session.record(&mut f);
        }
        session.finish(&show, "test");
        let log = fs::read_to_string(dir.path().join("log/decisions.jsonl")).unwrap();
        assert_eq!(log.lines().count(), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for p in [args.save.clone(), dir.path().join("log/decisions.jsonl")] {
                let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", p.display());
            }
        }
        let resumed = SessionArgs {
            resume: true,
            ..args.clone()
        };
        check(&resumed).unwrap();
        // A kill between a line and its save: the line the save does not know goes.
        let log_path = dir.path().join("log/decisions.jsonl");
        let mut extra = fs::OpenOptions::new().append(true).open(&log_path).unwrap();
        extra
            .write_all(b"{\"beat\": 4, \"unsaved\": true}\n{\"be")
            .unwrap();
        drop(extra);
        let (mut again, mut session) =
            Session::open(&resumed, &story, 1, DirectorConfig::default(), neutral).unwrap();
        assert_eq!(again.readout.beats, 3);
        assert_eq!(
            fs::read_to_string(&log_path).unwrap(),
            log,
            "trimmed to the saved lines"
        );
        let mut f = again.run(0.1).unwrap();
        session.record(&mut f);
        while again.readout.beats == 3 {
            let mut f = again.run(0.1).unwrap();
            session.record(&mut f);
        }
        assert_eq!(again.readout.beats, 4, "the next beat");
        while fs::read_to_string(&log_path).unwrap().lines().count() < 4 {
            let mut f = again.run(0.1).unwrap();
            session.record(&mut f);
        }
        session.finish(&again, "test");
        let numbers: Vec<u64> = fs::read_to_string(&log_path)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["beat"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(numbers[..4], [1, 2, 3, 4]);
    }

    #[test]
    fn a_corrupted_save_is_named_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let save = dir.path().join("s.json");
        fs::write(&save, b"{\"version\": 2, \"fin").unwrap();
        let args = SessionArgs {
            save: save.clone(),
            resume: true,
            out: None,
            staging: Default::default(),
            generate: Default::default(),
        };
        let neutral = |t: f64, _: f32| EngagementSample::neutral(t);
        let e = Session::open(&args, &story(), 1, DirectorConfig::default(), neutral)
            .err()
            .unwrap();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("s.json:1:") && msg.contains("corrupted"),
            "{msg}"
        );
        assert_eq!(fs::read(&save).unwrap(), b"{\"version\": 2, \"fin");
        let missing = SessionArgs {
            save: dir.path().join("none.json"),
            ..args
        };
        let e = check(&missing).unwrap_err();
        assert!(format!("{e}").contains("no saved place to resume"), "{e}");
    }
}
