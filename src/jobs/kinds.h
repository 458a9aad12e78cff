/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the handlers of the job kinds that live in files of their own;
 * kinds.c lists every kind with its attempts, lease and period.
 */
#ifndef SD_JOBS_KINDS_H
#define SD_JOBS_KINDS_H

#include "jobs/pool.h"

/** media.process: {"media_id"} of the job's workspace; see media_job.c. */
SD_MUST_CHECK sd_status sd_job_media_process(struct sd_job_ctx *ctx, struct sd_err *err);

/** speech.transcribe: {"media_id"} of the job's workspace; see speech_job.c. */
SD_MUST_CHECK sd_status sd_job_speech_transcribe(struct sd_job_ctx *ctx, struct sd_err *err);

/** ticket.analyze: {"ticket_id"}: triage, summary and help articles again; see triage_job.c. */
#define SD_JOB_TICKET_ANALYZE "ticket.analyze"
SD_MUST_CHECK sd_status sd_job_ticket_analyze(struct sd_job_ctx *ctx, struct sd_err *err);

/** triage.train: the job's workspace's own triage model; see triage_job.c. */
#define SD_JOB_TRIAGE_TRAIN "triage.train"
SD_MUST_CHECK sd_status sd_job_triage_train(struct sd_job_ctx *ctx, struct sd_err *err);

/** triage.retrain (hourly): triage.train for workspaces whose retrain_hours have passed. */
SD_MUST_CHECK sd_status sd_job_triage_retrain(struct sd_job_ctx *ctx, struct sd_err *err);

/** Enqueues ticket.analyze for @ticket_id once per @reason (a message or media id). */
SD_MUST_CHECK sd_status sd_job_enqueue_analyze(sd_db *db, const char *ws_id, const char *ticket_id,
                                               const char *reason, struct sd_err *err);

#endif
