/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The transcode pass; see media.h.
 *
 * demux -> decode -> filter -> encode -> mux, one packet at a time:
 *   video: [transpose/flip] -> scale to fit -> yuv420p -> libx264 (CRF)
 *   audio: aresample -> fltp stereo or mono -> 1024-sample frames -> AAC
 * The filtered video frames also feed the poster and the sprite tiles
 * (swscale to the tile size into one canvas), so thumbnails cost no second
 * decode. The MP4 muxer's faststart moves the moov atom to the front when
 * the trailer is written.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "media/internal.h"
#include "base/banned.h"

struct lane {
    int index; /* input stream, -1 when none */
    AVStream *in;
    AVCodecContext *dec;
    AVCodecContext *enc;
    AVStream *out;
    AVFilterGraph *graph;
    AVFilterContext *src;
    AVFilterContext *sink;
    bool is_flushed;
};

struct tc {
    const struct sd_media_opts *o;
    AVFormatContext *ifc;
    AVFormatContext *ofc;
    struct lane v, a;
    AVFrame *frame;
    AVFrame *filt;
    AVPacket *pkt;
    sd_media_progress_fn progress;
    void *user;
    int last_pct;
    int64_t duration_ms;
    struct sd_media_result *res;
    /* thumbnails */
    bool has_poster;
    int tile_w, tile_h, cols, rows, max_tiles, n_tiles, n_max;
    int64_t interval_ms, next_tile_ms;
    AVFrame *canvas;
    struct SwsContext *tile_sws;
};

static sd_status av_fail(struct sd_err *err, const char *what, int rc)
{
    return sd__media_fail(err, what, rc);
}

static sd_status io_fail(struct sd_err *err, const char *what, const char *path, int rc)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = "";
    (void)av_strerror(rc, buf, sizeof(buf));
    return sd_err_set(err, SD_E_IO, NULL, "cannot %s '%s': %s", what, path, buf);
}

static sd_status open_decoder(struct lane *l, int threads, struct sd_err *err)
{
    const AVCodec *c = avcodec_find_decoder(l->in->codecpar->codec_id);
    if (c == NULL) {
        return sd_err_set(err, SD_E_MEDIA, NULL,
                          "the recording uses a codec that cannot be read (%s)",
                          avcodec_get_name(l->in->codecpar->codec_id));
    }
    l->dec = avcodec_alloc_context3(c);
    if (l->dec == NULL || avcodec_parameters_to_context(l->dec, l->in->codecpar) < 0) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "cannot set up the %s decoder", c->name);
    }
    l->dec->pkt_timebase = l->in->time_base;
    l->dec->thread_count = threads;
    int rc = avcodec_open2(l->dec, c, NULL);
    return rc < 0 ? av_fail(err, "cannot open the decoder of the recording", rc) : SD_OK;
}

/* Output size: upright, within max_w x max_h, even, aspect kept. */
static void fit(int w, int h, int rotation, int max_w, int max_h, int *ow, int *oh)
{
    if (rotation == 90 || rotation == 270) {
        int t = w;
        w = h;
        h = t;
    }
    double s = 1.0;
    if (w > max_w) {
        s = (double)max_w / w;
    }
    if (h * s > max_h) {
        s = (double)max_h / h;
    }
    *ow = ((int)(w * s + 0.5)) & ~1;
    *oh = ((int)(h * s + 0.5)) & ~1;
    if (*ow < 2) {
        *ow = 2;
    }
    if (*oh < 2) {
        *oh = 2;
    }
}

static sd_status graph_fail(struct sd_err *err, int rc)
{
    return av_fail(err, "cannot set up the picture and sound filters", rc);
}

