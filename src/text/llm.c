/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Summaries by an OpenAI-compatible chat endpoint: see llm.h. */
#include "text/llm.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "base/banned.h"

#define SEND_MAX    ((size_t)16 * 1024)
#define ANSWER_MAX  ((size_t)256 * 1024)
#define TITLE_MAX   150
#define SUMMARY_MAX 600

static const char system_prompt[] =
    "You summarise customer support tickets for the agent who will answer them. "
    "The ticket is what a customer said while recording their screen, maybe with "
    "recognition errors. Reply with only a JSON object {\"title\": ..., \"summary\": ...}: "
    "a title of at most 12 words naming the problem, and a summary of at most two "
    "sentences saying what the customer tried to do, what went wrong and what they "
    "need. No greetings, no filler words, no invented details.";

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_answer(char *p, size_t size, size_t n, void *user)
{
    struct sd_buf *b = user;
    return sd_buf_append(b, p, size * n) == SD_OK ? size * n : 0;
}

/* @s cut after its second sentence end (". ", "! ", "? " or the end). */
static char *two_sentences(sd_arena *a, const char *s)
{
    size_t ends = 0, i = 0;
    for (; s[i] != '\0'; i++) {
        if ((s[i] == '.' || s[i] == '!' || s[i] == '?') && (s[i + 1] == ' ' || s[i + 1] == '\0') &&
            ++ends == 2) {
            i++;
            break;
        }
    }
    return sd_arena_strndup(a, s, i);
}

static bool clean_text(const char *s, size_t min, size_t max, bool one_line)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max || !sd_utf8_valid(s, n)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(c == '\n' && !one_line)) || c == 0x7f) {
            return false;
        }
    }
    return true;
}

/* The {"title", "summary"} in the chat answer @body. */
static sd_status parse_answer(sd_arena *a, const char *body, struct sd_summary *out,
                              struct sd_err *err)
{
    json_t *j = json_loads(body, 0, NULL);
    const char *content = json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"), "content"));
    sd_status st = SD_OK;
    if (content == NULL) {
        st = sd_err_set(err, SD_E_INVALID, "summary_url",
                        "the summary endpoint's answer has no choices[0].message.content");
    }
    json_t *inner = NULL;
    if (st == SD_OK) {
        /* Models like to wrap JSON in a ``` fence: take the outermost braces. */
        const char *open = strchr(content, '{'), *close = strrchr(content, '}');
        if (open != NULL && close != NULL && close > open) {
            inner = json_loadb(open, (size_t)(close - open) + 1, 0, NULL);
        }
        if (!json_is_object(inner)) {
            st = sd_err_set(err, SD_E_INVALID, "summary_url",
                            "the summary endpoint did not answer with a JSON object {\"title\", "
                            "\"summary\"}");
        }
    }
    if (st == SD_OK) {
        const char *title = json_string_value(json_object_get(inner, "title"));
        const char *summary = json_string_value(json_object_get(inner, "summary"));
        if (!clean_text(title, 1, TITLE_MAX, true) || !clean_text(summary, 1, SUMMARY_MAX, false)) {
            st = sd_err_set(err, SD_E_INVALID, "summary_url",
                            "the summary endpoint's title or summary is empty, too long or not "
                            "plain text");
        } else {
            out->title = sd_arena_strdup(a, title);
            out->summary = two_sentences(a, summary);
        }
    }
    json_decref(inner);
    json_decref(j);
    return st;
}

sd_status sd_llm_summarize(const struct sd_llm_opts *o, sd_arena *a, const char *text,
                           struct sd_summary *out, struct sd_err *err)
{
    (void)pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "libcurl could not start: %s",
                          curl_easy_strerror(curl_init_rc));
    }
    /* The text cut at a character boundary within SEND_MAX bytes. */
    size_t n = text ? strlen(text) : 0;
    if (n > SEND_MAX) {
        n = SEND_MAX;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    json_t *req = json_pack("{s:s, s:f, s:[{s:s, s:s}, {s:s, s:s%}]}", "model",
                            o->model && o->model[0] ? o->model : "default", "temperature", 0.0,
                            "messages", "role", "system", "content", system_prompt, "role", "user",
                            "content", text ? text : "", n);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (body == NULL) {
        return sd_err_set(err, SD_E_INVALID, NULL, "the ticket's text cannot be sent as JSON");
    }
    struct sd_buf answer = SD_BUF_INIT(ANSWER_MAX);
    char curl_msg[CURL_ERROR_SIZE] = "";
    char auth[1024];
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (headers != NULL && o->key != NULL && o->key[0] != '\0') {
        (void)snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->key);
        struct curl_slist *more = curl_slist_append(headers, auth);
        if (more == NULL) {
            curl_slist_free_all(headers);
        }
        headers = more;
    }
    CURL *h = curl_easy_init();
    long timeout = o->timeout_s > 0 ? o->timeout_s : 30;
    bool ok = h != NULL && headers != NULL &&
              curl_easy_setopt(h, CURLOPT_URL, o->url) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_USERAGENT, "showdesk") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_answer) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg) == CURLE_OK;
    sd_status st = SD_OK;
    if (!ok) {
        st = sd_err_set(err, SD_E_INTERNAL, NULL,
                        "cannot set up the request to the summary endpoint");
    } else {
        CURLcode rc = curl_easy_perform(h);
        long code = 0;
        (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (rc != CURLE_OK) {
            st = sd_err_set(err, SD_E_IO, "summary_url", "the summary endpoint %s: %s", o->url,
                            curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
        } else if (code != 200) {
            st = sd_err_set(err, SD_E_IO, "summary_url",
                            "the summary endpoint %s answered HTTP %ld; check summary_url, "
                            "summary_model and summary_key",
                            o->url, code);
        } else {
            st = parse_answer(a, sd_buf_cstr(&answer), out, err);
        }
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    sd_buf_release(&answer);
    free(body);
    return st;
}
