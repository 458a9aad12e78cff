/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target: knowledge-base Markdown. Renders untrusted bytes to HTML and
 * to plain text, and checks what comes out with the oracle of the unit tests
 * (tests/unit/text/md_oracle.c), written apart from
 * md.c: the HTML must be valid UTF-8 made only of our tags and attributes,
 * escaped text, and href/src values whose scheme (as a browser parses it) is
 * http, https, mailto or none; every link must carry rel; the plain text
 * must be valid UTF-8 with single separators and no control character but
 * LF. The first byte picks an output limit, so refusals are fuzzed too: they
 * must say why and leave the buffer as it was. Anything else traps.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/utf8.h"
#include "md_oracle.h"
#include "text/md.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX "<p>kept</p>\n"

static bool text_ok(const char *t, size_t n)
{
    if (!sd_utf8_valid(t, n)) {
        return false;
    }
    if (n > 0 && (t[0] == ' ' || t[0] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\n')) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f) {
            return false;
        }
        if ((c == ' ' || c == '\n') && i + 1 < n && (t[i + 1] == ' ' || t[i + 1] == '\n')) {
            return false;
        }
    }
    return true;
}

/* Runs one renderer with limit @max; traps on any broken promise. */
static void run(sd_status (*fn)(const char *, size_t, struct sd_buf *, struct sd_err *),
                const char *md, size_t n, size_t max, bool is_html)
{
    struct sd_buf b = SD_BUF_INIT(max + sizeof(PREFIX) - 1);
    struct sd_err err = SD_ERR_INIT;
    if (sd_buf_puts(&b, PREFIX) != SD_OK) {
        __builtin_trap();
    }
    sd_status st = fn(md, n, &b, &err);
    if (st != SD_OK) {
        /* Refusals say why and leave the buffer as it was. */
        if (st != SD_E_TOO_LARGE || err.msg[0] == '\0' || b.len != sizeof(PREFIX) - 1 ||
            strcmp(sd_buf_cstr(&b), PREFIX) != 0) {
            __builtin_trap();
        }
    } else {
        const char *s = sd_buf_cstr(&b) + sizeof(PREFIX) - 1;
        size_t len = b.len - (sizeof(PREFIX) - 1);
        if (memcmp(sd_buf_cstr(&b), PREFIX, sizeof(PREFIX) - 1) != 0 ||
            !(is_html ? md_html_problem(s, len) == NULL : text_ok(s, len))) {
            __builtin_trap();
        }
    }
    sd_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 1 << 16) {
        return 0;
    }
    /* Mostly room enough; one input in eight gets a limit it may hit. */
    size_t max = data[0] % 8 == 0 ? (size_t)data[0] * 4 : (size_t)16 << 20;
    const char *md = (const char *)data + 1;
    run(sd_md_render, md, size - 1, max, true);
    run(sd_md_text, md, size - 1, max, false);
    return 0;
}