static sd_status video_graph(struct tc *t, int ow, int oh, int rotation, struct sd_err *err)
{
    struct lane *l = &t->v;
    char args[512];
    l->graph = avfilter_graph_alloc();
    if (l->graph == NULL) {
        return graph_fail(err, AVERROR(ENOMEM));
    }
    l->graph->nb_threads = 1;
    AVRational sar =
        l->dec->sample_aspect_ratio.num ? l->dec->sample_aspect_ratio : (AVRational){1, 1};
    (void)snprintf(args, sizeof(args),
                   "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d", l->dec->width,
                   l->dec->height, l->dec->pix_fmt, l->in->time_base.num, l->in->time_base.den,
                   sar.num, sar.den);
    int rc = avfilter_graph_create_filter(&l->src, avfilter_get_by_name("buffer"), "in", args, NULL,
                                          l->graph);
    if (rc >= 0) {
        rc = avfilter_graph_create_filter(&l->sink, avfilter_get_by_name("buffersink"), "out", NULL,
                                          NULL, l->graph);
    }
    if (rc < 0) {
        return graph_fail(err, rc);
    }
    const char *turn = rotation == 90    ? "transpose=clock,"
                       : rotation == 180 ? "hflip,vflip,"
                       : rotation == 270 ? "transpose=cclock,"
                                         : "";
    char desc[256];
    (void)snprintf(desc, sizeof(desc), "%sscale=%d:%d:flags=bicubic,setsar=1,format=yuv420p", turn,
                   ow, oh);
    AVFilterInOut *outputs = avfilter_inout_alloc();
    AVFilterInOut *inputs = avfilter_inout_alloc();
    if (outputs == NULL || inputs == NULL) {
        avfilter_inout_free(&outputs);
        avfilter_inout_free(&inputs);
        return graph_fail(err, AVERROR(ENOMEM));
    }
    outputs->name = av_strdup("in");
    outputs->filter_ctx = l->src;
    inputs->name = av_strdup("out");
    inputs->filter_ctx = l->sink;
    rc = avfilter_graph_parse_ptr(l->graph, desc, &inputs, &outputs, NULL);
    avfilter_inout_free(&outputs);
    avfilter_inout_free(&inputs);
    if (rc >= 0) {
        rc = avfilter_graph_config(l->graph, NULL);
    }
    return rc < 0 ? graph_fail(err, rc) : SD_OK;
}

static sd_status audio_graph(struct tc *t, struct sd_err *err)
{
    struct lane *l = &t->a;
    char layout[128] = "";
    char args[512];
    AVChannelLayout in_layout;
    if (l->dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || l->dec->ch_layout.nb_channels == 0) {
        av_channel_layout_default(
            &in_layout, l->dec->ch_layout.nb_channels > 0 ? l->dec->ch_layout.nb_channels : 1);
    } else if (av_channel_layout_copy(&in_layout, &l->dec->ch_layout) < 0) {
        return graph_fail(err, AVERROR(ENOMEM));
    }
    (void)av_channel_layout_describe(&in_layout, layout, sizeof(layout));
    av_channel_layout_uninit(&in_layout);
    l->graph = avfilter_graph_alloc();
    if (l->graph == NULL) {
        return graph_fail(err, AVERROR(ENOMEM));
    }
    l->graph->nb_threads = 1;
    (void)snprintf(args, sizeof(args),
                   "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
                   l->in->time_base.num, l->in->time_base.den, l->dec->sample_rate,
                   av_get_sample_fmt_name(l->dec->sample_fmt), layout);
    int rc = avfilter_graph_create_filter(&l->src, avfilter_get_by_name("abuffer"), "in", args,
                                          NULL, l->graph);
    if (rc >= 0) {
        rc = avfilter_graph_create_filter(&l->sink, avfilter_get_by_name("abuffersink"), "out",
                                          NULL, NULL, l->graph);
    }
    if (rc < 0) {
        return graph_fail(err, rc);
    }
    char desc[256];
    char out_layout[64] = "";
    (void)av_channel_layout_describe(&l->enc->ch_layout, out_layout, sizeof(out_layout));
    (void)snprintf(desc, sizeof(desc),
                   "aresample=%d,aformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=%s",
                   l->enc->sample_rate, l->enc->sample_rate, out_layout);
    AVFilterInOut *outputs = avfilter_inout_alloc();
    AVFilterInOut *inputs = avfilter_inout_alloc();
    if (outputs == NULL || inputs == NULL) {
        avfilter_inout_free(&outputs);
        avfilter_inout_free(&inputs);
        return graph_fail(err, AVERROR(ENOMEM));
    }
    outputs->name = av_strdup("in");
    outputs->filter_ctx = l->src;
    inputs->name = av_strdup("out");
    inputs->filter_ctx = l->sink;
    rc = avfilter_graph_parse_ptr(l->graph, desc, &inputs, &outputs, NULL);
    avfilter_inout_free(&outputs);
    avfilter_inout_free(&inputs);
    if (rc >= 0) {
        rc = avfilter_graph_config(l->graph, NULL);
    }
    if (rc >= 0) {
        /* AAC takes frames of exactly frame_size samples. */
        av_buffersink_set_frame_size(l->sink, (unsigned)l->enc->frame_size);
    }
    return rc < 0 ? graph_fail(err, rc) : SD_OK;
}

