/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Allocation that dies on failure; see mem.h. */
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/banned.h"

static void *check(void *p)
{
    if (p == NULL) {
        sd__assert_fail("out of memory", __FILE__, __LINE__);
    }
    return p;
}

void *sd_xmalloc(size_t n)
{
    return check(malloc(n ? n : 1));
}

void *sd_xcalloc(size_t n, size_t size)
{
    return check(calloc(n ? n : 1, size ? size : 1));
}

void *sd_xrealloc(void *p, size_t n)
{
    return check(realloc(p, n ? n : 1));
}

char *sd_xstrdup(const char *s)
{
    return sd_xstrndup(s, strlen(s));
}

char *sd_xstrndup(const char *s, size_t n)
{
    char *d = sd_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void sd_freep(void *pp)
{
    void **p = pp;
    free(*p);
    *p = NULL;
}
