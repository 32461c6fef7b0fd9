//! The headset's front door: the APK's native activity (android-activity's `NativeActivity`,
//! no Java of our own for it) plays the film in the headset, through the same front end as
//! `showrunner play --xr` on a desktop.
//!
//! Before the film, [`android_main`] points the app at what Android gives it:
//! - its files: `assets/...` are read from the APK ([`ApkAssets`]);
//! - its storage: saves, session logs and the festival's pairing go to the app's internal
//!   storage (`SHOWRUNNER_STATE_DIR`, and the working folder);
//! - OpenXR: the loader and the instance are made with the process's `JavaVM` and the activity;
//! - Bluetooth: btleplug's Java side (packed into the APK, `android/`) is found through the
//!   app's class loader;
//! - its voice: stdout and stderr go to logcat, tag `showrunner`;
//! - the system: runtime permissions and the activity's life ([`Activity`]).
//!
//! Then it runs `showrunner play --xr --heart ble`, with any further arguments a developer put
//! in `files/showrunner.args` (one a line; e.g. `--festival mqtt://10.0.0.2:1883`).

use std::ffi::{c_char, c_int, CString};
use std::io::{self, BufRead, Read};
use std::time::Duration;

use android_activity::{AndroidApp, MainEvent, PollEvent};
use jni::objects::{JClassLoader, JObject, JString, JThread};
use jni::{jni_sig, jni_str, JValue, JavaVM};

use crate::platform::{Events, Grant, Permission, System};

/// The tag of the app's lines in logcat (`adb logcat -s showrunner`).
const TAG: &str = "showrunner";

/// The arguments a developer adds, in the app's internal storage (one a line).
const ARGS_FILE: &str = "showrunner.args";

/// Where the native activity starts: android-activity calls it on its own thread once the
/// activity is created, and the activity finishes when it returns.
#[no_mangle]
pub fn android_main(app: AndroidApp) {
    forward_stdio_to_logcat();
    let code = match prepare(&app) {
        Ok(args) => {
            println!("showrunner: {}", args.join(" "));
            crate::run_with_args(args)
        }
        Err(e) => {
            eprintln!("showrunner: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    };
    println!("showrunner: the film ended ({code:?}); closing the activity");
}

/// Points the app at the APK, its storage, the VM and Bluetooth; returns the command line.
fn prepare(app: &AndroidApp) -> anyhow::Result<Vec<String>> {
    let storage = app.internal_data_path().ok_or_else(|| {
        anyhow::anyhow!("Android gave the app no internal storage (Context.getFilesDir)")
    })?;
    std::fs::create_dir_all(&storage)?;
    std::env::set_current_dir(&storage)?;
    // Set before the threads that read them start (only the logcat thread runs, which reads
    // no variable): everything under the state folder is the app's private storage (mode 0600
    // files, deleted with the app).
    std::env::set_var("SHOWRUNNER_STATE_DIR", &storage);
    std::env::set_var("HOME", &storage);
    showrunner_package::install(ApkAssets(app.clone()))?;
    // SAFETY: the VM is the process's and the activity a global reference android-activity
    // keeps for the activity's life, which outlasts every OpenXR call (they all happen in
    // android_main, which returns before the activity goes).
    unsafe { showrunner_xr::use_android_activity(app.vm_as_ptr(), app.activity_as_ptr()) };
    let bluetooth = match start_bluetooth(app) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("showrunner: warning: Bluetooth cannot start ({e:#}); the film plays without a heart strap (is btleplug's Java packed in the APK? see android/README.md)");
            false
        }
    };
    crate::platform::install(Box::new(Activity {
        app: app.clone(),
        bluetooth,
    }));
    let extra = storage.join(ARGS_FILE);
    let extra: Vec<String> = match std::fs::read_to_string(&extra) {
        Ok(text) => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => anyhow::bail!("{}: cannot read ({e})", extra.display()),
    };
    Ok(crate::platform::headset_command_line(extra))
}

/// The APK's assets, as the app's package.
struct ApkAssets(AndroidApp);

impl showrunner_package::Package for ApkAssets {
    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        let name =
            CString::new(path).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let mut asset = self.0.asset_manager().open(&name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("not packed (no {path} in {})", self.describe()),
            )
        })?;
        let mut bytes = Vec::with_capacity(asset.length());
        asset.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let name = CString::new(dir).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let Some(entries) = self.0.asset_manager().open_dir(&name) else {
            return Ok(Vec::new());
        };
        // AAssetDir lists files only, as the trait asks.
        let mut names: Vec<String> = entries.filter_map(|n| n.into_string().ok()).collect();
        names.sort();
        Ok(names)
    }

    fn describe(&self) -> String {
        "the APK's assets".into()
    }
}

/// The process's Java VM.
fn vm(app: &AndroidApp) -> JavaVM {
    // SAFETY: android-activity's pointer is the process's JavaVM, valid for the process.
    unsafe { JavaVM::from_raw(app.vm_as_ptr().cast()) }
}

/// Runs `f` with the activity, on this thread (attached to the VM for good).
fn with_activity<T>(
    app: &AndroidApp,
    f: impl FnOnce(&mut jni::Env, &JObject) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let raw = app.activity_as_ptr() as jni::sys::jobject;
    vm(app).attach_current_thread(|env| -> anyhow::Result<T> {
        // SAFETY: `raw` is android-activity's global reference to the activity, valid while
        // it lives; the cast owns nothing, so the reference is not deleted here.
        let activity = unsafe { env.as_cast_raw::<JObject>(&raw)? };
        f(env, &activity)
    })
}

