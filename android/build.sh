#!/usr/bin/env bash
# Builds the Showrunner APK for a Quest or an Android XR headset (debug-signed, for sideloading),
# and with --install puts it on the headset connected over USB (or `adb connect`), starts it and
# shows its log.
#
#   android/build.sh            build android/app/build/outputs/apk/debug/app-debug.apk
#   android/build.sh --install  ... then adb install, start, and adb logcat of the app
#   android/build.sh --check    only say what this machine lacks, and how to get it
#
# Needs: the Android SDK (platform 35, build tools) and NDK, JDK 17, Gradle 8.13+ (Android
# Studio brings all four), cargo-ndk, and Rust's aarch64-linux-android target. docs/quest.md
# walks through it from a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
APP_ID=org.showrunner.app
API=29

mode=build
case "${1:-}" in
  "") ;;
  --install) mode=install ;;
  --check) mode=check ;;
  -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "android/build.sh: unknown option '$1' (--install, --check or nothing)" >&2; exit 2 ;;
esac

missing=()
need() { missing+=("$1"); }

sdk=${ANDROID_HOME:-${ANDROID_SDK_ROOT:-}}
if [ -z "$sdk" ]; then
  for d in "$HOME/Android/Sdk" "$HOME/Library/Android/sdk"; do [ -d "$d" ] && sdk=$d && break; done
fi
if [ -z "$sdk" ] || [ ! -d "$sdk/platforms" ]; then
  need "the Android SDK: install Android Studio (it puts the SDK in ~/Android/Sdk), or the command-line tools from https://developer.android.com/studio#command-tools, then \`sdkmanager \"platforms;android-35\" \"build-tools;35.0.0\" \"platform-tools\"\`; set ANDROID_HOME to its folder"
fi
ndk=${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}
if [ -z "$ndk" ] && [ -n "$sdk" ] && [ -d "$sdk/ndk" ]; then
  ndk=$(find "$sdk/ndk" -mindepth 1 -maxdepth 1 -type d | sort -V | tail -1)
fi
if [ -z "$ndk" ] || [ ! -d "$ndk/toolchains/llvm" ]; then
  need "the Android NDK (r27 or newer): \`sdkmanager \"ndk;27.2.12479018\"\` (or Android Studio: SDK Manager, SDK Tools, NDK), or set ANDROID_NDK_HOME"
fi
if ! command -v cargo-ndk >/dev/null 2>&1; then
  need "cargo-ndk: \`cargo install cargo-ndk --locked\`"
fi
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-linux-android; then
  need "Rust's Android target: \`rustup target add aarch64-linux-android\`"
fi
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; then
  need "JDK 17 or newer: Debian/Ubuntu \`apt install openjdk-17-jdk-headless\` (or Android Studio's, via JAVA_HOME)"
fi
if [ -x android/gradlew ]; then
  gradle=(android/gradlew -p android)
elif command -v gradle >/dev/null 2>&1; then
  gradle=(gradle -p android)
else
  gradle=()
  need "Gradle 8.13 or newer: https://gradle.org/install (or run \`gradle wrapper\` once in android/ with any Gradle to make android/gradlew)"
fi
if [ "$mode" = install ] && ! command -v adb >/dev/null 2>&1 && [ ! -x "$sdk/platform-tools/adb" ]; then
  need "adb: \`sdkmanager platform-tools\` (or apt install adb)"
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "android/build.sh: this machine cannot build the APK yet; it lacks:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  echo "docs/quest.md has the whole set-up, step by step." >&2
  exit 1
fi
if [ "$mode" = check ]; then
  echo "android/build.sh: ready (SDK $sdk, NDK $ndk)"
  exit 0
fi
export ANDROID_HOME=$sdk ANDROID_NDK_HOME=$ndk

echo "::: assets"
bash android/stage-assets.sh android/app/build/showrunner-assets

echo "::: native library (cargo ndk, API $API, arm64-v8a, release)"
# Debug info stripped: the .so is what the headset loads, its symbols stay in target/.
CARGO_PROFILE_RELEASE_STRIP=debuginfo \
  cargo ndk -t arm64-v8a -P "$API" -o android/app/src/main/jniLibs \
  build --release -p showrunner-headset --features tls

echo "::: btleplug's Java sources"
btleplug_java=$(cargo metadata --format-version 1 --filter-platform aarch64-linux-android |
  python3 -c 'import json, os, sys
m = json.load(sys.stdin)
p = [p for p in m["packages"] if p["name"] == "btleplug"]
if not p:
    sys.exit("cargo metadata names no btleplug package")
print(os.path.join(os.path.dirname(p[0]["manifest_path"]), "src/droidplug/java/src/main/java"))')
if [ ! -d "$btleplug_java" ]; then
  echo "android/build.sh: btleplug's Java sources are not at $btleplug_java (the crate's layout changed?)" >&2
  exit 1
fi

echo "::: APK (Gradle)"
"${gradle[@]}" :app:assembleDebug -PbtleplugJava="$btleplug_java"
apk=android/app/build/outputs/apk/debug/app-debug.apk
echo "android/build.sh: $apk ($(du -h "$apk" | cut -f1))"

if [ "$mode" = install ]; then
  adb=adb
  command -v adb >/dev/null 2>&1 || adb=$sdk/platform-tools/adb
  "$adb" install -r "$apk"
  "$adb" logcat -c
  "$adb" shell am start -n "$APP_ID/android.app.NativeActivity"
  sleep 2
  pid=$("$adb" shell pidof "$APP_ID" | tr -d '\r')
  echo "::: the app's log (Ctrl-C to stop; the film goes on)"
  if [ -n "$pid" ]; then
    exec "$adb" logcat --pid="$pid"
  else
    exec "$adb" logcat -s showrunner OpenXR AndroidRuntime
  fi
fi
