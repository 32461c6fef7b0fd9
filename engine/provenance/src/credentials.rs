//! C2PA content credentials: a signed manifest inside each exported file that says what made
//! it (the engine rendered it; the refiner reworked it; a language model wrote an episode's
//! words), readable and checkable by any C2PA reader.
//!
//! [`Credentials::load`] takes a PEM certificate chain and its private key, finds the
//! signing algorithm the key is for (ECDSA on P-256/384/521, RSA-PSS, Ed25519), and signs a
//! trial picture and checks it, so that a certificate C2PA refuses (self-signed, a CA's, no
//! `digitalSignature` key usage, no allowed extended key usage) or a key that is not the
//! certificate's is named before any film is screened, not found in its exports afterwards.
//! [`Credentials::sign_bytes`] and [`Credentials::sign_file`] embed a manifest;
//! [`read_file`] reads one back with its validation, against the trust anchors given.
//! No time-stamp authority is asked (that would need the network): the signature is checked
//! against the certificate's validity now.

use crate::Provenance;
use c2pa::{settings::Settings, Builder, BuilderIntent, Context, DigitalSourceType, Reader};
use serde_json::{json, Value};
use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};

/// The label of Showrunner's own assertion: the film a file belongs to.
pub const FILM: &str = "org.showrunner.film";

/// What the certificate needs, told whenever C2PA refuses one.
const NEEDS: &str = "a C2PA signing certificate is issued by a CA (never self-signed), with keyUsage digitalSignature and extendedKeyUsage emailProtection or documentSigning; README.md (\"Content credentials\") shows how to make a test one with openssl";

/// Why credentials could not be loaded, a file signed or read; each names its file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The certificate or key is not what signing needs.
    #[error("{path}: {why}")]
    Credentials {
        /// The certificate or key file.
        path: PathBuf,
        /// What is wrong, and what to do.
        why: String,
    },
    /// Signing a file failed.
    #[error("{path}: cannot sign: {why}")]
    Sign {
        /// The file being signed.
        path: PathBuf,
        /// What c2pa said.
        why: String,
    },
    /// Writing a signed file in place failed (the message names the file).
    #[error(transparent)]
    Write(#[from] std::io::Error),
    /// A file has no content credentials, or they cannot be read.
    #[error("{path}: {why}")]
    Read {
        /// The file read.
        path: PathBuf,
        /// What c2pa said.
        why: String,
    },
}

/// A signing certificate chain and its key, checked.
pub struct Credentials {
    signer: c2pa::BoxedSigner,
    /// The algorithm the key signs with (`es256`, `ps256`, `ed25519`…).
    pub alg: String,
    /// The certificate's subject (its common name).
    pub signer_name: String,
    /// The certificate's issuer (its organization).
    pub issuer: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("alg", &self.alg)
            .field("signer_name", &self.signer_name)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// What one exported file is, for its manifest.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The file's name (the manifest's title).
    pub title: String,
    /// What made it.
    pub provenance: Provenance,
    /// What the engine did, in words (the `c2pa.created` action's description).
    pub made: String,
    /// The film it belongs to ([`FILM`]): the story, the frames and which were refined, the
    /// episodes a language model wrote and which model.
    pub film: Value,
}

/// A file's content credentials, read back and checked.
#[derive(Debug, Clone)]
pub struct Reading {
    /// C2PA's verdict: `Trusted` (valid, and the signer chains to a trust anchor given),
    /// `Valid` (intact and well signed, signer not in the trust anchors) or `Invalid`.
    pub state: String,
    /// Who signed it (the certificate's common name).
    pub signer: String,
    /// The certificate's issuer.
    pub issuer: String,
    /// The manifest's title.
    pub title: String,
    /// Its actions: `(action, digitalSourceType, description)`.
    pub actions: Vec<(String, String, String)>,
    /// Showrunner's own assertion ([`FILM`]), when present.
    pub film: Option<Value>,
    /// Validation failures, `code: explanation`.
    pub failures: Vec<String>,
    /// The whole manifest store as c2pa reports it.
    pub report: Value,
}

