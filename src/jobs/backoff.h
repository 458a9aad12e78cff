/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: when a failed job runs again. Exponential backoff with full
 * jitter (the delay is uniform in [0, min(cap, base * 2^(attempt-1))]),
 * so that jobs that failed together, when a dependency went down, do not
 * all come back at the same moment. Pure apart from the random draw; MT safe.
 */
#ifndef SD_JOBS_BACKOFF_H
#define SD_JOBS_BACKOFF_H

#include <stdint.h>

struct sd_backoff {
    int64_t base_ms; /* delay bound after the first failure */
    int64_t cap_ms;  /* the bound never grows past this */
};

/* A first retry within 2 s, and never more than 10 minutes apart. */
#define SD_BACKOFF_DEFAULT_CAP_MS (10LL * 60 * 1000)
#define SD_BACKOFF_DEFAULT                                                                         \
    {                                                                                              \
        2000, SD_BACKOFF_DEFAULT_CAP_MS                                                            \
    }

/** The upper bound of the delay after failed attempt @attempt (1-based). */
int64_t sd_backoff_bound_ms(const struct sd_backoff *b, int64_t attempt);
/** A delay for @attempt drawn from @random64 (any 64-bit random value). */
int64_t sd_backoff_delay_ms(const struct sd_backoff *b, int64_t attempt, uint64_t random64);

#endif
