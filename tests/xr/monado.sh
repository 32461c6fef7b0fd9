#!/usr/bin/env bash
# The OpenXR integration test: `showrunner play --xr` against Monado, a real
# open-source OpenXR runtime, headless (null compositor, simulated or remote
# devices, Vulkan on Mesa's lavapipe). No headset, no GPU. The fake BlueZ
# (tests/ble/fake-bus.sh) serves a heart strap on a private bus whose socket is
# inside the root, so `play --xr --heart ble` reaches it through real btleplug.
#
# Debian 12 has no Monado and trixie's needs a newer glibc, so Monado lives in a
# trixie root (mmdebstrap, ~750 MB, ~30 s to build), cached at $MONADO_ROOT and
# reused. Host-built binaries run inside it (glibc is forward compatible). The
# test binary (tests/tests/xr.rs) runs in the root and starts, kills and
# restarts monado-service itself. This script builds the root if needed,
# copies the binaries in, mounts /proc, runs the test, and stops what it
# started by PID and unmounts. Exit status: the test's (0 on pass); the log
# names the session states reached.
#
# Needs root (chroot, mount) and the Debian mirror; installs mmdebstrap when missing.
#
#   bash tests/xr/monado.sh             build the root if needed, then run the test
#   bash tests/xr/monado.sh --prepare   only build the root (CI does this while it compiles)
set -euo pipefail
cd "$(dirname "$0")/../.."
PREPARE=
case "${1:-}" in
  --prepare) PREPARE=1 ;;
  "") ;;
  *) echo "monado: unknown option '$1' (try --prepare)" >&2; exit 2 ;;
esac

ROOT=${MONADO_ROOT:-/var/cache/showrunner/monado-root}
MIRROR=${MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PKGS=monado-service,libopenxr1-monado,libopenxr-loader1,libopenxr-utils,mesa-vulkan-drivers,vulkan-tools

[ "$(id -u)" = 0 ] || { echo "monado: needs root (chroot and mount)" >&2; exit 2; }

if [ ! -x "$ROOT/usr/bin/monado-service" ]; then
  command -v mmdebstrap >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap
  }
  echo "monado: building the trixie root at $ROOT (once; cached)"
  rm -rf "$ROOT.tmp"
  mkdir -p "$(dirname "$ROOT")"
  mmdebstrap --quiet --variant=minbase --include="$PKGS" trixie "$ROOT.tmp" "$MIRROR"
  mv "$ROOT.tmp" "$ROOT"
  echo "monado: the root is ready at $ROOT"
else
  echo "monado: using the cached root at $ROOT"
fi
[ -n "$PREPARE" ] && exit 0

# Build on the host, then copy into the root.
source tests/test-binary.sh
test_binary xr
TARGET_DIR=$(dirname "$(dirname "$TEST_BIN")")
mkdir -p "$ROOT/opt/showrunner" "$ROOT/tmp/xdg"
chmod 700 "$ROOT/tmp/xdg"
cp "$TARGET_DIR/showrunner" "$TEST_BIN" "$ROOT/opt/showrunner/"
rm -rf "$ROOT/opt/showrunner/assets" && cp -r assets "$ROOT/opt/showrunner/assets"
# showrunner links ALSA (its sound card output); Monado's dependencies bring it into the
# root, but if a root lacks it, the host's (older, so compatible) copy goes in.
if ! ls "$ROOT"/usr/lib/*/libasound.so.2 >/dev/null 2>&1; then
  cp -L /usr/lib/x86_64-linux-gnu/libasound.so.2 "$ROOT/usr/lib/x86_64-linux-gnu/"
fi

source tests/ble/fake-bus.sh
MOUNTED=
cleanup() {
  set +e
  fake_bus_stop
  # The test stops its own services; anything left (a crashed test) is stopped here.
  for pidfile in "$ROOT"/tmp/showrunner-xr-*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null && echo "monado: stopped leftover pid $pid"
    rm -f "$pidfile"
  done
  rm -f "$ROOT/tmp/xdg/monado_comp_ipc" "$ROOT/tmp/xdg/monado.pid"
  [ -n "$MOUNTED" ] && umount "$ROOT/proc" && echo "monado: unmounted $ROOT/proc"
}
trap cleanup EXIT
if ! mountpoint -q "$ROOT/proc"; then mount -t proc proc "$ROOT/proc"; MOUNTED=1; fi

# The strap: ~71 bpm for 25 s (past the 15 s baseline the test gives `play`), then racing.
rm -rf "$ROOT/tmp/ble" && mkdir -p "$ROOT/tmp/ble"
export FAKE_HR_INTERVAL_MS=50 FAKE_HR_RISE_AFTER_S=25 FAKE_HR_RISE_S=60
fake_bus_start "$ROOT/tmp/ble"

LOG=${XR_LOG:-/tmp/showrunner-xr.log}
set +e
chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp \
  XDG_RUNTIME_DIR=/tmp/xdg \
  XR_RUNTIME_JSON=/usr/share/openxr/1/openxr_monado.json \
  VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.json \
  VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json \
  SHOWRUNNER_BIN=/opt/showrunner/showrunner \
  SHOWRUNNER_REPO=/opt/showrunner \
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=/tmp/ble/bus \
  FAKE_CONTROL_DIR=/tmp/ble/control \
  RUST_BACKTRACE=1 \
  "/opt/showrunner/$(basename "$TEST_BIN")" --ignored --nocapture --test-threads=1 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
set -e
echo "monado: session states reached: $(grep -o 'state [A-Z_]*' "$LOG" | awk '{print $2}' | sort -u | tr '\n' ' ')"
echo "monado: log in $LOG; exit $rc"
exit "$rc"
