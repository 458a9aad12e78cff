/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/jobs/pool.c on a real SQLite store: jobs run once,
 * retryable failures come back after a backoff, permanent ones go dead with
 * their error, progress extends the lease, periodic kinds are enqueued once
 * per period, and unknown kinds are left for another process. The kinds
 * here are the test's own; the built-in sessions.purge runs for real too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/rand.h"
#include "jobs/pool.h"

static atomic_int n_ok, n_flaky, n_bad, n_slow;

static sd_status run_ok(struct sd_job_ctx *ctx, struct sd_err *err)
{
    (void)ctx;
    (void)err;
    atomic_fetch_add(&n_ok, 1);
    return SD_OK;
}

/* Fails with a retryable error twice, then succeeds. */
static sd_status run_flaky(struct sd_job_ctx *ctx, struct sd_err *err)
{
    atomic_fetch_add(&n_flaky, 1);
    if (ctx->job->attempts < 3) {
        return sd_err_set(err, SD_E_AGAIN, NULL, "upstream busy (attempt %lld)",
                          (long long)ctx->job->attempts);
    }
    return SD_OK;
}

static sd_status run_bad(struct sd_job_ctx *ctx, struct sd_err *err)
{
    (void)ctx;
    atomic_fetch_add(&n_bad, 1);
    return sd_err_set(err, SD_E_MEDIA, NULL, "not a video file");
}

static sd_status run_slow(struct sd_job_ctx *ctx, struct sd_err *err)
{
    atomic_fetch_add(&n_slow, 1);
    for (int i = 1; i <= 4; i++) {
        sd_status st = sd_job_progress(ctx, i * 25, err);
        if (st != SD_OK) {
            return st;
        }
    }
    return SD_OK;
}

static const struct sd_job_kind kinds[] = {
    {.name = "test.ok", .run = run_ok},
    {.name = "test.flaky", .run = run_flaky, .max_attempts = 5},
    {.name = "test.bad", .run = run_bad},
    {.name = "test.slow", .run = run_slow, .lease_ms = 5000},
    {.name = "test.periodic", .run = run_ok, .period_ms = 3600 * 1000},
};

static sd_store *store;
static char dir[] = "/tmp/showdesk-pool-XXXXXX";

static void must(sd_status st, const struct sd_err *err)
{
    if (st != SD_OK) {
        fail_msg("failed: %s (%s)", sd_status_name(st), err->msg);
    }
}

static struct sd_job get(const char *id, sd_arena *a)
{
    struct sd_err err = SD_ERR_INIT;
    sd_db *db = NULL;
    struct sd_job j;
    must(sd_store_get(store, &db, &err), &err);
    must(sd_store_job_get(db, a, id, &j, &err), &err);
    sd_store_put(store, db);
    return j;
}

