/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: /api/v1/tickets.
 *
 * Create: in one transaction, find or create the customer (by id, external
 * id or email), insert the ticket, its first message and a "created"
 * activity row. The widget (publishable key) may set only subject, customer,
 * message, context and channel; agents and secret keys may also set
 * priority, assignee and the triage fields.
 * Then, in a transaction of its own, the ticket is analysed
 * (domain/analyze.h): title, summary, environment, triage with confidences,
 * and the best help articles. When the first article is a confident match
 * and the ticket did not come from an agent, the response carries it as
 * "kb_article" and the ticket waits for the customer's answer on
 * POST /tickets/{id}/deflection: solved resolves it as deflected, no agent
 * involved; not solved sends it to the queue with the match attached. A
 * failed analysis does not fail the create: a ticket.analyze job retries it.
 * Update: status moves go through the domain's status machine; each changed
 * field is recorded in the activity log, and an agent's change of a triage
 * field the models had set is kept as a correction (with the ticket's text)
 * for the accuracy metric and retraining. List: equality filters, keyset
 * pagination with an opaque cursor bound to the sort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/log.h"
#include "base/rand.h"
#include "base/str.h"
#include "base/utf8.h"
#include "domain/analyze.h"
#include "domain/ticket.h"
#include "jobs/kinds.h"
#include "text/md.h"
#include "domain/validate.h"
#include "base/banned.h"

static const struct sd_json_field customer_fields[] = {
    {"id", SD_JSON_STR, .min = 1, .max = 40},
    {"external_id", SD_JSON_STR, .min = 1, .max = 200, .is_line = true},
    {"email", SD_JSON_STR, .min = 3, .max = 254, .is_line = true},
    {"name", SD_JSON_STR, .max = 200, .is_line = true},
    {"plan", SD_JSON_STR, .max = 100, .is_line = true, .is_nullable = true},
};
static const struct sd_json_schema customer_schema = SD_JSON_SCHEMA(customer_fields);

static const struct sd_json_field message_fields[] = {
    {"text", SD_JSON_STR, .is_required = true, .min = 1, .max = 20000},
};
static const struct sd_json_schema message_schema = SD_JSON_SCHEMA(message_fields);

static const struct sd_json_field context_fields[] = {
    {"page_url", SD_JSON_STR, .max = 2048, .is_line = true},
    {"user_agent", SD_JSON_STR, .max = 1000, .is_line = true},
    {"account_plan", SD_JSON_STR, .max = 100, .is_line = true},
    {"console_errors", SD_JSON_STR_ARR, .max = 2000, .max_items = 50},
};
static const struct sd_json_schema context_schema = SD_JSON_SCHEMA(context_fields);

#define TRIAGE_FIELDS                                                                              \
    {"priority", SD_JSON_STR, .one_of = sd_ticket_priorities},                                     \
        {"category", SD_JSON_STR, .one_of = sd_ticket_categories, .is_nullable = true},            \
        {"urgency", SD_JSON_STR, .one_of = sd_ticket_urgencies, .is_nullable = true},              \
        {"product_area", SD_JSON_STR, .min = 1, .max = 100, .is_line = true, .is_nullable = true}, \
        {"sentiment", SD_JSON_STR, .one_of = sd_ticket_sentiments, .is_nullable = true},           \
    {                                                                                              \
        "assignee_id", SD_JSON_STR, .min = 1, .max = 40, .is_nullable = true                       \
    }

static const struct sd_json_field widget_create_fields[] = {
    {"subject", SD_JSON_STR, .is_required = true, .min = 1, .max = 200, .is_line = true},
    {"channel", SD_JSON_STR, .one_of = sd_ticket_channels},
    {"customer", SD_JSON_OBJ, .sub = &customer_schema},
    {"message", SD_JSON_OBJ, .sub = &message_schema},
    {"context", SD_JSON_OBJ, .sub = &context_schema},
};
static const struct sd_json_schema widget_create_schema = SD_JSON_SCHEMA(widget_create_fields);

static const struct sd_json_field create_fields[] = {
    {"subject", SD_JSON_STR, .is_required = true, .min = 1, .max = 200, .is_line = true},
    {"channel", SD_JSON_STR, .one_of = sd_ticket_channels},
    {"customer", SD_JSON_OBJ, .sub = &customer_schema},
    {"message", SD_JSON_OBJ, .sub = &message_schema},
    {"context", SD_JSON_OBJ, .sub = &context_schema},
    TRIAGE_FIELDS,
};
static const struct sd_json_schema create_schema = SD_JSON_SCHEMA(create_fields);

static const struct sd_json_field update_fields[] = {
    {"subject", SD_JSON_STR, .min = 1, .max = 200, .is_line = true},
    {"status", SD_JSON_STR, .one_of = sd_ticket_statuses},
    TRIAGE_FIELDS,
};
static const struct sd_json_schema update_schema = SD_JSON_SCHEMA(update_fields);

/* Finds the ticket's customer, or creates it, from the "customer" object. */
static sd_status resolve_customer(struct sd_req *req, sd_db *db, const json_t *cj,
                                  const char **id_out, struct sd_err *err)
{
    const char *ws = req->auth.workspace_id;
    const char *id = sd_json_str(cj, "id");
    const char *ext = sd_json_str(cj, "external_id");
    const char *email_in = sd_json_str(cj, "email");
    char email[SD_EMAIL_MAX + 1];
    struct sd_customer c;
    sd_status st;

    if (id != NULL) {
        if (sd_validate_id("customer.id", id, "cus", err) != SD_OK ||
            sd_store_customer_get(db, req->arena, ws, id, &c, err) != SD_OK) {
            return sd_err_set(err, SD_E_INVALID, "customer.id",
                              "'customer.id' names no customer of this workspace");
        }
        *id_out = c.id;
        return SD_OK;
    }
    if (email_in != NULL && sd_validate_email("customer.email", email_in, email, err) != SD_OK) {
        return SD_E_INVALID;
    }
    if (ext == NULL && email_in == NULL) {
        return sd_err_set(err, SD_E_INVALID, "customer",
                          "'customer' needs an id, an external_id or an email");
    }
    /* By the client's id first, then by email: either names the customer. */
    for (int round = 0; round < 2; round++) {
        st = SD_E_NOT_FOUND;
        if (ext != NULL) {
            st = sd_store_customer_find(db, req->arena, ws, ext, NULL, &c, err);
        }
        if (st == SD_E_NOT_FOUND && email_in != NULL) {
            st = sd_store_customer_find(db, req->arena, ws, NULL, email, &c, err);
            /* Known by email, and now the client names it too: remember the
             * name, so that a ticket sending only the external id finds it. */
            if (st == SD_OK && ext != NULL && c.external_id == NULL) {
                c.external_id = ext;
                c.updated_at = sd_clock_wall_ms();
                st = sd_store_customer_update(db, &c, err);
            }
        }
        if (st == SD_OK) {
            *id_out = c.id;
            return SD_OK;
        }
        if (st != SD_E_NOT_FOUND || round == 1) {
            break;
        }
        char cid[SD_ID_MAX];
        sd_id_new("cus", cid);
        int64_t now = sd_clock_wall_ms();
        const char *name = sd_json_str(cj, "name");
        struct sd_customer nc = {.id = cid,
                                 .workspace_id = ws,
                                 .external_id = ext,
                                 .email = email_in ? email : NULL,
                                 .name = name ? name : "",
                                 .plan = sd_json_str(cj, "plan"),
                                 .created_at = now,
                                 .updated_at = now};
        bool created = false;
        st = sd_store_customer_insert_new(db, &nc, &created, err);
        if (st != SD_OK) {
            return st;
        }
        if (created) {
            *id_out = sd_arena_strdup(req->arena, cid);
            return SD_OK;
        }
        /* Another request created this customer meanwhile: find it again. */
    }
    return st == SD_E_NOT_FOUND ? sd_err_set(err, SD_E_CONFLICT, "customer",
                                             "the customer's external_id and email belong to "
                                             "different customers; send the customer's id")
                                : st;
}

static sd_status check_assignee(struct sd_req *req, sd_db *db, const char *assignee,
                                struct sd_err *err)
{
    struct sd_agent ag;
    if (assignee == NULL) {
        return SD_OK;
    }
    if (sd_validate_id("assignee_id", assignee, "agt", err) != SD_OK ||
        sd_store_agent_get(db, req->arena, req->auth.workspace_id, assignee, &ag, err) != SD_OK) {
        return sd_err_set(err, SD_E_INVALID, "assignee_id",
                          "'assignee_id' names no agent of this workspace");
    }
    return SD_OK;
}

static const char *opt_str(sd_arena *a, const json_t *body, const char *key, const char *dflt)
{
    const char *s = sd_json_str(body, key);
    return s ? sd_arena_strdup(a, s) : dflt;
}

/* The article offered to the customer, rendered, or NULL. */
static json_t *offered_article(struct sd_req *req, sd_db *db, const struct sd_ticket *t)
{
    if (t->deflection == NULL || strcmp(t->deflection, "offered") != 0) {
        return NULL;
    }
    json_t *matches = api_jraw(t->kb_matches, true);
    const char *id = json_string_value(json_object_get(json_array_get(matches, 0), "article_id"));
    double conf = json_number_value(json_object_get(json_array_get(matches, 0), "confidence"));
    struct sd_kb_article k;
    json_t *o = NULL;
    if (id != NULL &&
        sd_store_kb_get(db, req->arena, req->auth.workspace_id, id, &k, NULL) == SD_OK) {
        o = api_kb_json(&k);
        (void)json_object_set_new(o, "confidence", json_real(conf));
    }
    json_decref(matches);
    return o;
}

/* Analyses a new ticket and returns its JSON as it then is; on failure the
 * ticket stays as created and a job retries the analysis. */
static json_t *analyze_new(struct sd_req *req, sd_db *db, struct sd_ticket *t)
{
    struct sd_err err = SD_ERR_INIT;
    struct sd_analysis an;
    bool offer = req->auth.kind != SD_AUTH_SESSION;
    sd_status st = SD_E_UNSUPPORTED;
    if (req->app->analyzer != NULL) {
        st = sd_analyze_ticket(req->app->analyzer, db, req->arena, t->workspace_id, t->id, offer,
                               false, &an, &err);
    }
    if (st == SD_OK) {
        st = sd_store_ticket_get(db, req->arena, t->workspace_id, t->id, t, &err);
    }
    /* A summary endpoint can take seconds: a job asks it, not this request. */
    if (st == SD_OK && sd_analyzer_has_llm(req->app->analyzer) &&
        sd_job_enqueue_analyze(db, t->workspace_id, t->id, "summary", NULL) == SD_OK &&
        req->app->wake != NULL) {
        req->app->wake(req->app->wake_cls);
    }
    if (st != SD_OK) {
        sd_log(SD_LOG_WARN, "ticket.analyze", "ticket=%s error=\"%s\" retry=job", t->id, err.msg);
        if (sd_job_enqueue_analyze(db, t->workspace_id, t->id, "created", NULL) == SD_OK &&
            req->app->wake != NULL) {
            req->app->wake(req->app->wake_cls);
        }
    }
    json_t *o = api_ticket_json(t);
    json_t *art = offered_article(req, db, t);
    (void)json_object_set_new(o, "kb_article", art ? art : json_null());
    return o;
}

void sd_api_tickets_create(struct sd_req *req, struct sd_resp *resp)
{
    bool is_widget = req->auth.kind == SD_AUTH_PUBLISHABLE_KEY;
    json_t *body = NULL;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (!api_body(req, resp, is_widget ? &widget_create_schema : &create_schema, &body)) {
        return;
    }
    if (!api_db(req, resp, &db)) {
        json_decref(body);
        return;
    }
    char id[SD_ID_MAX];
    sd_id_new("tkt", id);
    int64_t now = sd_clock_wall_ms();
    const json_t *ctx = json_object_get(body, "context");
    char *ctx_text = ctx ? json_dumps(ctx, JSON_COMPACT) : NULL;
    struct sd_ticket t = {.id = id,
                          .workspace_id = req->auth.workspace_id,
                          .subject = opt_str(req->arena, body, "subject", ""),
                          .status = "new",
                          .channel = opt_str(req->arena, body, "channel", "text"),
                          .priority = opt_str(req->arena, body, "priority", "normal"),
                          .category = opt_str(req->arena, body, "category", NULL),
                          .urgency = opt_str(req->arena, body, "urgency", NULL),
                          .product_area = opt_str(req->arena, body, "product_area", NULL),
                          .sentiment = opt_str(req->arena, body, "sentiment", NULL),
                          .assignee_id = opt_str(req->arena, body, "assignee_id", NULL),
                          .context = sd_arena_strdup(req->arena, ctx_text ? ctx_text : "{}"),
                          .created_at = now,
                          .updated_at = now};
    free(ctx_text);
    const json_t *cj = json_object_get(body, "customer");
    const char *text = sd_json_str(json_object_get(body, "message"), "text");
    text = text ? sd_arena_strdup(req->arena, text) : NULL;

    sd_status st = sd_store_begin(db, &err);
    if (st == SD_OK) {
        st = check_assignee(req, db, t.assignee_id, &err);
    }
    if (st == SD_OK && cj != NULL) {
        st = resolve_customer(req, db, cj, &t.customer_id, &err);
    }
    if (st == SD_OK) {
        st = sd_store_ticket_insert(db, &t, &err);
    }
    if (st == SD_OK && text != NULL) {
        char mid[SD_ID_MAX];
        sd_id_new("msg", mid);
        struct sd_message m = {.id = mid,
                               .workspace_id = t.workspace_id,
                               .ticket_id = t.id,
                               .author_type = "customer",
                               .author_id = t.customer_id,
                               .body = text,
                               .created_at = now};
        st = sd_store_message_insert(db, &m, &err);
    }
    if (st == SD_OK) {
        st = api_activity(req, db, t.id, "created",
                          json_pack("{s:s, s:s}", "channel", t.channel, "status", t.status), &err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, &err);
    }
    json_decref(body);
    if (st != SD_OK) {
        sd_store_rollback(db);
        api_fail(resp, &err);
        return;
    }
    json_t *out = analyze_new(req, db, &t);
    sd_resp_header(resp, "Location", sd_arena_printf(req->arena, "/api/v1/tickets/%s", t.id));
    sd_resp_json(resp, 201, out);
}

void sd_api_tickets_get(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_ticket t;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "tkt", &id) || !api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_ticket_get(db, req->arena, req->auth.workspace_id, id, &t, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_ticket_json(&t));
}

