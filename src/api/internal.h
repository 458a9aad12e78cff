/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: what the handlers of src/api/ share, and nothing outside uses.
 *
 * A handler parses and checks its input (a schema table, json.h), calls
 * domain rules and the store, and renders. These helpers keep that to a few
 * lines each: each api_* that returns bool has, on false, already written the
 * error to the response, so a handler just returns. Request thread only.
 *
 * JSON shapes: ids as strings, timestamps as RFC 3339 UTC strings (null when
 * unset), lists as {"data": [...], "next_cursor": "…" | null}.
 */
#ifndef SD_API_INTERNAL_H
#define SD_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "http/http.h"
#include "http/json.h"
#include "store/store.h"

#define SD_API_PAGE_DEFAULT 25
#define SD_API_PAGE_MAX     100

/** The request's connection, or false after writing the error. */
bool api_db(struct sd_req *req, struct sd_resp *resp, sd_db **db);
/** Parses and checks the body against @schema; caller owns *@out. */
bool api_body(struct sd_req *req, struct sd_resp *resp, const struct sd_json_schema *schema,
              json_t **out);
/** Writes @err (a failed store or domain call) and returns false. */
bool api_fail(struct sd_resp *resp, const struct sd_err *err);
/** The "limit" query argument (1..100, default 25), or false after the error. */
bool api_limit(struct sd_req *req, struct sd_resp *resp, size_t *out);
/** The path parameter "id" checked to be an id with @prefix. */
bool api_id(struct sd_req *req, struct sd_resp *resp, const char *prefix, const char **out);
/** Opaque "after id" cursor of simple lists: encode and decode (nullable: no cursor). */
char *api_cursor_id(sd_arena *a, const char *last_id);
bool api_after_id(struct sd_req *req, struct sd_resp *resp, const char *prefix, const char **out);
/* The inputs of a list handler: page size, cursor, and the connection. */
struct api_page {
    size_t limit;
    const char *after; /* nullable: the id the page starts after */
    sd_db *db;
};

/** Reads "limit" and "cursor" (ids with @prefix) and takes the connection. */
bool api_page_args(struct sd_req *req, struct sd_resp *resp, const char *prefix,
                   struct api_page *out);
/**
 * Answers a page of @n rows of @row_size bytes, fetched with limit + 1 so an
 * extra row tells that more follow. Rows are model structs, whose first
 * field is the id; @render makes one row's JSON.
 */
void api_page_send(struct sd_req *req, struct sd_resp *resp, const struct api_page *pg,
                   const void *rows, size_t n, size_t row_size, json_t *(*render)(const void *));

/** {"data": @items, "next_cursor": @next (nullable)}; takes ownership of @items. */
json_t *api_list(json_t *items, const char *next);

/* JSON values; all return new references. */
json_t *api_jstr(const char *s); /* null for NULL */
json_t *api_jtime(int64_t ms);   /* null for 0 */
/** The JSON text @s (stored JSON) parsed back, or null/{} for NULL or garbage. */
json_t *api_jraw(const char *s, bool is_array);

/* Renderers shared between resources. */
json_t *api_ticket_json(const struct sd_ticket *t);
json_t *api_customer_json(const struct sd_customer *c);
json_t *api_agent_json(const struct sd_agent *a);
json_t *api_message_json(const struct sd_message *m);
json_t *api_activity_json(const struct sd_activity *ev);
/** A help article with its body rendered to safe HTML (body_html). */
json_t *api_kb_json(const struct sd_kb_article *k);
json_t *api_key_json(const struct sd_api_key *k);
json_t *api_workspace_json(struct sd_req *req, const struct sd_workspace *w);

/* The renderers above for one row of a page (api_page_send). */
json_t *api_customer_row(const void *row);
json_t *api_agent_row(const void *row);
json_t *api_message_row(const void *row);
json_t *api_activity_row(const void *row);
json_t *api_key_row(const void *row);

/** Who did it, for activity rows: ("agent", id), ("api_key", id) or ("customer", NULL). */
void api_actor(const struct sd_req *req, const char **type, const char **id);

/**
 * Appends an activity row for @ticket_id with @detail (takes ownership,
 * nullable). Failure is returned, so it can abort the surrounding transaction.
 */
SD_MUST_CHECK sd_status api_activity(struct sd_req *req, sd_db *db, const char *ticket_id,
                                     const char *action, json_t *detail, struct sd_err *err);

