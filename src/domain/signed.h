/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: signed URLs for media. A URL names an object ("md_…/video.mp4")
 * and carries "exp=<unix seconds>&sig=<base64url HMAC-SHA256>" over
 * "v1\n<object>\n<exp>" with a key of its own (derived from the master key
 * by the serve command). The signature binds the object and the expiry, so
 * a URL opens one object until one moment and nothing else; checks compare
 * in constant time. Pure, MT safe.
 */
#ifndef SD_DOMAIN_SIGNED_H
#define SD_DOMAIN_SIGNED_H

#include <stddef.h>
#include <stdint.h>

#define SD_SIGNED_KEY_BYTES 32
#define SD_SIGNED_QUERY_MAX 80 /* "exp=" + 20 digits + "&sig=" + 43 + NUL */

enum sd_signed_result { SD_SIGNED_OK, SD_SIGNED_EXPIRED, SD_SIGNED_BAD };

/** Writes "exp=…&sig=…" for @object until @expires_s into @out. */
void sd_signed_make(const unsigned char key[SD_SIGNED_KEY_BYTES], const char *object,
                    int64_t expires_s, char out[SD_SIGNED_QUERY_MAX]);

/** Checks @exp and @sig (nullable: BAD) of @object at @now_s. */
enum sd_signed_result sd_signed_check(const unsigned char key[SD_SIGNED_KEY_BYTES],
                                      const char *object, const char *exp, const char *sig,
                                      int64_t now_s);

#endif