/* Sets *@field from @body[@key] when present (null clears); records the change. */
static void patch_field(struct sd_req *req, const json_t *body, const char *key, const char **field,
                        json_t *changes)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL) {
        return;
    }
    const char *nv = json_is_null(v) ? NULL : sd_arena_strdup(req->arena, json_string_value(v));
    const char *old = *field;
    if ((old == NULL && nv == NULL) || (old != NULL && nv != NULL && strcmp(old, nv) == 0)) {
        return;
    }
    (void)json_object_set_new(changes, key,
                              json_pack("{s:o, s:o}", "from", api_jstr(old), "to", api_jstr(nv)));
    *field = nv;
}

/* Keeps each change of a triage field the models had set as a correction,
 * with what the ticket said then, for the accuracy metric and retraining. */
static sd_status record_corrections(struct sd_req *req, sd_db *db, const struct sd_ticket *t,
                                    const json_t *changes, int64_t now, struct sd_err *err)
{
    const char *ai[SD_TRI_N] = {t->ai_category, t->ai_urgency, t->ai_product_area, t->ai_sentiment};
    const char *example = NULL;
    for (int f = 0; f < SD_TRI_N; f++) {
        json_t *ch = json_object_get(changes, sd_triage_field_names[f]);
        if (ch == NULL || ai[f] == NULL) {
            continue;
        }
        if (example == NULL) {
            struct sd_analyze_input in;
            sd_status st = sd_analyze_input_of(db, req->arena, t->workspace_id, t, &in, err);
            if (st != SD_OK) {
                return st;
            }
            json_t *e = json_pack("{s:s, s:o, s:o, s:I}", "transcript", in.text, "account_plan",
                                  api_jstr(in.plan), "page_url", api_jstr(in.page_url),
                                  "console_errors", (json_int_t)in.n_console_errors);
            char *text = json_dumps(e, JSON_COMPACT);
            json_decref(e);
            example = sd_arena_strdup(req->arena, text ? text : "{}");
            free(text);
        }
        char id[SD_ID_MAX];
        sd_id_new("cor", id);
        const char *actor_type, *actor_id;
        api_actor(req, &actor_type, &actor_id);
        struct sd_triage_correction c = {.id = id,
                                         .workspace_id = t->workspace_id,
                                         .created_at = now,
                                         .ticket_id = t->id,
                                         .field = sd_triage_field_names[f],
                                         .predicted = ai[f],
                                         .corrected = json_string_value(json_object_get(ch, "to")),
                                         .agent_id =
                                             strcmp(actor_type, "agent") == 0 ? actor_id : NULL,
                                         .example = example};
        sd_status st = sd_store_correction_insert(db, &c, err);
        if (st != SD_OK) {
            return st;
        }
    }
    return SD_OK;
}

