/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/domain/signed.c: a known vector, round trips, every way
 * a URL can be altered (object, expiry, signature, key), expiry at the
 * boundary, malformed arguments, and the key derivation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "domain/signed.h"

#define OBJ "md_01jd/video.mp4"
#define NOW 1700000000LL

static unsigned char key[SD_SIGNED_KEY_BYTES];

/* Splits "exp=E&sig=S" into @exp and @sig. */
static void split(const char *q, char exp[32], char sig[64])
{
    const char *amp = strchr(q, '&');
    assert_non_null(amp);
    assert_memory_equal(q, "exp=", 4);
    assert_memory_equal(amp, "&sig=", 5);
    assert_true((size_t)(amp - q - 4) < 32);
    memcpy(exp, q + 4, (size_t)(amp - q - 4));
    exp[amp - q - 4] = '\0';
    assert_true(strlen(amp + 5) < 64);
    memcpy(sig, amp + 5, strlen(amp + 5) + 1);
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0) {
        return -1;
    }
    for (int i = 0; i < SD_SIGNED_KEY_BYTES; i++) {
        key[i] = (unsigned char)i;
    }
    return 0;
}

static void test_vector(void **state)
{
    (void)state;
    char q[SD_SIGNED_QUERY_MAX];
    /* Python: base64.urlsafe_b64encode(hmac.new(bytes(range(32)),
     * b"v1\nmd_01jd/video.mp4\n1700000000", sha256).digest()) */
    sd_signed_make(key, OBJ, NOW, q);
    assert_string_equal(q, "exp=1700000000&sig=HPgnI_bB6yGM4SVb09OBeGemu3LCboF1hs34ZjgfFsI");
}

static void test_round_trip(void **state)
{
    (void)state;
    char q[SD_SIGNED_QUERY_MAX], exp[32], sig[64];
    sd_signed_make(key, OBJ, NOW + 3600, q);
    split(q, exp, sig);
    assert_int_equal(strlen(sig), SD_SIGNED_SIG_LEN);
    assert_int_equal(sd_signed_check(key, OBJ, exp, sig, NOW), SD_SIGNED_OK);
    /* Good up to and including the second of expiry, expired after. */
    assert_int_equal(sd_signed_check(key, OBJ, exp, sig, NOW + 3600), SD_SIGNED_OK);
    assert_int_equal(sd_signed_check(key, OBJ, exp, sig, NOW + 3601), SD_SIGNED_EXPIRED);
    /* The largest expiry there is still round-trips and fits. */
    sd_signed_make(key, OBJ, INT64_MAX, q);
    assert_true(strlen(q) < SD_SIGNED_QUERY_MAX);
    split(q, exp, sig);
    assert_string_equal(exp, "9223372036854775807");
    assert_int_equal(sd_signed_check(key, OBJ, exp, sig, INT64_MAX), SD_SIGNED_OK);
    /* A negative expiry is written as 0: valid, long expired. */
    sd_signed_make(key, OBJ, -5, q);
    split(q, exp, sig);
    assert_string_equal(exp, "0");
    assert_int_equal(sd_signed_check(key, OBJ, exp, sig, NOW), SD_SIGNED_EXPIRED);
    assert_int_equal(sd_signed_check(key, OBJ, exp, sig, 0), SD_SIGNED_OK);
}

static void test_tampered(void **state)
{
    (void)state;
    char q[SD_SIGNED_QUERY_MAX], exp[32], sig[64];
    sd_signed_make(key, OBJ, NOW + 60, q);
    split(q, exp, sig);
    /* Another object: another file of the media, another media, a prefix. */
    assert_int_equal(sd_signed_check(key, "md_01jd/poster.jpg", exp, sig, NOW), SD_SIGNED_BAD);
    assert_int_equal(sd_signed_check(key, "md_01je/video.mp4", exp, sig, NOW), SD_SIGNED_BAD);
    assert_int_equal(sd_signed_check(key, "md_01jd/video.mp", exp, sig, NOW), SD_SIGNED_BAD);
    assert_int_equal(sd_signed_check(key, "", exp, sig, NOW), SD_SIGNED_BAD);
    /* Another expiry, later or earlier: never EXPIRED, always BAD. */
    char later[32];
    (void)snprintf(later, sizeof(later), "%lld", NOW + 61);
    assert_int_equal(sd_signed_check(key, OBJ, later, sig, NOW), SD_SIGNED_BAD);
    assert_int_equal(sd_signed_check(key, OBJ, "1", sig, NOW), SD_SIGNED_BAD);
    /* Each character of the signature matters. */
    for (size_t i = 0; i < SD_SIGNED_SIG_LEN; i++) {
        char bad[64];
        memcpy(bad, sig, sizeof(bad));
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_int_equal(sd_signed_check(key, OBJ, exp, bad, NOW), SD_SIGNED_BAD);
    }
    /* Another key. */
    unsigned char other[SD_SIGNED_KEY_BYTES];
    memcpy(other, key, sizeof(other));
    other[31] ^= 1;
    assert_int_equal(sd_signed_check(other, OBJ, exp, sig, NOW), SD_SIGNED_BAD);
}

