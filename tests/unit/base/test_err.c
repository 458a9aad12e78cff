/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/err.c: status names and error detail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"

static void test_err(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_err_set(&err, SD_E_INVALID, "subject", "must be %d", 5), SD_E_INVALID);
    assert_string_equal(err.field, "subject");
    assert_string_equal(err.msg, "must be 5");
    assert_int_equal(sd_err_set(NULL, SD_E_IO, NULL, "x"), SD_E_IO);
    sd_err_clear(&err);
    assert_int_equal(err.code, SD_OK);
    assert_string_equal(sd_status_name(SD_E_NOT_FOUND), "not_found");
    assert_string_equal(sd_status_name(SD_E_BAD_REQUEST), "bad_request");
    for (int c = 0; c < SD_E__COUNT; c++) {
        assert_non_null(sd_status_name((sd_status)c));
    }
    assert_string_equal(sd_status_name((sd_status)999), "internal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
