/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: HTTP range requests and validators (RFC 9110 sections 8.8, 13 and
 * 14) for serving media: the Range header (one range; bytes=a-b, a- and -n),
 * If-Range, If-None-Match, and the IMF-fixdate of Last-Modified.
 *
 * A Range header this server does not act on (another unit, several ranges,
 * bad syntax) is ignored and the whole body is sent, as RFC 9110 14.2
 * allows; a well-formed range that starts past the end is unsatisfiable
 * (416). Pure, MT safe; numbers are parsed without overflow.
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

/** Reads @header (nullable) against a body of @size bytes. */
enum sd_range_result sd_range_parse(const char *header, uint64_t size, struct sd_range *out);

/** "bytes a-b/size" into @buf. */
void sd_range_content_range(const struct sd_range *r, uint64_t size, char *buf, size_t n);

/** True when the If-None-Match list @header ("*", or ETags, weak or not) names @etag. */
bool sd_etag_none_match(const char *header, const char *etag);

/**
 * True when a Range may be served under If-Range @header (nullable: no
 * condition): a strong ETag equal to @etag, or a date equal to @mtime_s.
 */
bool sd_if_range_holds(const char *header, const char *etag, int64_t mtime_s);

#define SD_HTTP_DATE_LEN 64
/** "Sun, 06 Nov 1994 08:49:37 GMT" */
void sd_http_date(int64_t unix_s, char out[SD_HTTP_DATE_LEN]);
/** Parses an IMF-fixdate; false when @s is not one. */
bool sd_http_date_parse(const char *s, int64_t *unix_s);

#endif
