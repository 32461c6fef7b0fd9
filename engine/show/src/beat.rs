//! How long a beat plays and what it asks of the director: read from the author's directives,
//! the same for every front end and for the headless screening.

use showrunner_core::{Directive, EngagementSample, Stakes};
use showrunner_director::{ChoiceOption, InterludeOption};
use showrunner_story::{Engagement, StoryRunner};

/// The story's interludes as the director weighs them: how often each has played and its
/// intensity. Reading ink's visit counts allocates, so callers read them once per story step.
pub fn interlude_options(runner: &StoryRunner) -> impl Iterator<Item = InterludeOption> + '_ {
    runner
        .interludes()
        .iter()
        .enumerate()
        .map(|(i, interlude)| InterludeOption {
            visits: runner.interlude_visits(i),
            intensity: interlude.intensity,
        })
}

/// The engagement variables ink reads (`arousal`, `boredom`, `attention`, `signal_quality`,
/// `mercy`), from the last tick's sample and whether the director showed mercy.
pub fn story_engagement(s: &EngagementSample, mercy: bool) -> Engagement {
    Engagement {
        arousal: s.arousal_z,
        boredom: s.boredom,
        attention: s.attention,
        signal_quality: s.quality,
        mercy,
    }
}

/// The director's view of a choice: its `stakes:`, `intensity:` and `fate:` directives.
pub fn choice_option(directives: &[Directive]) -> ChoiceOption {
    let mut o = ChoiceOption::default();
    for d in directives {
        match d {
            Directive::Stakes(s) => o.stakes = Some(*s),
            Directive::Intensity(i) => o.intensity = Some(*i),
            Directive::Fate { character, fate } => o.fates.push((character.clone(), *fate)),
            _ => {}
        }
    }
    o
}

/// The author's intensity for a beat: its last `intensity:`, else what its
/// `stakes:` implies (high 0.85, low 0.3), else none.
pub fn beat_intensity(directives: &[Directive]) -> Option<f32> {
    let explicit = directives.iter().rev().find_map(|d| match d {
        Directive::Intensity(i) => Some(*i),
        _ => None,
    });
    explicit.or_else(|| {
        directives.iter().find_map(|d| match d {
            Directive::Stakes(Stakes::High) => Some(0.85),
            Directive::Stakes(Stakes::Low) => Some(0.3),
            _ => None,
        })
    })
}

/// Seconds a beat stays on screen before pacing: its `shot:` or 1.5 s + 0.4 s a word.
pub fn beat_seconds(text: &str, directives: &[Directive]) -> f64 {
    directives
        .iter()
        .find_map(|d| match d {
            Directive::Shot(s) => Some(f64::from(*s)),
            _ => None,
        })
        .unwrap_or_else(|| 1.5 + 0.4 * text.split_whitespace().count() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_core::Fate;

    #[test]
    fn a_beat_plays_its_shot_or_a_reading_time() {
        assert_eq!(beat_seconds("one two three", &[Directive::Shot(4.0)]), 4.0);
        assert!((beat_seconds("one two three", &[]) - 2.7).abs() < 1e-9);
    }

    #[test]
    fn intensity_is_the_last_explicit_one_else_what_stakes_imply() {
        let d = [
            Directive::Stakes(Stakes::High),
            Directive::Intensity(0.2),
            Directive::Intensity(0.6),
        ];
        assert_eq!(beat_intensity(&d), Some(0.6));
        assert_eq!(
            beat_intensity(&[Directive::Stakes(Stakes::High)]),
            Some(0.85)
        );
        assert_eq!(beat_intensity(&[Directive::Stakes(Stakes::Low)]), Some(0.3));
        assert_eq!(beat_intensity(&[]), None);
    }

    #[test]
    fn a_choice_carries_its_stakes_intensity_and_fates() {
        let o = choice_option(&[
            Directive::Stakes(Stakes::High),
            Directive::Intensity(0.9),
            Directive::Fate {
                character: "mara".into(),
                fate: Fate::Dead,
            },
        ]);
        assert_eq!(o.stakes, Some(Stakes::High));
        assert_eq!(o.intensity, Some(0.9));
        assert_eq!(o.fates, vec![("mara".to_string(), Fate::Dead)]);
    }
}
