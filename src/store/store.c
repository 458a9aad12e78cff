/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the store: a connection pool over one driver, and every query of
 * Showdesk in portable SQL.
 *
 * Pool: n_conns slots; a slot's connection is opened on first use and kept.
 * sd_store_get takes a free slot (waiting on a condition variable up to
 * wait_ms); sd_store_put rolls back any open transaction and frees it. Lock
 * order: the pool mutex only, never held across a database call.
 *
 * Queries: each entity is described once by a column table (name, type,
 * offset in its model struct). Generic helpers build INSERT, SELECT by id,
 * UPDATE, DELETE and keyset-paginated lists from it, and copy result cells
 * back into the struct, so the SQL of every entity has one shape. Column 0 is
 * always "id", column 1 "workspace_id" (but for workspaces), and every
 * statement on workspace data has "workspace_id = ?" in its WHERE clause.
 */
#include "store/store.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/rand.h"
#include "base/mem.h"
#include "base/str.h"
#include "store/driver.h"
#include "base/banned.h"

static const struct sd_store_driver *const drivers[] = {&sd_store_pg, &sd_store_sqlite};

struct sd_db {
    sd_store *store;
    void *conn; /* driver state, priv_size bytes */
    bool is_open;
    bool is_in_use;
    bool in_tx;
};

struct sd_store {
    const struct sd_store_driver *drv;
    char *url;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    struct sd_db *slots;
    size_t n_slots;
    size_t n_in_use;
    uint64_t n_waits;
    uint64_t n_timeouts;
    uint64_t wait_ms;
};

/* ---- pool ------------------------------------------------------------- */

sd_status sd_store_open(const struct sd_store_opts *opts, sd_store **out, struct sd_err *err)
{
    const struct sd_store_driver *drv = NULL;
    for (size_t i = 0; i < SD_ARRAY_LEN(drivers) && drv == NULL; i++) {
        if (drivers[i]->accepts(opts->url)) {
            drv = drivers[i];
        }
    }
    if (drv == NULL) {
        return sd_err_set(err, SD_E_INVALID, "db",
                          "database URL must be postgres://…, postgresql://… or sqlite:PATH");
    }
    SD_ASSERT(drv->abi == SD_STORE_DRIVER_ABI);
    sd_store *s = sd_xcalloc(1, sizeof(*s));
    s->drv = drv;
    s->url = sd_xstrdup(opts->url);
    s->n_slots = opts->n_conns ? opts->n_conns : 4;
    s->wait_ms = opts->wait_ms ? opts->wait_ms : 5000;
    s->slots = sd_xcalloc(s->n_slots, sizeof(struct sd_db));
    for (size_t i = 0; i < s->n_slots; i++) {
        s->slots[i].store = s;
        s->slots[i].conn = sd_xcalloc(1, drv->priv_size);
    }
    (void)pthread_mutex_init(&s->lock, NULL);
    sd_clock_cond_init(&s->freed);
    /* The first connection now, so a wrong URL fails at start, not later. */
    sd_status st = drv->open(s->slots[0].conn, s->url, err);
    if (st != SD_OK) {
        sd_store_close(s);
        return st;
    }
    s->slots[0].is_open = true;
    *out = s;
    return SD_OK;
}

void sd_store_close(sd_store *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n_slots; i++) {
        SD_ASSERT(!s->slots[i].is_in_use);
        /* A failed open leaves state for close to release, so close every slot
         * that was tried; drivers accept a never-opened (zeroed) state. */
        s->drv->close(s->slots[i].conn);
        free(s->slots[i].conn);
    }
    free(s->slots);
    (void)pthread_mutex_destroy(&s->lock);
    (void)pthread_cond_destroy(&s->freed);
    free(s->url);
    free(s);
}

const char *sd_store_driver_name(const sd_store *s)
{
    return s->drv->name;
}

sd_status sd_store_get(sd_store *s, sd_db **out, struct sd_err *err)
{
    struct timespec deadline;
    sd_clock_deadline(&deadline, s->wait_ms);
    struct sd_db *db = NULL;
    bool waited = false;
    (void)pthread_mutex_lock(&s->lock);
    for (;;) {
        /* Prefer an open connection; open a new one only when none is free. */
        for (size_t i = 0; i < s->n_slots && db == NULL; i++) {
            if (!s->slots[i].is_in_use && s->slots[i].is_open) {
                db = &s->slots[i];
            }
        }
        for (size_t i = 0; i < s->n_slots && db == NULL; i++) {
            if (!s->slots[i].is_in_use) {
                db = &s->slots[i];
            }
        }
        if (db != NULL) {
            break;
        }
        if (!waited) {
            waited = true;
            s->n_waits++;
        }
        if (pthread_cond_timedwait(&s->freed, &s->lock, &deadline) != 0) {
            s->n_timeouts++;
            (void)pthread_mutex_unlock(&s->lock);
            return sd_err_set(err, SD_E_AGAIN, NULL,
                              "no free database connection after %llu ms (raise db_pool)",
                              (unsigned long long)s->wait_ms);
        }
    }
    db->is_in_use = true;
    s->n_in_use++;
    (void)pthread_mutex_unlock(&s->lock);

    if (!db->is_open) {
        memset(db->conn, 0, s->drv->priv_size);
        sd_status st = s->drv->open(db->conn, s->url, err);
        if (st != SD_OK) {
            s->drv->close(db->conn);
            memset(db->conn, 0, s->drv->priv_size);
            sd_store_put(s, db);
            return st;
        }
        db->is_open = true;
    }
    *out = db;
    return SD_OK;
}

void sd_store_put(sd_store *s, sd_db *db)
{
    if (db == NULL) {
        return;
    }
    if (db->in_tx) {
        sd_store_rollback(db);
    }
    (void)pthread_mutex_lock(&s->lock);
    db->is_in_use = false;
    s->n_in_use--;
    (void)pthread_cond_signal(&s->freed);
    (void)pthread_mutex_unlock(&s->lock);
}

void sd_store_stats(sd_store *s, struct sd_store_stats *out)
{
    (void)pthread_mutex_lock(&s->lock);
    out->n_conns = s->n_slots;
    out->n_in_use = s->n_in_use;
    out->n_waits = s->n_waits;
    out->n_timeouts = s->n_timeouts;
    (void)pthread_mutex_unlock(&s->lock);
}

bool sd_store_ping(sd_db *db)
{
    return db->store->drv->ping(db->conn);
}

sd_status sd_store_begin(sd_db *db, struct sd_err *err)
{
    sd_status st = db->store->drv->begin(db->conn, err);
    db->in_tx = st == SD_OK;
    return st;
}

sd_status sd_store_commit(sd_db *db, struct sd_err *err)
{
    sd_status st = db->store->drv->commit(db->conn, err);
    if (st == SD_OK) {
        db->in_tx = false;
    }
    return st;
}

void sd_store_rollback(sd_db *db)
{
    (void)db->store->drv->rollback(db->conn, NULL);
    db->in_tx = false;
}

/* For migrate.c: the driver and its connection state. */
sd_status sd__store_exec_script(sd_db *db, const char *sql, struct sd_err *err);
sd_status sd__store_exec_script(sd_db *db, const char *sql, struct sd_err *err)
{
    return db->store->drv->exec_script(db->conn, sql, err);
}

const char *sd__store_driver_name(const sd_db *db);
const char *sd__store_driver_name(const sd_db *db)
{
    return db->store->drv->name;
}

sd_status sd__store_migration_lock(sd_db *db, bool lock, struct sd_err *err);
sd_status sd__store_migration_lock(sd_db *db, bool lock, struct sd_err *err)
{
    if (lock) {
        return db->store->drv->migration_lock(db->conn, err);
    }
    db->store->drv->migration_unlock(db->conn);
    return SD_OK;
}

sd_status sd__store_query(sd_db *db, sd_arena *a, const char *sql, const struct sd_db_val *params,
                          size_t n_params, struct sd_db_rows *out, struct sd_err *err);
sd_status sd__store_query(sd_db *db, sd_arena *a, const char *sql, const struct sd_db_val *params,
                          size_t n_params, struct sd_db_rows *out, struct sd_err *err)
{
    return db->store->drv->query(db->conn, a, sql, params, n_params, out, err);
}

/* ---- entities --------------------------------------------------------- */

enum coltype { C_TEXT, C_INT, C_BOOL, C_TIME };

struct col {
    const char *name;
    enum coltype type;
    size_t off;
};

struct entity {
    const char *table;
    const char *what;     /* for messages: "ticket" */
    const char *conflict; /* message for a unique violation */
    const struct col *cols;
    size_t n_cols;
    size_t size;    /* sizeof the model struct */
    bool has_ws;    /* column 1 is workspace_id */
    size_t n_fixed; /* leading columns an UPDATE leaves alone */
};

#define COL(T, f, t)                                                                               \
    {                                                                                              \
#f, t, offsetof(T, f)                                                                      \
    }

static const struct col workspace_cols[] = {
    COL(struct sd_workspace, id, C_TEXT),       COL(struct sd_workspace, created_at, C_INT),
    COL(struct sd_workspace, name, C_TEXT),     COL(struct sd_workspace, allowed_origins, C_TEXT),
    COL(struct sd_workspace, settings, C_TEXT), COL(struct sd_workspace, updated_at, C_INT),
};
static const struct entity workspace_ent = {"workspaces",
                                            "workspace",
                                            "a workspace with this id exists",
                                            workspace_cols,
                                            SD_ARRAY_LEN(workspace_cols),
                                            sizeof(struct sd_workspace),
                                            false,
                                            2};

static const struct col agent_cols[] = {
    COL(struct sd_agent, id, C_TEXT),
    COL(struct sd_agent, workspace_id, C_TEXT),
    COL(struct sd_agent, created_at, C_INT),
    COL(struct sd_agent, email, C_TEXT),
    COL(struct sd_agent, name, C_TEXT),
    COL(struct sd_agent, role, C_TEXT),
    COL(struct sd_agent, password_hash, C_TEXT),
    COL(struct sd_agent, updated_at, C_INT),
};
static const struct entity agent_ent = {"agents",
                                        "agent",
                                        "an agent with this email already exists in the workspace",
                                        agent_cols,
                                        SD_ARRAY_LEN(agent_cols),
                                        sizeof(struct sd_agent),
                                        true,
                                        3};

static const struct col customer_cols[] = {
    COL(struct sd_customer, id, C_TEXT),        COL(struct sd_customer, workspace_id, C_TEXT),
    COL(struct sd_customer, created_at, C_INT), COL(struct sd_customer, external_id, C_TEXT),
    COL(struct sd_customer, email, C_TEXT),     COL(struct sd_customer, name, C_TEXT),
    COL(struct sd_customer, plan, C_TEXT),      COL(struct sd_customer, updated_at, C_INT),
};
static const struct entity customer_ent = {
    "customers",
    "customer",
    "a customer with this email or external_id already exists",
    customer_cols,
    SD_ARRAY_LEN(customer_cols),
    sizeof(struct sd_customer),
    true,
    3};

