/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* BM25F inverted index; see bm25.h for the model, the layout and the threads. */
#include "text/bm25.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

_Static_assert(SD_BM25_NFIELDS == 3, "struct posting holds one tf per field");

#define NONE          UINT32_MAX /* no slot, no term */
#define SLOTS_MAX     (UINT32_MAX - 1)
#define TF_SMALL_MAX  UINT8_MAX  /* title and tags */
#define TF_BODY_MAX   UINT16_MAX /* body */
#define TABLE_MIN_CAP 16u

/* One document's frequencies of one term; 8 bytes, the bulk of the index. */
struct posting {
    uint32_t slot;
    uint16_t tf_body;
    uint8_t tf_title;
    uint8_t tf_tags;
};

struct term {
    char *s;              /* interned bytes (NUL-terminated); NULL when the id is free */
    struct posting *post; /* sorted by slot; n is the term's df */
    uint32_t n;
    uint32_t cap;
    uint32_t hash;
    uint32_t put_gen; /* sd_bm25_put's mark: this term is in the doc being put */
    uint32_t put_idx; /* ... at this index of ix->put_terms */
    uint8_t len;
};

/* A document: its number and its distinct terms (in no order); lengths are in ix->len. */
struct slot {
    uint32_t *terms; /* NULL when empty (a free slot, or a doc with no terms) */
    uint32_t n_terms;
    uint32_t doc;
};

/*
 * An open-addressing table of uint32_t keys with linear probing; val is
 * the value + 1, 0 marks an empty entry. The dictionary keys by the term's
 * hash (and compares strings), the doc map by doc number.
 */
struct ent {
    uint32_t key;
    uint32_t val;
};

struct table {
    struct ent *e;
    uint32_t mask; /* capacity - 1; capacity is a power of two */
    uint32_t n;
};

/* A distinct term of the document being put, with its frequencies. */
struct put_term {
    uint32_t term;
    uint32_t tf[SD_BM25_NFIELDS];
    bool in_old;
};

/* A distinct query term. */
struct qterm {
    const char *s;
    size_t len;
    uint32_t term; /* NONE when not in the index */
    double idf;
};

/* The working memory of one search; owned by the pool, used by one search at a time. */
struct scratch {
    struct scratch *next;
    double *score;  /* per slot, all zero between searches */
    uint32_t *hits; /* per slot: distinct query terms matched; all zero between searches */
    uint32_t *touched;
    size_t cap_slots;
    struct qterm *q;
    size_t cap_q;
};

struct pool {
    pthread_mutex_t lock;
    struct scratch *free; /* guarded by lock */
    atomic_size_t bytes;  /* of every scratch, in use or not */
};

struct sd_bm25 {
    double k1;
    double b;
    double weight[SD_BM25_NFIELDS];

    struct term *terms;
    size_t n_terms; /* ids handed out, free ones included */
    size_t cap_terms;
    uint32_t *free_terms;
    size_t n_free_terms;
    size_t cap_free_terms;
    struct table dict;

    struct slot *slots;
    /* Field lengths, one array per field, so that a body-only scan reads 4 bytes a slot. */
    uint32_t *len[SD_BM25_NFIELDS];
    size_t n_slots; /* high-water mark, free ones included */
    size_t cap_slots;
    uint32_t *free_slots;
    size_t n_free_slots;
    size_t cap_free_slots;
    struct table docs;

    size_t n_docs;
    uint64_t total_len[SD_BM25_NFIELDS];

    struct put_term *put_terms;
    size_t cap_put_terms;
    uint32_t put_gen;

    size_t bytes;      /* everything above, not the pool */
    struct pool *pool; /* mutable from const searches */
};

/* ---- memory ---------------------------------------------------------------------------- */

/* Resizes @p from @old_bytes to @new_bytes (0 frees), keeping the byte count. */
static void *resize(sd_bm25 *ix, void *p, size_t old_bytes, size_t new_bytes)
{
    ix->bytes = ix->bytes - old_bytes + new_bytes;
    if (new_bytes == 0) {
        free(p);
        return NULL;
    }
    return sd_xrealloc(p, new_bytes);
}

/* Grows the array @p of *@cap elements of @size bytes to hold at least @need. */
static void *reserve(sd_bm25 *ix, void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) {
        return p;
    }
    /* Small first: most terms are rare, and a posting list starts with every new term. */
    size_t c = *cap < 2 ? 2 : *cap;
    while (c < need) {
        c += c / 2;
    }
    SD_ASSERT(c <= SIZE_MAX / size);
    p = resize(ix, p, *cap * size, c * size);
    *cap = c;
    return p;
}

