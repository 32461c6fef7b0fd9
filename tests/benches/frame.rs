//! Frame-thread costs of the narrative core, on a generated 2,000-knot story.
//!
//! Criterion measures medians; a second pass times single calls to report
//! median and p99, each beside a baseline measured in the same run:
//! - director tick vs `EngagementSample::sanitized` (the cheapest thing a tick does);
//! - director tick at a choice point (choice scoring) vs a plain tick;
//! - `StoryRunner::next` (beat advance) vs bladeink's bare `Story::cont`.
//!
//! Run: `cargo bench -p showrunner-tests --bench frame`

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, Criterion};
use showrunner_core::{EngagementSample, Palette};
use showrunner_director::{ChoiceOption, Director, DirectorConfig, InterludeOption, StoryView};
use showrunner_story::{compile_source, CompiledStory, Step, StoryRunner};
use showrunner_tests::{generated_story, percentiles};
use std::path::Path;
use std::time::Duration;

const KNOTS: usize = 2000;

fn story() -> CompiledStory {
    compile_source(&generated_story(KNOTS), "generated.ink", Path::new(".")).unwrap()
}

/// The first choice point's options of the generated story, as the director sees them.
fn choice_options(s: &CompiledStory) -> Vec<ChoiceOption> {
    let mut r = StoryRunner::new(s, 1).unwrap();
    loop {
        match r.next().unwrap() {
            Step::Choices(cs) => {
                return cs
                    .iter()
                    .map(|c| {
                        let mut o = ChoiceOption::default();
                        for d in &c.directives {
                            match d {
                                showrunner_core::Directive::Stakes(st) => o.stakes = Some(*st),
                                showrunner_core::Directive::Intensity(i) => o.intensity = Some(*i),
                                _ => {}
                            }
                        }
                        o
                    })
                    .collect()
            }
            Step::End => panic!("no choices"),
            _ => {}
        }
    }
}

fn sample(i: u64) -> EngagementSample {
    EngagementSample {
        t: i as f64 / 90.0,
        arousal_z: ((i % 97) as f32) * 0.04 - 1.0,
        boredom: ((i % 89) as f32) / 89.0,
        attention: 0.9,
        quality: 0.9,
    }
}

fn benches(c: &mut Criterion) {
    let s = story();
    let options = choice_options(&s);
    let interludes: Vec<InterludeOption> = (0..KNOTS / 100)
        .map(|i| InterludeOption {
            visits: (i % 3) as u32,
            intensity: Some(0.9),
        })
        .collect();
    let plain = StoryView {
        palette: Palette::Storm,
        interludes: &interludes,
        can_divert: true,
        ..StoryView::EMPTY
    };
    let at_choice = StoryView {
        choices: &options,
        choice_waiting_s: 30.0,
        ..plain
    };

    let mut g = c.benchmark_group("director");
    let mut d = Director::new(DirectorConfig::default());
    let mut i = 0u64;
    g.bench_function("baseline_sanitize", |b| {
        b.iter(|| {
            i += 1;
            black_box(sample(i).sanitized())
        })
    });
    g.bench_function("tick", |b| {
        b.iter(|| {
            i += 1;
            black_box(d.tick(sample(i), &plain))
        })
    });
    g.bench_function("tick_choice_scoring", |b| {
        b.iter(|| {
            i += 1;
            black_box(d.tick(sample(i), &at_choice))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("story");
    let mut st = bladeink::story::Story::new_with_seed(&s.json, 1).unwrap();
    g.bench_function("baseline_bladeink_cont", |b| {
        b.iter(|| {
            if !st.can_continue() {
                if st.get_current_choices().is_empty() {
                    st = bladeink::story::Story::new_with_seed(&s.json, 1).unwrap();
                } else {
                    st.choose_choice_index(0).unwrap();
                }
            }
            black_box(st.cont().unwrap())
        })
    });
    let mut r = StoryRunner::new(&s, 1).unwrap();
    g.bench_function("beat_advance", |b| {
        b.iter(|| loop {
            match r.next().unwrap() {
                Step::Beat(beat) => break black_box(beat),
                Step::Choices(_) => r.choose(0).unwrap(),
                Step::End => r = StoryRunner::new(&s, 1).unwrap(),
                Step::InterludeOver(_) => {}
            }
        })
    });
    g.finish();
}

fn tail_latencies() {
    let s = story();
    let options = choice_options(&s);
    let interludes: Vec<InterludeOption> = (0..KNOTS / 100)
        .map(|_| InterludeOption::default())
        .collect();
    let plain = StoryView {
        palette: Palette::Storm,
        interludes: &interludes,
        can_divert: true,
        ..StoryView::EMPTY
    };
    let at_choice = StoryView {
        choices: &options,
        choice_waiting_s: 30.0,
        ..plain
    };
    let mut d = Director::new(DirectorConfig::default());
    let mut i = 0u64;
    let base = percentiles(
        || {
            i += 1;
            black_box(sample(i).sanitized());
        },
        200_000,
    );
    let tick = percentiles(
        || {
            i += 1;
            black_box(d.tick(sample(i), &plain));
        },
        200_000,
    );
    let score = percentiles(
        || {
            i += 1;
            black_box(d.tick(sample(i), &at_choice));
        },
        200_000,
    );
    let mut st = bladeink::story::Story::new_with_seed(&s.json, 1).unwrap();
    let cont = percentiles(
        || {
            if !st.can_continue() {
                if st.get_current_choices().is_empty() {
                    st = bladeink::story::Story::new_with_seed(&s.json, 1).unwrap();
                } else {
                    st.choose_choice_index(0).unwrap();
                }
            }
            black_box(st.cont().unwrap());
        },
        20_000,
    );
    let mut r = StoryRunner::new(&s, 1).unwrap();
    let beat = percentiles(
        || loop {
            match r.next().unwrap() {
                Step::Beat(b) => {
                    black_box(b);
                    break;
                }
                Step::Choices(_) => r.choose(0).unwrap(),
                Step::End => r = StoryRunner::new(&s, 1).unwrap(),
                Step::InterludeOver(_) => {}
            }
        },
        20_000,
    );
    println!("\nsingle-call latencies on a {KNOTS}-knot story (ns):");
    println!("| what | median | p99 | baseline | ratio of medians | ratio of p99 |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, (m, p): (f64, f64), bname: &str, (bm, bp): (f64, f64)| {
        println!(
            "| {name} | {m:.0} | {p:.0} | {bname} | {:.1}× | {:.1}× |",
            m / bm,
            p / bp
        );
    };
    row("director tick", tick, "sanitize", base);
    row(
        "director tick + choice scoring",
        score,
        "director tick",
        tick,
    );
    row(
        "beat advance (StoryRunner::next)",
        beat,
        "bladeink Story::cont",
        cont,
    );
}

criterion_group! {
    name = group;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = benches
}

fn main() {
    group();
    tail_latencies();
    Criterion::default().final_summary();
}
