/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The "openai" speech engine (src/speech/openai.c) against a fake
 * transcription endpoint: libmicrohttpd on 127.0.0.1 on a free port, in this
 * process, answering what each test sets (whisper.cpp's verbose_json with
 * token "words", OpenAI's with top-level words, segments only, silence,
 * garbage, errors, a slow answer, a huge one) and keeping the multipart
 * request it got, which the tests check field by field. The recording is a
 * one-second tone: nothing recognises anything here, the answers are fixed.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "base/clock.h"
#include "speech/speech.h"

#define WAV_SAMPLES 16000 /* one second */
#define MAX_FIELDS  16
#define KEY         "sk-test-123"
#define PATH        "/v1/audio/transcriptions"

/* ---- the fake endpoint ---- */

struct field {
    char name[64];
    char filename[64];
    char type[64];
    unsigned char *data; /* heap */
    size_t len;
};

/* What the endpoint answers and what it got; guarded by mu. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* the answer */
    unsigned status;
    const char *body;
    bool is_slow; /* holds the answer until released (or 10 s) */
    bool is_released;
    bool is_huge; /* 33 MiB of spaces, chunked */
    /* the last request */
    int n_requests;
    char method[16];
    char path[128];
    char auth[128];
    bool has_auth;
    char content_type[128];
    struct field fields[MAX_FIELDS];
    size_t n_fields;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER}; /* cv: sd_clock_cond_init in setup */

static struct MHD_Daemon *daemon_;
static unsigned short port;
static char dir[] = "/tmp/sd-test-openai-XXXXXX";
static char wav_path[64];
static unsigned char *wav;
static size_t wav_len;

/* One request being received. */
struct req {
    struct MHD_PostProcessor *pp;
    struct field fields[MAX_FIELDS];
    size_t n_fields;
    char auth[128];
    bool has_auth;
    char content_type[128];
};

static void copy(char *dst, size_t size, const char *src)
{
    (void)snprintf(dst, size, "%s", src != NULL ? src : "");
}

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data, uint64_t off,
                                size_t size)
{
    struct req *r = cls;
    (void)kind;
    (void)transfer_encoding;
    struct field *f = r->n_fields > 0 ? &r->fields[r->n_fields - 1] : NULL;
    if (off == 0 || f == NULL || strcmp(f->name, key) != 0) {
        if (r->n_fields == MAX_FIELDS) {
            return MHD_NO;
        }
        f = &r->fields[r->n_fields++];
        copy(f->name, sizeof(f->name), key);
        copy(f->filename, sizeof(f->filename), filename);
        copy(f->type, sizeof(f->type), content_type);
    }
    if (size > 0) {
        f->data = realloc(f->data, f->len + size + 1);
        if (f->data == NULL) {
            return MHD_NO;
        }
        memcpy(f->data + f->len, data, size);
        f->len += size;
        f->data[f->len] = 0;
    }
    return MHD_YES;
}

static void free_fields(struct field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].data);
        f[i].data = NULL;
    }
}

