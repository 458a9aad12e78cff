#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Runs each libFuzzer target of a fuzz build for SECONDS, with its dictionary,
# growing its corpus in tests/fuzz/corpus/<name>/. New crashes are written
# there too, so they become regression inputs that `make test` replays.
set -eu
build=${1:-build-fuzz}
seconds=${2:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
for exe in "$build"/tests/fuzz/fuzz_*; do
    [ -f "$exe" ] && [ -x "$exe" ] || continue
    name=${exe##*/fuzz_}
    corpus="$here/tests/fuzz/corpus/$name"
    dict="$here/tests/fuzz/$name.dict"
    echo "fuzz.sh: $name for ${seconds}s"
    "$exe" -max_total_time="$seconds" -artifact_prefix="$corpus/crash-" \
        $( [ -f "$dict" ] && echo "-dict=$dict" ) "$corpus"
done
