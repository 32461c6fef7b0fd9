//! The director, the engagement estimator, the audio system and the show's frame allocate
//! nothing per frame: proved with a counting global allocator.

use showrunner_core::{EngagementSample, Fate, Palette, Stakes};
use showrunner_director::{ChoiceOption, Director, DirectorConfig, InterludeOption, StoryView};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Only the measuring thread counts: the test harness's own threads allocate too.
    static COUNTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn count() {
    if COUNTING.with(|c| c.get()) {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

#[test]
fn director_tick_allocates_nothing() {
    let mut cfg = DirectorConfig::default();
    cfg.mercy.spare = vec!["mara".into(), "tomas".into()];
    let mut d = Director::new(cfg);
    let choices = [
        ChoiceOption {
            stakes: Some(Stakes::High),
            intensity: Some(0.9),
            fates: vec![("mara".into(), Fate::Dead)],
        },
        ChoiceOption {
            stakes: Some(Stakes::Low),
            intensity: None,
            fates: vec![("mara".into(), Fate::Alive)],
        },
        ChoiceOption::default(),
    ];
    let interludes = [
        InterludeOption {
            visits: 0,
            intensity: Some(0.9),
        },
        InterludeOption {
            visits: 2,
            intensity: None,
        },
    ];
    // Exercise every branch: boredom (diverts), the ceiling (de-escalation, mercy),
    // low quality, choices at and before the timeout, viewer choices.
    let mut events = 0;
    let before = ALLOCS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    for i in 0..20_000u32 {
        let t = f64::from(i) * 0.05;
        let phase = (i / 2000) % 4;
        let sample = EngagementSample {
            t,
            arousal_z: [0.0, 2.8, 1.6, -0.5][phase as usize] + ((i % 17) as f32) * 0.01,
            boredom: [0.9, 0.1, 0.3, 0.7][phase as usize],
            attention: 0.8,
            quality: if i % 500 < 20 { 0.1 } else { 0.9 },
        };
        let at_choice = i % 300 > 200;
        let view = StoryView {
            palette: Palette::ALL[(i / 700) as usize % Palette::ALL.len()],
            author_intensity: if i % 3 == 0 { Some(0.6) } else { None },
            choices: if at_choice { &choices } else { &[] },
            choice_waiting_s: f64::from(i % 300 - (i % 300).min(200)) * 0.1,
            viewer_choice: if i % 1000 == 999 { Some(1) } else { None },
            interludes: &interludes,
            can_divert: !at_choice,
        };
        events += std::hint::black_box(d.tick(sample, &view)).events.len();
    }
    COUNTING.with(|c| c.set(false));
    let allocs = ALLOCS.load(Ordering::SeqCst) - before;
    assert!(events > 50, "the run exercised decisions: {events}");
    assert_eq!(
        allocs, 0,
        "{allocs} heap allocations in 20,000 director ticks"
    );
}

#[test]
fn estimator_allocates_nothing_per_event_or_frame() {
    use showrunner_biometrics::event::{EventKind, SensorEvent};
    use showrunner_biometrics::sim::{HeartProfile, SimConfig, SimStrap};
    use showrunner_biometrics::{Estimator, EstimatorConfig};
    // Events are made up front (a source thread makes them, not the frame thread):
    // an hour of a stressed viewer with a drop-out and nonsense mixed in.
    let mut events: Vec<SensorEvent> = SimStrap::new(SimConfig::new(HeartProfile::Stressed, 1))
        .take_while(|e| e.t < 3600.0)
        .collect();
    events.insert(
        1000,
        SensorEvent {
            t: events[999].t,
            kind: EventKind::Disconnected,
        },
    );
    let t = events[2000].t;
    events.insert(
        2000,
        SensorEvent::reading(
            t,
            Some(0),
            showrunner_biometrics::event::SensorContact::Detected,
            &[0.0],
        ),
    );
    let mut est = Estimator::new(EstimatorConfig::default());
    let mut next = 0;
    let mut moved = 0.0f32;
    let before = ALLOCS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    // A 72 Hz frame loop: push what arrived, sample once per frame.
    let mut now = 0.0;
    while now < 3600.0 {
        while next < events.len() && events[next].t <= now {
            est.push(&events[next]);
            next += 1;
        }
        moved += std::hint::black_box(est.sample(now)).sample.arousal_z.abs();
        now += 1.0 / 72.0;
    }
    COUNTING.with(|c| c.set(false));
    let allocs = ALLOCS.load(Ordering::SeqCst) - before;
    assert!(moved > 1000.0, "the run produced arousal: {moved}");
    assert_eq!(
        allocs, 0,
        "{allocs} heap allocations in an hour of 72 Hz frames"
    );
}

#[test]
fn audio_system_allocates_nothing_per_frame_once_emitters_exist() {
    use showrunner_audio::testing::{character, tone_library};
    use showrunner_audio::{audio_system, AudioContext, AudioFrame, Output};
    use showrunner_scene::components::Transform;
    use showrunner_scene::glam::{Quat, Vec3};
    use showrunner_scene::hecs::World;
    let mut world = World::new();
    for i in 0..64 {
        character(
            &mut world,
            &format!("c{i}"),
            Vec3::new(i as f32 * 0.1, 0.0, -3.0),
        );
    }
    let (mut audio, _) = AudioContext::new(tone_library(), Output::Capture).unwrap();
    let frame = |t: f32| AudioFrame {
        dt: 1.0 / 90.0,
        head: (Vec3::new(0.0, 1.6, 0.0), Quat::from_rotation_y(t)),
        intensity: 0.5 + 0.5 * t.sin(),
        engagement: EngagementSample::neutral(f64::from(t)),
    };
    let move_all = |world: &mut World, t: f32| {
        for (i, tr) in world.query_mut::<&mut Transform>().into_iter().enumerate() {
            let a = t * 0.5 + i as f32 * 0.1;
            tr.translation = Vec3::new(3.0 * a.cos(), 0.0, 3.0 * a.sin());
        }
    };
    // The first frame makes the emitters; hecs caches each query's archetype
    // list on first use (the test's own `query_mut` included).
    move_all(&mut world, 0.0);
    audio_system(&world, &mut audio, &frame(0.0), &[]);
    let mut buf = vec![0.0f32; 2 * 533];
    let before = ALLOCS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    // 10 s at 90 Hz: every emitter moves every frame, the listener turns, the
    // score's levels move (characters glide rather than walk: a footfall
    // starts a sound, which is an allocation in kira, once per step).
    for k in 1..900 {
        let t = k as f32 / 90.0;
        move_all(&mut world, t);
        audio_system(&world, &mut audio, &frame(t), &[]);
        COUNTING.with(|c| c.set(false));
        // The mixer (a sound card's thread, here the test's) is not the frame thread.
        audio.render(&mut buf);
        COUNTING.with(|c| c.set(true));
    }
    COUNTING.with(|c| c.set(false));
    let allocs = ALLOCS.load(Ordering::SeqCst) - before;
    assert_eq!(audio.stats().emitters, 64);
    assert_eq!(
        allocs, 0,
        "{allocs} heap allocations in 900 frames with 64 emitters"
    );
}

#[test]
fn show_advance_allocates_nothing_in_frames_that_bring_no_new_beat() {
    use showrunner_scene::glam::Vec3;
    use showrunner_scene::sets::SetLibrary;
    use showrunner_show::{Show, ViewerInput};
    let root = showrunner_tests::repo().join("assets/stories");
    let src = std::fs::read_to_string(root.join("lighthouse.ink")).unwrap();
    let story =
        showrunner_story::compile_source(&src, "assets/stories/lighthouse.ink", &root).unwrap();
    let viewer = |t: f64, _: f32| EngagementSample::neutral(t);
    let mut show = Show::new(
        &story,
        1,
        DirectorConfig::default(),
        SetLibrary::builtin(),
        viewer,
    )
    .unwrap();
    let head = Vec3::new(0.0, 1.25, 0.6);
    // A pointer and a gaze straight ahead: attention is measured and the panels lit every frame.
    let input = ViewerInput {
        head,
        pointer: Some((head, Vec3::NEG_Z)),
        gaze: Some((head, Vec3::NEG_Z)),
        ..Default::default()
    };
    let dt = 1.0 / 90.0;
    // The first beats stage the set and the cast (their bodies and buffers are made then).
    for _ in 0..90 * 5 {
        show.advance(dt, &input).unwrap();
    }
    let (mut quiet, mut allocating) = (0, Vec::new());
    let mut previous_quiet = true;
    for k in 0..90 * 120 {
        let before = (
            show.readout.beats,
            show.readout.choices.len(),
            show.readout.decision.len(),
            show.readout.notice.len(),
        );
        ALLOCS.store(0, Ordering::SeqCst);
        COUNTING.with(|c| c.set(true));
        let frame = show.advance(dt, &input).unwrap();
        COUNTING.with(|c| c.set(false));
        let n = ALLOCS.load(Ordering::SeqCst);
        let after = (
            show.readout.beats,
            show.readout.choices.len(),
            show.readout.decision.len(),
            show.readout.notice.len(),
        );
        // A frame that brings a beat, ends one (its log line and its save: the ink runtime's
        // state), a choice point, a decision or a notice (the start line going) may allocate (the readout's text, new entities),
        // and so may the next one: hecs rebuilds the cache of a query that last ran before an
        // archetype was made. Every other frame must not.
        let this_quiet = frame.staged.is_empty()
            && frame.beats.is_empty()
            && frame.save.is_none()
            && before == after;
        let counted = this_quiet && previous_quiet;
        previous_quiet = this_quiet;
        if counted {
            quiet += 1;
            if n > 0 {
                allocating.push((k, n));
            }
        }
    }
    assert!(quiet > 9000, "{quiet} quiet frames of 10,800");
    assert!(
        allocating.is_empty(),
        "{} of {quiet} quiet frames allocated (frame, allocations): {:?}",
        allocating.len(),
        &allocating[..allocating.len().min(10)]
    );
}
