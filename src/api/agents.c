/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: /api/v1/agents: the people who answer tickets.
 *
 * Admins (and secret keys) add, change and remove agents; an agent may change
 * only their own name and password. A workspace always keeps one admin: the
 * last one can be neither demoted nor removed, and nobody removes themselves.
 * A new password ends all the agent's sessions (log in again). Password hashes never
 * leave the server; a generated password is returned once, at creation.
 */
#include <string.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/rand.h"
#include "domain/secret.h"
#include "domain/ticket.h"
#include "domain/validate.h"
#include <sodium.h>
#include "base/banned.h"

static const struct sd_json_field create_fields[] = {
    {"email", SD_JSON_STR, .is_required = true, .min = 3, .max = 254, .is_line = true},
    {"name", SD_JSON_STR, .is_required = true, .min = 1, .max = 200, .is_line = true},
    {"role", SD_JSON_STR, .one_of = sd_agent_roles},
    {"password", SD_JSON_STR, .min = 10, .max = 200},
};
static const struct sd_json_schema create_schema = SD_JSON_SCHEMA(create_fields);

static const struct sd_json_field update_fields[] = {
    {"name", SD_JSON_STR, .min = 1, .max = 200, .is_line = true},
    {"role", SD_JSON_STR, .one_of = sd_agent_roles},
    {"password", SD_JSON_STR, .min = 10, .max = 200},
};
static const struct sd_json_schema update_schema = SD_JSON_SCHEMA(update_fields);

