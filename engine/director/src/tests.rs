use super::*;
use proptest::prelude::*;

fn sample(t: f64, arousal_z: f32, boredom: f32) -> EngagementSample {
    EngagementSample {
        t,
        arousal_z,
        boredom,
        attention: 1.0,
        quality: 1.0,
    }
}

fn choice(stakes: Option<Stakes>, intensity: Option<f32>, fates: &[(&str, Fate)]) -> ChoiceOption {
    ChoiceOption {
        stakes,
        intensity,
        fates: fates.iter().map(|(w, f)| (w.to_string(), *f)).collect(),
    }
}

/// Runs the director at 10 Hz over `secs` with a constant engagement and returns every event.
fn run(
    d: &mut Director,
    from: f64,
    secs: f64,
    arousal: f32,
    boredom: f32,
    view: &StoryView<'_>,
) -> Vec<Event> {
    let mut out = Vec::new();
    let n = (secs * 10.0) as usize;
    for i in 0..n {
        let t = from + i as f64 * 0.1;
        out.extend(d.tick(sample(t, arousal, boredom), view).events);
    }
    out
}

#[test]
fn viewer_choice_always_wins() {
    let mut d = Director::new(DirectorConfig::default());
    let choices = [
        choice(Some(Stakes::High), Some(0.9), &[]),
        choice(Some(Stakes::Low), Some(0.1), &[]),
    ];
    // The director would pick the high-stakes choice for a bored viewer...
    let mut view = StoryView {
        choices: &choices,
        choice_waiting_s: 60.0,
        ..StoryView::EMPTY
    };
    run(&mut d, 0.0, 5.0, 0.0, 0.9, &StoryView::EMPTY);
    let tick = d.tick(sample(5.0, 0.0, 0.9), &view);
    assert!(matches!(
        tick.events[0],
        Event::Choose {
            index: 0,
            by: Chooser::Director,
            ..
        }
    ));
    // ...but the viewer picked the other one.
    view.viewer_choice = Some(1);
    let tick = d.tick(sample(5.1, 0.0, 0.9), &view);
    assert_eq!(tick.events.len(), 1);
    assert!(matches!(
        tick.events[0],
        Event::Choose {
            index: 1,
            by: Chooser::Viewer,
            reason: Reason::ViewerChose
        }
    ));
}

#[test]
fn director_waits_for_the_timeout_then_fits_the_target() {
    let mut d = Director::new(DirectorConfig::default());
    let choices = [
        choice(Some(Stakes::High), None, &[]),
        choice(None, Some(0.35), &[]),
        choice(Some(Stakes::Low), None, &[]),
    ];
    let view = StoryView {
        choices: &choices,
        choice_waiting_s: 7.9,
        ..StoryView::EMPTY
    };
    assert!(d.tick(sample(0.0, 0.0, 0.2), &view).events.is_empty());
    let view = StoryView {
        choice_waiting_s: 8.0,
        ..view
    };
    let tick = d.tick(sample(0.1, 0.0, 0.2), &view);
    // Target at the start is 0.3: the low-stakes choice (0.3) fits best.
    match tick.events[0] {
        Event::Choose {
            index,
            by: Chooser::Director,
            reason,
        } => {
            assert_eq!(index, 2);
            assert!(reason.to_string().contains("fits the target"), "{reason}");
        }
        e => panic!("unexpected {e:?}"),
    }
}

