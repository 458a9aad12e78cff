/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: resumable uploads, tus 1.0 (/api/v1/uploads), with the creation,
 * creation-with-upload, termination, checksum (sha1) and expiration
 * extensions, so that tus-js-client and Uppy work unchanged.
 *
 * An upload is a media row (store: media, state "uploading") and a blob
 * object "<id>-orig". Bodies stream (http.h: streaming routes) straight into
 * the blob writer, one 64 KiB chunk in memory whatever the size.
 *
 * Durability: the blob is synced before the row's upload_offset moves, so
 * the row never counts a byte the disk may not have. A long PATCH syncs every
 * SYNC_EVERY bytes, so a server killed mid-upload keeps what it had synced;
 * a resumed writer starts at the row's offset and drops any later bytes of
 * the object (those were never acknowledged). A PATCH with Upload-Checksum
 * is all or nothing: nothing of it counts until the digest matched.
 *
 * One writer per upload: a PATCH holds the upload in this process's busy
 * set, and the blob writer itself is exclusive across processes; a second
 * concurrent PATCH gets 409. The offset also moves only from the value the
 * PATCH started at (sd_store_media_advance), so a lost race cannot go
 * unnoticed.
 *
 * When the last byte is in, the blob is finished, the row becomes
 * "uploaded" and a media.process job is enqueued in the same transaction.
 * Incomplete uploads expire (Upload-Expires, 24 h after the last write) and
 * the uploads.expire job removes them.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <nettle/sha1.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/rand.h"
#include "domain/tus.h"
#include "http/auth.h"
#include "jobs/pool.h"
#include "base/banned.h"

#define SYNC_EVERY (INT64_C(8) << 20)
#define OCTETS     "application/offset+octet-stream"
#define BUSY_MAX   1024

/* Uploads with a PATCH or DELETE in progress in this process. */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static char busy[BUSY_MAX][SD_ID_MAX];

static bool busy_take(const char *id)
{
    bool ok = false;
    (void)pthread_mutex_lock(&busy_lock);
    int free_slot = -1;
    bool taken = false;
    for (int i = 0; i < BUSY_MAX; i++) {
        if (busy[i][0] == '\0') {
            if (free_slot < 0) {
                free_slot = i;
            }
        } else if (strcmp(busy[i], id) == 0) {
            taken = true;
            break;
        }
    }
    if (!taken && free_slot >= 0) {
        (void)snprintf(busy[free_slot], SD_ID_MAX, "%s", id);
        ok = true;
    }
    (void)pthread_mutex_unlock(&busy_lock);
    return ok;
}

static void busy_give(const char *id)
{
    (void)pthread_mutex_lock(&busy_lock);
    for (int i = 0; i < BUSY_MAX; i++) {
        if (strcmp(busy[i], id) == 0) {
            busy[i][0] = '\0';
            break;
        }
    }
    (void)pthread_mutex_unlock(&busy_lock);
}

