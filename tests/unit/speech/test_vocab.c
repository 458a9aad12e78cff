/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/speech/vocab.c: pronunciations of words CMUdict lacks
 * (compounds split into known words, acronyms spelled and read, spelling
 * rules), checked against the real dictionary of pocketsphinx-en-us; and the
 * ARPA trigram model, loaded by sphinxbase's own reader and checked to be a
 * proper distribution (every history's probabilities, backed off, sum to 1);
 * and the engine with a vocabulary, on speech made by flite: a product name
 * that no dictionary has is heard once the workspace lists it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <pocketsphinx.h>
#include <sphinxbase/ngram_model.h>

#include "media/media.h"
#include "speech/speech.h"
#include "speech/vocab.h"

#define DICT "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"

/* The dictionary as "word phones" lines, sorted for bsearch. */
static char **lines;
static size_t n_lines;

static int cmp_line(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t nx = strcspn(x, " "), ny = strcspn(y, " ");
    int c = strncmp(x, y, nx < ny ? nx : ny);
    return c != 0 ? c : (nx > ny) - (nx < ny);
}

static const char *lookup(void *user, const char *word)
{
    (void)user;
    const char *key = word;
    char **hit = bsearch(&key, lines, n_lines, sizeof(*lines), cmp_line);
    return hit ? *hit + strcspn(*hit, " ") + 1 : NULL;
}

static int setup(void **state)
{
    (void)state;
    FILE *f = fopen(DICT, "r");
    if (f == NULL) {
        fprintf(stderr, "%s is missing: install pocketsphinx-en-us (sh scripts/deps.sh)\n", DICT);
        return -1;
    }
    char buf[512];
    size_t cap = 0;
    while (fgets(buf, sizeof(buf), f) != NULL) {
        buf[strcspn(buf, "\n")] = '\0';
        if (strchr(buf, '(') != NULL && strchr(buf, '(') < strchr(buf, ' ')) {
            continue; /* alternates */
        }
        if (n_lines == cap) {
            cap = cap ? cap * 2 : 4096;
            lines = realloc(lines, cap * sizeof(*lines));
        }
        lines[n_lines++] = strdup(buf);
    }
    fclose(f);
    qsort(lines, n_lines, sizeof(*lines), cmp_line);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_lines; i++) {
        free(lines[i]);
    }
    free(lines);
    return 0;
}

static void test_pronounce(void **state)
{
    (void)state;
    char out[2][SD__VOCAB_PHONES_MAX];
    /* Known words come from the dictionary. */
    assert_int_equal(sd__vocab_pronounce("desk", lookup, NULL, out), 1);
    assert_string_equal(out[0], "D EH S K");
    /* Compounds: the dictionary's parts. */
    assert_int_equal(sd__vocab_pronounce("Salesforce", lookup, NULL, out), 1);
    assert_string_equal(out[0], "S EY L Z F AO R S");
    assert_int_equal(sd__vocab_pronounce("zendesk", lookup, NULL, out), 1);
    assert_string_equal(out[0], "Z EH N D EH S K");
    /* Acronyms: spelled, and read as a word when they can be. */
    assert_int_equal(sd__vocab_pronounce("SAML", lookup, NULL, out), 2);
    assert_string_equal(out[0], "EH S EY EH M EH L");
    assert_string_equal(out[1], "S AE M AH L");
    assert_int_equal(sd__vocab_pronounce("SSO", lookup, NULL, out), 2);
    assert_string_equal(out[0], "EH S EH S OW");
    assert_int_equal(sd__vocab_pronounce("S3", lookup, NULL, out), 1);
    assert_string_equal(out[0], "EH S TH R IY");
    /* Spelling rules for the rest. */
    assert_int_equal(sd__vocab_pronounce("frobnicate", lookup, NULL, out), 1);
    assert_string_equal(out[0], "F R AA B N IH K EY T");
    assert_int_equal(sd__vocab_pronounce("xyzzy", lookup, NULL, out), 1);
    assert_true(strlen(out[0]) > 0);
    /* Every phone is one of the model's. */
    static const char *const phones[] = {"AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH",
                                         "EH", "ER", "EY", "F",  "G",  "HH", "IH", "IY", "JH", "K",
                                         "L",  "M",  "N",  "NG", "OW", "OY", "P",  "R",  "S",  "SH",
                                         "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};
    const char *words[] = {"frobnicate", "xyzzy", "Kubernetes", "OAuth",  "webhooks", "Jira",
                           "HubSpot",    "SCIM",  "tchotchke",  "quokka", "2FA"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        int n = sd__vocab_pronounce(words[i], lookup, NULL, out);
        assert_true(n >= 1);
        for (int v = 0; v < n; v++) {
            char copy[SD__VOCAB_PHONES_MAX];
            snprintf(copy, sizeof(copy), "%s", out[v]);
            for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
                bool ok = false;
                for (size_t k = 0; k < sizeof(phones) / sizeof(phones[0]); k++) {
                    ok = ok || strcmp(tok, phones[k]) == 0;
                }
                if (!ok) {
                    fail_msg("%s: phone '%s' in '%s'", words[i], tok, out[v]);
                }
            }
        }
    }
    assert_int_equal(sd__vocab_pronounce("--", lookup, NULL, out), 0);
}

