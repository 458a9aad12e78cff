/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/domain/ticket.c: value sets and the status machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "domain/ticket.h"

static struct sd_ticket fresh(void)
{
    struct sd_ticket t = {.id = "tkt_x", .status = "new", .created_at = 1, .updated_at = 1};
    return t;
}

static void test_one_of(void **state)
{
    (void)state;
    assert_true(sd_domain_one_of(sd_ticket_statuses, "pending"));
    assert_false(sd_domain_one_of(sd_ticket_statuses, "Pending"));
    assert_false(sd_domain_one_of(sd_ticket_statuses, ""));
    assert_false(sd_domain_one_of(sd_ticket_statuses, NULL));
    assert_true(sd_domain_one_of(sd_agent_roles, "admin"));
    assert_false(sd_domain_one_of(sd_agent_roles, "owner"));
}

static void test_moves(void **state)
{
    (void)state;
    const char *all[] = {"new", "open", "pending", "resolved", "closed"};
    for (size_t i = 0; i < 5; i++) {
        for (size_t k = 0; k < 5; k++) {
            bool want;
            if (i == k) {
                want = true;
            } else if (strcmp(all[i], "closed") == 0 || strcmp(all[k], "new") == 0) {
                want = false;
            } else {
                want = true;
            }
            assert_int_equal(sd_ticket_can_move(all[i], all[k]), want);
        }
    }
    assert_false(sd_ticket_can_move("open", "bogus"));
    assert_false(sd_ticket_can_move("bogus", "open"));
}

static void test_resolve_stamps(void **state)
{
    (void)state;
    struct sd_ticket t = fresh();
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_ticket_set_status(&t, "resolved", 100, &err), SD_OK);
    assert_string_equal(t.status, "resolved");
    assert_int_equal(t.resolved_at, 100);
    assert_int_equal(t.updated_at, 100);
    assert_int_equal(sd_ticket_set_status(&t, "open", 200, &err), SD_OK);
    assert_int_equal(t.resolved_at, 0);
    assert_int_equal(sd_ticket_set_status(&t, "resolved", 300, &err), SD_OK);
    assert_int_equal(sd_ticket_set_status(&t, "closed", 400, &err), SD_OK);
    assert_int_equal(t.resolved_at, 300); /* closing keeps when it was resolved */
    assert_int_equal(sd_ticket_set_status(&t, "open", 500, &err), SD_E_CONFLICT);
    assert_string_equal(err.field, "status");
    assert_non_null(strstr(err.msg, "closed"));
    assert_string_equal(t.status, "closed");
}

static void test_same_status_noop(void **state)
{
    (void)state;
    struct sd_ticket t = fresh();
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_ticket_set_status(&t, "new", 50, &err), SD_OK);
    assert_int_equal(t.updated_at, 1);
    assert_int_equal(sd_ticket_set_status(&t, "pending", 60, &err), SD_OK);
    assert_int_equal(sd_ticket_set_status(&t, "new", 70, &err), SD_E_CONFLICT);
}

static void test_messages(void **state)
{
    (void)state;
    struct sd_ticket t = fresh();
    sd_ticket_on_message(&t, "agent", true, 10);
    assert_string_equal(t.status, "new"); /* internal notes change no status */
    assert_int_equal(t.first_response_at, 0);
    sd_ticket_on_message(&t, "agent", false, 20);
    assert_string_equal(t.status, "open");
    assert_int_equal(t.first_response_at, 20);
    sd_ticket_on_message(&t, "agent", false, 30);
    assert_int_equal(t.first_response_at, 20);
    t.status = "resolved";
    t.resolved_at = 40;
    sd_ticket_on_message(&t, "customer", false, 50);
    assert_string_equal(t.status, "open");
    assert_int_equal(t.resolved_at, 0);
    t.status = "closed";
    sd_ticket_on_message(&t, "customer", false, 60);
    assert_string_equal(t.status, "closed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_of),         cmocka_unit_test(test_moves),
        cmocka_unit_test(test_resolve_stamps), cmocka_unit_test(test_same_status_noop),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
