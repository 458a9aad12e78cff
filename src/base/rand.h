/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: random identifiers and tokens.
 *
 * Bytes come from the kernel (getrandom), so tokens, keys and ids are
 * unpredictable. Ids are time-ordered, ULID-like: 48 bits of milliseconds
 * then 80 random bits, in lowercase Crockford base32, behind a type prefix
 * ("tkt_01jd…"), so that ordering by id is ordering by creation time and a
 * glance tells what an id names. Within one process, ids made in the same
 * millisecond still sort in the order they were made. MT safe.
 */
#ifndef SD_BASE_RAND_H
#define SD_BASE_RAND_H

#include <stddef.h>
#include <stdint.h>

/** Fills @buf with @n random bytes from the kernel; aborts if it cannot. */
void sd_rand_bytes(void *buf, size_t n);

#define SD_ID_MAX 40 /* prefix (up to 8) + '_' + 26 + NUL, rounded up */
/** Writes "@prefix_" + 26 base32 characters into @out. */
void sd_id_new(const char *prefix, char out[SD_ID_MAX]);

/** Writes @n random bytes as base32 (lowercase, no padding) into @out (8*n/5+2 bytes). */
void sd_rand_token(size_t n, char *out);

#endif
