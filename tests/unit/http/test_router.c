/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/http/router.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

static void h(struct sd_req *req, struct sd_resp *resp)
{
    (void)req;
    (void)resp;
}

static const struct sd_route routes[] = {
    {"GET", "/healthz", "healthz", SD_ACCESS_PUBLIC, 0, h, NULL},
    {"GET", "/api/v1/tickets", "tickets.list", SD_ACCESS_AGENT, 0, h, NULL},
    {"POST", "/api/v1/tickets", "tickets.create", SD_ACCESS_WIDGET, 0, h, NULL},
    {"GET", "/api/v1/tickets/{id}", "tickets.get", SD_ACCESS_AGENT, 0, h, NULL},
    {"PATCH", "/api/v1/tickets/{id}", "tickets.update", SD_ACCESS_AGENT, 0, h, NULL},
    {"GET", "/api/v1/tickets/{id}/messages/{mid}", "messages.get", SD_ACCESS_AGENT, 0, h, NULL},
};
#define N (sizeof(routes) / sizeof(routes[0]))

static void test_literal(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    struct sd_router_match m;
    assert_int_equal(sd_router_match(routes, N, "GET", "/healthz", a, &m), SD_ROUTER_OK);
    assert_string_equal(m.route->name, "healthz");
    assert_int_equal(m.n_params, 0);
    assert_int_equal(sd_router_match(routes, N, "POST", "/api/v1/tickets", a, &m), SD_ROUTER_OK);
    assert_string_equal(m.route->name, "tickets.create");
    sd_arena_free(a);
}

static void test_params(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    struct sd_router_match m;
    assert_int_equal(
        sd_router_match(routes, N, "GET", "/api/v1/tickets/tkt_1/messages/msg_2", a, &m),
        SD_ROUTER_OK);
    assert_string_equal(m.route->name, "messages.get");
    assert_int_equal(m.n_params, 2);
    assert_string_equal(m.names[0], "id");
    assert_string_equal(m.values[0], "tkt_1");
    assert_string_equal(m.names[1], "mid");
    assert_string_equal(m.values[1], "msg_2");
    assert_int_equal(sd_router_match(routes, N, "PATCH", "/api/v1/tickets/x'--", a, &m),
                     SD_ROUTER_OK);
    assert_string_equal(m.values[0], "x'--");
    sd_arena_free(a);
}

static void test_not_found(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    struct sd_router_match m;
    const char *bad[] = {"",
                         "healthz",
                         "/healthz/",
                         "/api/v1/tickets/",
                         "//healthz",
                         "/api/v1//tickets",
                         "/api/v1/tickets/./x",
                         "/api/v1/tickets/../tickets",
                         "/api/v1/tickets/a/b",
                         "/api/v1/ticket",
                         "/api/v1/ticketsx",
                         "/",
                         "/api/v1/tickets/1/messages/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sd_router_match(routes, N, "GET", bad[i], a, &m), SD_ROUTER_NOT_FOUND);
    }
    sd_arena_free(a);
}

static void test_bad_method(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    struct sd_router_match m;
    assert_int_equal(sd_router_match(routes, N, "DELETE", "/api/v1/tickets", a, &m),
                     SD_ROUTER_BAD_METHOD);
    assert_string_equal(m.allow, "GET, POST");
    assert_int_equal(sd_router_match(routes, N, "get", "/api/v1/tickets/x", a, &m),
                     SD_ROUTER_BAD_METHOD);
    assert_string_equal(m.allow, "GET, PATCH");
    sd_arena_free(a);
}

static void test_patterns(void **state)
{
    (void)state;
    for (size_t i = 0; i < N; i++) {
        assert_true(sd_router_pattern_valid(routes[i].pattern));
    }
    assert_false(sd_router_pattern_valid("/a/{}"));
    assert_false(sd_router_pattern_valid("/a/{id"));
    assert_false(sd_router_pattern_valid("/a/x{id}"));
    assert_false(sd_router_pattern_valid("/a/"));
    assert_false(sd_router_pattern_valid("a"));
    assert_false(sd_router_pattern_valid("/{a}/{b}/{c}/{d}/{e}"));
    assert_true(sd_router_pattern_valid("/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal),   cmocka_unit_test(test_params),
        cmocka_unit_test(test_not_found), cmocka_unit_test(test_bad_method),
        cmocka_unit_test(test_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
