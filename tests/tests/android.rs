//! The headset's package, as far as a machine without the Android SDK can check it: the
//! manifest compiled by Debian's `aapt` against Android's framework resources (API 29) and read
//! back, the Gradle files, and `android/build.sh` saying what this machine lacks. (The APK
//! itself is built where the SDK and NDK are: docs/quest.md.)
//!
//! `aapt` knows the attributes of API 29: `usesPermissionFlags` (API 31) is unknown to it, so
//! the manifest is compiled without that one attribute (whose presence on BLUETOOTH_SCAN is
//! checked in the source), and AGP's `package` attribute (from `namespace`) is added as AGP
//! adds it. Needs `aapt` and `android-framework-res` (scripts/setup.sh --tests installs them).

use showrunner_tests::repo;
use std::path::{Path, PathBuf};
use std::process::Command;

const FRAMEWORK: &str = "/usr/share/android-framework-res/framework-res.apk";

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `key VALUE` in app/build.gradle.
fn gradle_value(gradle: &str, key: &str) -> String {
    gradle
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("app/build.gradle sets no {key}"))
        .trim_matches(['\'', '"'])
        .to_owned()
}

/// The manifest compiled by aapt into a resource-only APK; returns its path.
fn compile_manifest(dir: &Path, min_sdk: &str, target_sdk: &str) -> PathBuf {
    assert!(
        Path::new(FRAMEWORK).is_file() && Command::new("aapt").arg("version").output().is_ok(),
        "needs Debian's aapt and android-framework-res: `apt install aapt android-framework-res` (scripts/setup.sh --tests)"
    );
    let source = read("android/app/src/main/AndroidManifest.xml");
    let api29 = source
        .replacen("<manifest ", "<manifest package=\"org.showrunner.app\" ", 1)
        .replace(" android:usesPermissionFlags=\"neverForLocation\"", "");
    let manifest_dir = dir.join("manifest");
    std::fs::create_dir_all(&manifest_dir).unwrap();
    std::fs::write(manifest_dir.join("AndroidManifest.xml"), api29).unwrap();
    let apk = dir.join("manifest.apk");
    let o = Command::new("aapt")
        .args(["package", "-f", "-M"])
        .arg(manifest_dir.join("AndroidManifest.xml"))
        .args(["-I", FRAMEWORK, "--min-sdk-version", min_sdk])
        .args(["--target-sdk-version", target_sdk, "-F"])
        .arg(&apk)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "aapt refused the manifest: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    apk
}