static const struct col key_cols[] = {
    COL(struct sd_api_key, id, C_TEXT),         COL(struct sd_api_key, workspace_id, C_TEXT),
    COL(struct sd_api_key, created_at, C_INT),  COL(struct sd_api_key, kind, C_TEXT),
    COL(struct sd_api_key, name, C_TEXT),       COL(struct sd_api_key, prefix, C_TEXT),
    COL(struct sd_api_key, key_hash, C_TEXT),   COL(struct sd_api_key, last_used_at, C_TIME),
    COL(struct sd_api_key, revoked_at, C_TIME),
};
static const struct entity key_ent = {"api_keys",
                                      "key",
                                      "this key already exists",
                                      key_cols,
                                      SD_ARRAY_LEN(key_cols),
                                      sizeof(struct sd_api_key),
                                      true,
                                      3};

static const struct col session_cols[] = {
    COL(struct sd_session, id, C_TEXT),         COL(struct sd_session, workspace_id, C_TEXT),
    COL(struct sd_session, created_at, C_INT),  COL(struct sd_session, agent_id, C_TEXT),
    COL(struct sd_session, token_hash, C_TEXT), COL(struct sd_session, csrf_token, C_TEXT),
    COL(struct sd_session, expires_at, C_INT),
};
static const struct entity session_ent = {"sessions",
                                          "session",
                                          "this session already exists",
                                          session_cols,
                                          SD_ARRAY_LEN(session_cols),
                                          sizeof(struct sd_session),
                                          true,
                                          3};

static const struct col ticket_cols[] = {
    COL(struct sd_ticket, id, C_TEXT),
    COL(struct sd_ticket, workspace_id, C_TEXT),
    COL(struct sd_ticket, created_at, C_INT),
    COL(struct sd_ticket, subject, C_TEXT),
    COL(struct sd_ticket, status, C_TEXT),
    COL(struct sd_ticket, channel, C_TEXT),
    COL(struct sd_ticket, priority, C_TEXT),
    COL(struct sd_ticket, category, C_TEXT),
    COL(struct sd_ticket, urgency, C_TEXT),
    COL(struct sd_ticket, product_area, C_TEXT),
    COL(struct sd_ticket, sentiment, C_TEXT),
    COL(struct sd_ticket, assignee_id, C_TEXT),
    COL(struct sd_ticket, customer_id, C_TEXT),
    COL(struct sd_ticket, context, C_TEXT),
    COL(struct sd_ticket, updated_at, C_INT),
    COL(struct sd_ticket, first_response_at, C_TIME),
    COL(struct sd_ticket, resolved_at, C_TIME),
    COL(struct sd_ticket, title, C_TEXT),
    COL(struct sd_ticket, summary, C_TEXT),
    COL(struct sd_ticket, environment, C_TEXT),
    COL(struct sd_ticket, triage, C_TEXT),
    COL(struct sd_ticket, kb_matches, C_TEXT),
    COL(struct sd_ticket, deflection, C_TEXT),
    COL(struct sd_ticket, triaged_at, C_TIME),
    COL(struct sd_ticket, ai_category, C_TEXT),
    COL(struct sd_ticket, ai_urgency, C_TEXT),
    COL(struct sd_ticket, ai_product_area, C_TEXT),
    COL(struct sd_ticket, ai_sentiment, C_TEXT),
};
static const struct entity ticket_ent = {"tickets",
                                         "ticket",
                                         "this ticket already exists",
                                         ticket_cols,
                                         SD_ARRAY_LEN(ticket_cols),
                                         sizeof(struct sd_ticket),
                                         true,
                                         3};

static const struct col message_cols[] = {
    COL(struct sd_message, id, C_TEXT),          COL(struct sd_message, workspace_id, C_TEXT),
    COL(struct sd_message, created_at, C_INT),   COL(struct sd_message, ticket_id, C_TEXT),
    COL(struct sd_message, author_type, C_TEXT), COL(struct sd_message, author_id, C_TEXT),
    COL(struct sd_message, body, C_TEXT),        COL(struct sd_message, is_internal, C_BOOL),
};
static const struct entity message_ent = {"messages",
                                          "message",
                                          "this message already exists",
                                          message_cols,
                                          SD_ARRAY_LEN(message_cols),
                                          sizeof(struct sd_message),
                                          true,
                                          3};

static const struct col activity_cols[] = {
    COL(struct sd_activity, id, C_TEXT),         COL(struct sd_activity, workspace_id, C_TEXT),
    COL(struct sd_activity, created_at, C_INT),  COL(struct sd_activity, ticket_id, C_TEXT),
    COL(struct sd_activity, actor_type, C_TEXT), COL(struct sd_activity, actor_id, C_TEXT),
    COL(struct sd_activity, action, C_TEXT),     COL(struct sd_activity, detail, C_TEXT),
};
static const struct entity activity_ent = {"activity",
                                           "activity",
                                           "this activity already exists",
                                           activity_cols,
                                           SD_ARRAY_LEN(activity_cols),
                                           sizeof(struct sd_activity),
                                           true,
                                           3};

static const struct col job_cols[] = {
    COL(struct sd_job, id, C_TEXT),
    COL(struct sd_job, created_at, C_INT),
    COL(struct sd_job, workspace_id, C_TEXT),
    COL(struct sd_job, kind, C_TEXT),
    COL(struct sd_job, idempotency_key, C_TEXT),
    COL(struct sd_job, payload, C_TEXT),
    COL(struct sd_job, state, C_TEXT),
    COL(struct sd_job, attempts, C_INT),
    COL(struct sd_job, max_attempts, C_INT),
    COL(struct sd_job, run_at, C_INT),
    COL(struct sd_job, lease_owner, C_TEXT),
    COL(struct sd_job, lease_until, C_TIME),
    COL(struct sd_job, progress, C_INT),
    COL(struct sd_job, last_error, C_TEXT),
    COL(struct sd_job, updated_at, C_INT),
    COL(struct sd_job, finished_at, C_TIME),
};
static const struct entity job_ent = {"jobs",
                                      "job",
                                      "a job with this idempotency key exists",
                                      job_cols,
                                      SD_ARRAY_LEN(job_cols),
                                      sizeof(struct sd_job),
                                      false,
                                      2};

static const struct col kb_cols[] = {
    COL(struct sd_kb_article, id, C_TEXT),        COL(struct sd_kb_article, workspace_id, C_TEXT),
    COL(struct sd_kb_article, created_at, C_INT), COL(struct sd_kb_article, external_id, C_TEXT),
    COL(struct sd_kb_article, title, C_TEXT),     COL(struct sd_kb_article, body, C_TEXT),
    COL(struct sd_kb_article, tags, C_TEXT),      COL(struct sd_kb_article, product_area, C_TEXT),
    COL(struct sd_kb_article, media_id, C_TEXT),  COL(struct sd_kb_article, status, C_TEXT),
    COL(struct sd_kb_article, updated_at, C_INT), COL(struct sd_kb_article, deleted_at, C_TIME),
};
static const struct entity kb_ent = {"kb_articles",
                                     "article",
                                     "an article with this external id exists in the workspace",
                                     kb_cols,
                                     SD_ARRAY_LEN(kb_cols),
                                     sizeof(struct sd_kb_article),
                                     true,
                                     3};

static const struct col correction_cols[] = {
    COL(struct sd_triage_correction, id, C_TEXT),
    COL(struct sd_triage_correction, workspace_id, C_TEXT),
    COL(struct sd_triage_correction, created_at, C_INT),
    COL(struct sd_triage_correction, ticket_id, C_TEXT),
    COL(struct sd_triage_correction, field, C_TEXT),
    COL(struct sd_triage_correction, predicted, C_TEXT),
    COL(struct sd_triage_correction, corrected, C_TEXT),
    COL(struct sd_triage_correction, agent_id, C_TEXT),
    COL(struct sd_triage_correction, example, C_TEXT),
};
static const struct entity correction_ent = {"triage_corrections",
                                             "correction",
                                             "this correction already exists",
                                             correction_cols,
                                             SD_ARRAY_LEN(correction_cols),
                                             sizeof(struct sd_triage_correction),
                                             true,
                                             3};

static const struct col tmodel_cols[] = {
    COL(struct sd_triage_model_row, id, C_TEXT),
    COL(struct sd_triage_model_row, workspace_id, C_TEXT),
    COL(struct sd_triage_model_row, created_at, C_INT),
    COL(struct sd_triage_model_row, n_examples, C_INT),
    COL(struct sd_triage_model_row, n_corrections, C_INT),
    COL(struct sd_triage_model_row, data, C_TEXT),
};
static const struct entity tmodel_ent = {"triage_models",
                                         "triage model",
                                         "this triage model already exists",
                                         tmodel_cols,
                                         SD_ARRAY_LEN(tmodel_cols),
                                         sizeof(struct sd_triage_model_row),
                                         true,
                                         3};

static const struct col media_cols[] = {
    COL(struct sd_media, id, C_TEXT),
    COL(struct sd_media, workspace_id, C_TEXT),
    COL(struct sd_media, created_at, C_INT),
    COL(struct sd_media, creator_type, C_TEXT),
    COL(struct sd_media, creator_id, C_TEXT),
    COL(struct sd_media, filename, C_TEXT),
    COL(struct sd_media, content_type, C_TEXT),
    COL(struct sd_media, metadata, C_TEXT),
    COL(struct sd_media, upload_length, C_INT),
    COL(struct sd_media, upload_offset, C_INT),
    COL(struct sd_media, state, C_TEXT),
    COL(struct sd_media, progress, C_INT),
    COL(struct sd_media, failure, C_TEXT),
    COL(struct sd_media, message_id, C_TEXT),
    COL(struct sd_media, info, C_TEXT),
    COL(struct sd_media, duration_ms, C_TIME),
    COL(struct sd_media, size_bytes, C_TIME),
    COL(struct sd_media, expires_at, C_TIME),
    COL(struct sd_media, updated_at, C_INT),
    COL(struct sd_media, transcript_state, C_TEXT),
    COL(struct sd_media, transcript_progress, C_INT),
    COL(struct sd_media, transcript_failure, C_TEXT),
};
static const struct entity media_ent = {"media",
                                        "media",
                                        "this media already exists",
                                        media_cols,
                                        SD_ARRAY_LEN(media_cols),
                                        sizeof(struct sd_media),
                                        true,
                                        3};

#define SQL_MAX 2048

