/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: schema migrations.
 *
 * Migrations are the files src/store/sql/NNNN_name.sql, embedded in the
 * binary at build time (scripts/embed.py) in order. Each is applied once, in
 * its own transaction, and recorded in schema_migrations(version, name,
 * applied_at). SQL is portable (see driver.h) except in a file named
 * NNNN_name.<driver>.sql ("sqlite", "postgres"), which only that driver
 * applies; each driver then has its own file of the same number (full-text
 * search is the case: FTS5 and tsvector). Under the driver's migration lock (an advisory lock on
 * PostgreSQL; SQLite's write lock does the same), a process re-reads the
 * applied versions inside the transaction, so two servers starting together
 * never apply one twice. A migration is never edited once released: changes
 * are new files.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/driver.h"
#include "base/banned.h"

struct sd_embedded {
    const char *name;
    const char *data;
    size_t len;
};
extern const struct sd_embedded sd__migrations[];

sd_status sd__store_exec_script(sd_db *db, const char *sql, struct sd_err *err);
sd_status sd__store_migration_lock(sd_db *db, bool lock, struct sd_err *err);
const char *sd__store_driver_name(const sd_db *db);
sd_status sd__store_query(sd_db *db, sd_arena *a, const char *sql, const struct sd_db_val *params,
                          size_t n_params, struct sd_db_rows *out, struct sd_err *err);

static const char create_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                   "applied_at BIGINT NOT NULL)";

static int version_of(const char *name)
{
    int v = 0;
    for (int i = 0; i < 4 && name[i] >= '0' && name[i] <= '9'; i++) {
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

/* False for a NNNN_name.<driver>.sql of another driver than @db's. */
static bool is_for(const sd_db *db, const char *name)
{
    const char *end = strrchr(name, '.');
    const char *dot = NULL;
    for (const char *p = name; p < end; p++) {
        if (*p == '.') {
            dot = p;
        }
    }
    if (end == NULL || dot == NULL) {
        return true;
    }
    const char *drv = sd__store_driver_name(db);
    return strlen(drv) == (size_t)(end - dot - 1) && strncmp(dot + 1, drv, strlen(drv)) == 0;
}

static sd_status is_applied(sd_db *db, int version, bool *out, struct sd_err *err)
{
    sd_arena *a = sd_arena_new();
    struct sd_db_rows r;
    struct sd_db_val p[1] = {SD_DB_I64(version)};
    sd_status st = sd__store_query(db, a, "SELECT version FROM schema_migrations WHERE version = ?",
                                   p, 1, &r, err);
    if (st == SD_OK) {
        *out = r.n_rows > 0;
    }
    sd_arena_free(a);
    return st;
}

static sd_status apply_one(sd_db *db, const struct sd_embedded *m, bool *applied,
                           struct sd_err *err)
{
    int version = version_of(m->name);
    bool done = false;
    sd_status st = sd_store_begin(db, err);
    if (st == SD_OK) {
        st = is_applied(db, version, &done, err);
    }
    if (st == SD_OK && !done) {
        st = sd__store_exec_script(db, m->data, err);
        if (st != SD_OK && err != NULL) {
            char msg[sizeof(err->msg)];
            (void)snprintf(msg, sizeof(msg), "%s", err->msg);
            (void)sd_err_set(err, st, NULL, "migration '%s' failed: %s", m->name, msg);
        }
    }
    if (st == SD_OK && !done) {
        sd_arena *a = sd_arena_new();
        struct sd_db_rows r;
        struct sd_db_val p[3] = {SD_DB_I64(version), SD_DB_TEXT_C(m->name),
                                 SD_DB_I64(sd_clock_wall_ms())};
        st = sd__store_query(db, a,
                             "INSERT INTO schema_migrations (version, name, applied_at) "
                             "VALUES (?, ?, ?)",
                             p, 3, &r, err);
        sd_arena_free(a);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, err);
    }
    if (st != SD_OK) {
        sd_store_rollback(db);
    }
    *applied = st == SD_OK && !done;
    return st;
}

sd_status sd_store_migrate(sd_db *db, int *n_applied_out, struct sd_err *err)
{
    int n = 0;
    sd_status st = sd__store_migration_lock(db, true, err);
    if (st != SD_OK) {
        return st;
    }
    st = sd__store_exec_script(db, create_table, err);
    for (const struct sd_embedded *m = sd__migrations; st == SD_OK && m->name != NULL; m++) {
        if (!is_for(db, m->name)) {
            continue;
        }
        bool applied = false;
        st = apply_one(db, m, &applied, err);
        if (applied) {
            n++;
        }
    }
    (void)sd__store_migration_lock(db, false, NULL);
    if (n_applied_out != NULL) {
        *n_applied_out = n;
    }
    return st;
}

sd_status sd_store_schema_version(sd_db *db, int *out, struct sd_err *err)
{
    sd_arena *a = sd_arena_new();
    struct sd_db_rows r;
    sd_status st = sd__store_exec_script(db, create_table, err);
    if (st == SD_OK) {
        st = sd__store_query(db, a, "SELECT MAX(version) FROM schema_migrations", NULL, 0, &r, err);
    }
    if (st == SD_OK) {
        *out = r.n_rows == 1 && r.cells[0] ? (int)strtol(r.cells[0], NULL, 10) : 0;
    }
    sd_arena_free(a);
    return st;
}