/// The algorithms a key may be for, in the order they are tried.
const ALGS: [c2pa::SigningAlg; 5] = [
    c2pa::SigningAlg::Es256,
    c2pa::SigningAlg::Es384,
    c2pa::SigningAlg::Es512,
    c2pa::SigningAlg::Ps256,
    c2pa::SigningAlg::Ed25519,
];

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// A one-pixel PNG, to sign on trial.
fn trial_png() -> Vec<u8> {
    // 1×1 grey, 8-bit: signature, IHDR, IDAT (zlib of [0, 128]), IEND.
    const PNG: [u8; 67] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a,
        0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x68,
        0x00, 0x00, 0x00, 0x82, 0x00, 0x81, 0x77, 0xcd, 0x72, 0xb6, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    PNG.to_vec()
}

impl Credentials {
    /// Loads a PEM certificate chain (the signing certificate first, then any intermediates)
    /// and the PEM private key it certifies, and proves them on a trial signature: C2PA's
    /// own check of the certificate (RFC 5280 and C2PA's profile) must find nothing wrong
    /// but that the signer is not in a trust list.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, Error> {
        let chain = read(cert)?;
        let pkey = read(key)?;
        let bad = |path: &Path, why: String| Error::Credentials {
            path: path.to_owned(),
            why,
        };
        if !String::from_utf8_lossy(&chain).contains("-----BEGIN CERTIFICATE-----") {
            return Err(bad(
                cert,
                "not a PEM certificate chain (no `-----BEGIN CERTIFICATE-----`); pass the signing certificate, then any intermediates".into(),
            ));
        }
        if !String::from_utf8_lossy(&pkey).contains("PRIVATE KEY-----") {
            return Err(bad(
                key,
                "not a PEM private key (no `-----BEGIN … PRIVATE KEY-----`)".into(),
            ));
        }
        let mut tried = Vec::new();
        for alg in ALGS {
            let signer = match c2pa::create_signer::from_keys(&chain, &pkey, alg, None) {
                Ok(s) => s,
                Err(e) => {
                    tried.push(format!("{alg}: {e}"));
                    continue;
                }
            };
            let mut creds = Credentials {
                signer,
                alg: alg.to_string(),
                signer_name: String::new(),
                issuer: String::new(),
            };
            let claim = Claim {
                title: "trial.png".into(),
                provenance: Provenance::RENDERED,
                made: "a trial signature".into(),
                film: json!({}),
            };
            let signed = creds.sign_raw("png", &trial_png(), &claim).map_err(|e| {
                let e = e.to_string();
                if e.contains("certificate") {
                    bad(
                        cert,
                        format!("C2PA refuses this certificate ({e}): {NEEDS}"),
                    )
                } else {
                    bad(cert, format!("cannot sign with it ({alg}): {e}"))
                }
            })?;
            let r = read_bytes("png", &signed, None).map_err(|why| {
                bad(
                    cert,
                    format!("a trial signature cannot be read back: {why}"),
                )
            })?;
            let failures: Vec<&String> = r
                .failures
                .iter()
                .filter(|f| !f.starts_with("signingCredential.untrusted"))
                .collect();
            if !failures.is_empty() {
                let list = failures
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                let why = if list.contains("claimSignature.mismatch") {
                    format!("{} is not this certificate's key ({list})", key.display())
                } else {
                    format!("C2PA refuses this certificate ({list}): {NEEDS}")
                };
                return Err(bad(cert, why));
            }
            creds.signer_name = r.signer;
            creds.issuer = r.issuer;
            return Ok(creds);
        }
        Err(bad(
            key,
            format!(
                "not a key c2pa signs with (ECDSA on P-256, P-384 or P-521, RSA-PSS, Ed25519), or not {}'s: {}",
                cert.display(),
                tried.join("; ")
            ),
        ))
    }

    /// The manifest for `claim`.
    fn builder(&self, claim: &Claim) -> Result<Builder, c2pa::Error> {
        let agent = json!({"name": "showrunner", "version": env!("CARGO_PKG_VERSION")});
        let mut b = Builder::from_context(Context::new()).with_definition(json!({
            "title": claim.title,
            "claim_generator_info": [agent],
        }))?;
        let source = if claim.provenance.trained() {
            DigitalSourceType::CompositeWithTrainedAlgorithmicMedia
        } else {
            DigitalSourceType::AlgorithmicMedia
        };
        b.set_intent(BuilderIntent::Create(source.clone()));
        b.add_action(json!({
            "action": "c2pa.created",
            "digitalSourceType": source,
            "softwareAgent": agent,
            "description": claim.made,
        }))?;
        if claim.provenance.refined {
            b.add_action(json!({
                "action": "c2pa.edited",
                "digitalSourceType": DigitalSourceType::TrainedAlgorithmicMedia,
                "softwareAgent": agent,
                "description": "reworked by Showrunner's refiner, a diffusion model run on the device",
            }))?;
        }
        b.add_assertion(FILM, &claim.film)?;
        Ok(b)
    }

    /// `bytes` (a file of `format`: `png`, `wav`, `jpg`…) with a signed manifest for `claim`
    /// embedded.
    pub fn sign_bytes(&self, format: &str, bytes: &[u8], claim: &Claim) -> Result<Vec<u8>, Error> {
        self.sign_raw(format, bytes, claim)
            .map_err(|e| Error::Sign {
                path: PathBuf::from(&claim.title),
                why: e.to_string(),
            })
    }

    fn sign_raw(&self, format: &str, bytes: &[u8], claim: &Claim) -> Result<Vec<u8>, c2pa::Error> {
        let mut dest = Cursor::new(Vec::with_capacity(bytes.len() + 32 * 1024));
        self.builder(claim)?.sign(
            self.signer.as_ref(),
            format,
            &mut Cursor::new(bytes),
            &mut dest,
        )?;
        Ok(dest.into_inner())
    }

    /// Signs the file at `path` in place, streaming (a soundtrack may be hundreds of
    /// megabytes), atomically: a crash or a failure leaves the unsigned file whole.
    pub fn sign_file(&self, path: &Path, claim: &Claim) -> Result<(), Error> {
        let format = extension(path);
        let fail = |why: String| Error::Sign {
            path: path.to_owned(),
            why,
        };
        let mut source = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        showrunner_persist::replace_with(path, |dest| -> Result<(), Error> {
            self.builder(claim)
                .and_then(|mut b| b.sign(self.signer.as_ref(), &format, &mut source, dest))
                .map(drop)
                .map_err(|e| fail(e.to_string()))
        })
    }
}

