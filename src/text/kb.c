/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Help articles in a BM25F index, and calibrated match confidence: see kb.h. */
#include "text/kb.h"

#include <linear.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "text/bm25.h"
#include "base/banned.h"

#define QUERY_TERMS 128
#define QUERY_BYTES ((size_t)64 * 1024)
#define FIELD_WORDS 20000

/* Fitted on corpus/kb/train.jsonl against corpus/kb/articles.jsonl. */
const struct sd_kb_calib sd_kb_calib_default = {{6.0, 3.0, 4.0, -0.5}, -6.0};

struct doc {
    char *id; /* NULL: a free slot */
    char *title;
};

struct sd_kb {
    pthread_rwlock_t lock;
    sd_bm25 *ix;
    struct doc *docs;
    uint32_t n_docs, cap_docs, n_live;
    uint32_t *free_slots;
    uint32_t n_free;
    /* id -> doc + 1, open addressing; tombstones are UINT32_MAX */
    uint32_t *slots;
    uint32_t mask;
    uint32_t n_used;
};

static uint32_t hash(const char *s)
{
    return sd_hash_fnv1a(s, strlen(s));
}

sd_status sd_kb_new(sd_kb **out, struct sd_err *err)
{
    sd_kb *kb = sd_xcalloc(1, sizeof *kb);
    if (sd_bm25_new(NULL, &kb->ix, err) != SD_OK) {
        free(kb);
        return SD_E_INTERNAL;
    }
    (void)pthread_rwlock_init(&kb->lock, NULL);
    kb->mask = 63;
    kb->slots = sd_xcalloc(64, sizeof *kb->slots);
    *out = kb;
    return SD_OK;
}

void sd_kb_free(sd_kb *kb)
{
    if (kb == NULL) {
        return;
    }
    for (uint32_t i = 0; i < kb->n_docs; i++) {
        free(kb->docs[i].id);
        free(kb->docs[i].title);
    }
    free(kb->docs);
    free(kb->free_slots);
    free(kb->slots);
    sd_bm25_free(kb->ix);
    (void)pthread_rwlock_destroy(&kb->lock);
    free(kb);
}

/* The slot of @id in the table, or of the first free place for it. */
static uint32_t *find_slot(sd_kb *kb, const char *id, bool *found)
{
    uint32_t *tomb = NULL;
    for (uint32_t h = hash(id) & kb->mask;; h = (h + 1) & kb->mask) {
        uint32_t s = kb->slots[h];
        if (s == 0) {
            *found = false;
            return tomb ? tomb : &kb->slots[h];
        }
        if (s == UINT32_MAX) {
            tomb = tomb ? tomb : &kb->slots[h];
            continue;
        }
        if (strcmp(kb->docs[s - 1].id, id) == 0) {
            *found = true;
            return &kb->slots[h];
        }
    }
}

static void rehash(sd_kb *kb)
{
    uint32_t cap = (kb->mask + 1) * 2;
    while (cap < kb->n_live * 4) {
        cap *= 2;
    }
    free(kb->slots);
    kb->slots = sd_xcalloc(cap, sizeof *kb->slots);
    kb->mask = cap - 1;
    kb->n_used = 0;
    for (uint32_t d = 0; d < kb->n_docs; d++) {
        if (kb->docs[d].id != NULL) {
            bool found;
            *find_slot(kb, kb->docs[d].id, &found) = d + 1;
            kb->n_used++;
        }
    }
}

static size_t field_terms(sd_arena *a, sd_stem *stem, const char *s, const char ***out)
{
    size_t len = s ? strlen(s) : 0;
    return sd_tok_words(a, s ? s : "", len, SD_TOK_STOP | SD_TOK_FILLERS | SD_TOK_STEM, stem,
                        FIELD_WORDS, out);
}