/* ---- hashing and tables ---------------------------------------------------------------- */

/* FNV-1a over the bytes; the table mixes it again before use. */
static uint32_t hash_bytes(const char *s, size_t len)
{
    return sd_hash_fnv1a(s, len);
}

/* A strong 32-bit mixer (Wellons' lowbias32), so that doc numbers and FNV spread. */
static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static void table_init(sd_bm25 *ix, struct table *t)
{
    t->e = resize(ix, NULL, 0, TABLE_MIN_CAP * sizeof(*t->e));
    memset(t->e, 0, TABLE_MIN_CAP * sizeof(*t->e));
    t->mask = TABLE_MIN_CAP - 1;
    t->n = 0;
}

/* Puts (@key, @val) in the first empty entry of its probe sequence. */
static void table_place(struct table *t, uint32_t key, uint32_t val)
{
    uint32_t i = mix(key) & t->mask;
    while (t->e[i].val != 0) {
        i = (i + 1) & t->mask;
    }
    t->e[i].key = key;
    t->e[i].val = val;
}

/* Adds (@key, @value) without checking for a duplicate key; keeps the load at most 1/2. */
static void table_add(sd_bm25 *ix, struct table *t, uint32_t key, uint32_t value)
{
    size_t cap = (size_t)t->mask + 1;
    if (((size_t)t->n + 1) * 2 > cap) {
        struct ent *old = t->e;
        SD_ASSERT(cap <= UINT32_MAX / 2);
        t->e = resize(ix, NULL, 0, cap * 2 * sizeof(*t->e));
        memset(t->e, 0, cap * 2 * sizeof(*t->e));
        t->mask = (uint32_t)(cap * 2 - 1);
        for (size_t i = 0; i < cap; i++) {
            if (old[i].val != 0) {
                table_place(t, old[i].key, old[i].val);
            }
        }
        (void)resize(ix, old, cap * sizeof(*old), 0);
    }
    table_place(t, key, value + 1);
    t->n++;
}

/* Empties entry @i and shifts later entries of its cluster back (no tombstones). */
static void table_delete_at(struct table *t, uint32_t i)
{
    for (;;) {
        t->e[i].val = 0;
        uint32_t j = i;
        for (;;) {
            j = (j + 1) & t->mask;
            if (t->e[j].val == 0) {
                t->n--;
                return;
            }
            uint32_t home = mix(t->e[j].key) & t->mask;
            /* The entry at j may move to i unless its home lies cyclically in (i, j]. */
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                break;
            }
        }
        t->e[i] = t->e[j];
        i = j;
    }
}

static uint32_t doc_find(const sd_bm25 *ix, uint32_t doc)
{
    const struct table *t = &ix->docs;
    for (uint32_t i = mix(doc) & t->mask; t->e[i].val != 0; i = (i + 1) & t->mask) {
        if (t->e[i].key == doc) {
            return t->e[i].val - 1;
        }
    }
    return NONE;
}

static void doc_delete(sd_bm25 *ix, uint32_t doc)
{
    struct table *t = &ix->docs;
    for (uint32_t i = mix(doc) & t->mask; t->e[i].val != 0; i = (i + 1) & t->mask) {
        if (t->e[i].key == doc) {
            table_delete_at(t, i);
            return;
        }
    }
    SD_BUG("doc to delete is not in the map");
}

static uint32_t term_find(const sd_bm25 *ix, const char *s, size_t len, uint32_t hash)
{
    const struct table *t = &ix->dict;
    for (uint32_t i = mix(hash) & t->mask; t->e[i].val != 0; i = (i + 1) & t->mask) {
        if (t->e[i].key == hash) {
            const struct term *tm = &ix->terms[t->e[i].val - 1];
            if (tm->len == len && memcmp(tm->s, s, len) == 0) {
                return t->e[i].val - 1;
            }
        }
    }
    return NONE;
}

