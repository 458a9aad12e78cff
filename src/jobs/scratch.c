/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the private scratch folder of a job (DATA/work/<job id>, mode
 * 0700) where blobs are decrypted for libraries that read files, the copies
 * between it and the blob store, and the heartbeat pace and last-attempt
 * reason that the media job kinds share. Internal to src/jobs/.
 */
#include "jobs/scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/banned.h"

#define COPY_BUF (1u << 20)

/* Removes the scratch folder and what is in it (one level: it has no subfolders). */
void sd__scratch_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            (void)unlinkat(dirfd(d), e->d_name, 0);
        }
        (void)closedir(d);
    }
    (void)rmdir(dir);
}

sd_status sd__scratch_make(const struct sd_job_ctx *ctx, char *dir, size_t dir_size,
                           struct sd_err *err)
{
    char work[4096];
    const char *data = ctx->env->cfg->data_dir;
    (void)snprintf(work, sizeof(work), "%s/work", data);
    if (mkdir(work, 0700) != 0 && errno != EEXIST) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot make the scratch folder '%s': %s", work,
                          strerror(errno));
    }
    if ((size_t)snprintf(dir, dir_size, "%s/%s", work, ctx->job->id) >= dir_size) {
        return sd_err_set(err, SD_E_IO, NULL, "the data folder's path is too long");
    }
    sd__scratch_remove(dir); /* what a killed attempt left */
    if (mkdir(dir, 0700) != 0) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot make the scratch folder '%s': %s", dir,
                          strerror(errno));
    }
    return SD_OK;
}

/* Decrypts blob @name into the file @path. */
sd_status sd__blob_to_file(sd_blob *blob, const char *name, const char *path, struct sd_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot write '%s': %s", path, strerror(errno));
    }
    char *buf = malloc(COPY_BUF);
    sd_status st = buf ? SD_OK : sd_err_set(err, SD_E_IO, NULL, "out of memory");
    uint64_t off = 0;
    while (st == SD_OK) {
        size_t got = 0;
        st = sd_blob_read(blob, name, off, buf, COPY_BUF, &got, err);
        if (st != SD_OK || got == 0) {
            break;
        }
        for (size_t done = 0; st == SD_OK && done < got;) {
            ssize_t w = write(fd, buf + done, got - done);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w <= 0) {
                st = sd_err_set(err, SD_E_IO, NULL, "cannot write '%s': %s", path, strerror(errno));
            } else {
                done += (size_t)w;
            }
        }
        off += got;
        if (got < COPY_BUF) {
            break;
        }
    }
    free(buf);
    if (close(fd) != 0 && st == SD_OK) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot write '%s': %s", path, strerror(errno));
    }
    return st;
}

/* Seals the file @path as blob @name, replacing one a killed attempt left. */
sd_status sd__file_to_blob(sd_blob *blob, const char *path, const char *name, uint64_t *size,
                           struct sd_err *err)
{
    struct sd_err ignored = SD_ERR_INIT;
    sd_status gone = sd_blob_delete(blob, name, &ignored);
    (void)gone; /* absent, as it mostly is */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot read '%s': %s", path, strerror(errno));
    }
    sd_blob_writer *w = NULL;
    sd_status st = sd_blob_create(blob, name, &w, err);
    char *buf = st == SD_OK ? malloc(COPY_BUF) : NULL;
    if (st == SD_OK && buf == NULL) {
        st = sd_err_set(err, SD_E_IO, NULL, "out of memory");
    }
    uint64_t total = 0;
    while (st == SD_OK) {
        ssize_t n = read(fd, buf, COPY_BUF);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            st = sd_err_set(err, SD_E_IO, NULL, "cannot read '%s': %s", path, strerror(errno));
        } else if (n == 0) {
            break;
        } else {
            st = sd_blob_write(w, buf, (size_t)n, err);
            total += (uint64_t)n;
        }
    }
    if (st == SD_OK) {
        st = sd_blob_finish(w, err);
    }
    sd_blob_writer_close(w);
    free(buf);
    (void)close(fd);
    if (size != NULL) {
        *size = total;
    }
    return st;
}

bool sd__beat_due(struct sd__beat *b, int pct, bool force)
{
    uint64_t now = sd_clock_mono_ns();
    uint64_t since = now - b->last_ns;
    if (!force && !(pct != b->last_pct && since >= 500000000u) && since < 10000000000u) {
        return false;
    }
    b->last_ns = now;
    b->last_pct = pct;
    return true;
}

const char *sd__job_last_failure(const struct sd_job_ctx *ctx, sd_status st, const char *what,
                                 const struct sd_err *err)
{
    if (st == SD_OK || st == SD_E_CONFLICT || ctx->job->attempts < ctx->max_attempts) {
        return NULL;
    }
    return sd_arena_printf(ctx->arena, "%s failed %lld times; last error: %s", what,
                           (long long)ctx->job->attempts, err->msg);
}