/* Content-Type application/offset+octet-stream, with or without parameters. */
static bool is_octets(const char *ct)
{
    if (ct == NULL || strncasecmp(ct, OCTETS, sizeof(OCTETS) - 1) != 0) {
        return false;
    }
    char next = ct[sizeof(OCTETS) - 1];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

/* "Wed, 25 Jun 2014 16:00:00 GMT" */
static const char *http_date(sd_arena *a, int64_t ms)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char *out = sd_arena_alloc(a, 64);
    if (gmtime_r(&t, &tm) == NULL) {
        return "Thu, 01 Jan 1970 00:00:00 GMT";
    }
    (void)snprintf(out, 64, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                   months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return out;
}

static const char *num(sd_arena *a, int64_t v)
{
    char *out = sd_arena_alloc(a, 24);
    (void)snprintf(out, 24, "%lld", (long long)v);
    return out;
}

/* Headers every tus answer carries, and what a browser may read of them. */
static void tus_headers(struct sd_req *req, struct sd_resp *resp)
{
    sd_resp_header(resp, "Tus-Resumable", SD_TUS_VERSION);
    if (sd_req_header(req, "Origin") != NULL) {
        sd_resp_header(resp, "Access-Control-Expose-Headers",
                       "Location, Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires, "
                       "Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, "
                       "Tus-Checksum-Algorithm, X-Request-Id");
    }
}

static void tus_fail(struct sd_req *req, struct sd_resp *resp, int status, sd_status code,
                     const char *field, const char *msg)
{
    sd_resp_fail(resp, code, field, "%s", msg);
    resp->status = status;
    tus_headers(req, resp);
}

/* Tus-Resumable must name the version we speak (tus 1.0: 412 otherwise). */
static bool tus_version_ok(struct sd_req *req, struct sd_resp *resp)
{
    const char *v = sd_req_header(req, "Tus-Resumable");
    if (v != NULL && strcmp(v, SD_TUS_VERSION) == 0) {
        return true;
    }
    tus_fail(req, resp, 412, SD_E_INVALID, "Tus-Resumable",
             "send 'Tus-Resumable: 1.0.0': this server speaks tus 1.0.0");
    sd_resp_header(resp, "Tus-Version", SD_TUS_VERSION);
    return false;
}

static struct sd_media_limits limits_of(struct sd_req *req, sd_db *db)
{
    struct sd_media_limits lim;
    struct sd_workspace ws = {0};
    struct sd_err err = SD_ERR_INIT;
    const char *settings = NULL;
    if (sd_store_workspace_get(db, req->arena, req->auth.workspace_id, &ws, &err) == SD_OK) {
        settings = ws.settings;
    }
    sd_media_limits_read(settings, req->arena, &lim);
    return lim;
}

/* ---- OPTIONS: discovery ------------------------------------------------- */

void sd_api_uploads_options(struct sd_req *req, struct sd_resp *resp)
{
    if (sd_req_header(req, "Access-Control-Request-Method") != NULL) {
        sd_auth_preflight(req, resp);
        return;
    }
    resp->status = 204;
    resp->content_type = NULL;
    sd_resp_header(resp, "Tus-Resumable", SD_TUS_VERSION);
    sd_resp_header(resp, "Tus-Version", SD_TUS_VERSION);
    sd_resp_header(resp, "Tus-Extension", SD_TUS_EXTENSIONS);
    sd_resp_header(resp, "Tus-Checksum-Algorithm", SD_TUS_CHECKSUMS);
}

/* ---- the streaming part shared by POST (creation-with-upload) and PATCH -- */

struct upload {
    struct sd_media m;
    sd_blob_writer *w;
    int64_t start;   /* the offset this request began at */
    int64_t written; /* bytes of this request in the writer */
    int64_t synced;  /* the offset the row holds */
    bool has_sum;
    bool is_held; /* in the busy set */
    unsigned char want[SD_TUS_SHA1_BYTES];
    struct sha1_ctx sha;
    bool is_create;
    int64_t expiry_ms; /* the workspace's upload_expiry */
};

static void upload_release(struct upload *u)
{
    sd_blob_writer_close(u->w);
    u->w = NULL;
    if (u->is_held) {
        busy_give(u->m.id);
        u->is_held = false;
    }
}

/* Syncs the writer and moves the row's offset to what is written. */
static sd_status persist(struct sd_req *req, struct upload *u, struct sd_err *err)
{
    int64_t to = u->start + u->written;
    if (to == u->synced) {
        return SD_OK;
    }
    sd_db *db = NULL;
    sd_status st = sd_blob_sync(u->w, err);
    if (st == SD_OK) {
        st = sd_req_db(req, &db, err);
    }
    if (st == SD_OK) {
        int64_t now = sd_clock_wall_ms();
        st = sd_store_media_advance(db, u->m.workspace_id, u->m.id, u->synced, to,
                                    now + u->expiry_ms, now, err);
        if (st == SD_OK) {
            u->synced = to;
            u->m.upload_offset = to;
            u->m.expires_at = now + u->expiry_ms;
        }
    }
    /* A body takes as long as the client sends: no connection held meanwhile. */
    sd_req_db_release(req);
    return st;
}

/* The last byte is in: finish the object, hand it to processing. */
static sd_status complete(struct sd_req *req, struct upload *u, struct sd_err *err)
{
    sd_db *db = NULL;
    sd_status st = sd_blob_finish(u->w, err);
    if (st == SD_OK) {
        st = sd_req_db(req, &db, err);
    }
    if (st != SD_OK) {
        return st;
    }
    st = sd_store_begin(db, err);
    if (st != SD_OK) {
        return st;
    }
    struct sd_media m = u->m;
    m.state = "uploaded";
    m.upload_offset = m.upload_length;
    m.expires_at = 0;
    m.updated_at = sd_clock_wall_ms();
    st = sd_store_media_update(db, &m, err);
    if (st == SD_OK) {
        char key[SD_ID_MAX + 16];
        (void)snprintf(key, sizeof(key), "media.process:%s", m.id);
        char payload[SD_ID_MAX + 16];
        (void)snprintf(payload, sizeof(payload), "{\"media_id\":\"%s\"}", m.id);
        st = sd_job_enqueue(db, "media.process", m.workspace_id, key, payload, 3, NULL, err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, err);
    }
    if (st != SD_OK) {
        sd_store_rollback(db);
        return st;
    }
    u->m = m;
    u->synced = m.upload_length;
    if (req->app->wake != NULL) {
        req->app->wake(req->app->wake_cls);
    }
    sd_log(SD_LOG_INFO, "upload.complete", "media=%s ws=%s bytes=%lld", m.id, m.workspace_id,
           (long long)m.upload_length);
    return SD_OK;
}

/* Checks the body framing and the checksum header of a request with data. */
static bool body_headers(struct sd_req *req, struct sd_resp *resp, struct upload *u)
{
    const char *cl = sd_req_header(req, "Content-Length");
    if (cl != NULL) {
        int64_t n = 0;
        struct sd_err err = SD_ERR_INIT;
        if (sd_tus_number("Content-Length", cl, &n, &err) != SD_OK) {
            tus_fail(req, resp, 400, SD_E_BAD_REQUEST, "Content-Length", err.msg);
            return false;
        }
        if (u->start + n > u->m.upload_length) {
            char msg[200];
            (void)snprintf(msg, sizeof(msg),
                           "the body of %lld bytes at offset %lld goes past Upload-Length %lld",
                           (long long)n, (long long)u->start, (long long)u->m.upload_length);
            tus_fail(req, resp, 413, SD_E_TOO_LARGE, "Content-Length", msg);
            return false;
        }
    }
    const char *sum = sd_req_header(req, "Upload-Checksum");
    if (sum != NULL) {
        struct sd_err err = SD_ERR_INIT;
        sd_status st = sd_tus_checksum_parse(sum, u->want, &err);
        if (st != SD_OK) {
            tus_fail(req, resp, 400, st, "Upload-Checksum", err.msg);
            return false;
        }
        u->has_sum = true;
        sha1_init(&u->sha);
    }
    return true;
}

static void storage_fail(struct sd_req *req, struct sd_resp *resp, struct upload *u,
                         const struct sd_err *err)
{
    sd_log(SD_LOG_WARN, "upload.store_failed", "media=%s error=\"%s\"", u->m.id, err->msg);
    if (err->code != SD_E_IO) {
        char msg[600];
        (void)snprintf(msg, sizeof(msg), "could not store the upload (%s)", err->msg);
        tus_fail(req, resp, err->code == SD_E_CONFLICT ? 409 : sd_http_status_for(err->code),
                 err->code, NULL, msg);
        return;
    }
    /* The storage refused: say so in words a person can act on, without the
     * server's paths (they are in the log). */
    bool is_full =
        strstr(err->msg, "disk is full") != NULL || strstr(err->msg, "file size limit") != NULL;
    char msg[300];
    (void)snprintf(msg, sizeof(msg), "%s; the upload keeps its first %lld bytes: resume it later",
                   is_full ? "the server's disk is full" : "the server could not store the bytes",
                   (long long)u->synced);
    json_t *e = json_pack("{s:{s:s, s:s}}", "error", "code",
                          is_full ? "storage_full" : "storage_error", "message", msg);
    sd_resp_json(resp, 507, e);
    tus_headers(req, resp);
}

static void on_data(struct sd_req *req, struct sd_resp *resp, struct upload *u, const char *data,
                    size_t len)
{
    if (u->start + u->written + (int64_t)len > u->m.upload_length) {
        tus_fail(req, resp, 413, SD_E_TOO_LARGE, NULL,
                 "the body goes past Upload-Length; nothing of this request was kept after the "
                 "last synced offset");
        return;
    }
    struct sd_err err = SD_ERR_INIT;
    if (sd_blob_write(u->w, data, len, &err) != SD_OK) {
        storage_fail(req, resp, u, &err);
        return;
    }
    if (u->has_sum) {
        sha1_update(&u->sha, len, (const uint8_t *)data);
    }
    u->written += (int64_t)len;
    if (!u->has_sum && u->start + u->written - u->synced >= SYNC_EVERY &&
        persist(req, u, &err) != SD_OK) {
        storage_fail(req, resp, u, &err);
    }
}

static void on_end(struct sd_req *req, struct sd_resp *resp, struct upload *u)
{
    struct sd_err err = SD_ERR_INIT;
    if (u->has_sum) {
        uint8_t got[SD_TUS_SHA1_BYTES];
        sha1_digest(&u->sha, sizeof(got), got);
        if (memcmp(got, u->want, sizeof(got)) != 0) {
            /* The writer is dropped unsynced; the next resume starts at the
             * row's offset and cuts these bytes off. */
            tus_fail(req, resp, 460, SD_E_INVALID, "Upload-Checksum",
                     "the body does not match Upload-Checksum; nothing of it was kept, send it "
                     "again");
            return;
        }
    }
    sd_status st = persist(req, u, &err);
    if (st == SD_OK && u->synced == u->m.upload_length) {
        st = complete(req, u, &err);
    }
    if (st != SD_OK) {
        storage_fail(req, resp, u, &err);
        return;
    }
    resp->status = u->is_create ? 201 : 204;
    resp->content_type = NULL;
    tus_headers(req, resp);
    sd_resp_header(resp, "Upload-Offset", num(req->arena, u->synced));
    if (u->m.expires_at != 0) {
        sd_resp_header(resp, "Upload-Expires", http_date(req->arena, u->m.expires_at));
    }
    if (u->is_create) {
        char *loc = sd_arena_alloc(req->arena, 64);
        (void)snprintf(loc, 64, "/api/v1/uploads/%s", u->m.id);
        sd_resp_header(resp, "Location", loc);
    }
}

static void stream_common(struct sd_req *req, struct sd_resp *resp, enum sd_stream_event ev,
                          const char *data, size_t len)
{
    struct upload *u = req->user;
    if (u == NULL) {
        return;
    }
    switch (ev) {
    case SD_STREAM_BEGIN:
        break;
    case SD_STREAM_DATA:
        /* The connection taken for the headers (key, row) goes back while bytes arrive. */
        sd_req_db_release(req);
        on_data(req, resp, u, data, len);
        return;
    case SD_STREAM_END:
        if (resp->status == 0) {
            on_end(req, resp, u);
        }
        upload_release(u);
        if (u->is_create && resp->status >= 400) {
            /* A creation that failed in its body gave the client no
             * Location: nobody could resume it, so it goes now. */
            sd_db *db = NULL;
            struct sd_err err = SD_ERR_INIT;
            if (sd_req_db(req, &db, &err) != SD_OK ||
                (sd_store_media_delete(db, u->m.workspace_id, u->m.id, &err) != SD_OK &&
                 err.code != SD_E_NOT_FOUND)) {
                sd_log(SD_LOG_WARN, "upload.drop_failed", "media=%s error=\"%s\"", u->m.id,
                       err.msg);
            } else {
                sd_media_delete_blobs(req->app->blob, u->m.id);
            }
        }
        return;
    case SD_STREAM_ABORT: {
        /* The client went away: keep what arrived, unless it had to match a
         * checksum. */
        struct sd_err err = SD_ERR_INIT;
        if (!u->has_sum && resp->status == 0 && persist(req, u, &err) != SD_OK) {
            sd_log(SD_LOG_WARN, "upload.persist_failed", "media=%s error=\"%s\"", u->m.id, err.msg);
        }
        upload_release(u);
        return;
    }
    }
}

/* ---- POST: creation (and creation-with-upload) ---------------------------- */

void sd_api_uploads_create(struct sd_req *req, struct sd_resp *resp, enum sd_stream_event ev,
                           const char *data, size_t len)
{
    if (ev != SD_STREAM_BEGIN) {
        stream_common(req, resp, ev, data, len);
        return;
    }
    if (!tus_version_ok(req, resp)) {
        return;
    }
    struct sd_err err = SD_ERR_INIT;
    int64_t length = 0;
    if (sd_req_header(req, "Upload-Defer-Length") != NULL) {
        tus_fail(req, resp, 400, SD_E_BAD_REQUEST, "Upload-Defer-Length",
                 "uploads of unknown length are not supported; send Upload-Length");
        return;
    }
    if (sd_tus_number("Upload-Length", sd_req_header(req, "Upload-Length"), &length, &err) !=
        SD_OK) {
        tus_fail(req, resp, 400, SD_E_BAD_REQUEST, "Upload-Length", err.msg);
        return;
    }
    struct sd_tus_meta meta[SD_TUS_META_MAX];
    size_t n_meta = 0;
    const char *raw_meta = sd_req_header(req, "Upload-Metadata");
    if (sd_tus_metadata_parse(raw_meta, req->arena, meta, &n_meta, &err) != SD_OK) {
        tus_fail(req, resp, 400, SD_E_BAD_REQUEST, "Upload-Metadata", err.msg);
        return;
    }
    const char *filename = sd_tus_meta_get(meta, n_meta, "filename");
    if (filename == NULL) {
        filename = sd_tus_meta_get(meta, n_meta, "name");
    }
    const char *type = sd_tus_meta_get(meta, n_meta, "filetype");
    if (type == NULL) {
        type = sd_tus_meta_get(meta, n_meta, "type");
    }
    if (type == NULL) {
        type = sd_tus_meta_get(meta, n_meta, "contentType");
    }
    sd_db *db;
    if (!api_db(req, resp, &db)) {
        tus_headers(req, resp);
        return;
    }
    struct sd_media_limits lim = limits_of(req, db);
    if (length > lim.max_bytes) {
        char msg[200];
        (void)snprintf(msg, sizeof(msg),
                       "the file is %lld bytes; this workspace takes uploads of up to %lld bytes",
                       (long long)length, (long long)lim.max_bytes);
        tus_fail(req, resp, 413, SD_E_TOO_LARGE, "Upload-Length", msg);
        sd_resp_header(resp, "Tus-Max-Size", num(req->arena, lim.max_bytes));
        return;
    }
    if (length == 0) {
        tus_fail(req, resp, 422, SD_E_INVALID, "Upload-Length",
                 "the file is empty (0 bytes): there is nothing to upload");
        return;
    }
    if (type != NULL && !sd_media_listed(lim.types, type)) {
        char msg[400];
        (void)snprintf(msg, sizeof(msg),
                       "files of type '%.60s' are not taken here; send one of: %.200s", type,
                       lim.types);
        tus_fail(req, resp, 415, SD_E_UNSUPPORTED, "Upload-Metadata", msg);
        return;
    }
    if ((filename != NULL && strlen(filename) > 255) || (type != NULL && strlen(type) > 100) ||
        (raw_meta != NULL && strlen(raw_meta) > 4000)) {
        tus_fail(req, resp, 400, SD_E_BAD_REQUEST, "Upload-Metadata",
                 "Upload-Metadata is too long (filename up to 255 bytes, filetype up to 100)");
        return;
    }

    struct upload *u = sd_arena_alloc(req->arena, sizeof(*u));
    memset(u, 0, sizeof(*u));
    char *id = sd_arena_alloc(req->arena, SD_ID_MAX);
    char tok[32];
    sd_rand_token(16, tok);
    (void)snprintf(id, SD_ID_MAX, "md_%s", tok);
    int64_t now = sd_clock_wall_ms();
    u->m = (struct sd_media){
        .id = id,
        .workspace_id = req->auth.workspace_id,
        .created_at = now,
        .creator_type = req->auth.kind == SD_AUTH_SESSION ? "agent" : "key",
        .creator_id = req->auth.kind == SD_AUTH_SESSION ? req->auth.agent_id : req->auth.key_id,
        .filename = filename,
        .content_type = type,
        .metadata = raw_meta ? raw_meta : "",
        .upload_length = length,
        .state = "uploading",
        .info = "{}",
        .expires_at = now + lim.upload_expiry_ms,
        .updated_at = now,
    };
    u->is_create = true;
    u->expiry_ms = lim.upload_expiry_ms;
    const char *ct = sd_req_header(req, "Content-Type");
    bool has_body = is_octets(ct);
    if (has_body && !body_headers(req, resp, u)) {
        return;
    }
    char name[SD_MEDIA_BLOB_NAME];
    sd_media_blob_name(name, id, "orig");
    if (sd_blob_create(req->app->blob, name, &u->w, &err) != SD_OK) {
        storage_fail(req, resp, u, &err);
        return;
    }
    if (sd_store_media_insert(db, &u->m, &err) != SD_OK) {
        sd_blob_writer_close(u->w);
        sd_media_delete_blobs(req->app->blob, id);
        api_fail(resp, &err);
        tus_headers(req, resp);
        return;
    }
    u->is_held = busy_take(id);
    req->user = u;
    sd_log(SD_LOG_INFO, "upload.created", "media=%s ws=%s length=%lld", id, u->m.workspace_id,
           (long long)length);
}

/* ---- PATCH: append ------------------------------------------------------- */

/* The upload named by the path, of the caller's workspace, or false after the error. */
static bool load(struct sd_req *req, struct sd_resp *resp, sd_db **db, struct sd_media *m)
{
    const char *id;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "md", &id) || !api_db(req, resp, db)) {
        tus_headers(req, resp);
        return false;
    }
    if (sd_store_media_get(*db, req->arena, req->auth.workspace_id, id, m, &err) != SD_OK) {
        if (err.code == SD_E_NOT_FOUND) {
            sd_resp_fail(resp, SD_E_NOT_FOUND, "id", "no upload with id '%.60s'", id);
        } else {
            api_fail(resp, &err);
        }
        tus_headers(req, resp);
        return false;
    }
    return true;
}

