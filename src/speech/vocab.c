/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: see vocab.h. Pronunciations of unknown words and an ARPA trigram
 * model of a workspace's text; no engine code here.
 */
#include "speech/vocab.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "base/banned.h"

#define WORD_MAX 64

/* ---- pronunciations ----------------------------------------------------- */

static const char *const letter_names[26] = {"EY",
                                             "B IY",
                                             "S IY",
                                             "D IY",
                                             "IY",
                                             "EH F",
                                             "JH IY",
                                             "EY CH",
                                             "AY",
                                             "JH EY",
                                             "K EY",
                                             "EH L",
                                             "EH M",
                                             "EH N",
                                             "OW",
                                             "P IY",
                                             "K Y UW",
                                             "AA R",
                                             "EH S",
                                             "T IY",
                                             "Y UW",
                                             "V IY",
                                             "D AH B AH L Y UW",
                                             "EH K S",
                                             "W AY",
                                             "Z IY"};

static const char *const digit_names[10] = {"Z IH R OW", "W AH N", "T UW",     "TH R IY",
                                            "F AO R",    "F AY V", "S IH K S", "S EH V AH N",
                                            "EY T",      "N AY N"};

/* Appends @phones to @out (SD__VOCAB_PHONES_MAX bytes) with a space; false when full. */
static bool put(char *out, const char *phones)
{
    size_t n = strlen(out), m = strlen(phones);
    if (m == 0) {
        return true;
    }
    if (n + m + 2 > SD__VOCAB_PHONES_MAX) {
        return false;
    }
    if (n > 0) {
        out[n++] = ' ';
    }
    memcpy(out + n, phones, m + 1);
    return true;
}

static bool is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

/* @w spelled letter by letter (digits as numbers). */
static void spell(const char *w, char *out)
{
    out[0] = '\0';
    for (const char *c = w; *c != '\0'; c++) {
        if (*c >= 'a' && *c <= 'z') {
            (void)put(out, letter_names[*c - 'a']);
        } else if (*c >= '0' && *c <= '9') {
            (void)put(out, digit_names[*c - '0']);
        }
    }
}

struct rule {
    const char *g; /* letters */
    const char *p; /* phones */
};

/* Longest spellings first within each starting letter does not matter: all are tried by length. */
static const struct rule rules[] = {
    {"tion", "SH AH N"}, {"sion", "ZH AH N"}, {"ough", "AO"}, {"igh", "AY"}, {"tch", "CH"},
    {"sch", "S K"},      {"ch", "CH"},        {"sh", "SH"},   {"th", "TH"},  {"ph", "F"},
    {"wh", "W"},         {"ck", "K"},         {"ng", "NG"},   {"qu", "K W"}, {"ee", "IY"},
    {"ea", "IY"},        {"oo", "UW"},        {"ai", "EY"},   {"ay", "EY"},  {"ei", "EY"},
    {"ey", "EY"},        {"oa", "OW"},        {"ow", "OW"},   {"ou", "AW"},  {"oi", "OY"},
    {"oy", "OY"},        {"au", "AO"},        {"aw", "AO"},   {"ew", "UW"},  {"ue", "UW"},
    {"ie", "IY"},        {"er", "ER"},        {"ir", "ER"},   {"ur", "ER"},  {"ar", "AA R"},
    {"or", "AO R"},
};

static const char *const consonant[26] = {NULL, "B", "K",  "D", NULL, "F",   "G", "HH", NULL,
                                          "JH", "K", "L",  "M", "N",  NULL,  "P", "K",  "R",
                                          "S",  "T", NULL, "V", "W",  "K S", "Y", "Z"};

