/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/text/md.c: each Markdown construct, every XSS vector we
 * know (script URLs in links, images, autolinks and reference links, hidden
 * by case, entities, tabs, newlines, spaces; raw HTML, comments, event
 * attributes, attribute breaking), invalid UTF-8 and NUL, output limits,
 * empty, 1 MB, binary and deeply nested input, and the plain text.
 *
 * Every HTML output also goes through check_safe(), an oracle written apart
 * from md.c: it walks the HTML and accepts only our tags and attributes,
 * escaped text and allowed URLs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/utf8.h"
#include "md_oracle.h"
#include "text/md.h"
#include "base/banned.h"

#define OUT_MAX ((size_t)64 * 1024 * 1024)

static void check_safe(const char *h, size_t n)
{
    const char *p = md_html_problem(h, n);
    if (p != NULL) {
        fail_msg("unsafe HTML (%s): %.*s", p, (int)(n > 2000 ? 2000 : n), h);
    }
}

/* ---- Helpers ---- */

/* Renders @n bytes of @md; caller frees. Checks the result with the oracle. */
static char *render_n(const char *md, size_t n)
{
    struct sd_buf b = SD_BUF_INIT(OUT_MAX);
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_md_render(md, n, &b, &err), SD_OK);
    check_safe(sd_buf_cstr(&b), b.len);
    return sd_buf_detach(&b, NULL);
}

static char *render(const char *md)
{
    return render_n(md, strlen(md));
}

static char *text_n(const char *md, size_t n)
{
    struct sd_buf b = SD_BUF_INIT(OUT_MAX);
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_md_text(md, n, &b, &err), SD_OK);
    return sd_buf_detach(&b, NULL);
}

static char *text(const char *md)
{
    return text_n(md, strlen(md));
}

static void expect_html(const char *md, const char *want)
{
    char *h = render(md);
    if (strcmp(h, want) != 0) {
        fail_msg("markdown:\n%s\ngot:\n%s\nwant:\n%s", md, h, want);
    }
    free(h);
}

static void expect_text(const char *md, const char *want)
{
    char *t = text(md);
    if (strcmp(t, want) != 0) {
        fail_msg("markdown:\n%s\ngot:\n[%s]\nwant:\n[%s]", md, t, want);
    }
    free(t);
}

