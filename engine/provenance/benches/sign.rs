//! What content credentials cost a screening: signing a still (960 × 540, the default size)
//! against encoding it, reading one back and checking it, and signing a minute of soundtrack
//! in place against copying it, medians and p99 in one run.
//!
//! Run: `cargo bench -p showrunner-provenance --bench sign` (needs openssl, for the test
//! certificate `scripts/c2pa-test-pki.sh` makes). Without `--bench` (as the tests build it) it
//! does each once.

use serde_json::json;
use showrunner_provenance::credentials::{read_bytes, Claim, Credentials};
use showrunner_provenance::Provenance;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Times `f` `runs` times after a fifth as many warm-up runs: (median, p99) in milliseconds.
fn time(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut t: Vec<Duration> = (0..runs + runs / 5)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed()
        })
        .skip(runs / 5)
        .collect();
    t.sort();
    let at = |p: f64| t[((t.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.99))
}

fn row(what: &str, (m, p): (f64, f64), base: (f64, f64)) {
    println!(
        "{what:<44} median {m:8.2} ms  p99 {p:8.2} ms  ratio {:5.2}x / {:5.2}x",
        m / base.0,
        p / base.1
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runs = if full { 60 } else { 1 };
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/c2pa-test-pki.sh");
    let ok = Command::new("bash")
        .arg(script)
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "scripts/c2pa-test-pki.sh failed (is openssl installed?)"
    );
    let creds = Credentials::load(&dir.path().join("chain.pem"), &dir.path().join("leaf.key"))
        .expect("the test certificate");
    let trust = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();

    // A still: a gradient with grain, which compresses about as a rendered frame does.
    let (w, h) = (960u32, 540u32);
    let mut seed = 0x9e37_79b9_u32;
    let px: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let grain = (seed >> 28) as u8;
            [
                (x / 4) as u8 + grain,
                (y / 3) as u8 + grain,
                96 + grain,
                255,
            ]
        })
        .collect();
    let encode = || {
        let mut out = Vec::new();
        let mut e = png::Encoder::new(&mut out, w, h);
        e.set_color(png::ColorType::Rgba);
        e.add_itxt_chunk("XML:com.adobe.xmp".into(), Provenance::RENDERED.xmp())
            .unwrap();
        let mut wr = e.write_header().unwrap();
        wr.write_image_data(&px).unwrap();
        wr.finish().unwrap();
        out
    };
    let still = encode();
    let claim = Claim {
        title: "beat-0001.png".into(),
        provenance: Provenance::RENDERED,
        made: "rendered by Showrunner's engine".into(),
        film: json!({"story": "lighthouse.ink", "beat": 1, "knot": "landing", "refined": false}),
    };
    let base = time(runs, || {
        std::hint::black_box(encode());
    });
    let signed = creds.sign_bytes("png", &still, &claim).unwrap();
    println!(
        "still: {} bytes encoded, {} signed (+{} bytes of manifest)",
        still.len(),
        signed.len(),
        signed.len() - still.len()
    );
    row("encode a 960x540 still (baseline)", base, base);
    row(
        "sign it (C2PA, es256)",
        time(runs, || {
            std::hint::black_box(creds.sign_bytes("png", &still, &claim).unwrap());
        }),
        base,
    );
    row(
        "read it back and check it (trusted)",
        time(runs, || {
            let r = read_bytes("png", &signed, Some(&trust)).unwrap();
            assert_eq!(r.state, "Trusted");
        }),
        base,
    );

    // A minute of soundtrack: 48 kHz stereo 16-bit.
    let frames = 48_000 * 60;
    let mut wav = Vec::with_capacity(44 + frames * 4);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + frames as u32 * 4).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&48_000u32.to_le_bytes());
    wav.extend_from_slice(&192_000u32.to_le_bytes());
    wav.extend_from_slice(&4u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(frames as u32 * 4).to_le_bytes());
    wav.extend((0..frames * 2).flat_map(|i| (((i * 37) % 4096) as i16 - 2048).to_le_bytes()));
    let path = dir.path().join("soundtrack.wav");
    let copy = dir.path().join("copy.wav");
    let sound_runs = if full { 20 } else { 1 };
    let base = time(sound_runs, || {
        std::fs::write(&path, &wav).unwrap();
        std::fs::copy(&path, &copy).unwrap();
    });
    let mut sound = claim.clone();
    sound.title = "soundtrack.wav".into();
    row("write + copy a minute of soundtrack (baseline)", base, base);
    row(
        "write + sign it in place (streamed, atomic)",
        time(sound_runs, || {
            std::fs::write(&path, &wav).unwrap();
            creds.sign_file(&path, &sound).unwrap();
        }),
        base,
    );
}
