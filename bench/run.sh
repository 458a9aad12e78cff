#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# make bench: Showdesk's speed and memory against a reference measured in the
# same run, on this machine.
#
# Entry 1 (api), the API read path: an authenticated GET /api/v1/tickets/{id}
# (secret key lookup + ticket read + JSON) under wrk, 64 connections and 2
# threads, against nginx serving a static JSON file of the same size. Ratio =
# showdesk req/s / nginx req/s. Also showdesk's RSS when idle (after start and
# one request) and at its peak (VmHWM) after the load. Runs on SQLite, and on
# PostgreSQL when scripts/pg.sh can start one.
#
# Entry 2 (upload), tus uploads: 20 uploads of the same 200 MB random file at
# once with tus-js-client (bench/upload.mjs, 8 MiB per PATCH) to showdesk's
# POST /api/v1/uploads, sealed (the default) and plain, with --no-workers so
# that no transcode competes for the cores, against @tus/server with
# @tus/file-store on Node's http server (bench/tus-server.mjs). MB/s over all
# uploads, and each server's peak RSS (VmHWM).
#
# Entry 3 (range), range reads: random 1 MiB "Range: bytes=A-B" slices
# (bench/range.lua) of a ~200 MB video.mp4 that showdesk made itself (a noise
# video uploaded and transcoded by its media.process job), by signed URL,
# plain (sendfile) and sealed (decrypted per range), against nginx serving the
# same bytes from a static file with sendfile. wrk as in entry 1.
#
# Entry 4 (transcode): a 60 s 1280x720 30 fps VP8 + Opus WebM to H.264 + AAC
# MP4 by Showdesk's media library (build-release/bench/bench-transcode),
# without and with the poster, sprite and WebVTT track, against the ffmpeg
# command line with the same settings. Wall time, CPU time and peak RSS from
# /usr/bin/time -v; the median of BENCH_TRANSCODE_RUNS interleaved runs.
#
# Entry 6 (text), triage and knowledge-base search (build-release/bench/
# bench-text, bench/text.c, built here when missing or stale): sd_triage_run +
# sd_summarize on 300-word transcripts made from the built-in corpus (mean,
# p50, p99 of 2,000 runs), and sd_kb_search (k = 3) over generated articles
# (Zipf vocabulary of 50,000 terms; BENCH_TEXT_SIZES articles, "10000 100000"
# by default) against SQLite FTS5's bm25() on the same articles and 2,000
# queries in the same process: build time, memory, p50/p99/max latency.
#
# BENCH_ONLY=api|upload|range|transcode|speech|text (or several, comma-separated) runs only
# those entries; the default is all. Each entry prints a Markdown table and
# appends it to bench/out/latest.md, which starts empty on every run.
# Everything it starts listens on 127.0.0.1 only and is stopped on exit.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/build-release/showdesk"
tc_bin="$here/build-release/bench/bench-transcode"
text_bin="$here/build-release/bench/bench-text"
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-3}
CONNS=64
THREADS=2
UP_COUNT=${BENCH_UPLOADS:-20}
UP_BYTES=${BENCH_UPLOAD_BYTES:-200000000}
UP_CHUNK=8388608
RANGE_SECONDS=${BENCH_RANGE_SECONDS:-22}
RANGE_LEN=1048576
TC_RUNS=${BENCH_TRANSCODE_RUNS:-3}
TEXT_SIZES=${BENCH_TEXT_SIZES:-10000 100000}

ONLY=$(echo "${BENCH_ONLY:-all}" | tr ',' ' ')
for s in $ONLY; do
    case $s in
    all | api | upload | range | transcode | speech | text) ;;
    *)
        echo "bench: unknown BENCH_ONLY entry '$s' (use api, upload, range, transcode, speech, text or all)" >&2
        exit 2
        ;;
    esac
done
wanted() {
    case " $ONLY " in *" all "* | *" $1 "*) return 0 ;; esac
    return 1
}

