/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: rate limits for the endpoints strangers can reach (login, the
 * widget's ticket creation).
 *
 * A fixed table of token buckets addressed by a hash of the key ("login:" +
 * client address, "widget:" + key id + address). Colliding keys share a
 * bucket, which can only make a limit stricter, never looser, and memory stays
 * fixed however many addresses call. Buckets refill continuously at
 * per_min/60 tokens a second up to per_min. Striped mutexes; MT safe.
 */
#ifndef SD_HTTP_LIMITS_H
#define SD_HTTP_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

struct sd_rate;

/** Caller owns the result. */
struct sd_rate *sd_rate_new(void);
void sd_rate_free(struct sd_rate *r);
/**
 * Takes one token for @key at @now_ns (monotonic) with a budget of @per_min;
 * false when none is left, and then *@retry_s_out (nullable) says when one is.
 * per_min <= 0 means unlimited.
 */
bool sd_rate_take(struct sd_rate *r, const char *key, int per_min, uint64_t now_ns,
                  int *retry_s_out);

#endif
