//! `screen --render`: what the viewer saw and why. It stages every beat in a
//! scene, renders it (left eye) with the director's grade, and at the end
//! writes a contact sheet, a plot of engagement and decisions over time, and
//! `report.html` tying them together.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::room::RoomLight;
use anyhow::{Context, Result};
use serde_json::Value;
use showrunner_render::{read_eye, EyeView, FrameInputs, Gpu, Grade, RenderTarget, Renderer};
use showrunner_scene::captions::subtitle_system;
use showrunner_scene::glam::Vec3;
use showrunner_scene::Scene;

/// Where the stills' eyes are (a seated viewer), and where they look.
const HEAD: Vec3 = Vec3::new(0.0, 1.25, 0.6);
const LOOK_AT: Vec3 = Vec3::new(0.0, 1.0, -3.0);
/// Animation step while a beat plays, seconds.
const STEP: f32 = 1.0 / 30.0;

/// Stages and renders a screening beat by beat.
pub struct Recorder {
    gpu: Gpu,
    renderer: Renderer,
    target: RenderTarget,
    scene: Scene,
    /// The room's light (`--room`) or the studio's.
    light: RoomLight,
    /// The stills' size (`--still-size`; 960 × 540, about 17 pixels a degree, by default).
    w: u32,
    h: u32,
    dir: PathBuf,
    fps: f32,
    clock: f32,
    /// The stills (one a beat), for the contact sheet and the manifests.
    frames: Vec<crate::sign::Still>,
    /// The beat being rendered: its knot, and the episode whose words it shows (a language
    /// model's), if any.
    knot: String,
    episode: Option<Value>,
    /// Episodes a language model wrote that the story took, by knot: `{knot, point, model}`.
    episodes: std::collections::BTreeMap<String, Value>,
    /// `--sign`: every still, the contact sheet and the soundtrack get content credentials.
    signing: Option<crate::sign::Signing>,
    asset_warnings: Vec<String>,
    /// What typesetting the subtitles found (characters the font lacks, lines cut short).
    label_warnings: Vec<String>,
}

/// A picture the report exports: marked with `provenance` (XMP), passed through `sign` (the
/// content credentials of `--sign`, or nothing), written atomically.
fn write_png(
    path: &Path,
    (w, h): (u32, u32),
    rgba: &[u8],
    provenance: crate::images::Provenance,
    sign: impl FnOnce(Vec<u8>) -> Result<Vec<u8>>,
) -> Result<()> {
    let bytes = crate::images::encode_png(
        path,
        (w, h),
        png::ColorType::Rgba,
        png::BitDepth::Eight,
        rgba,
        provenance,
    )?;
    crate::persist::write_atomic(path, &sign(bytes)?)
        .with_context(|| format!("{}: cannot write", path.display()))
}

