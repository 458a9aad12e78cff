/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/text/bm25.c: exact scores on a tiny corpus computed by
 * hand, field weights and options, replace and remove (checked against a
 * fresh build of the same documents, which must give bit-identical scores,
 * so df, N and the average lengths are exact), coverage, duplicate, empty
 * and cut terms, empty index and query, k above the matches, ties, tf
 * saturation, memory accounting, concurrent searches and a 100,000 doc
 * smoke test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "text/bm25.h"
#include "base/banned.h"

#define EPS       1e-12
#define MAX_TERMS 512

/* A document written as three space-separated strings, split in place. */
struct tdoc {
    char buf[SD_BM25_NFIELDS][4096];
    const char *t[SD_BM25_NFIELDS][MAX_TERMS];
    size_t n[SD_BM25_NFIELDS];
};

/* Splits @s at single spaces into @t (so "a  b" holds an empty term); returns the count. */
static size_t split(char *buf, size_t cap, const char *s, const char **t)
{
    size_t len = strlen(s);
    assert_true(len < cap);
    memcpy(buf, s, len + 1);
    if (len == 0) {
        return 0;
    }
    size_t n = 0;
    char *p = buf;
    for (;;) {
        assert_true(n < MAX_TERMS);
        t[n++] = p;
        char *sp = strchr(p, ' ');
        if (sp == NULL) {
            return n;
        }
        *sp = '\0';
        p = sp + 1;
    }
}

static void put_doc(sd_bm25 *ix, uint32_t doc, const char *title, const char *body,
                    const char *tags)
{
    static struct tdoc d; /* large; the tests run on one thread */
    const char *f[SD_BM25_NFIELDS] = {title, body, tags};
    const char *const *terms[SD_BM25_NFIELDS];
    for (int i = 0; i < SD_BM25_NFIELDS; i++) {
        d.n[i] = split(d.buf[i], sizeof(d.buf[i]), f[i], d.t[i]);
        terms[i] = d.t[i];
    }
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_bm25_put(ix, doc, terms, d.n, &err), SD_OK);
}

static size_t search(const sd_bm25 *ix, const char *query, struct sd_bm25_hit *out, size_t k,
                     double *idf_sum)
{
    char buf[4096];
    const char *q[MAX_TERMS];
    size_t nq = split(buf, sizeof(buf), query, q);
    return sd_bm25_search(ix, q, nq, out, k, idf_sum);
}

static sd_bm25 *new_ix(const struct sd_bm25_opts *opts)
{
    sd_bm25 *ix = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_bm25_new(opts, &ix, &err), SD_OK);
    assert_non_null(ix);
    return ix;
}

/* The corpus of the hand-computed scores. */
static void put_corpus(sd_bm25 *ix)
{
    put_doc(ix, 10, "reset password", "how to reset your password reset", "account");
    put_doc(ix, 20, "billing", "update your card", "billing payment");
    put_doc(ix, 30, "password policy", "password rules", "");
}

/* Asserts the hits of @query on @a and @b are identical, to the bit. */
static void assert_same(const sd_bm25 *a, const sd_bm25 *b, const char *query)
{
    struct sd_bm25_hit ha[64], hb[64];
    double ia = 0, ib = 0;
    size_t na = search(a, query, ha, 64, &ia);
    size_t nb = search(b, query, hb, 64, &ib);
    assert_int_equal(na, nb);
    assert_true(ia == ib);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(ha[i].doc, hb[i].doc);
        assert_true(ha[i].score == hb[i].score);
        assert_true(ha[i].coverage == hb[i].coverage);
    }
}

/* Asserts @n hits are best first: scores not increasing, ties by ascending doc. */
static void assert_ordered(const struct sd_bm25_hit *h, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        assert_true(h[i - 1].score >= h[i].score);
        if (h[i - 1].score == h[i].score) {
            assert_true(h[i - 1].doc < h[i].doc);
        }
    }
}

/*
 * N = 3; average lengths: title 5/3, body 11/3, tags 3/3. For "password"
 * (df 2) idf = ln(1 + 1.5/2.5) = ln 1.6. Doc 30 holds it once in a title
 * of 2 and once in a body of 2:
 *   tf' = 2.5 / (0.25 + 0.75 * 2 / (5/3)) + 1 / (0.25 + 0.75 * 2 / (11/3))
 *       = 2.5 / 1.15 + 1 / 0.659090... = 3.6911544...
 *   score = ln 1.6 * tf' / (1.2 + tf') = 0.35469253776...
 * The other values were worked out the same way (Python, float64).
 */
