/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target: knowledge-base Markdown. Renders untrusted bytes to HTML and
 * to plain text, and checks what comes out with an oracle written apart from
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
#include "text/md.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX "<p>kept</p>\n"

static bool in_list(const char *s, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0) {
            return true;
        }
    }
    return false;
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

/* "&name;" or "&#digits;" at @s: its length, or 0. */
static size_t entity_len(const char *s, size_t n)
{
    size_t i = 1;
    if (i < n && s[i] == '#') {
        i++;
    }
    size_t start = i;
    while (i < n && i < 52 &&
           (is_lower(s[i]) || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) {
        i++;
    }
    return i > start && i < n && s[i] == ';' ? i + 1 : 0;
}

/* An href or src value: only our five escapes, no raw space, and a safe scheme. */
static bool url_value_ok(const char *v, size_t n)
{
    static const char *const ents[] = {"&amp;", "&#39;", "&quot;", "&lt;", "&gt;"};
    static const char plain[] = "&'\"<>";
    char scheme[8];
    size_t k = 0;
    bool in_scheme = true;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if ((unsigned char)ch <= 0x20 || ch == 0x7f) {
            return false;
        }
        if (ch == '&') {
            size_t e = 0;
            while (e < 5 &&
                   !(n - i >= strlen(ents[e]) && memcmp(v + i, ents[e], strlen(ents[e])) == 0)) {
                e++;
            }
            if (e == 5) {
                return false;
            }
            i += strlen(ents[e]) - 1;
            ch = plain[e];
        }
        if (!in_scheme) {
            continue;
        }
        if (ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch - 'A' + 'a');
        }
        bool scheme_char =
            is_lower(ch) ||
            (k > 0 && ((ch >= '0' && ch <= '9') || ch == '+' || ch == '.' || ch == '-'));
        if (ch == ':' && k > 0) {
            return (k == 4 && memcmp(scheme, "http", 4) == 0) ||
                   (k == 5 && memcmp(scheme, "https", 5) == 0) ||
                   (k == 6 && memcmp(scheme, "mailto", 6) == 0);
        }
        if (!scheme_char) {
            in_scheme = false; /* WHATWG: no scheme, a relative URL */
        } else if (k < sizeof(scheme)) {
            scheme[k++] = ch;
        } else {
            k = sizeof(scheme) + 1; /* longer than any allowed one */
        }
    }
    return true;
}

static bool html_safe(const char *h, size_t n)
{
    static const char *const tags[] = {
        "p",          "h1",    "h2",    "h3",    "h4",     "h5",  "h6", "ul",    "ol",  "li",
        "blockquote", "pre",   "code",  "em",    "strong", "del", "u",  "a",     "img", "br",
        "hr",         "table", "thead", "tbody", "tr",     "th",  "td", "input", NULL};
    static const char *const attrs[] = {"href",  "src",   "alt",  "title",    "rel",     "class",
                                        "start", "align", "type", "disabled", "checked", NULL};
    static const char rel[] = "nofollow noopener noreferrer";
    if (!sd_utf8_valid(h, n)) {
        return false;
    }
    size_t i = 0;
    while (i < n) {
        char ch = h[i];
        if (((unsigned char)ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') || ch == '>' ||
            ch == '"' || ch == '\'') {
            return false;
        }
        if (ch == '&') {
            size_t el = entity_len(h + i, n - i);
            if (el == 0) {
                return false;
            }
            i += el;
            continue;
        }
        if (ch != '<') {
            i++;
            continue;
        }
        i++;
        bool closing = i < n && h[i] == '/';
        i += closing;
        size_t t = i;
        while (i < n && (is_lower(h[i]) || (h[i] >= '0' && h[i] <= '9'))) {
            i++;
        }
        if (!in_list(h + t, i - t, tags)) {
            return false;
        }
        bool is_link = !closing && i - t == 1 && h[t] == 'a';
        bool has_rel = false;
        while (i < n && h[i] == ' ') {
            size_t a = ++i;
            while (i < n && is_lower(h[i])) {
                i++;
            }
            if (closing || !in_list(h + a, i - a, attrs)) {
                return false;
            }
            bool is_url = (i - a == 4 && memcmp(h + a, "href", 4) == 0) ||
                          (i - a == 3 && memcmp(h + a, "src", 3) == 0);
            bool is_rel = i - a == 3 && memcmp(h + a, "rel", 3) == 0;
            if (i >= n || h[i] != '=') {
                continue;
            }
            if (i + 1 >= n || h[i + 1] != '"') {
                return false;
            }
            i += 2;
            size_t v = i;
            while (i < n && h[i] != '"') {
                if (h[i] == '<' || h[i] == '>' || (h[i] == '&' && entity_len(h + i, n - i) == 0)) {
                    return false;
                }
                i++;
            }
            if (i >= n || (is_url && !url_value_ok(h + v, i - v))) {
                return false;
            }
            if (is_rel) {
                has_rel = i - v == sizeof(rel) - 1 && memcmp(h + v, rel, i - v) == 0;
            }
            i++;
        }
        if (i >= n || h[i] != '>' || (is_link && !has_rel)) {
            return false;
        }
        i++;
    }
    return true;
}

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
            !(is_html ? html_safe(s, len) : text_ok(s, len))) {
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
