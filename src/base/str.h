/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: string views and small text helpers.
 *
 * struct sd_str is a borrowed (ptr, len) view, not NUL-terminated (h2o's
 * h2o_iovec_t); its lifetime is that of what it points into. Pure functions,
 * MT safe.
 */
#ifndef SD_BASE_STR_H
#define SD_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct sd_str {
    const char *ptr;
    size_t len;
};

#define SD_STR(lit) ((struct sd_str){(lit), sizeof(lit) - 1})

/** A view of a NUL-terminated string (nullable: gives an empty view). */
struct sd_str sd_str_c(const char *s);
bool sd_str_eq(struct sd_str a, struct sd_str b);
bool sd_str_eq_c(struct sd_str a, const char *b);
/** ASCII case-insensitive comparison. */
bool sd_str_ieq_c(struct sd_str a, const char *b);
bool sd_str_has_prefix(struct sd_str s, const char *prefix);

/**
 * Parses a whole decimal integer in [min, max] from @s (no sign for min >= 0,
 * no spaces, no trailing bytes). SD_E_INVALID otherwise.
 */
SD_MUST_CHECK sd_status sd_str_to_i64(struct sd_str s, int64_t min, int64_t max, int64_t *out);

/** Constant-time comparison of two equal-length byte strings. */
bool sd_str_ct_eq(const void *a, const void *b, size_t n);

/** Copies @src into @dst of @size bytes, always NUL-terminated; returns false if cut. */
bool sd_str_copy(char *dst, size_t size, const char *src);

/** The HTML escape of @c (&, <, >, ", '), safe in text and quoted attributes, or NULL. */
const char *sd_html_escape_char(char c);

/** FNV-1a of @n bytes at @p: a fast hash for in-memory tables, not for secrets. */
uint32_t sd_hash_fnv1a(const void *p, size_t n);

#endif