/* Letter-to-sound rules over a lowercase word of letters and digits. */
static void by_rules(const char *w, char *out)
{
    out[0] = '\0';
    size_t n = strlen(w);
    /* A silent final e after a consonant, in words of more than 3 letters. */
    size_t end = n;
    if (n > 3 && w[n - 1] == 'e' && !is_vowel(w[n - 2])) {
        end = n - 1;
    }
    for (size_t i = 0; i < end;) {
        char c = w[i];
        if (c >= '0' && c <= '9') {
            (void)put(out, digit_names[c - '0']);
            i++;
            continue;
        }
        if (c < 'a' || c > 'z') {
            i++;
            continue;
        }
        const struct rule *best = NULL;
        for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
            size_t len = strlen(rules[r].g);
            if (i + len <= end && strncmp(w + i, rules[r].g, len) == 0 &&
                (best == NULL || len > strlen(best->g))) {
                best = &rules[r];
            }
        }
        if (best != NULL) {
            (void)put(out, best->p);
            i += strlen(best->g);
            continue;
        }
        if (i > 0 && w[i - 1] == c && !is_vowel(c)) {
            i++; /* a doubled consonant is one sound */
            continue;
        }
        char next = '\0';
        if (i + 1 < end) {
            next = w[i + 1];
        }
        const char *p = NULL;
        if (is_vowel(c)) {
            /* A vowel, consonant, silent e: the long vowel ("cite", "note"). */
            bool is_long = end < n && i + 2 == end && !is_vowel(next);
            switch (c) {
            case 'a':
                p = is_long ? "EY" : "AE";
                break;
            case 'e':
                p = is_long ? "IY" : "EH";
                break;
            case 'i':
                p = is_long ? "AY" : "IH";
                break;
            case 'o':
                p = is_long ? "OW" : "AA";
                break;
            default:
                p = is_long ? "UW" : "AH";
                break;
            }
        } else if (c == 'c') {
            p = next == 'e' || next == 'i' || next == 'y' ? "S" : "K";
        } else if (c == 'g') {
            p = next == 'e' || next == 'i' || next == 'y' ? "JH" : "G";
        } else if (c == 'l' && i + 1 == end && i > 0 && !is_vowel(w[i - 1]) && w[i - 1] != 'l') {
            p = "AH L"; /* syllabic: "saml", "able" */
        } else if (c == 'y') {
            p = i == 0 ? "Y" : (i + 1 == end ? "IY" : "IH");
        } else {
            p = consonant[c - 'a'];
        }
        (void)put(out, p);
        i++;
    }
}

/*
 * @w split into dictionary words of at least two letters, fewest parts and
 * then the longest shortest part; false when there is no split in two or
 * more parts.
 */
static bool split(const char *w, sd__vocab_lookup_fn lookup, void *user, char *out)
{
    size_t n = strlen(w);
    if (n < 4 || n >= WORD_MAX) {
        return false;
    }
    /* best[i]: parts and shortest part of the best split of w[0..i). */
    int parts[WORD_MAX + 1], shortest[WORD_MAX + 1], from[WORD_MAX + 1];
    parts[0] = 0;
    shortest[0] = WORD_MAX;
    for (size_t i = 1; i <= n; i++) {
        parts[i] = -1;
        for (size_t j = 0; j + 2 <= i; j++) {
            if (parts[j] < 0 || (j == 0 && i == n)) {
                continue; /* the whole word is not a split */
            }
            char piece[WORD_MAX];
            memcpy(piece, w + j, i - j);
            piece[i - j] = '\0';
            if (lookup(user, piece) == NULL) {
                continue;
            }
            int p = parts[j] + 1;
            int s = shortest[j] < (int)(i - j) ? shortest[j] : (int)(i - j);
            if (parts[i] < 0 || p < parts[i] || (p == parts[i] && s > shortest[i])) {
                parts[i] = p;
                shortest[i] = s;
                from[i] = (int)j;
            }
        }
    }
    if (parts[n] < 2) {
        return false;
    }
    size_t cuts[WORD_MAX], k = 0;
    for (size_t i = n; i > 0; i = (size_t)from[i]) {
        cuts[k++] = i;
    }
    out[0] = '\0';
    size_t start = 0;
    while (k > 0) {
        size_t stop = cuts[--k];
        char piece[WORD_MAX];
        memcpy(piece, w + start, stop - start);
        piece[stop - start] = '\0';
        if (!put(out, lookup(user, piece))) {
            return false;
        }
        start = stop;
    }
    return true;
}

