/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the SQLite driver; the only file that includes sqlite3.h.
 *
 * One sqlite3 handle per pool connection, opened in WAL mode with a busy
 * timeout, so readers never block the writer and writers queue for up to
 * 5 s instead of failing. Write transactions start with BEGIN IMMEDIATE: the
 * write lock is taken up front, which avoids the deadlock of two readers that
 * both try to upgrade. Prepared statements are cached per connection, keyed
 * by their SQL text (the store's SQL is a small fixed set), so a hot query is
 * parsed once per connection. Results are copied into the caller's arena.
 */
#include "store/driver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/mem.h"
#include "base/banned.h"

#define CACHE_SIZE 64

struct cached {
    char *sql;
    sqlite3_stmt *stmt;
};

struct sqlite_priv {
    sqlite3 *db;
    char path[1024];
    struct cached cache[CACHE_SIZE];
    size_t n_cached;
    size_t next_evict;
};

static bool accepts(const char *url)
{
    /* "sqlite:PATH", or a plain path; another scheme is not ours. */
    return strncmp(url, "sqlite:", 7) == 0 || (url[0] != '\0' && strstr(url, "://") == NULL);
}

static sd_status fail(struct sqlite_priv *p, int rc, const char *what, struct sd_err *err)
{
    int base = rc & 0xff;
    const char *msg = p->db ? sqlite3_errmsg(p->db) : sqlite3_errstr(rc);
    if (base == SQLITE_CONSTRAINT) {
        return sd_err_set(err, SD_E_CONFLICT, NULL, "%s", msg);
    }
    if (base == SQLITE_BUSY || base == SQLITE_LOCKED) {
        return sd_err_set(err, SD_E_AGAIN, NULL,
                          "database '%s' is busy: %s (another process holds a long write)", p->path,
                          msg);
    }
    return sd_err_set(err, SD_E_DB, NULL, "sqlite %s on '%s': %s", what, p->path, msg);
}

static sd_status exec_simple(struct sqlite_priv *p, const char *sql, struct sd_err *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(p->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        sd_status st = fail(p, rc, "exec", err);
        if (msg != NULL && err != NULL && st == SD_E_DB) {
            (void)sd_err_set(err, SD_E_DB, NULL, "sqlite on '%s': %s", p->path, msg);
        }
        sqlite3_free(msg);
        return st;
    }
    return SD_OK;
}

static pthread_once_t config_once = PTHREAD_ONCE_INIT;

/* Process-wide settings, before the library's first use: no memory
 * statistics (they take a global mutex on every allocation), and no mutexes
 * on connections, each of which one thread uses at a time. */
static void configure(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
}

static sd_status sq_open(void *conn, const char *url, struct sd_err *err)
{
    struct sqlite_priv *p = conn;
    (void)pthread_once(&config_once, configure);
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
    (void)snprintf(p->path, sizeof(p->path), "%s", path);
    int rc = sqlite3_open_v2(
        path, &p->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        return sd_err_set(err, SD_E_IO, "db",
                          "cannot open database '%s': %s (check that the folder exists and is "
                          "writable)",
                          path, p->db ? sqlite3_errmsg(p->db) : sqlite3_errstr(rc));
    }
    (void)sqlite3_busy_timeout(p->db, 5000);
    (void)sqlite3_extended_result_codes(p->db, 1);
    return exec_simple(p,
                       "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                       "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                       err);
}

static void sq_close(void *conn)
{
    struct sqlite_priv *p = conn;
    for (size_t i = 0; i < p->n_cached; i++) {
        sqlite3_finalize(p->cache[i].stmt);
        free(p->cache[i].sql);
    }
    p->n_cached = 0;
    if (p->db != NULL) {
        (void)sqlite3_close(p->db);
    }
    p->db = NULL;
}

static sd_status sq_exec_script(void *conn, const char *sql, struct sd_err *err)
{
    return exec_simple(conn, sql, err);
}

/* A prepared statement for @sql from the cache, or newly prepared into it. */
static sd_status prepare(struct sqlite_priv *p, const char *sql, sqlite3_stmt **out,
                         struct sd_err *err)
{
    for (size_t i = 0; i < p->n_cached; i++) {
        if (strcmp(p->cache[i].sql, sql) == 0) {
            *out = p->cache[i].stmt;
            return SD_OK;
        }
    }
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v3(p->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return fail(p, rc, "prepare", err);
    }
    size_t slot;
    if (p->n_cached < CACHE_SIZE) {
        slot = p->n_cached++;
    } else {
        slot = p->next_evict;
        p->next_evict = (p->next_evict + 1) % CACHE_SIZE;
        sqlite3_finalize(p->cache[slot].stmt);
        free(p->cache[slot].sql);
    }
    p->cache[slot].sql = sd_xstrdup(sql);
    p->cache[slot].stmt = stmt;
    *out = stmt;
    return SD_OK;
}

/* Rows grow in chunks of cell pointers in the arena. */
static void grow(sd_arena *a, struct sd_db_rows *r, size_t *cap)
{
    size_t ncap = *cap ? *cap * 2 : 16;
    const char **cells = sd_arena_alloc(a, ncap * r->n_cols * sizeof(*cells));
    size_t *lens = sd_arena_alloc(a, ncap * r->n_cols * sizeof(*lens));
    if (r->n_rows > 0) {
        memcpy(cells, r->cells, r->n_rows * r->n_cols * sizeof(*cells));
        memcpy(lens, r->lens, r->n_rows * r->n_cols * sizeof(*lens));
    }
    r->cells = cells;
    r->lens = lens;
    *cap = ncap;
}

static sd_status sq_query(void *conn, sd_arena *a, const char *sql, const struct sd_db_val *params,
                          size_t n_params, struct sd_db_rows *out, struct sd_err *err)
{
    struct sqlite_priv *p = conn;
    sqlite3_stmt *stmt = NULL;
    memset(out, 0, sizeof(*out));
    sd_status st = prepare(p, sql, &stmt, err);
    if (st != SD_OK) {
        return st;
    }
    int rc = SQLITE_OK;
    for (size_t i = 0; i < n_params && rc == SQLITE_OK; i++) {
        int idx = (int)i + 1;
        switch (params[i].type) {
        case SD_DB_NULL:
            rc = sqlite3_bind_null(stmt, idx);
            break;
        case SD_DB_INT:
            rc = sqlite3_bind_int64(stmt, idx, params[i].i);
            break;
        case SD_DB_TEXT:
            rc = sqlite3_bind_text(stmt, idx, params[i].s, (int)params[i].len, SQLITE_STATIC);
            break;
        }
    }
    if (rc != SQLITE_OK) {
        st = fail(p, rc, "bind", err);
        goto out;
    }
    out->n_cols = (size_t)sqlite3_column_count(stmt);
    size_t cap = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (out->n_cols == 0) {
            continue;
        }
        if (out->n_rows == cap) {
            grow(a, out, &cap);
        }
        size_t base = out->n_rows * out->n_cols;
        for (size_t c = 0; c < out->n_cols; c++) {
            const unsigned char *t = sqlite3_column_text(stmt, (int)c);
            size_t len = (size_t)sqlite3_column_bytes(stmt, (int)c);
            out->cells[base + c] = t ? sd_arena_strndup(a, (const char *)t, len) : NULL;
            out->lens[base + c] = t ? len : 0;
        }
        out->n_rows++;
    }
    if (rc != SQLITE_DONE) {
        st = fail(p, rc, "step", err);
        goto out;
    }
    out->n_changed = sqlite3_changes64(p->db);
out:
    (void)sqlite3_reset(stmt);
    (void)sqlite3_clear_bindings(stmt);
    return st;
}

