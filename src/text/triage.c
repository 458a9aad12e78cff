/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Triage models: features, liblinear training, rules, the binary form. See triage.h. */
#include "text/triage.h"

#include <linear.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

const char *const sd_triage_field_names[SD_TRI_N] = {"category", "urgency", "product_area",
                                                     "sentiment"};
const char *const sd_triage_urgencies[] = {"low", "medium", "high", "critical", NULL};
const double sd_triage_default_thresholds[SD_TRI_N] = {0.45, 0.40, 0.35, 0.45};

#define TEXT_MAX  ((size_t)64 * 1024)
#define WORDS_MAX 3000
#define CLASS_MAX 64
#define MAGIC     "SDTRIAGE2"
#define DEFAULT_C 4.0

/* ---- the vocabulary: an open-addressing table of feature names ---------- */

/* Interned strings by index, found by an open-addressing table that grows. */
struct names {
    char **v; /* by index */
    uint32_t n, cap;
    uint32_t *slots; /* index + 1, 0 = empty; twice cap */
    uint32_t mask;
};

static uint32_t hash(const char *s)
{
    return sd_hash_fnv1a(s, strlen(s));
}

static void names_grow(struct names *t, uint32_t cap)
{
    t->v = sd_xrealloc(t->v, (size_t)cap * sizeof *t->v);
    t->cap = cap;
    free(t->slots);
    t->mask = cap * 2 - 1;
    t->slots = sd_xcalloc((size_t)cap * 2, sizeof *t->slots);
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t h = hash(t->v[i]) & t->mask;
        while (t->slots[h] != 0) {
            h = (h + 1) & t->mask;
        }
        t->slots[h] = i + 1;
    }
}

/* An empty table with room for @n names before it grows. */
static void names_init(struct names *t, uint32_t n)
{
    memset(t, 0, sizeof *t);
    uint32_t cap = 64;
    while (cap < n + 1) {
        cap *= 2;
    }
    names_grow(t, cap);
}

static void names_free(struct names *t)
{
    for (uint32_t i = 0; i < t->n; i++) {
        free(t->v[i]);
    }
    free(t->v);
    free(t->slots);
}

/* Index + 1 of @name, or 0. */
static uint32_t names_find(const struct names *t, const char *name)
{
    for (uint32_t h = hash(name) & t->mask;; h = (h + 1) & t->mask) {
        uint32_t s = t->slots[h];
        if (s == 0 || strcmp(t->v[s - 1], name) == 0) {
            return s;
        }
    }
}

/* The index of @name, added when absent (*@added says so). */
static uint32_t names_intern(struct names *t, const char *name, bool *added)
{
    uint32_t found = names_find(t, name);
    *added = found == 0;
    if (found != 0) {
        return found - 1;
    }
    if (t->n + 1 >= t->cap) {
        names_grow(t, t->cap * 2);
    }
    uint32_t h = hash(name) & t->mask;
    while (t->slots[h] != 0) {
        h = (h + 1) & t->mask;
    }
    t->v[t->n] = sd_xstrdup(name);
    t->slots[h] = ++t->n;
    return t->n - 1;
}

/* The vocabulary: feature names and their IDF. */
struct vocab {
    struct names names;
    float *idf; /* by index; structured features have 1 */
};

static void vocab_init(struct vocab *v, uint32_t n)
{
    names_init(&v->names, n);
    v->idf = sd_xcalloc(n ? n : 1, sizeof *v->idf);
}

static void vocab_free(struct vocab *v)
{
    names_free(&v->names);
    free(v->idf);
}

/* Index + 1 of @name, or 0. */
static uint32_t vocab_find(const struct vocab *v, const char *name)
{
    return names_find(&v->names, name);
}

/* Adds @name with @idf; vocab_init counted it. */
static void vocab_add(struct vocab *v, const char *name, float idf)
{
    bool added;
    v->idf[names_intern(&v->names, name, &added)] = idf;
}

/* ---- the model ------------------------------------------------------------- */

struct classifier {
    uint32_t n_class;
    char **classes; /* n_class + 1, NULL-terminated */
    float *w;       /* (n_feat + 1) × n_class, the last row the bias */
};

struct sd_triage_model {
    struct vocab vocab;
    struct classifier c[SD_TRI_N];
    bool has_kb;
    struct sd_kb_calib kb;
};

const struct sd_kb_calib *sd_triage_model_kb(const sd_triage_model *m)
{
    return m->has_kb ? &m->kb : NULL;
}

void sd_triage_model_set_kb(sd_triage_model *m, const struct sd_kb_calib *cal)
{
    m->has_kb = cal != NULL;
    if (cal != NULL) {
        m->kb = *cal;
    }
}

static void classifier_free(struct classifier *c)
{
    if (c->classes != NULL) {
        for (uint32_t i = 0; i < c->n_class; i++) {
            free(c->classes[i]);
        }
    }
    free(c->classes);
    free(c->w);
}

