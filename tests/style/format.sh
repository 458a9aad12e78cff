#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Fails when a C file is not formatted as .clang-format says (fix: make fmt).
set -eu
cd "$1"
if git rev-parse --git-dir >/dev/null 2>&1; then
    files=$(git ls-files '*.c' '*.h')
else
    files=$(find src tests -name '*.c' -o -name '*.h')
fi
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "formatted: $(echo "$files" | wc -w) files"
