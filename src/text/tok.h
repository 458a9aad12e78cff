/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: words out of text, the first step of triage, summaries and search.
 *
 * sd_tok_words cuts UTF-8 text into lowercased word tokens: runs of letters
 * and digits (any script), with inner apostrophes and dots dropped ("don't"
 * is "dont", "v2.1" is "v21"); invalid UTF-8 and control bytes separate
 * words. Flags drop stopwords and spoken fillers, and stem with Snowball's
 * English stemmer (libstemmer). Words longer than SD_TOK_WORD_MAX bytes are
 * cut, so that junk cannot make huge terms.
 *
 * Fillers are what people say while they think ("um", "uh", "you know",
 * "basically", "i mean"); sd_tok_clean removes them from a sentence for
 * display. Sentences come from sd_tok_sentences: at . ! ? and line breaks in
 * typed text, at pauses between words in a timed transcript, and, for a
 * recogniser's text with neither, at discourse words ("so", "and then",
 * "but", "okay") once a sentence is long enough, with a hard cut at 40 words.
 *
 * An sd_stem is one thread's stemmer (libstemmer is not MT safe); every other
 * function is pure and MT safe. Results live in the caller's arena.
 */
#ifndef SD_TEXT_TOK_H
#define SD_TEXT_TOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

#define SD_TOK_WORD_MAX 48

enum {
    SD_TOK_STOP = 1u << 0,    /* drop stopwords */
    SD_TOK_FILLERS = 1u << 1, /* drop spoken fillers */
    SD_TOK_STEM = 1u << 2,    /* Snowball English stems (needs an sd_stem) */
};

typedef struct sd_stem sd_stem;

SD_MUST_CHECK sd_status sd_stem_new(sd_stem **out, struct sd_err *err);
void sd_stem_free(sd_stem *st);
/** The stem of lowercased @word, in @a. */
const char *sd_stem_word(sd_stem *st, sd_arena *a, const char *word);

/**
 * The words of @s (@len bytes) as lowercased strings in @a, per @flags
 * (@stem may be NULL without SD_TOK_STEM). Returns the count; *@out is
 * NULL when there are none. At most @max words (0: no limit).
 */
size_t sd_tok_words(sd_arena *a, const char *s, size_t len, unsigned flags, sd_stem *stem,
                    size_t max, const char ***out);

bool sd_tok_is_stopword(const char *word);
/** True for a one-word filler ("um", "uh", "basically", ...). */
bool sd_tok_is_filler(const char *word);

/** @s without fillers, extra spaces and stutters ("the the"), first letter upper-cased. */
char *sd_tok_clean(sd_arena *a, const char *s, size_t len);

/** A word of a timed transcript. */
struct sd_tok_timed {
    const char *text;
    int64_t start_ms, end_ms;
};

/** Sentence boundaries: a pause of at least this long ends a sentence. */
#define SD_TOK_PAUSE_MS 700

/**
 * The sentences of @s, each a string in @a. When @words (@n_words, in
 * order) are given they are the text instead of @s, and pauses end
 * sentences. Returns the count.
 */
size_t sd_tok_sentences(sd_arena *a, const char *s, size_t len, const struct sd_tok_timed *words,
                        size_t n_words, const char ***out);

/**
 * Features of @words for a classifier: each word ("w:"), each pair of
 * neighbours ("b:a_b") and the character @n-grams of each word within
 * boundary marks ("c:^ab", for 3 <= n <= 4). Returns the count.
 */
size_t sd_tok_ngrams(sd_arena *a, const char *const *words, size_t n, const char ***out);

#endif
