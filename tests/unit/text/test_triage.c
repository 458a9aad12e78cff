/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/text/triage.c, kb.c and corpus.c: the lexicon and the
 * critical phrases; a model trained on the built-in corpus, its documented
 * urgency rules (critical phrases, console errors, enterprise), thresholds
 * and review; the binary form round trip and corrupt models refused; bad
 * input (empty, 1 MB, binary junk, another language, shouting); the article
 * index (put, replace, remove) and its calibrated confidence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "text/corpus.h"
#include "text/kb.h"
#include "text/triage.h"

static sd_triage_model *model;
static sd_stem *stem;

static int setup(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    struct sd_corpus_ticket *t;
    size_t n;
    struct sd_err err = SD_ERR_INIT;
    if (sd_corpus_builtin(a, &t, &n, &err) != SD_OK || n < 100) {
        fprintf(stderr, "corpus: %s (%zu tickets)\n", err.msg, n);
        return -1;
    }
    struct sd_triage_example *ex = calloc(n, sizeof *ex);
    for (size_t i = 0; i < n; i++) {
        ex[i] = t[i].ex;
    }
    sd_status st = sd_triage_train(ex, n, NULL, &model, &err);
    free(ex);
    sd_arena_free(a);
    if (st != SD_OK) {
        fprintf(stderr, "train: %s\n", err.msg);
        return -1;
    }
    return sd_stem_new(&stem, NULL) == SD_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sd_triage_model_free(model);
    sd_stem_free(stem);
    return 0;
}

static const char **split(sd_arena *a, const char *s, size_t *n)
{
    const char **w;
    *n = sd_tok_words(a, s, strlen(s), 0, NULL, 0, &w);
    return w;
}

static void test_lexicon(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    size_t n;
    const char **w = split(a, "it is not working at all and this is ridiculous", &n);
    assert_true(sd_triage_lexicon(w, n) > 0.3);
    w = split(a, "thanks so much I love the new reports", &n);
    assert_true(sd_triage_lexicon(w, n) < -0.3);
    w = split(a, "honestly not bad at all", &n);
    assert_true(sd_triage_lexicon(w, n) <= 0);
    w = split(a, "how do I export a report", &n);
    assert_true(sd_triage_lexicon(w, n) == 0);
    const char *c = "hi so nobody can log in since this morning";
    assert_string_equal(sd_triage_critical_phrase(c, strlen(c)), "critical_phrase");
    c = "All our data is GONE after the import";
    assert_non_null(sd_triage_critical_phrase(c, strlen(c)));
    c = "where are the security settings for my team";
    assert_null(sd_triage_critical_phrase(c, strlen(c)));
    c = "the download is slow";
    assert_null(sd_triage_critical_phrase(c, strlen(c)));
    c = "since this morning nobody on our team can log in at all";
    assert_non_null(sd_triage_critical_phrase(c, strlen(c)));
    c = "the whole company is locked out of the app";
    assert_non_null(sd_triage_critical_phrase(c, strlen(c)));
    c = "all of our users cannot sign in";
    assert_non_null(sd_triage_critical_phrase(c, strlen(c)));
    c = "how do I make sure everyone can access the report";
    assert_null(sd_triage_critical_phrase(c, strlen(c)));
    c = "nobody told me the invoice changed";
    assert_null(sd_triage_critical_phrase(c, strlen(c)));
    sd_arena_free(a);
}

