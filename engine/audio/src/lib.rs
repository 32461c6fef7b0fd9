//! The adaptive score and spatial sound, on [`kira`] 0.12.
//!
//! - **Score**: layered stems ([`score::STEMS`]: pad, pulse, percussion,
//!   tension) loop in step on a kira clock at the score's tempo; their
//!   volumes and the music bus's low-pass follow the director's intensity and
//!   the viewer's engagement ([`score::score_mix`]) through tweens.
//! - **Stingers** on high-stakes diverts and endings start on the score's
//!   next beat (a kira [`ClockTime`]).
//! - **Emitters**: every character and prop in the scene gets a spatial
//!   track that follows its [`Transform`]; the listener is the viewer's head.
//!   Props landing (rapier collision events, [`Impact`]) thud where they
//!   land, walking characters step, and `sfx: NAME@ACTOR` sounds from the
//!   actor.
//! - **Outputs**: the sound card (cpal, feature `device`), a silent mixer when
//!   there is none (the film plays on with one warning), or
//!   [`backend::CaptureBackend`] for offline soundtracks and tests.
//!
//! Hotham-style: [`AudioContext`] wraps kira's state; [`audio_system`] is a
//! plain function run once a frame after physics. It only writes kira
//! handles (lock-free, latest-value slots), never blocks and, once every
//! entity has its emitter, never allocates. Sounds are decoded before the
//! film starts ([`library::SoundLibrary::load`]).

pub mod backend;
pub mod library;
pub mod score;
pub mod synth;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use glam::{Quat, Vec3};
use kira::backend::Backend;
use kira::clock::{ClockHandle, ClockSpeed, ClockTime};
use kira::effect::compressor::CompressorBuilder;
use kira::effect::filter::{FilterBuilder, FilterHandle};
use kira::listener::ListenerHandle;
use kira::sound::static_sound::StaticSoundData;
use kira::track::{
    MainTrackBuilder, SpatialTrackBuilder, SpatialTrackHandle, TrackBuilder, TrackHandle,
};
use kira::{AudioManager, AudioManagerSettings, Capacities, Decibels, Easing, StartTime, Tween};
use showrunner_core::EngagementSample;
use showrunner_scene::components::{Character, Pose, Prop, Transform};
use showrunner_scene::hecs::{Entity, World};
use showrunner_scene::physics::Impact;

pub use backend::{CaptureBackend, SAMPLE_RATE};
pub use library::{SoundError, SoundLibrary};
pub use score::{score_mix, MixTarget, STEMS};

/// Where the mix goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The system's default sound card; silent (with a warning) when there is
    /// none or the crate was built without the `device` feature.
    Device,
    /// Nowhere: mixed on a background thread and discarded.
    Silent,
    /// Into buffers the caller pulls with [`AudioContext::render`].
    Capture,
}

enum Manager {
    #[cfg(feature = "device")]
    Device(AudioManager<kira::backend::cpal::CpalBackend>),
    Null(AudioManager<backend::NullBackend>),
    Capture(AudioManager<CaptureBackend>),
}

macro_rules! with_manager {
    ($m:expr, $x:ident => $e:expr) => {
        match $m {
            #[cfg(feature = "device")]
            Manager::Device($x) => $e,
            Manager::Null($x) => $e,
            Manager::Capture($x) => $e,
        }
    };
}

/// On Linux, why there is certainly no sound output: no ALSA card and no
/// sound server (PipeWire, PulseAudio) to route to one. Asking ALSA anyway
/// works too, but it prints a page of errors; this keeps it to one warning.
#[cfg(feature = "device")]
fn no_sound_card() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    // No /proc/asound at all: the kernel has no sound driver loaded.
    let cards = match std::fs::read_to_string("/proc/asound/cards") {
        Ok(c) => c,
        Err(_) if std::path::Path::new("/proc/self").exists() => "--- no soundcards ---".into(),
        Err(_) => return None,
    };
    if !cards.contains("no soundcards") {
        return None;
    }
    let server = std::env::var_os("PULSE_SERVER").is_some()
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| {
            let d = std::path::Path::new(&d);
            d.join("pipewire-0").exists() || d.join("pulse/native").exists()
        });
    (!server).then(|| "the kernel lists no sound card and no sound server is running".into())
}

/// Most spatial emitters at once (characters and props).
pub const MAX_EMITTERS: usize = 192;

fn settings<B: Backend>(backend_settings: B::Settings) -> AudioManagerSettings<B> {
    AudioManagerSettings {
        capacities: Capacities {
            // Emitters, stems and buses, with room for deferred removals.
            sub_track_capacity: MAX_EMITTERS + 64,
            ..Capacities::default()
        },
        // A gentle bus compressor keeps stingers and effects over the score
        // from clipping: 4:1 above −8 dBFS, 5 ms attack, 150 ms release.
        main_track_builder: MainTrackBuilder::new().with_effect(
            CompressorBuilder::new()
                .threshold(-8.0)
                .ratio(4.0)
                .attack_duration(Duration::from_millis(5))
                .release_duration(Duration::from_millis(150)),
        ),
        internal_buffer_size: 128,
        backend_settings,
    }
}

