/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* JSON bodies and schema tables; see json.h. */
#include "http/json.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/utf8.h"
#include "base/banned.h"

sd_status sd_json_parse_object(const char *text, size_t len, json_t **out, struct sd_err *err)
{
    json_error_t je;
    if (len == 0) {
        return sd_err_set(err, SD_E_BAD_REQUEST, NULL, "request body is empty; send a JSON object");
    }
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        return sd_err_set(err, SD_E_BAD_REQUEST, NULL,
                          "body is not valid JSON: %s at line %d column %d", je.text, je.line,
                          je.column);
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return sd_err_set(err, SD_E_BAD_REQUEST, NULL, "body must be a JSON object");
    }
    *out = j;
    return SD_OK;
}

static const char *type_name(enum sd_json_type t)
{
    switch (t) {
    case SD_JSON_STR:
        return "a string";
    case SD_JSON_INT:
        return "an integer";
    case SD_JSON_BOOL:
        return "true or false";
    case SD_JSON_OBJ:
        return "an object";
    case SD_JSON_STR_ARR:
        return "an array of strings";
    case SD_JSON_FRAC:
        return "a number from 0 to 1";
    }
    return "?";
}

static sd_status check_str(const json_t *v, const struct sd_json_field *f, const char *path,
                           struct sd_err *err)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    size_t chars = sd_utf8_len(s, n);
    size_t min = f->min, max = f->max ? f->max : 10000;
    if (chars < min || chars > max) {
        if (min > 0 && chars == 0) {
            return sd_err_set(err, SD_E_INVALID, path, "'%s' must not be empty", path);
        }
        return sd_err_set(err, SD_E_INVALID, path, "'%s' must be %zu to %zu characters, got %zu",
                          path, min, max, chars);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool bad = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
        /* C1 controls, U+0080..U+009F, are 0xC2 0x80..0x9F in UTF-8. */
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9f) {
            bad = true;
        }
        if (f->is_line && (c == '\n' || c == '\r')) {
            bad = true;
        }
        if (bad) {
            return sd_err_set(err, SD_E_INVALID, path, "'%s' has a control character at byte %zu%s",
                              path, i, f->is_line ? " (line breaks are not allowed here)" : "");
        }
    }
    if (f->one_of != NULL) {
        char allowed[256];
        size_t o = 0;
        for (const char *const *p = f->one_of; *p; p++) {
            if (strcmp(*p, s) == 0) {
                return SD_OK;
            }
            int w = snprintf(allowed + o, sizeof(allowed) - o, "%s%s", o ? ", " : "", *p);
            if (w > 0 && (size_t)w < sizeof(allowed) - o) {
                o += (size_t)w;
            }
        }
        return sd_err_set(err, SD_E_INVALID, path, "'%s' must be one of: %s", path, allowed);
    }
    return SD_OK;
}

/* Recursion follows the schema tables, which are static and a few levels deep. */
static sd_status check_field(json_t *v, /* NOLINT(misc-no-recursion) */
                             const struct sd_json_field *f, const char *path, struct sd_err *err)
{
    if (json_is_null(v)) {
        if (f->is_nullable) {
            return SD_OK;
        }
        return sd_err_set(err, SD_E_INVALID, path, "'%s' must not be null", path);
    }
    switch (f->type) {
    case SD_JSON_STR:
        if (!json_is_string(v)) {
            break;
        }
        return check_str(v, f, path, err);
    case SD_JSON_INT:
        if (!json_is_integer(v)) {
            break;
        }
        if (json_integer_value(v) < f->lo || json_integer_value(v) > f->hi) {
            return sd_err_set(err, SD_E_INVALID, path, "'%s' must be from %lld to %lld", path,
                              (long long)f->lo, (long long)f->hi);
        }
        return SD_OK;
    case SD_JSON_BOOL:
        if (!json_is_boolean(v)) {
            break;
        }
        return SD_OK;
    case SD_JSON_FRAC:
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) {
            break;
        }
        return SD_OK;
    case SD_JSON_OBJ:
        if (!json_is_object(v)) {
            break;
        }
        return f->sub ? sd_json_check(v, f->sub, path, err) : SD_OK;
    case SD_JSON_STR_ARR: {
        if (!json_is_array(v)) {
            break;
        }
        size_t max_items = f->max_items ? f->max_items : 100;
        if (json_array_size(v) > max_items) {
            return sd_err_set(err, SD_E_INVALID, path, "'%s' may have at most %zu items", path,
                              max_items);
        }
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            char ipath[192];
            (void)snprintf(ipath, sizeof(ipath), "%.160s[%zu]", path, i);
            if (!json_is_string(item)) {
                return sd_err_set(err, SD_E_INVALID, ipath, "'%s' must be a string", ipath);
            }
            sd_status st = check_str(item, f, ipath, err);
            if (st != SD_OK) {
                return st;
            }
        }
        return SD_OK;
    }
    }
    return sd_err_set(err, SD_E_INVALID, path, "'%s' must be %s", path, type_name(f->type));
}

sd_status sd_json_check(json_t *obj, /* NOLINT(misc-no-recursion): see check_field */
                        const struct sd_json_schema *schema, const char *prefix, struct sd_err *err)
{
    char path[160];
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const struct sd_json_field *f = NULL;
        for (size_t i = 0; i < schema->n_fields; i++) {
            if (strcmp(schema->fields[i].name, key) == 0) {
                f = &schema->fields[i];
            }
        }
        (void)snprintf(path, sizeof(path), "%s%s%.100s", prefix ? prefix : "", prefix ? "." : "",
                       key);
        if (f == NULL) {
            return sd_err_set(err, SD_E_INVALID, path, "unknown field '%s'", path);
        }
        sd_status st = check_field(v, f, path, err);
        if (st != SD_OK) {
            return st;
        }
    }
    for (size_t i = 0; i < schema->n_fields; i++) {
        const struct sd_json_field *f = &schema->fields[i];
        if (f->is_required && json_object_get(obj, f->name) == NULL) {
            (void)snprintf(path, sizeof(path), "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
                           f->name);
            return sd_err_set(err, SD_E_INVALID, path, "'%s' is required", path);
        }
    }
    return SD_OK;
}

const char *sd_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

bool sd_json_has(const json_t *obj, const char *key)
{
    return json_object_get(obj, key) != NULL;
}
