/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The analysis of tickets with the workspace's models and articles: see analyze.h. */
#include "domain/analyze.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rand.h"
#include "text/corpus.h"
#include "text/md.h"
#include "base/banned.h"

const char *const sd_default_product_areas[] = {
    "dashboard", "reports", "billing", "api", "integrations", "settings", "account", "mobile", NULL,
};

#define MODEL_MAX      (256u << 20)
#define TEXT_MAX       ((size_t)256 * 1024)
#define SYNC_PAGE      500
#define WORKSPACES_MAX 4096
#define AREAS_MAX      64

/* ---- settings ------------------------------------------------------------ */

void sd_triage_settings_read(const char *settings_json, sd_arena *a, struct sd_triage_settings *out)
{
    memcpy(out->thresholds, sd_triage_default_thresholds, sizeof out->thresholds);
    out->kb_threshold = SD_KB_THRESHOLD_DEFAULT;
    out->areas = sd_default_product_areas;
    out->retrain_hours = 0;
    json_t *s = settings_json ? json_loads(settings_json, 0, NULL) : NULL;
    json_t *g = json_object_get(s, "triage");
    if (json_is_object(g)) {
        json_t *th = json_object_get(g, "thresholds");
        for (int f = 0; f < SD_TRI_N; f++) {
            json_t *v = json_object_get(th, sd_triage_field_names[f]);
            if (json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1) {
                out->thresholds[f] = json_number_value(v);
            }
        }
        json_t *kt = json_object_get(g, "kb_threshold");
        if (json_is_number(kt) && json_number_value(kt) >= 0 && json_number_value(kt) <= 1) {
            out->kb_threshold = json_number_value(kt);
        }
        json_t *rh = json_object_get(g, "retrain_hours");
        if (json_is_integer(rh) && json_integer_value(rh) >= 0) {
            out->retrain_hours = json_integer_value(rh);
        }
        json_t *areas = json_object_get(g, "product_areas");
        size_t n = json_is_array(areas) ? json_array_size(areas) : 0;
        if (n >= 2 && n <= AREAS_MAX) {
            const char **v = sd_arena_alloc(a, (n + 1) * sizeof *v);
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                const char *s2 = json_string_value(json_array_get(areas, i));
                if (s2 != NULL) {
                    v[k++] = sd_arena_strdup(a, s2);
                }
            }
            v[k] = NULL;
            if (k >= 2) {
                out->areas = v;
            }
        }
    }
    json_decref(s);
}

/* ---- the analyzer ---------------------------------------------------------- */

struct ws_cache {
    char *ws_id;
    /* its own model */
    char *model_id; /* NULL: none, use the default */
    sd_triage_model *model;
    int64_t model_checked_ms;
    /* its articles */
    sd_kb *kb;
    int64_t pos_ms;
    char pos_id[SD_ID_MAX];
    pthread_mutex_t sync; /* one catch-up at a time */
};

struct sd_analyzer {
    sd_triage_model *model;
    bool has_llm;
    char llm_url[1024], llm_model[128], llm_key[512];
    long llm_timeout_s;
    char source[PATH_MAX + 32];
    pthread_mutex_t lock; /* guards caches[] and each cache's model fields */
    struct ws_cache **caches;
    size_t n_caches;
    /* Models replaced by newer ones: another thread may still be using
     * one, so they go with the analyzer (retrains are rare). */
    sd_triage_model **retired;
    size_t n_retired;
};

static pthread_key_t stem_key;
static pthread_once_t stem_once = PTHREAD_ONCE_INIT;

static void stem_destroy(void *p)
{
    sd_stem_free(p);
}

static void stem_key_make(void)
{
    (void)pthread_key_create(&stem_key, stem_destroy);
}

/* This thread's stemmer. */
static sd_stem *thread_stem(void)
{
    (void)pthread_once(&stem_once, stem_key_make);
    sd_stem *st = pthread_getspecific(stem_key);
    if (st == NULL) {
        SD_ASSERT(sd_stem_new(&st, NULL) == SD_OK);
        (void)pthread_setspecific(stem_key, st);
    }
    return st;
}