int sd__vocab_pronounce(const char *word, sd__vocab_lookup_fn lookup, void *user,
                        char out[2][SD__VOCAB_PHONES_MAX])
{
    char w[WORD_MAX];
    size_t n = 0;
    int upper = 0, lower = 0, digits = 0, vowels = 0;
    for (const char *c = word; *c != '\0' && n + 1 < sizeof(w); c++) {
        unsigned char u = (unsigned char)*c;
        if (isupper(u)) {
            upper++;
        } else if (islower(u)) {
            lower++;
        } else if (isdigit(u)) {
            digits++;
        } else {
            continue; /* apostrophes, accents: not pronounced by these rules */
        }
        w[n] = (char)tolower(u);
        vowels += is_vowel(w[n]) || w[n] == 'y';
        n++;
    }
    w[n] = '\0';
    out[0][0] = out[1][0] = '\0';
    if (upper + lower == 0 && digits == 0) {
        return 0;
    }
    const char *known = lookup(user, w);
    if (known != NULL && strlen(known) < SD__VOCAB_PHONES_MAX) {
        memcpy(out[0], known, strlen(known) + 1);
        return 1;
    }
    bool acronym =
        (upper >= 2 && lower == 0) || (digits > 0 && upper + lower > 0) || (n <= 3 && vowels == 0);
    if (acronym) {
        spell(w, out[0]);
        if (vowels > 0 && n >= 3 && digits == 0) {
            if (!split(w, lookup, user, out[1])) {
                by_rules(w, out[1]);
            }
        }
        return out[1][0] != '\0' && strcmp(out[0], out[1]) != 0 ? 2 : 1;
    }
    if (split(w, lookup, user, out[0])) {
        return 1;
    }
    by_rules(w, out[0]);
    return out[0][0] != '\0' ? 1 : 0;
}

/* ---- words -------------------------------------------------------------- */

static bool word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

void sd__vocab_words(const char *text, void (*fn)(void *user, const char *word, bool upper),
                     void *user)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p != '\0') {
        if (*p == '.' || *p == '!' || *p == '?' || *p == '\n') {
            fn(user, "", false);
            p++;
            continue;
        }
        if (!word_byte(*p)) {
            p++;
            continue;
        }
        char w[WORD_MAX];
        size_t n = 0;
        int up = 0, low = 0;
        while (word_byte(*p) || (*p == '\'' && n > 0 && word_byte(p[1]))) {
            if (n + 1 < sizeof(w)) {
                up += isupper(*p) != 0;
                low += islower(*p) != 0;
                w[n++] = (char)tolower(*p);
            }
            p++;
        }
        w[n] = '\0';
        fn(user, w, up >= 2 && low == 0);
    }
    fn(user, "", false);
}

/* ---- the n-gram model ---------------------------------------------------- */

struct gram {
    uint32_t w[3];
    uint32_t count;
};

struct lm {
    /* words: interned, id = index */
    char **words;
    size_t n_words, cap_words;
    uint32_t *whash; /* open addressing: id + 1, 0 = empty */
    size_t whash_cap;
    /* n-grams of order 1..3 in one open-addressing table each */
    struct gram *g[3];
    size_t n_g[3], cap_g[3];
    /* the sentence being read */
    uint32_t hist[2];
    int n_hist;
    int weight;
    bool oom;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

static uint64_t hash_gram(const uint32_t *w, int order)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < order; i++) {
        h = (h ^ w[i]) * 1099511628211ULL;
        h ^= h >> 29;
    }
    return h;
}

static bool grow_words(struct lm *m)
{
    size_t cap = m->whash_cap ? m->whash_cap * 2 : 1024;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (t == NULL) {
        return false;
    }
    for (size_t i = 0; i < m->n_words; i++) {
        size_t at = hash_str(m->words[i]) & (cap - 1);
        while (t[at] != 0) {
            at = (at + 1) & (cap - 1);
        }
        t[at] = (uint32_t)i + 1;
    }
    free(m->whash);
    m->whash = t;
    m->whash_cap = cap;
    return true;
}

