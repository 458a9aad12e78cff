/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/str.c: string views and integer parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/str.h"

static void test_str(void **state)
{
    (void)state;
    assert_true(sd_str_eq_c(SD_STR("abc"), "abc"));
    assert_false(sd_str_eq_c(SD_STR("abc"), "abcd"));
    assert_true(sd_str_ieq_c(SD_STR("Content-Type"), "content-type"));
    assert_true(sd_str_has_prefix(SD_STR("sk_123"), "sk_"));
    assert_false(sd_str_has_prefix(SD_STR("s"), "sk_"));
    assert_int_equal(sd_str_c(NULL).len, 0);
    int64_t v = 0;
    assert_int_equal(sd_str_to_i64(SD_STR("42"), 0, 100, &v), SD_OK);
    assert_int_equal(v, 42);
    assert_int_equal(sd_str_to_i64(SD_STR("-5"), -10, 10, &v), SD_OK);
    assert_int_equal(v, -5);
    assert_int_equal(sd_str_to_i64(SD_STR("-5"), 0, 10, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR("101"), 0, 100, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR(""), 0, 100, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR("1x"), 0, 100, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR(" 1"), 0, 100, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR("9223372036854775807"), 0, INT64_MAX, &v), SD_OK);
    assert_int_equal(sd_str_to_i64(SD_STR("9223372036854775808"), 0, INT64_MAX, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR("-9223372036854775808"), INT64_MIN, 0, &v), SD_OK);
    assert_true(v == INT64_MIN);
    assert_true(sd_str_ct_eq("abc", "abc", 3));
    assert_false(sd_str_ct_eq("abc", "abd", 3));
    char small[4];
    assert_false(sd_str_copy(small, sizeof(small), "hello"));
    assert_string_equal(small, "hel");
    assert_true(sd_str_copy(small, sizeof(small), "hi"));
}

static void test_html_and_hash(void **state)
{
    (void)state;
    assert_string_equal(sd_html_escape_char('&'), "&amp;");
    assert_string_equal(sd_html_escape_char('<'), "&lt;");
    assert_string_equal(sd_html_escape_char('>'), "&gt;");
    assert_string_equal(sd_html_escape_char('"'), "&quot;");
    assert_string_equal(sd_html_escape_char('\''), "&#39;");
    assert_null(sd_html_escape_char('a'));
    assert_null(sd_html_escape_char('\0'));
    /* FNV-1a's published test values. */
    assert_int_equal(sd_hash_fnv1a("", 0), 0x811c9dc5u);
    assert_int_equal(sd_hash_fnv1a("a", 1), 0xe40c292cu);
    assert_int_equal(sd_hash_fnv1a("foobar", 6), 0xbf9cf968u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_html_and_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