#[test]
fn bored_viewer_gets_a_high_stakes_divert_with_cooldown() {
    let mut d = Director::new(DirectorConfig::default());
    let interludes = [
        InterludeOption {
            visits: 0,
            intensity: Some(0.9),
        },
        InterludeOption {
            visits: 0,
            intensity: Some(0.8),
        },
    ];
    let view = StoryView {
        interludes: &interludes,
        can_divert: true,
        ..StoryView::EMPTY
    };
    let ev = run(&mut d, 0.0, 19.0, 0.0, 0.8, &view);
    assert!(ev.is_empty(), "no divert before 20 s: {ev:?}");
    let ev = run(&mut d, 19.0, 2.0, 0.0, 0.8, &view);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(matches!(ev[0], Event::Divert { .. }));
    assert!(ev[0].reason().to_string().contains("high-stakes"));
    // Still bored: nothing until the 120 s cooldown has passed.
    let ev = run(&mut d, 21.0, 118.0, 0.0, 0.8, &view);
    assert!(ev.is_empty(), "{ev:?}");
    let ev = run(&mut d, 139.0, 2.0, 0.0, 0.8, &view);
    assert_eq!(ev.len(), 1, "{ev:?}");
    // Not when the story cannot divert (e.g. mid-choice or inside an interlude).
    let mut d = Director::new(DirectorConfig::default());
    let blocked = StoryView {
        can_divert: false,
        ..view
    };
    assert!(run(&mut d, 0.0, 60.0, 0.0, 0.8, &blocked).is_empty());
}

/// When the first divert comes for a viewer whose heart says `boredom` and whose gaze rests on
/// the action `attention` of the time; `None` within 60 s.
fn first_divert_s(boredom: f32, attention: f32) -> Option<(f64, Event)> {
    let mut d = Director::new(DirectorConfig::default());
    let interludes = [InterludeOption {
        visits: 0,
        intensity: Some(0.9),
    }];
    let view = StoryView {
        interludes: &interludes,
        can_divert: true,
        ..StoryView::EMPTY
    };
    (0..600).find_map(|i| {
        let t = i as f64 * 0.1;
        let s = EngagementSample {
            attention,
            ..sample(t, 0.0, boredom)
        };
        d.tick(s, &view).events.first().map(|e| (t, *e))
    })
}

#[test]
fn looking_away_brings_the_interlude_sooner_and_watching_holds_the_pace() {
    // Bored by the heart: 20 s whether the eyes watch or gaze is unknown (attention 1).
    let (watching, _) = first_divert_s(0.8, 0.9).unwrap();
    assert!((watching - 20.0).abs() < 0.15, "{watching}");
    let (unknown, _) = first_divert_s(0.8, 1.0).unwrap();
    assert_eq!(unknown, watching);
    // Bored and looking away: 6 s to count, then half the wait.
    let (away, e) = first_divert_s(0.8, 0.1).unwrap();
    assert!(away < watching - 5.0, "sooner: {away} vs {watching}");
    assert!(
        e.reason().to_string().contains("eyes off the action"),
        "{}",
        e.reason()
    );
    // Not bored by the heart, but the eyes left the action: looking away alone is evidence.
    let (eyes_only, _) = first_divert_s(0.3, 0.1).unwrap();
    assert!(
        (eyes_only - 16.0).abs() < 0.15,
        "6 s to count + 10 s: {eyes_only}"
    );
    // A calm viewer who watches gets no interlude at all.
    assert!(first_divert_s(0.3, 0.9).is_none());
}

#[test]
fn divert_prefers_unplayed_interludes() {
    let mut d = Director::new(DirectorConfig::default());
    let interludes = [
        InterludeOption {
            visits: 1,
            intensity: Some(0.6),
        },
        InterludeOption {
            visits: 0,
            intensity: Some(0.9),
        },
    ];
    let view = StoryView {
        interludes: &interludes,
        can_divert: true,
        ..StoryView::EMPTY
    };
    let ev = run(&mut d, 0.0, 25.0, 0.0, 0.9, &view);
    assert!(
        matches!(ev[..], [Event::Divert { interlude: 1, .. }]),
        "{ev:?}"
    );
}

#[test]
fn boredom_has_hysteresis() {
    let mut d = Director::new(DirectorConfig::default());
    d.tick(sample(0.0, 0.0, 0.65), &StoryView::EMPTY);
    assert!(d.state().bored);
    // 0.5 is under the threshold but above the release: still bored.
    assert_eq!(
        d.tick(sample(0.1, 0.0, 0.5), &StoryView::EMPTY).mode,
        Mode::Bored
    );
    assert_eq!(
        d.tick(sample(0.2, 0.0, 0.4), &StoryView::EMPTY).mode,
        Mode::Engaged
    );
}

