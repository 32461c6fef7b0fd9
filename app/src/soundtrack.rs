//! `screen --audio`: the mix a viewer would have heard, head facing forward,
//! rendered offline into `DIR/soundtrack.wav` (48 kHz stereo, 16-bit).
//!
//! It replays the finished screening from `decisions.jsonl`, so a screening
//! that was killed and resumed gets the same soundtrack as one that ran
//! through: every beat is staged again (sets, characters, falling props with
//! rapier), the score follows the director's intensity and the viewer's
//! engagement, `sfx:` cues play, and stingers land on the beat at the
//! director's diverts and at the ending. The frames run at 60 Hz; each pulls
//! 800 stereo frames from kira through [`showrunner_audio::CaptureBackend`].
//! The file is written beside the target, fsynced and renamed into place.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use showrunner_audio::{audio_system, AudioContext, AudioFrame, Output, SoundLibrary, SAMPLE_RATE};
use showrunner_core::{Directive, EngagementSample};
use showrunner_scene::glam::{Quat, Vec3};
use showrunner_scene::Scene;

/// Frames per second of the replay.
const FPS: u32 = 60;
/// Seconds of ring-out after the last beat.
const TAIL_S: f64 = 4.0;
/// Where the viewer sits (the report's camera), facing −z.
const SEAT: Vec3 = Vec3::new(0.0, 1.25, 0.6);

struct BeatLine {
    t: f64,
    end: f64,
    knot: String,
    directives: Vec<Directive>,
    intensity: f32,
    engagement: EngagementSample,
    diverts: Vec<f64>,
}

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_f64()
}

fn read_lines(path: &Path, warnings: &mut Vec<String>) -> Result<Vec<BeatLine>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut beats = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let place = format!("{}:{}", path.display(), i + 1);
        let v: Value = serde_json::from_str(line).with_context(|| format!("{place}: not JSON"))?;
        let (Some(t), Some(d)) = (num(&v, &["t"]), num(&v, &["duration_s"])) else {
            bail!("{place}: a beat line needs `t` and `duration_s`");
        };
        let mut directives = Vec::new();
        for tag in v["tags"].as_array().into_iter().flatten() {
            let tag = tag.as_str().unwrap_or_default();
            match Directive::parse(tag) {
                Ok(Some(d)) => directives.push(d),
                Ok(None) => {}
                Err(e) => warnings.push(format!("{place}: tag `{tag}`: {e}")),
            }
        }
        let e = &v["engagement"];
        beats.push(BeatLine {
            t,
            end: t + d,
            knot: v["knot"].as_str().unwrap_or("?").to_owned(),
            directives,
            intensity: num(&v, &["decisions", "intensity", "value"]).unwrap_or(0.3) as f32,
            engagement: EngagementSample {
                t,
                arousal_z: num(e, &["arousal_z"]).unwrap_or(0.0) as f32,
                boredom: num(e, &["boredom"]).unwrap_or(0.5) as f32,
                attention: num(e, &["attention"]).unwrap_or(1.0) as f32,
                quality: num(e, &["quality"]).unwrap_or(0.0) as f32,
            },
            diverts: v["decisions"]["events"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e["kind"] == "divert")
                .filter_map(|e| e["t"].as_f64())
                .collect(),
        });
    }
    Ok(beats)
}

/// Piecewise-linear through `(time, value)` knots, held at the ends.
fn interp(knots: &[(f64, f32)], t: f64) -> f32 {
    match knots.iter().position(|k| k.0 > t) {
        None => knots.last().map_or(0.0, |k| k.1),
        Some(0) => knots[0].1,
        Some(i) => {
            let (a, b) = (knots[i - 1], knots[i]);
            let u = ((t - a.0) / (b.0 - a.0).max(1e-9)) as f32;
            a.1 + (b.1 - a.1) * u
        }
    }
}

/// What [`render`] made.
pub struct Soundtrack {
    /// Its length, seconds.
    pub seconds: f64,
    /// Problems met (missing sounds, unknown cues), each naming its file or cue.
    pub warnings: Vec<String>,
    /// Stingers and sound effects played.
    pub stingers: u64,
    /// Sound effects played (cues, footsteps, impacts).
    pub effects: u64,
}

