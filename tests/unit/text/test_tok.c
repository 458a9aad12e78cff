/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/text/tok.c and src/text/summary.c: words of any script,
 * stems, stopwords and fillers, sentences from punctuation, pauses and
 * discourse words, n-grams; extractive summaries, titles and the
 * environment line; and bad input (empty, binary junk, 1 MB).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/summary.h"
#include "text/tok.h"

static size_t words(sd_arena *a, const char *s, unsigned flags, sd_stem *st, const char ***out)
{
    return sd_tok_words(a, s, strlen(s), flags, st, 0, out);
}

static void test_words(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    const char **w;
    size_t n = words(a, "Don't CLICK Export—v2.1 in Café ÉTÉ, Москва! e-mail", 0, NULL, &w);
    const char *want[] = {"dont", "click", "export", "v21", "in",
                          "café", "été",   "москва", "e",   "mail"};
    assert_int_equal(n, SD_ARRAY_LEN(want));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(w[i], want[i]);
    }
    /* Stopwords and fillers go; stems are Snowball's. */
    sd_stem *st;
    assert_int_equal(sd_stem_new(&st, NULL), SD_OK);
    n = words(a, "um so the exports are you know basically failing uh constantly",
              SD_TOK_STOP | SD_TOK_FILLERS | SD_TOK_STEM, st, &w);
    const char *want2[] = {"export", "fail", "constant"};
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(w[i], want2[i]);
    }
    /* A cap on words, and huge words cut. */
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    n = sd_tok_words(a, big, strlen(big), 0, NULL, 0, &w);
    assert_int_equal(n, 1);
    assert_true(strlen(w[0]) <= SD_TOK_WORD_MAX);
    n = sd_tok_words(a, "a b c d e", 9, 0, NULL, 2, &w);
    assert_int_equal(n, 2);
    assert_true(sd_tok_is_stopword("the") && !sd_tok_is_stopword("export"));
    assert_true(sd_tok_is_filler("um") && !sd_tok_is_filler("report"));
    sd_stem_free(st);
    sd_arena_free(a);
}

static void test_junk(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    const char **w;
    /* Empty, invalid UTF-8, NULs inside, emoji. */
    assert_int_equal(sd_tok_words(a, "", 0, 0, NULL, 0, &w), 0);
    const char junk[] = "\xff\xfe\x80"
                        "ab\xc3(c\0d\xf0\x9f\x98\x80"
                        "e\xed\xa0\x80"
                        "f";
    size_t n = sd_tok_words(a, junk, sizeof junk - 1, 0, NULL, 0, &w);
    assert_true(n >= 4);
    for (size_t i = 0; i < n; i++) {
        assert_true(strlen(w[i]) > 0);
    }
    /* A megabyte of random bytes: words, sentences and a summary, no crash. */
    size_t len = 1 << 20;
    char *big = malloc(len + 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (char)(x >> 16);
    }
    big[len] = '\0';
    n = sd_tok_words(a, big, len, SD_TOK_FILLERS, NULL, 5000, &w);
    assert_true(n <= 5000);
    const char **s;
    (void)sd_tok_sentences(a, big, len, NULL, 0, &s);
    sd_stem *st;
    assert_int_equal(sd_stem_new(&st, NULL), SD_OK);
    struct sd_summary sum;
    sd_summarize(st, a, big, NULL, 0, &sum);
    assert_non_null(sum.title);
    sd_summarize(st, a, "", NULL, 0, &sum);
    assert_string_equal(sum.title, "");
    assert_string_equal(sum.summary, "");
    sd_summarize(st, a, NULL, NULL, 0, &sum);
    assert_string_equal(sum.summary, "");
    sd_stem_free(st);
    free(big);
    sd_arena_free(a);
}

