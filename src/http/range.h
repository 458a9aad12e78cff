/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: HTTP range requests and validators (RFC 9110 sections 8.8, 13 and
 * 14) for serving media: the Range header (one range; bytes=a-b, a- and -n),
 * If-Range, If-None-Match, and the IMF-fixdate of Last-Modified.
 *
 * The caller's flow for a GET of a complete object of @size bytes:
 *
 *   1. sd_etag_none_match(If-None-Match, etag)  -> 304 Not Modified;
 *   2. sd_if_range_holds(If-Range, etag, mtime) -> false: ignore Range, 200;
 *   3. sd_range_parse(Range, size, &r):
 *        SD_RANGE_NONE          -> 200 with the whole body,
 *        SD_RANGE_OK            -> 206, Content-Range from
 *                                  sd_range_content_range, r.length bytes
 *                                  from r.start,
 *        SD_RANGE_UNSATISFIABLE -> 416 with "Content-Range: bytes * /size"
 *                                  (no space; see sd_range_unsatisfied).
 *
 * What is ignored (SD_RANGE_NONE, the whole body, as RFC 9110 14.2 allows a
 * server to do): no header, another unit than "bytes" (the unit is
 * case-insensitive), anything that is not the range-set grammar, a range
 * whose last position is before its first (invalid, 14.1.1), and several
 * ranges (we never send multipart/byteranges). Empty list elements ("0-1,")
 * are skipped, as RFC 9110 5.6.1 asks of recipients. Whitespace is allowed
 * around the list elements and the whole value, not inside a range.
 *
 * Satisfiability (14.1.1): a range is unsatisfiable when it starts at or past
 * the end (so any "a-" or "a-b" on an empty object) or is the suffix "-0".
 * A non-zero suffix on an empty object is satisfiable but selects nothing,
 * which no 206 can say: it is NONE, an empty 200. A last position past the
 * end is cut to the end; a suffix longer than the object selects all of it.
 *
 * Invariants: SD_RANGE_OK implies length > 0 and start + length <= size.
 * Numbers of any length are read without overflow: they saturate at
 * UINT64_MAX, which is past the end of any object.
 *
 * Pure functions over caller buffers; MT safe.
 */
#ifndef SD_HTTP_RANGE_H
#define SD_HTTP_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sd_range_result { SD_RANGE_NONE, SD_RANGE_OK, SD_RANGE_UNSATISFIABLE };

struct sd_range {
    uint64_t start;
    uint64_t length; /* > 0 */
};

/* "bytes " + 3 numbers of up to 20 digits + "-" + "/" + NUL, rounded up. */
#define SD_RANGE_CONTENT_RANGE_LEN 72

/**
 * Reads the Range header @header (nullable: absent) against a body of @size
 * bytes. Sets *@out only on SD_RANGE_OK.
 */
enum sd_range_result sd_range_parse(const char *header, uint64_t size, struct sd_range *out);

/**
 * Formats the Content-Range value "bytes a-b/size" of @r (from
 * sd_range_parse: length > 0) into @buf of @n bytes, cut to fit; @n of
 * SD_RANGE_CONTENT_RANGE_LEN always fits.
 */
void sd_range_content_range(const struct sd_range *r, uint64_t size, char *buf, size_t n);

/** Formats the Content-Range value of a 416, "bytes * /size" without the space. */
void sd_range_unsatisfied(uint64_t size, char *buf, size_t n);

/**
 * True when the If-None-Match value @header (nullable: false) is "*" or a
 * list naming @etag (a quoted entity-tag, weak or not) under the weak
 * comparison of RFC 9110 8.8.3.2: "W/" is ignored on both sides. A list that
 * does not parse matches nothing.
 */
bool sd_etag_none_match(const char *header, const char *etag);

/**
 * True when a Range may be served under the If-Range value @header
 * (nullable: no condition, true): a strong entity-tag equal to @etag under
 * strong comparison (a weak tag on either side never matches), or an
 * IMF-fixdate equal to @mtime_s. Anything else, obsolete date formats
 * included, is false: the caller sends the whole body, which is always safe.
 */
bool sd_if_range_holds(const char *header, const char *etag, int64_t mtime_s);

#define SD_HTTP_DATE_LEN 30 /* "Sun, 06 Nov 1994 08:49:37 GMT" + NUL */

/**
 * Formats @unix_s as an IMF-fixdate (RFC 9110 5.6.7) into @out. Times
 * outside the years 1970 to 9999 give the epoch.
 */
void sd_http_date(int64_t unix_s, char out[SD_HTTP_DATE_LEN]);

/**
 * Parses an IMF-fixdate, exactly as sd_http_date writes it (a wrong weekday
 * or a 31st of February is refused); false when @s (nullable) is not one.
 */
bool sd_http_date_parse(const char *s, int64_t *unix_s);

#endif
