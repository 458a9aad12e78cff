/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: media processing with the FFmpeg libraries (libavformat,
 * libavcodec, libavfilter, libswscale, libswresample); the only folder that
 * includes their headers.
 *
 *  - probe: container, codecs, duration, size and rotation of a file. A
 *    Matroska/WebM file whose header has no duration (MediaRecorder writes
 *    them so) is measured by reading its packets to the end, demuxing only.
 *  - transcode: one decode pass that writes H.264 (libx264, CRF) + AAC in an
 *    MP4 with the moov atom first, fitted within 1920x1080, upright
 *    (rotation applied), and, from the same decoded frames, the poster JPEG
 *    and a thumbnail sprite JPEG with its WebVTT track. Timestamps are kept,
 *    so variable frame rates from screen recorders stay in sync.
 *  - pcm: 16 kHz mono signed 16-bit WAV for speech recognition.
 *
 * Files come in and go out by path: callers decrypt into a private scratch
 * folder and seal the results (jobs/media_job.c), so this module never sees
 * the blob store. Errors a person can act on are SD_E_MEDIA with a message
 * about the recording ("the recording is truncated or corrupt: ..."); a
 * failure to write is SD_E_IO. Nothing here crashes on a hostile file: each
 * step checks what the libraries return, sizes are capped, and a corrupt
 * packet is skipped rather than trusted.
 *
 * Threads: every call has its own contexts; calls on several threads at once
 * are fine. libx264 and the decoders use up to cfg threads each.
 */
#ifndef SD_MEDIA_MEDIA_H
#define SD_MEDIA_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define SD_MEDIA_MAX_DIM 8192 /* wider or taller input is refused */

struct sd_media_info {
    char container[16]; /* webm, matroska, mp4, mov, ogg, mp3, wav, ... */
    char video_codec[16];
    char audio_codec[16];
    bool has_video;
    bool has_audio;
    int64_t duration_ms;
    int width, height; /* as stored, before rotation */
    int rotation;      /* degrees clockwise to turn the picture upright: 0, 90, 180, 270 */
    int64_t bit_rate;  /* 0 when unknown */
};

struct sd_media_opts {
    int crf;            /* libx264 quality, 0..51: 28 */
    const char *preset; /* libx264 speed: "veryfast" */
    int max_width;      /* the picture fits in max_width x max_height: 1920 x 1080 */
    int max_height;
    int audio_bitrate; /* AAC bits per second: 128000 */
    int threads;       /* of the encoder and decoders; 0 = the library's choice */
    /* Thumbnails from the same pass; a NULL path skips one. */
    const char *poster_path;
    int64_t poster_at_ms; /* the first frame at or after it */
    int poster_width;     /* at most, keeping the aspect ratio */
    const char *sprite_path;
    const char *vtt_path;
    const char *sprite_url; /* what the WebVTT cues point at: "sprite.jpg" */
    int tile_width;         /* 160 */
    int columns;            /* 10 */
    int max_tiles;          /* 100: the interval grows for long recordings */
    int64_t duration_ms;    /* from the probe, to space the tiles and report progress */
};

#define SD_MEDIA_OPTS_DEFAULT                                                                      \
    {                                                                                              \
        .crf = 28, .preset = "veryfast", .max_width = 1920, .max_height = 1080,                    \
        .audio_bitrate = 128000, .poster_at_ms = 1000, .poster_width = 1280, .tile_width = 160,    \
        .columns = 10, .max_tiles = 100, .sprite_url = "sprite.jpg"                                \
    }

struct sd_media_result {
    int width, height; /* of the video written */
    int64_t duration_ms;
    int64_t frames; /* video frames written */
    int tiles;      /* sprite tiles */
};

/* Called with 0..100 as the transcode goes; anything but SD_OK stops it with that status. */
typedef sd_status (*sd_media_progress_fn)(void *user, int percent);

/** Describes the file at @path; SD_E_MEDIA when it is not usable media. */
SD_MUST_CHECK sd_status sd_media_probe(const char *path, struct sd_media_info *out,
                                       struct sd_err *err);

/**
 * Transcodes @in to an MP4 at @out (H.264 + AAC, moov first) and writes the
 * thumbnails @opts asks for. Input without sound gives a video-only file.
 * @progress is nullable.
 */
SD_MUST_CHECK sd_status sd_media_transcode(const char *in, const char *out,
                                           const struct sd_media_opts *opts,
                                           sd_media_progress_fn progress, void *user,
                                           struct sd_media_result *res, struct sd_err *err);

/** Writes the sound of @in as a 16 kHz mono 16-bit WAV file; SD_E_MEDIA without sound. */
SD_MUST_CHECK sd_status sd_media_pcm(const char *in, const char *out, int64_t *samples_out,
                                     struct sd_err *err);

#endif