/// What the frame tells the sound.
#[derive(Debug, Clone, Copy)]
pub struct AudioFrame {
    /// Seconds since the last frame.
    pub dt: f32,
    /// The viewer's head: position and orientation in stage space (−z forward, +x right).
    pub head: (Vec3, Quat),
    /// The director's intensity, 0..=1.
    pub intensity: f32,
    /// The engagement sample the director last saw.
    pub engagement: EngagementSample,
}

struct Emitter {
    track: SpatialTrackHandle,
    position: Vec3,
    stride_step: i64,
    last_hit_s: f64,
    /// Until when (audio time, s) a sound it started may still be playing.
    busy_until: f64,
    /// Paused while silent: kira skips a paused track's mixing and
    /// spatialisation, so idle characters and props cost the mixer nothing.
    paused: bool,
}

/// How long an emitter stays awake after its last sound should have ended:
/// covers kira's start latency and the frame clock running ahead of the mixer.
const EMITTER_LINGER_S: f64 = 0.25;

impl Emitter {
    /// Plays `data` from this emitter, waking it first.
    fn play(&mut self, data: StaticSoundData, now: f64) -> Result<(), SoundError> {
        if self.paused {
            // It kept its last position while asleep; start the sound where the entity is.
            self.track.set_position(mint3(self.position), tween(0.0));
            self.track.resume(tween(0.0));
            self.paused = false;
        }
        self.busy_until = self
            .busy_until
            .max(now + data.duration().as_secs_f64() + EMITTER_LINGER_S);
        self.track.play(data).map(|_| ()).map_err(limit)
    }

    /// Puts the emitter to sleep once its sounds are over.
    fn sleep_if_idle(&mut self, now: f64) {
        if !self.paused && now > self.busy_until {
            self.track.pause(tween(0.0));
            self.paused = true;
        }
    }
}

/// Counters, for the overlay and the tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AudioStats {
    /// Emitters alive now.
    pub emitters: usize,
    /// Of those, the ones awake (playing or just finished); the rest sleep
    /// and cost the mixer nothing.
    pub awake: usize,
    /// Sound effects started (cues, impacts, steps).
    pub effects: u64,
    /// Stingers scheduled.
    pub stingers: u64,
    /// Impacts heard.
    pub impacts: u64,
}

/// kira's state: the manager, the score's tracks and clock, the listener and
/// one spatial track per sounding entity.
pub struct AudioContext {
    manager: Manager,
    library: SoundLibrary,
    listener: ListenerHandle,
    clock: ClockHandle,
    music: TrackHandle,
    filter: FilterHandle,
    stems: [Option<TrackHandle>; 4],
    stingers: TrackHandle,
    effects: TrackHandle,
    emitters: HashMap<Entity, Emitter>,
    sent: Option<MixTarget>,
    errors: Vec<SoundError>,
    reported: BTreeSet<String>,
    time_s: f64,
    stats: AudioStats,
}

fn limit(e: impl std::fmt::Display) -> SoundError {
    SoundError::Limit(e.to_string())
}

fn tween(seconds: f32) -> Tween {
    Tween {
        start_time: StartTime::Immediate,
        duration: Duration::from_secs_f32(seconds.max(0.0)),
        easing: Easing::Linear,
    }
}

/// How long score levels take to follow a change: slow enough to breathe,
/// quick enough to land with the beat it belongs to.
pub const SCORE_GLIDE_S: f32 = 1.5;

fn mint3(v: Vec3) -> mint::Vector3<f32> {
    mint::Vector3 {
        x: v.x,
        y: v.y,
        z: v.z,
    }
}

fn mintq(q: Quat) -> mint::Quaternion<f32> {
    mint::Quaternion {
        v: mint::Vector3 {
            x: q.x,
            y: q.y,
            z: q.z,
        },
        s: q.w,
    }
}

