#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Installs the Debian packages Showdesk needs, and the npm packages of web/.
#
#   scripts/deps.sh [build] [test] [bench]    (default: build)
#
# As root it runs apt-get; otherwise it prints the exact command to run and
# exits 1. It installs nothing that is already there, so `make` calls it on
# every build at the cost of one dpkg query.
set -eu

build="meson ninja-build pkg-config gcc libc6-dev python3 \
libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libsodium-dev \
libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev libswscale-dev \
libswresample-dev nettle-dev libpocketsphinx-dev pocketsphinx-en-us libcurl4-openssl-dev \
liblinear-dev libstemmer-dev libmd4c-dev"
test="libcmocka-dev postgresql-15 clang clang-format clang-tidy cppcheck nodejs npm \
ffmpeg chromium flite"
bench="nginx-light wrk pocketsphinx ffmpeg nodejs npm time"

want=""
[ $# -eq 0 ] && set -- build
for group in "$@"; do
    case "$group" in
    build) want="$want $build" ;;
    test) want="$want $build $test" ;;
    bench) want="$want $build $bench" ;;
    *)
        echo "deps.sh: unknown group '$group' (use build, test or bench)" >&2
        exit 2
        ;;
    esac
done

missing=""
for p in $want; do
    # Node.js may come from another source than Debian; any working node and
    # npm will do.
    case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    case " $missing " in *" $p "*) continue ;; esac
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = "installed" ] || missing="$missing $p"
done

if [ -n "$missing" ]; then
    cmd="apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600$missing"
    if [ "$(id -u)" -ne 0 ]; then
        echo "showdesk needs these Debian packages:$missing" >&2
        echo "install them as root with:" >&2
        echo "  apt-get update && $cmd" >&2
        exit 1
    fi
    echo "deps.sh: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    # An old or empty package list finds nothing: refresh it once first.
    apt-get update -o DPkg::Lock::Timeout=600 >/dev/null || true
    $cmd >/dev/null
fi

# npm packages of the pages and the JS test tools (tus-js-client and
# @tus/server serve the benchmarks too), for the test and bench groups.
for group in "$@"; do
    if [ "$group" = test ] || [ "$group" = bench ]; then
        here=$(cd "$(dirname "$0")/.." && pwd)
        if [ ! -d "$here/web/node_modules" ] ||
            [ "$here/web/package-lock.json" -nt "$here/web/node_modules/.package-lock.json" ]; then
            echo "deps.sh: installing npm packages of web/"
            (cd "$here/web" && npm ci --no-audit --no-fund --loglevel=error)
        fi
    fi
done
exit 0
