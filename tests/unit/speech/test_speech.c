/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests of src/speech: WAV files refused with a reason (wrong rate,
 * channels, bits, format, no data, not a WAV); the voice activity detector
 * on synthetic tone bursts in silence and noise (ranges, padding, joins
 * across short gaps, cuts at long pauses, a hard cut only past the maximum,
 * clicks dropped, a fan not taken for speech); transcripts rendered as
 * exact JSON, WebVTT and text and read back; and recognition of real
 * recordings from shared/data/speech (keywords of the reference, word times
 * checked against the energy of the original clips, the same words on one
 * or two threads, silence and 0.2 s clips answered with a reason, progress,
 * missing models, engines that are not there).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "speech/internal.h"
#include "speech/speech.h"

#define RATE 16000

static char dir[] = "/tmp/sd-speech-test.XXXXXX";
static char data_dir[1024];

static const char *path(const char *name)
{
    static char buf[8][1200];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

/* A file of the recordings with reference texts; the test fails when they are not there. */
static const char *data(const char *name)
{
    struct stat sb;
    char refs[1200];
    snprintf(refs, sizeof refs, "%s/references.tsv", data_dir);
    if (stat(refs, &sb) != 0) {
        fail_msg("the speech recordings are expected in %s (shared/data/speech beside the "
                 "repository, with references.tsv; the tests find it through "
                 "SHOWDESK_SOURCE_ROOT=%s)",
                 data_dir, getenv("SHOWDESK_SOURCE_ROOT") ? getenv("SHOWDESK_SOURCE_ROOT") : "");
    }
    static char buf[4][1200];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", data_dir, name);
    return p;
}

/* ---- WAV files ---- */

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

struct wav_fmt {
    unsigned format, channels, rate, bits;
    bool with_list; /* a LIST chunk between fmt and data */
    bool no_data;
};

static void write_wav_fmt(const char *p, const struct wav_fmt *f, const int16_t *pcm, size_t n)
{
    unsigned char h[80];
    size_t len = 0;
    uint32_t data_bytes = (uint32_t)(n * 2);
    memcpy(h, "RIFF", 4);
    memcpy(h + 8, "WAVE", 4);
    memcpy(h + 12, "fmt ", 4);
    put32(h + 16, 16);
    put16(h + 20, f->format);
    put16(h + 22, f->channels);
    put32(h + 24, f->rate);
    put32(h + 28, f->rate * f->channels * f->bits / 8);
    put16(h + 32, f->channels * f->bits / 8);
    put16(h + 34, f->bits);
    len = 36;
    if (f->with_list) {
        memcpy(h + len, "LIST", 4);
        put32(h + len + 4, 5); /* odd: a pad byte follows */
        memcpy(h + len + 8, "INFOx\0", 6);
        len += 14;
    }
    if (!f->no_data) {
        memcpy(h + len, "data", 4);
        put32(h + len + 4, data_bytes);
        len += 8;
    }
    put32(h + 4, (uint32_t)(len - 8 + (f->no_data ? 0 : data_bytes)));
    FILE *fp = fopen(p, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(h, 1, len, fp), len);
    if (!f->no_data && n > 0) {
        assert_int_equal(fwrite(pcm, 2, n, fp), n);
    }
    assert_int_equal(fclose(fp), 0);
}

static void write_wav(const char *p, const int16_t *pcm, size_t n)
{
    struct wav_fmt f = {.format = 1, .channels = 1, .rate = RATE, .bits = 16};
    write_wav_fmt(p, &f, pcm, n);
}

/* Reads a 16 kHz mono WAV of the data folder (checked by the code under test). */
static int16_t *read_wav(const char *p, size_t *n)
{
    struct sd__speech_audio a;
    struct sd_err err = SD_ERR_INIT;
    if (sd__speech_wav_open(p, &a, &err) != SD_OK) {
        fail_msg("%s", err.msg);
    }
    int16_t *pcm = malloc(a.n_samples * 2 + 2);
    assert_non_null(pcm);
    memcpy(pcm, a.pcm, a.n_samples * 2);
    *n = a.n_samples;
    sd__speech_wav_close(&a);
    return pcm;
}

static void expect_wav_error(const char *name, sd_status code, const char *words)
{
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    sd_status st = sd_speech_recognize(path(name), NULL, NULL, NULL, &t, &err);
    assert_int_equal(st, code);
    assert_int_equal(err.code, code);
    assert_null(t);
    if (strstr(err.msg, words) == NULL) {
        fail_msg("%s: '%s' does not say '%s'", name, err.msg, words);
    }
}

static void test_wav_refused(void **state)
{
    (void)state;
    int16_t pcm[1600] = {0};
    struct wav_fmt f = {.format = 1, .channels = 2, .rate = RATE, .bits = 16};
    write_wav_fmt(path("stereo.wav"), &f, pcm, 1600);
    expect_wav_error("stereo.wav", SD_E_MEDIA, "2 channel(s)");
    f = (struct wav_fmt){.format = 1, .channels = 1, .rate = 44100, .bits = 16};
    write_wav_fmt(path("44k.wav"), &f, pcm, 1600);
    expect_wav_error("44k.wav", SD_E_MEDIA, "44100 Hz");
    f = (struct wav_fmt){.format = 1, .channels = 1, .rate = RATE, .bits = 8};
    write_wav_fmt(path("8bit.wav"), &f, pcm, 1600);
    expect_wav_error("8bit.wav", SD_E_MEDIA, "8-bit");
    f = (struct wav_fmt){.format = 3, .channels = 1, .rate = RATE, .bits = 32};
    write_wav_fmt(path("float.wav"), &f, pcm, 1600);
    expect_wav_error("float.wav", SD_E_MEDIA, "not PCM");
    f = (struct wav_fmt){.format = 1, .channels = 1, .rate = RATE, .bits = 16, .no_data = true};
    write_wav_fmt(path("nodata.wav"), &f, pcm, 0);
    expect_wav_error("nodata.wav", SD_E_MEDIA, "no data chunk");
    FILE *fp = fopen(path("text.wav"), "wb");
    assert_non_null(fp);
    assert_true(fputs("this is not a recording at all\n", fp) >= 0);
    assert_int_equal(fclose(fp), 0);
    expect_wav_error("text.wav", SD_E_MEDIA, "not a WAV file");
    fp = fopen(path("empty.wav"), "wb");
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
    expect_wav_error("empty.wav", SD_E_MEDIA, "empty");
    expect_wav_error("missing.wav", SD_E_IO, "cannot open");
    /* Every message says what the file should be. */
    expect_wav_error("44k.wav", SD_E_MEDIA, "16000 Hz mono 16-bit PCM");
}

static void test_wav_accepted(void **state)
{
    (void)state;
    int16_t pcm[800];
    for (int i = 0; i < 800; i++) {
        pcm[i] = (int16_t)(i - 400);
    }
    struct wav_fmt f = {.format = 1, .channels = 1, .rate = RATE, .bits = 16, .with_list = true};
    write_wav_fmt(path("list.wav"), &f, pcm, 800);
    struct sd__speech_audio a;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd__speech_wav_open(path("list.wav"), &a, &err), SD_OK);
    assert_int_equal(a.n_samples, 800);
    assert_int_equal(a.pcm[0], -400);
    assert_int_equal(a.pcm[799], 399);
    sd__speech_wav_close(&a);
    /* A data size past the end (a WAV written to a pipe) is cut to the file. */
    write_wav(path("short.wav"), pcm, 800);
    FILE *fp = fopen(path("short.wav"), "r+b");
    assert_non_null(fp);
    unsigned char big[4];
    put32(big, 0xffffffffu);
    assert_int_equal(fseek(fp, 40, SEEK_SET), 0);
    assert_int_equal(fwrite(big, 1, 4, fp), 4);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(sd__speech_wav_open(path("short.wav"), &a, &err), SD_OK);
    assert_int_equal(a.n_samples, 800);
    sd__speech_wav_close(&a);
}