sd_status sd_analyzer_train_default(sd_triage_model **out, struct sd_err *err)
{
    sd_arena *a = sd_arena_new();
    struct sd_corpus_ticket *t;
    size_t n;
    sd_status st = sd_corpus_builtin(a, &t, &n, err);
    struct sd_triage_example *ex = NULL;
    if (st == SD_OK) {
        ex = sd_xcalloc(n ? n : 1, sizeof *ex);
        for (size_t i = 0; i < n; i++) {
            ex[i] = t[i].ex;
        }
        struct sd_triage_opts o = {.areas = sd_default_product_areas};
        st = sd_triage_train(ex, n, &o, out, err);
    }
    free(ex);
    /* The KB match calibration: the labelled Pipewell tickets against the
     * Pipewell articles. */
    struct sd_corpus_article *arts;
    size_t n_arts;
    if (st == SD_OK && sd_corpus_builtin_articles(a, &arts, &n_arts, err) == SD_OK && n_arts > 0) {
        sd_kb *kb;
        sd_stem *stem = thread_stem();
        if (sd_kb_new(&kb, err) == SD_OK) {
            for (size_t i = 0; i < n_arts && st == SD_OK; i++) {
                st = sd_kb_put(kb, stem, arts[i].id, arts[i].title,
                               sd_analyzer_article_text(a, arts[i].body), arts[i].tags,
                               arts[i].n_tags, err);
            }
            double(*x)[SD_KB_FEATURES] = sd_xcalloc(n ? n : 1, sizeof *x);
            int *y = sd_xcalloc(n ? n : 1, sizeof *y);
            size_t m = 0;
            for (size_t i = 0; i < n && st == SD_OK; i++) {
                /* Tickets of other products have no article here: their
                 * first hit is wrong, as in a workspace whose help center
                 * does not cover a question. */
                struct sd_kb_match hit[2];
                sd_arena *q = sd_arena_new();
                size_t nh = sd_kb_search(kb, stem, q, t[i].ex.in.text, NULL, 2, hit);
                if (nh > 0) {
                    memcpy(x[m], hit[0].x, sizeof x[m]);
                    y[m++] = t[i].kb_article != NULL && strcmp(hit[0].id, t[i].kb_article) == 0;
                }
                sd_arena_free(q);
            }
            struct sd_kb_calib cal;
            if (st == SD_OK && m > 0 &&
                sd_kb_calibrate((const double(*)[SD_KB_FEATURES])x, y, m, &cal, NULL) == SD_OK) {
                sd_triage_model_set_kb(*out, &cal);
            }
            free(x);
            free(y);
            sd_kb_free(kb);
        }
    }
    sd_arena_free(a);
    return st;
}

bool sd_analyzer_has_llm(const sd_analyzer *an)
{
    return an->has_llm;
}

sd_status sd_analyzer_new(const char *model_path, const struct sd_llm_opts *llm, sd_analyzer **out,
                          struct sd_err *err)
{
    sd_analyzer *an = sd_xcalloc(1, sizeof *an);
    if (llm != NULL && llm->url != NULL && llm->url[0] != '\0') {
        an->has_llm = true;
        (void)snprintf(an->llm_url, sizeof an->llm_url, "%s", llm->url);
        (void)snprintf(an->llm_model, sizeof an->llm_model, "%s", llm->model ? llm->model : "");
        (void)snprintf(an->llm_key, sizeof an->llm_key, "%s", llm->key ? llm->key : "");
        an->llm_timeout_s = llm->timeout_s;
    }
    (void)pthread_mutex_init(&an->lock, NULL);
    char beside[PATH_MAX];
    const char *path = model_path;
    if (path == NULL) {
        /* triage.model beside the binary, where the build puts it. */
        ssize_t l = readlink("/proc/self/exe", beside, sizeof beside - 16);
        if (l > 0) {
            beside[l] = '\0';
            char *slash = strrchr(beside, '/');
            if (slash != NULL) {
                (void)snprintf(slash + 1, sizeof beside - (size_t)(slash + 1 - beside),
                               "triage.model");
                path = access(beside, R_OK) == 0 ? beside : NULL;
            }
        }
    }
    sd_status st;
    if (path != NULL) {
        struct sd_buf b = SD_BUF_INIT(MODEL_MAX);
        st = sd_buf_read_file(&b, path, err);
        if (st == SD_OK) {
            st = sd_triage_model_load(b.data, b.len, &an->model, err);
            if (st != SD_OK) {
                char msg[sizeof err->msg];
                (void)snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
                st = sd_err_set(err, st, "triage_model", "%s: %s", path, msg);
            }
        }
        sd_buf_release(&b);
        (void)snprintf(an->source, sizeof an->source, "%s", path);
    } else {
        st = sd_analyzer_train_default(&an->model, err);
        (void)snprintf(an->source, sizeof an->source, "the built-in corpus");
    }
    if (st != SD_OK) {
        sd_analyzer_free(an);
        return st;
    }
    *out = an;
    return SD_OK;
}