[ -x "$bin" ] || { echo "bench: build the release binary first (make bench does)" >&2; exit 1; }
# need TOOL...: fails with the command that installs what is missing.
need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
            { echo "bench: $tool is missing (sh scripts/deps.sh bench)" >&2; exit 1; }
    done
}
need_node() {
    need node
    if [ ! -d "$here/web/node_modules/tus-js-client" ] || [ ! -d "$here/web/node_modules/@tus/server" ]; then
        echo "bench: web/node_modules is missing (sh scripts/deps.sh bench)" >&2
        exit 1
    fi
}
need curl python3
wanted api && need wrk nginx
wanted upload && need_node
wanted range && need wrk nginx ffmpeg && need_node
wanted transcode && need ffmpeg /usr/bin/time
if wanted transcode && [ ! -x "$tc_bin" ]; then
    echo "bench: $tc_bin is missing (make bench builds it)" >&2
    exit 1
fi
# bench-text is not in the Makefile's bench target: built here, a no-op when up to date.
if wanted text; then
    [ -f "$here/build-release/build.ninja" ] ||
        { echo "bench: build-release is not configured (make bench does it)" >&2; exit 1; }
    ninja -C "$here/build-release" bench/bench-text >&2 ||
        { echo "bench: cannot build bench/bench-text" >&2; exit 1; }
fi
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
mkdir -p "$here/bench/out"
report="$here/bench/out/latest.md"
: >"$report"

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

# measure WRK_ARG...: wrk after a warm-up with the same arguments; prints "req/s p99_ms".
measure() {
    wrk -t$THREADS -c$CONNS -d${WARMUP}s "$@" >/dev/null
    out=$(wrk -t$THREADS -c$CONNS -d${DURATION}s --latency "$@")
    echo "$out" >>"$tmp/wrk.log"
    if echo "$out" | grep -q "Non-2xx"; then
        echo "bench: non-2xx answers from wrk $*:" >&2
        echo "$out" >&2
        exit 1
    fi
    if echo "$out" | grep -q "Socket errors"; then
        echo "bench: wrk $*: $(echo "$out" | grep "Socket errors")" >&2
    fi
    rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v}')
    echo "$rps $p99"
}

# load URL [HEADER]: measure one URL, with one request header.
load() {
    if [ -n "${2:-}" ]; then
        measure -H "$2" "$1"
    else
        measure "$1"
    fi
}

kb() { awk "/^$2:/ {print \$2}" "/proc/$1/status"; }

stop_pid() {
    kill "$1"
    wait "$1" || true
}

# json PATH: the value at PATH (keys joined by dots) of the JSON on stdin.
json() {
    python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

# new_key DATA: a workspace in the store of DATA; prints its secret key.
new_key() {
    "$bin" admin --data "$1" workspace create --name Bench 2>/dev/null | json secret_key
}

# start_showdesk DATA [ARG...]: showdesk serve on DATA with ARGs on a free
# port; sets sd_pid and sd_base once it answers. Logs go to DATA.log.
start_showdesk() {
    sd_data=$1
    shift
    sd_port=$(free_port)
    "$bin" serve --data "$sd_data" --listen "127.0.0.1:$sd_port" "$@" >"$sd_data.out" 2>"$sd_data.log" &
    sd_pid=$!
    pids="$pids $sd_pid"
    sd_base="http://127.0.0.1:$sd_port"
    wait_http "$sd_base/healthz"
}

# start_nginx DIR DEFAULT_TYPE [DIRECTIVE...]: nginx serving DIR/www on a free
# port, with more http{} directives; sets ng_pid and ng_base.
start_nginx() {
    ng_dir=$1
    ng_type=$2
    shift 2
    ng_port=$(free_port)
    mkdir -p "$ng_dir/www" "$ng_dir/logs"
    chmod -R a+rX "$ng_dir/www"
    cat >"$ng_dir/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $ng_dir/nginx.pid;
error_log $ng_dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $ng_dir/body;
    proxy_temp_path $ng_dir/proxy;
    fastcgi_temp_path $ng_dir/fastcgi;
    uwsgi_temp_path $ng_dir/uwsgi;
    scgi_temp_path $ng_dir/scgi;
    default_type $ng_type;
    keepalive_requests 100000;
    $*
    server {
        listen 127.0.0.1:$ng_port;
        root $ng_dir/www;
    }
}
CONF
    "$NGINX" -p "$ng_dir" -c "$ng_dir/nginx.conf" 2>"$ng_dir/logs/start.log" &
    ng_pid=$!
    pids="$pids $ng_pid"
    ng_base="http://127.0.0.1:$ng_port"
    wait_http "$ng_base/"
}