/* ---- voice activity detection ---- */

struct burst {
    double start_s, end_s;
};

/* @secs of low noise (about 25 dB) with 300 Hz tone bursts at amplitude @amp. */
static int16_t *signal_with(double secs, const struct burst *b, size_t n_b, int amp, int noise,
                            size_t *n_out)
{
    size_t n = (size_t)(secs * RATE);
    int16_t *x = calloc(n, sizeof(*x));
    assert_non_null(x);
    unsigned seed = 12345;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        double v = noise * (((double)(seed >> 16 & 0x7fff) / 16384.0) - 1.0);
        for (size_t k = 0; k < n_b; k++) {
            if (i >= (size_t)(b[k].start_s * RATE) && i < (size_t)(b[k].end_s * RATE)) {
                v += amp * sin(2 * M_PI * 300.0 * (double)i / RATE);
            }
        }
        x[i] = (int16_t)lrint(v);
    }
    *n_out = n;
    return x;
}

static size_t vad(const int16_t *x, size_t n, struct sd__vad_range **r)
{
    struct sd__vad_opts o = SD__VAD_OPTS_DEFAULT;
    return sd__speech_vad(x, n, &o, r);
}

/* Range @r is [start_s, end_s] within 20 ms. */
static void assert_range(const struct sd__vad_range *r, double start_s, double end_s)
{
    double s = (double)r->start / RATE, e = (double)r->end / RATE;
    if (fabs(s - start_s) > 0.02 || fabs(e - end_s) > 0.02) {
        fail_msg("range [%.3f, %.3f] s, expected [%.3f, %.3f]", s, e, start_s, end_s);
    }
}

