/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: GET /api/v1/search?q=&limit= — full-text search of the
 * workspace's ticket subjects, messages and what was said in recordings
 * (store.h, sd_store_search), best first.
 *
 * Each hit says where it is (ticket, message, media) and, for speech, the
 * time of the segment, so that a click can seek the video there. The
 * snippet is HTML-safe: the text is escaped and only the matched words are
 * wrapped in <mark>…</mark>, so a page can insert it as HTML. Internal
 * notes are found only by agents (a session), not by API keys.
 */
#include <string.h>

#include "api/internal.h"
#include "base/str.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "base/banned.h"

#define Q_MAX 200

/* @s (matches between \x02 and \x03) as HTML with <mark> around the matches. */
static const char *snippet_html(sd_arena *a, const char *s)
{
    struct sd_buf b = SD_BUF_INIT(16384);
    for (const char *c = s; *c != '\0'; c++) {
        const char *rep = *c == '\x02'   ? "<mark>"
                          : *c == '\x03' ? "</mark>"
                          : *c == '\n'   ? " "
                                         : sd_html_escape_char(*c);
        sd_status st = rep ? sd_buf_puts(&b, rep) : sd_buf_append(&b, c, 1);
        if (st != SD_OK) {
            break; /* cut at the buffer's cap: a snippet is short */
        }
    }
    const char *out = sd_arena_strdup(a, sd_buf_cstr(&b));
    sd_buf_release(&b);
    return out;
}

void sd_api_search(struct sd_req *req, struct sd_resp *resp)
{
    const char *q = sd_req_query(req, "q");
    size_t limit = 0;
    sd_db *db;
    if (q == NULL || q[0] == '\0') {
        sd_resp_fail(resp, SD_E_INVALID, "q", "'q' is required: the words to look for");
        return;
    }
    size_t n = strlen(q);
    if (n > Q_MAX || !sd_utf8_valid(q, n) || sd_utf8_has_controls(q, n)) {
        sd_resp_fail(resp, SD_E_INVALID, "q", "'q' must be text of at most %d characters", Q_MAX);
        return;
    }
    if (!api_limit(req, resp, &limit) || !api_db(req, resp, &db)) {
        return;
    }
    struct sd_search_hit *hits = NULL;
    size_t got = 0;
    struct sd_err err = SD_ERR_INIT;
    bool internal = req->auth.kind == SD_AUTH_SESSION;
    if (sd_store_search(db, req->arena, req->auth.workspace_id, q, internal, limit, &hits, &got,
                        &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < got; i++) {
        const struct sd_search_hit *h = &hits[i];
        json_t *o = json_object();
        (void)json_object_set_new(o, "kind", json_string(h->kind));
        (void)json_object_set_new(o, "ticket_id", api_jstr(h->ticket_id));
        (void)json_object_set_new(o, "message_id", api_jstr(h->message_id));
        (void)json_object_set_new(o, "media_id", api_jstr(h->media_id));
        (void)json_object_set_new(o, "start_ms",
                                  h->start_ms >= 0 ? json_integer(h->start_ms) : json_null());
        (void)json_object_set_new(o, "end_ms",
                                  h->end_ms >= 0 ? json_integer(h->end_ms) : json_null());
        (void)json_object_set_new(o, "snippet", json_string(snippet_html(req->arena, h->snippet)));
        (void)json_object_set_new(o, "created_at", api_jtime(h->created_at));
        (void)json_array_append_new(items, o);
    }
    json_t *body = api_list(items, NULL);
    (void)json_object_set_new(body, "query", json_string(q));
    sd_resp_json(resp, 200, body);
}
