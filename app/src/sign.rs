//! `screen --render --sign CERT KEY`: C2PA content credentials on what a screening exports (each
//! still, the contact sheet, the soundtrack), and `showrunner credentials FILE...`, which reads
//! them back and checks them.
//!
//! Each manifest says what made the file (`c2pa.created`: the engine rendered it, IPTC's
//! `algorithmicMedia`, or `compositeWithTrainedAlgorithmicMedia` where a trained model's work
//! is in it), whether the refiner reworked it (`c2pa.edited`), and, in Showrunner's own
//! assertion (`org.showrunner.film`), the film: the story's file name and fingerprint, the
//! seed, the frames and which were refined, and the episodes a language model wrote, with the
//! model. Nothing of the viewer (heart, gaze, engagement) goes into a manifest. The headset's
//! build exports nothing and signs nothing.
// The headset's build keeps the types (the report names them) but signs nothing.
#![cfg_attr(target_os = "android", allow(dead_code))]

use anyhow::Result;
use serde_json::{json, Value};
use std::path::Path;

#[cfg(not(target_os = "android"))]
use showrunner_provenance::credentials::{Claim, Credentials};
use showrunner_provenance::Provenance;

/// The certificate and key a screening signs with, and the film its manifests name.
#[cfg(not(target_os = "android"))]
pub struct Signing {
    creds: Credentials,
    /// The film every manifest names.
    film: Value,
}

/// The headset's build signs nothing (`--sign` is refused before a film starts).
#[cfg(target_os = "android")]
pub enum Signing {}

/// A still the screening exported, as its manifest and the contact sheet's describe it.
#[derive(Debug, Clone)]
pub struct Still {
    /// The beat it shows.
    pub beat: u64,
    /// Its file, relative to the screening's folder (`frames/beat-0007.png`).
    pub file: String,
    /// The knot the beat played.
    pub knot: String,
    /// What made it.
    pub provenance: Provenance,
    /// The episode whose words it shows (`{knot, point, model}`), when a model wrote them.
    pub episode: Option<Value>,
}

impl Still {
    fn record(&self) -> Value {
        let mut v = json!({
            "file": self.file,
            "beat": self.beat,
            "knot": self.knot,
            "refined": self.provenance.refined,
        });
        if let Some(e) = &self.episode {
            v["episode"] = e.clone();
        }
        v
    }
}

/// The episodes a model wrote among `stills`, each once, with the stills that show it (file
/// names: c2pa's CBOR reads a list of small numbers back as bytes).
fn episodes(stills: &[Still]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for s in stills {
        let Some(e) = &s.episode else { continue };
        let i = match out.iter().position(|o| o["knot"] == e["knot"]) {
            Some(i) => i,
            None => {
                let mut o = e.clone();
                o["stills"] = json!([]);
                out.push(o);
                out.len() - 1
            }
        };
        if let Some(list) = out[i]["stills"].as_array_mut() {
            list.push(json!(s.file));
        }
    }
    out
}

/// A file's name only (a story's, a manifest's title): a manifest travels with the file, and a
/// path would tell strangers the author's folders.
fn story_name(story: &str) -> String {
    Path::new(story)
        .file_name()
        .map_or_else(|| story.to_owned(), |n| n.to_string_lossy().into_owned())
}

#[cfg(not(target_os = "android"))]
impl Signing {
    /// Loads and proves `cert` and `key` (see [`Credentials::load`]) for a screening of
    /// `story` (fingerprint `fingerprint`) with `seed`.
    pub fn load(
        cert: &Path,
        key: &Path,
        story: &str,
        fingerprint: &str,
        seed: u64,
    ) -> Result<Self> {
        let creds = Credentials::load(cert, key)?;
        Ok(Self {
            creds,
            film: json!({
                "story": story_name(story),
                "fingerprint": fingerprint,
                "seed": seed,
            }),
        })
    }

    /// Who signs, for the summary and the report.
    pub fn summary(&self) -> Value {
        json!({
            "signer": self.creds.signer_name,
            "issuer": self.creds.issuer,
            "alg": self.creds.alg,
            "standard": "C2PA",
        })
    }

    fn film(&self, more: Value) -> Value {
        let mut film = self.film.clone();
        if let (Some(f), Value::Object(m)) = (film.as_object_mut(), more) {
            f.extend(m);
        }
        film
    }