static void test_vad_silence_and_clicks(void **state)
{
    (void)state;
    size_t n = 0;
    struct sd__vad_range *r = NULL;
    int16_t *x = signal_with(5, NULL, 0, 0, 30, &n);
    assert_int_equal(vad(x, n, &r), 0);
    assert_null(r);
    free(x);
    /* Digital silence, and nothing at all. */
    x = calloc(RATE, sizeof(*x));
    assert_non_null(x);
    assert_int_equal(vad(x, RATE, &r), 0);
    assert_int_equal(vad(x, 0, &r), 0);
    free(x);
    /* A 40 ms click is not speech. */
    struct burst click = {2.0, 2.04};
    x = signal_with(5, &click, 1, 8000, 30, &n);
    assert_int_equal(vad(x, n, &r), 0);
    free(x);
}

static void test_vad_one_burst_padded(void **state)
{
    (void)state;
    struct burst b = {1.0, 3.0};
    size_t n = 0;
    int16_t *x = signal_with(5, &b, 1, 6000, 30, &n);
    struct sd__vad_range *r = NULL;
    assert_int_equal(vad(x, n, &r), 1);
    assert_range(&r[0], 0.7, 3.3); /* 300 ms of padding on both sides */
    free(r);
    free(x);
    /* At the very start and end of the audio the padding stops there. */
    b = (struct burst){0.0, 2.0};
    x = signal_with(3, &b, 1, 6000, 30, &n);
    assert_int_equal(vad(x, n, &r), 1);
    assert_range(&r[0], 0.0, 2.3);
    free(r);
    free(x);
    b = (struct burst){1.0, 3.0};
    x = signal_with(3, &b, 1, 6000, 30, &n);
    assert_int_equal(vad(x, n, &r), 1);
    assert_range(&r[0], 0.7, 3.0);
    free(r);
    free(x);
    /* A sound that never stops is the noise floor, not speech. */
    b = (struct burst){0.0, 3.0};
    x = signal_with(3, &b, 1, 6000, 30, &n);
    assert_int_equal(vad(x, n, &r), 0);
    free(x);
}

static void test_vad_short_gaps_join_long_pauses_cut(void **state)
{
    (void)state;
    /* Syllables 150 ms apart stay one utterance: no cut inside a word. */
    struct burst words[] = {{1.0, 1.4}, {1.55, 2.0}, {2.15, 2.6}};
    size_t n = 0;
    int16_t *x = signal_with(4, words, 3, 6000, 30, &n);
    struct sd__vad_range *r = NULL;
    assert_int_equal(vad(x, n, &r), 1);
    assert_range(&r[0], 0.7, 2.9);
    free(r);
    free(x);
    /* A 2 s pause ends an utterance however short; the padding stops halfway. */
    struct burst two[] = {{0.5, 1.5}, {3.5, 4.5}, {4.8, 5.3}};
    x = signal_with(6, two, 3, 6000, 30, &n);
    assert_int_equal(vad(x, n, &r), 2);
    assert_range(&r[0], 0.2, 1.8);
    assert_range(&r[1], 3.2, 5.6);
    free(r);
    free(x);
    /* Two stretches 0.4 s apart with only 0.4 s of room: padding meets in the middle. */
    struct burst close[] = {{0.5, 11.0}, {12.6, 14.0}};
    x = signal_with(15, close, 2, 6000, 30, &n);
    assert_int_equal(vad(x, n, &r), 2);
    assert_range(&r[0], 0.2, 11.3);
    assert_range(&r[1], 12.3, 14.3);
    free(r);
    free(x);
}

static void test_vad_utterance_lengths(void **state)
{
    (void)state;
    /* Sentences of 4 s with 0.7 s pauses for 60 s: cut at pauses once long enough. */
    struct burst b[20];
    size_t n_b = 0;
    for (double t = 0.5; t + 4 < 60 && n_b < 20; t += 4.7) {
        b[n_b++] = (struct burst){t, t + 4};
    }
    size_t n = 0;
    int16_t *x = signal_with(60, b, n_b, 6000, 30, &n);
    struct sd__vad_range *r = NULL;
    struct sd__vad_opts o = SD__VAD_OPTS_DEFAULT;
    size_t n_r = vad(x, n, &r);
    assert_true(n_r >= 2);
    for (size_t i = 0; i < n_r; i++) {
        double len = (double)(r[i].end - r[i].start) / RATE;
        if (i + 1 < n_r) {
            assert_true(len >= o.min_utt_ms / 1000.0);
        }
        assert_true(len <= o.max_utt_ms / 1000.0 + 2 * o.pad_ms / 1000.0);
        if (i > 0) {
            assert_true(r[i].start >= r[i - 1].end);
        }
        /* Every cut is in a pause, never inside a burst. */
        for (size_t k = 0; k < n_b; k++) {
            double s = (double)r[i].start / RATE, e = (double)r[i].end / RATE;
            assert_false(s > b[k].start_s && s < b[k].end_s);
            assert_false(e > b[k].start_s && e < b[k].end_s);
        }
    }
    free(r);
    free(x);
}