/* Waits (up to 20 s) until job @id is in @state. */
static struct sd_job wait_state(const char *id, const char *state, sd_arena *a)
{
    uint64_t deadline = sd_clock_mono_ns() + 20000000000ull;
    for (;;) {
        struct sd_job j = get(id, a);
        if (strcmp(j.state, state) == 0) {
            return j;
        }
        if (sd_clock_mono_ns() > deadline) {
            fail_msg("job %s stayed '%s', never '%s'", id, j.state, state);
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void enqueue(const char *kind, char id[SD_ID_MAX])
{
    struct sd_err err = SD_ERR_INIT;
    sd_db *db = NULL;
    must(sd_store_get(store, &db, &err), &err);
    must(sd_job_enqueue(db, kind, NULL, NULL, "{\"x\":1}", 0, id, &err), &err);
    sd_store_put(store, db);
}

static int setup(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    char url[128];
    snprintf(url, sizeof(url), "sqlite:%s/jobs.db", dir);
    struct sd_store_opts o = {.url = url, .n_conns = 6};
    must(sd_store_open(&o, &store, &err), &err);
    sd_db *db = NULL;
    must(sd_store_get(store, &db, &err), &err);
    must(sd_store_migrate(db, NULL, &err), &err);
    sd_store_put(store, db);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sd_store_close(store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_outcomes(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    sd_arena *a = sd_arena_new();
    struct sd_pool_opts o = {.store = store,
                             .kinds = kinds,
                             .n_kinds = sizeof(kinds) / sizeof(kinds[0]),
                             .n_workers = 3,
                             .poll_ms = 50,
                             .backoff = {1, 5}};
    sd_pool *p = NULL;
    must(sd_pool_start(&o, &p, &err), &err);
    char ok[SD_ID_MAX], flaky[SD_ID_MAX], bad[SD_ID_MAX], slow[SD_ID_MAX], alien[SD_ID_MAX];
    enqueue("test.ok", ok);
    enqueue("test.flaky", flaky);
    enqueue("test.bad", bad);
    enqueue("test.slow", slow);
    enqueue("test.from_a_newer_build", alien);
    sd_pool_wake(p);
    struct sd_job j = wait_state(ok, "done", a);
    assert_int_equal(j.progress, 100);
    assert_int_equal(j.attempts, 1);
    j = wait_state(flaky, "done", a);
    assert_int_equal(j.attempts, 3);
    assert_non_null(strstr(j.last_error, "upstream busy (attempt 2)"));
    j = wait_state(bad, "dead", a);
    assert_int_equal(j.attempts, 1); /* a permanent error is not retried */
    assert_string_equal(j.last_error, "media_error: not a video file");
    j = wait_state(slow, "done", a);
    assert_int_equal(j.progress, 100);
    /* Each ran exactly as often as it was tried. */
    assert_int_equal(atomic_load(&n_ok) >= 1, 1);
    assert_int_equal(atomic_load(&n_flaky), 3);
    assert_int_equal(atomic_load(&n_bad), 1);
    assert_int_equal(atomic_load(&n_slow), 1);
    sd_pool_stop(p);
    /* A kind this pool does not run was never taken: it waits, untouched,
     * for a process that runs it. */
    j = get(alien, a);
    assert_string_equal(j.state, "queued");
    assert_int_equal(j.attempts, 0);
    /* The periodic kind was enqueued once for this period, whatever the workers. */
    sd_db *db = NULL;
    must(sd_store_get(store, &db, &err), &err);
    char key[128];
    snprintf(key, sizeof(key), "test.periodic:%lld",
             (long long)(sd_clock_wall_ms() / (3600 * 1000)));
    char existing[SD_ID_MAX] = "";
    must(sd_job_enqueue(db, "test.periodic", NULL, key, NULL, 0, existing, &err), &err);
    j = get(existing, a);
    assert_string_equal(j.kind, "test.periodic");
    assert_string_equal(j.state, "done");
    sd_store_put(store, db);
    sd_arena_free(a);
}

static void test_sessions_purge(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    sd_arena *a = sd_arena_new();
    sd_db *db = NULL;
    must(sd_store_get(store, &db, &err), &err);
    char ws[SD_ID_MAX], agent[SD_ID_MAX], s1[SD_ID_MAX], s2[SD_ID_MAX];
    sd_id_new("ws", ws);
    sd_id_new("agt", agent);
    sd_id_new("ses", s1);
    sd_id_new("ses", s2);
    struct sd_workspace w = {ws, "W", "[]", "{}", 1, 1};
    struct sd_agent ag = {agent, ws, "a@b.test", "A", "admin", "$h", 1, 1};
    int64_t now = sd_clock_wall_ms();
    struct sd_session old = {s1, ws, agent, "hash-old", "c", 1, now - 1000};
    struct sd_session live = {s2, ws, agent, "hash-live", "c", 1, now + 3600000};
    must(sd_store_workspace_insert(db, &w, &err), &err);
    must(sd_store_agent_insert(db, &ag, &err), &err);
    must(sd_store_session_insert(db, &old, &err), &err);
    must(sd_store_session_insert(db, &live, &err), &err);
    char id[SD_ID_MAX];
    must(sd_job_enqueue(db, "sessions.purge", NULL, "purge-now", NULL, 0, id, &err), &err);
    sd_store_put(store, db);
    size_t n_kinds = 0;
    const struct sd_job_kind *builtin = sd_job_kinds(&n_kinds);
    struct sd_pool_opts o = {
        .store = store, .kinds = builtin, .n_kinds = n_kinds, .n_workers = 1, .poll_ms = 50};
    sd_pool *p = NULL;
    must(sd_pool_start(&o, &p, &err), &err);
    sd_pool_wake(p);
    wait_state(id, "done", a);
    sd_pool_stop(p);
    must(sd_store_get(store, &db, &err), &err);
    struct sd_session got;
    assert_int_equal(sd_store_session_find_hash(db, a, "hash-old", 0, &got, &err), SD_E_NOT_FOUND);
    must(sd_store_session_find_hash(db, a, "hash-live", now, &got, &err), &err);
    sd_store_put(store, db);
    sd_arena_free(a);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    struct sd_pool_opts o = {.store = store, .kinds = kinds, .n_kinds = 1, .n_workers = 0};
    sd_pool *p = NULL;
    assert_int_equal(sd_pool_start(&o, &p, &err), SD_E_INVALID);
    assert_string_equal(err.field, "workers");
    o.n_workers = 1;
    o.n_kinds = 0;
    assert_int_equal(sd_pool_start(&o, &p, &err), SD_E_INVALID);
    sd_pool_stop(NULL);
    sd_pool_wake(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_sessions_purge),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
