/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Opening inputs and probing them; see media.h. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>
#include <libavutil/display.h>
#include <libavutil/log.h>

#include "media/internal.h"
#include "base/banned.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init(void)
{
    /* The library's own warnings about damaged input would flood the log;
     * what matters reaches the caller as an error. */
    av_log_set_level(AV_LOG_FATAL);
}

void sd__media_init(void)
{
    (void)pthread_once(&init_once, init);
}

sd_status sd__media_fail(struct sd_err *err, const char *what, int averr)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = "";
    (void)av_strerror(averr, buf, sizeof(buf));
    return sd_err_set(err, SD_E_MEDIA, NULL, "%s (%s)", what, buf);
}

sd_status sd__media_open(const char *path, AVFormatContext **out, struct sd_err *err)
{
    sd__media_init();
    struct stat sb;
    if (stat(path, &sb) != 0) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot read the recording '%s'", path);
    }
    if (sb.st_size == 0) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "the recording is empty (0 bytes)");
    }
    AVFormatContext *fc = NULL;
    int rc = avformat_open_input(&fc, path, NULL, NULL);
    if (rc < 0) {
        return sd__media_fail(err,
                              "the file is not a video or audio recording, or it is truncated or "
                              "corrupt",
                              rc);
    }
    rc = avformat_find_stream_info(fc, NULL);
    if (rc < 0) {
        avformat_close_input(&fc);
        return sd__media_fail(err, "the recording is truncated or corrupt", rc);
    }
    bool any = false;
    for (unsigned i = 0; i < fc->nb_streams; i++) {
        const AVCodecParameters *p = fc->streams[i]->codecpar;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(fc->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            if (p->width <= 0 || p->height <= 0 || p->width > SD_MEDIA_MAX_DIM ||
                p->height > SD_MEDIA_MAX_DIM) {
                avformat_close_input(&fc);
                return sd_err_set(err, SD_E_MEDIA, NULL,
                                  "the video is %dx%d; pictures up to %dx%d are taken", p->width,
                                  p->height, SD_MEDIA_MAX_DIM, SD_MEDIA_MAX_DIM);
            }
            any = true;
        } else if (p->codec_type == AVMEDIA_TYPE_AUDIO) {
            any = true;
        }
    }
    if (!any) {
        avformat_close_input(&fc);
        return sd_err_set(err, SD_E_MEDIA, NULL,
                          "the file is not a video or audio recording (no media streams found)");
    }
    *out = fc;
    return SD_OK;
}

int sd__media_rotation(const AVStream *st)
{
    const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (m == NULL) {
        return 0;
    }
    /* av_display_rotation_get gives degrees counter-clockwise. */
    double theta = -av_display_rotation_get((const int32_t *)(const void *)m);
    if (isnan(theta)) {
        return 0;
    }
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    if (fabs(theta - 90) < 1) {
        return 90;
    }
    if (fabs(theta - 180) < 1) {
        return 180;
    }
    if (fabs(theta - 270) < 1) {
        return 270;
    }
    return 0;
}

static void copy_name(char *dst, size_t n, const char *src)
{
    (void)snprintf(dst, n, "%s", src ? src : "");
}

/* Matroska and WebM share a demuxer: WebM holds only the codecs it allows. */
static bool webm_codecs_only(const AVFormatContext *fc)
{
    for (unsigned i = 0; i < fc->nb_streams; i++) {
        enum AVCodecID id = fc->streams[i]->codecpar->codec_id;
        enum AVMediaType t = fc->streams[i]->codecpar->codec_type;
        if ((t == AVMEDIA_TYPE_VIDEO || t == AVMEDIA_TYPE_AUDIO) && id != AV_CODEC_ID_VP8 &&
            id != AV_CODEC_ID_VP9 && id != AV_CODEC_ID_AV1 && id != AV_CODEC_ID_OPUS &&
            id != AV_CODEC_ID_VORBIS) {
            return false;
        }
    }
    return true;
}

static void container_of(const AVFormatContext *fc, char *out, size_t n)
{
    const char *name = fc->iformat->name;
    if (strncmp(name, "matroska", 8) == 0) {
        copy_name(out, n, webm_codecs_only(fc) ? "webm" : "matroska");
    } else if (strncmp(name, "mov", 3) == 0) {
        const AVDictionaryEntry *brand = av_dict_get(fc->metadata, "major_brand", NULL, 0);
        copy_name(out, n, brand && strncmp(brand->value, "qt", 2) == 0 ? "mov" : "mp4");
    } else {
        char first[16];
        copy_name(first, sizeof(first), name);
        first[strcspn(first, ",")] = '\0';
        copy_name(out, n, first);
    }
}

/* The end of the last packet, in ms: for files whose header has no duration. */
static int64_t scan_duration(AVFormatContext *fc)
{
    AVPacket *pkt = av_packet_alloc();
    int64_t end_ms = 0;
    if (pkt == NULL) {
        return 0;
    }
    while (av_read_frame(fc, pkt) >= 0) {
        const AVStream *st = fc->streams[pkt->stream_index];
        int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        if (ts != AV_NOPTS_VALUE && (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO ||
                                     st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)) {
            int64_t start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
            int64_t e = av_rescale_q(ts - start + (pkt->duration > 0 ? pkt->duration : 0),
                                     st->time_base, (AVRational){1, 1000});
            if (e > end_ms) {
                end_ms = e;
            }
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    return end_ms;
}

sd_status sd_media_probe(const char *path, struct sd_media_info *out, struct sd_err *err)
{
    memset(out, 0, sizeof(*out));
    AVFormatContext *fc = NULL;
    sd_status st = sd__media_open(path, &fc, err);
    if (st != SD_OK || fc == NULL) {
        return st != SD_OK ? st : sd_err_set(err, SD_E_INTERNAL, NULL, "no format context");
    }
    container_of(fc, out->container, sizeof(out->container));
    int v = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    int a = av_find_best_stream(fc, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (v >= 0 && (fc->streams[v]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
        v = -1; /* cover art is no video */
    }
    if (v >= 0) {
        const AVStream *vs = fc->streams[v];
        out->has_video = true;
        copy_name(out->video_codec, sizeof(out->video_codec),
                  avcodec_get_name(vs->codecpar->codec_id));
        out->width = vs->codecpar->width;
        out->height = vs->codecpar->height;
        out->rotation = sd__media_rotation(vs);
    }
    if (a >= 0) {
        out->has_audio = true;
        copy_name(out->audio_codec, sizeof(out->audio_codec),
                  avcodec_get_name(fc->streams[a]->codecpar->codec_id));
    }
    out->bit_rate = fc->bit_rate > 0 ? fc->bit_rate : 0;
    bool trust = fc->duration != AV_NOPTS_VALUE && fc->duration > 0 &&
                 fc->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE;
    if (trust) {
        out->duration_ms = av_rescale(fc->duration, 1000, AV_TIME_BASE);
    } else {
        out->duration_ms = scan_duration(fc);
    }
    avformat_close_input(&fc);
    if (out->duration_ms <= 0) {
        return sd_err_set(err, SD_E_MEDIA, NULL,
                          "the recording holds no frames or sound (it lasts 0 s)");
    }
    return SD_OK;
}
