/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: what the files of src/speech/ share; internal to src/speech/.
 *
 *  - wav.c: maps a 16 kHz mono 16-bit PCM WAV file read-only and checks its
 *    header, so engines read samples without copying the recording.
 *  - vad.c: energy-based voice activity detection that cuts audio into
 *    utterances at silences.
 *  - transcript.c: building a transcript from an engine's words.
 *  - one file per engine (pocketsphinx.c, openai.c), each a function
 *    of type sd__speech_engine_fn that speech.c finds by name.
 *
 * Threads: everything here works on the caller's data only; MT safe.
 */
#ifndef SD_SPEECH_INTERNAL_H
#define SD_SPEECH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "speech/speech.h"

#define SD__SPEECH_RATE 16000 /* samples per second of every engine's input */

/* A mapped WAV file: 16 kHz, mono, signed 16-bit little-endian samples. */
struct sd__speech_audio {
    const char *path;   /* borrowed from the caller */
    const int16_t *pcm; /* n_samples samples inside the mapping */
    size_t n_samples;   /* may be 0 */
    void *map;          /* the whole file, unmapped by sd__speech_wav_close */
    size_t map_len;
};

/**
 * Maps the WAV file at @path and checks it is PCM, 16000 Hz, mono, 16-bit:
 * SD_E_MEDIA naming what is wrong otherwise, SD_E_IO when it cannot be read.
 * On SD_OK release @out with sd__speech_wav_close.
 */
SD_MUST_CHECK sd_status sd__speech_wav_open(const char *path, struct sd__speech_audio *out,
                                            struct sd_err *err);
/** Unmaps @a (a zeroed or closed one is fine). */
void sd__speech_wav_close(struct sd__speech_audio *a);

/* Voice activity detection, in 10 ms frames. */
struct sd__vad_opts {
    double threshold_db; /* a frame is loud above the local noise floor + this: 9 */
    double min_db;       /* and above this level (dB over 1 LSB rms; 0 is digital silence): 30 */
    int window_ms;     /* the noise floor is a low percentile of this much around a frame: 20000 */
    int hangover_ms;   /* loud frames closer than this are one stretch of speech: 250 */
    int min_speech_ms; /* shorter loud stretches (clicks) are dropped: 100 */
    int min_utt_ms;    /* an utterance is cut at a pause of cut_gap_ms once this long: 10000 */
    int cut_gap_ms;    /* 500 */
    int long_gap_ms;   /* a pause this long always ends an utterance: 1500 */
    int max_utt_ms;    /* longer speech is cut at its quietest 10 ms near this length: 30000 */
    int pad_ms;        /* kept around each utterance where there is room: 300 */
};

#define SD__VAD_OPTS_DEFAULT                                                                       \
    {                                                                                              \
        .threshold_db = 9.0, .min_db = 30.0, .window_ms = 20000, .hangover_ms = 250,               \
        .min_speech_ms = 100, .min_utt_ms = 10000, .cut_gap_ms = 500, .long_gap_ms = 1500,         \
        .max_utt_ms = 30000, .pad_ms = 300                                                         \
    }

/* An utterance: samples [start, end) of the input. */
struct sd__vad_range {
    size_t start;
    size_t end;
};

/**
 * Cuts @n samples of 16 kHz PCM at @pcm into utterances, in order and not
 * overlapping; none when nothing is louder than the noise around it. Caller
 * owns *@out (free() it; NULL when there are none). Returns the count.
 */
size_t sd__speech_vad(const int16_t *pcm, size_t n, const struct sd__vad_opts *opts,
                      struct sd__vad_range **out);

/* A word as an engine found it, before it goes into a transcript. */
struct sd__speech_word {
    const char *text; /* borrowed; copied by sd__transcript_set_words */
    int64_t start_ms;
    int64_t end_ms;
    float confidence;
    bool starts_segment; /* the first word of an utterance or of an engine's segment */
};

/** An empty transcript (no words, no reason yet); caller owns it. */
struct sd_transcript *sd__transcript_new(const char *engine, const char *model,
                                         const char *language, int64_t duration_ms);

/**
 * Puts @n words into @t (which has none yet), copying their text, and makes
 * the segments: one starts at each word with starts_segment, and where the
 * pause before a word is at least @split_gap_ms (0: never).
 */
void sd__transcript_set_words(struct sd_transcript *t, const struct sd__speech_word *w, size_t n,
                              int64_t split_gap_ms);

/**
 * An engine: recognises @audio into *@out (caller owns it), calling
 * @progress (nullable) on the caller's thread.
 */
typedef sd_status (*sd__speech_engine_fn)(const struct sd__speech_audio *audio,
                                          const struct sd_speech_opts *opts,
                                          sd_speech_progress_fn progress, void *user,
                                          struct sd_transcript **out, struct sd_err *err);

/* pocketsphinx.c: the embedded engine. */
SD_MUST_CHECK sd_status sd__speech_pocketsphinx(const struct sd__speech_audio *audio,
                                                const struct sd_speech_opts *opts,
                                                sd_speech_progress_fn progress, void *user,
                                                struct sd_transcript **out, struct sd_err *err);

/* openai.c: an OpenAI-compatible transcription endpoint. */
SD_MUST_CHECK sd_status sd__speech_openai(const struct sd__speech_audio *audio,
                                          const struct sd_speech_opts *opts,
                                          sd_speech_progress_fn progress, void *user,
                                          struct sd_transcript **out, struct sd_err *err);

/* ps_vocab.c: a workspace vocabulary for the pocketsphinx engine. */
struct sd__ps_vocab {
    char arpa_path[256]; /* the phrases' trigram model, a private temporary file */
    char dict_path[256]; /* the dictionary with the vocabulary's new words, likewise */
    size_t n_added;      /* pronunciations added to it */
    char **words;        /* every word of the vocabulary, lowercase */
    bool *upper;         /* written in capitals somewhere (an acronym) */
    size_t n_words;
};

/**
 * Builds what every decoder of one transcription needs from @vocab
 * (nullable); *@out is NULL when there is nothing to add. Free with
 * sd__ps_vocab_free.
 */
SD_MUST_CHECK sd_status sd__ps_vocab_prepare(const struct sd_speech_vocab *vocab,
                                             const char *dict_path, struct sd__ps_vocab **out,
                                             struct sd_err *err);
void sd__ps_vocab_free(struct sd__ps_vocab *v);

struct ps_decoder_s;
/**
 * Makes the search of decoder @ps (made with v->dict_path as its dictionary
 * and no language model) the general model at @lm_path interpolated with
 * the vocabulary's. The models go into @lms_out: the set that combines them
 * does not own them in this version of the library.
 */
SD_MUST_CHECK sd_status sd__ps_vocab_apply(struct ps_decoder_s *ps, const struct sd__ps_vocab *v,
                                           const char *lm_path, void *lms_out[2],
                                           struct sd_err *err);
/** Frees the models sd__ps_vocab_apply made, after the decoder that used them. */
void sd__ps_vocab_release(void *lms[2]);

#endif
