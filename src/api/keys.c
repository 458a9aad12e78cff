/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: /api/v1/keys: the workspace's API keys, for admins. A new key is
 * returned once, in full, in the create response; only its SHA-256 and its
 * first characters (to recognise it in a list) are stored. Revoking is
 * immediate: the next request with the key gets 401.
 */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/rand.h"
#include "domain/secret.h"
#include "base/banned.h"

static const char *const kinds[] = {"secret", "publishable", NULL};

static const struct sd_json_field create_fields[] = {
    {"kind", SD_JSON_STR, .is_required = true, .one_of = kinds},
    {"name", SD_JSON_STR, .is_required = true, .min = 1, .max = 100, .is_line = true},
};
static const struct sd_json_schema create_schema = SD_JSON_SCHEMA(create_fields);

void sd_api_keys_list(struct sd_req *req, struct sd_resp *resp)
{
    struct api_page pg;
    struct sd_err err = SD_ERR_INIT;
    struct sd_api_key *rows = NULL;
    size_t n = 0;
    if (!api_page_args(req, resp, "key", &pg)) {
        return;
    }
    if (sd_store_key_list(pg.db, req->arena, req->auth.workspace_id, pg.after, pg.limit + 1, &rows,
                          &n, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    api_page_send(req, resp, &pg, rows, n, sizeof(*rows), api_key_row);
}

void sd_api_keys_create(struct sd_req *req, struct sd_resp *resp)
{
    json_t *body = NULL;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (!api_body(req, resp, &create_schema, &body)) {
        return;
    }
    const char *kind = sd_arena_strdup(req->arena, sd_json_str(body, "kind"));
    const char *name = sd_arena_strdup(req->arena, sd_json_str(body, "name"));
    json_decref(body);
    if (!api_db(req, resp, &db)) {
        return;
    }
    char key[SD_SECRET_KEY_MAX], hash[SD_SECRET_HASH_HEX], prefix[SD_SECRET_PREFIX_LEN + 1];
    char id[SD_ID_MAX];
    sd_secret_new_key(strcmp(kind, "secret") == 0 ? "sk" : "pk", key);
    sd_secret_hash_token(key, hash);
    (void)snprintf(prefix, sizeof(prefix), "%.11s", key);
    sd_id_new("key", id);
    struct sd_api_key k = {.id = id,
                           .workspace_id = req->auth.workspace_id,
                           .kind = kind,
                           .name = name,
                           .prefix = prefix,
                           .key_hash = hash,
                           .created_at = sd_clock_wall_ms()};
    if (sd_store_key_insert(db, &k, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    json_t *o = api_key_json(&k);
    (void)json_object_set_new(o, "key", json_string(key));
    sd_resp_json(resp, 201, o);
}

void sd_api_keys_revoke(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "key", &id) || !api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_key_revoke(db, req->auth.workspace_id, id, sd_clock_wall_ms(), &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_text(resp, 204, NULL, "");
}