/* The id of term @s (@len bytes, already cut), added with no postings when new. */
static uint32_t term_intern(sd_bm25 *ix, const char *s, size_t len)
{
    uint32_t hash = hash_bytes(s, len);
    uint32_t id = term_find(ix, s, len, hash);
    if (id != NONE) {
        return id;
    }
    if (ix->n_free_terms > 0) {
        id = ix->free_terms[--ix->n_free_terms];
    } else {
        SD_ASSERT(ix->n_terms < NONE);
        ix->terms = reserve(ix, ix->terms, &ix->cap_terms, ix->n_terms + 1, sizeof(*ix->terms));
        id = (uint32_t)ix->n_terms++;
    }
    struct term *tm = &ix->terms[id];
    memset(tm, 0, sizeof(*tm));
    tm->s = resize(ix, NULL, 0, len + 1);
    memcpy(tm->s, s, len);
    tm->s[len] = '\0';
    tm->len = (uint8_t)len;
    tm->hash = hash;
    table_add(ix, &ix->dict, hash, id);
    return id;
}

/* Drops term @id, whose last posting has gone, from the dictionary. */
static void term_drop(sd_bm25 *ix, uint32_t id)
{
    struct term *tm = &ix->terms[id];
    struct table *t = &ix->dict;
    uint32_t i = mix(tm->hash) & t->mask;
    while (t->e[i].val != id + 1) {
        SD_ASSERT(t->e[i].val != 0);
        i = (i + 1) & t->mask;
    }
    table_delete_at(t, i);
    tm->s = resize(ix, tm->s, (size_t)tm->len + 1, 0);
    tm->post = resize(ix, tm->post, (size_t)tm->cap * sizeof(*tm->post), 0);
    memset(tm, 0, sizeof(*tm));
    ix->free_terms = reserve(ix, ix->free_terms, &ix->cap_free_terms, ix->n_free_terms + 1,
                             sizeof(*ix->free_terms));
    ix->free_terms[ix->n_free_terms++] = id;
}

/* ---- postings -------------------------------------------------------------------------- */

/* The index of the first posting of @tm whose slot is not below @slot. */
static uint32_t post_lower_bound(const struct term *tm, uint32_t slot)
{
    uint32_t lo = 0;
    uint32_t hi = tm->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tm->post[mid].slot < slot) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static void post_set_tf(struct posting *p, const uint32_t tf[SD_BM25_NFIELDS])
{
    p->tf_title = (uint8_t)(tf[SD_BM25_TITLE] > TF_SMALL_MAX ? TF_SMALL_MAX : tf[SD_BM25_TITLE]);
    p->tf_body = (uint16_t)(tf[SD_BM25_BODY] > TF_BODY_MAX ? TF_BODY_MAX : tf[SD_BM25_BODY]);
    p->tf_tags = (uint8_t)(tf[SD_BM25_TAGS] > TF_SMALL_MAX ? TF_SMALL_MAX : tf[SD_BM25_TAGS]);
}

/* Adds the posting of @slot to term @id, keeping the list sorted. */
static void post_insert(sd_bm25 *ix, uint32_t id, uint32_t slot, const uint32_t tf[SD_BM25_NFIELDS])
{
    struct term *tm = &ix->terms[id];
    if (tm->n == tm->cap) {
        size_t cap = tm->cap;
        tm->post = reserve(ix, tm->post, &cap, (size_t)tm->n + 1, sizeof(*tm->post));
        SD_ASSERT(cap <= UINT32_MAX);
        tm->cap = (uint32_t)cap;
    }
    /* Fresh slots are the highest, so a build only ever appends. */
    uint32_t i = tm->n;
    if (i > 0 && tm->post[i - 1].slot > slot) {
        i = post_lower_bound(tm, slot);
        SD_ASSERT(tm->post[i].slot != slot);
        memmove(&tm->post[i + 1], &tm->post[i], (size_t)(tm->n - i) * sizeof(*tm->post));
    }
    tm->post[i].slot = slot;
    post_set_tf(&tm->post[i], tf);
    tm->n++;
}

static struct posting *post_find(const sd_bm25 *ix, uint32_t id, uint32_t slot)
{
    const struct term *tm = &ix->terms[id];
    uint32_t i = post_lower_bound(tm, slot);
    SD_ASSERT(i < tm->n && tm->post[i].slot == slot);
    return &tm->post[i];
}