static sd_status open_video(struct tc *t, struct sd_err *err)
{
    struct lane *l = &t->v;
    sd_status st = open_decoder(l, t->o->threads, err);
    if (st != SD_OK) {
        return st;
    }
    int ow = 0, oh = 0;
    int rotation = sd__media_rotation(l->in);
    fit(l->dec->width, l->dec->height, rotation, t->o->max_width > 0 ? t->o->max_width : 1920,
        t->o->max_height > 0 ? t->o->max_height : 1080, &ow, &oh);
    st = video_graph(t, ow, oh, rotation, err);
    if (st != SD_OK) {
        return st;
    }
    const AVCodec *c = avcodec_find_encoder_by_name("libx264");
    if (c == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL,
                          "the H.264 encoder libx264 is missing from this FFmpeg build");
    }
    l->enc = avcodec_alloc_context3(c);
    if (l->enc == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
    }
    l->enc->width = ow;
    l->enc->height = oh;
    l->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    l->enc->sample_aspect_ratio = (AVRational){1, 1};
    l->enc->time_base = av_buffersink_get_time_base(l->sink);
    AVRational fr = av_guess_frame_rate(t->ifc, l->in, NULL);
    if (fr.num > 0 && fr.den > 0 && av_q2d(fr) < 240) {
        l->enc->framerate = fr;
    }
    l->enc->thread_count = t->o->threads;
    if (t->ofc->oformat->flags & AVFMT_GLOBALHEADER) {
        l->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    }
    char crf[16];
    (void)snprintf(crf, sizeof(crf), "%d", t->o->crf > 0 ? t->o->crf : 28);
    (void)av_opt_set(l->enc->priv_data, "crf", crf, 0);
    (void)av_opt_set(l->enc->priv_data, "preset", t->o->preset ? t->o->preset : "veryfast", 0);
    int rc = avcodec_open2(l->enc, c, NULL);
    if (rc < 0) {
        return av_fail(err, "cannot open the H.264 encoder", rc);
    }
    l->out = avformat_new_stream(t->ofc, NULL);
    if (l->out == NULL || avcodec_parameters_from_context(l->out->codecpar, l->enc) < 0) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "cannot add the video stream");
    }
    l->out->time_base = l->enc->time_base;
    t->res->width = ow;
    t->res->height = oh;
    return SD_OK;
}

static sd_status open_audio(struct tc *t, struct sd_err *err)
{
    struct lane *l = &t->a;
    sd_status st = open_decoder(l, 1, err);
    if (st != SD_OK) {
        return st;
    }
    const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (c == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "the AAC encoder is missing");
    }
    l->enc = avcodec_alloc_context3(c);
    if (l->enc == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
    }
    static const int rates[] = {48000, 44100, 32000, 24000, 22050, 16000};
    int rate = 48000;
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        if (l->dec->sample_rate == rates[i]) {
            rate = rates[i];
        }
    }
    l->enc->sample_rate = rate;
    l->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&l->enc->ch_layout, l->dec->ch_layout.nb_channels >= 2 ? 2 : 1);
    l->enc->bit_rate = t->o->audio_bitrate > 0 ? t->o->audio_bitrate : 128000;
    l->enc->time_base = (AVRational){1, rate};
    if (t->ofc->oformat->flags & AVFMT_GLOBALHEADER) {
        l->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    }
    int rc = avcodec_open2(l->enc, c, NULL);
    if (rc < 0) {
        return av_fail(err, "cannot open the AAC encoder", rc);
    }
    st = audio_graph(t, err);
    if (st != SD_OK) {
        return st;
    }
    l->out = avformat_new_stream(t->ofc, NULL);
    if (l->out == NULL || avcodec_parameters_from_context(l->out->codecpar, l->enc) < 0) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "cannot add the audio stream");
    }
    l->out->time_base = l->enc->time_base;
    return SD_OK;
}

