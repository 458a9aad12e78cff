/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Tokens, stems, fillers, sentences and n-grams: see tok.h. */
#include "text/tok.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct sd_stem {
    struct sb_stemmer *sb;
};

sd_status sd_stem_new(sd_stem **out, struct sd_err *err)
{
    sd_stem *st = calloc(1, sizeof *st);
    if (st == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory for a stemmer");
    }
    st->sb = sb_stemmer_new("english", NULL);
    if (st->sb == NULL) {
        free(st);
        return sd_err_set(err, SD_E_INTERNAL, NULL,
                          "libstemmer has no English stemmer; reinstall libstemmer0d");
    }
    *out = st;
    return SD_OK;
}

void sd_stem_free(sd_stem *st)
{
    if (st != NULL) {
        sb_stemmer_delete(st->sb);
        free(st);
    }
}

const char *sd_stem_word(sd_stem *st, sd_arena *a, const char *word)
{
    const sb_symbol *s = sb_stemmer_stem(st->sb, (const sb_symbol *)word, (int)strlen(word));
    if (s == NULL) {
        return word;
    }
    return sd_arena_strndup(a, (const char *)s, (size_t)sb_stemmer_length(st->sb));
}

/* ---- word sets ----------------------------------------------------------- */

static int cmp_str(const void *k, const void *e)
{
    return strcmp(k, *(const char *const *)e);
}

/* Sorted: looked up with bsearch. English function words, plus the words of
 * screen narration that say nothing about the problem. */
static const char *const stopwords[] = {
    "a",       "about", "above",   "after",   "again",  "all",    "also",     "am",      "an",
    "and",     "any",   "are",     "as",      "at",     "be",     "because",  "been",    "before",
    "being",   "below", "between", "both",    "but",    "by",     "can",      "could",   "did",
    "do",      "does",  "doing",   "down",    "during", "each",   "few",      "for",     "from",
    "further", "going", "gonna",   "got",     "had",    "has",    "have",     "having",  "he",
    "her",     "here",  "hers",    "herself", "hi",     "him",    "himself",  "his",     "how",
    "i",       "if",    "im",      "in",      "into",   "is",     "it",       "its",     "itself",
    "ive",     "just",  "let",     "lets",    "me",     "more",   "most",     "my",      "myself",
    "of",      "off",   "ok",      "okay",    "on",     "once",   "only",     "or",      "other",
    "our",     "ours",  "out",     "over",    "own",    "really", "same",     "she",     "should",
    "so",      "some",  "such",    "than",    "that",   "thats",  "the",      "their",   "theirs",
    "them",    "then",  "there",   "these",   "they",   "this",   "those",    "through", "to",
    "too",     "under", "until",   "up",      "us",     "very",   "was",      "we",      "were",
    "what",    "when",  "where",   "which",   "while",  "who",    "whom",     "why",     "will",
    "with",    "would", "yeah",    "you",     "your",   "yours",  "yourself",
};

static const char *const fillers[] = {
    "ah",        "basically", "eh", "er", "erm", "hm", "hmm",
    "literally", "mhm",       "mm", "uh", "uhm", "um", "umm",
};

/* Two-word fillers, removed as a pair. */
static const char *const fillers2[][2] = {
    {"you", "know"},
    {"i", "mean"},
    {"so", "yeah"},
    {"you", "see"},
};

bool sd_tok_is_stopword(const char *word)
{
    return bsearch(word, stopwords, SD_ARRAY_LEN(stopwords), sizeof stopwords[0], cmp_str) != NULL;
}

bool sd_tok_is_filler(const char *word)
{
    return bsearch(word, fillers, SD_ARRAY_LEN(fillers), sizeof fillers[0], cmp_str) != NULL;
}

