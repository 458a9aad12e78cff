/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of the store drivers' pure parts: which URLs each accepts, and
 * the PostgreSQL driver's rewriting of '?' placeholders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "store/driver.h"

int sd__pg_rewrite(const char *sql, struct sd_buf *out);

static void check(const char *in, const char *want, int n)
{
    struct sd_buf b = SD_BUF_INIT(4096);
    assert_int_equal(sd__pg_rewrite(in, &b), n);
    assert_string_equal(sd_buf_cstr(&b), want);
    sd_buf_release(&b);
}

static void test_rewrite(void **state)
{
    (void)state;
    check("SELECT 1", "SELECT 1", 0);
    check("a = ? AND b = ?", "a = $1 AND b = $2", 2);
    check("x = '?' AND y = ?", "x = '?' AND y = $1", 1);
    check("x = 'it''s ?' AND y = ?", "x = 'it''s ?' AND y = $1", 1);
    check("\"we?ird\" = ?", "\"we?ird\" = $1", 1);
    check("-- a comment?\nx = ?", "-- a comment?\nx = $1", 1);
    char many[400] = "";
    char want[800] = "";
    for (int i = 1; i <= 12; i++) {
        strcat(many, "?,");
        char num[8];
        snprintf(num, sizeof(num), "$%d,", i);
        strcat(want, num);
    }
    check(many, want, 12);
    struct sd_buf small = SD_BUF_INIT(4);
    assert_int_equal(sd__pg_rewrite("a = ? AND b = ?", &small), -1);
    sd_buf_release(&small);
}

static void test_accepts(void **state)
{
    (void)state;
    assert_true(sd_store_pg.accepts("postgres://u@h/db"));
    assert_true(sd_store_pg.accepts("postgresql://u@h/db"));
    assert_false(sd_store_pg.accepts("sqlite:x.db"));
    assert_false(sd_store_pg.accepts("/var/lib/x.db"));
    assert_true(sd_store_sqlite.accepts("sqlite:x.db"));
    assert_true(sd_store_sqlite.accepts("/var/lib/x.db"));
    assert_false(sd_store_sqlite.accepts("postgres://u@h/db"));
    assert_false(sd_store_sqlite.accepts(""));
    assert_false(sd_store_sqlite.accepts("mysql://u@h/db"));
    assert_false(sd_store_pg.accepts("mysql://u@h/db"));
    assert_int_equal(sd_store_pg.abi, SD_STORE_DRIVER_ABI);
    assert_int_equal(sd_store_sqlite.abi, SD_STORE_DRIVER_ABI);
    assert_string_equal(sd_store_sqlite.name, "sqlite");
    assert_string_equal(sd_store_pg.name, "postgres");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_accepts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
