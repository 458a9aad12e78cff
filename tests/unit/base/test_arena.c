/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/arena.c: the arena allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"

static int freed;
static void count_free(void *arg)
{
    freed += *(int *)arg;
}

static void test_arena(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    char *p = sd_arena_alloc(a, 10);
    assert_true(((uintptr_t)p % 16) == 0);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(p[i], 0);
    }
    /* Many small and a few large allocations, all usable and distinct. */
    char *big = sd_arena_alloc(a, 100000);
    memset(big, 'x', 100000);
    char *items[5000];
    for (int i = 0; i < 5000; i++) {
        items[i] = sd_arena_printf(a, "item-%d", i);
    }
    for (int i = 0; i < 5000; i += 499) {
        char want[16];
        snprintf(want, sizeof(want), "item-%d", i);
        assert_string_equal(items[i], want);
    }
    assert_int_equal(big[99999], 'x');
    assert_string_equal(sd_arena_strndup(a, "hello world", 5), "hello");
    assert_null(sd_arena_strdup(a, NULL));
    assert_string_equal(sd_arena_printf(a, "%s=%d", "n", 42), "n=42");
    assert_true(sd_arena_used(a) >= 100000);
    int one = 1, two = 2;
    freed = 0;
    sd_arena_defer(a, count_free, &one);
    sd_arena_defer(a, count_free, &two);
    sd_arena_free(a);
    assert_int_equal(freed, 3);
    sd_arena_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