void sd_api_uploads_patch(struct sd_req *req, struct sd_resp *resp, enum sd_stream_event ev,
                          const char *data, size_t len)
{
    if (ev != SD_STREAM_BEGIN) {
        stream_common(req, resp, ev, data, len);
        return;
    }
    if (!tus_version_ok(req, resp)) {
        return;
    }
    const char *ct = sd_req_header(req, "Content-Type");
    if (!is_octets(ct)) {
        tus_fail(req, resp, 415, SD_E_UNSUPPORTED, "Content-Type",
                 "send the bytes with 'Content-Type: application/offset+octet-stream'");
        return;
    }
    struct sd_err err = SD_ERR_INIT;
    int64_t offset = 0;
    if (sd_tus_number("Upload-Offset", sd_req_header(req, "Upload-Offset"), &offset, &err) !=
        SD_OK) {
        tus_fail(req, resp, 400, SD_E_BAD_REQUEST, "Upload-Offset", err.msg);
        return;
    }
    sd_db *db;
    struct upload *u = sd_arena_alloc(req->arena, sizeof(*u));
    memset(u, 0, sizeof(*u));
    if (!load(req, resp, &db, &u->m)) {
        return;
    }
    int64_t now = sd_clock_wall_ms();
    if (strcmp(u->m.state, "uploading") != 0) {
        tus_fail(req, resp, 409, SD_E_CONFLICT, "Upload-Offset",
                 "the upload is complete; it takes no more bytes");
        return;
    }
    if (u->m.expires_at != 0 && u->m.expires_at < now) {
        tus_fail(req, resp, 410, SD_E_NOT_FOUND, NULL,
                 "the upload expired without progress; start a new upload");
        return;
    }
    u->expiry_ms = limits_of(req, db).upload_expiry_ms;
    if (offset != u->m.upload_offset) {
        char msg[200];
        (void)snprintf(msg, sizeof(msg),
                       "Upload-Offset is %lld but the upload is at %lld; ask with HEAD and "
                       "continue from there",
                       (long long)offset, (long long)u->m.upload_offset);
        tus_fail(req, resp, 409, SD_E_CONFLICT, "Upload-Offset", msg);
        sd_resp_header(resp, "Upload-Offset", num(req->arena, u->m.upload_offset));
        return;
    }
    u->start = offset;
    u->synced = offset;
    if (!body_headers(req, resp, u)) {
        return;
    }
    if (!busy_take(u->m.id)) {
        tus_fail(req, resp, 409, SD_E_CONFLICT, NULL,
                 "another request is writing to this upload; wait for it to end, then ask "
                 "with HEAD where to continue");
        return;
    }
    u->is_held = true;
    char name[SD_MEDIA_BLOB_NAME];
    sd_media_blob_name(name, u->m.id, "orig");
    uint64_t have = 0;
    if (sd_blob_resume(req->app->blob, name, &u->w, &have, &err) != SD_OK ||
        sd_blob_writer_truncate(u->w, (uint64_t)offset, &err) != SD_OK) {
        upload_release(u);
        storage_fail(req, resp, u, &err);
        return;
    }
    req->user = u;
}