impl Recorder {
    /// Opens a GPU (lavapipe without one) and prepares `out/frames/`.
    /// `fps` > 0 also renders that many frames per second of each beat.
    pub fn new(
        out: &Path,
        fps: f32,
        light: RoomLight,
        story: &str,
        (w, h): (u32, u32),
        staging: &crate::sets::Staging,
        signing: Option<crate::sign::Signing>,
    ) -> Result<Self> {
        let gpu = Gpu::headless().context("--render needs a GPU or Mesa's lavapipe")?;
        let mut renderer = Renderer::new(&gpu.device, &gpu.queue);
        let mut asset_warnings = renderer.load_models(Path::new(crate::MODELS));
        let (library, set_warnings) = crate::sets::for_renderer(&mut renderer, story, staging)?;
        asset_warnings.extend(set_warnings);
        for w in &asset_warnings {
            eprintln!("showrunner: warning: {w}");
        }
        let target = RenderTarget::new(&gpu.device, w, h);
        let dir = out.join("frames");
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("{}: cannot clear", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        Ok(Self {
            gpu,
            renderer,
            target,
            scene: Scene::new(library),
            light,
            w,
            h,
            dir,
            fps: fps.clamp(0.0, 10.0),
            clock: 0.0,
            frames: Vec::new(),
            knot: String::new(),
            episode: None,
            episodes: Default::default(),
            signing,
            asset_warnings,
            label_warnings: Vec::new(),
        })
    }

    fn advance(&mut self, seconds: f32) {
        self.scene.advance(seconds, STEP, &mut self.clock);
    }

    fn shoot(&mut self, beat: u64, k: usize, grade: Grade, text: &str) -> Result<()> {
        // The words the viewer read, where the headset puts them: settled (two seconds)
        // clear of the actors where they stand now.
        // Where the viewer watches from (`view:`): the stills see what their eyes saw.
        let vantage = self.scene.vantage;
        let (head, look_at) = (vantage.point(HEAD), vantage.point(LOOK_AT));
        for _ in 0..8 {
            subtitle_system(&mut self.scene.world, text, head, look_at - head, 0.25);
        }
        let (light, sun) = self.light;
        let inputs = FrameInputs {
            eyes: EyeView::stereo(head, look_at, 0.064, 1.0, self.w as f32 / self.h as f32),
            light,
            sun,
            grade: grade.faded(vantage.fade()),
        };
        let cmd = self
            .renderer
            .render(&self.scene.world, &inputs, &self.target);
        self.gpu.queue.submit([cmd]);
        self.label_warnings
            .extend(self.renderer.take_label_warnings());
        let px = read_eye(&self.gpu.device, &self.gpu.queue, &self.target, 0)?;
        let name = if k == 0 {
            format!("beat-{beat:04}.png")
        } else {
            format!("beat-{beat:04}-{k:02}.png")
        };
        // The report's stills are rendered, never refined; a model may have written the words.
        let still = crate::sign::Still {
            beat,
            file: format!("frames/{name}"),
            knot: self.knot.clone(),
            provenance: crate::images::Provenance {
                refined: false,
                written: self.episode.is_some(),
            },
            episode: self.episode.clone(),
        };
        write_png(
            &self.dir.join(&name),
            (self.w, self.h),
            &px,
            still.provenance,
            |png| match &self.signing {
                Some(s) => s.still(&png, &still),
                None => Ok(png),
            },
        )?;
        if k == 0 {
            self.frames.push(still);
        }
        Ok(())
    }

    /// Stages one beat that ended, lets it play for its duration (animation and
    /// physics) at the director's intensity, and renders it with the director's grade.
    pub fn beat(&mut self, record: &showrunner_show::BeatRecord) -> Result<()> {
        let (beat, duration_s, g) = (record.number, record.duration_s, record.grade);
        self.note(record);
        // The actors (and what falls) play the director's intensity, as in the headset.
        self.scene.stage.played = Some(record.intensity);
        self.scene.stage(&record.directives);
        self.scene.speak(&record.text);
        // Let the staging settle (walks to marks) before the still.
        let play = (duration_s as f32).min(4.0);
        if self.fps > 0.0 {
            let n = ((duration_s as f32 * self.fps).floor() as usize).min(20);
            for k in 1..=n {
                self.advance(1.0 / self.fps);
                self.shoot(beat, k, g, &record.text)?;
            }
            self.advance((play - n as f32 / self.fps).max(0.0));
        } else {
            self.advance(play);
        }
        self.shoot(beat, 0, g, &record.text)
    }

    /// Reads the beat's knot, and the episodes a model wrote that the story took, from its
    /// log line.
    fn note(&mut self, record: &showrunner_show::BeatRecord) {
        let line: Value = serde_json::from_str(&record.line).unwrap_or_default();
        for e in line["decisions"]["events"].as_array().into_iter().flatten() {
            if e["kind"] == "generate" && e["accepted"] == true {
                if let Some(knot) = e["episode"].as_str() {
                    let episode = serde_json::json!({
                        "knot": knot,
                        "point": e["point"],
                        "model": e["model"],
                    });
                    self.episodes.insert(knot.to_owned(), episode);
                }
            }
        }
        self.knot = line["knot"].as_str().unwrap_or_default().to_owned();
        self.episode = self.episodes.get(&self.knot).cloned();
    }

    /// `--sign`: signs the soundtrack at `path` (its manifest names the film's episodes).
    pub fn sign_soundtrack(&self, path: &Path) -> Result<()> {
        match &self.signing {
            Some(s) => s.soundtrack(path, &self.frames),
            None => Ok(()),
        }
    }

    /// `--sign`: who signs, for the summary (`None` without).
    pub fn credentials(&self) -> Option<Value> {
        self.signing.as_ref().map(crate::sign::Signing::summary)
    }

    /// Warnings from staging (scenes with no set) and rendering (missing meshes).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = self.asset_warnings.clone();
        w.extend(self.scene.stage.warnings.iter().cloned());
        w.extend(self.label_warnings.iter().cloned());
        w.extend(
            self.renderer
                .missing_meshes
                .iter()
                .map(|m| format!("mesh `{m}` is missing; drawn as a box")),
        );
        w
    }