    /// `png`, the still `still`, with its manifest.
    pub fn still(&self, png: &[u8], still: &Still) -> Result<Vec<u8>> {
        let mut made = format!(
            "rendered by Showrunner's engine (wgpu): beat {} of the story `{}`",
            still.beat,
            self.film["story"].as_str().unwrap_or_default()
        );
        if let Some(e) = &still.episode {
            made.push_str(&format!(
                "; its words were written by a language model ({}) for the episode `{}`",
                e["model"].as_str().unwrap_or("?"),
                e["knot"].as_str().unwrap_or("?")
            ));
        }
        let claim = Claim {
            title: story_name(&still.file),
            provenance: still.provenance,
            made,
            film: self.film(still.record()),
        };
        Ok(self.creds.sign_bytes("png", png, &claim)?)
    }

    /// `png`, the contact sheet of `stills`, with its manifest.
    pub fn sheet(&self, png: &[u8], stills: &[Still]) -> Result<Vec<u8>> {
        let claim = Claim {
            title: "contact-sheet.png".into(),
            provenance: combined(stills),
            made: format!(
                "a contact sheet of {} stills rendered by Showrunner's engine",
                stills.len()
            ),
            film: self.film(film_record(stills)),
        };
        Ok(self.creds.sign_bytes("png", png, &claim)?)
    }

    /// Signs the soundtrack at `path` in place (the film's `stills` name its episodes).
    pub fn soundtrack(&self, path: &Path, stills: &[Still]) -> Result<()> {
        let mut film = film_record(stills);
        if let Some(f) = film.as_object_mut() {
            f.remove("frames");
        }
        let claim = Claim {
            title: story_name(&path.to_string_lossy()),
            // Procedural stems and effects, mixed by the engine: no trained model.
            provenance: Provenance::RENDERED,
            made: "mixed by Showrunner's engine (kira, offline) from the procedurally synthesized sound library, as the viewer heard it".into(),
            film: self.film(film),
        };
        Ok(self.creds.sign_file(path, &claim)?)
    }
}

#[cfg(target_os = "android")]
impl Signing {
    /// Never called: nothing signs on the headset.
    pub fn summary(&self) -> Value {
        match *self {}
    }
    /// Never called: nothing signs on the headset.
    pub fn still(&self, _: &[u8], _: &Still) -> Result<Vec<u8>> {
        match *self {}
    }
    /// Never called: nothing signs on the headset.
    pub fn sheet(&self, _: &[u8], _: &[Still]) -> Result<Vec<u8>> {
        match *self {}
    }
    /// Never called: nothing signs on the headset.
    pub fn soundtrack(&self, _: &Path, _: &[Still]) -> Result<()> {
        match *self {}
    }
}

/// `--sign CERT KEY` for a screening: loaded and proved before the film starts.
pub fn load(
    sign: Option<&(std::path::PathBuf, std::path::PathBuf)>,
    story: &str,
    fingerprint: &str,
    seed: u64,
) -> Result<Option<Signing>> {
    let Some((cert, key)) = sign else {
        return Ok(None);
    };
    #[cfg(not(target_os = "android"))]
    {
        Signing::load(cert, key, story, fingerprint, seed).map(Some)
    }
    #[cfg(target_os = "android")]
    {
        let _ = (cert, key, story, fingerprint, seed);
        anyhow::bail!("--sign: the headset's build exports nothing to sign; sign on a desktop")
    }
}

/// What made a set of stills, together (the contact sheet).
pub fn combined(stills: &[Still]) -> Provenance {
    Provenance {
        refined: stills.iter().any(|s| s.provenance.refined),
        written: stills.iter().any(|s| s.provenance.written),
    }
}

/// The film's record for a file made of `stills`: every frame, which were refined, and the
/// episodes a model wrote.
fn film_record(stills: &[Still]) -> Value {
    json!({
        "frames": stills.iter().map(Still::record).collect::<Vec<_>>(),
        "refined_frames": stills.iter().filter(|s| s.provenance.refined).map(|s| s.file.clone()).collect::<Vec<_>>(),
        "episodes": episodes(stills),
    })
}

