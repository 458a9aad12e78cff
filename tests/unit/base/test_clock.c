/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/clock.c: clocks and RFC 3339 formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"

static void test_clock(void **state)
{
    (void)state;
    char ts[SD_TIME_ISO_LEN];
    sd_time_iso(0, ts);
    assert_string_equal(ts, "1970-01-01T00:00:00.000Z");
    sd_time_iso(1795348800123, ts);
    assert_string_equal(ts, "2026-11-22T12:00:00.123Z");
    sd_time_iso(-1, ts);
    assert_string_equal(ts, "1969-12-31T23:59:59.999Z");
    uint64_t a = sd_clock_mono_ns(), b = sd_clock_mono_ns();
    assert_true(b >= a);
    assert_true(sd_clock_wall_ms() > 1700000000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