machine_line() {
    cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
    mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
    echo "Machine: $(nproc) cores, $cpu, $mem, Linux $(uname -r); $(date -u +%Y-%m-%d)."
}

nginx_version() { "$NGINX" -v 2>&1 | sed 's|.*nginx/||'; }

# ---------------------------------------------------------------------------
# Entry 1: the API read path.

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
    mkdir -p "$tmp/nginx/www"
    cp "$tmp/body.json" "$tmp/nginx/www/ticket.json"
    start_nginx "$tmp/nginx" application/json
    r=$(load "$ng_base/ticket.json") || exit 1
    set -- $r
    stop_pid "$ng_pid"
    echo "nginx $1 $2 - -" >>"$tmp/rows"
}

section_api() {
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
        machine_line
        echo
    } | tee -a "$report"
}

# ---------------------------------------------------------------------------
# Entry 2: tus uploads.

section_upload() {
    # KiB: every upload stored at once by one target, the file, and 2 GiB to spare.
    want_kb=$(((UP_COUNT + 1) * (UP_BYTES / 1024) + 2097152))
    avail_kb=$(df -Pk "$tmp" | awk 'NR == 2 {print $4}')
    if [ "$avail_kb" -lt "$want_kb" ]; then
        echo "bench: the uploads need $((want_kb / 1048576)) GiB free in $tmp; there are $((avail_kb / 1048576))" >&2
        exit 1
    fi
    echo "bench: uploads, $UP_COUNT x $UP_BYTES bytes at once" >&2
    head -c "$UP_BYTES" /dev/urandom >"$tmp/upload.bin"
    : >"$tmp/up-rows"
    for mode in sealed plain; do
        d="$tmp/up-$mode"
        sk=$(new_key "$d")
        # A PATCH holds its database connection while its body streams in, and
        # the default pool (threads + 2 without workers) would make the uploads
        # past the fourth wait for one and fail with 503: one connection each.
        pool=$((UP_COUNT + 4))
        if [ $mode = plain ]; then
            start_showdesk "$d" --no-workers --db-pool $pool --encrypt-media=false
        else
            start_showdesk "$d" --no-workers --db-pool $pool
        fi
        echo "bench: uploads to showdesk, $mode" >&2
        r=$(node "$here/bench/upload.mjs" "$sd_base/api/v1/uploads" "$tmp/upload.bin" "$UP_COUNT" \
            "$UP_CHUNK" "Bearer $sk")
        peak=$(kb "$sd_pid" VmHWM)
        stop_pid "$sd_pid"
        # Each stored object is marked as the mode says: a key file or a plain marker.
        marks=$(find "$d/blobs" -name "*-orig.$([ $mode = plain ] && echo plain || echo key)" | wc -l)
        [ "$marks" -eq "$UP_COUNT" ] ||
            { echo "bench: $marks of $UP_COUNT uploads stored $mode on showdesk" >&2; exit 1; }
        rm -rf "$d" "$d.log" "$d.out"
        set -- $r
        echo "showdesk-$mode $1 $2 $peak" >>"$tmp/up-rows"
    done

    echo "bench: uploads to @tus/server" >&2
    port=$(free_port)
    mkdir -p "$tmp/tus-files"
    node "$here/bench/tus-server.mjs" "$port" "$tmp/tus-files" >"$tmp/tus.out" 2>"$tmp/tus.log" &
    tpid=$!
    pids="$pids $tpid"
    wait_http "http://127.0.0.1:$port/files"
    r=$(node "$here/bench/upload.mjs" "http://127.0.0.1:$port/files" "$tmp/upload.bin" "$UP_COUNT" "$UP_CHUNK")
    peak=$(kb "$tpid" VmHWM)
    stop_pid "$tpid"
    rm -rf "$tmp/tus-files"
    set -- $r
    echo "tus $1 $2 $peak" >>"$tmp/up-rows"
    rm -f "$tmp/upload.bin"

    tusv=$(node -p "require('$here/web/node_modules/@tus/server/package.json').version")
    fsv=$(node -p "require('$here/web/node_modules/@tus/file-store/package.json').version")
    clv=$(node -p "require('$here/web/node_modules/tus-js-client/package.json').version")
    {
        echo "### tus uploads: $UP_COUNT at once of $((UP_BYTES / 1000000)) MB each"
        echo
        echo "tus-js-client $clv on Node $(node --version) sends $UP_COUNT uploads of the same random file at once from one process, $((UP_CHUNK >> 20)) MiB per PATCH; client and servers share the machine. showdesk runs with \`--no-workers\`, so the media.process job of each finished upload waits in the queue, and with \`--db-pool $pool\`, a database connection per upload in flight. MB = 10^6 bytes."
        echo
        echo "| target | MB/s | time | ratio to @tus/server | RSS peak | RSS ratio |"
        echo "|---|---:|---:|---:|---:|---:|"
        ref_s=$(awk '$1 == "tus" {print $2}' "$tmp/up-rows")
        ref_rss=$(awk '$1 == "tus" {print $4}' "$tmp/up-rows")
        while read -r name secs bytes peak; do
            case $name in
            showdesk-sealed) label="showdesk, sealed (default)" ;;
            showdesk-plain) label="showdesk, plain (\`--encrypt-media=false\`)" ;;
            tus) label="@tus/server $tusv + @tus/file-store $fsv" ;;
            esac
            awk -v l="$label" -v s="$secs" -v b="$bytes" -v p="$peak" -v rs="$ref_s" -v rp="$ref_rss" \
                'BEGIN {printf "| %s | %.0f | %.1f s | %.2f | %.1f MB | %.2f |\n", l, b / s / 1e6, s, rs / s, p / 1024, p / rp}'
        done <"$tmp/up-rows"
        echo
        machine_line
        echo
    } | tee -a "$report"
}

