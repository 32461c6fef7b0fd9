//! The sound library: the files under `assets/sounds/`, decoded once at
//! start-up (never on the frame thread).
//!
//! ```text
//! assets/sounds/score.json         {"bpm": 96}: the tempo the stems were written at
//! assets/sounds/stems/NAME.wav     pad, pulse, percussion, tension: loops of whole bars
//! assets/sounds/stingers/NAME.wav  divert, ending
//! assets/sounds/sfx/NAME.wav       what `sfx: NAME` plays; `impact` and `footstep` are
//!                                  used by the physics and the walking characters
//! ```
//!
//! Any of `.wav`, `.ogg` or `.flac` (mono or stereo, any sample rate). A
//! missing or broken file is an error naming it; that sound stays silent and
//! the rest of the library loads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kira::sound::static_sound::StaticSoundData;
use kira::sound::FromFileError;
use serde::Deserialize;

use crate::score::STEMS;

/// File extensions tried, in order.
pub const EXTENSIONS: [&str; 3] = ["wav", "ogg", "flac"];

/// What went wrong with a sound.
#[derive(Debug, thiserror::Error)]
pub enum SoundError {
    /// A file is there but cannot be decoded.
    #[error("{path}: cannot decode it ({source}); use mono or stereo WAV, Ogg Vorbis or FLAC. That sound stays silent")]
    Decode {
        /// The file.
        path: PathBuf,
        /// kira's (symphonia's) reason.
        source: FromFileError,
    },
    /// An expected file (a stem, a stinger) is not there.
    #[error("{path}.{{wav,ogg,flac}}: missing; {what} stays silent (`showrunner assets sounds` makes the sample's)")]
    Missing {
        /// The path without extension.
        path: PathBuf,
        /// What it was for.
        what: String,
    },
    /// A cue names a sound the library does not have.
    #[error(
        "{cue}: no sound `{name}` (add {dir}/{name}.wav; known: {known}); that cue stays silent"
    )]
    UnknownSfx {
        /// The sound's name.
        name: String,
        /// Where the cue is (story file and knot).
        cue: String,
        /// Where sfx live.
        dir: String,
        /// The names there are.
        known: String,
    },
    /// `score.json` is unreadable.
    #[error("{path}: {message}; the score plays at {bpm} bpm")]
    Score {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
        /// The tempo used instead.
        bpm: f64,
    },
    /// kira ran out of room (tracks, sounds).
    #[error("audio: {0}")]
    Limit(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoreFile {
    bpm: f64,
}

/// Decoded sounds, by role and name.
#[derive(Default)]
pub struct SoundLibrary {
    /// Where it was loaded from.
    pub root: PathBuf,
    /// Beats per minute of the stems (the clock stingers are quantised to).
    pub bpm: f64,
    /// The stems, in [`STEMS`] order.
    pub stems: [Option<StaticSoundData>; 4],
    /// Stingers by name (`divert`, `ending`).
    pub stingers: BTreeMap<String, StaticSoundData>,
    /// Sound effects by name.
    pub sfx: BTreeMap<String, StaticSoundData>,
}

/// The tempo when `score.json` is absent.
pub const DEFAULT_BPM: f64 = 96.0;

fn find(base: &Path) -> Option<PathBuf> {
    EXTENSIONS
        .iter()
        .map(|e| base.with_extension(e))
        .find(|p| showrunner_package::is_file(p))
}

fn decode(path: &Path) -> Result<StaticSoundData, SoundError> {
    let bytes = showrunner_package::read(path).map_err(|source| SoundError::Decode {
        path: path.to_owned(),
        source: FromFileError::IoError(source),
    })?;
    StaticSoundData::from_cursor(std::io::Cursor::new(bytes)).map_err(|source| SoundError::Decode {
        path: path.to_owned(),
        source,
    })
}

impl SoundLibrary {
    /// An empty library: everything silent.
    pub fn empty() -> Self {
        Self {
            bpm: DEFAULT_BPM,
            ..Self::default()
        }
    }

    /// Loads `root`; returns the library and an error for every file that
    /// is missing or broken (each names its file).
    pub fn load(root: &Path) -> (Self, Vec<SoundError>) {
        let mut lib = Self {
            root: root.to_owned(),
            ..Self::empty()
        };
        let mut errors = Vec::new();
        let score = root.join("score.json");
        if showrunner_package::is_file(&score) {
            match showrunner_package::read_to_string(&score)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::from_str::<ScoreFile>(&t).map_err(|e| e.to_string()))
            {
                Ok(s) if s.bpm.is_finite() && (30.0..=300.0).contains(&s.bpm) => lib.bpm = s.bpm,
                Ok(s) => errors.push(SoundError::Score {
                    path: score,
                    message: format!("bpm {} is not within 30..=300", s.bpm),
                    bpm: DEFAULT_BPM,
                }),
                Err(message) => errors.push(SoundError::Score {
                    path: score,
                    message,
                    bpm: DEFAULT_BPM,
                }),
            }
        }
        for (i, name) in STEMS.iter().enumerate() {
            let base = root.join("stems").join(name);
            match find(&base) {
                Some(p) => match decode(&p) {
                    Ok(d) => lib.stems[i] = Some(d),
                    Err(e) => errors.push(e),
                },
                None => errors.push(SoundError::Missing {
                    path: base,
                    what: format!("the score's {name} stem"),
                }),
            }
        }
        for (dir, map) in [("stingers", &mut lib.stingers), ("sfx", &mut lib.sfx)] {
            let Ok(paths) = showrunner_package::list(&root.join(dir)) else {
                continue;
            };
            for p in paths {
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                if !EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) {
                    continue;
                }
                if map.contains_key(stem) {
                    continue; // .wav wins over .ogg over .flac (sorted order aside)
                }
                match decode(&p) {
                    Ok(d) => {
                        map.insert(stem.to_owned(), d);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        if showrunner_package::is_dir(root) {
            for name in ["divert", "ending"] {
                if !lib.stingers.contains_key(name) {
                    errors.push(SoundError::Missing {
                        path: root.join("stingers").join(name),
                        what: format!("the `{name}` stinger"),
                    });
                }
            }
        }
        (lib, errors)
    }

    /// The error for a cue that names a sound not in the library.
    pub fn unknown(&self, name: &str, cue: &str) -> SoundError {
        let known: Vec<&str> = self.sfx.keys().map(String::as_str).collect();
        SoundError::UnknownSfx {
            name: name.to_owned(),
            cue: cue.to_owned(),
            dir: self.root.join("sfx").display().to_string(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_and_missing_files_are_named_and_the_rest_loads() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sfx")).unwrap();
        std::fs::create_dir_all(root.join("stems")).unwrap();
        std::fs::write(
            root.join("sfx/click.wav"),
            crate::synth::wav_bytes(1, &[0.0, 0.5, -0.5, 0.0]),
        )
        .unwrap();
        std::fs::write(root.join("sfx/broken.wav"), b"RIFF\x10\0\0\0WAVEjunk").unwrap();
        std::fs::write(root.join("stems/pad.ogg"), b"OggS but not really").unwrap();
        std::fs::write(root.join("score.json"), b"{\"bpm\": \"fast\"}").unwrap();
        let (lib, errors) = SoundLibrary::load(root);
        assert!(lib.sfx.contains_key("click"));
        assert!(!lib.sfx.contains_key("broken"));
        assert_eq!(lib.bpm, DEFAULT_BPM);
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        let has = |needle: &str| text.iter().any(|t| t.contains(needle));
        assert!(has("sfx/broken.wav: cannot decode"), "{text:#?}");
        assert!(has("stems/pad.ogg: cannot decode"), "{text:#?}");
        assert!(has("stems/pulse.{wav,ogg,flac}: missing"), "{text:#?}");
        assert!(has("score.json"), "{text:#?}");
        assert!(has("`divert` stinger"), "{text:#?}");
        let e = lib
            .unknown("gull", "lighthouse.ink, knot `cliff`")
            .to_string();
        assert!(
            e.contains("lighthouse.ink, knot `cliff`: no sound `gull`"),
            "{e}"
        );
        assert!(e.contains("known: click"), "{e}");
    }
}
