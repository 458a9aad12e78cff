/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: /api/v1/kb: help articles, their search, and triage's own numbers.
 *
 * Articles: title, body (Markdown, rendered to safe HTML in every response
 * as body_html: raw HTML is shown as text, only http, https, mailto and
 * relative links survive), tags, product area, an optional video (media of
 * the workspace) and a status, draft or published. Only published articles
 * are searched and matched to tickets; a publishable key (the widget, the
 * help center) sees only those. Deleting keeps a tombstone so that every
 * server's search index drops the article on its next search.
 *
 * Search ranks with BM25F and answers each hit with its calibrated
 * confidence (text/kb.h), the same numbers tickets are matched with.
 *
 * /api/v1/triage/accuracy: how often the models' values were the agents'
 * final ones, per field (the "triage accuracy" metric). POST
 * /api/v1/triage/train queues the training of the workspace's own model.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/rand.h"
#include "base/str.h"
#include "domain/analyze.h"
#include "domain/ticket.h"
#include "domain/validate.h"
#include "jobs/kinds.h"
#include "text/md.h"
#include "base/banned.h"

static const char *const kb_statuses[] = {"draft", "published", NULL};

#define ARTICLE_FIELDS(required)                                                                   \
    {"title", SD_JSON_STR, .is_required = (required), .min = 1, .max = 300, .is_line = true},      \
        {"body", SD_JSON_STR, .is_required = (required), .min = 1, .max = 200000},                 \
        {"tags", SD_JSON_STR_ARR, .min = 1, .max = 60, .max_items = 30, .is_line = true},          \
        {"product_area", SD_JSON_STR, .min = 1, .max = 100, .is_line = true, .is_nullable = true}, \
        {"media_id", SD_JSON_STR, .min = 1, .max = 40, .is_nullable = true},                       \
    {                                                                                              \
        "status", SD_JSON_STR, .one_of = kb_statuses                                               \
    }

static const struct sd_json_field create_fields[] = {
    ARTICLE_FIELDS(true),
    {"external_id", SD_JSON_STR, .min = 1, .max = 200, .is_line = true},
};
static const struct sd_json_schema create_schema = SD_JSON_SCHEMA(create_fields);
static const struct sd_json_field update_fields[] = {ARTICLE_FIELDS(false)};
static const struct sd_json_schema update_schema = SD_JSON_SCHEMA(update_fields);

json_t *api_kb_json(const struct sd_kb_article *k)
{
    json_t *o = json_object();
    (void)json_object_set_new(o, "id", api_jstr(k->id));
    (void)json_object_set_new(o, "external_id", api_jstr(k->external_id));
    (void)json_object_set_new(o, "title", api_jstr(k->title));
    (void)json_object_set_new(o, "body", api_jstr(k->body));
    struct sd_buf html = SD_BUF_INIT(4u << 20);
    const char *b = k->body ? k->body : "";
    if (sd_md_render(b, strlen(b), &html, NULL) == SD_OK) {
        (void)json_object_set_new(o, "body_html", json_string(sd_buf_cstr(&html)));
    } else {
        (void)json_object_set_new(o, "body_html", json_null());
    }
    sd_buf_release(&html);
    (void)json_object_set_new(o, "tags", api_jraw(k->tags, true));
    (void)json_object_set_new(o, "product_area", api_jstr(k->product_area));
    (void)json_object_set_new(o, "media_id", api_jstr(k->media_id));
    (void)json_object_set_new(o, "status", api_jstr(k->status));
    (void)json_object_set_new(o, "created_at", api_jtime(k->created_at));
    (void)json_object_set_new(o, "updated_at", api_jtime(k->updated_at));
    return o;
}

static json_t *kb_row_json(const void *row)
{
    return api_kb_json(row);
}

/* Tags as stored: a JSON array of distinct strings. */
static const char *tags_text(struct sd_req *req, const json_t *tags)
{
    json_t *out = json_array();
    size_t i, k;
    const json_t *v, *w;
    json_array_foreach(tags, i, v)
    {
        bool seen = false;
        json_array_foreach(out, k, w) seen =
            seen || strcmp(json_string_value(w), json_string_value(v)) == 0;
        if (!seen) {
            (void)json_array_append_new(out, json_string(json_string_value(v)));
        }
    }
    char *s = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    const char *r = sd_arena_strdup(req->arena, s ? s : "[]");
    free(s);
    return r;
}

