/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/buf.c: the bounded buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"

static void test_buf(void **state)
{
    (void)state;
    struct sd_buf b = SD_BUF_INIT(10);
    assert_string_equal(sd_buf_cstr(&b), "");
    assert_int_equal(sd_buf_puts(&b, "hello"), SD_OK);
    assert_int_equal(sd_buf_printf(&b, "%d", 12345), SD_OK);
    assert_string_equal(sd_buf_cstr(&b), "hello12345");
    /* Past the maximum: refused, nothing changed. */
    assert_int_equal(sd_buf_puts(&b, "!"), SD_E_TOO_LARGE);
    assert_int_equal(sd_buf_printf(&b, "%s", "xyz"), SD_E_TOO_LARGE);
    assert_int_equal(b.len, 10);
    assert_true(b.cap <= 11);
    assert_int_equal(sd_buf_append(&b, "x", SIZE_MAX), SD_E_TOO_LARGE);
    sd_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(sd_buf_append(&b, "a\0b", 3), SD_OK);
    size_t n = 0;
    char *d = sd_buf_detach(&b, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(d, "a\0b", 3);
    free(d);
    assert_null(b.data);
    sd_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
