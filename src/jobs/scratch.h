/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: a job's private scratch folder and copies between it and the blob
 * store (scratch.c). Internal to src/jobs/.
 */
#ifndef SD_JOBS_SCRATCH_H
#define SD_JOBS_SCRATCH_H

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

#endif
