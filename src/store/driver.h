/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the contract between the store and a database engine.
 *
 * Internal to src/store/: nothing outside this folder includes it. A driver
 * is a const vtable (struct sd_store_driver) registered in store.c's table;
 * the store allocates priv_size bytes of per-connection state and hands them
 * to every call as @conn. The store keeps a pool of connections; each
 * connection is used by one thread at a time, so drivers need no locks of
 * their own.
 *
 * SQL given to a driver is portable: '?' placeholders (the PostgreSQL driver
 * rewrites them to $1, $2, ... outside quoted literals), types INTEGER,
 * BIGINT, TEXT, standard ON CONFLICT and RETURNING. Anything specific to one
 * engine lives in its driver (pragmas, advisory locks, error codes).
 *
 * Results are materialised into the caller's arena as text cells: every
 * statement the store runs is bounded (LIMIT, primary key), so this costs no
 * more than the page being served.
 *
 * Errors: a unique or foreign-key violation is SD_E_CONFLICT, a busy or
 * locked database or a lost connection SD_E_AGAIN, anything else SD_E_DB;
 * the message keeps the engine's own text.
 */
#ifndef SD_STORE_DRIVER_H
#define SD_STORE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

#define SD_STORE_DRIVER_ABI 1

enum sd_db_type { SD_DB_NULL, SD_DB_INT, SD_DB_TEXT };

/* One bound parameter; borrowed for the duration of the call. */
struct sd_db_val {
    enum sd_db_type type;
    int64_t i;
    const char *s; /* SD_DB_TEXT: not necessarily NUL-terminated */
    size_t len;
};

#define SD_DB_I64(v)    ((struct sd_db_val){SD_DB_INT, (v), NULL, 0})
#define SD_DB_TEXT_C(v) ((struct sd_db_val){SD_DB_TEXT, 0, (v), strlen(v)})
#define SD_DB_NULLV     ((struct sd_db_val){SD_DB_NULL, 0, NULL, 0})

/* The result of one statement; everything lives in the caller's arena. */
struct sd_db_rows {
    size_t n_rows;
    size_t n_cols;
    const char **cells; /* row-major n_rows * n_cols; NULL for SQL NULL; NUL-terminated */
    size_t *lens;       /* byte length of each cell */
    int64_t n_changed;  /* rows inserted, updated or deleted */
};

struct sd_store_driver {
    const char *name;
    int abi;          /* SD_STORE_DRIVER_ABI */
    size_t priv_size; /* per-connection state, zeroed before open */

    /* True when this driver serves @url (a scheme or a file path). */
    bool (*accepts)(const char *url);
    /*
     * Opens one connection. @url is what accepts() took. On failure the store
     * still calls close() on the same state.
     */
    sd_status (*open)(void *conn, const char *url, struct sd_err *err);
    void (*close)(void *conn);
    /* Runs several ';'-separated statements without parameters (migrations). */
    sd_status (*exec_script)(void *conn, const char *sql, struct sd_err *err);
    /* Runs one statement with '?' placeholders; rows, possibly none, into @a. */
    sd_status (*query)(void *conn, sd_arena *a, const char *sql, const struct sd_db_val *params,
                       size_t n_params, struct sd_db_rows *out, struct sd_err *err);
    /* Transactions. begin takes the write lock at once where the engine has one. */
    sd_status (*begin)(void *conn, struct sd_err *err);
    sd_status (*commit)(void *conn, struct sd_err *err);
    sd_status (*rollback)(void *conn, struct sd_err *err);
    /* Cheap liveness check for /readyz; false when the connection is gone. */
    bool (*ping)(void *conn);
    /*
     * Serialises migrations between processes that share the database, held
     * until migration_unlock (SQLite: the write transaction does it; PostgreSQL:
     * an advisory lock).
     */
    sd_status (*migration_lock)(void *conn, struct sd_err *err);
    void (*migration_unlock)(void *conn);
};

extern const struct sd_store_driver sd_store_sqlite;
extern const struct sd_store_driver sd_store_pg;

#endif
