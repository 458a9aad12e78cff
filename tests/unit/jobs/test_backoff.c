/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/jobs/backoff.c: exponential backoff with full jitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/rand.h"
#include "jobs/backoff.h"

static void test_bounds(void **state)
{
    (void)state;
    struct sd_backoff b = SD_BACKOFF_DEFAULT;
    assert_int_equal(sd_backoff_bound_ms(&b, 1), 2000);
    assert_int_equal(sd_backoff_bound_ms(&b, 2), 4000);
    assert_int_equal(sd_backoff_bound_ms(&b, 5), 32000);
    assert_int_equal(sd_backoff_bound_ms(&b, 9), 512000);
    assert_int_equal(sd_backoff_bound_ms(&b, 10), 600000); /* capped */
    assert_int_equal(sd_backoff_bound_ms(&b, 1000000), 600000);
    struct sd_backoff zero = {0, 0};
    assert_int_equal(sd_backoff_delay_ms(&zero, 3, 12345), 0);
}

static void test_jitter(void **state)
{
    (void)state;
    struct sd_backoff b = {1000, 60000};
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 2000; i++) {
        uint64_t r;
        sd_rand_bytes(&r, sizeof(r));
        int64_t d = sd_backoff_delay_ms(&b, 4, r);
        assert_true(d >= 0 && d <= 8000);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* Spread over the whole window, not bunched at its top. */
    assert_true(lo < 1000);
    assert_true(hi > 7000);
    assert_int_equal(sd_backoff_delay_ms(&b, 4, UINT64_MAX), (int64_t)(UINT64_MAX % 8001));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
