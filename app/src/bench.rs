//! `showrunner bench gpu`: what a frame of the sample costs on the GPU, pass by pass, from
//! GPU timestamps (wgpu-profiler's scopes around the renderer's passes and the refiner's work),
//! not from the CPU's clock. `bench/gpu.sh` runs it at a Quest 3's resolution on a real GPU,
//! and small on lavapipe in CI so that it keeps working.
//!
//! The frame is the sample's lamp room with its five actors on their marks, a line of Mara's
//! as the subtitle and two choices on their panels, seen by both eyes. It is timed twice:
//! both eyes in one multiview pass (where the adapter has multiview) and in two passes, one per
//! eye. Then the refiner runs on that frame at each profile's steps and each region size,
//! pinned there (no budget controller), timed from before its first GPU command to after its
//! last.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};
use showrunner_core::Directive;
use showrunner_refine::{Plan, PROFILES};
use showrunner_render::wgpu;
use showrunner_render::wgpu_profiler::{GpuProfiler, GpuProfilerSettings, GpuTimerQueryResult};
use showrunner_render::{EyeView, FrameInputs, Gpu, RenderTarget, Renderer};
use showrunner_scene::captions::subtitle_system;
use showrunner_scene::choices::choice_panels_system;
use showrunner_scene::glam::Vec3;
use showrunner_scene::Scene;

use crate::refine_stage::RefineStage;

/// A Quest 3's vertical field of view, degrees (about 96°).
const QUEST3_FOV_Y: f32 = 96.0;
/// The frame the viewer watches from: seated, looking at the lamp.
const HEAD: Vec3 = Vec3::new(0.0, 1.25, 0.6);
const LOOK_AT: Vec3 = Vec3::new(0.0, 1.0, -3.0);
/// Animation step between timed frames (90 Hz).
const DT: f32 = 1.0 / 90.0;
/// The sample's cast, as its title card casts them.
const CAST: [&str; 5] = [
    "keeper=mara",
    "skipper=tomas",
    "deckhand=calum",
    "boatman=shiel",
    "radio=coastguard",
];

/// `showrunner bench …`
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Time a frame of the sample on the GPU by pass (shadow, each eye, its words; multiview
    /// and two passes) and the refiner at each profile and region size, from GPU timestamps.
    /// Prints a table; `--json` also writes it as JSON.
    #[command(args_override_self = true)]
    Gpu {
        /// Per-eye size, WIDTHxHEIGHT (a Quest 3's by default).
        #[arg(long, default_value = "2064x2208", value_parser = crate::parse_size)]
        size: (u32, u32),
        /// The set to stage (one of the sample's; the lamp room by default).
        #[arg(long, default_value = "lamp_room")]
        scene: String,
        /// Timed frames per configuration (after the warm-up frames).
        #[arg(long, default_value_t = 60)]
        frames: usize,
        /// Untimed frames before the timed ones (uploads, shader and kernel compilation).
        #[arg(long, default_value_t = 5)]
        warmup: usize,
        /// Region sides the refiner is timed at, pixels (each under the eye's size).
        #[arg(long, value_delimiter = ',', default_value = "128,256,512")]
        refine_sizes: Vec<usize>,
        /// The refiner's profiles to time (`quest`, `pcvr`, `desktop`), each at its steps;
        /// `none` times no refinement.
        #[arg(long, value_delimiter = ',', default_value = "quest,pcvr,desktop")]
        profiles: Vec<String>,
        /// The refiner's weights.
        #[arg(long, value_name = "FILE.bpk", default_value = crate::refiner::WEIGHTS)]
        refiner_weights: PathBuf,
        /// While the refiner is timed, the head leans sideways (0.45 m/s), so its history is
        /// reprojected by the head's turn and each pixel's parallax every frame.
        #[arg(long)]
        lean: bool,
        /// Also write the table here as JSON.
        #[arg(long, value_name = "FILE.json")]
        json: Option<PathBuf>,
    },
    /// The local language model writing episodes for the sample's extension points: how many
    /// are accepted (first try, after retries), how long a valid one takes (p50, p99), the
    /// model's tokens/s (reading the prompt, generating) and memory. `bench/generate.sh` runs
    /// it beside llama.cpp (llama-cpp-python) on the same weights.
    Generate {
        /// Episodes to write (the extension points and the director's intents in turn).
        #[arg(long, default_value_t = 24)]
        episodes: usize,
        /// The model's weights.
        #[arg(long, value_name = "FILE.gguf", default_value = crate::grow::DEFAULT_LM)]
        lm: PathBuf,
        /// Throughput: tokens read at once, then generated one by one (greedy, no stop).
        #[arg(long, default_value_t = 256)]
        prompt_tokens: usize,
        /// See `--prompt-tokens`.
        #[arg(long, default_value_t = 128)]
        tokens: usize,
        /// Also write the results here as JSON.
        #[arg(long, value_name = "FILE.json")]
        json: Option<PathBuf>,
    },
}

