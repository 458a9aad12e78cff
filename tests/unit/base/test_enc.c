/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/base/enc.c: hex and base64url (RFC 4648 vectors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/enc.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
