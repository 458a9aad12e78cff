/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: energy-based voice activity detection that cuts long audio into
 * utterances at silences; see internal.h.
 *
 *  1. Energy of each 10 ms frame, in dB over 1 LSB rms (digital silence is
 *     0 dB, a full-scale sine about 87 dB).
 *  2. An adaptive noise floor: the 10th percentile of the energies within
 *     window_ms (20 s) around each frame (a sliding histogram of 0.5 dB
 *     bins), so it follows a fan that starts or a room that changes, while
 *     speech, which pauses for breath, does not raise it: 2 s of quiet in
 *     20 s is enough. A sound that never stops (a tone, a fan on its own)
 *     is the floor itself, so it is never taken for speech.
 *  3. A frame is loud when it passes floor + threshold_db and min_db. Loud
 *     frames closer than hangover_ms are one stretch (the quiet parts of
 *     words and the gaps between them stay inside); stretches with fewer
 *     than min_speech_ms of loud frames (clicks, a cough) are dropped.
 *  4. Stretches join into utterances. A pause of long_gap_ms always ends
 *     one, a pause of cut_gap_ms ends one that is already min_utt_ms long,
 *     and any pause ends one that would grow past max_utt_ms. Only a single
 *     stretch of speech longer than max_utt_ms is cut inside, at its quietest
 *     frame in the last 5 s (at most half the limit) before the limit.
 *  5. Each utterance gets pad_ms on both sides, up to the middle of the
 *     pause to its neighbour, so the first and last sounds of a word are
 *     kept; audio between utterances is not decoded at all.
 *
 * Cost: one pass over the samples and 200 bins per frame; memory is a few
 * bytes per frame.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "speech/internal.h"
#include "base/mem.h"
#include "base/banned.h"

#define FRAME                  (SD__SPEECH_RATE / 100) /* samples in 10 ms */
#define BIN_DB                 0.5
#define N_BINS                 200 /* 0..100 dB */
#define PERCENTILE             0.10
#define HARD_CUT_WINDOW_FRAMES 500 /* 5 s */

struct stretch {
    size_t start, end; /* frames [start, end) */
};

static size_t ms_to_frames(int ms)
{
    return ms > 0 ? (size_t)ms / 10 : 0;
}

static double frame_db(const int16_t *x, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += (double)x[i] * (double)x[i];
    }
    return 10.0 * log10(sum / (double)n + 1.0);
}

static int db_bin(double db)
{
    int b = (int)(db / BIN_DB);
    return b < 0 ? 0 : (b >= N_BINS ? N_BINS - 1 : b);
}

/* The PERCENTILE level of the frames within @half frames of each frame. */
static void noise_floor(const double *e, size_t nf, size_t half, double *floor_out)
{
    size_t hist[N_BINS] = {0};
    size_t count = 0, lo = 0, hi = 0; /* the histogram holds frames [lo, hi) */
    for (size_t i = 0; i < nf; i++) {
        /* A window of the same length at the ends too: [0, 2 * half] at the start. */
        size_t want_lo = i > half ? i - half : 0;
        size_t want_hi = want_lo + 2 * half + 1;
        if (want_hi > nf) {
            want_hi = nf;
            want_lo = nf > 2 * half + 1 ? nf - 2 * half - 1 : 0;
        }
        for (; hi < want_hi; hi++) {
            hist[db_bin(e[hi])]++;
            count++;
        }
        for (; lo < want_lo; lo++) {
            hist[db_bin(e[lo])]--;
            count--;
        }
        size_t rank = (size_t)((double)count * PERCENTILE), seen = 0;
        int b = 0;
        for (; b < N_BINS - 1; b++) {
            seen += hist[b];
            if (seen > rank) {
                break;
            }
        }
        floor_out[i] = b * BIN_DB;
    }
}

/* Loud stretches, merged across gaps up to the hangover; returns their count. */
static size_t find_stretches(const double *e, const double *fl, size_t nf,
                             const struct sd__vad_opts *o, struct stretch *out)
{
    size_t hang = ms_to_frames(o->hangover_ms), min_loud = ms_to_frames(o->min_speech_ms);
    size_t n = 0, loud = 0;
    bool open = false;
    struct stretch cur = {0, 0};
    for (size_t i = 0; i <= nf; i++) {
        bool is_loud = i < nf && e[i] >= o->min_db && e[i] > fl[i] + o->threshold_db;
        if (open && (i == nf || (is_loud && i - cur.end > hang))) {
            if (loud >= min_loud && loud > 0) {
                out[n++] = cur;
            }
            open = false;
        }
        if (is_loud) {
            if (!open) {
                cur.start = i;
                loud = 0;
                open = true;
            }
            cur.end = i + 1;
            loud++;
        }
    }
    return n;
}

