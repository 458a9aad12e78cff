/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/http/range.c: the Range forms and what is ignored,
 * satisfiability on empty and small objects, numbers too long for 64 bits,
 * Content-Range text, If-None-Match lists, If-Range, and IMF-fixdates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/range.h"

/* Parses @h against @size and checks the result (and the range when OK). */
static void expect(const char *h, uint64_t size, enum sd_range_result want, uint64_t start,
                   uint64_t length)
{
    struct sd_range r = {12345, 67890};
    enum sd_range_result got = sd_range_parse(h, size, &r);
    if (got != want) {
        fail_msg("'%s' on %llu bytes: result %d, want %d", h ? h : "(null)",
                 (unsigned long long)size, (int)got, (int)want);
    }
    if (want == SD_RANGE_OK) {
        if (r.start != start || r.length != length) {
            fail_msg("'%s' on %llu bytes: %llu+%llu, want %llu+%llu", h, (unsigned long long)size,
                     (unsigned long long)r.start, (unsigned long long)r.length,
                     (unsigned long long)start, (unsigned long long)length);
        }
    } else {
        /* *out is left alone unless OK. */
        assert_int_equal(r.start, 12345);
        assert_int_equal(r.length, 67890);
    }
}

static void test_forms(void **state)
{
    (void)state;
    expect("bytes=0-99", 1000, SD_RANGE_OK, 0, 100);
    expect("bytes=100-199", 1000, SD_RANGE_OK, 100, 100);
    expect("bytes=999-999", 1000, SD_RANGE_OK, 999, 1);
    expect("bytes=500-", 1000, SD_RANGE_OK, 500, 500);
    expect("bytes=0-", 1000, SD_RANGE_OK, 0, 1000);
    expect("bytes=-100", 1000, SD_RANGE_OK, 900, 100);
    expect("bytes=-1", 1000, SD_RANGE_OK, 999, 1);
    /* The last position is cut to the end; a long suffix takes it all. */
    expect("bytes=900-5000", 1000, SD_RANGE_OK, 900, 100);
    expect("bytes=-1000", 1000, SD_RANGE_OK, 0, 1000);
    expect("bytes=-5000", 1000, SD_RANGE_OK, 0, 1000);
    /* Unit case, whitespace around the value and the list elements. */
    expect("BYTES=0-1", 10, SD_RANGE_OK, 0, 2);
    expect("Bytes=0-1", 10, SD_RANGE_OK, 0, 2);
    expect("  bytes=0-1 \t", 10, SD_RANGE_OK, 0, 2);
    expect("bytes= 2-3", 10, SD_RANGE_OK, 2, 2);
    /* Empty list elements are skipped (RFC 9110 5.6.1). */
    expect("bytes=0-1,", 10, SD_RANGE_OK, 0, 2);
    expect("bytes=, ,4-", 10, SD_RANGE_OK, 4, 6);
    /* Leading zeros are digits like any other. */
    expect("bytes=0005-0006", 10, SD_RANGE_OK, 5, 2);
}