/// A file's format, from its extension (`png`, `wav`).
fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads and checks the content credentials of the file at `path`, trusting the CA
/// certificates in `trust` (PEM) as anchors. The file is streamed (a soundtrack may be
/// hundreds of megabytes).
pub fn read_file(path: &Path, trust: Option<&str>) -> Result<Reading, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    read_stream(&extension(path), std::io::BufReader::new(file), trust).map_err(|why| Error::Read {
        path: path.to_owned(),
        why,
    })
}

/// Reads and checks the content credentials in `bytes` (a file of `format`).
pub fn read_bytes(format: &str, bytes: &[u8], trust: Option<&str>) -> Result<Reading, String> {
    read_stream(format, Cursor::new(bytes), trust)
}

fn read_stream(
    format: &str,
    stream: impl Read + Seek + Send,
    trust: Option<&str>,
) -> Result<Reading, String> {
    let context = match trust {
        Some(pem) => Settings::new()
            .with_value("trust.trust_anchors", pem.to_owned())
            .and_then(|s| Context::new().with_settings(s))
            .map_err(|e| format!("the trust anchors are not PEM certificates: {e}"))?,
        None => Context::new(),
    };
    let reader = Reader::from_context(context)
        .with_stream(format, stream)
        .map_err(|e| match e {
            c2pa::Error::JumbfNotFound => {
                "no content credentials (no C2PA manifest in it)".to_owned()
            }
            c2pa::Error::UnsupportedType => format!(
                "`{format}` files carry no content credentials (Showrunner signs PNG stills and WAV soundtracks)"
            ),
            e => format!("its content credentials cannot be read: {e}"),
        })?;
    let report: Value = serde_json::from_str(&reader.json())
        .map_err(|e| format!("c2pa's report is not JSON: {e}"))?;
    Ok(reading(report))
}

