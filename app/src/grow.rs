//! `--generate` and `--generator URL`: the story grows at its extension points while it plays.
//!
//! [`Grow`] wires [`showrunner_generate::Generator`] to a [`Show`]: when the story heads for
//! an extension point it asks for an episode (with the last lines the viewer saw and what the
//! director wants of the viewer's engagement), and hands the outcome to [`Show::episode`],
//! which merges an accepted episode and logs every one. In `play` the frame never waits: an
//! episode not ready in time is simply not played. In `screen`, on a simulated clock, the clock
//! waits for the writer, so the same seed and model give the same film on any machine.
//! Accepted episodes are saved beside the session (`episodes/NN-ext_KNOT.ink`) so a resumed
//! session has the story it saved.

use anyhow::{bail, Context, Result};
use clap::Args;
use showrunner_generate::{Generator, Intent, Outcome, Request, Writer};
use showrunner_show::{EngagementSource, EpisodeReport, Show, ShowFrame};
use showrunner_story::CompiledStory;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How many knots ahead an extension point is when its episode is asked for.
pub const AHEAD: usize = 2;

/// The default local weights (`showrunner assets model` installs them there).
pub const DEFAULT_LM: &str = "assets/models/lm/SmolLM2-135M-Instruct.Q4_1.gguf";

/// Where the story may grow, and who writes it.
#[derive(Args, Debug, Clone, Default)]
pub struct GenerateArgs {
    /// Grow the story where its author marked it (`extend:` tags): episodes written by the
    /// local language model (SmolLM2-135M on the CPU), checked before they play. Off by
    /// default: the story plays exactly as written.
    #[arg(long, conflicts_with = "generator")]
    pub generate: bool,
    /// With --generate: the model's weights (`showrunner assets model` installs them).
    #[arg(long, value_name = "FILE.gguf", default_value = DEFAULT_LM)]
    pub lm: PathBuf,
    /// Grow the story with an OpenAI-compatible chat endpoint instead (llama.cpp's server,
    /// Ollama, a hosted model), e.g. `http://localhost:8080/v1`. Its key, if it needs one, is
    /// read from SHOWRUNNER_GENERATOR_KEY or OPENAI_API_KEY and never logged.
    #[arg(long, value_name = "URL")]
    pub generator: Option<String>,
    /// With --generator: the model to ask for.
    #[arg(long, value_name = "NAME", requires = "generator")]
    pub generator_model: Option<String>,
    /// With --generator: how long one reply may take, seconds.
    #[arg(long, default_value_t = 60.0, value_name = "S")]
    pub generator_timeout: f64,
}

impl GenerateArgs {
    /// The writer asked for: `Ok(None)` when generation is off, or when the local weights
    /// are not installed (said once, with how to get them).
    pub fn writer(&self) -> Result<Option<Box<dyn Writer>>> {
        if let Some(url) = &self.generator {
            let timeout = Duration::from_secs_f64(self.generator_timeout.clamp(0.1, 3600.0));
            let e = showrunner_generate::endpoint::Endpoint::new(
                url,
                self.generator_model.as_deref(),
                timeout,
            )?;
            return Ok(Some(Box::new(e)));
        }
        if !self.generate {
            return Ok(None);
        }
        if !self.lm.is_file() {
            eprintln!(
                "showrunner: generation is off: no language model at {} (run `showrunner assets model` to install SmolLM2, or pass --lm FILE.gguf); the story plays as written",
                self.lm.display()
            );
            return Ok(None);
        }
        #[cfg(not(target_os = "android"))]
        {
            let local = showrunner_generate::local::Local::load(&self.lm)?;
            Ok(Some(Box::new(local)))
        }
        #[cfg(target_os = "android")]
        bail!("--generate: the headset's build has no local language model; use --generator URL")
    }
}

/// The story growing as it plays.
pub struct Grow {
    generator: Generator,
    seed: u64,
    /// `screen`: how long the simulated clock waits for an episode.
    wait: Option<Duration>,
    /// Extension points asked for.
    asked: Vec<String>,
    /// Requests not yet answered.
    pending: usize,
    /// The last lines the viewer saw.
    so_far: VecDeque<String>,
    /// Where accepted episodes are saved.
    dir: Option<PathBuf>,
}

