/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/http/metrics.c: counters, histograms, exposition text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/metrics.h"

static void h(struct sd_req *req, struct sd_resp *resp)
{
    (void)req;
    (void)resp;
}

static void test_metrics(void **state)
{
    (void)state;
    static const struct sd_route routes[] = {
        {"GET", "/a", "a.get", SD_ACCESS_PUBLIC, 0, h, NULL},
        {"GET", "/b", "b.get", SD_ACCESS_PUBLIC, 0, h, NULL},
    };
    sd_metrics *m = sd_metrics_new(routes, 2);
    sd_metrics_observe(m, &routes[0], 200, 300000);         /* 0.3 ms */
    sd_metrics_observe(m, &routes[0], 200, 2000000);        /* 2 ms */
    sd_metrics_observe(m, &routes[0], 404, 20000000000ull); /* 20 s */
    sd_metrics_observe(m, NULL, 418, 1000);
    struct sd_buf out = SD_BUF_INIT(1 << 20);
    assert_int_equal(sd_metrics_render(m, NULL, &out), SD_OK);
    const char *s = sd_buf_cstr(&out);
    assert_non_null(strstr(s, "# TYPE showdesk_http_requests_total counter"));
    assert_non_null(strstr(s, "showdesk_http_requests_total{route=\"a.get\",status=\"200\"} 2\n"));
    assert_non_null(strstr(s, "showdesk_http_requests_total{route=\"a.get\",status=\"404\"} 1\n"));
    assert_non_null(
        strstr(s, "showdesk_http_requests_total{route=\"unmatched\",status=\"other\"} 1\n"));
    assert_null(strstr(s, "route=\"b.get\""));
    assert_non_null(strstr(
        s, "showdesk_http_request_duration_seconds_bucket{route=\"a.get\",le=\"0.0005\"} 1\n"));
    assert_non_null(strstr(
        s, "showdesk_http_request_duration_seconds_bucket{route=\"a.get\",le=\"0.0025\"} 2\n"));
    assert_non_null(
        strstr(s, "showdesk_http_request_duration_seconds_bucket{route=\"a.get\",le=\"10\"} 2\n"));
    assert_non_null(strstr(
        s, "showdesk_http_request_duration_seconds_bucket{route=\"a.get\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(s, "showdesk_http_request_duration_seconds_count{route=\"a.get\"} 3\n"));
    sd_buf_release(&out);
    sd_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