static void test_vad_hard_cut(void **state)
{
    (void)state;
    /* 40 s of 200 ms syllables with 100 ms gaps: one stretch, cut once past 30 s. */
    struct burst *b = calloc(200, sizeof(*b));
    assert_non_null(b);
    size_t n_b = 0;
    for (double t = 1.0; t < 41.0; t += 0.3) {
        b[n_b++] = (struct burst){t, t + 0.2};
    }
    size_t n = 0;
    int16_t *x = signal_with(42, b, n_b, 6000, 30, &n);
    struct sd__vad_range *r = NULL;
    assert_int_equal(vad(x, n, &r), 2);
    double cut = (double)r[0].end / RATE;
    assert_true(cut > 26.0 && cut <= 31.0);
    assert_int_equal(r[1].start, r[0].end);
    assert_range(&r[0], 0.7, cut);
    /* The cut is at a quiet frame: between syllables. */
    for (size_t k = 0; k < n_b; k++) {
        assert_false(cut > b[k].start_s + 0.01 && cut < b[k].end_s - 0.01);
    }
    free(r);
    free(x);
    free(b);
}

static void test_vad_fan_is_not_speech(void **state)
{
    (void)state;
    /* A fan (noise about 55 dB) with two bursts 20 dB above it. */
    struct burst b[] = {{3.0, 5.0}, {8.0, 9.0}};
    size_t n = 0;
    int16_t *x = signal_with(12, b, 2, 8000, 1500, &n);
    struct sd__vad_range *r = NULL;
    assert_int_equal(vad(x, n, &r), 2);
    assert_range(&r[0], 2.7, 5.3);
    assert_range(&r[1], 7.7, 9.3);
    free(r);
    free(x);
}

/* ---- transcripts ---- */

static struct sd_transcript *hand_built(void)
{
    static const struct sd__speech_word w[] = {
        {"hello", 120, 480, 0.9f, true},
        {"r&d", 520, 1000, 0.5f, false},
        /* a pause of 700 ms: a new segment */
        {"next", 1700, 2000, 1.0f, false},
        {"one", 2000, 2300, 0.25f, false},
        /* a new utterance with 14 words: a cue of 12 and one of 2 */
        {"a", 3000, 3100, 1.0f, true},
        {"b", 3100, 3200, 1.0f, false},
        {"c", 3200, 3300, 1.0f, false},
        {"d", 3300, 3400, 1.0f, false},
        {"e", 3400, 3500, 1.0f, false},
        {"f", 3500, 3600, 1.0f, false},
        {"g", 3600, 3700, 1.0f, false},
        {"h", 3700, 3800, 1.0f, false},
        {"i", 3800, 3900, 1.0f, false},
        {"j", 3900, 4000, 1.0f, false},
        {"k", 4000, 4100, 1.0f, false},
        {"l", 4100, 4200, 1.0f, false},
        {"m", 4200, 4300, 1.0f, false},
        {"n", 4300, 4400, 1.0f, false},
        /* a segment of slow words over an hour in: cues of at most 7 s */
        {"slow", 3600000, 3603000, 0.75f, true},
        {"words", 3603100, 3606500, 0.75f, false},
        {"here", 3606600, 3608000, 0.75f, false},
    };
    struct sd_transcript *t = sd__transcript_new("pocketsphinx", "en-us", "en", 3609000);
    sd__transcript_set_words(t, w, SD_ARRAY_LEN(w), 600);
    return t;
}

static const char hand_vtt[] = "WEBVTT\n"
                               "\n00:00:00.120 --> 00:00:01.000\nhello r&amp;d\n"
                               "\n00:00:01.700 --> 00:00:02.300\nnext one\n"
                               "\n00:00:03.000 --> 00:00:04.200\na b c d e f g h i j k l\n"
                               "\n00:00:04.200 --> 00:00:04.400\nm n\n"
                               "\n01:00:00.000 --> 01:00:06.500\nslow words\n"
                               "\n01:00:06.600 --> 01:00:08.000\nhere\n";

static const char hand_text[] =
    "hello r&d\nnext one\na b c d e f g h i j k l m n\nslow words here\n";

static const char hand_json[] =
    "{\"engine\":\"pocketsphinx\",\"model\":\"en-us\",\"language\":\"en\",\"duration_ms\":3609000,"
    "\"reason\":null,\"segments\":["
    "{\"start_ms\":120,\"end_ms\":1000,\"text\":\"hello r&d\",\"words\":["
    "{\"w\":\"hello\",\"s\":120,\"e\":480,\"c\":0.9},{\"w\":\"r&d\",\"s\":520,\"e\":1000,\"c\":0.5}"
    "]},"
    "{\"start_ms\":1700,\"end_ms\":2300,\"text\":\"next one\",\"words\":["
    "{\"w\":\"next\",\"s\":1700,\"e\":2000,\"c\":1.0},{\"w\":\"one\",\"s\":2000,\"e\":2300,"
    "\"c\":0.25}]},";