void sd_api_agents_list(struct sd_req *req, struct sd_resp *resp)
{
    struct api_page pg;
    struct sd_err err = SD_ERR_INIT;
    struct sd_agent *rows = NULL;
    size_t n = 0;
    if (!api_page_args(req, resp, "agt", &pg)) {
        return;
    }
    if (sd_store_agent_list(pg.db, req->arena, req->auth.workspace_id, pg.after, pg.limit + 1,
                            &rows, &n, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    api_page_send(req, resp, &pg, rows, n, sizeof(*rows), api_agent_row);
}

void sd_api_agents_create(struct sd_req *req, struct sd_resp *resp)
{
    json_t *body = NULL;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    char email[SD_EMAIL_MAX + 1], pw[32] = "", hash[SD_SECRET_PWHASH_MAX];
    if (!api_body(req, resp, &create_schema, &body)) {
        return;
    }
    sd_status st = sd_validate_email("email", sd_json_str(body, "email"), email, &err);
    const char *password = sd_json_str(body, "password");
    if (st == SD_OK && password == NULL) {
        sd_secret_new_password(pw);
        password = pw;
    }
    if (st == SD_OK) {
        st = sd_secret_hash_password(password, hash, &err);
    }
    char id[SD_ID_MAX];
    sd_id_new("agt", id);
    int64_t now = sd_clock_wall_ms();
    const char *role = sd_json_str(body, "role");
    struct sd_agent ag = {.id = id,
                          .workspace_id = req->auth.workspace_id,
                          .email = email,
                          .name = sd_arena_strdup(req->arena, sd_json_str(body, "name")),
                          .role = role && strcmp(role, "admin") == 0 ? "admin" : "agent",
                          .password_hash = hash,
                          .created_at = now,
                          .updated_at = now};
    json_decref(body);
    if (st == SD_OK && !api_db(req, resp, &db)) {
        sodium_memzero(pw, sizeof(pw));
        return;
    }
    if (st == SD_OK) {
        st = sd_store_agent_insert(db, &ag, &err);
    }
    sodium_memzero(hash, sizeof(hash));
    if (st != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    json_t *o = api_agent_json(&ag);
    if (pw[0] != '\0') {
        (void)json_object_set_new(o, "password", json_string(pw));
    }
    sodium_memzero(pw, sizeof(pw));
    sd_resp_json(resp, 201, o);
}

void sd_api_agents_get(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_agent ag;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "agt", &id) || !api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_agent_get(db, req->arena, req->auth.workspace_id, id, &ag, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_agent_json(&ag));
}

/*
 * Refuses to leave the workspace without an admin. Called inside the
 * transaction that demotes or removes @ag: the workspace row is locked first,
 * so two such transactions run one after the other and the second sees the
 * first one's change.
 */
static sd_status keep_an_admin(sd_db *db, const struct sd_agent *ag, struct sd_err *err)
{
    int64_t n_admins = 0;
    if (strcmp(ag->role, "admin") != 0) {
        return SD_OK;
    }
    sd_status st = sd_store_workspace_lock(db, ag->workspace_id, err);
    if (st == SD_OK) {
        st = sd_store_agent_count_admins(db, ag->workspace_id, &n_admins, err);
    }
    if (st == SD_OK && n_admins <= 1) {
        return sd_err_set(err, SD_E_CONFLICT, "role",
                          "agent '%s' is the workspace's last admin; make another admin first",
                          ag->id);
    }
    return st;
}

void sd_api_agents_update(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    json_t *body = NULL;
    struct sd_agent ag;
    struct sd_err err = SD_ERR_INIT;
    char hash[SD_SECRET_PWHASH_MAX];
    if (!api_id(req, resp, "agt", &id) || !api_body(req, resp, &update_schema, &body)) {
        return;
    }
    if (!api_db(req, resp, &db)) {
        json_decref(body);
        return;
    }
    bool is_self = req->auth.agent_id != NULL && strcmp(req->auth.agent_id, id) == 0;
    const char *role = sd_json_str(body, "role");
    const char *password = sd_json_str(body, "password");
    sd_status st = sd_store_begin(db, &err);
    if (st == SD_OK) {
        st = sd_store_agent_get(db, req->arena, req->auth.workspace_id, id, &ag, &err);
    }
    if (st == SD_OK && !req->auth.is_admin && (!is_self || role != NULL)) {
        st = sd_err_set(&err, SD_E_FORBIDDEN, role ? "role" : NULL,
                        "only an admin can change another agent or a role");
    }
    if (st == SD_OK && role != NULL && strcmp(role, ag.role) != 0) {
        if (strcmp(role, "agent") == 0) {
            st = keep_an_admin(db, &ag, &err);
        }
        ag.role = strcmp(role, "admin") == 0 ? "admin" : "agent";
    }
    if (st == SD_OK && sd_json_has(body, "name")) {
        ag.name = sd_arena_strdup(req->arena, sd_json_str(body, "name"));
    }
    if (st == SD_OK && password != NULL) {
        st = sd_secret_hash_password(password, hash, &err);
        ag.password_hash = hash;
        /* A new password ends every session of the agent, the caller's too. */
        if (st == SD_OK) {
            st = sd_store_session_delete_agent(db, ag.workspace_id, ag.id, &err);
        }
    }
    json_decref(body);
    if (st == SD_OK) {
        ag.updated_at = sd_clock_wall_ms();
        st = sd_store_agent_update(db, &ag, &err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, &err);
    }
    sodium_memzero(hash, sizeof(hash));
    if (st != SD_OK) {
        sd_store_rollback(db);
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_agent_json(&ag));
}

void sd_api_agents_delete(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_agent ag;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "agt", &id) || !api_db(req, resp, &db)) {
        return;
    }
    sd_status st = SD_OK;
    if (req->auth.agent_id != NULL && strcmp(req->auth.agent_id, id) == 0) {
        st = sd_err_set(&err, SD_E_CONFLICT, "id", "you cannot remove yourself; ask another admin");
    }
    if (st == SD_OK) {
        st = sd_store_begin(db, &err);
    }
    if (st == SD_OK) {
        st = sd_store_agent_get(db, req->arena, req->auth.workspace_id, id, &ag, &err);
    }
    if (st == SD_OK) {
        st = keep_an_admin(db, &ag, &err);
    }
    if (st == SD_OK) {
        st = sd_store_agent_delete(db, req->auth.workspace_id, id, &err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, &err);
    }
    if (st != SD_OK) {
        sd_store_rollback(db);
        api_fail(resp, &err);
        return;
    }
    sd_resp_text(resp, 204, NULL, "");
}
