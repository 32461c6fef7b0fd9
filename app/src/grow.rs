//! `--generate` and `--generator URL`: the story grows at its extension points while it plays.
//!
//! [`Grow`] wires [`showrunner_generate::Generator`] to a [`Show`]: when the story heads for
//! an extension point it asks for an episode (with the last lines the viewer saw and what the
//! director wants of the viewer's engagement), and hands the outcome to [`Show::episode`],
//! which merges an accepted episode and logs every one. In `play` the frame never waits: an
//! episode not ready in time is simply not played. In `screen`, on a simulated clock, the clock
//! waits for the writer, so the same seed and model give the same film (on the same machine and
//! build: the model's float arithmetic differs between CPUs).
//! Accepted episodes are saved beside the session (`episodes/NN-ext_KNOT.ink`) so a resumed
//! session has the story it saved.

use anyhow::{bail, Context, Result};
use clap::Args;
use showrunner_generate::{Generator, Intent, Outcome, Request, Writer};
use showrunner_show::{EngagementSource, EpisodeReport, Show, ShowFrame};
use showrunner_story::CompiledStory;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
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
    /// The writer for `write`: the endpoint when one is given, else the local model, whose
    /// weights must be there.
    fn writer_for_drafts(&self) -> Result<Box<dyn Writer>> {
        let args = GenerateArgs {
            generate: self.generator.is_none(),
            ..self.clone()
        };
        if args.generate && !args.lm.is_file() {
            bail!(
                "{}: no language model here: run `showrunner assets model` to install SmolLM2, pass --lm FILE.gguf, or write with --generator URL",
                args.lm.display()
            );
        }
        args.writer()?.context("no writer")
    }

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
    /// In real time, the thread that saves them (the frame thread never touches the disk).
    saver: Option<Saver>,
}

/// A thread that saves episodes, fed through a bounded channel.
struct Saver {
    send: std::sync::mpsc::SyncSender<(PathBuf, String, String)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Saver {
    fn spawn() -> Result<Self> {
        let (send, recv) = std::sync::mpsc::sync_channel::<(PathBuf, String, String)>(4);
        let thread = std::thread::Builder::new()
            .name("showrunner-episodes".into())
            .spawn(move || {
                for (dir, knot, ink) in recv {
                    if let Err(e) = save_episode(&dir, &knot, &ink) {
                        eprintln!("showrunner: warning: {e:#}; a resumed film starts without it");
                    }
                }
            })
            .context("starting the episodes' writer")?;
        Ok(Self {
            send,
            thread: Some(thread),
        })
    }
}

impl Drop for Saver {
    /// Joined: the episodes are a few hundred bytes, and a resumed film needs each one the
    /// saves name; the film has ended when this runs.
    fn drop(&mut self) {
        let (send, _) = std::sync::mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.send, send));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
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
            saver: if wait.is_none() && dir.is_some() {
                Some(Saver::spawn()?)
            } else {
                None
            },
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
            base: o.base.clone(),
            merged: o.merged.clone(),
            details: o.details(),
        };
        let plays = show.episode(report)?;
        if let (true, Some(dir), Some(ink)) = (plays, &self.dir, o.ink) {
            match &self.saver {
                // A simulated clock: on disk before the next tick's save.
                None => {
                    save_episode(dir, &o.knot, &ink)?;
                }
                // Real time: the disk is the saver thread's.
                Some(saver) => {
                    if saver.send.try_send((dir.clone(), o.knot, ink)).is_err() {
                        eprintln!("showrunner: warning: an episode could not be kept (its writer is busy or gone); a resumed film starts it again");
                    }
                }
            }
        }
        Ok(())
    }
}

/// The knot of a saved episode's file (`NN-KNOT.ink`).
fn knot_of(file: &Path) -> String {
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split_once('-')
        .map_or(name.clone(), |(_, k)| k.to_owned())
}

/// Saves an accepted episode as the next `NN-KNOT.ink` in `dir` (atomically, 0600), in place
/// of one for the same knot that a save never took (the film was killed before it played).
pub fn save_episode(dir: &Path, knot: &str, ink: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the episodes' folder", dir.display()))?;
    let files = episode_files(dir)?;
    for f in files.iter().filter(|f| knot_of(f) == knot) {
        std::fs::remove_file(f).with_context(|| format!("{}: cannot replace", f.display()))?;
    }
    let n = files
        .iter()
        .filter_map(|f| {
            f.file_name()?
                .to_str()?
                .split_once('-')?
                .0
                .parse::<usize>()
                .ok()
        })
        .max()
        .unwrap_or(0)
        + 1;
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
    let graph = showrunner_story::StoryGraph::from_json(&story.json)
        .map_err(|e| anyhow::anyhow!("{}: {e}", story.path))?;
    let points = showrunner_story::extension_points(&graph);
    let files = episode_files(dir)?;
    let mut current = story.clone();
    for i in 0..=files.len() {
        if current.fingerprint() == fingerprint {
            // Episodes kept after the last save (the film was killed before it saved again)
            // are written again as the film goes on.
            for stale in &files[i..] {
                std::fs::remove_file(stale)
                    .with_context(|| format!("{}: cannot remove", stale.display()))?;
            }
            return Ok(current);
        }
        let Some(file) = files.get(i) else { break };
        let ink = std::fs::read_to_string(file)
            .with_context(|| format!("{}: cannot read the saved episode", file.display()))?;
        let knot = knot_of(file);
        let point_knot = knot
            .strip_prefix(showrunner_story::extend::EPISODE_PREFIX)
            .unwrap_or("");
        let Some(point) = points.iter().find(|p| p.knot == point_knot) else {
            bail!(
                "{}: the story has no extension point `{point_knot}` for this episode",
                file.display()
            );
        };
        current = showrunner_story::merge_episode(&current, point, &knot, &ink).map_err(|why| {
            anyhow::anyhow!(
                "{}: the saved episode no longer merges: {}",
                file.display(),
                why.join("; ")
            )
        })?;
    }
    bail!(
        "{}: the save is of this story grown by episodes that are not all here (fingerprint {fingerprint}); the save was left untouched — start over without --resume",
        dir.display()
    )
}