/// Renders `out/soundtrack.wav` from `out/decisions.jsonl` with the sounds in `sounds`.
pub fn render(out: &Path, sounds: &Path, story: &str) -> Result<Soundtrack> {
    let mut warnings = Vec::new();
    let beats = read_lines(&out.join("decisions.jsonl"), &mut warnings)?;
    let (library, errors) = SoundLibrary::load(sounds);
    warnings.extend(errors.iter().map(ToString::to_string));
    let (mut audio, _) = AudioContext::new(library, Output::Capture)?;
    let mut scene = Scene::new(crate::sets::library(story, &Default::default())?);
    let intensity: Vec<(f64, f32)> = beats.iter().map(|b| (b.end, b.intensity)).collect();
    let boredom: Vec<(f64, f32)> = beats.iter().map(|b| (b.t, b.engagement.boredom)).collect();
    let arousal: Vec<(f64, f32)> = beats
        .iter()
        .map(|b| (b.t, b.engagement.arousal_z))
        .collect();
    let mut diverts: Vec<f64> = beats
        .iter()
        .flat_map(|b| b.diverts.iter().copied())
        .collect();
    diverts.sort_by(f64::total_cmp);
    let seconds = beats.last().map_or(0.0, |b| b.end) + TAIL_S;

    let path = out.join("soundtrack.wav");
    let tmp = out.join(".soundtrack.wav.tmp");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let file = File::create(&tmp).with_context(|| format!("{}: cannot write", tmp.display()))?;
    let mut wav = hound::WavWriter::new(BufWriter::with_capacity(1 << 20, file), spec)
        .with_context(|| format!("{}: cannot write", tmp.display()))?;
    let per_frame = (SAMPLE_RATE / FPS) as usize;
    let mut buf = vec![0.0f32; per_frame * 2];
    let frames = (seconds * f64::from(FPS)).ceil() as u64;
    let dt = 1.0 / FPS as f32;
    let (mut next, mut next_divert) = (0, 0);
    for k in 0..frames {
        let t = k as f64 / f64::from(FPS);
        while let Some(b) = beats.get(next).filter(|b| b.t <= t) {
            scene.stage(&b.directives);
            for d in &b.directives {
                match d {
                    Directive::Sfx { name, at } => {
                        let place = format!("{story}, knot `{}` (t {:.1} s)", b.knot, b.t);
                        audio.cue(&scene.world, name, at.as_deref(), &place);
                    }
                    Directive::Ending(_) => {
                        audio.stinger("ending");
                    }
                    _ => {}
                }
            }
            next += 1;
        }
        while diverts.get(next_divert).is_some_and(|d| *d <= t) {
            audio.stinger("divert");
            next_divert += 1;
        }
        scene.step(dt, t as f32);
        let frame = AudioFrame {
            dt,
            head: (SEAT, Quat::IDENTITY),
            intensity: interp(&intensity, t),
            engagement: EngagementSample {
                t,
                arousal_z: interp(&arousal, t),
                boredom: interp(&boredom, t),
                attention: 1.0,
                quality: 1.0,
            },
        };
        audio_system(&scene.world, &mut audio, &frame, scene.physics.impacts());
        audio.render(&mut buf);
        for s in &buf {
            wav.write_sample(showrunner_audio::synth::to_i16(*s))
                .with_context(|| format!("{}: cannot write", tmp.display()))?;
        }
    }
    wav.finalize()
        .with_context(|| format!("{}: cannot finish", tmp.display()))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("{}: cannot sync", tmp.display()))?;
    fs::rename(&tmp, &path).with_context(|| format!("{}: cannot replace", path.display()))?;
    warnings.extend(audio.take_errors().iter().map(ToString::to_string));
    let stats = audio.stats();
    Ok(Soundtrack {
        seconds: frames as f64 / f64::from(FPS),
        warnings,
        stingers: stats.stingers,
        effects: stats.effects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_holds_at_the_ends() {
        let k = [(1.0, 0.0), (3.0, 1.0)];
        assert_eq!(interp(&k, 0.0), 0.0);
        assert_eq!(interp(&k, 2.0), 0.5);
        assert_eq!(interp(&k, 9.0), 1.0);
        assert_eq!(interp(&[], 1.0), 0.0);
    }
}