/* Media (media.c, uploads.c, files.c). */
json_t *api_media_json(struct sd_req *req, const struct sd_media *m);
/** {"video","poster","sprite","thumbnails"}: signed URLs of a ready media. */
json_t *api_media_urls(struct sd_req *req, const struct sd_media *m);
void sd_api_media_transcript(struct sd_req *req, struct sd_resp *resp);
void sd_api_search(struct sd_req *req, struct sd_resp *resp);

/* Handlers, one group per file. */
void sd_api_healthz(struct sd_req *req, struct sd_resp *resp);
void sd_api_readyz(struct sd_req *req, struct sd_resp *resp);
void sd_api_metrics(struct sd_req *req, struct sd_resp *resp);
void sd_api_login(struct sd_req *req, struct sd_resp *resp);
void sd_api_logout(struct sd_req *req, struct sd_resp *resp);
void sd_api_me(struct sd_req *req, struct sd_resp *resp);
void sd_api_workspace_get(struct sd_req *req, struct sd_resp *resp);
void sd_api_workspace_update(struct sd_req *req, struct sd_resp *resp);
void sd_api_agents_list(struct sd_req *req, struct sd_resp *resp);
void sd_api_agents_create(struct sd_req *req, struct sd_resp *resp);
void sd_api_agents_get(struct sd_req *req, struct sd_resp *resp);
void sd_api_agents_update(struct sd_req *req, struct sd_resp *resp);
void sd_api_agents_delete(struct sd_req *req, struct sd_resp *resp);
void sd_api_customers_list(struct sd_req *req, struct sd_resp *resp);
void sd_api_customers_create(struct sd_req *req, struct sd_resp *resp);
void sd_api_customers_get(struct sd_req *req, struct sd_resp *resp);
void sd_api_customers_update(struct sd_req *req, struct sd_resp *resp);
void sd_api_customers_delete(struct sd_req *req, struct sd_resp *resp);
void sd_api_keys_list(struct sd_req *req, struct sd_resp *resp);
void sd_api_keys_create(struct sd_req *req, struct sd_resp *resp);
void sd_api_keys_revoke(struct sd_req *req, struct sd_resp *resp);
void sd_api_tickets_list(struct sd_req *req, struct sd_resp *resp);
void sd_api_tickets_create(struct sd_req *req, struct sd_resp *resp);
void sd_api_tickets_get(struct sd_req *req, struct sd_resp *resp);
void sd_api_tickets_update(struct sd_req *req, struct sd_resp *resp);
void sd_api_tickets_delete(struct sd_req *req, struct sd_resp *resp);
void sd_api_tickets_deflection(struct sd_req *req, struct sd_resp *resp);
void sd_api_kb_list(struct sd_req *req, struct sd_resp *resp);
void sd_api_kb_create(struct sd_req *req, struct sd_resp *resp);
void sd_api_kb_get(struct sd_req *req, struct sd_resp *resp);
void sd_api_kb_update(struct sd_req *req, struct sd_resp *resp);
void sd_api_kb_delete(struct sd_req *req, struct sd_resp *resp);
void sd_api_kb_search(struct sd_req *req, struct sd_resp *resp);
void sd_api_triage_accuracy(struct sd_req *req, struct sd_resp *resp);
void sd_api_triage_train(struct sd_req *req, struct sd_resp *resp);
void sd_api_messages_list(struct sd_req *req, struct sd_resp *resp);
void sd_api_messages_create(struct sd_req *req, struct sd_resp *resp);
void sd_api_activity_list(struct sd_req *req, struct sd_resp *resp);
void sd_api_uploads_options(struct sd_req *req, struct sd_resp *resp);
void sd_api_uploads_create(struct sd_req *req, struct sd_resp *resp, enum sd_stream_event ev,
                           const char *data, size_t len);
void sd_api_uploads_patch(struct sd_req *req, struct sd_resp *resp, enum sd_stream_event ev,
                          const char *data, size_t len);
void sd_api_uploads_head(struct sd_req *req, struct sd_resp *resp);
void sd_api_uploads_delete(struct sd_req *req, struct sd_resp *resp);
void sd_api_media_get(struct sd_req *req, struct sd_resp *resp);
void sd_api_media_file(struct sd_req *req, struct sd_resp *resp);

#endif
