#!/usr/bin/env bash
# Runs one of the README's "Two commands" exactly as the README writes it, so that CI and the
# README never drift: `bash scripts/readme-command.sh 1` runs the first (the sample), and
# `--print N` only prints command N. tests/tests/readme.rs checks the README's shape.
set -euo pipefail
cd "$(dirname "$0")/.."
print=
[ "${1:-}" = --print ] && { print=1; shift; }
n=${1:?usage: readme-command.sh [--print] N}
# The Nth ```sh block after the heading "## Two commands", up to the next "## " heading.
cmd=$(awk -v n="$n" '
  /^## / { inside = ($0 == "## Two commands") ; next }
  inside && /^```sh$/ { block++; if (block == n) { grab = 1 }; next }
  inside && /^```$/ { grab = 0; next }
  grab { print }
' README.md)
[ -n "$cmd" ] || { echo "readme-command: README.md has no command $n under '## Two commands'" >&2; exit 2; }
if [ -n "$print" ]; then printf '%s\n' "$cmd"; exit 0; fi
echo "readme-command: \$ $cmd"
exec bash -euo pipefail -c "$cmd"