static void test_exact_scores(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    put_corpus(ix);
    assert_int_equal(sd_bm25_count(ix), 3);
    struct sd_bm25_hit h[8];
    double idf = 0;

    assert_int_equal(search(ix, "reset password", h, 8, &idf), 2);
    assert_int_equal(h[0].doc, 10);
    assert_float_equal(h[0].score, 1.0626471776514679, EPS);
    assert_float_equal(h[0].coverage, 1.0, 0);
    assert_int_equal(h[1].doc, 30);
    assert_float_equal(h[1].score, 0.3546925377645295, EPS);
    assert_float_equal(h[1].coverage, 0.5, 0);
    /* ln(1 + 2.5/1.5) + ln 1.6 */
    assert_float_equal(idf, 1.4508328822574619, EPS);

    assert_int_equal(search(ix, "your billing", h, 8, &idf), 2);
    assert_int_equal(h[0].doc, 20);
    assert_float_equal(h[0].score, 1.0126257727147774, EPS);
    assert_int_equal(h[1].doc, 10);
    assert_float_equal(h[1].score, 0.1695095056296096, EPS);
    assert_float_equal(h[1].coverage, 0.5, 0);
    assert_float_equal(idf, 1.4508328822574619, EPS);

    /* A term not in the index counts with df = 0 in the IDF sum: ln(1 + 3.5/0.5) = ln 8. */
    assert_int_equal(search(ix, "password zzz", h, 8, &idf), 2);
    assert_int_equal(h[0].doc, 30);
    assert_float_equal(h[0].score, 0.3546925377645295, EPS);
    assert_float_equal(h[0].coverage, 0.5, 0);
    assert_int_equal(h[1].doc, 10);
    assert_float_equal(h[1].score, 0.33077203894407614, EPS);
    assert_float_equal(idf, 2.5494451709255714, EPS);
    sd_bm25_free(ix);
}

static void test_field_weights(void **state)
{
    (void)state;
    /* The same term once, in fields of the same lengths: title in doc 2, body in doc 1. */
    sd_bm25 *ix = new_ix(NULL);
    put_doc(ix, 1, "x y", "alpha z", "");
    put_doc(ix, 2, "alpha x", "y z", "");
    put_doc(ix, 3, "y z", "x y", "");
    struct sd_bm25_hit h[4];
    assert_int_equal(search(ix, "alpha", h, 4, NULL), 2);
    assert_int_equal(h[0].doc, 2);
    assert_int_equal(h[1].doc, 1);
    assert_true(h[0].score > h[1].score);
    sd_bm25_free(ix);

    /* A heavier body turns it around; unset fields keep their defaults. */
    struct sd_bm25_opts o = {.weight = {[SD_BM25_BODY] = 10}};
    ix = new_ix(&o);
    put_doc(ix, 1, "x y", "alpha z", "");
    put_doc(ix, 2, "alpha x", "y z", "");
    put_doc(ix, 3, "y z", "x y", "");
    assert_int_equal(search(ix, "alpha", h, 4, NULL), 2);
    assert_int_equal(h[0].doc, 1);
    assert_int_equal(h[1].doc, 2);
    sd_bm25_free(ix);

    /* Tags (2) rank between title (2.5) and body (1). */
    ix = new_ix(NULL);
    put_doc(ix, 1, "x", "alpha", "y");
    put_doc(ix, 2, "alpha", "x", "y");
    put_doc(ix, 3, "x", "y", "alpha");
    assert_int_equal(search(ix, "alpha", h, 4, NULL), 3);
    assert_int_equal(h[0].doc, 2);
    assert_int_equal(h[1].doc, 3);
    assert_int_equal(h[2].doc, 1);
    sd_bm25_free(ix);
}