static void test_malformed(void **state)
{
    (void)state;
    char q[SD_SIGNED_QUERY_MAX], exp[32], sig[64];
    sd_signed_make(key, OBJ, NOW + 60, q);
    split(q, exp, sig);
    assert_int_equal(sd_signed_check(key, OBJ, NULL, sig, NOW), SD_SIGNED_BAD);
    assert_int_equal(sd_signed_check(key, OBJ, exp, NULL, NOW), SD_SIGNED_BAD);
    assert_int_equal(sd_signed_check(key, NULL, exp, sig, NOW), SD_SIGNED_BAD);
    /* Signatures of the wrong length, padded, or not base64url. */
    char buf[96];
    assert_int_equal(sd_signed_check(key, OBJ, exp, "", NOW), SD_SIGNED_BAD);
    (void)snprintf(buf, sizeof(buf), "%.42s", sig);
    assert_int_equal(sd_signed_check(key, OBJ, exp, buf, NOW), SD_SIGNED_BAD);
    (void)snprintf(buf, sizeof(buf), "%sA", sig);
    assert_int_equal(sd_signed_check(key, OBJ, exp, buf, NOW), SD_SIGNED_BAD);
    (void)snprintf(buf, sizeof(buf), "%s=", sig);
    assert_int_equal(sd_signed_check(key, OBJ, exp, buf, NOW), SD_SIGNED_BAD);
    memset(buf, '!', SD_SIGNED_SIG_LEN);
    buf[SD_SIGNED_SIG_LEN] = '\0';
    assert_int_equal(sd_signed_check(key, OBJ, exp, buf, NOW), SD_SIGNED_BAD);
    /* Standard base64 instead of base64url. */
    memcpy(buf, sig, sizeof(sig));
    for (char *c = buf; *c != '\0'; c++) {
        *c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
    }
    if (strcmp(buf, sig) != 0) {
        assert_int_equal(sd_signed_check(key, OBJ, exp, buf, NOW), SD_SIGNED_BAD);
    }
    /* Expiries that are not canonical decimal, even with a fitting signature. */
    static const char *const bad_exp[] = {
        "",
        "-1",
        "+1700000060",
        " 1700000060",
        "1700000060 ",
        "01700000060",
        "1.7e9",
        "0x10",
        "abc",
        "9223372036854775808",
        "99999999999999999999999999",
        "1700000060\n",
    };
    for (size_t i = 0; i < sizeof(bad_exp) / sizeof(bad_exp[0]); i++) {
        unsigned char mac[32];
        char forged[64];
        char msg[128];
        int n = snprintf(msg, sizeof(msg), "v1\n%s\n%s", OBJ, bad_exp[i]);
        crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, key);
        sodium_bin2base64(forged, sizeof(forged), mac, sizeof(mac),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        if (sd_signed_check(key, OBJ, bad_exp[i], forged, 0) != SD_SIGNED_BAD) {
            fail_msg("accepted exp '%s'", bad_exp[i]);
        }
    }
}

static void test_derive(void **state)
{
    (void)state;
    unsigned char master[SD_SIGNED_KEY_BYTES], a[SD_SIGNED_KEY_BYTES], b[SD_SIGNED_KEY_BYTES];
    char hex[2 * SD_SIGNED_KEY_BYTES + 1];
    memset(master, 7, sizeof(master));
    sd_signed_derive_key(master, a);
    sd_signed_derive_key(master, b);
    assert_memory_equal(a, b, sizeof(a));
    /* Python: hmac.new(bytes([7] * 32), b"showdesk media url signing v1", sha256) */
    sodium_bin2hex(hex, sizeof(hex), a, sizeof(a));
    assert_string_equal(hex, "5424463b8720978338362b970b8b3b24d79aa59885db1a79852bd94a5b104d6a");
    assert_memory_not_equal(a, master, sizeof(a));
    master[0] ^= 1;
    sd_signed_derive_key(master, b);
    assert_memory_not_equal(a, b, sizeof(a));
    /* A URL signed with one installation's key fails under another's. */
    char q[SD_SIGNED_QUERY_MAX], exp[32], sig[64];
    sd_signed_make(a, OBJ, NOW, q);
    split(q, exp, sig);
    assert_int_equal(sd_signed_check(a, OBJ, exp, sig, NOW), SD_SIGNED_OK);
    assert_int_equal(sd_signed_check(b, OBJ, exp, sig, NOW), SD_SIGNED_BAD);
    assert_int_equal(sd_signed_check(master, OBJ, exp, sig, NOW), SD_SIGNED_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),   cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tampered), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_derive),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