/* Drains the encoder of @l into the muxer; @flush sends the end first. */
static sd_status encode(struct tc *t, struct lane *l, const AVFrame *f, struct sd_err *err)
{
    int rc = avcodec_send_frame(l->enc, f);
    if (rc < 0 && rc != AVERROR_EOF) {
        return av_fail(err, "the encoder refused a frame", rc);
    }
    for (;;) {
        rc = avcodec_receive_packet(l->enc, t->pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
            return SD_OK;
        }
        if (rc < 0) {
            return av_fail(err, "encoding failed", rc);
        }
        t->pkt->stream_index = l->out->index;
        av_packet_rescale_ts(t->pkt, l->enc->time_base, l->out->time_base);
        rc = av_interleaved_write_frame(t->ofc, t->pkt);
        if (rc < 0) {
            return sd_err_set(err, SD_E_IO, NULL, "cannot write the video file (%s)",
                              av_err2str(rc));
        }
    }
}

/* JPEG of @f (yuv420p) scaled to @w x @h, into @path. */
static sd_status write_jpeg(const AVFrame *f, int w, int h, const char *path, struct sd_err *err)
{
    const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    AVCodecContext *enc = c ? avcodec_alloc_context3(c) : NULL;
    AVFrame *j = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    struct SwsContext *sws = NULL;
    sd_status st = SD_OK;
    if (enc == NULL || j == NULL || pkt == NULL) {
        st = sd_err_set(err, SD_E_INTERNAL, NULL, "the JPEG encoder is missing");
        goto out;
    }
    enc->width = w;
    enc->height = h;
    enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
    enc->time_base = (AVRational){1, 25};
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->global_quality = FF_QP2LAMBDA * 3;
    if (avcodec_open2(enc, c, NULL) < 0) {
        st = sd_err_set(err, SD_E_INTERNAL, NULL, "cannot open the JPEG encoder");
        goto out;
    }
    j->format = AV_PIX_FMT_YUVJ420P;
    j->width = w;
    j->height = h;
    j->quality = enc->global_quality;
    sws = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format, w, h,
                         AV_PIX_FMT_YUVJ420P, SWS_BICUBIC, NULL, NULL, NULL);
    if (sws == NULL || av_frame_get_buffer(j, 0) < 0) {
        st = sd_err_set(err, SD_E_INTERNAL, NULL, "cannot scale the picture");
        goto out;
    }
    (void)sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, j->data,
                    j->linesize);
    j->pts = 0;
    if (avcodec_send_frame(enc, j) < 0 || avcodec_send_frame(enc, NULL) < 0 ||
        avcodec_receive_packet(enc, pkt) < 0) {
        st = sd_err_set(err, SD_E_INTERNAL, NULL, "cannot encode the JPEG");
        goto out;
    }
    FILE *fp = fopen(path, "wb");
    if (fp == NULL || fwrite(pkt->data, 1, (size_t)pkt->size, fp) != (size_t)pkt->size) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot write '%s'", path);
    }
    if (fp != NULL && fclose(fp) != 0 && st == SD_OK) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot write '%s'", path);
    }
out:
    sws_freeContext(sws);
    av_packet_free(&pkt);
    av_frame_free(&j);
    avcodec_free_context(&enc);
    return st;
}

