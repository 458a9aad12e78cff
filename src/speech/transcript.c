/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: transcripts: building one from an engine's words, and the three
 * renderings of speech.h (JSON with jansson, WebVTT, plain text) plus the
 * JSON reader.
 *
 * A transcript and everything it points to live in its own arena; the
 * struct itself is the arena's first allocation, so sd_transcript_free is
 * one sd_arena_free. Segment times are those of their first and last word.
 * WebVTT cues never cross a segment end and hold at most 12 words or 7 s;
 * cue text escapes &, < and > as the format requires. The reader takes
 * exactly what the writer writes (segment "text" is checked to be a string
 * and rebuilt from the words) and refuses anything else with SD_E_INVALID.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "speech/internal.h"
#include "base/str.h"
#include "base/banned.h"

#define CUE_MAX_WORDS 12
#define CUE_MAX_MS    7000

struct sd_transcript *sd__transcript_new(const char *engine, const char *model,
                                         const char *language, int64_t duration_ms)
{
    sd_arena *a = sd_arena_new();
    struct sd_transcript *t = sd_arena_alloc(a, sizeof(*t));
    t->arena = a;
    (void)snprintf(t->engine, sizeof(t->engine), "%s", engine);
    (void)snprintf(t->model, sizeof(t->model), "%s", model);
    (void)snprintf(t->language, sizeof(t->language), "%s", language);
    t->duration_ms = duration_ms;
    return t;
}

void sd__transcript_set_words(struct sd_transcript *t, const struct sd__speech_word *w, size_t n,
                              int64_t split_gap_ms)
{
    SD_ASSERT(t->n_words == 0);
    if (n == 0) {
        return;
    }
    t->words = sd_arena_alloc(t->arena, n * sizeof(*t->words));
    t->segments = sd_arena_alloc(t->arena, n * sizeof(*t->segments));
    struct sd_speech_segment *seg = NULL;
    for (size_t i = 0; i < n; i++) {
        t->words[i] = (struct sd_speech_word){
            .text = sd_arena_strdup(t->arena, w[i].text),
            .start_ms = w[i].start_ms,
            .end_ms = w[i].end_ms,
            .confidence = w[i].confidence,
        };
        bool split = split_gap_ms > 0 && i > 0 && w[i].start_ms - w[i - 1].end_ms >= split_gap_ms;
        if (seg == NULL || w[i].starts_segment || split) {
            seg = &t->segments[t->n_segments++];
            seg->first_word = i;
            seg->start_ms = w[i].start_ms;
        }
        seg->n_words++;
        seg->end_ms = w[i].end_ms;
    }
    t->n_words = n;
}

void sd_transcript_free(struct sd_transcript *t)
{
    if (t != NULL) {
        sd_arena_free(t->arena);
    }
}

const char *sd_transcript_segment_text(const struct sd_transcript *t, sd_arena *a, size_t i)
{
    if (i >= t->n_segments) {
        return NULL;
    }
    const struct sd_speech_segment *s = &t->segments[i];
    size_t len = 1;
    for (size_t k = 0; k < s->n_words; k++) {
        len += strlen(t->words[s->first_word + k].text) + 1;
    }
    char *out = sd_arena_alloc(a, len), *p = out;
    for (size_t k = 0; k < s->n_words; k++) {
        const char *w = t->words[s->first_word + k].text;
        size_t n = strlen(w);
        if (k > 0) {
            *p++ = ' ';
        }
        memcpy(p, w, n);
        p += n;
    }
    *p = '\0';
    return out;
}

/* ---- JSON ---- */

static json_t *word_json(const struct sd_speech_word *w)
{
    /* Three decimals are all a confidence means. */
    double c = round((double)w->confidence * 1000.0) / 1000.0;
    return json_pack("{s:s, s:I, s:I, s:f}", "w", w->text, "s", (json_int_t)w->start_ms, "e",
                     (json_int_t)w->end_ms, "c", c);
}

static json_t *transcript_json(const struct sd_transcript *t, sd_arena *a)
{
    json_t *segs = json_array();
    for (size_t i = 0; segs != NULL && i < t->n_segments; i++) {
        const struct sd_speech_segment *s = &t->segments[i];
        json_t *words = json_array();
        for (size_t k = 0; words != NULL && k < s->n_words; k++) {
            if (json_array_append_new(words, word_json(&t->words[s->first_word + k])) != 0) {
                json_decref(words);
                words = NULL;
            }
        }
        json_t *seg = json_pack("{s:I, s:I, s:s, s:o*}", "start_ms", (json_int_t)s->start_ms,
                                "end_ms", (json_int_t)s->end_ms, "text",
                                sd_transcript_segment_text(t, a, i), "words", words);
        if (seg == NULL || words == NULL || json_array_append_new(segs, seg) != 0) {
            json_decref(segs);
            segs = NULL;
        }
    }
    if (segs == NULL) {
        return NULL;
    }
    return json_pack("{s:s, s:s, s:s, s:I, s:s?, s:o}", "engine", t->engine, "model", t->model,
                     "language", t->language, "duration_ms", (json_int_t)t->duration_ms, "reason",
                     t->reason, "segments", segs);
}

