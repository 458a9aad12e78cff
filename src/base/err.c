/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Status names and error detail; see err.h. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

static const char *const names[SD_E__COUNT] = {
    [SD_OK] = "ok",
    [SD_E_INVALID] = "invalid",
    [SD_E_NOT_FOUND] = "not_found",
    [SD_E_CONFLICT] = "conflict",
    [SD_E_TOO_LARGE] = "too_large",
    [SD_E_AUTH] = "unauthorized",
    [SD_E_FORBIDDEN] = "forbidden",
    [SD_E_RATE] = "rate_limited",
    [SD_E_AGAIN] = "unavailable",
    [SD_E_IO] = "io_error",
    [SD_E_DB] = "database_error",
    [SD_E_MEDIA] = "media_error",
    [SD_E_UNSUPPORTED] = "unsupported",
    [SD_E_INTERNAL] = "internal",
    [SD_E_BAD_REQUEST] = "bad_request",
};

const char *sd_status_name(sd_status code)
{
    if ((unsigned)code >= SD_E__COUNT) {
        return "internal";
    }
    return names[code];
}

sd_status sd_err_set(struct sd_err *err, sd_status code, const char *field, const char *fmt, ...)
{
    if (err == NULL) {
        return code;
    }
    err->code = code;
    err->field[0] = '\0';
    if (field != NULL) {
        (void)snprintf(err->field, sizeof(err->field), "%s", field);
    }
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void sd_err_clear(struct sd_err *err)
{
    if (err == NULL) {
        return;
    }
    err->code = SD_OK;
    err->field[0] = '\0';
    err->msg[0] = '\0';
}

void sd__assert_fail(const char *expr, const char *file, int line)
{
    char line_buf[512];
    int n = snprintf(line_buf, sizeof(line_buf), "level=fatal event=assert expr=\"%s\" at=%s:%d\n",
                     expr, file, line);
    if (n > 0) {
        (void)!write(STDERR_FILENO, line_buf,
                     (size_t)n < sizeof(line_buf) ? (size_t)n : sizeof(line_buf) - 1);
    }
    abort();
}