static bool is_filler2(const char *w1, const char *w2)
{
    for (size_t i = 0; i < SD_ARRAY_LEN(fillers2); i++) {
        if (strcmp(w1, fillers2[i][0]) == 0 && strcmp(w2, fillers2[i][1]) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- UTF-8 -------------------------------------------------------------- */

/* Decodes one code point at @s; *@n gets its length (1 for a bad byte, which
 * decodes as -1). */
static int32_t decode(const unsigned char *s, size_t len, size_t *n)
{
    unsigned c = s[0];
    int32_t cp;
    size_t need;
    if (c < 0x80) {
        *n = 1;
        return (int32_t)c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = (int32_t)(c & 0x1F);
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = (int32_t)(c & 0x0F);
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = (int32_t)(c & 0x07);
    } else {
        *n = 1;
        return -1;
    }
    if (len < need) {
        *n = 1;
        return -1;
    }
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *n = 1;
            return -1;
        }
        cp = (cp << 6) | (int32_t)(s[i] & 0x3F);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        *n = 1;
        return -1;
    }
    *n = need;
    return cp;
}

static size_t encode(int32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Lower case for Latin, Greek and Cyrillic; other scripts have none or keep it. */
static int32_t lower(int32_t cp)
{
    if (cp >= 'A' && cp <= 'Z') {
        return cp + 32;
    }
    if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3AB) ||
        (cp >= 0x410 && cp <= 0x42F)) {
        return cp + 32;
    }
    if (cp >= 0x400 && cp <= 0x40F) {
        return cp + 80;
    }
    if (cp >= 0x100 && cp <= 0x17F && (cp & 1) == 0 && cp != 0x130 && cp != 0x138) {
        return cp + 1;
    }
    return cp;
}

/* Letters and digits of any script count; ASCII punctuation, Latin-1
 * symbols, general punctuation, arrows, box drawing, CJK punctuation and
 * emoji do not. */
static bool is_word(int32_t cp)
{
    if (cp < 0x80) {
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    }
    if (cp < 0xC0) {
        return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
    }
    if (cp == 0xD7 || cp == 0xF7) {
        return false;
    }
    if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF0F) || cp >= 0x1F000 ||
        (cp >= 0xE000 && cp <= 0xF8FF) || cp == 0xFEFF || cp == 0xFFFD) {
        return false;
    }
    return true;
}

/* Joiners inside a word, dropped: don't, v2.1, e-mail stays two words. */
static bool is_joiner(int32_t cp)
{
    return cp == '\'' || cp == 0x2019 || cp == '.';
}

/* ---- words -------------------------------------------------------------- */

struct words {
    sd_arena *a;
    const char **v;
    size_t n, cap, max;
};

static void push(struct words *w, const char *s)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        const char **v = sd_arena_alloc(w->a, cap * sizeof *v);
        if (w->n > 0) {
            memcpy(v, w->v, w->n * sizeof *v);
        }
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = s;
}

/* Calls @emit for each lowercased word of @s; stops at @max words. */
static size_t each_word(const char *s, size_t len, size_t max, void (*emit)(void *, const char *),
                        void *ctx, sd_arena *a)
{
    const unsigned char *p = (const unsigned char *)s;
    char word[SD_TOK_WORD_MAX + 4];
    size_t wl = 0, count = 0, i = 0;
    bool in_word = false;
    while (i <= len) {
        size_t n = 1;
        int32_t cp = i < len ? decode(p + i, len - i, &n) : -1;
        bool w = cp >= 0 && is_word(cp);
        if (w) {
            if (wl + 4 <= SD_TOK_WORD_MAX) {
                wl += encode(lower(cp), word + wl);
            }
            in_word = true;
        } else if (in_word && cp >= 0 && is_joiner(cp) && i + n < len) {
            size_t n2;
            int32_t next = decode(p + i + n, len - i - n, &n2);
            if (!(next >= 0 && is_word(next))) {
                goto end_word;
            }
        } else {
        end_word:
            if (in_word && wl > 0) {
                word[wl] = '\0';
                emit(ctx, sd_arena_strndup(a, word, wl));
                if (++count == max) {
                    return count;
                }
            }
            wl = 0;
            in_word = false;
        }
        i += n;
    }
    return count;
}

static void emit_word(void *ctx, const char *w)
{
    push(ctx, w);
}

size_t sd_tok_words(sd_arena *a, const char *s, size_t len, unsigned flags, sd_stem *stem,
                    size_t max, const char ***out)
{
    struct words raw = {.a = a};
    (void)each_word(s, len, max ? max : SIZE_MAX, emit_word, &raw, a);
    struct words w = {.a = a};
    for (size_t i = 0; i < raw.n; i++) {
        const char *t = raw.v[i];
        if ((flags & SD_TOK_FILLERS) != 0) {
            if (sd_tok_is_filler(t)) {
                continue;
            }
            if (i + 1 < raw.n && is_filler2(t, raw.v[i + 1])) {
                i++;
                continue;
            }
        }
        if ((flags & SD_TOK_STOP) != 0 && sd_tok_is_stopword(t)) {
            continue;
        }
        if ((flags & SD_TOK_STEM) != 0 && stem != NULL) {
            t = sd_stem_word(stem, a, t);
        }
        push(&w, t);
    }
    *out = (const char **)w.v;
    return w.n;
}

/* ---- cleaning a sentence for display -------------------------------------- */

