/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Bounded growable buffer; see buf.h. */
#include "base/buf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/banned.h"

static sd_status reserve(struct sd_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra) {
        return SD_E_TOO_LARGE;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return SD_OK;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    if (cap > b->max + 1) {
        cap = b->max + 1;
    }
    b->data = sd_xrealloc(b->data, cap);
    b->cap = cap;
    return SD_OK;
}

sd_status sd_buf_append(struct sd_buf *b, const void *p, size_t n)
{
    sd_status st = reserve(b, n);
    if (st != SD_OK) {
        return st;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return SD_OK;
}

sd_status sd_buf_puts(struct sd_buf *b, const char *s)
{
    return sd_buf_append(b, s, strlen(s));
}

sd_status sd_buf_printf(struct sd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return SD_E_INVALID;
    }
    sd_status st = reserve(b, (size_t)n);
    if (st != SD_OK) {
        return st;
    }
    va_start(ap, fmt);
    (void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SD_OK;
}

void sd_buf_reset(struct sd_buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

void sd_buf_release(struct sd_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *sd_buf_detach(struct sd_buf *b, size_t *len_out)
{
    char *d = b->data ? b->data : sd_xstrdup("");
    if (len_out != NULL) {
        *len_out = b->len;
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

const char *sd_buf_cstr(const struct sd_buf *b)
{
    return b->data ? b->data : "";
}

sd_status sd_buf_read_file(struct sd_buf *b, const char *path, struct sd_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot open %s: %s", path, strerror(errno));
    }
    char chunk[65536];
    size_t n;
    sd_status st = SD_OK;
    while (st == SD_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        st = sd_buf_append(b, chunk, n);
    }
    bool bad = ferror(f) != 0;
    (void)fclose(f);
    if (st != SD_OK) {
        return sd_err_set(err, st, NULL, "%s is larger than %zu bytes", path, b->max);
    }
    if (bad) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot read %s", path);
    }
    return SD_OK;
}
