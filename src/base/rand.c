/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Random bytes, ids and tokens; see rand.h. */
#include "base/rand.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/banned.h"

static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

void sd_rand_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            SD_BUG("getrandom failed");
        }
        p += r;
        n -= (size_t)r;
    }
}

static size_t encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) {
        out[o++] = b32[(acc << (5 - bits)) & 31];
    }
    out[o] = '\0';
    return o;
}

/* The last id made in this process, so ids made within one millisecond still
 * sort in the order they were made (ULID's monotonic mode). */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_ms;
static unsigned char last_rand[10];

void sd_id_new(const char *prefix, char out[SD_ID_MAX])
{
    unsigned char raw[16];
    uint64_t ms = (uint64_t)sd_clock_wall_ms();
    (void)pthread_mutex_lock(&last_lock);
    if (ms <= last_ms) {
        /* Same millisecond (or the clock stepped back): the previous random
         * part plus one, carrying; 80 bits do not run out. */
        ms = last_ms;
        for (int i = 9; i >= 0 && ++last_rand[i] == 0; i--) {
            ;
        }
    } else {
        last_ms = ms;
        sd_rand_bytes(last_rand, sizeof(last_rand));
    }
    memcpy(raw + 6, last_rand, sizeof(last_rand));
    (void)pthread_mutex_unlock(&last_lock);
    for (int i = 0; i < 6; i++) {
        raw[i] = (unsigned char)(ms >> (8 * (5 - i)));
    }
    /* 128 bits as 26 base32 characters: the first carries the top 3 bits. */
    char body[27];
    int o = 0;
    body[o++] = b32[raw[0] >> 5];
    uint32_t acc = raw[0] & 31u;
    int bits = 5;
    for (int i = 1; i < 16; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            body[o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    body[o] = '\0';
    (void)snprintf(out, SD_ID_MAX, "%.8s_%s", prefix, body);
}

void sd_rand_token(size_t n, char *out)
{
    unsigned char raw[64];
    SD_ASSERT(n <= sizeof(raw));
    sd_rand_bytes(raw, n);
    (void)encode(raw, n, out);
    memset(raw, 0, sizeof(raw));
}
