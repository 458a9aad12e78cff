/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Range requests and validators; see range.h for the rules. */
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

/* Length of @s without trailing OWS. */
static size_t trimmed_len(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    return n;
}

/*
 * Digits at *@p into *@out, saturating at UINT64_MAX: a 30-digit position is
 * still a position, past the end of anything we store. False without digits.
 */
static bool digits(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9') {
        return false;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

struct spec {
    bool has_first, has_last;
    uint64_t first, last;
};

/* One range-spec at *@p: "a-b", "a-" or "-n". False when it is not one. */
static bool parse_spec(const char **p, struct spec *s)
{
    s->has_first = digits(p, &s->first);
    if (**p != '-') {
        return false;
    }
    (*p)++;
    s->has_last = digits(p, &s->last);
    if (!s->has_first && !s->has_last) {
        return false;
    }
    /* 14.1.1: last before first makes the spec, and so the header, invalid. */
    return !(s->has_first && s->has_last && s->last < s->first);
}

enum sd_range_result sd_range_parse(const char *header, uint64_t size, struct sd_range *out)
{
    if (header == NULL) {
        return SD_RANGE_NONE;
    }
    const char *p = skip_ows(header);
    if (strncasecmp(p, "bytes=", 6) != 0) {
        return SD_RANGE_NONE;
    }
    p += 6;
    struct spec s = {0};
    size_t n_specs = 0;
    for (;;) {
        p = skip_ows(p);
        if (*p == ',') { /* an empty list element */
            p++;
            continue;
        }
        if (*p == '\0') {
            break;
        }
        if (n_specs > 0) {
            /* Several ranges: we send the whole body rather than
             * multipart/byteranges. The rest need not even parse. */
            return SD_RANGE_NONE;
        }
        if (!parse_spec(&p, &s)) {
            return SD_RANGE_NONE;
        }
        n_specs++;
        p = skip_ows(p);
        if (*p != ',' && *p != '\0') {
            return SD_RANGE_NONE;
        }
    }
    if (n_specs == 0) {
        return SD_RANGE_NONE;
    }
    if (!s.has_first) {
        /* Suffix: the last s.last bytes. */
        if (s.last == 0) {
            return SD_RANGE_UNSATISFIABLE;
        }
        if (size == 0) {
            return SD_RANGE_NONE; /* satisfiable, but a 206 cannot be empty */
        }
        uint64_t n = s.last < size ? s.last : size;
        *out = (struct sd_range){size - n, n};
        return SD_RANGE_OK;
    }
    if (s.first >= size) {
        return SD_RANGE_UNSATISFIABLE;
    }
    uint64_t last = !s.has_last || s.last >= size ? size - 1 : s.last;
    *out = (struct sd_range){s.first, last - s.first + 1};
    return SD_RANGE_OK;
}

void sd_range_content_range(const struct sd_range *r, uint64_t size, char *buf, size_t n)
{
    uint64_t last = r->length > 0 ? r->start + r->length - 1 : r->start;
    (void)snprintf(buf, n, "bytes %llu-%llu/%llu", (unsigned long long)r->start,
                   (unsigned long long)last, (unsigned long long)size);
}

void sd_range_unsatisfied(uint64_t size, char *buf, size_t n)
{
    (void)snprintf(buf, n, "bytes */%llu", (unsigned long long)size);
}

/* The opaque part (quotes included) of entity-tag @tag of @n bytes: drops "W/". */
static const char *opaque(const char *tag, size_t *n)
{
    if (*n >= 2 && tag[0] == 'W' && tag[1] == '/') {
        *n -= 2;
        return tag + 2;
    }
    return tag;
}

/*
 * The next entity-tag of a list at *@p into @tag, @len (all of it, "W/"
 * included). Returns 1 for a tag, 0 at the end, -1 when the list is malformed.
 */
static int next_tag(const char **p, const char **tag, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',') {
        s++;
    }
    if (*s == '\0') {
        return 0;
    }
    const char *start = s;
    if (s[0] == 'W' && s[1] == '/') {
        s += 2;
    }
    if (*s != '"') {
        return -1;
    }
    const char *close = strchr(s + 1, '"');
    if (close == NULL) {
        return -1;
    }
    s = skip_ows(close + 1);
    if (*s != ',' && *s != '\0') {
        return -1;
    }
    *tag = start;
    *len = (size_t)(close + 1 - start);
    *p = s;
    return 1;
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
    size_t elen = strlen(etag);
    const char *eop = opaque(etag, &elen);
    const char *tag = NULL;
    size_t len = 0;
    while (next_tag(&p, &tag, &len) == 1) {
        const char *op = opaque(tag, &len);
        if (len == elen && memcmp(op, eop, len) == 0) {
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
    size_t n = trimmed_len(p);
    if (p[0] == 'W' && p[1] == '/') {
        return false; /* 13.1.5: a weak validator never holds */
    }
    if (p[0] == '"') {
        return etag != NULL && etag[0] == '"' && strlen(etag) == n && memcmp(p, etag, n) == 0;
    }
    char date[SD_HTTP_DATE_LEN];
    int64_t t = 0;
    if (n != SD_HTTP_DATE_LEN - 1) {
        return false;
    }
    memcpy(date, p, n);
    date[n] = '\0';
    return sd_http_date_parse(date, &t) && t == mtime_s;
}

static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

#define DATE_MIN_S 0LL            /* 1970-01-01T00:00:00Z */
#define DATE_MAX_S 253402300799LL /* 9999-12-31T23:59:59Z */

void sd_http_date(int64_t unix_s, char out[SD_HTTP_DATE_LEN])
{
    struct tm tm;
    time_t t = (time_t)(unix_s < DATE_MIN_S || unix_s > DATE_MAX_S ? 0 : unix_s);
    if (gmtime_r(&t, &tm) == NULL) {
        t = 0;
        (void)gmtime_r(&t, &tm);
    }
    /* Wide enough for any int the compiler can imagine; the real text is 29. */
    char tmp[96];
    (void)snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                   tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                   tm.tm_sec);
    (void)snprintf(out, SD_HTTP_DATE_LEN, "%.29s", tmp);
}

/* @n decimal digits at @s into *@out. */
static bool fixed_num(const char *s, int n, int *out)
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
    if (s == NULL || strlen(s) != SD_HTTP_DATE_LEN - 1) {
        return false;
    }
    int mon = -1;
    for (int i = 0; i < 12; i++) {
        if (memcmp(s + 8, months[i], 3) == 0) {
            mon = i;
        }
    }
    int day = 0, year = 0, h = 0, m = 0, sec = 0;
    if (mon < 0 || !fixed_num(s + 5, 2, &day) || !fixed_num(s + 12, 4, &year) ||
        !fixed_num(s + 17, 2, &h) || !fixed_num(s + 20, 2, &m) || !fixed_num(s + 23, 2, &sec) ||
        year < 1970 || day < 1 || day > 31 || h > 23 || m > 59 || sec > 59) {
        return false;
    }
    struct tm tm = {0};
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
    /* Formatting back checks the rest at once: separators, the weekday, the
     * 31st of a 30-day month (which timegm would carry into the next). */
    char again[SD_HTTP_DATE_LEN];
    sd_http_date((int64_t)t, again);
    if (memcmp(again, s, SD_HTTP_DATE_LEN - 1) != 0) {
        return false;
    }
    *unix_s = (int64_t)t;
    return true;
}
