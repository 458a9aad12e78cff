/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the entry point of speech.h: picks the engine by name from a static
 * table, checks the WAV file once for every engine (internal.h maps it), and
 * answers audio too short to hold a word with an empty transcript without
 * asking an engine. Engines live one per file and take the mapped audio.
 */
#include <string.h>

#include "speech/internal.h"
#include "base/banned.h"

#define MIN_SPEECH_MS 300

struct engine {
    const char *name;
    sd__speech_engine_fn run; /* NULL: known but not built in */
    const char *model;        /* what t->model says; NULL: opts->model */
};

static const struct engine engines[] = {
    {"pocketsphinx", sd__speech_pocketsphinx, "en-us"},
    {"openai", sd__speech_openai, NULL},
};

static const struct engine *find_engine(const char *name)
{
    for (size_t i = 0; i < SD_ARRAY_LEN(engines); i++) {
        if (strcmp(engines[i].name, name) == 0) {
            return &engines[i];
        }
    }
    return NULL;
}

sd_status sd_speech_recognize(const char *wav_path, const struct sd_speech_opts *opts,
                              sd_speech_progress_fn progress, void *user,
                              struct sd_transcript **out, struct sd_err *err)
{
    static const struct sd_speech_opts defaults = {.engine = NULL};
    *out = NULL;
    if (opts == NULL) {
        opts = &defaults;
    }
    const char *name = opts->engine != NULL ? opts->engine : "pocketsphinx";
    const struct engine *e = find_engine(name);
    if (e == NULL) {
        return sd_err_set(err, SD_E_UNSUPPORTED, "engine",
                          "unknown speech engine '%s' (use pocketsphinx or openai)", name);
    }
    if (e->run == NULL) {
        return sd_err_set(err, SD_E_UNSUPPORTED, "engine",
                          "the speech engine '%s' is not available in this version of showdesk "
                          "yet (use pocketsphinx)",
                          name);
    }
    if (opts->threads < 0) {
        return sd_err_set(err, SD_E_INVALID, "threads", "threads must be 0 or more, got %d",
                          opts->threads);
    }
    struct sd__speech_audio audio;
    sd_status st = sd__speech_wav_open(wav_path, &audio, err);
    if (st != SD_OK) {
        return st;
    }
    int64_t duration_ms = (int64_t)audio.n_samples * 1000 / SD__SPEECH_RATE;
    if (duration_ms < MIN_SPEECH_MS) {
        const char *model = e->model != NULL ? e->model : (opts->model ? opts->model : "");
        struct sd_transcript *t = sd__transcript_new(e->name, model, "en", duration_ms);
        t->reason = sd_arena_printf(t->arena, "the audio is too short to hold speech (%lld ms)",
                                    (long long)duration_ms);
        st = progress != NULL ? progress(user, 100) : SD_OK;
        if (st != SD_OK) {
            sd_transcript_free(t);
            (void)sd_err_set(err, st, NULL, "speech recognition was stopped");
        } else {
            *out = t;
        }
    } else {
        st = e->run(&audio, opts, progress, user, out, err);
    }
    sd__speech_wav_close(&audio);
    return st;
}