void sd_api_tickets_update(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    json_t *body = NULL;
    struct sd_ticket t;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "tkt", &id) || !api_body(req, resp, &update_schema, &body)) {
        return;
    }
    if (!api_db(req, resp, &db)) {
        json_decref(body);
        return;
    }
    int64_t now = sd_clock_wall_ms();
    json_t *changes = json_object();
    sd_status st = sd_store_begin(db, &err);
    if (st == SD_OK) {
        st = sd_store_ticket_get(db, req->arena, req->auth.workspace_id, id, &t, &err);
    }
    const char *old_status = st == SD_OK ? t.status : NULL;
    const char *new_status = sd_json_str(body, "status");
    if (st == SD_OK && new_status != NULL) {
        st = sd_ticket_set_status(&t, new_status, now, &err);
    }
    if (st == SD_OK) {
        patch_field(req, body, "subject", &t.subject, changes);
        patch_field(req, body, "priority", &t.priority, changes);
        patch_field(req, body, "category", &t.category, changes);
        patch_field(req, body, "urgency", &t.urgency, changes);
        patch_field(req, body, "product_area", &t.product_area, changes);
        patch_field(req, body, "sentiment", &t.sentiment, changes);
    }
    const char *old_assignee = st == SD_OK ? t.assignee_id : NULL;
    bool is_changed = json_object_size(changes) > 0;
    if (st == SD_OK && sd_json_has(body, "assignee_id")) {
        json_t *assign = json_object();
        patch_field(req, body, "assignee_id", &t.assignee_id, assign);
        if (json_object_size(assign) > 0) {
            is_changed = true;
            st = check_assignee(req, db, t.assignee_id, &err);
        }
        if (st == SD_OK && json_object_size(assign) > 0) {
            st = api_activity(req, db, t.id, "assigned",
                              json_pack("{s:o, s:o}", "from", api_jstr(old_assignee), "to",
                                        api_jstr(t.assignee_id)),
                              &err);
        }
        json_decref(assign);
    }
    if (st == SD_OK && old_status != NULL && strcmp(old_status, t.status) != 0) {
        is_changed = true;
        st = api_activity(req, db, t.id, "status_changed",
                          json_pack("{s:s, s:s}", "from", old_status, "to", t.status), &err);
    }
    if (st == SD_OK && json_object_size(changes) > 0) {
        st = api_activity(req, db, t.id, "updated", json_incref(changes), &err);
    }
    if (st == SD_OK && req->auth.kind != SD_AUTH_PUBLISHABLE_KEY) {
        st = record_corrections(req, db, &t, changes, now, &err);
    }
    /* A PATCH that changes nothing writes nothing: no new updated_at. */
    if (st == SD_OK && is_changed) {
        t.updated_at = now;
        st = sd_store_ticket_update(db, &t, &err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, &err);
    }
    json_decref(changes);
    json_decref(body);
    if (st != SD_OK) {
        sd_store_rollback(db);
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_ticket_json(&t));
}

