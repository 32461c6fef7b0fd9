//! Procedural synthesis of the sample's sounds: the score's stems, its
//! stingers and the sound effects the sample story cues. No recordings, no
//! downloads: `showrunner assets sounds` writes what [`sample_sounds`] makes
//! into `assets/sounds/`, and a test checks the files there are exactly that.
//!
//! Stems are loops of whole bars at [`BPM`]: every oscillator's frequency is
//! a multiple of 1/loop-length, and anything that rings past the loop's end
//! wraps into its start (each stem is rendered twice over and the second
//! pass kept), so they loop without a click.

use std::f64::consts::TAU;

/// The sample score's tempo.
pub const BPM: f64 = 96.0;
/// Beats per stem loop (two bars of 4/4).
pub const LOOP_BEATS: usize = 8;
/// Sample rate of the stems (kira resamples to the output rate).
pub const STEM_RATE: u32 = 32_000;
/// Sample rate of the stingers and effects.
pub const SFX_RATE: u32 = 24_000;

/// A deterministic noise source (xorshift64*).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((v >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// One-pole low-pass, in place.
fn lowpass(x: &mut [f32], cutoff: f64, rate: u32) {
    let a = (1.0 - (-TAU * cutoff / f64::from(rate)).exp()) as f32;
    let mut y = 0.0f32;
    for v in x {
        y += a * (*v - y);
        *v = y;
    }
}

/// One-pole high-pass, in place.
fn highpass(x: &mut [f32], cutoff: f64, rate: u32) {
    let mut lp = x.to_vec();
    lowpass(&mut lp, cutoff, rate);
    for (v, l) in x.iter_mut().zip(lp) {
        *v -= l;
    }
}

fn sine(f: f64, t: f64) -> f32 {
    (TAU * f * t).sin() as f32
}

/// Rounds a frequency to a whole number of cycles per `period` seconds.
fn periodic(f: f64, period: f64) -> f64 {
    (f * period).round() / period
}

/// Mixes `src` into `dst` from frame `at`, wrapping past the end.
fn add_wrapped(dst: &mut [f32], src: &[f32], at: usize, gain: f32) {
    let n = dst.len();
    for (k, s) in src.iter().enumerate() {
        dst[(at + k) % n] += s * gain;
    }
}

fn seconds(rate: u32, s: f64) -> usize {
    (s * f64::from(rate)).round() as usize
}

/// A decaying partial: `exp(-t/decay)` with a 2 ms attack.
fn struck(rate: u32, len_s: f64, partials: &[(f64, f32, f64)]) -> Vec<f32> {
    let n = seconds(rate, len_s);
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let attack = (t / 0.002).min(1.0) as f32;
            partials
                .iter()
                .map(|&(f, a, d)| a * sine(f, t) * (-t / d).exp() as f32)
                .sum::<f32>()
                * attack
        })
        .collect()
}

fn kick(rate: u32) -> Vec<f32> {
    let n = seconds(rate, 0.4);
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let f = 45.0 + 75.0 * (-t / 0.04).exp();
            phase += TAU * f / f64::from(rate);
            (phase.sin() * (-t / 0.18).exp()) as f32
        })
        .collect()
}

fn noise_burst(rate: u32, len_s: f64, decay: f64, seed: u64) -> Vec<f32> {
    let mut noise = Noise(seed);
    (0..seconds(rate, len_s))
        .map(|i| noise.next() * (-(i as f64 / f64::from(rate)) / decay).exp() as f32)
        .collect()
}

fn stem_len() -> usize {
    seconds(STEM_RATE, LOOP_BEATS as f64 * 60.0 / BPM)
}

fn beat_frames(rate: u32) -> f64 {
    f64::from(rate) * 60.0 / BPM
}

/// The pad: a sustained A minor (add 9) chord, slowly breathing, wide.
fn pad() -> Vec<[f32; 2]> {
    let n = stem_len();
    let period = n as f64 / f64::from(STEM_RATE);
    let notes = [110.0, 164.81, 220.0, 261.63, 493.88];
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(STEM_RATE);
            let breath = 0.75 + 0.25 * sine(periodic(0.2, period), t);
            let mut lr = [0.0f32; 2];
            for (k, &f) in notes.iter().enumerate() {
                for (c, detune) in [-0.4, 0.4].iter().enumerate() {
                    let f = periodic(f + detune * (1.0 + k as f64 * 0.25), period);
                    let v = sine(f, t) + 0.3 * sine(2.0 * f, t) + 0.12 * sine(3.0 * f, t);
                    lr[c] += v;
                }
            }
            lr.map(|v| v * 0.07 * breath)
        })
        .collect()
}

