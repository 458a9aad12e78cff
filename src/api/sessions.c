/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: agent sessions: /api/v1/auth/login, /logout, /me.
 *
 * Login is rate-limited per client address, finds the agents with the email
 * (one per workspace at most), and checks the Argon2id hash. A wrong email
 * and a wrong password get the same answer, and a password is verified even
 * when no agent has the email, so neither the message nor the time tells
 * which emails exist. A session is a random token in an HttpOnly,
 * SameSite=Lax cookie (Secure behind TLS); only its SHA-256 is stored. The
 * CSRF token returned with it must come back in X-CSRF-Token on writes.
 */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/rand.h"
#include "domain/secret.h"
#include "domain/validate.h"
#include "http/auth.h"
#include "http/limits.h"
#include "base/banned.h"

static const struct sd_json_field login_fields[] = {
    {"email", SD_JSON_STR, .is_required = true, .min = 1, .max = 254, .is_line = true},
    {"password", SD_JSON_STR, .is_required = true, .min = 1, .max = 200},
    {"workspace_id", SD_JSON_STR, .min = 1, .max = 40},
};
static const struct sd_json_schema login_schema = SD_JSON_SCHEMA(login_fields);

static bool is_secure(struct sd_req *req)
{
    if (req->app->is_https) {
        return true;
    }
    const char *proto = req->app->cfg->trust_proxy ? sd_req_header(req, "X-Forwarded-Proto") : NULL;
    return proto != NULL && strcmp(proto, "https") == 0;
}

void sd_api_login(struct sd_req *req, struct sd_resp *resp)
{
    json_t *body = NULL;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    int retry = 0;
    char *rate_key = sd_arena_printf(req->arena, "login:%s", req->remote_addr);
    if (!sd_rate_take(req->app->rate, rate_key, req->app->cfg->login_rate_per_min,
                      sd_clock_mono_ns(), &retry)) {
        sd_resp_header(resp, "Retry-After", sd_arena_printf(req->arena, "%d", retry));
        sd_resp_fail(resp, SD_E_RATE, NULL,
                     "too many login attempts from this address; try again in %d s", retry);
        return;
    }
    if (!api_body(req, resp, &login_schema, &body)) {
        return;
    }
    char email[SD_EMAIL_MAX + 1] = "";
    const char *password = sd_arena_strdup(req->arena, sd_json_str(body, "password"));
    const char *ws_id = sd_arena_strdup(req->arena, sd_json_str(body, "workspace_id"));
    sd_status st = sd_validate_email("email", sd_json_str(body, "email"), email, &err);
    json_decref(body);
    if (st != SD_OK || !api_db(req, resp, &db)) {
        if (st != SD_OK) {
            api_fail(resp, &err);
        }
        return;
    }
    struct sd_agent *agents = NULL;
    size_t n = 0;
    if (sd_store_agent_find_email(db, req->arena, email, 20, &agents, &n, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    struct sd_agent *match = NULL;
    size_t n_match = 0;
    for (size_t i = 0; i < n; i++) {
        if (ws_id != NULL && strcmp(agents[i].workspace_id, ws_id) != 0) {
            continue;
        }
        if (sd_secret_verify_password(agents[i].password_hash, password)) {
            match = &agents[i];
            n_match++;
        }
    }
    if (n == 0) {
        (void)sd_secret_verify_password(sd_secret_dummy_hash(), password);
    }
    if (n_match > 1) {
        sd_resp_fail(resp, SD_E_CONFLICT, "workspace_id",
                     "this email and password open several workspaces; send workspace_id too");
        return;
    }
    if (match == NULL) {
        sd_resp_fail(resp, SD_E_AUTH, NULL, "email or password is wrong");
        return;
    }
    char token[SD_SECRET_KEY_MAX], csrf[SD_SECRET_KEY_MAX], hash[SD_SECRET_HASH_HEX];
    char sid[SD_ID_MAX];
    sd_secret_new_token(token);
    sd_secret_new_token(csrf);
    sd_secret_hash_token(token, hash);
    sd_id_new("ses", sid);
    int64_t now = sd_clock_wall_ms();
    int64_t ttl_s = (int64_t)req->app->cfg->session_ttl_h * 3600;
    struct sd_session se = {.id = sid,
                            .workspace_id = match->workspace_id,
                            .agent_id = match->id,
                            .token_hash = hash,
                            .csrf_token = csrf,
                            .created_at = now,
                            .expires_at = now + ttl_s * 1000};
    if (sd_store_session_insert(db, &se, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_header(resp, "Set-Cookie",
                   sd_arena_printf(req->arena,
                                   SD_SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Lax; "
                                                     "Max-Age=%lld%s",
                                   token, (long long)ttl_s, is_secure(req) ? "; Secure" : ""));
    sd_resp_json(resp, 200,
                 json_pack("{s:o, s:s, s:s, s:o}", "agent", api_agent_json(match), "workspace_id",
                           match->workspace_id, "csrf_token", csrf, "expires_at",
                           api_jtime(se.expires_at)));
}

void sd_api_logout(struct sd_req *req, struct sd_resp *resp)
{
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (req->auth.kind != SD_AUTH_SESSION) {
        sd_resp_fail(resp, SD_E_INVALID, NULL,
                     "logout is for agent sessions; revoke a key instead");
        return;
    }
    if (!api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_session_delete(db, req->auth.session_id, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_header(resp, "Set-Cookie",
                   sd_arena_printf(req->arena,
                                   SD_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Lax; "
                                                     "Max-Age=0%s",
                                   is_secure(req) ? "; Secure" : ""));
    sd_resp_text(resp, 204, NULL, "");
}

void sd_api_me(struct sd_req *req, struct sd_resp *resp)
{
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    struct sd_workspace ws;
    if (!api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_workspace_get(db, req->arena, req->auth.workspace_id, &ws, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    json_t *o = json_pack("{s:s, s:o}", "kind",
                          req->auth.kind == SD_AUTH_SESSION ? "session" : "secret_key", "workspace",
                          api_workspace_json(req, &ws));
    if (req->auth.kind == SD_AUTH_SESSION) {
        struct sd_agent ag;
        if (sd_store_agent_get(db, req->arena, req->auth.workspace_id, req->auth.agent_id, &ag,
                               &err) != SD_OK) {
            json_decref(o);
            api_fail(resp, &err);
            return;
        }
        (void)json_object_set_new(o, "agent", api_agent_json(&ag));
    } else {
        (void)json_object_set_new(o, "key_id", api_jstr(req->auth.key_id));
    }
    sd_resp_json(resp, 200, o);
}
