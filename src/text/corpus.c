/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* JSON-lines tickets and articles: see corpus.h. */
#include "text/corpus.h"

#include <jansson.h>
#include <string.h>

#include "base/banned.h"

struct sd_embedded {
    const char *name;
    const char *data;
    size_t len;
};
extern const struct sd_embedded sd__corpus[];
extern const struct sd_embedded sd__corpus_articles[];

static const char *dup_str(sd_arena *a, const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? sd_arena_strdup(a, s) : NULL;
}

/* Calls @line for each non-blank line of @data as a JSON object. */
static sd_status each_line(sd_arena *a, const char *name, const char *data, size_t len,
                           sd_status (*line)(sd_arena *, json_t *, void *, const char **why),
                           void *ctx, struct sd_err *err)
{
    size_t lineno = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - data) : len;
        lineno++;
        size_t k = i;
        while (k < end && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r')) {
            k++;
        }
        if (k < end) {
            json_error_t je;
            json_t *o = json_loadb(data + i, end - i, 0, &je);
            const char *why = NULL;
            sd_status st = SD_E_INVALID;
            if (o == NULL) {
                why = je.text;
            } else if (!json_is_object(o)) {
                why = "not a JSON object";
            } else {
                st = line(a, o, ctx, &why);
            }
            if (st != SD_OK) {
                sd_status r = sd_err_set(err, SD_E_INVALID, NULL, "%s:%zu: %s", name, lineno,
                                         why ? why : "not a valid line");
                json_decref(o);
                return r;
            }
            json_decref(o);
        }
        i = end + 1;
    }
    return SD_OK;
}

struct growing {
    void *v;
    size_t n, cap, size;
};

static void *grow(sd_arena *a, struct growing *g)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        void *v = sd_arena_alloc(a, cap * g->size);
        if (g->n > 0) {
            memcpy(v, g->v, g->n * g->size);
        }
        g->v = v;
        g->cap = cap;
    }
    void *slot = (char *)g->v + g->n++ * g->size;
    memset(slot, 0, g->size);
    return slot;
}

static sd_status ticket_line(sd_arena *a, json_t *o, void *ctx, const char **why)
{
    struct sd_corpus_ticket *t = grow(a, ctx);
    t->id = dup_str(a, o, "id");
    t->ex.in.text = dup_str(a, o, "transcript");
    if (t->ex.in.text == NULL) {
        t->ex.in.text = dup_str(a, o, "text");
    }
    if (t->ex.in.text == NULL) {
        *why = "a ticket needs \"transcript\" (a string)";
        return SD_E_INVALID;
    }
    t->ex.in.plan = dup_str(a, o, "account_plan");
    t->ex.in.page_url = dup_str(a, o, "page_url");
    json_t *errs = json_object_get(o, "console_errors");
    t->ex.in.n_console_errors = json_is_array(errs) ? json_array_size(errs) : 0;
    json_t *label = json_object_get(o, "label");
    for (int f = 0; f < SD_TRI_N && json_is_object(label); f++) {
        t->ex.label[f] = dup_str(a, label, sd_triage_field_names[f]);
    }
    t->kb_article = dup_str(a, o, "kb_article");
    return SD_OK;
}

static sd_status article_line(sd_arena *a, json_t *o, void *ctx, const char **why)
{
    struct sd_corpus_article *ar = grow(a, ctx);
    ar->id = dup_str(a, o, "id");
    ar->title = dup_str(a, o, "title");
    ar->body = dup_str(a, o, "body");
    ar->product_area = dup_str(a, o, "product_area");
    if (ar->id == NULL || ar->title == NULL || ar->body == NULL) {
        *why = "an article needs \"id\", \"title\" and \"body\" (strings)";
        return SD_E_INVALID;
    }
    json_t *tags = json_object_get(o, "tags");
    size_t n = json_is_array(tags) ? json_array_size(tags) : 0;
    ar->tags = sd_arena_alloc(a, (n + 1) * sizeof *ar->tags);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(tags, i));
        if (s != NULL) {
            ar->tags[ar->n_tags++] = sd_arena_strdup(a, s);
        }
    }
    return SD_OK;
}

sd_status sd_corpus_tickets(sd_arena *a, const char *name, const char *data, size_t len,
                            struct sd_corpus_ticket **out, size_t *n_out, struct sd_err *err)
{
    struct growing g = {.size = sizeof(struct sd_corpus_ticket)};
    sd_status st = each_line(a, name, data, len, ticket_line, &g, err);
    *out = g.v;
    *n_out = g.n;
    return st;
}

sd_status sd_corpus_articles(sd_arena *a, const char *name, const char *data, size_t len,
                             struct sd_corpus_article **out, size_t *n_out, struct sd_err *err)
{
    struct growing g = {.size = sizeof(struct sd_corpus_article)};
    sd_status st = each_line(a, name, data, len, article_line, &g, err);
    *out = g.v;
    *n_out = g.n;
    return st;
}

sd_status sd_corpus_builtin(sd_arena *a, struct sd_corpus_ticket **out, size_t *n_out,
                            struct sd_err *err)
{
    struct growing all = {.size = sizeof(struct sd_corpus_ticket)};
    for (const struct sd_embedded *e = sd__corpus; e->name != NULL; e++) {
        struct sd_corpus_ticket *t;
        size_t n;
        sd_status st = sd_corpus_tickets(a, e->name, e->data, e->len, &t, &n, err);
        if (st != SD_OK) {
            return st;
        }
        for (size_t i = 0; i < n; i++) {
            *(struct sd_corpus_ticket *)grow(a, &all) = t[i];
        }
    }
    *out = all.v;
    *n_out = all.n;
    return SD_OK;
}

sd_status sd_corpus_builtin_articles(sd_arena *a, struct sd_corpus_article **out, size_t *n_out,
                                     struct sd_err *err)
{
    const struct sd_embedded *e = &sd__corpus_articles[0];
    return sd_corpus_articles(a, e->name, e->data, e->len, out, n_out, err);
}