static void test_transcript_renderings(void **state)
{
    (void)state;
    struct sd_transcript *t = hand_built();
    assert_int_equal(t->n_words, 21);
    assert_int_equal(t->n_segments, 4);
    assert_int_equal(t->segments[1].first_word, 2);
    assert_int_equal(t->segments[1].start_ms, 1700);
    assert_int_equal(t->segments[1].end_ms, 2300);
    struct sd_buf b = SD_BUF_INIT(1 << 20);
    assert_int_equal(sd_transcript_vtt(t, &b), SD_OK);
    assert_string_equal(sd_buf_cstr(&b), hand_vtt);
    sd_buf_reset(&b);
    assert_int_equal(sd_transcript_text(t, &b), SD_OK);
    assert_string_equal(sd_buf_cstr(&b), hand_text);
    sd_buf_reset(&b);
    assert_int_equal(sd_transcript_json(t, &b), SD_OK);
    assert_memory_equal(sd_buf_cstr(&b), hand_json, strlen(hand_json));
    sd_arena *a = sd_arena_new();
    assert_string_equal(sd_transcript_segment_text(t, a, 2), "a b c d e f g h i j k l m n");
    assert_null(sd_transcript_segment_text(t, a, 4));
    sd_arena_free(a);
    /* A buffer that is too small fails instead of cutting. */
    struct sd_buf tiny = SD_BUF_INIT(16);
    assert_int_equal(sd_transcript_vtt(t, &tiny), SD_E_TOO_LARGE);
    sd_buf_release(&tiny);
    sd_buf_release(&b);
    sd_transcript_free(t);
    sd_transcript_free(NULL);
}

static void test_transcript_json_round_trip(void **state)
{
    (void)state;
    struct sd_transcript *t = hand_built();
    t->reason = "a reason & more";
    struct sd_buf b = SD_BUF_INIT(1 << 20);
    assert_int_equal(sd_transcript_json(t, &b), SD_OK);
    struct sd_transcript *u = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_transcript_parse(b.data, b.len, &u, &err), SD_OK);
    assert_string_equal(u->engine, "pocketsphinx");
    assert_string_equal(u->model, "en-us");
    assert_string_equal(u->language, "en");
    assert_int_equal(u->duration_ms, 3609000);
    assert_string_equal(u->reason, "a reason & more");
    assert_int_equal(u->n_words, t->n_words);
    assert_int_equal(u->n_segments, t->n_segments);
    for (size_t i = 0; i < t->n_words; i++) {
        assert_string_equal(u->words[i].text, t->words[i].text);
        assert_int_equal(u->words[i].start_ms, t->words[i].start_ms);
        assert_int_equal(u->words[i].end_ms, t->words[i].end_ms);
        assert_true(fabsf(u->words[i].confidence - t->words[i].confidence) < 0.001f);
    }
    for (size_t i = 0; i < t->n_segments; i++) {
        assert_memory_equal(&u->segments[i], &t->segments[i], sizeof(t->segments[i]));
    }
    /* And it renders the same again. */
    struct sd_buf b2 = SD_BUF_INIT(1 << 20);
    assert_int_equal(sd_transcript_json(u, &b2), SD_OK);
    assert_string_equal(sd_buf_cstr(&b2), sd_buf_cstr(&b));
    sd_buf_release(&b2);
    sd_transcript_free(u);
    /* An empty transcript too. */
    struct sd_transcript *e = sd__transcript_new("pocketsphinx", "en-us", "en", 150);
    e->reason = "no speech was heard";
    sd_buf_reset(&b);
    assert_int_equal(sd_transcript_json(e, &b), SD_OK);
    assert_string_equal(sd_buf_cstr(&b),
                        "{\"engine\":\"pocketsphinx\",\"model\":\"en-us\",\"language\":\"en\","
                        "\"duration_ms\":150,\"reason\":\"no speech was heard\",\"segments\":[]}");
    assert_int_equal(sd_transcript_parse(b.data, b.len, &u, &err), SD_OK);
    assert_int_equal(u->n_words, 0);
    assert_string_equal(u->reason, "no speech was heard");
    sd_transcript_free(u);
    sd_buf_reset(&b);
    assert_int_equal(sd_transcript_vtt(e, &b), SD_OK);
    assert_string_equal(sd_buf_cstr(&b), "WEBVTT\n");
    sd_buf_reset(&b);
    assert_int_equal(sd_transcript_text(e, &b), SD_OK);
    assert_int_equal(b.len, 0);
    sd_transcript_free(e);
    sd_buf_release(&b);
    sd_transcript_free(t);
}

