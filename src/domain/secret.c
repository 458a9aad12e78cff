/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Passwords, keys and tokens; see secret.h. */
#include "domain/secret.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/enc.h"
#include "base/rand.h"
#include "base/banned.h"

sd_status sd_secret_init(struct sd_err *err)
{
    if (sodium_init() < 0) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "cannot initialise libsodium");
    }
    return SD_OK;
}

sd_status sd_secret_hash_password(const char *password, char out[SD_SECRET_PWHASH_MAX],
                                  struct sd_err *err)
{
    SD_ASSERT(SD_SECRET_PWHASH_MAX >= crypto_pwhash_STRBYTES);
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        return sd_err_set(err, SD_E_INTERNAL, "password",
                          "cannot hash the password: not enough memory for Argon2id");
    }
    return SD_OK;
}

bool sd_secret_verify_password(const char *hash, const char *password)
{
    if (hash == NULL || password == NULL) {
        return false;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static char dummy[SD_SECRET_PWHASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    char pw[32];
    sd_secret_new_password(pw);
    if (sd_secret_hash_password(pw, dummy, NULL) != SD_OK) {
        dummy[0] = '\0';
    }
}

const char *sd_secret_dummy_hash(void)
{
    (void)pthread_once(&dummy_once, make_dummy);
    return dummy;
}

void sd_secret_new_password(char out[32])
{
    sd_rand_token(15, out); /* 120 bits, 24 characters */
}

void sd_secret_new_key(const char *prefix, char out[SD_SECRET_KEY_MAX])
{
    char tok[40];
    sd_rand_token(20, tok);
    (void)snprintf(out, SD_SECRET_KEY_MAX, "%.2s_%.32s", prefix, tok);
    sodium_memzero(tok, sizeof(tok));
}

void sd_secret_new_token(char out[SD_SECRET_KEY_MAX])
{
    sd_rand_token(20, out);
}

void sd_secret_hash_token(const char *token, char out[SD_SECRET_HASH_HEX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sd_hex_encode(h, sizeof(h), out);
}

void sd_secret_hmac_hex(const void *key, size_t key_len, const char *msg,
                        char out[SD_SECRET_HASH_HEX])
{
    unsigned char h[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
    crypto_auth_hmacsha256_final(&st, h);
    sd_hex_encode(h, sizeof(h), out);
}