/// A hash of a name, to give each extension point its own seed.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Grow {
    /// Starts the writer's thread (`None` when generation is off). `seed` is the show's;
    /// accepted episodes are saved in `dir`; `wait` (a simulated clock) waits that long for
    /// each episode.
    pub fn start(
        args: &GenerateArgs,
        seed: u64,
        dir: Option<PathBuf>,
        wait: Option<Duration>,
    ) -> Result<Option<Self>> {
        let Some(writer) = args.writer()? else {
            return Ok(None);
        };
        let generator = Generator::spawn(writer).context("starting the episode writer's thread")?;
        eprintln!(
            "showrunner: the story grows at its extension points, written by {}; every episode is checked before it plays",
            generator.model()
        );
        Ok(Some(Self {
            generator,
            seed,
            wait,
            asked: Vec::new(),
            pending: 0,
            so_far: VecDeque::new(),
            dir,
        }))
    }

    /// After each frame (or tick): asks for the episode of the extension point ahead, and
    /// takes what the writer finished. In real time it never waits.
    pub fn frame<V: EngagementSource>(
        &mut self,
        show: &mut Show<V>,
        frame: &ShowFrame,
    ) -> Result<()> {
        if let Some(line) = &frame.subtitles {
            if self.so_far.len() == showrunner_generate::prompt::SO_FAR_LINES {
                self.so_far.pop_front();
            }
            self.so_far.push_back(line.clone());
        }
        if self.pending == 0 {
            let ahead = show
                .upcoming_extension()
                .filter(|(p, d)| *d <= AHEAD && !self.asked.contains(&p.knot))
                .map(|(p, _)| p.clone());
            if let (Some(point), Some(story)) = (ahead, show.story()) {
                let request = Request {
                    story: story.clone(),
                    seed: self.seed ^ fnv(&point.knot),
                    so_far: self.so_far.iter().cloned().collect(),
                    intent: Intent::for_mode(show.readout.mode),
                    point,
                };
                let knot = request.point.knot.clone();
                if self.generator.ask(request) {
                    self.asked.push(knot);
                    self.pending += 1;
                }
            }
        }
        if self.pending > 0 {
            let outcome = match self.wait {
                Some(t) => self.generator.wait(t),
                None => self.generator.poll(),
            };
            match outcome {
                Some(o) => {
                    self.pending -= 1;
                    self.take(show, o)?;
                }
                None if self.wait.is_some() => {
                    self.pending = 0;
                    eprintln!("showrunner: warning: the episode writer did not answer in time; the authored story plays on");
                }
                None => {}
            }
        }
        Ok(())
    }

    fn take<V: EngagementSource>(&mut self, show: &mut Show<V>, o: Outcome) -> Result<()> {
        let report = EpisodeReport {
            point: o.point.clone(),
            knot: o.knot.clone(),
            merged: o.merged.clone(),
            details: o.details(),
        };
        let plays = show.episode(report)?;
        if let (true, Some(dir), Some(ink)) = (plays, &self.dir, &o.ink) {
            save_episode(dir, &o.knot, ink)?;
        }
        Ok(())
    }
}

/// Saves an accepted episode as the next `NN-KNOT.ink` in `dir` (atomically, 0600).
pub fn save_episode(dir: &Path, knot: &str, ink: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the episodes' folder", dir.display()))?;
    let n = episode_files(dir)?.len() + 1;
    let path = dir.join(format!("{n:02}-{knot}.ink"));
    showrunner_persist::write_private(&path, ink.as_bytes())?;
    Ok(path)
}

/// The episodes saved in `dir`, in the order they were merged.
fn episode_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the episodes' folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ink"))
        .collect();
    files.sort();
    Ok(files)
}

/// The story as a save left it: `story` with the episodes saved in `dir` merged in turn, the
/// first whose fingerprint is `fingerprint` (none merged, some, or all: a save may precede the
/// last episode written). An episode that no longer merges, or none that matches, is an error
/// naming the file or folder.
pub fn story_as_saved(
    story: &CompiledStory,
    dir: &Path,
    fingerprint: &str,
) -> Result<CompiledStory> {
    let mut current = story.clone();
    if current.fingerprint() == fingerprint {
        return Ok(current);
    }
    let graph = showrunner_story::StoryGraph::from_json(&story.json)
        .map_err(|e| anyhow::anyhow!("{}: {e}", story.path))?;
    let points = showrunner_story::extension_points(&graph);
    for file in episode_files(dir)? {
        let ink = std::fs::read_to_string(&file)
            .with_context(|| format!("{}: cannot read the saved episode", file.display()))?;
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let knot = name.split_once('-').map_or(name.as_str(), |(_, k)| k);
        let point_knot = knot
            .strip_prefix(showrunner_story::extend::EPISODE_PREFIX)
            .unwrap_or("");
        let Some(point) = points.iter().find(|p| p.knot == point_knot) else {
            bail!(
                "{}: the story has no extension point `{point_knot}` for this episode",
                file.display()
            );
        };
        current = showrunner_story::merge_episode(&current, point, knot, &ink).map_err(|why| {
            anyhow::anyhow!(
                "{}: the saved episode no longer merges: {}",
                file.display(),
                why.join("; ")
            )
        })?;
        if current.fingerprint() == fingerprint {
            return Ok(current);
        }
    }
    bail!(
        "{}: the save is of this story grown by episodes that are not all here (fingerprint {fingerprint}); the save was left untouched — start over without --resume",
        dir.display()
    )
}
