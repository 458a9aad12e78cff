/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Safe Markdown to HTML and to plain text over md4c's parser; see md.h. */
#include "text/md.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <md4c.h>

#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

/* GitHub's dialect (tables, strikethrough, task lists, bare URLs) and no raw HTML. */
#define MD_FLAGS    (MD_DIALECT_GITHUB | MD_FLAG_NOHTML)
#define LINK_REL    "nofollow noopener noreferrer"
#define LANG_MAX    64 /* longest info string kept as a class */
#define A_STACK_MAX 64 /* links nested deeper render as text */
#define REPLACEMENT "\xef\xbf\xbd"

/* ---- Clean input --------------------------------------------------------------------------- */

static bool is_control(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * Length of the well-formed UTF-8 sequence at @p (@n > 0 bytes left, Unicode
 * table 3-7), or 0 with *@bad_out set to the length of the maximal subpart
 * that is not, which becomes one U+FFFD.
 */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *bad_out)
{
    unsigned c = p[0];
    unsigned lo = 0x80;
    unsigned hi = 0xbf;
    size_t need = 0;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    } else if (c == 0xe0) {
        need = 2;
        lo = 0xa0;
    } else if (c == 0xed) {
        need = 2;
        hi = 0x9f; /* no surrogates */
    } else if (c >= 0xe1 && c <= 0xef) {
        need = 2;
    } else if (c == 0xf0) {
        need = 3;
        lo = 0x90;
    } else if (c >= 0xf1 && c <= 0xf3) {
        need = 3;
    } else if (c == 0xf4) {
        need = 3;
        hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        *bad_out = 1;
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= n || p[k] < lo || p[k] > hi) {
            *bad_out = k;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return need + 1;
}

/*
 * Writes into @dst (nullable: only counts) the form of @md that md4c may
 * parse: valid UTF-8, no NUL, no control character but tab, LF and CR.
 * Returns its length, at most 3 * @len.
 */
static size_t clean_into(const char *md, size_t len, char *dst)
{
    const unsigned char *p = (const unsigned char *)md;
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        size_t bad = 0;
        size_t k = utf8_seq(p + i, len - i, &bad);
        if (k == 1 && p[i] == '\0') {
            i++;
            continue;
        }
        /* C1 controls are U+0080-U+009F: 0xc2 then 0x80-0x9f. */
        bool control = (k == 1 && is_control(p[i])) || (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0);
        const char *src = k == 0 || control ? REPLACEMENT : (const char *)p + i;
        size_t m = k == 0 || control ? 3 : k;
        if (dst != NULL) {
            memcpy(dst + n, src, m);
        }
        n += m;
        i += k == 0 ? bad : k;
    }
    return n;
}

/* The clean copy of @md: caller owns the result (free()), *@len_out is its length. */
static char *clean(const char *md, size_t len, size_t *len_out)
{
    size_t n = clean_into(md, len, NULL);
    char *c = sd_xmalloc(n + 1);
    (void)clean_into(md, len, c);
    c[n] = '\0';
    *len_out = n;
    return c;
}

/* ---- Entities ------------------------------------------------------------------------------ */

struct named_entity {
    const char *name;
    const char *utf8; /* never longer than "&name;" */
};

/*
 * The entities decoded where md4c's verbatim entity text is not enough (URLs
 * and plain text): the common ones and the usual names of ASCII punctuation.
 * An entity missing here stays literal text there ("&amp;name;" in a URL),
 * which costs looks, never safety.
 */
