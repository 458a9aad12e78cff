/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: secrets: passwords, API keys, session tokens.
 *
 * Showdesk stores no secret in a form that could be used if the database
 * leaked. Passwords are hashed with Argon2id (libsodium's crypto_pwhash_str,
 * interactive limits). API keys and session tokens are 160 random bits, so a
 * fast SHA-256 of them is enough and allows lookup by hash; the plain value is
 * shown once, at creation. Keys read "sk_" (secret, server-side) or "pk_"
 * (publishable, for the widget) + 32 base32 characters. MT safe after
 * sd_secret_init.
 */
#ifndef SD_DOMAIN_SECRET_H
#define SD_DOMAIN_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define SD_SECRET_HASH_HEX   65 /* SHA-256 as hex + NUL */
#define SD_SECRET_KEY_MAX    40 /* "sk_" + 32 + NUL, rounded */
#define SD_SECRET_PWHASH_MAX 128
#define SD_SECRET_PREFIX_LEN 11 /* "sk_" + 8: what lists show of a key */

/** Initialises libsodium; call once before threads start. */
SD_MUST_CHECK sd_status sd_secret_init(struct sd_err *err);

/** Hashes @password with Argon2id into @out. SD_E_INTERNAL if memory is short. */
SD_MUST_CHECK sd_status sd_secret_hash_password(const char *password,
                                                char out[SD_SECRET_PWHASH_MAX], struct sd_err *err);
/** True when @password matches @hash (constant time). */
bool sd_secret_verify_password(const char *hash, const char *password);
/**
 * A real Argon2id hash of a random password, made once: verifying against it
 * when no account matched costs the same time as a real check.
 */
const char *sd_secret_dummy_hash(void);
/** A strong random password for generated accounts (24 base32 characters). */
void sd_secret_new_password(char out[32]);

/** A new key "@prefix_" + 32 characters ("sk" or "pk"). */
void sd_secret_new_key(const char *prefix, char out[SD_SECRET_KEY_MAX]);
/** A new session token or CSRF token (32 base32 characters). */
void sd_secret_new_token(char out[SD_SECRET_KEY_MAX]);
/** Hex SHA-256 of @token, for storage and lookup. */
void sd_secret_hash_token(const char *token, char out[SD_SECRET_HASH_HEX]);
/** HMAC-SHA-256 of @msg with @key as hex (for signed values). */
void sd_secret_hmac_hex(const void *key, size_t key_len, const char *msg,
                        char out[SD_SECRET_HASH_HEX]);

#endif