/* ---- HEAD / GET: where an upload stands ------------------------------------ */

void sd_api_uploads_head(struct sd_req *req, struct sd_resp *resp)
{
    sd_db *db;
    struct sd_media m;
    if (!load(req, resp, &db, &m)) {
        return;
    }
    tus_headers(req, resp);
    sd_resp_header(resp, "Upload-Offset", num(req->arena, m.upload_offset));
    sd_resp_header(resp, "Upload-Length", num(req->arena, m.upload_length));
    if (m.metadata[0] != '\0') {
        sd_resp_header(resp, "Upload-Metadata", m.metadata);
    }
    if (m.expires_at != 0) {
        sd_resp_header(resp, "Upload-Expires", http_date(req->arena, m.expires_at));
    }
    sd_resp_json(resp, 200, api_media_json(req, &m));
}

/* ---- DELETE: termination --------------------------------------------------- */

void sd_api_uploads_delete(struct sd_req *req, struct sd_resp *resp)
{
    sd_db *db;
    struct sd_media m;
    struct sd_err err = SD_ERR_INIT;
    if (!tus_version_ok(req, resp) || !load(req, resp, &db, &m)) {
        return;
    }
    if (m.message_id != NULL) {
        tus_fail(req, resp, 409, SD_E_CONFLICT, NULL,
                 "this media is attached to a message; delete the ticket instead");
        return;
    }
    if (!busy_take(m.id)) {
        tus_fail(req, resp, 409, SD_E_CONFLICT, NULL,
                 "a request is writing to this upload; terminate it after that request ends");
        return;
    }
    sd_status st = sd_store_media_delete(db, m.workspace_id, m.id, &err);
    if (st == SD_OK) {
        sd_media_delete_blobs(req->app->blob, m.id);
    }
    busy_give(m.id);
    if (st != SD_OK) {
        api_fail(resp, &err);
        tus_headers(req, resp);
        return;
    }
    resp->status = 204;
    resp->content_type = NULL;
    tus_headers(req, resp);
}