void sd_api_tickets_delete(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "tkt", &id) || !api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_ticket_delete(db, req->auth.workspace_id, id, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_text(resp, 204, NULL, "");
}

/* Cursor text: "<sort letter><asc letter>.<key>.<id>" as base64url. */
static char *encode_cursor(sd_arena *a, const struct sd_ticket_filter *f,
                           const struct sd_ticket *last)
{
    char raw[128];
    int64_t key = f->sort == SD_SORT_UPDATED ? last->updated_at : last->created_at;
    int n = snprintf(raw, sizeof(raw), "%c%c.%lld.%s", f->sort == SD_SORT_UPDATED ? 'u' : 'c',
                     f->is_ascending ? 'a' : 'd', (long long)key, last->id);
    char *out = sd_arena_alloc(a, sd_b64url_len((size_t)n) + 1);
    sd_b64url_encode(raw, (size_t)n, out);
    return out;
}

static bool decode_cursor(struct sd_req *req, const char *c, struct sd_ticket_filter *f)
{
    char raw[128];
    size_t n = 0;
    if (sd_b64url_decode(c, strlen(c), raw, sizeof(raw) - 1, &n) != SD_OK) {
        return false;
    }
    raw[n] = '\0';
    char want_sort = f->sort == SD_SORT_UPDATED ? 'u' : 'c';
    char want_dir = f->is_ascending ? 'a' : 'd';
    if (n < 5 || raw[0] != want_sort || raw[1] != want_dir || raw[2] != '.') {
        return false;
    }
    char *dot = strchr(raw + 3, '.');
    if (dot == NULL) {
        return false;
    }
    int64_t key;
    if (sd_str_to_i64((struct sd_str){raw + 3, (size_t)(dot - raw - 3)}, 0, INT64_MAX, &key) !=
        SD_OK) {
        return false;
    }
    if (sd_validate_id("cursor", dot + 1, "tkt", NULL) != SD_OK) {
        return false;
    }
    f->has_cursor = true;
    f->cursor_key = key;
    f->cursor_id = sd_arena_strdup(req->arena, dot + 1);
    return true;
}

