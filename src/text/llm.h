/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: a summary written by an OpenAI-compatible chat endpoint, when the
 * operator configures one (summary_url); never required.
 *
 * One POST of {model, messages: [system, user], temperature: 0} to the
 * chat-completions URL (llama.cpp's server, vLLM, Ollama's /v1, a hosted
 * API), the key as a Bearer token. The system message asks for JSON
 * {"title", "summary"}: a title of at most 12 words and at most two
 * sentences. The answer is checked before use (a JSON object, a one-line
 * title of 1..150 characters, a summary of 1..600 characters, cut to its
 * first two sentences, valid UTF-8 without control characters); anything
 * else is an error, and the caller keeps the extractive summary. Only the
 * first 16 KiB of the ticket's text is sent.
 *
 * MT safe: each call has its own curl handle; curl is initialised once.
 */
#ifndef SD_TEXT_LLM_H
#define SD_TEXT_LLM_H

#include "base/arena.h"
#include "base/err.h"
#include "text/summary.h"

struct sd_llm_opts {
    const char *url;   /* http(s)://…/v1/chat/completions */
    const char *model; /* sent as "model" */
    const char *key;   /* nullable: no Authorization header */
    long timeout_s;    /* 0 = 30 */
};

/** The title and summary of @text by the endpoint of @o, in @a. */
SD_MUST_CHECK sd_status sd_llm_summarize(const struct sd_llm_opts *o, sd_arena *a, const char *text,
                                         struct sd_summary *out, struct sd_err *err);

#endif