/// `showrunner write PREMISE --out FILE`: drafts a story, prints its checks, and writes it to
/// FILE if they all hold (else to FILE.failed.ink, and exits 1).
pub fn write(
    premise: &str,
    out: &Path,
    seed: u64,
    force: bool,
    args: &GenerateArgs,
) -> Result<ExitCode> {
    if premise.trim().is_empty() {
        bail!("write: give the story's premise, e.g. `showrunner write \"a noir heist on a generation ship\" --out heist.ink`");
    }
    if out.exists() && !force {
        bail!(
            "{}: already there; it was left untouched (--force replaces it)",
            out.display()
        );
    }
    let mut writer = args.writer_for_drafts()?;
    eprintln!("write: drafting \"{premise}\" with {} ...", writer.model());
    let t = std::time::Instant::now();
    let draft = showrunner_generate::draft::draft(
        writer.as_mut(),
        premise,
        seed,
        showrunner_generate::MAX_ATTEMPTS,
    );
    for (knot, tries) in &draft.attempts {
        let refused = tries.iter().filter(|t| !t.is_empty()).count();
        if refused > 0 {
            println!(
                "  {knot}: {refused} refused ({})",
                tries
                    .iter()
                    .flatten()
                    .take(2)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
    }
    println!("checks:");
    for (check, ok) in &draft.checks {
        println!("  {} {check}", if *ok { "ok  " } else { "FAIL" });
    }
    let elapsed = t.elapsed().as_secs_f64();
    if draft.passed() {
        showrunner_persist::write_atomic(out, draft.ink.as_bytes())?;
        println!(
            "{}: a story of {} in {elapsed:.0} s; screen it with `showrunner screen --story {}`, or edit it in Inky",
            out.display(),
            draft.character,
            out.display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        let failed = out.with_extension("failed.ink");
        showrunner_persist::write_atomic(&failed, draft.ink.as_bytes())?;
        eprintln!(
            "showrunner: the draft failed its checks (above); it was written to {} for you to edit, not to {}",
            failed.display(),
            out.display()
        );
        Ok(ExitCode::from(1))
    }
}

#[cfg(not(target_os = "android"))]
/// The memory this process has held at most and holds now (`VmHWM`, `VmRSS`), MiB; Linux only.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[cfg(not(target_os = "android"))]
/// The last lines the viewer sees before each extension point of `story` (the first choice
/// taken at every choice point).
fn lines_before(
    story: &CompiledStory,
    points: &[showrunner_story::ExtensionPoint],
) -> Result<Vec<Vec<String>>> {
    use showrunner_story::{Step, StoryRunner};
    let mut out = Vec::new();
    for p in points {
        let mut runner = StoryRunner::new(story, 1)?;
        let mut lines: VecDeque<String> = VecDeque::new();
        for _ in 0..2000 {
            match runner.next()? {
                Step::Beat(b) if b.knot == p.knot => break,
                Step::Beat(b) => {
                    if lines.len() == showrunner_generate::prompt::SO_FAR_LINES {
                        lines.pop_front();
                    }
                    lines.push_back(b.text.trim().to_owned());
                }
                Step::Choices(_) => runner.choose(0)?,
                Step::InterludeOver(_) => {}
                Step::End => break,
            }
        }
        out.push(lines.into_iter().collect());
    }
    Ok(out)
}

#[cfg(not(target_os = "android"))]
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `showrunner bench generate`.
#[cfg(not(target_os = "android"))]
pub fn bench(
    episodes: usize,
    lm: &Path,
    prompt_tokens: usize,
    tokens: usize,
    json: Option<&Path>,
) -> Result<()> {
    use showrunner_generate::local::Local;
    let story = showrunner_story::compile_source(
        crate::SAMPLE,
        crate::SAMPLE_NAME,
        Path::new("assets/stories"),
    )?;
    let graph =
        showrunner_story::StoryGraph::from_json(&story.json).map_err(|e| anyhow::anyhow!(e))?;
    let points = showrunner_story::extension_points(&graph);
    if points.is_empty() {
        bail!("the sample has no extension points");
    }
    let so_far = lines_before(&story, &points)?;
    let (before_load, _) = memory_mib();
    let t = std::time::Instant::now();
    let mut local = Local::load(lm)?;
    let load_s = t.elapsed().as_secs_f64();
    let (_, loaded) = memory_mib();
    let intents = [Intent::Stakes, Intent::Relief, Intent::Course];
    let (mut first, mut accepted) = (0usize, 0usize);
    let mut valid_ms = Vec::new();
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for i in 0..episodes {
        let k = i % points.len();
        let request = Request {
            story: story.clone(),
            point: points[k].clone(),
            so_far: so_far[k].clone(),
            intent: intents[(i / points.len()) % intents.len()],
            seed: i as u64 + 1,
        };
        let o = showrunner_generate::write_episode(
            &mut local,
            &request,
            showrunner_generate::MAX_ATTEMPTS,
        );
        if o.accepted() {
            accepted += 1;
            first += usize::from(o.attempts.len() == 1);
            valid_ms.push(o.ms as f64);
        }
        for a in &o.attempts {
            for r in &a.refused {
                // Reasons by kind, their line numbers and names left out.
                let kind: String = r
                    .split(": ")
                    .last()
                    .unwrap_or(r)
                    .chars()
                    .filter(|c| !c.is_ascii_digit())
                    .collect();
                *reasons.entry(kind).or_default() += 1;
            }
        }
        eprintln!(
            "bench generate: {}/{episodes}: {} after {} attempt(s), {} ms",
            i + 1,
            if o.accepted() { "accepted" } else { "refused" },
            o.attempts.len(),
            o.ms
        );
    }
    let h = local.history.clone();
    let gen_tokens: usize = h.iter().map(|t| t.tokens).sum();
    let gen_s: f64 = h.iter().map(|t| t.generate_s).sum();
    let read_tokens: usize = h.iter().map(|t| t.prompt_tokens).sum();
    let read_s: f64 = h.iter().map(|t| t.prompt_s).sum();
    valid_ms.sort_by(f64::total_cmp);
    let text = story.sources.values().next().cloned().unwrap_or_default();
    let tp = local.throughput(&text, prompt_tokens, tokens)?;
    // What taking an accepted episode costs the frame thread (`Show::episode`: a runner built
    // from the merged story, the place restored), the median of 5.
    let mut merge_ms = Vec::new();
    let neutral = |t: f64, _: f32| showrunner_core::EngagementSample::neutral(t);
    let point = &points[0];
    let knot = format!("{}{}", showrunner_story::extend::EPISODE_PREFIX, point.knot);
    let ink = format!(
        "=== {knot} ===\nThe stair is dark. # stakes: low # intensity: 0.4\n-> {}\n",
        point.knot
    );
    let merged = showrunner_story::merge_episode(&story, point, &knot, &ink)
        .map_err(|why| anyhow::anyhow!(why.join("; ")))?;
    for _ in 0..5 {
        let mut show = Show::new(
            &story,
            1,
            Default::default(),
            showrunner_scene::sets::SetLibrary::builtin(),
            neutral,
        )?;
        show.tick()?;
        let report = EpisodeReport {
            point: point.knot.clone(),
            knot: knot.clone(),
            base: story.fingerprint(),
            merged: Some(merged.clone()),
            details: serde_json::json!({}),
        };
        let t = std::time::Instant::now();
        show.episode(report)?;
        merge_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    merge_ms.sort_by(f64::total_cmp);
    let (peak, _) = memory_mib();
    let v = serde_json::json!({
        "model": local.model(),
        "episodes": episodes,
        "accepted_first_try": first,
        "accepted_after_retries": accepted,
        "acceptance_first_try": first as f64 / episodes.max(1) as f64,
        "acceptance": accepted as f64 / episodes.max(1) as f64,
        "valid_episode_ms": {"p50": percentile(&valid_ms, 0.5), "p99": percentile(&valid_ms, 0.99), "n": valid_ms.len()},
        "refusals": reasons,
        "attempts": h.len(),
        "in_use": {
            "generate_tokens_per_s": gen_tokens as f64 / gen_s.max(1e-9),
            "read_tokens_per_s": read_tokens as f64 / read_s.max(1e-9),
            "tokens_per_reply": gen_tokens as f64 / h.len().max(1) as f64,
        },
        "throughput": {
            "prompt_tokens": tp.prompt_tokens,
            "tokens": tp.tokens,
            "read_tokens_per_s": tp.prompt_tokens as f64 / tp.prompt_s.max(1e-9),
            "generate_tokens_per_s": tp.tokens as f64 / tp.generate_s.max(1e-9),
        },
        "load_s": load_s,
        "episode_on_frame_thread_ms": merge_ms[merge_ms.len() / 2],
        "memory_mib": {"before_load": before_load, "after_load": loaded, "peak": peak},
        "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
    });
    println!("{}", serde_json::to_string_pretty(&v)?);
    if let Some(p) = json {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
        }
        showrunner_persist::write_atomic(p, serde_json::to_string_pretty(&v)?.as_bytes())?;
    }
    Ok(())
}
