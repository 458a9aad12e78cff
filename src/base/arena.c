/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Arena allocator; see arena.h. */
#include "base/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/banned.h"

#define BLOCK_SIZE ((size_t)16 * 1024)
#define ALIGN      16

struct block {
    struct block *next;
    size_t used, cap;
    max_align_t data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *arg;
};

struct sd_arena {
    struct block *head;
    struct cleanup *cleanups;
    size_t total;
};

sd_arena *sd_arena_new(void)
{
    return sd_xcalloc(1, sizeof(sd_arena));
}

void sd_arena_free(sd_arena *a)
{
    if (a == NULL) {
        return;
    }
    for (struct cleanup *c = a->cleanups; c != NULL; c = c->next) {
        c->fn(c->arg);
    }
    struct block *b = a->head;
    while (b != NULL) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void *sd_arena_alloc(sd_arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < n) {
        sd__assert_fail("arena allocation overflow", __FILE__, __LINE__);
    }
    struct block *b = a->head;
    if (b == NULL || b->cap - b->used < need) {
        if (need > BLOCK_SIZE / 4) {
            /* A large allocation gets its own block behind the current one,
             * so the current block keeps serving small ones. */
            struct block *big = sd_xmalloc(sizeof(*big) + need);
            big->used = big->cap = need;
            if (b != NULL) {
                big->next = b->next;
                b->next = big;
            } else {
                big->next = NULL;
                a->head = big;
            }
            a->total += need;
            memset(big->data, 0, need);
            return big->data;
        }
        b = sd_xmalloc(sizeof(*b) + BLOCK_SIZE);
        b->used = 0;
        b->cap = BLOCK_SIZE;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += need;
    a->total += need;
    memset(p, 0, need);
    return p;
}

char *sd_arena_strndup(sd_arena *a, const char *s, size_t n)
{
    char *d = sd_arena_alloc(a, n + 1);
    if (n > 0) {
        memcpy(d, s, n);
    }
    d[n] = '\0';
    return d;
}

char *sd_arena_strdup(sd_arena *a, const char *s)
{
    return s == NULL ? NULL : sd_arena_strndup(a, s, strlen(s));
}

char *sd_arena_vprintf(sd_arena *a, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) {
        return sd_arena_strdup(a, "");
    }
    char *d = sd_arena_alloc(a, (size_t)n + 1);
    (void)vsnprintf(d, (size_t)n + 1, fmt, ap);
    return d;
}

char *sd_arena_printf(sd_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = sd_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return d;
}

void sd_arena_defer(sd_arena *a, void (*fn)(void *), void *arg)
{
    struct cleanup *c = sd_arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
}

size_t sd_arena_used(const sd_arena *a)
{
    return a->total;
}
