/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the PostgreSQL driver; the only file that includes libpq-fe.h.
 *
 * One PGconn per pool connection. The store's portable SQL uses '?'
 * placeholders; they are rewritten to $1, $2, ... (outside quoted literals
 * and identifiers) and sent with PQexecParams as text parameters, so values
 * never travel inside SQL text. Results are text and are copied into the
 * caller's arena. A connection that breaks is reset once before the next
 * statement fails with SD_E_AGAIN. Migrations are serialised across
 * processes with a session advisory lock.
 */
#include "store/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/banned.h"

#define MIGRATION_LOCK_KEY "7254911" /* arbitrary, fixed: "showdesk migrations" */
#define MAX_PARAMS         64

#define CACHE_SIZE 64

/* A statement prepared on this connection, by its portable SQL text. */
struct prepared {
    char *sql;
    char name[16];
    int n_params;
};

struct pg_priv {
    PGconn *conn;
    char where[256]; /* host:port/db for messages, never the password */
    struct prepared cache[CACHE_SIZE];
    size_t n_cached;
    size_t next_evict;
    unsigned next_name;
};

static void forget_prepared(struct pg_priv *p)
{
    for (size_t i = 0; i < p->n_cached; i++) {
        free(p->cache[i].sql);
    }
    p->n_cached = 0;
    p->next_evict = 0;
}

static bool accepts(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

/* "host:port/dbname" of a connection, for messages. */
static void describe(struct pg_priv *p)
{
    (void)snprintf(p->where, sizeof(p->where), "%s:%s/%s", PQhost(p->conn) ? PQhost(p->conn) : "?",
                   PQport(p->conn) ? PQport(p->conn) : "?", PQdb(p->conn) ? PQdb(p->conn) : "?");
}

/* The first line of a libpq message, without the trailing newline. */
static void first_line(const char *msg, char *out, size_t size)
{
    size_t n = 0;
    while (msg[n] != '\0' && msg[n] != '\n' && n + 1 < size) {
        out[n] = msg[n];
        n++;
    }
    out[n] = '\0';
}

static sd_status fail_result(struct pg_priv *p, PGresult *res, struct sd_err *err)
{
    char line[300];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(p->conn), line, sizeof(line));
    if (PQstatus(p->conn) != CONNECTION_OK) {
        return sd_err_set(err, SD_E_AGAIN, NULL, "lost the connection to PostgreSQL at %s: %s",
                          p->where, line);
    }
    if (state != NULL && strncmp(state, "23", 2) == 0) {
        return sd_err_set(err, SD_E_CONFLICT, NULL, "%s", line);
    }
    if (state != NULL && (strncmp(state, "08", 2) == 0 || strcmp(state, "40001") == 0 ||
                          strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)) {
        return sd_err_set(err, SD_E_AGAIN, NULL, "PostgreSQL at %s: %s (retry)", p->where, line);
    }
    return sd_err_set(err, SD_E_DB, NULL, "PostgreSQL at %s: %s", p->where, line);
}

static sd_status pg_open(void *conn, const char *url, struct sd_err *err)
{
    struct pg_priv *p = conn;
    p->conn = PQconnectdb(url);
    if (p->conn == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, "db", "cannot allocate a PostgreSQL connection");
    }
    describe(p);
    if (PQstatus(p->conn) != CONNECTION_OK) {
        char line[300];
        first_line(PQerrorMessage(p->conn), line, sizeof(line));
        return sd_err_set(err, SD_E_AGAIN, "db",
                          "cannot connect to PostgreSQL at %s: %s (check --db and that the "
                          "server is running)",
                          p->where, line);
    }
    PGresult *res = PQexec(p->conn, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    sd_status st = PQresultStatus(res) == PGRES_COMMAND_OK ? SD_OK : fail_result(p, res, err);
    PQclear(res);
    return st;
}

static void pg_close(void *conn)
{
    struct pg_priv *p = conn;
    if (p->conn != NULL) {
        PQfinish(p->conn);
    }
    p->conn = NULL;
    forget_prepared(p);
}

