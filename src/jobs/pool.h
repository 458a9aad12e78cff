/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the worker pool that runs durable jobs.
 *
 * N worker threads, each with its own database connection taken per job.
 * A worker leases the next due job (store.h: sd_store_job_lease), finds its
 * kind in the table it was given, and runs the handler with a context that
 * carries the job, an arena, and sd_job_progress() for heartbeats. The
 * outcome decides the row: SD_OK completes it; a retryable failure
 * (SD_E_AGAIN, SD_E_IO, SD_E_DB) goes back to the queue after a backoff
 * with jitter, until max_attempts; anything else is dead at once, with the
 * error kept. A worker leases only the kinds in its table, so a job of a
 * kind this process does not run waits for a process that does.
 *
 * Idle workers wait on a condition variable for sd_pool_wake (called after
 * an enqueue in this process) or a poll interval, so jobs enqueued by other
 * processes are picked up too. Periodic kinds (period_ms > 0) are enqueued by
 * idle workers with the idempotency key "<kind>:<period number>", so however
 * many processes run, each period runs once.
 *
 * Threads: sd_pool_start/stop on the main thread; sd_pool_wake from any
 * thread; handlers run on worker threads and must use only their context.
 */
#ifndef SD_JOBS_POOL_H
#define SD_JOBS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "blob/blob.h"
#include "config/config.h"
#include "jobs/backoff.h"
#include "store/store.h"

struct sd_job_ctx;

/* What job handlers share: settings and the blob store; borrowed. */
struct sd_analyzer;

struct sd_job_env {
    const struct sd_config *cfg;
    sd_blob *blob;
    struct sd_analyzer *analyzer; /* nullable: no analysis */
};

struct sd_job_kind {
    const char *name;
    /* Does the work; returns SD_OK, or an error filled into @err. */
    sd_status (*run)(struct sd_job_ctx *ctx, struct sd_err *err);
    int64_t max_attempts; /* 0 = 5 */
    int64_t lease_ms;     /* 0 = the pool's; heartbeat before half of it passes */
    int64_t period_ms;    /* > 0: enqueue one job per period */
};

struct sd_job_ctx {
    const struct sd_job *job; /* borrowed for the run */
    sd_arena *arena;          /* freed after the run */
    sd_db *db;                /* the worker's connection for this job */
    const char *owner;
    int64_t lease_ms;
    const struct sd_job_env *env; /* nullable in tests of the pool alone */
    int64_t max_attempts;         /* the kind's: job->attempts == it on the last try */
};

/**
 * Records progress (0..100) and extends the lease. SD_E_CONFLICT when the
 * lease was lost: the handler must stop, another worker has the job.
 */
SD_MUST_CHECK sd_status sd_job_progress(struct sd_job_ctx *ctx, int64_t progress,
                                        struct sd_err *err);

/**
 * Enqueues a job of @kind now, once per @key (nullable: a random key).
 * @payload is JSON text (nullable: "{}"); @ws_id nullable. *@id_out
 * (nullable, SD_ID_MAX bytes) gets the job's id.
 */
SD_MUST_CHECK sd_status sd_job_enqueue(sd_db *db, const char *kind, const char *ws_id,
                                       const char *key, const char *payload, int64_t max_attempts,
                                       char *id_out, struct sd_err *err);

typedef struct sd_pool sd_pool;

struct sd_pool_opts {
    sd_store *store;
    const struct sd_job_env *env;    /* nullable; borrowed, outlives the pool */
    const struct sd_job_kind *kinds; /* borrowed; must outlive the pool */
    size_t n_kinds;
    int n_workers;    /* 1..64 */
    int64_t poll_ms;  /* how often idle workers look again; 0 = 1000 */
    int64_t lease_ms; /* of kinds without their own; 0 = 60 s */
    struct sd_backoff backoff;
};

/** Starts the workers; caller owns the result. */
SD_MUST_CHECK sd_status sd_pool_start(const struct sd_pool_opts *opts, sd_pool **out,
                                      struct sd_err *err);
/** Wakes an idle worker (a job was enqueued). MT safe. */
void sd_pool_wake(sd_pool *p);
/**
 * Stops leasing, waits for the jobs in progress to finish, joins the threads
 * and frees the pool. A job cut short by a crash is retried after its lease.
 */
void sd_pool_stop(sd_pool *p);

/** The kinds this build runs (maintenance now; media, speech and analysis later). */
const struct sd_job_kind *sd_job_kinds(size_t *n_out);

#endif
