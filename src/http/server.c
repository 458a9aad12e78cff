/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the HTTP server on libmicrohttpd; the only file that includes
 * microhttpd.h.
 *
 * One epoll daemon with an internal pool of cfg->http_threads threads. For
 * each request the access handler is called several times:
 *   1. headers are in: allocate the request state (arena, body buffer, id);
 *      a Content-Length over max_body is answered 413 at once;
 *   2. body chunks: appended to the bounded buffer; past max_body, 413 at once
 *      (MHD then closes the connection instead of reading on);
 *   3. the final call: route, authenticate, run the handler, queue the
 *      response. Queuing on the final call, never the first, keeps the
 *      connection alive (a first-call queue makes MHD answer
 *      "Connection: close" and costs about 4x in throughput).
 * The completed callback logs the request, counts it in the metrics, gives
 * the database connection back and frees the arena.
 *
 * Shutdown: sd_http_stop quiesces the daemon (no new connections), waits for
 * the requests in flight to finish for the grace period, then stops the
 * threads, which closes idle keep-alive connections.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rand.h"
#include "http/auth.h"
#include "http/json.h"
#include "http/metrics.h"
#include "http/router.h"
#include "base/banned.h"

struct sd_http_server {
    unsigned pid; /* in request ids, so ids of several processes differ */
    struct MHD_Daemon *daemon;
    struct sd_app *app;
    atomic_int n_open; /* requests in flight */
};

/* Everything one request owns, freed in on_completed. */
struct ctx {
    struct sd_req req;
    struct sd_resp resp;
    uint64_t start_ns;
    bool is_queued;
    bool is_too_large; /* the body passed max_body; the rest is dropped */
    bool is_stream;    /* the route streams its body; BEGIN went through */
    bool is_stopped;   /* the streaming handler set a status: drop the rest */
    bool is_ended;     /* END or ABORT was sent */
    bool is_refused;   /* BEGIN set the answer; the body is dropped, then it goes out */
    enum sd_router_result rr;
    struct sd_router_match m;
    struct sd_http_server *srv;
};

static atomic_uint_fast64_t next_req = 1;

/* A refused streaming body up to this size is read before the answer. */
#define DRAIN_MAX (16ull << 20)

/* How a request says where its body ends. */
struct framing {
    int n_length;
    int n_encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    (void)value;
    struct framing *fr = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        fr->n_length++;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        fr->n_encoding++;
    }
    return MHD_YES;
}

