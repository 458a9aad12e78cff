/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Structured logging; see log.h. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/banned.h"

static enum sd_log_level min_level = SD_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sd_log_set_level(enum sd_log_level level)
{
    min_level = level;
}

sd_status sd_log_parse_level(const char *s, enum sd_log_level *out)
{
    for (size_t i = 0; i < SD_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum sd_log_level)i;
            return SD_OK;
        }
    }
    return SD_E_INVALID;
}

bool sd_log_enabled(enum sd_log_level level)
{
    return level >= min_level;
}

void sd_log(enum sd_log_level level, const char *event, const char *fmt, ...)
{
    if (level < min_level) {
        return;
    }
    char line[2048];
    /* Formatting a date costs more than the rest of a line: keep this
     * thread's last one and redo only the milliseconds within its second. */
    static _Thread_local int64_t last_sec = -1;
    static _Thread_local char ts[SD_TIME_ISO_LEN];
    int64_t now = sd_clock_wall_ms();
    if (now / 1000 != last_sec) {
        sd_time_iso(now, ts);
        last_sec = now / 1000;
    }
    int ms = (int)(now % 1000);
    ts[20] = (char)('0' + ms / 100);
    ts[21] = (char)('0' + ms / 10 % 10);
    ts[22] = (char)('0' + ms % 10);
    int n = snprintf(line, sizeof(line), "ts=%s level=%s event=%s", ts, level_names[level], event);
    if (n < 0) {
        return;
    }
    size_t len = (size_t)n;
    if (fmt != NULL && len + 1 < sizeof(line)) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
        va_end(ap);
        if (m > 0) {
            len += (size_t)m;
        }
    }
    if (len > sizeof(line) - 2) {
        len = sizeof(line) - 2;
    }
    line[len++] = '\n';
    (void)!write(STDERR_FILENO, line, len);
}

const char *sd_log_quote(const char *s, char *out, size_t size)
{
    bool plain = s[0] != '\0';
    for (const char *p = s; *p && plain; p++) {
        if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20 || *p == 0x7f) {
            plain = false;
        }
    }
    size_t o = 0;
    if (plain) {
        while (*s && o + 1 < size) {
            out[o++] = *s++;
        }
        out[o] = '\0';
        return out;
    }
    if (size < 3) {
        out[0] = '\0';
        return out;
    }
    out[o++] = '"';
    for (; *s && o + 3 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            out[o++] = '?';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}
