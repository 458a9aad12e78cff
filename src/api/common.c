/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Shared handler helpers and renderers; see internal.h. */
#include "api/internal.h"
#include "domain/analyze.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/rand.h"
#include "base/str.h"
#include "domain/validate.h"
#include "domain/tus.h"
#include "base/banned.h"

bool api_fail(struct sd_resp *resp, const struct sd_err *err)
{
    sd_resp_error(resp, err);
    return false;
}

bool api_db(struct sd_req *req, struct sd_resp *resp, sd_db **db)
{
    struct sd_err err = SD_ERR_INIT;
    if (sd_req_db(req, db, &err) != SD_OK) {
        return api_fail(resp, &err);
    }
    return true;
}

bool api_body(struct sd_req *req, struct sd_resp *resp, const struct sd_json_schema *schema,
              json_t **out)
{
    struct sd_err err = SD_ERR_INIT;
    json_t *j = NULL;
    if (sd_json_parse_object(req->body.data ? req->body.data : "", req->body.len, &j, &err) !=
        SD_OK) {
        return api_fail(resp, &err);
    }
    if (sd_json_check(j, schema, NULL, &err) != SD_OK) {
        json_decref(j);
        return api_fail(resp, &err);
    }
    *out = j;
    return true;
}

bool api_limit(struct sd_req *req, struct sd_resp *resp, size_t *out)
{
    const char *s = sd_req_query(req, "limit");
    *out = SD_API_PAGE_DEFAULT;
    if (s == NULL) {
        return true;
    }
    int64_t v;
    if (sd_str_to_i64(sd_str_c(s), 1, SD_API_PAGE_MAX, &v) != SD_OK) {
        sd_resp_fail(resp, SD_E_INVALID, "limit", "'limit' must be an integer from 1 to %d",
                     SD_API_PAGE_MAX);
        return false;
    }
    *out = (size_t)v;
    return true;
}

bool api_id(struct sd_req *req, struct sd_resp *resp, const char *prefix, const char **out)
{
    const char *id = sd_req_param(req, "id");
    struct sd_err err = SD_ERR_INIT;
    /* A malformed id cannot name anything: same answer as an absent one, so
     * ids of other workspaces and garbage look alike. */
    if (id == NULL || sd_validate_id("id", id, prefix, &err) != SD_OK) {
        sd_resp_fail(resp, SD_E_NOT_FOUND, "id", "no %s with id '%.60s'",
                     strcmp(prefix, "tkt") == 0   ? "ticket"
                     : strcmp(prefix, "cus") == 0 ? "customer"
                     : strcmp(prefix, "agt") == 0 ? "agent"
                     : strcmp(prefix, "key") == 0 ? "key"
                                                  : "object",
                     id ? id : "");
        return false;
    }
    *out = id;
    return true;
}

char *api_cursor_id(sd_arena *a, const char *last_id)
{
    if (last_id == NULL) {
        return NULL;
    }
    size_t n = strlen(last_id);
    char *out = sd_arena_alloc(a, sd_b64url_len(n) + 1);
    sd_b64url_encode(last_id, n, out);
    return out;
}

bool api_after_id(struct sd_req *req, struct sd_resp *resp, const char *prefix, const char **out)
{
    const char *c = sd_req_query(req, "cursor");
    *out = NULL;
    if (c == NULL || c[0] == '\0') {
        return true;
    }
    char raw[64];
    size_t n = 0;
    struct sd_err err = SD_ERR_INIT;
    if (sd_b64url_decode(c, strlen(c), raw, sizeof(raw) - 1, &n) != SD_OK ||
        (raw[n] = '\0', sd_validate_id("cursor", raw, prefix, &err) != SD_OK)) {
        sd_resp_fail(resp, SD_E_INVALID, "cursor",
                     "'cursor' is not one this list gave out; start again without it");
        return false;
    }
    *out = sd_arena_strdup(req->arena, raw);
    return true;
}

bool api_page_args(struct sd_req *req, struct sd_resp *resp, const char *prefix,
                   struct api_page *out)
{
    return api_limit(req, resp, &out->limit) && api_after_id(req, resp, prefix, &out->after) &&
           api_db(req, resp, &out->db);
}

void api_page_send(struct sd_req *req, struct sd_resp *resp, const struct api_page *pg,
                   const void *rows, size_t n, size_t row_size, json_t *(*render)(const void *))
{
    bool has_more = n > pg->limit;
    if (has_more) {
        n = pg->limit;
    }
    const char *base = rows;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        (void)json_array_append_new(items, render(base + i * row_size));
    }
    const char *last_id =
        n > 0 ? *(const char *const *)(const void *)(base + (n - 1) * row_size) : NULL;
    sd_resp_json(resp, 200, api_list(items, has_more ? api_cursor_id(req->arena, last_id) : NULL));
}

