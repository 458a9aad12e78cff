/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: speech recognition of 16 kHz mono 16-bit PCM (the WAV that
 * src/media writes) into timed words grouped in segments.
 *
 * One interface, engines behind it, chosen by sd_speech_opts.engine:
 *  - "pocketsphinx" (the embedded default, Debian's libpocketsphinx and its
 *    US English model): the audio is cut at silences by an energy-based voice
 *    activity detector into utterances of a few seconds to ~30 s (whole
 *    utterances decode far better than streaming chunks), and utterances are
 *    decoded on opts.threads threads with one decoder each, so memory stays
 *    flat in the length of the recording. Silence removal inside the decoder
 *    is off so word times stay true; each utterance's times are offset by
 *    where it starts.
 *  - "openai": an OpenAI-compatible POST /v1/audio/transcriptions
 *    (response_format=verbose_json, timestamp_granularities[]=word), as
 *    whisper.cpp's server, faster-whisper servers and hosted services
 *    answer it; URL, model and key from the options.
 *
 * A transcript owns all its memory (one arena). Rendering: JSON (for the API
 * and storage), WebVTT captions (cues of at most ~7 s / 12 words, split at
 * segment ends) and plain text (one line per segment).
 *
 * Errors: SD_E_MEDIA when the file is not 16 kHz mono 16-bit PCM WAV;
 * SD_E_UNSUPPORTED for an unknown engine; SD_E_IO when the model files are
 * missing (the message names the package to install); SD_E_AGAIN for an
 * endpoint that timed out or answered 5xx (the job queue retries);
 * SD_E_INVALID for an endpoint that answered something that is not the
 * documented format. Audio with no speech (silence, music, noise, a clip
 * under 0.3 s) is not an error: an empty transcript with `reason` set.
 *
 * Threads: a call uses its own decoders; calls from several threads at once
 * are fine.
 */
#ifndef SD_SPEECH_SPEECH_H
#define SD_SPEECH_SPEECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"

struct sd_speech_word {
    const char *text; /* lowercase, as the engine spelled it, without alternates "(2)" */
    int64_t start_ms;
    int64_t end_ms;
    float confidence; /* 0..1 */
};

struct sd_speech_segment {
    int64_t start_ms;
    int64_t end_ms;
    size_t first_word; /* index in words */
    size_t n_words;
};

struct sd_transcript {
    sd_arena *arena; /* owns everything below */
    char engine[32]; /* "pocketsphinx", "openai" */
    char model[96];  /* "en-us" (+ "+workspace vocabulary"), the endpoint's model */
    char language[16];
    int64_t duration_ms; /* of the audio */
    struct sd_speech_word *words;
    size_t n_words;
    struct sd_speech_segment *segments;
    size_t n_segments;
    const char *reason; /* NULL, or why there are no words: "no speech was heard" */
};

/* A per-workspace vocabulary: words and phrases to favour. */
struct sd_speech_vocab {
    const char *const *phrases; /* "SAML", "Salesforce sync", feature names */
    size_t n_phrases;
    const char *corpus; /* free text (help articles, ticket subjects); nullable */
};

struct sd_speech_opts {
    const char *engine; /* "pocketsphinx" (NULL means it) or "openai" */
    int threads;        /* decoders at most at once (fewer for short audio); 0 = the cores */
    /* pocketsphinx: model files; NULL = Debian's pocketsphinx-en-us. */
    const char *hmm_dir;
    const char *lm_path;
    const char *dict_path;
    const struct sd_speech_vocab *vocab; /* nullable */
    /* openai */
    const char *url;   /* "http://127.0.0.1:8178/v1/audio/transcriptions" */
    const char *model; /* "whisper-1" */
    const char *api_key;
    int timeout_s; /* of one request: 300 */
};

/* Called with 0..100 as recognition goes; anything but SD_OK stops it with that status. */
typedef sd_status (*sd_speech_progress_fn)(void *user, int percent);

/**
 * Recognises the speech in the WAV file at @wav_path. On SD_OK *@out is a
 * transcript (maybe empty with a reason) to free with sd_transcript_free;
 * caller owns it. @opts is nullable (all defaults). @progress is nullable and
 * is called on the calling thread. Errors as in the DESIGN comment; a stop
 * asked by @progress returns its status and no transcript.
 */
SD_MUST_CHECK sd_status sd_speech_recognize(const char *wav_path, const struct sd_speech_opts *opts,
                                            sd_speech_progress_fn progress, void *user,
                                            struct sd_transcript **out, struct sd_err *err);

void sd_transcript_free(struct sd_transcript *t);

/**
 * The transcript as JSON, appended to @out: {engine, model, language,
 * duration_ms, reason, segments:[{start_ms, end_ms, text, words:[{w, s, e,
 * c}]}]} (w: the word, s/e: start/end in ms, c: confidence, 3 decimals).
 */
SD_MUST_CHECK sd_status sd_transcript_json(const struct sd_transcript *t, struct sd_buf *out);

/** Reads what sd_transcript_json wrote; SD_E_INVALID on anything else. */
SD_MUST_CHECK sd_status sd_transcript_parse(const char *json, size_t len,
                                            struct sd_transcript **out, struct sd_err *err);

/**
 * WebVTT captions, appended to @out: "WEBVTT" and cues of at most 7 s or 12
 * words that never cross a segment end, times HH:MM:SS.mmm, with &, < and >
 * escaped.
 */
SD_MUST_CHECK sd_status sd_transcript_vtt(const struct sd_transcript *t, struct sd_buf *out);

/** Plain text, one line per segment, nothing else. */
SD_MUST_CHECK sd_status sd_transcript_text(const struct sd_transcript *t, struct sd_buf *out);

/** The text of segment @i (words joined by spaces), allocated in @a; NULL past the last one. */
const char *sd_transcript_segment_text(const struct sd_transcript *t, sd_arena *a, size_t i);

#endif
