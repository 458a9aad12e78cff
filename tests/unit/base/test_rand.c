/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/rand.c: ids and tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"

static void test_ids(void **state)
{
    (void)state;
    char prev[SD_ID_MAX] = "";
    for (int i = 0; i < 2000; i++) {
        char id[SD_ID_MAX];
        sd_id_new("tkt", id);
        assert_int_equal(strlen(id), 30);
        assert_memory_equal(id, "tkt_", 4);
        for (size_t k = 4; k < 30; k++) {
            assert_non_null(strchr("0123456789abcdefghjkmnpqrstvwxyz", id[k]));
        }
        /* Made later sorts later, even within one millisecond. */
        assert_true(strcmp(prev, id) < 0);
        memcpy(prev, id, sizeof(prev));
    }
    char t1[64], t2[64];
    sd_rand_token(20, t1);
    sd_rand_token(20, t2);
    assert_int_equal(strlen(t1), 32);
    assert_string_not_equal(t1, t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