static int level(const char *u)
{
    for (int i = 0; sd_triage_urgencies[i]; i++) {
        if (strcmp(u, sd_triage_urgencies[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static void check_sane(const struct sd_triage *r)
{
    for (int f = 0; f < SD_TRI_N; f++) {
        assert_non_null(r->f[f].value);
        assert_true(r->f[f].p >= 0 && r->f[f].p <= 1);
    }
}

static void test_classify(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    struct sd_triage r;
    struct sd_triage_input in = {
        .text = "um hi so I was charged twice on my credit card for the pro plan this month "
                "can you refund the second charge please the invoice number is 4411",
        .plan = "pro",
        .page_url = "https://app.example.com/billing/invoices/4411"};
    sd_triage_run(model, stem, a, &in, NULL, &r);
    check_sane(&r);
    assert_string_equal(r.f[SD_TRI_CATEGORY].value, "billing");
    assert_string_equal(r.f[SD_TRI_AREA].value, "billing");

    /* On tickets of products the corpus does not have (the held-out split,
     * which training never reads), most categories are right. */
    char path[4096];
    const char *root = getenv("SHOWDESK_SOURCE_ROOT");
    (void)snprintf(path, sizeof path, "%s/corpus/heldout.jsonl", root ? root : ".");
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    static char data[8 << 20];
    size_t len = fread(data, 1, sizeof data - 1, file);
    (void)fclose(file);
    struct sd_corpus_ticket *t;
    size_t n;
    assert_int_equal(sd_corpus_tickets(a, path, data, len, &t, &n, NULL), SD_OK);
    assert_true(n >= 100);
    size_t right = 0;
    for (size_t i = 0; i < n; i++) {
        sd_triage_run(model, stem, a, &t[i].ex.in, NULL, &r);
        right += strcmp(r.f[SD_TRI_CATEGORY].value, t[i].ex.label[SD_TRI_CATEGORY]) == 0;
    }
    assert_true(right * 10 >= n * 8);

    /* Rule 1: a critical phrase makes it critical, whatever the model said. */
    in = (struct sd_triage_input){.text = "nobody can log in, the whole team is locked out",
                                  .plan = "free"};
    sd_triage_run(model, stem, a, &in, NULL, &r);
    assert_string_equal(r.f[SD_TRI_URGENCY].value, "critical");
    assert_string_equal(r.f[SD_TRI_URGENCY].rule, "critical_phrase");
    assert_false(r.f[SD_TRI_URGENCY].review);

    /* Rule 3: enterprise is one level up from the same ticket on free. */
    const char *text = "the little avatar in the corner looks a bit blurry on my screen, not a "
                       "big deal, just wanted to mention it";
    in = (struct sd_triage_input){.text = text, .plan = "free"};
    sd_triage_run(model, stem, a, &in, NULL, &r);
    int free_level = level(r.f[SD_TRI_URGENCY].value);
    in.plan = "enterprise";
    sd_triage_run(model, stem, a, &in, NULL, &r);
    assert_int_equal(level(r.f[SD_TRI_URGENCY].value), free_level < 3 ? free_level + 1 : 3);
    assert_string_equal(r.f[SD_TRI_URGENCY].rule, "enterprise");
    assert_int_not_equal(level(r.f[SD_TRI_URGENCY].value), 0);

    /* Rule 2: a bug with console errors is at least medium. */
    in = (struct sd_triage_input){
        .text = "the export button does nothing when I click it, it is broken, there is an error",
        .plan = "free",
        .n_console_errors = 2};
    sd_triage_run(model, stem, a, &in, NULL, &r);
    if (strcmp(r.f[SD_TRI_CATEGORY].value, "bug") == 0) {
        assert_true(level(r.f[SD_TRI_URGENCY].value) >= 1);
    }

    /* Thresholds: at 1.0 everything is for review, at 0 nothing is. */
    double all[SD_TRI_N] = {1.0, 1.0, 1.0, 1.0}, none[SD_TRI_N] = {0, 0, 0, 0};
    in = (struct sd_triage_input){.text = "the dashboard is slow today"};
    sd_triage_run(model, stem, a, &in, all, &r);
    for (int f = 0; f < SD_TRI_N; f++) {
        assert_true(r.f[f].review || r.f[f].rule != NULL);
    }
    sd_triage_run(model, stem, a, &in, none, &r);
    for (int f = 0; f < SD_TRI_N; f++) {
        assert_false(r.f[f].review);
    }
    sd_arena_free(a);
}

static void test_bad_input(void **state)
{
    (void)state;
    sd_arena *a = sd_arena_new();
    struct sd_triage r;
    struct sd_triage_input in = {.text = ""};
    sd_triage_run(model, stem, a, &in, NULL, &r);
    check_sane(&r);
    in.text = NULL;
    sd_triage_run(model, stem, a, &in, NULL, &r);
    check_sane(&r);
    /* 1 MB of junk bytes, a URL of junk, a plan of junk. */
    size_t len = 1 << 20;
    char *big = malloc(len + 1);
    uint32_t x = 7;
    for (size_t i = 0; i < len; i++) {
        x = x * 1664525u + 1013904223u;
        big[i] = (char)((x >> 24) | 1);
    }
    big[len] = '\0';
    in = (struct sd_triage_input){
        .text = big, .plan = big + 100, .page_url = big + 200, .n_console_errors = SIZE_MAX};
    sd_triage_run(model, stem, a, &in, NULL, &r);
    check_sane(&r);
    free(big);
    in = (struct sd_triage_input){.text = "Здравствуйте, я не могу войти в свой аккаунт. 無法登入"};
    sd_triage_run(model, stem, a, &in, NULL, &r);
    check_sane(&r);
    in = (struct sd_triage_input){.text = "WHY IS THE EXPORT BROKEN AGAIN THIS IS THE THIRD TIME "
                                          "I AM SO DONE WITH THIS"};
    sd_triage_run(model, stem, a, &in, NULL, &r);
    check_sane(&r);
    assert_string_equal(r.f[SD_TRI_SENTIMENT].value, "frustrated");
    sd_arena_free(a);
}

static void test_save_load(void **state)
{
    (void)state;
    struct sd_buf b = SD_BUF_INIT(256u << 20);
    assert_int_equal(sd_triage_model_save(model, &b, NULL), SD_OK);
    sd_triage_model *m2;
    assert_int_equal(sd_triage_model_load(b.data, b.len, &m2, NULL), SD_OK);
    assert_int_equal(sd_triage_model_features(m2), sd_triage_model_features(model));
    sd_arena *a = sd_arena_new();
    struct sd_triage r1, r2;
    struct sd_triage_input in = {.text = "my invoice shows the wrong VAT number", .plan = "pro"};
    sd_triage_run(model, stem, a, &in, NULL, &r1);
    sd_triage_run(m2, stem, a, &in, NULL, &r2);
    for (int f = 0; f < SD_TRI_N; f++) {
        assert_string_equal(r1.f[f].value, r2.f[f].value);
        assert_true(r1.f[f].p - r2.f[f].p < 1e-5 && r2.f[f].p - r1.f[f].p < 1e-5);
    }
    sd_triage_model_free(m2);
    /* Truncated anywhere, or a byte changed in the header: refused. */
    struct sd_err err = SD_ERR_INIT;
    size_t cuts[] = {0, 5, 10, 14, 100, b.len / 2, b.len - 1};
    for (size_t i = 0; i < SD_ARRAY_LEN(cuts); i++) {
        assert_int_equal(sd_triage_model_load(b.data, cuts[i], &m2, &err), SD_E_INVALID);
    }
    b.data[3] ^= 1;
    assert_int_equal(sd_triage_model_load(b.data, b.len, &m2, &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "showdesk train"));
    b.data[3] ^= 1;
    /* A huge vocabulary count. */
    memset(b.data + 10, 0xff, 4);
    assert_int_equal(sd_triage_model_load(b.data, b.len, &m2, &err), SD_E_INVALID);
    sd_buf_release(&b);
    sd_arena_free(a);
}

static void test_train_errors(void **state)
{
    (void)state;
    struct sd_triage_example ex[2] = {
        {.in = {.text = "a"}, .label = {"bug", "low", "api", "neutral"}},
        {.in = {.text = "b"}, .label = {"bug", "high", "api", "positive"}},
    };
    sd_triage_model *m = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_triage_train(ex, 2, NULL, &m, &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "category"));
    assert_null(m);
    /* A corpus line that is not a ticket names its file and line. */
    sd_arena *a = sd_arena_new();
    struct sd_corpus_ticket *t;
    size_t n;
    const char *bad = "{\"transcript\": \"ok\"}\n\n{\"id\": 3}\n";
    assert_int_equal(sd_corpus_tickets(a, "x.jsonl", bad, strlen(bad), &t, &n, &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "x.jsonl:3"));
    const char *notjson = "{\"transcript\": \"ok\"}\nnope\n";
    assert_int_equal(sd_corpus_tickets(a, "y.jsonl", notjson, strlen(notjson), &t, &n, &err),
                     SD_E_INVALID);
    assert_non_null(strstr(err.msg, "y.jsonl:2"));
    sd_arena_free(a);
}

static void test_kb(void **state)
{
    (void)state;
    sd_kb *kb;
    assert_int_equal(sd_kb_new(&kb, NULL), SD_OK);
    const char *tags1[] = {"export", "csv"};
    assert_int_equal(sd_kb_put(kb, stem, "kb_1", "Export a report to CSV",
                               "Open the report, press Export and choose CSV. The file downloads.",
                               tags1, 2, NULL),
                     SD_OK);
    assert_int_equal(sd_kb_put(kb, stem, "kb_2", "Reset your password",
                               "On the login page press Forgot password and follow the email.",
                               NULL, 0, NULL),
                     SD_OK);
    assert_int_equal(sd_kb_put(kb, stem, "kb_3", "Connect Slack",
                               "Go to Integrations, pick Slack and allow access.", NULL, 0, NULL),
                     SD_OK);
    assert_int_equal(sd_kb_count(kb), 3);
    sd_arena *a = sd_arena_new();
    struct sd_kb_match m[3];
    size_t n = sd_kb_search(kb, stem, a, "um how do I export my report as a csv file", NULL, 3, m);
    assert_true(n >= 1);
    assert_string_equal(m[0].id, "kb_1");
    assert_string_equal(m[0].title, "Export a report to CSV");
    double strong = m[0].confidence;
    assert_true(strong > 0 && strong <= 1);
    for (size_t i = 1; i < n; i++) {
        assert_true(m[i].confidence < m[0].confidence);
    }
    /* One hit asked: one written (the second is read for the margin only). */
    struct sd_kb_match one[1];
    assert_int_equal(sd_kb_search(kb, stem, a, "export report csv password", NULL, 1, one), 1);
    /* A loosely related question matches with less confidence. */
    n = sd_kb_search(kb, stem, a, "the report page looks odd on my new monitor", NULL, 3, m);
    assert_true(n == 0 || m[0].confidence < strong);
    /* Nothing in common, no words at all: nothing. */
    assert_int_equal(sd_kb_search(kb, stem, a, "zebra quantum", NULL, 3, m), 0);
    assert_int_equal(sd_kb_search(kb, stem, a, "", NULL, 3, m), 0);
    assert_int_equal(sd_kb_search(kb, stem, a, NULL, NULL, 3, m), 0);
    /* Replace and remove follow at once. */
    assert_int_equal(sd_kb_put(kb, stem, "kb_1", "Print a report", "Press Print.", NULL, 0, NULL),
                     SD_OK);
    assert_int_equal(sd_kb_count(kb), 3);
    n = sd_kb_search(kb, stem, a, "csv export", NULL, 3, m);
    assert_int_equal(n, 0);
    sd_kb_remove(kb, "kb_2");
    sd_kb_remove(kb, "kb_2");
    assert_int_equal(sd_kb_count(kb), 2);
    assert_int_equal(sd_kb_search(kb, stem, a, "forgot password", NULL, 3, m), 0);
    assert_int_equal(sd_kb_put(kb, stem, "kb_4", "Forgot password", "Reset it.", NULL, 0, NULL),
                     SD_OK);
    n = sd_kb_search(kb, stem, a, "forgot password", NULL, 3, m);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].id, "kb_4");
    /* Many articles: ids and slots stay consistent through churn. */
    char id[32], title[64];
    for (int i = 0; i < 2000; i++) {
        (void)snprintf(id, sizeof id, "gen_%d", i);
        (void)snprintf(title, sizeof title, "topic%d widget%d", i, i % 7);
        assert_int_equal(sd_kb_put(kb, stem, id, title, "body text", NULL, 0, NULL), SD_OK);
        if (i % 3 == 0) {
            sd_kb_remove(kb, id);
        }
    }
    n = sd_kb_search(kb, stem, a, "topic1999", NULL, 3, m);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].id, "gen_1999");
    assert_int_equal(sd_kb_search(kb, stem, a, "topic999", NULL, 3, m), 0);
    assert_true(sd_kb_bytes(kb) > 0);
    sd_arena_free(a);
    sd_kb_free(kb);
}