/// Runs `showrunner bench …`.
pub fn run(command: BenchCommand) -> Result<()> {
    match command {
        #[cfg(not(target_os = "android"))]
        BenchCommand::Generate {
            episodes,
            lm,
            prompt_tokens,
            tokens,
            json,
        } => crate::grow::bench(episodes, &lm, prompt_tokens, tokens, json.as_deref()),
        #[cfg(target_os = "android")]
        BenchCommand::Generate { .. } => {
            anyhow::bail!("the headset's build has no local language model")
        }
        BenchCommand::Gpu {
            size,
            scene,
            frames,
            warmup,
            refine_sizes,
            profiles,
            refiner_weights,
            lean,
            json,
        } => {
            let profiles = if profiles.iter().any(|p| p == "none") {
                Vec::new()
            } else {
                profiles
                    .iter()
                    .map(|name| {
                        PROFILES
                            .iter()
                            .find(|p| p.name == name)
                            .copied()
                            .with_context(|| {
                                format!("--profiles: no profile `{name}` (quest, pcvr, desktop or none)")
                            })
                    })
                    .collect::<Result<Vec<_>>>()?
            };
            let config = GpuBench {
                size,
                scene,
                frames: frames.max(1),
                warmup,
                refine_sizes,
                profiles,
                weights: refiner_weights,
                lean,
            };
            let report = config.run()?;
            print!("{}", table(&report));
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&report)? + "\n";
                crate::persist::write_atomic(&path, text.as_bytes())
                    .with_context(|| format!("{}: cannot write the table", path.display()))?;
                println!("written: {}", path.display());
            }
            Ok(())
        }
    }
}

/// One run of the GPU benchmark.
struct GpuBench {
    size: (u32, u32),
    scene: String,
    frames: usize,
    warmup: usize,
    refine_sizes: Vec<usize>,
    profiles: Vec<showrunner_refine::Profile>,
    weights: PathBuf,
    lean: bool,
}

/// A timed row: its samples in milliseconds (GPU time, unless its name says CPU).
struct Row {
    name: String,
    samples: Vec<f64>,
}

impl Row {
    fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            samples: Vec::new(),
        }
    }

    /// Median and p99 (nearest rank), ms; `None` with no samples.
    fn median_p99(&self) -> Option<(f64, f64)> {
        let mut v = self.samples.clone();
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        (!v.is_empty()).then(|| (at(0.5), at(0.99)))
    }
}

/// Says a row as soon as it is measured (the table comes at the end).
fn progress(r: &Row) {
    if let Some((m, p)) = r.median_p99() {
        eprintln!("bench gpu: {}: median {m:.3} ms, p99 {p:.3} ms", r.name);
    }
}

/// Milliseconds a scope took, if its timestamps were written.
fn ms(q: &GpuTimerQueryResult) -> Option<f64> {
    q.time.as_ref().map(|t| (t.end - t.start) * 1e3)
}