json_t *api_list(json_t *items, const char *next)
{
    json_t *o = json_object();
    (void)json_object_set_new(o, "data", items);
    (void)json_object_set_new(o, "next_cursor", api_jstr(next));
    return o;
}

json_t *api_jstr(const char *s)
{
    if (s == NULL) {
        return json_null();
    }
    json_t *j = json_string(s);
    return j ? j : json_null();
}

json_t *api_jtime(int64_t ms)
{
    if (ms == 0) {
        return json_null();
    }
    char buf[SD_TIME_ISO_LEN];
    sd_time_iso(ms, buf);
    return json_string(buf);
}

json_t *api_jraw(const char *s, bool is_array)
{
    json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    if (j == NULL || (is_array ? !json_is_array(j) : !json_is_object(j))) {
        json_decref(j);
        return is_array ? json_array() : json_object();
    }
    return j;
}

static void set(json_t *o, const char *k, json_t *v)
{
    (void)json_object_set_new(o, k, v);
}

json_t *api_ticket_json(const struct sd_ticket *t)
{
    json_t *o = json_object();
    set(o, "id", api_jstr(t->id));
    set(o, "subject", api_jstr(t->subject));
    set(o, "status", api_jstr(t->status));
    set(o, "channel", api_jstr(t->channel));
    set(o, "priority", api_jstr(t->priority));
    set(o, "category", api_jstr(t->category));
    set(o, "urgency", api_jstr(t->urgency));
    set(o, "product_area", api_jstr(t->product_area));
    set(o, "sentiment", api_jstr(t->sentiment));
    set(o, "assignee_id", api_jstr(t->assignee_id));
    set(o, "customer_id", api_jstr(t->customer_id));
    set(o, "context", api_jraw(t->context, false));
    set(o, "created_at", api_jtime(t->created_at));
    set(o, "updated_at", api_jtime(t->updated_at));
    set(o, "first_response_at", api_jtime(t->first_response_at));
    set(o, "resolved_at", api_jtime(t->resolved_at));
    set(o, "title", api_jstr(t->title));
    set(o, "summary", api_jstr(t->summary));
    set(o, "environment", api_jstr(t->environment));
    set(o, "triage", api_jraw(t->triage, false));
    set(o, "kb_matches", api_jraw(t->kb_matches, true));
    set(o, "deflection", api_jstr(t->deflection));
    set(o, "triaged_at", api_jtime(t->triaged_at));
    return o;
}

json_t *api_customer_json(const struct sd_customer *c)
{
    json_t *o = json_object();
    set(o, "id", api_jstr(c->id));
    set(o, "external_id", api_jstr(c->external_id));
    set(o, "email", api_jstr(c->email));
    set(o, "name", api_jstr(c->name));
    set(o, "plan", api_jstr(c->plan));
    set(o, "created_at", api_jtime(c->created_at));
    set(o, "updated_at", api_jtime(c->updated_at));
    return o;
}

json_t *api_agent_json(const struct sd_agent *a)
{
    json_t *o = json_object();
    set(o, "id", api_jstr(a->id));
    set(o, "email", api_jstr(a->email));
    set(o, "name", api_jstr(a->name));
    set(o, "role", api_jstr(a->role));
    set(o, "created_at", api_jtime(a->created_at));
    set(o, "updated_at", api_jtime(a->updated_at));
    return o;
}

json_t *api_message_json(const struct sd_message *m)
{
    json_t *o = json_object();
    set(o, "id", api_jstr(m->id));
    set(o, "ticket_id", api_jstr(m->ticket_id));
    set(o, "author_type", api_jstr(m->author_type));
    set(o, "author_id", api_jstr(m->author_id));
    set(o, "text", api_jstr(m->body));
    set(o, "internal", json_boolean(m->is_internal));
    set(o, "attachments", json_array());
    set(o, "created_at", api_jtime(m->created_at));
    return o;
}

json_t *api_activity_json(const struct sd_activity *ev)
{
    json_t *o = json_object();
    set(o, "id", api_jstr(ev->id));
    set(o, "ticket_id", api_jstr(ev->ticket_id));
    set(o, "actor_type", api_jstr(ev->actor_type));
    set(o, "actor_id", api_jstr(ev->actor_id));
    set(o, "action", api_jstr(ev->action));
    set(o, "detail", api_jraw(ev->detail, false));
    set(o, "created_at", api_jtime(ev->created_at));
    return o;
}