/// `showrunner credentials FILE... [--trust CA.pem] [--json]`: reads and checks each file's
/// content credentials; prints who signed it and what made it. `Ok(false)` when any file has
/// none, or broken ones, or (with `trust`) a signer the anchors do not vouch for.
#[cfg(not(target_os = "android"))]
pub fn credentials_command(
    files: &[std::path::PathBuf],
    trust: Option<&Path>,
    json_out: bool,
) -> Result<bool> {
    use anyhow::Context;
    use showrunner_provenance::credentials::read_file;
    let anchors = match trust {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read the trust anchors", p.display()))?,
        ),
        None => None,
    };
    let mut ok = true;
    let mut reports = Vec::new();
    for f in files {
        let r = match read_file(f, anchors.as_deref()) {
            Ok(r) => r,
            Err(e) => {
                ok = false;
                if json_out {
                    reports.push(json!({"file": f, "error": e.to_string()}));
                } else {
                    println!("{e}");
                }
                continue;
            }
        };
        let good = match r.state.as_str() {
            "Trusted" => true,
            "Valid" => anchors.is_none(),
            _ => false,
        };
        ok &= good;
        if json_out {
            reports.push(json!({"file": f, "state": r.state, "report": r.report}));
            continue;
        }
        let verdict = match (r.state.as_str(), anchors.is_some()) {
            ("Trusted", _) => "trusted: intact, signed by a certificate the trust anchors issued",
            ("Valid", false) => {
                "intact and well signed (pass --trust CA.pem to check who signed it)"
            }
            ("Valid", true) => "intact, but the signer is not from the trust anchors given",
            _ => "INVALID: changed since it was signed, or badly signed",
        };
        println!("{}: {verdict}", f.display());
        println!("  signed by {} ({})", r.signer, r.issuer);
        for (action, source, description) in &r.actions {
            let source = source.rsplit('/').next().unwrap_or_default();
            println!("  {action} [{source}]: {description}");
        }
        if let Some(film) = &r.film {
            println!("  {}", describe(film));
        }
        // Without anchors, every signer is "untrusted": the verdict already says so.
        let untrusted =
            |f: &&String| anchors.is_none() && f.starts_with("signingCredential.untrusted");
        for failure in r.failures.iter().filter(|f| !untrusted(f)) {
            println!("  failure: {failure}");
        }
    }
    if json_out {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(ok)
}

/// Showrunner's assertion in one line.
#[cfg(not(target_os = "android"))]
fn describe(film: &Value) -> String {
    let story = film["story"].as_str().unwrap_or("?");
    let mut parts = vec![format!(
        "film: `{story}` (fingerprint {}, seed {})",
        film["fingerprint"].as_str().unwrap_or("?"),
        film["seed"]
    )];
    if let Some(beat) = film["beat"].as_u64() {
        parts.push(format!(
            "beat {beat}, knot `{}`{}",
            film["knot"].as_str().unwrap_or("?"),
            if film["refined"] == true {
                ", refined"
            } else {
                ""
            }
        ));
    }
    if let Some(frames) = film["frames"].as_array() {
        let refined = film["refined_frames"].as_array().map_or(0, Vec::len);
        parts.push(format!("{} frames, {refined} refined", frames.len()));
    }
    // A contact sheet or soundtrack lists the episodes; a still names its own.
    let episodes: Vec<&Value> = match film["episodes"].as_array() {
        Some(list) => list.iter().collect(),
        None => film.get("episode").into_iter().collect(),
    };
    let written: Vec<String> = episodes
        .iter()
        .map(|e| {
            format!(
                "`{}` by {}",
                e["knot"].as_str().unwrap_or("?"),
                e["model"].as_str().unwrap_or("?")
            )
        })
        .collect();
    if written.is_empty() {
        parts.push("no episode written by a model".into());
    } else {
        parts.push(format!(
            "episodes written by a model: {}",
            written.join(", ")
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn still(beat: u64, knot: &str) -> Still {
        let written = knot.starts_with("ext_");
        Still {
            beat,
            file: format!("frames/beat-{beat:04}.png"),
            knot: knot.into(),
            provenance: Provenance {
                refined: false,
                written,
            },
            episode: written.then(|| json!({"knot": knot, "point": "the_kitchen", "model": "m"})),
        }
    }

    #[test]
    fn the_film_record_names_each_episode_once_with_its_beats() {
        let stills = [
            still(1, "landing"),
            still(2, "ext_the_kitchen"),
            still(3, "ext_the_kitchen"),
            still(4, "the_kitchen"),
        ];
        let r = film_record(&stills);
        assert_eq!(r["frames"].as_array().unwrap().len(), 4);
        assert_eq!(r["refined_frames"], json!([]));
        assert_eq!(
            r["episodes"],
            json!([{"knot": "ext_the_kitchen", "point": "the_kitchen", "model": "m",
                "stills": ["frames/beat-0002.png", "frames/beat-0003.png"]}])
        );
        assert!(combined(&stills).written && !combined(&stills).refined);
        assert_eq!(story_name("/home/someone/stories/heist.ink"), "heist.ink");
    }
}
