/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: Markdown of knowledge-base articles to safe HTML and to plain text.
 *
 * Article bodies are written by agents and imported from other help desks,
 * so they are untrusted: the HTML goes into pages that customers open. md4c
 * (the only file that includes md4c.h is md.c) parses GitHub-flavoured
 * Markdown with raw HTML turned off, and our own callbacks write the output;
 * md4c-html is not used, because it passes raw HTML and every URL through.
 *
 * Flow: the input is first copied into a clean form in which invalid UTF-8 is
 * U+FFFD (one per maximal invalid subpart, as the Unicode standard advises),
 * NUL is dropped and every other control character (C0 but tab, LF and CR;
 * DEL; C1) is U+FFFD; md4c parses that copy; the callbacks append to @out.
 *
 * Invariants of the HTML, whatever the input:
 *  - every tag and attribute name comes from this file; text from the input
 *    only ever appears HTML-escaped (& < > " '), in text or in a double-quoted
 *    attribute value. Raw HTML in the source (`<script>`, `<!-- -->`, ...) is
 *    text.
 *  - an entity of the source is decoded by us when numeric (code points that
 *    are not characters become U+FFFD) and escaped again; a named entity
 *    stays as written only in text and titles, where the browser's decoding
 *    cannot make markup.
 *  - an href or src is the decoded URL, checked, then written with every byte
 *    outside the URL character set percent-encoded, so the browser sees the
 *    very string that was checked. Allowed: a URL whose first ':' (if any)
 *    follows a '/', '?' or '#' (relative), or whose scheme is http, https or
 *    mailto, in any case, after the leading bytes <= 0x20 that browsers skip
 *    and without the tab and newlines they drop. Named entities in a URL
 *    are decoded from a small table; any other stays literal text ("&amp;").
 *    A refused link renders its text only, a refused image its alt text.
 *    Links carry rel="nofollow noopener noreferrer".
 *  - a code block's class="language-x" is written only when x is 1-64 of
 *    [A-Za-z0-9_+-].
 *  - output is appended to @out and bounded by @out->max; on any error @out
 *    is put back to its length at the call, so no partial HTML remains.
 *
 * sd_md_text writes what a reader sees as words: text, link text, alt text
 * and code, entities decoded, no URL, title or markup. Blocks (and table
 * rows and code lines) are separated by one newline, everything else by one
 * space; it has no leading or trailing space and no control character but
 * LF. It is plain text: escape it before putting it into HTML.
 *
 * Inputs above SD_MD_INPUT_MAX bytes are refused before anything is
 * allocated. Pure functions over caller memory: MT safe, any thread.
 */
#ifndef SD_TEXT_MD_H
#define SD_TEXT_MD_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Largest Markdown input, in bytes; the clean copy can be 3 times as big. */
#define SD_MD_INPUT_MAX ((size_t)16 * 1024 * 1024)

/**
 * Renders Markdown @md (@len bytes, any bytes; nullable when @len is 0) as
 * HTML into @out. Safe for untrusted input: raw HTML is escaped text, every
 * text and attribute is escaped, links and images keep only relative, http,
 * https and mailto URLs (see the DESIGN comment).
 *
 * The HTML is appended to @out (borrowed; the caller still owns it and its
 * storage). Returns SD_OK; SD_E_TOO_LARGE when @len passes SD_MD_INPUT_MAX
 * or the HTML would pass @out->max; SD_E_INTERNAL when md4c fails (out of
 * memory). On error @err (nullable) says why and @out is as it was.
 * MT safe.
 */
SD_MUST_CHECK sd_status sd_md_render(const char *md, size_t len, struct sd_buf *out,
                                     struct sd_err *err);

/**
 * Plain text of @md (for search and summaries): the words without markup,
 * into @out. Words are separated by single spaces, blocks by single
 * newlines; link and image URLs are dropped, link text, alt text and code
 * are kept, entities are decoded. Not HTML. Appends to @out (borrowed), with
 * the same errors and guarantees as sd_md_render. MT safe.
 */
SD_MUST_CHECK sd_status sd_md_text(const char *md, size_t len, struct sd_buf *out,
                                   struct sd_err *err);

#endif
