/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the parts of the tus 1.0 resumable upload protocol that are pure
 * parsing and policy, apart from the HTTP handlers (api/uploads.c) so that
 * they can be tested and fuzzed alone.
 *
 *  - Upload-Metadata: "key base64,key base64,key" (tus 1.0 "creation");
 *    keys are unique, non-empty, ASCII without spaces or commas; values are
 *    standard base64 and may be absent.
 *  - Upload-Offset / Upload-Length: non-negative decimal integers, no sign,
 *    no spaces, at most 2^53 so that they survive JSON and every database.
 *  - Upload-Checksum: "<algorithm> <base64 digest>" (tus "checksum"); sha1
 *    is the one algorithm served.
 *  - Media limits of a workspace: bytes, duration, content types, and
 *    whether originals are kept, read from the workspace's settings JSON with
 *    the defaults of a small installation.
 *
 * Pure, MT safe; strings come from and go to the caller's arena.
 */
#ifndef SD_DOMAIN_TUS_H
#define SD_DOMAIN_TUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "blob/blob.h"

#define SD_TUS_VERSION    "1.0.0"
#define SD_TUS_EXTENSIONS "creation,creation-with-upload,termination,checksum,expiration"
#define SD_TUS_CHECKSUMS  "sha1"
#define SD_TUS_NUMBER_MAX (INT64_C(1) << 53)
#define SD_TUS_META_MAX   32 /* pairs */
#define SD_TUS_SHA1_BYTES 20

struct sd_tus_meta {
    const char *key;
    const char *value; /* decoded, NUL-terminated; NULL when the key has no value */
    size_t value_len;
};

/**
 * Parses an Upload-Metadata header into at most SD_TUS_META_MAX pairs.
 * SD_E_BAD_REQUEST naming the fault (empty or duplicate key, bad base64).
 */
SD_MUST_CHECK sd_status sd_tus_metadata_parse(const char *header, sd_arena *a,
                                              struct sd_tus_meta *out, size_t *n_out,
                                              struct sd_err *err);
/** The value of @key among @n pairs, or NULL. */
const char *sd_tus_meta_get(const struct sd_tus_meta *m, size_t n, const char *key);

/** Parses Upload-Offset or Upload-Length (named @field in the error). */
SD_MUST_CHECK sd_status sd_tus_number(const char *field, const char *s, int64_t *out,
                                      struct sd_err *err);

/**
 * Parses an Upload-Checksum header. SD_E_UNSUPPORTED for an algorithm other
 * than sha1, SD_E_BAD_REQUEST for a malformed value.
 */
SD_MUST_CHECK sd_status sd_tus_checksum_parse(const char *header,
                                              unsigned char sha1[SD_TUS_SHA1_BYTES],
                                              struct sd_err *err);

/* What a workspace accepts; see sd_media_limits_read for the defaults. */
struct sd_media_limits {
    int64_t max_bytes;        /* one upload */
    int64_t max_duration_ms;  /* one recording */
    int64_t upload_expiry_ms; /* an incomplete upload lives this long after its last write */
    bool keep_originals;      /* keep the uploaded file after the transcode */
    const char
        *types; /* comma-separated content types, "video/any" style wildcards (a star) allowed */
    const char *containers;   /* comma-separated probe names: "webm,matroska,mp4,mov" */
    const char *video_codecs; /* "vp8,vp9,h264,av1" */
    const char *audio_codecs; /* "opus,aac,vorbis,mp3" */
};

/**
 * Reads the "media" object of a workspace's settings JSON (nullable or
 * without it: every default): max_bytes (500 MB), max_duration_s (180),
 * upload_expiry_s (86400), keep_originals (false), types, containers, video_codecs, audio_codecs.
 */
void sd_media_limits_read(const char *settings_json, sd_arena *a, struct sd_media_limits *out);

/* Blob objects of a media: "<id>-<what>", @what one of orig (the upload),
 * mp4, poster, sprite, vtt, pcm, captions (speech). */
#define SD_MEDIA_BLOB_NAME 64
void sd_media_blob_name(char out[SD_MEDIA_BLOB_NAME], const char *media_id, const char *what);
/** Deletes every blob object of a media; absent ones are fine, others are logged. */
void sd_media_delete_blobs(sd_blob *blob, const char *media_id);

/** True when @value (case-insensitive, parameters after ';' ignored) is in the list @csv. */
bool sd_media_listed(const char *csv, const char *value);

#endif
