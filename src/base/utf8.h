/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: UTF-8 checks for untrusted text. Strict: no overlong forms, no
 * surrogates, nothing above U+10FFFF. Pure, MT safe.
 */
#ifndef SD_BASE_UTF8_H
#define SD_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** True when the @n bytes at @s are valid UTF-8. */
bool sd_utf8_valid(const char *s, size_t n);
/** Number of code points in valid UTF-8 (counts lead bytes). */
size_t sd_utf8_len(const char *s, size_t n);
/** True when @s has a C0 control character other than tab, LF and CR, or DEL. */
bool sd_utf8_has_controls(const char *s, size_t n);

#endif
