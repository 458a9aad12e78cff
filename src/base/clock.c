/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Clocks; see clock.h. */
#include "base/clock.h"

#include <stdio.h>
#include <time.h>

#include "base/banned.h"

uint64_t sd_clock_mono_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t sd_clock_wall_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sd_clock_deadline(struct timespec *out, uint64_t ms)
{
    (void)clock_gettime(CLOCK_MONOTONIC, out);
    out->tv_sec += (time_t)(ms / 1000);
    out->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (out->tv_nsec >= 1000000000L) {
        out->tv_sec++;
        out->tv_nsec -= 1000000000L;
    }
}

void sd_clock_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t ca;
    (void)pthread_condattr_init(&ca);
    (void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    (void)pthread_cond_init(cond, &ca);
    (void)pthread_condattr_destroy(&ca);
}

void sd_time_iso(int64_t ms, char out[SD_TIME_ISO_LEN])
{
    time_t s = (time_t)(ms / 1000);
    int rem = (int)(ms % 1000);
    if (rem < 0) {
        rem += 1000;
        s -= 1;
    }
    struct tm tm;
    if (gmtime_r(&s, &tm) == NULL) {
        (void)snprintf(out, SD_TIME_ISO_LEN, "1970-01-01T00:00:00.000Z");
        return;
    }
    /* Wide enough for any int the compiler can imagine; the real text is 24. */
    char tmp[96];
    (void)snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                   (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, rem);
    (void)snprintf(out, SD_TIME_ISO_LEN, "%.24s", tmp);
}