sd_status sd_kb_put(sd_kb *kb, sd_stem *stem, const char *id, const char *title, const char *text,
                    const char *const *tags, size_t n_tags, struct sd_err *err)
{
    sd_arena *a = sd_arena_new();
    const char **t[SD_BM25_NFIELDS];
    size_t n[SD_BM25_NFIELDS];
    n[SD_BM25_TITLE] = field_terms(a, stem, title, &t[SD_BM25_TITLE]);
    n[SD_BM25_BODY] = field_terms(a, stem, text, &t[SD_BM25_BODY]);
    /* Tags: each tag's words. */
    struct sd_buf tb = SD_BUF_INIT(1 << 16);
    for (size_t i = 0; i < n_tags; i++) {
        if (sd_buf_printf(&tb, "%s\n", tags[i]) != SD_OK) {
            break; /* 64 KiB of tags is enough */
        }
    }
    n[SD_BM25_TAGS] = field_terms(a, stem, sd_buf_cstr(&tb), &t[SD_BM25_TAGS]);
    sd_buf_release(&tb);

    (void)pthread_rwlock_wrlock(&kb->lock);
    bool found;
    uint32_t *slot = find_slot(kb, id, &found);
    uint32_t doc;
    if (found) {
        doc = *slot - 1;
    } else if (kb->n_free > 0) {
        doc = kb->free_slots[--kb->n_free];
    } else {
        if (kb->n_docs == kb->cap_docs) {
            kb->cap_docs = kb->cap_docs ? kb->cap_docs * 2 : 64;
            kb->docs = sd_xrealloc(kb->docs, kb->cap_docs * sizeof *kb->docs);
        }
        doc = kb->n_docs++;
        kb->docs[doc] = (struct doc){0};
    }
    sd_status st = sd_bm25_put(kb->ix, doc, (const char *const *const *)t, n, err);
    if (st == SD_OK) {
        free(kb->docs[doc].title);
        kb->docs[doc].title = sd_xstrdup(title ? title : "");
        if (!found) {
            kb->docs[doc].id = sd_xstrdup(id);
            if (*slot == 0) {
                kb->n_used++;
            }
            *slot = doc + 1;
            kb->n_live++;
            if (kb->n_used * 2 > kb->mask) {
                rehash(kb);
            }
        }
    } else if (!found) {
        kb->free_slots = sd_xrealloc(kb->free_slots, (kb->n_free + 1) * sizeof *kb->free_slots);
        kb->free_slots[kb->n_free++] = doc;
    }
    (void)pthread_rwlock_unlock(&kb->lock);
    sd_arena_free(a);
    return st;
}

void sd_kb_remove(sd_kb *kb, const char *id)
{
    (void)pthread_rwlock_wrlock(&kb->lock);
    bool found;
    uint32_t *slot = find_slot(kb, id, &found);
    if (found) {
        uint32_t doc = *slot - 1;
        sd_bm25_remove(kb->ix, doc);
        free(kb->docs[doc].id);
        free(kb->docs[doc].title);
        kb->docs[doc] = (struct doc){0};
        *slot = UINT32_MAX;
        kb->n_live--;
        kb->free_slots = sd_xrealloc(kb->free_slots, (kb->n_free + 1) * sizeof *kb->free_slots);
        kb->free_slots[kb->n_free++] = doc;
    }
    (void)pthread_rwlock_unlock(&kb->lock);
}

size_t sd_kb_count(sd_kb *kb)
{
    (void)pthread_rwlock_rdlock(&kb->lock);
    size_t n = kb->n_live;
    (void)pthread_rwlock_unlock(&kb->lock);
    return n;
}

size_t sd_kb_bytes(sd_kb *kb)
{
    (void)pthread_rwlock_rdlock(&kb->lock);
    size_t n = sd_bm25_bytes(kb->ix) + kb->cap_docs * sizeof *kb->docs +
               (kb->mask + 1) * sizeof *kb->slots;
    for (uint32_t i = 0; i < kb->n_docs; i++) {
        if (kb->docs[i].id != NULL) {
            n += strlen(kb->docs[i].id) + strlen(kb->docs[i].title) + 2;
        }
    }
    (void)pthread_rwlock_unlock(&kb->lock);
    return n;
}

static double confidence(const struct sd_kb_calib *c, const double *x)
{
    double z = c->bias;
    for (int i = 0; i < SD_KB_FEATURES; i++) {
        z += c->w[i] * x[i];
    }
    return 1.0 / (1.0 + exp(-z));
}