const char *sd_req_header(struct sd_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *sd_req_query(struct sd_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *sd_req_cookie(struct sd_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *sd_req_param(const struct sd_req *req, const char *name)
{
    for (size_t i = 0; i < req->n_params; i++) {
        if (strcmp(req->param_names[i], name) == 0) {
            return req->param_values[i];
        }
    }
    return NULL;
}

/*
 * The buffer libmicrohttpd fills from a reader response, allocated per
 * response: 64 KiB (one sealed chunk) stays below malloc's mmap threshold,
 * so it is reused rather than mapped and faulted in for every response.
 */
#define READER_BLOCK (64u << 10)

sd_status sd_req_db(struct sd_req *req, sd_db **out, struct sd_err *err)
{
    if (req->db == NULL) {
        sd_status st = sd_store_get(req->app->store, &req->db, err);
        if (st != SD_OK) {
            return st;
        }
    }
    *out = req->db;
    return SD_OK;
}

void sd_req_db_release(struct sd_req *req)
{
    if (req->db != NULL) {
        sd_store_put(req->app->store, req->db);
        req->db = NULL;
    }
}

static ssize_t read_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sd_resp *resp = cls;
    long n = resp->reader(resp->reader_cls, pos, buf, max);
    return n > 0 ? (ssize_t)n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static struct MHD_Response *make_response(struct sd_resp *resp)
{
    if (resp->has_file) {
        struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(
            resp->stream_len, resp->file_fd, resp->file_off);
        if (r != NULL) {
            resp->has_file = false; /* MHD closes the fd */
        }
        return r;
    }
    if (resp->reader != NULL) {
        /* The reader stays with the request's sd_resp, released when the
         * request completes, after MHD stopped calling it. */
        return MHD_create_response_from_callback(resp->stream_len, READER_BLOCK, read_body, resp,
                                                 NULL);
    }
    size_t len = 0;
    char *body = sd_buf_detach(&resp->body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
    }
    return r;
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct ctx *c)
{
    struct sd_resp *resp = &c->resp;
    struct MHD_Response *r = make_response(resp);
    if (r == NULL) {
        return MHD_NO;
    }
    if (resp->content_type != NULL) {
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    }
    (void)MHD_add_response_header(r, "X-Request-Id", c->req.id);
    (void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    bool has_cache = false;
    for (size_t i = 0; i < resp->n_headers; i++) {
        (void)MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
        has_cache = has_cache || strcasecmp(resp->headers[i].name, "Cache-Control") == 0;
    }
    if (!has_cache) {
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    }
    if (resp->status == 0) {
        resp->status = 500;
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    c->is_queued = true;
    return ret;
}

static const char *client_addr(struct MHD_Connection *conn, struct sd_req *req, bool trust_proxy)
{
    if (trust_proxy) {
        const char *xff = sd_req_header(req, "X-Forwarded-For");
        if (xff != NULL && xff[0] != '\0') {
            const char *comma = strchr(xff, ',');
            size_t n = comma ? (size_t)(comma - xff) : strlen(xff);
            if (n > 64) {
                n = 64;
            }
            return sd_arena_strndup(req->arena, xff, n);
        }
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char buf[INET6_ADDRSTRLEN] = "?";
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET) {
            (void)inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                            sizeof(buf));
        } else if (sa->sa_family == AF_INET6) {
            (void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                            buf, sizeof(buf));
        }
    }
    return sd_arena_strdup(req->arena, buf);
}

static bool is_json_type(const char *ct)
{
    if (ct == NULL) {
        return false;
    }
    static const char want[] = "application/json";
    if (strncasecmp(ct, want, sizeof(want) - 1) != 0) {
        return false;
    }
    char next = ct[sizeof(want) - 1];
    return next == '\0' || next == ';' || next == ' ';
}

/* Matches the route once the headers are in; dispatch and streaming use it. */
static void route(struct ctx *c)
{
    struct sd_req *req = &c->req;
    struct sd_app *app = req->app;
    /* HEAD is GET without the body, which libmicrohttpd leaves out itself. */
    const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    c->rr = sd_router_match(app->routes, app->n_routes, method, req->path, req->arena, &c->m);
    if (c->rr == SD_ROUTER_OK) {
        req->route = c->m.route;
        req->n_params = c->m.n_params;
        for (size_t i = 0; i < c->m.n_params; i++) {
            req->param_names[i] = c->m.names[i];
            req->param_values[i] = c->m.values[i];
        }
    }
}

/* Tells a streaming handler @ev; false when it set a status. */
static bool stream_event(struct ctx *c, enum sd_stream_event ev, const char *data, size_t len)
{
    if (ev == SD_STREAM_END || ev == SD_STREAM_ABORT) {
        c->is_ended = true;
    }
    c->req.route->stream(&c->req, &c->resp, ev, data, len);
    return c->resp.status == 0;
}

/* Routes, authenticates and runs the handler; fills c->resp. */
static void dispatch(struct ctx *c)
{
    struct sd_req *req = &c->req;
    struct sd_resp *resp = &c->resp;

    if (c->is_stream) { /* authorised at BEGIN */
        (void)stream_event(c, SD_STREAM_END, NULL, 0);
        return;
    }
    struct sd_router_match m = c->m;
    enum sd_router_result rr = c->rr;
    /* OPTIONS without a route of its own is a CORS preflight. */
    if (strcmp(req->method, "OPTIONS") == 0 && rr != SD_ROUTER_OK) {
        sd_auth_preflight(req, resp);
        return;
    }
    if (rr == SD_ROUTER_NOT_FOUND) {
        sd_resp_fail(resp, SD_E_NOT_FOUND, NULL, "no such endpoint: %s %s", req->method, req->path);
        return;
    }
    if (rr == SD_ROUTER_BAD_METHOD) {
        sd_resp_fail(resp, SD_E_INVALID, NULL, "method %s is not allowed here; use %s", req->method,
                     m.allow);
        resp->status = 405;
        sd_resp_header(resp, "Allow", sd_arena_strdup(req->arena, m.allow));
        return;
    }
    if (!sd_auth_authorize(req, resp)) {
        return;
    }
    if ((m.route->flags & SD_ROUTE_JSON) != 0 &&
        !is_json_type(sd_req_header(req, "Content-Type"))) {
        sd_resp_fail(resp, SD_E_UNSUPPORTED, NULL,
                     "send the body as JSON with 'Content-Type: application/json'");
        return;
    }
    m.route->fn(req, resp);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls)
{
    (void)version;
    struct sd_http_server *srv = cls;
    struct ctx *c = *req_cls;
    if (c == NULL) {
        c = sd_xcalloc(1, sizeof(*c));
        c->srv = srv;
        atomic_fetch_add(&srv->n_open, 1);
        if (srv->app->metrics != NULL) {
            sd_metrics_started(srv->app->metrics);
        }
        c->start_ns = sd_clock_mono_ns();
        c->req.arena = sd_arena_new();
        c->req.app = srv->app;
        c->req.conn = conn;
        c->req.method = sd_arena_strdup(c->req.arena, method);
        c->req.path = sd_arena_strdup(c->req.arena, url);
        c->req.body = (struct sd_buf)SD_BUF_INIT((size_t)srv->app->cfg->max_body_bytes);
        c->resp.body = (struct sd_buf)SD_BUF_INIT(64u << 20);
        (void)snprintf(c->req.id, sizeof(c->req.id), "%08x%08llx", srv->pid,
                       (unsigned long long)atomic_fetch_add(&next_req, 1));
        const char *rid = sd_req_header(&c->req, "X-Request-Id");
        if (rid != NULL && strlen(rid) < sizeof(c->req.id) && rid[0] != '\0') {
            bool ok = true;
            for (const char *p = rid; *p; p++) {
                if (!(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'z') &&
                    !(*p >= 'A' && *p <= 'Z') && *p != '-' && *p != '_') {
                    ok = false;
                }
            }
            if (ok) {
                (void)snprintf(c->req.id, sizeof(c->req.id), "%s", rid);
            }
        }
        c->req.remote_addr = client_addr(conn, &c->req, srv->app->cfg->trust_proxy);
        *req_cls = c;
        /* Framing that two parsers could read differently is refused, and the
         * connection closed, so nothing can be smuggled behind the body
         * (RFC 9112 6.1 and 6.3). */
        struct framing fr = {0};
        (void)MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &fr);
        if (fr.n_length > 1 || (fr.n_length > 0 && fr.n_encoding > 0)) {
            sd_resp_fail(&c->resp, SD_E_BAD_REQUEST, NULL,
                         "ambiguous request framing: send one Content-Length or chunked "
                         "Transfer-Encoding, not both or twice");
            sd_resp_header(&c->resp, MHD_HTTP_HEADER_CONNECTION, "close");
            return queue(conn, c);
        }
        route(c);
        if (c->rr == SD_ROUTER_OK && c->m.route->stream != NULL) {
            /* A streaming route is authorised before its body is read, and
             * sets its own size limits. */
            if (!sd_auth_authorize(&c->req, &c->resp) ||
                !stream_event(c, SD_STREAM_BEGIN, NULL, 0)) {
                c->is_ended = true;
                /* A refused body of a few MiB is read and dropped, so that the
                 * client, still sending, gets the answer instead of a reset;
                 * a longer one is cut off at once. */
                const char *len = sd_req_header(&c->req, MHD_HTTP_HEADER_CONTENT_LENGTH);
                unsigned long long n = len ? strtoull(len, NULL, 10) : 0;
                if (fr.n_encoding == 0 && n <= DRAIN_MAX) {
                    c->is_refused = true;
                    return MHD_YES;
                }
                sd_resp_header(&c->resp, MHD_HTTP_HEADER_CONNECTION, "close");
                return queue(conn, c);
            }
            c->is_stream = true;
            return MHD_YES;
        }
        const char *cl = sd_req_header(&c->req, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL) {
            char *end = NULL;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && n > (unsigned long long)srv->app->cfg->max_body_bytes) {
                sd_resp_fail(&c->resp, SD_E_TOO_LARGE, NULL,
                             "request body of %llu bytes is over the limit of %lld bytes", n,
                             (long long)srv->app->cfg->max_body_bytes);
                return queue(conn, c);
            }
        }
        return MHD_YES;
    }
    if (c->is_queued) {
        *upload_data_size = 0; /* discard what follows an early answer */
        return MHD_YES;
    }
    if (c->is_refused) {
        if (*upload_data_size != 0) {
            *upload_data_size = 0;
            return MHD_YES;
        }
        return queue(conn, c);
    }
    if (*upload_data_size != 0 && c->is_stream) {
        if (!c->is_stopped && !stream_event(c, SD_STREAM_DATA, upload_data, *upload_data_size)) {
            c->is_stopped = true;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        /* Past the limit (a chunked body has no Content-Length to refuse
         * early), the rest is read and dropped, and the 413 goes out at the
         * end: MHD cannot answer in the middle of an upload. */
        if (!c->is_too_large &&
            sd_buf_append(&c->req.body, upload_data, *upload_data_size) != SD_OK) {
            c->is_too_large = true;
            sd_buf_release(&c->req.body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (c->is_too_large) {
        sd_resp_fail(&c->resp, SD_E_TOO_LARGE, NULL, "request body is over the limit of %lld bytes",
                     (long long)srv->app->cfg->max_body_bytes);
        sd_resp_header(&c->resp, MHD_HTTP_HEADER_CONNECTION, "close");
        return queue(conn, c);
    }
    dispatch(c);
    return queue(conn, c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct sd_http_server *srv = cls;
    struct ctx *c = *req_cls;
    if (c == NULL) {
        return;
    }
    *req_cls = NULL;
    if (c->is_stream && !c->is_ended) {
        c->is_ended = true;
        c->req.route->stream(&c->req, &c->resp, SD_STREAM_ABORT, NULL, 0);
    }
    uint64_t dur = sd_clock_mono_ns() - c->start_ns;
    int status = c->is_queued ? c->resp.status : 0;
    if (srv->app->metrics != NULL) {
        sd_metrics_observe(srv->app->metrics, c->req.route, status, dur);
    }
    char path[300];
    sd_log(toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? SD_LOG_INFO : SD_LOG_WARN, "http.request",
           "id=%s method=%s path=%s route=%s status=%d dur_ms=%.3f ip=%s%s", c->req.id,
           c->req.method, sd_log_quote(c->req.path, path, sizeof(path)),
           c->req.route ? c->req.route->name : "-", status, (double)dur / 1e6,
           c->req.remote_addr ? c->req.remote_addr : "-",
           toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    if (c->req.db != NULL) {
        sd_store_put(srv->app->store, c->req.db);
    }
    sd_buf_release(&c->req.body);
    sd_resp_release(&c->resp);
    sd_arena_free(c->req.arena);
    free(c);
    atomic_fetch_sub(&srv->n_open, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    char q[600];
    sd_log(SD_LOG_WARN, "http.server", "msg=%s", sd_log_quote(msg, q, sizeof(q)));
}

sd_status sd_http_start(struct sd_app *app, sd_http_server **out, int *port_out, struct sd_err *err)
{
    const struct sd_config *cfg = app->cfg;
    for (size_t i = 0; i < app->n_routes; i++) {
        if (!sd_router_pattern_valid(app->routes[i].pattern)) {
            return sd_err_set(err, SD_E_INTERNAL, NULL, "route pattern '%s' is malformed",
                              app->routes[i].pattern);
        }
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char port[8];
    (void)snprintf(port, sizeof(port), "%d", cfg->listen_port);
    int gai = getaddrinfo(cfg->listen_host, port, &hints, &ai);
    if (gai != 0) {
        return sd_err_set(err, SD_E_INVALID, "listen", "cannot resolve listen address '%s': %s",
                          cfg->listen_host, gai_strerror(gai));
    }

    sd_http_server *srv = sd_xcalloc(1, sizeof(*srv));
    srv->app = app;
    srv->pid = (unsigned)getpid();
    atomic_init(&srv->n_open, 0);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    unsigned threads = (unsigned)sd_config_threads(cfg);
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->request_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)16384, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (srv->daemon == NULL) {
        free(srv);
        return sd_err_set(err, SD_E_IO, "listen",
                          "cannot listen on %s:%d (in use, or no permission; choose another "
                          "--listen)",
                          cfg->listen_host, cfg->listen_port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (port_out != NULL) {
        *port_out = di ? (int)di->port : cfg->listen_port;
    }
    *out = srv;
    return SD_OK;
}

void sd_http_stop(sd_http_server *srv, uint64_t grace_ms)
{
    if (srv == NULL) {
        return;
    }
    MHD_socket lfd = MHD_quiesce_daemon(srv->daemon);
    /* Closed now, so new connections are refused at once instead of waiting
     * in the backlog for the whole grace period. */
    if (lfd != MHD_INVALID_SOCKET) {
        (void)close(lfd);
    }
    uint64_t deadline = sd_clock_mono_ns() + grace_ms * 1000000u;
    while (atomic_load(&srv->n_open) > 0 && sd_clock_mono_ns() < deadline) {
        struct timespec ts = {0, 10L * 1000 * 1000};
        (void)nanosleep(&ts, NULL);
    }
    int left = atomic_load(&srv->n_open);
    MHD_stop_daemon(srv->daemon);
    if (left > 0) {
        sd_log(SD_LOG_WARN, "http.stop", "open_connections=%d msg=\"grace period over\"", left);
    }
    free(srv);
}
