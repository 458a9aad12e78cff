/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: bench-text, the language toolkit's entry of make bench
 * (bench/run.sh, entry "text"). Two parts, one thread, a fixed seed: two
 * runs train, index and ask the same.
 *
 * 1. Triage. A model is trained with sd_triage_train on the built-in corpus
 *    (sd_corpus_builtin, the product areas the server learns), as the server
 *    trains its default one. 64 transcripts of exactly 300 words are made by
 *    joining corpus transcripts; each run takes the next one and calls
 *    sd_triage_run (the four classifiers and the urgency rules) and then
 *    sd_summarize, with one sd_stem and a fresh arena per run. 200 runs
 *    warm up, 2,000 are timed.
 *
 * 2. Knowledge-base search against SQLite's FTS5 on the same articles and
 *    queries, in the same process. The vocabulary is the words of the
 *    built-in corpus (tickets and articles) ranked by how often they occur
 *    there, then pronounceable pseudo-words up to 50,000 terms, drawn with a
 *    Zipf law (s = 1). An article has a title of 4-10 words, a body of
 *    150-250 words (200 on average) in sentences and 3 one-word tags that
 *    are not stopwords; a query is a ticket-like text of 8-60 words. Each
 *    article goes to sd_kb_put (showdesk's path: tokens, stems, BM25F) and,
 *    as the same strings, to an in-memory FTS5 table
 *    fts5(title, body, tags, tokenize='porter unicode61'), in one
 *    transaction followed by FTS5's 'optimize' (merged into one segment, its
 *    fastest state to query). Both times count only the indexing calls.
 *    Queries alternate between the two, one at a time: sd_kb_search with
 *    k = 3 (confidence included), and the prepared statement
 *      SELECT rowid, bm25(t, 2.5, 1.0, 2.0) FROM t WHERE t MATCH ?
 *      ORDER BY bm25(t, 2.5, 1.0, 2.0) LIMIT 3
 *    whose MATCH string is the query's words without stopwords and fillers
 *    (sd_tok_words, SD_TOK_STOP | SD_TOK_FILLERS, as showdesk drops them),
 *    one per distinct stem and at most QUERY_TERMS, as showdesk keeps them,
 *    each quoted and OR-ed. That string is made before the clock starts,
 *    where showdesk's time includes its own tokenising: this favours FTS5.
 *    100 queries warm up; memory is sd_kb_bytes against FTS5's page count
 *    times page size. Untimed, it also reports how many articles FTS5's OR
 *    matches (first 100 queries) and how often both put the same article
 *    first.
 *
 *   bench-text [N...]    KB sizes, 10000 and 100000 by default
 *
 * Prints Markdown tables to stdout, progress to stderr. Exits 2 on bad
 * arguments, 1 when a step fails.
 *
 * sqlite3.h belongs in src/store/sqlite.c (STYLE.md); a benchmark program
 * calls its reference directly, as bench/run.sh runs nginx and ffmpeg.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "text/corpus.h"
#include "text/kb.h"
#include "text/summary.h"
#include "text/tok.h"
#include "text/triage.h"
#include "base/banned.h"

#define SEED        0x5eed7e47c0deull
#define TRI_TEXTS   64
#define TRI_WORDS   300
#define TRI_WARMUP  200
#define TRI_RUNS    2000
#define VOCAB       50000
#define DICT_SLOTS  (1u << 18)
#define N_QUERIES   2000
#define Q_WARMUP    100
#define N_COUNTED   100 /* queries whose FTS5 matches are counted */
#define TOP_K       3
#define QUERY_TERMS 128 /* distinct stems a search keeps, as src/text/kb.c */
#define N_SIZES_MAX 8

/* The areas the server's default model learns (src/domain/analyze.c). */
static const char *const areas[] = {
    "dashboard", "reports", "billing", "api", "integrations", "settings", "account", "mobile", NULL,
};

/* ---- random numbers, Zipf --------------------------------------------------- */

struct rng {
    uint64_t s;
};

/* splitmix64 */
static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A number in [lo, hi]. */
static size_t rng_range(struct rng *r, size_t lo, size_t hi)
{
    return lo + (size_t)(rng_next(r) % (hi - lo + 1));
}

