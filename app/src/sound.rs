//! The sound stage of the live loops (desktop and headset): after physics,
//! each frame hands the audio system the head pose, the director's readout,
//! the beat's `sfx:` cues and the props' impacts. Sounds are decoded once,
//! here, before the film starts; the frame only writes kira handles.

use std::path::Path;

use showrunner_audio::{audio_system, AudioContext, AudioFrame, Output, SoundLibrary};
use showrunner_core::Directive;
use showrunner_scene::glam::{Quat, Vec3};
use showrunner_scene::hecs::World;
use showrunner_scene::physics::Impact;

use showrunner_show::Readout;

/// Where the sample's sounds live.
pub const SOUNDS: &str = "assets/sounds";

/// The audio context plus what the loop needs to cue it.
pub struct SoundStage {
    audio: AudioContext,
    story: String,
    diverts: u64,
}

impl SoundStage {
    /// Loads `sounds` and opens the sound card; prints every problem (a
    /// missing or broken file, no audio device) once, and goes on.
    pub fn open(sounds: &Path, story: &str, output: Output) -> Option<Self> {
        let (library, errors) = SoundLibrary::load(sounds);
        for e in errors {
            eprintln!("showrunner: warning: {e}");
        }
        match AudioContext::new(library, output) {
            Ok((audio, warning)) => {
                if let Some(w) = warning {
                    eprintln!("showrunner: warning: {w}");
                }
                Some(Self {
                    audio,
                    story: story.to_owned(),
                    diverts: 0,
                })
            }
            Err(e) => {
                eprintln!("showrunner: warning: {e}; the film plays silent");
                None
            }
        }
    }

    /// One frame: cues of the beat just staged, stingers, then the system.
    pub fn frame(
        &mut self,
        world: &World,
        staged: &[Directive],
        readout: &Readout,
        head: (Vec3, Quat),
        dt: f32,
        impacts: &[Impact],
    ) {
        for d in staged {
            match d {
                Directive::Sfx { name, at } => {
                    let place = format!("{}, knot `{}`", self.story, readout.knot);
                    self.audio.cue(world, name, at.as_deref(), &place);
                }
                Directive::Ending(_) => {
                    self.audio.stinger("ending");
                }
                _ => {}
            }
        }
        if readout.diverts > self.diverts {
            self.diverts = readout.diverts;
            self.audio.stinger("divert");
        }
        let frame = AudioFrame {
            dt,
            head,
            intensity: readout.intensity,
            engagement: readout.sample,
        };
        audio_system(world, &mut self.audio, &frame, impacts);
        for e in self.audio.take_errors() {
            eprintln!("showrunner: warning: {e}");
        }
    }
}

/// `check`'s extra look at sounds: every `sfx: NAME` tag in the ink file
/// `path` whose `NAME` has no file in `sounds/sfx/` (a warning: the film
/// would play that cue silent).
pub fn sfx_diagnostics(path: &Path, sounds: &Path) -> Vec<showrunner_story::Diagnostic> {
    use showrunner_story::{Diagnostic, Place, Severity};
    let Ok(text) = showrunner_package::read_to_string(path) else {
        return Vec::new();
    };
    if !showrunner_package::is_dir(sounds) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (line, d) in showrunner_story::source_directives(&text) {
        let Directive::Sfx { name, .. } = d else {
            continue;
        };
        let base = sounds.join("sfx").join(&name);
        if showrunner_audio::library::EXTENSIONS
            .iter()
            .any(|e| showrunner_package::is_file(&base.with_extension(e)))
        {
            continue;
        }
        out.push(Diagnostic {
            severity: Severity::Warning,
            place: Place::Line {
                file: path.display().to_string(),
                line,
            },
            message: format!(
                "sfx `{name}`: no {}.wav (.ogg, .flac); the cue would play silent",
                base.display()
            ),
        });
    }
    out
}
