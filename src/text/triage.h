/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: triage, the four labels of a ticket and how sure they are.
 *
 * A model (sd_triage_model) is four logistic-regression classifiers trained
 * with liblinear on one feature space:
 *   - TF-IDF of the ticket's words, word pairs and character 3- and 4-grams
 *     (tok.h), sublinear term frequency, L2-normalised, terms seen in at
 *     least two training tickets;
 *   - structured features, each 1 when present: the account plan ("p:pro"),
 *     console errors present and how many ("e:any", "e:3+"), the page URL's
 *     path segments ("u:reports", ids and numbers left out);
 *   - the sentiment lexicon's readings ("l:neg", "l:pos", "l:intense",
 *     "l:long_wait"): negative and positive words with negation ("not working
 *     at all" is negative, "not bad" is not), intensifiers and waits ("two
 *     hours", "third time").
 * Probabilities are liblinear's one-vs-rest logistic outputs, normalised.
 *
 * Urgency then goes through explicit rules, applied after the model and named
 * in the result (rule):
 *   1. "critical_phrase": words of an outage, data loss or a security
 *      problem ("nobody can log in", "all our data is gone", "site is down",
 *      "hacked") make it critical;
 *   2. "console_errors": a bug with console errors is at least medium;
 *   3. "enterprise": an enterprise customer's ticket goes one level up.
 * The model learns urgency before the enterprise step (training takes one
 * level off enterprise labels), so that the rule, not the model, says what
 * a plan is worth.
 *
 * A field whose probability is below its threshold is marked for review:
 * the caller shows it as a suggestion and leaves the ticket's field empty.
 *
 * Models are saved in a compact binary form (sd_triage_model_save) that
 * sd_triage_model_load checks entirely before use, since a model may come
 * from a file or the database. A loaded model is immutable and MT safe;
 * sd_triage_run needs an sd_stem of the calling thread.
 */
#ifndef SD_TEXT_TRIAGE_H
#define SD_TEXT_TRIAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "text/kb.h"
#include "text/tok.h"

enum sd_triage_field { SD_TRI_CATEGORY, SD_TRI_URGENCY, SD_TRI_AREA, SD_TRI_SENTIMENT, SD_TRI_N };

/** "category", "urgency", "product_area", "sentiment". */
extern const char *const sd_triage_field_names[SD_TRI_N];

/** What a ticket says, and where it came from. */
struct sd_triage_input {
    const char *text; /* subject, message and transcript, any size (only the first 64 KiB count) */
    const char *plan; /* nullable: free, pro, enterprise, or a workspace's own */
    const char *page_url; /* nullable */
    size_t n_console_errors;
};

struct sd_triage_example {
    struct sd_triage_input in;
    const char *label[SD_TRI_N]; /* nullable each: not labelled */
};

struct sd_triage_opts {
    double c; /* liblinear's C; 0 = 4 */
    const char *const
        *areas; /* nullable, NULL-terminated: product areas to learn (others dropped) */
};

typedef struct sd_triage_model sd_triage_model;

/** Trains on @n examples; SD_E_INVALID when a field has fewer than two classes. */
SD_MUST_CHECK sd_status sd_triage_train(const struct sd_triage_example *ex, size_t n,
                                        const struct sd_triage_opts *opts, sd_triage_model **out,
                                        struct sd_err *err);
void sd_triage_model_free(sd_triage_model *m);
SD_MUST_CHECK sd_status sd_triage_model_save(const sd_triage_model *m, struct sd_buf *out,
                                             struct sd_err *err);
SD_MUST_CHECK sd_status sd_triage_model_load(const void *data, size_t len, sd_triage_model **out,
                                             struct sd_err *err);
/** The KB match calibration kept with the model, or NULL when it has none. */
const struct sd_kb_calib *sd_triage_model_kb(const sd_triage_model *m);
void sd_triage_model_set_kb(sd_triage_model *m, const struct sd_kb_calib *cal);
/** Features in the model's vocabulary. */
size_t sd_triage_model_features(const sd_triage_model *m);

struct sd_triage_value {
    const char *value;  /* the best class */
    double p;           /* its probability, 0..1 */
    bool review;        /* below the threshold: a suggestion, not a decision */
    const char *rule;   /* nullable: the urgency rule that set the value */
    const char *second; /* nullable: the runner-up class */
    double p_second;
};

struct sd_triage {
    struct sd_triage_value f[SD_TRI_N];
};

/** Default thresholds per field (category, urgency, product_area, sentiment). */
extern const double sd_triage_default_thresholds[SD_TRI_N];

/**
 * Classifies @in with @m. @thresholds (nullable: the defaults) decide
 * review. Strings of the result are the model's or static.
 */
void sd_triage_run(const sd_triage_model *m, sd_stem *stem, sd_arena *a,
                   const struct sd_triage_input *in, const double *thresholds,
                   struct sd_triage *out);

/** Urgency levels in order, NULL-terminated. */
extern const char *const sd_triage_urgencies[];
/** The rule name when @text has words of an outage, data loss or a security problem, else NULL. */
const char *sd_triage_critical_phrase(const char *text, size_t len);

/** The lexicon's reading of @words (lowercased, unstemmed): negative minus positive, -1..1. */
double sd_triage_lexicon(const char *const *words, size_t n);

#endif
