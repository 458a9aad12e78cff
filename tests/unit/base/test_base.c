/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/base/: arena, buf, str, enc, utf8, rand (ids), log
 * quoting, clock formatting and err. One program, one group per module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rand.h"
#include "base/str.h"
#include "base/utf8.h"

static int freed;
static void count_free(void *arg)
{
    freed += *(int *)arg;
}

static void test_arena(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    char *p = sd_arena_alloc(a, 10);
    assert_true(((uintptr_t)p % 16) == 0);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(p[i], 0);
    }
    /* Many small and a few large allocations, all usable and distinct. */
    char *big = sd_arena_alloc(a, 100000);
    memset(big, 'x', 100000);
    char *items[5000];
    for (int i = 0; i < 5000; i++) {
        items[i] = sd_arena_printf(a, "item-%d", i);
    }
    for (int i = 0; i < 5000; i += 499) {
        char want[16];
        snprintf(want, sizeof(want), "item-%d", i);
        assert_string_equal(items[i], want);
    }
    assert_int_equal(big[99999], 'x');
    assert_string_equal(sd_arena_strndup(a, "hello world", 5), "hello");
    assert_null(sd_arena_strdup(a, NULL));
    assert_string_equal(sd_arena_printf(a, "%s=%d", "n", 42), "n=42");
    assert_true(sd_arena_used(a) >= 100000);
    int one = 1, two = 2;
    freed = 0;
    sd_arena_defer(a, count_free, &one);
    sd_arena_defer(a, count_free, &two);
    sd_arena_free(a);
    assert_int_equal(freed, 3);
    sd_arena_free(NULL);
}

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

static void test_str(void **state)
{
    (void)state;
    assert_true(sd_str_eq_c(SD_STR("abc"), "abc"));
    assert_false(sd_str_eq_c(SD_STR("abc"), "abcd"));
    assert_true(sd_str_ieq_c(SD_STR("Content-Type"), "content-type"));
    assert_true(sd_str_has_prefix(SD_STR("sk_123"), "sk_"));
    assert_false(sd_str_has_prefix(SD_STR("s"), "sk_"));
    assert_int_equal(sd_str_c(NULL).len, 0);
    int64_t v = 0;
    assert_int_equal(sd_str_to_i64(SD_STR("42"), 0, 100, &v), SD_OK);
    assert_int_equal(v, 42);
    assert_int_equal(sd_str_to_i64(SD_STR("-5"), -10, 10, &v), SD_OK);
    assert_int_equal(v, -5);
    assert_int_equal(sd_str_to_i64(SD_STR("-5"), 0, 10, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR("101"), 0, 100, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR(""), 0, 100, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR("1x"), 0, 100, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR(" 1"), 0, 100, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR("9223372036854775807"), 0, INT64_MAX, &v), SD_OK);
    assert_int_equal(sd_str_to_i64(SD_STR("9223372036854775808"), 0, INT64_MAX, &v), SD_E_INVALID);
    assert_int_equal(sd_str_to_i64(SD_STR("-9223372036854775808"), INT64_MIN, 0, &v), SD_OK);
    assert_true(v == INT64_MIN);
    assert_true(sd_str_ct_eq("abc", "abc", 3));
    assert_false(sd_str_ct_eq("abc", "abd", 3));
    char small[4];
    assert_false(sd_str_copy(small, sizeof(small), "hello"));
    assert_string_equal(small, "hel");
    assert_true(sd_str_copy(small, sizeof(small), "hi"));
}