static sd_status sq_begin(void *conn, struct sd_err *err)
{
    return exec_simple(conn, "BEGIN IMMEDIATE", err);
}

static sd_status sq_commit(void *conn, struct sd_err *err)
{
    return exec_simple(conn, "COMMIT", err);
}

static sd_status sq_rollback(void *conn, struct sd_err *err)
{
    struct sqlite_priv *p = conn;
    if (sqlite3_get_autocommit(p->db)) {
        return SD_OK; /* no transaction open (already ended by an error) */
    }
    return exec_simple(conn, "ROLLBACK", err);
}

static bool sq_ping(void *conn)
{
    struct sqlite_priv *p = conn;
    return p->db != NULL && exec_simple(p, "SELECT 1", NULL) == SD_OK;
}

/* The write transaction of each migration already serialises SQLite writers. */
static sd_status sq_migration_lock(void *conn, struct sd_err *err)
{
    (void)conn;
    (void)err;
    return SD_OK;
}

static void sq_migration_unlock(void *conn)
{
    (void)conn;
}

const struct sd_store_driver sd_store_sqlite = {
    .name = "sqlite",
    .abi = SD_STORE_DRIVER_ABI,
    .priv_size = sizeof(struct sqlite_priv),
    .accepts = accepts,
    .open = sq_open,
    .close = sq_close,
    .exec_script = sq_exec_script,
    .query = sq_query,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .ping = sq_ping,
    .migration_lock = sq_migration_lock,
    .migration_unlock = sq_migration_unlock,
};
