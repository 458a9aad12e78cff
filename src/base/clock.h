/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: time. Timeouts and durations use the monotonic clock; wall-clock
 * time is only for stored timestamps, which are milliseconds since the Unix
 * epoch in UTC everywhere in Showdesk. MT safe.
 */
#ifndef SD_BASE_CLOCK_H
#define SD_BASE_CLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** Monotonic nanoseconds, for durations only. */
uint64_t sd_clock_mono_ns(void);
/** Wall-clock milliseconds since the epoch, for stored timestamps. */
int64_t sd_clock_wall_ms(void);

/** The monotonic time @ms from now, for pthread_cond_timedwait. */
void sd_clock_deadline(struct timespec *out, uint64_t ms);
/** Initialises @cond to time out on the monotonic clock (see sd_clock_deadline). */
void sd_clock_cond_init(pthread_cond_t *cond);

#define SD_TIME_ISO_LEN 25 /* "2026-11-22T12:00:00.000Z" + NUL */
/** Formats @ms as RFC 3339 UTC with milliseconds into @out. */
void sd_time_iso(int64_t ms, char out[SD_TIME_ISO_LEN]);

#endif
