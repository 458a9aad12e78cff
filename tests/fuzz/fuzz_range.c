/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target: the Range, If-None-Match and If-Range parsers and the
 * IMF-fixdate of src/http/range.c. Input: an 8-byte big-endian object size,
 * then the header text (without it, sizes 0, 1 and 1000 are tried). Checks:
 * SD_RANGE_OK lies inside the object and is not empty; Content-Range fits its
 * buffer and names the same bytes; a parsed date formats back to the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "http/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_range(const char *text, uint64_t size)
{
    struct sd_range r = {0, 0};
    enum sd_range_result res = sd_range_parse(text, size, &r);
    SD_ASSERT(res == SD_RANGE_NONE || res == SD_RANGE_OK || res == SD_RANGE_UNSATISFIABLE);
    if (res != SD_RANGE_OK) {
        return;
    }
    SD_ASSERT(r.length > 0);
    SD_ASSERT(r.start < size);
    SD_ASSERT(r.length <= size - r.start);
    char cr[SD_RANGE_CONTENT_RANGE_LEN];
    sd_range_content_range(&r, size, cr, sizeof(cr));
    unsigned long long a = 0, b = 0, n = 0;
    SD_ASSERT(sscanf(cr, "bytes %llu-%llu/%llu", &a, &b, &n) == 3);
    SD_ASSERT(a == r.start && b == r.start + r.length - 1 && n == size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) {
        return 0;
    }
    uint64_t obj = 0;
    bool has_size = size >= 8;
    if (has_size) {
        for (int i = 0; i < 8; i++) {
            obj = (obj << 8) | data[i];
        }
        data += 8;
        size -= 8;
    }
    char *text = sd_xstrndup((const char *)data, size);
    if (has_size) {
        check_range(text, obj);
    }
    check_range(text, 0);
    check_range(text, 1);
    check_range(text, 1000);

    (void)sd_etag_none_match(text, "\"md_1-mp4-1f4\"");
    (void)sd_etag_none_match(text, "W/\"x\"");
    (void)sd_if_range_holds(text, "\"md_1-mp4-1f4\"", 784111777);

    int64_t t = 0;
    if (sd_http_date_parse(text, &t)) {
        char again[SD_HTTP_DATE_LEN];
        sd_http_date(t, again);
        SD_ASSERT(strcmp(again, text) == 0);
        SD_ASSERT(sd_if_range_holds(text, NULL, t));
    }
    char date[SD_HTTP_DATE_LEN];
    sd_http_date((int64_t)obj, date);
    SD_ASSERT(strlen(date) == SD_HTTP_DATE_LEN - 1);
    free(text);
    return 0;
}