/// The pulse: a plucked bass on every eighth note.
fn pulse() -> Vec<f32> {
    let n = stem_len();
    let mut out = vec![0.0f32; n];
    let eighth = beat_frames(STEM_RATE) / 2.0;
    let line = [55.0, 55.0, 82.41, 55.0, 55.0, 65.41, 82.41, 73.42];
    for k in 0..LOOP_BEATS * 2 {
        let f = line[k % line.len()];
        let partials: Vec<(f64, f32, f64)> = (1..=6)
            .map(|h| (f * h as f64, 0.5 / h as f32, 0.22 / (1.0 + 0.3 * h as f64)))
            .collect();
        let mut note = struck(STEM_RATE, 0.45, &partials);
        lowpass(&mut note, 900.0, STEM_RATE);
        add_wrapped(&mut out, &note, (k as f64 * eighth).round() as usize, 0.8);
    }
    out
}

/// Percussion: kick on 1 and 3, snare on 2 and 4, closed hats on the off-beats.
fn percussion() -> Vec<f32> {
    let n = stem_len();
    let mut out = vec![0.0f32; n];
    let beat = beat_frames(STEM_RATE);
    let kick = kick(STEM_RATE);
    for b in 0..LOOP_BEATS {
        let at = (b as f64 * beat).round() as usize;
        if b % 2 == 0 {
            add_wrapped(&mut out, &kick, at, 0.9);
        } else {
            let mut snare = noise_burst(STEM_RATE, 0.3, 0.07, 7 + b as u64);
            highpass(&mut snare, 1200.0, STEM_RATE);
            let body = struck(STEM_RATE, 0.3, &[(185.0, 0.5, 0.05)]);
            add_wrapped(&mut out, &snare, at, 0.45);
            add_wrapped(&mut out, &body, at, 0.5);
        }
        let mut hat = noise_burst(STEM_RATE, 0.08, 0.015, 101 + b as u64);
        highpass(&mut hat, 6000.0, STEM_RATE);
        add_wrapped(
            &mut out,
            &hat,
            (at as f64 + beat / 2.0).round() as usize,
            0.35,
        );
    }
    out
}

/// Tension: a high, trembling cluster that swells and ebbs with each bar, over a
/// low rumble.
fn tension() -> Vec<[f32; 2]> {
    let n = stem_len();
    let period = n as f64 / f64::from(STEM_RATE);
    let bar = beat_frames(STEM_RATE) * 4.0;
    // The rumble: low partials with scattered phases (periodic, so it loops).
    let mut noise = Noise(99);
    let rumble_partials: Vec<(f64, f64)> = (0..16)
        .map(|k| {
            let f = periodic(30.0 + 6.0 * k as f64, period);
            (f, f64::from(noise.next()) * std::f64::consts::PI)
        })
        .collect();
    let rumble: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(STEM_RATE);
            rumble_partials
                .iter()
                .map(|&(f, ph)| ((TAU * f * t + ph).sin() * 30.0 / f) as f32)
                .sum::<f32>()
                * 0.02
        })
        .collect();
    let cluster = [659.25, 698.46, 987.77];
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(STEM_RATE);
            let swell = (std::f64::consts::PI * (i as f64 % bar) / bar).sin() as f32;
            let trem = 0.6 + 0.4 * sine(periodic(8.0, period), t);
            let mut lr = [0.0f32; 2];
            for (k, &f) in cluster.iter().enumerate() {
                for (c, det) in [-1.0, 1.0].iter().enumerate() {
                    let f = periodic(f + det * (0.6 + k as f64 * 0.2), period);
                    lr[c] += sine(f, t) + 0.2 * sine(2.0 * f, t);
                }
            }
            lr.map(|v| v * 0.06 * trem * (0.35 + 0.65 * swell * swell) + rumble[i])
        })
        .collect()
}

/// A low hit with a brass-like chord: the director raises the stakes.
fn stinger_divert() -> Vec<f32> {
    let rate = SFX_RATE;
    let mut boom = kick(rate);
    boom.resize(seconds(rate, 2.5), 0.0);
    let chord: Vec<(f64, f32, f64)> = [110.0, 164.81, 220.0, 261.63]
        .iter()
        .flat_map(|&f| (1..=5).map(move |h| (f * h as f64, 0.18 / h as f32, 0.9 / h as f64)))
        .collect();
    let mut brass = struck(rate, 2.5, &chord);
    lowpass(&mut brass, 2500.0, rate);
    boom.iter().zip(&brass).map(|(a, b)| a * 0.8 + b).collect()
}