#[test]
fn arousal_above_the_ceiling_deescalates_and_releases() {
    let mut d = Director::new(DirectorConfig::default());
    let ev = run(&mut d, 0.0, 5.0, 2.5, 0.1, &StoryView::EMPTY);
    assert!(ev.is_empty());
    let ev = run(&mut d, 5.0, 2.0, 2.5, 0.1, &StoryView::EMPTY);
    assert!(matches!(ev[..], [Event::DeescalateStart(_)]), "{ev:?}");
    // Pacing slows to the maximum, intensity is capped.
    run(&mut d, 7.0, 30.0, 2.5, 0.1, &StoryView::EMPTY);
    let tick = d.tick(
        sample(37.0, 2.5, 0.1),
        &StoryView {
            author_intensity: Some(0.9),
            ..StoryView::EMPTY
        },
    );
    assert_eq!(tick.mode, Mode::Deescalating);
    assert_eq!(tick.pacing, 1.5);
    assert!(tick.intensity <= 0.45 + 1e-6, "{}", tick.intensity);
    assert!(tick.mercy);
    // Between release and ceiling: still de-escalating.
    assert!(run(&mut d, 37.1, 30.0, 1.7, 0.1, &StoryView::EMPTY).is_empty());
    // Below release for 12 s: back to normal.
    let ev = run(&mut d, 67.1, 13.0, 0.5, 0.1, &StoryView::EMPTY);
    assert!(matches!(ev[..], [Event::DeescalateEnd(_)]), "{ev:?}");
}

/// A choice that kills Mara (and fits a pushed-up target best) and one that spares her.
fn mara_falls_or_lives() -> [ChoiceOption; 2] {
    [
        choice(Some(Stakes::High), Some(0.55), &[("mara", Fate::Dead)]),
        choice(Some(Stakes::High), Some(0.9), &[("mara", Fate::Alive)]),
    ]
}

#[test]
fn distressed_viewer_spares_protected_characters() {
    let mut cfg = DirectorConfig::default();
    cfg.mercy.spare = vec!["mara".into()];
    let choices = mara_falls_or_lives();
    let view = StoryView {
        choices: &choices,
        choice_waiting_s: 10.0,
        ..StoryView::EMPTY
    };
    // Calm and bored: the deadly choice fits the pushed-up target best.
    let mut d = Director::new(cfg.clone());
    let ev = run(&mut d, 0.0, 1.0, 0.0, 0.9, &view);
    assert!(matches!(ev[0], Event::Choose { index: 0, .. }), "{ev:?}");
    // Distressed: Mara is spared, and the log says so.
    let mut d = Director::new(cfg.clone());
    let ev = d.tick(sample(0.0, 1.8, 0.9), &view).events;
    assert!(
        matches!(
            ev[0],
            Event::Spare {
                excluded_choice: 0,
                ..
            }
        ),
        "{ev:?}"
    );
    assert!(
        matches!(
            ev[1],
            Event::Choose {
                index: 1,
                by: Chooser::Director,
                ..
            }
        ),
        "{ev:?}"
    );
    assert!(ev[0].reason().to_string().contains("spared"));
    // Someone not on the list is not spared.
    cfg.mercy.spare = vec!["tom".into()];
    let mut d = Director::new(cfg);
    let ev = d.tick(sample(0.0, 1.8, 0.9), &view).events;
    assert!(matches!(ev[..], [Event::Choose { index: 0, .. }]), "{ev:?}");
}