/* Words by rank (most common first) and their Zipf CDF; also a string set. */
struct vocab {
    char **words;
    uint32_t *count; /* occurrences in the corpus; 0 for pseudo-words */
    double *cdf;
    size_t n, n_real;
    uint32_t *slots; /* index + 1, open addressing */
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

/* The index of @w, adding it when absent and there is room; -1 when full. */
static long vocab_add(struct vocab *v, const char *w)
{
    uint32_t h = hash(w) & (DICT_SLOTS - 1);
    for (; v->slots[h] != 0; h = (h + 1) & (DICT_SLOTS - 1)) {
        if (strcmp(v->words[v->slots[h] - 1], w) == 0) {
            return (long)v->slots[h] - 1;
        }
    }
    if (v->n >= DICT_SLOTS / 2) {
        return -1;
    }
    v->words[v->n] = sd_xstrdup(w);
    v->count[v->n] = 0;
    v->slots[h] = (uint32_t)++v->n;
    return (long)v->n - 1;
}

static bool is_plain_word(const char *w)
{
    for (; *w; w++) {
        if (*w < 'a' || *w > 'z') {
            return false;
        }
    }
    return true;
}

static void vocab_count_text(struct vocab *v, sd_arena *a, const char *s)
{
    const char **w;
    size_t n = sd_tok_words(a, s, strlen(s), 0, NULL, 0, &w);
    for (size_t i = 0; i < n; i++) {
        if (is_plain_word(w[i])) {
            long k = vocab_add(v, w[i]);
            if (k >= 0) {
                v->count[k]++;
            }
        }
    }
}

static const struct vocab *sort_vocab;

static int cmp_rank(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    if (sort_vocab->count[a] != sort_vocab->count[b]) {
        return sort_vocab->count[a] > sort_vocab->count[b] ? -1 : 1;
    }
    return strcmp(sort_vocab->words[a], sort_vocab->words[b]);
}

/* A pronounceable pseudo-word of 2-4 syllables and maybe an English ending. */
static void pseudo_word(struct rng *r, char *w, size_t cap)
{
    static const char cons[] = "bcdfghklmnprstvz";
    static const char vow[] = "aeiou";
    static const char *const tail[] = {"", "", "", "", "s", "er", "ing", "ed", "ly", "tion"};
    size_t n = 0;
    size_t syl = rng_range(r, 2, 4);
    for (size_t i = 0; i < syl; i++) {
        w[n++] = cons[rng_next(r) % (sizeof(cons) - 1)];
        w[n++] = vow[rng_next(r) % (sizeof(vow) - 1)];
        if (rng_next(r) % 4 == 0) {
            w[n++] = cons[rng_next(r) % (sizeof(cons) - 1)];
        }
    }
    (void)snprintf(w + n, cap - n, "%s", tail[rng_next(r) % SD_ARRAY_LEN(tail)]);
}

/* The corpus's words by frequency, then pseudo-words up to VOCAB. */
static sd_status vocab_init(struct vocab *v, struct rng *r, const struct sd_corpus_ticket *t,
                            size_t n_t, const struct sd_corpus_article *art, size_t n_art)
{
    v->words = sd_xcalloc(DICT_SLOTS / 2, sizeof *v->words);
    v->count = sd_xcalloc(DICT_SLOTS / 2, sizeof *v->count);
    v->slots = sd_xcalloc(DICT_SLOTS, sizeof *v->slots);
    sd_arena *a = sd_arena_new();
    for (size_t i = 0; i < n_t; i++) {
        vocab_count_text(v, a, t[i].ex.in.text ? t[i].ex.in.text : "");
    }
    for (size_t i = 0; i < n_art; i++) {
        vocab_count_text(v, a, art[i].title ? art[i].title : "");
        vocab_count_text(v, a, art[i].body ? art[i].body : "");
        for (size_t j = 0; j < art[i].n_tags; j++) {
            vocab_count_text(v, a, art[i].tags[j]);
        }
    }
    sd_arena_free(a);
    /* Rank by count; keep at most VOCAB real words. */
    size_t *order = sd_xcalloc(v->n ? v->n : 1, sizeof *order);
    for (size_t i = 0; i < v->n; i++) {
        order[i] = i;
    }
    sort_vocab = v;
    qsort(order, v->n, sizeof *order, cmp_rank);
    v->n_real = v->n < VOCAB ? v->n : VOCAB;
    char **words = sd_xcalloc(DICT_SLOTS / 2, sizeof *words);
    uint32_t *count = sd_xcalloc(DICT_SLOTS / 2, sizeof *count);
    for (size_t i = 0; i < v->n; i++) {
        if (i < v->n_real) {
            words[i] = v->words[order[i]];
            count[i] = v->count[order[i]];
        } else {
            free(v->words[order[i]]);
        }
    }
    free(order);
    free(v->words);
    free(v->count);
    v->words = words;
    v->count = count;
    v->n = v->n_real;
    memset(v->slots, 0, DICT_SLOTS * sizeof *v->slots);
    for (size_t i = 0; i < v->n; i++) {
        uint32_t h = hash(words[i]) & (DICT_SLOTS - 1);
        while (v->slots[h] != 0) {
            h = (h + 1) & (DICT_SLOTS - 1);
        }
        v->slots[h] = (uint32_t)i + 1;
    }
    /* Pseudo-words after them; vocab_add skips the ones already there. */
    for (size_t tries = 0; v->n < VOCAB; tries++) {
        if (tries > 100 * (size_t)VOCAB) {
            return SD_E_INTERNAL;
        }
        char w[64];
        pseudo_word(r, w, sizeof w);
        if (vocab_add(v, w) < 0) {
            return SD_E_INTERNAL;
        }
    }
    v->cdf = sd_xcalloc(v->n, sizeof *v->cdf);
    double sum = 0;
    for (size_t i = 0; i < v->n; i++) {
        sum += 1.0 / (double)(i + 1);
        v->cdf[i] = sum;
    }
    for (size_t i = 0; i < v->n; i++) {
        v->cdf[i] /= sum;
    }
    return SD_OK;
}

static void vocab_release(struct vocab *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->words[i]);
    }
    free(v->words);
    free(v->count);
    free(v->cdf);
    free(v->slots);
}