static struct sd_db_val get_val(const void *obj, const struct col *c)
{
    const char *base = obj;
    switch (c->type) {
    case C_TEXT: {
        const char *s = *(const char *const *)(const void *)(base + c->off);
        return s ? SD_DB_TEXT_C(s) : SD_DB_NULLV;
    }
    case C_INT:
        return SD_DB_I64(*(const int64_t *)(const void *)(base + c->off));
    case C_TIME: {
        int64_t v = *(const int64_t *)(const void *)(base + c->off);
        return v ? SD_DB_I64(v) : SD_DB_NULLV;
    }
    case C_BOOL:
        return SD_DB_I64(*(const bool *)(const void *)(base + c->off) ? 1 : 0);
    }
    return SD_DB_NULLV;
}

static void set_val(void *obj, const struct col *c, const char *cell)
{
    char *base = obj;
    switch (c->type) {
    case C_TEXT:
        *(const char **)(void *)(base + c->off) = cell;
        return;
    case C_INT:
    case C_TIME:
        *(int64_t *)(void *)(base + c->off) = cell ? strtoll(cell, NULL, 10) : 0;
        return;
    case C_BOOL:
        /* SQLite gives "1", PostgreSQL an integer column's "1" as well. */
        *(bool *)(void *)(base + c->off) = cell && cell[0] != '0';
        return;
    }
}

/* "c1, c2, …" of an entity, built once per entity: the hot path copies it
 * instead of formatting every column name on every query. */
#define N_ENTITIES 13
static const struct entity *const entities[N_ENTITIES] = {
    &workspace_ent, &agent_ent, &customer_ent, &key_ent, &session_ent,    &ticket_ent, &message_ent,
    &activity_ent,  &job_ent,   &media_ent,    &kb_ent,  &correction_ent, &tmodel_ent,
};
static char col_text[N_ENTITIES][768];
static pthread_once_t col_once = PTHREAD_ONCE_INIT;

static void build_col_text(void)
{
    for (size_t k = 0; k < N_ENTITIES; k++) {
        struct sd_buf b = SD_BUF_INIT(sizeof(col_text[k]) - 1);
        for (size_t i = 0; i < entities[k]->n_cols; i++) {
            SD_ASSERT(sd_buf_printf(&b, "%s%s", i ? ", " : "", entities[k]->cols[i].name) == SD_OK);
        }
        memcpy(col_text[k], b.data, b.len + 1);
        sd_buf_release(&b);
    }
}

static void col_list(const struct entity *e, struct sd_buf *b)
{
    (void)pthread_once(&col_once, build_col_text);
    for (size_t k = 0; k < N_ENTITIES; k++) {
        if (entities[k] == e) {
            SD_ASSERT(sd_buf_puts(b, col_text[k]) == SD_OK);
            return;
        }
    }
    SD_BUG("entity missing from the entities table");
}

/* Copies the rows of @r into a new arena array of @e's structs. */
static void *to_structs(sd_arena *a, const struct entity *e, const struct sd_db_rows *r)
{
    char *arr = sd_arena_alloc(a, (r->n_rows ? r->n_rows : 1) * e->size);
    SD_ASSERT(r->n_rows == 0 || r->n_cols == e->n_cols);
    for (size_t i = 0; i < r->n_rows; i++) {
        for (size_t c = 0; c < e->n_cols; c++) {
            set_val(arr + i * e->size, &e->cols[c], r->cells[i * r->n_cols + c]);
        }
    }
    return arr;
}

static sd_status query(sd_db *db, sd_arena *a, const char *sql, const struct sd_db_val *p, size_t n,
                       struct sd_db_rows *out, struct sd_err *err)
{
    return db->store->drv->query(db->conn, a, sql, p, n, out, err);
}

/* Runs a statement that returns no rows, with a scratch arena. */
static sd_status exec(sd_db *db, const char *sql, const struct sd_db_val *p, size_t n,
                      int64_t *n_changed, struct sd_err *err)
{
    sd_arena *a = sd_arena_new();
    struct sd_db_rows r;
    sd_status st = query(db, a, sql, p, n, &r, err);
    if (st == SD_OK && n_changed != NULL) {
        *n_changed = r.n_changed;
    }
    sd_arena_free(a);
    return st;
}

static sd_status not_found(const struct entity *e, const char *id, struct sd_err *err)
{
    return sd_err_set(err, SD_E_NOT_FOUND, "id", "%s '%.60s' not found", e->what, id);
}

/* INSERT of every column; @suffix (nullable) ends the statement, e.g. ON CONFLICT. */
static sd_status ent_insert_ex(sd_db *db, const struct entity *e, const void *obj,
                               const char *suffix, int64_t *n_changed, struct sd_err *err)
{
    struct sd_buf sql = SD_BUF_INIT(SQL_MAX);
    struct sd_db_val vals[40];
    SD_ASSERT(e->n_cols <= SD_ARRAY_LEN(vals));
    SD_ASSERT(sd_buf_printf(&sql, "INSERT INTO %s (", e->table) == SD_OK);
    col_list(e, &sql);
    SD_ASSERT(sd_buf_puts(&sql, ") VALUES (") == SD_OK);
    for (size_t i = 0; i < e->n_cols; i++) {
        SD_ASSERT(sd_buf_puts(&sql, i ? ", ?" : "?") == SD_OK);
        vals[i] = get_val(obj, &e->cols[i]);
    }
    SD_ASSERT(sd_buf_puts(&sql, ")") == SD_OK);
    if (suffix != NULL) {
        SD_ASSERT(sd_buf_puts(&sql, suffix) == SD_OK);
    }
    sd_status st = exec(db, sd_buf_cstr(&sql), vals, e->n_cols, n_changed, err);
    sd_buf_release(&sql);
    if (st == SD_E_CONFLICT) {
        /* Tell a missing referenced row from a duplicate for the caller. */
        bool is_fk =
            err != NULL && (strstr(err->msg, "FOREIGN KEY") || strstr(err->msg, "foreign key"));
        return sd_err_set(err, SD_E_CONFLICT, NULL, "%s",
                          is_fk ? "a referenced object does not exist" : e->conflict);
    }
    return st;
}

static sd_status ent_insert(sd_db *db, const struct entity *e, const void *obj, struct sd_err *err)
{
    return ent_insert_ex(db, e, obj, NULL, NULL, err);
}

/* Selects rows of @e matching @where (with @p) ordered by @order, at most @limit. */
static sd_status ent_select(sd_db *db, sd_arena *a, const struct entity *e, const char *where,
                            const struct sd_db_val *p, size_t n, const char *order, size_t limit,
                            void **out, size_t *n_out, struct sd_err *err)
{
    struct sd_buf sql = SD_BUF_INIT(SQL_MAX);
    struct sd_db_rows r;
    char lim[24];
    SD_ASSERT(sd_buf_puts(&sql, "SELECT ") == SD_OK);
    col_list(e, &sql);
    SD_ASSERT(sd_buf_puts(&sql, " FROM ") == SD_OK && sd_buf_puts(&sql, e->table) == SD_OK &&
              sd_buf_puts(&sql, " WHERE ") == SD_OK && sd_buf_puts(&sql, where) == SD_OK);
    if (order != NULL) {
        SD_ASSERT(sd_buf_puts(&sql, " ORDER BY ") == SD_OK && sd_buf_puts(&sql, order) == SD_OK);
    }
    /* A tiny hand-made itoa: this runs on every read. */
    size_t n_lim = sizeof(lim);
    lim[--n_lim] = '\0';
    do {
        lim[--n_lim] = (char)('0' + limit % 10);
        limit /= 10;
    } while (limit > 0 && n_lim > 0);
    SD_ASSERT(sd_buf_puts(&sql, " LIMIT ") == SD_OK && sd_buf_puts(&sql, lim + n_lim) == SD_OK);
    sd_status st = query(db, a, sd_buf_cstr(&sql), p, n, &r, err);
    sd_buf_release(&sql);
    if (st != SD_OK) {
        return st;
    }
    *out = to_structs(a, e, &r);
    *n_out = r.n_rows;
    return SD_OK;
}

static sd_status ent_get(sd_db *db, sd_arena *a, const struct entity *e, const char *ws,
                         const char *id, void *out, struct sd_err *err)
{
    void *rows = NULL;
    size_t n = 0;
    struct sd_db_val p[2] = {SD_DB_TEXT_C(id), ws ? SD_DB_TEXT_C(ws) : SD_DB_NULLV};
    sd_status st = ent_select(db, a, e, e->has_ws ? "id = ? AND workspace_id = ?" : "id = ?", p,
                              e->has_ws ? 2 : 1, NULL, 1, &rows, &n, err);
    if (st != SD_OK) {
        return st;
    }
    if (n == 0) {
        return not_found(e, id, err);
    }
    memcpy(out, rows, e->size);
    return SD_OK;
}

static sd_status ent_update(sd_db *db, const struct entity *e, const void *obj, struct sd_err *err)
{
    struct sd_buf sql = SD_BUF_INIT(SQL_MAX);
    struct sd_db_val vals[40];
    size_t n = 0;
    SD_ASSERT(sd_buf_printf(&sql, "UPDATE %s SET ", e->table) == SD_OK);
    for (size_t i = e->n_fixed; i < e->n_cols; i++) {
        SD_ASSERT(sd_buf_printf(&sql, "%s%s = ?", i > e->n_fixed ? ", " : "", e->cols[i].name) ==
                  SD_OK);
        vals[n++] = get_val(obj, &e->cols[i]);
    }
    SD_ASSERT(sd_buf_puts(&sql, " WHERE id = ?") == SD_OK);
    vals[n++] = get_val(obj, &e->cols[0]);
    if (e->has_ws) {
        SD_ASSERT(sd_buf_puts(&sql, " AND workspace_id = ?") == SD_OK);
        vals[n++] = get_val(obj, &e->cols[1]);
    }
    int64_t changed = 0;
    sd_status st = exec(db, sd_buf_cstr(&sql), vals, n, &changed, err);
    sd_buf_release(&sql);
    if (st == SD_E_CONFLICT) {
        return sd_err_set(err, SD_E_CONFLICT, NULL, "%s", e->conflict);
    }
    if (st == SD_OK && changed == 0) {
        return not_found(e, *(const char *const *)obj, err);
    }
    return st;
}

static sd_status ent_delete(sd_db *db, const struct entity *e, const char *ws, const char *id,
                            struct sd_err *err)
{
    char sql[128];
    (void)snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ? AND workspace_id = ?", e->table);
    struct sd_db_val p[2] = {SD_DB_TEXT_C(id), SD_DB_TEXT_C(ws)};
    int64_t changed = 0;
    sd_status st = exec(db, sql, p, 2, &changed, err);
    if (st == SD_OK && changed == 0) {
        return not_found(e, id, err);
    }
    return st;
}