size_t sd_kb_search(sd_kb *kb, sd_stem *stem, sd_arena *a, const char *query,
                    const struct sd_kb_calib *cal, size_t k, struct sd_kb_match *out)
{
    if (k == 0) {
        return 0;
    }
    const struct sd_kb_calib *c = cal ? cal : &sd_kb_calib_default;
    size_t len = query ? strlen(query) : 0;
    const char **w;
    size_t nw = sd_tok_words(a, query ? query : "", len > QUERY_BYTES ? QUERY_BYTES : len,
                             SD_TOK_STOP | SD_TOK_FILLERS | SD_TOK_STEM, stem, 0, &w);
    /* Distinct terms, first come first kept, at most QUERY_TERMS. */
    const char **q = sd_arena_alloc(a, (nw + 1) * sizeof *q);
    size_t nq = 0;
    for (size_t i = 0; i < nw && nq < QUERY_TERMS; i++) {
        bool dup = false;
        for (size_t j = 0; j < nq && !dup; j++) {
            dup = strcmp(q[j], w[i]) == 0;
        }
        if (!dup) {
            q[nq++] = w[i];
        }
    }
    if (nq == 0) {
        return 0;
    }
    struct sd_bm25_hit *hits = sd_arena_alloc(a, (k + 1) * sizeof *hits);
    double idf_sum = 0;
    (void)pthread_rwlock_rdlock(&kb->lock);
    size_t n = sd_bm25_search(kb->ix, q, nq, hits, k < 2 ? 2 : k, &idf_sum);
    /* Two hits are asked for the margin, even when one is wanted. */
    for (size_t i = 0; i < n && i < k; i++) {
        out[i].id = sd_arena_strdup(a, kb->docs[hits[i].doc].id);
        out[i].title = sd_arena_strdup(a, kb->docs[hits[i].doc].title);
    }
    (void)pthread_rwlock_unlock(&kb->lock);
    if (n == 0) {
        return 0;
    }
    double s1 = hits[0].score, s2 = n > 1 ? hits[1].score : 0;
    for (size_t i = 0; i < n && i < k; i++) {
        struct sd_kb_match *m = &out[i];
        m->score = hits[i].score;
        m->x[0] = idf_sum > 0 ? hits[i].score / idf_sum : 0;
        m->x[1] = i == 0 ? (s1 > 0 ? (s1 - s2) / s1 : 0) : 0;
        m->x[2] = hits[i].coverage;
        m->x[3] = log(1.0 + (double)nq);
        m->confidence = confidence(c, out[0].x) * (s1 > 0 ? hits[i].score / s1 : 0);
        if (i > 0) {
            /* Below the first by construction: never two "confident" hits. */
            double first = out[0].confidence;
            m->confidence = first * (s1 > 0 ? hits[i].score / s1 : 0) * 0.5;
        }
    }
    return n < k ? n : k;
}

static void quiet(const char *s)
{
    (void)s;
}

sd_status sd_kb_calibrate(const double (*x)[SD_KB_FEATURES], const int *y, size_t n,
                          struct sd_kb_calib *out, struct sd_err *err)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        pos += y[i] != 0;
    }
    if (pos == 0 || pos == n) {
        return sd_err_set(err, SD_E_INVALID, "kb",
                          "calibration needs tickets whose first match is right and tickets "
                          "whose first match is wrong (%zu of %zu are right)",
                          pos, n);
    }
    set_print_string_function(quiet);
    struct feature_node *nodes = sd_xcalloc(n * (SD_KB_FEATURES + 2), sizeof *nodes);
    struct feature_node **rows = sd_xcalloc(n, sizeof(struct feature_node *));
    double *ys = sd_xcalloc(n, sizeof *ys);
    for (size_t i = 0; i < n; i++) {
        struct feature_node *r = nodes + i * (SD_KB_FEATURES + 2);
        for (int f = 0; f < SD_KB_FEATURES; f++) {
            r[f] = (struct feature_node){f + 1, x[i][f]};
        }
        r[SD_KB_FEATURES] = (struct feature_node){SD_KB_FEATURES + 1, 1.0};
        r[SD_KB_FEATURES + 1] = (struct feature_node){-1, 0};
        rows[i] = r;
        /* Label 1 first, so that liblinear's one weight vector is for it. */
        ys[i] = y[i] ? 1 : 0;
    }
    struct problem prob = {.l = (int)n, .n = SD_KB_FEATURES + 1, .y = ys, .x = rows, .bias = -1};
    struct parameter param = {.solver_type = L2R_LR, .eps = 0.001, .C = 10};
    struct model *m = train(&prob, &param);
    /* liblinear's weights are for its first label. */
    double sign = m->label[0] == 1 ? 1.0 : -1.0;
    for (int f = 0; f < SD_KB_FEATURES; f++) {
        out->w[f] = sign * get_decfun_coef(m, f + 1, 0);
    }
    out->bias = sign * get_decfun_coef(m, SD_KB_FEATURES + 1, 0);
    free_and_destroy_model(&m);
    free(nodes);
    free(rows);
    free(ys);
    return SD_OK;
}
