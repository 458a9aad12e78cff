#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Static checks of the C sources: clang-tidy (the checks in .clang-tidy,
# warnings are errors) over the build's compile_commands.json, and cppcheck
# as a second opinion. Usage: scripts/lint.sh BUILD_DIR
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ -f "$build/compile_commands.json" ] || { echo "lint.sh: no $build/compile_commands.json (run make test first)" >&2; exit 1; }
files=$(git ls-files 'src/*.c' 2>/dev/null || find src -name '*.c')
status=0
if command -v clang-tidy >/dev/null 2>&1; then
    # Two at a time: the machines have two cores.
    # shellcheck disable=SC2086
    echo $files | tr ' ' '\n' | xargs -P 2 -n 4 clang-tidy -p "$build" --quiet 2>/dev/null || status=1
else
    echo "lint.sh: clang-tidy is not installed (sh scripts/deps.sh test)" >&2
    status=1
fi
if command -v cppcheck >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
        --std=c11 -D_GNU_SOURCE -I src -I "$build" --suppress=missingIncludeSystem $files || status=1
else
    echo "lint.sh: cppcheck is not installed (sh scripts/deps.sh test)" >&2
    status=1
fi
[ $status -eq 0 ] && echo "lint: clean"
exit $status
