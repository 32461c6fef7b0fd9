//! `showrunner play` in a headset: the OpenXR front end.
//!
//! The frame loop: `xrWaitFrame` paces it; input (point-and-select a choice
//! panel, menu, recenter, gaze) and the show update (viewer → director →
//! story → scene); then, as late as possible before encoding, the views are
//! located for the predicted display time, both eyes are encoded into the
//! runtime's swapchain image and the frame ends with one projection layer.
//! Telemetry times every phase (`tracing` spans too) and prints p50/p99 at exit.
//!
//! The story lives outside the XR connection: when the runtime goes away
//! (instance lost, service restarted), the session is torn down and made
//! again when the runtime is back, and the film continues where it was.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use showrunner_director::DirectorConfig;
use showrunner_render::Renderer;
use showrunner_scene::glam::{Quat, Vec3};
use showrunner_story::CompiledStory;
use showrunner_xr::telemetry::micros;
use showrunner_xr::{FrameTimes, Status, Telemetry, Xr, XrError, XrOptions};

use crate::heart::{HeartSpec, Viewer};
use crate::platform::Permission;
use showrunner_show::ViewerInput;

/// What `play --xr` needs.
pub struct XrArgs {
    /// The story.
    pub story: CompiledStory,
    /// The director's policy.
    pub config: DirectorConfig,
    /// Seed.
    pub seed: u64,
    /// The heart: a strap (live or simulated), or a recording played from the start.
    pub heart: Option<HeartSpec>,
    /// How consent to sensing is taken.
    pub consent: crate::heart::ConsentArg,
    /// The estimator's calm baseline, seconds (120; shorter for tests).
    pub baseline_s: f64,
    /// Ask the runtime to end the session after this many seconds.
    pub seconds: Option<f64>,
    /// How long to wait for a runtime that went away to come back.
    pub reconnect_s: f64,
    /// Read every 10th frame's swapchain image back and print its statistics (tests).
    pub verify_frames: bool,
    /// Wait for the GPU before `xrEndFrame`, timing it apart (on lavapipe
    /// the "GPU" is the driver rendering on the CPU), so pose → end-frame
    /// shows the CPU cost alone.
    pub measure_cpu: bool,
    /// The refiner.
    pub refine: crate::refine_stage::RefineChoice,
    /// The refiner's weights.
    pub refiner_weights: PathBuf,
    /// Where the viewer's place is saved, whether to resume it, and the log.
    pub session: crate::session::SessionArgs,
    /// A seat in a venue (`play --festival`): the headset plays the operator's screenings
    /// instead of its own film.
    pub seat: Option<crate::seat::SeatArgs>,
}

/// What the viewer watches: the film and everything else that outlives an XR connection.
struct Watching {
    film: crate::seat::Film,
    /// The viewer's place and the log, written in the background (a venue's seat keeps its
    /// screenings' own).
    session: Option<crate::session::Session>,
    sound: Option<crate::sound::SoundStage>,
}

/// Seconds the end credits stay up before the session ends.
const CREDITS_S: f64 = 15.0;

/// Seconds an offered eye-gaze action may stay silent before the log says so.
const GAZE_SILENCE_S: f64 = 10.0;