void sd_analyzer_free(sd_analyzer *an)
{
    if (an == NULL) {
        return;
    }
    for (size_t i = 0; i < an->n_caches; i++) {
        struct ws_cache *c = an->caches[i];
        free(c->ws_id);
        free(c->model_id);
        sd_triage_model_free(c->model);
        sd_kb_free(c->kb);
        (void)pthread_mutex_destroy(&c->sync);
        free(c);
    }
    free(an->caches);
    for (size_t i = 0; i < an->n_retired; i++) {
        sd_triage_model_free(an->retired[i]);
    }
    free(an->retired);
    sd_triage_model_free(an->model);
    (void)pthread_mutex_destroy(&an->lock);
    free(an);
}

const char *sd_analyzer_source(const sd_analyzer *an)
{
    return an->source;
}

const sd_triage_model *sd_analyzer_model(const sd_analyzer *an)
{
    return an->model;
}

/* The cache of @ws_id, made on first use. */
static struct ws_cache *cache_of(sd_analyzer *an, const char *ws_id)
{
    (void)pthread_mutex_lock(&an->lock);
    struct ws_cache *c = NULL;
    for (size_t i = 0; i < an->n_caches && c == NULL; i++) {
        if (strcmp(an->caches[i]->ws_id, ws_id) == 0) {
            c = an->caches[i];
        }
    }
    if (c == NULL) {
        c = sd_xcalloc(1, sizeof *c);
        c->ws_id = sd_xstrdup(ws_id);
        SD_ASSERT(sd_kb_new(&c->kb, NULL) == SD_OK);
        (void)pthread_mutex_init(&c->sync, NULL);
        an->caches = sd_xrealloc(an->caches, (an->n_caches + 1) * sizeof(struct ws_cache *));
        an->caches[an->n_caches++] = c;
    }
    (void)pthread_mutex_unlock(&an->lock);
    return c;
}

const char *sd_analyzer_article_text(sd_arena *a, const char *markdown)
{
    struct sd_buf b = SD_BUF_INIT(1u << 22);
    const char *s = markdown ? markdown : "";
    const char *text = s;
    if (sd_md_text(s, strlen(s), &b, NULL) == SD_OK) {
        text = sd_arena_strdup(a, sd_buf_cstr(&b));
    }
    sd_buf_release(&b);
    return text;
}

/* Brings the workspace's index up to the table: what changed since the last
 * position, page by page. */
static sd_status kb_sync(struct ws_cache *c, sd_db *db, struct sd_err *err)
{
    (void)pthread_mutex_lock(&c->sync);
    sd_stem *stem = thread_stem();
    sd_status st = SD_OK;
    for (;;) {
        sd_arena *a = sd_arena_new();
        struct sd_kb_article *rows;
        size_t n = 0;
        st = sd_store_kb_changed(db, a, c->ws_id, c->pos_ms, c->pos_id, SYNC_PAGE, &rows, &n, err);
        for (size_t i = 0; i < n && st == SD_OK; i++) {
            const struct sd_kb_article *k = &rows[i];
            if (k->deleted_at != 0 || strcmp(k->status, "published") != 0) {
                sd_kb_remove(c->kb, k->id);
            } else {
                json_t *tj = json_loads(k->tags ? k->tags : "[]", 0, NULL);
                size_t nt = json_is_array(tj) ? json_array_size(tj) : 0;
                const char **tags = sd_arena_alloc(a, (nt + 1) * sizeof *tags);
                size_t m = 0;
                for (size_t t = 0; t < nt; t++) {
                    const char *s = json_string_value(json_array_get(tj, t));
                    if (s != NULL) {
                        tags[m++] = sd_arena_strdup(a, s);
                    }
                }
                json_decref(tj);
                st = sd_kb_put(c->kb, stem, k->id, k->title, sd_analyzer_article_text(a, k->body),
                               tags, m, err);
            }
            c->pos_ms = k->updated_at;
            (void)snprintf(c->pos_id, sizeof c->pos_id, "%s", k->id);
        }
        sd_arena_free(a);
        if (st != SD_OK || n < SYNC_PAGE) {
            break;
        }
    }
    (void)pthread_mutex_unlock(&c->sync);
    return st;
}

