/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* String views; see str.h. */
#include "base/str.h"

#include <string.h>

#include "base/banned.h"

struct sd_str sd_str_c(const char *s)
{
    struct sd_str r = {s ? s : "", s ? strlen(s) : 0};
    return r;
}

bool sd_str_eq(struct sd_str a, struct sd_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool sd_str_eq_c(struct sd_str a, const char *b)
{
    return sd_str_eq(a, sd_str_c(b));
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

bool sd_str_ieq_c(struct sd_str a, const char *b)
{
    size_t n = strlen(b);
    if (n != a.len) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (lower((unsigned char)a.ptr[i]) != lower((unsigned char)b[i])) {
            return false;
        }
    }
    return true;
}

bool sd_str_has_prefix(struct sd_str s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

sd_status sd_str_to_i64(struct sd_str s, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (s.len == 0) {
        return SD_E_INVALID;
    }
    if (s.ptr[0] == '-') {
        if (min >= 0) {
            return SD_E_INVALID;
        }
        neg = true;
        i = 1;
    }
    if (i == s.len || s.len - i > 19) {
        return SD_E_INVALID;
    }
    uint64_t v = 0;
    for (; i < s.len; i++) {
        char c = s.ptr[i];
        if (c < '0' || c > '9') {
            return SD_E_INVALID;
        }
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u)) {
        return SD_E_INVALID;
    }
    int64_t r = neg ? (int64_t)(0 - v) : (int64_t)v;
    if (r < min || r > max) {
        return SD_E_INVALID;
    }
    *out = r;
    return SD_OK;
}

bool sd_str_ct_eq(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a;
    const volatile unsigned char *y = b;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++) {
        d |= x[i] ^ y[i];
    }
    return d == 0;
}

bool sd_str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    bool fits = n < size;
    if (!fits) {
        n = size - 1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return fits;
}

uint32_t sd_hash_fnv1a(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ s[i]) * 16777619u;
    }
    return h;
}

const char *sd_html_escape_char(char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}
