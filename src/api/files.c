/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the files of a processed media, served to browsers
 * (GET /media/{id}/{file}?exp=&sig=): video.mp4, poster.jpg, sprite.jpg,
 * thumbnails.vtt. The signature (domain/signed.c) is the credential, so a
 * <video> or <img> element can use the URL as it is; it names one file of
 * one media and expires (URL_TTL_S after the API handed it out).
 *
 * Files are immutable once the media is ready, so the ETag is the object's
 * name and size, and responses may be cached privately until the URL
 * expires. Range requests get 206 with Content-Range, an unsatisfiable one
 * 416 with "bytes * /size", If-None-Match 304 and If-Range falls back to the
 * whole file when the validator changed. Plain objects (encrypt_media =
 * false) go out with sendfile; sealed ones are decrypted as the bytes go out,
 * through one sd_blob_reader per response that decrypts only the 64 KiB
 * chunks the range touches, so memory does not grow with the range.
 *
 * The WebVTT thumbnails track points at the sprite by a relative name; it
 * is rewritten on the way out into the sprite's signed URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/rand.h"
#include "domain/signed.h"
#include "domain/tus.h"
#include "http/range.h"
#include "base/banned.h"

#define URL_TTL_S ((int64_t)6 * 3600)
#define VTT_MAX   (256u << 10)

struct file_kind {
    const char *file; /* in the URL */
    const char *blob; /* sd_media_blob_name's what */
    const char *type;
};

static const struct file_kind kinds[] = {
    {"video.mp4", "mp4", "video/mp4"},
    {"poster.jpg", "poster", "image/jpeg"},
    {"sprite.jpg", "sprite", "image/jpeg"},
    {"thumbnails.vtt", "vtt", "text/vtt; charset=utf-8"},
    {"captions.vtt", "captions", "text/vtt; charset=utf-8"},
};

/* "/media/<id>/<file>?exp=…&sig=…" in the arena. */
static const char *signed_path(struct sd_req *req, const char *id, const char *file, int64_t exp)
{
    char object[SD_ID_MAX + 32];
    char q[SD_SIGNED_QUERY_MAX];
    (void)snprintf(object, sizeof(object), "%s/%s", id, file);
    sd_signed_make(req->app->url_key, object, exp, q);
    size_t n = strlen(object) + strlen(q) + 16;
    char *out = sd_arena_alloc(req->arena, n);
    (void)snprintf(out, n, "/media/%s?%s", object, q);
    return out;
}

json_t *api_media_urls(struct sd_req *req, const struct sd_media *m)
{
    int64_t exp = sd_clock_wall_ms() / 1000 + URL_TTL_S;
    json_t *o = json_object();
    (void)json_object_set_new(o, "video", json_string(signed_path(req, m->id, "video.mp4", exp)));
    json_t *info = api_jraw(m->info, false);
    bool has_pictures =
        json_is_string(json_object_get(json_object_get(info, "source"), "video_codec"));
    json_decref(info);
    if (has_pictures) {
        (void)json_object_set_new(o, "poster",
                                  json_string(signed_path(req, m->id, "poster.jpg", exp)));
        (void)json_object_set_new(o, "sprite",
                                  json_string(signed_path(req, m->id, "sprite.jpg", exp)));
        (void)json_object_set_new(o, "thumbnails",
                                  json_string(signed_path(req, m->id, "thumbnails.vtt", exp)));
    }
    if (m->transcript_state != NULL && strcmp(m->transcript_state, "ready") == 0) {
        (void)json_object_set_new(o, "captions",
                                  json_string(signed_path(req, m->id, "captions.vtt", exp)));
    }
    (void)json_object_set_new(o, "expires_at", api_jtime(exp * 1000));
    return o;
}

struct reader {
    sd_blob_reader *r;
    uint64_t off;
};

static long read_blob(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct reader *rd = cls;
    size_t got = 0;
    struct sd_err err = SD_ERR_INIT;
    if (sd_blob_reader_read(rd->r, rd->off + pos, buf, max, &got, &err) != SD_OK || got == 0) {
        return -1;
    }
    return (long)got;
}