struct dump_ctx {
    struct sd_buf *out;
    sd_status st;
};

static int dump_cb(const char *buf, size_t n, void *data)
{
    struct dump_ctx *c = data;
    c->st = sd_buf_append(c->out, buf, n);
    return c->st == SD_OK ? 0 : -1;
}

sd_status sd_transcript_json(const struct sd_transcript *t, struct sd_buf *out)
{
    sd_arena *a = sd_arena_new();
    json_t *j = transcript_json(t, a);
    struct dump_ctx c = {out, SD_OK};
    int rc =
        j != NULL ? json_dump_callback(j, dump_cb, &c, JSON_COMPACT | JSON_REAL_PRECISION(3)) : -1;
    if (rc != 0 && c.st == SD_OK) {
        c.st = SD_E_INTERNAL; /* out of memory in jansson */
    }
    json_decref(j);
    sd_arena_free(a);
    return c.st;
}

/* ---- reading JSON ---- */

static sd_status bad(struct sd_err *err, const char *what)
{
    return sd_err_set(err, SD_E_INVALID, "transcript", "not a transcript: %s", what);
}

static bool get_ms(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return false;
    }
    *out = (int64_t)json_integer_value(v);
    return true;
}

static bool get_str(const json_t *o, const char *key, char *dst, size_t size)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) && json_string_length(v) < size &&
           strlen(json_string_value(v)) == json_string_length(v) &&
           sd_str_copy(dst, size, json_string_value(v));
}

static sd_status read_word(const json_t *jw, struct sd_transcript *t, struct sd_speech_word *w,
                           struct sd_err *err)
{
    const json_t *text = json_object_get(jw, "w");
    const json_t *c = json_object_get(jw, "c");
    if (!json_is_object(jw) || !json_is_string(text) || json_string_length(text) == 0 ||
        strlen(json_string_value(text)) != json_string_length(text)) {
        return bad(err, "a word needs a non-empty \"w\"");
    }
    if (!get_ms(jw, "s", &w->start_ms) || !get_ms(jw, "e", &w->end_ms) || w->end_ms < w->start_ms) {
        return bad(err, "a word needs times \"s\" <= \"e\" in ms");
    }
    if (!json_is_number(c) || !(json_number_value(c) >= 0.0 && json_number_value(c) <= 1.0)) {
        return bad(err, "a word needs a confidence \"c\" in 0..1");
    }
    w->confidence = (float)json_number_value(c);
    w->text = sd_arena_strdup(t->arena, json_string_value(text));
    return SD_OK;
}

static sd_status read_segments(const json_t *segs, struct sd_transcript *t, struct sd_err *err)
{
    size_t n_words = 0, i = 0;
    const json_t *s = NULL;
    json_array_foreach(segs, i, s)
    {
        const json_t *words = json_object_get(s, "words");
        if (!json_is_object(s) || !json_is_array(words) || json_array_size(words) == 0) {
            return bad(err, "a segment needs a non-empty \"words\" array");
        }
        if (n_words > SIZE_MAX / 2 - json_array_size(words)) {
            return bad(err, "too many words");
        }
        n_words += json_array_size(words);
    }
    t->n_segments = json_array_size(segs);
    t->segments = sd_arena_alloc(t->arena, t->n_segments * sizeof(*t->segments));
    t->words = sd_arena_alloc(t->arena, n_words * sizeof(*t->words));
    json_array_foreach(segs, i, s)
    {
        struct sd_speech_segment *seg = &t->segments[i];
        if (!get_ms(s, "start_ms", &seg->start_ms) || !get_ms(s, "end_ms", &seg->end_ms) ||
            seg->end_ms < seg->start_ms || !json_is_string(json_object_get(s, "text"))) {
            return bad(err, "a segment needs \"start_ms\" <= \"end_ms\" and a \"text\"");
        }
        const json_t *words = json_object_get(s, "words");
        seg->first_word = t->n_words;
        seg->n_words = json_array_size(words);
        size_t k = 0;
        const json_t *jw = NULL;
        json_array_foreach(words, k, jw)
        {
            sd_status st = read_word(jw, t, &t->words[t->n_words], err);
            if (st != SD_OK) {
                return st;
            }
            t->n_words++;
        }
    }
    return SD_OK;
}

