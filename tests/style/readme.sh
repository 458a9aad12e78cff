#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Every setting that `showdesk serve --help` prints is documented in README.md.
set -eu
bin=$1
readme=$2
missing=0
for flag in $("$bin" serve --help | awk '/^--/ {print $1}'); do
    if ! grep -q -- "$flag" "$readme"; then
        echo "README.md does not document $flag"
        missing=$((missing + 1))
    fi
done
echo "$missing setting(s) missing from README.md"
[ "$missing" -eq 0 ]
