/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/http/limits.c: token buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/limits.h"

#define SEC 1000000000ull

static void test_bucket(void **state)
{
    (void)state;
    struct sd_rate *r = sd_rate_new();
    uint64_t t = 5 * SEC;
    for (int i = 0; i < 3; i++) {
        assert_true(sd_rate_take(r, "login:1.2.3.4", 3, t, NULL));
    }
    int retry = 0;
    assert_false(sd_rate_take(r, "login:1.2.3.4", 3, t, &retry));
    assert_true(retry >= 1 && retry <= 21);
    /* Another key has its own budget. */
    assert_true(sd_rate_take(r, "login:5.6.7.8", 3, t, NULL));
    /* 20 s later one token (3/min) is back, not two. */
    assert_true(sd_rate_take(r, "login:1.2.3.4", 3, t + 20 * SEC, NULL));
    assert_false(sd_rate_take(r, "login:1.2.3.4", 3, t + 20 * SEC, NULL));
    /* A minute refills to the cap, never above. */
    for (int i = 0; i < 3; i++) {
        assert_true(sd_rate_take(r, "login:1.2.3.4", 3, t + 600 * SEC, NULL));
    }
    assert_false(sd_rate_take(r, "login:1.2.3.4", 3, t + 600 * SEC, NULL));
    /* Zero means unlimited. */
    for (int i = 0; i < 100; i++) {
        assert_true(sd_rate_take(r, "x", 0, t, NULL));
    }
    sd_rate_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