    /// Writes the contact sheet, the plot and `report.html`.
    /// `extra_warnings` (the soundtrack's) join the list; a `soundtrack` in
    /// the summary is linked and playable from the page.
    pub fn finish(
        &self,
        out: &Path,
        summary: &Value,
        extra_warnings: &[String],
    ) -> Result<PathBuf> {
        self.contact_sheet(&out.join("contact-sheet.png"))?;
        let lines: Vec<Value> = fs::read_to_string(out.join("decisions.jsonl"))?
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        plot(&out.join("engagement.svg"), &lines)?;
        let mut warnings = self.warnings();
        warnings.extend_from_slice(extra_warnings);
        let html = report_html(summary, &lines, &self.frames, &warnings);
        let path = out.join("report.html");
        // It shows the viewer's engagement: the viewer's eyes only.
        crate::persist::write_private(&path, html.as_bytes())?;
        Ok(path)
    }

    fn contact_sheet(&self, path: &Path) -> Result<()> {
        let cols = 6usize;
        // Thumbnails a sixth of a still's size (160 × 90 by default), every sixth pixel.
        const STEP: usize = 6;
        let (tw, th) = (self.w as usize / STEP, self.h as usize / STEP);
        let rows = self.frames.len().div_ceil(cols).max(1);
        let (sw, sh) = (cols * tw, rows * th);
        let mut sheet = vec![0u8; sw * sh * 4];
        for (i, still) in self.frames.iter().enumerate() {
            let dec = png::Decoder::new(std::io::BufReader::new(fs::File::open(
                path.parent().unwrap_or(Path::new(".")).join(&still.file),
            )?));
            let mut r = dec.read_info()?;
            let mut buf = vec![0; r.output_buffer_size().context("frame too large")?];
            r.next_frame(&mut buf)?;
            let (ox, oy) = ((i % cols) * tw, (i / cols) * th);
            for y in 0..th {
                for x in 0..tw {
                    let s = ((STEP * y) * self.w as usize + STEP * x) * 4;
                    let d = ((oy + y) * sw + ox + x) * 4;
                    sheet[d..d + 4].copy_from_slice(&buf[s..s + 4]);
                }
            }
        }
        write_png(
            path,
            (sw as u32, sh as u32),
            &sheet,
            crate::sign::combined(&self.frames),
            |png| match &self.signing {
                Some(s) => s.sheet(&png, &self.frames),
                None => Ok(png),
            },
        )
    }
}

fn f(v: &Value, k: &str) -> f64 {
    v["engagement"][k].as_f64().unwrap_or(0.0)
}