void sd_triage_model_free(sd_triage_model *m)
{
    if (m == NULL) {
        return;
    }
    vocab_free(&m->vocab);
    for (int f = 0; f < SD_TRI_N; f++) {
        classifier_free(&m->c[f]);
    }
    free(m);
}

size_t sd_triage_model_features(const sd_triage_model *m)
{
    return m->vocab.names.n;
}

/* ---- lexicon and rules --------------------------------------------------- */

static int cmp_str(const void *k, const void *e)
{
    return strcmp(k, *(const char *const *)e);
}

#define IN(set, w) (bsearch((w), (set), SD_ARRAY_LEN(set), sizeof(set)[0], cmp_str) != NULL)

/* Sorted lists, checked by the unit tests. */
static const char *const lex_negative[] = {
    "angry",        "annoying",   "awful",       "broken",     "crazy",   "disappointed",
    "disaster",     "frustrated", "frustrating", "furious",    "garbage", "hate",
    "horrible",     "impossible", "insane",      "joke",       "lost",    "mess",
    "nightmare",    "pathetic",   "problem",     "ridiculous", "stuck",   "terrible",
    "unacceptable", "unusable",   "upset",       "useless",    "wasted",  "worse",
    "worst",        "wtf",
};
static const char *const lex_positive[] = {
    "amazing", "appreciate", "awesome", "great",  "happy", "helpful", "love",
    "lovely",  "nice",       "perfect", "please", "thank", "thanks",  "wonderful",
};
static const char *const lex_negators[] = {"cant", "didnt", "doesnt", "dont",    "isnt", "never",
                                           "no",   "not",   "wasnt",  "without", "wont"};
static const char *const lex_intensifiers[] = {"absolutely", "again",     "all",       "completely",
                                               "constantly", "every",     "extremely", "keeps",
                                               "literally",  "seriously", "still",     "totally"};
static const char *const lex_counts[] = {"five", "four", "hours", "several", "three", "twice"};
static const char *const lex_repeat[] = {"days",  "fifth", "fourth", "hours",
                                         "third", "times", "weeks"};

double sd_triage_lexicon(const char *const *words, size_t n)
{
    double neg = 0, pos = 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i];
        bool is_neg = IN(lex_negative, w), is_pos = IN(lex_positive, w);
        /* "working" after a negator is a complaint: "not working at all". */
        bool negated = false;
        for (size_t k = i > 3 ? i - 3 : 0; k < i; k++) {
            negated = negated || IN(lex_negators, words[k]);
        }
        if (!is_neg && !is_pos) {
            if (negated && (strcmp(w, "working") == 0 || strcmp(w, "work") == 0 ||
                            strcmp(w, "works") == 0 || strcmp(w, "loading") == 0)) {
                is_neg = true;
                negated = false;
            } else {
                continue;
            }
        }
        double weight = 1.0;
        if (i > 0 && IN(lex_intensifiers, words[i - 1])) {
            weight = 1.5;
        }
        if (negated) {
            /* "not bad" is mildly positive, "not great" mildly negative. */
            is_neg = !is_neg;
            weight *= 0.5;
        }
        if (is_neg) {
            neg += weight;
        } else {
            pos += weight;
        }
    }
    if (neg + pos == 0) {
        return 0;
    }
    return (neg - pos) / (neg + pos + 1);
}

/* Words of waiting and repetition: "two hours", "third time", "for days". */
static bool lex_long_wait(const char *const *words, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if ((IN(lex_counts, words[i]) || strcmp(words[i], "two") == 0 ||
             strcmp(words[i], "for") == 0) &&
            IN(lex_repeat, words[i + 1])) {
            return true;
        }
        if (IN(lex_repeat, words[i]) && strcmp(words[i + 1], "time") == 0) {
            return true;
        }
    }
    return false;
}

static bool lex_intense(const char *const *words, size_t n)
{
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        hits += IN(lex_intensifiers, words[i]);
    }
    return hits >= 2;
}

/* Phrases of an outage, data loss or a security problem, in the words of
 * tok.h (lowercased, apostrophes dropped), matched on word boundaries. */
static const char *const critical_phrases[] = {
    "nobody can log",
    "nobody can login",
    "no one can log",
    "no one can login",
    "none of us can",
    "nobody can access",
    "no one can access",
    "everyone is locked out",
    "all of us are locked out",
    "whole team is locked out",
    "entire team is locked out",
    "site is down",
    "app is down",
    "everything is down",
    "whole site is down",
    "service is down",
    "system is down",
    "platform is down",
    "completely down",
    "is down for everyone",
    "down for all",
    "outage",
    "data is gone",
    "data are gone",
    "data has disappeared",
    "all our data",
    "lost all",
    "deleted all",
    "wiped out",
    "data loss",
    "were hacked",
    "been hacked",
    "got hacked",
    "account was hacked",
    "security breach",
    "data breach",
    "security issue",
    "security hole",
    "security problem",
    "vulnerability",
    "someone elses data",
    "other customers data",
    "another customers data",
    "other peoples data",
    "unauthorized access",
    "compromised",
    "payments are failing",
    "all payments",
    "no payments",
    "checkout is down",
    "cant process any",
    "taken over",
    "took over my account",
    "customers cant pay",
    "nobody can pay",
    "no one can pay",
    "cant take payments",
    "cant accept payments",
    "checkout is broken",
    "payments are down",
    "data was deleted",
    "data got deleted",
    "everything is gone",
};

