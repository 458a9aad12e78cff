/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: what the files of src/media/ share: opening an input with limits,
 * the library's error text, and quieting its log. Internal to src/media/.
 */
#ifndef SD_MEDIA_INTERNAL_H
#define SD_MEDIA_INTERNAL_H

#include <libavformat/avformat.h>

#include "media/media.h"

/** Sets up the libraries once (log level); MT safe. */
void sd__media_init(void);

/** "the recording is truncated or corrupt: <what the library said>" */
sd_status sd__media_fail(struct sd_err *err, const char *what, int averr);

/**
 * Opens @path for reading and reads its stream headers, refusing empty
 * files, files that are no media, and pictures over SD_MEDIA_MAX_DIM.
 */
SD_MUST_CHECK sd_status sd__media_open(const char *path, AVFormatContext **out, struct sd_err *err);

/** Degrees clockwise that turn the stream's picture upright: 0, 90, 180 or 270. */
int sd__media_rotation(const AVStream *st);

#endif
