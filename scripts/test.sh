#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Runs every test suite of a build folder: starts a throwaway PostgreSQL for
# the conformance and integration suites, runs `meson test`, stops the
# server, and ends with one line "N passed, N failed".
set -u
build=${1:-build}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")/.." && pwd)
pgdir=$(mktemp -d /tmp/showdesk-pg.XXXXXX)
cleanup() {
    sh "$here/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
    rm -rf "$pgdir"
}
trap cleanup EXIT INT TERM

if url=$(sh "$here/scripts/pg.sh" start "$pgdir"); then
    export SHOWDESK_TEST_PG_URL="$url"
else
    echo "test.sh: could not start PostgreSQL (see above); PostgreSQL suites will fail" >&2
fi

meson test -C "$build" --print-errorlogs --num-processes 2 "$@" 2>&1 | tail -n 400
log="$here/$build/meson-logs/testlog.json"
[ -f "$log" ] || log="$build/meson-logs/testlog.json"
python3 - "$log" <<'PY'
import json, sys
ok = fail = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    res = r.get("result")
    if res in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif res == "SKIP":
        skip += 1
    else:
        fail += 1
        print("failed:", r.get("name"), res)
print(f"{ok} passed, {fail} failed" + (f", {skip} skipped" if skip else ""))
sys.exit(1 if fail or ok == 0 else 0)
PY