static void test_opts_invalid(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    sd_bm25 *ix = NULL;
    struct sd_bm25_opts o = {.k1 = -1};
    assert_int_equal(sd_bm25_new(&o, &ix, &err), SD_E_INVALID);
    assert_null(ix);
    assert_string_equal(err.field, "k1");
    o = (struct sd_bm25_opts){.b = 1.5};
    assert_int_equal(sd_bm25_new(&o, &ix, &err), SD_E_INVALID);
    assert_string_equal(err.field, "b");
    o = (struct sd_bm25_opts){.weight = {[SD_BM25_TAGS] = -2}};
    assert_int_equal(sd_bm25_new(&o, &ix, &err), SD_E_INVALID);
    assert_string_equal(err.field, "weight.tags");
    o = (struct sd_bm25_opts){.k1 = 2, .b = 1, .weight = {1, 1, 1}};
    assert_int_equal(sd_bm25_new(&o, &ix, &err), SD_OK);
    sd_bm25_free(ix);
    sd_bm25_free(NULL);
}

static void test_put_invalid(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    put_corpus(ix);
    struct sd_err err = SD_ERR_INIT;
    const char *body[] = {"new", NULL, "words"};
    const char *const *terms[SD_BM25_NFIELDS] = {NULL, body, NULL};
    size_t n[SD_BM25_NFIELDS] = {0, 3, 0};
    /* A failed replace keeps the old document. */
    assert_int_equal(sd_bm25_put(ix, 20, terms, n, &err), SD_E_INVALID);
    assert_string_equal(err.field, "body");
    n[SD_BM25_TITLE] = 1;
    n[SD_BM25_BODY] = 1;
    assert_int_equal(sd_bm25_put(ix, 40, terms, n, &err), SD_E_INVALID);
    assert_string_equal(err.field, "title");
    assert_int_equal(sd_bm25_count(ix), 3);
    sd_bm25 *fresh = new_ix(NULL);
    put_corpus(fresh);
    assert_same(ix, fresh, "new words billing your password");
    sd_bm25_free(fresh);
    sd_bm25_free(ix);
}

static void test_replace(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    put_corpus(ix);
    /* Doc 20 loses "billing", "card" and "update", keeps "your", gains "refund". */
    put_doc(ix, 20, "refund", "get your refund now please", "payment");
    assert_int_equal(sd_bm25_count(ix), 3);
    struct sd_bm25_hit h[8];
    double idf = 0;
    assert_int_equal(search(ix, "billing card update", h, 8, &idf), 0);
    /* df 0 now: each ln(1 + 3.5/0.5). */
    assert_float_equal(idf, 3 * 2.0794415416798357, EPS);

    sd_bm25 *fresh = new_ix(NULL);
    put_doc(fresh, 10, "reset password", "how to reset your password reset", "account");
    put_doc(fresh, 30, "password policy", "password rules", "");
    put_doc(fresh, 20, "refund", "get your refund now please", "payment");
    const char *queries[] = {"your refund", "reset password", "payment policy now", "how to get"};
    for (size_t i = 0; i < SD_ARRAY_LEN(queries); i++) {
        assert_same(ix, fresh, queries[i]);
    }
    /* Replacing with the same content changes nothing. */
    put_doc(ix, 20, "refund", "get your refund now please", "payment");
    for (size_t i = 0; i < SD_ARRAY_LEN(queries); i++) {
        assert_same(ix, fresh, queries[i]);
    }
    sd_bm25_free(fresh);
    sd_bm25_free(ix);
}