static void test_calibrate(void **state)
{
    (void)state;
    /* Right first hits have high norm and margin; wrong ones low. */
    double x[200][SD_KB_FEATURES];
    int y[200];
    uint32_t r = 1;
    for (int i = 0; i < 200; i++) {
        r = r * 1103515245u + 12345u;
        double noise = (double)(r >> 16 & 0xff) / 2550.0;
        y[i] = i % 2;
        x[i][0] = (y[i] ? 0.6 : 0.2) + noise;
        x[i][1] = (y[i] ? 0.5 : 0.1) + noise;
        x[i][2] = y[i] ? 0.7 : 0.3;
        x[i][3] = 2.0;
    }
    struct sd_kb_calib c;
    assert_int_equal(sd_kb_calibrate((const double(*)[SD_KB_FEATURES])x, y, 200, &c, NULL), SD_OK);
    assert_true(c.w[0] > 0 && c.w[1] > 0);
    int all_right[3] = {1, 1, 1};
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_kb_calibrate((const double(*)[SD_KB_FEATURES])x, all_right, 3, &c, &err),
                     SD_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexicon),      cmocka_unit_test(test_classify),
        cmocka_unit_test(test_bad_input),    cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_train_errors), cmocka_unit_test(test_kb),
        cmocka_unit_test(test_calibrate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