/// The parts of c2pa's report a person asks about.
fn reading(report: Value) -> Reading {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let label = s(&report["active_manifest"]);
    let manifest = &report["manifests"][&label];
    let assertions = manifest["assertions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let actions = assertions
        .iter()
        .filter(|a| s(&a["label"]).starts_with("c2pa.actions"))
        .flat_map(|a| a["data"]["actions"].as_array().cloned().unwrap_or_default())
        .map(|a| {
            (
                s(&a["action"]),
                s(&a["digitalSourceType"]),
                s(&a["description"]),
            )
        })
        .collect();
    let film = assertions
        .iter()
        .find(|a| a["label"] == FILM)
        .map(|a| a["data"].clone());
    let mut failures: Vec<String> = Vec::new();
    for f in report["validation_results"]["activeManifest"]["failure"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(report["validation_status"].as_array().into_iter().flatten())
    {
        let f = format!("{}: {}", s(&f["code"]), s(&f["explanation"]));
        if !failures.contains(&f) {
            failures.push(f);
        }
    }
    Reading {
        state: s(&report["validation_state"]),
        signer: s(&manifest["signature_info"]["common_name"]),
        issuer: s(&manifest["signature_info"]["issuer"]),
        title: s(&manifest["title"]),
        actions,
        film,
        failures,
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// A test CA and a signing certificate it issued, on `curve`, made in `dir` by the
    /// project's script (Debian's openssl): (chain, key, CA). `refused` leaves out the
    /// extended key usage, which C2PA requires.
    fn pki(dir: &Path, curve: &str, refused: bool) -> (PathBuf, PathBuf, PathBuf) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/c2pa-test-pki.sh");
        let o = Command::new("bash")
            .arg(script)
            .arg(dir)
            .arg(curve)
            .args(refused.then_some("--no-eku"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            dir.join("chain.pem"),
            dir.join("leaf.key"),
            dir.join("ca.pem"),
        )
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = png::Encoder::new(&mut out, w, h);
        e.set_color(png::ColorType::Rgb);
        let px: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
        let mut w = e.write_header().unwrap();
        w.write_image_data(&px).unwrap();
        w.finish().unwrap();
        out
    }

    fn claim(provenance: Provenance) -> Claim {
        Claim {
            title: "beat-0007.png".into(),
            provenance,
            made: "rendered by Showrunner's engine".into(),
            film: json!({"story": "lighthouse.ink", "beat": 7, "refined": provenance.refined,
                "episode": {"knot": "ext_the_kitchen", "model": "SmolLM2-135M-Instruct"}}),
        }
    }

    #[test]
    fn a_signed_still_reads_back_trusted_with_what_made_it() {
        let dir = tempfile::tempdir().unwrap();
        let (chain, key, ca) = pki(dir.path(), "P-256", false);
        let creds = Credentials::load(&chain, &key).unwrap();
        assert_eq!(creds.alg, "es256");
        assert_eq!(creds.signer_name, "Showrunner test signer");
        let p = Provenance {
            refined: true,
            written: true,
        };
        let signed = creds.sign_bytes("png", &png(8, 4), &claim(p)).unwrap();
        let trust = std::fs::read_to_string(&ca).unwrap();
        let r = read_bytes("png", &signed, Some(&trust)).unwrap();
        assert_eq!(r.state, "Trusted", "{:#}", r.report);
        assert!(r.failures.is_empty(), "{:?}", r.failures);
        assert_eq!(r.title, "beat-0007.png");
        assert_eq!(r.actions[0].0, "c2pa.created");
        assert!(r.actions[0]
            .1
            .ends_with("/compositeWithTrainedAlgorithmicMedia"));
        assert!(r.actions.iter().any(|a| a.0 == "c2pa.edited"
            && a.1.ends_with("/trainedAlgorithmicMedia")
            && a.2.contains("refiner")));
        let film = r.film.unwrap();
        assert_eq!(film["episode"]["knot"], "ext_the_kitchen");
        assert_eq!(film["refined"], true);
        // The picture is still the picture.
        let d = png::Decoder::new(Cursor::new(&signed)).read_info().unwrap();
        assert_eq!((d.info().width, d.info().height), (8, 4));
        // Without the CA among the anchors: intact and well signed, but not trusted.
        let untrusted = read_bytes("png", &signed, None).unwrap();
        assert_eq!(untrusted.state, "Valid", "{:?}", untrusted.failures);
        // A rendered still says so, and has no refiner's action.
        let plain = creds
            .sign_bytes("png", &png(8, 4), &claim(Provenance::RENDERED))
            .unwrap();
        let r = read_bytes("png", &plain, Some(&trust)).unwrap();
        assert!(r.actions[0].1.ends_with("/algorithmicMedia"));
        assert!(r.actions.iter().all(|a| a.0 != "c2pa.edited"));
    }

    #[test]
    fn a_changed_pixel_breaks_the_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let (chain, key, ca) = pki(dir.path(), "P-384", false);
        let creds = Credentials::load(&chain, &key).unwrap();
        assert_eq!(creds.alg, "es384");
        let mut signed = creds
            .sign_bytes("png", &png(16, 16), &claim(Provenance::RENDERED))
            .unwrap();
        // The last IDAT byte before IEND's 12 bytes and its own CRC: the picture's data.
        let n = signed.len();
        signed[n - 12 - 4 - 1] ^= 0x55;
        let trust = std::fs::read_to_string(&ca).unwrap();
        let r = read_bytes("png", &signed, Some(&trust)).unwrap();
        assert_eq!(r.state, "Invalid");
        assert!(
            r.failures
                .iter()
                .any(|f| f.starts_with("assertion.dataHash.mismatch")),
            "{:?}",
            r.failures
        );
    }

    #[test]
    fn certificates_c2pa_refuses_are_named_before_anything_is_signed() {
        let dir = tempfile::tempdir().unwrap();
        // No extended key usage: C2PA refuses it.
        let (chain, key, _) = pki(dir.path(), "P-521", true);
        let e = Credentials::load(&chain, &key).unwrap_err().to_string();
        assert!(
            e.starts_with(&chain.display().to_string())
                && e.contains("C2PA refuses this certificate")
                && e.contains("never self-signed"),
            "{e}"
        );
        // Self-signed: the CA's own certificate and key.
        let e = Credentials::load(&dir.path().join("ca.pem"), &dir.path().join("ca.key"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("C2PA refuses this certificate"), "{e}");
        // Another key than the certificate's.
        let other = tempfile::tempdir().unwrap();
        let (_, other_key, _) = pki(other.path(), "P-256", false);
        let good = tempfile::tempdir().unwrap();
        let (chain, _, _) = pki(good.path(), "P-256", false);
        let e = Credentials::load(&chain, &other_key)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not this certificate's key"), "{e}");
        // Not PEM at all; missing.
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "hello").unwrap();
        let e = Credentials::load(&junk, &key).unwrap_err().to_string();
        assert!(
            e.starts_with(&junk.display().to_string()) && e.contains("not a PEM certificate"),
            "{e}"
        );
        let e = Credentials::load(&chain, &junk).unwrap_err().to_string();
        assert!(e.contains("not a PEM private key"), "{e}");
        let gone = dir.path().join("gone.pem");
        let e = Credentials::load(&gone, &key).unwrap_err().to_string();
        assert!(e.starts_with(&gone.display().to_string()), "{e}");
    }

    #[test]
    fn a_soundtrack_is_signed_in_place_and_a_plain_file_has_no_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let (chain, key, ca) = pki(dir.path(), "P-256", false);
        let creds = Credentials::load(&chain, &key).unwrap();
        // A tiny WAV: 16-bit mono, 100 samples.
        let mut wav = Vec::new();
        let data: Vec<u8> = (0..100i16).flat_map(|i| (i * 300).to_le_bytes()).collect();
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        for v in [1u16, 1] {
            wav.extend_from_slice(&v.to_le_bytes());
        }
        wav.extend_from_slice(&48_000u32.to_le_bytes());
        wav.extend_from_slice(&96_000u32.to_le_bytes());
        for v in [2u16, 16] {
            wav.extend_from_slice(&v.to_le_bytes());
        }
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
        wav.extend_from_slice(&data);
        let path = dir.path().join("soundtrack.wav");
        std::fs::write(&path, &wav).unwrap();
        let e = read_file(&path, None).unwrap_err().to_string();
        assert!(
            e.starts_with(&path.display().to_string()) && e.contains("no content credentials"),
            "{e}"
        );
        let mut c = claim(Provenance::RENDERED);
        c.title = "soundtrack.wav".into();
        creds.sign_file(&path, &c).unwrap();
        let trust = std::fs::read_to_string(&ca).unwrap();
        let r = read_file(&path, Some(&trust)).unwrap();
        assert_eq!(
            (r.state.as_str(), r.title.as_str()),
            ("Trusted", "soundtrack.wav")
        );
        // Nothing left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }
}
