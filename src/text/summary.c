/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Extractive summaries, titles and the environment line: see summary.h. */
#include "text/summary.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

#define SENTS_MAX     400
#define SUMMARY_WORDS 40
#define TITLE_WORDS   12
#define TEXT_MAX      ((size_t)256 * 1024)

struct vec {
    const char **w; /* sorted stems */
    size_t n;
};

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static double cosine(const struct vec *a, const struct vec *b)
{
    if (a->n == 0 || b->n == 0) {
        return 0;
    }
    size_t i = 0, j = 0, common = 0;
    while (i < a->n && j < b->n) {
        int c = strcmp(a->w[i], b->w[j]);
        if (c == 0) {
            common++;
            i++;
            j++;
        } else if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    return (double)common / sqrt((double)a->n * (double)b->n);
}

/* @s cut to @max words, with an ellipsis when cut. */
static const char *cut_words(sd_arena *a, const char *s, size_t max)
{
    size_t words = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == ' ' && ++words == max) {
            return sd_arena_printf(a, "%.*s…", (int)i, s);
        }
    }
    return s;
}

/* Lead-ins that say nothing: greetings and narration. */
static const char *const lead_ins[] = {
    "hi there ",  "hello there ", "hey there ", "hi ",      "hello ",  "hey ", "so ",
    "okay so ",   "ok so ",       "okay ",      "ok ",      "well ",   "and ", "but ",
    "basically ", "yeah ",        "right ",     "alright ", "anyway ", "now ",
};

static const char *strip_lead(const char *s)
{
    bool again = true;
    while (again) {
        again = false;
        for (size_t i = 0; i < SD_ARRAY_LEN(lead_ins); i++) {
            size_t l = strlen(lead_ins[i]);
            if (strncasecmp(s, lead_ins[i], l) == 0) {
                s += l;
                again = true;
            }
        }
    }
    return s;
}

static char *capitalise(sd_arena *a, const char *s)
{
    char *c = sd_arena_strdup(a, s);
    if (c[0] >= 'a' && c[0] <= 'z') {
        c[0] = (char)(c[0] - 32);
    }
    /* A lone "i" is "I". */
    for (size_t i = 0; c[i] != '\0'; i++) {
        if (c[i] == 'i' && (i == 0 || c[i - 1] == ' ') &&
            (c[i + 1] == ' ' || c[i + 1] == '\'' || c[i + 1] == '\0')) {
            c[i] = 'I';
        }
    }
    return c;
}

static bool ends_sentence(const char *s)
{
    size_t l = strlen(s);
    return l > 0 && (s[l - 1] == '.' || s[l - 1] == '!' || s[l - 1] == '?' ||
                     (l >= 3 && strcmp(s + l - 3, "…") == 0));
}

/* Introductions say who speaks, not what is wrong; words of a problem or a
 * question say it. */
static const char *const intro_starts[] = {
    "this is ",          "my name is ",  "i'm the ",       "im the ",  "i am the ",
    "i'm from ",         "im from ",     "we are a ",      "we're a ", "were a ",
    "we just signed up", "first of all", "quick question", "thanks ",  "thank you",
};
static const char *const problem_words[] = {
    "cant ",   "can't ", "cannot ",         "doesnt ", "doesn't ",  "not working",
    "error",   "broken", "fails",           "failed",  "how do i ", "how can i ",
    "wont ",   "won't ", "nothing happens", "stuck",   "charged",   "refund",
    "missing", "wrong",  "blank",           "empty",
};

static double weight_of(const char *sentence)
{
    const char *s = strip_lead(sentence);
    for (size_t i = 0; i < SD_ARRAY_LEN(intro_starts); i++) {
        if (strncasecmp(s, intro_starts[i], strlen(intro_starts[i])) == 0) {
            return -0.25;
        }
    }
    for (size_t i = 0; i < SD_ARRAY_LEN(problem_words); i++) {
        if (strcasestr(s, problem_words[i]) != NULL) {
            return 0.05;
        }
    }
    return 0;
}