/* Signs of how much a ticket is in the way, as structured features for the
 * urgency model: words people use for no hurry, for a blocked team, for a
 * deadline and for how many are hit. */
static const char *const cue_low[] = {
    "no rush",        "not urgent",     "no hurry",     "whenever you",   "when you get a chance",
    "just curious",   "just wondering", "minor",        "small thing",    "tiny thing",
    "not a big deal", "no big deal",    "cosmetic",     "would be nice",  "nice to have",
    "suggestion",     "just an idea",   "low priority", "not a priority", "quick question",
};
static const char *const cue_blocked[] = {
    "blocking",      "blocked",      "cant work",        "cannot work",       "cant do anything",
    "cant do my",    "stuck",        "stopped working",  "completely broken", "unusable",
    "no workaround", "cant use",     "cannot use",       "nothing works",     "dead in the water",
    "losing money",  "losing sales", "losing customers", "cant get paid",     "cant send",
};
static const char *const cue_deadline[] = {
    "asap",          "urgent",         "urgently",   "right now",    "immediately",
    "today",         "tonight",        "tomorrow",   "this morning", "in an hour",
    "in two hours",  "deadline",       "payroll",    "launch",       "go live",
    "board meeting", "client meeting", "end of day", "by friday",    "due",
};
static const char *const cue_scope[] = {
    "everyone",       "all of us",     "all our",    "whole team",  "entire team",  "whole company",
    "entire company", "all users",     "all of our", "none of our", "nobody",       "no one",
    "all customers",  "our customers", "hundreds",   "thousands",   "every single", "production",
};

/* The @n words joined with single spaces, with a space before and after. */
static const char *joined_words(sd_arena *a, const char *const *w, size_t n)
{
    size_t total = 2;
    for (size_t i = 0; i < n; i++) {
        total += strlen(w[i]) + 1;
    }
    char *joined = sd_arena_alloc(a, total + 1);
    size_t o = 0;
    joined[o++] = ' ';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(w[i]);
        memcpy(joined + o, w[i], l);
        o += l;
        joined[o++] = ' ';
    }
    joined[o] = '\0';
    return joined;
}

/* How many of the @n phrases occur in @joined on word boundaries. */
static size_t phrase_hits(const char *joined, const char *const *phrases, size_t n)
{
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        char pat[64];
        size_t pl = strlen(phrases[i]);
        pat[0] = ' ';
        memcpy(pat + 1, phrases[i], pl);
        pat[pl + 1] = ' ';
        pat[pl + 2] = '\0';
        hits += strstr(joined, pat) != NULL;
    }
    return hits;
}