/* Renders @md and checks it holds @needle (nullable) and none of the NULL-ended @banned. */
static void expect_has(const char *md, const char *needle, const char *const *banned)
{
    char *h = render(md);
    if (needle != NULL && strstr(h, needle) == NULL) {
        fail_msg("markdown:\n%s\ngot:\n%s\nwithout: %s", md, h, needle);
    }
    for (size_t i = 0; banned != NULL && banned[i] != NULL; i++) {
        if (strcasestr(h, banned[i]) != NULL) {
            fail_msg("markdown:\n%s\ngot:\n%s\nwith: %s", md, h, banned[i]);
        }
    }
    free(h);
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ---- Constructs ---- */

static void test_empty(void **state)
{
    (void)state;
    expect_html("", "");
    expect_text("", "");
    expect_html("   \n\n  \n", "");
    struct sd_buf b = SD_BUF_INIT(16);
    assert_int_equal(sd_md_render(NULL, 0, &b, NULL), SD_OK);
    assert_int_equal(sd_md_text(NULL, 0, &b, NULL), SD_OK);
    assert_int_equal(b.len, 0);
    assert_string_equal(sd_buf_cstr(&b), "");
    sd_buf_release(&b);
}

static void test_blocks(void **state)
{
    (void)state;
    expect_html("# One\n## Two\n### Three\n#### Four\n##### Five\n###### Six\n",
                "<h1>One</h1>\n<h2>Two</h2>\n<h3>Three</h3>\n<h4>Four</h4>\n<h5>Five</h5>\n"
                "<h6>Six</h6>\n");
    expect_html("Title\n=====\n\nSub\n---\n", "<h1>Title</h1>\n<h2>Sub</h2>\n");
    expect_html("####### seven", "<p>####### seven</p>\n");
    expect_html("para one\nstill one\n\npara two", "<p>para one\nstill one</p>\n<p>para two</p>\n");
    expect_html("hard  \nbreak\\\nagain", "<p>hard<br>\nbreak<br>\nagain</p>\n");
    expect_html("a\n\n***\n\nb", "<p>a</p>\n<hr>\n<p>b</p>\n");
    expect_html("> quoted\n> > inner", "<blockquote>\n<p>quoted</p>\n<blockquote>\n<p>inner</p>\n"
                                       "</blockquote>\n</blockquote>\n");
}

static void test_lists(void **state)
{
    (void)state;
    expect_html("- a\n- b\n", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
    expect_html("* a\n\n* b\n", "<ul>\n<li><p>a</p>\n</li>\n<li><p>b</p>\n</li>\n</ul>\n");
    expect_html("1. a\n2. b\n", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n");
    expect_html("7. a\n8. b\n", "<ol start=\"7\">\n<li>a</li>\n<li>b</li>\n</ol>\n");
    expect_html("0) z\n", "<ol start=\"0\">\n<li>z</li>\n</ol>\n");
    expect_html("123456789. big\n", "<ol start=\"123456789\">\n<li>big</li>\n</ol>\n");
    expect_html("- a\n  - b\n", "<ul>\n<li>a<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>\n");
    expect_html("- [x] done\n- [ ] todo\n",
                "<ul>\n<li class=\"task-list-item\"><input type=\"checkbox\" disabled checked>done"
                "</li>\n<li class=\"task-list-item\"><input type=\"checkbox\" disabled>todo</li>\n"
                "</ul>\n");
}

static void test_code(void **state)
{
    (void)state;
    expect_html("```c\nint a = b < c && d > e;\n```\n",
                "<pre><code class=\"language-c\">int a = b &lt; c &amp;&amp; d &gt; e;\n"
                "</code></pre>\n");
    expect_html("```C++ more words\nx\n```",
                "<pre><code class=\"language-C++\">x\n</code></pre>\n");
    expect_html("~~~objective-c_2\n~~~",
                "<pre><code class=\"language-objective-c_2\"></code></pre>\n");
    expect_html("```\nplain\n```", "<pre><code>plain\n</code></pre>\n");
    expect_html("    indented <b>\n", "<pre><code>indented &lt;b&gt;\n</code></pre>\n");
    /* A class is only a safe name: anything else is left out, never escaped into it. */
    expect_html("```js\"onclick=\"alert(1)\nx\n```", "<pre><code>x\n</code></pre>\n");
    expect_html("```a.b\nx\n```", "<pre><code>x\n</code></pre>\n");
    expect_html("```&#106;s\nx\n```", "<pre><code>x\n</code></pre>\n");
    expect_html("```"
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nx\n```",
                "<pre><code>x\n</code></pre>\n");
    expect_html("use `a<b> && 'c'` here",
                "<p>use <code>a&lt;b&gt; &amp;&amp; &#39;c&#39;</code> here</p>\n");
    expect_html("``a ` b``", "<p><code>a ` b</code></p>\n");
}

static void test_inline(void **state)
{
    (void)state;
    expect_html("*em* _em_ **strong** __strong__ ~~del~~ ~del~",
                "<p><em>em</em> <em>em</em> <strong>strong</strong> <strong>strong</strong> "
                "<del>del</del> <del>del</del></p>\n");
    expect_html("***both***", "<p><em><strong>both</strong></em></p>\n");
    expect_html("a * b * c", "<p>a * b * c</p>\n");
    expect_html("\\*not em\\*", "<p>*not em*</p>\n");
    expect_html("Tom & Jerry's \"show\" <3",
                "<p>Tom &amp; Jerry&#39;s &quot;show&quot; &lt;3</p>\n");
}

static void test_tables(void **state)
{
    (void)state;
    expect_html("| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | *2* | 3 | 4 |\n",
                "<table>\n<thead>\n<tr>\n<th align=\"left\">a</th>\n<th align=\"center\">b</th>\n"
                "<th align=\"right\">c</th>\n<th>d</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
                "<td align=\"left\">1</td>\n<td align=\"center\"><em>2</em></td>\n"
                "<td align=\"right\">3</td>\n<td>4</td>\n</tr>\n</tbody>\n</table>\n");
    expect_has("| <script> |\n|---|\n| x\" onclick=\"y |\n", "&lt;script&gt;", NULL);
}

static void test_entities(void **state)
{
    (void)state;
    expect_html("&amp; &copy; &lt;b&gt; &unknownthing;",
                "<p>&amp; &copy; &lt;b&gt; &unknownthing;</p>\n");
    expect_html("&#65;&#x42;&#X43;", "<p>ABC</p>\n");
    expect_html("&#60;script&#62;", "<p>&lt;script&gt;</p>\n");
    expect_html("&#34;&#39;&#38;", "<p>&quot;&#39;&amp;</p>\n");
    /* Not characters, or controls: U+FFFD. */
    expect_html("&#0;|&#xD800;|&#x110000;|&#1;|&#x1b;|&#127;|&#x85;",
                "<p>\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|"
                "\xef\xbf\xbd|\xef\xbf\xbd</p>\n");
    expect_html("&#9999999;", "<p>\xef\xbf\xbd</p>\n");
    expect_html("&#x1F600;", "<p>\xf0\x9f\x98\x80</p>\n");
    expect_html("& &; &#; &#x; &#12a;", "<p>&amp; &amp;; &amp;#; &amp;#x; &amp;#12a;</p>\n");
}

/* ---- Links and images ---- */

static void test_links(void **state)
{
    (void)state;
    expect_html("[a](https://example.com/x?y=1&z=2#f)",
                "<p><a href=\"https://example.com/x?y=1&amp;z=2#f\" "
                "rel=\"nofollow noopener noreferrer\">a</a></p>\n");
    expect_html("[a](http://e.com \"the \\\"title\\\" <i>\")",
                "<p><a href=\"http://e.com\" rel=\"nofollow noopener noreferrer\" "
                "title=\"the &quot;title&quot; &lt;i&gt;\">a</a></p>\n");
    expect_html("[a](HTTPS://E.COM)",
                "<p><a href=\"HTTPS://E.COM\" rel=\"nofollow noopener noreferrer\">a</a></p>\n");
    expect_html("[m](mailto:a@b.org)",
                "<p><a href=\"mailto:a@b.org\" rel=\"nofollow noopener noreferrer\">m</a></p>\n");
    /* Relative: a path, an absolute path, a fragment, a query, a colon after a slash. */
    const char *const rel[][2] = {
        {"[a](/kb/1)", "href=\"/kb/1\""},
        {"[a](#top)", "href=\"#top\""},
        {"[a](?q=1)", "href=\"?q=1\""},
        {"[a](page.html)", "href=\"page.html\""},
        {"[a](../x/y)", "href=\"../x/y\""},
        {"[a](a/b:c)", "href=\"a/b:c\""},
        {"[a](//cdn.example/x)", "href=\"//cdn.example/x\""},
        {"[a]()", "href=\"\""},
    };
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        expect_has(rel[i][0], rel[i][1], NULL);
    }
    /* Bytes outside the URL set are percent-encoded; entities decoded then escaped. */
    expect_has("[a](</x y\"z>)", "href=\"/x%20y%22z\"", NULL);
    expect_has("[a](/x&lt;w&gt;)", "href=\"/x%3Cw%3E\"", NULL);
    expect_has("[a](/caf\xc3\xa9)", "href=\"/caf%C3%A9\"", NULL);
    expect_has("[a](/a&amp;b&#39;c)", "href=\"/a&amp;b&#39;c\"", NULL);
    expect_has("[a](/a&notinmytable;b)", "href=\"/a&amp;notinmytable;b\"", NULL);
    expect_has("[a](/a&#0;b)", "href=\"/a%EF%BF%BDb\"", NULL);
    /* Reference links and autolinks. */
    expect_html("[a][r] [r]\n\n[r]: /ref \"T\"",
                "<p><a href=\"/ref\" rel=\"nofollow noopener noreferrer\" title=\"T\">a</a> "
                "<a href=\"/ref\" rel=\"nofollow noopener noreferrer\" title=\"T\">r</a></p>\n");
    expect_html("<https://e.com/a>",
                "<p><a href=\"https://e.com/a\" rel=\"nofollow noopener noreferrer\">"
                "https://e.com/a</a></p>\n");
    expect_html("see www.e.com and a@b.co",
                "<p>see <a href=\"http://www.e.com\" rel=\"nofollow noopener noreferrer\">"
                "www.e.com</a> and <a href=\"mailto:a@b.co\" rel=\"nofollow noopener "
                "noreferrer\">a@b.co</a></p>\n");
    expect_html("[**b** `c`](/x)", "<p><a href=\"/x\" rel=\"nofollow noopener noreferrer\">"
                                   "<strong>b</strong> <code>c</code></a></p>\n");
}

static void test_images(void **state)
{
    (void)state;
    expect_html("![a cat](/cat.png \"Cat\")",
                "<p><img src=\"/cat.png\" alt=\"a cat\" title=\"Cat\"></p>\n");
    expect_html("![*b* `c` \"q\"](https://e.com/i.png)",
                "<p><img src=\"https://e.com/i.png\" alt=\"b c &quot;q&quot;\"></p>\n");
    expect_html("![outer ![inner](/i.png) [l](/x)](/o.png)",
                "<p><img src=\"/o.png\" alt=\"outer inner l\"></p>\n");
    expect_html("[![img](/i.png)](/x)", "<p><a href=\"/x\" rel=\"nofollow noopener noreferrer\">"
                                        "<img src=\"/i.png\" alt=\"img\"></a></p>\n");
    expect_html("![a\" onerror=\"alert(1)](/i.png)",
                "<p><img src=\"/i.png\" alt=\"a&quot; onerror=&quot;alert(1)\"></p>\n");
}

/* Every way we know to smuggle a script URL in, in a link, an image and a reference. */
static const char *const bad_urls[] = {
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "JAVASCRIPT:alert(1)",
    "javascript&#58;alert(1)",
    "javascript&#x3a;alert(1)",
    "javascript&#X3A;alert(1)",
    "javascript&#0000058;alert(1)",
    "javascript&colon;alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
    "java&#9;script:alert(1)",
    "java&#10;script:alert(1)",
    "java&#13;script:alert(1)",
    "java&Tab;script:alert(1)",
    "java&NewLine;script:alert(1)",
    "&#32;javascript:alert(1)",
    "&#1;javascript:alert(1)",
    "&#0;javascript:alert(1)",
    "&nbsp;javascript:alert(1)",
    "java&unknown;script:alert(1)",
    "javascript\\:alert(1)",
    "vbscript:msgbox(1)",
    "VBScript:x",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:image/svg+xml,<svg/onload=alert(1)>",
    "file:///etc/passwd",
    "livescript:x",
    "feed:javascript:alert(1)",
    "jar:http://x!/",
    "x-unknown:y",
    "httpx://e.com",
};

/* @form with its one "%s" replaced by @u, into @out (@n bytes). */
static void fill(char *out, size_t n, const char *form, const char *u)
{
    const char *at = strstr(form, "%s");
    assert_non_null(at);
    int k = snprintf(out, n, "%.*s%s%s", (int)(at - form), form, u, at + 2);
    assert_true(k > 0 && (size_t)k < n);
}

static void test_refused_urls(void **state)
{
    (void)state;
    static const char *const banned[] = {"<a ", "<img", "javascript:", "vbscript:", "data:", NULL};
    char md[1024];
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        const char *u = bad_urls[i];
        const char *const forms[] = {
            "[click me](%s)",
            "[click me](<%s>)",
            "[click me](%s \"title\")",
            "[click me][r]\n\n[r]: %s",
            "[click me]\n\n[click me]: <%s>",
        };
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
            fill(md, sizeof(md), forms[f], u);
            char *h = render(md);
            /* The data: and vbscript: texts only appear escaped or not at all. */
            if (strstr(h, "<a ") != NULL || strstr(h, "click me") == NULL) {
                fail_msg("link %s\ngot: %s", md, h);
            }
            free(h);
        }
        const char *const img_forms[] = {"![the alt](%s)", "![the alt](<%s> \"t\")",
                                         "![the alt][r]\n\n[r]: %s"};
        for (size_t f = 0; f < sizeof(img_forms) / sizeof(img_forms[0]); f++) {
            fill(md, sizeof(md), img_forms[f], u);
            char *h = render(md);
            if (strstr(h, "<img") != NULL || strstr(h, "the alt") == NULL) {
                fail_msg("image %s\ngot: %s", md, h);
            }
            free(h);
        }
    }
    /* Tabs and spaces right in the source, in angle brackets. */
    expect_has("[x](<java\tscript:alert(1)>)", "<p>x</p>", banned);
    expect_has("[x](< javascript:alert(1)>)", "<p>x</p>", banned);
    expect_has("[x](<\tjavascript:alert(1)>)", "<p>x</p>", banned);
    /* Refused link: the text stays, with its markup. */
    expect_html("[**bold** text](javascript:alert(1))", "<p><strong>bold</strong> text</p>\n");
    expect_html("a ![alt *x*](javascript:alert(1) \"t\") b", "<p>a alt x b</p>\n");
    /* Autolinks with script schemes are text. */
    expect_html("<javascript:alert(1)>", "<p>javascript:alert(1)</p>\n");
    expect_html("<JAVASCRIPT:alert(1)>", "<p>JAVASCRIPT:alert(1)</p>\n");
    expect_html("<data:text/html,x>", "<p>data:text/html,x</p>\n");
    expect_html("<vbscript:x>", "<p>vbscript:x</p>\n");
    /* A refused link inside a good one keeps the good one whole. */
    expect_html("[a [b](javascript:x) c](/ok)", "<p>[a b c](/ok)</p>\n");
}

static void test_raw_html(void **state)
{
    (void)state;
    static const char *const banned[] = {"<script", "<img src=x", "<iframe",        "<!--", "<div",
                                         "<svg",    "<style",     "<a href=\"java", NULL};
    expect_html("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
    expect_html("<div onclick=\"x()\">\nhi\n</div>",
                "<p>&lt;div onclick=&quot;x()&quot;&gt;\nhi\n&lt;/div&gt;</p>\n");
    expect_html("<!-- secret -->", "<p>&lt;!-- secret --&gt;</p>\n");
    expect_html("a <!-- c --> b", "<p>a &lt;!-- c --&gt; b</p>\n");
    expect_has("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;", banned);
    expect_has("text <img src=x onerror=alert(1)> text", "&lt;img", banned);
    expect_has("<iframe src=\"javascript:alert(1)\"></iframe>", "&lt;iframe", banned);
    expect_has("<a href=\"javascript:alert(1)\">x</a>", "&lt;a href=", banned);
    expect_has("<svg><script>alert(1)</script></svg>", "&lt;svg&gt;", banned);
    expect_has("<style>*{}</style>", "&lt;style&gt;", banned);
    expect_has("<?php echo 1; ?>", "&lt;?php", banned);
    expect_has("<![CDATA[x]]>", "&lt;![CDATA[x]]&gt;", banned);
    expect_has("<!DOCTYPE html>", "&lt;!DOCTYPE html&gt;", banned);
    expect_has("<scr<script>ipt>alert(1)</script>", "&lt;scr&lt;script&gt;", banned);
    expect_has("`<script>`", "<code>&lt;script&gt;</code>", banned);
    expect_has("```html\n<script>alert(1)</script>\n```", "&lt;script&gt;", banned);
    /* Attribute breaking through every attribute we write. */
    expect_has("[x](/a\"onmouseover=\"alert(1))", "href=\"/a%22onmouseover=%22alert(1)\"", NULL);
    expect_has("[x](/a 'b\" onmouseover=\"c')", "title=\"b&quot; onmouseover=&quot;c\"", NULL);
    expect_has("[x](/a \"b' onmouseover='c\")", "title=\"b&#39; onmouseover=&#39;c\"", NULL);
    expect_has("[x](</a'onmouseover='x>)", "href=\"/a&#39;onmouseover=&#39;x\"", NULL);
    expect_has("![\"><script>](/i.png)", "alt=\"&quot;&gt;&lt;script&gt;\"", banned);
    expect_has("[x](/a&quot;onmouseover=&quot;x)", "href=\"/a%22onmouseover=%22x\"", NULL);
}

/* ---- Bytes ---- */

static void test_utf8(void **state)
{
    (void)state;
    const char *fffd = "\xef\xbf\xbd";
    char want[256];
    expect_html("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "<p>caf\xc3\xa9 \xe2\x82\xac "
                                                             "\xf0\x9f\x98\x80</p>\n");
    /* A lone continuation, an overlong '/', a surrogate, above U+10FFFF, 0xff. */
    (void)snprintf(want, sizeof(want), "<p>a%sb%s%sc%s%s%sd%s%s%s%se%sf</p>\n", fffd, fffd, fffd,
                   fffd, fffd, fffd, fffd, fffd, fffd, fffd, fffd);
    expect_html("a\x80"
                "b\xc0\xaf"
                "c\xed\xa0\x80"
                "d\xf4\x90\x80\x80"
                "e\xff"
                "f",
                want);
    /* A truncated sequence is one U+FFFD: its maximal subpart. */
    (void)snprintf(want, sizeof(want), "<p>x%sy%s</p>\n", fffd, fffd);
    expect_html("x\xe2\x82y\xf0\x9f\x98", want);
    /* NUL is dropped; other controls (C0 but tab/LF/CR, DEL, C1) are U+FFFD. */
    char *h = render_n("a\0b\0\0c", 6);
    assert_string_equal(h, "<p>abc</p>\n");
    free(h);
    (void)snprintf(want, sizeof(want), "<p>a%sb%sc%sd</p>\n", fffd, fffd, fffd);
    expect_html("a\x1b"
                "b\x7f"
                "c\xc2\x85"
                "d",
                want);
    h = text_n("a\0b \x01", 5);
    assert_string_equal(h, "ab \xef\xbf\xbd");
    free(h);
}

static void test_binary_junk(void **state)
{
    (void)state;
    size_t n = (size_t)64 * 1024;
    char *junk = malloc(n);
    assert_non_null(junk);
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < n; i++) {
            uint64_t r = next_random();
            /* Half the rounds lean on Markdown punctuation, half are any bytes. */
            if (round % 2) {
                junk[i] = "[]()<>!*_`~#&;:/\n -|\\\"'"[r % 23];
            } else {
                junk[i] = (char)(unsigned char)(r & 0xff);
            }
        }
        char *h = render_n(junk, n);
        free(h);
        char *t = text_n(junk, n);
        assert_true(sd_utf8_valid(t, strlen(t)));
        free(t);
    }
    free(junk);
}

static void test_big_input(void **state)
{
    (void)state;
    static const char chunk[] = "## Heading *em* **strong** [link](https://e.com/x?a=1&b=2)\n\n"
                                "- item `code` <b>raw</b> &amp; ![i](/i.png)\n"
                                "- [x](javascript:alert(1)) ~~del~~\n\n"
                                "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                                "```c\nint x = 1 < 2;\n```\n\n";
    size_t n = (size_t)1024 * 1024;
    char *md = malloc(n + 1);
    assert_non_null(md);
    for (size_t i = 0; i < n; i++) {
        md[i] = chunk[i % (sizeof(chunk) - 1)];
    }
    md[n] = '\0';
    char *h = render_n(md, n);
    assert_true(strlen(h) > n);
    assert_null(strstr(h, "<b>"));
    assert_null(strstr(h, "javascript"));
    free(h);
    char *t = text_n(md, n);
    assert_null(strstr(t, "https://"));
    assert_non_null(strstr(t, "Heading em strong link"));
    free(t);
    /* One megabyte of a single line of text, and of one word. */
    memset(md, 'a', n);
    h = render_n(md, n);
    assert_int_equal(strlen(h), n + strlen("<p></p>\n"));
    free(h);
    free(md);
}

static char *repeat(const char *s, size_t times, const char *tail)
{
    size_t sl = strlen(s);
    size_t tl = strlen(tail);
    char *r = malloc(sl * times + tl + 1);
    assert_non_null(r);
    for (size_t i = 0; i < sl * times; i++) {
        r[i] = s[i % sl];
    }
    memcpy(r + sl * times, tail, tl + 1);
    return r;
}

static void test_deep_nesting(void **state)
{
    (void)state;
    static const struct {
        const char *unit;
        const char *tail;
    } cases[] = {
        {">", " deep"},  {"> ", "deep"},   {"*", "x"},       {"_", "x"},   {"[", "x"},
        {"](", "x"},     {"![", "x"},      {"- ", "x"},      {"1. ", "x"}, {"  - ", "x"},
        {"**a", "b"},    {"*a **b ", "c"}, {"<", "x"},       {"`", "x"},   {"~~", "x"},
        {"[a](", "/x)"}, {"&#", "x"},      {"|", "\n|-|\n"}, {"\\", "x"},  {"    ", "x"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *md = repeat(cases[i].unit, 1000, cases[i].tail);
        char *h = render(md);
        free(h);
        char *t = text(md);
        free(t);
        free(md);
    }
    /* Closed emphasis 1000 deep: balanced output. */
    char *open = repeat("*", 1000, "x");
    char *md = repeat("*", 1000, "");
    size_t n = strlen(open) + strlen(md);
    char *both = malloc(n + 1);
    assert_non_null(both);
    (void)snprintf(both, n + 1, "%s%s", open, md);
    char *h = render(both);
    assert_non_null(strstr(h, "x"));
    free(h);
    free(both);
    free(md);
    free(open);
    /* Blockquotes 1000 deep: 1000 opened and closed. */
    md = repeat(">", 1000, " deep");
    h = render(md);
    size_t opened = 0;
    size_t closed = 0;
    for (const char *p = h; (p = strstr(p, "blockquote>")) != NULL; p++) {
        opened += p[-1] == '<';
        closed += p[-1] == '/';
    }
    assert_int_equal(opened, 1000);
    assert_int_equal(closed, 1000);
    free(h);
    free(md);
}

/* ---- Limits ---- */

static void test_too_large(void **state)
{
    (void)state;
    struct sd_buf b = SD_BUF_INIT(40);
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_buf_puts(&b, "kept:"), SD_OK);
    assert_int_equal(sd_md_render("# a heading that is long\n\nand a paragraph", 42, &b, &err),
                     SD_E_TOO_LARGE);
    assert_int_equal(err.code, SD_E_TOO_LARGE);
    assert_non_null(strstr(err.msg, "over the limit of 40 bytes"));
    /* Nothing partial is left behind. */
    assert_string_equal(sd_buf_cstr(&b), "kept:");
    sd_err_clear(&err);
    assert_int_equal(sd_md_text("word word word word word word word word", 39, &b, &err),
                     SD_E_TOO_LARGE);
    assert_non_null(strstr(err.msg, "plain text"));
    assert_string_equal(sd_buf_cstr(&b), "kept:");
    /* Exactly at the limit fits. */
    assert_int_equal(sd_md_render("abcdefghijklmnopqrstuvwxyz0", 27, &b, &err), SD_OK);
    assert_string_equal(sd_buf_cstr(&b), "kept:<p>abcdefghijklmnopqrstuvwxyz0</p>\n");
    assert_int_equal(b.len, 40);
    assert_int_equal(sd_md_render("a", 1, &b, NULL), SD_E_TOO_LARGE);
    sd_buf_release(&b);

    /* Every limit from 0 up: fails cleanly or renders whole. */
    const char *md = "# T\n\n[a](/x \"t\") ![i](/i) `c` *e*\n\n| a |\n|---|\n| b |\n";
    char *full = render(md);
    for (size_t max = 0; max <= strlen(full); max++) {
        struct sd_buf c = SD_BUF_INIT(max);
        sd_status st = sd_md_render(md, strlen(md), &c, NULL);
        if (max < strlen(full)) {
            assert_int_equal(st, SD_E_TOO_LARGE);
            assert_int_equal(c.len, 0);
        } else {
            assert_int_equal(st, SD_OK);
            assert_string_equal(sd_buf_cstr(&c), full);
        }
        sd_buf_release(&c);
    }
    free(full);

    /* Input over SD_MD_INPUT_MAX is refused before any work. */
    char *huge = calloc(SD_MD_INPUT_MAX + 1, 1);
    assert_non_null(huge);
    struct sd_buf d = SD_BUF_INIT(OUT_MAX);
    assert_int_equal(sd_md_render(huge, SD_MD_INPUT_MAX + 1, &d, &err), SD_E_TOO_LARGE);
    assert_non_null(strstr(err.msg, "markdown of"));
    assert_int_equal(sd_md_text(huge, SD_MD_INPUT_MAX + 1, &d, NULL), SD_E_TOO_LARGE);
    assert_int_equal(d.len, 0);
    sd_buf_release(&d);
    free(huge);
}

static void test_appends(void **state)
{
    (void)state;
    struct sd_buf b = SD_BUF_INIT(1024);
    assert_int_equal(sd_md_render("*a*", 3, &b, NULL), SD_OK);
    assert_int_equal(sd_md_render("b", 1, &b, NULL), SD_OK);
    assert_string_equal(sd_buf_cstr(&b), "<p><em>a</em></p>\n<p>b</p>\n");
    sd_buf_reset(&b);
    assert_int_equal(sd_buf_puts(&b, "x"), SD_OK);
    /* No separator before the first word of this call, even after earlier content. */
    assert_int_equal(sd_md_text("\n\n  y z", 7, &b, NULL), SD_OK);
    assert_string_equal(sd_buf_cstr(&b), "xy z");
    sd_buf_release(&b);
}

/* ---- Plain text ---- */

static void test_text(void **state)
{
    (void)state;
    expect_text("# Title\n\nSome *em* and **strong** ~~gone~~ text.",
                "Title\nSome em and strong gone text.");
    expect_text("[link text](https://e.com/secret-url \"a title\") ![alt words](/img.png \"t\")",
                "link text alt words");
    expect_text("<https://e.com/auto>", "https://e.com/auto");
    expect_text("a<script>alert(1)</script>b", "a<script>alert(1)</script>b");
    expect_text("&amp; &lt;b&gt; &copy; &#65; &#x1F600; &unknownthing; &#0;",
                "& <b> \xc2\xa9 A \xf0\x9f\x98\x80 &unknownthing; \xef\xbf\xbd");
    expect_text("`inline code` and\n\n```sh\n$ make  test\n  two\n```\n",
                "inline code and\n$ make test\ntwo");
    expect_text("- one\n- two\n  - three\n\n1. four", "one\ntwo\nthree\nfour");
    expect_text("- [x] done\n- [ ] todo", "done\ntodo");
    expect_text("| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |", "a b\n1 2\n3 4");
    expect_text("> quoted\n> text\n\n---\n\nafter", "quoted text\nafter");
    expect_text("soft\nbreak hard  \nbreak", "soft break hard\nbreak");
    expect_text("  lots    of\t\tspace   \n\n\n\n  here  ", "lots of space\nhere");
    expect_text("a&#32;&#32;b&#9;c&nbsp;d", "a b c\xc2\xa0"
                                            "d");
    expect_text("x![img](/i.png)y", "x img y");
    expect_text("[ref][r]\n\n[r]: https://e.com/hidden", "ref");
    expect_text("[bad](javascript:alert(1))", "bad");
    expect_text("***\n\n   \n", "");
    /* No markup survives: nothing but the words. */
    char *t =
        text("# H\n\n*a* **b** `c` [d](/e) ![f](/g) ~~h~~\n\n> i\n\n- j\n\n| k |\n|---|\n| l |");
    assert_string_equal(t, "H\na b c d f h\ni\nj\nk\nl");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_lists),        cmocka_unit_test(test_code),
        cmocka_unit_test(test_inline),       cmocka_unit_test(test_tables),
        cmocka_unit_test(test_entities),     cmocka_unit_test(test_links),
        cmocka_unit_test(test_images),       cmocka_unit_test(test_refused_urls),
        cmocka_unit_test(test_raw_html),     cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_binary_junk),  cmocka_unit_test(test_big_input),
        cmocka_unit_test(test_deep_nesting), cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_appends),      cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