static ssize_t huge_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (pos >= (uint64_t)33 << 20) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    memset(buf, ' ', max);
    return (ssize_t)max;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct req *r = *con_cls;
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL) {
            return MHD_NO;
        }
        const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        r->has_auth = auth != NULL;
        copy(r->auth, sizeof(r->auth), auth);
        copy(r->content_type, sizeof(r->content_type),
             MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"));
        r->pp = MHD_create_post_processor(conn, (size_t)64 * 1024, on_field, r);
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (r->pp == NULL || MHD_post_process(r->pp, upload_data, *upload_data_size) != MHD_YES) {
            return MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    (void)pthread_mutex_lock(&fake.mu);
    fake.n_requests++;
    copy(fake.method, sizeof(fake.method), method);
    copy(fake.path, sizeof(fake.path), url);
    copy(fake.auth, sizeof(fake.auth), r->auth);
    fake.has_auth = r->has_auth;
    copy(fake.content_type, sizeof(fake.content_type), r->content_type);
    free_fields(fake.fields, fake.n_fields);
    memcpy(fake.fields, r->fields, sizeof(r->fields));
    fake.n_fields = r->n_fields;
    r->n_fields = 0; /* the fields' data moved to fake */
    if (fake.is_slow) {
        struct timespec deadline;
        sd_clock_deadline(&deadline, 10000);
        while (!fake.is_released) {
            if (pthread_cond_timedwait(&fake.cv, &fake.mu, &deadline) != 0) {
                break;
            }
        }
    }
    unsigned status = fake.status;
    const char *body = fake.body != NULL ? fake.body : "";
    bool is_huge = fake.is_huge;
    (void)pthread_mutex_unlock(&fake.mu);
    /* MHD frees the copy (this libmicrohttpd takes no const buffer). */
    char *copy_of_body = strdup(body);
    struct MHD_Response *res =
        is_huge
            ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, (size_t)64 * 1024, huge_body,
                                                NULL, NULL)
            : MHD_create_response_from_buffer(strlen(body), copy_of_body, MHD_RESPMEM_MUST_FREE);
    if (is_huge || res == NULL) {
        free(copy_of_body);
    }
    if (res == NULL) {
        return MHD_NO;
    }
    (void)MHD_add_response_header(res, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, res);
    MHD_destroy_response(res);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct req *r = *con_cls;
    if (r != NULL) {
        if (r->pp != NULL) {
            (void)MHD_destroy_post_processor(r->pp);
        }
        free_fields(r->fields, r->n_fields);
        free(r);
        *con_cls = NULL;
    }
}

/* A daemon on 127.0.0.1 and a free port, one thread per connection. */
static struct MHD_Daemon *start_daemon(unsigned short *port_out)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                         NULL, handle, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    if (d == NULL) {
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port_out = info != NULL ? info->port : 0;
    return d;
}

/* Sets what the endpoint answers next, and forgets the last request. */
static void answer(unsigned status, const char *body)
{
    (void)pthread_mutex_lock(&fake.mu);
    fake.status = status;
    fake.body = body;
    fake.is_slow = false;
    fake.is_released = false;
    fake.is_huge = false;
    fake.n_requests = 0;
    free_fields(fake.fields, fake.n_fields);
    fake.n_fields = 0;
    fake.has_auth = false;
    (void)pthread_mutex_unlock(&fake.mu);
}

/* The @nth (0-based) field called @name of the last request, or NULL. */
static const struct field *field(const char *name, int nth)
{
    for (size_t i = 0; i < fake.n_fields; i++) {
        if (strcmp(fake.fields[i].name, name) == 0 && nth-- == 0) {
            return &fake.fields[i];
        }
    }
    return NULL;
}

static void expect_field(const char *name, int nth, const char *value)
{
    const struct field *f = field(name, nth);
    assert_non_null(f);
    assert_non_null(f->data);
    assert_string_equal((const char *)f->data, value);
}

/* ---- calling the engine ---- */

static char url[128];

static struct sd_speech_opts opts(const char *key)
{
    return (struct sd_speech_opts){
        .engine = "openai", .url = url, .model = "whisper-1", .api_key = key, .timeout_s = 10};
}

static sd_status run(const struct sd_speech_opts *o, struct sd_transcript **t, struct sd_err *err)
{
    sd_err_clear(err);
    *t = NULL;
    sd_status st = sd_speech_recognize(wav_path, o, NULL, NULL, t, err);
    if (st != SD_OK) {
        assert_null(*t);
    } else {
        assert_non_null(*t);
    }
    return st;
}

static void expect_word(const struct sd_transcript *t, size_t i, const char *text, int64_t start_ms,
                        int64_t end_ms, double confidence)
{
    assert_true(i < t->n_words);
    assert_string_equal(t->words[i].text, text);
    assert_int_equal(t->words[i].start_ms, start_ms);
    assert_int_equal(t->words[i].end_ms, end_ms);
    assert_true(fabs((double)t->words[i].confidence - confidence) < 0.001);
}