/* The id of @w, interned; UINT32_MAX when out of memory. */
static uint32_t word_id(struct lm *m, const char *w)
{
    if ((m->n_words + 1) * 2 > m->whash_cap && !grow_words(m)) {
        return UINT32_MAX;
    }
    size_t at = hash_str(w) & (m->whash_cap - 1);
    while (m->whash[at] != 0) {
        if (strcmp(m->words[m->whash[at] - 1], w) == 0) {
            return m->whash[at] - 1;
        }
        at = (at + 1) & (m->whash_cap - 1);
    }
    if (m->n_words == m->cap_words) {
        size_t cap = m->cap_words ? m->cap_words * 2 : 512;
        char **nw = realloc(m->words, cap * sizeof(*nw));
        if (nw == NULL) {
            return UINT32_MAX;
        }
        m->words = nw;
        m->cap_words = cap;
    }
    char *copy = strdup(w);
    if (copy == NULL) {
        return UINT32_MAX;
    }
    m->words[m->n_words] = copy;
    m->whash[at] = (uint32_t)m->n_words + 1;
    return (uint32_t)m->n_words++;
}

static bool grow_grams(struct lm *m, int o)
{
    size_t cap = m->cap_g[o] ? m->cap_g[o] * 2 : 1024;
    struct gram *t = calloc(cap, sizeof(*t));
    if (t == NULL) {
        return false;
    }
    for (size_t i = 0; i < m->cap_g[o]; i++) {
        if (m->g[o][i].count == 0) {
            continue;
        }
        size_t at = hash_gram(m->g[o][i].w, o + 1) & (cap - 1);
        while (t[at].count != 0) {
            at = (at + 1) & (cap - 1);
        }
        t[at] = m->g[o][i];
    }
    free(m->g[o]);
    m->g[o] = t;
    m->cap_g[o] = cap;
    return true;
}

static void count(struct lm *m, const uint32_t *w, int order, uint32_t n)
{
    int o = order - 1;
    if ((m->n_g[o] + 1) * 2 > m->cap_g[o] && !grow_grams(m, o)) {
        m->oom = true;
        return;
    }
    size_t at = hash_gram(w, order) & (m->cap_g[o] - 1);
    while (m->g[o][at].count != 0) {
        if (memcmp(m->g[o][at].w, w, (size_t)order * sizeof(uint32_t)) == 0) {
            m->g[o][at].count += n;
            return;
        }
        at = (at + 1) & (m->cap_g[o] - 1);
    }
    memset(&m->g[o][at], 0, sizeof(m->g[o][at]));
    memcpy(m->g[o][at].w, w, (size_t)order * sizeof(uint32_t));
    m->g[o][at].count = n;
    m->n_g[o]++;
}

#define BOS 0u /* <s> */
#define EOS 1u /* </s> */

/* One word of a sentence; "" ends it. */
static void on_word(void *user, const char *w, bool upper)
{
    (void)upper;
    struct lm *m = user;
    if (m->oom) {
        return;
    }
    uint32_t id = EOS;
    if (w[0] == '\0') {
        if (m->n_hist == 1 && m->hist[1] == BOS) {
            return; /* an empty sentence */
        }
    } else if ((id = word_id(m, w)) == UINT32_MAX) {
        m->oom = true;
        return;
    }
    uint32_t n = (uint32_t)m->weight;
    uint32_t g1[1] = {id};
    count(m, g1, 1, n);
    uint32_t g2[2] = {m->hist[1], id};
    count(m, g2, 2, n);
    if (m->n_hist >= 2) {
        uint32_t g3[3] = {m->hist[0], m->hist[1], id};
        count(m, g3, 3, n);
    }
    if (id == EOS) {
        m->hist[0] = BOS;
        m->hist[1] = BOS;
        m->n_hist = 1;
    } else {
        m->hist[0] = m->hist[1];
        m->hist[1] = id;
        m->n_hist++;
    }
}

