/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: a workspace vocabulary in a pocketsphinx decoder (vocab.h builds
 * the pieces without the engine).
 *
 * sd__ps_vocab_prepare, once per transcription, writes two private
 * temporary files: the ARPA model of the vocabulary's phrases and corpus,
 * and a copy of the pronunciation dictionary with every vocabulary word it
 * lacks added, with the pronunciations vocab.c derives (two variants for
 * acronyms). Decoders load that dictionary instead of the packaged one.
 * sd__ps_vocab_apply, once per decoder, reads the small model and
 * interpolates it with the decoder's general model (ngram_model_set,
 * VOCAB_WEIGHT for the small one), and makes that the decoder's search.
 * New words are known to the small model only: adding words to the general
 * (trie) model at run time (ps_add_word) corrupts its scoring in this
 * version of the library.
 * The general model keeps most of the weight, so ordinary speech is
 * recognised as before, while the workspace's phrases and their words
 * become likely enough to win where they are said.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pocketsphinx.h>

#include "speech/internal.h"
#include "speech/vocab.h"
#include "base/banned.h"

#define VOCAB_WEIGHT 0.3f
#define VOCAB_SEARCH "vocab"

struct words {
    char **w;
    size_t n, cap;
    bool *upper;
};

static void add_word(void *user, const char *w, bool upper)
{
    struct words *ws = user;
    if (w[0] == '\0') {
        return;
    }
    for (size_t i = 0; i < ws->n; i++) {
        if (strcmp(ws->w[i], w) == 0) {
            ws->upper[i] = ws->upper[i] || upper;
            return;
        }
    }
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 64;
        char **nw = realloc(ws->w, cap * sizeof(*nw));
        bool *nu = nw ? realloc(ws->upper, cap * sizeof(*nu)) : NULL;
        if (nw == NULL || nu == NULL) {
            ws->w = nw ? nw : ws->w;
            return;
        }
        ws->w = nw;
        ws->upper = nu;
        ws->cap = cap;
    }
    char *copy = strdup(w);
    if (copy != NULL) {
        ws->w[ws->n] = copy;
        ws->upper[ws->n] = upper;
        ws->n++;
    }
}

void sd__ps_vocab_free(struct sd__ps_vocab *v)
{
    if (v == NULL) {
        return;
    }
    if (v->arpa_path[0] != '\0') {
        (void)unlink(v->arpa_path);
    }
    if (v->dict_path[0] != '\0') {
        (void)unlink(v->dict_path);
    }
    for (size_t i = 0; i < v->n_words; i++) {
        free(v->words[i]);
    }
    free(v->words);
    free(v->upper);
    free(v);
}

/* The packaged dictionary, sorted by word, for lookups while writing the copy. */
struct dict {
    char *text;
    char **lines; /* "word phones", alternates "word(2) phones" left out */
    size_t n;
};

static int cmp_word(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t nx = strcspn(x, " \t"), ny = strcspn(y, " \t");
    int c = strncmp(x, y, nx < ny ? nx : ny);
    return c != 0 ? c : (nx > ny) - (nx < ny);
}

static const char *lookup(void *user, const char *word)
{
    const struct dict *d = user;
    const char *key = word;
    if (d->lines == NULL || d->n == 0) {
        return NULL;
    }
    char **hit = bsearch(&key, d->lines, d->n, sizeof(*d->lines), cmp_word);
    if (hit == NULL) {
        return NULL;
    }
    const char *p = *hit + strcspn(*hit, " \t");
    return p + strspn(p, " \t");
}