struct collected {
    char words[32][32];
    bool upper[32];
    int n;
};

static void collect(void *user, const char *w, bool upper)
{
    struct collected *c = user;
    if (c->n < 32) {
        snprintf(c->words[c->n], sizeof(c->words[0]), "%s", w);
        c->upper[c->n] = upper;
        c->n++;
    }
}

static void test_words(void **state)
{
    (void)state;
    struct collected c = {0};
    sd__vocab_words("Set up SAML SSO. Don't e-mail it!", collect, &c);
    const char *want[] = {"set", "up", "saml", "sso", "", "don't", "e", "mail", "it", "", ""};
    assert_int_equal(c.n, 11);
    for (int i = 0; i < c.n; i++) {
        assert_string_equal(c.words[i], want[i]);
    }
    assert_true(c.upper[2]);
    assert_false(c.upper[0]);
}

static logmath_t *lmath;

/* log10 P(w | h) in @lm by sphinxbase, for words given as strings. */
static double prob(ngram_model_t *lm, const char *w, const char *h1, const char *h2)
{
    int32 n_used;
    int32 wid = ngram_wid(lm, w);
    int32 hist[2] = {h1 ? ngram_wid(lm, h1) : -1, h2 ? ngram_wid(lm, h2) : -1};
    int32 score = ngram_ng_prob(lm, wid, hist, h2 ? 2 : (h1 ? 1 : 0), &n_used);
    return logmath_log_to_log10(lmath, score);
}

