/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: what a ticket is about, in a line and two sentences.
 *
 * Extractive: the text is cut into sentences (tok.h: punctuation, pauses
 * between timed words, or discourse words for a recogniser's text), each
 * sentence becomes a vector of its stemmed content words, and a sentence's
 * centrality is the sum of its cosine similarities to the others (LexRank's
 * degree form) with a small bonus for the opening sentences, where people
 * say what is wrong. The summary is the two most central sentences in their
 * original order, cleaned of fillers and stutters and cut at 40 words each;
 * the title is the most central sentence without greetings and lead-ins,
 * cut at 12 words. The environment line comes from the captured context:
 * "Chrome 120 on Windows, /reports/export, 2 console errors".
 *
 * Pure functions, MT safe given a stemmer per thread; results in the arena.
 */
#ifndef SD_TEXT_SUMMARY_H
#define SD_TEXT_SUMMARY_H

#include <stddef.h>

#include "base/arena.h"
#include "text/tok.h"

struct sd_summary {
    const char *title;   /* "" when there is no text */
    const char *summary; /* at most two sentences; "" when there is no text */
};

/** Summarises @text, or @words (timed, nullable) when given. */
void sd_summarize(sd_stem *stem, sd_arena *a, const char *text, const struct sd_tok_timed *words,
                  size_t n_words, struct sd_summary *out);

/**
 * The environment line from a user agent, a page URL (its path only: the
 * query may hold secrets) and the number of console errors; any may be
 * missing (NULL, 0). "" when there is nothing to say.
 */
const char *sd_environment(sd_arena *a, const char *user_agent, const char *page_url,
                           size_t n_console_errors);

#endif