static const char *zipf_word(const struct vocab *v, struct rng *r)
{
    double u = (double)(rng_next(r) >> 11) * 0x1.0p-53;
    size_t lo = 0, hi = v->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->cdf[mid] < u) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return v->words[lo];
}

/* Appends @n Zipf words to @b; as sentences of 6-18 words when @prose. */
static sd_status gen_words(struct sd_buf *b, const struct vocab *v, struct rng *r, size_t n,
                           bool prose)
{
    size_t left = 0;
    sd_status st = SD_OK;
    for (size_t i = 0; i < n && st == SD_OK; i++) {
        bool first = prose && left == 0;
        if (first) {
            left = rng_range(r, 6, 18);
        }
        size_t at = b->len + (i > 0);
        st = sd_buf_printf(b, "%s%s", i > 0 ? " " : "", zipf_word(v, r));
        if (st == SD_OK && first) {
            b->data[at] = (char)(b->data[at] - 'a' + 'A');
        }
        if (st == SD_OK && prose && (--left == 0 || i + 1 == n)) {
            st = sd_buf_puts(b, ".");
        }
    }
    return st;
}

/* ---- timing ----------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct lat {
    double mean_us, p50_us, p99_us, max_us;
};

/* Sorts @ns and reads mean, nearest-rank p50 and p99, and max in microseconds. */
static struct lat latency(uint64_t *ns, size_t n)
{
    qsort(ns, n, sizeof *ns, cmp_u64);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += (double)ns[i];
    }
    size_t r50 = (n * 50 + 99) / 100, r99 = (n * 99 + 99) / 100;
    return (struct lat){sum / (double)n / 1e3, (double)ns[r50 - 1] / 1e3, (double)ns[r99 - 1] / 1e3,
                        (double)ns[n - 1] / 1e3};
}

/* ---- 1. triage ---------------------------------------------------------------- */

