/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: a ticket's thread (/messages) and its activity log (/activity).
 *
 * A message is written in one transaction with the ticket's own changes
 * (first response, reopen: domain/ticket.c) and a "message_added" activity
 * row. An agent session always writes as that agent; a secret key says who
 * the author is ("agent" with an optional author_id, "customer" — the
 * ticket's customer — or "system"). Internal notes are for agents only and
 * never reach the customer.
 *
 * A message may carry media uploaded before (media_ids): each is attached in
 * the same transaction, once, and only within the workspace; the thread then
 * shows each with its processing state and, once ready, its playback URLs.
 */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/rand.h"
#include "domain/ticket.h"
#include "domain/validate.h"
#include "jobs/kinds.h"
#include "base/banned.h"

static const char *const authors[] = {"agent", "customer", "system", NULL};

/* A message with its media; a media that cannot be read is left out and logged. */
static json_t *message_json(struct sd_req *req, sd_db *db, const struct sd_message *m)
{
    json_t *o = api_message_json(m);
    struct sd_media *media = NULL;
    size_t n = 0;
    struct sd_err err = SD_ERR_INIT;
    if (sd_store_media_of_message(db, req->arena, req->auth.workspace_id, m->id, &media, &n,
                                  &err) != SD_OK) {
        sd_log(SD_LOG_WARN, "messages.media_failed", "message=%s error=\"%s\"", m->id, err.msg);
        return o;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        (void)json_array_append_new(list, api_media_json(req, &media[i]));
    }
    (void)json_object_set_new(o, "attachments", list);
    return o;
}

static const struct sd_json_field create_fields[] = {
    {"text", SD_JSON_STR, .is_required = true, .min = 1, .max = 20000},
    {"internal", SD_JSON_BOOL, .is_required = false},
    {"author", SD_JSON_STR, .one_of = authors},
    {"author_id", SD_JSON_STR, .min = 1, .max = 40},
    {"media_ids", SD_JSON_STR_ARR, .min = 1, .max = 40, .max_items = 5},
};
static const struct sd_json_schema create_schema = SD_JSON_SCHEMA(create_fields);

void sd_api_messages_create(struct sd_req *req, struct sd_resp *resp)
{
    const char *tid;
    sd_db *db;
    json_t *body = NULL;
    struct sd_ticket t = {0};
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "tkt", &tid) || !api_body(req, resp, &create_schema, &body)) {
        return;
    }
    const char *author = sd_json_str(body, "author");
    const char *author_id = sd_json_str(body, "author_id");
    bool is_internal = json_is_true(json_object_get(body, "internal"));
    sd_status st = SD_OK;
    if (req->auth.kind == SD_AUTH_SESSION) {
        if ((author != NULL && strcmp(author, "agent") != 0) || author_id != NULL) {
            st = sd_err_set(&err, SD_E_INVALID, "author",
                            "an agent session always writes as its agent; leave out 'author' "
                            "and 'author_id'");
        }
        author = "agent";
        author_id = req->auth.agent_id;
    } else if (author == NULL) {
        author = "agent";
    }
    if (st == SD_OK && is_internal && strcmp(author, "agent") != 0) {
        st = sd_err_set(&err, SD_E_INVALID, "internal", "only agents can write internal notes");
    }
    if (st == SD_OK && author_id != NULL && strcmp(author, "agent") != 0) {
        st = sd_err_set(&err, SD_E_INVALID, "author_id",
                        "'author_id' names an agent; it goes only with author 'agent'");
    }
    author = sd_arena_strdup(req->arena, author);
    author_id = sd_arena_strdup(req->arena, author_id);
    char *text = sd_arena_strdup(req->arena, sd_json_str(body, "text"));
    const char *media_ids[5];
    size_t n_media = 0;
    json_t *arr = json_object_get(body, "media_ids");
    for (size_t i = 0; i < json_array_size(arr) && n_media < 5; i++) {
        media_ids[n_media++] =
            sd_arena_strdup(req->arena, json_string_value(json_array_get(arr, i)));
    }
    json_decref(body);
    if (st != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    if (!api_db(req, resp, &db)) {
        return;
    }
    int64_t now = sd_clock_wall_ms();
    bool wake = false;
    char mid[SD_ID_MAX];
    sd_id_new("msg", mid);
    struct sd_message m = {.id = mid,
                           .workspace_id = req->auth.workspace_id,
                           .ticket_id = tid,
                           .author_type = author,
                           .author_id = author_id,
                           .body = text,
                           .is_internal = is_internal,
                           .created_at = now};
    st = sd_store_begin(db, &err);
    if (st == SD_OK) {
        st = sd_store_ticket_get(db, req->arena, req->auth.workspace_id, tid, &t, &err);
    }
    if (st == SD_OK && strcmp(author, "agent") == 0 && author_id != NULL &&
        req->auth.kind != SD_AUTH_SESSION) {
        struct sd_agent ag;
        if (sd_validate_id("author_id", author_id, "agt", &err) != SD_OK ||
            sd_store_agent_get(db, req->arena, req->auth.workspace_id, author_id, &ag, &err) !=
                SD_OK) {
            st = sd_err_set(&err, SD_E_INVALID, "author_id",
                            "'author_id' names no agent of this workspace");
        }
    }
    if (st == SD_OK && strcmp(author, "customer") == 0) {
        m.author_id = t.customer_id;
    }
    if (st == SD_OK && strcmp(t.status, "closed") == 0 && !is_internal) {
        st = sd_err_set(&err, SD_E_CONFLICT, "ticket",
                        "ticket is closed; open a new ticket to follow up");
    }
    if (st == SD_OK) {
        st = sd_store_message_insert(db, &m, &err);
    }
    for (size_t i = 0; st == SD_OK && i < n_media; i++) {
        char field[40];
        (void)snprintf(field, sizeof(field), "media_ids[%zu]", i);
        st = sd_validate_id(field, media_ids[i], "md", &err);
        if (st == SD_OK) {
            st = sd_store_media_attach(db, req->auth.workspace_id, media_ids[i], m.id, now, &err);
        }
        if (st == SD_E_NOT_FOUND || st == SD_E_INVALID) {
            st = sd_err_set(&err, SD_E_INVALID, field,
                            "'%.60s' names no media of this workspace; upload it first",
                            media_ids[i]);
        } else if (st == SD_E_CONFLICT) {
            char msg[sizeof(err.msg)];
            (void)snprintf(msg, sizeof(msg), "%s", err.msg);
            st = sd_err_set(&err, SD_E_CONFLICT, field, "%s", msg);
        }
    }
    const char *old_status = st == SD_OK ? t.status : NULL;
    if (st == SD_OK) {
        sd_ticket_on_message(&t, author, is_internal, now);
        st = sd_store_ticket_update(db, &t, &err);
    }
    if (st == SD_OK) {
        st = api_activity(req, db, t.id, "message_added",
                          json_pack("{s:s, s:s, s:b}", "message_id", m.id, "author_type", author,
                                    "internal", is_internal),
                          &err);
    }
    if (st == SD_OK && strcmp(author, "customer") == 0 && !is_internal) {
        /* What the customer adds may change the triage: analyse again. */
        st = sd_job_enqueue_analyze(db, t.workspace_id, t.id, m.id, &err);
        wake = st == SD_OK;
    }
    if (st == SD_OK && strcmp(old_status, t.status) != 0) {
        st = api_activity(req, db, t.id, "status_changed",
                          json_pack("{s:s, s:s}", "from", old_status, "to", t.status), &err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, &err);
    }
    if (st != SD_OK) {
        sd_store_rollback(db);
        api_fail(resp, &err);
        return;
    }
    if (wake && req->app->wake != NULL) {
        req->app->wake(req->app->wake_cls);
    }
    sd_resp_json(resp, 201, message_json(req, db, &m));
}

