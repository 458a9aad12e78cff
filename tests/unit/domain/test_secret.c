/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/domain/secret.c: Argon2id, keys, tokens, digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "domain/secret.h"

static void test_secret(void **state)
{
    (void)state;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_secret_init(&err), SD_OK);
    char hash[SD_SECRET_PWHASH_MAX];
    assert_int_equal(sd_secret_hash_password("correct horse battery", hash, &err), SD_OK);
    assert_non_null(strstr(hash, "$argon2id$"));
    assert_true(sd_secret_verify_password(hash, "correct horse battery"));
    assert_false(sd_secret_verify_password(hash, "correct horse batterY"));
    assert_false(sd_secret_verify_password("garbage", "x"));
    assert_false(sd_secret_verify_password(NULL, "x"));

    char k1[SD_SECRET_KEY_MAX], k2[SD_SECRET_KEY_MAX];
    sd_secret_new_key("sk", k1);
    sd_secret_new_key("sk", k2);
    assert_int_equal(strlen(k1), 35);
    assert_memory_equal(k1, "sk_", 3);
    assert_string_not_equal(k1, k2);
    char h1[SD_SECRET_HASH_HEX], h2[SD_SECRET_HASH_HEX];
    sd_secret_hash_token("abc", h1);
    /* SHA-256("abc"), FIPS 180-2 test vector. */
    assert_string_equal(h1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sd_secret_hash_token(k1, h1);
    sd_secret_hash_token(k2, h2);
    assert_string_not_equal(h1, h2);
    /* RFC 4231 test case 2. */
    sd_secret_hmac_hex("Jefe", 4, "what do ya want for nothing?", h1);
    assert_string_equal(h1, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    char pw[32];
    sd_secret_new_password(pw);
    assert_int_equal(strlen(pw), 24);
}

static void test_dummy_hash(void **state)
{
    (void)state;
    const char *h = sd_secret_dummy_hash();
    assert_non_null(strstr(h, "$argon2id$"));
    assert_ptr_equal(h, sd_secret_dummy_hash());
    assert_false(sd_secret_verify_password(h, ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret),
        cmocka_unit_test(test_dummy_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
