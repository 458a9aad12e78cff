#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# make bench: Showdesk's speed and memory against a reference measured in the
# same run, on this machine.
#
# Entry 1, the API read path: an authenticated GET /api/v1/tickets/{id}
# (secret key lookup + ticket read + JSON) under wrk, 64 connections and 2
# threads, against nginx serving a static JSON file of the same size. Ratio =
# showdesk req/s / nginx req/s. Also showdesk's RSS when idle (after start and
# one request) and at its peak (VmHWM) after the load. Runs on SQLite, and on
# PostgreSQL when scripts/pg.sh can start one.
#
# Prints a Markdown table and writes it to bench/out/latest.md. Everything it
# starts listens on 127.0.0.1 only and is stopped on exit.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/build-release/showdesk"
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-3}
CONNS=64
THREADS=2
[ -x "$bin" ] || { echo "bench: build the release binary first (make bench does)" >&2; exit 1; }
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
        { echo "bench: $tool is missing (sh scripts/deps.sh bench)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
tmp=$(mktemp -d /tmp/showdesk-bench.XXXXXX)
# nginx workers started by root drop to an unprivileged user that must read the files.
chmod 755 "$tmp"
pids=""
pgdir=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    [ -n "$pgdir" ] && sh "$here/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL: polls until it answers, for at most 20 s.
wait_http() {
    i=0
    until curl -s -o /dev/null "$1"; do
        i=$((i + 1))
        [ $i -lt 200 ] || { echo "bench: $1 did not come up" >&2; exit 1; }
        sleep 0.1
    done
}

# load URL [HEADER]: wrk after a warm-up; prints "req/s p99_ms".
load() {
    if [ -n "${2:-}" ]; then
        wrk -t$THREADS -c$CONNS -d${WARMUP}s -H "$2" "$1" >/dev/null
        out=$(wrk -t$THREADS -c$CONNS -d${DURATION}s --latency -H "$2" "$1")
    else
        wrk -t$THREADS -c$CONNS -d${WARMUP}s "$1" >/dev/null
        out=$(wrk -t$THREADS -c$CONNS -d${DURATION}s --latency "$1")
    fi
    echo "$out" >>"$tmp/wrk.log"
    if echo "$out" | grep -q "Non-2xx"; then
        echo "bench: non-2xx answers from $1:" >&2
        echo "$out" >&2
        exit 1
    fi
    rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v}')
    echo "$rps $p99"
}

kb() { awk "/^$2:/ {print \$2}" "/proc/$1/status"; }

# bench_showdesk NAME [DB_URL]: one row of the table for showdesk, into $tmp/rows.
bench_showdesk() {
    name=$1
    db=${2:-}
    data="$tmp/data-$name"
    set -- --data "$data"
    [ -n "$db" ] && set -- "$@" --db "$db"
    ws=$("$bin" admin "$@" workspace create --name Bench 2>/dev/null)
    sk=$(echo "$ws" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret_key"])')
    port=$(free_port)
    "$bin" serve "$@" --listen "127.0.0.1:$port" >"$tmp/serve-$name.out" 2>"$tmp/serve-$name.log" &
    spid=$!
    pids="$pids $spid"
    wait_http "http://127.0.0.1:$port/healthz"
    tid=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/tickets" -H "Authorization: Bearer $sk" \
        -H 'Content-Type: application/json' \
        -d '{"subject":"Export to CSV fails with a spinner","customer":{"email":"ana@example.com","name":"Ana Lima","plan":"pro"},"message":{"text":"When I click Export the spinner never stops."},"context":{"page_url":"https://app.example.com/reports","user_agent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0","account_plan":"pro","console_errors":["TypeError: Cannot read properties of undefined (reading map)"]}}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    url="http://127.0.0.1:$port/api/v1/tickets/$tid"
    curl -s -H "Authorization: Bearer $sk" "$url" >"$tmp/body.json"
    idle=$(kb "$spid" VmRSS)
    r=$(load "$url" "Authorization: Bearer $sk") || exit 1
    set -- $r
    peak=$(kb "$spid" VmHWM)
    kill "$spid"
    wait "$spid" || true
    echo "$name $1 $2 $idle $peak" >>"$tmp/rows"
}

bench_nginx() {
    port=$(free_port)
    mkdir -p "$tmp/nginx/www" "$tmp/nginx/logs"
    cp "$tmp/body.json" "$tmp/nginx/www/ticket.json"
    chmod -R a+rX "$tmp/nginx/www"
    cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    default_type application/json;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$port;
        root $tmp/nginx/www;
    }
}
CONF
    "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/nginx/logs/start.log" &
    npid=$!
    pids="$pids $npid"
    wait_http "http://127.0.0.1:$port/ticket.json"
    r=$(load "http://127.0.0.1:$port/ticket.json") || exit 1
    set -- $r
    kill "$npid"
    wait "$npid" || true
    echo "nginx $1 $2 - -" >>"$tmp/rows"
}

: >"$tmp/rows"
echo "bench: showdesk on SQLite" >&2
bench_showdesk sqlite
echo "bench: nginx static file of the same size ($(wc -c <"$tmp/body.json") bytes)" >&2
bench_nginx
if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
    pgdir="$tmp/pg"
    if url=$(sh "$here/scripts/pg.sh" start "$pgdir"); then
        echo "bench: showdesk on PostgreSQL" >&2
        bench_showdesk postgres "$url"
    fi
fi

size=$(wc -c <"$tmp/body.json")
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
mkdir -p "$here/bench/out"
{
    echo "### GET /api/v1/tickets/{id}, ${size}-byte JSON body"
    echo
    echo "wrk, $CONNS connections, $THREADS threads, ${DURATION} s after a ${WARMUP} s warm-up; client and servers share the machine."
    echo
    echo "| target | req/s | p99 latency | ratio to nginx | RSS idle | RSS peak |"
    echo "|---|---:|---:|---:|---:|---:|"
    nginx_rps=$(awk '$1 == "nginx" {print $2}' "$tmp/rows")
    while read -r name rps p99 idle peak; do
        case $name in
        sqlite) label="showdesk, SQLite" ;;
        postgres) label="showdesk, PostgreSQL 15" ;;
        nginx) label="nginx 1.22, static file" ;;
        esac
        ratio=$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN {printf "%.2f", a / b}')
        if [ "$idle" = "-" ]; then
            rss="| - | -"
        else
            rss=$(awk -v i="$idle" -v p="$peak" 'BEGIN {printf "| %.1f MB | %.1f MB", i / 1024, p / 1024}')
        fi
        printf '| %s | %.0f | %s ms | %s %s |\n' "$label" "$rps" "$p99" "$ratio" "$rss"
    done <"$tmp/rows"
    echo
    echo "Machine: $(nproc) cores, $cpu, $mem, Linux $(uname -r); $(date -u +%Y-%m-%d)."
} | tee "$here/bench/out/latest.md"
