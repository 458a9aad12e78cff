/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Signed media URLs; see signed.h. */
#include "domain/signed.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/enc.h"
#include "base/banned.h"

#define SIG_B64 43 /* 32 bytes in base64url without padding */

static void mac(const unsigned char key[SD_SIGNED_KEY_BYTES], const char *object,
                const char *exp, unsigned char out[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    (void)crypto_auth_hmacsha256_init(&st, key, SD_SIGNED_KEY_BYTES);
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)"v1\n", 3);
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)object, strlen(object));
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\n", 1);
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)exp, strlen(exp));
    (void)crypto_auth_hmacsha256_final(&st, out);
}

void sd_signed_make(const unsigned char key[SD_SIGNED_KEY_BYTES], const char *object,
                    int64_t expires_s, char out[SD_SIGNED_QUERY_MAX])
{
    char exp[24];
    unsigned char m[crypto_auth_hmacsha256_BYTES];
    char sig[SIG_B64 + 2];
    (void)snprintf(exp, sizeof(exp), "%lld", (long long)expires_s);
    mac(key, object, exp, m);
    sd_b64url_encode(m, sizeof(m), sig);
    (void)snprintf(out, SD_SIGNED_QUERY_MAX, "exp=%s&sig=%s", exp, sig);
}

enum sd_signed_result sd_signed_check(const unsigned char key[SD_SIGNED_KEY_BYTES],
                                      const char *object, const char *exp, const char *sig,
                                      int64_t now_s)
{
    if (exp == NULL || sig == NULL || strlen(sig) != SIG_B64) {
        return SD_SIGNED_BAD;
    }
    size_t n = strlen(exp);
    if (n == 0 || n > 18) {
        return SD_SIGNED_BAD;
    }
    int64_t e = 0;
    for (size_t i = 0; i < n; i++) {
        if (exp[i] < '0' || exp[i] > '9') {
            return SD_SIGNED_BAD;
        }
        e = e * 10 + (exp[i] - '0');
    }
    unsigned char m[crypto_auth_hmacsha256_BYTES];
    char want[SIG_B64 + 2];
    mac(key, object, exp, m);
    sd_b64url_encode(m, sizeof(m), want);
    if (sodium_memcmp(want, sig, SIG_B64) != 0) {
        return SD_SIGNED_BAD;
    }
    return e < now_s ? SD_SIGNED_EXPIRED : SD_SIGNED_OK;
}
