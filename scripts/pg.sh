#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# A throwaway PostgreSQL 15 for tests and benchmarks:
#
#   scripts/pg.sh start DIR   initialise DIR, start a server on a free port of
#                             127.0.0.1, create database "showdesk", print its URL
#   scripts/pg.sh stop DIR    stop it
#
# No system service and no root needed for the server itself; as root the
# server runs as the "postgres" user, since initdb refuses root. Durability is
# off (fsync, synchronous_commit, full_page_writes): this is for tests only.
set -eu
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: pg.sh start|stop DIR" >&2
    exit 2
fi
bin=/usr/lib/postgresql/15/bin
if [ ! -x "$bin/initdb" ]; then
    echo "pg.sh: PostgreSQL 15 is not installed (run: sh scripts/deps.sh test)" >&2
    exit 1
fi
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        chmod 700 "$dir"
        # runuser keeps the caller's working directory, which postgres may not read.
        cd /
    fi
    as_pg "$bin/initdb" -D "$dir/data" -U app -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A free port: ask the kernel, then hand it to the server (a race with
    # another process is possible but retried below).
    tries=0
    while :; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
        if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
            break
        fi
        tries=$((tries + 1))
        if [ $tries -ge 3 ]; then
            cat "$dir/server.log" >&2
            exit 1
        fi
    done
    echo "$port" >"$dir/port"
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U app -d postgres -q -c "CREATE DATABASE showdesk" >/dev/null
    echo "postgres://app@127.0.0.1:$port/showdesk"
    ;;
stop)
    [ -d "$dir/data" ] || exit 0
    cd /
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*)
    echo "pg.sh: unknown command '$cmd' (use start or stop)" >&2
    exit 2
    ;;
esac
