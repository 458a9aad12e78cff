/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Worker pool; see pool.h. Lock order: the pool mutex only; it is never held
 * while a job runs or the database is called.
 */
#include "jobs/pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rand.h"
#include "base/str.h"
#include "base/banned.h"

#define DEFAULT_ATTEMPTS 5
#define DEFAULT_LEASE_MS 60000
#define MAX_WORKERS      64

struct worker {
    sd_pool *pool;
    pthread_t thread;
    char owner[64];
};

#define MAX_KINDS 32

struct sd_pool {
    struct sd_pool_opts opts;
    const char *kind_names[MAX_KINDS];  /* what this pool's workers lease */
    int64_t enqueued_period[MAX_KINDS]; /* last period this process enqueued; under lock */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool is_stopping;
    unsigned n_wakes; /* wake-ups not yet taken by a worker */
    struct worker workers[MAX_WORKERS];
    int n_started;
};

sd_status sd_job_progress(struct sd_job_ctx *ctx, int64_t progress, struct sd_err *err)
{
    if (progress < 0) {
        progress = 0;
    }
    if (progress > 99) {
        progress = 99; /* 100 means done, which only completion says */
    }
    return sd_store_job_heartbeat(ctx->db, ctx->job->id, ctx->owner,
                                  sd_clock_wall_ms() + ctx->lease_ms, progress, err);
}

sd_status sd_job_enqueue(sd_db *db, const char *kind, const char *ws_id, const char *key,
                         const char *payload, int64_t max_attempts, char *id_out,
                         struct sd_err *err)
{
    char id[SD_ID_MAX];
    char random_key[SD_ID_MAX + 8];
    sd_id_new("job", id);
    if (key == NULL) {
        (void)snprintf(random_key, sizeof(random_key), "%s:%s", kind, id);
        key = random_key;
    }
    int64_t now = sd_clock_wall_ms();
    struct sd_job j = {.id = id,
                       .workspace_id = ws_id,
                       .kind = kind,
                       .idempotency_key = key,
                       .payload = payload ? payload : "{}",
                       .max_attempts = max_attempts > 0 ? max_attempts : DEFAULT_ATTEMPTS,
                       .run_at = now,
                       .created_at = now,
                       .updated_at = now};
    bool created = false;
    return sd_store_job_enqueue(db, &j, &created, id_out, err);
}

static const struct sd_job_kind *find_kind(const sd_pool *p, const char *name)
{
    for (size_t i = 0; i < p->opts.n_kinds; i++) {
        if (strcmp(p->opts.kinds[i].name, name) == 0) {
            return &p->opts.kinds[i];
        }
    }
    return NULL;
}

static bool retryable(sd_status st)
{
    return st == SD_E_AGAIN || st == SD_E_IO || st == SD_E_DB;
}

/* Records how a run ended. */
static void settle(sd_pool *p, struct worker *w, sd_db *db, const struct sd_job *job,
                   const struct sd_job_kind *kind, sd_status outcome, const struct sd_err *jerr)
{
    struct sd_err err = SD_ERR_INIT;
    int64_t now = sd_clock_wall_ms();
    sd_status st;
    int64_t max = kind->max_attempts > 0 ? kind->max_attempts : DEFAULT_ATTEMPTS;
    if (outcome == SD_OK) {
        st = sd_store_job_complete(db, job->id, w->owner, now, &err);
        sd_log(SD_LOG_INFO, "job.done", "id=%s kind=%s attempt=%lld", job->id, job->kind,
               (long long)job->attempts);
    } else {
        uint64_t r;
        sd_rand_bytes(&r, sizeof(r));
        bool again = retryable(outcome) && job->attempts < max;
        int64_t retry_at =
            again ? now + sd_backoff_delay_ms(&p->opts.backoff, job->attempts, r) + 1 : 0;
        char msg[sizeof(jerr->msg) + 32];
        (void)snprintf(msg, sizeof(msg), "%s: %s", sd_status_name(outcome),
                       jerr->msg[0] ? jerr->msg : "failed");
        st = sd_store_job_fail(db, job->id, w->owner, now, msg, retry_at, &err);
        char q[512];
        sd_log(again ? SD_LOG_WARN : SD_LOG_ERROR, again ? "job.retry" : "job.dead",
               "id=%s kind=%s attempt=%lld error=%s", job->id, job->kind, (long long)job->attempts,
               sd_log_quote(msg, q, sizeof(q)));
    }
    if (st != SD_OK) {
        /* Most often the lease was lost: another worker has the job now. */
        char q[512];
        sd_log(SD_LOG_WARN, "job.settle_failed", "id=%s error=%s", job->id,
               sd_log_quote(err.msg, q, sizeof(q)));
    }
}