static sd_status thumbs_setup(struct tc *t, struct sd_err *err)
{
    const struct sd_media_opts *o = t->o;
    t->has_poster = o->poster_path != NULL;
    if (o->sprite_path == NULL || o->vtt_path == NULL || t->v.index < 0) {
        return SD_OK;
    }
    t->tile_w = (o->tile_width > 0 ? o->tile_width : 160) & ~1;
    t->tile_h = ((int)((int64_t)t->tile_w * t->res->height / t->res->width)) & ~1;
    if (t->tile_h < 2) {
        t->tile_h = 2;
    }
    t->max_tiles = o->max_tiles > 0 ? o->max_tiles : 100;
    t->cols = o->columns > 0 ? o->columns : 10;
    /* Every second or more, at most max_tiles tiles over the whole. */
    t->interval_ms = 1000;
    while (t->duration_ms / t->interval_ms >= t->max_tiles) {
        t->interval_ms += 1000;
    }
    int n = (int)(t->duration_ms / t->interval_ms) + 1;
    if (n > t->max_tiles) {
        n = t->max_tiles;
    }
    if (n < t->cols) {
        t->cols = n;
    }
    t->rows = (n + t->cols - 1) / t->cols;
    t->n_max = n;
    int cols = t->cols;
    t->canvas = av_frame_alloc();
    if (t->canvas == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
    }
    t->canvas->format = AV_PIX_FMT_YUV420P;
    t->canvas->width = cols * t->tile_w;
    t->canvas->height = t->rows * t->tile_h;
    if (av_frame_get_buffer(t->canvas, 0) < 0) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
    }
    /* Black, so tiles never filled show as such. */
    for (int y = 0; y < t->canvas->height; y++) {
        memset(t->canvas->data[0] + (ptrdiff_t)y * t->canvas->linesize[0], 16,
               (size_t)t->canvas->width);
    }
    for (int p = 1; p < 3; p++) {
        for (int y = 0; y < t->canvas->height / 2; y++) {
            memset(t->canvas->data[p] + (ptrdiff_t)y * t->canvas->linesize[p], 128,
                   (size_t)t->canvas->width / 2);
        }
    }
    t->tile_sws = sws_getContext(t->res->width, t->res->height, AV_PIX_FMT_YUV420P, t->tile_w,
                                 t->tile_h, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
    return t->tile_sws ? SD_OK : sd_err_set(err, SD_E_INTERNAL, NULL, "cannot scale tiles");
}

/* Takes the poster and the tiles that @f (filtered, at @ms) stands for. */
static sd_status thumbs_take(struct tc *t, const AVFrame *f, int64_t ms, struct sd_err *err)
{
    if (t->has_poster && ms >= t->o->poster_at_ms) {
        t->has_poster = false;
        int pw =
            t->o->poster_width > 0 && t->o->poster_width < f->width ? t->o->poster_width : f->width;
        int ph = ((int)((int64_t)pw * f->height / f->width)) & ~1;
        sd_status st = write_jpeg(f, pw & ~1, ph > 1 ? ph : 2, t->o->poster_path, err);
        if (st != SD_OK) {
            return st;
        }
    }
    while (t->canvas != NULL && t->n_tiles < t->n_max && ms >= t->next_tile_ms) {
        int col = t->n_tiles % t->cols;
        int row = t->n_tiles / t->cols;
        uint8_t *dst[4];
        int dst_ls[4];
        for (int p = 0; p < 3; p++) {
            int sx = p ? 1 : 0;
            dst[p] = t->canvas->data[p] +
                     (ptrdiff_t)((row * t->tile_h) >> sx) * t->canvas->linesize[p] +
                     ((col * t->tile_w) >> sx);
            dst_ls[p] = t->canvas->linesize[p];
        }
        dst[3] = NULL;
        dst_ls[3] = 0;
        (void)sws_scale(t->tile_sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                        dst, dst_ls);
        t->n_tiles++;
        t->next_tile_ms += t->interval_ms;
    }
    return SD_OK;
}

static void vtt_time(char *out, size_t n, int64_t ms)
{
    (void)snprintf(out, n, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%03" PRId64, ms / 3600000,
                   ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

static sd_status thumbs_finish(struct tc *t, int64_t end_ms, struct sd_err *err)
{
    if (t->canvas == NULL || t->n_tiles == 0) {
        return SD_OK;
    }
    sd_status st =
        write_jpeg(t->canvas, t->canvas->width, t->canvas->height, t->o->sprite_path, err);
    if (st != SD_OK) {
        return st;
    }
    FILE *fp = fopen(t->o->vtt_path, "w");
    if (fp == NULL) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot write '%s'", t->o->vtt_path);
    }
    int ok = fprintf(fp, "WEBVTT\n") > 0;
    for (int i = 0; i < t->n_tiles && ok; i++) {
        int64_t from = i * t->interval_ms;
        int64_t to = i + 1 == t->n_tiles ? end_ms : from + t->interval_ms;
        if (to <= from) {
            to = from + 1;
        }
        char a[32], b[32];
        vtt_time(a, sizeof(a), from);
        vtt_time(b, sizeof(b), to);
        ok = fprintf(fp, "\n%s --> %s\n%s#xywh=%d,%d,%d,%d\n", a, b,
                     t->o->sprite_url ? t->o->sprite_url : "sprite.jpg", i % t->cols * t->tile_w,
                     i / t->cols * t->tile_h, t->tile_w, t->tile_h) > 0;
    }
    if (fclose(fp) != 0 || !ok) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot write '%s'", t->o->vtt_path);
    }
    t->res->tiles = t->n_tiles;
    return SD_OK;
}

