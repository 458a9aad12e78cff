/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Authentication and access; see auth.h. */
#include "http/auth.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/str.h"
#include "domain/secret.h"
#include "http/limits.h"
#include "http/router.h"
#include "base/banned.h"

/* Touching last_used_at on every call would turn each read into a write. */
#define KEY_TOUCH_EVERY_MS (60LL * 1000)

bool sd_auth_origin_allowed(const char *allowed_origins_json, const char *origin)
{
    if (allowed_origins_json == NULL || origin == NULL) {
        return false;
    }
    json_t *arr = json_loads(allowed_origins_json, 0, NULL);
    bool ok = false;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (s != NULL && (strcmp(s, origin) == 0 || strcmp(s, "*") == 0)) {
            ok = true;
        }
    }
    json_decref(arr);
    return ok;
}

static bool fail(struct sd_resp *resp, sd_status code, const char *msg)
{
    sd_resp_fail(resp, code, NULL, "%s", msg);
    if (code == SD_E_AUTH) {
        sd_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"showdesk\"");
    }
    return false;
}

static bool fail_err(struct sd_resp *resp, const struct sd_err *err)
{
    sd_resp_error(resp, err);
    return false;
}

static bool by_key(struct sd_req *req, struct sd_resp *resp, const char *key)
{
    struct sd_err err = SD_ERR_INIT;
    bool is_secret = strncmp(key, "sk_", 3) == 0;
    bool is_pub = strncmp(key, "pk_", 3) == 0;
    if ((!is_secret && !is_pub) || strlen(key) > 100) {
        return fail(resp, SD_E_AUTH, "the API key is malformed; keys start with sk_ or pk_");
    }
    char hash[SD_SECRET_HASH_HEX];
    sd_secret_hash_token(key, hash);
    sd_db *db;
    if (sd_req_db(req, &db, &err) != SD_OK) {
        return fail_err(resp, &err);
    }
    struct sd_api_key k;
    sd_status st = sd_store_key_find_hash(db, req->arena, hash, &k, &err);
    if (st == SD_E_NOT_FOUND) {
        return fail(resp, SD_E_AUTH, "the API key is unknown or revoked");
    }
    if (st != SD_OK) {
        return fail_err(resp, &err);
    }
    if (strcmp(k.kind, is_secret ? "secret" : "publishable") != 0) {
        return fail(resp, SD_E_AUTH, "the API key is unknown or revoked");
    }
    int64_t now = sd_clock_wall_ms();
    if (now - k.last_used_at > KEY_TOUCH_EVERY_MS) {
        /* Best effort: last_used_at is a statistic, not worth failing a request. */
        sd_status ignored = sd_store_key_touch(db, k.id, now, NULL);
        (void)ignored;
    }
    req->auth.kind = is_secret ? SD_AUTH_SECRET_KEY : SD_AUTH_PUBLISHABLE_KEY;
    req->auth.workspace_id = k.workspace_id;
    req->auth.key_id = k.id;
    req->auth.is_admin = is_secret;
    return true;
}

static bool by_session(struct sd_req *req, struct sd_resp *resp, const char *token)
{
    struct sd_err err = SD_ERR_INIT;
    if (strlen(token) > 100) {
        return fail(resp, SD_E_AUTH, "the session cookie is malformed; log in again");
    }
    char hash[SD_SECRET_HASH_HEX];
    sd_secret_hash_token(token, hash);
    sd_db *db;
    if (sd_req_db(req, &db, &err) != SD_OK) {
        return fail_err(resp, &err);
    }
    struct sd_session se;
    sd_status st = sd_store_session_find_hash(db, req->arena, hash, sd_clock_wall_ms(), &se, &err);
    if (st == SD_E_NOT_FOUND) {
        return fail(resp, SD_E_AUTH, "the session has expired or was ended; log in again");
    }
    if (st != SD_OK) {
        return fail_err(resp, &err);
    }
    struct sd_agent ag;
    st = sd_store_agent_get(db, req->arena, se.workspace_id, se.agent_id, &ag, &err);
    if (st == SD_E_NOT_FOUND) {
        return fail(resp, SD_E_AUTH, "the agent of this session no longer exists; log in again");
    }
    if (st != SD_OK) {
        return fail_err(resp, &err);
    }
    bool is_safe = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (!is_safe) {
        const char *csrf = sd_req_header(req, "X-CSRF-Token");
        size_t n = strlen(se.csrf_token);
        if (csrf == NULL || strlen(csrf) != n || !sd_str_ct_eq(csrf, se.csrf_token, n)) {
            return fail(resp, SD_E_FORBIDDEN,
                        "missing or wrong X-CSRF-Token header; send the csrf_token that login "
                        "returned");
        }
    }
    req->auth.kind = SD_AUTH_SESSION;
    req->auth.workspace_id = se.workspace_id;
    req->auth.agent_id = se.agent_id;
    req->auth.session_id = se.id;
    req->auth.is_admin = strcmp(ag.role, "admin") == 0;
    return true;
}