static void test_remove(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    put_corpus(ix);
    sd_bm25_remove(ix, 20);
    sd_bm25_remove(ix, 20); /* absent: no-op */
    sd_bm25_remove(ix, 99);
    assert_int_equal(sd_bm25_count(ix), 2);
    struct sd_bm25_hit h[8];
    double idf = 0;
    /* "billing" was only in doc 20: ln(1 + 2.5/0.5) = ln 6 with N = 2. */
    assert_int_equal(search(ix, "billing", h, 8, &idf), 0);
    assert_float_equal(idf, 1.791759469228055, EPS);
    /* N = 2, df(your) = 1, df(password) = 2, averages title 2, body 4, tags 1/2. */
    assert_int_equal(search(ix, "your password", h, 8, &idf), 2);
    assert_int_equal(h[0].doc, 10);
    assert_float_equal(h[0].score, 0.39446877802999203, EPS);
    assert_float_equal(h[0].coverage, 1.0, 0);
    assert_int_equal(h[1].doc, 30);
    assert_float_equal(h[1].score, 0.1410412043123045, EPS);
    assert_float_equal(idf, 0.8754687373538999, EPS);

    /* The freed slot is reused by the next document, and all is as if freshly built. */
    put_doc(ix, 5, "card billing", "your card was declined", "billing");
    sd_bm25 *fresh = new_ix(NULL);
    put_doc(fresh, 5, "card billing", "your card was declined", "billing");
    put_doc(fresh, 10, "reset password", "how to reset your password reset", "account");
    put_doc(fresh, 30, "password policy", "password rules", "");
    assert_same(ix, fresh, "your password billing card");
    assert_same(ix, fresh, "declined rules");

    /* Removing everything leaves an index that finds nothing and takes documents again. */
    sd_bm25_remove(ix, 5);
    sd_bm25_remove(ix, 10);
    sd_bm25_remove(ix, 30);
    assert_int_equal(sd_bm25_count(ix), 0);
    assert_int_equal(search(ix, "your password billing card", h, 8, NULL), 0);
    put_doc(ix, 7, "password", "", "");
    assert_int_equal(search(ix, "password", h, 8, NULL), 1);
    assert_int_equal(h[0].doc, 7);
    sd_bm25_free(fresh);
    sd_bm25_free(ix);
}

static void test_coverage(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    put_doc(ix, 1, "a b", "c d", "");
    put_doc(ix, 2, "a", "x", "");
    put_doc(ix, 3, "", "b c d", "e");
    struct sd_bm25_hit h[8];
    /* Five distinct terms, one of them ("zz") unknown. */
    assert_int_equal(search(ix, "a b c d zz", h, 8, NULL), 3);
    for (size_t i = 0; i < 3; i++) {
        double want = h[i].doc == 1 ? 4.0 / 5 : h[i].doc == 2 ? 1.0 / 5 : 3.0 / 5;
        assert_float_equal(h[i].coverage, want, 0);
    }
    sd_bm25_free(ix);
}

static void test_duplicate_query_terms(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    put_corpus(ix);
    struct sd_bm25_hit a[8], b[8];
    double ia = 0, ib = 0;
    size_t na = search(ix, "reset password", a, 8, &ia);
    size_t nb = search(ix, "password reset password reset reset", b, 8, &ib);
    assert_int_equal(na, nb);
    assert_true(ia == ib);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(a[i].doc, b[i].doc);
        assert_true(a[i].score == b[i].score);
        assert_true(a[i].coverage == b[i].coverage);
    }
    sd_bm25_free(ix);
}

static void test_empty_query(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    put_corpus(ix);
    struct sd_bm25_hit h[4];
    double idf = -1;
    assert_int_equal(sd_bm25_search(ix, NULL, 0, h, 4, &idf), 0);
    assert_float_equal(idf, 0, 0);
    const char *q[] = {"", NULL, ""};
    idf = -1;
    assert_int_equal(sd_bm25_search(ix, q, 3, h, 4, &idf), 0);
    assert_float_equal(idf, 0, 0);
    /* k = 0 writes nothing but still reports the IDF sum. */
    assert_int_equal(search(ix, "password", NULL, 0, &idf), 0);
    assert_float_equal(idf, 0.47000362924573563, EPS);
    sd_bm25_free(ix);
}

static void test_empty_index(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    assert_int_equal(sd_bm25_count(ix), 0);
    assert_true(sd_bm25_bytes(ix) > 0);
    struct sd_bm25_hit h[4];
    double idf = -1;
    assert_int_equal(search(ix, "anything at all", h, 4, &idf), 0);
    assert_float_equal(idf, 3 * 0.6931471805599453, EPS); /* ln 2 each */
    /* A document with no terms counts, and matches nothing. */
    put_doc(ix, 1, "", "", "");
    assert_int_equal(sd_bm25_count(ix), 1);
    assert_int_equal(search(ix, "anything", h, 4, NULL), 0);
    sd_bm25_free(ix);
}