/* Reads @path whole into @d: its text (d->text, *@raw_len bytes) and its sorted lines. */
static sd_status dict_load(const char *path, struct dict *d, size_t *raw_len, struct sd_err *err)
{
    memset(d, 0, sizeof(*d));
    FILE *f = fopen(path, "rb");
    long size = -1;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0) {
        size = ftell(f);
        rewind(f);
    }
    if (f == NULL || size < 0 || size > (64L << 20)) {
        if (f != NULL) {
            (void)fclose(f);
        }
        return sd_err_set(err, SD_E_IO, NULL,
                          "cannot read the pronunciation dictionary '%s' (reinstall "
                          "pocketsphinx-en-us)",
                          path);
    }
    d->text = malloc((size_t)size * 2 + 2); /* the raw copy, then the split lines */
    size_t got = d->text ? fread(d->text, 1, (size_t)size, f) : 0;
    (void)fclose(f);
    if (d->text == NULL || got != (size_t)size) {
        return sd_err_set(err, SD_E_IO, NULL, "cannot read the pronunciation dictionary '%s'",
                          path);
    }
    d->text[size] = '\0';
    *raw_len = (size_t)size;
    char *lines = d->text + size + 1;
    memcpy(lines, d->text, (size_t)size + 1);
    size_t cap = 0;
    for (char *line = lines, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        size_t w = strcspn(line, " \t");
        if (w == 0 || memchr(line, '(', w) != NULL) {
            continue;
        }
        if (d->n == cap) {
            cap = cap ? cap * 2 : 65536;
            char **nl = realloc(d->lines, cap * sizeof(*nl));
            if (nl == NULL) {
                return sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
            }
            d->lines = nl;
        }
        d->lines[d->n++] = line;
    }
    if (d->n > 1) {
        qsort(d->lines, d->n, sizeof(*d->lines), cmp_word);
    }
    return SD_OK;
}

/* A private temporary file named from @pattern ("...XXXXXX<suffix>") holding @data. */
static sd_status write_tmp(char *path, size_t size, const char *suffix, const char *data,
                           size_t len, const char *what, struct sd_err *err)
{
    const char *tmp = getenv("TMPDIR");
    (void)snprintf(path, size, "%s/showdesk-vocab-XXXXXX%s", tmp && tmp[0] ? tmp : "/tmp", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) {
        path[0] = '\0';
        return sd_err_set(err, SD_E_IO, NULL, "cannot write the vocabulary's %s: %s", what,
                          strerror(errno));
    }
    FILE *f = fdopen(fd, "w");
    sd_status st = SD_OK;
    if (f == NULL) {
        (void)close(fd);
        return sd_err_set(err, SD_E_IO, NULL, "cannot write the vocabulary's %s: %s", what,
                          strerror(errno));
    }
    if (fwrite(data, 1, len, f) != len) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot write the vocabulary's %s: %s", what,
                        strerror(errno));
    }
    if (fclose(f) != 0 && st == SD_OK) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot write the vocabulary's %s: %s", what,
                        strerror(errno));
    }
    return st;
}