static void test_arpa(void **state)
{
    (void)state;
    const char *phrases[] = {"Salesforce sync", "SAML single sign on", "the export button"};
    struct sd_buf b = SD_BUF_INIT(1 << 20);
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd__vocab_arpa("Our Salesforce sync fails. The export button does nothing.\n"
                                    "How do I set up SAML? The sync runs every hour.",
                                    phrases, 3, 5, &b, &err),
                     SD_OK);
    char path[] = "/tmp/sd-vocab-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fwrite(b.data, 1, b.len, f);
    fclose(f);
    lmath = logmath_init(1.0001, 0, 0);
    cmd_ln_t *cfg = cmd_ln_init(NULL, ps_args(), TRUE, "-logfn", "/dev/null", NULL);
    ngram_model_t *lm = ngram_model_read(cfg, path, NGRAM_ARPA, lmath);
    unlink(path);
    if (lm == NULL) {
        fail_msg("sphinxbase did not read the model:\n%.2000s", b.data);
    }
    /* Each history's distribution over the vocabulary sums to 1. */
    const char *hist[][2] = {{NULL, NULL},           {"salesforce", NULL}, {"the", NULL},
                             {"salesforce", "sync"}, {"the", "export"},    {"<s>", NULL},
                             {"sync", "salesforce"}};
    int32 n = ngram_model_get_counts(lm)[0];
    for (size_t k = 0; k < sizeof(hist) / sizeof(hist[0]); k++) {
        double sum = 0;
        for (int32 w = 0; w < n; w++) {
            const char *word = ngram_word(lm, w);
            if (strcmp(word, "<s>") == 0) {
                continue;
            }
            /* sphinxbase takes the history most recent first. */
            sum += pow(10, prob(lm, word, hist[k][1] ? hist[k][1] : hist[k][0],
                                hist[k][1] ? hist[k][0] : NULL));
        }
        if (fabs(sum - 1.0) > 0.02) {
            fail_msg("history %s %s sums to %f", hist[k][0] ? hist[k][0] : "-",
                     hist[k][1] ? hist[k][1] : "-", sum);
        }
    }
    /* What the workspace says is likely: "sync" after "salesforce" beats "button". */
    assert_true(prob(lm, "sync", "salesforce", NULL) > prob(lm, "button", "salesforce", NULL) + 1);
    ngram_model_free(lm);
    cmd_ln_free_r(cfg);
    logmath_free(lmath);
    sd_buf_release(&b);

    struct sd_buf e = SD_BUF_INIT(1024);
    assert_int_equal(sd__vocab_arpa(" ... ", NULL, 0, 5, &e, &err), SD_E_INVALID);
    sd_buf_release(&e);
}

/* Runs @argv (NULL-terminated); fails the test unless it exits 0. */
static void run(char *const argv[])
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("%s failed (install it: sh scripts/deps.sh test)", argv[0]);
    }
}

static bool said(const struct sd_transcript *t, const char *word)
{
    for (size_t i = 0; i < t->n_words; i++) {
        if (strcmp(t->words[i].text, word) == 0) {
            return true;
        }
    }
    return false;
}

/* A product name no dictionary has is heard once the workspace lists it. */
static void test_recognition_with_vocabulary(void **state)
{
    (void)state;
    char dir[] = "/tmp/sd-vocab-rec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char speech[64], wav[64];
    snprintf(speech, sizeof(speech), "%s/said.wav", dir);
    snprintf(wav, sizeof(wav), "%s/16k.wav", dir);
    char flite[] = "flite", voice_opt[] = "-voice", voice[] = "slt", t_opt[] = "-t",
         out_opt[] = "-o";
    char text[] = "our salesforce sync stopped working this morning";
    char *argv[] = {flite, voice_opt, voice, t_opt, text, out_opt, speech, NULL};
    run(argv);
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_media_pcm(speech, wav, NULL, &err), SD_OK);

    struct sd_speech_opts opts = {.threads = 1};
    struct sd_transcript *plain = NULL, *tuned = NULL;
    assert_int_equal(sd_speech_recognize(wav, &opts, NULL, NULL, &plain, &err), SD_OK);
    assert_false(said(plain, "salesforce"));
    assert_string_equal(plain->model, "en-us");

    const char *phrases[] = {"Salesforce sync", "SAML", "Zendesk", "webhooks", "HubSpot"};
    struct sd_speech_vocab vocab = {.phrases = phrases, .n_phrases = 5};
    opts.vocab = &vocab;
    assert_int_equal(sd_speech_recognize(wav, &opts, NULL, NULL, &tuned, &err), SD_OK);
    assert_true(said(tuned, "salesforce"));
    assert_true(said(tuned, "sync"));
    assert_string_equal(tuned->model, "en-us+workspace vocabulary");
    sd_transcript_free(plain);
    sd_transcript_free(tuned);
    unlink(speech);
    unlink(wav);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pronounce),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_arpa),
        cmocka_unit_test(test_recognition_with_vocabulary),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
