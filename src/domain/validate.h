/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: checks of values that come from outside (emails, origins, URLs),
 * shared by the API and the admin command. They return SD_E_INVALID with the
 * field named and what is expected. Pure, MT safe.
 */
#ifndef SD_DOMAIN_VALIDATE_H
#define SD_DOMAIN_VALIDATE_H

#include <stddef.h>

#include "base/err.h"

#define SD_EMAIL_MAX 254

/**
 * Checks a mailbox address (local@domain, one '@', a dot in the domain, no
 * spaces or controls, at most 254 bytes) and writes it lowercased to @out.
 */
SD_MUST_CHECK sd_status sd_validate_email(const char *field, const char *email,
                                          char out[SD_EMAIL_MAX + 1], struct sd_err *err);

/** Checks a web origin: "http(s)://host[:port]", no path, query or trailing slash. */
SD_MUST_CHECK sd_status sd_validate_origin(const char *field, const char *origin,
                                           struct sd_err *err);

/** Checks an id of our own form ("tkt_" + 26 base32) with @prefix. */
SD_MUST_CHECK sd_status sd_validate_id(const char *field, const char *id, const char *prefix,
                                       struct sd_err *err);

/** Checks a password for a new account: 10 to 200 characters. */
SD_MUST_CHECK sd_status sd_validate_password(const char *field, const char *password,
                                             struct sd_err *err);

#endif