static void test_k_larger_than_matches(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    put_corpus(ix);
    put_doc(ix, 40, "other", "nothing here", "");
    struct sd_bm25_hit h[100];
    memset(h, 0xab, sizeof(h));
    assert_int_equal(search(ix, "password your", h, 100, NULL), 3);
    assert_ordered(h, 3);
    /* k = 1 keeps the best only. */
    struct sd_bm25_hit one;
    assert_int_equal(search(ix, "password your", &one, 1, NULL), 1);
    assert_int_equal(one.doc, h[0].doc);
    assert_true(one.score == h[0].score);
    sd_bm25_free(ix);
}

static void test_ties(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    const uint32_t docs[] = {50, 7, 900, 3, 12};
    for (size_t i = 0; i < SD_ARRAY_LEN(docs); i++) {
        put_doc(ix, docs[i], "same title", "same body", "");
    }
    put_doc(ix, 1, "other", "words", "");
    struct sd_bm25_hit h[8];
    assert_int_equal(search(ix, "same", h, 8, NULL), 5);
    const uint32_t want[] = {3, 7, 12, 50, 900};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(h[i].doc, want[i]);
        assert_true(h[i].score == h[0].score);
    }
    /* The cut keeps the lowest numbers. */
    assert_int_equal(search(ix, "same", h, 2, NULL), 2);
    assert_int_equal(h[0].doc, 3);
    assert_int_equal(h[1].doc, 7);
    sd_bm25_free(ix);
}

static void test_cut_and_empty_terms(void **state)
{
    (void)state;
    char t70[71], t64[65], t65[66];
    memset(t70, 'a', 70);
    t70[70] = '\0';
    memset(t64, 'a', 64);
    t64[64] = '\0';
    memset(t65, 'a', 65);
    t65[65] = '\0';
    char body[128];
    (void)snprintf(body, sizeof(body), "%s  word", t70); /* and an empty term */
    sd_bm25 *ix = new_ix(NULL);
    put_doc(ix, 1, "title", body, "");
    put_doc(ix, 2, "other", "text", "");
    struct sd_bm25_hit h[4];
    assert_int_equal(search(ix, t64, h, 4, NULL), 1);
    assert_int_equal(h[0].doc, 1);
    assert_int_equal(search(ix, t65, h, 4, NULL), 1);
    const char *q63[] = {t64 + 1};
    assert_int_equal(sd_bm25_search(ix, q63, 1, h, 4, NULL), 0);

    /* The empty term counted in no length: same as a fresh doc without it. */
    (void)snprintf(body, sizeof(body), "%s word", t64);
    sd_bm25 *fresh = new_ix(NULL);
    put_doc(fresh, 1, "title", body, "");
    put_doc(fresh, 2, "other", "text", "");
    assert_same(ix, fresh, "word text title");
    sd_bm25_free(fresh);
    sd_bm25_free(ix);
}

static void test_tf_saturation(void **state)
{
    (void)state;
    /* "t" 300 times; "t" 255 times then "u" 45 times; "t" 299 times then "u" once. */
    static char t300[1024], t255[1024], t299[1024];
    size_t o[3] = {0, 0, 0};
    for (size_t r = 0; r < 300; r++) {
        const char *sep = r ? " " : "";
        o[0] += (size_t)snprintf(t300 + o[0], sizeof(t300) - o[0], "%st", sep);
        o[1] +=
            (size_t)snprintf(t255 + o[1], sizeof(t255) - o[1], "%s%s", sep, r < 255 ? "t" : "u");
        o[2] +=
            (size_t)snprintf(t299 + o[2], sizeof(t299) - o[2], "%s%s", sep, r < 299 ? "t" : "u");
    }
    struct sd_bm25_hit h[4];
    /* Titles of the same length: 300 and 255 both count as 255. */
    sd_bm25 *ix = new_ix(NULL);
    put_doc(ix, 1, t300, "", "");
    put_doc(ix, 2, t255, "", "");
    assert_int_equal(search(ix, "t", h, 4, NULL), 2);
    assert_true(h[0].score == h[1].score);
    assert_int_equal(h[0].doc, 1);
    sd_bm25_free(ix);

    /* Bodies keep counts up to 65535: 300 beats 299. */
    ix = new_ix(NULL);
    put_doc(ix, 1, "", t299, "");
    put_doc(ix, 2, "", t300, "");
    assert_int_equal(search(ix, "t", h, 4, NULL), 2);
    assert_int_equal(h[0].doc, 2);
    assert_true(h[0].score > h[1].score);
    sd_bm25_free(ix);
}