/* Appends the words of @s to @b until it has TRI_WORDS; returns the count. */
static size_t take_words(struct sd_buf *b, const char *s, size_t have)
{
    while (*s != '\0' && have < TRI_WORDS) {
        while (*s == ' ' || *s == '\n' || *s == '\t') {
            s++;
        }
        size_t n = strcspn(s, " \n\t");
        if (n == 0) {
            break;
        }
        if (sd_buf_printf(b, "%s%.*s", have > 0 ? " " : "", (int)n, s) != SD_OK) {
            break;
        }
        have++;
        s += n;
    }
    return have;
}

static int bench_triage(const struct sd_corpus_ticket *t, size_t n, sd_stem *stem, struct rng *r)
{
    int rc = 1;
    struct sd_err err = SD_ERR_INIT;
    struct sd_triage_example *ex = sd_xcalloc(n, sizeof *ex);
    for (size_t i = 0; i < n; i++) {
        ex[i] = t[i].ex;
    }
    struct sd_triage_opts o = {.areas = areas};
    sd_triage_model *m = NULL;
    char *texts[TRI_TEXTS] = {0};
    uint64_t *ns[3];
    for (int k = 0; k < 3; k++) {
        ns[k] = sd_xcalloc(TRI_RUNS, sizeof *ns[k]);
    }
    (void)fprintf(stderr, "bench-text: training the triage model on %zu tickets\n", n);
    uint64_t t0 = sd_clock_mono_ns();
    if (sd_triage_train(ex, n, &o, &m, &err) != SD_OK) {
        (void)fprintf(stderr, "bench-text: cannot train the triage model: %s\n", err.msg);
        goto out;
    }
    double train_s = (double)(sd_clock_mono_ns() - t0) / 1e9;

    struct sd_triage_input in[TRI_TEXTS];
    for (size_t i = 0; i < TRI_TEXTS; i++) {
        size_t first = rng_range(r, 0, n - 1);
        struct sd_buf b = SD_BUF_INIT(1 << 20);
        size_t have = 0;
        for (size_t j = first; have < TRI_WORDS; j = (j + 1) % n) {
            have = take_words(&b, t[j].ex.in.text ? t[j].ex.in.text : "", have);
        }
        texts[i] = sd_buf_detach(&b, NULL);
        in[i] = t[first].ex.in;
        in[i].text = texts[i];
    }

    (void)fprintf(stderr, "bench-text: triage, %d runs after %d\n", TRI_RUNS, TRI_WARMUP);
    size_t sum_len = 0;
    for (size_t i = 0; i < TRI_WARMUP + TRI_RUNS; i++) {
        sd_arena *a = sd_arena_new();
        struct sd_triage tr;
        struct sd_summary s;
        const struct sd_triage_input *x = &in[i % TRI_TEXTS];
        uint64_t a0 = sd_clock_mono_ns();
        sd_triage_run(m, stem, a, x, NULL, &tr);
        uint64_t a1 = sd_clock_mono_ns();
        sd_summarize(stem, a, x->text, NULL, 0, &s);
        uint64_t a2 = sd_clock_mono_ns();
        sum_len += strlen(s.summary) + strlen(tr.f[SD_TRI_CATEGORY].value);
        sd_arena_free(a);
        if (i >= TRI_WARMUP) {
            ns[0][i - TRI_WARMUP] = a1 - a0;
            ns[1][i - TRI_WARMUP] = a2 - a1;
            ns[2][i - TRI_WARMUP] = a2 - a0;
        }
    }
    (void)fprintf(stderr, "bench-text: %zu bytes of summaries and categories\n", sum_len);

    static const char *const rows[3] = {
        "sd_triage_run (4 classifiers + urgency rules)",
        "sd_summarize (title + two sentences)",
        "both, as a ticket's analysis runs them",
    };
    (void)printf("### Triage of a 300-word transcript\n\n");
    (void)printf("The model is trained with sd_triage_train on the built-in corpus (%zu tickets, "
                 "%zu features, %.1f s). %d transcripts of exactly %d words, each made by joining "
                 "corpus transcripts, taken in turn; one thread, one sd_stem, a fresh arena per "
                 "run; %d runs after %d of warm-up.\n\n",
                 n, sd_triage_model_features(m), train_s, TRI_TEXTS, TRI_WORDS, TRI_RUNS,
                 TRI_WARMUP);
    (void)printf("| step | mean | p50 | p99 | max |\n|---|---:|---:|---:|---:|\n");
    for (int k = 0; k < 3; k++) {
        struct lat l = latency(ns[k], TRI_RUNS);
        (void)printf("| %s | %.0f µs | %.0f µs | %.0f µs | %.0f µs |\n", rows[k], l.mean_us,
                     l.p50_us, l.p99_us, l.max_us);
    }
    (void)printf("\n");
    rc = 0;
out:
    for (size_t i = 0; i < TRI_TEXTS; i++) {
        free(texts[i]);
    }
    for (int k = 0; k < 3; k++) {
        free(ns[k]);
    }
    sd_triage_model_free(m);
    free(ex);
    return rc;
}