/* Removes the posting of @slot from term @id, dropping the term when it was the last. */
static void post_remove(sd_bm25 *ix, uint32_t id, uint32_t slot)
{
    struct term *tm = &ix->terms[id];
    uint32_t i = (uint32_t)(post_find(ix, id, slot) - tm->post);
    memmove(&tm->post[i], &tm->post[i + 1], (size_t)(tm->n - i - 1) * sizeof(*tm->post));
    tm->n--;
    if (tm->n == 0) {
        term_drop(ix, id);
    } else if (tm->cap > 16 && tm->n <= tm->cap / 4) {
        uint32_t cap = tm->n * 2;
        tm->post = resize(ix, tm->post, (size_t)tm->cap * sizeof(*tm->post),
                          (size_t)cap * sizeof(*tm->post));
        tm->cap = cap;
    }
}

/* ---- documents ------------------------------------------------------------------------- */

/* Takes a free slot, or a new one at the top. */
static uint32_t slot_take(sd_bm25 *ix)
{
    if (ix->n_free_slots > 0) {
        return ix->free_slots[--ix->n_free_slots];
    }
    size_t cap = ix->cap_slots;
    ix->slots = reserve(ix, ix->slots, &cap, ix->n_slots + 1, sizeof(*ix->slots));
    if (cap != ix->cap_slots) {
        for (int f = 0; f < SD_BM25_NFIELDS; f++) {
            ix->len[f] = resize(ix, ix->len[f], ix->cap_slots * sizeof(*ix->len[f]),
                                cap * sizeof(*ix->len[f]));
        }
        ix->cap_slots = cap;
    }
    uint32_t slot = (uint32_t)ix->n_slots++;
    memset(&ix->slots[slot], 0, sizeof(ix->slots[slot]));
    for (int f = 0; f < SD_BM25_NFIELDS; f++) {
        ix->len[f][slot] = 0;
    }
    return slot;
}

/* Removes the postings and lengths of @slot, then frees it, keeping the map entry. */
static void slot_clear(sd_bm25 *ix, uint32_t slot)
{
    struct slot *sl = &ix->slots[slot];
    for (uint32_t i = 0; i < sl->n_terms; i++) {
        post_remove(ix, sl->terms[i], slot);
    }
    sl->terms = resize(ix, sl->terms, (size_t)sl->n_terms * sizeof(*sl->terms), 0);
    sl->n_terms = 0;
    for (int f = 0; f < SD_BM25_NFIELDS; f++) {
        ix->total_len[f] -= ix->len[f][slot];
        ix->len[f][slot] = 0;
    }
    ix->free_slots = reserve(ix, ix->free_slots, &ix->cap_free_slots, ix->n_free_slots + 1,
                             sizeof(*ix->free_slots));
    ix->free_slots[ix->n_free_slots++] = slot;
    ix->n_docs--;
}

/* Starts a new put generation, so that no term carries a mark from an earlier put. */
static uint32_t next_put_gen(sd_bm25 *ix)
{
    if (++ix->put_gen == 0) {
        for (size_t i = 0; i < ix->n_terms; i++) {
            ix->terms[i].put_gen = 0;
        }
        ix->put_gen = 1;
    }
    return ix->put_gen;
}

/* Interns the doc's terms into ix->put_terms, one entry per distinct term; returns how many. */
static size_t collect_terms(sd_bm25 *ix, const char *const *const terms[SD_BM25_NFIELDS],
                            const size_t n[SD_BM25_NFIELDS])
{
    uint32_t gen = next_put_gen(ix);
    size_t nd = 0;
    for (int f = 0; f < SD_BM25_NFIELDS; f++) {
        for (size_t i = 0; i < n[f]; i++) {
            const char *s = terms[f][i];
            size_t len = strnlen(s, SD_BM25_TERM_MAX);
            if (len == 0) {
                continue;
            }
            uint32_t id = term_intern(ix, s, len);
            struct term *tm = &ix->terms[id];
            if (tm->put_gen != gen) {
                ix->put_terms =
                    reserve(ix, ix->put_terms, &ix->cap_put_terms, nd + 1, sizeof(*ix->put_terms));
                memset(&ix->put_terms[nd], 0, sizeof(ix->put_terms[nd]));
                ix->put_terms[nd].term = id;
                tm->put_gen = gen;
                tm->put_idx = (uint32_t)nd++;
            }
            /* Cannot wrap: the field's length was checked against UINT32_MAX. */
            ix->put_terms[tm->put_idx].tf[f]++;
        }
    }
    return nd;
}

/* ---- public: lifecycle and writes ------------------------------------------------------ */