impl GpuBench {
    fn run(&self) -> Result<Value> {
        let started = Instant::now();
        let gpu = Gpu::headless().context("bench gpu needs a GPU (or Mesa's lavapipe)")?;
        let features = gpu.device.features();
        if !features.contains(wgpu::Features::TIMESTAMP_QUERY) {
            bail!(
                "{} has no timestamp queries, so nothing can be timed on it (wgpu's TIMESTAMP_QUERY)",
                gpu.adapter.name
            );
        }
        let inside_passes = features.contains(wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES);
        let (w, h) = self.size;
        eprintln!(
            "bench gpu: {} ({:?}, {}), {w} × {h} per eye",
            gpu.adapter.name, gpu.adapter.device_type, gpu.adapter.driver_info
        );

        let mut renderer = Renderer::new(&gpu.device, &gpu.queue);
        let mut warnings = renderer.load_models(Path::new(crate::MODELS));
        let (library, set_warnings) = crate::sets::for_renderer(
            &mut renderer,
            crate::SAMPLE_NAME,
            &crate::sets::Staging::default(),
        )?;
        warnings.extend(set_warnings);
        let mut names = library.set_names();
        if !names.contains(&self.scene.as_str()) {
            names.sort();
            bail!(
                "--scene {}: the sample has no such set (it has {})",
                self.scene,
                names.join(", ")
            );
        }
        let mut scene = staged(library, &self.scene);
        let mut clock = 0.0;
        scene.advance(2.0, DT, &mut clock);

        let (light, sun) = crate::room::studio();
        // Both eyes, the head moved by `lean` and still looking ahead.
        let eyes_at = |lean: Vec3| {
            EyeView::stereo(
                HEAD + lean,
                LOOK_AT + lean,
                0.064,
                QUEST3_FOV_Y.to_radians(),
                w as f32 / h as f32,
            )
        };
        let eyes = eyes_at(Vec3::ZERO);
        let inputs = FrameInputs {
            eyes,
            light,
            sun,
            grade: Default::default(),
        };
        // Depth kept, as a headset keeps it for its depth layer and the refiner's guide.
        let target = RenderTarget::new(&gpu.device, w, h).keeping_depth();
        let mut profiler = GpuProfiler::new(
            &gpu.device,
            GpuProfilerSettings {
                enable_debug_groups: false,
                ..Default::default()
            },
        )
        .context("cannot set up the GPU profiler")?;
        let period = gpu.queue.get_timestamp_period();

        // The frame, both ways.
        let mut rows = Vec::new();
        let modes: &[bool] = if renderer.multiview() {
            &[true, false]
        } else {
            &[false]
        };
        let mut frame_ms = [None, None];
        for &multiview in modes {
            renderer.set_multiview(multiview);
            let mode = if multiview { "multiview" } else { "two passes" };
            let mut shadow = Row::new(format!("{mode}: shadow"));
            let mut eyes_row = Row::new(format!("{mode}: both eyes"));
            let mut text = Row::new(format!("{mode}: text (both eyes)"));
            let mut frame = Row::new(format!("{mode}: frame (shadow + eyes)"));
            for k in 0..self.warmup + self.frames {
                scene.advance(DT, DT, &mut clock);
                subtitle_system(
                    &mut scene.world,
                    "MARA: Wind it every forty minutes. Miss once, and someone drowns.",
                    HEAD,
                    LOOK_AT - HEAD,
                    DT,
                );
                let cmd = renderer.render_profiled(&scene.world, &inputs, &target, &profiler);
                let results = finish_frame(&gpu, &mut profiler, [cmd], period)?;
                if k < self.warmup {
                    continue;
                }
                let (mut s, mut e, mut t) = (0.0, 0.0, None::<f64>);
                for q in &results {
                    let Some(d) = ms(q) else { continue };
                    if q.label == "shadow" {
                        s += d;
                    } else {
                        e += d;
                        for n in &q.nested_queries {
                            if let Some(d) = ms(n).filter(|_| n.label == "text") {
                                *t.get_or_insert(0.0) += d;
                            }
                        }
                    }
                }
                shadow.samples.push(s);
                eyes_row.samples.push(e);
                frame.samples.push(s + e);
                text.samples.extend(t);
            }
            frame_ms[usize::from(!multiview)] = frame.median_p99().map(|m| m.0);
            for r in [&shadow, &eyes_row, &text, &frame] {
                progress(r);
            }
            rows.extend([shadow, eyes_row]);
            if !multiview {
                rows.push(text);
            }
            rows.push(frame);
        }
        let stats = renderer.stats();
        let labels = renderer.labels_drawn();
        warnings.extend(renderer.take_label_warnings());
        // The baseline every refinement row is set against: the frame it refines.
        let base = frame_ms[0].or(frame_ms[1]);

        // The refiner on that frame, pinned at each profile's steps and each size.
        let mut refine_rows = Vec::new();
        let mut refine_error = None;
        renderer.set_multiview(modes[0]);
        'profiles: for profile in &self.profiles {
            for &n in &self.refine_sizes {
                if n > w.min(h) as usize {
                    continue;
                }
                let plan = Plan {
                    steps: profile.steps,
                    region: n,
                    every: 1,
                };
                let mut stage = match RefineStage::new(&gpu, &self.weights, *profile, 90.0) {
                    Ok(s) => s.pinned(plan),
                    Err(e) => {
                        refine_error = Some(e.to_string());
                        break 'profiles;
                    }
                };
                let mut row = Row::new(format!(
                    "refine {}: {} step{} × {n} px, both eyes{}",
                    profile.name,
                    profile.steps,
                    if profile.steps == 1 { "" } else { "s" },
                    if self.lean { ", head leaning" } else { "" }
                ));
                // What the frame thread spends recording it (burn's kernel launches): on a
                // fast GPU this, not the GPU, can be the cost.
                let mut cpu = Row::new(format!("{}: CPU recording", row.name));
                for k in 0..self.warmup + self.frames {
                    // 0.45 m/s at 90 Hz: 5 mm a frame to the right, still looking ahead.
                    let lean = Vec3::X * if self.lean { 0.005 * k as f32 } else { 0.0 };
                    let eyes = eyes_at(lean);
                    let inputs = FrameInputs { eyes, ..inputs };
                    let cmd = renderer.render(&scene.world, &inputs, &target);
                    gpu.queue.submit([cmd]);
                    let mut enc = gpu.device.create_command_encoder(&Default::default());
                    let q = profiler.begin_query("refine", &mut enc);
                    gpu.queue.submit([enc.finish()]);
                    let t0 = Instant::now();
                    stage
                        .apply(&gpu, &target, &eyes, None, 1.0)
                        .with_context(|| row.name.clone())?;
                    let recorded = t0.elapsed().as_secs_f64() * 1e3;
                    let mut enc = gpu.device.create_command_encoder(&Default::default());
                    profiler.end_query(&mut enc, q);
                    let results = finish_frame(&gpu, &mut profiler, [enc.finish()], period)?;
                    if k >= self.warmup {
                        row.samples.extend(results.iter().find_map(ms));
                        cpu.samples.push(recorded);
                    }
                }
                progress(&row);
                progress(&cpu);
                refine_rows.push((row, *profile, n));
                refine_rows.push((cpu, *profile, n));
            }
        }

