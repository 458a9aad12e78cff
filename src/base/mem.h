/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: allocation that dies on failure.
 *
 * The server owns its process and everything it accepted is durable, so an
 * allocation failure logs and aborts (as Redis zmalloc, git xmalloc). Untrusted
 * input cannot get here with a huge size: every buffer checks its maximum
 * before allocating. MT safe.
 */
#ifndef SD_BASE_MEM_H
#define SD_BASE_MEM_H

#include <stddef.h>

/** malloc that aborts on failure; caller owns the result. */
void *sd_xmalloc(size_t n);
/** calloc that aborts on failure or overflow; caller owns the result. */
void *sd_xcalloc(size_t n, size_t size);
/** realloc that aborts on failure; takes ownership of @p, caller owns the result. */
void *sd_xrealloc(void *p, size_t n);
/** strdup that aborts on failure; caller owns the result. */
char *sd_xstrdup(const char *s);
/** Copies @n bytes of @s and a NUL; caller owns the result. */
char *sd_xstrndup(const char *s, size_t n);
/** free(*pp) and *pp = NULL; @pp points to any pointer. */
void sd_freep(void *pp);

#endif