static bool bad_param(double v)
{
    return !isfinite(v) || v < 0;
}

sd_status sd_bm25_new(const struct sd_bm25_opts *opts, sd_bm25 **out, struct sd_err *err)
{
    static const double def_weight[SD_BM25_NFIELDS] = {
        [SD_BM25_TITLE] = 2.5, [SD_BM25_BODY] = 1.0, [SD_BM25_TAGS] = 2.0};
    static const char *const weight_name[SD_BM25_NFIELDS] = {[SD_BM25_TITLE] = "weight.title",
                                                             [SD_BM25_BODY] = "weight.body",
                                                             [SD_BM25_TAGS] = "weight.tags"};
    struct sd_bm25_opts o = {0};
    if (opts != NULL) {
        o = *opts;
    }
    *out = NULL;
    if (bad_param(o.k1)) {
        return sd_err_set(err, SD_E_INVALID, "k1", "must be a finite number >= 0, got %g", o.k1);
    }
    if (bad_param(o.b) || o.b > 1) {
        return sd_err_set(err, SD_E_INVALID, "b", "must be between 0 and 1, got %g", o.b);
    }
    for (int f = 0; f < SD_BM25_NFIELDS; f++) {
        if (bad_param(o.weight[f])) {
            return sd_err_set(err, SD_E_INVALID, weight_name[f],
                              "must be a finite number >= 0, got %g", o.weight[f]);
        }
    }
    sd_bm25 *ix = sd_xcalloc(1, sizeof(*ix));
    ix->bytes = sizeof(*ix);
    ix->k1 = o.k1 > 0 ? o.k1 : 1.2;
    ix->b = o.b > 0 ? o.b : 0.75;
    for (int f = 0; f < SD_BM25_NFIELDS; f++) {
        ix->weight[f] = o.weight[f] > 0 ? o.weight[f] : def_weight[f];
    }
    table_init(ix, &ix->dict);
    table_init(ix, &ix->docs);
    ix->pool = sd_xcalloc(1, sizeof(*ix->pool));
    int rc = pthread_mutex_init(&ix->pool->lock, NULL);
    SD_ASSERT(rc == 0);
    atomic_init(&ix->pool->bytes, sizeof(*ix->pool));
    *out = ix;
    return SD_OK;
}

static void scratch_free(struct scratch *s)
{
    if (s != NULL) {
        free(s->score);
        free(s->hits);
        free(s->touched);
        free(s->q);
        free(s);
    }
}

void sd_bm25_free(sd_bm25 *ix)
{
    if (ix == NULL) {
        return;
    }
    for (size_t i = 0; i < ix->n_terms; i++) {
        free(ix->terms[i].s);
        free(ix->terms[i].post);
    }
    for (size_t i = 0; i < ix->n_slots; i++) {
        free(ix->slots[i].terms);
    }
    free(ix->terms);
    free(ix->free_terms);
    free(ix->dict.e);
    free(ix->slots);
    for (int f = 0; f < SD_BM25_NFIELDS; f++) {
        free(ix->len[f]);
    }
    free(ix->free_slots);
    free(ix->docs.e);
    free(ix->put_terms);
    while (ix->pool->free != NULL) {
        struct scratch *s = ix->pool->free;
        ix->pool->free = s->next;
        scratch_free(s);
    }
    (void)pthread_mutex_destroy(&ix->pool->lock);
    free(ix->pool);
    free(ix);
}

