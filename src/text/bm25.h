/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: an in-memory BM25F inverted index for knowledge-base search.
 *
 * Documents carry the caller's number (any uint32_t) and three fields
 * (title, body, tags), each a list of terms the caller has already
 * normalised (lowercased, stemmed). A term is the bytes of a C string, cut
 * to SD_BM25_TERM_MAX bytes; empty terms are ignored everywhere and count
 * in no length.
 *
 * Scoring is BM25F with one saturation over weighted, length-normalised
 * field frequencies:
 *
 *   tf'(t, d) = sum_f w_f * tf_f(t, d) / ((1 - b) + b * len_f(d) / avg_f)
 *   score(d)  = sum_t idf(t) * tf'(t, d) / (k1 + tf'(t, d))
 *   idf(t)    = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
 *
 * where N is the number of documents, df(t) the number holding t in any
 * field and avg_f the mean length of field f over all N documents (kept as
 * exact integer totals, updated on every put and remove, so the index is
 * always in the state a fresh build of the same documents would give).
 *
 * Layout. A term dictionary (open addressing, linear probing, interned
 * strings) maps a term to its postings list: (slot, tf per field) sorted by
 * slot, so a search walks the per-slot arrays in order. Doc numbers map to
 * dense slots through a second hash table; a removed doc's slot is reused.
 * Each doc keeps its list of distinct terms, so removal touches exactly its
 * own postings, and a replace moves only the terms that changed. A term
 * whose last posting goes is dropped from the dictionary. Term frequencies
 * saturate at 255 in the title and tags and at 65535 in the body, beyond
 * which BM25's saturation makes the difference negligible.
 *
 * Search is term-at-a-time into per-slot accumulators, with a list of the
 * slots touched, then a bounded min-heap for the top k written straight into
 * the caller's array: no allocation per posting or per hit. The
 * accumulators live in scratch buffers pooled by the index (one per
 * concurrent search, grown as the index grows, freed with it), so searches
 * allocate nothing in the steady state and need no thread-local state. Ties
 * are broken by the lower doc number, and the score of a doc is summed in
 * an order fixed by the query's terms, so results are deterministic.
 *
 * Threads: sd_bm25_search, sd_bm25_count and sd_bm25_bytes are MT safe
 * against each other; sd_bm25_put, sd_bm25_remove and sd_bm25_free must not
 * run concurrently with anything on the same index (the caller holds a
 * rwlock: readers search, the writer puts and removes). Distinct indexes
 * are independent.
 *
 * Terms come from the knowledge base; queries (which may be untrusted) only
 * look terms up and never add to the dictionary.
 */
#ifndef SD_TEXT_BM25_H
#define SD_TEXT_BM25_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SD_BM25_TERM_MAX 64 /* bytes of a term that count; longer ones are cut */

typedef struct sd_bm25 sd_bm25;

enum { SD_BM25_TITLE, SD_BM25_BODY, SD_BM25_TAGS, SD_BM25_NFIELDS };

/*
 * Scoring parameters; a field left at 0 takes its default: k1 1.2, b 0.75,
 * weights title 2.5, body 1, tags 2. (So b = 0 cannot be asked for; a tiny
 * b such as 1e-9 turns length normalisation practically off.)
 */
struct sd_bm25_opts {
    double k1;
    double b;
    double weight[SD_BM25_NFIELDS];
};

struct sd_bm25_hit {
    uint32_t doc;    /* the caller's document number */
    double score;    /* BM25F score */
    double coverage; /* share of the distinct query terms found in this document, 0..1 */
};

/**
 * Creates an empty index with @opts (nullable: all defaults).
 *
 * Returns SD_OK and writes *@out (caller owns it, free with sd_bm25_free),
 * or SD_E_INVALID when a parameter is negative or not finite, or b is above
 * 1. Any thread.
 */
SD_MUST_CHECK sd_status sd_bm25_new(const struct sd_bm25_opts *opts, sd_bm25 **out,
                                    struct sd_err *err);

/** Frees the index and everything it holds; NULL is a no-op. Writer only. */
void sd_bm25_free(sd_bm25 *ix);

/**
 * Adds document @doc, or replaces it when present: terms[f] are @n[f] terms
 * of field f (already normalised by the caller: lowercased, stemmed).
 * terms[f] may be NULL when n[f] is 0. Strings are copied (borrowed for the
 * call only).
 *
 * Returns SD_OK, SD_E_INVALID when a term pointer is NULL, or SD_E_TOO_LARGE
 * when a field holds more than UINT32_MAX terms or the index is full; on
 * error the index is unchanged (a replaced doc keeps its old content).
 * Writer only.
 */
SD_MUST_CHECK sd_status sd_bm25_put(sd_bm25 *ix, uint32_t doc,
                                    const char *const *const terms[SD_BM25_NFIELDS],
                                    const size_t n[SD_BM25_NFIELDS], struct sd_err *err);

/** Removes @doc; absent is a no-op. Writer only. */
void sd_bm25_remove(sd_bm25 *ix, uint32_t doc);

/** The number of documents in the index. Reader. */
size_t sd_bm25_count(const sd_bm25 *ix);

/**
 * Finds the @k best documents for the @nq query terms @q (nullable when @nq
 * is 0; NULL and empty terms are ignored, duplicates count once) and writes
 * them to @out (caller-allocated, room for @k), best first: higher score,
 * then lower doc number. A document is a match when it holds at least one
 * query term.
 *
 * Returns how many hits were written (at most @k and at most the number of
 * matches). When @idf_sum_out is non-NULL it receives the sum of the IDF of
 * the distinct query terms, counting a term absent from the index with
 * df = 0 (the most an unmatched term could have added; divide a score by it
 * to normalise to 0..1). Reader: MT safe against other searches, not
 * against put or remove.
 */
size_t sd_bm25_search(const sd_bm25 *ix, const char *const *q, size_t nq, struct sd_bm25_hit *out,
                      size_t k, double *idf_sum_out);

/**
 * Bytes held by the index: every array and string it allocated, at its
 * capacity, including the search scratch pool; allocator overhead is not
 * counted. Reader.
 */
size_t sd_bm25_bytes(const sd_bm25 *ix);

#endif