static const struct named_entity named_entities[] = {
    {"amp", "&"},         {"lt", "<"},          {"gt", ">"},          {"quot", "\""},
    {"apos", "'"},        {"Tab", "\t"},        {"NewLine", "\n"},    {"excl", "!"},
    {"num", "#"},         {"dollar", "$"},      {"percnt", "%"},      {"lpar", "("},
    {"rpar", ")"},        {"ast", "*"},         {"plus", "+"},        {"comma", ","},
    {"period", "."},      {"sol", "/"},         {"colon", ":"},       {"semi", ";"},
    {"equals", "="},      {"quest", "?"},       {"commat", "@"},      {"lsqb", "["},
    {"bsol", "\\"},       {"rsqb", "]"},        {"Hat", "^"},         {"lowbar", "_"},
    {"grave", "`"},       {"lcub", "{"},        {"verbar", "|"},      {"rcub", "}"},
    {"nbsp", "\u00a0"},   {"iexcl", "\u00a1"},  {"cent", "\u00a2"},   {"pound", "\u00a3"},
    {"yen", "\u00a5"},    {"sect", "\u00a7"},   {"copy", "\u00a9"},   {"laquo", "\u00ab"},
    {"shy", "\u00ad"},    {"reg", "\u00ae"},    {"deg", "\u00b0"},    {"plusmn", "\u00b1"},
    {"sup2", "\u00b2"},   {"sup3", "\u00b3"},   {"micro", "\u00b5"},  {"para", "\u00b6"},
    {"middot", "\u00b7"}, {"raquo", "\u00bb"},  {"frac14", "\u00bc"}, {"frac12", "\u00bd"},
    {"frac34", "\u00be"}, {"iquest", "\u00bf"}, {"times", "\u00d7"},  {"divide", "\u00f7"},
    {"ndash", "\u2013"},  {"mdash", "\u2014"},  {"lsquo", "\u2018"},  {"rsquo", "\u2019"},
    {"sbquo", "\u201a"},  {"ldquo", "\u201c"},  {"rdquo", "\u201d"},  {"bdquo", "\u201e"},
    {"dagger", "\u2020"}, {"Dagger", "\u2021"}, {"bull", "\u2022"},   {"hellip", "\u2026"},
    {"permil", "\u2030"}, {"prime", "\u2032"},  {"Prime", "\u2033"},  {"euro", "\u20ac"},
    {"trade", "\u2122"},  {"larr", "\u2190"},   {"uarr", "\u2191"},   {"rarr", "\u2192"},
    {"darr", "\u2193"},   {"harr", "\u2194"},   {"minus", "\u2212"},  {"infin", "\u221e"},
    {"ne", "\u2260"},     {"le", "\u2264"},     {"ge", "\u2265"},     {"check", "\u2713"},
    {"hearts", "\u2665"},
};