#[test]
fn a_character_the_viewer_asked_to_save_is_spared_whatever_the_engagement() {
    // Mara is on no mercy list and the viewer is calm and bored: the deadly choice fits best.
    let choices = mara_falls_or_lives();
    let view = StoryView {
        choices: &choices,
        choice_waiting_s: 10.0,
        ..StoryView::EMPTY
    };
    let mut d = Director::new(DirectorConfig::default());
    d.spare_for_viewer("mara");
    d.spare_for_viewer("mara");
    assert_eq!(d.state().spared_by_viewer, ["mara"]);
    let tick = d.tick(sample(0.0, 0.0, 0.9), &view);
    assert!(tick.mercy, "the story's mercy branches open too");
    assert!(
        matches!(
            tick.events[0],
            Event::Spare {
                excluded_choice: 0,
                ..
            }
        ),
        "{:?}",
        tick.events
    );
    assert!(tick.events[0]
        .reason()
        .to_string()
        .contains("asked from the menu"));
    assert!(matches!(
        tick.events[1],
        Event::Choose {
            index: 1,
            by: Chooser::Director,
            ..
        }
    ));
    // The viewer's own choice still wins.
    let mine = StoryView {
        viewer_choice: Some(0),
        ..view
    };
    let ev = d.tick(sample(0.1, 0.0, 0.9), &mine).events;
    assert!(
        matches!(
            ev[..],
            [Event::Choose {
                index: 0,
                by: Chooser::Viewer,
                ..
            }]
        ),
        "{ev:?}"
    );
}

#[test]
fn poor_signal_is_neutral() {
    let mut d = Director::new(DirectorConfig::default());
    let interludes = [InterludeOption::default()];
    let view = StoryView {
        interludes: &interludes,
        can_divert: true,
        ..StoryView::EMPTY
    };
    let mut n = 0;
    for i in 0..600 {
        let s = EngagementSample {
            quality: 0.1,
            ..sample(i as f64 * 0.1, 3.0, 1.0)
        };
        let tick = d.tick(s, &view);
        assert_eq!(tick.mode, Mode::NoSignal);
        n += tick.events.len();
    }
    assert_eq!(n, 0, "no decisions from a signal the director cannot trust");
}

#[test]
fn state_round_trips_through_a_save() {
    let interludes = [InterludeOption {
        visits: 0,
        intensity: Some(0.8),
    }];
    let view = StoryView {
        interludes: &interludes,
        can_divert: true,
        palette: Palette::Storm,
        ..StoryView::EMPTY
    };
    let script = |i: usize| {
        sample(
            i as f64 * 0.1,
            ((i as f32) * 0.013).sin() * 3.0,
            ((i as f32) * 0.007).cos().abs(),
        )
    };
    let mut a = Director::new(DirectorConfig::default());
    let mut expect = Vec::new();
    for i in 0..2000 {
        expect.push(a.tick(script(i), &view));
    }
    let mut b = Director::new(DirectorConfig::default());
    for (i, want) in expect.iter().enumerate().take(1000) {
        assert_eq!(&b.tick(script(i), &view), want);
    }
    let saved = serde_json::to_string(b.state()).unwrap();
    let mut c = Director::with_state(
        DirectorConfig::default(),
        serde_json::from_str(&saved).unwrap(),
    );
    for (i, want) in expect.iter().enumerate().skip(1000) {
        assert_eq!(
            &c.tick(script(i), &view),
            want,
            "tick {i} differs after restore"
        );
    }
}