/* ---- tests ---- */

/* whisper.cpp's server: segments whose "words" are tokens with leading spaces. */
static const char WHISPER_CPP[] =
    "{\"task\":\"transcribe\",\"language\":\"english\",\"duration\":1.0,"
    "\"text\":\" The export button does nothing. Salesforce sync broke.\\n\","
    "\"segments\":["
    "{\"id\":0,\"text\":\" The export button does nothing.\",\"start\":0.0,\"end\":0.5,"
    "\"tokens\":[50364,440],\"words\":["
    "{\"word\":\" The\",\"start\":0.0,\"end\":0.08,\"t_dtw\":-1,\"probability\":0.9},"
    "{\"word\":\" export\",\"start\":0.08,\"end\":0.2,\"t_dtw\":-1,\"probability\":0.8},"
    "{\"word\":\" button\",\"start\":0.2,\"end\":0.3,\"t_dtw\":-1,\"probability\":1.0},"
    "{\"word\":\" does\",\"start\":0.3,\"end\":0.38,\"t_dtw\":-1,\"probability\":1.0},"
    "{\"word\":\" nothing\",\"start\":0.38,\"end\":0.48,\"t_dtw\":-1,\"probability\":0.5},"
    "{\"word\":\".\",\"start\":0.48,\"end\":0.5,\"t_dtw\":-1,\"probability\":1.0}],"
    "\"temperature\":0.0,\"avg_logprob\":-0.2,\"no_speech_prob\":0.01},"
    "{\"id\":1,\"text\":\" Salesforce sync broke.\",\"start\":0.5,\"end\":0.98,\"words\":["
    "{\"word\":\" Sal\",\"start\":0.5,\"end\":0.6,\"probability\":0.5},"
    "{\"word\":\"es\",\"start\":0.6,\"end\":0.64,\"probability\":0.8},"
    "{\"word\":\"force\",\"start\":0.64,\"end\":0.7,\"probability\":1.0},"
    "{\"word\":\" sync\",\"start\":0.72,\"end\":0.8,\"probability\":0.9},"
    "{\"word\":\" broke\",\"start\":0.8,\"end\":0.95,\"probability\":0.9},"
    "{\"word\":\".\",\"start\":0.95,\"end\":0.98,\"probability\":1.0}],"
    "\"temperature\":0.0,\"avg_logprob\":-0.3,\"no_speech_prob\":0.02}]}";

static void test_whisper_cpp_tokens(void **state)
{
    (void)state;
    answer(200, WHISPER_CPP);
    struct sd_speech_opts o = opts(KEY);
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run(&o, &t, &err), SD_OK);
    assert_string_equal(t->engine, "openai");
    assert_string_equal(t->model, "whisper-1");
    assert_string_equal(t->language, "en");
    assert_int_equal(t->duration_ms, 1000);
    assert_null(t->reason);
    assert_int_equal(t->n_words, 8);
    expect_word(t, 0, "the", 0, 80, 0.9);
    expect_word(t, 1, "export", 80, 200, 0.8);
    expect_word(t, 2, "button", 200, 300, 1.0);
    expect_word(t, 3, "does", 300, 380, 1.0);
    expect_word(t, 4, "nothing", 380, 500, 0.5); /* the "." token is glued on */
    expect_word(t, 5, "salesforce", 500, 700, 0.4);
    expect_word(t, 6, "sync", 720, 800, 0.9);
    expect_word(t, 7, "broke", 800, 980, 0.9);
    assert_int_equal(t->n_segments, 2);
    assert_int_equal(t->segments[0].first_word, 0);
    assert_int_equal(t->segments[0].n_words, 5);
    assert_int_equal(t->segments[1].first_word, 5);
    assert_int_equal(t->segments[1].start_ms, 500);
    assert_int_equal(t->segments[1].end_ms, 980);
    sd_transcript_free(t);

    /* The request, as the endpoint got it. */
    assert_int_equal(fake.n_requests, 1);
    assert_string_equal(fake.method, "POST");
    assert_string_equal(fake.path, PATH);
    assert_true(fake.has_auth);
    assert_string_equal(fake.auth, "Bearer " KEY);
    assert_true(strncmp(fake.content_type, "multipart/form-data; boundary=", 30) == 0);
    expect_field("model", 0, "whisper-1");
    expect_field("response_format", 0, "verbose_json");
    expect_field("timestamp_granularities[]", 0, "word");
    expect_field("timestamp_granularities[]", 1, "segment");
    assert_null(field("language", 0));
    const struct field *f = field("file", 0);
    assert_non_null(f);
    assert_string_equal(f->filename, "audio.wav");
    assert_string_equal(f->type, "audio/wav");
    assert_int_equal(f->len, wav_len);
    assert_memory_equal(f->data, wav, wav_len);
}

