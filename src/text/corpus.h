/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the JSON-lines files of labelled tickets and help articles.
 *
 * One format for the shipped corpus (corpus/README.md), `showdesk eval`,
 * `showdesk kb import` and `showdesk train`:
 *   ticket:  {"id", "transcript", "account_plan", "page_url",
 *             "console_errors": [...], "label": {category, urgency,
 *             product_area, sentiment}, "kb_article": id | null}
 *   article: {"id", "title", "body", "tags": [...], "product_area"}
 * A line that is not such an object is an error naming the file and line,
 * so a broken corpus never trains a model quietly. Everything is copied
 * into the caller's arena.
 */
#ifndef SD_TEXT_CORPUS_H
#define SD_TEXT_CORPUS_H

#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"
#include "text/triage.h"

struct sd_corpus_ticket {
    const char *id;
    struct sd_triage_example ex; /* ex.in.text is the transcript */
    const char *kb_article;      /* nullable */
};

struct sd_corpus_article {
    const char *id;
    const char *title;
    const char *body;
    const char **tags;
    size_t n_tags;
    const char *product_area; /* nullable */
};

/** Parses tickets from @data (@len bytes); @name names the source in errors. */
SD_MUST_CHECK sd_status sd_corpus_tickets(sd_arena *a, const char *name, const char *data,
                                          size_t len, struct sd_corpus_ticket **out, size_t *n_out,
                                          struct sd_err *err);
SD_MUST_CHECK sd_status sd_corpus_articles(sd_arena *a, const char *name, const char *data,
                                           size_t len, struct sd_corpus_article **out,
                                           size_t *n_out, struct sd_err *err);

/** The training corpus built into the binary (corpus/triage and corpus/kb/train). */
SD_MUST_CHECK sd_status sd_corpus_builtin(sd_arena *a, struct sd_corpus_ticket **out, size_t *n_out,
                                          struct sd_err *err);
/** The built-in help articles of the demo product (corpus/kb/articles.jsonl). */
SD_MUST_CHECK sd_status sd_corpus_builtin_articles(sd_arena *a, struct sd_corpus_article **out,
                                                   size_t *n_out, struct sd_err *err);

#endif