/* The quietest frame in [from, to) (the first of equals). */
static size_t quietest(const double *e, size_t from, size_t to)
{
    size_t best = from;
    for (size_t i = from + 1; i < to; i++) {
        if (e[i] < e[best]) {
            best = i;
        }
    }
    return best;
}

/* Joins stretches into utterances (frames); returns their count, at most n_s + nf / 50. */
static size_t group(const double *e, const struct stretch *s, size_t n_s,
                    const struct sd__vad_opts *o, struct stretch *out)
{
    size_t min_utt = ms_to_frames(o->min_utt_ms), max_utt = ms_to_frames(o->max_utt_ms);
    size_t cut_gap = ms_to_frames(o->cut_gap_ms), long_gap = ms_to_frames(o->long_gap_ms);
    if (max_utt < 100) {
        max_utt = 100;
    }
    size_t n = 0;
    struct stretch u = s[0];
    for (size_t k = 0;; k++) {
        /* A single stretch that is too long is cut at a quiet frame near the limit. */
        while (u.end - u.start > max_utt) {
            size_t to = u.start + max_utt;
            size_t window =
                max_utt / 2 < HARD_CUT_WINDOW_FRAMES ? max_utt / 2 : HARD_CUT_WINDOW_FRAMES;
            size_t cut = quietest(e, to - window, to);
            out[n++] = (struct stretch){u.start, cut};
            u.start = cut;
        }
        if (k + 1 >= n_s) {
            break;
        }
        const struct stretch *next = &s[k + 1];
        size_t gap = next->start - u.end, len = u.end - u.start;
        if (gap >= long_gap || (gap >= cut_gap && len >= min_utt) ||
            next->end - u.start > max_utt) {
            out[n++] = u;
            u = *next;
        } else {
            u.end = next->end;
        }
    }
    out[n++] = u;
    return n;
}

size_t sd__speech_vad(const int16_t *pcm, size_t n, const struct sd__vad_opts *opts,
                      struct sd__vad_range **out)
{
    *out = NULL;
    size_t nf = n / FRAME + (n % FRAME != 0);
    if (nf == 0) {
        return 0;
    }
    double *e = sd_xcalloc(nf, sizeof(*e));
    double *fl = sd_xcalloc(nf, sizeof(*fl));
    struct stretch *s = sd_xcalloc(nf, sizeof(*s));
    for (size_t i = 0; i < nf; i++) {
        size_t from = i * FRAME, len = n - from < FRAME ? n - from : FRAME;
        e[i] = frame_db(pcm + from, len);
    }
    noise_floor(e, nf, ms_to_frames(opts->window_ms / 2), fl);
    size_t n_s = find_stretches(e, fl, nf, opts, s);
    size_t n_u = 0;
    struct stretch *u = NULL;
    if (n_s > 0) {
        /* Each hard cut adds one, and leaves at least 50 frames behind it. */
        u = sd_xcalloc(n_s + nf / 50 + 1, sizeof(*u));
        n_u = group(e, s, n_s, opts, u);
    }
    struct sd__vad_range *r = n_u > 0 ? sd_xcalloc(n_u, sizeof(*r)) : NULL;
    size_t pad = ms_to_frames(opts->pad_ms);
    for (size_t k = 0; k < n_u; k++) {
        size_t lo = u[k].start > pad ? u[k].start - pad : 0;
        size_t hi = u[k].end + pad < nf ? u[k].end + pad : nf;
        if (k > 0) {
            size_t mid = u[k - 1].end + (u[k].start - u[k - 1].end) / 2;
            lo = lo > mid ? lo : mid;
        }
        if (k + 1 < n_u) {
            size_t mid = u[k].end + (u[k + 1].start - u[k].end) / 2;
            hi = hi < mid ? hi : mid;
        }
        r[k].start = lo * FRAME;
        r[k].end = hi * FRAME < n ? hi * FRAME : n;
    }
    free(e);
    free(fl);
    free(s);
    free(u);
    *out = r;
    return n_u;
}