static sd_status check_media(struct sd_req *req, sd_db *db, const char *media_id,
                             struct sd_err *err)
{
    struct sd_media m;
    if (media_id == NULL) {
        return SD_OK;
    }
    if (sd_validate_id("media_id", media_id, "md", err) != SD_OK ||
        sd_store_media_get(db, req->arena, req->auth.workspace_id, media_id, &m, err) != SD_OK) {
        return sd_err_set(err, SD_E_INVALID, "media_id",
                          "'media_id' names no media of this workspace; upload the video first");
    }
    return SD_OK;
}

/* Sets the article's fields that @body has. */
static void apply(struct sd_req *req, const json_t *body, struct sd_kb_article *k)
{
    static const struct {
        const char *key;
        size_t off;
    } fields[] = {
        {"title", offsetof(struct sd_kb_article, title)},
        {"body", offsetof(struct sd_kb_article, body)},
        {"product_area", offsetof(struct sd_kb_article, product_area)},
        {"media_id", offsetof(struct sd_kb_article, media_id)},
        {"status", offsetof(struct sd_kb_article, status)},
    };
    for (size_t i = 0; i < SD_ARRAY_LEN(fields); i++) {
        json_t *v = json_object_get(body, fields[i].key);
        if (v != NULL) {
            const char *s =
                json_is_null(v) ? NULL : sd_arena_strdup(req->arena, json_string_value(v));
            *(const char **)(void *)((char *)k + fields[i].off) = s;
        }
    }
    if (json_object_get(body, "tags") != NULL) {
        k->tags = tags_text(req, json_object_get(body, "tags"));
    }
}

void sd_api_kb_create(struct sd_req *req, struct sd_resp *resp)
{
    json_t *body = NULL;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (!api_body(req, resp, &create_schema, &body)) {
        return;
    }
    if (!api_db(req, resp, &db)) {
        json_decref(body);
        return;
    }
    char id[SD_ID_MAX];
    sd_id_new("kba", id);
    int64_t now = sd_clock_wall_ms();
    struct sd_kb_article k = {.id = sd_arena_strdup(req->arena, id),
                              .workspace_id = req->auth.workspace_id,
                              .created_at = now,
                              .tags = "[]",
                              .status = "published",
                              .updated_at = now};
    apply(req, body, &k);
    const char *ext = sd_json_str(body, "external_id");
    k.external_id = ext ? sd_arena_strdup(req->arena, ext) : NULL;
    json_decref(body);
    sd_status st = check_media(req, db, k.media_id, &err);
    if (st == SD_OK) {
        st = sd_store_kb_insert(db, &k, &err);
    }
    if (st != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_header(resp, "Location", sd_arena_printf(req->arena, "/api/v1/kb/articles/%s", k.id));
    sd_resp_json(resp, 201, api_kb_json(&k));
}

void sd_api_kb_get(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_kb_article k;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "kba", &id) || !api_db(req, resp, &db)) {
        return;
    }
    sd_status st = sd_store_kb_get(db, req->arena, req->auth.workspace_id, id, &k, &err);
    if (st == SD_OK && req->auth.kind == SD_AUTH_PUBLISHABLE_KEY &&
        strcmp(k.status, "published") != 0) {
        st = sd_err_set(&err, SD_E_NOT_FOUND, "id", "article '%.60s' not found", id);
    }
    if (st != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_kb_json(&k));
}

void sd_api_kb_update(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    json_t *body = NULL;
    struct sd_kb_article k;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "kba", &id) || !api_body(req, resp, &update_schema, &body)) {
        return;
    }
    if (!api_db(req, resp, &db)) {
        json_decref(body);
        return;
    }
    sd_status st = sd_store_kb_get(db, req->arena, req->auth.workspace_id, id, &k, &err);
    if (st == SD_OK) {
        apply(req, body, &k);
        k.updated_at = sd_clock_wall_ms();
        st = check_media(req, db, k.media_id, &err);
    }
    json_decref(body);
    if (st == SD_OK) {
        st = sd_store_kb_update(db, &k, &err);
    }
    if (st != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_kb_json(&k));
}

void sd_api_kb_delete(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "kba", &id) || !api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_kb_delete(db, req->auth.workspace_id, id, sd_clock_wall_ms(), &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_text(resp, 204, NULL, "");
}