/* ---- 2. knowledge-base search ---------------------------------------------------- */

struct query {
    char *text;  /* what showdesk gets */
    char *match; /* what FTS5 gets */
    size_t n_terms;
};

/* The FTS5 MATCH string of @text: one word per distinct stem, quoted, OR-ed. */
static char *fts_match(sd_stem *stem, const char *text, size_t *n_terms)
{
    sd_arena *a = sd_arena_new();
    const char **w, **s;
    unsigned fl = SD_TOK_STOP | SD_TOK_FILLERS;
    size_t nw = sd_tok_words(a, text, strlen(text), fl, NULL, 0, &w);
    size_t ns = sd_tok_words(a, text, strlen(text), fl | SD_TOK_STEM, stem, 0, &s);
    struct sd_buf b = SD_BUF_INIT(1 << 20);
    size_t n = 0;
    for (size_t i = 0; i < nw && i < ns && n < QUERY_TERMS; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) {
            dup = strcmp(s[j], s[i]) == 0;
        }
        if (dup) {
            continue;
        }
        /* Words are letters and digits only (tok.h); quoting keeps FTS5 from reading
         * "and", "or", "not" or "near" as operators. */
        if (sd_buf_printf(&b, "%s\"%s\"", n > 0 ? " OR " : "", w[i]) != SD_OK) {
            break;
        }
        n++;
    }
    sd_arena_free(a);
    *n_terms = n;
    return sd_buf_detach(&b, NULL);
}

struct side {
    double build_s;
    size_t bytes;
    struct lat l;
};

struct kb_row {
    size_t n_docs;
    struct side sd, fts;
    size_t same_first, sd_empty, fts_empty;
    double terms_mean;
    double matched; /* share of the articles an FTS5 query matches */
};

static int sql_fail(sqlite3 *db, const char *what)
{
    (void)fprintf(stderr, "bench-text: sqlite: cannot %s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

static int sql_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        (void)fprintf(stderr, "bench-text: sqlite: '%s': %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return 1;
    }
    return 0;
}

static int64_t sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    (void)sqlite3_finalize(st);
    return v;
}

/* Indexes @n_docs articles in both engines, then times @q in both. */
static int bench_kb(size_t n_docs, const struct vocab *v, sd_stem *stem, const struct query *q,
                    struct kb_row *row)
{
    int rc = 1;
    struct sd_err err = SD_ERR_INIT;
    sd_kb *kb = NULL;
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL, *sel = NULL, *cnt = NULL;
    struct sd_buf title = SD_BUF_INIT(1 << 16), body = SD_BUF_INIT(1 << 20);
    struct sd_buf tags = SD_BUF_INIT(1 << 16);
    uint64_t *ns_sd = sd_xcalloc(N_QUERIES, sizeof *ns_sd);
    uint64_t *ns_fts = sd_xcalloc(N_QUERIES, sizeof *ns_fts);
    memset(row, 0, sizeof *row);
    row->n_docs = n_docs;