/* The model for @c: its own when it has one (checked against the store at
 * most once a second), else the default. */
static const sd_triage_model *model_for(sd_analyzer *an, struct ws_cache *c, sd_db *db, sd_arena *a,
                                        const char **name)
{
    int64_t now = (int64_t)(sd_clock_mono_ns() / 1000000);
    (void)pthread_mutex_lock(&an->lock);
    bool check = now - c->model_checked_ms >= 1000 || c->model_checked_ms == 0;
    if (check) {
        c->model_checked_ms = now;
    }
    (void)pthread_mutex_unlock(&an->lock);
    if (check) {
        struct sd_triage_model_row row;
        if (sd_store_triage_model_latest(db, a, c->ws_id, false, &row, NULL) == SD_OK) {
            (void)pthread_mutex_lock(&an->lock);
            bool fresh = c->model_id == NULL || strcmp(c->model_id, row.id) != 0;
            (void)pthread_mutex_unlock(&an->lock);
            struct sd_triage_model_row full;
            sd_triage_model *m = NULL;
            if (fresh &&
                sd_store_triage_model_latest(db, a, c->ws_id, true, &full, NULL) == SD_OK) {
                size_t len = strlen(full.data);
                void *bin = sd_xmalloc(len + 1);
                size_t bl = 0;
                if (sd_b64url_decode(full.data, len, bin, len + 1, &bl) == SD_OK &&
                    sd_triage_model_load(bin, bl, &m, NULL) == SD_OK) {
                    (void)pthread_mutex_lock(&an->lock);
                    if (c->model != NULL) {
                        an->retired = sd_xrealloc(an->retired,
                                                  (an->n_retired + 1) * sizeof(sd_triage_model *));
                        an->retired[an->n_retired++] = c->model;
                    }
                    c->model = m;
                    free(c->model_id);
                    c->model_id = sd_xstrdup(full.id);
                    (void)pthread_mutex_unlock(&an->lock);
                }
                free(bin);
            }
        }
    }
    (void)pthread_mutex_lock(&an->lock);
    const sd_triage_model *m = c->model ? c->model : an->model;
    *name = c->model_id ? sd_arena_strdup(a, c->model_id) : "default";
    (void)pthread_mutex_unlock(&an->lock);
    return m;
}

static json_t *jstr_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static const char *dump(sd_arena *a, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    const char *r = sd_arena_strdup(a, s ? s : "null");
    free(s);
    return r;
}

sd_status sd_analyze(sd_analyzer *an, sd_db *db, sd_arena *a, const char *ws_id,
                     const char *settings_json, const struct sd_analyze_input *in,
                     struct sd_analysis *out, struct sd_err *err)
{
    memset(out, 0, sizeof *out);
    struct sd_triage_settings set;
    sd_triage_settings_read(settings_json, a, &set);
    struct ws_cache *c = cache_of(an, ws_id);
    const char *model_name = "default";
    const sd_triage_model *m = model_for(an, c, db, a, &model_name);
    sd_stem *stem = thread_stem();
    const char *text = in->text ? in->text : "";
    if (strlen(text) > TEXT_MAX) {
        text = sd_arena_strndup(a, text, TEXT_MAX);
    }
    struct sd_triage_input ti = {.text = text,
                                 .plan = in->plan,
                                 .page_url = in->page_url,
                                 .n_console_errors = in->n_console_errors};
    sd_triage_run(m, stem, a, &ti, set.thresholds, &out->triage);
    /* A product area outside the workspace's taxonomy is only a suggestion. */
    struct sd_triage_value *area = &out->triage.f[SD_TRI_AREA];
    bool known = false;
    for (const char *const *p = set.areas; *p && area->value; p++) {
        known = known || strcmp(*p, area->value) == 0;
    }
    if (!known) {
        area->review = true;
    }
    sd_summarize(stem, a, text, in->words, in->n_words, &out->summary);
    out->summary_by = "extractive";
    if (in->use_llm && an->has_llm && out->summary.summary[0] != '\0') {
        struct sd_llm_opts lo = {.url = an->llm_url,
                                 .model = an->llm_model,
                                 .key = an->llm_key[0] ? an->llm_key : NULL,
                                 .timeout_s = an->llm_timeout_s};
        struct sd_summary ls;
        struct sd_err lerr = SD_ERR_INIT;
        if (sd_llm_summarize(&lo, a, text, &ls, &lerr) == SD_OK) {
            out->summary = ls;
            out->summary_by = "llm";
        } else {
            sd_log(SD_LOG_WARN, "summary.llm_failed", "error=\"%s\" kept=extractive", lerr.msg);
        }
    }
    out->environment = sd_environment(a, in->user_agent, in->page_url, in->n_console_errors);