void sd_api_kb_list(struct sd_req *req, struct sd_resp *resp)
{
    struct api_page pg;
    const char *status = sd_req_query(req, "status");
    if (status != NULL && !sd_domain_one_of(kb_statuses, status)) {
        sd_resp_fail(resp, SD_E_INVALID, "status", "'status' must be draft or published");
        return;
    }
    if (!api_page_args(req, resp, "kba", &pg)) {
        return;
    }
    struct sd_kb_article *rows = NULL;
    size_t n = 0;
    struct sd_err err = SD_ERR_INIT;
    if (sd_store_kb_list(pg.db, req->arena, req->auth.workspace_id, status, pg.after, pg.limit + 1,
                         &rows, &n, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    api_page_send(req, resp, &pg, rows, n, sizeof *rows, kb_row_json);
}

void sd_api_kb_search(struct sd_req *req, struct sd_resp *resp)
{
    const char *q = sd_req_query(req, "q");
    size_t limit;
    if (q == NULL || q[0] == '\0' || strlen(q) > 20000) {
        sd_resp_fail(resp, SD_E_INVALID, "q",
                     "'q' is required: the question or the ticket's text, up to 20000 bytes");
        return;
    }
    if (!api_limit(req, resp, &limit)) {
        return;
    }
    if (limit > 20) {
        limit = 20;
    }
    sd_db *db;
    if (!api_db(req, resp, &db)) {
        return;
    }
    if (req->app->analyzer == NULL) {
        sd_resp_fail(resp, SD_E_INTERNAL, NULL, "help-article search is not running here");
        return;
    }
    struct sd_kb_match *m = sd_arena_alloc(req->arena, limit * sizeof *m);
    size_t n = 0;
    struct sd_err err = SD_ERR_INIT;
    if (sd_analyzer_kb_search(req->app->analyzer, db, req->arena, req->auth.workspace_id, q, limit,
                              m, &n, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        (void)json_array_append_new(items, json_pack("{s:s, s:s, s:f, s:f}", "article_id", m[i].id,
                                                     "title", m[i].title, "confidence",
                                                     round(m[i].confidence * 1000) / 1000, "score",
                                                     m[i].score));
    }
    sd_resp_json(resp, 200, api_list(items, NULL));
}

void sd_api_triage_accuracy(struct sd_req *req, struct sd_resp *resp)
{
    const char *since_s = sd_req_query(req, "since");
    int64_t since = 0;
    if (since_s != NULL && sd_str_to_i64(sd_str_c(since_s), 0, INT64_MAX, &since) != SD_OK) {
        sd_resp_fail(resp, SD_E_INVALID, "since",
                     "'since' must be a time in milliseconds since 1970 (UTC)");
        return;
    }
    sd_db *db;
    if (!api_db(req, resp, &db)) {
        return;
    }
    struct sd_triage_accuracy acc;
    struct sd_err err = SD_ERR_INIT;
    if (sd_store_triage_accuracy(db, req->auth.workspace_id, since, &acc, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    json_t *fields = json_object();
    for (int f = 0; f < SD_TRI_N; f++) {
        json_t *v =
            json_pack("{s:I, s:I, s:o}", "tickets", (json_int_t)acc.n[f], "agreed",
                      (json_int_t)acc.agree[f], "accuracy",
                      acc.n[f] ? json_real((double)acc.agree[f] / (double)acc.n[f]) : json_null());
        (void)json_object_set_new(fields, sd_triage_field_names[f], v);
    }
    struct sd_triage_model_row row;
    json_t *model = json_string("default");
    if (sd_store_triage_model_latest(db, req->arena, req->auth.workspace_id, false, &row, NULL) ==
        SD_OK) {
        json_decref(model);
        model = json_pack("{s:s, s:o, s:I, s:I}", "id", row.id, "created_at",
                          api_jtime(row.created_at), "examples", (json_int_t)row.n_examples,
                          "corrections", (json_int_t)row.n_corrections);
    }
    sd_resp_json(
        resp, 200,
        json_pack("{s:o, s:o, s:o}", "since", api_jtime(since), "fields", fields, "model", model));
}

void sd_api_triage_train(struct sd_req *req, struct sd_resp *resp)
{
    sd_db *db;
    if (!api_db(req, resp, &db)) {
        return;
    }
    char key[SD_ID_MAX + 48], job[SD_ID_MAX];
    (void)snprintf(key, sizeof key, "triage.train:%s:req:%lld", req->auth.workspace_id,
                   (long long)sd_clock_wall_ms());
    struct sd_err err = SD_ERR_INIT;
    if (sd_job_enqueue(db, SD_JOB_TRIAGE_TRAIN, req->auth.workspace_id, key, NULL, 2, job, &err) !=
        SD_OK) {
        api_fail(resp, &err);
        return;
    }
    if (req->app->wake != NULL) {
        req->app->wake(req->app->wake_cls);
    }
    sd_resp_json(resp, 202, json_pack("{s:s, s:s}", "job_id", job, "state", "queued"));
}