/* Rows of a workspace (and optionally one ticket) after @after_id, oldest first. */
static sd_status ent_page(sd_db *db, sd_arena *a, const struct entity *e, const char *ws,
                          const char *extra_where, const char *extra_val, const char *after_id,
                          size_t limit, void **out, size_t *n_out, struct sd_err *err)
{
    char where[256];
    struct sd_db_val p[3];
    size_t n = 0;
    p[n++] = SD_DB_TEXT_C(ws);
    if (extra_where != NULL) {
        p[n++] = SD_DB_TEXT_C(extra_val);
    }
    if (after_id != NULL) {
        p[n++] = SD_DB_TEXT_C(after_id);
    }
    (void)snprintf(where, sizeof(where), "workspace_id = ?%s%s%s", extra_where ? " AND " : "",
                   extra_where ? extra_where : "", after_id ? " AND id > ?" : "");
    return ent_select(db, a, e, where, p, n, "id", limit, out, n_out, err);
}

/* ---- workspaces --------------------------------------------------------- */

sd_status sd_store_workspace_insert(sd_db *db, const struct sd_workspace *w, struct sd_err *err)
{
    return ent_insert(db, &workspace_ent, w, err);
}

sd_status sd_store_workspace_get(sd_db *db, sd_arena *a, const char *id, struct sd_workspace *out,
                                 struct sd_err *err)
{
    return ent_get(db, a, &workspace_ent, NULL, id, out, err);
}

sd_status sd_store_workspace_update(sd_db *db, const struct sd_workspace *w, struct sd_err *err)
{
    return ent_update(db, &workspace_ent, w, err);
}

sd_status sd_store_workspace_lock(sd_db *db, const char *id, struct sd_err *err)
{
    struct sd_db_val p[1] = {SD_DB_TEXT_C(id)};
    int64_t changed = 0;
    sd_status st =
        exec(db, "UPDATE workspaces SET updated_at = updated_at WHERE id = ?", p, 1, &changed, err);
    if (st == SD_OK && changed == 0) {
        return not_found(&workspace_ent, id, err);
    }
    return st;
}

sd_status sd_store_workspace_list(sd_db *db, sd_arena *a, size_t limit, struct sd_workspace **out,
                                  size_t *n_out, struct sd_err *err)
{
    return ent_select(db, a, &workspace_ent, "1 = 1", NULL, 0, "id", limit, (void **)out, n_out,
                      err);
}

/* ---- agents ------------------------------------------------------------- */

sd_status sd_store_agent_insert(sd_db *db, const struct sd_agent *ag, struct sd_err *err)
{
    return ent_insert(db, &agent_ent, ag, err);
}

sd_status sd_store_agent_get(sd_db *db, sd_arena *a, const char *ws_id, const char *id,
                             struct sd_agent *out, struct sd_err *err)
{
    return ent_get(db, a, &agent_ent, ws_id, id, out, err);
}

sd_status sd_store_agent_update(sd_db *db, const struct sd_agent *ag, struct sd_err *err)
{
    return ent_update(db, &agent_ent, ag, err);
}

sd_status sd_store_agent_delete(sd_db *db, const char *ws_id, const char *id, struct sd_err *err)
{
    return ent_delete(db, &agent_ent, ws_id, id, err);
}

sd_status sd_store_agent_list(sd_db *db, sd_arena *a, const char *ws_id, const char *after_id,
                              size_t limit, struct sd_agent **out, size_t *n_out,
                              struct sd_err *err)
{
    return ent_page(db, a, &agent_ent, ws_id, NULL, NULL, after_id, limit, (void **)out, n_out,
                    err);
}

sd_status sd_store_agent_find_email(sd_db *db, sd_arena *a, const char *email, size_t limit,
                                    struct sd_agent **out, size_t *n_out, struct sd_err *err)
{
    struct sd_db_val p[1] = {SD_DB_TEXT_C(email)};
    return ent_select(db, a, &agent_ent, "email = ?", p, 1, "id", limit, (void **)out, n_out, err);
}

sd_status sd_store_agent_count_admins(sd_db *db, const char *ws_id, int64_t *out,
                                      struct sd_err *err)
{
    sd_arena *a = sd_arena_new();
    struct sd_db_rows r;
    struct sd_db_val p[1] = {SD_DB_TEXT_C(ws_id)};
    sd_status st =
        query(db, a, "SELECT COUNT(*) FROM agents WHERE workspace_id = ? AND role = 'admin'", p, 1,
              &r, err);
    if (st == SD_OK) {
        *out = r.n_rows == 1 && r.cells[0] ? strtoll(r.cells[0], NULL, 10) : 0;
    }
    sd_arena_free(a);
    return st;
}

/* ---- customers ---------------------------------------------------------- */

sd_status sd_store_customer_insert(sd_db *db, const struct sd_customer *c, struct sd_err *err)
{
    return ent_insert(db, &customer_ent, c, err);
}

sd_status sd_store_customer_insert_new(sd_db *db, const struct sd_customer *c, bool *created_out,
                                       struct sd_err *err)
{
    int64_t changed = 0;
    sd_status st = ent_insert_ex(db, &customer_ent, c, " ON CONFLICT DO NOTHING", &changed, err);
    *created_out = st == SD_OK && changed == 1;
    return st;
}

sd_status sd_store_customer_get(sd_db *db, sd_arena *a, const char *ws_id, const char *id,
                                struct sd_customer *out, struct sd_err *err)
{
    return ent_get(db, a, &customer_ent, ws_id, id, out, err);
}

sd_status sd_store_customer_find(sd_db *db, sd_arena *a, const char *ws_id, const char *external_id,
                                 const char *email, struct sd_customer *out, struct sd_err *err)
{
    void *rows = NULL;
    size_t n = 0;
    const char *key = external_id ? external_id : email;
    if (key == NULL) {
        return sd_err_set(err, SD_E_NOT_FOUND, "customer", "customer not found");
    }
    struct sd_db_val p[2] = {SD_DB_TEXT_C(ws_id), SD_DB_TEXT_C(key)};
    sd_status st = ent_select(db, a, &customer_ent,
                              external_id ? "workspace_id = ? AND external_id = ?"
                                          : "workspace_id = ? AND email = ?",
                              p, 2, NULL, 1, &rows, &n, err);
    if (st != SD_OK) {
        return st;
    }
    if (n == 0) {
        return sd_err_set(err, SD_E_NOT_FOUND, "customer", "customer '%.60s' not found", key);
    }
    memcpy(out, rows, sizeof(*out));
    return SD_OK;
}

sd_status sd_store_customer_update(sd_db *db, const struct sd_customer *c, struct sd_err *err)
{
    return ent_update(db, &customer_ent, c, err);
}

sd_status sd_store_customer_delete(sd_db *db, const char *ws_id, const char *id, struct sd_err *err)
{
    return ent_delete(db, &customer_ent, ws_id, id, err);
}

sd_status sd_store_customer_list(sd_db *db, sd_arena *a, const char *ws_id, const char *after_id,
                                 size_t limit, struct sd_customer **out, size_t *n_out,
                                 struct sd_err *err)
{
    return ent_page(db, a, &customer_ent, ws_id, NULL, NULL, after_id, limit, (void **)out, n_out,
                    err);
}

/* ---- API keys ----------------------------------------------------------- */

sd_status sd_store_key_insert(sd_db *db, const struct sd_api_key *k, struct sd_err *err)
{
    return ent_insert(db, &key_ent, k, err);
}

sd_status sd_store_key_find_hash(sd_db *db, sd_arena *a, const char *key_hash,
                                 struct sd_api_key *out, struct sd_err *err)
{
    void *rows = NULL;
    size_t n = 0;
    struct sd_db_val p[1] = {SD_DB_TEXT_C(key_hash)};
    sd_status st = ent_select(db, a, &key_ent, "key_hash = ? AND revoked_at IS NULL", p, 1, NULL, 1,
                              &rows, &n, err);
    if (st != SD_OK) {
        return st;
    }
    if (n == 0) {
        return sd_err_set(err, SD_E_NOT_FOUND, NULL, "key not found");
    }
    memcpy(out, rows, sizeof(*out));
    return SD_OK;
}

sd_status sd_store_key_get(sd_db *db, sd_arena *a, const char *ws_id, const char *id,
                           struct sd_api_key *out, struct sd_err *err)
{
    return ent_get(db, a, &key_ent, ws_id, id, out, err);
}

sd_status sd_store_key_revoke(sd_db *db, const char *ws_id, const char *id, int64_t now_ms,
                              struct sd_err *err)
{
    struct sd_db_val p[3] = {SD_DB_I64(now_ms), SD_DB_TEXT_C(id), SD_DB_TEXT_C(ws_id)};
    int64_t changed = 0;
    sd_status st = exec(db,
                        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND workspace_id = ? "
                        "AND revoked_at IS NULL",
                        p, 3, &changed, err);
    if (st == SD_OK && changed == 0) {
        return not_found(&key_ent, id, err);
    }
    return st;
}