static bool word_in(const char *w, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(w, set[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Everyone shut out, in the words people use: "nobody on our team can log
 * in", "the whole company is locked out", "all our users cannot sign in".
 * A scope of many people, then within a few words being kept out. */
static bool everyone_locked_out(const char *const *w, size_t n)
{
    static const char *const none[] = {"nobody", "none", "noone"};
    static const char *const all[] = {"everyone", "everybody"};
    static const char *const whole[] = {"whole", "entire", "all"};
    static const char *const group[] = {
        "team", "company",      "office", "staff",  "users", "customers", "employees",
        "org",  "organization", "agents", "clinic", "store", "school"};
    static const char *const barred[] = {"cant", "cannot", "unable", "couldnt"};
    static const char *const access[] = {"log",  "login", "logged", "sign", "signin", "access",
                                         "work", "use",   "open",   "load", "get"};
    for (size_t i = 0; i < n; i++) {
        bool is_none = word_in(w[i], none, SD_ARRAY_LEN(none)) ||
                       (i + 1 < n && strcmp(w[i], "no") == 0 && strcmp(w[i + 1], "one") == 0);
        bool is_all = word_in(w[i], all, SD_ARRAY_LEN(all));
        for (size_t k = i + 1; k < n && k <= i + 3 && !is_all; k++) {
            is_all = word_in(w[i], whole, SD_ARRAY_LEN(whole)) &&
                     word_in(w[k], group, SD_ARRAY_LEN(group));
        }
        if (!is_none && !is_all) {
            continue;
        }
        bool kept_out = is_none;
        for (size_t k = i + 1; k < n && k <= i + 8; k++) {
            if (strcmp(w[k], "locked") == 0 && is_all) {
                return true;
            }
            if (word_in(w[k], barred, SD_ARRAY_LEN(barred))) {
                kept_out = true;
            }
            if (kept_out && word_in(w[k], access, SD_ARRAY_LEN(access))) {
                return true;
            }
        }
    }
    return false;
}

const char *sd_triage_critical_phrase(const char *text, size_t len)
{
    sd_arena *a = sd_arena_new();
    const char **w;
    size_t n = sd_tok_words(a, text, len > TEXT_MAX ? TEXT_MAX : len, 0, NULL, WORDS_MAX, &w);
    size_t hits =
        phrase_hits(joined_words(a, w, n), critical_phrases, SD_ARRAY_LEN(critical_phrases)) +
        everyone_locked_out(w, n);
    sd_arena_free(a);
    return hits > 0 ? "critical_phrase" : NULL;
}

/* ---- features ------------------------------------------------------------ */

struct feats {
    const char **text; /* text features, repeated per occurrence */
    size_t n_text;
    bool critical;         /* words of an outage, data loss or a security problem */
    const char *other[48]; /* structured features, value 1 */
    size_t n_other;
};

static void add_other(struct feats *f, const char *name)
{
    if (f->n_other < SD_ARRAY_LEN(f->other)) {
        f->other[f->n_other++] = name;
    }
}

/* URL path segments: words, not ids ("/reports/8812/export" gives reports
 * and export). */
static void url_feats(sd_arena *a, const char *url, struct feats *f)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : url;
    size_t segs = 0;
    while (p != NULL && *p != '\0' && *p != '?' && *p != '#' && segs < 6) {
        while (*p == '/') {
            p++;
        }
        size_t l = strcspn(p, "/?#");
        bool word = l >= 2 && l <= 24;
        for (size_t i = 0; i < l && word; i++) {
            char c = p[i];
            word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
        }
        if (word) {
            char *s = sd_arena_printf(a, "u:%.*s", (int)l, p);
            for (char *c = s; *c; c++) {
                *c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
            }
            add_other(f, s);
            segs++;
        }
        p += l;
    }
}

static void features(sd_arena *a, sd_stem *stem, const struct sd_triage_input *in, struct feats *f)
{
    memset(f, 0, sizeof *f);
    const char *text = in->text ? in->text : "";
    size_t len = strlen(text);
    if (len > TEXT_MAX) {
        len = TEXT_MAX;
    }
    const char **raw;
    size_t n_raw = sd_tok_words(a, text, len, SD_TOK_FILLERS, NULL, WORDS_MAX, &raw);
    const char **stems = sd_arena_alloc(a, (n_raw + 1) * sizeof *stems);
    for (size_t i = 0; i < n_raw; i++) {
        stems[i] = sd_stem_word(stem, a, raw[i]);
    }
    f->n_text = sd_tok_ngrams(a, stems, n_raw, &f->text);

    if (in->plan != NULL && in->plan[0] != '\0' && strlen(in->plan) < 32) {
        add_other(f, sd_arena_printf(a, "p:%s", in->plan));
    }
    if (in->n_console_errors > 0) {
        add_other(f, "e:any");
        add_other(f, in->n_console_errors >= 3 ? "e:3+" : "e:1-2");
    }
    if (in->page_url != NULL) {
        url_feats(a, in->page_url, f);
    }
    double lex = sd_triage_lexicon(raw, n_raw);
    if (lex > 0.2) {
        add_other(f, "l:neg");
    }
    if (lex > 0.6) {
        add_other(f, "l:neg2");
    }
    if (lex < -0.2) {
        add_other(f, "l:pos");
    }
    if (lex_intense(raw, n_raw)) {
        add_other(f, "l:intense");
    }
    if (lex_long_wait(raw, n_raw)) {
        add_other(f, "l:long_wait");
    }
    const char *joined = joined_words(a, raw, n_raw);
    f->critical = phrase_hits(joined, critical_phrases, SD_ARRAY_LEN(critical_phrases)) > 0 ||
                  everyone_locked_out(raw, n_raw);
    if (f->critical) {
        add_other(f, "r:critical");
    }
    static const struct {
        const char *const *set;
        size_t n;
        const char *name, *name2;
    } cues[] = {
        {cue_low, SD_ARRAY_LEN(cue_low), "s:low", "s:low2"},
        {cue_blocked, SD_ARRAY_LEN(cue_blocked), "s:blocked", "s:blocked2"},
        {cue_deadline, SD_ARRAY_LEN(cue_deadline), "s:deadline", "s:deadline2"},
        {cue_scope, SD_ARRAY_LEN(cue_scope), "s:scope", "s:scope2"},
    };
    for (size_t i = 0; i < SD_ARRAY_LEN(cues); i++) {
        size_t h = phrase_hits(joined, cues[i].set, cues[i].n);
        if (h >= 1) {
            add_other(f, cues[i].name);
        }
        if (h >= 2) {
            add_other(f, cues[i].name2);
        }
    }
    /* Shouting: most letters upper case. */
    size_t up = 0, letters = 0;
    for (size_t i = 0; i < len && i < 4096; i++) {
        char c = text[i];
        up += c >= 'A' && c <= 'Z';
        letters += (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }
    if (letters >= 20 && up * 10 >= letters * 7) {
        add_other(f, "l:caps");
    }
}

struct node {
    uint32_t index; /* 0-based */
    float value;
};

static int cmp_node(const void *x, const void *y)
{
    const struct node *a = x, *b = y;
    return (a->index > b->index) - (a->index < b->index);
}

/* The sparse vector of @f in @v: TF-IDF of text features (sublinear tf,
 * L2-normalised), then structured features at 1. Returns the count. */
static size_t vectorize(const struct vocab *v, const struct feats *f, struct node *out)
{
    size_t n = 0;
    /* Count occurrences: sort indices of known features. */
    for (size_t i = 0; i < f->n_text; i++) {
        uint32_t idx = vocab_find(v, f->text[i]);
        if (idx != 0) {
            out[n++] = (struct node){idx - 1, 1.0f};
        }
    }
    qsort(out, n, sizeof *out, cmp_node);
    size_t m = 0;
    double norm = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && out[j].index == out[i].index) {
            j++;
        }
        double tf = 1.0 + log((double)(j - i));
        double val = tf * v->idf[out[i].index];
        out[m++] = (struct node){out[i].index, (float)val};
        norm += val * val;
        i = j;
    }
    norm = sqrt(norm);
    for (size_t i = 0; i < m && norm > 0; i++) {
        out[i].value = (float)(out[i].value / norm);
    }
    for (size_t i = 0; i < f->n_other; i++) {
        uint32_t idx = vocab_find(v, f->other[i]);
        bool dup = false;
        for (size_t k = 0; k < m && idx != 0; k++) {
            dup = dup || out[k].index == idx - 1;
        }
        if (idx != 0 && !dup) {
            out[m++] = (struct node){idx - 1, 1.0f};
        }
    }
    qsort(out, m, sizeof *out, cmp_node);
    return m;
}

/* ---- training ------------------------------------------------------------ */

/* Document frequencies, while building the vocabulary. */
struct counts {
    struct names names;
    uint32_t *df, *last; /* by index; last: the document last counted */
    uint32_t cap;
};

/* Counts @name once per document @doc. */
static void counts_add(struct counts *c, const char *name, uint32_t doc)
{
    bool added;
    uint32_t i = names_intern(&c->names, name, &added);
    if (c->cap < c->names.cap) {
        c->cap = c->names.cap;
        c->df = sd_xrealloc(c->df, (size_t)c->cap * sizeof *c->df);
        c->last = sd_xrealloc(c->last, (size_t)c->cap * sizeof *c->last);
    }
    if (added) {
        c->df[i] = 0;
        c->last[i] = 0;
    }
    if (c->last[i] != doc) {
        c->df[i]++;
        c->last[i] = doc;
    }
}

static void counts_free(struct counts *c)
{
    names_free(&c->names);
    free(c->df);
    free(c->last);
}

static void quiet(const char *s)
{
    (void)s;
}

static int class_of(char **classes, uint32_t n, const char *label)
{
    for (uint32_t i = 0; i < n; i++) {
        if (strcmp(classes[i], label) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* The urgency the model learns: one level below an enterprise label (the
 * rule puts it back). */
static const char *base_urgency(const struct sd_triage_example *e)
{
    const char *u = e->label[SD_TRI_URGENCY];
    if (u == NULL || e->in.plan == NULL || strcmp(e->in.plan, "enterprise") != 0) {
        return u;
    }
    for (int i = 1; sd_triage_urgencies[i] != NULL; i++) {
        if (strcmp(u, sd_triage_urgencies[i]) == 0) {
            return sd_triage_urgencies[i - 1];
        }
    }
    return u;
}

static bool area_allowed(const struct sd_triage_opts *o, const char *area)
{
    if (o == NULL || o->areas == NULL) {
        return true;
    }
    for (const char *const *a = o->areas; *a; a++) {
        if (strcmp(*a, area) == 0) {
            return true;
        }
    }
    return false;
}

static sd_status train_field(sd_triage_model *m, enum sd_triage_field field,
                             const struct sd_triage_example *ex, size_t n, struct node **vecs,
                             const size_t *lens, const struct sd_triage_opts *opts,
                             struct sd_err *err)
{
    struct classifier *c = &m->c[field];
    c->classes = sd_xcalloc(CLASS_MAX + 1, sizeof *c->classes);
    double *y = sd_xcalloc(n ? n : 1, sizeof *y);
    struct feature_node **x = sd_xcalloc(n ? n : 1, sizeof(struct feature_node *));
    int l = 0;
    uint32_t nf = m->vocab.names.n;
    for (size_t i = 0; i < n; i++) {
        const char *label = field == SD_TRI_URGENCY ? base_urgency(&ex[i]) : ex[i].label[field];
        if (label == NULL || (field == SD_TRI_AREA && !area_allowed(opts, label))) {
            continue;
        }
        int k = class_of(c->classes, c->n_class, label);
        if (k < 0) {
            if (c->n_class == CLASS_MAX) {
                continue;
            }
            c->classes[c->n_class] = sd_xstrdup(label);
            k = (int)c->n_class++;
        }
        struct feature_node *row = sd_xcalloc(lens[i] + 2, sizeof *row);
        for (size_t j = 0; j < lens[i]; j++) {
            row[j] = (struct feature_node){(int)vecs[i][j].index + 1, vecs[i][j].value};
        }
        row[lens[i]] = (struct feature_node){(int)nf + 1, 1.0}; /* the bias */
        row[lens[i] + 1] = (struct feature_node){-1, 0};
        y[l] = k;
        x[l++] = row;
    }
    sd_status st = SD_OK;
    if (c->n_class < 2) {
        st = sd_err_set(err, SD_E_INVALID, sd_triage_field_names[field],
                        "training data for %s has %u class(es); it needs at least two",
                        sd_triage_field_names[field], c->n_class);
    }
    if (st == SD_OK) {
        struct problem prob = {.l = l, .n = (int)nf + 1, .y = y, .x = x, .bias = -1};
        struct parameter param = {
            .solver_type = L2R_LR, .eps = 0.01, .C = opts && opts->c > 0 ? opts->c : DEFAULT_C};
        const char *bad = check_parameter(&prob, &param);
        if (bad != NULL) {
            st = sd_err_set(err, SD_E_INTERNAL, NULL, "liblinear: %s", bad);
        } else {
            struct model *lm = train(&prob, &param);
            /* liblinear numbers classes by first appearance, as we do; map
             * through its labels anyway. */
            c->w = sd_xcalloc((size_t)(nf + 1) * c->n_class, sizeof *c->w);
            for (int li = 0; li < lm->nr_class; li++) {
                uint32_t k = (uint32_t)lm->label[li];
                if (c->n_class == 2) {
                    /* Two classes: one weight vector for the first label. */
                    double sign = li == 0 ? 1.0 : -1.0;
                    for (uint32_t j = 0; j <= nf; j++) {
                        c->w[(size_t)j * 2 + k] =
                            (float)(sign * get_decfun_coef(lm, (int)j + 1, 0));
                    }
                    continue;
                }
                for (uint32_t j = 0; j <= nf; j++) {
                    c->w[(size_t)j * c->n_class + k] = (float)get_decfun_coef(lm, (int)j + 1, li);
                }
            }
            free_and_destroy_model(&lm);
        }
    }
    for (int i = 0; i < l; i++) {
        free(x[i]);
    }
    free(x);
    free(y);
    return st;
}

sd_status sd_triage_train(const struct sd_triage_example *ex, size_t n,
                          const struct sd_triage_opts *opts, sd_triage_model **out,
                          struct sd_err *err)
{
    set_print_string_function(quiet);
    sd_stem *stem;
    if (sd_stem_new(&stem, err) != SD_OK) {
        return SD_E_INTERNAL;
    }
    sd_arena *a = sd_arena_new();
    struct feats *fs = sd_xcalloc(n ? n : 1, sizeof *fs);
    struct counts cnt = {0};
    names_init(&cnt.names, 4096);
    for (size_t i = 0; i < n; i++) {
        features(a, stem, &ex[i].in, &fs[i]);
        for (size_t j = 0; j < fs[i].n_text; j++) {
            counts_add(&cnt, fs[i].text[j], (uint32_t)i + 1);
        }
        for (size_t j = 0; j < fs[i].n_other; j++) {
            counts_add(&cnt, fs[i].other[j], (uint32_t)i + 1);
        }
    }
    sd_triage_model *m = sd_xcalloc(1, sizeof *m);
    uint32_t keep = 0;
    for (uint32_t i = 0; i < cnt.names.n; i++) {
        keep += cnt.df[i] >= 2;
    }
    vocab_init(&m->vocab, keep);
    for (uint32_t i = 0; i < cnt.names.n; i++) {
        if (cnt.df[i] < 2) {
            continue;
        }
        const char *name = cnt.names.v[i];
        bool text = name[1] == ':' && strchr("wbc", name[0]) != NULL;
        float idf = text ? (float)(log((1.0 + (double)n) / (1.0 + cnt.df[i])) + 1.0) : 1.0f;
        vocab_add(&m->vocab, name, idf);
    }
    counts_free(&cnt);

    struct node **vecs = sd_xcalloc(n ? n : 1, sizeof(struct node *));
    size_t *lens = sd_xcalloc(n ? n : 1, sizeof *lens);
    for (size_t i = 0; i < n; i++) {
        vecs[i] = sd_xcalloc(fs[i].n_text + fs[i].n_other + 1, sizeof **vecs);
        lens[i] = vectorize(&m->vocab, &fs[i], vecs[i]);
    }
    sd_status st = SD_OK;
    for (int f = 0; f < SD_TRI_N && st == SD_OK; f++) {
        st = train_field(m, (enum sd_triage_field)f, ex, n, vecs, lens, opts, err);
    }
    for (size_t i = 0; i < n; i++) {
        free(vecs[i]);
    }
    free(vecs);
    free(lens);
    free(fs);
    sd_arena_free(a);
    sd_stem_free(stem);
    if (st != SD_OK) {
        sd_triage_model_free(m);
        return st;
    }
    *out = m;
    return SD_OK;
}

/* ---- prediction -------------------------------------------------------- */

static void class_probs(const struct classifier *c, uint32_t nf, const struct node *x, size_t n,
                        double *p)
{
    double sum = 0;
    for (uint32_t k = 0; k < c->n_class; k++) {
        double dec = c->w[(size_t)nf * c->n_class + k];
        for (size_t i = 0; i < n; i++) {
            dec += c->w[(size_t)x[i].index * c->n_class + k] * x[i].value;
        }
        p[k] = 1.0 / (1.0 + exp(-dec));
        sum += p[k];
    }
    for (uint32_t k = 0; k < c->n_class; k++) {
        p[k] = sum > 0 ? p[k] / sum : 1.0 / c->n_class;
    }
}

static int urgency_level(const char *u)
{
    for (int i = 0; sd_triage_urgencies[i] != NULL; i++) {
        if (u != NULL && strcmp(u, sd_triage_urgencies[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void sd_triage_run(const sd_triage_model *m, sd_stem *stem, sd_arena *a,
                   const struct sd_triage_input *in, const double *thresholds,
                   struct sd_triage *out)
{
    struct feats f;
    features(a, stem, in, &f);
    struct node *x = sd_arena_alloc(a, (f.n_text + f.n_other + 1) * sizeof *x);
    size_t nx = vectorize(&m->vocab, &f, x);
    const double *th = thresholds ? thresholds : sd_triage_default_thresholds;
    memset(out, 0, sizeof *out);
    for (int fi = 0; fi < SD_TRI_N; fi++) {
        const struct classifier *c = &m->c[fi];
        double p[CLASS_MAX] = {0};
        class_probs(c, m->vocab.names.n, x, nx, p);
        uint32_t best = 0, second;
        for (uint32_t k = 0; k < c->n_class; k++) {
            if (p[k] > p[best]) {
                best = k;
            }
        }
        second = best == 0 ? (c->n_class > 1 ? 1 : 0) : 0;
        for (uint32_t k = 0; k < c->n_class; k++) {
            if (k != best && p[k] > p[second]) {
                second = k;
            }
        }
        struct sd_triage_value *v = &out->f[fi];
        v->value = c->classes[best];
        v->p = p[best];
        if (second != best) {
            v->second = c->classes[second];
            v->p_second = p[second];
        }
        v->review = v->p < th[fi];
    }

    /* The urgency rules, in their documented order. */
    struct sd_triage_value *u = &out->f[SD_TRI_URGENCY];
    int level = urgency_level(u->value);
    if (level < 0) {
        return;
    }
    if (f.critical) {
        level = 3;
        u->rule = "critical_phrase";
    }
    const char *cat = out->f[SD_TRI_CATEGORY].value;
    if (in->n_console_errors > 0 && cat != NULL && strcmp(cat, "bug") == 0 && level < 1) {
        level = 1;
        u->rule = "console_errors";
    }
    if (in->plan != NULL && strcmp(in->plan, "enterprise") == 0) {
        level += level < 3;
        u->rule = u->rule ? u->rule : "enterprise";
    }
    if (u->rule != NULL) {
        u->value = sd_triage_urgencies[level];
        u->review = false;
    }
}

/* ---- the binary form ------------------------------------------------------ */

static sd_status put_u32(struct sd_buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return sd_buf_append(b, c, 4);
}

static sd_status put_str(struct sd_buf *b, const char *s)
{
    size_t l = strlen(s);
    sd_status st = put_u32(b, (uint32_t)l);
    return st == SD_OK ? sd_buf_append(b, s, l) : st;
}

sd_status sd_triage_model_save(const sd_triage_model *m, struct sd_buf *out, struct sd_err *err)
{
    sd_status st = sd_buf_append(out, MAGIC, sizeof MAGIC);
    if (st == SD_OK) {
        st = put_u32(out, m->vocab.names.n);
    }
    for (uint32_t i = 0; i < m->vocab.names.n && st == SD_OK; i++) {
        st = put_str(out, m->vocab.names.v[i]);
        if (st == SD_OK) {
            st = sd_buf_append(out, &m->vocab.idf[i], sizeof(float));
        }
    }
    for (int f = 0; f < SD_TRI_N && st == SD_OK; f++) {
        const struct classifier *c = &m->c[f];
        st = put_u32(out, c->n_class);
        for (uint32_t k = 0; k < c->n_class && st == SD_OK; k++) {
            st = put_str(out, c->classes[k]);
        }
        if (st == SD_OK) {
            st = sd_buf_append(out, c->w,
                               (size_t)(m->vocab.names.n + 1) * c->n_class * sizeof(float));
        }
    }
    if (st == SD_OK) {
        uint32_t has = m->has_kb ? 1 : 0;
        st = put_u32(out, has);
        if (st == SD_OK && has) {
            st = sd_buf_append(out, &m->kb, sizeof m->kb);
        }
    }
    if (st != SD_OK) {
        return sd_err_set(err, st, NULL, "the triage model does not fit in %zu bytes", out->max);
    }
    return SD_OK;
}

struct reader {
    const unsigned char *p;
    size_t left;
    bool bad;
};

static uint32_t get_u32(struct reader *r)
{
    if (r->left < 4) {
        r->bad = true;
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    r->p += 4;
    r->left -= 4;
    return v;
}

static char *get_str(struct reader *r)
{
    uint32_t l = get_u32(r);
    if (r->bad || l > 256 || l > r->left || memchr(r->p, '\0', l) != NULL) {
        r->bad = true;
        return NULL;
    }
    char *s = sd_xstrndup((const char *)r->p, l);
    r->p += l;
    r->left -= l;
    return s;
}

static bool get_bytes(struct reader *r, void *dst, size_t n)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        return false;
    }
    memcpy(dst, r->p, n);
    r->p += n;
    r->left -= n;
    return true;
}

sd_status sd_triage_model_load(const void *data, size_t len, sd_triage_model **out,
                               struct sd_err *err)
{
    struct reader r = {data, len, false};
    if (len < sizeof MAGIC || memcmp(data, MAGIC, sizeof MAGIC) != 0) {
        return sd_err_set(err, SD_E_INVALID, "model",
                          "not a triage model of this version; train it again with `showdesk "
                          "train`");
    }
    r.p += sizeof MAGIC;
    r.left -= sizeof MAGIC;
    uint32_t nv = get_u32(&r);
    if (r.bad || nv > len / 5) {
        return sd_err_set(err, SD_E_INVALID, "model", "the triage model is truncated or corrupt");
    }
    sd_triage_model *m = sd_xcalloc(1, sizeof *m);
    vocab_init(&m->vocab, nv);
    for (uint32_t i = 0; i < nv && !r.bad; i++) {
        char *name = get_str(&r);
        float idf = 0;
        if (name == NULL || !get_bytes(&r, &idf, sizeof idf) || !isfinite(idf) ||
            vocab_find(&m->vocab, name) != 0) {
            free(name);
            r.bad = true;
            break;
        }
        vocab_add(&m->vocab, name, idf);
        free(name);
    }
    for (int f = 0; f < SD_TRI_N && !r.bad; f++) {
        struct classifier *c = &m->c[f];
        uint32_t nc = get_u32(&r);
        if (r.bad || nc < 2 || nc > CLASS_MAX) {
            r.bad = true;
            break;
        }
        c->classes = sd_xcalloc(nc + 1, sizeof *c->classes);
        for (uint32_t k = 0; k < nc && !r.bad; k++) {
            c->classes[k] = get_str(&r);
            c->n_class += c->classes[k] != NULL;
        }
        size_t nw = (size_t)(nv + 1) * nc;
        if (r.bad || nw > r.left / sizeof(float)) {
            r.bad = true;
            break;
        }
        c->w = sd_xmalloc(nw * sizeof(float));
        (void)get_bytes(&r, c->w, nw * sizeof(float));
        for (size_t i = 0; i < nw && !r.bad; i++) {
            r.bad = !isfinite(c->w[i]);
        }
    }
    if (!r.bad) {
        m->has_kb = get_u32(&r) == 1;
        if (m->has_kb && get_bytes(&r, &m->kb, sizeof m->kb)) {
            for (int i = 0; i < SD_KB_FEATURES; i++) {
                r.bad = r.bad || !isfinite(m->kb.w[i]);
            }
            r.bad = r.bad || !isfinite(m->kb.bias);
        }
    }
    if (r.bad || r.left != 0) {
        sd_triage_model_free(m);
        return sd_err_set(err, SD_E_INVALID, "model", "the triage model is truncated or corrupt");
    }
    *out = m;
    return SD_OK;
}
