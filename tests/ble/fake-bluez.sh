#!/usr/bin/env bash
# The BLE integration test: real btleplug (through the showrunner-biometrics
# BLE source, the `showrunner sensors scan` CLI, and `showrunner play --desktop
# --heart ble` under Xvfb) against a fake BlueZ on a private D-Bus "system" bus.
# No Bluetooth hardware or kernel support needed.
#
# Starts dbus-daemon with tests/ble/bus.conf on a socket in a temp dir, serves
# org.bluez with tests/ble/fake_bluez.py, runs tests/tests/ble.rs, and stops
# what it started by PID. Exit status: the test's (0 on pass).
#
# Needs: Debian packages dbus-daemon, python3-dbusmock (run by /usr/bin/python3),
# libdbus-1-dev and pkg-config (to build btleplug).
set -euo pipefail
cd "$(dirname "$0")/../.."

source tests/ble/fake-bus.sh

# Build first, so the bus and the fake only live while the test runs; the tests then run from
# their binary (each in its own process, as nextest would), so no cargo command runs after this.
source tests/test-binary.sh
test_binary ble

WORK=$(mktemp -d /tmp/showrunner-ble.XXXXXX)
cleanup() {
  fake_bus_stop
  rm -rf "$WORK"
}
trap cleanup EXIT

export FAKE_SENT_LOG="$WORK/sent.log"
export FAKE_HR_INTERVAL_MS=50
# The film's strap: ~71 bpm for 25 s (past the 15 s baseline `play` is given), then racing.
export FAKE_HR_RISE_AFTER_S=25 FAKE_HR_RISE_S=60
export SHOWRUNNER_STATE_DIR="$WORK/state"
: >"$FAKE_SENT_LOG"
fake_bus_start "$WORK"

status=0
# One at a time, each in its own process: the tests share the one fake strap.
mapfile -t TESTS < <("$TEST_BIN" --ignored --list --format terse | sed -n 's/: test$//p')
[ "${#TESTS[@]}" -gt 0 ] || { echo "fake-bluez: $TEST_BIN lists no tests" >&2; exit 1; }
passed=0
for t in "${TESTS[@]}"; do
  echo "--- $t"
  t0=${EPOCHREALTIME/./}
  if "$TEST_BIN" --ignored --exact "$t" --nocapture --test-threads 1; then
    passed=$((passed + 1))
    echo "--- $t: passed in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
  else
    status=1
    echo "--- $t: FAILED" >&2
  fi
done
echo "fake-bluez: $passed of ${#TESTS[@]} tests passed"
if [ "$status" -ne 0 ]; then
  echo "--- fake BlueZ log ---" >&2
  tail -50 "$WORK/fake.log" >&2
fi
exit "$status"
