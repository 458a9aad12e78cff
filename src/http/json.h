/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: request bodies as JSON, checked against a schema table.
 *
 * A handler declares what it accepts as a table (Janus's
 * janus_json_parameter, with bounds):
 *
 *   static const struct sd_json_field fields[] = {
 *       {"subject", SD_JSON_STR, .is_required = true, .min = 1, .max = 200, .is_line = true},
 *       {"status", SD_JSON_STR, .one_of = sd_ticket_statuses},
 *   };
 *
 * sd_json_check rejects unknown fields, wrong types, strings out of bounds
 * (counted in characters), strings with control characters, values not in
 * one_of, and integers out of range, naming the field ("customer.email") in
 * the error. jansson already refuses invalid UTF-8 and NUL bytes while parsing.
 * Pure, MT safe.
 */
#ifndef SD_HTTP_JSON_H
#define SD_HTTP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

enum sd_json_type {
    SD_JSON_STR,
    SD_JSON_INT,
    SD_JSON_BOOL,
    SD_JSON_OBJ,     /* checked against .sub, or free-form when .sub is NULL */
    SD_JSON_STR_ARR, /* array of strings, each within min/max; .max_items */
    SD_JSON_FRAC,    /* a number from 0 to 1 (an integer 0 or 1 too) */
};

struct sd_json_schema;

struct sd_json_field {
    const char *name;
    enum sd_json_type type;
    bool is_required;
    bool is_nullable;
    bool is_line;              /* strings: no line breaks */
    size_t min, max;           /* strings: characters; 0/0 = 0..10000 */
    int64_t lo, hi;            /* integers: inclusive range */
    size_t max_items;          /* arrays */
    const char *const *one_of; /* strings: allowed values, NULL-terminated */
    const struct sd_json_schema *sub;
};

struct sd_json_schema {
    const struct sd_json_field *fields;
    size_t n_fields;
};

#define SD_JSON_SCHEMA(arr)                                                                        \
    {                                                                                              \
        (arr), sizeof(arr) / sizeof((arr)[0])                                                      \
    }

/**
 * Parses @len bytes as one JSON object. Malformed JSON, invalid UTF-8 or a
 * non-object is SD_E_BAD_REQUEST with the line and column. Caller owns *@out
 * (json_decref).
 */
SD_MUST_CHECK sd_status sd_json_parse_object(const char *text, size_t len, json_t **out,
                                             struct sd_err *err);

/** Checks @obj against @schema; @prefix (nullable) names the enclosing field. */
SD_MUST_CHECK sd_status sd_json_check(json_t *obj, const struct sd_json_schema *schema,
                                      const char *prefix, struct sd_err *err);

/** Borrowed string member or NULL (absent, null or not a string). */
const char *sd_json_str(const json_t *obj, const char *key);
/** True when @key is present (even as null). */
bool sd_json_has(const json_t *obj, const char *key);

#endif