static void test_transcript_parse_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{\"engine\":\"x\"}",
        "{\"engine\":\"x\",\"model\":\"m\",\"language\":\"en\",\"duration_ms\":-1,\"segments\":[]}",
        "{\"engine\":\"x\",\"model\":\"m\",\"language\":\"en\",\"duration_ms\":1,\"segments\":{}}",
        "{\"engine\":\"x\",\"model\":\"m\",\"language\":\"en\",\"duration_ms\":1,\"reason\":1,"
        "\"segments\":[]}",
        "{\"engine\":\"x\",\"model\":\"m\",\"language\":\"en\",\"duration_ms\":1,\"segments\":"
        "[{\"start_ms\":0,\"end_ms\":1,\"text\":\"a\",\"words\":[]}]}",
        "{\"engine\":\"x\",\"model\":\"m\",\"language\":\"en\",\"duration_ms\":1,\"segments\":"
        "[{\"start_ms\":0,\"end_ms\":1,\"text\":\"a\",\"words\":[{\"w\":\"a\",\"s\":5,\"e\":1,"
        "\"c\":1}]}]}",
        "{\"engine\":\"x\",\"model\":\"m\",\"language\":\"en\",\"duration_ms\":1,\"segments\":"
        "[{\"start_ms\":0,\"end_ms\":1,\"text\":\"a\",\"words\":[{\"w\":\"a\",\"s\":0,\"e\":1,"
        "\"c\":1.5}]}]}",
        "{\"engine\":\"x\",\"model\":\"m\",\"language\":\"en\",\"duration_ms\":1,\"segments\":"
        "[{\"start_ms\":0,\"end_ms\":1,\"text\":\"a\",\"words\":[{\"w\":\"\",\"s\":0,\"e\":1,"
        "\"c\":1}]}]}",
        "{\"engine\":\"an engine name that is far too long\",\"model\":\"m\",\"language\":\"en\","
        "\"duration_ms\":1,\"segments\":[]}",
        "{\"engine\":\"x\",\"engine\":\"y\",\"model\":\"m\",\"language\":\"en\",\"duration_ms\":1,"
        "\"segments\":[]}",
    };
    for (size_t i = 0; i < SD_ARRAY_LEN(bad); i++) {
        struct sd_transcript *t = NULL;
        struct sd_err err = SD_ERR_INIT;
        sd_status st = sd_transcript_parse(bad[i], strlen(bad[i]), &t, &err);
        if (st != SD_E_INVALID) {
            fail_msg("case %zu was not refused: %s", i, bad[i]);
        }
        assert_null(t);
        assert_string_equal(err.field, "transcript");
    }
}

/* ---- recognition ---- */

static struct sd_transcript *recognize(const char *p, int threads)
{
    struct sd_speech_opts o = {.threads = threads};
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    if (sd_speech_recognize(p, &o, NULL, NULL, &t, &err) != SD_OK) {
        fail_msg("%s: %s", p, err.msg);
    }
    return t;
}

static char *text_of(const struct sd_transcript *t)
{
    struct sd_buf b = SD_BUF_INIT(1 << 20);
    assert_int_equal(sd_transcript_text(t, &b), SD_OK);
    char *s = sd_buf_detach(&b, NULL);
    return s != NULL ? s : strdup("");
}

static void test_recognize_keywords(void **state)
{
    (void)state;
    struct sd_transcript *t = recognize(data("jfk_0001.wav"), 0);
    char *s = text_of(t);
    /* references.tsv: "and so my fellow americans ask not what your country can do for you ask
     * what you can do for your country" */
    static const char *const keys[] = {"fellow", "country can do for you",
                                       "what you can do for your country"};
    for (size_t i = 0; i < SD_ARRAY_LEN(keys); i++) {
        if (strstr(s, keys[i]) == NULL) {
            fail_msg("jfk_0001: '%s' not in '%s'", keys[i], s);
        }
    }
    assert_null(t->reason);
    assert_string_equal(t->engine, "pocketsphinx");
    assert_int_equal(t->duration_ms, 11000);
    for (size_t i = 0; i < t->n_words; i++) {
        assert_true(t->words[i].start_ms < t->words[i].end_ms);
        assert_true(t->words[i].end_ms <= t->duration_ms);
        assert_true(i == 0 || t->words[i].start_ms >= t->words[i - 1].end_ms);
        assert_true(t->words[i].confidence >= 0 && t->words[i].confidence <= 1);
        assert_null(strpbrk(t->words[i].text, "()<>[]"));
    }
    free(s);
    sd_transcript_free(t);
    /* A clear LibriSpeech sentence: "no one who is himself honest will doubt my being so". */
    t = recognize(data("ls_2412-153948-0002.wav"), 1);
    s = text_of(t);
    if (strstr(s, "no one who is himself") == NULL || strstr(s, "my being so") == NULL) {
        fail_msg("ls_2412-153948-0002: '%s'", s);
    }
    free(s);
    sd_transcript_free(t);
}

/* Milliseconds from the start of @x to its first and past its last 10 ms frame within 25 dB of its
 * loudest. */
static void energy_bounds(const int16_t *x, size_t n, int64_t *on_ms, int64_t *off_ms)
{
    size_t nf = n / 160;
    double *e = calloc(nf, sizeof(*e)), max = 0;
    assert_non_null(e);
    for (size_t f = 0; f < nf; f++) {
        double s = 0;
        for (size_t i = 0; i < 160; i++) {
            s += (double)x[f * 160 + i] * x[f * 160 + i];
        }
        e[f] = 10 * log10(s / 160 + 1);
        max = e[f] > max ? e[f] : max;
    }
    size_t first = nf, last = 0;
    for (size_t f = 0; f < nf; f++) {
        if (e[f] > max - 25) {
            first = f < first ? f : first;
            last = f;
        }
    }
    free(e);
    *on_ms = (int64_t)first * 10;
    *off_ms = (int64_t)(last + 1) * 10;
}