static void test_sentences(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    const char **s;
    size_t n = sd_tok_sentences(a, "The export fails. I tried twice! Why? e.g. on Monday", 52, NULL,
                                0, &s);
    assert_int_equal(n, 4);
    assert_string_equal(s[0], "The export fails.");
    assert_string_equal(s[2], "Why?");
    assert_string_equal(s[3], "e.g. on Monday");
    /* A recogniser's text: no punctuation, cut at discourse words. */
    const char *spoken = "so im on the reports page and i click export and nothing happens at all "
                         "the spinner just keeps going but if i pick a shorter range it works fine "
                         "okay and one more thing";
    n = sd_tok_sentences(a, spoken, strlen(spoken), NULL, 0, &s);
    assert_int_equal(n, 3);
    assert_true(strncmp(s[1], "but if", 6) == 0);
    /* Timed words: a pause of 0.7 s or more ends a sentence. */
    struct sd_tok_timed tw[] = {{"export", 0, 400}, {"is", 450, 600},     {"broken", 650, 900},
                                {"it", 2000, 2100}, {"says", 2150, 2300}, {"error", 2350, 2700}};
    n = sd_tok_sentences(a, NULL, 0, tw, 6, &s);
    assert_int_equal(n, 2);
    assert_string_equal(s[0], "export is broken");
    assert_string_equal(s[1], "it says error");
    sd_arena_free(a);
}

static void test_clean_and_ngrams(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    const char *c = "um so the the export, uh, you know, is basically broken";
    assert_string_equal(sd_tok_clean(a, c, strlen(c)), "So the export, is broken");
    const char *ws[] = {"export", "fail"};
    const char **g;
    size_t n = sd_tok_ngrams(a, ws, 2, &g);
    bool word = false, pair = false, chr = false;
    for (size_t i = 0; i < n; i++) {
        word = word || strcmp(g[i], "w:export") == 0;
        pair = pair || strcmp(g[i], "b:export_fail") == 0;
        chr = chr || strcmp(g[i], "c:^exp") == 0;
    }
    assert_true(word && pair && chr);
    sd_arena_free(a);
}

static void test_summary(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    sd_stem *st;
    assert_int_equal(sd_stem_new(&st, NULL), SD_OK);
    const char *t = "Hi there. When I export the revenue report to CSV the file is empty. "
                    "The weather is nice today. The CSV export worked last week but now the "
                    "report export gives an empty file every time. Thanks!";
    struct sd_summary s;
    sd_summarize(st, a, t, NULL, 0, &s);
    assert_string_equal(s.title, "When I export the revenue report to CSV the file is empty");
    assert_non_null(strstr(s.summary, "When I export the revenue report"));
    assert_non_null(strstr(s.summary, "empty file every time."));
    assert_null(strstr(s.summary, "weather"));
    /* Spoken: fillers gone, capitalised, at most two sentences. */
    const char *sp = "um so basically i cant log in uh the code from my phone is rejected every "
                     "time and i tried like five times now so yeah please help";
    sd_summarize(st, a, sp, NULL, 0, &s);
    assert_null(strstr(s.summary, "um "));
    assert_null(strstr(s.summary, "basically"));
    assert_true(s.summary[0] >= 'A' && s.summary[0] <= 'Z');
    sd_stem_free(st);
    sd_arena_free(a);
}

static void test_environment(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    const char *chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                         "like Gecko) Chrome/120.0.0.0 Safari/537.36";
    assert_string_equal(
        sd_environment(a, chrome, "https://app.example.com/reports/export?token=s3cret", 2),
        "Chrome 120 on Windows, /reports/export, 2 console errors");
    const char *safari =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
    assert_string_equal(sd_environment(a, safari, NULL, 1), "Safari 17 on iOS, 1 console error");
    const char *ff = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    assert_string_equal(sd_environment(a, ff, "/settings", 0), "Firefox 121 on Linux, /settings");
    const char *edge =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61";
    assert_string_equal(sd_environment(a, edge, NULL, 0), "Edge 120 on macOS");
    assert_string_equal(sd_environment(a, NULL, NULL, 0), "");
    assert_string_equal(sd_environment(a, "curl/8.0", NULL, 0), "");
    sd_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),     cmocka_unit_test(test_junk),
        cmocka_unit_test(test_sentences), cmocka_unit_test(test_clean_and_ngrams),
        cmocka_unit_test(test_summary),   cmocka_unit_test(test_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
