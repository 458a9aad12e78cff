/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: media as the API shows it (/api/v1/media/{id}) and the blob
 * objects that belong to one media row.
 *
 * A media object reports its state (uploading, uploaded, processing, ready,
 * failed), processing progress, the reason of a failure, what the probe
 * found, and, once ready, signed URLs of the playable video, the poster, the
 * thumbnail sprite and its WebVTT track. The URLs expire (URL_TTL_S) and are
 * bound to the object: they can be handed to a <video> element as they are.
 */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "domain/tus.h"
#include "base/banned.h"

json_t *api_media_json(struct sd_req *req, const struct sd_media *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(m->id));
    json_object_set_new(o, "state", json_string(m->state));
    json_object_set_new(o, "progress", json_integer(m->progress));
    json_object_set_new(o, "failure", api_jstr(m->failure));
    json_object_set_new(o, "filename", api_jstr(m->filename));
    json_object_set_new(o, "content_type", api_jstr(m->content_type));
    json_object_set_new(o, "upload_length", json_integer(m->upload_length));
    json_object_set_new(o, "upload_offset", json_integer(m->upload_offset));
    json_object_set_new(o, "upload_expires_at", api_jtime(m->expires_at));
    json_object_set_new(o, "duration_ms",
                        m->duration_ms ? json_integer(m->duration_ms) : json_null());
    json_object_set_new(o, "size_bytes", m->size_bytes ? json_integer(m->size_bytes) : json_null());
    json_object_set_new(o, "info", api_jraw(m->info, false));
    json_object_set_new(o, "message_id", api_jstr(m->message_id));
    json_object_set_new(o, "created_at", api_jtime(m->created_at));
    json_object_set_new(o, "updated_at", api_jtime(m->updated_at));
    json_t *urls = json_null();
    if (strcmp(m->state, "ready") == 0) {
        urls = api_media_urls(req, m);
    }
    json_object_set_new(o, "urls", urls);
    const char *ts = m->transcript_state ? m->transcript_state : "none";
    json_object_set_new(o, "transcript",
                        json_pack("{s:s, s:I, s:o}", "state", ts, "progress",
                                  (json_int_t)m->transcript_progress, "failure",
                                  api_jstr(m->transcript_failure)));
    return o;
}

void sd_api_media_get(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_media m;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "md", &id) || !api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_media_get(db, req->arena, req->auth.workspace_id, id, &m, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_media_json(req, &m));
}

/* GET /api/v1/media/{id}/transcript: the words with their times, as stored. */
void sd_api_media_transcript(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_media m;
    struct sd_transcript_row t;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "md", &id) || !api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_media_get(db, req->arena, req->auth.workspace_id, id, &m, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_status st = sd_store_transcript_get(db, req->arena, req->auth.workspace_id, id, &t, &err);
    if (st == SD_E_NOT_FOUND) {
        const char *ts = m.transcript_state ? m.transcript_state : "none";
        sd_resp_fail(resp, SD_E_NOT_FOUND, "id",
                     strcmp(ts, "failed") == 0
                         ? "media '%.60s' has no transcript: the recognition failed (see "
                           "transcript.failure of the media)"
                         : "media '%.60s' has no transcript yet (transcript.state of the media "
                           "says where it stands)",
                     id);
        return;
    }
    if (st != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    json_t *o = api_jraw(t.body, false);
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    (void)json_object_set_new(o, "media_id", json_string(t.media_id));
    (void)json_object_set_new(o, "created_at", api_jtime(t.created_at));
    sd_resp_json(resp, 200, o);
}