/* Clips @a and @b of the data folder with @gap_s of digital silence between them. */
static void concat(const char *a, const char *b, double gap_s, const char *out, int64_t *join_ms,
                   int64_t *b_on_ms, int64_t *a_on_ms, int64_t *a_off_ms)
{
    size_t na = 0, nb = 0;
    int16_t *xa = read_wav(data(a), &na), *xb = read_wav(data(b), &nb);
    size_t gap = (size_t)(gap_s * RATE), n = na + gap + nb;
    int16_t *x = calloc(n, sizeof(*x));
    assert_non_null(x);
    memcpy(x, xa, na * 2);
    memcpy(x + na + gap, xb, nb * 2);
    write_wav(out, x, n);
    int64_t off = 0;
    energy_bounds(xa, na, a_on_ms, a_off_ms);
    energy_bounds(xb, nb, b_on_ms, &off);
    *join_ms = (int64_t)(na + gap) * 1000 / RATE;
    free(x);
    free(xa);
    free(xb);
}

static void test_recognize_word_times(void **state)
{
    (void)state;
    int64_t join = 0, b_on = 0, a_on = 0, a_off = 0;
    concat("ls_2412-153948-0002.wav", "jfk_0001.wav", 2.0, path("two.wav"), &join, &b_on, &a_on,
           &a_off);
    struct sd_transcript *t = recognize(path("two.wav"), 2);
    assert_true(t->n_words > 10);
    assert_true(t->n_segments >= 2);
    /* The first word starts where the sound of the first clip starts. */
    const struct sd_speech_word *first = &t->words[0];
    if (llabs(first->start_ms - a_on) > 300) {
        fail_msg("first word '%s' at %lld ms, the sound starts at %lld ms", first->text,
                 (long long)first->start_ms, (long long)a_on);
    }
    /* The last word before the join ends where the first clip's sound ends. */
    size_t k = 0;
    while (k < t->n_words && t->words[k].start_ms < join - 300) {
        k++;
    }
    assert_true(k > 0 && k < t->n_words);
    if (llabs(t->words[k - 1].end_ms - a_off) > 300) {
        fail_msg("last word of clip 1 '%s' ends at %lld ms, its sound at %lld ms",
                 t->words[k - 1].text, (long long)t->words[k - 1].end_ms, (long long)a_off);
    }
    /* The first word after the join starts at the join plus clip 2's leading silence. */
    if (llabs(t->words[k].start_ms - (join + b_on)) > 300) {
        fail_msg("first word of clip 2 '%s' at %lld ms, expected %lld ms (join %lld + %lld)",
                 t->words[k].text, (long long)t->words[k].start_ms, (long long)(join + b_on),
                 (long long)join, (long long)b_on);
    }
    /* It is a segment of its own. */
    bool starts_segment = false;
    for (size_t i = 0; i < t->n_segments; i++) {
        starts_segment = starts_segment || t->segments[i].first_word == k;
    }
    assert_true(starts_segment);
    sd_transcript_free(t);
}

static void test_recognize_threads_agree(void **state)
{
    (void)state;
    int64_t join = 0, b_on = 0, a_on = 0, a_off = 0;
    concat("lj_0004.wav", "lv_0870.wav", 2.5, path("pair.wav"), &join, &b_on, &a_on, &a_off);
    concat("ls_3752-4944-0001.wav", "lj_0002.wav", 1.8, path("pair2.wav"), &join, &b_on, &a_on,
           &a_off);
    /* Four utterances: pair.wav, 2 s of silence, pair2.wav. */
    size_t n1 = 0, n2 = 0;
    int16_t *x1 = read_wav(path("pair.wav"), &n1), *x2 = read_wav(path("pair2.wav"), &n2);
    int16_t *x = calloc(n1 + n2 + 2 * RATE, sizeof(*x));
    assert_non_null(x);
    memcpy(x, x1, n1 * 2);
    memcpy(x + n1 + 2 * RATE, x2, n2 * 2);
    write_wav(path("four.wav"), x, n1 + n2 + 2 * RATE);
    free(x);
    free(x1);
    free(x2);
    struct sd_transcript *t1 = recognize(path("four.wav"), 1);
    struct sd_transcript *t2 = recognize(path("four.wav"), 2);
    assert_true(t1->n_segments >= 4);
    assert_int_equal(t1->n_words, t2->n_words);
    assert_int_equal(t1->n_segments, t2->n_segments);
    for (size_t i = 0; i < t1->n_words; i++) {
        assert_string_equal(t1->words[i].text, t2->words[i].text);
        assert_int_equal(t1->words[i].start_ms, t2->words[i].start_ms);
        assert_int_equal(t1->words[i].end_ms, t2->words[i].end_ms);
    }
    sd_transcript_free(t1);
    sd_transcript_free(t2);
}