static sd_status report(struct tc *t, int64_t ms, struct sd_err *err)
{
    if (t->progress == NULL || t->duration_ms <= 0) {
        return SD_OK;
    }
    int pct = (int)(ms * 100 / t->duration_ms);
    pct = pct < 0 ? 0 : pct > 99 ? 99 : pct;
    if (pct == t->last_pct) {
        return SD_OK;
    }
    t->last_pct = pct;
    sd_status st = t->progress(t->user, pct);
    return st == SD_OK ? SD_OK : sd_err_set(err, st, NULL, "the transcode was stopped");
}

/* Pulls what the filters have for @l and encodes it. */
static sd_status drain_filter(struct tc *t, struct lane *l, struct sd_err *err)
{
    for (;;) {
        int rc = av_buffersink_get_frame(l->sink, t->filt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
            return SD_OK;
        }
        if (rc < 0) {
            return graph_fail(err, rc);
        }
        t->filt->pict_type = AV_PICTURE_TYPE_NONE;
        sd_status st = SD_OK;
        if (l == &t->v) {
            AVRational tb = av_buffersink_get_time_base(l->sink);
            int64_t ms = t->filt->pts != AV_NOPTS_VALUE
                             ? av_rescale_q(t->filt->pts, tb, (AVRational){1, 1000})
                             : 0;
            if (t->ifc->start_time != AV_NOPTS_VALUE) {
                ms -= av_rescale(t->ifc->start_time, 1000, AV_TIME_BASE);
            }
            st = thumbs_take(t, t->filt, ms, err);
            if (st == SD_OK) {
                st = report(t, ms, err);
            }
            t->res->frames++;
        }
        if (st == SD_OK) {
            st = encode(t, l, t->filt, err);
        }
        av_frame_unref(t->filt);
        if (st != SD_OK) {
            return st;
        }
    }
}

/* Decodes @pkt (NULL: the end) of lane @l and pushes the frames through. */
static sd_status decode(struct tc *t, struct lane *l, const AVPacket *pkt, struct sd_err *err)
{
    int rc = avcodec_send_packet(l->dec, pkt);
    if (rc < 0 && rc != AVERROR_EOF && rc != AVERROR(EAGAIN)) {
        return SD_OK; /* a damaged packet: skip it, the next keyframe recovers */
    }
    for (;;) {
        rc = avcodec_receive_frame(l->dec, t->frame);
        if (rc == AVERROR(EAGAIN)) {
            return SD_OK;
        }
        if (rc == AVERROR_EOF) {
            break;
        }
        if (rc < 0) {
            return SD_OK; /* a frame that does not decode is dropped */
        }
        t->frame->pts = t->frame->best_effort_timestamp;
        rc = av_buffersrc_add_frame_flags(l->src, t->frame, AV_BUFFERSRC_FLAG_KEEP_REF);
        av_frame_unref(t->frame);
        if (rc < 0) {
            /* The size or format changed mid-stream: frames we cannot take. */
            continue;
        }
        sd_status st = drain_filter(t, l, err);
        if (st != SD_OK) {
            return st;
        }
    }
    /* The decoder is drained: close the filters and the encoder. */
    if (!l->is_flushed) {
        l->is_flushed = true;
        rc = av_buffersrc_add_frame_flags(l->src, NULL, 0);
        sd_status st = rc < 0 ? graph_fail(err, rc) : drain_filter(t, l, err);
        if (st == SD_OK) {
            st = encode(t, l, NULL, err);
        }
        return st;
    }
    return SD_OK;
}

static void lane_free(struct lane *l)
{
    avcodec_free_context(&l->dec);
    avcodec_free_context(&l->enc);
    avfilter_graph_free(&l->graph);
}