sd_status sd_store_key_touch(sd_db *db, const char *id, int64_t now_ms, struct sd_err *err)
{
    struct sd_db_val p[2] = {SD_DB_I64(now_ms), SD_DB_TEXT_C(id)};
    return exec(db, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", p, 2, NULL, err);
}

sd_status sd_store_key_list(sd_db *db, sd_arena *a, const char *ws_id, const char *after_id,
                            size_t limit, struct sd_api_key **out, size_t *n_out,
                            struct sd_err *err)
{
    return ent_page(db, a, &key_ent, ws_id, NULL, NULL, after_id, limit, (void **)out, n_out, err);
}

/* ---- sessions ----------------------------------------------------------- */

sd_status sd_store_session_insert(sd_db *db, const struct sd_session *se, struct sd_err *err)
{
    return ent_insert(db, &session_ent, se, err);
}

sd_status sd_store_session_find_hash(sd_db *db, sd_arena *a, const char *token_hash, int64_t now_ms,
                                     struct sd_session *out, struct sd_err *err)
{
    void *rows = NULL;
    size_t n = 0;
    struct sd_db_val p[2] = {SD_DB_TEXT_C(token_hash), SD_DB_I64(now_ms)};
    sd_status st = ent_select(db, a, &session_ent, "token_hash = ? AND expires_at > ?", p, 2, NULL,
                              1, &rows, &n, err);
    if (st != SD_OK) {
        return st;
    }
    if (n == 0) {
        return sd_err_set(err, SD_E_NOT_FOUND, NULL, "session not found or expired");
    }
    memcpy(out, rows, sizeof(*out));
    return SD_OK;
}

sd_status sd_store_session_delete(sd_db *db, const char *id, struct sd_err *err)
{
    struct sd_db_val p[1] = {SD_DB_TEXT_C(id)};
    return exec(db, "DELETE FROM sessions WHERE id = ?", p, 1, NULL, err);
}

sd_status sd_store_session_purge(sd_db *db, int64_t now_ms, int64_t *n_out, struct sd_err *err)
{
    struct sd_db_val p[1] = {SD_DB_I64(now_ms)};
    int64_t n = 0;
    sd_status st = exec(db, "DELETE FROM sessions WHERE expires_at <= ?", p, 1, &n, err);
    if (n_out != NULL) {
        *n_out = n;
    }
    return st;
}

sd_status sd_store_session_delete_agent(sd_db *db, const char *ws_id, const char *agent_id,
                                        struct sd_err *err)
{
    struct sd_db_val p[2] = {SD_DB_TEXT_C(ws_id), SD_DB_TEXT_C(agent_id)};
    return exec(db, "DELETE FROM sessions WHERE workspace_id = ? AND agent_id = ?", p, 2, NULL,
                err);
}

/* ---- tickets ------------------------------------------------------------ */

/* The subject of ticket @t as search document "sub:<id>", made or replaced. */
static sd_status index_subject(sd_db *db, const struct sd_ticket *t, struct sd_err *err)
{
    char id[SD_ID_MAX + 8];
    (void)snprintf(id, sizeof(id), "sub:%s", t->id);
    struct sd_db_val p[] = {SD_DB_TEXT_C(id), SD_DB_TEXT_C(t->workspace_id), SD_DB_TEXT_C(t->id),
                            SD_DB_TEXT_C(t->subject ? t->subject : ""), SD_DB_I64(t->created_at)};
    return exec(db,
                "INSERT INTO search_docs (id, workspace_id, kind, ticket_id, body, created_at) "
                "VALUES (?, ?, 'subject', ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                p, SD_ARRAY_LEN(p), NULL, err);
}

/* @t with the defaults of its JSON columns filled in. */
static struct sd_ticket ticket_row(const struct sd_ticket *t)
{
    struct sd_ticket row = *t;
    if (row.triage == NULL) {
        row.triage = "{}";
    }
    if (row.kb_matches == NULL) {
        row.kb_matches = "[]";
    }
    return row;
}

sd_status sd_store_ticket_insert(sd_db *db, const struct sd_ticket *t, struct sd_err *err)
{
    struct sd_ticket row = ticket_row(t);
    sd_status st = ent_insert(db, &ticket_ent, &row, err);
    return st == SD_OK ? index_subject(db, t, err) : st;
}

sd_status sd_store_ticket_get(sd_db *db, sd_arena *a, const char *ws_id, const char *id,
                              struct sd_ticket *out, struct sd_err *err)
{
    return ent_get(db, a, &ticket_ent, ws_id, id, out, err);
}

sd_status sd_store_ticket_update(sd_db *db, const struct sd_ticket *t, struct sd_err *err)
{
    struct sd_ticket row = ticket_row(t);
    sd_status st = ent_update(db, &ticket_ent, &row, err);
    return st == SD_OK ? index_subject(db, t, err) : st;
}

sd_status sd_store_ticket_delete(sd_db *db, const char *ws_id, const char *id, struct sd_err *err)
{
    return ent_delete(db, &ticket_ent, ws_id, id, err);
}

sd_status sd_store_ticket_list(sd_db *db, sd_arena *a, const char *ws_id,
                               const struct sd_ticket_filter *f, struct sd_ticket **out,
                               size_t *n_out, bool *has_more_out, struct sd_err *err)
{
    struct sd_buf where = SD_BUF_INIT(1024);
    struct sd_db_val p[12];
    size_t n = 0;
    const struct {
        const char *col;
        const char *val;
    } eq[] = {{"status", f->status},
              {"category", f->category},
              {"urgency", f->urgency},
              {"channel", f->channel},
              {"customer_id", f->customer_id}};
    SD_ASSERT(sd_buf_puts(&where, "workspace_id = ?") == SD_OK);
    p[n++] = SD_DB_TEXT_C(ws_id);
    for (size_t i = 0; i < SD_ARRAY_LEN(eq); i++) {
        if (eq[i].val == NULL) {
            continue;
        }
        SD_ASSERT(sd_buf_printf(&where, " AND %s = ?", eq[i].col) == SD_OK);
        p[n++] = SD_DB_TEXT_C(eq[i].val);
    }
    if (f->assignee_id != NULL && strcmp(f->assignee_id, "none") == 0) {
        SD_ASSERT(sd_buf_puts(&where, " AND assignee_id IS NULL") == SD_OK);
    } else if (f->assignee_id != NULL) {
        SD_ASSERT(sd_buf_puts(&where, " AND assignee_id = ?") == SD_OK);
        p[n++] = SD_DB_TEXT_C(f->assignee_id);
    }
    const char *key = f->sort == SD_SORT_UPDATED ? "updated_at" : "created_at";
    const char *cmp = f->is_ascending ? ">" : "<";
    if (f->has_cursor) {
        SD_ASSERT(sd_buf_printf(&where, " AND (%s %s ? OR (%s = ? AND id %s ?))", key, cmp, key,
                                cmp) == SD_OK);
        p[n++] = SD_DB_I64(f->cursor_key);
        p[n++] = SD_DB_I64(f->cursor_key);
        p[n++] = SD_DB_TEXT_C(f->cursor_id);
    }
    char order[64];
    const char *dir = f->is_ascending ? "ASC" : "DESC";
    (void)snprintf(order, sizeof(order), "%s %s, id %s", key, dir, dir);
    size_t limit = f->limit ? f->limit : 25;
    void *rows = NULL;
    size_t got = 0;
    sd_status st = ent_select(db, a, &ticket_ent, sd_buf_cstr(&where), p, n, order, limit + 1,
                              &rows, &got, err);
    sd_buf_release(&where);
    if (st != SD_OK) {
        return st;
    }
    *has_more_out = got > limit;
    *n_out = got > limit ? limit : got;
    *out = rows;
    return SD_OK;
}

/* ---- messages and activity ---------------------------------------------- */

sd_status sd_store_message_insert(sd_db *db, const struct sd_message *m, struct sd_err *err)
{
    sd_status st = ent_insert(db, &message_ent, m, err);
    if (st != SD_OK || m->body == NULL || m->body[0] == '\0') {
        return st;
    }
    struct sd_db_val p[] = {SD_DB_TEXT_C(m->id),        SD_DB_TEXT_C(m->workspace_id),
                            SD_DB_TEXT_C(m->ticket_id), SD_DB_TEXT_C(m->id),
                            SD_DB_I64(m->is_internal),  SD_DB_TEXT_C(m->body),
                            SD_DB_I64(m->created_at)};
    return exec(db,
                "INSERT INTO search_docs (id, workspace_id, kind, ticket_id, message_id, "
                "is_internal, body, created_at) VALUES (?, ?, 'message', ?, ?, ?, ?, ?)",
                p, SD_ARRAY_LEN(p), NULL, err);
}

sd_status sd_store_message_get(sd_db *db, sd_arena *a, const char *ws_id, const char *id,
                               struct sd_message *out, struct sd_err *err)
{
    return ent_get(db, a, &message_ent, ws_id, id, out, err);
}

sd_status sd_store_message_list(sd_db *db, sd_arena *a, const char *ws_id, const char *ticket_id,
                                bool include_internal, const char *after_id, size_t limit,
                                struct sd_message **out, size_t *n_out, struct sd_err *err)
{
    return ent_page(db, a, &message_ent, ws_id,
                    include_internal ? "ticket_id = ?" : "ticket_id = ? AND is_internal = 0",
                    ticket_id, after_id, limit, (void **)out, n_out, err);
}

sd_status sd_store_activity_insert(sd_db *db, const struct sd_activity *ev, struct sd_err *err)
{
    return ent_insert(db, &activity_ent, ev, err);
}

sd_status sd_store_activity_list(sd_db *db, sd_arena *a, const char *ws_id, const char *ticket_id,
                                 const char *after_id, size_t limit, struct sd_activity **out,
                                 size_t *n_out, struct sd_err *err)
{
    return ent_page(db, a, &activity_ent, ws_id, "ticket_id = ?", ticket_id, after_id, limit,
                    (void **)out, n_out, err);
}

/* ---- media -------------------------------------------------------------- */

/* @m with the defaults of columns a caller may leave out (a row not read back first). */
static struct sd_media media_row(const struct sd_media *m)
{
    struct sd_media row = *m;
    if (row.transcript_state == NULL) {
        row.transcript_state = "none";
    }
    return row;
}

sd_status sd_store_media_insert(sd_db *db, const struct sd_media *m, struct sd_err *err)
{
    struct sd_media row = media_row(m);
    return ent_insert(db, &media_ent, &row, err);
}

sd_status sd_store_media_get(sd_db *db, sd_arena *a, const char *ws_id, const char *id,
                             struct sd_media *out, struct sd_err *err)
{
    if (ws_id != NULL) {
        return ent_get(db, a, &media_ent, ws_id, id, out, err);
    }
    void *rows = NULL;
    size_t n = 0;
    struct sd_db_val p[1] = {SD_DB_TEXT_C(id)};
    sd_status st = ent_select(db, a, &media_ent, "id = ?", p, 1, NULL, 1, &rows, &n, err);
    if (st != SD_OK) {
        return st;
    }
    if (n == 0) {
        return not_found(&media_ent, id, err);
    }
    memcpy(out, rows, sizeof(*out));
    return SD_OK;
}

sd_status sd_store_media_update(sd_db *db, const struct sd_media *m, struct sd_err *err)
{
    struct sd_media row = media_row(m);
    return ent_update(db, &media_ent, &row, err);
}

sd_status sd_store_media_processed(sd_db *db, const struct sd_media *m, struct sd_err *err)
{
    struct sd_db_val p[] = {
        SD_DB_TEXT_C(m->state),
        SD_DB_I64(m->progress),
        m->failure ? SD_DB_TEXT_C(m->failure) : SD_DB_NULLV,
        SD_DB_TEXT_C(m->info ? m->info : "{}"),
        m->duration_ms ? SD_DB_I64(m->duration_ms) : SD_DB_NULLV,
        m->size_bytes ? SD_DB_I64(m->size_bytes) : SD_DB_NULLV,
        SD_DB_I64(m->updated_at),
        SD_DB_TEXT_C(m->id),
        SD_DB_TEXT_C(m->workspace_id),
    };
    int64_t changed = 0;
    sd_status st = exec(db,
                        "UPDATE media SET state = ?, progress = ?, failure = ?, info = ?, "
                        "duration_ms = ?, size_bytes = ?, updated_at = ? "
                        "WHERE id = ? AND workspace_id = ?",
                        p, SD_ARRAY_LEN(p), &changed, err);
    if (st == SD_OK && changed == 0) {
        return not_found(&media_ent, m->id, err);
    }
    return st;
}

sd_status sd_store_media_advance(sd_db *db, const char *ws_id, const char *id, int64_t from,
                                 int64_t to, int64_t expires_at, int64_t now_ms, struct sd_err *err)
{
    struct sd_db_val p[] = {SD_DB_I64(to),    SD_DB_I64(expires_at), SD_DB_I64(now_ms),
                            SD_DB_TEXT_C(id), SD_DB_TEXT_C(ws_id),   SD_DB_I64(from)};
    int64_t changed = 0;
    sd_status st = exec(db,
                        "UPDATE media SET upload_offset = ?, expires_at = ?, updated_at = ? "
                        "WHERE id = ? AND workspace_id = ? AND upload_offset = ? "
                        "AND state = 'uploading'",
                        p, SD_ARRAY_LEN(p), &changed, err);
    if (st != SD_OK || changed == 1) {
        return st;
    }
    struct sd_media cur;
    sd_arena *a = sd_arena_new();
    st = sd_store_media_get(db, a, ws_id, id, &cur, err);
    sd_arena_free(a);
    if (st != SD_OK) {
        return st;
    }
    return sd_err_set(err, SD_E_CONFLICT, "Upload-Offset",
                      "the upload moved on meanwhile (another request wrote to it)");
}

sd_status sd_store_media_attach(sd_db *db, const char *ws_id, const char *id,
                                const char *message_id, int64_t now_ms, struct sd_err *err)
{
    struct sd_db_val p[] = {SD_DB_TEXT_C(message_id), SD_DB_I64(now_ms), SD_DB_TEXT_C(id),
                            SD_DB_TEXT_C(ws_id)};
    int64_t changed = 0;
    sd_status st = exec(db,
                        "UPDATE media SET message_id = ?, updated_at = ? WHERE id = ? AND "
                        "workspace_id = ? AND message_id IS NULL AND state <> 'uploading'",
                        p, SD_ARRAY_LEN(p), &changed, err);
    if (st != SD_OK || changed == 1) {
        return st;
    }
    struct sd_media cur = {0};
    sd_arena *a = sd_arena_new();
    st = sd_store_media_get(db, a, ws_id, id, &cur, err);
    bool uploading = st == SD_OK && cur.state != NULL && strcmp(cur.state, "uploading") == 0;
    sd_arena_free(a);
    if (st != SD_OK) {
        return st;
    }
    return sd_err_set(err, SD_E_CONFLICT, "media_ids", "media '%.60s' %s", id,
                      uploading ? "is still uploading; attach it once the upload is complete"
                                : "is already attached to a message");
}

sd_status sd_store_media_of_message(sd_db *db, sd_arena *a, const char *ws_id,
                                    const char *message_id, struct sd_media **out, size_t *n_out,
                                    struct sd_err *err)
{
    struct sd_db_val p[2] = {SD_DB_TEXT_C(ws_id), SD_DB_TEXT_C(message_id)};
    return ent_select(db, a, &media_ent, "workspace_id = ? AND message_id = ?", p, 2, "id", 20,
                      (void **)out, n_out, err);
}

sd_status sd_store_media_expired(sd_db *db, sd_arena *a, int64_t now_ms, size_t limit,
                                 struct sd_media **out, size_t *n_out, struct sd_err *err)
{
    struct sd_db_val p[1] = {SD_DB_I64(now_ms)};
    return ent_select(db, a, &media_ent, "state = 'uploading' AND expires_at < ?", p, 1,
                      "expires_at", limit, (void **)out, n_out, err);
}

sd_status sd_store_media_delete(sd_db *db, const char *ws_id, const char *id, struct sd_err *err)
{
    return ent_delete(db, &media_ent, ws_id, id, err);
}

/* ---- jobs ----------------------------------------------------------------- */

sd_status sd_store_job_enqueue(sd_db *db, const struct sd_job *j, bool *created_out, char *id_out,
                               struct sd_err *err)
{
    struct sd_job q = *j;
    q.state = "queued";
    q.attempts = 0;
    q.lease_owner = NULL;
    q.lease_until = 0;
    q.progress = 0;
    q.last_error = NULL;
    q.finished_at = 0;
    int64_t changed = 0;
    /* DO NOTHING rather than an error: on PostgreSQL an error would abort the
     * caller's transaction, and a taken key is the expected case. */
    sd_status st =
        ent_insert_ex(db, &job_ent, &q, " ON CONFLICT (idempotency_key) DO NOTHING", &changed, err);
    *created_out = st == SD_OK && changed == 1;
    if (st == SD_OK && changed == 0) {
        /* The key is taken: the job exists already, which is the point of the key. */
        sd_arena *a = sd_arena_new();
        void *rows = NULL;
        size_t n = 0;
        struct sd_db_val p[1] = {SD_DB_TEXT_C(j->idempotency_key)};
        st = ent_select(db, a, &job_ent, "idempotency_key = ?", p, 1, NULL, 1, &rows, &n, err);
        if (st == SD_OK && n == 0) {
            st = sd_err_set(err, SD_E_CONFLICT, "id", "job id '%.60s' is taken", j->id);
        }
        if (st == SD_OK && id_out != NULL) {
            (void)sd_str_copy(id_out, 40, ((struct sd_job *)rows)->id);
        }
        sd_arena_free(a);
        return st;
    }
    if (st == SD_OK && id_out != NULL) {
        (void)sd_str_copy(id_out, 40, j->id);
    }
    return st;
}

sd_status sd_store_job_get(sd_db *db, sd_arena *a, const char *id, struct sd_job *out,
                           struct sd_err *err)
{
    return ent_get(db, a, &job_ent, NULL, id, out, err);
}

sd_status sd_store_job_lease(sd_db *db, sd_arena *a, const char *owner, const char *const *kinds,
                             size_t n_kinds, int64_t now_ms, int64_t lease_ms, struct sd_job *out,
                             bool *got_out, struct sd_err *err)
{
    *got_out = false;
    struct sd_db_val p[2 + 32];
    struct sd_buf where = SD_BUF_INIT(1024);
    if (n_kinds > 32) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "at most 32 job kinds per worker");
    }
    SD_ASSERT(sd_buf_puts(&where, "((state = 'queued' AND run_at <= ?) OR "
                                  "(state = 'running' AND lease_until < ?))") == SD_OK);
    p[0] = SD_DB_I64(now_ms);
    p[1] = SD_DB_I64(now_ms);
    if (kinds != NULL) {
        SD_ASSERT(sd_buf_puts(&where, " AND kind IN (") == SD_OK);
        for (size_t i = 0; i < n_kinds; i++) {
            SD_ASSERT(sd_buf_puts(&where, i ? ", ?" : "?") == SD_OK);
            p[2 + i] = SD_DB_TEXT_C(kinds[i]);
        }
        SD_ASSERT(sd_buf_puts(&where, n_kinds ? ")" : "NULL)") == SD_OK);
    }
    size_t n_p = 2 + (kinds != NULL ? n_kinds : 0);
    /* Another worker may claim the candidate between the SELECT and the
     * UPDATE; the UPDATE re-checks, and a lost race tries the next one. */
    sd_status st = SD_OK;
    for (int tries = 0; tries < 8; tries++) {
        void *rows = NULL;
        size_t n = 0;
        st = ent_select(db, a, &job_ent, sd_buf_cstr(&where), p, n_p, "run_at, id", 1, &rows, &n,
                        err);
        if (st != SD_OK || n == 0) {
            break;
        }
        const struct sd_job *cand = rows;
        struct sd_db_val u[6] = {SD_DB_TEXT_C(owner), SD_DB_I64(now_ms + lease_ms),
                                 SD_DB_I64(now_ms),   SD_DB_TEXT_C(cand->id),
                                 SD_DB_I64(now_ms),   SD_DB_I64(now_ms)};
        int64_t changed = 0;
        st = exec(db,
                  "UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, "
                  "attempts = attempts + 1, updated_at = ? WHERE id = ? AND "
                  "((state = 'queued' AND run_at <= ?) OR (state = 'running' AND lease_until < ?))",
                  u, 6, &changed, err);
        if (st != SD_OK) {
            break;
        }
        if (changed == 1) {
            st = ent_get(db, a, &job_ent, NULL, cand->id, out, err);
            *got_out = st == SD_OK;
            break;
        }
    }
    sd_buf_release(&where);
    return st;
}

