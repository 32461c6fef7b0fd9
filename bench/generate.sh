#!/usr/bin/env bash
# The local language model that writes episodes (issue 24, BENCHMARKS.md "The story grows"):
# acceptance, time to a valid episode, tokens/s and memory from `showrunner bench generate`,
# then, in the same run, llama.cpp on the same GGUF weights (llama-cpp-python, when it is
# installed: `pip install llama-cpp-python`, a source build) for the tokens/s ratio.
#
#   bash bench/generate.sh [--episodes 24] [--prompt-tokens 256] [--tokens 128]
#
# The binary: $SHOWRUNNER_BIN, else target/release/showrunner (built when missing). Writes
# bench/out/generate.json and prints the ratios. No network (the weights are installed first:
# `showrunner assets model`).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${SHOWRUNNER_BIN:-target/release/showrunner}"
[ -x "$bin" ] || cargo build --release -p showrunner
weights=assets/models/lm/SmolLM2-135M-Instruct.Q4_1.gguf
[ -f "$weights" ] || { echo "bench/generate.sh: $weights is missing: run \`$bin assets model\`" >&2; exit 2; }
prompt=256 tokens=128 args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
        --prompt-tokens) prompt=${args[i+1]} ;;
        --tokens) tokens=${args[i+1]} ;;
    esac
done
mkdir -p bench/out
"$bin" bench generate --json bench/out/generate.json "$@" >/dev/null
threads=$(nproc)
if python3 -c 'import llama_cpp' 2>/dev/null; then
    python3 bench/llama_cpp_reference.py "$weights" assets/stories/lighthouse.ink "$prompt" "$tokens" "$threads" >bench/out/generate-reference.json
else
    echo '{"runtime": "llama-cpp-python is not installed: no reference"}' >bench/out/generate-reference.json
fi
python3 - <<'PY'
import json
ours = json.load(open("bench/out/generate.json"))
ref = json.load(open("bench/out/generate-reference.json"))
print(f"episodes: {ours['episodes']}, accepted first try {ours['acceptance_first_try']:.0%}, after retries {ours['acceptance']:.0%}")
v = ours["valid_episode_ms"]
print(f"time to a valid episode: p50 {v['p50']/1000:.1f} s, p99 {v['p99']/1000:.1f} s ({v['n']} episodes)")
m = ours["memory_mib"]
print(f"memory: {m['after_load'] - m['before_load']:.0f} MiB for the model, peak {m['peak']:.0f} MiB")
t = ours["throughput"]
print(f"ours ({ours['model']}): read {t['read_tokens_per_s']:.0f} tok/s, generate {t['generate_tokens_per_s']:.1f} tok/s")
if "generate_tokens_per_s" in ref:
    print(f"{ref['runtime']}: read {ref['read_tokens_per_s']:.0f} tok/s, generate {ref['generate_tokens_per_s']:.1f} tok/s")
    print(f"ratio (ours / llama.cpp): read {t['read_tokens_per_s']/ref['read_tokens_per_s']:.2f}x, generate {t['generate_tokens_per_s']/ref['generate_tokens_per_s']:.2f}x")
else:
    print(ref["runtime"])
PY
