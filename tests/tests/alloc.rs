//! The director allocates nothing per tick: proved with a counting global allocator.

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