sd_status sd_transcript_parse(const char *json, size_t len, struct sd_transcript **out,
                              struct sd_err *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        return sd_err_set(err, SD_E_INVALID, "transcript", "not a transcript: %s (line %d)",
                          jerr.text, jerr.line);
    }
    struct sd_transcript *t = sd__transcript_new("", "", "", 0);
    const json_t *reason = json_object_get(j, "reason");
    const json_t *segs = json_object_get(j, "segments");
    sd_status st = SD_OK;
    if (!json_is_object(j)) {
        st = bad(err, "not a JSON object");
    } else if (!get_str(j, "engine", t->engine, sizeof(t->engine)) ||
               !get_str(j, "model", t->model, sizeof(t->model)) ||
               !get_str(j, "language", t->language, sizeof(t->language))) {
        st = bad(err, "\"engine\", \"model\" and \"language\" must be short strings");
    } else if (!get_ms(j, "duration_ms", &t->duration_ms)) {
        st = bad(err, "\"duration_ms\" must be a whole number >= 0");
    } else if (reason != NULL && !json_is_null(reason) && !json_is_string(reason)) {
        st = bad(err, "\"reason\" must be a string or null");
    } else if (!json_is_array(segs)) {
        st = bad(err, "\"segments\" must be an array");
    } else {
        t->reason =
            json_is_string(reason) ? sd_arena_strdup(t->arena, json_string_value(reason)) : NULL;
        st = read_segments(segs, t, err);
    }
    json_decref(j);
    if (st != SD_OK) {
        sd_transcript_free(t);
        return st;
    }
    *out = t;
    return SD_OK;
}

/* ---- WebVTT and text ---- */

static sd_status vtt_time(struct sd_buf *out, int64_t ms)
{
    if (ms < 0) {
        ms = 0;
    }
    return sd_buf_printf(out, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%03" PRId64, ms / 3600000,
                         ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

static sd_status vtt_text(struct sd_buf *out, const char *s)
{
    sd_status st = SD_OK;
    for (; st == SD_OK && *s != '\0'; s++) {
        switch (*s) {
        case '&':
            st = sd_buf_puts(out, "&amp;");
            break;
        case '<':
            st = sd_buf_puts(out, "&lt;");
            break;
        case '>':
            st = sd_buf_puts(out, "&gt;");
            break;
        case '\n':
        case '\r':
            st = sd_buf_append(out, " ", 1);
            break;
        default:
            st = sd_buf_append(out, s, 1);
        }
    }
    return st;
}

/* One cue: words [first, first + n). */
static sd_status vtt_cue(const struct sd_transcript *t, size_t first, size_t n, struct sd_buf *out)
{
    const struct sd_speech_word *w = &t->words[first];
    sd_status st = sd_buf_puts(out, "\n");
    if (st == SD_OK) {
        st = vtt_time(out, w[0].start_ms);
    }
    if (st == SD_OK) {
        st = sd_buf_puts(out, " --> ");
    }
    if (st == SD_OK) {
        st = vtt_time(out, w[n - 1].end_ms);
    }
    for (size_t k = 0; st == SD_OK && k < n; k++) {
        st = sd_buf_puts(out, k == 0 ? "\n" : " ");
        if (st == SD_OK) {
            st = vtt_text(out, w[k].text);
        }
    }
    return st == SD_OK ? sd_buf_puts(out, "\n") : st;
}

sd_status sd_transcript_vtt(const struct sd_transcript *t, struct sd_buf *out)
{
    sd_status st = sd_buf_puts(out, "WEBVTT\n");
    for (size_t i = 0; st == SD_OK && i < t->n_segments; i++) {
        const struct sd_speech_segment *s = &t->segments[i];
        size_t end = s->first_word + s->n_words;
        for (size_t first = s->first_word; st == SD_OK && first < end;) {
            size_t n = 1;
            while (first + n < end && n < CUE_MAX_WORDS &&
                   t->words[first + n].end_ms - t->words[first].start_ms <= CUE_MAX_MS) {
                n++;
            }
            st = vtt_cue(t, first, n, out);
            first += n;
        }
    }
    return st;
}

sd_status sd_transcript_text(const struct sd_transcript *t, struct sd_buf *out)
{
    sd_status st = SD_OK;
    for (size_t i = 0; st == SD_OK && i < t->n_segments; i++) {
        const struct sd_speech_segment *s = &t->segments[i];
        for (size_t k = 0; st == SD_OK && k < s->n_words; k++) {
            if (k > 0) {
                st = sd_buf_puts(out, " ");
            }
            if (st == SD_OK) {
                st = sd_buf_puts(out, t->words[s->first_word + k].text);
            }
        }
        if (st == SD_OK) {
            st = sd_buf_puts(out, "\n");
        }
    }
    return st;
}
