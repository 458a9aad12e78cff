/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: a memory arena per request or job.
 *
 * Strings, parsed values and result rows of one HTTP request or one job are
 * allocated here and freed together at its end (h2o's mem pool, nginx's
 * ngx_pool_t). Memory comes in blocks of 16 KiB, larger requests get their own
 * block. sd_arena_defer registers cleanup of non-memory resources, run in
 * reverse order at sd_arena_free. One thread at a time; not MT safe.
 */
#ifndef SD_BASE_ARENA_H
#define SD_BASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "base/err.h"

typedef struct sd_arena sd_arena;

/** A new empty arena; caller owns it, free with sd_arena_free. */
sd_arena *sd_arena_new(void);
/** Runs deferred cleanups (last first) and frees all memory; NULL is a no-op. */
void sd_arena_free(sd_arena *a);
/** @n bytes aligned for any type, zeroed; valid until sd_arena_free. */
void *sd_arena_alloc(sd_arena *a, size_t n);
/** A NUL-terminated copy of @s (nullable: returns NULL). */
char *sd_arena_strdup(sd_arena *a, const char *s);
/** A NUL-terminated copy of the @n bytes at @s. */
char *sd_arena_strndup(sd_arena *a, const char *s, size_t n);
/** printf into the arena. */
char *sd_arena_printf(sd_arena *a, const char *fmt, ...) SD_PRINTF(2, 3);
char *sd_arena_vprintf(sd_arena *a, const char *fmt, va_list ap) SD_PRINTF(2, 0);
/** Calls @fn(@arg) when the arena is freed. */
void sd_arena_defer(sd_arena *a, void (*fn)(void *), void *arg);
/** Bytes handed out so far (for budgets and tests). */
size_t sd_arena_used(const sd_arena *a);

#endif
