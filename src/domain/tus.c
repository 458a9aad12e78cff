/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* tus header parsing and media limits; see tus.h. */
#include "domain/tus.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "base/log.h"
#include "base/banned.h"

static bool key_char(char c)
{
    return c > ' ' && c < 0x7f && c != ',';
}

sd_status sd_tus_metadata_parse(const char *header, sd_arena *a, struct sd_tus_meta *out,
                                size_t *n_out, struct sd_err *err)
{
    *n_out = 0;
    if (header == NULL) {
        return SD_OK;
    }
    const char *p = header;
    size_t n = 0;
    while (*p != '\0') {
        while (*p == ' ') {
            p++;
        }
        const char *k = p;
        while (key_char(*p)) {
            p++;
        }
        size_t klen = (size_t)(p - k);
        if (klen == 0) {
            return sd_err_set(err, SD_E_BAD_REQUEST, "Upload-Metadata",
                              "Upload-Metadata has an empty key; send \"key base64value\" pairs "
                              "separated by commas");
        }
        if (n == SD_TUS_META_MAX) {
            return sd_err_set(err, SD_E_BAD_REQUEST, "Upload-Metadata",
                              "Upload-Metadata has more than %d pairs", SD_TUS_META_MAX);
        }
        const char *key = sd_arena_strndup(a, k, klen);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(out[i].key, key) == 0) {
                return sd_err_set(err, SD_E_BAD_REQUEST, "Upload-Metadata",
                                  "Upload-Metadata has the key '%.40s' twice", key);
            }
        }
        const char *value = NULL;
        size_t vlen = 0;
        if (*p == ' ') {
            while (*p == ' ') {
                p++;
            }
            const char *v = p;
            while (*p != '\0' && *p != ',' && *p != ' ') {
                p++;
            }
            size_t b64len = (size_t)(p - v);
            char *dec = sd_arena_alloc(a, b64len + 1);
            if (b64len > 0 && sodium_base642bin((unsigned char *)dec, b64len, v, b64len, NULL,
                                                &vlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
                return sd_err_set(err, SD_E_BAD_REQUEST, "Upload-Metadata",
                                  "the value of '%.40s' in Upload-Metadata is not base64", key);
            }
            dec[vlen] = '\0';
            value = dec;
            while (*p == ' ') {
                p++;
            }
        }
        if (*p != '\0' && *p != ',') {
            return sd_err_set(err, SD_E_BAD_REQUEST, "Upload-Metadata",
                              "Upload-Metadata is malformed after the key '%.40s'", key);
        }
        out[n++] = (struct sd_tus_meta){key, value, vlen};
        if (*p == ',') {
            p++;
            if (*p == '\0') {
                return sd_err_set(err, SD_E_BAD_REQUEST, "Upload-Metadata",
                                  "Upload-Metadata ends with a comma");
            }
        }
    }
    *n_out = n;
    return SD_OK;
}

const char *sd_tus_meta_get(const struct sd_tus_meta *m, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(m[i].key, key) == 0) {
            return m[i].value;
        }
    }
    return NULL;
}

sd_status sd_tus_number(const char *field, const char *s, int64_t *out, struct sd_err *err)
{
    if (s == NULL || s[0] == '\0') {
        return sd_err_set(err, SD_E_BAD_REQUEST, field, "the %s header is missing", field);
    }
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > SD_TUS_NUMBER_MAX / 10) {
            return sd_err_set(err, SD_E_BAD_REQUEST, field,
                              "%s must be a whole number of bytes from 0 to 2^53, not '%.30s'",
                              field, s);
        }
        v = v * 10 + (*p - '0');
    }
    if (v > SD_TUS_NUMBER_MAX) {
        return sd_err_set(err, SD_E_BAD_REQUEST, field, "%s is over 2^53", field);
    }
    *out = v;
    return SD_OK;
}

sd_status sd_tus_checksum_parse(const char *header, unsigned char sha1[SD_TUS_SHA1_BYTES],
                                struct sd_err *err)
{
    const char *sp = header ? strchr(header, ' ') : NULL;
    if (sp == NULL || sp == header) {
        return sd_err_set(err, SD_E_BAD_REQUEST, "Upload-Checksum",
                          "Upload-Checksum must be \"sha1 <base64 digest>\"");
    }
    size_t alen = (size_t)(sp - header);
    if (alen != 4 || strncasecmp(header, "sha1", 4) != 0) {
        return sd_err_set(err, SD_E_UNSUPPORTED, "Upload-Checksum",
                          "checksum algorithm '%.*s' is not supported; use sha1",
                          (int)(alen > 20 ? 20 : alen), header);
    }
    const char *v = sp + 1;
    size_t vlen = strlen(v);
    size_t got = 0;
    unsigned char tmp[SD_TUS_SHA1_BYTES + 4];
    if (sodium_base642bin(tmp, sizeof(tmp), v, vlen, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != SD_TUS_SHA1_BYTES) {
        return sd_err_set(err, SD_E_BAD_REQUEST, "Upload-Checksum",
                          "the sha1 digest in Upload-Checksum must be 20 bytes in base64");
    }
    memcpy(sha1, tmp, SD_TUS_SHA1_BYTES);
    return SD_OK;
}

static const char *str_or(json_t *o, const char *key, const char *dflt, sd_arena *a)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v)) {
        return sd_arena_strdup(a, json_string_value(v));
    }
    if (json_is_array(v)) {
        /* ["webm", "mp4"] is the same as "webm,mp4". */
        size_t cap = 1;
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it)
        {
            if (json_is_string(it)) {
                cap += strlen(json_string_value(it)) + 1;
            }
        }
        char *out = sd_arena_alloc(a, cap);
        out[0] = '\0';
        size_t len = 0;
        json_array_foreach(v, i, it)
        {
            if (json_is_string(it)) {
                size_t n = strlen(json_string_value(it));
                if (len > 0) {
                    out[len++] = ',';
                }
                memcpy(out + len, json_string_value(it), n);
                len += n;
                out[len] = '\0';
            }
        }
        return out;
    }
    return dflt;
}