sd_status sd_bm25_put(sd_bm25 *ix, uint32_t doc, const char *const *const terms[SD_BM25_NFIELDS],
                      const size_t n[SD_BM25_NFIELDS], struct sd_err *err)
{
    static const char *const field_name[SD_BM25_NFIELDS] = {
        [SD_BM25_TITLE] = "title", [SD_BM25_BODY] = "body", [SD_BM25_TAGS] = "tags"};
    uint32_t len[SD_BM25_NFIELDS] = {0};

    /* Everything that can fail is checked before the index changes. */
    for (int f = 0; f < SD_BM25_NFIELDS; f++) {
        if (n[f] > 0 && terms[f] == NULL) {
            return sd_err_set(err, SD_E_INVALID, field_name[f], "doc %u: %zu terms but no array",
                              doc, n[f]);
        }
        if (n[f] > UINT32_MAX) {
            return sd_err_set(err, SD_E_TOO_LARGE, field_name[f],
                              "doc %u: %zu terms, at most %u are taken", doc, n[f], UINT32_MAX);
        }
        for (size_t i = 0; i < n[f]; i++) {
            if (terms[f][i] == NULL) {
                return sd_err_set(err, SD_E_INVALID, field_name[f], "doc %u: term %zu is NULL", doc,
                                  i);
            }
            if (terms[f][i][0] != '\0') {
                len[f]++;
            }
        }
    }
    uint32_t slot = doc_find(ix, doc);
    if (slot == NONE && ix->n_free_slots == 0 && ix->n_slots >= SLOTS_MAX) {
        return sd_err_set(err, SD_E_TOO_LARGE, NULL,
                          "doc %u: the index is full (%zu docs; split the knowledge base)", doc,
                          ix->n_docs);
    }

    size_t nd = collect_terms(ix, terms, n);
    struct put_term *pt = ix->put_terms;
    if (slot != NONE) {
        /* Replace: keep the postings of shared terms in place, so an edit moves little. */
        struct slot *sl = &ix->slots[slot];
        uint32_t gen = ix->put_gen;
        for (uint32_t i = 0; i < sl->n_terms; i++) {
            uint32_t id = sl->terms[i];
            const struct term *tm = &ix->terms[id];
            if (tm->put_gen == gen) {
                pt[tm->put_idx].in_old = true;
                post_set_tf(post_find(ix, id, slot), pt[tm->put_idx].tf);
            } else {
                post_remove(ix, id, slot);
            }
        }
        for (int f = 0; f < SD_BM25_NFIELDS; f++) {
            ix->total_len[f] -= ix->len[f][slot];
        }
    } else {
        slot = slot_take(ix);
        ix->slots[slot].doc = doc;
        table_add(ix, &ix->docs, doc, slot);
        ix->n_docs++;
    }
    for (size_t i = 0; i < nd; i++) {
        if (!pt[i].in_old) {
            post_insert(ix, pt[i].term, slot, pt[i].tf);
        }
    }

    struct slot *sl = &ix->slots[slot];
    if (sl->n_terms != nd) {
        sl->terms = resize(ix, sl->terms, (size_t)sl->n_terms * sizeof(*sl->terms),
                           nd * sizeof(*sl->terms));
        sl->n_terms = (uint32_t)nd;
    }
    for (size_t i = 0; i < nd; i++) {
        sl->terms[i] = pt[i].term;
    }
    for (int f = 0; f < SD_BM25_NFIELDS; f++) {
        ix->len[f][slot] = len[f];
        ix->total_len[f] += len[f];
    }
    return SD_OK;
}

void sd_bm25_remove(sd_bm25 *ix, uint32_t doc)
{
    uint32_t slot = doc_find(ix, doc);
    if (slot == NONE) {
        return;
    }
    slot_clear(ix, slot);
    doc_delete(ix, doc);
}

size_t sd_bm25_count(const sd_bm25 *ix)
{
    return ix->n_docs;
}

size_t sd_bm25_bytes(const sd_bm25 *ix)
{
    return ix->bytes + atomic_load(&ix->pool->bytes);
}

/* ---- search ---------------------------------------------------------------------------- */

/* A scratch from the pool, or a new one; the caller sizes it. */
static struct scratch *scratch_get(const sd_bm25 *ix)
{
    struct pool *p = ix->pool;
    int rc = pthread_mutex_lock(&p->lock);
    SD_ASSERT(rc == 0);
    struct scratch *s = p->free;
    if (s != NULL) {
        p->free = s->next;
    }
    rc = pthread_mutex_unlock(&p->lock);
    SD_ASSERT(rc == 0);
    if (s == NULL) {
        s = sd_xcalloc(1, sizeof(*s));
        atomic_fetch_add(&p->bytes, sizeof(*s));
    }
    return s;
}

static void scratch_put(const sd_bm25 *ix, struct scratch *s)
{
    struct pool *p = ix->pool;
    int rc = pthread_mutex_lock(&p->lock);
    SD_ASSERT(rc == 0);
    s->next = p->free;
    p->free = s;
    rc = pthread_mutex_unlock(&p->lock);
    SD_ASSERT(rc == 0);
}

/*
 * Makes room for @n_slots accumulators (all zero) and @nq query terms. The
 * slot arrays keep one spare entry, as accumulate writes touched[nt] before
 * it knows whether to keep it.
 */