/// Counts luminance flashes in the WCAG sense: a pair of opposing changes of
/// at least 10% relative luminance.
fn flashes_per_second(gains: &[(f64, f32)]) -> usize {
    let mut worst = 0;
    for (i, &(t0, _)) in gains.iter().enumerate() {
        let window: Vec<f32> = gains[i..]
            .iter()
            .take_while(|(t, _)| *t < t0 + 1.0)
            .map(|(_, g)| *g)
            .collect();
        // Count direction reversals between local extrema that differ by ≥ 10%.
        let mut extremes = vec![window[0]];
        let mut dir = 0i8;
        let mut count = 0;
        for &g in &window[1..] {
            let last = *extremes.last().unwrap();
            let d = if g > last * 1.1 {
                1
            } else if g < last / 1.1 {
                -1
            } else {
                0
            };
            if d != 0 {
                if dir != 0 && d != dir {
                    count += 1;
                }
                dir = d;
                extremes.push(g);
            }
        }
        worst = worst.max(count / 2);
    }
    worst
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the body does, the grade never flashes and pacing stays in range.
    #[test]
    fn never_flashes_and_pacing_in_range(
        samples in prop::collection::vec((-6.0f32..6.0, 0.0f32..1.0, 0.0f32..1.0), 50..300),
        palettes in prop::collection::vec(0usize..11, 1..8),
    ) {
        let mut d = Director::new(DirectorConfig::default());
        let mut gains = Vec::new();
        for (i, (a, b, q)) in samples.iter().enumerate() {
            let t = i as f64 / 30.0;
            let palette = Palette::ALL[palettes[i * palettes.len() / samples.len()]];
            let s = EngagementSample { t, arousal_z: *a, boredom: *b, attention: 1.0, quality: *q };
            let tick = d.tick(s, &StoryView { palette, ..StoryView::EMPTY });
            prop_assert!((0.75..=1.5).contains(&tick.pacing));
            prop_assert!((0.0..=1.0).contains(&tick.intensity));
            gains.push((t, tick.grade.luminance_gain()));
        }
        prop_assert!(flashes_per_second(&gains) <= 3);
        for w in gains.windows(2) {
            let ratio = w[1].1 / w[0].1;
            prop_assert!((0.97..=1.03).contains(&ratio), "exposure jumped {ratio} in one 1/30 s tick");
        }
    }

    /// Garbage in (NaN, infinities, time going backwards) never panics.
    #[test]
    fn garbage_never_panics(samples in prop::collection::vec((any::<f64>(), any::<f32>(), any::<f32>(), any::<f32>()), 1..100)) {
        let mut d = Director::new(DirectorConfig::default());
        let choices = [ChoiceOption::default(), ChoiceOption::default()];
        let view = StoryView { choices: &choices, choice_waiting_s: 100.0, viewer_choice: Some(7), ..StoryView::EMPTY };
        for (t, a, b, q) in samples {
            let tick = d.tick(EngagementSample { t, arousal_z: a, boredom: b, attention: a, quality: q }, &view);
            prop_assert!(tick.pacing.is_finite() && tick.intensity.is_finite());
        }
    }
}

#[test]
fn the_palette_sets_the_refiner_strength_and_it_glides() {
    let mut d = Director::new(DirectorConfig::default());
    let noir = StoryView {
        palette: Palette::Noir,
        ..StoryView::EMPTY
    };
    let first = d.tick(sample(0.0, 0.0, 0.2), &noir).refine_strength;
    assert!((first - 0.1).abs() < 1e-6, "starts at the default: {first}");
    let half = {
        run(&mut d, 0.1, 0.4, 0.0, 0.2, &noir);
        d.tick(sample(0.5, 0.0, 0.2), &noir).refine_strength
    };
    assert!((half - 0.125).abs() < 1e-3, "glides, 0.05 a second: {half}");
    run(&mut d, 0.6, 5.0, 0.0, 0.2, &noir);
    let settled = d.tick(sample(5.7, 0.0, 0.2), &noir).refine_strength;
    assert!((settled - 0.2).abs() < 1e-6, "noir's strength: {settled}");
    // A policy can switch it off for a palette, and JSON names palettes.
    let cfg: DirectorConfig =
        serde_json::from_str(r#"{"refine": {"palettes": {"noir": 0.0}, "rate_per_s": 10}}"#)
            .unwrap();
    let mut d = Director::new(cfg);
    run(&mut d, 0.0, 1.0, 0.0, 0.2, &noir);
    assert_eq!(d.tick(sample(1.0, 0.0, 0.2), &noir).refine_strength, 0.0);
    let bad = serde_json::from_str::<DirectorConfig>(r#"{"refine": {"palettes": {"sepia": 0.2}}}"#);
    assert!(bad.is_err());
}

#[test]
fn saves_from_before_the_refiner_still_load() {
    let mut v = serde_json::to_value(DirectorState::default()).unwrap();
    v.as_object_mut().unwrap().remove("refine_strength");
    let s: DirectorState = serde_json::from_value(v).unwrap();
    assert_eq!(s.refine_strength, 0.1);
}
