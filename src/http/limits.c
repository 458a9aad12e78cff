/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Token-bucket rate limits; see limits.h. Lock order: one stripe at a time. */
#include "http/limits.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/banned.h"

#define N_BUCKETS 4096
#define N_STRIPES 16

struct bucket {
    double tokens;
    uint64_t last_ns;
    bool is_used;
};

struct sd_rate {
    pthread_mutex_t locks[N_STRIPES];
    struct bucket buckets[N_BUCKETS];
};

struct sd_rate *sd_rate_new(void)
{
    struct sd_rate *r = sd_xcalloc(1, sizeof(*r));
    for (int i = 0; i < N_STRIPES; i++) {
        (void)pthread_mutex_init(&r->locks[i], NULL);
    }
    return r;
}

void sd_rate_free(struct sd_rate *r)
{
    if (r == NULL) {
        return;
    }
    for (int i = 0; i < N_STRIPES; i++) {
        (void)pthread_mutex_destroy(&r->locks[i]);
    }
    free(r);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

bool sd_rate_take(struct sd_rate *r, const char *key, int per_min, uint64_t now_ns,
                  int *retry_s_out)
{
    if (per_min <= 0) {
        return true;
    }
    size_t idx = (size_t)(fnv1a(key) % N_BUCKETS);
    pthread_mutex_t *lock = &r->locks[idx % N_STRIPES];
    (void)pthread_mutex_lock(lock);
    struct bucket *b = &r->buckets[idx];
    double cap = per_min;
    double rate_per_ns = (double)per_min / 60e9;
    if (!b->is_used) {
        b->is_used = true;
        b->tokens = cap;
        b->last_ns = now_ns;
    } else if (now_ns > b->last_ns) {
        b->tokens += (double)(now_ns - b->last_ns) * rate_per_ns;
        if (b->tokens > cap) {
            b->tokens = cap;
        }
        b->last_ns = now_ns;
    }
    bool ok = b->tokens >= 1.0;
    if (ok) {
        b->tokens -= 1.0;
    } else if (retry_s_out != NULL) {
        *retry_s_out = (int)((1.0 - b->tokens) / rate_per_ns / 1e9) + 1;
    }
    (void)pthread_mutex_unlock(lock);
    return ok;
}