void sd_summarize(sd_stem *stem, sd_arena *a, const char *text, const struct sd_tok_timed *words,
                  size_t n_words, struct sd_summary *out)
{
    out->title = "";
    out->summary = "";
    size_t len = text ? strlen(text) : 0;
    if (len > TEXT_MAX) {
        len = TEXT_MAX;
    }
    const char **sents;
    size_t n = sd_tok_sentences(a, text, len, words, n_words, &sents);
    if (n > SENTS_MAX) {
        n = SENTS_MAX;
    }
    if (n == 0) {
        return;
    }
    struct vec *v = sd_arena_alloc(a, n * sizeof *v);
    const char **clean = sd_arena_alloc(a, n * sizeof *clean);
    for (size_t i = 0; i < n; i++) {
        clean[i] = sd_tok_clean(a, sents[i], strlen(sents[i]));
        v[i].n = sd_tok_words(a, sents[i], strlen(sents[i]),
                              SD_TOK_STOP | SD_TOK_FILLERS | SD_TOK_STEM, stem, 200, &v[i].w);
        if (v[i].n > 1) {
            qsort(v[i].w, v[i].n, sizeof *v[i].w, cmp_str);
            size_t m = 1;
            for (size_t k = 1; k < v[i].n; k++) {
                if (strcmp(v[i].w[k], v[i].w[m - 1]) != 0) {
                    v[i].w[m++] = v[i].w[k];
                }
            }
            v[i].n = m;
        }
    }
    size_t best = SIZE_MAX, second = SIZE_MAX;
    double s_best = -1, s_second = -1;
    for (size_t i = 0; i < n; i++) {
        /* Sentences of fewer than three content words are not summaries. */
        if (v[i].n < 3 && n > 1) {
            continue;
        }
        double score = 0;
        for (size_t j = 0; j < n; j++) {
            if (j != i) {
                score += cosine(&v[i], &v[j]);
            }
        }
        score = score / (double)(n > 1 ? n - 1 : 1) + (i == 0 ? 0.15 : i == 1 ? 0.08 : 0);
        score += weight_of(clean[i]);
        if (score > s_best) {
            second = best;
            s_second = s_best;
            best = i;
            s_best = score;
        } else if (score > s_second) {
            second = i;
            s_second = score;
        }
    }
    if (best == SIZE_MAX) {
        best = 0;
    }
    size_t first = best, next = second;
    if (next != SIZE_MAX && next < first) {
        first = second;
        next = best;
    }
    const char *s1 = capitalise(a, cut_words(a, strip_lead(clean[first]), SUMMARY_WORDS));
    const char *sum = ends_sentence(s1) ? s1 : sd_arena_printf(a, "%s.", s1);
    if (next != SIZE_MAX && clean[next][0] != '\0') {
        const char *s2 = capitalise(a, cut_words(a, strip_lead(clean[next]), SUMMARY_WORDS));
        sum = sd_arena_printf(a, "%s %s%s", sum, s2, ends_sentence(s2) ? "" : ".");
    }
    out->summary = sum;

    char *title = capitalise(a, cut_words(a, strip_lead(clean[best]), TITLE_WORDS));
    size_t tl = strlen(title);
    while (tl > 0 && (title[tl - 1] == '.' || title[tl - 1] == ',' || title[tl - 1] == '!' ||
                      title[tl - 1] == '?')) {
        title[--tl] = '\0';
    }
    out->title = title;
}

/* ---- the environment line ------------------------------------------------ */

/* The major version after @key in @ua ("Chrome/120.0" gives 120), or NULL. */
static const char *major(sd_arena *a, const char *ua, const char *key)
{
    const char *p = strstr(ua, key);
    if (p == NULL) {
        return NULL;
    }
    p += strlen(key);
    size_t l = 0;
    while (p[l] >= '0' && p[l] <= '9' && l < 6) {
        l++;
    }
    return l ? sd_arena_strndup(a, p, l) : "";
}

/* "Chrome 120", "Safari 17", "Firefox 121"..., or NULL when unknown. */
static const char *ua_browser(sd_arena *a, const char *ua)
{
    static const struct {
        const char *key, *name;
    } browsers[] = {
        {"Edg/", "Edge"},        {"EdgA/", "Edge"},
        {"OPR/", "Opera"},       {"SamsungBrowser/", "Samsung Internet"},
        {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
        {"CriOS/", "Chrome"},    {"Chromium/", "Chromium"},
        {"Chrome/", "Chrome"},   {"Version/", "Safari"},
    };
    if (ua == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < SD_ARRAY_LEN(browsers); i++) {
        const char *v = major(a, ua, browsers[i].key);
        if (v == NULL) {
            continue;
        }
        if (strcmp(browsers[i].name, "Safari") == 0 && strstr(ua, "Safari/") == NULL) {
            continue;
        }
        return v[0] ? sd_arena_printf(a, "%s %s", browsers[i].name, v) : browsers[i].name;
    }
    return NULL;
}

/* "Windows", "macOS", "iOS", "Android", "Linux", "ChromeOS", or NULL. */
static const char *ua_os(const char *ua)
{
    if (ua == NULL) {
        return NULL;
    }
    if (strstr(ua, "iPhone") || strstr(ua, "iPad") || strstr(ua, "iPod")) {
        return "iOS";
    }
    if (strstr(ua, "Android")) {
        return "Android";
    }
    if (strstr(ua, "CrOS")) {
        return "ChromeOS";
    }
    if (strstr(ua, "Windows")) {
        return "Windows";
    }
    if (strstr(ua, "Mac OS X") || strstr(ua, "Macintosh")) {
        return "macOS";
    }
    if (strstr(ua, "Linux") || strstr(ua, "X11")) {
        return "Linux";
    }
    return NULL;
}

const char *sd_environment(sd_arena *a, const char *user_agent, const char *page_url,
                           size_t n_console_errors)
{
    const char *browser = ua_browser(a, user_agent), *os = ua_os(user_agent);
    const char *parts[3];
    size_t np = 0;
    if (browser && os) {
        parts[np++] = sd_arena_printf(a, "%s on %s", browser, os);
    } else if (browser || os) {
        parts[np++] = browser ? browser : os;
    }
    if (page_url != NULL) {
        const char *p = strstr(page_url, "://");
        p = p ? strchr(p + 3, '/') : (page_url[0] == '/' ? page_url : NULL);
        if (p != NULL) {
            size_t l = strcspn(p, "?#");
            if (l > 80) {
                l = 80;
            }
            parts[np++] = sd_arena_strndup(a, p, l);
        }
    }
    if (n_console_errors > 0) {
        parts[np++] = sd_arena_printf(a, "%zu console error%s", n_console_errors,
                                      n_console_errors == 1 ? "" : "s");
    }
    switch (np) {
    case 0:
        return "";
    case 1:
        return parts[0];
    case 2:
        return sd_arena_printf(a, "%s, %s", parts[0], parts[1]);
    default:
        return sd_arena_printf(a, "%s, %s, %s", parts[0], parts[1], parts[2]);
    }
}
