/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/http/json.c: parsing and schema tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/json.h"

static const char *const colors[] = {"red", "green", NULL};
static const struct sd_json_field inner_fields[] = {
    {"email", SD_JSON_STR, .is_required = true, .min = 3, .max = 20, .is_line = true},
};
static const struct sd_json_schema inner = SD_JSON_SCHEMA(inner_fields);
static const struct sd_json_field fields[] = {
    {"subject", SD_JSON_STR, .is_required = true, .min = 1, .max = 5, .is_line = true},
    {"body", SD_JSON_STR, .max = 100},
    {"color", SD_JSON_STR, .one_of = colors, .is_nullable = true},
    {"n", SD_JSON_INT, .lo = 1, .hi = 10},
    {"flag", SD_JSON_BOOL, .is_required = false},
    {"who", SD_JSON_OBJ, .sub = &inner},
    {"free", SD_JSON_OBJ, .sub = NULL},
    {"tags", SD_JSON_STR_ARR, .min = 1, .max = 3, .max_items = 2},
};
static const struct sd_json_schema schema = SD_JSON_SCHEMA(fields);

/* Parses @text and checks it; returns the status and leaves the error in @err. */
static sd_status run(const char *text, struct sd_err *err)
{
    json_t *j = NULL;
    sd_err_clear(err);
    sd_status st = sd_json_parse_object(text, strlen(text), &j, err);
    if (st == SD_OK) {
        st = sd_json_check(j, &schema, NULL, err);
    }
    json_decref(j);
    return st;
}

static void test_parse(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run("", &err), SD_E_BAD_REQUEST);
    assert_int_equal(run("{", &err), SD_E_BAD_REQUEST);
    assert_non_null(strstr(err.msg, "line 1"));
    assert_int_equal(run("[1]", &err), SD_E_BAD_REQUEST);
    assert_int_equal(run("\"x\"", &err), SD_E_BAD_REQUEST);
    assert_int_equal(run("{\"subject\":\"a\",\"subject\":\"b\"}", &err), SD_E_BAD_REQUEST);
    assert_int_equal(run("{\"subject\":\"\xff\"}", &err), SD_E_BAD_REQUEST);
    assert_int_equal(run("{\"subject\":\"a\\u0000b\"}", &err), SD_E_BAD_REQUEST);
    assert_int_equal(run("{\"subject\":\"ok\"}", &err), SD_OK);
}

static void test_fields(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run("{}", &err), SD_E_INVALID);
    assert_string_equal(err.field, "subject");
    assert_int_equal(run("{\"subject\":\"\"}", &err), SD_E_INVALID);
    assert_int_equal(run("{\"subject\":\"toolong\"}", &err), SD_E_INVALID);
    /* Five characters of two bytes each are five characters. */
    assert_int_equal(run("{\"subject\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", &err),
                     SD_OK);
    assert_int_equal(run("{\"subject\":\"a\\nb\"}", &err), SD_E_INVALID);
    assert_int_equal(run("{\"subject\":\"a\",\"body\":\"x\\ny\"}", &err), SD_OK);
    assert_int_equal(run("{\"subject\":\"a\",\"body\":\"x\\u0001y\"}", &err), SD_E_INVALID);
    assert_string_equal(err.field, "body");
    assert_int_equal(run("{\"subject\":1}", &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "a string"));
    assert_int_equal(run("{\"subject\":\"a\",\"extra\":1}", &err), SD_E_INVALID);
    assert_string_equal(err.field, "extra");
    assert_int_equal(run("{\"subject\":null}", &err), SD_E_INVALID);
}

static void test_sets_ranges(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run("{\"subject\":\"a\",\"color\":\"red\"}", &err), SD_OK);
    assert_int_equal(run("{\"subject\":\"a\",\"color\":null}", &err), SD_OK);
    assert_int_equal(run("{\"subject\":\"a\",\"color\":\"blue\"}", &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "red, green"));
    assert_int_equal(run("{\"subject\":\"a\",\"n\":10}", &err), SD_OK);
    assert_int_equal(run("{\"subject\":\"a\",\"n\":11}", &err), SD_E_INVALID);
    assert_int_equal(run("{\"subject\":\"a\",\"n\":1.5}", &err), SD_E_INVALID);
    assert_int_equal(run("{\"subject\":\"a\",\"flag\":true}", &err), SD_OK);
    assert_int_equal(run("{\"subject\":\"a\",\"flag\":\"true\"}", &err), SD_E_INVALID);
}

static void test_nested(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run("{\"subject\":\"a\",\"who\":{\"email\":\"a@b.c\"}}", &err), SD_OK);
    assert_int_equal(run("{\"subject\":\"a\",\"who\":{}}", &err), SD_E_INVALID);
    assert_string_equal(err.field, "who.email");
    assert_int_equal(run("{\"subject\":\"a\",\"who\":{\"email\":\"a@b.c\",\"x\":1}}", &err),
                     SD_E_INVALID);
    assert_string_equal(err.field, "who.x");
    assert_int_equal(run("{\"subject\":\"a\",\"free\":{\"anything\":[1,2]}}", &err), SD_OK);
    assert_int_equal(run("{\"subject\":\"a\",\"tags\":[\"a\",\"bb\"]}", &err), SD_OK);
    assert_int_equal(run("{\"subject\":\"a\",\"tags\":[\"a\",\"b\",\"c\"]}", &err), SD_E_INVALID);
    assert_int_equal(run("{\"subject\":\"a\",\"tags\":[\"a\",2]}", &err), SD_E_INVALID);
    assert_string_equal(err.field, "tags[1]");
    assert_int_equal(run("{\"subject\":\"a\",\"tags\":[\"toolong\"]}", &err), SD_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_sets_ranges),
        cmocka_unit_test(test_nested),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