/// A bell chord resolving to A major: an ending.
fn stinger_ending() -> Vec<f32> {
    let partials: Vec<(f64, f32, f64)> = [440.0, 554.37, 659.25, 880.0]
        .iter()
        .flat_map(|&f| [(f, 0.22, 1.6), (f * 2.76, 0.08, 0.6), (f * 5.4, 0.04, 0.25)])
        .collect();
    struck(SFX_RATE, 4.0, &partials)
}

/// A falling prop lands: a thud.
fn impact() -> Vec<f32> {
    let rate = SFX_RATE;
    let thud = struck(rate, 0.5, &[(70.0, 0.8, 0.12), (140.0, 0.3, 0.06)]);
    let mut knock = noise_burst(rate, 0.5, 0.03, 3);
    lowpass(&mut knock, 1800.0, rate);
    thud.iter().zip(&knock).map(|(a, b)| a + 0.7 * b).collect()
}

/// A footstep on boards.
fn footstep() -> Vec<f32> {
    let rate = SFX_RATE;
    let mut scuff = noise_burst(rate, 0.18, 0.035, 5);
    lowpass(&mut scuff, 2500.0, rate);
    highpass(&mut scuff, 300.0, rate);
    let thump = struck(rate, 0.18, &[(120.0, 0.4, 0.03)]);
    scuff.iter().zip(&thump).map(|(a, b)| 0.9 * a + b).collect()
}

/// A herring gull's two cries.
fn gull() -> Vec<f32> {
    let rate = SFX_RATE;
    let n = seconds(rate, 1.3);
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let (t0, local) = if t < 0.55 { (0.0, t) } else { (0.6, t - 0.6) };
            let _ = t0;
            let env = if (0.0..0.5).contains(&local) {
                (local / 0.03).min(1.0) * (1.0 - local / 0.5)
            } else {
                0.0
            };
            let f = 1700.0 - 700.0 * (local / 0.5).clamp(0.0, 1.0) + 40.0 * (TAU * 28.0 * t).sin();
            phase += TAU * f / f64::from(rate);
            ((phase.sin() + 0.4 * (2.0 * phase).sin() + 0.2 * (3.0 * phase).sin()) * env * 0.4)
                as f32
        })
        .collect()
}

/// Wind gusting round the tower.
fn wind() -> Vec<f32> {
    let rate = SFX_RATE;
    let mut x = noise_burst(rate, 4.0, 1e9, 11);
    lowpass(&mut x, 900.0, rate);
    highpass(&mut x, 200.0, rate);
    let n = x.len();
    x.iter()
        .enumerate()
        .map(|(i, v)| {
            let t = i as f64 / n as f64;
            let env =
                (std::f64::consts::PI * t).sin().powf(1.5) * (0.7 + 0.3 * (TAU * 1.7 * t).sin());
            v * 2.2 * env as f32
        })
        .collect()
}

/// Distant thunder: a crack, then a long roll.
fn thunder() -> Vec<f32> {
    let rate = SFX_RATE;
    let mut roll = noise_burst(rate, 5.0, 1.6, 13);
    lowpass(&mut roll, 160.0, rate);
    lowpass(&mut roll, 160.0, rate);
    let mut crack = noise_burst(rate, 5.0, 0.08, 17);
    lowpass(&mut crack, 3000.0, rate);
    roll.iter()
        .zip(&crack)
        .enumerate()
        .map(|(i, (r, c))| {
            let t = i as f64 / f64::from(rate);
            let swell = (t / 0.3).min(1.0) as f32;
            r * 6.0 * swell + c * 0.5
        })
        .collect()
}

/// An iron hatch banging shut.
fn hatch() -> Vec<f32> {
    let rate = SFX_RATE;
    let ring = struck(
        rate,
        0.8,
        &[
            (212.0, 0.5, 0.2),
            (563.0, 0.3, 0.12),
            (1187.0, 0.2, 0.08),
            (2011.0, 0.1, 0.05),
        ],
    );
    let click = noise_burst(rate, 0.8, 0.006, 19);
    ring.iter().zip(&click).map(|(a, b)| a + 0.6 * b).collect()
}

/// A wave breaking on the rocks.
fn wave() -> Vec<f32> {
    let rate = SFX_RATE;
    let mut x = noise_burst(rate, 4.0, 1e9, 23);
    let n = x.len();
    let mut lo = x.clone();
    lowpass(&mut lo, 400.0, rate);
    lowpass(&mut x, 2500.0, rate);
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let rise = (t / 1.2).min(1.0).powi(2);
            let fall = if t > 1.2 {
                (-(t - 1.2) / 0.9).exp()
            } else {
                1.0
            };
            let env = (rise * fall) as f32;
            env * (1.6 * lo[i] + 0.7 * x[i] * (t > 1.1) as u8 as f32)
        })
        .collect()
}

