#!/usr/bin/env bash
# The BLE integration test: real btleplug (through the showrunner-biometrics
# BLE source and the `showrunner sensors scan` CLI) against a fake BlueZ on a
# private D-Bus "system" bus. No Bluetooth hardware or kernel support needed.
#
# Starts dbus-daemon with tests/ble/bus.conf on a socket in a temp dir, serves
# org.bluez with tests/ble/fake_bluez.py, runs tests/tests/ble.rs, and stops
# what it started by PID. Exit status: the test's (0 on pass).
#
# Needs: Debian packages dbus-daemon, python3-dbusmock (run by /usr/bin/python3),
# libdbus-1-dev and pkg-config (to build btleplug).
set -euo pipefail
cd "$(dirname "$0")/../.."

for need in dbus-daemon dbus-send; do
  command -v "$need" >/dev/null || { echo "fake-bluez: $need missing: apt-get install dbus-daemon dbus-bin" >&2; exit 2; }
done
/usr/bin/python3 -c 'import dbusmock' 2>/dev/null \
  || { echo "fake-bluez: python3-dbusmock missing: apt-get install python3-dbusmock" >&2; exit 2; }

# Build first, so the bus and the fake only live while the test runs.
cargo build -q -p showrunner
cargo nextest run -p showrunner-tests --test ble --run-ignored only --no-run

WORK=$(mktemp -d /tmp/showrunner-ble.XXXXXX)
BUS_PID= FAKE_PID=
stop_pid() {  # TERM, up to 2 s to go, then KILL; never hangs
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$FAKE_PID"
  stop_pid "$BUS_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT

dbus-daemon --config-file="$PWD/tests/ble/bus.conf" --address="unix:path=$WORK/bus" \
  --nofork --print-address=3 3>"$WORK/address" >/dev/null 2>&1 &
BUS_PID=$!
for _ in $(seq 50); do [ -s "$WORK/address" ] && break; sleep 0.1; done
[ -s "$WORK/address" ] || { echo "fake-bluez: dbus-daemon did not start" >&2; exit 1; }
export DBUS_SYSTEM_BUS_ADDRESS=$(head -1 "$WORK/address")
export FAKE_SENT_LOG="$WORK/sent.log"
export FAKE_HR_INTERVAL_MS=50
: >"$FAKE_SENT_LOG"

/usr/bin/python3 tests/ble/fake_bluez.py >"$WORK/fake.log" 2>&1 &
FAKE_PID=$!
for _ in $(seq 100); do
  dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
    string:org.bluez 2>/dev/null | grep -q true && break
  sleep 0.1
done
kill -0 "$FAKE_PID" 2>/dev/null || { echo "fake-bluez: the fake died:" >&2; cat "$WORK/fake.log" >&2; exit 1; }

status=0
cargo nextest run -p showrunner-tests --test ble --run-ignored only --no-capture || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- fake BlueZ log ---" >&2
  tail -50 "$WORK/fake.log" >&2
fi
exit "$status"
