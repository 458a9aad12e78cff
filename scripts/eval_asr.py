#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Scores `showdesk transcribe` on recordings with reference transcripts.

Runs `BIN transcribe --format text FILE` on every WAV of the data folder (the
reference texts are in its references.tsv: id TAB text), normalises the
hypothesis as the references are (lowercase, hyphens as spaces, punctuation
removed, apostrophes kept), and prints per file: words, edits, word error
rate (word-level Levenshtein distance / reference words), audio seconds, CPU
seconds of the child (user + system, from RUSAGE_CHILDREN) and wall seconds;
then the overall WER (total edits / total reference words) and real-time
factors (CPU or wall seconds per second of audio).

    scripts/eval_asr.py [--data DIR] [--bin PATH] [--threads N] [--only SUBSTR]

DIR defaults to $SPEECH_DATA, else ../shared/data/speech beside the
repository. Python 3 standard library only. Exit status 1 if a file fails.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def normalise(text):
    text = text.lower().replace('-', ' ')
    text = re.sub(r"[^a-z0-9' \t\n]", ' ', text)
    return text.split()


def edits(ref, hyp):
    """Word-level Levenshtein distance (substitutions, deletions, insertions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.environ.get('SPEECH_DATA') or
                    os.path.join(ROOT, '..', 'shared', 'data', 'speech'))
    ap.add_argument('--bin', default=os.path.join(ROOT, 'build-release', 'showdesk'))
    ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--only', default='', help='score only ids containing this')
    args = ap.parse_args()

    refs_path = os.path.join(args.data, 'references.tsv')
    if not os.path.isfile(refs_path):
        sys.exit(f'eval_asr: no {refs_path} (set SPEECH_DATA or --data to the folder of '
                 'WAV files and references.tsv)')
    if not os.access(args.bin, os.X_OK):
        sys.exit(f'eval_asr: no {args.bin} (run make, or pass --bin)')
    refs = {}
    with open(refs_path, encoding='utf-8') as f:
        for line in f:
            if '\t' in line:
                rid, text = line.rstrip('\n').split('\t', 1)
                refs[rid] = text

    rows, failed = [], 0
    for rid in sorted(refs):
        if args.only not in rid:
            continue
        wav = os.path.join(args.data, rid + '.wav')
        if not os.path.isfile(wav):
            print(f'eval_asr: {wav} is missing', file=sys.stderr)
            failed += 1
            continue
        with wave.open(wav) as w:
            audio_s = w.getnframes() / w.getframerate()
        cmd = [args.bin, 'transcribe', '--format', 'text', wav]
        if args.threads is not None:
            cmd += ['--threads', str(args.threads)]
        cpu0, t0 = children_cpu(), time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall, cpu = time.monotonic() - t0, children_cpu() - cpu0
        if p.returncode != 0:
            print(f'eval_asr: {rid}: exit {p.returncode}: {p.stderr.strip()}', file=sys.stderr)
            failed += 1
            continue
        ref, hyp = normalise(refs[rid]), normalise(p.stdout)
        rows.append((rid, len(ref), edits(ref, hyp), audio_s, cpu, wall))

    print(f'{"id":<24} {"words":>5} {"edits":>5} {"WER%":>6} {"audio_s":>7} {"cpu_s":>6} '
          f'{"wall_s":>6}')
    for rid, n, e, a, c, w in rows:
        print(f'{rid:<24} {n:>5} {e:>5} {100.0 * e / max(n, 1):>6.1f} {a:>7.2f} {c:>6.2f} '
              f'{w:>6.2f}')
    if rows:
        n = sum(r[1] for r in rows)
        e = sum(r[2] for r in rows)
        a = sum(r[3] for r in rows)
        c = sum(r[4] for r in rows)
        w = sum(r[5] for r in rows)
        print(f'{"overall":<24} {n:>5} {e:>5} {100.0 * e / max(n, 1):>6.1f} {a:>7.2f} {c:>6.2f} '
              f'{w:>6.2f}')
        groups = {}
        for r in rows:
            groups.setdefault(r[0].split('_')[0], []).append(r)
        for g, rs in sorted(groups.items()):
            gn, ge = sum(r[1] for r in rs), sum(r[2] for r in rs)
            print(f'  {g:<8} {len(rs):>3} files  WER {100.0 * ge / max(gn, 1):5.1f}%')
        print(f'WER {100.0 * e / max(n, 1):.1f}% over {len(rows)} files, {n} words, '
              f'{a:.0f} s of audio; RTF {c / a:.3f} CPU-s and {w / a:.3f} wall-s per audio-s')
    if failed:
        print(f'{failed} file(s) failed', file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