json_t *api_key_json(const struct sd_api_key *k)
{
    json_t *o = json_object();
    set(o, "id", api_jstr(k->id));
    set(o, "kind", api_jstr(k->kind));
    set(o, "name", api_jstr(k->name));
    set(o, "prefix", api_jstr(k->prefix));
    set(o, "created_at", api_jtime(k->created_at));
    set(o, "last_used_at", api_jtime(k->last_used_at));
    set(o, "revoked_at", api_jtime(k->revoked_at));
    return o;
}

/* "a,b" as ["a","b"] */
static json_t *csv_array(const char *csv)
{
    json_t *arr = json_array();
    const char *p = csv;
    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            (void)json_array_append_new(arr, json_stringn(p, n));
        }
        p += n;
        if (*p == ',') {
            p++;
        }
    }
    return arr;
}

json_t *api_workspace_json(struct sd_req *req, const struct sd_workspace *w)
{
    json_t *o = json_object();
    set(o, "id", api_jstr(w->id));
    set(o, "name", api_jstr(w->name));
    set(o, "allowed_origins", api_jraw(w->allowed_origins, true));
    struct sd_media_limits lim;
    sd_media_limits_read(w->settings, req->arena, &lim);
    json_t *m = json_object();
    set(m, "max_bytes", json_integer(lim.max_bytes));
    set(m, "max_duration_s", json_integer(lim.max_duration_ms / 1000));
    set(m, "upload_expiry_s", json_integer(lim.upload_expiry_ms / 1000));
    set(m, "keep_originals", json_boolean(lim.keep_originals));
    set(m, "types", csv_array(lim.types));
    set(m, "containers", csv_array(lim.containers));
    set(m, "video_codecs", csv_array(lim.video_codecs));
    set(m, "audio_codecs", csv_array(lim.audio_codecs));
    set(o, "media", m);
    json_t *settings = api_jraw(w->settings, false);
    json_t *vocab = json_object_get(json_object_get(settings, "speech"), "vocabulary");
    json_t *sp = json_object();
    set(sp, "vocabulary", json_is_array(vocab) ? json_incref(vocab) : json_array());
    set(o, "speech", sp);
    struct sd_triage_settings ts;
    sd_triage_settings_read(w->settings, req->arena, &ts);
    json_t *tr = json_object(), *th = json_object(), *areas = json_array();
    for (int f = 0; f < SD_TRI_N; f++) {
        set(th, sd_triage_field_names[f], json_real(ts.thresholds[f]));
    }
    for (const char *const *p = ts.areas; *p; p++) {
        (void)json_array_append_new(areas, json_string(*p));
    }
    set(tr, "thresholds", th);
    set(tr, "kb_threshold", json_real(ts.kb_threshold));
    set(tr, "product_areas", areas);
    set(tr, "retrain_hours", json_integer(ts.retrain_hours));
    set(o, "triage", tr);
    json_decref(settings);
    set(o, "created_at", api_jtime(w->created_at));
    set(o, "updated_at", api_jtime(w->updated_at));
    return o;
}

void api_actor(const struct sd_req *req, const char **type, const char **id)
{
    switch (req->auth.kind) {
    case SD_AUTH_SESSION:
        *type = "agent";
        *id = req->auth.agent_id;
        return;
    case SD_AUTH_SECRET_KEY:
        *type = "api_key";
        *id = req->auth.key_id;
        return;
    case SD_AUTH_PUBLISHABLE_KEY:
    case SD_AUTH_NONE:
        break;
    }
    *type = "customer";
    *id = NULL;
}

sd_status api_activity(struct sd_req *req, sd_db *db, const char *ticket_id, const char *action,
                       json_t *detail, struct sd_err *err)
{
    char id[SD_ID_MAX];
    sd_id_new("act", id);
    struct sd_activity ev = {.id = id,
                             .workspace_id = req->auth.workspace_id,
                             .ticket_id = ticket_id,
                             .action = action,
                             .created_at = sd_clock_wall_ms()};
    api_actor(req, &ev.actor_type, &ev.actor_id);
    if (detail == NULL) {
        detail = json_object();
    }
    char *text = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    ev.detail = text ? text : "{}";
    sd_status st = sd_store_activity_insert(db, &ev, err);
    free(text);
    return st;
}

#define ROW_RENDERER(name, type)                                                                   \
    json_t *api_##name##_row(const void *row)                                                      \
    {                                                                                              \
        return api_##name##_json((const type *)row);                                               \
    }

ROW_RENDERER(customer, struct sd_customer)
ROW_RENDERER(agent, struct sd_agent)
ROW_RENDERER(message, struct sd_message)
ROW_RENDERER(activity, struct sd_activity)
ROW_RENDERER(key, struct sd_api_key)