    if (sd_kb_new(&kb, &err) != SD_OK) {
        (void)fprintf(stderr, "bench-text: %s\n", err.msg);
        goto out;
    }
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        (void)sql_fail(db, "open an in-memory database");
        goto out;
    }
    if (sql_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, body, tags, "
                     "tokenize='porter unicode61')") != 0 ||
        sql_exec(db, "BEGIN") != 0) {
        goto out;
    }
    if (sqlite3_prepare_v2(db, "INSERT INTO t(rowid, title, body, tags) VALUES (?1, ?2, ?3, ?4)",
                           -1, &ins, NULL) != SQLITE_OK) {
        (void)sql_fail(db, "prepare the insert");
        goto out;
    }

    (void)fprintf(stderr, "bench-text: indexing %zu articles\n", n_docs);
    /* The same seed for every size: the first 10,000 of 100,000 are the 10,000. */
    struct rng r = {SEED ^ 0xa47ull};
    uint64_t sd_ns = 0, fts_ns = 0;
    for (size_t d = 1; d <= n_docs; d++) {
        sd_buf_reset(&title);
        sd_buf_reset(&body);
        sd_buf_reset(&tags);
        const char *tag[3];
        for (int i = 0; i < 3; i++) {
            do {
                tag[i] = zipf_word(v, &r);
            } while (sd_tok_is_stopword(tag[i]));
        }
        if (gen_words(&title, v, &r, rng_range(&r, 4, 10), false) != SD_OK ||
            gen_words(&body, v, &r, rng_range(&r, 150, 250), true) != SD_OK ||
            sd_buf_printf(&tags, "%s %s %s", tag[0], tag[1], tag[2]) != SD_OK) {
            (void)fprintf(stderr, "bench-text: article %zu is too long\n", d);
            goto out;
        }
        char id[24];
        (void)snprintf(id, sizeof id, "%zu", d);
        uint64_t t0 = sd_clock_mono_ns();
        sd_status st =
            sd_kb_put(kb, stem, id, sd_buf_cstr(&title), sd_buf_cstr(&body), tag, 3, &err);
        uint64_t t1 = sd_clock_mono_ns();
        if (st != SD_OK) {
            (void)fprintf(stderr, "bench-text: cannot index article %zu: %s\n", d, err.msg);
            goto out;
        }
        (void)sqlite3_bind_int64(ins, 1, (sqlite3_int64)d);
        (void)sqlite3_bind_text(ins, 2, sd_buf_cstr(&title), (int)title.len, SQLITE_STATIC);
        (void)sqlite3_bind_text(ins, 3, sd_buf_cstr(&body), (int)body.len, SQLITE_STATIC);
        (void)sqlite3_bind_text(ins, 4, sd_buf_cstr(&tags), (int)tags.len, SQLITE_STATIC);
        int src = sqlite3_step(ins);
        (void)sqlite3_reset(ins);
        uint64_t t2 = sd_clock_mono_ns();
        if (src != SQLITE_DONE) {
            (void)sql_fail(db, "insert an article");
            goto out;
        }
        sd_ns += t1 - t0;
        fts_ns += t2 - t1;
    }
    uint64_t c0 = sd_clock_mono_ns();
    if (sql_exec(db, "COMMIT") != 0 || sql_exec(db, "INSERT INTO t(t) VALUES ('optimize')") != 0) {
        goto out;
    }
    fts_ns += sd_clock_mono_ns() - c0;
    row->sd.build_s = (double)sd_ns / 1e9;
    row->fts.build_s = (double)fts_ns / 1e9;
    row->sd.bytes = sd_kb_bytes(kb);
    row->fts.bytes = (size_t)(sql_int(db, "PRAGMA page_count") * sql_int(db, "PRAGMA page_size"));

    if (sqlite3_prepare_v2(db,
                           "SELECT rowid, bm25(t, 2.5, 1.0, 2.0) FROM t WHERE t MATCH ?1 "
                           "ORDER BY bm25(t, 2.5, 1.0, 2.0) LIMIT 3",
                           -1, &sel, NULL) != SQLITE_OK) {
        (void)sql_fail(db, "prepare the search");
        goto out;
    }
    (void)fprintf(stderr, "bench-text: %d queries on %zu articles\n", N_QUERIES, n_docs);
    size_t terms = 0;
    for (size_t i = 0; i < Q_WARMUP + N_QUERIES; i++) {
        const struct query *x = &q[i < Q_WARMUP ? i : i - Q_WARMUP];
        struct sd_kb_match m[TOP_K];
        sd_arena *a = sd_arena_new();
        uint64_t t0 = sd_clock_mono_ns();
        size_t nh = sd_kb_search(kb, stem, a, x->text, NULL, TOP_K, m);
        uint64_t t1 = sd_clock_mono_ns();
        (void)sqlite3_bind_text(sel, 1, x->match, -1, SQLITE_STATIC);
        int src;
        int64_t first = -1;
        while ((src = sqlite3_step(sel)) == SQLITE_ROW) {
            if (first < 0) {
                first = sqlite3_column_int64(sel, 0);
            }
        }
        (void)sqlite3_reset(sel);
        uint64_t t2 = sd_clock_mono_ns();
        if (src != SQLITE_DONE) {
            (void)sql_fail(db, "search");
            sd_arena_free(a);
            goto out;
        }
        if (i >= Q_WARMUP) {
            ns_sd[i - Q_WARMUP] = t1 - t0;
            ns_fts[i - Q_WARMUP] = t2 - t1;
            char id[24];
            (void)snprintf(id, sizeof id, "%lld", (long long)first);
            row->same_first += nh > 0 && first >= 0 && strcmp(m[0].id, id) == 0;
            row->sd_empty += nh == 0;
            row->fts_empty += first < 0;
            terms += x->n_terms;
        }
        sd_arena_free(a);
    }
    row->terms_mean = (double)terms / N_QUERIES;
    /* How many articles the OR of a query's terms matches, over the first queries (untimed). */
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &cnt, NULL) !=
        SQLITE_OK) {
        (void)sql_fail(db, "prepare the count");
        goto out;
    }
    int64_t matched = 0;
    for (size_t i = 0; i < N_COUNTED; i++) {
        (void)sqlite3_bind_text(cnt, 1, q[i].match, -1, SQLITE_STATIC);
        if (sqlite3_step(cnt) != SQLITE_ROW) {
            (void)sql_fail(db, "count the matches");
            goto out;
        }
        matched += sqlite3_column_int64(cnt, 0);
        (void)sqlite3_reset(cnt);
    }
    row->matched = (double)matched / N_COUNTED / (double)n_docs;
    row->sd.l = latency(ns_sd, N_QUERIES);
    row->fts.l = latency(ns_fts, N_QUERIES);
    rc = 0;