/// Plays in the headset until the story ends, `--seconds`, the runtime
/// exits the session, or the runtime stays away longer than `reconnect_s`.
pub fn play(mut args: XrArgs) -> Result<()> {
    let (film, session) = match args.seat.take() {
        Some(seat) => (
            crate::seat::Film::seat(crate::seat::Seat::join(seat)?),
            None,
        ),
        None => own_film(&args)?,
    };
    let mut show = Watching {
        film,
        session,
        sound: crate::sound::SoundStage::open(
            std::path::Path::new(crate::sound::SOUNDS),
            &args.story.path,
            showrunner_audio::Output::Device,
        ),
    };
    let beats_at_start = show.film.show().readout.beats;
    let mut telemetry = Telemetry::new(1 << 16);
    let started = Instant::now();
    let opts = XrOptions {
        readback: args.verify_frames,
        no_depth_layer: false,
    };
    let mut connections = 0u32;
    let mut lost_at: Option<Instant> = None;
    let mut states: Vec<&'static str> = Vec::new();
    loop {
        // Android's activity waits on its events while the runtime is sought: look at them
        // (nothing was asked yet; a destroyed activity ends the wait).
        if system_events(&mut show, &args).destroyed {
            println!("xr: the activity is going away before the film started");
            break;
        }
        let mut xr = match Xr::new(&opts) {
            Ok(xr) => xr,
            Err(e) => {
                let waited = lost_at.map(|t| t.elapsed().as_secs_f64());
                match waited {
                    Some(w) if w < args.reconnect_s => {
                        std::thread::sleep(Duration::from_millis(250));
                        continue;
                    }
                    Some(_) => {
                        println!(
                            "xr: the runtime did not come back within {:.0} s ({e}); the story stopped at beat {}",
                            args.reconnect_s, show.film.show().readout.beats
                        );
                        break;
                    }
                    None => return Err(anyhow::Error::new(e).context("cannot start OpenXR")),
                }
            }
        };
        connections += 1;
        let f = &xr.features;
        println!(
            "xr: {} on {}; {}x{} per eye; blend {:?}; depth layer {}; eye gaze {}; hand interaction {}; profiles {}",
            f.runtime,
            f.system,
            f.size.0,
            f.size.1,
            f.blend,
            f.depth_layer,
            f.eye_gaze,
            f.hand_interaction,
            f.profiles.join(" ")
        );
        println!("xr: gpu {}", f.adapter);
        if !f.fb_passthrough && f.blend == showrunner_xr::Blend::Opaque {
            println!("xr: no passthrough here (opaque blend only); the film fills the view");
        }
        if f.light_estimation {
            println!("xr: the room's light comes from the runtime (XR_ANDROID_light_estimation)");
        } else {
            // Passthrough camera frames are not given to applications through OpenXR here
            // (Quest gives them only through Android's camera API): the studio light.
            println!(
                "xr: no runtime light estimate (XR_ANDROID_light_estimation) and no passthrough camera frames; the room light is the studio default"
            );
        }
        // The eyes are a sensor too: where the runtime tracks them, consent comes first (in a
        // venue's seat, each screening asks its viewer).
        if f.eye_gaze && show.film.is_seat() {
            show.film.senses_eyes();
        } else if f.eye_gaze && show.film.show().consent() == showrunner_show::Consent::NotNeeded {
            let (_, consent) =
                crate::heart::with_consent(None, args.consent, true, args.seed, args.baseline_s)?;
            crate::heart::apply_consent(show.film.show_mut(), consent);
        }
        if connections > 1 {
            println!(
                "xr: reconnected; the story continues at beat {} ({:.1} s in)",
                show.film.show().readout.beats,
                show.film.show().clock()
            );
        }
        let mut renderer = Renderer::new(xr.device(), xr.queue());
        // Real time: a changed line costs the frame thread only its upload.
        renderer.set_words_in_background(true);
        renderer.set_passthrough(f.blend == showrunner_xr::Blend::AlphaBlend);
        let mut warnings = renderer.load_models(std::path::Path::new(crate::MODELS));
        // The show staged its sets from the same files; the renderer draws them.
        warnings.extend(
            crate::sets::for_renderer(&mut renderer, &args.story.path, &args.session.staging)?.1,
        );
        for w in warnings {
            eprintln!("showrunner: warning: {w}");
        }
        let (instance, raw_adapter, info) = xr.wgpu_parts();
        let gpu = showrunner_render::Gpu {
            device: xr.device().clone(),
            queue: xr.queue().clone(),
            adapter: info.clone(),
            raw_adapter,
            instance,
        };
        let mut refine = match args.refine.resolve(info.device_type) {
            Err(why) => {
                println!("xr: refiner {why}");
                None
            }
            Ok(profile) => {
                match crate::refine_stage::RefineStage::new(
                    &gpu,
                    &args.refiner_weights,
                    profile,
                    72.0,
                ) {
                    Ok(s) => {
                        println!("xr: refiner on, {} profile", profile.name);
                        // Its depth guide is read from each frame's depth.
                        xr.keep_depth(true);
                        Some(s)
                    }
                    Err(e) => {
                        eprintln!("showrunner: warning: {e}");
                        None
                    }
                }
            }
        };
        show.film.disclose_refinement(refine.is_some());
        let result = run_session(
            &mut xr,
            &gpu,
            &mut refine,
            &mut renderer,
            &mut show,
            &mut telemetry,
            &args,
            started,
        );
        states.extend(xr.states.iter().copied());
        match result {
            Ok(()) => break,
            Err(e) if e.is_lost() => {
                println!("xr: {e}; the story is kept, waiting for the runtime");
                lost_at = Some(Instant::now());
                drop(renderer);
                drop(xr);
            }
            Err(e) if connections == 1 && show.film.show().readout.beats == beats_at_start => {
                // Failed before the film began: the caller may fall back to the window.
                return Err(anyhow::Error::new(e).context("cannot start the OpenXR session"));
            }
            Err(e) => return Err(e).context("OpenXR session"),
        }
    }
    println!("xr: session states: {}", states.join(" "));
    print!("{}", telemetry.report());
    println!(
        "xr: ended after {:.1} s; {} beats; {} connection(s)",
        started.elapsed().as_secs_f64(),
        show.film.show().readout.beats,
        connections
    );
    show.film.leave();
    let film = show.film.show();
    if let Some(session) = show.session.take() {
        session.finish(film, &film.viewer.source());
    }
    if let Some(report) = film.viewer.latency_report() {
        println!("xr: {report}");
    }
    Ok(())
}

