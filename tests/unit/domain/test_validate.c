/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/domain/validate.c: emails, origins, ids, passwords. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"
#include "domain/validate.h"

static void test_email(void **state)
{
    (void)state;
    char out[SD_EMAIL_MAX + 1];
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_validate_email("email", "Ana.Lima@Example.COM", out, &err), SD_OK);
    assert_string_equal(out, "ana.lima@example.com");
    const char *bad[] = {"",          "ana",        "@example.com", "ana@",       "ana@example",
                         "a@b@c.com", "ana @x.com", "ana@x.com.",   "ana@.x.com", "<a@x.com>",
                         "a\n@x.com", "a,b@x.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sd_err_clear(&err);
        assert_int_equal(sd_validate_email("customer.email", bad[i], out, &err), SD_E_INVALID);
        assert_string_equal(err.field, "customer.email");
    }
    char longer[300];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    longer[10] = '@';
    longer[20] = '.';
    assert_int_equal(sd_validate_email("email", longer, out, &err), SD_E_INVALID);
}

static void test_origin(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_validate_origin("o", "https://app.example.com", &err), SD_OK);
    assert_int_equal(sd_validate_origin("o", "http://127.0.0.1:8080", &err), SD_OK);
    assert_int_equal(sd_validate_origin("o", "http://[::1]:8080", &err), SD_OK);
    assert_int_equal(sd_validate_origin("o", "https://app.example.com/", &err), SD_E_INVALID);
    assert_int_equal(sd_validate_origin("o", "https://App.example.com", &err), SD_E_INVALID);
    assert_int_equal(sd_validate_origin("o", "ftp://x.com", &err), SD_E_INVALID);
    assert_int_equal(sd_validate_origin("o", "https://", &err), SD_E_INVALID);
    assert_int_equal(sd_validate_origin("o", "https://a.com?x=1", &err), SD_E_INVALID);
}

static void test_id(void **state)
{
    (void)state;
    char id[SD_ID_MAX];
    struct sd_err err = SD_ERR_INIT;
    sd_id_new("tkt", id);
    assert_int_equal(sd_validate_id("id", id, "tkt", &err), SD_OK);
    assert_int_equal(sd_validate_id("id", id, "cus", &err), SD_E_INVALID);
    assert_int_equal(sd_validate_id("id", "tkt_", "tkt", &err), SD_E_INVALID);
    assert_int_equal(sd_validate_id("id", "tkt_01JD0000000000000000000000", "tkt", &err),
                     SD_E_INVALID);
    assert_int_equal(sd_validate_id("id", "tkt_01jd00000000000000000000'", "tkt", &err),
                     SD_E_INVALID);
}

static void test_password_rules(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_validate_password("password", "short", &err), SD_E_INVALID);
    assert_int_equal(sd_validate_password("password", "long enough pass", &err), SD_OK);
    /* Ten characters of two bytes each count as ten. */
    assert_int_equal(sd_validate_password("password", "éééééééééé", &err), SD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_origin),
        cmocka_unit_test(test_id),
        cmocka_unit_test(test_password_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
