/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the job kinds this build runs, one row each: name, handler,
 * attempts, lease, and a period for maintenance jobs. Media, speech and
 * analysis kinds join this table as they are built.
 */
#include "jobs/pool.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/banned.h"

/* Removes sessions that have expired, so the table does not grow forever. */
static sd_status purge_sessions(struct sd_job_ctx *ctx, struct sd_err *err)
{
    int64_t n = 0;
    sd_status st = sd_store_session_purge(ctx->db, sd_clock_wall_ms(), &n, err);
    if (st == SD_OK) {
        sd_log(SD_LOG_INFO, "job.sessions_purged", "count=%lld", (long long)n);
    }
    return st;
}

static const struct sd_job_kind kinds[] = {
    {.name = "sessions.purge",
     .run = purge_sessions,
     .max_attempts = 3,
     .period_ms = 3600LL * 1000},
};

const struct sd_job_kind *sd_job_kinds(size_t *n_out)
{
    *n_out = SD_ARRAY_LEN(kinds);
    return kinds;
}