/* Runs an UPDATE of a job that @owner must still hold. */
static sd_status job_update_owned(sd_db *db, const char *sql, struct sd_db_val *p, size_t n,
                                  const char *id, struct sd_err *err)
{
    int64_t changed = 0;
    sd_status st = exec(db, sql, p, n, &changed, err);
    if (st == SD_OK && changed == 0) {
        return sd_err_set(err, SD_E_CONFLICT, "id",
                          "job '%.60s' is no longer leased by this worker (its lease expired)", id);
    }
    return st;
}

sd_status sd_store_job_heartbeat(sd_db *db, const char *id, const char *owner, int64_t lease_until,
                                 int64_t progress, struct sd_err *err)
{
    struct sd_db_val p[4] = {SD_DB_I64(lease_until), SD_DB_I64(progress), SD_DB_TEXT_C(id),
                             SD_DB_TEXT_C(owner)};
    return job_update_owned(db,
                            "UPDATE jobs SET lease_until = ?, progress = ? WHERE id = ? AND "
                            "lease_owner = ? AND state = 'running'",
                            p, 4, id, err);
}

sd_status sd_store_job_complete(sd_db *db, const char *id, const char *owner, int64_t now_ms,
                                struct sd_err *err)
{
    struct sd_db_val p[4] = {SD_DB_I64(now_ms), SD_DB_I64(now_ms), SD_DB_TEXT_C(id),
                             SD_DB_TEXT_C(owner)};
    return job_update_owned(db,
                            "UPDATE jobs SET state = 'done', progress = 100, lease_owner = NULL, "
                            "lease_until = NULL, updated_at = ?, finished_at = ? WHERE id = ? AND "
                            "lease_owner = ? AND state = 'running'",
                            p, 4, id, err);
}

