/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: what the media job kinds share (scratch.c): a job's private
 * scratch folder and copies between it and the blob store, the pace of
 * progress heartbeats, and the reason recorded when the last attempt fails.
 * Internal to src/jobs/.
 */
#ifndef SD_JOBS_SCRATCH_H
#define SD_JOBS_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blob/blob.h"
#include "jobs/pool.h"

/**
 * Makes DATA/work/<job id> (mode 0700) afresh, removing what a killed
 * attempt left, and writes its path into @dir.
 */
SD_MUST_CHECK sd_status sd__scratch_make(const struct sd_job_ctx *ctx, char *dir, size_t dir_size,
                                         struct sd_err *err);
/** Removes the scratch folder and the files in it (it has no subfolders). */
void sd__scratch_remove(const char *dir);
/** Decrypts blob @name into the file @path. */
SD_MUST_CHECK sd_status sd__blob_to_file(sd_blob *blob, const char *name, const char *path,
                                         struct sd_err *err);
/** Seals the file @path as blob @name, replacing one a killed attempt left; *@size nullable. */
SD_MUST_CHECK sd_status sd__file_to_blob(sd_blob *blob, const char *path, const char *name,
                                         uint64_t *size, struct sd_err *err);

/* When progress was last recorded; SD__BEAT_INIT before the first. */
struct sd__beat {
    uint64_t last_ns;
    int last_pct;
};
#define SD__BEAT_INIT                                                                              \
    {                                                                                              \
        0, -1                                                                                      \
    }

/**
 * Whether progress @pct is to be recorded now (and then notes it): a new
 * percentage at most twice a second, and every 10 s even without one, so the
 * lease is renewed while an engine reports nothing; always when @force.
 */
bool sd__beat_due(struct sd__beat *b, int pct, bool force);

/**
 * On the job's last attempt, when @st is a failure other than a lost lease
 * (SD_E_CONFLICT): "<what> failed N times; last error: <err>" in the job's
 * arena, the reason to record so that nothing stays "processing". Else NULL.
 */
const char *sd__job_last_failure(const struct sd_job_ctx *ctx, sd_status st, const char *what,
                                 const struct sd_err *err);

#endif
