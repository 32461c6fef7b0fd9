//! The APK's native library (`libshowrunner_headset.so`): the Showrunner app linked whole, so
//! that the `NativeActivity` finds its entry, `android_main` (in the app's `android` module),
//! and android-activity's `ANativeActivity_onCreate`. Built by `android/build.sh` through
//! `cargo ndk`; on every other target it is empty.

#[cfg(target_os = "android")]
pub use showrunner::android_main;