/* The publishable key's extra rules: an allowed Origin, and a rate limit. */
static bool widget_checks(struct sd_req *req, struct sd_resp *resp)
{
    struct sd_err err = SD_ERR_INIT;
    const char *origin = sd_req_header(req, "Origin");
    if (origin == NULL) {
        return fail(resp, SD_E_FORBIDDEN,
                    "publishable keys work only from a browser page; the request has no Origin");
    }
    sd_db *db;
    if (sd_req_db(req, &db, &err) != SD_OK) {
        return fail_err(resp, &err);
    }
    struct sd_workspace ws;
    if (sd_store_workspace_get(db, req->arena, req->auth.workspace_id, &ws, &err) != SD_OK) {
        return fail_err(resp, &err);
    }
    if (!sd_auth_origin_allowed(ws.allowed_origins, origin)) {
        sd_resp_fail(resp, SD_E_FORBIDDEN, NULL,
                     "origin '%.200s' is not allowed for this workspace; an admin can add it to "
                     "allowed_origins",
                     origin);
        return false;
    }
    sd_resp_header(resp, "Access-Control-Allow-Origin", sd_arena_strdup(req->arena, origin));
    sd_resp_header(resp, "Vary", "Origin");
    char *key = sd_arena_printf(req->arena, "widget:%s:%s", req->auth.key_id, req->remote_addr);
    int retry = 0;
    if (!sd_rate_take(req->app->rate, key, req->app->cfg->widget_rate_per_min, sd_clock_mono_ns(),
                      &retry)) {
        sd_resp_header(resp, "Retry-After", sd_arena_printf(req->arena, "%d", retry));
        return fail(resp, SD_E_RATE, "too many tickets from this address; try again later");
    }
    return true;
}

bool sd_auth_authorize(struct sd_req *req, struct sd_resp *resp)
{
    const char *authz = sd_req_header(req, "Authorization");
    if (authz != NULL) {
        if (strncasecmp(authz, "Bearer ", 7) != 0) {
            return fail(resp, SD_E_AUTH,
                        "the Authorization header must be 'Bearer <key>' with an sk_ or pk_ key");
        }
        if (!by_key(req, resp, authz + 7)) {
            return false;
        }
    } else {
        const char *cookie = sd_req_cookie(req, SD_SESSION_COOKIE);
        if (cookie != NULL && req->route->access != SD_ACCESS_PUBLIC &&
            !by_session(req, resp, cookie)) {
            return false;
        }
    }
    enum sd_auth_kind kind = req->auth.kind;
    switch (req->route->access) {
    case SD_ACCESS_PUBLIC:
        return true;
    case SD_ACCESS_WIDGET:
        if (kind == SD_AUTH_PUBLISHABLE_KEY) {
            return widget_checks(req, resp);
        }
        /* fall through */
    case SD_ACCESS_AGENT:
        if (kind == SD_AUTH_NONE) {
            return fail(resp, SD_E_AUTH,
                        "authentication required: send 'Authorization: Bearer sk_…' or log in");
        }
        if (kind == SD_AUTH_PUBLISHABLE_KEY) {
            return fail(resp, SD_E_FORBIDDEN,
                        "publishable keys can only create tickets; use a secret key (sk_…)");
        }
        return true;
    case SD_ACCESS_ADMIN:
        if (kind == SD_AUTH_NONE) {
            return fail(resp, SD_E_AUTH,
                        "authentication required: send 'Authorization: Bearer sk_…' or log in");
        }
        if (!req->auth.is_admin) {
            return fail(resp, SD_E_FORBIDDEN,
                        "this needs an admin: log in as a workspace admin or use a secret key");
        }
        return true;
    }
    return fail(resp, SD_E_INTERNAL, "unknown access level");
}

void sd_auth_preflight(struct sd_req *req, struct sd_resp *resp)
{
    static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE"};
    const char *origin = sd_req_header(req, "Origin");
    resp->status = 204;
    resp->content_type = NULL;
    if (origin == NULL) {
        return;
    }
    /* The methods the widget may use at this path. */
    char *allow = sd_arena_alloc(req->arena, 64);
    size_t len = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < SD_ARRAY_LEN(methods); i++) {
        struct sd_router_match m;
        if (sd_router_match(req->app->routes, req->app->n_routes, methods[i], req->path, req->arena,
                            &m) == SD_ROUTER_OK &&
            m.route->access == SD_ACCESS_WIDGET) {
            len += (size_t)snprintf(allow + len, 64 - len, "%s%s", len ? ", " : "", methods[i]);
            if (strcmp(methods[i], "GET") == 0) {
                len += (size_t)snprintf(allow + len, 64 - len, ", HEAD");
            }
        }
    }
    /* The preflight carries no credentials, so it cannot know the workspace;
     * the real request is checked against the workspace's allowed origins. */
    if (len > 0) {
        sd_resp_header(resp, "Access-Control-Allow-Origin", sd_arena_strdup(req->arena, origin));
        sd_resp_header(resp, "Access-Control-Allow-Methods", allow);
        sd_resp_header(resp, "Access-Control-Allow-Headers",
                       "Authorization, Content-Type, Tus-Resumable, Upload-Length, "
                       "Upload-Metadata, Upload-Offset, Upload-Checksum, Upload-Defer-Length, "
                       "X-Request-Id");
        sd_resp_header(resp, "Access-Control-Max-Age", "600");
        sd_resp_header(resp, "Vary", "Origin");
    }
}
