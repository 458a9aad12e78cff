/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the job kinds this build runs, one row each: name, handler,
 * attempts, lease, and a period for maintenance jobs. Media, speech and
 * analysis kinds join this table as they are built.
 */
#include "jobs/kinds.h"

#include "base/clock.h"
#include "base/log.h"
#include "domain/tus.h"
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

/* Removes uploads left incomplete past their deadline, with their bytes. */
static sd_status expire_uploads(struct sd_job_ctx *ctx, struct sd_err *err)
{
    if (ctx->env == NULL || ctx->env->blob == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "uploads.expire needs the blob store");
    }
    int64_t total = 0;
    for (;;) {
        struct sd_media *rows = NULL;
        size_t n = 0;
        sd_status st =
            sd_store_media_expired(ctx->db, ctx->arena, sd_clock_wall_ms(), 100, &rows, &n, err);
        if (st != SD_OK) {
            return st;
        }
        for (size_t i = 0; i < n; i++) {
            /* The row goes first: a PATCH that raced in finds nothing to
             * write to, rather than a row without bytes. */
            st = sd_store_media_delete(ctx->db, rows[i].workspace_id, rows[i].id, err);
            if (st != SD_OK && st != SD_E_NOT_FOUND) {
                return st;
            }
            sd_media_delete_blobs(ctx->env->blob, rows[i].id);
            total++;
        }
        if (n < 100) {
            break;
        }
    }
    sd_log(SD_LOG_INFO, "job.uploads_expired", "count=%lld", (long long)total);
    return SD_OK;
}

static const struct sd_job_kind kinds[] = {
    {.name = "sessions.purge",
     .run = purge_sessions,
     .max_attempts = 3,
     .period_ms = 3600LL * 1000},
    {.name = "media.process", .run = sd_job_media_process, .max_attempts = 3},
    {.name = "speech.transcribe", .run = sd_job_speech_transcribe, .max_attempts = 4},
    {.name = "uploads.expire", .run = expire_uploads, .max_attempts = 3, .period_ms = 600LL * 1000},
    {.name = SD_JOB_TICKET_ANALYZE, .run = sd_job_ticket_analyze, .max_attempts = 5},
    {.name = SD_JOB_TRIAGE_TRAIN,
     .run = sd_job_triage_train,
     .max_attempts = 2,
     .lease_ms = 600LL * 1000},
    {.name = "triage.retrain",
     .run = sd_job_triage_retrain,
     .max_attempts = 2,
     .period_ms = 3600LL * 1000},
};

const struct sd_job_kind *sd_job_kinds(size_t *n_out)
{
    *n_out = SD_ARRAY_LEN(kinds);
    return kinds;
}
