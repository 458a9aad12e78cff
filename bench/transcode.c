/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: bench-transcode, the transcode of make bench (bench/run.sh, entry
 * 3). It runs what a media.process job runs on a recording, minus the blob
 * store and the database: sd_media_probe, then sd_media_transcode with
 * SD_MEDIA_OPTS_DEFAULT, and with a THUMBS folder also the poster, the
 * sprite and its WebVTT track from the same pass, as the server does. The
 * caller measures it from outside (/usr/bin/time -v), like the ffmpeg
 * command line it is compared with.
 *
 *   bench-transcode IN OUT.mp4 [THUMBS_DIR]
 *
 * Prints one line with what was written; exits 1 with the error otherwise.
 * One thread of its own; the libraries use their own threads.
 */
#include <inttypes.h>
#include <stdio.h>

#include "media/media.h"
#include "base/banned.h"

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        (void)fprintf(stderr, "usage: bench-transcode IN OUT.mp4 [THUMBS_DIR]\n");
        return 2;
    }
    struct sd_err err = SD_ERR_INIT;
    struct sd_media_info in = {0};
    if (sd_media_probe(argv[1], &in, &err) != SD_OK) {
        (void)fprintf(stderr, "bench-transcode: cannot probe '%s': %s\n", argv[1], err.msg);
        return 1;
    }
    char poster[4096], sprite[4096], vtt[4096];
    struct sd_media_opts opts = SD_MEDIA_OPTS_DEFAULT;
    /* As src/jobs/media_job.c sets them. */
    opts.duration_ms = in.duration_ms;
    opts.poster_at_ms = in.duration_ms > 2000 ? 1000 : 0;
    if (argc == 4 && in.has_video) {
        (void)snprintf(poster, sizeof(poster), "%s/poster.jpg", argv[3]);
        (void)snprintf(sprite, sizeof(sprite), "%s/sprite.jpg", argv[3]);
        (void)snprintf(vtt, sizeof(vtt), "%s/thumbnails.vtt", argv[3]);
        opts.poster_path = poster;
        opts.sprite_path = sprite;
        opts.vtt_path = vtt;
    }
    struct sd_media_result res = {0};
    if (sd_media_transcode(argv[1], argv[2], &opts, NULL, NULL, &res, &err) != SD_OK) {
        (void)fprintf(stderr, "bench-transcode: cannot transcode '%s': %s\n", argv[1], err.msg);
        return 1;
    }
    (void)printf("bench-transcode: %dx%d, %" PRId64 " ms, %" PRId64 " frames, %d tiles\n",
                 res.width, res.height, res.duration_ms, res.frames, res.tiles);
    return 0;
}
