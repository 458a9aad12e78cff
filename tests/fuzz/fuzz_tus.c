/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target: the tus header parsers of src/domain/tus.c (Upload-Metadata,
 * Upload-Offset/Length, Upload-Checksum) and the media limits read from a
 * workspace's settings JSON. Input: one byte that picks the parser, then the
 * header text. Checks: parsed metadata has unique non-empty keys and values
 * of the length it says; numbers are within 0..2^53; every call gives a
 * status and, on error, a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "domain/tus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    char *text = malloc(size);
    SD_ASSERT(text != NULL);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct sd_err err = SD_ERR_INIT;
    sd_arena *a = sd_arena_new();
    switch (data[0] % 4) {
    case 0: {
        struct sd_tus_meta m[SD_TUS_META_MAX];
        size_t n = 0;
        sd_status st = sd_tus_metadata_parse(text, a, m, &n, &err);
        if (st == SD_OK) {
            SD_ASSERT(n <= SD_TUS_META_MAX);
            for (size_t i = 0; i < n; i++) {
                SD_ASSERT(m[i].key[0] != '\0');
                SD_ASSERT(m[i].value == NULL || m[i].value[m[i].value_len] == '\0');
                for (size_t k = 0; k < i; k++) {
                    SD_ASSERT(strcmp(m[i].key, m[k].key) != 0);
                }
                SD_ASSERT(sd_tus_meta_get(m, n, m[i].key) == m[i].value || i > 0);
            }
        } else {
            SD_ASSERT(st == SD_E_BAD_REQUEST && err.msg[0] != '\0');
        }
        break;
    }
    case 1: {
        int64_t v = -1;
        if (sd_tus_number("Upload-Offset", text, &v, &err) == SD_OK) {
            SD_ASSERT(v >= 0 && v <= SD_TUS_NUMBER_MAX);
        } else {
            SD_ASSERT(err.msg[0] != '\0');
        }
        break;
    }
    case 2: {
        unsigned char d[SD_TUS_SHA1_BYTES];
        sd_status st = sd_tus_checksum_parse(text, d, &err);
        SD_ASSERT(st == SD_OK || st == SD_E_BAD_REQUEST || st == SD_E_UNSUPPORTED);
        break;
    }
    default: {
        struct sd_media_limits lim;
        sd_media_limits_read(text, a, &lim);
        SD_ASSERT(lim.max_bytes > 0 && lim.max_duration_ms > 0 && lim.upload_expiry_ms > 0);
        SD_ASSERT(lim.types != NULL && lim.containers != NULL);
        (void)sd_media_listed(lim.types, text);
        break;
    }
    }
    sd_arena_free(a);
    free(text);
    return 0;
}