/// The system around the headset (Android's activity), looked at without waiting: its answers
/// to the permissions the film asked for are applied to the film; returns its events.
fn system_events(show: &mut Watching, args: &XrArgs) -> crate::platform::Events {
    let (events, decided) = crate::platform::pump();
    for (permission, granted) in decided {
        crate::heart::permission_decided(
            show.film.show_mut(),
            permission,
            granted,
            args.heart.as_ref(),
            args.seed,
            args.baseline_s,
        );
    }
    events
}

/// The headset's own film (not a venue's seat), with its session.
fn own_film(args: &XrArgs) -> Result<(crate::seat::Film, Option<crate::session::Session>)> {
    // Nothing senses the viewer before they consent: the strap waits, and so do the eyes
    // (asked about once the runtime says it tracks them).
    let (mut viewer, consent) = crate::heart::with_consent(
        args.heart.as_ref(),
        args.consent,
        false,
        args.seed,
        args.baseline_s,
    )?;
    if let Viewer::Simulated(v) = &mut viewer {
        if v.toggle_recording(0.0) == Some(true) {
            println!("xr: the heart recording drives the director");
        }
    }
    let (mut film, mut session) = crate::session::Session::open(
        &args.session,
        &args.story,
        args.seed,
        args.config.clone(),
        viewer,
    )?;
    crate::heart::apply_consent(&mut film, consent);
    Ok((
        crate::seat::Film::own(film, session.grow.take()),
        Some(session),
    ))
}

