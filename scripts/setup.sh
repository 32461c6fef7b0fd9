#!/usr/bin/env bash
# Installs what Showrunner needs on this machine, and only what is missing.
#
#   bash scripts/setup.sh           what the README's first command needs: building the
#                                   `showrunner` binary and rendering with `screen --render`
#   bash scripts/setup.sh --tests   also what the tests need (what `.ci/run` calls)
#   bash scripts/setup.sh --check   installs nothing: names what is missing, exit 1 if anything is
#
# Idempotent: every item is checked first and left alone when present, and each one
# installed is named before it is. Debian 12 (or another apt system) is assumed for the
# system packages; elsewhere the script names what to install and stops.
#
# System libraries that a crate can build itself are not installed here: D-Bus (btleplug's
# BlueZ backend) is compiled from libdbus-sys's vendored sources. ALSA (cpal, the sound card)
# has no such option, so its headers and pkg-config stay.
set -euo pipefail

TESTS= CHECK=
for arg in "$@"; do
  case "$arg" in
    --tests) TESTS=1 ;;
    --check) CHECK=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "setup: unknown option '$arg' (try --tests or --help)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }
# install WHAT COMMAND...: says what it installs, then does; with --check, only says it is missing.
todo=0
install() {
  local what=$1
  shift
  todo=1
  if [ -n "$CHECK" ]; then say "missing: $what"; return 0; fi
  say "installing $what"
  "$@"
}

# --- Debian packages -------------------------------------------------------
# libasound2-dev, pkg-config: cpal's ALSA backend (alsa-sys finds ALSA with pkg-config).
# mesa-vulkan-drivers: lavapipe, the software Vulkan that `--render` and the renderer
#   tests use when there is no GPU (harmless beside a GPU's own driver).
PKGS="libasound2-dev pkg-config mesa-vulkan-drivers"
if [ -n "$TESTS" ]; then
  # dbus-daemon, dbus-bin, python3-dbusmock: the fake BlueZ (tests/ble/fake-bluez.sh);
  # xvfb, x11-apps (xwd), xdotool: the desktop window's test in a virtual X server;
  # mmdebstrap: builds the Debian trixie root that Monado runs in (tests/xr/monado.sh);
  # python3-pil: an independent reader of the provenance marks in exported PNGs;
  # chromium, curl: the festival console's tests (headless Chromium driven by playwright-core);
  # mosquitto: the venue's own broker, with topic ACLs, in the festival tests;
  # aapt, android-framework-res: compile and read back the headset's AndroidManifest.xml;
  # gcc-mingw-w64-x86-64: ring's C, in the Windows type-check;
  # openssl: the test CA and signing certificate of the content-credentials tests
  #   (scripts/c2pa-test-pki.sh).
  PKGS="$PKGS dbus-daemon dbus-bin python3-dbusmock xvfb x11-apps xdotool mmdebstrap python3-pil chromium curl mosquitto aapt android-framework-res gcc-mingw-w64-x86-64 openssl"
fi

missing=
if command -v dpkg >/dev/null; then
  for p in $PKGS; do dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$missing $p"; done
else
  missing=" $PKGS"
fi
# The inkjs reference runtime needs Node.js with npm; one from elsewhere (nvm, a tarball) is fine.
if [ -n "$TESTS" ] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
  missing="$missing nodejs npm"
fi

if [ -n "$missing" ] && [ -n "$CHECK" ]; then
  todo=1
  say "missing Debian packages:$missing"
elif [ -n "$missing" ]; then
  if ! command -v apt-get >/dev/null; then
    say "this is not an apt system: install the equivalents of:$missing (then run this again)" >&2
    exit 1
  fi
  SUDO=
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { say "installing$missing needs root: run this as root" >&2; exit 1; }
    SUDO=sudo
  fi
  say "installing Debian packages:$missing"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  say "Debian packages present: $PKGS"
fi

# --- Rust ------------------------------------------------------------------
command -v cargo >/dev/null || {
  say "cargo is missing: install Rust with rustup (https://rustup.rs), then run this again" >&2
  exit 1
}

if [ -n "$TESTS" ]; then
  if command -v rustup >/dev/null; then
    installed_components=$(rustup component list --installed 2>/dev/null || true)
    for c in clippy rustfmt; do
      if ! grep -q "^$c" <<<"$installed_components"; then
        install "the Rust component $c" rustup component add "$c"
      fi
    done
    # The headset build is type-checked for Android (no NDK needed for that).
    if ! rustup target list --installed | grep -qx aarch64-linux-android; then
      install "the Rust target aarch64-linux-android" rustup target add aarch64-linux-android
    fi
    # ... and for Windows (PC VR through SteamVR or Quest Link).
    if [ -n "$TESTS" ] && ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
      install "the Rust target x86_64-pc-windows-gnu" rustup target add x86_64-pc-windows-gnu
    fi
  fi
  if ! command -v cargo-nextest >/dev/null; then
    install "cargo-nextest (the test runner)" cargo install cargo-nextest --locked
  fi
  # inkjs, the reference ink runtime the story tests compare against (from package-lock.json).
  here=$(cd "$(dirname "$0")/.." && pwd)
  if ! (cd "$here/tests/inkjs" && node -e '
      const want = require("./package-lock.json").packages["node_modules/inkjs"].version;
      process.exit(require("./node_modules/inkjs/package.json").version === want ? 0 : 1)' 2>/dev/null); then
    install "inkjs into tests/inkjs/node_modules" \
      npm ci --prefix "$here/tests/inkjs" --no-audit --no-fund --loglevel=error
  fi
  # playwright-core drives Debian's Chromium for the festival console's test (no browser
  # download).
  if ! (cd "$here/tests/console" && node -e '
      const want = require("./package-lock.json").packages["node_modules/playwright-core"].version;
      process.exit(require("./node_modules/playwright-core/package.json").version === want ? 0 : 1)' 2>/dev/null); then
    install "playwright-core into tests/console/node_modules" \
      npm ci --prefix "$here/tests/console" --no-audit --no-fund --loglevel=error
  fi
fi
if [ -n "$CHECK" ]; then
  [ "$todo" = 0 ] && say "nothing to install" && exit 0
  exit 1
fi
say "ready"