sd_status sd_store_job_fail(sd_db *db, const char *id, const char *owner, int64_t now_ms,
                            const char *error, int64_t retry_at_ms, struct sd_err *err)
{
    if (retry_at_ms > 0) {
        struct sd_db_val p[5] = {SD_DB_TEXT_C(error), SD_DB_I64(retry_at_ms), SD_DB_I64(now_ms),
                                 SD_DB_TEXT_C(id), SD_DB_TEXT_C(owner)};
        return job_update_owned(db,
                                "UPDATE jobs SET state = 'queued', last_error = ?, run_at = ?, "
                                "lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE "
                                "id = ? AND lease_owner = ? AND state = 'running'",
                                p, 5, id, err);
    }
    struct sd_db_val p[5] = {SD_DB_TEXT_C(error), SD_DB_I64(now_ms), SD_DB_I64(now_ms),
                             SD_DB_TEXT_C(id), SD_DB_TEXT_C(owner)};
    return job_update_owned(db,
                            "UPDATE jobs SET state = 'dead', last_error = ?, lease_owner = NULL, "
                            "lease_until = NULL, updated_at = ?, finished_at = ? WHERE id = ? AND "
                            "lease_owner = ? AND state = 'running'",
                            p, 5, id, err);
}

/* ---- transcripts and search --------------------------------------------- */

sd_status sd_store_media_transcript(sd_db *db, const char *ws_id, const char *id, const char *state,
                                    int64_t progress, const char *failure, int64_t now_ms,
                                    struct sd_err *err)
{
    struct sd_db_val p[] = {
        SD_DB_TEXT_C(state), SD_DB_I64(progress), failure ? SD_DB_TEXT_C(failure) : SD_DB_NULLV,
        SD_DB_I64(now_ms),   SD_DB_TEXT_C(id),    SD_DB_TEXT_C(ws_id)};
    int64_t changed = 0;
    sd_status st = exec(db,
                        "UPDATE media SET transcript_state = ?, transcript_progress = ?, "
                        "transcript_failure = ?, updated_at = ? WHERE id = ? AND workspace_id = ?",
                        p, SD_ARRAY_LEN(p), &changed, err);
    if (st == SD_OK && changed == 0) {
        return not_found(&media_ent, id, err);
    }
    return st;
}

static const struct col transcript_cols[] = {
    COL(struct sd_transcript_row, media_id, C_TEXT),
    COL(struct sd_transcript_row, workspace_id, C_TEXT),
    COL(struct sd_transcript_row, created_at, C_INT),
    COL(struct sd_transcript_row, engine, C_TEXT),
    COL(struct sd_transcript_row, model, C_TEXT),
    COL(struct sd_transcript_row, language, C_TEXT),
    COL(struct sd_transcript_row, duration_ms, C_INT),
    COL(struct sd_transcript_row, n_words, C_INT),
    COL(struct sd_transcript_row, reason, C_TEXT),
    COL(struct sd_transcript_row, body, C_TEXT),
};

sd_status sd_store_transcript_put(sd_db *db, const struct sd_transcript_row *t,
                                  const struct sd_search_seg *segs, size_t n_segs,
                                  struct sd_err *err)
{
    struct sd_db_val p[] = {SD_DB_TEXT_C(t->media_id),
                            SD_DB_TEXT_C(t->workspace_id),
                            SD_DB_I64(t->created_at),
                            SD_DB_TEXT_C(t->engine),
                            SD_DB_TEXT_C(t->model),
                            SD_DB_TEXT_C(t->language),
                            SD_DB_I64(t->duration_ms),
                            SD_DB_I64(t->n_words),
                            t->reason ? SD_DB_TEXT_C(t->reason) : SD_DB_NULLV,
                            SD_DB_TEXT_C(t->body)};
    sd_status st =
        exec(db,
             "INSERT INTO transcripts (media_id, workspace_id, created_at, engine, "
             "model, language, duration_ms, n_words, reason, body) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (media_id) DO UPDATE SET "
             "created_at = excluded.created_at, engine = excluded.engine, "
             "model = excluded.model, language = excluded.language, "
             "duration_ms = excluded.duration_ms, n_words = excluded.n_words, "
             "reason = excluded.reason, body = excluded.body",
             p, SD_ARRAY_LEN(p), NULL, err);
    if (st == SD_OK) {
        struct sd_db_val q[] = {SD_DB_TEXT_C(t->media_id)};
        st = exec(db, "DELETE FROM search_docs WHERE media_id = ?", q, 1, NULL, err);
    }
    for (size_t i = 0; st == SD_OK && i < n_segs; i++) {
        char id[SD_ID_MAX + 24];
        (void)snprintf(id, sizeof(id), "%s#%zu", t->media_id, i);
        struct sd_db_val d[] = {SD_DB_TEXT_C(id),          SD_DB_TEXT_C(t->workspace_id),
                                SD_DB_TEXT_C(t->media_id), SD_DB_I64(segs[i].start_ms),
                                SD_DB_I64(segs[i].end_ms), SD_DB_TEXT_C(segs[i].text),
                                SD_DB_I64(t->created_at)};
        st = exec(db,
                  "INSERT INTO search_docs (id, workspace_id, kind, media_id, start_ms, end_ms, "
                  "body, created_at) VALUES (?, ?, 'transcript', ?, ?, ?, ?, ?)",
                  d, SD_ARRAY_LEN(d), NULL, err);
    }
    return st;
}

sd_status sd_store_transcript_get(sd_db *db, sd_arena *a, const char *ws_id, const char *media_id,
                                  struct sd_transcript_row *out, struct sd_err *err)
{
    struct sd_db_val p[] = {SD_DB_TEXT_C(media_id), SD_DB_TEXT_C(ws_id)};
    struct sd_db_rows r;
    sd_status st = query(db, a,
                         "SELECT media_id, workspace_id, created_at, engine, model, language, "
                         "duration_ms, n_words, reason, body FROM transcripts "
                         "WHERE media_id = ? AND workspace_id = ?",
                         p, SD_ARRAY_LEN(p), &r, err);
    if (st != SD_OK) {
        return st;
    }
    if (r.n_rows == 0) {
        return sd_err_set(err, SD_E_NOT_FOUND, "id", "no transcript of media '%.60s' (yet)",
                          media_id);
    }
    memset(out, 0, sizeof(*out));
    for (size_t c = 0; c < SD_ARRAY_LEN(transcript_cols); c++) {
        set_val(out, &transcript_cols[c], r.cells[c]);
    }
    return SD_OK;
}

/*
 * @q as an FTS5 query: every word quoted (so no operator or column name of
 * the user's reaches FTS5), words in "..." kept together as a phrase, all
 * required. Empty when @q has no word.
 */
