/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: building responses. Every error leaves the server as
 * {"error":{"code","message","field"}} with the status its code maps to, so a
 * client can act on it without parsing prose. Request thread only.
 */
#include "http/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/banned.h"

static void drop_stream(struct sd_resp *resp)
{
    if (resp->has_file) {
        (void)close(resp->file_fd);
        resp->has_file = false;
    }
    if (resp->reader_free != NULL) {
        resp->reader_free(resp->reader_cls);
    }
    resp->reader = NULL;
    resp->reader_free = NULL;
    resp->reader_cls = NULL;
}

int sd_http_status_for(sd_status code)
{
    switch (code) {
    case SD_OK:
        return 200;
    case SD_E_INVALID:
        return 422;
    case SD_E_NOT_FOUND:
        return 404;
    case SD_E_CONFLICT:
        return 409;
    case SD_E_TOO_LARGE:
        return 413;
    case SD_E_AUTH:
        return 401;
    case SD_E_FORBIDDEN:
        return 403;
    case SD_E_RATE:
        return 429;
    case SD_E_AGAIN:
        return 503;
    case SD_E_UNSUPPORTED:
        return 415;
    case SD_E_BAD_REQUEST:
        return 400;
    case SD_E_IO:
    case SD_E_DB:
    case SD_E_MEDIA:
    case SD_E_INTERNAL:
    case SD_E__COUNT:
        break;
    }
    return 500;
}

void sd_resp_header(struct sd_resp *resp, const char *name, const char *value)
{
    SD_ASSERT(resp->n_headers < SD_ARRAY_LEN(resp->headers));
    resp->headers[resp->n_headers].name = name;
    resp->headers[resp->n_headers].value = value;
    resp->n_headers++;
}

void sd_resp_json(struct sd_resp *resp, int status, json_t *json)
{
    drop_stream(resp);
    resp->status = status;
    resp->content_type = "application/json";
    sd_buf_reset(&resp->body);
    char *text = json ? json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (sd_buf_puts(&resp->body, text ? text : "null") != SD_OK) {
        sd_buf_reset(&resp->body);
        resp->status = 500;
        sd_status st = sd_buf_puts(&resp->body, "{\"error\":{\"code\":\"internal\","
                                                "\"message\":\"response too large\"}}");
        (void)st; /* a short constant always fits */
    }
    free(text);
    json_decref(json);
}

void sd_resp_error(struct sd_resp *resp, const struct sd_err *err)
{
    int status = sd_http_status_for(err->code);
    json_t *e = json_object();
    (void)json_object_set_new(e, "code", json_string(sd_status_name(err->code)));
    /* Messages of internal failures may carry engine text; keep them in the
     * log and give the client a stable sentence. */
    if (status >= 500 && status != 503) {
        sd_log(SD_LOG_ERROR, "http.internal_error", "code=%s msg=\"%s\"", sd_status_name(err->code),
               err->msg);
        (void)json_object_set_new(e, "message",
                                  json_string("internal error; the server log has the detail"));
    } else {
        json_t *m = json_string(err->msg[0] ? err->msg : sd_status_name(err->code));
        (void)json_object_set_new(e, "message", m ? m : json_string("invalid message"));
    }
    if (err->field[0] != '\0') {
        json_t *f = json_string(err->field);
        (void)json_object_set_new(e, "field", f ? f : json_string("?"));
    }
    json_t *root = json_object();
    (void)json_object_set_new(root, "error", e);
    sd_resp_json(resp, status, root);
}

void sd_resp_fail(struct sd_resp *resp, sd_status code, const char *field, const char *fmt, ...)
{
    struct sd_err err = SD_ERR_INIT;
    err.code = code;
    if (field != NULL) {
        (void)snprintf(err.field, sizeof(err.field), "%s", field);
    }
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
    va_end(ap);
    sd_resp_error(resp, &err);
}

void sd_resp_file(struct sd_resp *resp, int status, int fd, uint64_t off, uint64_t len)
{
    drop_stream(resp);
    sd_buf_reset(&resp->body);
    resp->status = status;
    resp->file_fd = fd;
    resp->has_file = true;
    resp->file_off = off;
    resp->stream_len = len;
}

void sd_resp_reader(struct sd_resp *resp, int status, uint64_t len, sd_body_read_fn fn, void *cls,
                    void (*free_fn)(void *cls))
{
    drop_stream(resp);
    sd_buf_reset(&resp->body);
    resp->status = status;
    resp->reader = fn;
    resp->reader_cls = cls;
    resp->reader_free = free_fn;
    resp->stream_len = len;
}

void sd_resp_release(struct sd_resp *resp)
{
    drop_stream(resp);
    sd_buf_release(&resp->body);
}

void sd_resp_text(struct sd_resp *resp, int status, const char *content_type, const char *text)
{
    drop_stream(resp);
    resp->status = status;
    resp->content_type = content_type;
    sd_buf_reset(&resp->body);
    if (sd_buf_puts(&resp->body, text) != SD_OK) {
        resp->status = 500;
    }
}