out:
    free(ns_sd);
    free(ns_fts);
    sd_buf_release(&title);
    sd_buf_release(&body);
    sd_buf_release(&tags);
    (void)sqlite3_finalize(ins);
    (void)sqlite3_finalize(sel);
    (void)sqlite3_finalize(cnt);
    (void)sqlite3_close(db);
    sd_kb_free(kb);
    return rc;
}

static void print_kb(const struct kb_row *rows, size_t n, const struct vocab *v)
{
    (void)printf("### Knowledge-base search: k = %d, %d ticket-like queries of 8-60 words\n\n",
                 TOP_K, N_QUERIES);
    (void)printf("Articles and queries are drawn from a vocabulary of %d terms with a Zipf law "
                 "(s = 1): the %zu words of the built-in corpus by frequency, then pseudo-words. "
                 "An article has a 4-10 word title, a 150-250 word body and 3 tags. Both engines "
                 "index the same strings in the same process (SQLite in memory, one transaction, "
                 "then 'optimize') and take the queries in turn, one thread, after %d of "
                 "warm-up; FTS5 gets the query's words without stopwords, one per stem, quoted "
                 "and OR-ed (made before its clock starts). Build counts the indexing calls only. "
                 "Memory: sd_kb_bytes, and FTS5's page count × page size. MB = 10^6 bytes.\n\n",
                 VOCAB, v->n_real, Q_WARMUP);
    (void)printf("| engine | articles | build | memory | p50 | p99 | max | p50 ratio to FTS5 | "
                 "p99 ratio to FTS5 |\n");
    (void)printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    char fts[64];
    (void)snprintf(fts, sizeof fts, "SQLite %s FTS5, bm25()", sqlite3_libversion());
    for (size_t i = 0; i < n; i++) {
        const struct kb_row *r = &rows[i];
        for (int e = 0; e < 2; e++) {
            const struct side *s = e == 0 ? &r->sd : &r->fts;
            (void)printf("| %s | %zu | %.2f s | %.1f MB | %.3f ms | %.3f ms | %.3f ms | %.3f | "
                         "%.3f |\n",
                         e == 0 ? "showdesk, sd_kb_search" : fts, r->n_docs, s->build_s,
                         (double)s->bytes / 1e6, s->l.p50_us / 1e3, s->l.p99_us / 1e3,
                         s->l.max_us / 1e3, s->l.p50_us / r->fts.l.p50_us,
                         s->l.p99_us / r->fts.l.p99_us);
        }
    }
    (void)printf("\n");
    for (size_t i = 0; i < n; i++) {
        const struct kb_row *r = &rows[i];
        (void)printf("%zu articles: %.1f query terms on average after stopwords, and FTS5's OR "
                     "of them matches %.0f%% of the articles (over the first %d queries); the "
                     "first hit is the same article in both for %.0f%% of the queries; no hit: "
                     "showdesk %zu, FTS5 %zu.\n",
                     r->n_docs, r->terms_mean, 100.0 * r->matched, N_COUNTED,
                     100.0 * (double)r->same_first / N_QUERIES, r->sd_empty, r->fts_empty);
    }
    (void)printf("\n");
}

