#!/usr/bin/env bash
# Stages the files the APK packs as its assets: every file of the repository's assets/ that git
# tracks (the sample story, models, sounds, fonts with their licence, the refiner's weights),
# at the same relative paths, without the READMEs. Sets and actors are not committed: the
# headset builds them in memory, as a desktop does when assets/sets is empty.
#
#   android/stage-assets.sh OUT
#
# The Gradle build packs OUT (app/build.gradle: assets.srcDirs); the tests run the app against
# it (SHOWRUNNER_PACKAGE=OUT) to prove that every file the app loads is in it.
set -euo pipefail
out=${1:?usage: android/stage-assets.sh OUT}
cd "$(dirname "$0")/.."
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
n=0
while IFS= read -r -d '' f; do
  case "$f" in *.md) continue ;; esac
  rel=${f#assets/}
  mkdir -p "$out/$(dirname "$rel")"
  cp "$f" "$out/$rel"
  n=$((n + 1))
done < <(git ls-files -z assets)
echo "staged $n files of assets/ in $out ($(du -sh "$out" | cut -f1))"
