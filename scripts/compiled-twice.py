#!/usr/bin/env python3
"""Fails when one CI run compiled a crate twice.

Reads the log that scripts/rustc-log (CI's RUSTC_WRAPPER) appends to: one line per
compilation. A crate compiled for the same target from the same source as the same kind of
unit (library, test harness, binary, build script) under two different hashes was built twice:
once per feature set or profile, or once checked and once built. Every such pair fails the run.

One kind is reported and allowed: a build script or proc macro that a cross check (the headset's
for Android, logged under the step `android`; Windows', under `windows`) compiles again for the
build machine because the cross graph asks its host tools for other features. cargo-hakari unifies features
per target platform, not for a cross build's host side, and those crates cannot be shared
without the native build taking on the cross graphs' host features by hand.

    python3 scripts/compiled-twice.py LOG
"""
import collections
import os
import sys

# The CI steps that type-check for another platform (scripts/rustc-log's step names).
CROSS_STEPS = ("android", "windows")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        print(f"compiled-twice: cannot read the compiler log {path}: {e.strerror}", file=sys.stderr)
        return 2
    # (crate, source, kind, target) -> {hash: (emit, step)}
    units = collections.defaultdict(dict)
    checks = 0
    for n, line in enumerate(lines, 1):
        fields = line.split("\t")
        if len(fields) != 8:
            print(f"compiled-twice: {path}:{n}: expected 8 tab-separated fields, found {len(fields)}",
                  file=sys.stderr)
            return 2
        crate, src, kind, target, emit, unit_hash, cwd, step = fields
        checks += emit == "check"
        source = os.path.normpath(os.path.join(cwd, src))
        units[(crate, source, kind, target)].setdefault(unit_hash, (emit, step))
    twice, cross_host = {}, {}
    for key, hashes in units.items():
        if len(hashes) < 2:
            continue
        # All but one compilation came from a cross check, on the build machine: its host tools.
        non_android = [h for h, (_, step) in hashes.items() if step not in CROSS_STEPS]
        if key[3] == "host" and len(non_android) <= 1:
            cross_host[key] = hashes
        else:
            twice[key] = hashes
    print(f"compiled-twice: {len(lines)} compilations of {len(units)} units "
          f"({checks} type-checks only); {len(twice)} compiled more than once; "
          f"{len(cross_host)} host tools compiled again for the cross checks")

    def show(items):
        for (crate, source, kind, target), hashes in sorted(items.items()):
            how = ", ".join(f"{h} ({e}, step {s})" for h, (e, s) in hashes.items())
            print(f"  {crate} [{kind}, {target}] from {source}: {how}")

    if cross_host:
        print("compiled-twice: host tools (build scripts, proc macros and their dependencies) the "
              "cross checks (Android, Windows) ask for with other features (allowed):")
        show(cross_host)
    if twice:
        print("compiled-twice: compiled more than once (each costs CI time):")
        show(twice)
        print("compiled-twice: usual causes: a cargo command whose package selection resolves other "
              "features (run `cargo hakari generate` after changing a dependency, see "
              ".config/hakari.toml), or a step that checks what another step builds.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
