/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: signed URLs for media. A URL names an object ("md_…/video.mp4")
 * and carries "exp=<unix seconds>&sig=<base64url HMAC-SHA256>" over
 * "v1\n<object>\n<exp>" with a key of its own, derived from the master key
 * (sd_signed_derive_key), so that no signature is ever made with the master
 * key itself. The signature binds the object and the expiry, so a URL opens
 * one object until one moment and nothing else: changing either breaks it.
 * The message cannot be read two ways: exp is digits only, so the last
 * newline ends the object whatever the object holds.
 *
 * A check verifies the signature before it looks at the time, compares in
 * constant time (sodium_memcmp), and accepts only what sd_signed_make
 * writes: exp in canonical decimal (no sign, no leading zero, at most 19
 * digits, at most INT64_MAX) and sig as 43 base64url characters. Only
 * equality with the expected text is tested, so there is no second encoding
 * of one signature. A URL is good up to and including second @exp.
 *
 * Pure functions over caller buffers; MT safe after sodium_init. The caller
 * wipes keys with sodium_memzero when done.
 */
#ifndef SD_DOMAIN_SIGNED_H
#define SD_DOMAIN_SIGNED_H

#include <stddef.h>
#include <stdint.h>

#define SD_SIGNED_KEY_BYTES 32
#define SD_SIGNED_SIG_LEN   43 /* base64url of 32 bytes, unpadded */
#define SD_SIGNED_QUERY_MAX 80 /* "exp=" + 19 digits + "&sig=" + 43 + NUL = 72 */

enum sd_signed_result { SD_SIGNED_OK, SD_SIGNED_EXPIRED, SD_SIGNED_BAD };

/**
 * Derives the URL signing key from the installation's @master key:
 * HMAC-SHA256(master, "showdesk media url signing v1"). Deterministic, so
 * every process of one installation signs alike.
 */
void sd_signed_derive_key(const unsigned char master[SD_SIGNED_KEY_BYTES],
                          unsigned char out[SD_SIGNED_KEY_BYTES]);

/**
 * Writes "exp=…&sig=…" for @object until @expires_s (Unix seconds; a
 * negative time is written as 0, long expired) into @out.
 */
void sd_signed_make(const unsigned char key[SD_SIGNED_KEY_BYTES], const char *object,
                    int64_t expires_s, char out[SD_SIGNED_QUERY_MAX]);

/**
 * Checks the query arguments @exp and @sig (both nullable: BAD) of a URL
 * for @object at @now_s: SD_SIGNED_OK, SD_SIGNED_EXPIRED (a good signature
 * whose @exp is before @now_s) or SD_SIGNED_BAD (anything else: missing,
 * malformed, another object, another expiry, another key).
 */
enum sd_signed_result sd_signed_check(const unsigned char key[SD_SIGNED_KEY_BYTES],
                                      const char *object, const char *exp, const char *sig,
                                      int64_t now_s);

#endif