static void test_enc(void **state)
{
    (void)state;
    char hex[9];
    sd_hex_encode("\x00\xff\x10\xab", 4, hex);
    assert_string_equal(hex, "00ff10ab");
    /* RFC 4648 vectors, in the URL alphabet without padding. */
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff"};
    const char *out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy", "-_8"};
    for (size_t i = 0; i < 8; i++) {
        char enc[16], dec[16];
        size_t n = strlen(in[i]);
        sd_b64url_encode(in[i], n, enc);
        assert_string_equal(enc, out[i]);
        assert_int_equal(sd_b64url_len(n), strlen(out[i]));
        size_t got = 99;
        assert_int_equal(sd_b64url_decode(enc, strlen(enc), dec, sizeof(dec), &got), SD_OK);
        assert_int_equal(got, n);
        assert_memory_equal(dec, in[i], n);
    }
    char dec[4];
    size_t got;
    assert_int_equal(sd_b64url_decode("Zg=", 3, dec, sizeof(dec), &got), SD_E_INVALID);
    assert_int_equal(sd_b64url_decode("Z", 1, dec, sizeof(dec), &got), SD_E_INVALID);
    assert_int_equal(sd_b64url_decode("Zh", 2, dec, sizeof(dec), &got), SD_E_INVALID);
    assert_int_equal(sd_b64url_decode("Zm9vYmFy", 8, dec, sizeof(dec), &got), SD_E_INVALID);
    assert_int_equal(sd_b64url_decode("a+b/", 4, dec, sizeof(dec), &got), SD_E_INVALID);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(sd_utf8_valid("", 0));
    assert_true(sd_utf8_valid("plain", 5));
    assert_true(sd_utf8_valid("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x8e\xa5", 9));
    assert_false(sd_utf8_valid("\xc3", 1));
    assert_false(sd_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(sd_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(sd_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(sd_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(sd_utf8_valid("\xff", 1));
    assert_false(sd_utf8_valid("\x80", 1));
    assert_int_equal(sd_utf8_len("\xc3\xa9t\xc3\xa9", 5), 3);
    assert_true(sd_utf8_has_controls("a\x01", 2));
    assert_true(sd_utf8_has_controls("a\x7f", 2));
    assert_false(sd_utf8_has_controls("a\tb\r\n", 5));
}

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

static void test_log_quote(void **state)
{
    (void)state;
    char q[32];
    assert_string_equal(sd_log_quote("plain", q, sizeof(q)), "plain");
    assert_string_equal(sd_log_quote("two words", q, sizeof(q)), "\"two words\"");
    assert_string_equal(sd_log_quote("a\"b\\c", q, sizeof(q)), "\"a\\\"b\\\\c\"");
    assert_string_equal(sd_log_quote("new\nline", q, sizeof(q)), "\"new?line\"");
    assert_string_equal(sd_log_quote("", q, sizeof(q)), "\"\"");
    assert_string_equal(sd_log_quote("k=v", q, sizeof(q)), "\"k=v\"");
    char tiny[6];
    sd_log_quote("a long value", tiny, sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
    enum sd_log_level lv;
    assert_int_equal(sd_log_parse_level("warn", &lv), SD_OK);
    assert_int_equal(lv, SD_LOG_WARN);
    assert_int_equal(sd_log_parse_level("loud", &lv), SD_E_INVALID);
}

static void test_clock_err(void **state)
{
    (void)state;
    char ts[SD_TIME_ISO_LEN];
    sd_time_iso(0, ts);
    assert_string_equal(ts, "1970-01-01T00:00:00.000Z");
    sd_time_iso(1795348800123, ts);
    assert_string_equal(ts, "2026-11-22T12:00:00.123Z");
    sd_time_iso(-1, ts);
    assert_string_equal(ts, "1969-12-31T23:59:59.999Z");
    uint64_t a = sd_clock_mono_ns(), b = sd_clock_mono_ns();
    assert_true(b >= a);
    assert_true(sd_clock_wall_ms() > 1700000000000);
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
        cmocka_unit_test(test_arena),     cmocka_unit_test(test_buf),
        cmocka_unit_test(test_str),       cmocka_unit_test(test_enc),
        cmocka_unit_test(test_utf8),      cmocka_unit_test(test_ids),
        cmocka_unit_test(test_log_quote), cmocka_unit_test(test_clock_err),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
