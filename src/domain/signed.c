/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Signed media URLs; see signed.h for the format and the rules. */
#include "domain/signed.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/enc.h"
#include "base/banned.h"

#define EXP_DIGITS_MAX 19 /* INT64_MAX has 19 */

static const char derive_label[] = "showdesk media url signing v1";

void sd_signed_derive_key(const unsigned char master[SD_SIGNED_KEY_BYTES],
                          unsigned char out[SD_SIGNED_KEY_BYTES])
{
    crypto_auth_hmacsha256_state st;
    (void)crypto_auth_hmacsha256_init(&st, master, SD_SIGNED_KEY_BYTES);
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)derive_label,
                                        sizeof(derive_label) - 1);
    (void)crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

/* The base64url signature of "v1\n<object>\n<exp>" into @out (SIG_LEN + NUL). */
static void sign(const unsigned char key[SD_SIGNED_KEY_BYTES], const char *object, const char *exp,
                 char out[SD_SIGNED_SIG_LEN + 1])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    (void)crypto_auth_hmacsha256_init(&st, key, SD_SIGNED_KEY_BYTES);
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)"v1\n", 3);
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)object, strlen(object));
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\n", 1);
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)exp, strlen(exp));
    (void)crypto_auth_hmacsha256_final(&st, mac);
    sd_b64url_encode(mac, sizeof(mac), out);
    sodium_memzero(&st, sizeof(st));
}

void sd_signed_make(const unsigned char key[SD_SIGNED_KEY_BYTES], const char *object,
                    int64_t expires_s, char out[SD_SIGNED_QUERY_MAX])
{
    char exp[24];
    char sig[SD_SIGNED_SIG_LEN + 1];
    (void)snprintf(exp, sizeof(exp), "%lld", (long long)(expires_s < 0 ? 0 : expires_s));
    sign(key, object, exp, sig);
    (void)snprintf(out, SD_SIGNED_QUERY_MAX, "exp=%s&sig=%s", exp, sig);
}

/* Canonical decimal (what make writes) into *@out, without overflow. */
static bool parse_exp(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > EXP_DIGITS_MAX || (n > 1 && s[0] == '0')) {
        return false;
    }
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        int d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

enum sd_signed_result sd_signed_check(const unsigned char key[SD_SIGNED_KEY_BYTES],
                                      const char *object, const char *exp, const char *sig,
                                      int64_t now_s)
{
    int64_t e = 0;
    if (object == NULL || exp == NULL || sig == NULL || strlen(sig) != SD_SIGNED_SIG_LEN ||
        !parse_exp(exp, &e)) {
        return SD_SIGNED_BAD;
    }
    char want[SD_SIGNED_SIG_LEN + 1];
    sign(key, object, exp, want);
    if (sodium_memcmp(want, sig, SD_SIGNED_SIG_LEN) != 0) {
        return SD_SIGNED_BAD;
    }
    return e < now_s ? SD_SIGNED_EXPIRED : SD_SIGNED_OK;
}