static int by_words(const void *a, const void *b)
{
    const struct gram *x = a, *y = b;
    for (int i = 0; i < 3; i++) {
        if (x->w[i] != y->w[i]) {
            return x->w[i] < y->w[i] ? -1 : 1;
        }
    }
    return 0;
}

/* Packs the used slots of table @o to its front, sorted by word ids (the hash is gone after). */
static void pack(struct lm *m, int o)
{
    size_t k = 0;
    for (size_t i = 0; i < m->cap_g[o]; i++) {
        if (m->g[o][i].count != 0) {
            m->g[o][k++] = m->g[o][i];
        }
    }
    if (k > 1) {
        qsort(m->g[o], k, sizeof(struct gram), by_words);
    }
}

/* The index of bigram (@a, @b) in the packed table; it exists for every trigram's parts. */
static size_t bigram_at(const struct lm *m, uint32_t a, uint32_t b)
{
    struct gram key = {{a, b, 0}, 1};
    const struct gram *g = bsearch(&key, m->g[1], m->n_g[1], sizeof(key), by_words);
    SD_ASSERT(g != NULL);
    return (size_t)(g - m->g[1]);
}

static double lg(double p)
{
    return p > 0 ? log10(p) : -99.0;
}

sd_status sd__vocab_arpa(const char *corpus, const char *const *phrases, size_t n_phrases,
                         int phrase_weight, struct sd_buf *out, struct sd_err *err)
{
    struct lm m;
    memset(&m, 0, sizeof(m));
    m.hist[0] = m.hist[1] = BOS;
    m.n_hist = 1;
    m.oom = word_id(&m, "<s>") != BOS || word_id(&m, "</s>") != EOS;
    m.weight = 1;
    if (corpus != NULL) {
        sd__vocab_words(corpus, on_word, &m);
    }
    m.weight = phrase_weight > 0 ? phrase_weight : 1;
    for (size_t i = 0; i < n_phrases; i++) {
        sd__vocab_words(phrases[i], on_word, &m);
    }
    sd_status st = SD_OK;
    if (m.oom) {
        st = sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory building the vocabulary model");
    } else if (m.n_words <= 2) {
        st = sd_err_set(err, SD_E_INVALID, "vocabulary", "the vocabulary has no words");
    }
    double *p1 = NULL, *bo1 = NULL, *hist1 = NULL, *types1 = NULL, *sum2 = NULL;
    double *p2 = NULL, *bo2 = NULL, *hist2 = NULL, *types2 = NULL, *sum3 = NULL;
    if (st == SD_OK) {
        for (int o = 0; o < 3; o++) {
            pack(&m, o);
        }
        size_t nb = m.n_g[1] + 1;
        p1 = sd_xcalloc(m.n_words, sizeof(double));
        bo1 = sd_xcalloc(m.n_words, sizeof(double));
        hist1 = sd_xcalloc(m.n_words, sizeof(double));
        types1 = sd_xcalloc(m.n_words, sizeof(double));
        sum2 = sd_xcalloc(m.n_words, sizeof(double));
        p2 = sd_xcalloc(nb, sizeof(double));
        bo2 = sd_xcalloc(nb, sizeof(double));
        hist2 = sd_xcalloc(nb, sizeof(double));
        types2 = sd_xcalloc(nb, sizeof(double));
        sum3 = sd_xcalloc(nb, sizeof(double));
    }
    const double d = 0.5; /* absolute discount */
    if (st == SD_OK) {
        /* Unigrams: maximum likelihood, with 1% kept for <unk>. */
        double total = 0;
        for (size_t i = 0; i < m.n_g[0]; i++) {
            total += m.g[0][i].count;
        }
        for (size_t i = 0; i < m.n_g[0]; i++) {
            p1[m.g[0][i].w[0]] = 0.99 * m.g[0][i].count / total;
        }
        /* Bigrams: (c - d) / c(h); what d takes goes back to the unigrams. */
        for (size_t i = 0; i < m.n_g[1]; i++) {
            hist1[m.g[1][i].w[0]] += m.g[1][i].count;
            types1[m.g[1][i].w[0]] += 1;
        }
        for (size_t i = 0; i < m.n_g[1]; i++) {
            const struct gram *g = &m.g[1][i];
            p2[i] = (g->count - d) / hist1[g->w[0]];
            sum2[g->w[0]] += p1[g->w[1]];
        }
        for (size_t w = 0; w < m.n_words; w++) {
            double left = 1.0 - sum2[w];
            bo1[w] = hist1[w] > 0 && left > 1e-9 ? (d * types1[w] / hist1[w]) / left : 1.0;
        }
        /* Trigrams: the same one order up, backing off to the bigrams. */
        for (size_t i = 0; i < m.n_g[2]; i++) {
            const struct gram *g = &m.g[2][i];
            size_t h = bigram_at(&m, g->w[0], g->w[1]);
            hist2[h] += g->count;
            types2[h] += 1;
            sum3[h] += p2[bigram_at(&m, g->w[1], g->w[2])];
        }
        for (size_t i = 0; i < m.n_g[1]; i++) {
            double left = 1.0 - sum3[i];
            bo2[i] = hist2[i] > 0 && left > 1e-9 ? (d * types2[i] / hist2[i]) / left : 1.0;
        }
    }
    if (st == SD_OK) {
        sd_status w = sd_buf_printf(out, "\\data\\\nngram 1=%zu\nngram 2=%zu\nngram 3=%zu\n\n",
                                    m.n_g[0] + 2, m.n_g[1], m.n_g[2]);
        w = w == SD_OK ? sd_buf_puts(out, "\\1-grams:\n") : w;
        w = w == SD_OK ? sd_buf_printf(out, "%.6f <unk>\n", lg(0.01)) : w;
        w = w == SD_OK ? sd_buf_printf(out, "-99.000000 <s> %.6f\n", lg(bo1[BOS])) : w;
        for (size_t i = 0; w == SD_OK && i < m.n_g[0]; i++) {
            uint32_t id = m.g[0][i].w[0];
            if (id == EOS) {
                w = sd_buf_printf(out, "%.6f </s>\n", lg(p1[id]));
            } else {
                w = sd_buf_printf(out, "%.6f %s %.6f\n", lg(p1[id]), m.words[id], lg(bo1[id]));
            }
        }
        w = w == SD_OK ? sd_buf_puts(out, "\n\\2-grams:\n") : w;
        for (size_t i = 0; w == SD_OK && i < m.n_g[1]; i++) {
            const struct gram *g = &m.g[1][i];
            if (g->w[1] == EOS) {
                w = sd_buf_printf(out, "%.6f %s </s>\n", lg(p2[i]), m.words[g->w[0]]);
            } else {
                w = sd_buf_printf(out, "%.6f %s %s %.6f\n", lg(p2[i]), m.words[g->w[0]],
                                  m.words[g->w[1]], lg(bo2[i]));
            }
        }
        w = w == SD_OK ? sd_buf_puts(out, "\n\\3-grams:\n") : w;
        for (size_t i = 0; w == SD_OK && i < m.n_g[2]; i++) {
            const struct gram *g = &m.g[2][i];
            double ch = hist2[bigram_at(&m, g->w[0], g->w[1])];
            w = sd_buf_printf(out, "%.6f %s %s %s\n", lg((g->count - d) / ch), m.words[g->w[0]],
                              m.words[g->w[1]], m.words[g->w[2]]);
        }
        w = w == SD_OK ? sd_buf_puts(out, "\n\\end\\\n") : w;
        if (w != SD_OK) {
            st = sd_err_set(err, SD_E_TOO_LARGE, "vocabulary",
                            "the vocabulary model is too large; shorten the word list or corpus");
        }
    }
    free(hist2);
    free(types2);
    free(sum3);
    free(p1);
    free(bo1);
    free(hist1);
    free(types1);
    free(sum2);
    free(p2);
    free(bo2);
    for (size_t i = 0; i < m.n_words; i++) {
        free(m.words[i]);
    }
    free(m.words);
    free(m.whash);
    for (int o = 0; o < 3; o++) {
        free(m.g[o]);
    }
    return st;
}