/// btleplug's Android side: its Java classes (packed into the APK) are found through the
/// app's class loader, which a native thread does not have; made this thread's, then init.
fn start_bluetooth(app: &AndroidApp) -> anyhow::Result<()> {
    with_activity(app, |env, activity| {
        let loader = env
            .call_method(
                activity,
                jni_str!("getClassLoader"),
                jni_sig!("()Ljava/lang/ClassLoader;"),
                &[],
            )?
            .l()?;
        let loader = env.cast_local::<JClassLoader>(loader)?;
        JThread::current_thread(env)?.set_context_class_loader(env, &loader)?;
        btleplug::platform::init(env)?;
        Ok(())
    })
}

/// Whether the system granted the permission `name` (`Context.checkSelfPermission`).
fn granted(app: &AndroidApp, name: &str) -> anyhow::Result<bool> {
    with_activity(app, |env, activity| {
        let name = env.new_string(name)?;
        let answer = env
            .call_method(
                activity,
                jni_str!("checkSelfPermission"),
                jni_sig!("(Ljava/lang/String;)I"),
                &[JValue::Object(&name)],
            )?
            .i()?;
        Ok(answer == 0) // PackageManager.PERMISSION_GRANTED
    })
}

/// Puts up the system's dialog for `names` (`Activity.requestPermissions`).
fn request(app: &AndroidApp, names: &[&str]) -> anyhow::Result<()> {
    with_activity(app, |env, activity| {
        let len = i32::try_from(names.len())?;
        let array = env.new_object_array(len, jni_str!("java/lang/String"), JObject::null())?;
        for (i, name) in names.iter().enumerate() {
            let name: JString = env.new_string(name)?;
            array.set_element(env, i, &name)?;
        }
        env.call_method(
            activity,
            jni_str!("requestPermissions"),
            jni_sig!("([Ljava/lang/String;I)V"),
            &[JValue::Object(&array), JValue::Int(1)],
        )?;
        Ok(())
    })
}

/// The activity, as the system the film asks for permissions and watches for its life.
struct Activity {
    app: AndroidApp,
    /// btleplug started (without it no strap can be read, whatever the permission).
    bluetooth: bool,
}

impl System for Activity {
    fn asks(&self) -> bool {
        true
    }

    fn granted(&mut self, p: Permission) -> bool {
        if p == Permission::Bluetooth && !self.bluetooth {
            return false;
        }
        let each: Vec<bool> = p
            .android_names()
            .iter()
            .map(|n| granted(&self.app, n).unwrap_or(false))
            .collect();
        p.enough(&each)
    }

    fn ask(&mut self, p: Permission) -> Grant {
        if p == Permission::Bluetooth && !self.bluetooth {
            return Grant::Refused;
        }
        // requestPermissions belongs on the activity's own (Java main) thread.
        let app = self.app.clone();
        self.app.run_on_java_main_thread(Box::new(move || {
            if let Err(e) = request(&app, p.android_names()) {
                eprintln!("showrunner: warning: cannot ask for {p:?} ({e:#})");
            }
        }));
        println!("permission: asking the headset for {p:?}");
        Grant::Asking
    }

    fn events(&mut self) -> Events {
        let mut events = Events::default();
        self.app.poll_events(Some(Duration::ZERO), |event| {
            if let PollEvent::Main(main) = event {
                match main {
                    // The system's dialog took the focus (or paused the activity) and gave
                    // it back: the viewer answered.
                    MainEvent::Resume { .. } | MainEvent::GainedFocus => events.resumed = true,
                    MainEvent::Destroy => events.destroyed = true,
                    _ => {}
                }
            }
        });
        events
    }
}

#[link(name = "log")]
extern "C" {
    fn __android_log_write(prio: c_int, tag: *const c_char, text: *const c_char) -> c_int;
}

/// Android's log priority INFO.
const ANDROID_LOG_INFO: c_int = 4;

/// Sends what the app prints (stdout and stderr) to logcat, a line at a time, from a thread of
/// its own: a native activity's stdout goes nowhere otherwise.
fn forward_stdio_to_logcat() {
    let mut fds = [0 as c_int; 2];
    // SAFETY: pipe() writes two descriptors into the two-element array.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return;
    }
    // SAFETY: dup2 onto the process's stdout and stderr; the pipe's write end stays open.
    unsafe {
        libc::dup2(fds[1], 1);
        libc::dup2(fds[1], 2);
    }
    // SAFETY: the read end is ours alone from here on, owned by the File.
    let read = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[0]) };
    let tag = CString::new(TAG).unwrap_or_default();
    let _ = std::thread::Builder::new()
        .name("logcat".into())
        .spawn(move || {
            for line in io::BufReader::new(read).lines() {
                let Ok(line) = line else { break };
                let Ok(text) = CString::new(line) else {
                    continue;
                };
                // SAFETY: two NUL-terminated strings that outlive the call.
                unsafe { __android_log_write(ANDROID_LOG_INFO, tag.as_ptr(), text.as_ptr()) };
            }
        });
}
