/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the analysis of a ticket: triage, summary, environment and help
 * articles, with the workspace's settings, models and articles.
 *
 * One sd_analyzer per process holds:
 *   - the default triage model: the file given (--triage-model), else
 *     triage.model beside the binary (the build trains it from corpus/),
 *     else one trained at start from the corpus built into the binary;
 *   - per workspace, the newest model of its own (trained on the corpus plus
 *     its agents' corrections, kept in the store), reloaded when a newer one
 *     appears, and its help articles in a search index (text/kb.h) that
 *     follows the kb_articles table by (updated_at, id): each search first
 *     reads what changed since the last one, so every server process sees
 *     every edit without a message between them.
 *
 * sd_analyze_ticket reads what the customer said (the subject, their
 * messages, and the transcripts of the recordings attached to them), runs the
 * models, and writes title, summary (the summary endpoint's, when one is
 * configured and the caller allows the wait: jobs do, requests do not),
 * environment, the four fields (each only
 * when its probability passes the workspace's threshold), their
 * probabilities and the best three articles. When the first article's
 * confidence passes the workspace's kb_threshold (0.8 by default) and the
 * ticket is new and was never offered an article, it is offered one: the
 * ticket's deflection becomes "offered" and waits for the customer's answer.
 *
 * MT safe: the caches are guarded by a mutex, searches by the index's lock;
 * each thread gets its own stemmer.
 */
#ifndef SD_DOMAIN_ANALYZE_H
#define SD_DOMAIN_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"
#include "text/kb.h"
#include "text/llm.h"
#include "text/summary.h"
#include "text/triage.h"

/* The "triage" group of a workspace's settings. */
struct sd_triage_settings {
    double thresholds[SD_TRI_N]; /* review below these */
    double kb_threshold;         /* offer an article at or above this confidence */
    const char *const *areas;    /* the product-area taxonomy, NULL-terminated */
    int64_t retrain_hours;       /* retrain the workspace's model this often; 0: never */
};

extern const char *const sd_default_product_areas[];
#define SD_KB_THRESHOLD_DEFAULT 0.8

/** Reads the "triage" group of @settings_json; anything missing or wrong takes its default. */
void sd_triage_settings_read(const char *settings_json, sd_arena *a,
                             struct sd_triage_settings *out);

typedef struct sd_analyzer sd_analyzer;

/**
 * Loads the default model from @model_path (nullable: see above); @llm
 * (nullable, copied) names a chat endpoint that may write summaries.
 */
SD_MUST_CHECK sd_status sd_analyzer_new(const char *model_path, const struct sd_llm_opts *llm,
                                        sd_analyzer **out, struct sd_err *err);
/** True when a summary endpoint is configured. */
bool sd_analyzer_has_llm(const sd_analyzer *an);
void sd_analyzer_free(sd_analyzer *an);
/** Where the default model came from, for the log: a path or "the built-in corpus". */
const char *sd_analyzer_source(const sd_analyzer *an);
/** The default model; borrowed for the analyzer's life. */
const sd_triage_model *sd_analyzer_model(const sd_analyzer *an);

struct sd_analyze_input {
    const char *text;
    const struct sd_tok_timed *words; /* nullable: timed words (sentences at pauses) */
    size_t n_words;
    const char *plan, *page_url, *user_agent; /* nullable each */
    size_t n_console_errors;
    bool use_llm; /* let the summary endpoint write the summary, when there is one */
};

#define SD_ANALYSIS_MATCHES 3

struct sd_analysis {
    struct sd_triage triage;
    struct sd_summary summary;
    const char *environment;
    struct sd_kb_match matches[SD_ANALYSIS_MATCHES];
    size_t n_matches;
    bool confident;           /* matches[0] passes the workspace's kb_threshold */
    const char *triage_json;  /* the store's tickets.triage */
    const char *matches_json; /* the store's tickets.kb_matches */
    const char *deflection;   /* nullable: "offered" when the ticket was offered matches[0] */
    const char *summary_by;   /* "extractive" or "llm" */
};

/** Analyses @in for workspace @ws_id (its settings in @settings_json). */
SD_MUST_CHECK sd_status sd_analyze(sd_analyzer *an, sd_db *db, sd_arena *a, const char *ws_id,
                                   const char *settings_json, const struct sd_analyze_input *in,
                                   struct sd_analysis *out, struct sd_err *err);

/**
 * What the customer told in ticket @t, as stored: the subject, their public
 * messages and the transcripts of their recordings (the timed words of the
 * first), and the plan, page and console errors of its context.
 */
SD_MUST_CHECK sd_status sd_analyze_input_of(sd_db *db, sd_arena *a, const char *ws_id,
                                            const struct sd_ticket *t, struct sd_analyze_input *out,
                                            struct sd_err *err);

/**
 * Analyses ticket @ticket_id from what is stored and writes the result (see
 * above); @offer allows offering an article. Run it outside a transaction:
 * the analysis (and a summary endpoint) must not hold the database's write
 * lock; the result is written by one statement that keeps agents' values.
 */
SD_MUST_CHECK sd_status sd_analyze_ticket(sd_analyzer *an, sd_db *db, sd_arena *a,
                                          const char *ws_id, const char *ticket_id, bool offer,
                                          bool use_llm, struct sd_analysis *out,
                                          struct sd_err *err);

/** The @k best published articles of the workspace for @query. */
SD_MUST_CHECK sd_status sd_analyzer_kb_search(sd_analyzer *an, sd_db *db, sd_arena *a,
                                              const char *ws_id, const char *query, size_t k,
                                              struct sd_kb_match *out, size_t *n_out,
                                              struct sd_err *err);

/**
 * Trains the workspace's own model on the built-in corpus plus its agents'
 * corrections (the latest per ticket and field) and stores it; the servers
 * pick it up on their next analysis. *@out (nullable) gets the stored row
 * without its data.
 */
SD_MUST_CHECK sd_status sd_analyzer_train_workspace(sd_db *db, sd_arena *a, const char *ws_id,
                                                    const char *settings_json,
                                                    struct sd_triage_model_row *out,
                                                    struct sd_err *err);

/**
 * Trains the default model from the built-in corpus and fits the KB match
 * calibration on the built-in articles and labelled tickets; for `showdesk
 * train` and the build.
 */
SD_MUST_CHECK sd_status sd_analyzer_train_default(sd_triage_model **out, struct sd_err *err);

/** The text of a Markdown article body for the index, in @a. */
const char *sd_analyzer_article_text(sd_arena *a, const char *markdown);

#endif