impl AudioContext {
    /// Opens `output` and starts the score. The warning says why the film is
    /// silent when a sound card was asked for and none could be opened.
    pub fn new(
        library: SoundLibrary,
        output: Output,
    ) -> Result<(Self, Option<String>), SoundError> {
        let mut warning = None;
        let mut manager = match output {
            Output::Capture => Manager::Capture(AudioManager::new(settings(())).map_err(limit)?),
            Output::Silent => Manager::Null(AudioManager::new(settings(())).map_err(limit)?),
            Output::Device => {
                #[cfg(feature = "device")]
                let device = match no_sound_card() {
                    Some(why) => Err(why),
                    None => AudioManager::<kira::backend::cpal::CpalBackend>::new(settings(
                        Default::default(),
                    ))
                    .map(Manager::Device)
                    .map_err(|e| e.to_string()),
                };
                #[cfg(not(feature = "device"))]
                let device: Result<Manager, String> =
                    Err("built without the `device` feature".into());
                match device {
                    Ok(m) => m,
                    Err(why) => {
                        warning = Some(format!("no audio device ({why}); the film plays silent"));
                        Manager::Null(AudioManager::new(settings(())).map_err(limit)?)
                    }
                }
            }
        };
        let bpm = library.bpm;
        let (listener, mut clock, mut music, filter, stingers, effects) = with_manager!(&mut manager, m => {
            let listener = m.add_listener(mint3(Vec3::ZERO), mintq(Quat::IDENTITY)).map_err(limit)?;
            let clock = m.add_clock(ClockSpeed::TicksPerMinute(bpm)).map_err(limit)?;
            let mut builder = TrackBuilder::new().sub_track_capacity(8).sound_capacity(4);
            let filter = builder.add_effect(FilterBuilder::new().cutoff(18_000.0));
            let music = m.add_sub_track(builder).map_err(limit)?;
            let stingers = m.add_sub_track(TrackBuilder::new().sound_capacity(16).sub_track_capacity(0)).map_err(limit)?;
            let effects = m.add_sub_track(TrackBuilder::new().sound_capacity(32).sub_track_capacity(0)).map_err(limit)?;
            (listener, clock, music, filter, stingers, effects)
        });
        let mut errors = Vec::new();
        let mut reported = BTreeSet::new();
        if showrunner_package::is_dir(&library.root) {
            // Loading already named the missing stingers; say it once.
            for name in ["divert", "ending"] {
                if !library.stingers.contains_key(name) {
                    reported.insert(format!("stinger {name}"));
                }
            }
        }
        let initial = score_mix(0.3, &EngagementSample::neutral(0.0));
        let mut stems: [Option<TrackHandle>; 4] = Default::default();
        for (i, data) in library.stems.iter().enumerate() {
            let Some(data) = data else { continue };
            let track = music.add_sub_track(
                TrackBuilder::new()
                    .volume(initial.stem_db[i])
                    .sound_capacity(2)
                    .sub_track_capacity(0),
            );
            let mut track = match track {
                Ok(t) => t,
                Err(e) => {
                    errors.push(limit(e));
                    continue;
                }
            };
            // Every stem starts on tick 0 and loops whole bars: they stay in step.
            let start = ClockTime {
                clock: clock.id(),
                ticks: 0,
                fraction: 0.0,
            };
            if let Err(e) = track.play(data.start_time(start).loop_region(..)) {
                errors.push(limit(e));
            }
            stems[i] = Some(track);
        }
        clock.start();
        Ok((
            Self {
                manager,
                library,
                listener,
                clock,
                music,
                filter,
                stems,
                stingers,
                effects,
                emitters: HashMap::with_capacity(MAX_EMITTERS),
                sent: None,
                errors,
                reported,
                time_s: 0.0,
                stats: AudioStats::default(),
            },
            warning,
        ))
    }

    /// Whether a sound card is playing the mix.
    pub fn is_audible(&self) -> bool {
        match &self.manager {
            #[cfg(feature = "device")]
            Manager::Device(_) => true,
            _ => false,
        }
    }

    /// The library in use.
    pub fn library(&self) -> &SoundLibrary {
        &self.library
    }

    /// Counters.
    pub fn stats(&self) -> AudioStats {
        AudioStats {
            emitters: self.emitters.len(),
            awake: self.emitters.values().filter(|e| !e.paused).count(),
            ..self.stats
        }
    }

    /// The score's clock: (beats, fraction of a beat).
    pub fn beat(&self) -> (u64, f64) {
        let t = self.clock.time();
        (t.ticks, t.fraction)
    }

    /// Errors since the last call (each names its file or cue); print them.
    pub fn take_errors(&mut self) -> Vec<SoundError> {
        std::mem::take(&mut self.errors)
    }

    fn report(&mut self, key: String, e: SoundError) {
        if self.reported.insert(key) {
            self.errors.push(e);
        }
    }

    /// With [`Output::Capture`], renders the next `out.len() / 2` stereo
    /// frames at [`SAMPLE_RATE`] into `out`; false (and `out` untouched) otherwise.
    pub fn render(&mut self, out: &mut [f32]) -> bool {
        match &mut self.manager {
            Manager::Capture(m) => {
                m.backend_mut().render(out);
                true
            }
            _ => false,
        }
    }

    /// Plays the stinger `name` on the score's next beat (the one after, if
    /// the next is less than a quarter beat away, so it is never late).
    /// Returns the beat it lands on; `None` (and an error) when there is no
    /// such stinger.
    pub fn stinger(&mut self, name: &str) -> Option<u64> {
        let Some(data) = self.library.stingers.get(name).cloned() else {
            let e = SoundError::Missing {
                path: self.library.root.join("stingers").join(name),
                what: format!("the `{name}` stinger"),
            };
            self.report(format!("stinger {name}"), e);
            return None;
        };
        let t = self.clock.time();
        let ticks = t.ticks + if t.fraction > 0.75 { 2 } else { 1 };
        let at = ClockTime {
            clock: t.clock,
            ticks,
            fraction: 0.0,
        };
        match self.stingers.play(data.start_time(at)) {
            Ok(_) => {
                self.stats.stingers += 1;
                Some(ticks)
            }
            Err(e) => {
                self.report("limit stingers".into(), limit(e));
                None
            }
        }
    }