static size_t utf8_put(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_alnum(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* True when @s (@n bytes) is "&name;" with the name md4c (and HTML) allows. */
static bool is_named_entity(const char *s, size_t n)
{
    if (n < 4 || n > 50 || s[0] != '&' || s[n - 1] != ';' || !is_alpha((unsigned char)s[1])) {
        return false;
    }
    for (size_t i = 2; i < n - 1; i++) {
        if (!is_alnum((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/*
 * Decodes the numeric entity "&#N;" or "&#xH;" at @s (@n bytes) into @out,
 * *@len_out bytes. A code point that is not a character (NUL, surrogate,
 * above U+10FFFF) or that is a control character (but tab, LF, CR) becomes
 * U+FFFD, as CommonMark and our no-control invariant want. False when @s is
 * not a numeric entity.
 */
static bool decode_numeric(const char *s, size_t n, char out[4], size_t *len_out)
{
    if (n < 4 || s[0] != '&' || s[1] != '#' || s[n - 1] != ';') {
        return false;
    }
    size_t i = 2;
    uint32_t base = 10;
    if (s[2] == 'x' || s[2] == 'X') {
        base = 16;
        i = 3;
    }
    if (i >= n - 1 || n - 1 - i > 8) {
        return false;
    }
    uint32_t cp = 0;
    for (; i < n - 1; i++) {
        int d = hex_value((unsigned char)s[i]);
        if (d < 0 || (uint32_t)d >= base) {
            return false;
        }
        cp = cp * base + (uint32_t)d;
        if (cp > 0x10ffff) {
            cp = 0x110000; /* stays out of range, without overflow */
        }
    }
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || is_control(cp)) {
        cp = 0xfffd;
    }
    *len_out = utf8_put(cp, out);
    return true;
}

/* The text of the named entity "&name;" (@n bytes at @s), or NULL if not in our table. */
static const char *decode_named(const char *s, size_t n)
{
    if (!is_named_entity(s, n)) {
        return NULL;
    }
    for (size_t i = 0; i < SD_ARRAY_LEN(named_entities); i++) {
        const char *name = named_entities[i].name;
        if (strlen(name) == n - 2 && memcmp(name, s + 1, n - 2) == 0) {
            return named_entities[i].utf8;
        }
    }
    return NULL;
}

/* ---- Output -------------------------------------------------------------------------------- */

/* What both renderers share. */
struct ctx {
    struct sd_buf *out;
    size_t start; /* out->len at the call, to put it back on error */
    sd_status st; /* the first failed append; then everything is a no-op */
};

static void put(struct ctx *c, const char *s, size_t n)
{
    if (c->st == SD_OK && n > 0) {
        c->st = sd_buf_append(c->out, s, n);
    }
}

static void put_str(struct ctx *c, const char *s)
{
    put(c, s, strlen(s));
}

static void put_uint(struct ctx *c, unsigned v)
{
    char d[16];
    size_t i = sizeof(d);
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    put(c, d + i, sizeof(d) - i);
}

/* Appends @s (@n bytes) with & < > " ' escaped: safe in text and in a quoted attribute. */
static void put_escaped(struct ctx *c, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = sd_html_escape_char(s[i]);
        if (rep == NULL) {
            continue;
        }
        put(c, s + run, i - run);
        put_str(c, rep);
        run = i + 1;
    }
    put(c, s + run, n - run);
}

/*
 * An entity of the source in text or a title: numeric ones decoded and
 * escaped again, well-formed named ones as written (the browser's decoding
 * of text cannot make markup), anything else escaped as text.
 */
static void put_entity_html(struct ctx *c, const char *s, size_t n)
{
    char u[4];
    size_t un = 0;
    if (decode_numeric(s, n, u, &un)) {
        put_escaped(c, u, un);
    } else if (is_named_entity(s, n)) {
        put(c, s, n);
    } else {
        put_escaped(c, s, n);
    }
}

/* A title or other attribute text (not a URL), escaped. */
static void put_attr_text(struct ctx *c, const MD_ATTRIBUTE *a)
{
    for (size_t i = 0; a->substr_offsets[i] < a->size; i++) {
        const char *s = a->text + a->substr_offsets[i];
        size_t n = a->substr_offsets[i + 1] - a->substr_offsets[i];
        if (a->substr_types[i] == MD_TEXT_ENTITY) {
            put_entity_html(c, s, n);
        } else if (a->substr_types[i] != MD_TEXT_NULLCHAR) {
            put_escaped(c, s, n);
        }
    }
}

/* ---- URLs ---------------------------------------------------------------------------------- */

/*
 * The URL of @a as the browser will see it, into @url: entities decoded
 * (named ones from our table, others kept as literal text). An entity never
 * decodes to more bytes than it has, so the URL is never longer than @a and
 * the maximum is only a guard.
 */
static sd_status decode_url(const MD_ATTRIBUTE *a, struct sd_buf *url)
{
    sd_status st = SD_OK;
    sd_buf_reset(url);
    url->max = (size_t)a->size + 16;
    for (size_t i = 0; st == SD_OK && a->substr_offsets[i] < a->size; i++) {
        const char *s = a->text + a->substr_offsets[i];
        size_t n = a->substr_offsets[i + 1] - a->substr_offsets[i];
        bool is_entity = a->substr_types[i] == MD_TEXT_ENTITY;
        char u[4];
        size_t un = 0;
        const char *named = NULL;
        if (a->substr_types[i] == MD_TEXT_NULLCHAR) {
            continue;
        }
        if (is_entity && decode_numeric(s, n, u, &un)) {
            st = sd_buf_append(url, u, un);
        } else if (is_entity && (named = decode_named(s, n)) != NULL) {
            st = sd_buf_puts(url, named);
        } else {
            st = sd_buf_append(url, s, n);
        }
    }
    return st;
}

/*
 * True when the decoded URL @s (@n bytes) may be an href or src: no scheme
 * (no ':' before the first '/', '?' or '#') or http, https, mailto in any
 * case. Like the browser, skips leading bytes <= 0x20 and ignores tab and
 * newlines inside the scheme ("java\tscript:" is "javascript:").
 */
static bool url_allowed(const char *s, size_t n)
{
    static const char *const schemes[] = {"http", "https", "mailto"};
    char scheme[8];
    size_t k = 0;
    bool is_long = false;
    size_t i = 0;
    while (i < n && (unsigned char)s[i] <= 0x20) {
        i++;
    }
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '/' || ch == '?' || ch == '#') {
            return true;
        }
        if (ch == ':') {
            for (size_t j = 0; !is_long && j < SD_ARRAY_LEN(schemes); j++) {
                if (strlen(schemes[j]) == k && memcmp(schemes[j], scheme, k) == 0) {
                    return true;
                }
            }
            return false;
        }
        if (ch == '\t' || ch == '\n' || ch == '\r') {
            continue;
        }
        if (k < sizeof(scheme)) {
            scheme[k++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
        } else {
            is_long = true;
        }
    }
    return true;
}

/* True for the bytes a URL keeps as they are; every other byte is %XX. */
static bool url_byte_kept(unsigned char ch)
{
    return is_alnum(ch) || (ch != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=%", ch) != NULL);
}

/*
 * Writes the checked URL @s (@n bytes) as an attribute value: without the
 * leading and trailing bytes <= 0x20 (the browser drops them too), other
 * bytes outside the URL set percent-encoded, & and ' escaped.
 */
static void put_url(struct ctx *c, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    while (n > 0 && (unsigned char)s[0] <= 0x20) {
        s++;
        n--;
    }
    while (n > 0 && (unsigned char)s[n - 1] <= 0x20) {
        n--;
    }
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (url_byte_kept(ch) && ch != '&' && ch != '\'') {
            continue;
        }
        put(c, s + run, i - run);
        if (ch == '&') {
            put_str(c, "&amp;");
        } else if (ch == '\'') {
            put_str(c, "&#39;");
        } else {
            char pct[3] = {'%', hex[ch >> 4], hex[ch & 0xf]};
            put(c, pct, sizeof(pct));
        }
        run = i + 1;
    }
    put(c, s + run, n - run);
}

/* ---- HTML renderer ------------------------------------------------------------------------- */

struct html {
    struct ctx c;
    struct sd_buf url;  /* scratch: the decoded URL being checked */
    unsigned img_depth; /* > 0 inside an image: text goes to alt, no markup */
    bool is_img_shown;  /* the outermost image got an <img> tag */
    unsigned a_depth;   /* links open now, shown or not */
    bool a_shown[A_STACK_MAX];
};

/* Decodes the URL @a into h->url; true when it may be written. */
static bool url_checked(struct html *h, const MD_ATTRIBUTE *a)
{
    return decode_url(a, &h->url) == SD_OK && url_allowed(sd_buf_cstr(&h->url), h->url.len);
}

static bool lang_allowed(const MD_ATTRIBUTE *lang)
{
    if (lang->size == 0 || lang->size > LANG_MAX) {
        return false;
    }
    for (size_t i = 0; i < lang->size; i++) {
        unsigned char ch = (unsigned char)lang->text[i];
        if (!is_alnum(ch) && ch != '_' && ch != '+' && ch != '-') {
            return false;
        }
    }
    return true;
}

static unsigned heading_level(const MD_BLOCK_H_DETAIL *d)
{
    return d->level < 1 ? 1 : d->level > 6 ? 6 : d->level;
}

static void open_cell(struct ctx *c, const char *tag, const MD_BLOCK_TD_DETAIL *d)
{
    put_str(c, tag);
    switch (d->align) {
    case MD_ALIGN_LEFT:
        put_str(c, " align=\"left\"");
        break;
    case MD_ALIGN_CENTER:
        put_str(c, " align=\"center\"");
        break;
    case MD_ALIGN_RIGHT:
        put_str(c, " align=\"right\"");
        break;
    case MD_ALIGN_DEFAULT:
        break;
    }
    put_str(c, ">");
}

static int html_enter_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    struct html *h = userdata;
    struct ctx *c = &h->c;
    switch (type) {
    case MD_BLOCK_DOC:
    case MD_BLOCK_HTML: /* never with MD_FLAG_NOHTML; its text would be escaped */
        break;
    case MD_BLOCK_QUOTE:
        put_str(c, "<blockquote>\n");
        break;
    case MD_BLOCK_UL:
        put_str(c, "<ul>\n");
        break;
    case MD_BLOCK_OL: {
        const MD_BLOCK_OL_DETAIL *d = detail;
        if (d->start == 1) {
            put_str(c, "<ol>\n");
        } else {
            put_str(c, "<ol start=\"");
            put_uint(c, d->start);
            put_str(c, "\">\n");
        }
        break;
    }
    case MD_BLOCK_LI: {
        const MD_BLOCK_LI_DETAIL *d = detail;
        if (!d->is_task) {
            put_str(c, "<li>");
        } else {
            put_str(c, "<li class=\"task-list-item\"><input type=\"checkbox\" disabled");
            put_str(c, d->task_mark == 'x' || d->task_mark == 'X' ? " checked>" : ">");
        }
        break;
    }
    case MD_BLOCK_HR:
        put_str(c, "<hr>\n");
        break;
    case MD_BLOCK_H:
        put_str(c, "<h");
        put_uint(c, heading_level(detail));
        put_str(c, ">");
        break;
    case MD_BLOCK_CODE: {
        const MD_BLOCK_CODE_DETAIL *d = detail;
        put_str(c, "<pre><code");
        if (lang_allowed(&d->lang)) {
            /* Checked above: the name needs no escaping. */
            put_str(c, " class=\"language-");
            put(c, d->lang.text, d->lang.size);
            put_str(c, "\"");
        }
        put_str(c, ">");
        break;
    }
    case MD_BLOCK_P:
        put_str(c, "<p>");
        break;
    case MD_BLOCK_TABLE:
        put_str(c, "<table>\n");
        break;
    case MD_BLOCK_THEAD:
        put_str(c, "<thead>\n");
        break;
    case MD_BLOCK_TBODY:
        put_str(c, "<tbody>\n");
        break;
    case MD_BLOCK_TR:
        put_str(c, "<tr>\n");
        break;
    case MD_BLOCK_TH:
        open_cell(c, "<th", detail);
        break;
    case MD_BLOCK_TD:
        open_cell(c, "<td", detail);
        break;
    }
    return c->st != SD_OK;
}

static int html_leave_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    struct html *h = userdata;
    struct ctx *c = &h->c;
    switch (type) {
    case MD_BLOCK_DOC:
    case MD_BLOCK_HTML:
    case MD_BLOCK_HR:
        break;
    case MD_BLOCK_QUOTE:
        put_str(c, "</blockquote>\n");
        break;
    case MD_BLOCK_UL:
        put_str(c, "</ul>\n");
        break;
    case MD_BLOCK_OL:
        put_str(c, "</ol>\n");
        break;
    case MD_BLOCK_LI:
        put_str(c, "</li>\n");
        break;
    case MD_BLOCK_H:
        put_str(c, "</h");
        put_uint(c, heading_level(detail));
        put_str(c, ">\n");
        break;
    case MD_BLOCK_CODE:
        put_str(c, "</code></pre>\n");
        break;
    case MD_BLOCK_P:
        put_str(c, "</p>\n");
        break;
    case MD_BLOCK_TABLE:
        put_str(c, "</table>\n");
        break;
    case MD_BLOCK_THEAD:
        put_str(c, "</thead>\n");
        break;
    case MD_BLOCK_TBODY:
        put_str(c, "</tbody>\n");
        break;
    case MD_BLOCK_TR:
        put_str(c, "</tr>\n");
        break;
    case MD_BLOCK_TH:
        put_str(c, "</th>\n");
        break;
    case MD_BLOCK_TD:
        put_str(c, "</td>\n");
        break;
    }
    return c->st != SD_OK;
}

static void open_link(struct html *h, const MD_SPAN_A_DETAIL *d)
{
    struct ctx *c = &h->c;
    bool shown = h->a_depth < A_STACK_MAX && url_checked(h, &d->href);
    if (shown) {
        put_str(c, "<a href=\"");
        put_url(c, sd_buf_cstr(&h->url), h->url.len);
        put_str(c, "\" rel=\"" LINK_REL "\"");
        if (d->title.size > 0) {
            put_str(c, " title=\"");
            put_attr_text(c, &d->title);
            put_str(c, "\"");
        }
        put_str(c, ">");
    }
    if (h->a_depth < A_STACK_MAX) {
        h->a_shown[h->a_depth] = shown;
    }
    h->a_depth++;
}

static void close_link(struct html *h)
{
    if (h->a_depth == 0) {
        return; /* md4c pairs spans; this is only defence */
    }
    h->a_depth--;
    if (h->a_depth < A_STACK_MAX && h->a_shown[h->a_depth]) {
        put_str(&h->c, "</a>");
    }
}

static int html_enter_span(MD_SPANTYPE type, void *detail, void *userdata)
{
    struct html *h = userdata;
    struct ctx *c = &h->c;
    if (h->img_depth > 0) {
        /* Inside alt text only words count, as in md4c-html. */
        h->img_depth += type == MD_SPAN_IMG;
        return c->st != SD_OK;
    }
    switch (type) {
    case MD_SPAN_EM:
        put_str(c, "<em>");
        break;
    case MD_SPAN_STRONG:
        put_str(c, "<strong>");
        break;
    case MD_SPAN_DEL:
        put_str(c, "<del>");
        break;
    case MD_SPAN_CODE:
        put_str(c, "<code>");
        break;
    case MD_SPAN_U:
        put_str(c, "<u>");
        break;
    case MD_SPAN_A:
        open_link(h, detail);
        break;
    case MD_SPAN_IMG: {
        const MD_SPAN_IMG_DETAIL *d = detail;
        h->img_depth = 1;
        h->is_img_shown = url_checked(h, &d->src);
        if (h->is_img_shown) {
            put_str(c, "<img src=\"");
            put_url(c, sd_buf_cstr(&h->url), h->url.len);
            put_str(c, "\" alt=\"");
        }
        break;
    }
    case MD_SPAN_LATEXMATH:
    case MD_SPAN_LATEXMATH_DISPLAY:
    case MD_SPAN_WIKILINK:
        break; /* not enabled: MD_FLAGS leaves them out */
    }
    return c->st != SD_OK;
}

static int html_leave_span(MD_SPANTYPE type, void *detail, void *userdata)
{
    struct html *h = userdata;
    struct ctx *c = &h->c;
    if (h->img_depth > 0) {
        if (type != MD_SPAN_IMG || --h->img_depth > 0 || !h->is_img_shown) {
            return c->st != SD_OK;
        }
        const MD_SPAN_IMG_DETAIL *d = detail;
        put_str(c, "\"");
        if (d->title.size > 0) {
            put_str(c, " title=\"");
            put_attr_text(c, &d->title);
            put_str(c, "\"");
        }
        put_str(c, ">");
        return c->st != SD_OK;
    }
    switch (type) {
    case MD_SPAN_EM:
        put_str(c, "</em>");
        break;
    case MD_SPAN_STRONG:
        put_str(c, "</strong>");
        break;
    case MD_SPAN_DEL:
        put_str(c, "</del>");
        break;
    case MD_SPAN_CODE:
        put_str(c, "</code>");
        break;
    case MD_SPAN_U:
        put_str(c, "</u>");
        break;
    case MD_SPAN_A:
        close_link(h);
        break;
    case MD_SPAN_IMG: /* handled above: img_depth was > 0 */
    case MD_SPAN_LATEXMATH:
    case MD_SPAN_LATEXMATH_DISPLAY:
    case MD_SPAN_WIKILINK:
        break;
    }
    return c->st != SD_OK;
}

static int html_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *userdata)
{
    struct html *h = userdata;
    struct ctx *c = &h->c;
    switch (type) {
    case MD_TEXT_NULLCHAR:
        break; /* clean() leaves no NUL; dropped all the same */
    case MD_TEXT_BR:
        put_str(c, h->img_depth > 0 ? " " : "<br>\n");
        break;
    case MD_TEXT_SOFTBR:
        put_str(c, h->img_depth > 0 ? " " : "\n");
        break;
    case MD_TEXT_ENTITY:
        put_entity_html(c, text, size);
        break;
    case MD_TEXT_NORMAL:
    case MD_TEXT_CODE:
    case MD_TEXT_HTML: /* raw HTML is only ever text here */
    case MD_TEXT_LATEXMATH:
        put_escaped(c, text, size);
        break;
    }
    return c->st != SD_OK;
}

/* ---- Plain text renderer ------------------------------------------------------------------- */

enum sep { SEP_NONE, SEP_SPACE, SEP_LINE };

struct plain {
    struct ctx c;
    enum sep pending;   /* the separator owed before the next word */
    bool is_code_block; /* its newlines separate lines, not words */
};

static void owe(struct plain *p, enum sep s)
{
    if (s > p->pending) {
        p->pending = s;
    }
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Appends words of @s (@n bytes): whitespace runs become one owed separator. */
static void plain_put(struct plain *p, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (is_space(s[i])) {
            owe(p, s[i] == '\n' && p->is_code_block ? SEP_LINE : SEP_SPACE);
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !is_space(s[j])) {
            j++;
        }
        if (p->pending != SEP_NONE && p->c.out->len > p->c.start) {
            put_str(&p->c, p->pending == SEP_LINE ? "\n" : " ");
        }
        p->pending = SEP_NONE;
        put(&p->c, s + i, j - i);
        i = j;
    }
}

static int plain_enter_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    struct plain *p = userdata;
    (void)detail;
    owe(p, type == MD_BLOCK_TH || type == MD_BLOCK_TD ? SEP_SPACE : SEP_LINE);
    p->is_code_block = type == MD_BLOCK_CODE;
    return p->c.st != SD_OK;
}