/* A broken connection is reset once, so one server restart costs one error. */
static void heal(struct pg_priv *p)
{
    if (PQstatus(p->conn) != CONNECTION_OK) {
        PQreset(p->conn);
        forget_prepared(p); /* prepared statements died with the session */
    }
}

static sd_status pg_exec_script(void *conn, const char *sql, struct sd_err *err)
{
    struct pg_priv *p = conn;
    heal(p);
    PGresult *res = PQexec(p->conn, sql);
    ExecStatusType rs = PQresultStatus(res);
    sd_status st =
        rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK ? SD_OK : fail_result(p, res, err);
    PQclear(res);
    return st;
}

/*
 * Rewrites '?' placeholders to $n outside '…' literals, "…" identifiers and
 * -- comments. Returns the number of placeholders, or -1 when the text does
 * not fit @out.
 */
int sd__pg_rewrite(const char *sql, struct sd_buf *out);
int sd__pg_rewrite(const char *sql, struct sd_buf *out)
{
    int n = 0;
    char quote = 0;
    for (const char *s = sql; *s; s++) {
        char c = *s;
        sd_status st;
        if (quote != 0) {
            if (c == quote) {
                quote = 0;
            }
            st = sd_buf_append(out, s, 1);
        } else if (c == '\'' || c == '"') {
            quote = c;
            st = sd_buf_append(out, s, 1);
        } else if (c == '-' && s[1] == '-') {
            const char *e = strchr(s, '\n');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            st = sd_buf_append(out, s, len);
            s += len - 1;
        } else if (c == '?') {
            st = sd_buf_printf(out, "$%d", ++n);
        } else {
            st = sd_buf_append(out, s, 1);
        }
        if (st != SD_OK) {
            return -1;
        }
    }
    return n;
}

/*
 * The name of the prepared statement for @sql, preparing it on first use: the
 * server parses and plans each of the store's few statements once per
 * connection instead of on every call.
 */
static sd_status prepared(struct pg_priv *p, const char *sql, size_t n_params, const char **name,
                          struct sd_err *err)
{
    for (size_t i = 0; i < p->n_cached; i++) {
        if (strcmp(p->cache[i].sql, sql) == 0) {
            *name = p->cache[i].name;
            return SD_OK;
        }
    }
    struct sd_buf text = SD_BUF_INIT((size_t)64 * 1024);
    int n = sd__pg_rewrite(sql, &text);
    if (n < 0 || (size_t)n != n_params) {
        sd_buf_release(&text);
        return sd_err_set(err, SD_E_INTERNAL, NULL,
                          "statement has %d placeholders but %zu values were given", n, n_params);
    }
    char fresh[16];
    (void)snprintf(fresh, sizeof(fresh), "sd%u", p->next_name++);
    PGresult *res = PQprepare(p->conn, fresh, sd_buf_cstr(&text), n, NULL);
    sd_buf_release(&text);
    sd_status st = PQresultStatus(res) == PGRES_COMMAND_OK ? SD_OK : fail_result(p, res, err);
    PQclear(res);
    if (st != SD_OK) {
        return st;
    }
    size_t slot;
    if (p->n_cached < CACHE_SIZE) {
        slot = p->n_cached++;
    } else {
        slot = p->next_evict;
        p->next_evict = (p->next_evict + 1) % CACHE_SIZE;
        char dealloc[48];
        (void)snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", p->cache[slot].name);
        PQclear(PQexec(p->conn, dealloc));
        free(p->cache[slot].sql);
    }
    struct prepared *ps = &p->cache[slot];
    (void)snprintf(ps->name, sizeof(ps->name), "%s", fresh);
    ps->n_params = n;
    ps->sql = sd_xstrdup(sql);
    *name = ps->name;
    return SD_OK;
}

