/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Functions that are easy to misuse (unbounded copies, static buffers,
 * silent parse failures). Included last in every .c file, after every other
 * header, so that a use of one is a compile error. Use snprintf, sd_buf,
 * strtol with end checks, gmtime_r and localtime_r instead.
 */
#ifndef SD_BASE_BANNED_H
#define SD_BASE_BANNED_H

#define SD_BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) SD_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SD_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SD_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) SD_BANNED(strncat)
#undef sprintf
#define sprintf(...) SD_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SD_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) SD_BANNED(strtok)
#undef gets
#define gets(x) SD_BANNED(gets)
#undef atoi
#define atoi(x) SD_BANNED(atoi)
#undef atol
#define atol(x) SD_BANNED(atol)
#undef gmtime
#define gmtime(x) SD_BANNED(gmtime)
#undef localtime
#define localtime(x) SD_BANNED(localtime)
#undef ctime
#define ctime(x) SD_BANNED(ctime)

#endif