static void test_recognize_nothing_to_hear(void **state)
{
    (void)state;
    int16_t *x = calloc(3 * RATE, sizeof(*x));
    assert_non_null(x);
    write_wav(path("silence.wav"), x, 3 * RATE);
    struct sd_transcript *t = recognize(path("silence.wav"), 0);
    assert_int_equal(t->n_words, 0);
    assert_int_equal(t->n_segments, 0);
    assert_int_equal(t->duration_ms, 3000);
    assert_non_null(t->reason);
    assert_non_null(strstr(t->reason, "no speech"));
    sd_transcript_free(t);
    free(x);
    /* 0.2 s of speech is too short to say anything. */
    size_t n = 0;
    x = read_wav(data("jfk_0001.wav"), &n);
    write_wav(path("short.wav"), x + RATE, RATE / 5);
    t = recognize(path("short.wav"), 0);
    assert_int_equal(t->n_words, 0);
    assert_int_equal(t->duration_ms, 200);
    assert_non_null(t->reason);
    assert_non_null(strstr(t->reason, "too short"));
    sd_transcript_free(t);
    free(x);
    /* An empty data chunk is the same. */
    write_wav(path("none.wav"), NULL, 0);
    t = recognize(path("none.wav"), 0);
    assert_int_equal(t->n_words, 0);
    assert_non_null(t->reason);
    sd_transcript_free(t);
}

struct progress {
    int calls, last, stop_at;
    bool rose;
};

static sd_status on_progress(void *user, int pct)
{
    struct progress *p = user;
    p->rose = p->rose && pct >= p->last && pct <= 100;
    p->last = pct;
    p->calls++;
    return p->stop_at >= 0 && pct >= p->stop_at ? SD_E_AGAIN : SD_OK;
}

static void test_recognize_progress_and_stop(void **state)
{
    (void)state;
    struct sd_speech_opts o = {.threads = 1};
    struct progress p = {.rose = true, .stop_at = -1};
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_speech_recognize(path("four.wav"), &o, on_progress, &p, &t, &err), SD_OK);
    assert_true(p.rose);
    assert_true(p.calls >= 3);
    assert_int_equal(p.last, 100);
    sd_transcript_free(t);
    /* Stopping after the first utterance stops with the callback's status. */
    p = (struct progress){.rose = true, .stop_at = 1};
    t = NULL;
    assert_int_equal(sd_speech_recognize(path("four.wav"), &o, on_progress, &p, &t, &err),
                     SD_E_AGAIN);
    assert_null(t);
    assert_true(p.last < 100);
    assert_non_null(strstr(err.msg, "stopped"));
}

static void test_recognize_bad_setup(void **state)
{
    (void)state;
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    struct sd_speech_opts o = {.lm_path = "/nonexistent/en-us.lm.bin"};
    assert_int_equal(sd_speech_recognize(data("lv_0880.wav"), &o, NULL, NULL, &t, &err), SD_E_IO);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/nonexistent/en-us.lm.bin"));
    assert_non_null(strstr(err.msg, "pocketsphinx-en-us"));
    /* openai without an endpoint is refused, naming the engine. */
    o = (struct sd_speech_opts){.engine = "openai"};
    assert_int_not_equal(sd_speech_recognize(data("lv_0880.wav"), &o, NULL, NULL, &t, &err), SD_OK);
    assert_null(t);
    assert_non_null(strstr(err.msg, "openai"));
    o = (struct sd_speech_opts){.engine = "whisper"};
    assert_int_equal(sd_speech_recognize(data("lv_0880.wav"), &o, NULL, NULL, &t, &err),
                     SD_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "unknown speech engine 'whisper'"));
    o = (struct sd_speech_opts){.threads = -1};
    assert_int_equal(sd_speech_recognize(data("lv_0880.wav"), &o, NULL, NULL, &t, &err),
                     SD_E_INVALID);
    assert_null(t);
}

static int setup(void **state)
{
    (void)state;
    const char *root = getenv("SHOWDESK_SOURCE_ROOT");
    snprintf(data_dir, sizeof data_dir, "%s/../shared/data/speech", root ? root : ".");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wav_refused),
        cmocka_unit_test(test_wav_accepted),
        cmocka_unit_test(test_vad_silence_and_clicks),
        cmocka_unit_test(test_vad_one_burst_padded),
        cmocka_unit_test(test_vad_short_gaps_join_long_pauses_cut),
        cmocka_unit_test(test_vad_utterance_lengths),
        cmocka_unit_test(test_vad_hard_cut),
        cmocka_unit_test(test_vad_fan_is_not_speech),
        cmocka_unit_test(test_transcript_renderings),
        cmocka_unit_test(test_transcript_json_round_trip),
        cmocka_unit_test(test_transcript_parse_refuses),
        cmocka_unit_test(test_recognize_keywords),
        cmocka_unit_test(test_recognize_word_times),
        cmocka_unit_test(test_recognize_threads_agree),
        cmocka_unit_test(test_recognize_nothing_to_hear),
        cmocka_unit_test(test_recognize_progress_and_stop),
        cmocka_unit_test(test_recognize_bad_setup),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