static void test_ignored(void **state)
{
    (void)state;
    expect(NULL, 10, SD_RANGE_NONE, 0, 0);
    expect("", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=,", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=-", 10, SD_RANGE_NONE, 0, 0);
    expect("items=0-1", 10, SD_RANGE_NONE, 0, 0);
    expect("bytesx=0-1", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes =0-1", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=0 -1", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=0- 1", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=a-b", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=0-1x", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=+1-2", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=--1", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=1", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=0-1;x", 10, SD_RANGE_NONE, 0, 0);
    /* Last before first: the spec is invalid, the header ignored. */
    expect("bytes=5-4", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=50-40", 10, SD_RANGE_NONE, 0, 0);
    /* Several ranges: the whole body, whatever they are. */
    expect("bytes=0-1,5-6", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=0-1, -2", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=50-60,70-80", 10, SD_RANGE_NONE, 0, 0);
    expect("bytes=0-1,garbage", 10, SD_RANGE_NONE, 0, 0);
}

static void test_unsatisfiable(void **state)
{
    (void)state;
    expect("bytes=10-", 10, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=10-20", 10, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=11-11", 10, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=-0", 10, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=-000", 10, SD_RANGE_UNSATISFIABLE, 0, 0);
    /* An empty object. */
    expect("bytes=0-", 0, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=0-0", 0, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=0-100", 0, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=-0", 0, SD_RANGE_UNSATISFIABLE, 0, 0);
    /* A suffix on an empty object selects nothing: the (empty) whole, 200. */
    expect("bytes=-5", 0, SD_RANGE_NONE, 0, 0);
}

static void test_big_numbers(void **state)
{
    (void)state;
    const uint64_t max = UINT64_MAX;
    /* 20 digits fit in 64 bits; past UINT64_MAX the numbers saturate. */
    expect("bytes=0-18446744073709551615", 10, SD_RANGE_OK, 0, 10);
    expect("bytes=0-18446744073709551616", 10, SD_RANGE_OK, 0, 10);
    expect("bytes=0-99999999999999999999999999999999", 10, SD_RANGE_OK, 0, 10);
    expect("bytes=99999999999999999999999999999999-", 10, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=18446744073709551615-18446744073709551615", 10, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=-99999999999999999999999999999999", 10, SD_RANGE_OK, 0, 10);
    /* Objects near the top of the range. */
    expect("bytes=18446744073709551613-", max, SD_RANGE_OK, max - 2, 2);
    expect("bytes=18446744073709551614-", max, SD_RANGE_OK, max - 1, 1);
    expect("bytes=18446744073709551615-", max, SD_RANGE_UNSATISFIABLE, 0, 0);
    expect("bytes=-18446744073709551615", max, SD_RANGE_OK, 0, max);
}

static void test_content_range(void **state)
{
    (void)state;
    char buf[SD_RANGE_CONTENT_RANGE_LEN];
    struct sd_range r = {0, 100};
    sd_range_content_range(&r, 1000, buf, sizeof(buf));
    assert_string_equal(buf, "bytes 0-99/1000");
    r = (struct sd_range){999, 1};
    sd_range_content_range(&r, 1000, buf, sizeof(buf));
    assert_string_equal(buf, "bytes 999-999/1000");
    r = (struct sd_range){0, UINT64_MAX};
    sd_range_content_range(&r, UINT64_MAX, buf, sizeof(buf));
    assert_string_equal(buf, "bytes 0-18446744073709551614/18446744073709551615");
    sd_range_unsatisfied(1000, buf, sizeof(buf));
    assert_string_equal(buf, "bytes */1000");
    sd_range_unsatisfied(0, buf, sizeof(buf));
    assert_string_equal(buf, "bytes */0");
    /* Cut to fit, always terminated. */
    char small[8];
    r = (struct sd_range){0, 100};
    sd_range_content_range(&r, 1000, small, sizeof(small));
    assert_string_equal(small, "bytes 0");
}

static void test_none_match(void **state)
{
    (void)state;
    const char *etag = "\"md_1-mp4-1f4\"";
    assert_false(sd_etag_none_match(NULL, etag));
    assert_false(sd_etag_none_match("", etag));
    assert_true(sd_etag_none_match("*", etag));
    assert_true(sd_etag_none_match(" * ", etag));
    assert_true(sd_etag_none_match("\"md_1-mp4-1f4\"", etag));
    /* Weak comparison: W/ on either side does not matter. */
    assert_true(sd_etag_none_match("W/\"md_1-mp4-1f4\"", etag));
    assert_true(sd_etag_none_match("\"md_1-mp4-1f4\"", "W/\"md_1-mp4-1f4\""));
    /* Lists, with whitespace and empty elements. */
    assert_true(sd_etag_none_match("\"a\", \"md_1-mp4-1f4\"", etag));
    assert_true(sd_etag_none_match("\"a\",W/\"md_1-mp4-1f4\" ,", etag));
    assert_true(sd_etag_none_match(" , \"a,b\" , \"md_1-mp4-1f4\"", etag));
    assert_false(sd_etag_none_match("\"a\", \"b\"", etag));
    /* Prefixes, case, missing quotes and broken lists do not match. */
    assert_false(sd_etag_none_match("\"md_1-mp4-1f\"", etag));
    assert_false(sd_etag_none_match("\"MD_1-mp4-1f4\"", etag));
    assert_false(sd_etag_none_match("md_1-mp4-1f4", etag));
    assert_false(sd_etag_none_match("\"md_1-mp4-1f4", etag));
    assert_false(sd_etag_none_match("w/\"md_1-mp4-1f4\"", etag));
    assert_false(sd_etag_none_match("\"x\" junk, \"md_1-mp4-1f4\"", etag));
    assert_false(sd_etag_none_match("*, \"md_1-mp4-1f4\"", etag));
    assert_false(sd_etag_none_match("\"\"", etag));
    assert_false(sd_etag_none_match("*", NULL));
}

static void test_if_range(void **state)
{
    (void)state;
    const char *etag = "\"v1\"";
    int64_t mtime = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    assert_true(sd_if_range_holds(NULL, etag, mtime));
    assert_true(sd_if_range_holds("\"v1\"", etag, mtime));
    assert_true(sd_if_range_holds(" \"v1\" ", etag, mtime));
    assert_false(sd_if_range_holds("\"v2\"", etag, mtime));
    assert_false(sd_if_range_holds("\"v1\", \"v2\"", etag, mtime));
    /* Strong comparison: weak tags never hold. */
    assert_false(sd_if_range_holds("W/\"v1\"", etag, mtime));
    assert_false(sd_if_range_holds("\"v1\"", "W/\"v1\"", mtime));
    assert_false(sd_if_range_holds("\"v1\"", NULL, mtime));
    /* Dates: exactly Last-Modified, in IMF-fixdate only. */
    assert_true(sd_if_range_holds("Sun, 06 Nov 1994 08:49:37 GMT", etag, mtime));
    assert_true(sd_if_range_holds("Sun, 06 Nov 1994 08:49:37 GMT  ", etag, mtime));
    assert_false(sd_if_range_holds("Sun, 06 Nov 1994 08:49:38 GMT", etag, mtime));
    assert_false(sd_if_range_holds("Sunday, 06-Nov-94 08:49:37 GMT", etag, mtime));
    assert_false(sd_if_range_holds("Sun Nov  6 08:49:37 1994", etag, mtime));
    assert_false(sd_if_range_holds("", etag, mtime));
    assert_false(sd_if_range_holds("garbage", etag, mtime));
}

static void test_http_date(void **state)
{
    (void)state;
    char out[SD_HTTP_DATE_LEN];
    int64_t t = -1;
    sd_http_date(784111777, out);
    assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    sd_http_date(0, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    sd_http_date(253402300799LL, out);
    assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
    /* Out of range: the epoch, never a longer text. */
    sd_http_date(-1, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    sd_http_date(INT64_MAX, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");

    assert_true(sd_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t));
    assert_int_equal(t, 784111777);
    assert_true(sd_http_date_parse("Thu, 29 Feb 2024 12:00:00 GMT", &t));
    assert_int_equal(t, 1709208000);
    /* Round trips over a spread of times. */
    for (int64_t s = 0; s < 253402300799LL; s += 999999937LL) {
        sd_http_date(s, out);
        assert_true(sd_http_date_parse(out, &t));
        assert_int_equal(t, s);
    }
    int64_t keep = 42;
    t = keep;
    static const char *const bad[] = {
        NULL,
        "",
        "Mon, 06 Nov 1994 08:49:37 GMT", /* wrong weekday */
        "Sun, 06 nov 1994 08:49:37 GMT", /* case */
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:60 GMT", /* leap seconds are not kept */
        "Sat, 31 Feb 2024 00:00:00 GMT", /* timegm would carry it to March */
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Wed, 31 Dec 1969 23:59:59 GMT",
        "Sun, 06 Xyz 1994 08:49:37 GMT",
        "Sun; 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08-49-37 GMT",
        "Sun, +6 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (sd_http_date_parse(bad[i], &t)) {
            fail_msg("accepted '%s'", bad[i] ? bad[i] : "(null)");
        }
    }
    assert_int_equal(t, keep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),         cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_unsatisfiable), cmocka_unit_test(test_big_numbers),
        cmocka_unit_test(test_content_range), cmocka_unit_test(test_none_match),
        cmocka_unit_test(test_if_range),      cmocka_unit_test(test_http_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