    /// A `sfx:` cue: plays `name` around the viewer, or from the character
    /// `at` when they are on stage. `place` says where the cue is written
    /// (for the error when the sound is unknown).
    pub fn cue(&mut self, world: &World, name: &str, at: Option<&str>, place: &str) {
        let Some(data) = self.library.sfx.get(name).cloned() else {
            let e = self.library.unknown(name, place);
            self.report(format!("sfx {name}"), e);
            return;
        };
        let now = self.time_s;
        let entity = at.and_then(|id| {
            world
                .query::<(Entity, &Character)>()
                .iter()
                .find(|(_, c)| c.id == id)
                .map(|(e, _)| e)
        });
        let played = match entity.and_then(|e| self.emitter(world, e)) {
            Some(em) => em.play(data, now),
            None => self.effects.play(data).map(|_| ()).map_err(limit),
        };
        match played {
            Ok(()) => self.stats.effects += 1,
            Err(e) => self.report("limit effects".into(), e),
        }
    }

    /// The emitter of `e`, made on first use.
    fn emitter(&mut self, world: &World, e: Entity) -> Option<&mut Emitter> {
        if !self.emitters.contains_key(&e) {
            if self.emitters.len() >= MAX_EMITTERS {
                return None;
            }
            let position = world.get::<&Transform>(e).ok()?.translation;
            let listener = self.listener.id();
            let track = with_manager!(&mut self.manager, m => m.add_spatial_sub_track(
                listener,
                mint3(position),
                SpatialTrackBuilder::new()
                    .distances((1.0, 30.0))
                    .sound_capacity(8)
                    .sub_track_capacity(0),
            ));
            match track {
                Ok(mut track) => {
                    // Asleep until it has something to say.
                    track.pause(tween(0.0));
                    self.emitters.insert(
                        e,
                        Emitter {
                            track,
                            position,
                            stride_step: i64::MIN,
                            last_hit_s: f64::NEG_INFINITY,
                            busy_until: f64::NEG_INFINITY,
                            paused: true,
                        },
                    );
                }
                Err(err) => {
                    self.report("limit emitters".into(), limit(err));
                    return None;
                }
            }
        }
        self.emitters.get_mut(&e)
    }

    fn set_score(&mut self, target: MixTarget) {
        let glide = tween(SCORE_GLIDE_S);
        let last = self.sent;
        for (i, stem) in self.stems.iter_mut().enumerate() {
            let Some(stem) = stem else { continue };
            if last.is_none_or(|l| (l.stem_db[i] - target.stem_db[i]).abs() > 0.1) {
                stem.set_volume(Decibels(target.stem_db[i]), glide);
            }
        }
        if last.is_none_or(|l| (l.cutoff_hz / target.cutoff_hz - 1.0).abs() > 0.01) {
            self.filter.set_cutoff(target.cutoff_hz, glide);
        }
        if last.is_none_or(|l| (l.bus_db - target.bus_db).abs() > 0.1) {
            self.music.set_volume(Decibels(target.bus_db), glide);
        }
        // Remember what was sent per field, so small drifts still add up.
        let mut sent = last.unwrap_or(target);
        for i in 0..4 {
            if (sent.stem_db[i] - target.stem_db[i]).abs() > 0.1 {
                sent.stem_db[i] = target.stem_db[i];
            }
        }
        if (sent.cutoff_hz / target.cutoff_hz - 1.0).abs() > 0.01 {
            sent.cutoff_hz = target.cutoff_hz;
        }
        if (sent.bus_db - target.bus_db).abs() > 0.1 {
            sent.bus_db = target.bus_db;
        }
        sent.drive = target.drive;
        self.sent = Some(sent);
    }
}

/// Height of a character's voice and steps' emitter above their feet, metres.
const CHARACTER_EMITTER_Y: f32 = 1.0;
/// A prop makes at most one impact sound this often, seconds.
const IMPACT_DEBOUNCE_S: f64 = 0.12;