        let row_json = |r: &Row, extra: Value| {
            let (median, p99) = r.median_p99().unzip();
            let mut v = json!({
                "name": r.name,
                "median_ms": median,
                "p99_ms": p99,
                "samples": r.samples.len(),
            });
            if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
                m.extend(e);
            }
            v
        };
        let mut out_rows: Vec<Value> = rows
            .iter()
            .map(|r| {
                let ratio = match (r.name.ends_with("(shadow + eyes)"), r.median_p99()) {
                    // Multiview's frame against two passes' (the baseline), and two passes'
                    // against itself.
                    (true, Some((m, _))) => frame_ms[1].map(|b| m / b),
                    _ => None,
                };
                row_json(r, json!({ "ratio_to_two_pass_frame": ratio }))
            })
            .collect();
        for (r, profile, n) in &refine_rows {
            let m = r.median_p99().map(|m| m.0);
            out_rows.push(row_json(
                r,
                json!({
                    "profile": profile.name,
                    "steps": profile.steps,
                    "region_px": n,
                    "ratio_to_frame": m.zip(base).map(|(m, b)| m / b),
                    // Per megapixel-step of both eyes, to compare sizes.
                    "ms_per_mpx_step": m.map(|m| m / (2.0 * (n * n * profile.steps) as f64 / 1e6)),
                }),
            ));
        }
        Ok(json!({
            "bench": "gpu",
            "adapter": {
                "name": gpu.adapter.name,
                "type": format!("{:?}", gpu.adapter.device_type),
                "backend": format!("{:?}", gpu.adapter.backend),
                "driver": gpu.adapter.driver,
                "driver_info": gpu.adapter.driver_info,
            },
            "eye_px": [w, h],
            "fov_y_deg": QUEST3_FOV_Y,
            "scene": self.scene,
            "triangles_per_eye": stats.triangles,
            "draws_per_eye": stats.draws,
            "labels": labels,
            "multiview": modes.contains(&true),
            "text_timed_inside_passes": inside_passes,
            "frames": self.frames,
            "warmup": self.warmup,
            "head_leaning_while_refining": self.lean,
            "rows": out_rows,
            "refine_error": refine_error,
            "warnings": warnings,
            "wall_s": started.elapsed().as_secs_f64(),
        }))
    }
}

