/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of src/blob/seal.c: chunked encryption at rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "blob/seal.h"

/* Seals @n bytes of @plain whole; caller frees. */
static unsigned char *seal_all(const struct sd_seal_key *key, const unsigned char *plain, size_t n,
                               size_t *out_len)
{
    size_t total = (size_t)sd_seal_sealed_size(n);
    unsigned char *out = malloc(total);
    sd_seal_header(out);
    uint64_t chunks = sd_seal_n_chunks(n);
    for (uint64_t i = 0; i < chunks; i++) {
        size_t off = (size_t)i * SD_SEAL_CHUNK;
        size_t len = n - off < SD_SEAL_CHUNK ? n - off : SD_SEAL_CHUNK;
        sd_seal_chunk(key, out, i, 0, i + 1 == chunks, plain + off, len,
                      out + sd_seal_chunk_offset(i));
    }
    *out_len = total;
    return out;
}

/* Decrypts plaintext bytes [from, from + len) of a sealed object, chunk by chunk. */
static sd_status read_range(const struct sd_seal_key *key, const unsigned char *sealed,
                            size_t plain_size, size_t from, size_t len, unsigned char *out)
{
    unsigned char buf[SD_SEAL_CHUNK];
    uint64_t chunks = sd_seal_n_chunks(plain_size);
    size_t done = 0;
    while (done < len) {
        size_t pos = from + done;
        uint64_t i = pos / SD_SEAL_CHUNK;
        size_t chunk_plain = plain_size - (size_t)i * SD_SEAL_CHUNK;
        if (chunk_plain > SD_SEAL_CHUNK) {
            chunk_plain = SD_SEAL_CHUNK;
        }
        struct sd_err err = SD_ERR_INIT;
        sd_status st =
            sd_seal_open_chunk(key, sealed, i, 0, i + 1 == chunks, sealed + sd_seal_chunk_offset(i),
                               chunk_plain + SD_SEAL_TAG_BYTES, buf, &err);
        if (st != SD_OK) {
            return st;
        }
        size_t in_chunk = pos - (size_t)i * SD_SEAL_CHUNK;
        size_t take = chunk_plain - in_chunk;
        if (take > len - done) {
            take = len - done;
        }
        memcpy(out + done, buf + in_chunk, take);
        done += take;
    }
    return SD_OK;
}

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(sd_seal_n_chunks(0), 1);
    assert_int_equal(sd_seal_n_chunks(1), 1);
    assert_int_equal(sd_seal_n_chunks(SD_SEAL_CHUNK), 1);
    assert_int_equal(sd_seal_n_chunks(SD_SEAL_CHUNK + 1), 2);
    assert_int_equal(sd_seal_sealed_size(0), SD_SEAL_HEADER_BYTES + SD_SEAL_TAG_BYTES);
    assert_int_equal(sd_seal_sealed_size(3 * SD_SEAL_CHUNK),
                     SD_SEAL_HEADER_BYTES + 3 * (uint64_t)SD_SEAL_SEALED_CHUNK);
    /* 200 MB of video costs 3200 tags, 50 KiB. */
    uint64_t big = 200ull * 1000 * 1000;
    assert_true(sd_seal_sealed_size(big) - big < 60 * 1024);
    assert_int_equal(sd_seal_chunk_offset(2), SD_SEAL_HEADER_BYTES + 2 * SD_SEAL_SEALED_CHUNK);
}

static void test_wrap(void **state)
{
    (void)state;
    struct sd_seal_key master, other, key, back;
    struct sd_err err = SD_ERR_INIT;
    sd_seal_keygen(&master);
    sd_seal_keygen(&other);
    sd_seal_keygen(&key);
    unsigned char w1[SD_SEAL_WRAPPED_BYTES], w2[SD_SEAL_WRAPPED_BYTES];
    sd_seal_wrap(&master, &key, w1);
    sd_seal_wrap(&master, &key, w2);
    assert_memory_not_equal(w1, w2, sizeof(w1)); /* a fresh nonce each time */
    assert_int_equal(sd_seal_unwrap(&master, w1, &back, &err), SD_OK);
    assert_memory_equal(back.k, key.k, sizeof(key.k));
    assert_int_equal(sd_seal_unwrap(&other, w1, &back, &err), SD_E_FORBIDDEN);
    assert_string_equal(err.field, "master_key");
    w1[30] ^= 1;
    assert_int_equal(sd_seal_unwrap(&master, w1, &back, &err), SD_E_FORBIDDEN);
    sd_seal_key_wipe(&key);
    for (size_t i = 0; i < sizeof(key.k); i++) {
        assert_int_equal(key.k[i], 0);
    }
}