/// 16-bit PCM WAV bytes of interleaved `samples` (`channels` of them per frame).
pub fn wav_bytes_at(rate: u32, channels: u16, samples: &[f32]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = std::io::Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    {
        let mut w = hound::WavWriter::new(&mut cursor, spec).expect("in-memory WAV header");
        for s in samples {
            w.write_sample(to_i16(*s)).expect("in-memory WAV write");
        }
        w.finalize().expect("in-memory WAV finish");
    }
    cursor.into_inner()
}

/// 16-bit PCM WAV bytes at the stems' rate.
pub fn wav_bytes(channels: u16, samples: &[f32]) -> Vec<u8> {
    wav_bytes_at(STEM_RATE, channels, samples)
}

/// A float sample to 16-bit PCM, clipped.
pub fn to_i16(s: f32) -> i16 {
    (s.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

fn normalise(x: &mut [f32], peak: f32) {
    let m = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if m > 0.0 {
        x.iter_mut().for_each(|v| *v *= peak / m);
    }
}

fn stereo(frames: Vec<[f32; 2]>, peak: f32) -> Vec<f32> {
    let mut x: Vec<f32> = frames.into_iter().flatten().collect();
    normalise(&mut x, peak);
    x
}

fn mono(mut x: Vec<f32>, peak: f32) -> Vec<f32> {
    normalise(&mut x, peak);
    x
}

/// Every file of the sample's sound library: (path under `assets/sounds/`, bytes).
pub fn sample_sounds() -> Vec<(String, Vec<u8>)> {
    let sfx = |name: &str, x: Vec<f32>, peak: f32| {
        (
            format!("sfx/{name}.wav"),
            wav_bytes_at(SFX_RATE, 1, &mono(x, peak)),
        )
    };
    vec![
        (
            "score.json".into(),
            format!("{{\"bpm\": {BPM}}}\n").into_bytes(),
        ),
        ("stems/pad.wav".into(), wav_bytes(2, &stereo(pad(), 0.5))),
        ("stems/pulse.wav".into(), wav_bytes(1, &mono(pulse(), 0.5))),
        (
            "stems/percussion.wav".into(),
            wav_bytes(1, &mono(percussion(), 0.6)),
        ),
        (
            "stems/tension.wav".into(),
            wav_bytes(2, &stereo(tension(), 0.4)),
        ),
        (
            "stingers/divert.wav".into(),
            wav_bytes_at(SFX_RATE, 1, &mono(stinger_divert(), 0.8)),
        ),
        (
            "stingers/ending.wav".into(),
            wav_bytes_at(SFX_RATE, 1, &mono(stinger_ending(), 0.6)),
        ),
        sfx("impact", impact(), 0.9),
        sfx("footstep", footstep(), 0.5),
        sfx("gull", gull(), 0.5),
        sfx("wind", wind(), 0.6),
        sfx("thunder", thunder(), 0.9),
        sfx("hatch", hatch(), 0.8),
        sfx("wave", wave(), 0.8),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_whole_bars_and_loop_without_a_click() {
        let n = stem_len();
        assert_eq!(n, 160_000, "8 beats at 96 bpm, 32 kHz");
        for (name, x) in [("pulse", pulse()), ("percussion", percussion())] {
            assert_eq!(x.len(), n);
            // The jump across the loop point is no bigger than a typical step.
            let seam = (x[0] - x[n - 1]).abs();
            let typical = x
                .windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0f32, f32::max);
            assert!(seam <= typical, "{name}: seam {seam} vs {typical}");
        }
        for (name, x) in [("pad", pad()), ("tension", tension())] {
            let left: Vec<f32> = x.iter().map(|f| f[0]).collect();
            let seam = (left[0] - left[n - 1]).abs();
            let typical = left
                .windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0f32, f32::max);
            assert!(seam <= typical, "{name}: seam {seam} vs {typical}");
        }
    }

    #[test]
    fn the_sample_library_is_deterministic_and_decodable() {
        let a = sample_sounds();
        let b = sample_sounds();
        assert_eq!(a, b);
        for (name, bytes) in &a {
            if name.ends_with(".wav") {
                let r = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
                assert!(r.duration() > 0, "{name}");
            }
        }
    }
}
