/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: requests, responses and the server that carries them.
 *
 * server.c wraps libmicrohttpd (its header appears nowhere else): an epoll
 * daemon with an internal thread pool sized to the cores. For each request it
 * builds a struct sd_req with its own arena, reads the body into a bounded
 * buffer (413 past max_body, before reading on), matches the route table the
 * caller gave (router.c), authenticates (auth.c), calls the handler, and
 * sends the struct sd_resp it filled. Every request is logged in one line and
 * counted in the metrics (metrics.c). Handlers are short and synchronous;
 * long work becomes a durable job.
 *
 * Threads: a handler runs on one of the daemon's threads, with the request to
 * itself. The request's database connection (sd_req_db) is taken from the
 * pool on first use and given back when the request completes.
 *
 * Ownership: everything reachable from a struct sd_req lives in its arena and
 * is freed when the response has been sent.
 */
#ifndef SD_HTTP_HTTP_H
#define SD_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/str.h"
#include "blob/blob.h"
#include "config/config.h"
#include "store/store.h"

struct sd_req;
struct sd_resp;

typedef void (*sd_handler_fn)(struct sd_req *req, struct sd_resp *resp);

/*
 * Streaming bodies. A route with a stream function gets its body in pieces
 * instead of a buffer, with no max_body limit (the handler sets its own):
 *   BEGIN  once the headers are in and the caller is authorised; a status set
 *          in @resp is the answer: a body of up to 16 MiB is read and dropped
 *          first (so the client gets it), a longer one is cut off;
 *   DATA   for each piece, @data and @len; a status set in @resp stops the
 *          DATA calls, the rest of the body is read and dropped;
 *   END    when the body is complete: fill @resp (it may already hold the
 *          status set during DATA);
 *   ABORT  the connection closed before the end; nothing can be sent.
 * After a BEGIN that set no status, exactly one END or ABORT follows, so the
 * handler can release what it holds in req->user there.
 */
enum sd_stream_event { SD_STREAM_BEGIN, SD_STREAM_DATA, SD_STREAM_END, SD_STREAM_ABORT };
typedef void (*sd_stream_fn)(struct sd_req *req, struct sd_resp *resp, enum sd_stream_event ev,
                             const char *data, size_t len);

/* Who may call a route. */
enum sd_route_access {
    SD_ACCESS_PUBLIC, /* anyone */
    SD_ACCESS_AGENT,  /* an agent session or a secret key */
    SD_ACCESS_ADMIN,  /* an admin session or a secret key */
    SD_ACCESS_WIDGET, /* like AGENT, and also a publishable key from an allowed origin */
};

#define SD_ROUTE_JSON 1u /* the body must be a JSON object (415 otherwise) */

struct sd_route {
    const char *method;  /* "GET", "POST", "PATCH", "PUT", "DELETE" */
    const char *pattern; /* "/api/v1/tickets/{id}" */
    const char *name;    /* for metrics and logs: "tickets.get" */
    enum sd_route_access access;
    unsigned flags;
    sd_handler_fn fn;
    sd_stream_fn stream; /* nullable: the body is buffered and fn runs at its end */
};

#define SD_ROUTE_MAX_PARAMS 4

enum sd_auth_kind { SD_AUTH_NONE, SD_AUTH_SESSION, SD_AUTH_SECRET_KEY, SD_AUTH_PUBLISHABLE_KEY };

struct sd_auth {
    enum sd_auth_kind kind;
    const char *workspace_id;
    const char *agent_id;   /* session only */
    const char *session_id; /* session only */
    const char *key_id;     /* keys only */
    bool is_admin;          /* an admin agent, or a secret key */
};

struct sd_metrics;
struct sd_rate;

/* What the server shares with every request; owned by the server command. */
struct sd_analyzer;

struct sd_app {
    const struct sd_config *cfg;
    struct sd_analyzer *analyzer; /* MT safe: triage, summaries, help articles */
    sd_store *store;
    struct sd_metrics *metrics; /* MT safe */
    struct sd_rate *rate;       /* MT safe */
    const struct sd_route *routes;
    size_t n_routes;
    bool is_https;                /* public_url is https: cookies get Secure */
    sd_blob *blob;                /* media objects */
    unsigned char url_key[32];    /* signs media URLs */
    void (*wake)(void *wake_cls); /* nullable: a job was enqueued */
    void *wake_cls;
};

struct sd_header {
    const char *name;
    const char *value;
};