static int plain_leave_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    struct plain *p = userdata;
    (void)detail;
    owe(p, type == MD_BLOCK_TH || type == MD_BLOCK_TD ? SEP_SPACE : SEP_LINE);
    p->is_code_block = false;
    return p->c.st != SD_OK;
}

static int plain_span(MD_SPANTYPE type, void *detail, void *userdata)
{
    struct plain *p = userdata;
    (void)detail;
    if (type == MD_SPAN_IMG) {
        owe(p, SEP_SPACE); /* alt text is a thing of its own, not part of a word */
    }
    return p->c.st != SD_OK;
}

static int plain_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *userdata)
{
    struct plain *p = userdata;
    char u[4];
    size_t un = 0;
    const char *named = NULL;
    switch (type) {
    case MD_TEXT_NULLCHAR:
        break;
    case MD_TEXT_BR:
        owe(p, SEP_LINE);
        break;
    case MD_TEXT_SOFTBR:
        owe(p, SEP_SPACE);
        break;
    case MD_TEXT_ENTITY:
        if (decode_numeric(text, size, u, &un)) {
            plain_put(p, u, un);
        } else if ((named = decode_named(text, size)) != NULL) {
            plain_put(p, named, strlen(named));
        } else {
            plain_put(p, text, size);
        }
        break;
    case MD_TEXT_NORMAL:
    case MD_TEXT_CODE:
    case MD_TEXT_HTML:
    case MD_TEXT_LATEXMATH:
        plain_put(p, text, size);
        break;
    }
    return p->c.st != SD_OK;
}

