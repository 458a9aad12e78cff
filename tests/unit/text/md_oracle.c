/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The oracle of the Markdown renderer's HTML: see md_oracle.h. */
#include "md_oracle.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/utf8.h"
#include "base/banned.h"

static bool in_list(const char *s, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0) {
            return true;
        }
    }
    return false;
}

/* A URL attribute value as the browser sees it, judged on its own terms. */
static bool url_value_ok(const char *v, size_t n)
{
    char u[4096];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof(u) - 1; i++) {
        static const struct {
            const char *ent;
            char ch;
        } ents[] = {{"&amp;", '&'}, {"&#39;", '\''}, {"&quot;", '"'}, {"&lt;", '<'}, {"&gt;", '>'}};
        char ch = v[i];
        if (ch == '&') {
            bool found = false;
            for (size_t e = 0; e < 5; e++) {
                size_t el = strlen(ents[e].ent);
                if (n - i >= el && memcmp(v + i, ents[e].ent, el) == 0) {
                    ch = ents[e].ch;
                    i += el - 1;
                    found = true;
                }
            }
            if (!found) {
                return false; /* any other entity in a URL would be decoded by the browser */
            }
        }
        if ((unsigned char)ch <= 0x20 || ch == 0x7f) {
            return false; /* we percent-encode these */
        }
        if (ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch - 'A' + 'a');
        }
        u[k++] = ch;
    }
    u[k] = '\0';
    /* WHATWG: a scheme is [a-z][a-z0-9+.-]* followed by ':'. */
    size_t s = 0;
    if (!(u[0] >= 'a' && u[0] <= 'z')) {
        return true;
    }
    while ((u[s] >= 'a' && u[s] <= 'z') || (u[s] >= '0' && u[s] <= '9') || u[s] == '+' ||
           u[s] == '.' || u[s] == '-') {
        s++;
    }
    if (u[s] != ':') {
        return true;
    }
    return (s == 4 && memcmp(u, "http", 4) == 0) || (s == 5 && memcmp(u, "https", 5) == 0) ||
           (s == 6 && memcmp(u, "mailto", 6) == 0);
}

/* An entity at @s: "&name;" or "&#digits;", as the escaper and md4c write them. */
static size_t entity_len(const char *s, size_t n)
{
    size_t i = 1;
    if (i < n && s[i] == '#') {
        i++;
    }
    size_t start = i;
    while (i < n && i < 52 &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9'))) {
        i++;
    }
    return i > start && i < n && s[i] == ';' ? i + 1 : 0;
}

/* NULL when @h (@n bytes) is safe HTML of ours, else what is wrong. */
const char *md_html_problem(const char *h, size_t n)
{
    static const char *const tags[] = {
        "p",          "h1",    "h2",    "h3",    "h4",     "h5",  "h6", "ul",    "ol",  "li",
        "blockquote", "pre",   "code",  "em",    "strong", "del", "u",  "a",     "img", "br",
        "hr",         "table", "thead", "tbody", "tr",     "th",  "td", "input", NULL};
    static const char *const attrs[] = {"href",  "src",   "alt",  "title",    "rel",     "class",
                                        "start", "align", "type", "disabled", "checked", NULL};
    if (!sd_utf8_valid(h, n)) {
        return "invalid UTF-8";
    }
    size_t i = 0;
    while (i < n) {
        char ch = h[i];
        if (ch == '\0') {
            return "NUL";
        }
        if ((unsigned char)ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') {
            return "control character";
        }
        if (ch == '>' || ch == '"' || ch == '\'') {
            return "unescaped > \" or ' in text";
        }
        if (ch == '&') {
            size_t el = entity_len(h + i, n - i);
            if (el == 0) {
                return "bare &";
            }
            i += el;
            continue;
        }
        if (ch != '<') {
            i++;
            continue;
        }
        i++;
        bool closing = i < n && h[i] == '/';
        i += closing;
        size_t t = i;
        while (i < n && ((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= '0' && h[i] <= '9'))) {
            i++;
        }
        if (!in_list(h + t, i - t, tags)) {
            return "unknown tag";
        }
        bool is_link = i - t == 1 && h[t] == 'a' && !closing;
        bool has_href = false;
        bool has_rel = false;
        while (i < n && h[i] == ' ') {
            i++;
            size_t a = i;
            while (i < n && h[i] >= 'a' && h[i] <= 'z') {
                i++;
            }
            if (closing || !in_list(h + a, i - a, attrs)) {
                return "unknown attribute";
            }
            bool is_url = (i - a == 4 && memcmp(h + a, "href", 4) == 0) ||
                          (i - a == 3 && memcmp(h + a, "src", 3) == 0);
            bool is_rel = i - a == 3 && memcmp(h + a, "rel", 3) == 0;
            has_href |= i - a == 4 && memcmp(h + a, "href", 4) == 0;
            if (i < n && h[i] == '=') {
                if (i + 1 >= n || h[i + 1] != '"') {
                    return "unquoted attribute";
                }
                i += 2;
                size_t v = i;
                while (i < n && h[i] != '"') {
                    if (h[i] == '<' || h[i] == '>') {
                        return "< or > in an attribute";
                    }
                    if (h[i] == '&' && entity_len(h + i, n - i) == 0) {
                        return "bare & in an attribute";
                    }
                    i++;
                }
                if (i >= n) {
                    return "unterminated attribute";
                }
                if (is_url && !url_value_ok(h + v, i - v)) {
                    return "URL with a refused scheme";
                }
                if (is_rel) {
                    has_rel = i - v == strlen("nofollow noopener noreferrer") &&
                              memcmp(h + v, "nofollow noopener noreferrer", i - v) == 0;
                }
                i++;
            }
        }
        if (i >= n || h[i] != '>') {
            return "malformed tag";
        }
        if (is_link && (!has_href || !has_rel)) {
            return "link without href or rel";
        }
        i++;
    }
    return NULL;
}