static void test_round_trip_and_ranges(void **state)
{
    (void)state;
    struct sd_seal_key key;
    sd_seal_keygen(&key);
    const size_t sizes[] = {
        0, 1, 1000, SD_SEAL_CHUNK - 1, SD_SEAL_CHUNK, SD_SEAL_CHUNK + 1, 3 * SD_SEAL_CHUNK + 777};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        unsigned char *plain = malloc(n ? n : 1);
        randombytes_buf(plain, n);
        size_t sealed_len = 0;
        unsigned char *sealed = seal_all(&key, plain, n, &sealed_len);
        assert_int_equal(sealed_len, sd_seal_sealed_size(n));
        struct sd_err err = SD_ERR_INIT;
        assert_int_equal(sd_seal_header_check(sealed, &err), SD_OK);
        /* The plaintext does not appear in the sealed bytes. */
        if (n >= 64) {
            assert_null(memmem(sealed, sealed_len, plain, 64));
        }
        unsigned char *back = malloc(n ? n : 1);
        assert_int_equal(read_range(&key, sealed, n, 0, n, back), SD_OK);
        assert_memory_equal(back, plain, n);
        /* Ranges across chunk boundaries decrypt only what they touch. */
        if (n > SD_SEAL_CHUNK) {
            size_t from = SD_SEAL_CHUNK - 10, len = n - from - 5;
            assert_int_equal(read_range(&key, sealed, n, from, len, back), SD_OK);
            assert_memory_equal(back, plain + from, len);
            /* A range in the last chunk never reads the first one. */
            memset(sealed + sd_seal_chunk_offset(0), 0, 16);
            size_t last = (size_t)(sd_seal_n_chunks(n) - 1) * SD_SEAL_CHUNK;
            assert_int_equal(read_range(&key, sealed, n, last, n - last, back), SD_OK);
            assert_memory_equal(back, plain + last, n - last);
            assert_int_not_equal(read_range(&key, sealed, n, 0, 1, back), SD_OK);
        }
        free(back);
        free(sealed);
        free(plain);
    }
}

static void test_tampering(void **state)
{
    (void)state;
    struct sd_seal_key key, other;
    sd_seal_keygen(&key);
    sd_seal_keygen(&other);
    size_t n = 2 * SD_SEAL_CHUNK + 100;
    unsigned char *plain = calloc(1, n);
    size_t len = 0;
    unsigned char *sealed = seal_all(&key, plain, n, &len);
    unsigned char *out = malloc(SD_SEAL_CHUNK);
    struct sd_err err = SD_ERR_INIT;
    const unsigned char *c0 = sealed + sd_seal_chunk_offset(0);
    const unsigned char *c1 = sealed + sd_seal_chunk_offset(1);
    const unsigned char *c2 = sealed + sd_seal_chunk_offset(2);
    assert_int_equal(
        sd_seal_open_chunk(&key, sealed, 0, 0, false, c0, SD_SEAL_SEALED_CHUNK, out, &err), SD_OK);
    /* Wrong key, chunk swapped into another place, last flag forged. */
    assert_int_equal(
        sd_seal_open_chunk(&other, sealed, 0, 0, false, c0, SD_SEAL_SEALED_CHUNK, out, &err),
        SD_E_IO);
    assert_int_equal(
        sd_seal_open_chunk(&key, sealed, 0, 0, false, c1, SD_SEAL_SEALED_CHUNK, out, &err),
        SD_E_IO);
    assert_non_null(strstr(err.msg, "altered or truncated"));
    /* Dropping the last chunk: chunk 1 read as if it were the last fails. */
    assert_int_equal(
        sd_seal_open_chunk(&key, sealed, 1, 0, true, c1, SD_SEAL_SEALED_CHUNK, out, &err), SD_E_IO);
    assert_int_equal(
        sd_seal_open_chunk(&key, sealed, 2, 0, true, c2, 100 + SD_SEAL_TAG_BYTES, out, &err),
        SD_OK);
    /* Another object's header (another base nonce) does not open this chunk. */
    unsigned char header2[SD_SEAL_HEADER_BYTES];
    sd_seal_header(header2);
    assert_int_equal(
        sd_seal_open_chunk(&key, header2, 0, 0, false, c0, SD_SEAL_SEALED_CHUNK, out, &err),
        SD_E_IO);
    sealed[sd_seal_chunk_offset(2) + 5] ^= 0x80;
    assert_int_equal(
        sd_seal_open_chunk(&key, sealed, 2, 0, true, c2, 100 + SD_SEAL_TAG_BYTES, out, &err),
        SD_E_IO);
    assert_int_equal(sd_seal_open_chunk(&key, sealed, 2, 0, true, c2, 3, out, &err), SD_E_IO);
    memcpy(sealed, "NOTSEAL!", 8);
    assert_int_equal(sd_seal_header_check(sealed, &err), SD_E_INVALID);
    free(out);
    free(sealed);
    free(plain);
}

static void test_nonce_carry(void **state)
{
    (void)state;
    /* A base nonce ending in ff..ff: chunk 1's nonce carries, and stays distinct. */
    struct sd_seal_key key;
    sd_seal_keygen(&key);
    unsigned char header[SD_SEAL_HEADER_BYTES];
    sd_seal_header(header);
    memset(header + SD_SEAL_HEADER_BYTES - 8, 0xff, 8);
    unsigned char p[16] = {0}, c0[32], c1[32], out[16];
    sd_seal_chunk(&key, header, 0, 0, false, p, sizeof(p), c0);
    sd_seal_chunk(&key, header, 1, 0, true, p, sizeof(p), c1);
    assert_memory_not_equal(c0, c1, 16);
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_seal_open_chunk(&key, header, 1, 0, true, c1, sizeof(c1), out, &err),
                     SD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_round_trip_and_ranges),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_nonce_carry),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
