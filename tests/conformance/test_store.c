/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Conformance suite of the store interface (src/store/store.h). The same
 * program runs once per driver: SQLite on a temporary file, and PostgreSQL on
 * the server whose URL is in SHOWDESK_TEST_PG_URL (scripts/test.sh starts
 * one). Every run starts from an empty database: a fresh SQLite file, or on
 * PostgreSQL a fresh database created for the run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/rand.h"
#include "store/store.h"

static char url[1024];
static sd_store *store;
static sd_db *db;
static sd_arena *arena;
static char ws_a[SD_ID_MAX], ws_b[SD_ID_MAX];

static void must(sd_status st, const struct sd_err *err)
{
    if (st != SD_OK) {
        fail_msg("store call failed: %s (%s)", sd_status_name(st), err->msg);
    }
}

static void make_ws(char id[SD_ID_MAX], const char *name)
{
    struct sd_err err = SD_ERR_INIT;
    sd_id_new("ws", id);
    struct sd_workspace w = {id, name, "[]", "{}", 1000, 1000};
    must(sd_store_workspace_insert(db, &w, &err), &err);
}

static struct sd_ticket ticket(const char *ws, char id[SD_ID_MAX], int64_t created)
{
    sd_id_new("tkt", id);
    struct sd_ticket t = {.id = id,
                          .workspace_id = ws,
                          .subject = "subject",
                          .status = "new",
                          .channel = "text",
                          .priority = "normal",
                          .context = "{}",
                          .created_at = created,
                          .updated_at = created};
    return t;
}

static int setup(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    struct sd_store_opts opts = {.url = url, .n_conns = 3, .wait_ms = 200};
    must(sd_store_open(&opts, &store, &err), &err);
    must(sd_store_get(store, &db, &err), &err);
    int n = 0;
    must(sd_store_migrate(db, &n, &err), &err);
    arena = sd_arena_new();
    make_ws(ws_a, "A");
    make_ws(ws_b, "B");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sd_store_put(store, db);
    sd_store_close(store);
    sd_arena_free(arena);
    return 0;
}

static void test_migrate_idempotent(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    int n = -1, v = 0;
    must(sd_store_migrate(db, &n, &err), &err);
    assert_int_equal(n, 0);
    must(sd_store_schema_version(db, &v, &err), &err);
    assert_true(v >= 1);
    assert_true(sd_store_ping(db));
}

