/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Retry delays; see backoff.h. */
#include "jobs/backoff.h"

#include "base/banned.h"

int64_t sd_backoff_bound_ms(const struct sd_backoff *b, int64_t attempt)
{
    int64_t bound = b->base_ms;
    for (int64_t i = 1; i < attempt && bound < b->cap_ms; i++) {
        bound *= 2;
    }
    return bound < b->cap_ms ? bound : b->cap_ms;
}

int64_t sd_backoff_delay_ms(const struct sd_backoff *b, int64_t attempt, uint64_t random64)
{
    int64_t bound = sd_backoff_bound_ms(b, attempt);
    return bound > 0 ? (int64_t)(random64 % (uint64_t)(bound + 1)) : 0;
}