/* ---- Entry points -------------------------------------------------------------------------- */

/* Cleans @md, runs @parser over it and turns the outcome into a status. */
static sd_status parse(const char *md, size_t len, const MD_PARSER *parser, struct ctx *c,
                       void *userdata, const char *what, struct sd_err *err)
{
    if (len > SD_MD_INPUT_MAX) {
        return sd_err_set(err, SD_E_TOO_LARGE, NULL,
                          "markdown of %zu bytes is over the limit of %zu bytes (split the text)",
                          len, SD_MD_INPUT_MAX);
    }
    size_t n = 0;
    char *text = clean(md, len, &n);
    int rc = md_parse(text, (MD_SIZE)n, parser, userdata);
    free(text);
    sd_status st = SD_OK;
    if (c->st == SD_E_TOO_LARGE) {
        st = sd_err_set(err, SD_E_TOO_LARGE, NULL,
                        "%s of the markdown is over the limit of %zu bytes (shorten the text)",
                        what, c->out->max);
    } else if (c->st != SD_OK) {
        st = sd_err_set(err, c->st, NULL, "cannot write the %s of the markdown", what);
    } else if (rc != 0) {
        st = sd_err_set(err, SD_E_INTERNAL, NULL,
                        "cannot parse markdown: md4c failed with %d (out of memory)", rc);
    }
    if (st != SD_OK && c->out->data != NULL) {
        c->out->len = c->start;
        c->out->data[c->start] = '\0';
    }
    return st;
}

