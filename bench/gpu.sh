#!/usr/bin/env bash
# The frame's cost on this machine's GPU, pass by pass, from GPU timestamps (BENCHMARKS.md,
# "On a real GPU"): the sample's lamp room with its five actors, a subtitle and two choice
# panels, both eyes in one multiview pass and in two passes (shadow, eyes, their words), then
# the refiner on that frame at each profile's steps and each region size.
#
#   bash bench/gpu.sh            a Quest 3's eyes (2064 × 2208), 60 timed frames each
#   bash bench/gpu.sh --small    256 × 272, 3 frames, 32 px regions: lavapipe in CI (a minute)
#
# Any other argument goes to `showrunner bench gpu` (e.g. `--scene the_gut`, `--frames 120`).
# The binary: $SHOWRUNNER_BIN, else target/release/showrunner (built when missing). Prints
# the table and writes it as JSON to $GPU_BENCH_JSON (bench/out/gpu.json by default). No
# network; it runs from the repository's root, where the sample's assets are.
set -euo pipefail
cd "$(dirname "$0")/.."

small=0
args=()
for a in "$@"; do
    if [ "$a" = --small ]; then small=1; else args+=("$a"); fi
done

bin="${SHOWRUNNER_BIN:-target/release/showrunner}"
if [ ! -x "$bin" ]; then
    if [ -n "${SHOWRUNNER_BIN:-}" ]; then
        echo "bench/gpu.sh: SHOWRUNNER_BIN=$bin is not an executable" >&2
        exit 2
    fi
    echo "bench/gpu.sh: building $bin (cargo build --release -p showrunner)" >&2
    cargo build --release -p showrunner
fi

json="${GPU_BENCH_JSON:-bench/out/gpu.json}"
mkdir -p "$(dirname "$json")"
if [ "$small" = 1 ]; then
    size=(--size 256x272 --frames 3 --warmup 2 --refine-sizes 32 --profiles quest)
else
    size=(--size 2064x2208 --frames 60 --warmup 5 --refine-sizes 128,256,512 --profiles quest,pcvr,desktop)
fi
# Eight minutes at most: a run that outgrows them says so instead of holding a lent GPU.
exec timeout --kill-after=10 480 "$bin" bench gpu "${size[@]}" "${args[@]}" --json "$json"