static void scratch_fit(const sd_bm25 *ix, struct scratch *s, size_t n_slots, size_t nq)
{
    struct pool *p = ix->pool;
    if (s->cap_slots <= n_slots) {
        /* The accumulators are all zero between searches, so fresh zeroed memory will do. */
        size_t cap = n_slots + n_slots / 4 + 1;
        free(s->score);
        free(s->hits);
        free(s->touched);
        s->score = sd_xcalloc(cap, sizeof(*s->score));
        s->hits = sd_xcalloc(cap, sizeof(*s->hits));
        s->touched = sd_xcalloc(cap, sizeof(*s->touched));
        atomic_fetch_add(&p->bytes, (cap - s->cap_slots) * (sizeof(*s->score) + sizeof(*s->hits) +
                                                            sizeof(*s->touched)));
        s->cap_slots = cap;
    }
    if (s->cap_q < nq) {
        s->q = sd_xrealloc(s->q, nq * sizeof(*s->q));
        atomic_fetch_add(&p->bytes, (nq - s->cap_q) * sizeof(*s->q));
        s->cap_q = nq;
    }
}

static int qterm_cmp(const void *a, const void *b)
{
    const struct qterm *x = a;
    const struct qterm *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    if (c != 0) {
        return c;
    }
    return (x->len > y->len) - (x->len < y->len);
}

/*
 * Fills s->q with the distinct non-empty query terms in byte order, which
 * also fixes the order in which a score is summed; returns how many.
 */
static size_t query_terms(const sd_bm25 *ix, struct scratch *s, const char *const *q, size_t nq)
{
    size_t n = 0;
    for (size_t i = 0; i < nq; i++) {
        size_t len = q[i] != NULL ? strnlen(q[i], SD_BM25_TERM_MAX) : 0;
        if (len > 0) {
            s->q[n].s = q[i];
            s->q[n].len = len;
            n++;
        }
    }
    if (n > 1) {
        qsort(s->q, n, sizeof(*s->q), qterm_cmp);
    }
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        if (nd > 0 && qterm_cmp(&s->q[nd - 1], &s->q[i]) == 0) {
            continue;
        }
        s->q[nd] = s->q[i];
        s->q[nd].term =
            term_find(ix, s->q[nd].s, s->q[nd].len, hash_bytes(s->q[nd].s, s->q[nd].len));
        nd++;
    }
    return nd;
}

/* Whether hit @a ranks below hit @b: lower score, or the same score and a higher doc. */
static bool worse(const struct sd_bm25_hit *a, const struct sd_bm25_hit *b)
{
    return a->score < b->score || (a->score == b->score && a->doc > b->doc);
}

/* Restores the heap (worst at the root) below @i, for @n entries. */
static void sift_down(struct sd_bm25_hit *h, size_t n, size_t i)
{
    struct sd_bm25_hit x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) {
            break;
        }
        if (c + 1 < n && worse(&h[c + 1], &h[c])) {
            c++;
        }
        if (!worse(&h[c], &x)) {
            break;
        }
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static void sift_up(struct sd_bm25_hit *h, size_t i)
{
    struct sd_bm25_hit x = h[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!worse(&x, &h[parent])) {
            break;
        }
        h[i] = h[parent];
        i = parent;
    }
    h[i] = x;
}

