# Sourced by tests/ble/fake-bluez.sh and tests/xr/monado.sh: starts a private D-Bus "system"
# bus (tests/ble/bus.conf) with its socket at $1/bus, and the fake BlueZ on it
# (tests/ble/fake_bluez.py), its control folder at $1/control. Exports
# DBUS_SYSTEM_BUS_ADDRESS, FAKE_CONTROL_DIR, FAKE_BUS_PID and FAKE_PID; fake_bus_stop stops
# both by PID (TERM, then KILL after 2 s; never hangs). The caller exports the fake's other
# settings (FAKE_HR_INTERVAL_MS, FAKE_SENT_LOG, FAKE_HR_RISE_AFTER_S, ...) first.
#
# Needs dbus-daemon, dbus-send (dbus-bin) and /usr/bin/python3 with python3-dbusmock.

fake_stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

fake_bus_stop() {
  fake_stop_pid "${FAKE_PID:-}"
  fake_stop_pid "${FAKE_BUS_PID:-}"
  FAKE_PID= FAKE_BUS_PID=
}

fake_bus_start() {
  local dir=$1 repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  for need in dbus-daemon dbus-send; do
    command -v "$need" >/dev/null || { echo "fake-bus: $need missing: apt-get install dbus-daemon dbus-bin" >&2; return 2; }
  done
  /usr/bin/python3 -c 'import dbusmock' 2>/dev/null \
    || { echo "fake-bus: python3-dbusmock missing: apt-get install python3-dbusmock" >&2; return 2; }
  mkdir -p "$dir/control"
  rm -f "$dir/bus" "$dir/address"
  dbus-daemon --config-file="$repo/tests/ble/bus.conf" --address="unix:path=$dir/bus" \
    --nofork --print-address=3 3>"$dir/address" >/dev/null 2>&1 &
  FAKE_BUS_PID=$!
  for _ in $(seq 50); do [ -s "$dir/address" ] && break; sleep 0.1; done
  [ -s "$dir/address" ] || { echo "fake-bus: dbus-daemon did not start" >&2; return 1; }
  export DBUS_SYSTEM_BUS_ADDRESS=$(head -1 "$dir/address")
  export FAKE_CONTROL_DIR="$dir/control"
  /usr/bin/python3 "$repo/tests/ble/fake_bluez.py" >"$dir/fake.log" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 100); do
    dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
      string:org.bluez 2>/dev/null | grep -q true && break
    sleep 0.1
  done
  kill -0 "$FAKE_PID" 2>/dev/null || { echo "fake-bus: the fake died:" >&2; cat "$dir/fake.log" >&2; return 1; }
  export FAKE_BUS_PID FAKE_PID
}
