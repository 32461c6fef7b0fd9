# Sourced by tests/ble/fake-bluez.sh and tests/xr/monado.sh: `test_binary NAME` builds the app
# and the integration test tests/tests/NAME.rs, sets TEST_BIN to the test's binary, and, when
# $SHOWRUNNER_BUILT is set, creates that file. The scripts run no cargo command after this, so
# CI starts its cross checks once the file exists: cargo locks the target directory while it
# checks, and a cargo command of the tests would otherwise wait for them.
test_binary() {
  local name=$1
  cargo build -q -p showrunner
  TEST_BIN=$(cargo test -q -p showrunner-tests --test "$name" --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  [ -x "$TEST_BIN" ] || { echo "$0: could not build the test binary of tests/tests/$name.rs" >&2; return 1; }
  [ -z "${SHOWRUNNER_BUILT:-}" ] || : >"$SHOWRUNNER_BUILT"
}
