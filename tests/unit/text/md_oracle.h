/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The oracle of src/text/md.c's HTML, written apart from it and shared by
 * its unit tests and its fuzz target: it walks the HTML and accepts only
 * valid UTF-8, our tags and attributes, escaped text, href/src values whose
 * scheme (as a browser parses it) is http, https, mailto or none, and rel on
 * every link.
 */
#ifndef SD_TESTS_MD_ORACLE_H
#define SD_TESTS_MD_ORACLE_H

#include <stddef.h>

/** NULL when @h (@n bytes) is safe HTML of ours, else what is wrong. */
const char *md_html_problem(const char *h, size_t n);

#endif