/// Once a frame, after physics: the listener follows the head, the score
/// follows the director and the viewer, emitters follow their entities,
/// walking characters step and landing props thud where they land.
pub fn audio_system(
    world: &World,
    audio: &mut AudioContext,
    frame: &AudioFrame,
    impacts: &[Impact],
) {
    audio.time_s += f64::from(frame.dt.max(0.0));
    let now = audio.time_s;
    // Positions glide over about a frame, so motion is smooth between frames.
    let follow = tween(frame.dt.clamp(0.005, 0.05));
    audio.listener.set_position(mint3(frame.head.0), follow);
    audio
        .listener
        .set_orientation(mintq(frame.head.1.normalize()), follow);
    audio.set_score(score_mix(frame.intensity, &frame.engagement));

    // Emitters follow characters and props; the departed lose theirs.
    audio.emitters.retain(|e, _| world.contains(*e));
    for em in audio.emitters.values_mut() {
        em.sleep_if_idle(now);
    }
    let footstep = audio.library.sfx.get("footstep").cloned();
    for (e, t, pose) in world
        .query::<(Entity, &Transform, &Pose)>()
        .with::<&Character>()
        .iter()
    {
        let position = t.translation + Vec3::Y * CHARACTER_EMITTER_Y;
        let step = (pose.stride_phase / std::f32::consts::PI).floor() as i64;
        let Some(em) = audio.emitter(world, e) else {
            continue;
        };
        if em.position.distance_squared(position) > 1e-6 {
            em.track.set_position(mint3(position), follow);
            em.position = position;
        }
        // A footfall each half stride cycle, once the walk is under way.
        let stepped = em.stride_step != i64::MIN && step != em.stride_step;
        em.stride_step = step;
        if stepped {
            if let Some(data) = &footstep {
                if em.play(data.clone().volume(-6.0), now).is_ok() {
                    audio.stats.effects += 1;
                }
            }
        }
    }
    for (e, t) in world.query::<(Entity, &Transform)>().with::<&Prop>().iter() {
        let Some(em) = audio.emitter(world, e) else {
            continue;
        };
        if em.position.distance_squared(t.translation) > 1e-6 {
            em.track.set_position(mint3(t.translation), follow);
            em.position = t.translation;
        }
    }
    // Props land where they land.
    if impacts.is_empty() {
        return;
    }
    let Some(thud) = audio.library.sfx.get("impact").cloned() else {
        return;
    };
    for hit in impacts {
        let volume = score::gain_db((hit.speed / 6.0).min(1.0)).max(-30.0);
        let data: StaticSoundData = thud.volume(volume);
        let played = match hit.entity.and_then(|e| audio.emitter(world, e)) {
            Some(em) if now - em.last_hit_s < IMPACT_DEBOUNCE_S => continue,
            Some(em) => {
                em.last_hit_s = now;
                // Sound from the contact, not where the emitter was a frame ago.
                em.track.set_position(mint3(hit.position), tween(0.0));
                em.position = hit.position;
                em.play(data, now).is_ok()
            }
            None => audio.effects.play(data).is_ok(),
        };
        if played {
            audio.stats.effects += 1;
            audio.stats.impacts += 1;
        }
    }
}

/// Sounds and scenes for tests and benchmarks: pure tones and clicks, so the
/// rendered mix can be measured.
#[doc(hidden)]
pub mod testing {
    use std::sync::Arc;

    use kira::sound::static_sound::{StaticSoundData, StaticSoundSettings};
    use kira::Frame;
    use showrunner_core::Fate;

    use super::*;

    /// A mono sine of `hz` lasting `seconds`, at [`SAMPLE_RATE`].
    pub fn tone(hz: f64, seconds: f64, amplitude: f32) -> StaticSoundData {
        let n = (seconds * f64::from(SAMPLE_RATE)).round() as usize;
        let frames: Arc<[Frame]> = (0..n)
            .map(|i| {
                let v = (std::f64::consts::TAU * hz * i as f64 / f64::from(SAMPLE_RATE)).sin();
                Frame::from_mono(v as f32 * amplitude)
            })
            .collect();
        StaticSoundData {
            sample_rate: SAMPLE_RATE,
            frames,
            settings: StaticSoundSettings::default(),
            slice: None,
        }
    }

    /// Stem test tones: pad 220 Hz, pulse 440, percussion 880, tension 1760.
    pub const STEM_HZ: [f64; 4] = [220.0, 440.0, 880.0, 1760.0];

    /// A library whose stems are pure tones (one 8-beat loop at 96 bpm), with
    /// a click stinger `divert`, a `tone` effect and an `impact`.
    pub fn tone_library() -> SoundLibrary {
        let mut lib = SoundLibrary::empty();
        let loop_s = 8.0 * 60.0 / lib.bpm;
        for (i, hz) in STEM_HZ.iter().enumerate() {
            lib.stems[i] = Some(tone(*hz, loop_s, 0.2));
        }
        lib.stingers
            .insert("divert".into(), tone(1000.0, 0.05, 0.5));
        lib.sfx.insert("tone".into(), tone(500.0, 4.0, 0.5));
        lib.sfx.insert("impact".into(), tone(150.0, 0.2, 0.5));
        lib
    }

    /// Spawns a character `id` standing at `at`.
    pub fn character(world: &mut World, id: &str, at: Vec3) -> Entity {
        world.spawn((
            Transform::at(at),
            Pose::default(),
            Character {
                id: id.into(),
                role: id.into(),
                fate: Fate::Alive,
                target: at,
                walk_speed: 1.2,
            },
        ))
    }