/*
 * Enqueues this period's job of each periodic kind; idempotent across
 * processes. Each process tries once per period, not on every idle poll, so
 * an idle server does not write to the database every second.
 */
static void enqueue_periodic(sd_pool *p, sd_db *db)
{
    int64_t now = sd_clock_wall_ms();
    for (size_t i = 0; i < p->opts.n_kinds; i++) {
        const struct sd_job_kind *k = &p->opts.kinds[i];
        if (k->period_ms <= 0) {
            continue;
        }
        int64_t period = now / k->period_ms;
        (void)pthread_mutex_lock(&p->lock);
        bool is_done = p->enqueued_period[i] == period;
        p->enqueued_period[i] = period;
        (void)pthread_mutex_unlock(&p->lock);
        if (is_done) {
            continue;
        }
        char key[128];
        (void)snprintf(key, sizeof(key), "%s:%lld", k->name, (long long)period);
        struct sd_err err = SD_ERR_INIT;
        if (sd_job_enqueue(db, k->name, NULL, key, NULL, k->max_attempts, NULL, &err) != SD_OK) {
            char q[512];
            sd_log(SD_LOG_WARN, "job.periodic_failed", "kind=%s error=%s", k->name,
                   sd_log_quote(err.msg, q, sizeof(q)));
            /* Try again at the next idle poll. */
            (void)pthread_mutex_lock(&p->lock);
            p->enqueued_period[i] = 0;
            (void)pthread_mutex_unlock(&p->lock);
        }
    }
}

