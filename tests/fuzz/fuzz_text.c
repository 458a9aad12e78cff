/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target: what customers say, and model files. Untrusted bytes go
 * through everything a ticket's text meets: words, sentences, the summary,
 * the environment line (as a user agent and a URL), the critical phrases,
 * the article index (as an article and as a query), and, as a triage model
 * file, sd_triage_model_load, which must refuse anything it did not write.
 * No crash, no leak, no read past the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/kb.h"
#include "text/summary.h"
#include "text/triage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    static sd_stem *stem;
    if (stem == NULL && sd_stem_new(&stem, NULL) != SD_OK) {
        abort();
    }
    /* The bytes as a C string (cut at the first NUL, as the API's JSON strings are). */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);
    sd_arena *a = sd_arena_new();

    const char **w;
    (void)sd_tok_words(a, text, len, SD_TOK_STOP | SD_TOK_FILLERS | SD_TOK_STEM, stem, 0, &w);
    const char **g;
    size_t nw = sd_tok_words(a, text, len, 0, NULL, 200, &w);
    (void)sd_tok_ngrams(a, w, nw, &g);
    (void)sd_triage_lexicon(w, nw);
    (void)sd_tok_clean(a, text, len);
    struct sd_summary sum;
    sd_summarize(stem, a, text, NULL, 0, &sum);
    (void)sd_environment(a, text, text, size);
    (void)sd_triage_critical_phrase(text, len);

    sd_kb *kb;
    if (sd_kb_new(&kb, NULL) == SD_OK) {
        const char *tags[] = {text};
        if (sd_kb_put(kb, stem, "a", text, text, tags, 1, NULL) != SD_OK ||
            sd_kb_put(kb, stem, "b", "export a report", "press export", NULL, 0, NULL) != SD_OK) {
            abort(); /* any text is an article */
        }
        struct sd_kb_match m[3];
        (void)sd_kb_search(kb, stem, a, text, NULL, 3, m);
        sd_kb_remove(kb, "a");
        sd_kb_free(kb);
    }

    sd_triage_model *model = NULL;
    if (sd_triage_model_load(data, size, &model, NULL) == SD_OK) {
        struct sd_triage r;
        struct sd_triage_input in = {.text = "the export is broken", .plan = "pro"};
        sd_triage_run(model, stem, a, &in, NULL, &r);
        sd_triage_model_free(model);
    }
    sd_arena_free(a);
    free(text);
    return 0;
}