# ---------------------------------------------------------------------------
# Entry 3: range reads.

# wait_ready BASE KEY ID: polls GET /api/v1/media/ID until it is ready (for at
# most 15 min); prints "SIZE URL".
wait_ready() {
    i=0
    while :; do
        st=$(curl -s -H "Authorization: Bearer $2" "$1/api/v1/media/$3" | python3 -c 'import json,sys
m = json.load(sys.stdin)
print(m["state"], m.get("size_bytes") or 0, (m.get("urls") or {}).get("video") or "-", m.get("failure") or "")')
        case $st in
        ready*)
            echo "$st" | awk '{print $2, $3}'
            return 0
            ;;
        failed*)
            echo "bench: media $3 failed: $st" >&2
            exit 1
            ;;
        esac
        i=$((i + 1))
        [ $i -lt 1800 ] || { echo "bench: media $3 not ready in 15 min: $st" >&2; exit 1; }
        sleep 0.5
    done
}

# check_ranges URL FILE: three ranges from URL must be 206 and equal FILE's bytes.
check_ranges() {
    python3 - "$1" "$2" "$RANGE_LEN" <<'PY'
import os, sys, urllib.request
url, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
size = os.path.getsize(path)
with open(path, 'rb') as f:
    for a in (0, size // 3 + 12345, size - n):
        req = urllib.request.Request(url, headers={'Range': f'bytes={a}-{a + n - 1}'})
        with urllib.request.urlopen(req) as r:
            body = r.read()
            cr = r.headers.get('Content-Range')
        f.seek(a)
        want = f.read(n)
        if r.status != 206 or cr != f'bytes {a}-{a + n - 1}/{size}' or body != want:
            sys.exit(f'bench: {url}: range at {a}: {r.status} {cr}, {len(body)} bytes, equal: {body == want}')
PY
}

section_range() {
    echo "bench: range reads, making a ${RANGE_SECONDS} s 1280x720 noise video" >&2
    ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=30,noise=alls=100:allf=t" \
        -f lavfi -i sine=frequency=440:sample_rate=48000 -t "$RANGE_SECONDS" \
        -c:v libx264 -preset ultrafast -crf 26 -pix_fmt yuv420p -c:a aac "$tmp/range-in.mp4"
    in_bytes=$(wc -c <"$tmp/range-in.mp4")
    # Both objects are made at once, one worker each: the transcodes share the cores.
    for mode in plain sealed; do
        d="$tmp/range-$mode"
        new_key "$d" >"$d.key"
        if [ $mode = plain ]; then
            start_showdesk "$d" --workers 1 --encrypt-media=false
        else
            start_showdesk "$d" --workers 1
        fi
        echo "$sd_pid $sd_base" >"$d.srv"
        echo "bench: uploading $in_bytes bytes to showdesk, $mode" >&2
        r=$(node "$here/bench/upload.mjs" "$sd_base/api/v1/uploads" "$tmp/range-in.mp4" 1 "$UP_CHUNK" \
            "Bearer $(cat "$d.key")")
        echo "$r" | awk '{print $3}' >"$d.id"
    done
    for mode in plain sealed; do
        d="$tmp/range-$mode"
        read -r pid base <"$d.srv"
        echo "bench: waiting for showdesk to transcode it, $mode" >&2
        wait_ready "$base" "$(cat "$d.key")" "$(cat "$d.id")" >/dev/null
        stop_pid "$pid"
    done
    rm -f "$tmp/range-in.mp4"

    # Served by a fresh process, so that its peak RSS is the serving alone.
    : >"$tmp/range-rows"
    mkdir -p "$tmp/rng/www"
    for mode in plain sealed; do
        d="$tmp/range-$mode"
        if [ $mode = plain ]; then
            start_showdesk "$d" --no-workers --encrypt-media=false
        else
            start_showdesk "$d" --no-workers
        fi
        r=$(wait_ready "$sd_base" "$(cat "$d.key")" "$(cat "$d.id")")
        set -- $r
        size=$1
        url="$sd_base$2"
        curl -s -f -o "$tmp/video-$mode.mp4" "$url"
        [ "$(wc -c <"$tmp/video-$mode.mp4")" -eq "$size" ] ||
            { echo "bench: $url did not give $size bytes" >&2; exit 1; }
        check_ranges "$url" "$tmp/video-$mode.mp4"
        echo "bench: random 1 MiB ranges of $size bytes from showdesk, $mode" >&2
        r=$(measure -s "$here/bench/range.lua" "$url" -- "$size" "$RANGE_LEN") || exit 1
        peak=$(kb "$sd_pid" VmHWM)
        stop_pid "$sd_pid"
        echo "showdesk-$mode $r $peak $size" >>"$tmp/range-rows"
    done
    if cmp -s "$tmp/video-plain.mp4" "$tmp/video-sealed.mp4"; then
        same="the two transcodes gave the same bytes"
    else
        same="the two transcodes differ slightly in size, $(wc -c <"$tmp/video-plain.mp4") and $(wc -c <"$tmp/video-sealed.mp4") bytes"
    fi
    rm -f "$tmp/video-sealed.mp4"
    mv "$tmp/video-plain.mp4" "$tmp/rng/www/video.mp4"
    size=$(wc -c <"$tmp/rng/www/video.mp4")
    start_nginx "$tmp/rng" video/mp4 "sendfile on;" "tcp_nopush on;"
    check_ranges "$ng_base/video.mp4" "$tmp/rng/www/video.mp4"
    echo "bench: random 1 MiB ranges of $size bytes from nginx" >&2
    r=$(measure -s "$here/bench/range.lua" "$ng_base/video.mp4" -- "$size" "$RANGE_LEN") || exit 1
    stop_pid "$ng_pid"
    echo "nginx $r - $size" >>"$tmp/range-rows"
    rm -rf "$tmp/rng" "$tmp"/range-plain* "$tmp"/range-sealed*

    ngv=$(nginx_version)
    {
        echo "### Random 1 MiB byte ranges of a $((size / 1000000)) MB video.mp4"
        echo
        echo "wrk, $CONNS connections, $THREADS threads, ${DURATION} s after a ${WARMUP} s warm-up; each request asks for one random 1 MiB slice, \`Range: bytes=A-B\` (bench/range.lua: the same sequence for every target); client and servers share the machine. The object is a ${RANGE_SECONDS} s 1280x720 noise video ($((in_bytes / 1000000)) MB) uploaded to showdesk and transcoded by its media.process job; $same. showdesk serves by signed URL from a fresh process; nginx serves the plain object's bytes from a static file. MB/s counts the bodies, MB = 10^6 bytes."
        echo
        echo "| target | req/s | MB/s | p99 latency | ratio to nginx | RSS peak |"
        echo "|---|---:|---:|---:|---:|---:|"
        ref=$(awk '$1 == "nginx" {print $2}' "$tmp/range-rows")
        while read -r name rps p99 peak _; do
            case $name in
            showdesk-plain) label="showdesk, plain (sendfile)" ;;
            showdesk-sealed) label="showdesk, sealed (decrypted per range)" ;;
            nginx) label="nginx $ngv, static file, sendfile" ;;
            esac
            if [ "$peak" = "-" ]; then
                rss="-"
            else
                rss=$(awk -v p="$peak" 'BEGIN {printf "%.1f MB", p / 1024}')
            fi
            awk -v l="$label" -v r="$rps" -v p="$p99" -v ref="$ref" -v rss="$rss" -v n="$RANGE_LEN" \
                'BEGIN {printf "| %s | %.0f | %.0f | %s ms | %.2f | %s |\n", l, r, r * n / 1e6, p, r / ref, rss}'
        done <"$tmp/range-rows"
        echo
        machine_line
        echo
    } | tee -a "$report"
}