void sd_media_limits_read(const char *settings_json, sd_arena *a, struct sd_media_limits *out)
{
    *out = (struct sd_media_limits){
        .max_bytes = INT64_C(500) * 1000 * 1000,
        .max_duration_ms = INT64_C(180) * 1000,
        .upload_expiry_ms = INT64_C(86400) * 1000,
        .keep_originals = false,
        .types = "video/webm,video/mp4,video/quicktime,video/x-matroska,audio/webm,audio/mp4,"
                 "audio/ogg,audio/mpeg",
        .containers = "webm,matroska,mp4,mov,m4a,ogg,mp3",
        .video_codecs = "vp8,vp9,h264,av1,hevc",
        .audio_codecs = "opus,aac,vorbis,mp3",
    };
    json_t *root = settings_json ? json_loads(settings_json, 0, NULL) : NULL;
    json_t *m = json_object_get(root, "media");
    if (json_is_object(m)) {
        json_t *v = json_object_get(m, "max_bytes");
        if (json_is_integer(v) && json_integer_value(v) > 0) {
            out->max_bytes = json_integer_value(v);
        }
        v = json_object_get(m, "max_duration_s");
        if (json_is_integer(v) && json_integer_value(v) > 0 &&
            json_integer_value(v) < INT64_C(1) << 40) {
            out->max_duration_ms = json_integer_value(v) * 1000;
        }
        v = json_object_get(m, "upload_expiry_s");
        if (json_is_integer(v) && json_integer_value(v) > 0 &&
            json_integer_value(v) < INT64_C(1) << 40) {
            out->upload_expiry_ms = json_integer_value(v) * 1000;
        }
        v = json_object_get(m, "keep_originals");
        if (json_is_boolean(v)) {
            out->keep_originals = json_is_true(v);
        }
        out->types = str_or(m, "types", out->types, a);
        out->containers = str_or(m, "containers", out->containers, a);
        out->video_codecs = str_or(m, "video_codecs", out->video_codecs, a);
        out->audio_codecs = str_or(m, "audio_codecs", out->audio_codecs, a);
    }
    json_decref(root);
}

bool sd_media_listed(const char *csv, const char *value)
{
    if (csv == NULL || value == NULL) {
        return false;
    }
    size_t vlen = strcspn(value, "; ");
    const char *slash = memchr(value, '/', vlen);
    const char *p = csv;
    while (*p != '\0') {
        while (*p == ' ') {
            p++;
        }
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && p[m - 1] == ' ') {
            m--;
        }
        if (m == vlen && strncasecmp(p, value, vlen) == 0) {
            return true;
        }
        /* "video/" and a star take every subtype of video. */
        if (slash != NULL && m >= 2 && p[m - 1] == '*' && p[m - 2] == '/' &&
            (size_t)(slash - value) == m - 2 && strncasecmp(p, value, m - 2) == 0) {
            return true;
        }
        p += n;
        if (*p == ',') {
            p++;
        }
    }
    return false;
}

void sd_media_blob_name(char out[SD_MEDIA_BLOB_NAME], const char *media_id, const char *what)
{
    (void)snprintf(out, SD_MEDIA_BLOB_NAME, "%s-%s", media_id, what);
}

void sd_media_delete_blobs(sd_blob *blob, const char *media_id)
{
    static const char *const what[] = {"orig", "mp4", "poster", "sprite", "vtt", "pcm", "captions"};
    for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
        char name[SD_MEDIA_BLOB_NAME];
        struct sd_err err = SD_ERR_INIT;
        sd_media_blob_name(name, media_id, what[i]);
        if (sd_blob_delete(blob, name, &err) != SD_OK && err.code != SD_E_NOT_FOUND) {
            sd_log(SD_LOG_WARN, "media.delete_failed", "blob=%s error=\"%s\"", name, err.msg);
        }
    }
}