/* OpenAI: top-level words without probabilities, segments with avg_logprob. */
static const char OPENAI[] =
    "{\"task\":\"transcribe\",\"language\":\"french\",\"duration\":1.0,\"model\":\"whisper-large-"
    "v3\","
    "\"text\":\"Don\xe2\x80\x99t click Export, please. \xc3\x87"
    "a marche!\","
    "\"words\":["
    "{\"word\":\"Don\xe2\x80\x99t\",\"start\":0.1,\"end\":0.3},"
    "{\"word\":\"click\",\"start\":0.3,\"end\":0.45},"
    "{\"word\":\"Export\",\"start\":0.45,\"end\":0.6},"
    "{\"word\":\"please\",\"start\":0.6,\"end\":0.7},"
    "{\"word\":\"\xc3\x87"
    "a\",\"start\":0.75,\"end\":0.85},"
    "{\"word\":\"marche\",\"start\":0.85,\"end\":1.2}],"
    "\"segments\":["
    "{\"id\":0,\"seek\":0,\"start\":0.0,\"end\":0.7,\"text\":\" Don\xe2\x80\x99t click Export, "
    "please.\",\"tokens\":[1,2],\"temperature\":0.0,\"avg_logprob\":-0.1,"
    "\"compression_ratio\":1.0,\"no_speech_prob\":0.01},"
    "{\"id\":1,\"seek\":0,\"start\":0.7,\"end\":1.0,\"text\":\" \xc3\x87"
    "a marche!\","
    "\"tokens\":[3],\"temperature\":0.0,\"avg_logprob\":-0.5,\"compression_ratio\":1.0,"
    "\"no_speech_prob\":0.02}],"
    "\"usage\":{\"type\":\"duration\",\"seconds\":1}}";

static void test_openai_words(void **state)
{
    (void)state;
    answer(200, OPENAI);
    struct sd_speech_opts o = opts(NULL);
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run(&o, &t, &err), SD_OK);
    assert_string_equal(t->model, "whisper-large-v3");
    assert_string_equal(t->language, "fr");
    assert_int_equal(t->n_words, 6);
    double c0 = exp(-0.1), c1 = exp(-0.5);
    expect_word(t, 0, "don't", 100, 300, c0);
    expect_word(t, 1, "click", 300, 450, c0);
    expect_word(t, 2, "export", 450, 600, c0);
    expect_word(t, 3, "please", 600, 700, c0);
    expect_word(t, 4,
                "\xc3\xa7"
                "a",
                750, 850, c1);
    expect_word(t, 5, "marche", 850, 1000, c1); /* cut to the audio's end */
    /* A segment starts where the endpoint's second one does. */
    assert_int_equal(t->n_segments, 2);
    assert_int_equal(t->segments[1].first_word, 4);
    sd_transcript_free(t);
    assert_false(fake.has_auth); /* no key, no Authorization */
}

