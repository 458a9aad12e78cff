/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Chunked encryption at rest; see seal.h. */
#include "blob/seal.h"

#include <string.h>

#include <sodium.h>

#include "base/banned.h"

_Static_assert(SD_SEAL_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key size");
_Static_assert(SD_SEAL_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce size");
_Static_assert(SD_SEAL_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag size");
_Static_assert(SD_SEAL_WRAPPED_BYTES ==
                   crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + SD_SEAL_KEY_BYTES,
               "wrapped key size");

void sd_seal_keygen(struct sd_seal_key *key)
{
    crypto_aead_xchacha20poly1305_ietf_keygen(key->k);
}

void sd_seal_key_wipe(struct sd_seal_key *key)
{
    sodium_memzero(key->k, sizeof(key->k));
}

void sd_seal_wrap(const struct sd_seal_key *master, const struct sd_seal_key *key,
                  unsigned char out[SD_SEAL_WRAPPED_BYTES])
{
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    (void)crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, key->k, sizeof(key->k), out,
                                master->k);
}

sd_status sd_seal_unwrap(const struct sd_seal_key *master,
                         const unsigned char in[SD_SEAL_WRAPPED_BYTES], struct sd_seal_key *key,
                         struct sd_err *err)
{
    if (crypto_secretbox_open_easy(key->k, in + crypto_secretbox_NONCEBYTES,
                                   SD_SEAL_WRAPPED_BYTES - crypto_secretbox_NONCEBYTES, in,
                                   master->k) != 0) {
        sd_seal_key_wipe(key);
        return sd_err_set(err, SD_E_FORBIDDEN, "master_key",
                          "cannot unwrap an object key: the master key is not the one that "
                          "stored it (check the master key setting)");
    }
    return SD_OK;
}

static const unsigned char magic[8] = {'S', 'D', 'S', 'E', 'A', 'L', '0', '1'};

void sd_seal_header(unsigned char out[SD_SEAL_HEADER_BYTES])
{
    memcpy(out, magic, sizeof(magic));
    randombytes_buf(out + 8, SD_SEAL_NONCE_BYTES);
}

sd_status sd_seal_header_check(const unsigned char header[SD_SEAL_HEADER_BYTES], struct sd_err *err)
{
    if (memcmp(header, magic, sizeof(magic)) != 0) {
        return sd_err_set(err, SD_E_INVALID, NULL, "not a sealed object (bad magic)");
    }
    return SD_OK;
}

uint64_t sd_seal_n_chunks(uint64_t plain_size)
{
    return plain_size == 0 ? 1 : (plain_size + SD_SEAL_CHUNK - 1) / SD_SEAL_CHUNK;
}

uint64_t sd_seal_sealed_size(uint64_t plain_size)
{
    return SD_SEAL_HEADER_BYTES + plain_size + sd_seal_n_chunks(plain_size) * SD_SEAL_TAG_BYTES;
}

uint64_t sd_seal_chunk_offset(uint64_t index)
{
    return SD_SEAL_HEADER_BYTES + index * (uint64_t)SD_SEAL_SEALED_CHUNK;
}

/* Adds @v into the 8 big-endian bytes at @p, dropping the final carry. */
static void add64(unsigned char *p, uint64_t v)
{
    uint64_t carry = v;
    for (int i = 7; i >= 0 && carry != 0; i--) {
        uint64_t sum = (uint64_t)p[i] + (carry & 0xff);
        p[i] = (unsigned char)sum;
        carry = (carry >> 8) + (sum >> 8);
    }
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * (7 - i)));
    }
}

/* The chunk's nonce and additional data. */
static void chunk_params(const unsigned char header[SD_SEAL_HEADER_BYTES], uint64_t index,
                         uint64_t gen, bool is_last, unsigned char nonce[SD_SEAL_NONCE_BYTES],
                         unsigned char ad[17])
{
    memcpy(nonce, header + 8, SD_SEAL_NONCE_BYTES);
    add64(nonce + SD_SEAL_NONCE_BYTES - 16, gen);
    add64(nonce + SD_SEAL_NONCE_BYTES - 8, index);
    put64(ad, index);
    put64(ad + 8, gen);
    ad[16] = is_last ? 1 : 0;
}

void sd_seal_chunk(const struct sd_seal_key *key, const unsigned char header[SD_SEAL_HEADER_BYTES],
                   uint64_t index, uint64_t gen, bool is_last, const unsigned char *plain, size_t n,
                   unsigned char *out)
{
    unsigned char nonce[SD_SEAL_NONCE_BYTES], ad[17];
    SD_ASSERT(n <= SD_SEAL_CHUNK);
    chunk_params(header, index, gen, is_last, nonce, ad);
    (void)crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, plain, n, ad, sizeof(ad), NULL,
                                                     nonce, key->k);
}

sd_status sd_seal_open_chunk(const struct sd_seal_key *key,
                             const unsigned char header[SD_SEAL_HEADER_BYTES], uint64_t index,
                             uint64_t gen, bool is_last, const unsigned char *in, size_t n,
                             unsigned char *out, struct sd_err *err)
{
    unsigned char nonce[SD_SEAL_NONCE_BYTES], ad[17];
    if (n < SD_SEAL_TAG_BYTES || n > SD_SEAL_SEALED_CHUNK) {
        return sd_err_set(err, SD_E_IO, NULL, "sealed chunk %llu has a wrong size (%zu bytes)",
                          (unsigned long long)index, n);
    }
    chunk_params(header, index, gen, is_last, nonce, ad);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, in, n, ad, sizeof(ad), nonce,
                                                   key->k) != 0) {
        return sd_err_set(err, SD_E_IO, NULL,
                          "sealed chunk %llu failed authentication: the stored object was "
                          "altered or truncated",
                          (unsigned long long)index);
    }
    return SD_OK;
}
