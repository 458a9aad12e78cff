/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: status codes and error detail.
 *
 * Every fallible function returns an sd_status (SD_OK is 0) and, when the
 * caller passes a non-NULL struct sd_err, fills it where the failure happens
 * with the field that was wrong and a message a person can act on. The HTTP
 * layer maps the code to a status and renders the detail as JSON; commands
 * print the message. An sd_err is a plain caller-allocated value: no
 * allocation, no ownership, safe on any thread.
 *
 * SD_ASSERT stays on in release builds: it is for broken invariants only,
 * never for input, which always becomes an error value.
 */
#ifndef SD_BASE_ERR_H
#define SD_BASE_ERR_H

#include <stddef.h>

#define SD_MUST_CHECK   __attribute__((warn_unused_result))
#define SD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SD_NORETURN     __attribute__((noreturn))
#define SD_UNUSED       __attribute__((unused))
#define SD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef enum {
    SD_OK = 0,
    SD_E_INVALID,     /* bad input: a field, a format, a value */
    SD_E_NOT_FOUND,   /* no such object (or not in the caller's workspace) */
    SD_E_CONFLICT,    /* unique key taken, state does not allow it */
    SD_E_TOO_LARGE,   /* a size limit was hit */
    SD_E_AUTH,        /* no or bad credentials */
    SD_E_FORBIDDEN,   /* credentials fine, action not allowed */
    SD_E_RATE,        /* too many requests */
    SD_E_AGAIN,       /* temporary: busy, locked; retry */
    SD_E_IO,          /* file system or network */
    SD_E_DB,          /* the database said no */
    SD_E_MEDIA,       /* media could not be decoded or processed */
    SD_E_UNSUPPORTED, /* a content type or format we do not take */
    SD_E_INTERNAL,    /* a bug or an unexpected state */
    SD_E_BAD_REQUEST, /* the request itself is malformed (not JSON, bad syntax) */
    SD_E__COUNT
} sd_status;

struct sd_err {
    sd_status code;
    char field[64];
    char msg[384];
};

#define SD_ERR_INIT                                                                                \
    {                                                                                              \
        SD_OK, {0},                                                                                \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/**
 * Records an error in @err (nullable) and returns @code, so that call sites
 * read `return sd_err_set(err, SD_E_INVALID, "subject", "must be ...");`.
 * @field is nullable. The message is cut to fit; never include secrets.
 */
sd_status sd_err_set(struct sd_err *err, sd_status code, const char *field, const char *fmt, ...)
    SD_PRINTF(4, 5);

/** Clears @err (nullable) back to SD_OK with no field and no message. */
void sd_err_clear(struct sd_err *err);

/** Short stable name of @code for APIs and logs: "invalid", "not_found", ... */
const char *sd_status_name(sd_status code);

SD_NORETURN void sd__assert_fail(const char *expr, const char *file, int line);

#define SD_ASSERT(x)                                                                               \
    do {                                                                                           \
        if (!(x))                                                                                  \
            sd__assert_fail(#x, __FILE__, __LINE__);                                               \
    } while (0)
#define SD_BUG(msg) sd__assert_fail("BUG: " msg, __FILE__, __LINE__)

#endif