/* An endpoint that ignores word timestamps: segments only. */
static const char SEGMENTS_ONLY[] =
    "{\"language\":\"en\",\"duration\":1.0,\"text\":\" Hello there. Thank you.\","
    "\"segments\":["
    "{\"id\":0,\"start\":0.0,\"end\":0.44,\"text\":\" Hello there.\",\"avg_logprob\":-0.2,"
    "\"no_speech_prob\":0.05},"
    "{\"id\":1,\"start\":0.44,\"end\":0.6,\"text\":\" [BLANK_AUDIO]\",\"avg_logprob\":-0.4,"
    "\"no_speech_prob\":0.3},"
    "{\"id\":2,\"start\":0.6,\"end\":1.0,\"text\":\" Thank you.\",\"avg_logprob\":-1.5,"
    "\"no_speech_prob\":0.9}]}";

static void test_segments_only(void **state)
{
    (void)state;
    answer(200, SEGMENTS_ONLY);
    struct sd_speech_opts o = opts(KEY);
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run(&o, &t, &err), SD_OK);
    assert_string_equal(t->model, "whisper-1+estimated word times");
    assert_string_equal(t->language, "en");
    /* "Hello" and "there." share 440 ms by length (5 and 6); the note and
     * the silent segment ("Thank you." with no_speech_prob 0.9) are left out. */
    assert_int_equal(t->n_words, 2);
    expect_word(t, 0, "hello", 0, 200, exp(-0.2));
    expect_word(t, 1, "there", 200, 440, exp(-0.2));
    assert_int_equal(t->n_segments, 1);
    sd_transcript_free(t);
}

static void test_no_speech(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"text\":\"\",\"language\":\"english\",\"duration\":1.0,\"segments\":[]}",
        "{\"text\":\"\",\"language\":\"english\",\"duration\":1.0}",
        /* whisper.cpp on silence: a note, spelled in tokens */
        "{\"text\":\" [BLANK_AUDIO]\\n\",\"language\":\"english\",\"segments\":[{\"id\":0,"
        "\"text\":\" [BLANK_AUDIO]\",\"start\":0.0,\"end\":1.0,\"words\":["
        "{\"word\":\" [\",\"start\":0.0,\"end\":0.1,\"probability\":0.9},"
        "{\"word\":\"BL\",\"start\":0.1,\"end\":0.2,\"probability\":0.9},"
        "{\"word\":\"ANK\",\"start\":0.2,\"end\":0.3,\"probability\":0.9},"
        "{\"word\":\"_AUDIO\",\"start\":0.3,\"end\":0.9,\"probability\":0.9},"
        "{\"word\":\"]\",\"start\":0.9,\"end\":1.0,\"probability\":0.9}],"
        "\"avg_logprob\":-0.3,\"no_speech_prob\":0.4}]}",
        "{\"text\":\" (upbeat music) \xe2\x99\xaa\",\"segments\":[{\"id\":0,\"start\":0.0,"
        "\"end\":1.0,\"text\":\" (upbeat music) \xe2\x99\xaa\"}]}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        answer(200, bodies[i]);
        struct sd_speech_opts o = opts(KEY);
        struct sd_transcript *t = NULL;
        struct sd_err err = SD_ERR_INIT;
        assert_int_equal(run(&o, &t, &err), SD_OK);
        assert_int_equal(t->n_words, 0);
        assert_int_equal(t->n_segments, 0);
        assert_non_null(t->reason);
        assert_string_equal(t->reason, "no speech was heard");
        assert_string_equal(t->engine, "openai");
        sd_transcript_free(t);
    }
}

/* Runs against an answer and expects @code with every @part in the message. */
static void expect_error(unsigned status, const char *body, const struct sd_speech_opts *o,
                         sd_status code, const char *const *parts)
{
    answer(status, body);
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run(o, &t, &err), code);
    assert_int_equal(err.code, code);
    for (; *parts != NULL; parts++) {
        if (strstr(err.msg, *parts) == NULL) {
            fail_msg("'%s' is not in the message: %s", *parts, err.msg);
        }
    }
    assert_null(strstr(err.msg, KEY));
}

