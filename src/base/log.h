/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: structured logs, one line per event.
 *
 * Each line is logfmt: `ts=... level=info event=http.request key=value ...`,
 * written with one write(2) to stderr so that lines of different threads
 * never interleave. Values that may hold spaces or quotes go through
 * sd_log_quote. Never log a secret (keys, passwords, tokens, cookies).
 * MT safe.
 */
#ifndef SD_BASE_LOG_H
#define SD_BASE_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

enum sd_log_level { SD_LOG_DEBUG, SD_LOG_INFO, SD_LOG_WARN, SD_LOG_ERROR };

/** Sets the lowest level written; default info. Call before starting threads. */
void sd_log_set_level(enum sd_log_level level);
/** Parses "debug", "info", "warn" or "error". */
SD_MUST_CHECK sd_status sd_log_parse_level(const char *s, enum sd_log_level *out);
bool sd_log_enabled(enum sd_log_level level);

/**
 * Writes one line: the time, @level, @event, then the formatted @fmt, which
 * should be space-separated key=value pairs (nullable for none).
 */
void sd_log(enum sd_log_level level, const char *event, const char *fmt, ...) SD_PRINTF(3, 4);

/**
 * Quotes @s for a logfmt value into @out of @size bytes: plain when it has no
 * space, quote, '=' or control byte, else in double quotes with escapes; cut
 * to fit. Returns @out.
 */
const char *sd_log_quote(const char *s, char *out, size_t size);

#endif
