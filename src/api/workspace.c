/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: /api/v1/workspace: the caller's own workspace. Admins may rename
 * it and set allowed_origins, the pages from which its publishable keys may
 * create tickets (checked against the browser's Origin header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "base/clock.h"
#include "domain/validate.h"
#include "base/banned.h"

static const struct sd_json_field media_fields[] = {
    {"max_bytes", SD_JSON_INT, .lo = 1, .hi = INT64_C(1) << 40},
    {"max_duration_s", SD_JSON_INT, .lo = 1, .hi = INT64_C(24) * 3600},
    {"upload_expiry_s", SD_JSON_INT, .lo = 1, .hi = INT64_C(30) * 24 * 3600},
    {"keep_originals", SD_JSON_BOOL, .is_required = false},
    {"types", SD_JSON_STR_ARR, .min = 1, .max = 100, .max_items = 50},
    {"containers", SD_JSON_STR_ARR, .min = 1, .max = 40, .max_items = 50},
    {"video_codecs", SD_JSON_STR_ARR, .min = 1, .max = 40, .max_items = 50},
    {"audio_codecs", SD_JSON_STR_ARR, .min = 1, .max = 40, .max_items = 50},
};
static const struct sd_json_schema media_schema = SD_JSON_SCHEMA(media_fields);

static const struct sd_json_field speech_fields[] = {
    {"vocabulary", SD_JSON_STR_ARR, .min = 1, .max = 100, .max_items = 1000, .is_line = true},
};
static const struct sd_json_schema speech_schema = SD_JSON_SCHEMA(speech_fields);

static const struct sd_json_field thresholds_fields[] = {
    {"category", SD_JSON_FRAC, .is_required = false},
    {"urgency", SD_JSON_FRAC, .is_required = false},
    {"product_area", SD_JSON_FRAC, .is_required = false},
    {"sentiment", SD_JSON_FRAC, .is_required = false},
};
static const struct sd_json_schema thresholds_schema = SD_JSON_SCHEMA(thresholds_fields);

static const struct sd_json_field triage_fields[] = {
    {"thresholds", SD_JSON_OBJ, .sub = &thresholds_schema},
    {"kb_threshold", SD_JSON_FRAC, .is_required = false},
    {"product_areas", SD_JSON_STR_ARR, .min = 1, .max = 100, .max_items = 64, .is_line = true},
    {"retrain_hours", SD_JSON_INT, .lo = 0, .hi = INT64_C(24) * 365},
};
static const struct sd_json_schema triage_schema = SD_JSON_SCHEMA(triage_fields);

static const struct sd_json_field update_fields[] = {
    {"name", SD_JSON_STR, .min = 1, .max = 200, .is_line = true},
    {"allowed_origins", SD_JSON_STR_ARR, .min = 1, .max = 300, .max_items = 50},
    {"media", SD_JSON_OBJ, .sub = &media_schema},
    {"speech", SD_JSON_OBJ, .sub = &speech_schema},
    {"triage", SD_JSON_OBJ, .sub = &triage_schema},
};
static const struct sd_json_schema update_schema = SD_JSON_SCHEMA(update_fields);

void sd_api_workspace_get(struct sd_req *req, struct sd_resp *resp)
{
    sd_db *db;
    struct sd_workspace w;
    struct sd_err err = SD_ERR_INIT;
    if (!api_db(req, resp, &db)) {
        return;
    }
    if (sd_store_workspace_get(db, req->arena, req->auth.workspace_id, &w, &err) != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_workspace_json(req, &w));
}

/* The origins of @arr checked and without duplicates, as JSON text in the arena. */
static const char *origins_text(struct sd_req *req, const json_t *arr, struct sd_err *err)
{
    json_t *out = json_array();
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *o = json_string_value(v);
        char field[48];
        (void)snprintf(field, sizeof(field), "allowed_origins[%zu]", i);
        if (sd_validate_origin(field, o, err) != SD_OK) {
            json_decref(out);
            return NULL;
        }
        bool seen = false;
        size_t k;
        const json_t *w;
        json_array_foreach(out, k, w) seen = seen || strcmp(json_string_value(w), o) == 0;
        if (!seen) {
            (void)json_array_append_new(out, json_string(o));
        }
    }
    char *s = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    const char *r = sd_arena_strdup(req->arena, s ? s : "[]");
    free(s);
    return r;
}

void sd_api_workspace_update(struct sd_req *req, struct sd_resp *resp)
{
    sd_db *db;
    json_t *body = NULL;
    struct sd_workspace w;
    struct sd_err err = SD_ERR_INIT;
    if (!api_body(req, resp, &update_schema, &body)) {
        return;
    }
    if (!api_db(req, resp, &db)) {
        json_decref(body);
        return;
    }
    sd_status st = sd_store_workspace_get(db, req->arena, req->auth.workspace_id, &w, &err);
    if (st == SD_OK && sd_json_has(body, "name")) {
        w.name = sd_arena_strdup(req->arena, sd_json_str(body, "name"));
    }
    if (st == SD_OK && sd_json_has(body, "allowed_origins")) {
        w.allowed_origins = origins_text(req, json_object_get(body, "allowed_origins"), &err);
        if (w.allowed_origins == NULL) {
            st = SD_E_INVALID;
        }
    }
    const json_t *areas = json_object_get(json_object_get(body, "triage"), "product_areas");
    if (st == SD_OK && areas != NULL && json_array_size(areas) < 2) {
        st = sd_err_set(&err, SD_E_INVALID, "triage.product_areas",
                        "'triage.product_areas' needs at least two areas");
    }
    static const char *const groups[] = {"media", "speech", "triage"};
    for (size_t g = 0; st == SD_OK && g < SD_ARRAY_LEN(groups); g++) {
        if (!sd_json_has(body, groups[g])) {
            continue;
        }
        /* The keys given replace those stored; the others stay. */
        json_t *settings = api_jraw(w.settings, false);
        json_t *group = json_object_get(settings, groups[g]);
        if (!json_is_object(group)) {
            group = json_object();
            (void)json_object_set_new(settings, groups[g], group);
        }
        (void)json_object_update(group, json_object_get(body, groups[g]));
        char *text = json_dumps(settings, JSON_COMPACT);
        w.settings = sd_arena_strdup(req->arena, text ? text : "{}");
        free(text);
        json_decref(settings);
    }
    json_decref(body);
    if (st == SD_OK) {
        w.updated_at = sd_clock_wall_ms();
        st = sd_store_workspace_update(db, &w, &err);
    }
    if (st != SD_OK) {
        api_fail(resp, &err);
        return;
    }
    sd_resp_json(resp, 200, api_workspace_json(req, &w));
}