static void test_garbage(void **state)
{
    (void)state;
    struct sd_speech_opts o = opts(KEY);
    expect_error(200, "<html><body>It works!</body></html>", &o, SD_E_INVALID,
                 (const char *const[]){"not verbose_json", url, "<html>", NULL});
    expect_error(200, "", &o, SD_E_INVALID,
                 (const char *const[]){"not verbose_json", "an empty body", NULL});
    expect_error(200, "[1,2,3]", &o, SD_E_INVALID, (const char *const[]){"not verbose_json", NULL});
    /* response_format=json: text without any times */
    expect_error(200, "{\"text\":\"the export button does nothing\"}", &o, SD_E_INVALID,
                 (const char *const[]){"not verbose_json", "no times", NULL});
    expect_error(200, "{\"text\":\"x\",\"segments\":{}}", &o, SD_E_INVALID,
                 (const char *const[]){"not verbose_json", "lists", NULL});
    expect_error(200, "{\"text\":\"x\",\"segments\":[{\"start\":\"0\",\"end\":1,\"text\":\"x\"}]}",
                 &o, SD_E_INVALID, (const char *const[]){"\"start\" and \"end\"", NULL});
    expect_error(200, "{\"text\":\"x\",\"words\":[{\"word\":\"x\",\"start\":0}]}", &o, SD_E_INVALID,
                 (const char *const[]){"a word needs", NULL});
    /* whisper.cpp answers its errors with 200 */
    expect_error(200, "{\"error\":\"failed to read WAV file\"}", &o, SD_E_INVALID,
                 (const char *const[]){"answered an error: failed to read WAV file", NULL});
}

static void test_server_errors(void **state)
{
    (void)state;
    struct sd_speech_opts o = opts(KEY);
    expect_error(500, "{\"error\":{\"message\":\"The server had an error while processing\"}}", &o,
                 SD_E_AGAIN,
                 (const char *const[]){url, "HTTP 500", "The server had an error", NULL});
    expect_error(503, "<html>Service Unavailable</html>", &o, SD_E_AGAIN,
                 (const char *const[]){url, "HTTP 503", "Service Unavailable", NULL});
    expect_error(429, "{\"error\":{\"message\":\"Rate limit reached for whisper-1\"}}", &o,
                 SD_E_AGAIN, (const char *const[]){"rate limiting", "HTTP 429", NULL});
}

static void test_key_refused(void **state)
{
    (void)state;
    static const char body[] =
        "{\"error\":{\"message\":\"Incorrect API key provided: " KEY ". You can find your API key "
        "at https://platform.openai.com/account/api-keys.\",\"type\":\"invalid_request_error\","
        "\"param\":null,\"code\":\"invalid_api_key\"}}";
    struct sd_speech_opts o = opts(KEY);
    expect_error(401, body, &o, SD_E_INVALID,
                 (const char *const[]){url, "refused the key", "HTTP 401",
                                       "Incorrect API key provided: ***", NULL});
    expect_error(403, "{\"error\":{\"message\":\"forbidden\"}}", &o, SD_E_INVALID,
                 (const char *const[]){"refused the key", "HTTP 403", NULL});
    o.api_key = NULL;
    expect_error(401, "{\"error\":{\"message\":\"You didn't provide an API key.\"}}", &o,
                 SD_E_INVALID, (const char *const[]){"needs a key", "SHOWDESK_SPEECH_KEY", NULL});

    /* Credentials in the URL never show either. */
    char with_user[192];
    (void)snprintf(with_user, sizeof(with_user), "http://ana:hunter2@127.0.0.1:%u%s?key=k3y",
                   (unsigned)port, PATH);
    o.url = with_user;
    expect_error(401, "{\"error\":{\"message\":\"no\"}}", &o, SD_E_INVALID,
                 (const char *const[]){url, NULL});
    struct sd_err err = SD_ERR_INIT;
    struct sd_transcript *t = NULL;
    assert_int_equal(run(&o, &t, &err), SD_E_INVALID);
    assert_null(strstr(err.msg, "hunter2"));
    assert_null(strstr(err.msg, "k3y"));
}