/* The ticket must exist in the caller's workspace before its rows are listed,
 * so that a foreign ticket id is 404 and not an empty list. */
static bool ticket_exists(struct sd_req *req, struct sd_resp *resp, sd_db *db, const char *tid)
{
    struct sd_ticket t;
    struct sd_err err = SD_ERR_INIT;
    if (sd_store_ticket_get(db, req->arena, req->auth.workspace_id, tid, &t, &err) != SD_OK) {
        return api_fail(resp, &err);
    }
    return true;
}

void sd_api_messages_list(struct sd_req *req, struct sd_resp *resp)
{
    const char *tid;
    struct api_page pg;
    struct sd_err err = SD_ERR_INIT;
    struct sd_message *rows = NULL;
    size_t n = 0;
    if (!api_id(req, resp, "tkt", &tid) || !api_page_args(req, resp, "msg", &pg) ||
        !ticket_exists(req, resp, pg.db, tid)) {
        return;
    }
    if (sd_store_message_list(pg.db, req->arena, req->auth.workspace_id, tid, true, pg.after,
                              pg.limit + 1, &rows, &n, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    bool has_more = n > pg.limit;
    if (has_more) {
        n = pg.limit;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        (void)json_array_append_new(items, message_json(req, pg.db, &rows[i]));
    }
    const char *next = has_more ? api_cursor_id(req->arena, rows[n - 1].id) : NULL;
    sd_resp_json(resp, 200, api_list(items, next));
}

void sd_api_activity_list(struct sd_req *req, struct sd_resp *resp)
{
    const char *tid;
    struct api_page pg;
    struct sd_err err = SD_ERR_INIT;
    struct sd_activity *rows = NULL;
    size_t n = 0;
    if (!api_id(req, resp, "tkt", &tid) || !api_page_args(req, resp, "act", &pg) ||
        !ticket_exists(req, resp, pg.db, tid)) {
        return;
    }
    if (sd_store_activity_list(pg.db, req->arena, req->auth.workspace_id, tid, pg.after,
                               pg.limit + 1, &rows, &n, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    api_page_send(req, resp, &pg, rows, n, sizeof(*rows), api_activity_row);
}