static sd_status pg_query(void *conn, sd_arena *a, const char *sql, const struct sd_db_val *params,
                          size_t n_params, struct sd_db_rows *out, struct sd_err *err)
{
    struct pg_priv *p = conn;
    memset(out, 0, sizeof(*out));
    if (n_params > MAX_PARAMS) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "too many SQL parameters (%zu)", n_params);
    }
    heal(p);
    const char *name = NULL;
    sd_status pst = prepared(p, sql, n_params, &name, err);
    if (pst != SD_OK) {
        return pst;
    }
    const char *values[MAX_PARAMS];
    int lengths[MAX_PARAMS];
    int formats[MAX_PARAMS];
    char ints[MAX_PARAMS][24];
    for (size_t i = 0; i < n_params; i++) {
        formats[i] = 0;
        switch (params[i].type) {
        case SD_DB_NULL:
            values[i] = NULL;
            lengths[i] = 0;
            break;
        case SD_DB_INT:
            (void)snprintf(ints[i], sizeof(ints[i]), "%lld", (long long)params[i].i);
            values[i] = ints[i];
            lengths[i] = (int)strlen(ints[i]);
            break;
        case SD_DB_TEXT:
            /* Text parameters go as NUL-terminated C strings: copy to be sure. */
            values[i] = sd_arena_strndup(a, params[i].s, params[i].len);
            lengths[i] = (int)params[i].len;
            break;
        }
    }
    PGresult *res = PQexecPrepared(p->conn, name, (int)n_params, values, lengths, formats, 0);
    ExecStatusType rs = PQresultStatus(res);
    sd_status st = SD_OK;
    if (rs == PGRES_TUPLES_OK) {
        out->n_rows = (size_t)PQntuples(res);
        out->n_cols = (size_t)PQnfields(res);
        size_t cells = out->n_rows * out->n_cols;
        out->cells = sd_arena_alloc(a, (cells ? cells : 1) * sizeof(*out->cells));
        out->lens = sd_arena_alloc(a, (cells ? cells : 1) * sizeof(*out->lens));
        for (size_t r = 0; r < out->n_rows; r++) {
            for (size_t c = 0; c < out->n_cols; c++) {
                size_t k = r * out->n_cols + c;
                if (PQgetisnull(res, (int)r, (int)c)) {
                    out->cells[k] = NULL;
                    out->lens[k] = 0;
                } else {
                    size_t len = (size_t)PQgetlength(res, (int)r, (int)c);
                    out->cells[k] = sd_arena_strndup(a, PQgetvalue(res, (int)r, (int)c), len);
                    out->lens[k] = len;
                }
            }
        }
        const char *tuples = PQcmdTuples(res);
        out->n_changed = tuples && tuples[0] ? strtoll(tuples, NULL, 10) : 0;
    } else if (rs == PGRES_COMMAND_OK) {
        const char *tuples = PQcmdTuples(res);
        out->n_changed = tuples && tuples[0] ? strtoll(tuples, NULL, 10) : 0;
    } else {
        st = fail_result(p, res, err);
    }
    PQclear(res);
    return st;
}

static sd_status pg_begin(void *conn, struct sd_err *err)
{
    return pg_exec_script(conn, "BEGIN", err);
}

static sd_status pg_commit(void *conn, struct sd_err *err)
{
    return pg_exec_script(conn, "COMMIT", err);
}

static sd_status pg_rollback(void *conn, struct sd_err *err)
{
    struct pg_priv *p = conn;
    if (PQtransactionStatus(p->conn) == PQTRANS_IDLE) {
        return SD_OK;
    }
    return pg_exec_script(conn, "ROLLBACK", err);
}

static bool pg_ping(void *conn)
{
    return pg_exec_script(conn, "SELECT 1", NULL) == SD_OK;
}

static sd_status pg_migration_lock(void *conn, struct sd_err *err)
{
    return pg_exec_script(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", err);
}

static void pg_migration_unlock(void *conn)
{
    (void)pg_exec_script(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", NULL);
}

const struct sd_store_driver sd_store_pg = {
    .name = "postgres",
    .abi = SD_STORE_DRIVER_ABI,
    .priv_size = sizeof(struct pg_priv),
    .accepts = accepts,
    .open = pg_open,
    .close = pg_close,
    .exec_script = pg_exec_script,
    .query = pg_query,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .ping = pg_ping,
    .migration_lock = pg_migration_lock,
    .migration_unlock = pg_migration_unlock,
};