    sd_status st = kb_sync(c, db, err);
    if (st != SD_OK) {
        return st;
    }
    const struct sd_kb_calib *cal = sd_triage_model_kb(an->model);
    out->n_matches = sd_kb_search(c->kb, stem, a, text, cal, SD_ANALYSIS_MATCHES, out->matches);
    out->confident = out->n_matches > 0 && out->matches[0].confidence >= set.kb_threshold;

    json_t *tj = json_object();
    for (int f = 0; f < SD_TRI_N; f++) {
        const struct sd_triage_value *v = &out->triage.f[f];
        json_t *o = json_pack("{s:o, s:f, s:b, s:o}", "value", jstr_or_null(v->value), "confidence",
                              round(v->p * 1000) / 1000, "review", v->review, "rule",
                              jstr_or_null(v->rule));
        if (v->second != NULL) {
            (void)json_object_set_new(o, "runner_up", json_string(v->second));
        }
        (void)json_object_set_new(tj, sd_triage_field_names[f], o);
    }
    (void)json_object_set_new(tj, "model", json_string(model_name));
    (void)json_object_set_new(tj, "summary_by", json_string(out->summary_by));
    out->triage_json = dump(a, tj);
    json_t *mj = json_array();
    for (size_t i = 0; i < out->n_matches; i++) {
        (void)json_array_append_new(mj,
                                    json_pack("{s:s, s:s, s:f}", "article_id", out->matches[i].id,
                                              "title", out->matches[i].title, "confidence",
                                              round(out->matches[i].confidence * 1000) / 1000));
    }
    out->matches_json = dump(a, mj);
    return SD_OK;
}

/* What the customer said: subject, their public messages, and the
 * transcripts of their recordings (with the timed words of the first). */
static sd_status gather(sd_db *db, sd_arena *a, const char *ws_id, const struct sd_ticket *t,
                        struct sd_buf *text, struct sd_tok_timed **words, size_t *n_words,
                        struct sd_err *err)
{
    sd_status st = sd_buf_printf(text, "%s\n", t->subject ? t->subject : "");
    struct sd_message *msgs;
    size_t n = 0;
    if (st == SD_OK) {
        st = sd_store_message_list(db, a, ws_id, t->id, false, NULL, 100, &msgs, &n, err);
    }
    for (size_t i = 0; i < n && st == SD_OK; i++) {
        if (strcmp(msgs[i].author_type, "customer") != 0) {
            continue;
        }
        if (sd_buf_printf(text, "%s\n", msgs[i].body) != SD_OK) {
            return SD_E_TOO_LARGE;
        }
        struct sd_media *media;
        size_t nm = 0;
        st = sd_store_media_of_message(db, a, ws_id, msgs[i].id, &media, &nm, err);
        for (size_t k = 0; k < nm && st == SD_OK; k++) {
            struct sd_transcript_row tr;
            if (sd_store_transcript_get(db, a, ws_id, media[k].id, &tr, NULL) != SD_OK) {
                continue;
            }
            json_t *j = json_loads(tr.body, 0, NULL);
            json_t *segs = json_object_get(j, "segments");
            size_t si;
            json_t *seg;
            size_t total = 0;
            json_array_foreach(segs, si, seg)
            {
                total += json_array_size(json_object_get(seg, "words"));
            }
            struct sd_tok_timed *w =
                *words == NULL ? sd_arena_alloc(a, (total + 1) * sizeof *w) : NULL;
            size_t nw = 0;
            json_array_foreach(segs, si, seg)
            {
                const char *st_text = json_string_value(json_object_get(seg, "text"));
                if (st_text != NULL && sd_buf_printf(text, "%s\n", st_text) != SD_OK) {
                    st = SD_E_TOO_LARGE;
                }
                size_t wi;
                json_t *wj;
                json_array_foreach(json_object_get(seg, "words"), wi, wj)
                {
                    const char *ws = json_string_value(json_object_get(wj, "w"));
                    if (w != NULL && ws != NULL && nw < total) {
                        w[nw++] = (struct sd_tok_timed){
                            sd_arena_strdup(a, ws), json_integer_value(json_object_get(wj, "s")),
                            json_integer_value(json_object_get(wj, "e"))};
                    }
                }
            }
            json_decref(j);
            if (w != NULL && nw > 0) {
                *words = w;
                *n_words = nw;
            }
        }
    }
    return st;
}

