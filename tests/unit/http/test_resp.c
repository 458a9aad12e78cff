/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/http/resp.c: statuses, error bodies, headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/http.h"

static struct sd_resp fresh(void)
{
    struct sd_resp r = {0};
    r.body = (struct sd_buf)SD_BUF_INIT(1 << 20);
    return r;
}

static void test_status_map(void **state)
{
    (void)state;
    const struct {
        sd_status code;
        int status;
    } want[] = {{SD_OK, 200},          {SD_E_INVALID, 422},     {SD_E_BAD_REQUEST, 400},
                {SD_E_NOT_FOUND, 404}, {SD_E_CONFLICT, 409},    {SD_E_TOO_LARGE, 413},
                {SD_E_AUTH, 401},      {SD_E_FORBIDDEN, 403},   {SD_E_RATE, 429},
                {SD_E_AGAIN, 503},     {SD_E_UNSUPPORTED, 415}, {SD_E_DB, 500},
                {SD_E_IO, 500},        {SD_E_INTERNAL, 500}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(sd_http_status_for(want[i].code), want[i].status);
    }
}

static void test_error_body(void **state)
{
    (void)state;
    struct sd_resp r = fresh();
    sd_resp_fail(&r, SD_E_INVALID, "customer.email", "'%s' is wrong", "customer.email");
    assert_int_equal(r.status, 422);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(sd_buf_cstr(&r.body),
                        "{\"error\":{\"code\":\"invalid\",\"message\":\"'customer.email' is "
                        "wrong\",\"field\":\"customer.email\"}}");
    /* Internal failures do not leak engine text to the client. */
    sd_resp_fail(&r, SD_E_DB, NULL, "SQLITE_CORRUPT at /srv/secret/path");
    assert_int_equal(r.status, 500);
    assert_null(strstr(sd_buf_cstr(&r.body), "/srv/secret"));
    assert_non_null(strstr(sd_buf_cstr(&r.body), "\"code\":\"database_error\""));
    /* A message that is not valid UTF-8 still renders as JSON. */
    sd_resp_fail(&r, SD_E_NOT_FOUND, NULL, "no ticket '\xff'");
    assert_int_equal(r.status, 404);
    json_t *j = json_loads(sd_buf_cstr(&r.body), 0, NULL);
    assert_non_null(j);
    json_decref(j);
    sd_buf_release(&r.body);
}

static void test_json_and_headers(void **state)
{
    (void)state;
    struct sd_resp r = fresh();
    sd_resp_json(&r, 201, json_pack("{s:s}", "id", "tkt_1"));
    assert_int_equal(r.status, 201);
    assert_string_equal(sd_buf_cstr(&r.body), "{\"id\":\"tkt_1\"}");
    sd_resp_json(&r, 200, NULL);
    assert_string_equal(sd_buf_cstr(&r.body), "null");
    sd_resp_header(&r, "Location", "/x");
    assert_int_equal(r.n_headers, 1);
    assert_string_equal(r.headers[0].name, "Location");
    sd_resp_text(&r, 204, NULL, "");
    assert_int_equal(r.status, 204);
    assert_int_equal(r.body.len, 0);
    /* A body over the response limit becomes a 500 with a JSON error. */
    struct sd_resp small = {0};
    small.body = (struct sd_buf)SD_BUF_INIT(64);
    json_t *big = json_array();
    for (int i = 0; i < 100; i++) {
        (void)json_array_append_new(big, json_string("0123456789"));
    }
    sd_resp_json(&small, 200, big);
    assert_int_equal(small.status, 500);
    sd_buf_release(&small.body);
    sd_buf_release(&r.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_map),
        cmocka_unit_test(test_error_body),
        cmocka_unit_test(test_json_and_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
