/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The RIFF/WAVE header of 16-bit mono PCM: see wav.h. */
#include "base/wav.h"

#include "base/banned.h"

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8 & 0xff);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

/* The four bytes of a RIFF tag, without its NUL. */
static void put_tag(unsigned char *p, const char *tag)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)tag[i];
    }
}

void sd_wav_header(unsigned char h[SD_WAV_HEADER], uint32_t rate, uint32_t data_bytes)
{
    put_tag(h, "RIFF");
    put32(h + 4, 36 + data_bytes);
    put_tag(h + 8, "WAVE");
    put_tag(h + 12, "fmt ");
    put32(h + 16, 16);
    put16(h + 20, 1); /* PCM */
    put16(h + 22, 1); /* mono */
    put32(h + 24, rate);
    put32(h + 28, rate * 2);
    put16(h + 32, 2);
    put16(h + 34, 16);
    put_tag(h + 36, "data");
    put32(h + 40, data_bytes);
}
