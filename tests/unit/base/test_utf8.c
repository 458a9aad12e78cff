/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/utf8.c: UTF-8 validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/utf8.h"

static void test_utf8(void **state)
{
    (void)state;
    assert_true(sd_utf8_valid("", 0));
    assert_true(sd_utf8_valid("plain", 5));
    assert_true(sd_utf8_valid("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x8e\xa5", 9));
    assert_false(sd_utf8_valid("\xc3", 1));
    assert_false(sd_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(sd_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(sd_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(sd_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(sd_utf8_valid("\xff", 1));
    assert_false(sd_utf8_valid("\x80", 1));
    assert_int_equal(sd_utf8_len("\xc3\xa9t\xc3\xa9", 5), 3);
    assert_true(sd_utf8_has_controls("a\x01", 2));
    assert_true(sd_utf8_has_controls("a\x7f", 2));
    assert_false(sd_utf8_has_controls("a\tb\r\n", 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
