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