/* xorshift64*, for repeatable random corpora. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

#define R_DOCS  40
#define R_VOCAB 30

/* Writes a random document of words "w0".."w29" into the three strings. */
static void random_doc(uint64_t *seed, char f[SD_BM25_NFIELDS][512])
{
    const size_t max_len[SD_BM25_NFIELDS] = {4, 30, 3};
    for (int i = 0; i < SD_BM25_NFIELDS; i++) {
        size_t n = (size_t)(rnd(seed) % (max_len[i] + 1));
        size_t o = 0;
        f[i][0] = '\0';
        for (size_t j = 0; j < n; j++) {
            /* Squaring skews towards low numbers, so some words are common. */
            uint64_t r = rnd(seed) % R_VOCAB;
            o += (size_t)snprintf(f[i] + o, 512 - o, "%sw%llu", j ? " " : "",
                                  (unsigned long long)(r * r / R_VOCAB));
        }
    }
}

/* Random puts, replaces and removes, checked against a fresh build after each step. */
static void test_random_against_fresh(void **state)
{
    (void)state;
    static char docs[R_DOCS][SD_BM25_NFIELDS][512];
    static bool live[R_DOCS];
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    sd_bm25 *ix = new_ix(NULL);
    const char *queries[] = {"w0 w1", "w3 w7 w12", "w20 w25 w28 w29", "w2", "w5 w5 w9 nope"};
    for (int step = 0; step < 400; step++) {
        uint32_t d = (uint32_t)(rnd(&seed) % R_DOCS);
        if (rnd(&seed) % 3 == 0) {
            sd_bm25_remove(ix, d * 7 + 1);
            live[d] = false;
        } else {
            random_doc(&seed, docs[d]);
            put_doc(ix, d * 7 + 1, docs[d][0], docs[d][1], docs[d][2]);
            live[d] = true;
        }
        if (step % 10 != 9) {
            continue;
        }
        sd_bm25 *fresh = new_ix(NULL);
        size_t n_live = 0;
        for (uint32_t i = 0; i < R_DOCS; i++) {
            if (live[i]) {
                put_doc(fresh, i * 7 + 1, docs[i][0], docs[i][1], docs[i][2]);
                n_live++;
            }
        }
        assert_int_equal(sd_bm25_count(ix), n_live);
        for (size_t i = 0; i < SD_ARRAY_LEN(queries); i++) {
            assert_same(ix, fresh, queries[i]);
        }
        sd_bm25_free(fresh);
    }
    sd_bm25_free(ix);
}

static void put_bytes_corpus(sd_bm25 *ix)
{
    char title[64], body[512];
    for (uint32_t d = 0; d < 2000; d++) {
        (void)snprintf(title, sizeof(title), "unique%u common", d);
        (void)snprintf(body, sizeof(body), "body%u body%u shared words here", d % 97, d % 13);
        put_doc(ix, d, title, body, "");
    }
}

static void test_bytes(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    size_t empty = sd_bm25_bytes(ix);
    put_bytes_corpus(ix);
    size_t full = sd_bm25_bytes(ix);
    /* At least a posting (8) and a doc's term entry (4) for each of ~6 terms of 2000 docs. */
    assert_true(full > empty + (size_t)2000 * 6 * 12);
    for (uint32_t d = 0; d < 2000; d++) {
        sd_bm25_remove(ix, d);
    }
    /* Strings, postings and term lists went; the tables and slot arrays keep their size. */
    size_t after = sd_bm25_bytes(ix);
    assert_true(full - after > (size_t)2000 * 6 * 12);
    /*
     * The same documents again reuse every id and slot, and removing them
     * again gives back exactly what they took: the count does not drift.
     * (The free lists keep the room they grew to, so only from here on.)
     */
    put_bytes_corpus(ix);
    full = sd_bm25_bytes(ix);
    for (uint32_t d = 0; d < 2000; d++) {
        sd_bm25_remove(ix, d);
    }
    assert_int_equal(sd_bm25_bytes(ix), after);
    put_bytes_corpus(ix);
    assert_int_equal(sd_bm25_bytes(ix), full);
    /* A search adds its scratch, once. */
    struct sd_bm25_hit h[4];
    assert_int_equal(search(ix, "common", h, 4, NULL), 4);
    size_t searched = sd_bm25_bytes(ix);
    assert_true(searched > full + 2000 * sizeof(double));
    assert_int_equal(search(ix, "common", h, 4, NULL), 4);
    assert_int_equal(sd_bm25_bytes(ix), searched);
    sd_bm25_free(ix);
}