static sd_status run(struct tc *t, const char *in, const char *out, struct sd_err *err)
{
    sd_status st = sd__media_open(in, &t->ifc, err);
    if (st != SD_OK) {
        return st;
    }
    t->v.index = av_find_best_stream(t->ifc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (t->v.index >= 0 &&
        (t->ifc->streams[t->v.index]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
        t->v.index = -1;
    }
    t->a.index = av_find_best_stream(t->ifc, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (t->v.index < 0 && t->a.index < 0) {
        return sd_err_set(err, SD_E_MEDIA, NULL, "the recording has neither video nor sound");
    }
    int rc = avformat_alloc_output_context2(&t->ofc, NULL, "mp4", out);
    if (rc < 0) {
        return av_fail(err, "cannot set up the MP4 writer", rc);
    }
    if (t->v.index >= 0) {
        t->v.in = t->ifc->streams[t->v.index];
        st = open_video(t, err);
    }
    if (st == SD_OK && t->a.index >= 0) {
        t->a.in = t->ifc->streams[t->a.index];
        st = open_audio(t, err);
    }
    if (st == SD_OK) {
        st = thumbs_setup(t, err);
    }
    if (st != SD_OK) {
        return st;
    }
    rc = avio_open(&t->ofc->pb, out, AVIO_FLAG_WRITE);
    if (rc < 0) {
        return io_fail(err, "write", out, rc);
    }
    AVDictionary *mux = NULL;
    (void)av_dict_set(&mux, "movflags", "+faststart", 0);
    rc = avformat_write_header(t->ofc, &mux);
    av_dict_free(&mux);
    if (rc < 0) {
        return io_fail(err, "write", out, rc);
    }
    int64_t packets = 0;
    for (;;) {
        rc = av_read_frame(t->ifc, t->pkt);
        if (rc < 0) {
            /* The end, or a truncated file: what was read is what there is. */
            break;
        }
        struct lane *l = t->pkt->stream_index == t->v.index   ? &t->v
                         : t->pkt->stream_index == t->a.index ? &t->a
                                                              : NULL;
        if (l != NULL) {
            packets++;
            st = decode(t, l, t->pkt, err);
        }
        av_packet_unref(t->pkt);
        if (st != SD_OK) {
            return st;
        }
    }
    if (t->v.index >= 0) {
        st = decode(t, &t->v, NULL, err);
    }
    if (st == SD_OK && t->a.index >= 0) {
        st = decode(t, &t->a, NULL, err);
    }
    if (st != SD_OK) {
        return st;
    }
    if (packets == 0 || (t->v.index >= 0 && t->res->frames == 0)) {
        return sd_err_set(err, SD_E_MEDIA, NULL,
                          "the recording is truncated or corrupt: no frame could be decoded");
    }
    rc = av_write_trailer(t->ofc);
    if (rc < 0) {
        return io_fail(err, "finish", out, rc);
    }
    int64_t end_ms = 0;
    for (unsigned i = 0; i < t->ofc->nb_streams; i++) {
        const AVStream *s = t->ofc->streams[i];
        int64_t d =
            s->duration > 0 ? av_rescale_q(s->duration, s->time_base, (AVRational){1, 1000}) : 0;
        end_ms = d > end_ms ? d : end_ms;
    }
    t->res->duration_ms = end_ms > 0 ? end_ms : t->duration_ms;
    return thumbs_finish(t, t->res->duration_ms, err);
}

sd_status sd_media_transcode(const char *in, const char *out, const struct sd_media_opts *opts,
                             sd_media_progress_fn progress, void *user, struct sd_media_result *res,
                             struct sd_err *err)
{
    struct tc t = {.o = opts, .progress = progress, .user = user, .last_pct = -1, .res = res};
    memset(res, 0, sizeof(*res));
    t.v.index = -1;
    t.a.index = -1;
    t.duration_ms = opts->duration_ms;
    t.frame = av_frame_alloc();
    t.filt = av_frame_alloc();
    t.pkt = av_packet_alloc();
    sd_status st = t.frame && t.filt && t.pkt
                       ? run(&t, in, out, err)
                       : sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
    lane_free(&t.v);
    lane_free(&t.a);
    if (t.ofc != NULL) {
        if (t.ofc->pb != NULL) {
            (void)avio_closep(&t.ofc->pb);
        }
        avformat_free_context(t.ofc);
    }
    avformat_close_input(&t.ifc);
    av_frame_free(&t.frame);
    av_frame_free(&t.filt);
    av_frame_free(&t.canvas);
    av_packet_free(&t.pkt);
    sws_freeContext(t.tile_sws);
    if (st == SD_OK && progress != NULL) {
        st = progress(user, 100);
        if (st != SD_OK) {
            st = sd_err_set(err, st, NULL, "the transcode was stopped");
        }
    }
    return st;
}
