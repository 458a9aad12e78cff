/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Range requests and validators; see range.h. */
#include "http/range.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/banned.h"

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/* Digits at *@p into *@out; false without digits or past UINT64_MAX / 10. */
static bool digits(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9') {
        return false;
    }
    while (*s >= '0' && *s <= '9') {
        if (v > (UINT64_MAX - 9) / 10) {
            return false;
        }
        v = v * 10 + (uint64_t)(*s - '0');
        s++;
    }
    *p = s;
    *out = v;
    return true;
}

enum sd_range_result sd_range_parse(const char *header, uint64_t size, struct sd_range *out)
{
    if (header == NULL) {
        return SD_RANGE_NONE;
    }
    const char *p = skip_ows(header);
    if (strncasecmp(p, "bytes", 5) != 0) {
        return SD_RANGE_NONE;
    }
    p = skip_ows(p + 5);
    if (*p != '=') {
        return SD_RANGE_NONE;
    }
    p = skip_ows(p + 1);
    uint64_t first = 0, last = 0;
    bool has_first = digits(&p, &first);
    if (*p != '-') {
        return SD_RANGE_NONE;
    }
    p++;
    bool has_last = digits(&p, &last);
    p = skip_ows(p);
    if (*p != '\0') {
        return SD_RANGE_NONE; /* several ranges or garbage: the whole body */
    }
    if (!has_first) {
        if (!has_last) {
            return SD_RANGE_NONE;
        }
        /* Suffix: the last @last bytes. */
        if (last == 0 || size == 0) {
            return SD_RANGE_UNSATISFIABLE;
        }
        uint64_t n = last < size ? last : size;
        *out = (struct sd_range){size - n, n};
        return SD_RANGE_OK;
    }
    if (has_last && last < first) {
        return SD_RANGE_NONE; /* invalid: ignored */
    }
    if (first >= size) {
        return SD_RANGE_UNSATISFIABLE;
    }
    if (!has_last || last >= size) {
        last = size - 1;
    }
    *out = (struct sd_range){first, last - first + 1};
    return SD_RANGE_OK;
}

void sd_range_content_range(const struct sd_range *r, uint64_t size, char *buf, size_t n)
{
    (void)snprintf(buf, n, "bytes %llu-%llu/%llu", (unsigned long long)r->start,
                   (unsigned long long)(r->start + r->length - 1), (unsigned long long)size);
}

/* The next entity-tag of a list at *@p: its opaque part (quotes included) and weakness. */
static bool next_tag(const char **p, const char **tag, size_t *len, bool *weak)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',') {
        s++;
    }
    if (*s == '\0') {
        return false;
    }
    *weak = false;
    if (s[0] == 'W' && s[1] == '/') {
        *weak = true;
        s += 2;
    }
    const char *start = s;
    if (*s == '"') {
        s++;
        while (*s != '\0' && *s != '"') {
            s++;
        }
        if (*s == '"') {
            s++;
        }
    } else {
        while (*s != '\0' && *s != ',' && *s != ' ') {
            s++;
        }
    }
    *tag = start;
    *len = (size_t)(s - start);
    *p = s;
    return true;
}

bool sd_etag_none_match(const char *header, const char *etag)
{
    if (header == NULL || etag == NULL) {
        return false;
    }
    const char *p = skip_ows(header);
    if (p[0] == '*' && skip_ows(p + 1)[0] == '\0') {
        return true;
    }
    const char *tag;
    size_t len;
    bool weak;
    size_t elen = strlen(etag);
    while (next_tag(&p, &tag, &len, &weak)) {
        /* Weak comparison: W/ does not matter. */
        if (len == elen && memcmp(tag, etag, len) == 0) {
            return true;
        }
    }
    return false;
}

bool sd_if_range_holds(const char *header, const char *etag, int64_t mtime_s)
{
    if (header == NULL) {
        return true;
    }
    const char *p = skip_ows(header);
    if (p[0] == '"' || (p[0] == 'W' && p[1] == '/')) {
        /* Strong comparison: a weak tag never matches. */
        return p[0] == '"' && etag != NULL && strcmp(p, etag) == 0;
    }
    int64_t t = 0;
    return sd_http_date_parse(p, &t) && t == mtime_s;
}

static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void sd_http_date(int64_t unix_s, char out[SD_HTTP_DATE_LEN])
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
        (void)snprintf(out, SD_HTTP_DATE_LEN, "Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    (void)snprintf(out, SD_HTTP_DATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                   tm.tm_mday % 100, months[tm.tm_mon % 12], (tm.tm_year + 1900) % 10000,
                   tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
}

static bool num(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool sd_http_date_parse(const char *s, int64_t *unix_s)
{
    /* "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions. */
    if (s == NULL || strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
        s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
        strcmp(s + 25, " GMT") != 0) {
        return false;
    }
    struct tm tm = {0};
    int mon = -1;
    for (int i = 0; i < 12; i++) {
        if (strncmp(s + 8, months[i], 3) == 0) {
            mon = i;
        }
    }
    int day, year, h, m, sec;
    if (mon < 0 || !num(s + 5, 2, &day) || !num(s + 12, 4, &year) || !num(s + 17, 2, &h) ||
        !num(s + 20, 2, &m) || !num(s + 23, 2, &sec) || day < 1 || day > 31 || h > 23 ||
        m > 59 || sec > 60 || year < 1970) {
        return false;
    }
    tm.tm_mday = day;
    tm.tm_mon = mon;
    tm.tm_year = year - 1900;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1) {
        return false;
    }
    *unix_s = (int64_t)t;
    return true;
}