sd_status sd_analyze_input_of(sd_db *db, sd_arena *a, const char *ws_id, const struct sd_ticket *t,
                              struct sd_analyze_input *out, struct sd_err *err)
{
    memset(out, 0, sizeof *out);
    struct sd_buf text = SD_BUF_INIT(TEXT_MAX);
    struct sd_tok_timed *words = NULL;
    size_t n_words = 0;
    sd_status st = gather(db, a, ws_id, t, &text, &words, &n_words, err);
    if (st == SD_E_TOO_LARGE) {
        st = SD_OK; /* the first 256 KiB say enough */
    }
    out->text = sd_arena_strdup(a, sd_buf_cstr(&text));
    out->words = words;
    out->n_words = n_words;
    sd_buf_release(&text);
    if (st != SD_OK) {
        return st;
    }
    json_t *ctx = json_loads(t->context ? t->context : "{}", 0, NULL);
    const char *plan = json_string_value(json_object_get(ctx, "account_plan"));
    const char *url = json_string_value(json_object_get(ctx, "page_url"));
    const char *ua = json_string_value(json_object_get(ctx, "user_agent"));
    struct sd_customer cu;
    if (plan == NULL && t->customer_id != NULL &&
        sd_store_customer_get(db, a, ws_id, t->customer_id, &cu, NULL) == SD_OK) {
        plan = cu.plan;
    }
    out->plan = plan ? sd_arena_strdup(a, plan) : NULL;
    out->page_url = url ? sd_arena_strdup(a, url) : NULL;
    out->user_agent = ua ? sd_arena_strdup(a, ua) : NULL;
    out->n_console_errors = json_array_size(json_object_get(ctx, "console_errors"));
    json_decref(ctx);
    return SD_OK;
}

sd_status sd_analyze_ticket(sd_analyzer *an, sd_db *db, sd_arena *a, const char *ws_id,
                            const char *ticket_id, bool offer, bool use_llm,
                            struct sd_analysis *out, struct sd_err *err)
{
    struct sd_ticket t;
    struct sd_workspace w;
    struct sd_analyze_input in;
    sd_status st = sd_store_ticket_get(db, a, ws_id, ticket_id, &t, err);
    if (st == SD_OK) {
        st = sd_store_workspace_get(db, a, ws_id, &w, err);
    }
    if (st == SD_OK) {
        st = sd_analyze_input_of(db, a, ws_id, &t, &in, err);
    }
    if (st == SD_OK) {
        in.use_llm = use_llm;
        st = sd_analyze(an, db, a, ws_id, w.settings, &in, out, err);
    }
    if (st != SD_OK) {
        return st;
    }
    if (offer && out->confident && t.deflection == NULL && strcmp(t.status, "new") == 0) {
        out->deflection = "offered";
    }
    struct sd_ticket_triage tt = {.workspace_id = ws_id,
                                  .ticket_id = ticket_id,
                                  .title = out->summary.title,
                                  .summary = out->summary.summary,
                                  .environment = out->environment,
                                  .triage = out->triage_json,
                                  .kb_matches = out->matches_json,
                                  .deflection = out->deflection,
                                  .now_ms = sd_clock_wall_ms()};
    for (int f = 0; f < SD_TRI_N; f++) {
        const struct sd_triage_value *v = &out->triage.f[f];
        tt.ai[f] = v->value;
        tt.value[f] = v->review ? NULL : v->value;
    }
    return sd_store_ticket_triage(db, &tt, err);
}

sd_status sd_analyzer_kb_search(sd_analyzer *an, sd_db *db, sd_arena *a, const char *ws_id,
                                const char *query, size_t k, struct sd_kb_match *out, size_t *n_out,
                                struct sd_err *err)
{
    struct ws_cache *c = cache_of(an, ws_id);
    sd_status st = kb_sync(c, db, err);
    if (st != SD_OK) {
        return st;
    }
    *n_out = sd_kb_search(c->kb, thread_stem(), a, query, sd_triage_model_kb(an->model), k, out);
    return SD_OK;
}

