/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: a growable byte buffer with a hard maximum.
 *
 * struct sd_buf is caller-allocated (`struct sd_buf b = SD_BUF_INIT(1 << 20);`)
 * and owns its heap storage until sd_buf_release. Appends that would pass
 * @max fail with SD_E_TOO_LARGE before allocating anything (curl's dynbuf), so
 * untrusted input cannot grow it without bound. data is always
 * NUL-terminated when non-NULL. One thread at a time.
 */
#ifndef SD_BASE_BUF_H
#define SD_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "base/err.h"

struct sd_buf {
    char *data; /* nullable until the first append */
    size_t len;
    size_t cap;
    size_t max; /* bytes of content allowed, not counting the NUL */
};

#define SD_BUF_INIT(max_bytes)                                                                     \
    {                                                                                              \
        NULL, 0, 0, (max_bytes)                                                                    \
    }

/** Appends @n bytes; SD_E_TOO_LARGE (and no change) past the maximum. */
SD_MUST_CHECK sd_status sd_buf_append(struct sd_buf *b, const void *p, size_t n);
/** Appends a NUL-terminated string. */
SD_MUST_CHECK sd_status sd_buf_puts(struct sd_buf *b, const char *s);
/** Appends formatted text. */
SD_MUST_CHECK sd_status sd_buf_printf(struct sd_buf *b, const char *fmt, ...) SD_PRINTF(2, 3);
/** Empties the buffer, keeping its storage. */
void sd_buf_reset(struct sd_buf *b);
/** Frees the storage; the buffer can be used again. */
void sd_buf_release(struct sd_buf *b);
/**
 * Appends the whole file at @path. SD_E_IO naming the file when it cannot be
 * opened or read, SD_E_TOO_LARGE when it does not fit in the maximum (the
 * buffer then holds what fitted).
 */
SD_MUST_CHECK sd_status sd_buf_read_file(struct sd_buf *b, const char *path, struct sd_err *err);
/** Returns the content and gives its ownership to the caller (free()); the buffer is emptied. */
char *sd_buf_detach(struct sd_buf *b, size_t *len_out);
/** The content as a C string, "" when empty; borrowed until the next change. */
const char *sd_buf_cstr(const struct sd_buf *b);

#endif