/* Words of @s with their original spelling and the punctuation that follows
 * each, so that the cleaned text reads like the original. */
char *sd_tok_clean(sd_arena *a, const char *s, size_t len)
{
    char *out = sd_arena_alloc(a, len + 1);
    size_t o = 0, i = 0;
    const char *prev = NULL;
    size_t prev_len = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
            i++;
        }
        size_t st = i;
        while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
            i++;
        }
        if (i == st) {
            break;
        }
        /* The bare lowercased word, without trailing punctuation. */
        char bare[SD_TOK_WORD_MAX + 1];
        size_t bl = 0;
        for (size_t k = st; k < i && bl < SD_TOK_WORD_MAX; k++) {
            unsigned char c = (unsigned char)s[k];
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80 ||
                (c >= '0' && c <= '9')) {
                bare[bl++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
            }
        }
        bare[bl] = '\0';
        if (bl > 0 && sd_tok_is_filler(bare)) {
            continue;
        }
        /* A two-word filler: look at the next word. */
        size_t j = i;
        while (j < len && s[j] == ' ') {
            j++;
        }
        size_t k2 = j;
        char nxt[SD_TOK_WORD_MAX + 1];
        size_t nl = 0;
        while (k2 < len && s[k2] != ' ' && nl < SD_TOK_WORD_MAX) {
            unsigned char c = (unsigned char)s[k2];
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
                nxt[nl++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
            }
            k2++;
        }
        nxt[nl] = '\0';
        if (bl > 0 && nl > 0 && is_filler2(bare, nxt)) {
            i = k2;
            continue;
        }
        /* A stutter: the same word twice in a row. */
        if (prev != NULL && prev_len == i - st && memcmp(prev, s + st, prev_len) == 0) {
            continue;
        }
        if (o > 0) {
            out[o++] = ' ';
        }
        memcpy(out + o, s + st, i - st);
        o += i - st;
        prev = s + st;
        prev_len = i - st;
    }
    /* Drop dangling punctuation left by a removed filler (", ,"), and a
     * leading comma. */
    size_t r = 0;
    for (size_t k = 0; k < o; k++) {
        if (out[k] == ',' && (r == 0 || (k + 1 < o && out[k + 1] == ','))) {
            continue;
        }
        if (out[k] == ' ' && r > 0 && out[r - 1] == ' ') {
            continue;
        }
        out[r++] = out[k];
    }
    while (r > 0 && (out[r - 1] == ' ' || out[r - 1] == ',')) {
        r--;
    }
    size_t lead = 0;
    while (lead < r && (out[lead] == ' ' || out[lead] == ',')) {
        lead++;
    }
    memmove(out, out + lead, r - lead);
    r -= lead;
    out[r] = '\0';
    if (r > 0 && out[0] >= 'a' && out[0] <= 'z') {
        out[0] = (char)(out[0] - 32);
    }
    return out;
}

/* ---- sentences -------------------------------------------------------------- */

#define SENT_SOFT_WORDS 8 /* a discourse word may end an unpunctuated sentence after this */
#define SENT_HARD_WORDS 40

static const char *const discourse[] = {"so", "but", "okay", "now", "anyway", "also", "and"};

static bool starts_sentence(const char *w, const char *next)
{
    for (size_t i = 0; i < SD_ARRAY_LEN(discourse); i++) {
        if (strcmp(w, discourse[i]) == 0) {
            /* "and" only as "and then", "and now", "and also". */
            if (strcmp(w, "and") == 0) {
                return next != NULL && (strcmp(next, "then") == 0 || strcmp(next, "now") == 0 ||
                                        strcmp(next, "also") == 0);
            }
            return true;
        }
    }
    return false;
}

struct spans {
    sd_arena *a;
    const char **v;
    size_t n, cap;
};

static void push_span(struct spans *sp, const char *s, size_t len)
{
    while (len > 0 &&
           (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == '\t')) {
        len--;
    }
    while (len > 0 && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
        s++;
        len--;
    }
    if (len == 0) {
        return;
    }
    struct words w = {.a = sp->a, .v = sp->v, .n = sp->n, .cap = sp->cap};
    push(&w, sd_arena_strndup(sp->a, s, len));
    sp->v = w.v;
    sp->n = w.n;
    sp->cap = w.cap;
}

static bool has_punct(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if ((s[i] == '.' || s[i] == '!' || s[i] == '?') && (s[i + 1] == ' ' || s[i + 1] == '\n')) {
            return true;
        }
    }
    return len > 0 && (s[len - 1] == '.' || s[len - 1] == '!' || s[len - 1] == '?');
}