/* Adds the query terms' contributions to the accumulators; returns how many slots were touched. */
static size_t accumulate(const sd_bm25 *ix, struct scratch *s, size_t nd)
{
    const double k1 = ix->k1;
    const double one_minus_b = 1.0 - ix->b;
    double wt[SD_BM25_NFIELDS];
    double b_avg[SD_BM25_NFIELDS]; /* b / avg_f, so the norm is (1 - b) + b_avg * len */
    for (int f = 0; f < SD_BM25_NFIELDS; f++) {
        wt[f] = ix->weight[f];
        /* A field no doc uses has no postings with tf > 0 there; 0 keeps the norm finite. */
        b_avg[f] = ix->total_len[f] > 0 ? ix->b * (double)ix->n_docs / (double)ix->total_len[f] : 0;
    }
    /* restrict: the stores to the scratch must not make the compiler reload the index. */
    const uint32_t *restrict len_title = ix->len[SD_BM25_TITLE];
    const uint32_t *restrict len_body = ix->len[SD_BM25_BODY];
    const uint32_t *restrict len_tags = ix->len[SD_BM25_TAGS];
    double *restrict score = s->score;
    uint32_t *restrict hits = s->hits;
    uint32_t *restrict touched = s->touched;
    size_t nt = 0;
    for (size_t t = 0; t < nd; t++) {
        if (s->q[t].term == NONE) {
            continue;
        }
        const struct term *tm = &ix->terms[s->q[t].term];
        const struct posting *restrict post = tm->post;
        const uint32_t df = tm->n;
        const double idf = s->q[t].idf;
        for (uint32_t i = 0; i < df; i++) {
            const struct posting p = post[i];
            double add;
            if (p.tf_title == 0 && p.tf_tags == 0) {
                /*
                 * Body only, the bulk of the postings: with x = w * tf and
                 * norm the body's, tf' / (k1 + tf') = x / (k1 * norm + x),
                 * one division instead of two.
                 */
                double x = wt[SD_BM25_BODY] * p.tf_body;
                double norm = one_minus_b + b_avg[SD_BM25_BODY] * len_body[p.slot];
                add = idf * x / (k1 * norm + x);
            } else {
                double tf = 0;
                if (p.tf_title != 0) {
                    tf += wt[SD_BM25_TITLE] * p.tf_title /
                          (one_minus_b + b_avg[SD_BM25_TITLE] * len_title[p.slot]);
                }
                if (p.tf_body != 0) {
                    tf += wt[SD_BM25_BODY] * p.tf_body /
                          (one_minus_b + b_avg[SD_BM25_BODY] * len_body[p.slot]);
                }
                if (p.tf_tags != 0) {
                    tf += wt[SD_BM25_TAGS] * p.tf_tags /
                          (one_minus_b + b_avg[SD_BM25_TAGS] * len_tags[p.slot]);
                }
                add = idf * tf / (k1 + tf);
            }
            /* Branch-free: whether a slot is new to this search is data, not predictable. */
            touched[nt] = p.slot;
            nt += hits[p.slot] == 0;
            hits[p.slot]++;
            score[p.slot] += add;
        }
    }
    return nt;
}

/* Picks the best @k of the @nt touched slots into @out, best first; zeroes the accumulators. */
static size_t top_k(const sd_bm25 *ix, struct scratch *s, size_t nt, size_t nd,
                    struct sd_bm25_hit *out, size_t k)
{
    size_t h = 0;
    for (size_t i = 0; i < nt; i++) {
        uint32_t slot = s->touched[i];
        double score = s->score[slot];
        uint32_t hits = s->hits[slot];
        s->score[slot] = 0;
        s->hits[slot] = 0;
        if (h == k && score < out[0].score) {
            continue;
        }
        struct sd_bm25_hit hit = {
            .doc = ix->slots[slot].doc, .score = score, .coverage = (double)hits / (double)nd};
        if (h < k) {
            out[h] = hit;
            sift_up(out, h++);
        } else if (worse(&out[0], &hit)) {
            out[0] = hit;
            sift_down(out, h, 0);
        }
    }
    /* Heap sort: each step moves the worst left to the end, so the best ends first. */
    for (size_t end = h; end > 1; end--) {
        struct sd_bm25_hit x = out[0];
        out[0] = out[end - 1];
        out[end - 1] = x;
        sift_down(out, end - 1, 0);
    }
    return h;
}

size_t sd_bm25_search(const sd_bm25 *ix, const char *const *q, size_t nq, struct sd_bm25_hit *out,
                      size_t k, double *idf_sum_out)
{
    struct scratch *s = scratch_get(ix);
    scratch_fit(ix, s, ix->n_slots, nq);
    size_t nd = query_terms(ix, s, q, nq);
    const double n_docs = (double)ix->n_docs;
    double idf_sum = 0;
    for (size_t t = 0; t < nd; t++) {
        double df = s->q[t].term != NONE ? (double)ix->terms[s->q[t].term].n : 0;
        s->q[t].idf = log(1.0 + (n_docs - df + 0.5) / (df + 0.5));
        idf_sum += s->q[t].idf;
    }
    if (idf_sum_out != NULL) {
        *idf_sum_out = idf_sum;
    }
    size_t n_out = 0;
    if (out != NULL && k > 0 && nd > 0) {
        size_t nt = accumulate(ix, s, nd);
        n_out = top_k(ix, s, nt, nd, out, k);
    }
    scratch_put(ix, s);
    return n_out;
}
