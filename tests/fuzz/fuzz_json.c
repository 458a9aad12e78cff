/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target: request bodies. Parses untrusted bytes as a JSON object and
 * checks them against a schema with every field kind (nested objects, string
 * arrays, value sets, ranges), as the ticket API does. Any input must end in
 * SD_OK or an error with a message, never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = {"bug", "how_to", NULL};
static const struct sd_json_field ctx_fields[] = {
    {"page_url", SD_JSON_STR, .max = 2048, .is_line = true},
    {"console_errors", SD_JSON_STR_ARR, .max = 2000, .max_items = 50},
};
static const struct sd_json_schema ctx = SD_JSON_SCHEMA(ctx_fields);
static const struct sd_json_field fields[] = {
    {"subject", SD_JSON_STR, .is_required = true, .min = 1, .max = 200, .is_line = true},
    {"category", SD_JSON_STR, .one_of = kinds, .is_nullable = true},
    {"n", SD_JSON_INT, .lo = -5, .hi = 5},
    {"internal", SD_JSON_BOOL, .is_required = false},
    {"context", SD_JSON_OBJ, .sub = &ctx},
    {"free", SD_JSON_OBJ, .sub = NULL},
};
static const struct sd_json_schema schema = SD_JSON_SCHEMA(fields);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct sd_err err = SD_ERR_INIT;
    json_t *j = NULL;
    sd_status st = sd_json_parse_object((const char *)data, size, &j, &err);
    if (st == SD_OK) {
        st = sd_json_check(j, &schema, NULL, &err);
        json_decref(j);
    }
    if (st != SD_OK && err.msg[0] == '\0') {
        __builtin_trap(); /* every refusal must say why */
    }
    return 0;
}
