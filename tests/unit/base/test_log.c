/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/log.c: log value quoting and levels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/log.h"

static void test_log_quote(void **state)
{
    (void)state;
    char q[32];
    assert_string_equal(sd_log_quote("plain", q, sizeof(q)), "plain");
    assert_string_equal(sd_log_quote("two words", q, sizeof(q)), "\"two words\"");
    assert_string_equal(sd_log_quote("a\"b\\c", q, sizeof(q)), "\"a\\\"b\\\\c\"");
    assert_string_equal(sd_log_quote("new\nline", q, sizeof(q)), "\"new?line\"");
    assert_string_equal(sd_log_quote("", q, sizeof(q)), "\"\"");
    assert_string_equal(sd_log_quote("k=v", q, sizeof(q)), "\"k=v\"");
    char tiny[6];
    sd_log_quote("a long value", tiny, sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
    enum sd_log_level lv;
    assert_int_equal(sd_log_parse_level("warn", &lv), SD_OK);
    assert_int_equal(lv, SD_LOG_WARN);
    assert_int_equal(sd_log_parse_level("loud", &lv), SD_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
