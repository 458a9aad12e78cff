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

#endif