# ---------------------------------------------------------------------------
# Entry 4: transcode.

# timed NAME CMD...: runs CMD under /usr/bin/time -v; appends "NAME wall_s cpu_s rss_kb".
timed() {
    name=$1
    shift
    /usr/bin/time -v -o "$tmp/tc/$name.time" "$@" >"$tmp/tc/$name.out" 2>&1 ||
        { echo "bench: $name failed:" >&2; cat "$tmp/tc/$name.out" >&2; exit 1; }
    awk -F': ' -v n="${name%-*}" '
        /User time/ {u = $2} /System time/ {s = $2} /Maximum resident/ {m = $2}
        /Elapsed/ {k = split($2, a, ":"); w = 0; for (i = 1; i <= k; i++) w = w * 60 + a[i]}
        END {printf "%s %.2f %.2f %d\n", n, w, u + s, m}' "$tmp/tc/$name.time" >>"$tmp/tc/rows"
}

# Entry 5 (speech): bench/speech.sh, showdesk transcribe against
# pocketsphinx_continuous on the shared speech data.
section_speech() {
    echo "bench: speech, showdesk transcribe vs pocketsphinx_continuous" >&2
    sh "$here/bench/speech.sh" "$report"
}

section_transcode() {
    mkdir -p "$tmp/tc/thumbs"
    in="$tmp/tc/in.webm"
    echo "bench: transcode, making a 60 s 1280x720 30 fps VP8 + Opus WebM" >&2
    ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=30 \
        -f lavfi -i sine=frequency=440:sample_rate=48000 -t 60 \
        -c:v libvpx -deadline realtime -cpu-used 16 -threads 2 -b:v 2M -c:a libopus "$in"
    : >"$tmp/tc/rows"
    i=1
    while [ $i -le "$TC_RUNS" ]; do
        echo "bench: transcode, run $i of $TC_RUNS" >&2
        timed "ffmpeg-$i" ffmpeg -v error -y -i "$in" -c:v libx264 -preset veryfast -crf 28 \
            -pix_fmt yuv420p -c:a aac -b:a 128k -movflags +faststart "$tmp/tc/ffmpeg.mp4"
        timed "showdesk-$i" "$tc_bin" "$in" "$tmp/tc/showdesk.mp4"
        timed "thumbs-$i" "$tc_bin" "$in" "$tmp/tc/thumbs.mp4" "$tmp/tc/thumbs"
        i=$((i + 1))
    done
    for f in ffmpeg showdesk thumbs; do
        streams=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$tmp/tc/$f.mp4" | sort | tr '\n' ' ')
        [ "$streams" = "aac h264 " ] || { echo "bench: $f.mp4 has streams: $streams" >&2; exit 1; }
    done
    in_mb=$(awk -v b="$(wc -c <"$in")" 'BEGIN {printf "%.1f", b / 1e6}')
    thumbs_bytes=$(cat "$tmp/tc/thumbs"/* | wc -c)
    ffv=$(ffmpeg -version | awk 'NR == 1 {print $3}')
    {
        echo "### Transcode: 60 s of 1280x720 30 fps VP8 + Opus WebM to H.264 + AAC MP4"
        echo
        echo "libx264 veryfast CRF 28, yuv420p, AAC 128 kb/s, faststart; each with its libraries' default threads on the machine's cores. The input ($in_mb MB, libvpx 2 Mb/s) is testsrc2 + a sine made with the ffmpeg command line. The three targets run in turn, $TC_RUNS times; wall time and peak RSS are from each target's median run by wall time, CPU time is its median over the runs (it moves less than wall time when something else uses the cores); /usr/bin/time -v."
        echo
        echo "| target | wall | CPU (user+sys) | RSS peak | output | wall ratio to ffmpeg | CPU ratio to ffmpeg |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        mid=$(((TC_RUNS + 1) / 2))
        ref=$(awk '$1 == "ffmpeg"' "$tmp/tc/rows" | sort -k2 -n | sed -n "${mid}p" | awk '{print $2}')
        ref_cpu=$(awk '$1 == "ffmpeg"' "$tmp/tc/rows" | sort -k3 -n | sed -n "${mid}p" | awk '{print $3}')
        for f in ffmpeg showdesk thumbs; do
            case $f in
            ffmpeg) label="ffmpeg $ffv command line" ;;
            showdesk) label="showdesk, sd_media_transcode" ;;
            thumbs) label="showdesk, + poster, sprite and WebVTT (what the server runs)" ;;
            esac
            out=$(wc -c <"$tmp/tc/$f.mp4")
            extra=""
            [ $f = thumbs ] && extra=" + $((thumbs_bytes / 1000)) kB"
            cpu=$(awk -v f="$f" '$1 == f' "$tmp/tc/rows" | sort -k3 -n | sed -n "${mid}p" | awk '{print $3}')
            awk -v f="$f" '$1 == f' "$tmp/tc/rows" | sort -k2 -n | sed -n "${mid}p" |
                awk -v l="$label" -v o="$out" -v x="$extra" -v ref="$ref" -v c="$cpu" -v rc="$ref_cpu" \
                    '{printf "| %s | %.2f s | %.2f s | %.1f MB | %.2f MB%s | %.2f | %.2f |\n", l, $2, c, $4 / 1024, o / 1e6, x, $2 / ref, c / rc}'
        done
        echo
        machine_line
        echo
    } | tee -a "$report"
}

# Entry 6 (text): bench-text prints its two tables; the machine line follows.
section_text() {
    echo "bench: text, triage and KB search against SQLite FTS5 ($TEXT_SIZES articles)" >&2
    # shellcheck disable=SC2086
    "$text_bin" $TEXT_SIZES >"$tmp/text.md" || { echo "bench: bench-text failed" >&2; exit 1; }
    {
        cat "$tmp/text.md"
        machine_line
        echo
    } | tee -a "$report"
}

# cpu_busy: the percentage of the machine's CPU time that anything used in
# the next second.
cpu_busy() {
    a=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)
    echo "$a $b" | awk '{t = ($3 + $4) - ($1 + $2); if (t <= 0) t = 1; printf "%.0f", 100 * ($3 - $1) / t}'
}

# run_entry NAME: one entry, with a note in the report when other processes
# were using the cores just before or just after it (nothing of ours runs
# then), since its figures are then low.
run_entry() {
    before=$(cpu_busy)
    "section_$1"
    after=$(cpu_busy)
    if [ "$before" -ge 10 ] || [ "$after" -ge 10 ]; then
        echo "bench: other processes used ${before}% of the CPU before the $1 entry and ${after}% after it" >&2
        printf 'Note: other processes used %s%% of the CPU in the second before this entry and %s%% in the second after it; its figures are likely low.\n\n' \
            "$before" "$after" | tee -a "$report"
    fi
}

for entry in api upload range transcode speech text; do
    if wanted $entry; then
        run_entry $entry
    fi
done
exit 0