struct sd_req {
    sd_arena *arena;
    struct sd_app *app;
    const char *method;
    const char *path; /* without the query string, percent-decoded by the server */
    char id[32];      /* request id, also sent as X-Request-Id */
    const char *remote_addr;
    struct sd_buf body;
    const struct sd_route *route;
    const char *param_names[SD_ROUTE_MAX_PARAMS];
    const char *param_values[SD_ROUTE_MAX_PARAMS];
    size_t n_params;
    struct sd_auth auth;
    sd_db *db;  /* nullable until sd_req_db */
    void *conn; /* the server's connection object; server.c only */
    void *user; /* a streaming handler's state between its calls */
};

/*
 * Reads up to @max bytes of a streamed response body at @pos into @buf;
 * returns the count (> 0), or -1 on an error, which cuts the connection.
 */
typedef long (*sd_body_read_fn)(void *cls, uint64_t pos, char *buf, size_t max);

struct sd_resp {
    int status;
    const char *content_type;
    struct sd_buf body;
    /* Instead of @body: a file range (sent with sendfile) or a reader. */
    int file_fd; /* owned when has_file */
    bool has_file;
    uint64_t file_off;
    uint64_t stream_len;
    sd_body_read_fn reader;
    void *reader_cls;
    void (*reader_free)(void *cls);
    struct sd_header headers[16];
    size_t n_headers;
};

/** A request header (case-insensitive name), or NULL; borrowed for the request. */
const char *sd_req_header(struct sd_req *req, const char *name);
/** A query-string argument, or NULL; borrowed for the request. */
const char *sd_req_query(struct sd_req *req, const char *name);
/** A cookie's value, or NULL; in the request's arena. */
const char *sd_req_cookie(struct sd_req *req, const char *name);
/** A path parameter of the matched route ("id"), or NULL. */
const char *sd_req_param(const struct sd_req *req, const char *name);
/**
 * The request's database connection, taken from the pool on first call and
 * given back after the response. SD_E_AGAIN when the pool is exhausted.
 */
SD_MUST_CHECK sd_status sd_req_db(struct sd_req *req, sd_db **out, struct sd_err *err);
/**
 * Gives the request's database connection back to the pool now (outside a
 * transaction), for a handler that streams a long body: it holds no
 * connection between the moments it needs one. sd_req_db takes one again.
 */
void sd_req_db_release(struct sd_req *req);

/** Adds a response header; both strings must live as long as the request. */
void sd_resp_header(struct sd_resp *resp, const char *name, const char *value);
/** Renders @json (takes ownership; NULL gives "null") with @status. */
void sd_resp_json(struct sd_resp *resp, int status, json_t *json);
/** Renders {"error":{"code","message","field"}} with the status for @err->code. */
void sd_resp_error(struct sd_resp *resp, const struct sd_err *err);
/** Shorthand: sd_err_set then sd_resp_error. */
void sd_resp_fail(struct sd_resp *resp, sd_status code, const char *field, const char *fmt, ...)
    SD_PRINTF(4, 5);
/** The body is @len bytes of @fd from @off, sent with sendfile; takes @fd. */
void sd_resp_file(struct sd_resp *resp, int status, int fd, uint64_t off, uint64_t len);
/** The body is @len bytes from @fn; @free_fn(@cls) runs when it is done or cut. */
void sd_resp_reader(struct sd_resp *resp, int status, uint64_t len, sd_body_read_fn fn, void *cls,
                    void (*free_fn)(void *cls));
/** Frees the body and closes a file or reader it holds (the server calls it). */
void sd_resp_release(struct sd_resp *resp);
/** Plain text with @status. */
void sd_resp_text(struct sd_resp *resp, int status, const char *content_type, const char *text);
/** The HTTP status for an error code (400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503). */
int sd_http_status_for(sd_status code);

/* ---- server ---------------------------------------------------------- */

typedef struct sd_http_server sd_http_server;

/**
 * Starts listening on cfg->listen_host:listen_port with the thread pool; the
 * actual port (when 0 was asked) is in *@port_out. Borrowed: @app must outlive
 * the server.
 */
SD_MUST_CHECK sd_status sd_http_start(struct sd_app *app, sd_http_server **out, int *port_out,
                                      struct sd_err *err);
/**
 * Stops accepting, lets requests in flight finish for up to @grace_ms, then
 * stops the threads and frees the server. NULL is a no-op.
 */
void sd_http_stop(sd_http_server *srv, uint64_t grace_ms);

#endif