static void test_bad_request(void **state)
{
    (void)state;
    struct sd_speech_opts o = opts(KEY);
    expect_error(
        400,
        "{\"error\":{\"message\":\"Invalid file format. Supported formats: ['flac', "
        "'wav']\",\"type\":\"invalid_request_error\"}}",
        &o, SD_E_INVALID,
        (const char *const[]){"refused the request", "HTTP 400", "Invalid file format", NULL});
    expect_error(422, "{\"detail\":[{\"loc\":[\"body\",\"file\"],\"msg\":\"field required\"}]}", &o,
                 SD_E_INVALID, (const char *const[]){"HTTP 422", "field required", NULL});
    expect_error(404, "Not Found", &o, SD_E_INVALID,
                 (const char *const[]){"no transcription endpoint", "--inference-path", NULL});
    expect_error(413, "{\"error\":{\"message\":\"Maximum content size limit exceeded\"}}", &o,
                 SD_E_INVALID, (const char *const[]){"too large", "HTTP 413", NULL});
    expect_error(302, "", &o, SD_E_INVALID, (const char *const[]){"redirects", NULL});
}

static void test_timeout(void **state)
{
    (void)state;
    answer(200, WHISPER_CPP);
    (void)pthread_mutex_lock(&fake.mu);
    fake.is_slow = true;
    (void)pthread_mutex_unlock(&fake.mu);
    struct sd_speech_opts o = opts(KEY);
    o.timeout_s = 1;
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    uint64_t t0 = sd_clock_mono_ns();
    sd_status st = run(&o, &t, &err);
    uint64_t ms = (sd_clock_mono_ns() - t0) / 1000000;
    (void)pthread_mutex_lock(&fake.mu);
    fake.is_released = true;
    (void)pthread_cond_broadcast(&fake.cv);
    (void)pthread_mutex_unlock(&fake.mu);
    assert_int_equal(st, SD_E_AGAIN);
    assert_non_null(strstr(err.msg, "did not answer within 1 s"));
    assert_non_null(strstr(err.msg, url));
    assert_true(ms >= 900 && ms < 5000);
}

static void test_refused(void **state)
{
    (void)state;
    unsigned short closed = 0;
    struct MHD_Daemon *d = start_daemon(&closed);
    assert_non_null(d);
    MHD_stop_daemon(d);
    char there[128];
    (void)snprintf(there, sizeof(there), "http://127.0.0.1:%u%s", (unsigned)closed, PATH);
    struct sd_speech_opts o = opts(KEY);
    o.url = there;
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run(&o, &t, &err), SD_E_AGAIN);
    assert_non_null(strstr(err.msg, "cannot connect"));
    assert_non_null(strstr(err.msg, there));
}

static void test_huge_answer(void **state)
{
    (void)state;
    answer(200, "");
    (void)pthread_mutex_lock(&fake.mu);
    fake.is_huge = true;
    (void)pthread_mutex_unlock(&fake.mu);
    struct sd_speech_opts o = opts(KEY);
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(run(&o, &t, &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "more than 32 MiB"));
}

static void test_bad_settings(void **state)
{
    (void)state;
    answer(200, WHISPER_CPP);
    struct sd_speech_opts o = opts(KEY);
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    o.url = NULL;
    assert_int_equal(run(&o, &t, &err), SD_E_INVALID);
    assert_non_null(strstr(err.msg, "speech_url"));
    o.url = "ftp://127.0.0.1/x";
    assert_int_equal(run(&o, &t, &err), SD_E_INVALID);
    o.url = "127.0.0.1:8178/v1/audio/transcriptions";
    assert_int_equal(run(&o, &t, &err), SD_E_INVALID);
    assert_int_equal(fake.n_requests, 0);
}