/* Splits an unpunctuated run at discourse words and the hard cut. */
static void split_spoken(struct spans *sp, const char *s, size_t len)
{
    size_t i = 0, start = 0, nwords = 0;
    while (i < len) {
        while (i < len && s[i] == ' ') {
            i++;
        }
        size_t ws = i;
        while (i < len && s[i] != ' ') {
            i++;
        }
        if (ws == i) {
            break;
        }
        char w[16] = {0}, next[16] = {0};
        size_t wl = i - ws < 15 ? i - ws : 15;
        for (size_t k = 0; k < wl; k++) {
            char c = s[ws + k];
            w[k] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        }
        size_t j = i;
        while (j < len && s[j] == ' ') {
            j++;
        }
        for (size_t k = 0; k < 15 && j + k < len && s[j + k] != ' '; k++) {
            char c = s[j + k];
            next[k] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        }
        if ((nwords >= SENT_SOFT_WORDS && starts_sentence(w, next)) || nwords >= SENT_HARD_WORDS) {
            push_span(sp, s + start, ws - start);
            start = ws;
            nwords = 0;
        }
        nwords++;
    }
    push_span(sp, s + start, len - start);
}

static void split_text(struct spans *sp, const char *s, size_t len)
{
    if (!has_punct(s, len)) {
        /* Line breaks still end sentences. */
        size_t start = 0;
        for (size_t i = 0; i <= len; i++) {
            if (i == len || s[i] == '\n') {
                split_spoken(sp, s + start, i - start);
                start = i + 1;
            }
        }
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        bool end = s[i] == '\n';
        if ((s[i] == '.' || s[i] == '!' || s[i] == '?') &&
            (i + 1 == len || s[i + 1] == ' ' || s[i + 1] == '\n')) {
            /* Not after a one-letter abbreviation or "e.g"/"i.e". */
            end = !(i >= 2 && s[i - 2] == '.') && !(i >= 1 && i - 1 == start);
            while (end && i + 1 < len && (s[i + 1] == '.' || s[i + 1] == '!' || s[i + 1] == '?')) {
                i++;
            }
        }
        if (end) {
            push_span(sp, s + start, i + 1 - start);
            start = i + 1;
        }
    }
    push_span(sp, s + start, len - start);
}

size_t sd_tok_sentences(sd_arena *a, const char *s, size_t len, const struct sd_tok_timed *words,
                        size_t n_words, const char ***out)
{
    struct spans sp = {.a = a};
    if (words != NULL && n_words > 0) {
        /* Rebuild the text with a line break at each pause, then split it
         * like typed text: a recogniser that punctuates adds its own ends. */
        size_t total = 0;
        for (size_t i = 0; i < n_words; i++) {
            total += strlen(words[i].text) + 1;
        }
        char *t = sd_arena_alloc(a, total + 1);
        size_t o = 0;
        for (size_t i = 0; i < n_words; i++) {
            if (i > 0) {
                t[o++] = words[i].start_ms - words[i - 1].end_ms >= SD_TOK_PAUSE_MS ? '\n' : ' ';
            }
            size_t l = strlen(words[i].text);
            memcpy(t + o, words[i].text, l);
            o += l;
        }
        t[o] = '\0';
        split_text(&sp, t, o);
    } else if (s != NULL) {
        split_text(&sp, s, len);
    }
    *out = sp.v;
    return sp.n;
}

/* ---- n-grams -------------------------------------------------------------- */

size_t sd_tok_ngrams(sd_arena *a, const char *const *words, size_t n, const char ***out)
{
    struct words w = {.a = a};
    for (size_t i = 0; i < n; i++) {
        push(&w, sd_arena_printf(a, "w:%s", words[i]));
        if (i + 1 < n) {
            push(&w, sd_arena_printf(a, "b:%s_%s", words[i], words[i + 1]));
        }
        /* Character n-grams of ASCII words, within ^ and $: they carry
         * misheard and misspelt words ("exprot") to the right class. */
        size_t l = strlen(words[i]);
        if (l < 4 || l > 24) {
            continue;
        }
        char padded[32];
        padded[0] = '^';
        memcpy(padded + 1, words[i], l);
        padded[l + 1] = '$';
        size_t pl = l + 2;
        for (size_t g = 3; g <= 4; g++) {
            for (size_t k = 0; k + g <= pl; k++) {
                push(&w, sd_arena_printf(a, "c:%.*s", (int)g, padded + k));
            }
        }
    }
    *out = (const char **)w.v;
    return w.n;
}
