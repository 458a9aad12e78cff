/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* 16 kHz mono PCM for speech recognition; see media.h. */
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>

#include "media/internal.h"
#include "base/wav.h"
#include "base/banned.h"

#define RATE 16000

struct pcm {
    AVFormatContext *fc;
    AVCodecContext *dec;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frame;
    FILE *fp;
    int64_t samples;
    int16_t buf[8192];
};

static sd_status write_samples(struct pcm *p, const AVFrame *f, const char *out, struct sd_err *err)
{
    for (;;) {
        uint8_t *dst = (uint8_t *)p->buf;
        /* swr_convert takes const uint8_t ** (FFmpeg 5) or const uint8_t *const * (later). */
        const uint8_t **in = NULL;
        if (f != NULL) {
            memcpy((void *)&in, (const void *)&f->extended_data, sizeof(in));
        }
        int n = swr_convert(p->swr, &dst, (int)(sizeof(p->buf) / sizeof(p->buf[0])), in,
                            f ? f->nb_samples : 0);
        if (n < 0) {
            return sd__media_fail(err, "cannot resample the sound", n);
        }
        if (n == 0) {
            return SD_OK;
        }
        if (fwrite(p->buf, 2, (size_t)n, p->fp) != (size_t)n) {
            return sd_err_set(err, SD_E_IO, NULL, "cannot write '%s'", out);
        }
        p->samples += n;
        f = NULL; /* then drain what swr buffered */
        if (n < (int)(sizeof(p->buf) / sizeof(p->buf[0]))) {
            return SD_OK;
        }
    }
}

static sd_status run(struct pcm *p, const char *in, const char *out, struct sd_err *err)
{
    sd_status st = sd__media_open(in, &p->fc, err);
    if (st != SD_OK) {
        return st;
    }
    int a = av_find_best_stream(p->fc, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (a < 0) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "the recording has no sound track");
    }
    const AVStream *s = p->fc->streams[a];
    const AVCodec *c = avcodec_find_decoder(s->codecpar->codec_id);
    p->dec = c ? avcodec_alloc_context3(c) : NULL;
    if (p->dec == NULL || avcodec_parameters_to_context(p->dec, s->codecpar) < 0 ||
        avcodec_open2(p->dec, c, NULL) < 0) {
        return sd_err_set(err, SD_E_MEDIA, NULL,
                          "the sound of the recording cannot be decoded (%s)",
                          avcodec_get_name(s->codecpar->codec_id));
    }
    AVChannelLayout in_layout, mono = AV_CHANNEL_LAYOUT_MONO;
    if (p->dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
        av_channel_layout_default(
            &in_layout, p->dec->ch_layout.nb_channels > 0 ? p->dec->ch_layout.nb_channels : 1);
    } else if (av_channel_layout_copy(&in_layout, &p->dec->ch_layout) < 0) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
    }
    int rc = swr_alloc_set_opts2(&p->swr, &mono, AV_SAMPLE_FMT_S16, RATE, &in_layout,
                                 p->dec->sample_fmt, p->dec->sample_rate, 0, NULL);
    av_channel_layout_uninit(&in_layout);
    if (rc < 0 || swr_init(p->swr) < 0) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "cannot resample the sound (%d Hz, %s)",
                          p->dec->sample_rate, av_get_sample_fmt_name(p->dec->sample_fmt));
    }
    p->fp = fopen(out, "wb");
    unsigned char h[SD_WAV_HEADER];
    sd_wav_header(h, RATE, 0);
    if (p->fp == NULL || fwrite(h, 1, sizeof(h), p->fp) != sizeof(h)) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot write '%s'", out);
    }
    bool at_end = false;
    while (st == SD_OK && !at_end) {
        rc = av_read_frame(p->fc, p->pkt);
        if (rc < 0) {
            at_end = true;
            rc = avcodec_send_packet(p->dec, NULL);
        } else if (p->pkt->stream_index != a) {
            av_packet_unref(p->pkt);
            continue;
        } else {
            rc = avcodec_send_packet(p->dec, p->pkt);
            av_packet_unref(p->pkt);
        }
        (void)rc; /* a damaged packet is skipped */
        while (st == SD_OK && avcodec_receive_frame(p->dec, p->frame) == 0) {
            st = write_samples(p, p->frame, out, err);
            av_frame_unref(p->frame);
        }
    }
    if (st == SD_OK) {
        st = write_samples(p, NULL, out, err);
    }
    if (st != SD_OK) {
        return st;
    }
    if (p->samples == 0) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "the sound track of the recording is empty");
    }
    if (p->samples > (INT64_C(0x7fffffff) - 36) / 2) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "the sound track is too long for one WAV file");
    }
    sd_wav_header(h, RATE, (uint32_t)(p->samples * 2));
    if (fseek(p->fp, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof(h), p->fp) != sizeof(h)) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot write '%s'", out);
    }
    return SD_OK;
}

sd_status sd_media_pcm(const char *in, const char *out, int64_t *samples_out, struct sd_err *err)
{
    struct pcm *p = av_mallocz(sizeof(*p));
    if (p == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
    }
    p->pkt = av_packet_alloc();
    p->frame = av_frame_alloc();
    sd_status st = p->pkt && p->frame ? run(p, in, out, err)
                                      : sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
    if (p->fp != NULL && fclose(p->fp) != 0 && st == SD_OK) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot write '%s'", out);
    }
    if (samples_out != NULL) {
        *samples_out = p->samples;
    }
    swr_free(&p->swr);
    avcodec_free_context(&p->dec);
    avformat_close_input(&p->fc);
    av_packet_free(&p->pkt);
    av_frame_free(&p->frame);
    av_free(p);
    return st;
}