/// Heart-rate arousal, boredom and signal quality over the film, with every
/// decision marked where it happened.
/// Plots engagement and the decisions into `path` (mode 0600: it is heart-derived).
fn plot(path: &Path, lines: &[Value]) -> Result<()> {
    let mut svg = String::new();
    draw_plot(&mut svg, lines)?;
    Ok(crate::persist::write_private(path, svg.as_bytes())?)
}

fn draw_plot(svg: &mut String, lines: &[Value]) -> Result<()> {
    use plotters::prelude::*;
    let t_end = lines
        .iter()
        .filter_map(|l| l["t"].as_f64())
        .fold(1.0, f64::max);
    let root = SVGBackend::with_string(svg, (960, 360)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .caption("engagement and decisions", ("sans-serif", 18))
        .build_cartesian_2d(0.0..t_end, -3.0..3.0)?;
    chart
        .configure_mesh()
        .x_desc("film time (s)")
        .y_desc("z / level")
        .draw()?;
    let series = |k: &'static str| {
        lines
            .iter()
            .filter_map(move |l| Some((l["t"].as_f64()?, f(l, k))))
    };
    chart
        .draw_series(LineSeries::new(series("arousal_z"), RED.stroke_width(2)))?
        .label("arousal z")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED));
    chart
        .draw_series(LineSeries::new(series("boredom"), BLUE.stroke_width(2)))?
        .label("boredom")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLUE));
    chart
        .draw_series(LineSeries::new(series("quality"), GREEN.stroke_width(1)))?
        .label("signal quality")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], GREEN));
    let decided = lines.iter().flat_map(|l| {
        l["decisions"]["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| Some((e["t"].as_f64()?, 2.6)))
    });
    chart
        .draw_series(decided.map(|p| TriangleMarker::new(p, 6, BLACK.filled())))?
        .label("director decision")
        .legend(|(x, y)| TriangleMarker::new((x + 8, y), 5, BLACK.filled()));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()?;
    root.present()?;
    Ok(())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What made the stills, in words: the engine rendered every one; no trained model altered
/// their pixels; a language model wrote the words of the episodes that played; and who signed
/// their content credentials.
fn made(frames: &[crate::sign::Still], credentials: &Value) -> String {
    let written: Vec<&crate::sign::Still> = frames.iter().filter(|s| s.episode.is_some()).collect();
    let mut out = if written.is_empty() {
        "The stills were rendered by Showrunner's engine (no trained model made or altered them; each PNG says so in XMP: IPTC DigitalSourceType algorithmicMedia).".to_owned()
    } else {
        let mut knots: Vec<String> = Vec::new();
        let mut models: Vec<String> = Vec::new();
        for s in &written {
            let e = s.episode.as_ref().expect("filtered");
            for (list, v) in [(&mut knots, &e["knot"]), (&mut models, &e["model"])] {
                let v = v.as_str().unwrap_or("?").to_owned();
                if !list.contains(&v) {
                    list.push(v);
                }
            }
        }
        format!(
            "The stills were rendered by Showrunner's engine; no trained model altered their pixels. The words of {} beats were written by a language model ({}) for the episodes {}; those stills say so in XMP (IPTC DigitalSourceType compositeWithTrainedAlgorithmicMedia), the others say algorithmicMedia.",
            written.len(),
            models.join(", "),
            knots.join(", ")
        )
    };
    if let Some(signer) = credentials["signer"].as_str() {
        out.push_str(&format!(
            " Every still, the contact sheet and the soundtrack carry C2PA content credentials signed by {signer} ({}); `showrunner credentials FILE` checks them.",
            credentials["issuer"].as_str().unwrap_or("?")
        ));
    }
    out.push_str(" The film adapted to the viewer's engagement as logged below.");
    out
}

fn report_html(
    summary: &Value,
    lines: &[Value],
    frames: &[crate::sign::Still],
    warnings: &[String],
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=en><meta charset=utf-8><title>Showrunner screening report</title>\
<style>body{{font:15px system-ui,sans-serif;margin:2em;max-width:1100px}}img{{max-width:100%}}\
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}}\
.r{{color:#555;font-size:13px}}</style>\
<h1>Screening report</h1><p>Story <b>{}</b>, viewer <b>{}</b>: ending <b>{}</b> after {:.0} s, {} beats.</p>",
        esc(summary["story"].as_str().unwrap_or("?")),
        esc(summary["viewer"].as_str().unwrap_or("?")),
        esc(summary["ending"].as_str().unwrap_or("none")),
        summary["duration_s"].as_f64().unwrap_or(0.0),
        lines.len()
    );
    let _ = write!(
        h,
        "<pre>{}</pre>",
        esc(&serde_json::to_string_pretty(&summary["counts"]).unwrap_or_default())
    );
    // What made the pictures, in words (the PNGs say it machine-readably, in XMP, and with
    // `--sign` in C2PA content credentials).
    let _ = write!(
        h,
        "<p><i>{}</i></p>",
        esc(&made(frames, &summary["credentials"]))
    );
    if !warnings.is_empty() {
        let _ = write!(h, "<h2>Warnings</h2><ul>");
        for w in warnings {
            let _ = write!(h, "<li>{}</li>", esc(w));
        }
        h.push_str("</ul>");
    }
    if let Some(file) = summary["soundtrack"]["file"].as_str() {
        let _ = write!(
            h,
            "<h2>Soundtrack</h2><p><audio controls preload=none src=\"{0}\"></audio><br><a href=\"{0}\">{0}</a>: the mix the viewer heard, head facing forward ({1:.0} s, 48 kHz stereo; {2} stingers, {3} effects).</p>",
            esc(file),
            summary["soundtrack"]["seconds"].as_f64().unwrap_or(0.0),
            summary["soundtrack"]["stingers"],
            summary["soundtrack"]["effects"],
        );
    }
    h.push_str("<h2>Engagement and decisions</h2><img src=\"engagement.svg\" alt=\"engagement over time\">");
    h.push_str("<h2>Contact sheet</h2><img src=\"contact-sheet.png\" alt=\"one frame per beat\">");
    h.push_str("<h2>Beat by beat</h2><table><tr><th>frame</th><th>t</th><th>beat</th><th>engagement</th><th>decisions</th></tr>");
    for l in lines {
        let n = l["beat"].as_u64().unwrap_or(0);
        let img = frames
            .iter()
            .find(|s| s.beat == n)
            .map(|s| {
                format!(
                    "<a href=\"{0}\"><img src=\"{0}\" width=320></a>",
                    esc(&s.file)
                )
            })
            .unwrap_or_default();
        let mut why = String::new();
        for k in ["pacing", "grade", "intensity"] {
            let _ = write!(
                why,
                "<div><b>{k}</b>: {}</div>",
                esc(l["decisions"][k]["reason"].as_str().unwrap_or(""))
            );
        }
        for e in l["decisions"]["events"].as_array().into_iter().flatten() {
            let _ = write!(
                why,
                "<div><b>{}</b>: {}</div>",
                esc(e["kind"].as_str().unwrap_or("event")),
                esc(e["reason"].as_str().unwrap_or(&e.to_string()))
            );
        }
        let _ = write!(
            h,
            "<tr><td>{img}</td><td>{:.1}</td><td><b>{}</b><br>{}</td><td class=r>arousal {:+.2}<br>boredom {:.2}<br>quality {:.2}</td><td class=r>{why}</td></tr>",
            l["t"].as_f64().unwrap_or(0.0),
            esc(l["knot"].as_str().unwrap_or("")),
            esc(l["text"].as_str().unwrap_or("")),
            f(l, "arousal_z"),
            f(l, "boredom"),
            f(l, "quality"),
        );
    }
    h.push_str("</table></html>\n");
    h
}
