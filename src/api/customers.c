/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: /api/v1/customers: the people who ask. A customer is known by the
 * client's own id (external_id), by email, or both; one of them is always
 * set, and each is unique within the workspace. Tickets created with a
 * customer object find or create the customer the same way (tickets.c).
 */
#include <stddef.h>
#include <string.h>

#include "api/internal.h"
#include "base/clock.h"
#include "base/rand.h"
#include "domain/validate.h"
#include "base/banned.h"

#define CUSTOMER_FIELDS(req)                                                                       \
    {"external_id", SD_JSON_STR, .min = 1, .max = 200, .is_line = true, .is_nullable = !(req)},    \
        {"email", SD_JSON_STR, .min = 3, .max = 254, .is_line = true, .is_nullable = !(req)},      \
        {"name", SD_JSON_STR, .max = 200, .is_line = true},                                        \
    {                                                                                              \
        "plan", SD_JSON_STR, .max = 100, .is_line = true, .is_nullable = true                      \
    }

static const struct sd_json_field create_fields[] = {CUSTOMER_FIELDS(true)};
static const struct sd_json_schema create_schema = SD_JSON_SCHEMA(create_fields);
static const struct sd_json_field update_fields[] = {CUSTOMER_FIELDS(false)};
static const struct sd_json_schema update_schema = SD_JSON_SCHEMA(update_fields);

/* Applies the fields present in @body to @c (null clears), checking the email. */
static sd_status apply(struct sd_req *req, const json_t *body, struct sd_customer *c,
                       struct sd_err *err)
{
    static const struct {
        const char *key;
        size_t off;
    } fields[] = {{"external_id", offsetof(struct sd_customer, external_id)},
                  {"name", offsetof(struct sd_customer, name)},
                  {"plan", offsetof(struct sd_customer, plan)}};
    for (size_t i = 0; i < SD_ARRAY_LEN(fields); i++) {
        if (!sd_json_has(body, fields[i].key)) {
            continue;
        }
        const char **f = (const char **)(void *)((char *)c + fields[i].off);
        *f = sd_arena_strdup(req->arena, sd_json_str(body, fields[i].key));
    }
    if (c->name == NULL) {
        c->name = "";
    }
    if (sd_json_has(body, "email")) {
        const char *email = sd_json_str(body, "email");
        if (email == NULL) {
            c->email = NULL;
        } else {
            char *mail = sd_arena_alloc(req->arena, SD_EMAIL_MAX + 1);
            if (sd_validate_email("email", email, mail, err) != SD_OK) {
                return SD_E_INVALID;
            }
            c->email = mail;
        }
    }
    if (c->email == NULL && c->external_id == NULL) {
        return sd_err_set(err, SD_E_INVALID, "email",
                          "a customer needs an email or an external_id (or both)");
    }
    return SD_OK;
}

void sd_api_customers_list(struct sd_req *req, struct sd_resp *resp)
{
    struct api_page pg;
    struct sd_err err = SD_ERR_INIT;
    struct sd_customer *rows = NULL;
    size_t n = 0;
    if (!api_page_args(req, resp, "cus", &pg)) {
        return;
    }
    if (sd_store_customer_list(pg.db, req->arena, req->auth.workspace_id, pg.after, pg.limit + 1,
                               &rows, &n, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    api_page_send(req, resp, &pg, rows, n, sizeof(*rows), api_customer_row);
}

void sd_api_customers_create(struct sd_req *req, struct sd_resp *resp)
{
    json_t *body = NULL;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (!api_body(req, resp, &create_schema, &body)) {
        return;
    }
    char id[SD_ID_MAX];
    sd_id_new("cus", id);
    int64_t now = sd_clock_wall_ms();
    struct sd_customer c = {
        .id = id, .workspace_id = req->auth.workspace_id, .created_at = now, .updated_at = now};
    sd_status st = apply(req, body, &c, &err);
    json_decref(body);
    if (st == SD_OK && !api_db(req, resp, &db)) {
        return;
    }
    if (st == SD_OK) {
        st = sd_store_customer_insert(db, &c, &err);
    }
    if (st != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 201, api_customer_json(&c));
}

void sd_api_customers_get(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_customer c;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "cus", &id) || !api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_customer_get(db, req->arena, req->auth.workspace_id, id, &c, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_customer_json(&c));
}

void sd_api_customers_update(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    json_t *body = NULL;
    struct sd_customer c;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "cus", &id) || !api_body(req, resp, &update_schema, &body)) {
        return;
    }
    if (!api_db(req, resp, &db)) {
        json_decref(body);
        return;
    }
    sd_status st = sd_store_customer_get(db, req->arena, req->auth.workspace_id, id, &c, &err);
    if (st == SD_OK) {
        st = apply(req, body, &c, &err);
    }
    json_decref(body);
    if (st == SD_OK) {
        c.updated_at = sd_clock_wall_ms();
        st = sd_store_customer_update(db, &c, &err);
    }
    if (st != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_customer_json(&c));
}

void sd_api_customers_delete(struct sd_req *req, struct sd_resp *resp)
{
    const char *id;
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (!api_id(req, resp, "cus", &id) || !api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_customer_delete(db, req->auth.workspace_id, id, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_text(resp, 204, NULL, "");
}