static void reader_free(void *cls)
{
    struct reader *rd = cls;
    sd_blob_reader_close(rd->r);
    free(rd);
}

static void forbidden(struct sd_resp *resp, enum sd_signed_result why)
{
    sd_resp_fail(resp, SD_E_FORBIDDEN, NULL, "%s",
                 why == SD_SIGNED_EXPIRED
                     ? "this media link has expired; reload the page for a fresh one"
                     : "this media link is not valid (its signature does not match)");
}

/* The thumbnails track with the sprite's signed URL in each cue. */
static void send_vtt(struct sd_req *req, struct sd_resp *resp, const char *id, const char *name,
                     uint64_t size, int64_t exp)
{
    if (size > VTT_MAX) {
        sd_resp_fail(resp, SD_E_INTERNAL, NULL, "the thumbnails track is too large");
        return;
    }
    char *text = sd_arena_alloc(req->arena, size + 1);
    size_t got = 0;
    struct sd_err err = SD_ERR_INIT;
    if (sd_blob_read(req->app->blob, name, 0, text, size, &got, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    text[got] = '\0';
    const char *sprite = signed_path(req, id, "sprite.jpg", exp);
    static const char ref[] = "sprite.jpg#";
    struct sd_buf out = SD_BUF_INIT((size_t)VTT_MAX * 4);
    const char *p = text;
    bool ok = true;
    for (const char *hit; ok && (hit = strstr(p, ref)) != NULL; p = hit + sizeof(ref) - 1) {
        ok = sd_buf_append(&out, p, (size_t)(hit - p)) == SD_OK &&
             sd_buf_puts(&out, sprite) == SD_OK && sd_buf_puts(&out, "#") == SD_OK;
    }
    ok = ok && sd_buf_puts(&out, p) == SD_OK;
    if (!ok) {
        sd_buf_release(&out);
        sd_resp_fail(resp, SD_E_INTERNAL, NULL, "the thumbnails track is too large");
        return;
    }
    sd_resp_text(resp, 200, "text/vtt; charset=utf-8", sd_buf_cstr(&out));
    sd_buf_release(&out);
}

void sd_api_media_file(struct sd_req *req, struct sd_resp *resp)
{
    const char *id = sd_req_param(req, "id");
    const char *file = sd_req_param(req, "file");
    const struct file_kind *k = NULL;
    for (size_t i = 0; i < SD_ARRAY_LEN(kinds); i++) {
        if (strcmp(kinds[i].file, file) == 0) {
            k = &kinds[i];
        }
    }
    char object[SD_ID_MAX + 32];
    if (strlen(id) >= SD_ID_MAX || strlen(file) > 20) {
        sd_resp_fail(resp, SD_E_NOT_FOUND, NULL, "no such media file");
        return;
    }
    (void)snprintf(object, sizeof(object), "%s/%s", id, file);
    int64_t now_s = sd_clock_wall_ms() / 1000;
    const char *exp = sd_req_query(req, "exp");
    enum sd_signed_result sr =
        sd_signed_check(req->app->url_key, object, exp, sd_req_query(req, "sig"), now_s);
    if (sr != SD_SIGNED_OK) {
        forbidden(resp, sr);
        return;
    }
    if (k == NULL || strncmp(id, "md_", 3) != 0) {
        sd_resp_fail(resp, SD_E_NOT_FOUND, NULL, "no such media file '%s'", file);
        return;
    }
    char name[SD_MEDIA_BLOB_NAME];
    sd_media_blob_name(name, id, k->blob);
    struct sd_err err = SD_ERR_INIT;
    int64_t exp_s = strtoll(exp, NULL, 10);
    if (strcmp(k->blob, "vtt") == 0) {
        struct sd_blob_info vi;
        if (sd_blob_stat(req->app->blob, name, &vi, &err) != SD_OK || !vi.is_complete) {
            sd_resp_fail(resp, SD_E_NOT_FOUND, NULL, "media '%.60s' has no %s (yet)", id, file);
            return;
        }
        send_vtt(req, resp, id, name, vi.size, exp_s);
        sd_resp_header(resp, "Cache-Control", "private, no-cache");
        return;
    }
    sd_blob_reader *br = NULL;
    if (sd_blob_reader_open(req->app->blob, name, &br, &err) != SD_OK) {
        sd_resp_fail(resp, SD_E_NOT_FOUND, NULL, "media '%.60s' has no %s (yet)", id, file);
        return;
    }
    struct sd_blob_info info = *sd_blob_reader_info(br);
    char *etag = sd_arena_strdup(req->arena, info.etag);
    char *modified = sd_arena_alloc(req->arena, SD_HTTP_DATE_LEN);
    sd_http_date(info.mtime_s, modified);
    char *cache = sd_arena_alloc(req->arena, 48);
    int64_t left = exp_s - now_s;
    (void)snprintf(cache, 48, "private, max-age=%lld", (long long)(left > 0 ? left : 0));
    sd_resp_header(resp, "Accept-Ranges", "bytes");
    sd_resp_header(resp, "ETag", etag);
    sd_resp_header(resp, "Last-Modified", modified);
    sd_resp_header(resp, "Cache-Control", cache);
    resp->content_type = k->type;
    if (sd_etag_none_match(sd_req_header(req, "If-None-Match"), etag)) {
        sd_blob_reader_close(br);
        sd_resp_text(resp, 304, NULL, "");
        resp->content_type = NULL;
        return;
    }
    struct sd_range r = {0, info.size};
    int status = 200;
    if (sd_if_range_holds(sd_req_header(req, "If-Range"), etag, info.mtime_s)) {
        switch (sd_range_parse(sd_req_header(req, "Range"), info.size, &r)) {
        case SD_RANGE_NONE:
            r = (struct sd_range){0, info.size};
            break;
        case SD_RANGE_OK: {
            status = 206;
            char *cr = sd_arena_alloc(req->arena, 80);
            sd_range_content_range(&r, info.size, cr, 80);
            sd_resp_header(resp, "Content-Range", cr);
            break;
        }
        case SD_RANGE_UNSATISFIABLE: {
            char *cr = sd_arena_alloc(req->arena, 48);
            (void)snprintf(cr, 48, "bytes */%llu", (unsigned long long)info.size);
            sd_blob_reader_close(br);
            sd_resp_fail(resp, SD_E_INVALID, "Range",
                         "the range asked starts past the end of the file (%llu bytes)",
                         (unsigned long long)info.size);
            resp->status = 416;
            sd_resp_header(resp, "Content-Range", cr);
            return;
        }
        }
    }
    if (r.length == 0) {
        sd_blob_reader_close(br);
        sd_resp_text(resp, status, k->type, "");
        return;
    }
    if (!info.is_sealed) {
        /* Plain bytes on disk: the kernel sends them (sendfile). */
        sd_blob_reader_close(br);
        int fd = -1;
        uint64_t size = 0;
        if (sd_blob_open_plain_fd(req->app->blob, name, &fd, &size, &err) != SD_OK ||
            size != info.size) {
            if (fd >= 0) {
                (void)close(fd);
            }
            sd_resp_fail(resp, SD_E_NOT_FOUND, NULL, "media '%.60s' has no %s (yet)", id, file);
            return;
        }
        sd_resp_file(resp, status, fd, r.start, r.length);
        resp->content_type = k->type;
        return;
    }
    struct reader *rd = malloc(sizeof(*rd));
    if (rd == NULL) {
        sd_blob_reader_close(br);
        sd_resp_fail(resp, SD_E_INTERNAL, NULL, "out of memory");
        return;
    }
    rd->r = br;
    rd->off = r.start;
    sd_resp_reader(resp, status, r.length, read_blob, rd, reader_free);
    resp->content_type = k->type;
}
