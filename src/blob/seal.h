/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: encryption at rest, seekable.
 *
 * Every stored object has its own random 256-bit key. The key never touches
 * the disk in the clear: it is wrapped (XSalsa20-Poly1305, libsodium's
 * secretbox) with the installation's master key, and the wrapped form is kept
 * apart from the data, so destroying it makes the data unreadable wherever
 * copies of it remain.
 *
 * The object is sealed in chunks of SD_SEAL_CHUNK plaintext bytes, each an
 * independent XChaCha20-Poly1305 message, so that any byte range is read by
 * decrypting only the chunks it touches (HTTP Range over encrypted video):
 *
 *   header:  "SDSEAL01" (8 bytes) | base nonce (24 random bytes)
 *   chunk i: ciphertext of plaintext[i*CHUNK, (i+1)*CHUNK) | tag (16 bytes)
 *
 * Chunk i's nonce is the base nonce with i added into its last 8 bytes and a
 * generation g added into the 8 before them; its additional data is i, g and
 * whether it is the last chunk, so chunks cannot be reordered, dropped from
 * the end, or moved between objects undetected. A writer that must seal the
 * same index again (the growing tail of an upload) uses a new generation
 * each time, so no nonce is ever used twice with different plaintexts.
 * Layouts that store g beside each record use SD_SEAL_RECORD; the plain
 * layout above (g = 0) takes sd_seal_sealed_size(n) bytes.
 *
 * Pure functions over caller buffers; MT safe after sodium_init. Keys are
 * wiped with sd_seal_key_wipe when done.
 */
#ifndef SD_BLOB_SEAL_H
#define SD_BLOB_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SD_SEAL_KEY_BYTES     32
#define SD_SEAL_CHUNK         65536 /* 64 KiB */
#define SD_SEAL_TAG_BYTES     16
#define SD_SEAL_NONCE_BYTES   24
#define SD_SEAL_HEADER_BYTES  (8 + SD_SEAL_NONCE_BYTES)
#define SD_SEAL_SEALED_CHUNK  (SD_SEAL_CHUNK + SD_SEAL_TAG_BYTES)
#define SD_SEAL_RECORD        (8 + SD_SEAL_SEALED_CHUNK)    /* generation | sealed chunk */
#define SD_SEAL_WRAPPED_BYTES (24 + 16 + SD_SEAL_KEY_BYTES) /* nonce | tag | key */

struct sd_seal_key {
    unsigned char k[SD_SEAL_KEY_BYTES];
};

/** A fresh random key. */
void sd_seal_keygen(struct sd_seal_key *key);
/** Zeroes @key. */
void sd_seal_key_wipe(struct sd_seal_key *key);

/** Wraps @key with @master into @out. */
void sd_seal_wrap(const struct sd_seal_key *master, const struct sd_seal_key *key,
                  unsigned char out[SD_SEAL_WRAPPED_BYTES]);
/** Unwraps; SD_E_FORBIDDEN when the master key is not the one that wrapped it. */
SD_MUST_CHECK sd_status sd_seal_unwrap(const struct sd_seal_key *master,
                                       const unsigned char in[SD_SEAL_WRAPPED_BYTES],
                                       struct sd_seal_key *key, struct sd_err *err);

/** A new header (magic and a random base nonce) for one object. */
void sd_seal_header(unsigned char out[SD_SEAL_HEADER_BYTES]);
/** SD_E_INVALID when @header does not start with the magic. */
SD_MUST_CHECK sd_status sd_seal_header_check(const unsigned char header[SD_SEAL_HEADER_BYTES],
                                             struct sd_err *err);

/** Bytes of the sealed object for @plain_size bytes of plaintext, header included. */
uint64_t sd_seal_sealed_size(uint64_t plain_size);
/** Number of chunks of an object of @plain_size bytes (an empty object has one, empty). */
uint64_t sd_seal_n_chunks(uint64_t plain_size);
/** Offset of chunk @index in the sealed object. */
uint64_t sd_seal_chunk_offset(uint64_t index);

/**
 * Seals chunk @index (@n bytes at @plain, at most SD_SEAL_CHUNK; only the
 * last chunk may be shorter) into @out (@n + SD_SEAL_TAG_BYTES bytes).
 */
void sd_seal_chunk(const struct sd_seal_key *key, const unsigned char header[SD_SEAL_HEADER_BYTES],
                   uint64_t index, uint64_t gen, bool is_last, const unsigned char *plain, size_t n,
                   unsigned char *out);
/**
 * Opens chunk @index (@n sealed bytes at @in, tag included) into @out
 * (@n - SD_SEAL_TAG_BYTES bytes). SD_E_IO when it was altered, truncated,
 * reordered or is not this object's: the stored bytes cannot be trusted.
 */
SD_MUST_CHECK sd_status sd_seal_open_chunk(const struct sd_seal_key *key,
                                           const unsigned char header[SD_SEAL_HEADER_BYTES],
                                           uint64_t index, uint64_t gen, bool is_last,
                                           const unsigned char *in, size_t n, unsigned char *out,
                                           struct sd_err *err);

#endif