static bool is_word_byte(char ch)
{
    unsigned char u = (unsigned char)ch;
    return u >= 0x80 || (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z');
}

static void fts5_query(const char *q, struct sd_buf *out)
{
    bool in_phrase = false;
    size_t phrase_words = 0;
    const char *c = q;
    while (*c != '\0') {
        if (*c == '"') {
            if (in_phrase && phrase_words > 0) {
                SD_ASSERT(sd_buf_puts(out, "\" ") == SD_OK);
            }
            in_phrase = !in_phrase;
            phrase_words = 0;
            c++;
            continue;
        }
        if (!is_word_byte(*c)) {
            c++;
            continue;
        }
        const char *w = c;
        while (is_word_byte(*c)) {
            c++;
        }
        SD_ASSERT(sd_buf_puts(out, in_phrase && phrase_words > 0 ? " " : "\"") == SD_OK);
        SD_ASSERT(sd_buf_append(out, w, (size_t)(c - w)) == SD_OK);
        if (in_phrase) {
            phrase_words++;
        } else {
            SD_ASSERT(sd_buf_puts(out, "\" ") == SD_OK);
        }
    }
    if (in_phrase && phrase_words > 0) {
        SD_ASSERT(sd_buf_puts(out, "\"") == SD_OK);
    }
}

static const char search_sqlite[] =
    "SELECT d.kind, COALESCE(d.ticket_id, g.ticket_id), COALESCE(d.message_id, m.message_id), "
    "d.media_id, d.start_ms, d.end_ms, snippet(search_fts, 0, char(2), char(3), '...', 16), "
    "d.created_at FROM search_fts JOIN search_docs d ON d.seq = search_fts.rowid "
    "LEFT JOIN media m ON m.id = d.media_id LEFT JOIN messages g ON g.id = m.message_id "
    "WHERE search_fts MATCH ? AND d.workspace_id = ? AND (? = 1 OR d.is_internal = 0) "
    "ORDER BY search_fts.rank, d.seq LIMIT ?";

static const char search_pg[] =
    "SELECT d.kind, COALESCE(d.ticket_id, g.ticket_id), COALESCE(d.message_id, m.message_id), "
    "d.media_id, d.start_ms, d.end_ms, ts_headline('english', d.body, q, 'StartSel=' || chr(2) "
    "|| ', StopSel=' || chr(3) || ', MaxWords=24, MinWords=10, ShortWord=2'), d.created_at "
    "FROM search_docs d CROSS JOIN websearch_to_tsquery('english', ?) q "
    "LEFT JOIN media m ON m.id = d.media_id LEFT JOIN messages g ON g.id = m.message_id "
    "WHERE d.tsv @@ q AND d.workspace_id = ? AND (? = 1 OR d.is_internal = 0) "
    "ORDER BY ts_rank(d.tsv, q) DESC, d.seq LIMIT ?";

sd_status sd_store_search(sd_db *db, sd_arena *a, const char *ws_id, const char *q,
                          bool include_internal, size_t limit, struct sd_search_hit **out,
                          size_t *n_out, struct sd_err *err)
{
    *out = NULL;
    *n_out = 0;
    bool pg = strcmp(db->store->drv->name, "postgres") == 0;
    struct sd_buf fq = SD_BUF_INIT(4096);
    if (!pg) {
        fts5_query(q, &fq);
        if (fq.len == 0) {
            sd_buf_release(&fq);
            return SD_OK;
        }
    }
    struct sd_db_val p[] = {pg ? SD_DB_TEXT_C(q) : SD_DB_TEXT_C(sd_buf_cstr(&fq)),
                            SD_DB_TEXT_C(ws_id), SD_DB_I64(include_internal ? 1 : 0),
                            SD_DB_I64((int64_t)limit)};
    struct sd_db_rows r;
    sd_status st = query(db, a, pg ? search_pg : search_sqlite, p, SD_ARRAY_LEN(p), &r, err);
    sd_buf_release(&fq);
    if (st != SD_OK) {
        return st;
    }
    struct sd_search_hit *hits = sd_arena_alloc(a, (r.n_rows ? r.n_rows : 1) * sizeof(*hits));
    for (size_t i = 0; i < r.n_rows; i++) {
        const char *const *c = r.cells + i * r.n_cols;
        hits[i] = (struct sd_search_hit){
            .kind = c[0],
            .ticket_id = c[1],
            .message_id = c[2],
            .media_id = c[3],
            .start_ms = c[4] ? strtoll(c[4], NULL, 10) : -1,
            .end_ms = c[5] ? strtoll(c[5], NULL, 10) : -1,
            .snippet = c[6] ? c[6] : "",
            .created_at = c[7] ? strtoll(c[7], NULL, 10) : 0,
        };
    }
    *out = hits;
    *n_out = r.n_rows;
    return SD_OK;
}

/* ---- triage and the knowledge base -------------------------------------- */

sd_status sd_store_ticket_triage(sd_db *db, const struct sd_ticket_triage *tt, struct sd_err *err)
{
    /* A field takes the new value only while it still holds what the models
     * said before (or nothing): an agent's choice stays. */
    static const char *const fields[4] = {"category", "urgency", "product_area", "sentiment"};
    struct sd_buf sql = SD_BUF_INIT(SQL_MAX);
    struct sd_db_val p[32];
    size_t n = 0;
    SD_ASSERT(sd_buf_puts(&sql, "UPDATE tickets SET title = ?, summary = ?, environment = ?, "
                                "triage = ?, kb_matches = ?, triaged_at = ?") == SD_OK);
    p[n++] = SD_DB_TEXT_C(tt->title);
    p[n++] = SD_DB_TEXT_C(tt->summary);
    p[n++] = SD_DB_TEXT_C(tt->environment);
    p[n++] = SD_DB_TEXT_C(tt->triage);
    p[n++] = SD_DB_TEXT_C(tt->kb_matches);
    p[n++] = SD_DB_I64(tt->now_ms);
    if (tt->deflection != NULL) {
        /* Only a new ticket never offered one: the analysis read it
         * outside a transaction. */
        SD_ASSERT(sd_buf_puts(&sql, ", deflection = CASE WHEN deflection IS NULL AND status = "
                                    "'new' THEN ? ELSE deflection END") == SD_OK);
        p[n++] = SD_DB_TEXT_C(tt->deflection);
    }
    for (int f = 0; f < 4; f++) {
        SD_ASSERT(sd_buf_printf(&sql,
                                ", %s = CASE WHEN %s IS NULL OR %s = ai_%s THEN ? ELSE %s END, "
                                "ai_%s = ?",
                                fields[f], fields[f], fields[f], fields[f], fields[f],
                                fields[f]) == SD_OK);
        p[n++] = tt->value[f] ? SD_DB_TEXT_C(tt->value[f]) : SD_DB_NULLV;
        p[n++] = tt->ai[f] ? SD_DB_TEXT_C(tt->ai[f]) : SD_DB_NULLV;
    }
    SD_ASSERT(sd_buf_puts(&sql, " WHERE id = ? AND workspace_id = ?") == SD_OK);
    p[n++] = SD_DB_TEXT_C(tt->ticket_id);
    p[n++] = SD_DB_TEXT_C(tt->workspace_id);
    int64_t changed = 0;
    sd_status st = exec(db, sd_buf_cstr(&sql), p, n, &changed, err);
    sd_buf_release(&sql);
    if (st == SD_OK && changed == 0) {
        return not_found(&ticket_ent, tt->ticket_id, err);
    }
    return st;
}

sd_status sd_store_kb_insert(sd_db *db, const struct sd_kb_article *k, struct sd_err *err)
{
    return ent_insert(db, &kb_ent, k, err);
}

sd_status sd_store_kb_get(sd_db *db, sd_arena *a, const char *ws_id, const char *id,
                          struct sd_kb_article *out, struct sd_err *err)
{
    sd_status st = ent_get(db, a, &kb_ent, ws_id, id, out, err);
    if (st == SD_OK && out->deleted_at != 0) {
        return not_found(&kb_ent, id, err);
    }
    return st;
}

sd_status sd_store_kb_find_external(sd_db *db, sd_arena *a, const char *ws_id,
                                    const char *external_id, struct sd_kb_article *out,
                                    struct sd_err *err)
{
    void *rows = NULL;
    size_t n = 0;
    struct sd_db_val p[2] = {SD_DB_TEXT_C(ws_id), SD_DB_TEXT_C(external_id)};
    sd_status st = ent_select(db, a, &kb_ent, "workspace_id = ? AND external_id = ?", p, 2, NULL, 1,
                              &rows, &n, err);
    if (st != SD_OK) {
        return st;
    }
    if (n == 0) {
        return not_found(&kb_ent, external_id, err);
    }
    memcpy(out, rows, sizeof *out);
    return SD_OK;
}

sd_status sd_store_kb_update(sd_db *db, const struct sd_kb_article *k, struct sd_err *err)
{
    return ent_update(db, &kb_ent, k, err);
}

sd_status sd_store_kb_delete(sd_db *db, const char *ws_id, const char *id, int64_t now_ms,
                             struct sd_err *err)
{
    struct sd_db_val p[] = {SD_DB_I64(now_ms), SD_DB_I64(now_ms), SD_DB_TEXT_C(id),
                            SD_DB_TEXT_C(ws_id)};
    int64_t changed = 0;
    sd_status st = exec(db,
                        "UPDATE kb_articles SET deleted_at = ?, updated_at = ?, external_id = NULL "
                        "WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL",
                        p, SD_ARRAY_LEN(p), &changed, err);
    if (st == SD_OK && changed == 0) {
        return not_found(&kb_ent, id, err);
    }
    return st;
}

sd_status sd_store_kb_list(sd_db *db, sd_arena *a, const char *ws_id, const char *status,
                           const char *after_id, size_t limit, struct sd_kb_article **out,
                           size_t *n_out, struct sd_err *err)
{
    struct sd_db_val p[3];
    size_t n = 0;
    char where[160] = "workspace_id = ? AND deleted_at IS NULL";
    p[n++] = SD_DB_TEXT_C(ws_id);
    if (status != NULL) {
        (void)sd_str_copy(where + strlen(where), sizeof where - strlen(where), " AND status = ?");
        p[n++] = SD_DB_TEXT_C(status);
    }
    if (after_id != NULL) {
        (void)sd_str_copy(where + strlen(where), sizeof where - strlen(where), " AND id > ?");
        p[n++] = SD_DB_TEXT_C(after_id);
    }
    void *rows = NULL;
    sd_status st = ent_select(db, a, &kb_ent, where, p, n, "id", limit, &rows, n_out, err);
    *out = rows;
    return st;
}

sd_status sd_store_kb_changed(sd_db *db, sd_arena *a, const char *ws_id, int64_t since_ms,
                              const char *since_id, size_t limit, struct sd_kb_article **out,
                              size_t *n_out, struct sd_err *err)
{
    struct sd_db_val p[] = {SD_DB_TEXT_C(ws_id), SD_DB_I64(since_ms), SD_DB_I64(since_ms),
                            SD_DB_TEXT_C(since_id ? since_id : "")};
    void *rows = NULL;
    sd_status st = ent_select(
        db, a, &kb_ent, "workspace_id = ? AND (updated_at > ? OR (updated_at = ? AND id > ?))", p,
        SD_ARRAY_LEN(p), "updated_at, id", limit, &rows, n_out, err);
    *out = rows;
    return st;
}

sd_status sd_store_correction_insert(sd_db *db, const struct sd_triage_correction *c,
                                     struct sd_err *err)
{
    return ent_insert(db, &correction_ent, c, err);
}

sd_status sd_store_correction_list(sd_db *db, sd_arena *a, const char *ws_id, const char *after_id,
                                   size_t limit, struct sd_triage_correction **out, size_t *n_out,
                                   struct sd_err *err)
{
    void *rows = NULL;
    sd_status st =
        ent_page(db, a, &correction_ent, ws_id, NULL, NULL, after_id, limit, &rows, n_out, err);
    *out = rows;
    return st;
}

sd_status sd_store_triage_accuracy(sd_db *db, const char *ws_id, int64_t since_ms,
                                   struct sd_triage_accuracy *out, struct sd_err *err)
{
    static const char *const fields[4] = {"category", "urgency", "product_area", "sentiment"};
    memset(out, 0, sizeof *out);
    sd_arena *a = sd_arena_new();
    sd_status st = SD_OK;
    for (int f = 0; f < 4 && st == SD_OK; f++) {
        char sql[320];
        (void)snprintf(sql, sizeof sql,
                       "SELECT COUNT(*), COALESCE(SUM(CASE WHEN ai_%s = %s THEN 1 ELSE 0 END), "
                       "0) FROM tickets WHERE workspace_id = ? AND created_at >= ? AND ai_%s "
                       "IS NOT NULL AND %s IS NOT NULL",
                       fields[f], fields[f], fields[f], fields[f]);
        struct sd_db_val p[] = {SD_DB_TEXT_C(ws_id), SD_DB_I64(since_ms)};
        struct sd_db_rows r;
        st = query(db, a, sql, p, 2, &r, err);
        if (st == SD_OK && r.n_rows == 1) {
            out->n[f] = r.cells[0] ? strtoll(r.cells[0], NULL, 10) : 0;
            out->agree[f] = r.cells[1] ? strtoll(r.cells[1], NULL, 10) : 0;
        }
    }
    sd_arena_free(a);
    return st;
}

sd_status sd_store_triage_model_insert(sd_db *db, const struct sd_triage_model_row *m,
                                       struct sd_err *err)
{
    return ent_insert(db, &tmodel_ent, m, err);
}

sd_status sd_store_triage_model_latest(sd_db *db, sd_arena *a, const char *ws_id, bool with_data,
                                       struct sd_triage_model_row *out, struct sd_err *err)
{
    if (with_data) {
        void *rows = NULL;
        size_t n = 0;
        struct sd_db_val p[1] = {SD_DB_TEXT_C(ws_id)};
        sd_status st = ent_select(db, a, &tmodel_ent, "workspace_id = ?", p, 1,
                                  "created_at DESC, id DESC", 1, &rows, &n, err);
        if (st != SD_OK) {
            return st;
        }
        if (n == 0) {
            return sd_err_set(err, SD_E_NOT_FOUND, NULL, "the workspace has no model of its own");
        }
        memcpy(out, rows, sizeof *out);
        return SD_OK;
    }
    /* Only the id and counts: the server asks this before each triage. */
    struct sd_db_val p[1] = {SD_DB_TEXT_C(ws_id)};
    struct sd_db_rows r;
    sd_status st = query(db, a,
                         "SELECT id, created_at, n_examples, n_corrections FROM triage_models "
                         "WHERE workspace_id = ? ORDER BY created_at DESC, id DESC LIMIT 1",
                         p, 1, &r, err);
    if (st != SD_OK) {
        return st;
    }
    if (r.n_rows == 0) {
        return sd_err_set(err, SD_E_NOT_FOUND, NULL, "the workspace has no model of its own");
    }
    memset(out, 0, sizeof *out);
    out->id = r.cells[0];
    out->workspace_id = ws_id;
    out->created_at = strtoll(r.cells[1], NULL, 10);
    out->n_examples = strtoll(r.cells[2], NULL, 10);
    out->n_corrections = strtoll(r.cells[3], NULL, 10);
    return SD_OK;
}
