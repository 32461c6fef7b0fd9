//! `play --desktop --watch`: the author's loop. A background thread watches the story's file
//! (through `notify`: inotify here, whatever the platform has elsewhere) and, when an editor
//! saves it (Inky, or any editor, however it writes the file), compiles and checks it there,
//! off the frame thread, and hands the result over a bounded channel: a story to reload, or
//! `check`'s findings when it does not compile (the last good story plays on).

use notify::{RecursiveMode, Watcher};
use showrunner_story::{check, load, CompiledStory, Severity};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

/// Saves closer together than this are one edit (editors write in several steps).
const SETTLE: Duration = Duration::from_millis(150);

/// What an edit gave.
pub enum Edit {
    /// The story compiled; `findings` are `check`'s warnings, `file:line` first.
    Compiled {
        /// The new story.
        story: Box<CompiledStory>,
        /// Warnings.
        findings: Vec<String>,
        /// When the save was seen (for reload-to-first-frame).
        seen: Instant,
    },
    /// It did not: `check`'s errors (and warnings), `file:line` first.
    Broken(Vec<String>),
}

/// The watcher; dropping it stops watching.
pub struct StoryWatch {
    rx: Receiver<Edit>,
    // Kept alive: dropping it ends the watch (and its thread's channel).
    _watcher: notify::RecommendedWatcher,
}

impl StoryWatch {
    /// Watches `path` (its folder, since editors often replace the file).
    pub fn start(path: &Path) -> anyhow::Result<Self> {
        let file = path
            .canonicalize()
            .map_err(|e| anyhow::anyhow!("--watch {}: {e}", path.display()))?;
        let dir = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let (events_tx, events_rx) = mpsc::channel::<()>();
        let name = file.file_name().map(|n| n.to_owned());
        let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
            if let Ok(ev) = ev {
                if ev.kind.is_access() {
                    return;
                }
                if ev.paths.iter().any(|p| p.file_name() == name.as_deref()) {
                    let _ = events_tx.send(());
                }
            }
        })
        .map_err(|e| anyhow::anyhow!("--watch {}: cannot watch it ({e})", path.display()))?;
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|e| anyhow::anyhow!("--watch {}: cannot watch it ({e})", dir.display()))?;
        let (tx, rx) = mpsc::sync_channel::<Edit>(1);
        let shown = path.to_path_buf();
        std::thread::Builder::new()
            .name("showrunner-watch".into())
            .spawn(move || compile_on_save(&events_rx, &tx, &shown))?;
        Ok(Self {
            rx,
            _watcher: watcher,
        })
    }

    /// The latest edit, if one arrived since the last call; never waits.
    pub fn poll(&self) -> Option<Edit> {
        let mut latest = None;
        loop {
            match self.rx.try_recv() {
                Ok(e) => latest = Some(e),
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => return latest,
            }
        }
    }
}

/// The watcher's thread: waits for saves to settle, compiles, hands the result on (replacing
/// one the frame thread has not taken yet).
fn compile_on_save(events: &Receiver<()>, tx: &SyncSender<Edit>, path: &Path) {
    while events.recv().is_ok() {
        let seen = Instant::now();
        while events.recv_timeout(SETTLE).is_ok() {}
        let report = check(path);
        let said: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
        let edit = if report
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
        {
            Edit::Broken(said)
        } else {
            match load(path) {
                Ok(story) => Edit::Compiled {
                    story: Box::new(story),
                    findings: said,
                    seen,
                },
                Err(e) => Edit::Broken(vec![e.to_string()]),
            }
        };
        // A full channel holds an edit not taken yet: this newer one waits for it.
        if tx.send(edit).is_err() {
            return;
        }
    }
}
