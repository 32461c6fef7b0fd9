//! `showrunner play --desktop`: the film in a window, for developers without
//! a headset. The mouse (drag) is the head, WASD leans, a click on a choice
//! panel (or a number key) chooses, keys push
//! the simulated viewer's arousal, and an on-screen readout shows engagement
//! and the director's last decision. The same scene systems and renderer as
//! the headset; the presenter draws the left eye (E: right) into the window; Tab opens the
//! viewer's menu.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use showrunner_director::DirectorConfig;
use showrunner_render::present::Presenter;
use showrunner_render::{wgpu, EyeView, FrameInputs, Gpu, RenderTarget, Renderer, Shaders};
use showrunner_scene::glam::{Quat, Vec3};
use showrunner_story::CompiledStory;
use winit::application::ApplicationHandler;
use winit::event::{ElementState, MouseButton, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::keyboard::{Key, NamedKey};
use winit::window::{Window, WindowId};

use crate::heart::{HeartSpec, Viewer};
use showrunner_show::{Readout, ViewerInput};

/// What `play --desktop` needs.
pub struct PlayArgs {
    /// The story.
    pub story: CompiledStory,
    /// The director's policy.
    pub config: DirectorConfig,
    /// Seed for the story and the simulated viewer.
    pub seed: u64,
    /// Window size.
    pub size: (u32, u32),
    /// The heart: a strap (live or simulated) driving the director from the start, or a
    /// recording that `P` plays through the engagement estimator.
    pub heart: Option<HeartSpec>,
    /// How consent to sensing is taken.
    pub consent: crate::heart::ConsentArg,
    /// The estimator's calm baseline, seconds (120; shorter for tests).
    pub baseline_s: f64,
    /// A photo of the room whose light the film takes (the studio light without).
    pub room: Option<PathBuf>,
    /// Shader overrides (`scene.wgsl`, `shadow.wgsl`).
    pub shaders: Option<PathBuf>,
    /// Reload the story from this file when it is saved (`--watch`).
    pub watch: Option<PathBuf>,
    /// Quit after this many seconds (demos, tests); run until closed if none.
    pub seconds: Option<f64>,
    /// The refiner.
    pub refine: crate::refine_stage::RefineChoice,
    /// The refiner's weights.
    pub refiner_weights: PathBuf,
    /// Where the viewer's place is saved, whether to resume it, and the log.
    pub session: crate::session::SessionArgs,
    /// A seat in a venue (`play --festival --desktop`): the window plays the operator's
    /// screenings instead of its own film.
    pub seat: Option<crate::seat::SeatArgs>,
}

/// Arousal the Up/Down keys add, z per press.
const NUDGE: f32 = 0.5;
/// Mouse-look sensitivity, radians per pixel.
const LOOK: f32 = 0.004;
/// Window pixels per overlay pixel: 8×8 text doubled on big windows.
fn overlay_scale(width: u32) -> u32 {
    if width >= 1000 {
        2
    } else {
        1
    }
}

/// The window's vertical field of view, radians.
const FOV_Y: f32 = 1.0;

/// The head: position and yaw/pitch, moved by mouse and keys.
struct Head {
    position: Vec3,
    yaw: f32,
    pitch: f32,
    dragging: bool,
    last_cursor: Option<(f64, f64)>,
    /// Pixels the mouse moved while the button was down (a click if small).
    dragged: f64,
    eye: u32,
}

impl Head {
    fn forward(&self) -> Vec3 {
        Vec3::new(
            self.yaw.sin() * self.pitch.cos(),
            self.pitch.sin(),
            -self.yaw.cos() * self.pitch.cos(),
        )
    }
}

struct Running {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    gpu: Gpu,
    renderer: Renderer,
    presenter: Presenter,
    target: RenderTarget,
    film: crate::seat::Film,
    /// The viewer's place and the log, written in the background (taken at the end).
    session: Option<crate::session::Session>,
    /// The story's file, watched for the author's saves (`--watch`).
    watch: Option<crate::watch::StoryWatch>,
    /// When the last reloaded draft was saved, until its first frame is presented.
    reload_seen: Option<Instant>,
    /// The room's light (`--room`) or the studio's.
    light: crate::room::RoomLight,
    head: Head,
    /// What the viewer did since the last frame (select, number key, pause), handed to the
    /// show with the head and the pointer.
    input: ViewerInput,
    /// Where the mouse pointer is in the window (pixels): the gaze and the pointer's ray.
    cursor: Option<(f64, f64)>,
    last_frame: Instant,
    started: Instant,
    overlay_text: Vec<String>,
    warnings: Vec<String>,
    frames: u64,
    last_status: f64,
    /// The strap's state and signal as last said (`strap:` lines, printed when they change).
    strap_said: (&'static str, bool),
    refine: Option<crate::refine_stage::RefineStage>,
    sound: Option<crate::sound::SoundStage>,
    /// What starts when the viewer consents: `--heart`, the seed, the estimator's baseline.
    sensing: (Option<HeartSpec>, u64, f64),
}

struct App {
    args: PlayArgs,
    running: Option<Running>,
    error: Option<anyhow::Error>,
}

/// Opens the window and plays until it closes, Esc, the story's end (plus a
/// moment) or `--seconds`.
pub fn play(args: PlayArgs) -> Result<()> {
    let event_loop = EventLoop::new().context(
        "cannot open a window: no display (set DISPLAY or WAYLAND_DISPLAY; without one, run under Xvfb)",
    )?;
    event_loop.set_control_flow(ControlFlow::Poll);
    let mut app = App {
        args,
        running: None,
        error: None,
    };
    event_loop.run_app(&mut app)?;
    if let Some(r) = &mut app.running {
        r.film.leave();
        let film = r.film.show();
        if let Some(session) = r.session.take() {
            session.finish(film, &film.viewer.source());
        }
        if let Some(report) = film.viewer.latency_report() {
            println!("{report}");
        }
        println!(
            "closed after {:.1} s, {} frames, {} beats",
            r.started.elapsed().as_secs_f64(),
            r.frames,
            film.readout.beats
        );
    }
    match app.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

impl App {
    fn start(&mut self, el: &ActiveEventLoop) -> Result<Running> {
        let a = &self.args;
        let window = Arc::new(
            el.create_window(
                Window::default_attributes()
                    .with_title("Showrunner — desktop preview")
                    .with_inner_size(winit::dpi::PhysicalSize::new(a.size.0, a.size.1)),
            )
            .context("cannot create the window")?,
        );
        let instance = wgpu::Instance::new(
            wgpu::InstanceDescriptor {
                backends: wgpu::Backends::VULKAN,
                ..wgpu::InstanceDescriptor::new_without_display_handle()
            }
            .with_display_handle(Box::new(el.owned_display_handle())),
        );
        let surface = instance
            .create_surface(window.clone())
            .context("cannot draw into the window (Vulkan surface)")?;
        let gpu = Gpu::from_instance(&instance, Some(&surface))
            .context("the desktop preview needs a GPU or Mesa's lavapipe")?;
        println!(
            "adapter: {} ({:?})",
            gpu.adapter.name, gpu.adapter.device_type
        );
        let caps = surface.get_capabilities(&gpu.raw_adapter);
        let format = caps
            .formats
            .iter()
            .copied()
            .find(wgpu::TextureFormat::is_srgb)
            .or_else(|| caps.formats.first().copied())
            .context("the window offers no colour format")?;
        let size = window.inner_size();
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            width: size.width.max(1),
            height: size.height.max(1),
            color_space: wgpu::SurfaceColorSpace::Auto,
            present_mode: wgpu::PresentMode::AutoVsync,
            desired_maximum_frame_latency: 2,
            alpha_mode: caps.alpha_modes[0],
            view_formats: vec![],
        };
        surface.configure(&gpu.device, &config);

        let mut warnings = Vec::new();
        let shaders = match &a.shaders {
            Some(dir) => {
                let (s, errs) = Shaders::load(dir);
                warnings.extend(errs.iter().map(ToString::to_string));
                s
            }
            None => Shaders::builtin(),
        };
        let (mut renderer, err) = Renderer::with_shaders(&gpu.device, &gpu.queue, &shaders);
        // Real time: a changed line costs the frame thread only its upload.
        renderer.set_words_in_background(true);
        warnings.extend(err.map(|e| e.to_string()));
        warnings.extend(renderer.load_models(std::path::Path::new(crate::MODELS)));
        // The show staged its sets from the same files; the renderer draws them.
        warnings
            .extend(crate::sets::for_renderer(&mut renderer, &a.story.path, &a.session.staging)?.1);
        for w in &warnings {
            eprintln!("showrunner: warning: {w}");
        }
        let presenter = Presenter::new(&gpu.device, format);
        let mut target = RenderTarget::new(&gpu.device, config.width, config.height);
        let refine = match a.refine.resolve(gpu.adapter.device_type) {
            Ok(p) => Some(p),
            Err(why) => {
                println!("refiner: {why}");
                None
            }
        };
        let refine = refine.and_then(|profile| {
            let hz = window
                .current_monitor()
                .and_then(|m| m.refresh_rate_millihertz())
                .map_or(60.0, |mhz| mhz as f32 / 1000.0);
            match crate::refine_stage::RefineStage::new(&gpu, &a.refiner_weights, profile, hz) {
                Ok(s) => {
                    println!(
                        "refiner: {} profile ({} × {} px around each eye's view centre), budget from {hz:.0} Hz",
                        profile.name,
                        crate::refine_stage::describe(showrunner_refine::Plan { steps: profile.steps, region: profile.region, every: 1 }),
                        profile.region
                    );
                    Some(s)
                }
                Err(e) => {
                    eprintln!("showrunner: warning: {e}");
                    None
                }
            }
        });
        // The refiner reads each frame's depth as its guide.
        target.keep_depth = refine.is_some();
        let (mut film, session) = match self.args.seat.take() {
            // A venue's seat: the operator's screenings; meanwhile a still stage that says so.
            Some(seat) => (
                crate::seat::Film::seat(crate::seat::Seat::join(seat)?),
                None,
            ),
            None => {
                let a = &self.args;
                // Nothing senses the viewer before they consent (the mouse is not a sensor).
                let (viewer, consent) = crate::heart::with_consent(
                    a.heart.as_ref(),
                    a.consent,
                    false,
                    a.seed,
                    a.baseline_s,
                )?;
                let (mut film, mut session) = crate::session::Session::open(
                    &a.session,
                    &a.story,
                    a.seed,
                    a.config.clone(),
                    viewer,
                )?;
                crate::heart::apply_consent(&mut film, consent);
                (
                    crate::seat::Film::own(film, session.grow.take()),
                    Some(session),
                )
            }
        };
        film.disclose_refinement(refine.is_some());
        let a = &self.args;
        let now = Instant::now();
        Ok(Running {
            window,
            surface,
            config,
            renderer,
            presenter,
            target,
            gpu,
            film,
            session,
            watch: match &a.watch {
                Some(p) => {
                    println!("watching {} (save it to reload)", p.display());
                    Some(crate::watch::StoryWatch::start(p)?)
                }
                None => None,
            },
            reload_seen: None,
            light: crate::room::choose(a.room.as_deref())?,
            head: Head {
                position: Vec3::new(0.0, 1.25, 0.6),
                yaw: 0.0,
                pitch: -0.08,
                dragging: false,
                last_cursor: None,
                dragged: 0.0,
                eye: 0,
            },
            input: ViewerInput::default(),
            cursor: None,
            last_frame: now,
            started: now,
            overlay_text: Vec::new(),
            warnings,
            frames: 0,
            refine,
            sound: crate::sound::SoundStage::open(
                std::path::Path::new(crate::sound::SOUNDS),
                &a.story.path,
                showrunner_audio::Output::Device,
            ),
            last_status: -1.0,
            strap_said: ("", false),
            sensing: (a.heart.clone(), a.seed, a.baseline_s),
        })
    }
}

impl Running {
    fn resize(&mut self, width: u32, height: u32) {
        self.config.width = width.max(1);
        self.config.height = height.max(1);
        self.surface.configure(&self.gpu.device, &self.config);
        self.target = RenderTarget::new(&self.gpu.device, self.config.width, self.config.height);
        self.target.keep_depth = self.refine.is_some();
        self.presenter.retarget();
        self.overlay_text.clear();
    }

    fn key(&mut self, key: &Key, el: &ActiveEventLoop) {
        match key {
            Key::Named(NamedKey::Escape) => el.exit(),
            Key::Named(NamedKey::ArrowUp) => {
                if let Viewer::Simulated(v) = &mut self.film.show_mut().viewer {
                    v.nudge = (v.nudge + NUDGE).min(4.0);
                }
            }
            Key::Named(NamedKey::ArrowDown) => {
                if let Viewer::Simulated(v) = &mut self.film.show_mut().viewer {
                    v.nudge = (v.nudge - NUDGE).max(-4.0);
                }
            }
            Key::Named(NamedKey::Tab) => self.input.menu = true,
            Key::Named(NamedKey::Space) => self.input.pause = true,
            Key::Character(c) => {
                let c = c.as_str();
                if let Some(d) = c.chars().next().and_then(|ch| ch.to_digit(10)) {
                    if d >= 1 {
                        self.input.choose = Some(d as usize - 1);
                    }
                    return;
                }
                let step = 0.15;
                let fwd = self.head.forward();
                let flat = Vec3::new(fwd.x, 0.0, fwd.z).normalize_or_zero();
                let right = flat.cross(Vec3::Y);
                match c {
                    "e" | "E" => self.head.eye ^= 1,
                    "w" | "W" => self.head.position += flat * step,
                    "s" | "S" => self.head.position -= flat * step,
                    "a" | "A" => self.head.position -= right * step,
                    "d" | "D" => self.head.position += right * step,
                    "p" | "P" => self.toggle_recording(),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn toggle_recording(&mut self) {
        let t = self.film.show().clock();
        let Viewer::Simulated(viewer) = &mut self.film.show_mut().viewer else {
            return; // a strap drives the director; there is no recording to switch to
        };
        match viewer.toggle_recording(t) {
            Some(true) => println!("playing the heart recording"),
            Some(false) => println!("recording stopped; simulated viewer"),
            None => {}
        }
    }

    /// The author saved the story (`--watch`): the new draft plays on from the same knot, or
    /// `check`'s findings show and the last good draft plays on. Never waits.
    fn take_edit(&mut self) {
        let Some(edit) = self.watch.as_ref().and_then(crate::watch::StoryWatch::poll) else {
            return;
        };
        match edit {
            crate::watch::Edit::Compiled {
                story,
                findings,
                seen,
            } => match self.film.show_mut().reload(&story) {
                Ok(knot) => {
                    println!("reloaded {} at knot `{knot}`", story.path);
                    self.warnings = findings;
                    self.reload_seen = Some(seen);
                }
                Err(e) => {
                    eprintln!("showrunner: warning: {e:#}; the last good draft plays on");
                    self.warnings = vec![format!("{e:#}")];
                }
            },
            crate::watch::Edit::Broken(findings) => {
                for f in &findings {
                    eprintln!("showrunner: {f}");
                }
                println!("the story does not compile; the last good draft plays on");
                self.warnings = findings;
            }
        }
    }

    /// The ray from the eyes through the mouse pointer (straight ahead with no pointer in the
    /// window).
    fn pointer_ray(&self) -> (Vec3, Vec3) {
        let h = &self.head;
        let fwd = h.forward();
        let Some((x, y)) = self.cursor else {
            return (h.position, fwd);
        };
        let (w, hh) = (
            self.config.width.max(1) as f32,
            self.config.height.max(1) as f32,
        );
        let right = fwd.cross(Vec3::Y).normalize_or_zero();
        let up = right.cross(fwd);
        let half = (FOV_Y * 0.5).tan();
        let nx = (2.0 * x as f32 / w - 1.0) * half * w / hh;
        let ny = (1.0 - 2.0 * y as f32 / hh) * half;
        (h.position, (fwd + right * nx + up * ny).normalize())
    }

    fn frame(&mut self) -> Result<()> {
        let now = Instant::now();
        let frame_ms = now.duration_since(self.last_frame).as_secs_f32() * 1e3;
        if let Some(msg) = self
            .refine
            .as_mut()
            .and_then(|r| r.frame_time(&self.gpu, frame_ms))
        {
            println!("{msg}");
        }
        let dt = now.duration_since(self.last_frame).as_secs_f64().min(0.1);
        self.last_frame = now;
        self.take_edit();
        // sensors → engagement → director → story → scene
        let ray = self.pointer_ray();
        let seen = ViewerInput {
            head: self.head.position,
            facing: self.head.forward(),
            pointer: Some(ray),
            // The window's gaze is where the mouse points (the drag turns the head).
            gaze: self.cursor.map(|_| ray),
            ..std::mem::take(&mut self.input)
        };
        // Tracking space, as the head is: the refined region follows it (the mouse).
        let gaze_dir = seen.gaze.map(|(_, d)| d);
        let mut frame = self.film.advance(dt, &seen)?;
        if let Some(session) = &mut self.session {
            session.record(&mut frame);
        }
        if let Some(i) = frame.dwelt {
            println!("chose {} by looking at it", i + 1);
        }
        if frame.recentre {
            self.head.yaw = 0.0;
            self.head.pitch = -0.08;
            println!("recentred");
        }
        if let Some(answer) = frame.consent {
            let (heart, seed, baseline_s) = &self.sensing;
            crate::heart::answered(
                self.film.show_mut(),
                answer,
                heart.as_ref(),
                *seed,
                *baseline_s,
            );
        }
        for w in frame.warnings {
            eprintln!("showrunner: warning: {w}");
            self.warnings.push(w);
        }
        let dt = dt as f32;
        if let Some(sound) = &mut self.sound {
            // → sound (kira handles only; the mixer runs on its own thread)
            // Yaw turns toward +x (right), pitch looks up; −z is forward.
            let head =
                Quat::from_rotation_y(-self.head.yaw) * Quat::from_rotation_x(self.head.pitch);
            sound.frame(
                &self.film.show().scene.world,
                &frame.staged,
                &self.film.show().readout,
                (self.head.position, head),
                dt,
                self.film.show().scene.physics.impacts(),
            );
        }
        self.status_line();
        // → render → present
        let frame = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(f)
            | wgpu::CurrentSurfaceTexture::Suboptimal(f) => f,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                let size = self.window.inner_size();
                self.resize(size.width, size.height);
                return Ok(());
            }
            other => {
                eprintln!("showrunner: skipped a frame: {other:?}");
                return Ok(());
            }
        };
        let (light, sun) = self.light;
        let h = &self.head;
        // The head is in the viewer's tracking space; the vantage (`view:`) places it in the
        // set, through a fade.
        let vantage = &self.film.show().scene.vantage;
        let gaze = gaze_dir.map(|d| vantage.direction(d));
        let inputs = FrameInputs {
            eyes: EyeView::stereo(
                h.position,
                h.position + h.forward(),
                0.064,
                FOV_Y,
                self.config.width as f32 / self.config.height as f32,
            )
            .map(|e| e.placed(vantage.matrix())),
            light,
            sun,
            grade: self.film.show().readout.grade.faded(vantage.fade()),
        };
        self.update_overlay();
        let scene = self
            .renderer
            .render(&self.film.show().scene.world, &inputs, &self.target);
        for w in self.renderer.take_label_warnings() {
            eprintln!("showrunner: warning: {w}");
            self.warnings.push(w);
        }
        if let Some(stage) = &mut self.refine {
            // → refine (GPU work on the same queue, after the scene)
            self.gpu.queue.submit([scene]);
            let strength = self.film.show().readout.refine_strength;
            if let Err(e) = stage.apply(&self.gpu, &self.target, &inputs.eyes, gaze, strength) {
                eprintln!("showrunner: warning: {e}");
                self.refine = None;
            }
        } else {
            self.gpu.queue.submit([scene]);
        }
        let view = frame
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        let mut enc = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("present"),
            });
        self.presenter.draw(
            &self.gpu.device,
            &self.gpu.queue,
            &mut enc,
            &self.target,
            self.head.eye,
            &view,
        );
        self.gpu.queue.submit([enc.finish()]);
        self.window.pre_present_notify();
        self.gpu.queue.present(frame);
        self.frames += 1;
        if let Some(seen) = self.reload_seen.take() {
            println!(
                "reload to first frame: {:.1} ms",
                seen.elapsed().as_secs_f64() * 1e3
            );
        }
        if self.frames == 1 {
            println!("presenting {}x{}", self.config.width, self.config.height);
        }
        Ok(())
    }

    /// One line a second on stdout: what the readout shows, for logs and tests.
    fn status_line(&mut self) {
        let q = self.film.show().readout.sample.quality;
        if let Some(line) = self
            .film
            .show()
            .viewer
            .strap_change(&mut self.strap_said, q)
        {
            println!("{line}");
        }
        let t = self.film.show().clock();
        if t - self.last_status < 1.0 {
            return;
        }
        self.last_status = t;
        let r = &self.film.show().readout;
        let strap = match &self.film.show().viewer {
            Viewer::Strap(s) => format!(" | {} quality {:.2}", s.status(), r.sample.quality),
            Viewer::Simulated(_) => String::new(),
            Viewer::Unsensed(why) => format!(" | {why}"),
        };
        println!(
            "t {t:.1} beat {} mode {} arousal_z {:+.2} boredom {:.2} pacing {:.2} yaw {:+.2} | {}{strap}",
            r.beats,
            r.mode,
            r.sample.arousal_z,
            r.sample.boredom,
            r.pacing,
            self.head.yaw,
            r.decision
        );
    }

    fn update_overlay(&mut self) {
        let mut lines = readout_lines(
            &self.film.show().readout,
            &self.film.show().viewer.source(),
            &self.warnings,
        );
        if let Some(stage) = &self.refine {
            lines.insert(
                3,
                format!(
                    "refiner: {} | strength {:.2}",
                    crate::refine_stage::describe(stage.plan()),
                    self.film.show().readout.refine_strength
                ),
            );
        }
        if lines == self.overlay_text {
            return;
        }
        let scale = overlay_scale(self.config.width);
        let w = (self.config.width / scale).max(1);
        let h = (self.config.height / scale).max(1);
        let img = overlay_image(w, h, &lines);
        self.presenter
            .set_overlay(&self.gpu.device, &self.gpu.queue, w, h, &img);
        self.overlay_text = lines;
    }
}

/// The readout as text lines: header lines go at the top, the rest (after an
/// empty line) at the bottom.
fn readout_lines(r: &Readout, source: &str, warnings: &[String]) -> Vec<String> {
    let s = &r.sample;
    let mut lines =
        vec![
            format!("viewer: {source}"),
            format!(
            "engagement: {} | arousal z {:+.2} | boredom {:.2} | attention {:.2}{} | quality {:.2}",
            r.mode,
            s.arousal_z,
            s.boredom,
            s.attention,
            if r.gaze_attention.is_some() { " (gaze)" } else { "" },
            s.quality
        ),
            format!(
                "director: pacing {:.2} | intensity {:.2} | warmth {:+.2} | saturation {:.2}",
                r.pacing, r.intensity, r.grade.warmth, r.grade.saturation
            ),
            format!(
                "last decision: {}",
                if r.decision.is_empty() {
                    "none yet"
                } else {
                    &r.decision
                }
            ),
        ];
    // The last few (a draft's findings come several at a time), oldest first.
    for w in &warnings[warnings.len().saturating_sub(4)..] {
        lines.push(format!("warning: {w}"));
    }
    lines.push(String::new());
    // The subtitles are in the world now (the renderer's labels), as in the headset; the
    // choices are listed with the keys that take them.
    if r.ended {
        lines.push("The End.".into());
    }
    for (i, c) in r.choices.iter().enumerate() {
        match r.dwell {
            Some((d, fill)) if d == i => {
                lines.push(format!("> {}) {c}  [{:.0}%]", i + 1, fill * 100.0))
            }
            _ => lines.push(format!("  {}) {c}", i + 1)),
        }
    }
    if r.paused {
        lines.push("paused (Space resumes)".into());
    }
    lines.push(
        "drag: look | rest the pointer on a panel, click it or 1-9: choose | Space: pause | Tab: menu | WASD: lean | Up/Down: arousal | P: recording | E: eye | Esc: quit"
            .into(),
    );
    lines
}

/// Rasterizes the readout into straight-alpha RGBA8: dark translucent panels
/// with white 8×8 text (font8x8), header at the top, the rest at the bottom.
fn overlay_image(w: u32, h: u32, lines: &[String]) -> Vec<u8> {
    use font8x8::UnicodeFonts;
    let mut img = vec![0u8; (w * h * 4) as usize];
    let cols = ((w.saturating_sub(8)) / 8).max(1) as usize;
    let split = lines
        .iter()
        .position(String::is_empty)
        .unwrap_or(lines.len());
    let wrap =
        |l: &String| -> Vec<String> { wrap_words(&l.chars().map(plain).collect::<String>(), cols) };
    let top: Vec<String> = lines[..split].iter().flat_map(wrap).collect();
    let bottom: Vec<String> = lines[(split + 1).min(lines.len())..]
        .iter()
        .flat_map(wrap)
        .collect();
    let panel = |img: &mut Vec<u8>, y0: u32, rows: &[String]| {
        let ph = rows.len() as u32 * 10 + 4;
        for y in y0..(y0 + ph).min(h) {
            for x in 0..w {
                let i = ((y * w + x) * 4) as usize;
                img[i..i + 4].copy_from_slice(&[0, 0, 0, 150]);
            }
        }
        for (k, row) in rows.iter().enumerate() {
            let ty = y0 + 3 + k as u32 * 10;
            for (n, ch) in row.chars().enumerate() {
                let Some(glyph) = font8x8::BASIC_FONTS.get(ch) else {
                    continue;
                };
                let tx = 4 + n as u32 * 8;
                for (gy, bits) in glyph.iter().enumerate() {
                    for gx in 0..8 {
                        let (x, y) = (tx + gx, ty + gy as u32);
                        if bits & (1 << gx) != 0 && x < w && y < h {
                            let i = ((y * w + x) * 4) as usize;
                            img[i..i + 4].copy_from_slice(&[255, 255, 240, 255]);
                        }
                    }
                }
            }
        }
    };
    panel(&mut img, 0, &top);
    let bh = bottom.len() as u32 * 10 + 4;
    panel(&mut img, h.saturating_sub(bh), &bottom);
    img
}

/// Greedy word wrap to `cols` characters; words longer than a line are split.
fn wrap_words(text: &str, cols: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    let indent: String = text.chars().take_while(|c| *c == ' ').collect();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > cols {
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            out.push(word.drain(..cols).collect());
        }
        let len = line.chars().count();
        if len > 0 && len + 1 + word.len() > cols {
            out.push(std::mem::take(&mut line));
        }
        if line.is_empty() {
            if out.is_empty() {
                line.push_str(&indent);
            }
        } else {
            line.push(' ');
        }
        line.extend(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// Typographic characters the 8×8 font lacks, as ASCII.
fn plain(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' => '\'',
        '\u{201c}' | '\u{201d}' => '"',
        '\u{2013}' | '\u{2014}' => '-',
        '\u{2026}' => '.',
        c if c.is_ascii() => c,
        _ => '?',
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, el: &ActiveEventLoop) {
        if self.running.is_some() {
            return;
        }
        match self.start(el) {
            Ok(r) => {
                r.window.request_redraw();
                self.running = Some(r);
            }
            Err(e) => {
                self.error = Some(e);
                el.exit();
            }
        }
    }

    fn window_event(&mut self, el: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        let Some(r) = &mut self.running else {
            return;
        };
        match event {
            WindowEvent::CloseRequested => el.exit(),
            WindowEvent::Resized(size) => r.resize(size.width, size.height),
            WindowEvent::KeyboardInput { event, .. } if event.state == ElementState::Pressed => {
                r.key(&event.logical_key, el);
            }
            WindowEvent::MouseInput {
                state,
                button: MouseButton::Left,
                ..
            } => {
                let pressed = state == ElementState::Pressed;
                if !pressed && r.head.dragging && r.head.dragged < 4.0 {
                    // A click, not a drag: choose the panel under the pointer.
                    r.input.select = true;
                }
                r.head.dragging = pressed;
                r.head.dragged = 0.0;
                r.head.last_cursor = None;
            }
            WindowEvent::CursorLeft { .. } => r.cursor = None,
            WindowEvent::CursorMoved { position, .. } if !r.head.dragging => {
                r.cursor = Some((position.x, position.y));
            }
            WindowEvent::CursorMoved { position, .. } => {
                r.cursor = Some((position.x, position.y));
                if let Some((x, y)) = r.head.last_cursor {
                    r.head.dragged += (position.x - x).abs() + (position.y - y).abs();
                    r.head.yaw += (position.x - x) as f32 * LOOK;
                    r.head.pitch = (r.head.pitch - (position.y - y) as f32 * LOOK).clamp(-1.4, 1.4);
                }
                r.head.last_cursor = Some((position.x, position.y));
            }
            WindowEvent::RedrawRequested => {
                if let Err(e) = r.frame() {
                    self.error = Some(e);
                    el.exit();
                    return;
                }
                let limit = self.args.seconds;
                if limit.is_some_and(|s| r.started.elapsed().as_secs_f64() >= s) {
                    el.exit();
                }
                r.window.request_redraw();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overlay_has_text_top_and_bottom_and_is_clear_between() {
        let lines: Vec<String> = vec![
            "viewer: simulated".into(),
            "engagement: engaged".into(),
            String::new(),
            "The lamp gutters.".into(),
            "  1) Climb".into(),
        ];
        let (w, h) = (160, 120);
        let img = overlay_image(w, h, &lines);
        let px = |x: u32, y: u32| &img[((y * w + x) * 4) as usize..][..4];
        let white_in =
            |y0: u32, y1: u32| (y0..y1).any(|y| (0..w).any(|x| px(x, y) == [255, 255, 240, 255]));
        assert!(white_in(0, 24), "header text");
        assert!(white_in(h - 34, h), "subtitles and choices");
        assert_eq!(
            px(80, 60),
            [0, 0, 0, 0],
            "the scene shows through the middle"
        );
        assert_eq!(plain('\u{2014}'), '-');
    }

    #[test]
    fn long_lines_wrap_inside_the_window() {
        let long = "word ".repeat(100);
        let img = overlay_image(80, 200, &[long, String::new(), "x".into()]);
        // 80 px wide: 9 columns a row, 500 chars → 56 rows ≈ 564 px > 200: clipped, not a panic.
        assert_eq!(img.len(), 80 * 200 * 4);
        assert_eq!(
            wrap_words("  1) the lamp gutters out", 10),
            ["  1) the", "lamp", "gutters", "out"]
        );
        assert_eq!(wrap_words("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
    }
}