    /// Amplitude of the `hz` component of `x` (Goertzel).
    pub fn amplitude(x: &[f32], hz: f64) -> f64 {
        let w = std::f64::consts::TAU * hz / f64::from(SAMPLE_RATE);
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for v in x {
            let s = f64::from(*v) + 2.0 * w.cos() * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
        2.0 * power.sqrt() / x.len() as f64
    }

    /// Root mean square of one channel of an interleaved stereo buffer.
    pub fn rms(x: &[f32], channel: usize) -> f64 {
        let n = x.len() / 2;
        (x.iter()
            .skip(channel)
            .step_by(2)
            .map(|v| f64::from(*v).powi(2))
            .sum::<f64>()
            / n as f64)
            .sqrt()
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // stems are indexed by number, as in `STEMS`
mod tests {
    use super::testing::*;
    use super::*;

    const FRAME: usize = (SAMPLE_RATE / 60) as usize;

    fn capture(lib: SoundLibrary) -> AudioContext {
        AudioContext::new(lib, Output::Capture).unwrap().0
    }

    fn frame(intensity: f32, head: (Vec3, Quat)) -> AudioFrame {
        AudioFrame {
            dt: 1.0 / 60.0,
            head,
            intensity,
            engagement: EngagementSample::neutral(0.0),
        }
    }

    /// Runs `seconds` of 60 Hz frames; returns the interleaved stereo mix.
    fn run(audio: &mut AudioContext, world: &World, seconds: f64, f: AudioFrame) -> Vec<f32> {
        let frames = (seconds * 60.0).round() as usize;
        let mut out = vec![0.0f32; frames * FRAME * 2];
        for chunk in out.chunks_mut(FRAME * 2) {
            audio_system(world, audio, &f, &[]);
            assert!(audio.render(chunk));
        }
        out
    }

    fn left(x: &[f32]) -> Vec<f32> {
        x.iter().step_by(2).copied().collect()
    }

    #[test]
    fn stem_levels_in_the_mix_follow_a_scripted_engagement_curve() {
        let world = World::new();
        let mut audio = capture(tone_library());
        let head = (Vec3::ZERO, Quat::IDENTITY);
        // Calm, then the director raises the stakes, then a bored viewer at
        // middling intensity, then calm again.
        let mut levels = Vec::new();
        for (intensity, boredom) in [(0.1, 0.0), (0.95, 0.0), (0.45, 1.0), (0.1, 0.0)] {
            let f = AudioFrame {
                engagement: EngagementSample {
                    boredom,
                    quality: 1.0,
                    ..EngagementSample::neutral(0.0)
                },
                ..frame(intensity, head)
            };
            let mix = left(&run(&mut audio, &world, 4.0, f));
            // The last second, after the 1.5 s glide.
            let tail = &mix[mix.len() - SAMPLE_RATE as usize..];
            levels.push(STEM_HZ.map(|hz| amplitude(tail, hz)));
        }
        let [calm, high, bored, calm_again] = [levels[0], levels[1], levels[2], levels[3]];
        eprintln!("{levels:?}");
        // The pad carries the calm; the upper stems are silent.
        assert!(calm[0] > 0.05, "{calm:?}");
        for s in 1..4 {
            assert!(calm[s] < 0.005, "{} audible when calm: {calm:?}", STEMS[s]);
            assert!(
                high[s] > 0.05,
                "{} missing at high stakes: {high:?}",
                STEMS[s]
            );
            assert!(
                calm_again[s] < 0.005,
                "{} did not fall: {calm_again:?}",
                STEMS[s]
            );
        }
        // A bored viewer at middling intensity: the pulse and percussion tighten the score.
        assert!(bored[1] > 0.05 && bored[2] > 0.02, "{bored:?}");
        assert!(bored[3] < high[3], "{bored:?}");
    }

    #[test]
    fn levels_glide_rather_than_jump() {
        let world = World::new();
        let mut audio = capture(tone_library());
        let head = (Vec3::ZERO, Quat::IDENTITY);
        run(&mut audio, &world, 2.0, frame(0.1, head));
        let mix = left(&run(&mut audio, &world, 2.0, frame(0.95, head)));
        // The percussion stem, measured every 250 ms: it rises over the glide.
        let win = SAMPLE_RATE as usize / 4;
        let a: Vec<f64> = mix.chunks(win).map(|w| amplitude(w, STEM_HZ[2])).collect();
        // kira tweens volume in dB: a steady rise of ~40 dB/s over the 1.5 s glide.
        let db: Vec<f64> = a.iter().map(|v| 20.0 * v.max(1e-6).log10()).collect();
        for w in db.windows(2) {
            assert!(w[1] >= w[0] - 0.01 && w[1] - w[0] < 14.0, "no jump: {db:?}");
        }
        assert!(db[0] < db[5] - 30.0, "it rose: {db:?}");
    }

    #[test]
    fn an_emitter_on_the_left_is_louder_in_the_left_channel() {
        for (x, yaw, louder) in [
            (-3.0, 0.0, 0),
            (3.0, 0.0, 1),
            // Turn round: the same emitter is now on the right.
            (-3.0, std::f32::consts::PI, 1),
        ] {
            let mut world = World::new();
            character(&mut world, "ann", Vec3::new(x, 0.0, -1.0));
            let mut lib = tone_library();
            lib.stems = Default::default();
            let mut audio = capture(lib);
            let head = (Vec3::new(0.0, 1.0, 0.0), Quat::from_rotation_y(yaw));
            run(&mut audio, &world, 0.1, frame(0.0, head));
            audio.cue(&world, "tone", Some("ann"), "test");
            let mix = run(&mut audio, &world, 1.0, frame(0.0, head));
            let (l, r) = (rms(&mix, 0), rms(&mix, 1));
            let (loud, quiet) = if louder == 0 { (l, r) } else { (r, l) };
            assert!(loud > 0.02, "audible: {l} {r}");
            assert!(loud > 2.0 * quiet, "x {x}, yaw {yaw}: L {l:.4} R {r:.4}");
        }
    }

    #[test]
    fn distance_attenuates() {
        let mut rms_at = Vec::new();
        for z in [-2.0, -12.0] {
            let mut world = World::new();
            character(&mut world, "ann", Vec3::new(0.0, 0.0, z));
            let mut lib = tone_library();
            lib.stems = Default::default();
            let mut audio = capture(lib);
            let head = (Vec3::new(0.0, 1.0, 0.0), Quat::IDENTITY);
            run(&mut audio, &world, 0.1, frame(0.0, head));
            audio.cue(&world, "tone", Some("ann"), "test");
            let mix = run(&mut audio, &world, 1.0, frame(0.0, head));
            rms_at.push(rms(&mix, 0));
        }
        assert!(rms_at[1] < 0.7 * rms_at[0], "{rms_at:?}");
    }

    #[test]
    fn a_stinger_lands_on_a_beat_boundary() {
        let world = World::new();
        let mut lib = tone_library();
        lib.stems = Default::default();
        let mut audio = capture(lib);
        let head = (Vec3::ZERO, Quat::IDENTITY);
        let beat = 60.0 / audio.library().bpm;
        // Ask at 1.3 s: between beats 2 (1.25 s) and 3 (1.875 s).
        let before = run(&mut audio, &world, 1.3, frame(0.0, head));
        let asked = before.len() / 2;
        let k = audio.stinger("divert").expect("a stinger");
        assert_eq!(k, 3);
        let after = run(&mut audio, &world, 1.0, frame(0.0, head));
        let onset = after
            .chunks(2)
            .position(|f| f[0].abs() > 1e-3)
            .expect("the stinger sounds")
            + asked;
        let boundary = (k as f64 * beat * f64::from(SAMPLE_RATE)).round() as usize;
        // kira starts clocked sounds at its 128-frame (2.7 ms) processing chunks.
        assert!(
            onset.abs_diff(boundary) <= 128,
            "onset at frame {onset}, beat {k} at {boundary}"
        );
    }

    #[test]
    fn an_unknown_sfx_is_one_clear_error_and_the_rest_plays() {
        let mut world = World::new();
        character(&mut world, "ann", Vec3::new(0.0, 0.0, -2.0));
        let mut audio = capture(tone_library());
        audio.cue(&world, "gull", None, "lighthouse.ink, knot `landing`");
        audio.cue(
            &world,
            "gull",
            Some("ann"),
            "lighthouse.ink, knot `landing`",
        );
        let errors = audio.take_errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = errors[0].to_string();
        assert!(
            e.contains("lighthouse.ink, knot `landing`: no sound `gull`"),
            "{e}"
        );
        assert!(e.contains("known: impact, tone"), "{e}");
        audio.cue(&world, "tone", Some("nobody"), "x");
        assert!(audio.take_errors().is_empty());
        assert_eq!(audio.stats().effects, 1);
        assert!(audio.stinger("ending").is_none());
        assert!(audio.take_errors()[0]
            .to_string()
            .contains("`ending` stinger"));
    }

    #[test]
    fn ogg_and_flac_files_decode_resample_and_play() {
        // Creators' formats: Ogg Vorbis and FLAC, mono and stereo, at 22.05
        // and 44.1 kHz, resampled by kira to the mix's 48 kHz.
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sounds");
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sfx")).unwrap();
        for (from, to) in [
            ("tone440.ogg", "tone440_ogg.ogg"),
            ("tone440.flac", "tone440_flac.flac"),
            ("tone660_stereo.ogg", "tone660_stereo.ogg"),
        ] {
            std::fs::copy(fixtures.join(from), dir.path().join("sfx").join(to)).unwrap();
        }
        let (lib, errors) = SoundLibrary::load(dir.path());
        let names: Vec<&String> = lib.sfx.keys().collect();
        assert_eq!(
            names,
            ["tone440_flac", "tone440_ogg", "tone660_stereo"],
            "{errors:?}"
        );
        let world = World::new();
        let head = (Vec3::ZERO, Quat::IDENTITY);
        for (name, hz, other) in [
            ("tone440_ogg", 440.0, 660.0),
            ("tone440_flac", 440.0, 660.0),
            ("tone660_stereo", 660.0, 440.0),
        ] {
            let (lib, _) = SoundLibrary::load(dir.path());
            let mut audio = capture(lib);
            audio.cue(&world, name, None, "test");
            let mix = left(&run(&mut audio, &world, 0.4, frame(0.0, head)));
            // Skip kira's first processing chunk; measure 0.3 s of the tone.
            let tone = &mix[4800..4800 + 14_400];
            let (a, b) = (amplitude(tone, hz), amplitude(tone, other));
            assert!(
                a > 0.1 && a > 20.0 * b,
                "{name}: {hz} Hz {a:.4}, {other} Hz {b:.4}"
            );
        }
    }

    #[test]
    fn a_prop_falling_on_the_left_thuds_in_the_left_ear_when_it_lands() {
        use showrunner_scene::components::Material;
        use showrunner_scene::physics::{physics_system, spawn_prop, PhysicsContext};
        let mut world = World::new();
        let mut physics = PhysicsContext::new();
        spawn_prop(
            &mut world,
            &mut physics,
            "crate",
            Material::default(),
            Vec3::splat(0.25),
            Vec3::new(-3.0, 2.0, -1.0),
            Vec3::ZERO,
        );
        let mut lib = tone_library();
        lib.stems = Default::default();
        let mut audio = capture(lib);
        let f = frame(0.0, (Vec3::new(0.0, 1.2, 0.0), Quat::IDENTITY));
        // rapier → impacts → audio_system, 60 Hz for 1.5 s.
        let mut mix = Vec::new();
        let mut landed_at = None;
        let mut chunk = vec![0.0f32; FRAME * 2];
        for k in 0..90 {
            physics_system(&mut world, &mut physics, f.dt);
            if landed_at.is_none() && !physics.impacts().is_empty() {
                landed_at = Some(k);
            }
            audio_system(&world, &mut audio, &f, physics.impacts());
            assert!(audio.render(&mut chunk));
            mix.extend_from_slice(&chunk);
        }
        // Dropped 1.75 m: it lands after ~0.6 s, and only then is it heard.
        let k = landed_at.expect("rapier reported the landing");
        assert!((30..45).contains(&k), "landed on frame {k}");
        assert!(audio.stats().impacts >= 1);
        let before = &mix[..(k - 1) * FRAME * 2];
        assert!(rms(before, 0) < 1e-4, "silent before it lands");
        let after = &mix[k * FRAME * 2..];
        let (l, r) = (rms(after, 0), rms(after, 1));
        assert!(l > 0.01 && l > 2.0 * r, "L {l:.4} R {r:.4}");
    }

    #[test]
    fn idle_emitters_sleep_and_wake_where_their_entity_now_is() {
        let mut world = World::new();
        let ann = character(&mut world, "ann", Vec3::new(3.0, 0.0, -1.0));
        character(&mut world, "bo", Vec3::new(-3.0, 0.0, -1.0));
        let mut lib = tone_library();
        lib.stems = Default::default();
        let mut audio = capture(lib);
        let head = (Vec3::new(0.0, 1.0, 0.0), Quat::IDENTITY);
        run(&mut audio, &world, 0.1, frame(0.0, head));
        assert_eq!((audio.stats().emitters, audio.stats().awake), (2, 0));
        // Ann speaks from the right (a 0.2 s sound), then falls silent.
        audio.cue(&world, "impact", Some("ann"), "test");
        let mix = run(&mut audio, &world, 0.3, frame(0.0, head));
        assert!(rms(&mix, 1) > 2.0 * rms(&mix, 0));
        assert_eq!(audio.stats().awake, 1);
        run(&mut audio, &world, 0.5, frame(0.0, head));
        assert_eq!(audio.stats().awake, 0, "asleep once her sound is over");
        // She crosses to the left while asleep; her next sound comes from there.
        world.get::<&mut Transform>(ann).unwrap().translation = Vec3::new(-3.0, 0.0, -1.0);
        run(&mut audio, &world, 0.1, frame(0.0, head));
        audio.cue(&world, "impact", Some("ann"), "test");
        let mix = run(&mut audio, &world, 0.3, frame(0.0, head));
        let (l, r) = (rms(&mix, 0), rms(&mix, 1));
        assert!(l > 0.01 && l > 2.0 * r, "L {l:.4} R {r:.4}");
    }

    #[test]
    fn emitters_follow_entities_and_leave_with_them() {
        let mut world = World::new();
        let a = character(&mut world, "ann", Vec3::new(1.0, 0.0, -2.0));
        character(&mut world, "bo", Vec3::new(-1.0, 0.0, -2.0));
        let mut audio = capture(SoundLibrary::empty());
        let f = frame(0.3, (Vec3::ZERO, Quat::IDENTITY));
        audio_system(&world, &mut audio, &f, &[]);
        assert_eq!(audio.stats().emitters, 2);
        world.despawn(a).unwrap();
        audio_system(&world, &mut audio, &f, &[]);
        assert_eq!(audio.stats().emitters, 1);
    }

    #[test]
    fn walking_characters_step_and_impacts_thud_where_they_land() {
        let mut world = World::new();
        let mut lib = tone_library();
        lib.sfx.insert("footstep".into(), tone(300.0, 0.05, 0.3));
        let mut audio = capture(lib);
        let ann = character(&mut world, "ann", Vec3::new(0.0, 0.0, -2.0));
        let f = frame(0.3, (Vec3::ZERO, Quat::IDENTITY));
        audio_system(&world, &mut audio, &f, &[]);
        // Half a stride cycle is one footfall.
        world.get::<&mut Pose>(ann).unwrap().stride_phase = 3.3;
        audio_system(&world, &mut audio, &f, &[]);
        assert_eq!(audio.stats().effects, 1);
        let hit = Impact {
            entity: Some(ann),
            position: Vec3::new(0.5, 0.1, -2.0),
            speed: 5.0,
        };
        audio_system(&world, &mut audio, &f, &[hit, hit]);
        assert_eq!(audio.stats().impacts, 1, "debounced");
    }
}