fn aapt_dump(what: &[&str], apk: &Path) -> String {
    let o = Command::new("aapt")
        .arg("dump")
        .args(what)
        .arg(apk)
        .args(if what == ["xmltree"] {
            &["AndroidManifest.xml"][..]
        } else {
            &[]
        })
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_manifest_compiles_and_has_every_entry_a_headset_needs() {
    let gradle = read("android/app/build.gradle");
    let (min_sdk, target_sdk) = (
        gradle_value(&gradle, "minSdk"),
        gradle_value(&gradle, "targetSdk"),
    );
    assert_eq!(min_sdk, "29");
    assert_eq!(target_sdk, "32");
    let dir = tempfile::tempdir().unwrap();
    let apk = compile_manifest(dir.path(), &min_sdk, &target_sdk);
    let badging = aapt_dump(&["badging"], &apk);
    let tree = aapt_dump(&["xmltree"], &apk);

    assert!(badging.contains("sdkVersion:'29'") && badging.contains("targetSdkVersion:'32'"));
    // The runtime permissions the film asks for after consent, and the old Bluetooth ones
    // capped at Android 11.
    for p in [
        "uses-permission: name='android.permission.BLUETOOTH_SCAN'",
        "uses-permission: name='android.permission.BLUETOOTH_CONNECT'",
        "uses-permission: name='android.permission.BLUETOOTH' maxSdkVersion='30'",
        "uses-permission: name='android.permission.BLUETOOTH_ADMIN' maxSdkVersion='30'",
        "uses-permission: name='android.permission.ACCESS_FINE_LOCATION' maxSdkVersion='30'",
        "uses-permission: name='com.oculus.permission.EYE_TRACKING'",
        "uses-permission: name='android.permission.EYE_TRACKING_FINE'",
        "uses-permission: name='android.permission.SCENE_UNDERSTANDING_COARSE'",
    ] {
        assert!(badging.contains(p), "no `{p}`:\n{badging}");
    }
    // The scan never locates the viewer (an API 31 attribute aapt cannot compile: the source).
    let source = read("android/app/src/main/AndroidManifest.xml");
    assert!(source
        .lines()
        .any(|l| l.contains("android.permission.BLUETOOTH_SCAN")
            && l.contains("android:usesPermissionFlags=\"neverForLocation\"")));
    // Features: head tracking, eye tracking, passthrough, OpenXR on Android XR; and nothing
    // required that a headset may lack (the old permissions imply Bluetooth and location, the
    // landscape activity a landscape screen, every app a touch screen, unless said otherwise).
    for f in [
        "uses-feature-not-required: name='android.hardware.vr.headtracking' version='1'",
        "uses-feature-not-required: name='oculus.software.eye_tracking'",
        "uses-feature-not-required: name='com.oculus.feature.PASSTHROUGH'",
        "uses-feature-not-required: name='android.software.xr.api.openxr'",
    ] {
        assert!(badging.contains(f), "no `{f}`:\n{badging}");
    }
    let required: Vec<&str> = badging
        .lines()
        .filter(|l| l.trim_start().starts_with("uses-feature: name="))
        .collect();
    assert_eq!(
        required,
        ["  uses-feature: name='android.hardware.vulkan.level' version='1'"],
        "only Vulkan is required"
    );
    assert!(badging.contains("launchable-activity: name='android.app.NativeActivity'"));
    // The activity opens in the headset, immersive, and loads the library the crate builds.
    for entry in [
        "\"com.oculus.intent.category.VR\"",
        "\"org.khronos.openxr.intent.category.IMMERSIVE_HMD\"",
        "\"android.intent.category.LAUNCHER\"",
        "\"com.oculus.supportedDevices\"",
        "\"quest2|questpro|quest3|quest3s\"",
        "\"android.window.PROPERTY_XR_ACTIVITY_START_MODE\"",
        "\"libopenxr.google.so\"",
        "\"android.app.lib_name\"",
    ] {
        assert!(tree.contains(entry), "no {entry}:\n{tree}");
    }
    let native = read("android/native/Cargo.toml");
    assert!(native.contains("name = \"showrunner-headset\""));
    assert!(
        tree.contains("=\"showrunner_headset\""),
        "lib_name is libshowrunner_headset.so, the cdylib android/native builds"
    );
    assert!(native.contains("crate-type = [\"cdylib\"]"));
}

#[test]
fn the_gradle_build_packs_the_loader_btleplug_and_the_staged_assets() {
    let gradle = read("android/app/build.gradle");
    for needed in [
        "implementation 'org.khronos.openxr:openxr_loader_for_android:",
        "java.srcDirs += [btleplugJava]",
        "showrunner-assets",
        "abiFilters 'arm64-v8a'",
        "'proguard-rules.pro'",
    ] {
        assert!(gradle.contains(needed), "app/build.gradle lacks `{needed}`");
    }
    let keep = read("android/app/proguard-rules.pro");
    assert!(keep.contains("-keep class com.nonpolynomial.** { *; }"));
    assert!(keep.contains("-keep class io.github.gedgygedgy.** { *; }"));
    // build.sh stages the assets where Gradle packs them, builds the crate the manifest names,
    // and finds btleplug's Java in the crate the lock file pins.
    let build = read("android/build.sh");
    assert!(build.contains("stage-assets.sh android/app/build/showrunner-assets"));
    assert!(build.contains("-p showrunner-headset"));
    assert!(build.contains("src/droidplug/java/src/main/java"));
    let lock = read("Cargo.lock");
    let btleplug = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"btleplug\""))
        .expect("btleplug is locked");
    let version = btleplug
        .lines()
        .find_map(|l| l.strip_prefix("version = "))
        .unwrap()
        .trim_matches('"');
    let java = Path::new(
        &std::env::var("CARGO_HOME")
            .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap())),
    )
    .join("registry/src");
    // The crate's sources are where cargo unpacked them (any registry folder).
    let found = std::fs::read_dir(&java).ok().and_then(|dirs| {
        dirs.flatten()
            .map(|d| {
                d.path().join(format!(
                    "btleplug-{version}/src/droidplug/java/src/main/java"
                ))
            })
            .find(|p| p.is_dir())
    });
    let found = found.expect("btleplug's Java sources, which the APK compiles, are in the crate");
    assert!(found
        .join("com/nonpolynomial/btleplug/android/impl/Peripheral.java")
        .is_file());
}

#[test]
fn build_sh_says_what_this_machine_lacks_and_how_to_get_it() {
    let o = Command::new("bash")
        .arg(repo().join("android/build.sh"))
        .arg("--check")
        .env_remove("ANDROID_HOME")
        .env_remove("ANDROID_SDK_ROOT")
        .env_remove("ANDROID_NDK_HOME")
        .env_remove("ANDROID_NDK_ROOT")
        .env("HOME", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{said}");
    let items: Vec<&str> = said.lines().filter(|l| l.starts_with("  - ")).collect();
    assert!(items.len() >= 2, "{said}");
    assert!(items[0].contains("the Android SDK") && items[1].contains("the Android NDK"));
    for item in items {
        assert!(
            item.contains('`') || item.contains("https://"),
            "each says how to get it: {item}"
        );
    }
    assert!(said.contains("docs/quest.md"));
}
