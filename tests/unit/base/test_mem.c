/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/mem.c: allocation that dies on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"

static void test_mem(void **state)
{
    (void)state;
    char *p = sd_xmalloc(0); /* a zero-size request still gives a pointer */
    assert_non_null(p);
    sd_freep(&p);
    assert_null(p);
    sd_freep(&p); /* freeing NULL is fine */
    int *z = sd_xcalloc(16, sizeof(int));
    for (int i = 0; i < 16; i++) {
        assert_int_equal(z[i], 0);
    }
    z = sd_xrealloc(z, 1024 * sizeof(int));
    assert_int_equal(z[15], 0);
    free(z);
    char *d = sd_xstrdup("showdesk");
    assert_string_equal(d, "showdesk");
    free(d);
    d = sd_xstrndup("show\0desk", 9);
    assert_memory_equal(d, "show\0desk", 9);
    assert_int_equal(d[9], '\0');
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