/* A filter from the query string, checked against its value set when it has one. */
static bool filter_arg(struct sd_req *req, struct sd_resp *resp, const char *name,
                       const char *const *set, const char **out)
{
    const char *v = sd_req_query(req, name);
    *out = NULL;
    if (v == NULL) {
        return true;
    }
    if (set != NULL && !sd_domain_one_of(set, v)) {
        sd_resp_fail(resp, SD_E_INVALID, name, "'%s' filter has an unknown value '%.60s'", name, v);
        return false;
    }
    size_t n = strlen(v);
    if (set == NULL && (n > 100 || !sd_utf8_valid(v, n) || sd_utf8_has_controls(v, n))) {
        sd_resp_fail(resp, SD_E_INVALID, name,
                     "'%s' filter must be an id of at most 100 characters of text", name);
        return false;
    }
    *out = v;
    return true;
}

void sd_api_tickets_list(struct sd_req *req, struct sd_resp *resp)
{
    struct sd_ticket_filter f = {0};
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (!filter_arg(req, resp, "status", sd_ticket_statuses, &f.status) ||
        !filter_arg(req, resp, "category", sd_ticket_categories, &f.category) ||
        !filter_arg(req, resp, "urgency", sd_ticket_urgencies, &f.urgency) ||
        !filter_arg(req, resp, "channel", sd_ticket_channels, &f.channel) ||
        !filter_arg(req, resp, "assignee", NULL, &f.assignee_id) ||
        !filter_arg(req, resp, "customer", NULL, &f.customer_id) ||
        !api_limit(req, resp, &f.limit)) {
        return;
    }
    const char *sort = sd_req_query(req, "sort");
    if (sort == NULL || strcmp(sort, "-created_at") == 0) {
        f.sort = SD_SORT_CREATED;
    } else if (strcmp(sort, "created_at") == 0) {
        f.sort = SD_SORT_CREATED;
        f.is_ascending = true;
    } else if (strcmp(sort, "-updated_at") == 0) {
        f.sort = SD_SORT_UPDATED;
    } else if (strcmp(sort, "updated_at") == 0) {
        f.sort = SD_SORT_UPDATED;
        f.is_ascending = true;
    } else {
        sd_resp_fail(resp, SD_E_INVALID, "sort",
                     "'sort' must be created_at, -created_at, updated_at or -updated_at");
        return;
    }
    const char *cursor = sd_req_query(req, "cursor");
    if (cursor != NULL && cursor[0] != '\0' && !decode_cursor(req, cursor, &f)) {
        sd_resp_fail(resp, SD_E_INVALID, "cursor",
                     "'cursor' is not one this list gave out with this sort; start again "
                     "without it");
        return;
    }
    if (!api_db(req, resp, &db)) {
        return;
    }
    struct sd_ticket *rows = NULL;
    size_t n = 0;
    bool has_more = false;
    if (sd_store_ticket_list(db, req->arena, req->auth.workspace_id, &f, &rows, &n, &has_more,
                             &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        (void)json_array_append_new(items, api_ticket_json(&rows[i]));
    }
    sd_resp_json(
        resp, 200,
        api_list(items, has_more && n > 0 ? encode_cursor(req->arena, &f, &rows[n - 1]) : NULL));
}

static const struct sd_json_field deflection_fields[] = {
    {"solved", SD_JSON_BOOL, .is_required = true},
};
static const struct sd_json_schema deflection_schema = SD_JSON_SCHEMA(deflection_fields);

void sd_api_tickets_deflection(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    json_t *body = NULL;
    struct sd_ticket t;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "tkt", &id) || !api_body(req, resp, &deflection_schema, &body)) {
        return;
    }
    bool solved = json_is_true(json_object_get(body, "solved"));
    json_decref(body);
    if (!api_db(req, resp, &db)) {
        return;
    }
    int64_t now = sd_clock_wall_ms();
    sd_status st = sd_store_begin(db, &err);
    if (st == SD_OK) {
        st = sd_store_ticket_get(db, req->arena, req->auth.workspace_id, id, &t, &err);
    }
    if (st == SD_OK && (t.deflection == NULL || strcmp(t.deflection, "offered") != 0)) {
        st = sd_err_set(&err, SD_E_CONFLICT, "deflection",
                        "ticket %s was not offered a help article (deflection is %s); only an "
                        "offered article can be answered, once",
                        t.id, t.deflection ? t.deflection : "none");
    }
    json_t *matches = st == SD_OK ? api_jraw(t.kb_matches, true) : NULL;
    const char *article =
        json_string_value(json_object_get(json_array_get(matches, 0), "article_id"));
    if (st == SD_OK) {
        const char *from = t.status;
        t.deflection = solved ? "deflected" : "declined";
        if (solved) {
            st = sd_ticket_set_status(&t, "resolved", now, &err);
        }
        t.updated_at = now;
        if (st == SD_OK) {
            st = api_activity(req, db, t.id, solved ? "deflected" : "deflection_declined",
                              json_pack("{s:o, s:s, s:s}", "article_id", api_jstr(article), "from",
                                        from, "to", t.status),
                              &err);
        }
    }
    json_decref(matches);
    if (st == SD_OK) {
        st = sd_store_ticket_update(db, &t, &err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, &err);
    }
    if (st != SD_OK) {
        sd_store_rollback(db);
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_ticket_json(&t));
}