#[allow(clippy::too_many_arguments)]
fn run_session(
    xr: &mut Xr,
    shared: &showrunner_render::Gpu,
    refine: &mut Option<crate::refine_stage::RefineStage>,
    renderer: &mut Renderer,
    show: &mut Watching,
    telemetry: &mut Telemetry,
    args: &XrArgs,
    started: Instant,
) -> Result<(), XrError> {
    let mut exit_requested = false;
    let mut last_status = -1.0;
    let mut verified = 0u32;
    let mut last_frame_start = Instant::now();
    let mut printed_states = 0;
    let mut last_decision = show.film.show().readout.decision.clone();
    let mut last_strap_log = f64::NEG_INFINITY;
    let (mut gaze_reported, mut gaze_silence_said) = (false, false);
    let mut strap_said = ("", false);
    // The studio light until the runtime gives an estimate of the room's (said once in the
    // log when the session starts).
    let (mut light, mut sun) = crate::room::studio();
    let mut light_failed = false;
    let mut ended_at: Option<Instant> = None;
    // The system's permissions for the eyes and the room are asked once sensing is allowed.
    let mut asked_system = false;
    loop {
        // The system around the headset (Android's activity): its answers to the permissions
        // the film asked for, and whether it is going away.
        if system_events(show, args).destroyed && !exit_requested {
            println!("xr: the activity is going away; ending the session");
            xr.request_exit()?;
            exit_requested = true;
        }
        let consent = show.film.show().consent();
        if !asked_system && (consent.sensing() || consent == showrunner_show::Consent::NotNeeded) {
            asked_system = true;
            if xr.features.eye_gaze && consent.sensing() {
                crate::platform::ask(Permission::EyeTracking);
            }
            if xr.features.light_estimation {
                crate::platform::ask(Permission::SceneUnderstanding);
            }
        }
        // The story's end: the credits stay up a while before the session ends.
        if show.film.show().readout.ended && ended_at.is_none() {
            ended_at = Some(Instant::now());
        }
        let over = args
            .seconds
            .is_some_and(|s| started.elapsed().as_secs_f64() >= s)
            || ended_at.is_some_and(|t| t.elapsed().as_secs_f64() >= CREDITS_S);
        if over && !exit_requested {
            println!("xr: requesting exit");
            xr.request_exit()?;
            exit_requested = true;
        }
        let status = xr.poll();
        for st in &xr.states[printed_states..] {
            println!("xr: state {st}");
        }
        printed_states = xr.states.len();
        match status? {
            Status::Exit => {
                println!("xr: session exited cleanly");
                return Ok(());
            }
            Status::Idle => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Status::Running { .. } => {}
        }
        let t0 = Instant::now();
        let fs = {
            let _s = tracing::info_span!("wait").entered();
            xr.wait_frame()?
        };
        let t1 = Instant::now();
        let time = fs.predicted_display_time;
        let period = fs.predicted_display_period.as_nanos();
        if let Some(stage) = refine.as_mut() {
            stage.set_period_ms(period as f32 / 1e6);
            // The whole last frame, xrWaitFrame included: a refined frame that
            // made us miss a display period shows up here.
            if let Some(msg) = stage.frame_time(
                shared,
                t0.duration_since(last_frame_start).as_secs_f32() * 1e3,
            ) {
                println!("xr: {msg}");
            }
        }
        last_frame_start = t0;
        // Where the eyes look (tracking space, as the views the refine stage gets).
        let gaze_dir;
        {
            let _s = tracing::info_span!("update").entered();
            let input = xr.input(time)?;
            if input.recenter {
                xr.recenter(time)?;
                println!("xr: recentred");
            }
            if !light_failed && crate::platform::allowed(Permission::SceneUnderstanding) {
                match xr.room_light(time) {
                    Ok(Some(room)) => (light, sun) = room,
                    Ok(None) => {}
                    Err(e) => {
                        light_failed = true;
                        eprintln!(
                            "showrunner: warning: the runtime's light estimate failed ({e}); the film keeps the last light it had"
                        );
                    }
                }
            }
            let dt = (period as f64 / 1e9).clamp(0.0, 0.1);
            // The predicted head pose, located once: the panels face it, the listener is on it.
            let head = xr
                .head(time)
                .unwrap_or((Vec3::new(0.0, 1.2, 0.0), Quat::IDENTITY));
            // The eyes are not read before consent (nor after a decline): the controller
            // points alone then.
            let eyes = input
                .gaze
                .filter(|_| show.film.show().consent().allows_gaze());
            gaze_dir = eyes.map(|(_, d)| d);
            let seen = ViewerInput {
                head: head.0,
                facing: head.1 * Vec3::NEG_Z,
                pointer: input.aim.or(eyes),
                gaze: eyes,
                select: input.select,
                choose: None,
                // The menu button opens the viewer's menu (which holds the film).
                menu: input.pause,
                ..Default::default()
            };
            let was_paused = show.film.show().readout.paused;
            let menu_was = show.film.show().menu_open();
            let mut frame = match show.film.advance(dt, &seen) {
                Ok(frame) => frame,
                Err(e) => {
                    eprintln!("showrunner: error: the story failed: {e:#}");
                    show.film.show_mut().readout.paused = true;
                    Default::default()
                }
            };
            if let Some(session) = &mut show.session {
                session.record(&mut frame);
            }
            if show.film.show().menu_open() != menu_was {
                let open = show.film.show().menu_open();
                println!(
                    "xr: menu {}",
                    if open {
                        "open (the film holds)"
                    } else {
                        "closed"
                    }
                );
            }
            if show.film.show().readout.paused != was_paused {
                let paused = show.film.show().readout.paused;
                println!("xr: {}", if paused { "paused" } else { "playing" });
            }
            match frame.select {
                Some(Some(i)) => println!("xr: select on choice {}", i + 1),
                Some(None) => println!("xr: select, pointing at no choice"),
                None => {}
            }
            if let Some(i) = frame.dwelt {
                println!("xr: choice {} taken by gaze", i + 1);
            }
            if frame.recentre {
                xr.recenter(time)?;
                println!("xr: recentred (from the menu)");
            }
            if let Some(answer) = frame.consent {
                crate::heart::answered(
                    show.film.show_mut(),
                    answer,
                    args.heart.as_ref(),
                    args.seed,
                    args.baseline_s,
                );
            }
            if input.gaze.is_some() {
                gaze_reported = true;
            } else if xr.features.eye_gaze
                && !gaze_reported
                && !gaze_silence_said
                && started.elapsed().as_secs_f64() > GAZE_SILENCE_S
            {
                gaze_silence_said = true;
                eprintln!(
                    "showrunner: warning: {} offers eye tracking (XR_EXT_eye_gaze_interaction) but its gaze action reported nothing for {GAZE_SILENCE_S:.0} s: attention comes from the heart alone and choices need a select; calibrate eye tracking and allow it for Showrunner in the headset's settings",
                    xr.features.runtime
                );
            }
            // Staging warnings are the developer's, not the viewer's: they go to the log.
            for w in &frame.warnings {
                eprintln!("showrunner: warning: {w}");
            }
            if let Some(sound) = &mut show.sound {
                // → sound: the listener on the predicted head pose.
                sound.frame(
                    &show.film.show().scene.world,
                    &frame.staged,
                    &show.film.show().readout,
                    head,
                    dt as f32,
                    show.film.show().scene.physics.impacts(),
                );
            }
            if show.film.show().readout.decision != last_decision {
                last_decision.clone_from(&show.film.show().readout.decision);
                println!("xr: decision: {last_decision}");
            }
            // The strap's state goes to the log, at once when it changes (the viewer's menu
            // shows sensing; see issue 20, item 3).
            let q = show.film.show().readout.sample.quality;
            if let Some(line) = show.film.show().viewer.strap_change(&mut strap_said, q) {
                println!("xr: {line}");
            }
            if let Viewer::Strap(_) = &show.film.show().viewer {
                let t = show.film.show().clock();
                if t - last_strap_log >= 5.0 {
                    last_strap_log = t;
                    let q = show.film.show().readout.sample.quality;
                    println!("xr: {} quality {q:.2}", show.film.show().viewer.source());
                }
            }
        }
        let t2 = Instant::now();
        xr.begin_frame()?;
        if !fs.should_render {
            xr.end_frame(&fs, false)?;
            telemetry.record_skipped(time.as_nanos());
            continue;
        }
        let mut gpu = 0.0;
        let (times, ahead) = {
            let _s = tracing::info_span!("pose").entered();
            let t_pose = Instant::now();
            let now = xr.now();
            let eyes = xr.locate_views(time)?;
            let t_pose_end = Instant::now();
            let target = xr.acquire()?;
            let cmd = {
                let _s = tracing::info_span!("encode").entered();
                // The runtime's views are in tracking space; the vantage (`view:`) places
                // them in the set, through a fade.
                let vantage = &show.film.show().scene.vantage;
                renderer.render(
                    &show.film.show().scene.world,
                    &showrunner_render::FrameInputs {
                        eyes: eyes.map(|e| e.placed(vantage.matrix())),
                        light,
                        sun,
                        grade: show.film.show().readout.grade.faded(vantage.fade()),
                    },
                    &target,
                )
            };
            for w in renderer.take_label_warnings() {
                eprintln!("showrunner: warning: {w}");
            }
            let t_enc = Instant::now();
            {
                let _s = tracing::info_span!("submit").entered();
                xr.queue().submit([cmd]);
                if let Some(stage) = refine.as_mut() {
                    // → refine, on the runtime's device, before the image goes back.
                    let strength = show.film.show().readout.refine_strength;
                    if let Err(e) = stage.apply(shared, &target, &eyes, gaze_dir, strength) {
                        eprintln!("showrunner: warning: {e}");
                        *refine = None;
                    }
                }
                if args.measure_cpu {
                    let t = Instant::now();
                    let _ = xr.device().poll(wgpu_wait());
                    gpu = micros(t.elapsed());
                }
                if args.verify_frames && telemetry.frames % 10 == 0 {
                    let px = xr.read_back(&target, 0)?;
                    let (mean, sd) = luminance_stats(&px);
                    verified += 1;
                    println!(
                        "xr: frame {} swapchain left eye mean {mean:.1} sd {sd:.1} ({verified} checked)",
                        telemetry.frames
                    );
                }
                xr.end_frame(&fs, true)?;
            }
            let t_end = Instant::now();
            let ahead = now.map_or(0.0, |n| (time.as_nanos() - n.as_nanos()) as f32 / 1000.0);
            (
                FrameTimes {
                    wait: micros(t1 - t0),
                    update: micros(t2 - t1),
                    pose: micros(t_pose_end - t_pose),
                    encode: micros(t_enc - t_pose_end),
                    submit: micros(t_end - t_enc),
                    pose_to_end: micros(t_end - t_pose),
                    pose_to_end_cpu: micros(t_end - t_pose) - gpu,
                    gpu,
                    pose_to_display: 0.0,
                },
                ahead,
            )
        };
        telemetry.record(
            FrameTimes {
                pose_to_display: ahead,
                ..times
            },
            time.as_nanos(),
            period,
        );
        let t = show.film.show().clock();
        if t - last_status >= 1.0 {
            last_status = t;
            let r = &show.film.show().readout;
            println!(
                "t {t:.1} beat {} mode {} state {} frames {} choices {} | {}",
                r.beats,
                r.mode,
                xr.state(),
                telemetry.frames,
                r.choices.len(),
                r.decision
            );
        }
    }
}

fn wgpu_wait() -> showrunner_render::wgpu::PollType {
    showrunner_render::wgpu::PollType::wait_indefinitely()
}

/// Mean and standard deviation of luminance of RGBA8 pixels.
fn luminance_stats(px: &[u8]) -> (f32, f32) {
    let n = (px.len() / 4).max(1) as f32;
    let lum: Vec<f32> = px
        .chunks_exact(4)
        .map(|p| 0.2126 * f32::from(p[0]) + 0.7152 * f32::from(p[1]) + 0.0722 * f32::from(p[2]))
        .collect();
    let mean = lum.iter().sum::<f32>() / n;
    let var = lum.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_see_a_blank_frame() {
        assert_eq!(luminance_stats(&[10, 10, 10, 255, 10, 10, 10, 255]).1, 0.0);
        let (mean, sd) = luminance_stats(&[0, 0, 0, 255, 255, 255, 255, 255]);
        assert!((mean - 127.5).abs() < 0.01 && sd > 100.0);
    }
}
