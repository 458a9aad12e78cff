/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Provisioning from the command line; see provision.h. */
#include "cmd/provision.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/rand.h"
#include "base/str.h"
#include "domain/ticket.h"
#include "domain/validate.h"
#include "base/banned.h"

sd_status sd_prov_workspace(sd_db *db, const char *name, const char *origins_json, char id_out[40],
                            struct sd_err *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > 200) {
        return sd_err_set(err, SD_E_INVALID, "name", "workspace name must be 1 to 200 characters");
    }
    char id[SD_ID_MAX];
    sd_id_new("ws", id);
    int64_t now = sd_clock_wall_ms();
    struct sd_workspace w = {.id = id,
                             .name = name,
                             .allowed_origins = origins_json ? origins_json : "[]",
                             .settings = "{}",
                             .created_at = now,
                             .updated_at = now};
    sd_status st = sd_store_workspace_insert(db, &w, err);
    if (st == SD_OK) {
        (void)sd_str_copy(id_out, 40, id);
    }
    return st;
}

sd_status sd_prov_agent(sd_db *db, const char *ws_id, const char *email, const char *name,
                        const char *role, const char *password, char password_out[32],
                        char id_out[40], struct sd_err *err)
{
    char mail[SD_EMAIL_MAX + 1];
    char hash[SD_SECRET_PWHASH_MAX];
    sd_status st = sd_validate_email("email", email, mail, err);
    if (st != SD_OK) {
        return st;
    }
    if (!sd_domain_one_of(sd_agent_roles, role)) {
        return sd_err_set(err, SD_E_INVALID, "role", "role must be admin or agent, got '%s'", role);
    }
    if (password == NULL) {
        sd_secret_new_password(password_out);
        password = password_out;
    } else if (sd_validate_password("password", password, err) != SD_OK) {
        return SD_E_INVALID;
    } else {
        (void)sd_str_copy(password_out, 32, "");
    }
    st = sd_secret_hash_password(password, hash, err);
    if (st != SD_OK) {
        return st;
    }
    char id[SD_ID_MAX];
    sd_id_new("agt", id);
    int64_t now = sd_clock_wall_ms();
    struct sd_agent ag = {.id = id,
                          .workspace_id = ws_id,
                          .email = mail,
                          .name = name,
                          .role = role,
                          .password_hash = hash,
                          .created_at = now,
                          .updated_at = now};
    st = sd_store_agent_insert(db, &ag, err);
    sodium_memzero(hash, sizeof(hash));
    if (st == SD_OK) {
        (void)sd_str_copy(id_out, 40, id);
    }
    return st;
}

sd_status sd_prov_key(sd_db *db, const char *ws_id, const char *kind, const char *name,
                      struct sd_new_key *out, struct sd_err *err)
{
    bool is_secret = strcmp(kind, "secret") == 0;
    if (!is_secret && strcmp(kind, "publishable") != 0) {
        return sd_err_set(err, SD_E_INVALID, "kind",
                          "key kind must be secret or publishable, got '%s'", kind);
    }
    char hash[SD_SECRET_HASH_HEX];
    char prefix[SD_SECRET_PREFIX_LEN + 1];
    sd_secret_new_key(is_secret ? "sk" : "pk", out->key);
    sd_secret_hash_token(out->key, hash);
    (void)snprintf(prefix, sizeof(prefix), "%.11s", out->key);
    char id[SD_ID_MAX];
    sd_id_new("key", id);
    struct sd_api_key k = {.id = id,
                           .workspace_id = ws_id,
                           .kind = kind,
                           .name = name,
                           .prefix = prefix,
                           .key_hash = hash,
                           .created_at = sd_clock_wall_ms()};
    sd_status st = sd_store_key_insert(db, &k, err);
    if (st == SD_OK) {
        (void)sd_str_copy(out->id, sizeof(out->id), id);
    }
    return st;
}