/* ---- retraining ------------------------------------------------------------ */

sd_status sd_analyzer_train_workspace(sd_db *db, sd_arena *a, const char *ws_id,
                                      const char *settings_json, struct sd_triage_model_row *out,
                                      struct sd_err *err)
{
    struct sd_corpus_ticket *t;
    size_t n;
    sd_status st = sd_corpus_builtin(a, &t, &n, err);
    if (st != SD_OK) {
        return st;
    }
    /* The corrections, the latest per ticket and field, folded into one
     * example per ticket; a field no agent changed is not a label. */
    struct ex_of {
        const char *ticket_id;
        struct sd_triage_example ex;
    } *mine = NULL;
    size_t n_mine = 0, n_corr = 0;
    const char *after = NULL;
    for (;;) {
        struct sd_triage_correction *c;
        size_t nc = 0;
        st = sd_store_correction_list(db, a, ws_id, after, 100, &c, &nc, err);
        if (st != SD_OK) {
            free(mine);
            return st;
        }
        for (size_t i = 0; i < nc; i++) {
            n_corr++;
            size_t k = 0;
            while (k < n_mine && strcmp(mine[k].ticket_id, c[i].ticket_id) != 0) {
                k++;
            }
            if (k == n_mine) {
                json_t *e = json_loads(c[i].example, 0, NULL);
                const char *tx = json_string_value(json_object_get(e, "transcript"));
                if (tx == NULL) {
                    json_decref(e);
                    continue;
                }
                mine = sd_xrealloc(mine, (n_mine + 1) * sizeof *mine);
                memset(&mine[k], 0, sizeof mine[k]);
                mine[k].ticket_id = c[i].ticket_id;
                mine[k].ex.in.text = sd_arena_strdup(a, tx);
                const char *p = json_string_value(json_object_get(e, "account_plan"));
                const char *u = json_string_value(json_object_get(e, "page_url"));
                mine[k].ex.in.plan = p ? sd_arena_strdup(a, p) : NULL;
                mine[k].ex.in.page_url = u ? sd_arena_strdup(a, u) : NULL;
                mine[k].ex.in.n_console_errors =
                    (size_t)json_integer_value(json_object_get(e, "console_errors"));
                json_decref(e);
                n_mine++;
            }
            for (int f = 0; f < SD_TRI_N; f++) {
                if (strcmp(c[i].field, sd_triage_field_names[f]) == 0) {
                    mine[k].ex.label[f] = c[i].corrected;
                }
            }
        }
        if (nc < 100) {
            break;
        }
        after = c[nc - 1].id;
    }
    /* The workspace's examples count three times: they are its own truth. */
    size_t total = n + 3 * n_mine;
    struct sd_triage_example *ex = sd_xcalloc(total ? total : 1, sizeof *ex);
    for (size_t i = 0; i < n; i++) {
        ex[i] = t[i].ex;
    }
    for (size_t r = 0; r < 3; r++) {
        for (size_t i = 0; i < n_mine; i++) {
            ex[n + r * n_mine + i] = mine[i].ex;
        }
    }
    free(mine);
    struct sd_triage_settings set;
    sd_triage_settings_read(settings_json, a, &set);
    struct sd_triage_opts o = {.areas = set.areas};
    sd_triage_model *m = NULL;
    st = sd_triage_train(ex, total, &o, &m, err);
    free(ex);
    if (st != SD_OK) {
        return st;
    }
    struct sd_buf bin = SD_BUF_INIT(MODEL_MAX);
    st = sd_triage_model_save(m, &bin, err);
    sd_triage_model_free(m);
    if (st != SD_OK) {
        sd_buf_release(&bin);
        return st;
    }
    char *b64 = sd_arena_alloc(a, sd_b64url_len(bin.len) + 1);
    sd_b64url_encode(bin.data, bin.len, b64);
    sd_buf_release(&bin);
    char id[SD_ID_MAX];
    sd_id_new("tmd", id);
    struct sd_triage_model_row row = {.id = sd_arena_strdup(a, id),
                                      .workspace_id = ws_id,
                                      .created_at = sd_clock_wall_ms(),
                                      .n_examples = (int64_t)total,
                                      .n_corrections = (int64_t)n_corr,
                                      .data = b64};
    st = sd_store_triage_model_insert(db, &row, err);
    if (st == SD_OK && out != NULL) {
        *out = row;
        out->data = NULL;
    }
    return st;
}
