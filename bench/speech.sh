#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# make bench, speech entry: `showdesk transcribe` against Debian's
# pocketsphinx_continuous on the same audio and the same decoder settings
# (-lw 5 -maxhmmpf 5000 -remove_silence no, the US English model), in one run.
#
# Audio: the real speech of ../shared/data/speech (SPEECH_DATA), its 48 clips
# joined with 0.7 s pauses into one recording of about 5 minutes, and that
# twice over for about 10 minutes. Rows: pocketsphinx_continuous on the whole
# file (what it does: one decoder, its own silence splitting), showdesk on
# one thread and on two. Also the first clip alone (a few seconds), to show
# that a long recording costs no more per second than a short one, and the
# peak RSS of the 5 and 10 minute runs, to show that memory does not grow
# with the length.
#
# Usage: bench/speech.sh OUT_MARKDOWN   (appends its table)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/build-release/showdesk"
out=${1:-/dev/stdout}
data=${SPEECH_DATA:-$here/../shared/data/speech}
model=/usr/share/pocketsphinx/model/en-us
[ -f "$data/jfk_0001.wav" ] || { echo "bench: no speech data in $data (set SPEECH_DATA)" >&2; exit 1; }
command -v pocketsphinx_continuous >/dev/null ||
    { echo "bench: pocketsphinx_continuous is missing (sh scripts/deps.sh bench)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/showdesk-bench-speech.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

# One list of inputs for ffmpeg's concat demuxer: every clip, then 0.7 s of silence.
ffmpeg -v error -f lavfi -t 0.7 -i anullsrc=r=16000:cl=mono -c:a pcm_s16le "$tmp/gap.wav"
for f in "$data"/*.wav; do
    printf "file '%s'\nfile '%s'\n" "$f" "$tmp/gap.wav"
done >"$tmp/list.txt"
ffmpeg -v error -f concat -safe 0 -i "$tmp/list.txt" -ar 16000 -ac 1 -c:a pcm_s16le "$tmp/5min.wav"
printf "file '%s'\nfile '%s'\n" "$tmp/5min.wav" "$tmp/5min.wav" >"$tmp/list2.txt"
ffmpeg -v error -f concat -safe 0 -i "$tmp/list2.txt" -c:a pcm_s16le "$tmp/10min.wav"
cp "$(ls "$data"/*.wav | head -1)" "$tmp/short.wav"

seconds() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }

# run NAME FILE CMD...: one row: audio s, wall s, CPU s, RTFs, peak RSS.
run() {
    name=$1 file=$2
    shift 2
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" ||
        { echo "bench: $name failed:" >&2; cat "$tmp/err" >&2; exit 1; }
    read -r wall user sys rss <"$tmp/time"
    audio=$(seconds "$file")
    awk -v n="$name" -v a="$audio" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
        printf "| %s | %.0f s | %.1f s | %.1f s | %.3f | %.3f | %.0f MB |\n", n, a, w, u + s, w / a, (u + s) / a, r / 1024 }'
}

ps_args="-hmm $model/en-us -lm $model/en-us.lm.bin -dict $model/cmudict-en-us.dict -lw 5 -maxhmmpf 5000 -remove_silence no -logfn /dev/null"
{
    echo "### Speech recognition: showdesk transcribe vs pocketsphinx_continuous"
    echo
    echo "The 48 clips of the shared speech data joined with 0.7 s pauses; the same model and settings (-lw 5 -maxhmmpf 5000 -remove_silence no); RTF = seconds per second of audio."
    echo
    echo "| run | audio | wall | CPU | RTF wall | RTF CPU | peak RSS |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    # shellcheck disable=SC2086
    run "pocketsphinx_continuous, 5 min" "$tmp/5min.wav" pocketsphinx_continuous $ps_args -infile "$tmp/5min.wav"
    run "showdesk transcribe --threads 1, 5 min" "$tmp/5min.wav" "$bin" transcribe --threads 1 "$tmp/5min.wav"
    run "showdesk transcribe --threads 2, 5 min" "$tmp/5min.wav" "$bin" transcribe --threads 2 "$tmp/5min.wav"
    run "showdesk transcribe --threads 2, 10 min" "$tmp/10min.wav" "$bin" transcribe --threads 2 "$tmp/10min.wav"
    run "showdesk transcribe --threads 1, one clip" "$tmp/short.wav" "$bin" transcribe --threads 1 "$tmp/short.wav"
    echo
    echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r); $(date +%F)."
    echo
} >>"$out"