static void test_workspaces(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    struct sd_workspace w;
    must(sd_store_workspace_get(db, arena, ws_a, &w, &err), &err);
    assert_string_equal(w.name, "A");
    assert_string_equal(w.allowed_origins, "[]");
    w.name = "A renamed \xe2\x9c\x93 'quoted' \"double\"; DROP TABLE workspaces; --";
    w.updated_at = 2000;
    must(sd_store_workspace_update(db, &w, &err), &err);
    must(sd_store_workspace_get(db, arena, ws_a, &w, &err), &err);
    assert_string_equal(w.name,
                        "A renamed \xe2\x9c\x93 'quoted' \"double\"; DROP TABLE workspaces; --");
    assert_int_equal(w.created_at, 1000);
    assert_int_equal(w.updated_at, 2000);
    struct sd_workspace *all = NULL;
    size_t n = 0;
    must(sd_store_workspace_list(db, arena, 10, &all, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_int_equal(sd_store_workspace_get(db, arena, "ws_nope", &w, &err), SD_E_NOT_FOUND);
    must(sd_store_begin(db, &err), &err);
    must(sd_store_workspace_lock(db, ws_a, &err), &err);
    must(sd_store_commit(db, &err), &err);
    must(sd_store_workspace_get(db, arena, ws_a, &w, &err), &err);
    assert_int_equal(w.updated_at, 2000); /* the lock changes nothing */
    assert_int_equal(sd_store_workspace_lock(db, "ws_nope", &err), SD_E_NOT_FOUND);
    assert_non_null(strstr(err.msg, "ws_nope"));
}

static void test_agents(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    char id[SD_ID_MAX], id2[SD_ID_MAX];
    sd_id_new("agt", id);
    struct sd_agent ag = {id, ws_a, "ann@example.com", "Ann", "admin", "$hash", 1, 1};
    must(sd_store_agent_insert(db, &ag, &err), &err);
    sd_id_new("agt", id2);
    struct sd_agent dup = {id2, ws_a, "ann@example.com", "Other", "agent", "$h", 1, 1};
    assert_int_equal(sd_store_agent_insert(db, &dup, &err), SD_E_CONFLICT);
    assert_non_null(strstr(err.msg, "email"));
    /* The same email in another workspace is another agent. */
    dup.workspace_id = ws_b;
    must(sd_store_agent_insert(db, &dup, &err), &err);
    struct sd_agent *found = NULL;
    size_t n = 0;
    must(sd_store_agent_find_email(db, arena, "ann@example.com", 10, &found, &n, &err), &err);
    assert_int_equal(n, 2);
    int64_t admins = 0;
    must(sd_store_agent_count_admins(db, ws_a, &admins, &err), &err);
    assert_int_equal(admins, 1);
    must(sd_store_agent_count_admins(db, ws_b, &admins, &err), &err);
    assert_int_equal(admins, 0);

    struct sd_agent got;
    must(sd_store_agent_get(db, arena, ws_a, id, &got, &err), &err);
    assert_string_equal(got.name, "Ann");
    assert_string_equal(got.password_hash, "$hash");
    /* Isolation: workspace B's id does not reach A's agent. */
    assert_int_equal(sd_store_agent_get(db, arena, ws_b, id, &got, &err), SD_E_NOT_FOUND);
    struct sd_agent foreign = ag;
    foreign.workspace_id = ws_b;
    foreign.name = "hijacked";
    assert_int_equal(sd_store_agent_update(db, &foreign, &err), SD_E_NOT_FOUND);
    assert_int_equal(sd_store_agent_delete(db, ws_b, id, &err), SD_E_NOT_FOUND);
    must(sd_store_agent_get(db, arena, ws_a, id, &got, &err), &err);
    assert_string_equal(got.name, "Ann");

    got.name = "Ann B";
    got.updated_at = 5;
    must(sd_store_agent_update(db, &got, &err), &err);
    struct sd_agent *list = NULL;
    must(sd_store_agent_list(db, arena, ws_a, NULL, 10, &list, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "Ann B");
    must(sd_store_agent_delete(db, ws_a, id, &err), &err);
    assert_int_equal(sd_store_agent_get(db, arena, ws_a, id, &got, &err), SD_E_NOT_FOUND);
}

static void test_customers(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    char id[SD_ID_MAX], id2[SD_ID_MAX];
    sd_id_new("cus", id);
    struct sd_customer c = {id, ws_a, "ext-1", "c@example.com", "Cé", NULL, 1, 1};
    must(sd_store_customer_insert(db, &c, &err), &err);
    sd_id_new("cus", id2);
    struct sd_customer c2 = {id2, ws_a, "ext-1", NULL, "", NULL, 1, 1};
    assert_int_equal(sd_store_customer_insert(db, &c2, &err), SD_E_CONFLICT);
    c2.external_id = NULL; /* several customers without an external id are fine */
    must(sd_store_customer_insert(db, &c2, &err), &err);
    struct sd_customer got;
    must(sd_store_customer_find(db, arena, ws_a, "ext-1", NULL, &got, &err), &err);
    assert_string_equal(got.id, id);
    assert_null(got.plan);
    must(sd_store_customer_find(db, arena, ws_a, NULL, "c@example.com", &got, &err), &err);
    assert_string_equal(got.name, "Cé");
    assert_int_equal(sd_store_customer_find(db, arena, ws_b, "ext-1", NULL, &got, &err),
                     SD_E_NOT_FOUND);
    assert_int_equal(sd_store_customer_find(db, arena, ws_a, NULL, NULL, &got, &err),
                     SD_E_NOT_FOUND);
    got.plan = "pro";
    must(sd_store_customer_update(db, &got, &err), &err);
    must(sd_store_customer_get(db, arena, ws_a, id, &got, &err), &err);
    assert_string_equal(got.plan, "pro");
    assert_int_equal(sd_store_customer_delete(db, ws_b, id, &err), SD_E_NOT_FOUND);
    struct sd_customer *list = NULL;
    size_t n = 0;
    must(sd_store_customer_list(db, arena, ws_a, NULL, 1, &list, &n, &err), &err);
    assert_int_equal(n, 1);
    const char *first = list[0].id;
    must(sd_store_customer_list(db, arena, ws_a, first, 10, &list, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_not_equal(list[0].id, first);
    must(sd_store_customer_delete(db, ws_a, id2, &err), &err);
}

static void test_keys_sessions(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    char kid[SD_ID_MAX], aid[SD_ID_MAX], sid[SD_ID_MAX];
    sd_id_new("key", kid);
    struct sd_api_key k = {kid, ws_a, "secret", "ci", "sk_abcdefgh", "hash-1", 10, 0, 0};
    must(sd_store_key_insert(db, &k, &err), &err);
    struct sd_api_key got;
    must(sd_store_key_find_hash(db, arena, "hash-1", &got, &err), &err);
    assert_string_equal(got.id, kid);
    assert_int_equal(got.last_used_at, 0);
    assert_int_equal(got.revoked_at, 0);
    must(sd_store_key_touch(db, kid, 99, &err), &err);
    must(sd_store_key_get(db, arena, ws_a, kid, &got, &err), &err);
    assert_int_equal(got.last_used_at, 99);
    assert_int_equal(sd_store_key_revoke(db, ws_b, kid, 100, &err), SD_E_NOT_FOUND);
    must(sd_store_key_revoke(db, ws_a, kid, 100, &err), &err);
    assert_int_equal(sd_store_key_revoke(db, ws_a, kid, 101, &err), SD_E_NOT_FOUND);
    assert_int_equal(sd_store_key_find_hash(db, arena, "hash-1", &got, &err), SD_E_NOT_FOUND);
    struct sd_api_key *list = NULL;
    size_t n = 0;
    must(sd_store_key_list(db, arena, ws_a, NULL, 10, &list, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].revoked_at, 100);

    sd_id_new("agt", aid);
    struct sd_agent ag = {aid, ws_a, "s@example.com", "S", "agent", "$h", 1, 1};
    must(sd_store_agent_insert(db, &ag, &err), &err);
    sd_id_new("ses", sid);
    struct sd_session se = {sid, ws_a, aid, "tok-hash", "csrf", 1, 1000};
    must(sd_store_session_insert(db, &se, &err), &err);
    struct sd_session sgot;
    must(sd_store_session_find_hash(db, arena, "tok-hash", 999, &sgot, &err), &err);
    assert_string_equal(sgot.csrf_token, "csrf");
    assert_int_equal(sd_store_session_find_hash(db, arena, "tok-hash", 1000, &sgot, &err),
                     SD_E_NOT_FOUND); /* expired */
    must(sd_store_session_delete_agent(db, ws_a, aid, &err), &err);
    assert_int_equal(sd_store_session_find_hash(db, arena, "tok-hash", 1, &sgot, &err),
                     SD_E_NOT_FOUND);
    /* Removing an agent removes its sessions (foreign key cascade). */
    must(sd_store_session_insert(db, &se, &err), &err);
    must(sd_store_agent_delete(db, ws_a, aid, &err), &err);
    assert_int_equal(sd_store_session_find_hash(db, arena, "tok-hash", 1, &sgot, &err),
                     SD_E_NOT_FOUND);
}

static void test_tickets_and_threads(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    char tid[SD_ID_MAX], mid[SD_ID_MAX], aid[SD_ID_MAX];
    struct sd_ticket t = ticket(ws_a, tid, 500);
    t.context = "{\"page_url\":\"https://x/'\\\"\"}";
    must(sd_store_ticket_insert(db, &t, &err), &err);
    struct sd_ticket got;
    must(sd_store_ticket_get(db, arena, ws_a, tid, &got, &err), &err);
    assert_string_equal(got.context, t.context);
    assert_null(got.category);
    assert_int_equal(got.first_response_at, 0);
    got.status = "resolved";
    got.category = "bug";
    got.resolved_at = 600;
    must(sd_store_ticket_update(db, &got, &err), &err);
    must(sd_store_ticket_get(db, arena, ws_a, tid, &got, &err), &err);
    assert_string_equal(got.status, "resolved");
    assert_string_equal(got.category, "bug");
    assert_int_equal(got.resolved_at, 600);
    assert_int_equal(sd_store_ticket_get(db, arena, ws_b, tid, &got, &err), SD_E_NOT_FOUND);

    sd_id_new("msg", mid);
    struct sd_message m = {mid, ws_a, tid, "customer", NULL, "hello\nworld", false, 501};
    must(sd_store_message_insert(db, &m, &err), &err);
    sd_id_new("msg", mid);
    struct sd_message note = {mid, ws_a, tid, "agent", NULL, "internal", true, 502};
    must(sd_store_message_insert(db, &note, &err), &err);
    struct sd_message *ms = NULL;
    size_t n = 0;
    must(sd_store_message_list(db, arena, ws_a, tid, true, NULL, 10, &ms, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(ms[0].body, "hello\nworld");
    assert_false(ms[0].is_internal);
    assert_true(ms[1].is_internal);
    must(sd_store_message_list(db, arena, ws_a, tid, false, NULL, 10, &ms, &n, &err), &err);
    assert_int_equal(n, 1);
    must(sd_store_message_list(db, arena, ws_b, tid, true, NULL, 10, &ms, &n, &err), &err);
    assert_int_equal(n, 0);

    sd_id_new("act", aid);
    struct sd_activity ev = {aid, ws_a, tid, "system", NULL, "created", "{}", 500};
    must(sd_store_activity_insert(db, &ev, &err), &err);
    struct sd_activity *evs = NULL;
    must(sd_store_activity_list(db, arena, ws_a, tid, NULL, 10, &evs, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(evs[0].action, "created");
    /* A message of a ticket that does not exist is refused. */
    sd_id_new("msg", mid);
    struct sd_message orphan = {mid, ws_a, "tkt_missing", "customer", NULL, "x", false, 1};
    assert_int_equal(sd_store_message_insert(db, &orphan, &err), SD_E_CONFLICT);
    /* Deleting the ticket takes its thread with it. */
    assert_int_equal(sd_store_ticket_delete(db, ws_b, tid, &err), SD_E_NOT_FOUND);
    must(sd_store_ticket_delete(db, ws_a, tid, &err), &err);
    must(sd_store_message_list(db, arena, ws_a, tid, true, NULL, 10, &ms, &n, &err), &err);
    assert_int_equal(n, 0);
}

static void test_ticket_pages(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    char ids[7][SD_ID_MAX];
    /* Seven tickets, two sharing a timestamp, so the id breaks the tie. */
    const int64_t times[7] = {100, 200, 300, 300, 400, 500, 600};
    for (int i = 0; i < 7; i++) {
        struct sd_ticket t = ticket(ws_b, ids[i], times[i]);
        t.status = i % 2 ? "open" : "new";
        t.updated_at = 1000 - times[i];
        must(sd_store_ticket_insert(db, &t, &err), &err);
    }
    for (int asc = 0; asc < 2; asc++) {
        struct sd_ticket_filter f = {.limit = 3, .is_ascending = asc == 1};
        char seen[7][SD_ID_MAX];
        int n_seen = 0;
        bool more = true;
        int pages = 0;
        while (more) {
            struct sd_ticket *rows = NULL;
            size_t n = 0;
            must(sd_store_ticket_list(db, arena, ws_b, &f, &rows, &n, &more, &err), &err);
            for (size_t i = 0; i < n; i++) {
                for (int k = 0; k < n_seen; k++) {
                    assert_string_not_equal(seen[k], rows[i].id);
                }
                if (n_seen > 0) {
                    int64_t prev = 0;
                    for (int k = 0; k < 7; k++) {
                        if (strcmp(ids[k], seen[n_seen - 1]) == 0) {
                            prev = times[k];
                        }
                    }
                    assert_true(asc ? rows[i].created_at >= prev : rows[i].created_at <= prev);
                }
                snprintf(seen[n_seen++], SD_ID_MAX, "%s", rows[i].id);
            }
            if (n > 0) {
                f.has_cursor = true;
                f.cursor_key = rows[n - 1].created_at;
                f.cursor_id = sd_arena_strdup(arena, rows[n - 1].id);
            }
            assert_true(++pages <= 4);
        }
        assert_int_equal(n_seen, 7);
        assert_int_equal(pages, 3);
    }
    struct sd_ticket_filter f = {.limit = 100, .status = "open"};
    struct sd_ticket *rows = NULL;
    size_t n = 0;
    bool more = false;
    must(sd_store_ticket_list(db, arena, ws_b, &f, &rows, &n, &more, &err), &err);
    assert_int_equal(n, 3);
    assert_false(more);
    f = (struct sd_ticket_filter){.limit = 100, .assignee_id = "none", .sort = SD_SORT_UPDATED};
    must(sd_store_ticket_list(db, arena, ws_b, &f, &rows, &n, &more, &err), &err);
    assert_int_equal(n, 7);
    assert_true(rows[0].updated_at >= rows[6].updated_at);
    f = (struct sd_ticket_filter){.limit = 100, .category = "x' OR '1'='1"};
    must(sd_store_ticket_list(db, arena, ws_b, &f, &rows, &n, &more, &err), &err);
    assert_int_equal(n, 0);
    f = (struct sd_ticket_filter){.limit = 100};
    must(sd_store_ticket_list(db, arena, ws_a, &f, &rows, &n, &more, &err), &err);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].workspace_id, ws_a);
    }
}

/* Every combination of filters, sorts and a cursor: hundreds of distinct
 * statements, more than a driver's statement cache holds, so eviction runs. */
static void test_many_statements(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    size_t total_open = 0;
    for (unsigned mask = 0; mask < 512; mask++) {
        struct sd_ticket_filter f = {.limit = 100};
        f.status = mask & 1 ? "open" : NULL;
        f.category = mask & 2 ? "bug" : NULL;
        f.urgency = mask & 4 ? "normal" : NULL;
        f.channel = mask & 8 ? "text" : NULL;
        f.assignee_id = mask & 16 ? "none" : NULL;
        f.sort = mask & 32 ? SD_SORT_UPDATED : SD_SORT_CREATED;
        f.is_ascending = (mask & 64) != 0;
        f.customer_id = mask & 128 ? "cus_none" : NULL;
        if (mask & 256) {
            f.has_cursor = true;
            f.cursor_key = f.is_ascending ? 0 : INT64_MAX;
            f.cursor_id = f.is_ascending ? "" : "tkt_zzzzzzzzzzzzzzzzzzzzzzzzzz";
        }
        struct sd_ticket *rows = NULL;
        size_t n = 0;
        bool more = false;
        must(sd_store_ticket_list(db, arena, ws_b, &f, &rows, &n, &more, &err), &err);
        if (f.status && !f.category && !f.urgency && !f.channel && !f.customer_id)
            total_open += n;
        else if (f.customer_id)
            assert_int_equal(n, 0);
    }
    /* Three open tickets, seen under 2 sorts x 2 directions x (assignee or not) x
     * (cursor or not). */
    assert_int_equal(total_open, 3 * 16);
}

static void test_transactions(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    char t1[SD_ID_MAX], t2[SD_ID_MAX];
    struct sd_ticket a = ticket(ws_a, t1, 10);
    must(sd_store_begin(db, &err), &err);
    must(sd_store_ticket_insert(db, &a, &err), &err);
    sd_store_rollback(db);
    struct sd_ticket got;
    assert_int_equal(sd_store_ticket_get(db, arena, ws_a, t1, &got, &err), SD_E_NOT_FOUND);
    struct sd_ticket b = ticket(ws_a, t2, 10);
    must(sd_store_begin(db, &err), &err);
    must(sd_store_ticket_insert(db, &b, &err), &err);
    must(sd_store_commit(db, &err), &err);
    must(sd_store_ticket_get(db, arena, ws_a, t2, &got, &err), &err);
    /* A transaction left open is rolled back when the connection goes back. */
    sd_db *other = NULL;
    must(sd_store_get(store, &other, &err), &err);
    char t3[SD_ID_MAX];
    struct sd_ticket c = ticket(ws_a, t3, 10);
    must(sd_store_begin(other, &err), &err);
    must(sd_store_ticket_insert(other, &c, &err), &err);
    sd_store_put(store, other);
    assert_int_equal(sd_store_ticket_get(db, arena, ws_a, t3, &got, &err), SD_E_NOT_FOUND);
}

static struct sd_job job(char id[SD_ID_MAX], const char *key, int64_t run_at)
{
    sd_id_new("job", id);
    struct sd_job j = {.id = id,
                       .workspace_id = ws_a,
                       .kind = "media.ingest",
                       .idempotency_key = key,
                       .payload = "{\"upload\":\"u1\"}",
                       .max_attempts = 3,
                       .run_at = run_at,
                       .created_at = run_at,
                       .updated_at = run_at};
    return j;
}

static void test_jobs(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    char id1[SD_ID_MAX], id2[SD_ID_MAX], got_id[SD_ID_MAX];
    bool created = false, got = false;
    struct sd_job j1 = job(id1, "ingest:u1", 1000);
    /* Inside a transaction, so a taken key must not abort it (PostgreSQL). */
    must(sd_store_begin(db, &err), &err);
    must(sd_store_job_enqueue(db, &j1, &created, got_id, &err), &err);
    assert_true(created);
    struct sd_job dup = job(id2, "ingest:u1", 1000);
    must(sd_store_job_enqueue(db, &dup, &created, got_id, &err), &err);
    assert_false(created);
    assert_string_equal(got_id, id1);
    must(sd_store_commit(db, &err), &err);

    struct sd_job leased, other;
    /* Not due yet. */
    must(sd_store_job_lease(db, arena, "w1", NULL, 0, 999, 30000, &leased, &got, &err), &err);
    assert_false(got);
    must(sd_store_job_lease(db, arena, "w1", NULL, 0, 1000, 30000, &leased, &got, &err), &err);
    assert_true(got);
    assert_string_equal(leased.id, id1);
    assert_string_equal(leased.state, "running");
    assert_string_equal(leased.lease_owner, "w1");
    assert_int_equal(leased.attempts, 1);
    assert_int_equal(leased.lease_until, 31000);
    assert_string_equal(leased.payload, "{\"upload\":\"u1\"}");
    /* Held: nobody else gets it while the lease lasts. */
    must(sd_store_job_lease(db, arena, "w2", NULL, 0, 20000, 30000, &other, &got, &err), &err);
    assert_false(got);
    must(sd_store_job_heartbeat(db, id1, "w1", 50000, 40, &err), &err);
    assert_int_equal(sd_store_job_heartbeat(db, id1, "w2", 60000, 50, &err), SD_E_CONFLICT);
    /* The worker dies; after its lease expires another worker takes the job. */
    must(sd_store_job_lease(db, arena, "w2", NULL, 0, 50001, 30000, &other, &got, &err), &err);
    assert_true(got);
    assert_string_equal(other.lease_owner, "w2");
    assert_int_equal(other.attempts, 2);
    assert_int_equal(other.progress, 40);
    /* The first worker comes back too late: it can neither finish nor fail it. */
    assert_int_equal(sd_store_job_complete(db, id1, "w1", 60000, &err), SD_E_CONFLICT);
    assert_non_null(strstr(err.msg, "lease expired"));
    assert_int_equal(sd_store_job_fail(db, id1, "w1", 60000, "x", 0, &err), SD_E_CONFLICT);
    /* A retryable failure puts it back for later, with the error kept. */
    must(sd_store_job_fail(db, id1, "w2", 60000, "decoder busy", 70000, &err), &err);
    struct sd_job back;
    must(sd_store_job_get(db, arena, id1, &back, &err), &err);
    assert_string_equal(back.state, "queued");
    assert_string_equal(back.last_error, "decoder busy");
    assert_null(back.lease_owner);
    assert_int_equal(back.run_at, 70000);
    must(sd_store_job_lease(db, arena, "w3", NULL, 0, 69999, 30000, &other, &got, &err), &err);
    assert_false(got);
    must(sd_store_job_lease(db, arena, "w3", NULL, 0, 70000, 30000, &other, &got, &err), &err);
    assert_true(got);
    must(sd_store_job_complete(db, id1, "w3", 71000, &err), &err);
    must(sd_store_job_get(db, arena, id1, &back, &err), &err);
    assert_string_equal(back.state, "done");
    assert_int_equal(back.progress, 100);
    assert_int_equal(back.finished_at, 71000);
    assert_int_equal(back.attempts, 3);
    /* Done jobs are never leased again; a permanent failure is dead with its error. */
    char id3[SD_ID_MAX];
    struct sd_job j3 = job(id3, "ingest:u3", 80000);
    must(sd_store_job_enqueue(db, &j3, &created, NULL, &err), &err);
    must(sd_store_job_lease(db, arena, "w1", NULL, 0, 90000, 1000, &leased, &got, &err), &err);
    assert_true(got);
    assert_string_equal(leased.id, id3);
    must(sd_store_job_fail(db, id3, "w1", 90001, "not a video file", 0, &err), &err);
    must(sd_store_job_get(db, arena, id3, &back, &err), &err);
    assert_string_equal(back.state, "dead");
    assert_string_equal(back.last_error, "not a video file");
    must(sd_store_job_lease(db, arena, "w1", NULL, 0, 10000000, 1000, &leased, &got, &err), &err);
    assert_false(got);
    /* A worker takes only the kinds it runs. */
    char id4[SD_ID_MAX];
    struct sd_job j4 = job(id4, "other:1", 100);
    j4.kind = "speech.transcribe";
    must(sd_store_job_enqueue(db, &j4, &created, NULL, &err), &err);
    const char *mine[] = {"media.ingest"};
    must(sd_store_job_lease(db, arena, "w1", mine, 1, 10000000, 1000, &leased, &got, &err), &err);
    assert_false(got);
    const char *both[] = {"media.ingest", "speech.transcribe"};
    must(sd_store_job_lease(db, arena, "w1", both, 2, 10000000, 1000, &leased, &got, &err), &err);
    assert_true(got);
    assert_string_equal(leased.id, id4);
    assert_int_equal(sd_store_job_get(db, arena, "job_nope", &back, &err), SD_E_NOT_FOUND);
}

static void test_pool(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    sd_db *x = NULL, *y = NULL, *z = NULL;
    must(sd_store_get(store, &x, &err), &err);
    must(sd_store_get(store, &y, &err), &err);
    /* Three connections, all taken: the next get times out after wait_ms. */
    assert_int_equal(sd_store_get(store, &z, &err), SD_E_AGAIN);
    assert_non_null(strstr(err.msg, "db_pool"));
    struct sd_store_stats st;
    sd_store_stats(store, &st);
    assert_int_equal(st.n_conns, 3);
    assert_int_equal(st.n_in_use, 3);
    assert_true(st.n_timeouts >= 1);
    sd_store_put(store, y);
    must(sd_store_get(store, &z, &err), &err);
    assert_true(sd_store_ping(z));
    sd_store_put(store, z);
    sd_store_put(store, x);
}

/* Transcripts and full-text search: subjects, messages (internal only when
 * asked), transcript segments with their times; stemming; phrases; no
 * operator syntax of the user's reaches the engine; workspaces apart. */
static void test_search(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    char tid[SD_ID_MAX], mid[SD_ID_MAX], nid[SD_ID_MAX], md[SD_ID_MAX];
    struct sd_ticket t = ticket(ws_a, tid, 700);
    t.subject = "Export to CSV fails";
    must(sd_store_ticket_insert(db, &t, &err), &err);
    sd_id_new("msg", mid);
    struct sd_message m = {mid,        ws_a, tid,
                           "customer", NULL, "When I click export the report page freezes",
                           false,      701};
    must(sd_store_message_insert(db, &m, &err), &err);
    sd_id_new("msg", nid);
    struct sd_message note = {nid,  ws_a, tid, "agent", NULL, "escalated to the reports team",
                              true, 702};
    must(sd_store_message_insert(db, &note, &err), &err);
    sd_id_new("md", md);
    struct sd_media media = {.id = md,
                             .workspace_id = ws_a,
                             .created_at = 703,
                             .creator_type = "key",
                             .metadata = "",
                             .upload_length = 10,
                             .upload_offset = 10,
                             .state = "ready",
                             .message_id = mid,
                             .info = "{}",
                             .updated_at = 703};
    must(sd_store_media_insert(db, &media, &err), &err);
    struct sd_media got;
    must(sd_store_media_get(db, arena, ws_a, md, &got, &err), &err);
    assert_string_equal(got.transcript_state, "none");
    must(sd_store_media_transcript(db, ws_a, md, "processing", 40, NULL, 704, &err), &err);
    must(sd_store_media_get(db, arena, ws_a, md, &got, &err), &err);
    assert_string_equal(got.transcript_state, "processing");
    assert_int_equal(got.transcript_progress, 40);
    assert_int_equal(sd_store_media_transcript(db, ws_b, md, "ready", 100, NULL, 705, &err),
                     SD_E_NOT_FOUND);

    struct sd_transcript_row tr = {.media_id = md,
                                   .workspace_id = ws_a,
                                   .created_at = 705,
                                   .engine = "pocketsphinx",
                                   .model = "en-us",
                                   .language = "en",
                                   .duration_ms = 9000,
                                   .n_words = 14,
                                   .body = "{\"segments\":[]}"};
    struct sd_search_seg segs[] = {{0, 3000, "hello I am trying to export my invoices"},
                                   {4000, 9000, "and the single sign on with saml keeps failing"}};
    must(sd_store_transcript_put(db, &tr, segs, 2, &err), &err);
    /* Stored again (a retried job): replaced, not doubled. */
    must(sd_store_transcript_put(db, &tr, segs, 2, &err), &err);
    struct sd_transcript_row back;
    must(sd_store_transcript_get(db, arena, ws_a, md, &back, &err), &err);
    assert_string_equal(back.engine, "pocketsphinx");
    assert_int_equal(back.n_words, 14);
    assert_null(back.reason);
    assert_int_equal(sd_store_transcript_get(db, arena, ws_b, md, &back, &err), SD_E_NOT_FOUND);

    struct sd_search_hit *h = NULL;
    size_t n = 0;
    /* A spoken phrase: the transcript segment, its time, its ticket through the message. */
    must(sd_store_search(db, arena, ws_a, "\"single sign on\"", false, 10, &h, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].kind, "transcript");
    assert_string_equal(h[0].media_id, md);
    assert_string_equal(h[0].ticket_id, tid);
    assert_string_equal(h[0].message_id, mid);
    assert_int_equal(h[0].start_ms, 4000);
    assert_int_equal(h[0].end_ms, 9000);
    assert_non_null(strstr(h[0].snippet, "\x02"));
    /* Stemming: "exporting" finds export in the subject, the message and the transcript. */
    must(sd_store_search(db, arena, ws_a, "exporting", false, 10, &h, &n, &err), &err);
    assert_int_equal(n, 3);
    /* Every word is required. */
    must(sd_store_search(db, arena, ws_a, "export freezes", false, 10, &h, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].kind, "message");
    assert_int_equal(h[0].start_ms, -1);
    /* Internal notes only for whom may see them. */
    must(sd_store_search(db, arena, ws_a, "escalated", false, 10, &h, &n, &err), &err);
    assert_int_equal(n, 0);
    must(sd_store_search(db, arena, ws_a, "escalated", true, 10, &h, &n, &err), &err);
    assert_int_equal(n, 1);
    /* Another workspace sees nothing; operators and odd input are just words. */
    must(sd_store_search(db, arena, ws_b, "export", true, 10, &h, &n, &err), &err);
    assert_int_equal(n, 0);
    const char *odd[] = {"body:export", "export OR NEAR(", "*",     "\"", "'; DROP TABLE x; --", "",
                         "saml\"",      "-export",         "ÉXPORT"};
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        must(sd_store_search(db, arena, ws_a, odd[i], true, 10, &h, &n, &err), &err);
    }
    /* A changed subject is found by its new words. */
    t.subject = "Invoices vanish after the upgrade";
    must(sd_store_ticket_update(db, &t, &err), &err);
    must(sd_store_search(db, arena, ws_a, "vanish", false, 10, &h, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].kind, "subject");
    must(sd_store_search(db, arena, ws_a, "csv", false, 10, &h, &n, &err), &err);
    assert_int_equal(n, 0);
    /* Deleting the media takes its segments; deleting the ticket the rest. */
    must(sd_store_media_delete(db, ws_a, md, &err), &err);
    must(sd_store_search(db, arena, ws_a, "saml", false, 10, &h, &n, &err), &err);
    assert_int_equal(n, 0);
    must(sd_store_ticket_delete(db, ws_a, tid, &err), &err);
    must(sd_store_search(db, arena, ws_a, "export", true, 10, &h, &n, &err), &err);
    assert_int_equal(n, 0);
}

static void test_triage_and_kb(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    char tid[SD_ID_MAX];
    struct sd_ticket t = ticket(ws_a, tid, 700);
    must(sd_store_ticket_insert(db, &t, &err), &err);
    /* The first triage sets the fields that pass review; the JSON defaults hold. */
    struct sd_ticket got;
    must(sd_store_ticket_get(db, arena, ws_a, tid, &got, &err), &err);
    assert_string_equal(got.triage, "{}");
    assert_string_equal(got.kb_matches, "[]");
    struct sd_ticket_triage tt = {.workspace_id = ws_a,
                                  .ticket_id = tid,
                                  .title = "Export fails",
                                  .summary = "It fails. Twice.",
                                  .environment = "Chrome 120 on Windows",
                                  .triage = "{\"category\":{}}",
                                  .kb_matches = "[{\"article_id\":\"kba_x\"}]",
                                  .deflection = "offered",
                                  .value = {"bug", "high", NULL, "frustrated"},
                                  .ai = {"bug", "high", "reports", "frustrated"},
                                  .now_ms = 800};
    must(sd_store_ticket_triage(db, &tt, &err), &err);
    must(sd_store_ticket_get(db, arena, ws_a, tid, &got, &err), &err);
    assert_string_equal(got.title, "Export fails");
    assert_string_equal(got.category, "bug");
    assert_null(got.product_area);
    assert_string_equal(got.ai_product_area, "reports");
    assert_string_equal(got.deflection, "offered");
    assert_int_equal(got.triaged_at, 800);
    assert_int_equal(got.updated_at, 700);
    /* An agent's choice stays through a later triage; the models' own
     * earlier value moves. */
    got.category = "how_to";
    must(sd_store_ticket_update(db, &got, &err), &err);
    tt.value[0] = "billing";
    tt.ai[0] = "billing";
    tt.value[1] = "low";
    tt.ai[1] = "low";
    tt.deflection = NULL;
    must(sd_store_ticket_triage(db, &tt, &err), &err);
    must(sd_store_ticket_get(db, arena, ws_a, tid, &got, &err), &err);
    assert_string_equal(got.category, "how_to");
    assert_string_equal(got.urgency, "low");
    assert_string_equal(got.deflection, "offered");
    tt.workspace_id = ws_b;
    assert_int_equal(sd_store_ticket_triage(db, &tt, &err), SD_E_NOT_FOUND);

    /* Accuracy: category disagrees (how_to vs billing), urgency agrees. */
    struct sd_triage_accuracy acc;
    must(sd_store_triage_accuracy(db, ws_a, 0, &acc, &err), &err);
    assert_int_equal(acc.n[0], 1);
    assert_int_equal(acc.agree[0], 0);
    assert_int_equal(acc.n[1], 1);
    assert_int_equal(acc.agree[1], 1);
    must(sd_store_triage_accuracy(db, ws_a, 701, &acc, &err), &err);
    assert_int_equal(acc.n[0], 0);

    /* Corrections, by workspace. */
    char cid[SD_ID_MAX];
    sd_id_new("cor", cid);
    struct sd_triage_correction c = {
        cid, ws_a, 900, tid, "category", "billing", "how_to", NULL, "{\"transcript\":\"x\"}"};
    must(sd_store_correction_insert(db, &c, &err), &err);
    struct sd_triage_correction *cs;
    size_t n = 0;
    must(sd_store_correction_list(db, arena, ws_a, NULL, 10, &cs, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(cs[0].corrected, "how_to");
    must(sd_store_correction_list(db, arena, ws_b, NULL, 10, &cs, &n, &err), &err);
    assert_int_equal(n, 0);

    /* Models: the newest wins; without data only the counts are read. */
    struct sd_triage_model_row mr;
    assert_int_equal(sd_store_triage_model_latest(db, arena, ws_a, false, &mr, &err),
                     SD_E_NOT_FOUND);
    char m1[SD_ID_MAX], m2[SD_ID_MAX];
    sd_id_new("tmd", m1);
    sd_id_new("tmd", m2);
    struct sd_triage_model_row r1 = {m1, ws_a, 1000, 10, 1, "AAAA"},
                               r2 = {m2, ws_a, 2000, 11, 2, "BBBB"};
    must(sd_store_triage_model_insert(db, &r1, &err), &err);
    must(sd_store_triage_model_insert(db, &r2, &err), &err);
    must(sd_store_triage_model_latest(db, arena, ws_a, false, &mr, &err), &err);
    assert_string_equal(mr.id, m2);
    assert_null(mr.data);
    must(sd_store_triage_model_latest(db, arena, ws_a, true, &mr, &err), &err);
    assert_string_equal(mr.data, "BBBB");
    assert_int_equal(sd_store_triage_model_latest(db, arena, ws_b, true, &mr, &err),
                     SD_E_NOT_FOUND);

    /* Articles: insert, external id, update, change feed, soft delete. */
    char k1[SD_ID_MAX], k2[SD_ID_MAX];
    sd_id_new("kba", k1);
    sd_id_new("kba", k2);
    struct sd_kb_article a1 = {.id = k1,
                               .workspace_id = ws_a,
                               .created_at = 100,
                               .external_id = "kb_001",
                               .title = "Export",
                               .body = "**x**",
                               .tags = "[\"csv\"]",
                               .status = "published",
                               .updated_at = 100};
    struct sd_kb_article a2 = a1;
    a2.id = k2;
    a2.external_id = NULL;
    a2.title = "Draft";
    a2.status = "draft";
    a2.updated_at = 150;
    must(sd_store_kb_insert(db, &a1, &err), &err);
    must(sd_store_kb_insert(db, &a2, &err), &err);
    struct sd_kb_article a3 = a1;
    char k3[SD_ID_MAX];
    sd_id_new("kba", k3);
    a3.id = k3;
    assert_int_equal(sd_store_kb_insert(db, &a3, &err), SD_E_CONFLICT);
    struct sd_kb_article ka;
    must(sd_store_kb_find_external(db, arena, ws_a, "kb_001", &ka, &err), &err);
    assert_string_equal(ka.id, k1);
    assert_int_equal(sd_store_kb_find_external(db, arena, ws_b, "kb_001", &ka, &err),
                     SD_E_NOT_FOUND);
    struct sd_kb_article *ks;
    must(sd_store_kb_list(db, arena, ws_a, NULL, NULL, 10, &ks, &n, &err), &err);
    assert_int_equal(n, 2);
    must(sd_store_kb_list(db, arena, ws_a, "draft", NULL, 10, &ks, &n, &err), &err);
    assert_int_equal(n, 1);
    must(sd_store_kb_changed(db, arena, ws_a, 0, NULL, 10, &ks, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(ks[0].id, k1);
    must(sd_store_kb_changed(db, arena, ws_a, 100, k1, 10, &ks, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(ks[0].id, k2);
    ka.title = "Export to CSV";
    ka.updated_at = 200;
    must(sd_store_kb_update(db, &ka, &err), &err);
    must(sd_store_kb_delete(db, ws_a, k2, 300, &err), &err);
    assert_int_equal(sd_store_kb_delete(db, ws_a, k2, 300, &err), SD_E_NOT_FOUND);
    assert_int_equal(sd_store_kb_delete(db, ws_b, k1, 300, &err), SD_E_NOT_FOUND);
    assert_int_equal(sd_store_kb_get(db, arena, ws_a, k2, &ka, &err), SD_E_NOT_FOUND);
    must(sd_store_kb_changed(db, arena, ws_a, 150, k2, 10, &ks, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(ks[0].title, "Export to CSV");
    assert_int_equal(ks[1].deleted_at, 300);
    must(sd_store_kb_list(db, arena, ws_a, NULL, NULL, 10, &ks, &n, &err), &err);
    assert_int_equal(n, 1);
    must(sd_store_ticket_delete(db, ws_a, tid, &err), &err);
}

static void test_bad_url(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    sd_store *s = NULL;
    struct sd_store_opts o = {.url = "sqlite:/nonexistent-dir/x/y.db"};
    assert_int_not_equal(sd_store_open(&o, &s, &err), SD_OK);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x/y.db"));
    o.url = "postgres://nobody:secret-pw@127.0.0.1:1/none?connect_timeout=2";
    assert_int_equal(sd_store_open(&o, &s, &err), SD_E_AGAIN);
    assert_null(strstr(err.msg, "secret-pw"));
}

/* A fresh PostgreSQL database for this run, on the server of @base. */
static int pg_fresh(const char *base)
{
    PGconn *c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect to %s: %s", base, PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    char name[64], sql[128];
    snprintf(name, sizeof(name), "conformance_%d_%lld", (int)getpid(),
             (long long)sd_clock_wall_ms());
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (ok) {
        snprintf(url, sizeof(url), "postgres://%s@%s:%s/%s", PQuser(c), PQhost(c), PQport(c), name);
    }
    PQfinish(c);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *driver = argc > 1 ? argv[1] : "sqlite";
    char tmp[] = "/tmp/showdesk-store-XXXXXX";
    if (strcmp(driver, "postgres") == 0) {
        const char *base = getenv("SHOWDESK_TEST_PG_URL");
        if (base == NULL || base[0] == '\0') {
            const char *ci = getenv("CI");
            fprintf(stderr, "SHOWDESK_TEST_PG_URL is not set (scripts/test.sh sets it)\n");
            return ci && strcmp(ci, "true") == 0 ? 1 : 77;
        }
        if (pg_fresh(base) != 0) {
            return 1;
        }
    } else {
        if (mkdtemp(tmp) == NULL) {
            return 1;
        }
        snprintf(url, sizeof(url), "sqlite:%s/store.db", tmp);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_idempotent),
        cmocka_unit_test(test_workspaces),
        cmocka_unit_test(test_agents),
        cmocka_unit_test(test_customers),
        cmocka_unit_test(test_keys_sessions),
        cmocka_unit_test(test_tickets_and_threads),
        cmocka_unit_test(test_ticket_pages),
        cmocka_unit_test(test_many_statements),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_triage_and_kb),
        cmocka_unit_test(test_bad_url),
    };
    int rc = cmocka_run_group_tests_name(driver, tests, setup, teardown);
    if (strcmp(driver, "sqlite") == 0) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
        if (system(cmd) != 0) {
            rc = rc ? rc : 1;
        }
    }
    return rc;
}