struct progress_log {
    int calls[64];
    size_t n;
    sd_status stop_with; /* answered on the first call */
};

static sd_status on_progress(void *user, int percent)
{
    struct progress_log *p = user;
    if (p->n < sizeof(p->calls) / sizeof(p->calls[0])) {
        p->calls[p->n++] = percent;
    }
    return p->stop_with;
}

static void test_progress(void **state)
{
    (void)state;
    answer(200, WHISPER_CPP);
    struct sd_speech_opts o = opts(KEY);
    struct progress_log p = {.n = 0};
    struct sd_transcript *t = NULL;
    struct sd_err err = SD_ERR_INIT;
    assert_int_equal(sd_speech_recognize(wav_path, &o, on_progress, &p, &t, &err), SD_OK);
    assert_true(p.n >= 2);
    assert_int_equal(p.calls[0], 0);
    assert_int_equal(p.calls[p.n - 1], 100);
    sd_transcript_free(t);

    /* A caller that says stop before anything is sent. */
    answer(200, WHISPER_CPP);
    p = (struct progress_log){.stop_with = SD_E_CONFLICT};
    t = NULL;
    assert_int_equal(sd_speech_recognize(wav_path, &o, on_progress, &p, &t, &err), SD_E_CONFLICT);
    assert_null(t);
    assert_int_equal(fake.n_requests, 0);
}

/* ---- setup ---- */

static int setup(void **state)
{
    (void)state;
    sd_clock_cond_init(&fake.cv);
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    (void)snprintf(wav_path, sizeof(wav_path), "%s/tone.wav", dir);
    /* One second of a quiet 440 Hz tone, with the plain 44-byte header the
     * engine writes too, so the bytes sent must equal the file's. */
    wav_len = 44 + WAV_SAMPLES * 2;
    wav = calloc(1, wav_len);
    if (wav == NULL) {
        return -1;
    }
    static const unsigned char header[44] = {
        'R', 'I', 'F', 'F', 0x24, 0x7d, 0,   0,   'W', 'A',  'V',  'E',  'f', 'm', 't',
        ' ', 16,  0,   0,   0,    1,    0,   1,   0,   0x80, 0x3e, 0,    0,   0,   0x7d,
        0,   0,   2,   0,   16,   0,    'd', 'a', 't', 'a',  0,    0x7d, 0,   0};
    memcpy(wav, header, sizeof(header));
    for (size_t i = 0; i < WAV_SAMPLES; i++) {
        int v = (int)lround(3000.0 * sin(2.0 * M_PI * 440.0 * (double)i / 16000.0));
        wav[44 + 2 * i] = (unsigned char)(v & 0xff);
        wav[45 + 2 * i] = (unsigned char)((v >> 8) & 0xff);
    }
    FILE *f = fopen(wav_path, "wb");
    if (f == NULL || fwrite(wav, 1, wav_len, f) != wav_len || fclose(f) != 0) {
        return -1;
    }
    daemon_ = start_daemon(&port);
    if (daemon_ == NULL || port == 0) {
        return -1;
    }
    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)port, PATH);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    (void)pthread_mutex_lock(&fake.mu);
    fake.is_released = true;
    (void)pthread_cond_broadcast(&fake.cv);
    (void)pthread_mutex_unlock(&fake.mu);
    if (daemon_ != NULL) {
        MHD_stop_daemon(daemon_);
    }
    free_fields(fake.fields, fake.n_fields);
    fake.n_fields = 0;
    (void)unlink(wav_path);
    (void)rmdir(dir);
    free(wav);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whisper_cpp_tokens),
        cmocka_unit_test(test_openai_words),
        cmocka_unit_test(test_segments_only),
        cmocka_unit_test(test_no_speech),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_server_errors),
        cmocka_unit_test(test_key_refused),
        cmocka_unit_test(test_bad_request),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_huge_answer),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_progress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