sd_status sd_md_render(const char *md, size_t len, struct sd_buf *out, struct sd_err *err)
{
    SD_ASSERT(out != NULL && (md != NULL || len == 0));
    static const MD_PARSER parser = {
        .abi_version = 0,
        .flags = MD_FLAGS,
        .enter_block = html_enter_block,
        .leave_block = html_leave_block,
        .enter_span = html_enter_span,
        .leave_span = html_leave_span,
        .text = html_text,
    };
    struct html h = {.c = {.out = out, .start = out->len, .st = SD_OK}, .url = SD_BUF_INIT(0)};
    sd_status st = parse(md, len, &parser, &h.c, &h, "HTML", err);
    sd_buf_release(&h.url);
    return st;
}

sd_status sd_md_text(const char *md, size_t len, struct sd_buf *out, struct sd_err *err)
{
    SD_ASSERT(out != NULL && (md != NULL || len == 0));
    static const MD_PARSER parser = {
        .abi_version = 0,
        .flags = MD_FLAGS,
        .enter_block = plain_enter_block,
        .leave_block = plain_leave_block,
        .enter_span = plain_span,
        .leave_span = plain_span,
        .text = plain_text,
    };
    struct plain p = {.c = {.out = out, .start = out->len, .st = SD_OK}, .pending = SEP_NONE};
    return parse(md, len, &parser, &p.c, &p, "plain text", err);
}