/* Searches between puts, so the pooled scratch meets every size the index grows through. */
static void test_search_while_growing(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    struct sd_bm25_hit h[64];
    for (uint32_t d = 0; d < 64; d++) {
        put_doc(ix, d, "all", "every doc has it", "");
        assert_int_equal(search(ix, "all doc", h, 64, NULL), d + 1);
        assert_ordered(h, d + 1);
    }
    for (uint32_t d = 0; d < 64; d += 3) {
        sd_bm25_remove(ix, d);
    }
    assert_int_equal(search(ix, "all", h, 64, NULL), 64 - 22);
    sd_bm25_free(ix);
}

struct worker {
    const sd_bm25 *ix;
    int failed;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    const char *queries[] = {"reset password", "your billing", "password zzz"};
    const uint32_t best[] = {10, 20, 30};
    for (int i = 0; i < 3000; i++) {
        struct sd_bm25_hit h[4];
        size_t q = (size_t)i % 3;
        if (search(w->ix, queries[q], h, 4, NULL) != 2 || h[0].doc != best[q]) {
            w->failed++;
        }
    }
    return NULL;
}

static void test_concurrent_searches(void **state)
{
    (void)state;
    sd_bm25 *ix = new_ix(NULL);
    put_corpus(ix);
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){.ix = ix};
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failed, 0);
    }
    sd_bm25_free(ix);
}

static void test_smoke_100k(void **state)
{
    (void)state;
    enum { N = 100000, VOCAB = 5000 };
    static char vocab[VOCAB][8];
    for (int i = 0; i < VOCAB; i++) {
        (void)snprintf(vocab[i], sizeof(vocab[i]), "v%d", i);
    }
    uint64_t seed = 42;
    sd_bm25 *ix = new_ix(NULL);
    const char *f[SD_BM25_NFIELDS][24];
    for (uint32_t d = 0; d < N; d++) {
        const size_t n[SD_BM25_NFIELDS] = {3, 20, 2};
        for (int i = 0; i < SD_BM25_NFIELDS; i++) {
            for (size_t j = 0; j < n[i]; j++) {
                uint64_t r = rnd(&seed) % VOCAB;
                f[i][j] = vocab[r * r / VOCAB];
            }
        }
        const char *const *terms[SD_BM25_NFIELDS] = {f[0], f[1], f[2]};
        struct sd_err err = SD_ERR_INIT;
        assert_int_equal(sd_bm25_put(ix, d * 3, terms, n, &err), SD_OK);
    }
    assert_int_equal(sd_bm25_count(ix), N);
    static struct sd_bm25_hit h[1000];
    assert_int_equal(search(ix, "v0 v1 v2 v100 v4000", h, 1000, NULL), 1000);
    assert_ordered(h, 1000);
    for (uint32_t d = 0; d < N; d += 2) {
        sd_bm25_remove(ix, d * 3);
    }
    assert_int_equal(sd_bm25_count(ix), N / 2);
    size_t n = search(ix, "v0 v1 v2 v100 v4000", h, 1000, NULL);
    assert_int_equal(n, 1000);
    assert_ordered(h, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(h[i].doc % 6 == 3); /* only the odd docs are left */
        assert_true(h[i].coverage > 0 && h[i].coverage <= 1);
    }
    sd_bm25_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_scores),
        cmocka_unit_test(test_field_weights),
        cmocka_unit_test(test_opts_invalid),
        cmocka_unit_test(test_put_invalid),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_duplicate_query_terms),
        cmocka_unit_test(test_empty_query),
        cmocka_unit_test(test_empty_index),
        cmocka_unit_test(test_k_larger_than_matches),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_cut_and_empty_terms),
        cmocka_unit_test(test_tf_saturation),
        cmocka_unit_test(test_random_against_fresh),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_search_while_growing),
        cmocka_unit_test(test_concurrent_searches),
        cmocka_unit_test(test_smoke_100k),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
