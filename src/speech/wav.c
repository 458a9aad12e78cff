/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: reading the WAV files speech engines take; see internal.h.
 *
 * The file is mapped read-only and the samples are used in place (RIFF
 * chunks start at even offsets, so 16-bit samples are aligned), so a long
 * recording costs page cache, not heap. The header is walked chunk by chunk:
 * "fmt " must say PCM (or WAVE_FORMAT_EXTENSIBLE with a PCM subformat),
 * 16000 Hz, one channel, 16 bits; "data" gives the samples. A data size past
 * the end of the file (a WAV written to a pipe says 0 or 0xffffffff) is cut
 * to what the file holds. Hosts are little-endian, like the format.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "speech/internal.h"
#include "base/banned.h"

#define WAVE_FORMAT_PCM        1
#define WAVE_FORMAT_EXTENSIBLE 0xfffe

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

#define NEEDS                                                                                      \
    "speech needs 16000 Hz mono 16-bit PCM WAV (showdesk transcribe converts any recording)"

static sd_status check_fmt(const char *path, const unsigned char *f, uint32_t len,
                           struct sd_err *err)
{
    if (len < 16) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "'%s' has a damaged WAV header; " NEEDS, path);
    }
    unsigned format = get16(f);
    if (format == WAVE_FORMAT_EXTENSIBLE && len >= 26) {
        format = get16(f + 24); /* the first two bytes of the subformat GUID */
    }
    unsigned channels = get16(f + 2);
    uint32_t rate = get32(f + 4);
    unsigned bits = get16(f + 14);
    if (format != WAVE_FORMAT_PCM) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "'%s' is not PCM (WAV format tag %u); " NEEDS,
                          path, format);
    }
    if (rate != SD__SPEECH_RATE || channels != 1 || bits != 16) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "'%s' is %u Hz, %u channel(s), %u-bit; " NEEDS,
                          path, (unsigned)rate, channels, bits);
    }
    return SD_OK;
}

static sd_status parse(const char *path, const unsigned char *p, size_t len,
                       struct sd__speech_audio *out, struct sd_err *err)
{
    if (len < 12 || memcmp(p, "RIFF", 4) != 0 || memcmp(p + 8, "WAVE", 4) != 0) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "'%s' is not a WAV file; " NEEDS, path);
    }
    bool has_fmt = false;
    size_t off = 12;
    while (off + 8 <= len) {
        const unsigned char *id = p + off;
        uint32_t size = get32(p + off + 4);
        size_t body = off + 8;
        size_t avail = len - body;
        if (memcmp(id, "fmt ", 4) == 0) {
            sd_status st = check_fmt(path, p + body, size <= avail ? size : 0, err);
            if (st != SD_OK) {
                return st;
            }
            has_fmt = true;
        } else if (memcmp(id, "data", 4) == 0) {
            if (!has_fmt) {
                break;
            }
            size_t n = size <= avail ? size : avail;
            /* RIFF chunks are word-aligned, so this holds in any well-formed file. */
            if (body % 2 != 0) {
                return sd_err_set(err, SD_E_MEDIA, NULL,
                                  "'%s' has a damaged WAV header (odd data offset); " NEEDS, path);
            }
            out->pcm = (const int16_t *)(const void *)(p + body);
            out->n_samples = n / 2;
            return SD_OK;
        }
        if (size > avail) {
            break;
        }
        off = body + size + (size & 1);
    }
    return sd_err_set(err, SD_E_MEDIA, NULL, "'%s' has no %s chunk; " NEEDS, path,
                      has_fmt ? "data" : "fmt");
}

sd_status sd__speech_wav_open(const char *path, struct sd__speech_audio *out, struct sd_err *err)
{
    memset(out, 0, sizeof(*out));
    out->path = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot open '%s': %s", path, strerror(errno));
    }
    struct stat sb;
    sd_status st = SD_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot read '%s': not a regular file", path);
    } else if (sb.st_size == 0) {
        st = sd_err_set(err, SD_E_MEDIA, NULL, "'%s' is empty (0 bytes); " NEEDS, path);
    } else {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            st = sd_err_set(err, SD_E_IO, NULL, "cannot read '%s': %s", path, strerror(errno));
        } else {
            out->map = m;
            out->map_len = (size_t)sb.st_size;
            st = parse(path, m, out->map_len, out, err);
        }
    }
    (void)close(fd);
    if (st != SD_OK) {
        sd__speech_wav_close(out);
        out->path = path;
    }
    return st;
}

void sd__speech_wav_close(struct sd__speech_audio *a)
{
    if (a->map != NULL) {
        (void)munmap(a->map, a->map_len);
    }
    memset(a, 0, sizeof(*a));
}