sd_status sd__ps_vocab_prepare(const struct sd_speech_vocab *vocab, const char *dict_path,
                               struct sd__ps_vocab **out, struct sd_err *err)
{
    *out = NULL;
    if (vocab == NULL || (vocab->n_phrases == 0 && (vocab->corpus == NULL || !vocab->corpus[0]))) {
        return SD_OK;
    }
    struct sd_buf arpa = SD_BUF_INIT((size_t)64 << 20);
    sd_status st = sd__vocab_arpa(vocab->corpus, vocab->phrases, vocab->n_phrases, 5, &arpa, err);
    if (st != SD_OK) {
        sd_buf_release(&arpa);
        return st == SD_E_INVALID ? SD_OK : st; /* no words: decode without */
    }
    struct sd__ps_vocab *v = calloc(1, sizeof(*v));
    if (v == NULL) {
        sd_buf_release(&arpa);
        return sd_err_set(err, SD_E_INTERNAL, NULL, "out of memory");
    }
    st = write_tmp(v->arpa_path, sizeof(v->arpa_path), ".lm", arpa.data, arpa.len, "language model",
                   err);
    sd_buf_release(&arpa);
    struct words ws = {0};
    if (vocab->corpus != NULL) {
        sd__vocab_words(vocab->corpus, add_word, &ws);
    }
    for (size_t i = 0; i < vocab->n_phrases; i++) {
        sd__vocab_words(vocab->phrases[i], add_word, &ws);
    }
    v->words = ws.w;
    v->upper = ws.upper;
    v->n_words = ws.n;
    /* The dictionary, and after it the words it lacks. */
    struct dict d = {0};
    size_t raw_len = 0;
    if (st == SD_OK) {
        st = dict_load(dict_path, &d, &raw_len, err);
    }
    struct sd_buf more = SD_BUF_INIT((size_t)16 << 20);
    for (size_t i = 0; st == SD_OK && i < v->n_words; i++) {
        if (lookup(&d, v->words[i]) != NULL || strlen(v->words[i]) >= 64) {
            continue;
        }
        /* The word as the text wrote it decides whether it reads as an acronym. */
        char as_written[64];
        size_t n = strlen(v->words[i]);
        for (size_t k = 0; k <= n; k++) {
            unsigned char c = (unsigned char)v->words[i][k];
            if (v->upper[i]) {
                c = (unsigned char)toupper(c);
            }
            as_written[k] = (char)c;
        }
        char phones[2][SD__VOCAB_PHONES_MAX];
        int np = sd__vocab_pronounce(as_written, lookup, &d, phones);
        for (int k = 0; k < np && st == SD_OK; k++) {
            st = k == 0 ? sd_buf_printf(&more, "%s %s\n", v->words[i], phones[k])
                        : sd_buf_printf(&more, "%s(%d) %s\n", v->words[i], k + 1, phones[k]);
            v->n_added += st == SD_OK;
        }
        if (st != SD_OK) {
            st = sd_err_set(err, SD_E_TOO_LARGE, "vocabulary", "the vocabulary is too large");
        }
    }
    if (st == SD_OK) {
        struct sd_buf all = SD_BUF_INIT(raw_len + more.len + 2);
        st = sd_buf_append(&all, d.text, raw_len);
        if (st == SD_OK && raw_len > 0 && d.text[raw_len - 1] != '\n') {
            st = sd_buf_puts(&all, "\n");
        }
        if (st == SD_OK && more.len > 0) {
            st = sd_buf_append(&all, more.data, more.len);
        }
        if (st == SD_OK) {
            st = write_tmp(v->dict_path, sizeof(v->dict_path), ".dict", all.data, all.len,
                           "dictionary", err);
        }
        sd_buf_release(&all);
    }
    sd_buf_release(&more);
    free(d.text);
    free(d.lines);
    if (st != SD_OK) {
        sd__ps_vocab_free(v);
        return st;
    }
    *out = v;
    return SD_OK;
}

void sd__ps_vocab_release(void *lms[2])
{
    for (int i = 0; i < 2; i++) {
        if (lms[i] != NULL) {
            (void)ngram_model_free(lms[i]);
            lms[i] = NULL;
        }
    }
}

sd_status sd__ps_vocab_apply(struct ps_decoder_s *ps, const struct sd__ps_vocab *v,
                             const char *lm_path, void *lms_out[2], struct sd_err *err)
{
    cmd_ln_t *cfg = ps_get_config(ps);
    logmath_t *lmath = ps_get_logmath(ps);
    ngram_model_t *general = ngram_model_read(cfg, lm_path, NGRAM_AUTO, lmath);
    ngram_model_t *small = ngram_model_read(cfg, v->arpa_path, NGRAM_ARPA, lmath);
    if (general == NULL || small == NULL) {
        if (general != NULL) {
            (void)ngram_model_free(general);
        }
        if (small != NULL) {
            (void)ngram_model_free(small);
        }
        return sd_err_set(err, SD_E_IO, NULL,
                          "cannot read the language models '%s' and the vocabulary's", lm_path);
    }
    lms_out[0] = general; /* the set uses them but does not free them */
    lms_out[1] = small;
    ngram_model_t *models[2] = {general, small};
    char general_name[] = "general", workspace_name[] = "workspace";
    char *names[2] = {general_name, workspace_name};
    const float32 weights[2] = {1.0f - VOCAB_WEIGHT, VOCAB_WEIGHT};
    ngram_model_t *set = ngram_model_set_init(cfg, models, names, weights, 2);
    if (set == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "the vocabulary model set could not be made");
    }
    int rc = ps_set_lm(ps, VOCAB_SEARCH, set);
    (void)ngram_model_free(set); /* the search holds its own reference */
    if (rc < 0 || ps_set_search(ps, VOCAB_SEARCH) < 0) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "the vocabulary search could not be set up");
    }
    return SD_OK;
}