/// Submits a frame's command buffers with the profiler's queries resolved after them, waits
/// for the GPU, and returns the frame's scopes (a benchmark may wait; a frame loop never does).
fn finish_frame(
    gpu: &Gpu,
    profiler: &mut GpuProfiler,
    cmds: impl IntoIterator<Item = wgpu::CommandBuffer>,
    period: f32,
) -> Result<Vec<GpuTimerQueryResult>> {
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    profiler.resolve_queries(&mut enc);
    gpu.queue.submit(cmds.into_iter().chain([enc.finish()]));
    profiler
        .end_frame()
        .map_err(|e| anyhow::anyhow!("the GPU profiler's frame: {e}"))?;
    gpu.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| anyhow::anyhow!("waiting for the GPU: {e}"))?;
    profiler
        .process_finished_frame(period)
        .context("the GPU returned no timestamps for the frame")
}

/// The set `name` staged with the sample's cast on their marks, Mara's line as the subtitle
/// and the first choice on two panels.
fn staged(library: showrunner_scene::sets::SetLibrary, name: &str) -> Scene {
    let mut scene = Scene::new(library);
    let tags =
        std::iter::once(format!("scene: {name}")).chain(CAST.iter().map(|c| format!("cast: {c}")));
    let directives: Vec<Directive> = tags
        .filter_map(|t| Directive::parse(&t).ok().flatten())
        .collect();
    scene.stage(&directives);
    scene.speak("MARA: Wind it every forty minutes. Miss once, and someone drowns.");
    choice_panels_system(
        &mut scene.world,
        &[
            "Go down to the slip".to_owned(),
            "Stay with the light, whatever comes".to_owned(),
        ],
        &[],
        None,
        HEAD,
        None,
    );
    scene
}

/// The report as a table.
fn table(report: &Value) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let a = &report["adapter"];
    let _ = writeln!(
        s,
        "{} ({}, {}, {}), {} × {} per eye, {}: {} triangles and {} draws per eye, {} labels; {} frames after {} warm-up",
        a["name"].as_str().unwrap_or("?"),
        a["type"].as_str().unwrap_or("?"),
        a["backend"].as_str().unwrap_or("?"),
        a["driver_info"].as_str().unwrap_or(""),
        report["eye_px"][0],
        report["eye_px"][1],
        report["scene"].as_str().unwrap_or("?"),
        report["triangles_per_eye"],
        report["draws_per_eye"],
        report["labels"],
        report["frames"],
        report["warmup"],
    );
    let _ = writeln!(
        s,
        "{:<60} {:>10} {:>10}  ratio",
        "time (GPU unless it says CPU)", "median ms", "p99 ms"
    );
    let num = |v: &Value| v.as_f64().map_or("—".to_owned(), |x| format!("{x:.3}"));
    for r in report["rows"].as_array().into_iter().flatten() {
        let ratio = if let Some(x) = r["ratio_to_two_pass_frame"].as_f64() {
            format!("{x:.2}× two passes' frame")
        } else if let Some(x) = r["ratio_to_frame"].as_f64() {
            format!("{x:.2}× the frame")
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "{:<60} {:>10} {:>10}  {ratio}",
            r["name"].as_str().unwrap_or("?"),
            num(&r["median_ms"]),
            num(&r["p99_ms"]),
        );
    }
    if let Some(e) = report["refine_error"].as_str() {
        let _ = writeln!(s, "refiner not timed: {e}");
    }
    if report["text_timed_inside_passes"] == false {
        let _ = writeln!(
            s,
            "text not timed: this adapter has no timestamps inside passes"
        );
    }
    for w in report["warnings"].as_array().into_iter().flatten() {
        let _ = writeln!(s, "warning: {}", w.as_str().unwrap_or(""));
    }
    s
}