/* Leases and runs one job; false when none was due. */
static bool run_one(sd_pool *p, struct worker *w)
{
    struct sd_err err = SD_ERR_INIT;
    sd_db *db = NULL;
    if (sd_store_get(p->opts.store, &db, &err) != SD_OK) {
        return false;
    }
    sd_arena *a = sd_arena_new();
    struct sd_job job;
    bool got = false;
    int64_t lease_ms = p->opts.lease_ms > 0 ? p->opts.lease_ms : DEFAULT_LEASE_MS;
    if (sd_store_job_lease(db, a, w->owner, p->kind_names, p->opts.n_kinds, sd_clock_wall_ms(),
                           lease_ms, &job, &got, &err) != SD_OK ||
        !got) {
        if (got == false) {
            enqueue_periodic(p, db);
        }
        sd_store_put(p->opts.store, db);
        sd_arena_free(a);
        return false;
    }
    const struct sd_job_kind *kind = find_kind(p, job.kind);
    if (kind == NULL) {
        /* Cannot happen: leases are limited to this pool's kinds. */
        sd_log(SD_LOG_ERROR, "job.unknown_kind", "id=%s kind=%s", job.id, job.kind);
        sd_store_put(p->opts.store, db);
        sd_arena_free(a);
        return false;
    }
    if (kind->lease_ms > 0 && kind->lease_ms != lease_ms) {
        lease_ms = kind->lease_ms;
        /* Best effort: the kind's longer lease; the first heartbeat renews it anyway. */
        sd_status ignored = sd_store_job_heartbeat(
            db, job.id, w->owner, sd_clock_wall_ms() + lease_ms, job.progress, NULL);
        (void)ignored;
    }
    struct sd_job_ctx ctx = {.job = &job,
                             .arena = a,
                             .db = db,
                             .owner = w->owner,
                             .lease_ms = lease_ms,
                             .env = p->opts.env,
                             .max_attempts =
                                 kind->max_attempts > 0 ? kind->max_attempts : DEFAULT_ATTEMPTS};
    struct sd_err jerr = SD_ERR_INIT;
    sd_status outcome = kind->run(&ctx, &jerr);
    settle(p, w, db, &job, kind, outcome, &jerr);
    sd_store_put(p->opts.store, db);
    sd_arena_free(a);
    return true;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    sd_pool *p = w->pool;
    for (;;) {
        (void)pthread_mutex_lock(&p->lock);
        bool stop = p->is_stopping;
        (void)pthread_mutex_unlock(&p->lock);
        if (stop) {
            break;
        }
        if (run_one(p, w)) {
            continue;
        }
        struct timespec until;
        sd_clock_deadline(&until, (uint64_t)p->opts.poll_ms);
        (void)pthread_mutex_lock(&p->lock);
        while (!p->is_stopping && p->n_wakes == 0) {
            if (pthread_cond_timedwait(&p->wake, &p->lock, &until) != 0) {
                break;
            }
        }
        if (p->n_wakes > 0) {
            p->n_wakes--;
        }
        (void)pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

sd_status sd_pool_start(const struct sd_pool_opts *opts, sd_pool **out, struct sd_err *err)
{
    if (opts->n_workers < 1 || opts->n_workers > MAX_WORKERS) {
        return sd_err_set(err, SD_E_INVALID, "workers", "workers must be 1 to %d, got %d",
                          MAX_WORKERS, opts->n_workers);
    }
    if (opts->n_kinds == 0 || opts->n_kinds > MAX_KINDS) {
        return sd_err_set(err, SD_E_INVALID, NULL, "a pool runs 1 to %d job kinds, got %zu",
                          MAX_KINDS, opts->n_kinds);
    }
    sd_pool *p = sd_xcalloc(1, sizeof(*p));
    p->opts = *opts;
    for (size_t i = 0; i < opts->n_kinds; i++) {
        p->kind_names[i] = opts->kinds[i].name;
    }
    if (p->opts.poll_ms <= 0) {
        p->opts.poll_ms = 1000;
    }
    if (p->opts.backoff.base_ms <= 0) {
        p->opts.backoff = (struct sd_backoff)SD_BACKOFF_DEFAULT;
    }
    (void)pthread_mutex_init(&p->lock, NULL);
    sd_clock_cond_init(&p->wake);
    char host[64] = "host";
    (void)gethostname(host, sizeof(host) - 1);
    for (int i = 0; i < opts->n_workers; i++) {
        struct worker *w = &p->workers[i];
        w->pool = p;
        (void)snprintf(w->owner, sizeof(w->owner), "%.32s:%d:%d", host, (int)getpid(), i);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            sd_pool_stop(p);
            return sd_err_set(err, SD_E_INTERNAL, "workers", "cannot start worker thread %d", i);
        }
        p->n_started++;
    }
    *out = p;
    return SD_OK;
}

void sd_pool_wake(sd_pool *p)
{
    if (p == NULL) {
        return;
    }
    (void)pthread_mutex_lock(&p->lock);
    p->n_wakes++;
    (void)pthread_cond_signal(&p->wake);
    (void)pthread_mutex_unlock(&p->lock);
}

void sd_pool_stop(sd_pool *p)
{
    if (p == NULL) {
        return;
    }
    (void)pthread_mutex_lock(&p->lock);
    p->is_stopping = true;
    (void)pthread_cond_broadcast(&p->wake);
    (void)pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_started; i++) {
        (void)pthread_join(p->workers[i].thread, NULL);
    }
    (void)pthread_mutex_destroy(&p->lock);
    (void)pthread_cond_destroy(&p->wake);
    free(p);
}