int main(int argc, char **argv)
{
    size_t sizes[N_SIZES_MAX] = {10000, 100000};
    size_t n_sizes = 2;
    if (argc > 1 + N_SIZES_MAX) {
        (void)fprintf(stderr, "usage: bench-text [N...]\n");
        return 2;
    }
    if (argc > 1) {
        n_sizes = 0;
        for (int i = 1; i < argc; i++) {
            char *end = NULL;
            errno = 0;
            unsigned long v = strtoul(argv[i], &end, 10);
            if (errno != 0 || end == argv[i] || *end != '\0' || v == 0 || v > 10000000) {
                (void)fprintf(stderr, "bench-text: bad N '%s' (a whole number, 1 to 10000000)\n",
                              argv[i]);
                return 2;
            }
            sizes[n_sizes++] = v;
        }
    }

    int rc = 1;
    struct sd_err err = SD_ERR_INIT;
    sd_arena *a = sd_arena_new();
    sd_stem *stem = NULL;
    struct vocab v = {0};
    struct query *q = NULL;
    struct kb_row rows[N_SIZES_MAX];
    struct sd_corpus_ticket *t;
    struct sd_corpus_article *art;
    size_t n_t, n_art;
    if (sd_stem_new(&stem, &err) != SD_OK || sd_corpus_builtin(a, &t, &n_t, &err) != SD_OK ||
        sd_corpus_builtin_articles(a, &art, &n_art, &err) != SD_OK) {
        (void)fprintf(stderr, "bench-text: %s\n", err.msg);
        goto out;
    }
    if (n_t == 0) {
        (void)fprintf(stderr, "bench-text: the built-in corpus has no tickets\n");
        goto out;
    }
    struct rng r = {SEED};
    if (bench_triage(t, n_t, stem, &r) != 0) {
        goto out;
    }

    if (vocab_init(&v, &r, t, n_t, art, n_art) != SD_OK) {
        (void)fprintf(stderr, "bench-text: cannot make a vocabulary of %d terms\n", VOCAB);
        goto out;
    }
    q = sd_xcalloc(N_QUERIES, sizeof *q);
    struct rng rq = {SEED ^ 0x9e7ull};
    for (size_t i = 0; i < N_QUERIES; i++) {
        do {
            sd_freep(&q[i].text);
            sd_freep(&q[i].match);
            struct sd_buf b = SD_BUF_INIT(1 << 16);
            if (gen_words(&b, &v, &rq, rng_range(&rq, 8, 60), true) != SD_OK) {
                sd_buf_release(&b);
                goto out;
            }
            q[i].text = sd_buf_detach(&b, NULL);
            q[i].match = fts_match(stem, q[i].text, &q[i].n_terms);
        } while (q[i].n_terms == 0);
    }
    for (size_t i = 0; i < n_sizes; i++) {
        if (bench_kb(sizes[i], &v, stem, q, &rows[i]) != 0) {
            goto out;
        }
    }
    print_kb(rows, n_sizes, &v);
    rc = 0;
out:
    if (q != NULL) {
        for (size_t i = 0; i < N_QUERIES; i++) {
            free(q[i].text);
            free(q[i].match);
        }
        free(q);
    }
    vocab_release(&v);
    sd_stem_free(stem);
    sd_arena_free(a);
    return rc;
}
