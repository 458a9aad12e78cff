/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: byte encodings: lowercase hex and unpadded base64url (RFC 4648 §5),
 * used for digests, opaque cursors and tokens. Decoders reject anything that
 * is not canonical. Pure, MT safe.
 */
#ifndef SD_BASE_ENC_H
#define SD_BASE_ENC_H

#include <stddef.h>

#include "base/err.h"

/** Writes 2*@n hex characters and a NUL into @out. */
void sd_hex_encode(const void *in, size_t n, char *out);

/** Length of the base64url text for @n bytes, without the NUL. */
size_t sd_b64url_len(size_t n);
/** Writes base64url of @in and a NUL into @out (sd_b64url_len(n)+1 bytes). */
void sd_b64url_encode(const void *in, size_t n, char *out);
/**
 * Decodes @n base64url characters into @out of @cap bytes and sets *@len_out.
 * SD_E_INVALID on a bad character, bad length, non-zero padding bits or too
 * little room.
 */
SD_MUST_CHECK sd_status sd_b64url_decode(const char *in, size_t n, void *out, size_t cap,
                                         size_t *len_out);

#endif
