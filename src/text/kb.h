/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: matching a ticket to help articles, with a confidence.
 *
 * An sd_kb is one workspace's articles in a BM25F index (bm25.h): title,
 * plain body text (md.h's sd_md_text) and tags, each as stemmed words
 * without stopwords. Articles are put and removed one at a time, so the
 * index follows edits without a rebuild.
 *
 * A match's confidence turns the ranking into a probability that the first
 * article answers the ticket. It is a logistic function of four readings of
 * the ranking:
 *   - norm:     the best score over the sum of the query terms' IDF;
 *   - margin:   how far the best is ahead of the second, (s1 - s2) / s1;
 *   - coverage: the share of the query's distinct terms the best article has;
 *   - log(1 + the number of distinct query terms).
 * Its weights are fitted (sd_kb_calibrate, liblinear's logistic regression)
 * on labelled pairs of tickets and the article that answers them, or none;
 * `showdesk train` fits them on corpus/kb and keeps them in the triage
 * model file. Only the first hit gets the fitted confidence; the others get
 * it scaled by their score relative to the first.
 *
 * MT safe: searches take a read lock, puts and removes a write lock.
 */
#ifndef SD_TEXT_KB_H
#define SD_TEXT_KB_H

#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"
#include "text/tok.h"

#define SD_KB_FEATURES 4

struct sd_kb_calib {
    double w[SD_KB_FEATURES];
    double bias;
};

/** The calibration used when no fitted one is at hand. */
extern const struct sd_kb_calib sd_kb_calib_default;

typedef struct sd_kb sd_kb;

SD_MUST_CHECK sd_status sd_kb_new(sd_kb **out, struct sd_err *err);
void sd_kb_free(sd_kb *kb);

/** Adds or replaces article @id; @text is its body as plain text. */
SD_MUST_CHECK sd_status sd_kb_put(sd_kb *kb, sd_stem *stem, const char *id, const char *title,
                                  const char *text, const char *const *tags, size_t n_tags,
                                  struct sd_err *err);
void sd_kb_remove(sd_kb *kb, const char *id);
size_t sd_kb_count(sd_kb *kb);
size_t sd_kb_bytes(sd_kb *kb);

struct sd_kb_match {
    const char *id;    /* in the caller's arena */
    const char *title; /* in the caller's arena */
    double score;
    double x[SD_KB_FEATURES]; /* the readings the confidence is made of */
    double confidence;        /* 0..1 */
};

/**
 * The @k best articles for @query (a ticket's text), best first, with
 * confidences from @cal (nullable: the default). Returns the count.
 */
size_t sd_kb_search(sd_kb *kb, sd_stem *stem, sd_arena *a, const char *query,
                    const struct sd_kb_calib *cal, size_t k, struct sd_kb_match *out);

/** Fits @out on @n rows of readings @x with outcomes @y (1: the first hit answers). */
SD_MUST_CHECK sd_status sd_kb_calibrate(const double (*x)[SD_KB_FEATURES], const int *y, size_t n,
                                        struct sd_kb_calib *out, struct sd_err *err);

#endif
