/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the "openai" engine: one POST of the recording to an
 * OpenAI-compatible transcription endpoint (OpenAI's /v1/audio/transcriptions,
 * whisper.cpp's server started with --inference-path, faster-whisper
 * servers), with libcurl; the only file of src/speech/ that includes
 * <curl/curl.h>.
 *
 * Request: multipart/form-data with "file" (a WAV with a plain 44-byte
 * header and the mapped samples, read from the mapping without a copy, so the
 * endpoint never sees the tags of the original file), "model",
 * "response_format" verbose_json and "timestamp_granularities[]" word and
 * segment; "Authorization: Bearer KEY" when a key is set. Redirects are not
 * followed: the body and the key would go to another address. One attempt per
 * call: retrying, with backoff, is the job queue's business.
 *
 * Answer: verbose_json, times in seconds: {text, language, duration,
 * segments: [{id, start, end, text, avg_logprob, no_speech_prob, words?}],
 * words?: [{word, start, end, probability?}]}. Words come from the first of:
 *  1. the top-level "words" (OpenAI, faster-whisper servers); a segment of
 *     the transcript starts at the first word of each of the endpoint's;
 *  2. each segment's "words" (whisper.cpp). whisper.cpp's "words" are really
 *     tokens (" Sal", "es", "force"): when the entries of a list start with a
 *     space at all, an entry that does not is glued to the one before it;
 *  3. a segment's text alone, when it has no words (an endpoint that ignores
 *     word timestamps): split at spaces, the segment's time shared out by the
 *     words' lengths, and the transcript's model says "+estimated word times".
 * An answer with neither segments nor words but some text is refused: it has
 * no times at all (the endpoint ignored response_format).
 *
 * Words are cleaned to match the pocketsphinx engine's: ASCII and Latin-1
 * capitals lowercased, punctuation around a word dropped (a curly apostrophe
 * inside one becomes '), and non-speech notes in brackets ("[BLANK_AUDIO]",
 * "(upbeat music)") and music signs left out. A word's confidence is its
 * probability (the product of its tokens'), else exp(avg_logprob) of its
 * segment, else 1. Segments that whisper itself calls silence
 * (no_speech_prob > 0.6 and avg_logprob < -1, its defaults) are dropped:
 * that is where hallucinations like "Thank you." come from. Times are clamped
 * to the audio and never go backwards.
 *
 * Errors (speech.h): no answer in time, a refused or reset connection, HTTP
 * 408, 429 and 5xx are SD_E_AGAIN, for the job queue to retry. Anything a
 * retry cannot fix is SD_E_INVALID, which fails the transcript at once: a bad
 * speech_url, 401/403 (the key was refused), any other 4xx (with the
 * endpoint's own message), a redirect, a TLS certificate that is not
 * trusted, an answer over MAX_ANSWER, a 200 that is not verbose_json.
 * Messages name the URL without its user, password or query, and never the
 * key (an endpoint's message that echoes it gets it masked).
 *
 * Threads: curl_global_init runs once per process (pthread_once); a call has
 * its own easy handle, so calls from several threads at once are fine.
 * @progress is called on the caller's thread: 0 before, again about once a
 * second while the request runs (so that a caller can stop it), 100 at the end.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "speech/internal.h"
#include "base/clock.h"
#include "base/mem.h"
#include "base/wav.h"
#include "base/banned.h"

#define DEFAULT_TIMEOUT_S  300
#define CONNECT_TIMEOUT_S  10
#define DEFAULT_MODEL      "whisper-1"
#define MAX_ANSWER         ((size_t)32 << 20) /* bytes of the endpoint's answer */
#define MAX_URL_SHOWN      200                /* bytes of the URL quoted in a message */
#define MAX_DETAIL         160                /* bytes of the endpoint's own message quoted */
#define MAX_WORD           128                /* bytes of one word; longer ones are cut */
#define NO_SPEECH_PROB     0.6                /* whisper's no_speech_threshold */
#define NO_SPEECH_LOGPROB  (-1.0)             /* whisper's logprob_threshold */
#define ESTIMATED          "+estimated word times"
#define PROGRESS_PERIOD_NS 1000000000u

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- the request ---- */

/* The "file" part: a 44-byte WAV header, then the samples in place. */
struct body {
    unsigned char header[SD_WAV_HEADER];
    const unsigned char *pcm;
    size_t pcm_len;
    size_t pos; /* in header + pcm */
};

static size_t body_read(char *buf, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t want = size * n, done = 0;
    while (done < want && b->pos < SD_WAV_HEADER + b->pcm_len) {
        const unsigned char *src =
            b->pos < SD_WAV_HEADER ? b->header + b->pos : b->pcm + (b->pos - SD_WAV_HEADER);
        size_t avail =
            b->pos < SD_WAV_HEADER ? SD_WAV_HEADER - b->pos : b->pcm_len - (b->pos - SD_WAV_HEADER);
        size_t k = avail < want - done ? avail : want - done;
        memcpy(buf + done, src, k);
        done += k;
        b->pos += k;
    }
    return done;
}

/* curl rewinds the body when it must send it again (a 100-continue refused, say). */
static int body_seek(void *arg, curl_off_t offset, int origin)
{
    struct body *b = arg;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > SD_WAV_HEADER + b->pcm_len) {
        return CURL_SEEKFUNC_FAIL;
    }
    b->pos = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

struct call {
    struct sd_buf answer;
    bool is_too_large;
    sd_speech_progress_fn progress; /* nullable */
    void *user;
    sd_status stopped; /* what progress answered when it said stop */
    uint64_t last_ns;
};

static size_t answer_write(char *p, size_t size, size_t n, void *arg)
{
    struct call *c = arg;
    if (sd_buf_append(&c->answer, p, size * n) != SD_OK) {
        c->is_too_large = true;
        return 0;
    }
    return size * n;
}

/* Asks the caller, about once a second, whether to go on; the percentage stays
 * 0 because nothing tells how far the endpoint has got. */
static int on_transfer(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct call *c = arg;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    uint64_t now = sd_clock_mono_ns();
    if (c->progress == NULL || now - c->last_ns < PROGRESS_PERIOD_NS) {
        return 0;
    }
    c->last_ns = now;
    sd_status st = c->progress(c->user, 0);
    if (st != SD_OK) {
        c->stopped = st;
        return 1;
    }
    return 0;
}

/*
 * @url as messages show it: without user, password, query and fragment, so
 * that no credential ends up in a message or a log. false when it is not an
 * http or https URL.
 */
static bool shown_url(const char *url, char *out, size_t size)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *s = NULL;
    bool ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
              curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
              curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
              curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
              curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
              curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK;
    if (ok) {
        size_t n = strlen(s);
        (void)snprintf(out, size, "%.*s%s", MAX_URL_SHOWN, s, n > MAX_URL_SHOWN ? "..." : "");
    }
    curl_free(scheme);
    curl_free(s);
    curl_url_cleanup(u);
    return ok;
}

/* Appends @n bytes of @s to @out (of @size, holding *@len) with controls as
 * spaces, runs of spaces as one, and @key (nullable) masked. */
static void clean_append(char *out, size_t size, size_t *len, const char *s, size_t n,
                         const char *key)
{
    size_t key_len = key != NULL ? strlen(key) : 0;
    for (size_t i = 0; i < n && *len + 4 < size; i++) {
        if (key_len >= 4 && n - i >= key_len && memcmp(s + i, key, key_len) == 0) {
            memcpy(out + *len, "***", 3);
            *len += 3;
            i += key_len - 1;
            continue;
        }
        char ch = s[i];
        if ((unsigned char)ch < 0x20 || ch == 0x7f) {
            ch = ' ';
        }
        if (ch == ' ' && (*len == 0 || out[*len - 1] == ' ')) {
            continue;
        }
        out[(*len)++] = ch;
    }
    out[*len] = '\0';
}

/* Cuts @s to at most @max bytes at a UTF-8 character boundary, marking the cut. */
static void cut_utf8(char *s, size_t max)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') {
        s[--n] = '\0';
    }
    if (n <= max) {
        return;
    }
    n = max - 3;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) {
        n--;
    }
    memcpy(s + n, "...", 4);
}

/*
 * The endpoint's own message in the answer @body: {"error":{"message"}} (OpenAI),
 * {"error":"..."} (whisper.cpp), {"detail":"..."} or {"detail":[{"msg"}]} (FastAPI
 * servers), {"message"}; else the body itself when it is text. Cleaned for
 * quoting, into @out.
 */
static void endpoint_message(const struct sd_buf *body, const char *key, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    json_t *j = body->len > 0 ? json_loadb(body->data, body->len, 0, NULL) : NULL;
    const json_t *e = json_object_get(j, "error");
    const json_t *d = json_object_get(j, "detail");
    const json_t *m = json_object_get(e, "message");
    if (!json_is_string(m)) {
        m = json_is_string(e) ? e : NULL;
    }
    if (m == NULL) {
        m = json_is_string(d) ? d : json_object_get(json_array_get(d, 0), "msg");
    }
    if (!json_is_string(m)) {
        m = json_object_get(j, "message");
    }
    if (json_is_string(m)) {
        clean_append(out, size, &len, json_string_value(m), json_string_length(m), key);
    } else if (j == NULL && body->len > 0 && memchr(body->data, '\0', body->len) == NULL) {
        clean_append(out, size, &len, body->data, body->len < size ? body->len : size, key);
    }
    json_decref(j);
    cut_utf8(out, MAX_DETAIL);
    if (out[0] == '\0' || strcmp(out, " ") == 0) {
        (void)snprintf(out, size, "no message");
    }
}

static sd_status transfer_error(CURL *h, CURLcode rc, const struct call *c, const char *url,
                                const char *curl_msg, int timeout_s, struct sd_err *err)
{
    long request_bytes = 0;
    const char *why = curl_msg[0] != '\0' ? curl_msg : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_ABORTED_BY_CALLBACK:
        return sd_err_set(err, c->stopped != SD_OK ? c->stopped : SD_E_INTERNAL, NULL,
                          "speech recognition was stopped");
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (c->is_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
            return sd_err_set(err, SD_E_INVALID, NULL,
                              "the transcription endpoint '%s' answered more than %zu MiB, which "
                              "is not a transcript",
                              url, MAX_ANSWER >> 20);
        }
        break;
    case CURLE_OPERATION_TIMEDOUT:
        /* Request bytes went out: the endpoint was reached but is slow. */
        if (curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_bytes) == CURLE_OK &&
            request_bytes > 0) {
            return sd_err_set(err, SD_E_AGAIN, NULL,
                              "the transcription endpoint '%s' did not answer within %d s (raise "
                              "speech_timeout for long recordings)",
                              url, timeout_s);
        }
        return sd_err_set(err, SD_E_AGAIN, NULL,
                          "cannot connect to the transcription endpoint '%s' within %d s (is it "
                          "running?)",
                          url, CONNECT_TIMEOUT_S);
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return sd_err_set(err, SD_E_AGAIN, NULL,
                          "cannot connect to the transcription endpoint '%s': %s (is it running?)",
                          url, why);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return sd_err_set(err, SD_E_INVALID, "speech_url",
                          "cannot use the transcription endpoint '%s': %s (check speech_url)", url,
                          why);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        return sd_err_set(err, SD_E_INVALID, "speech_url",
                          "the TLS certificate of the transcription endpoint '%s' is not trusted: "
                          "%s (install its CA on this host, or fix the certificate)",
                          url, why);
    default:
        break;
    }
    return sd_err_set(err, SD_E_AGAIN, NULL,
                      "the request to the transcription endpoint '%s' failed: %s", url, why);
}

static sd_status status_error(long status, const struct call *c, const char *url,
                              const struct sd_speech_opts *opts, struct sd_err *err)
{
    const char *key = opts->api_key != NULL && opts->api_key[0] != '\0' ? opts->api_key : NULL;
    char msg[MAX_DETAIL * 2 + 8] = "";
    endpoint_message(&c->answer, key, msg, sizeof(msg));
    if (status == 408 || status == 429 || status >= 500) {
        return sd_err_set(err, SD_E_AGAIN, NULL,
                          "the transcription endpoint '%s' is %s (HTTP %ld: %s)", url,
                          status == 429 ? "rate limiting" : "failing", status, msg);
    }
    if (status == 401 || status == 403) {
        if (key == NULL) {
            return sd_err_set(err, SD_E_INVALID, "speech_key",
                              "the transcription endpoint '%s' needs a key (HTTP %ld: %s); set "
                              "SHOWDESK_SPEECH_KEY",
                              url, status, msg);
        }
        return sd_err_set(err, SD_E_INVALID, "speech_key",
                          "the transcription endpoint '%s' refused the key (HTTP %ld: %s); check "
                          "SHOWDESK_SPEECH_KEY",
                          url, status, msg);
    }
    if (status == 404) {
        return sd_err_set(err, SD_E_INVALID, "speech_url",
                          "there is no transcription endpoint at '%s' (HTTP 404: %s); check "
                          "speech_url (whisper.cpp's server answers at /inference unless started "
                          "with --inference-path)",
                          url, msg);
    }
    if (status == 413) {
        return sd_err_set(err, SD_E_INVALID, NULL,
                          "the transcription endpoint '%s' refused the recording as too large "
                          "(HTTP 413: %s)",
                          url, msg);
    }
    if (status >= 300 && status < 400) {
        return sd_err_set(err, SD_E_INVALID, "speech_url",
                          "the transcription endpoint '%s' redirects elsewhere (HTTP %ld); set "
                          "speech_url to the final address",
                          url, status);
    }
    return sd_err_set(err, SD_E_INVALID, NULL,
                      "the transcription endpoint '%s' refused the request (HTTP %ld: %s)", url,
                      status, msg);
}

/* Sends the recording; on SD_OK c->answer holds a 2xx answer's body. */
static sd_status post(const struct sd__speech_audio *audio, const struct sd_speech_opts *opts,
                      const char *url, struct call *c, struct sd_err *err)
{
    int timeout_s = opts->timeout_s > 0 ? opts->timeout_s : DEFAULT_TIMEOUT_S;
    const char *key = opts->api_key != NULL && opts->api_key[0] != '\0' ? opts->api_key : NULL;
    struct body b = {.pcm = (const unsigned char *)audio->pcm,
                     .pcm_len = audio->n_samples * sizeof(int16_t)};
    sd_wav_header(b.header, SD__SPEECH_RATE, (uint32_t)b.pcm_len);
    char curl_msg[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    curl_mime *form = NULL;
    char *auth = NULL;
    sd_status st = SD_OK;

    CURL *h = curl_easy_init();
    if (h == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "cannot start a request (libcurl)");
    }
    form = curl_mime_init(h);
    curl_mimepart *part = curl_mime_addpart(form);
    bool ok = part != NULL && curl_mime_name(part, "file") == CURLE_OK &&
              curl_mime_filename(part, "audio.wav") == CURLE_OK &&
              curl_mime_type(part, "audio/wav") == CURLE_OK &&
              curl_mime_data_cb(part, (curl_off_t)(SD_WAV_HEADER + b.pcm_len), body_read, body_seek,
                                NULL, &b) == CURLE_OK;
    static const char *const fields[][2] = {
        {"model", NULL},
        {"response_format", "verbose_json"},
        {"timestamp_granularities[]", "word"},
        {"timestamp_granularities[]", "segment"},
    };
    for (size_t i = 0; ok && i < SD_ARRAY_LEN(fields); i++) {
        const char *value = fields[i][1];
        if (value == NULL) {
            value = opts->model != NULL && opts->model[0] != '\0' ? opts->model : DEFAULT_MODEL;
        }
        part = curl_mime_addpart(form);
        ok = part != NULL && curl_mime_name(part, fields[i][0]) == CURLE_OK &&
             curl_mime_data(part, value, CURL_ZERO_TERMINATED) == CURLE_OK;
    }
    headers = curl_slist_append(NULL, "Accept: application/json");
    if (key != NULL) {
        size_t n = strlen(key) + sizeof("Authorization: Bearer ");
        auth = sd_xmalloc(n);
        (void)snprintf(auth, n, "Authorization: Bearer %s", key);
        struct curl_slist *more = headers != NULL ? curl_slist_append(headers, auth) : NULL;
        if (more == NULL) {
            curl_slist_free_all(headers);
        }
        headers = more;
    }
    ok = ok && headers != NULL && curl_easy_setopt(h, CURLOPT_URL, opts->url) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_MIMEPOST, form) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_USERAGENT, "showdesk") == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)timeout_s) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_ANSWER) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, answer_write) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_WRITEDATA, c) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_transfer) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_XFERINFODATA, c) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg) == CURLE_OK;
    if (!ok) {
        st = sd_err_set(err, SD_E_INTERNAL, NULL, "cannot prepare the request to '%s' (libcurl)",
                        url);
    } else {
        c->last_ns = sd_clock_mono_ns();
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        if (rc != CURLE_OK) {
            st = transfer_error(h, rc, c, url, curl_msg, timeout_s, err);
        } else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
                   status < 200 || status > 299) {
            st = status_error(status, c, url, opts, err);
        }
    }
    curl_easy_cleanup(h);
    curl_mime_free(form);
    curl_slist_free_all(headers);
    if (auth != NULL) {
        /* The key does not outlive the request in this process's heap. */
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    return st;
}

/* ---- reading the answer ---- */

/* A segment of the answer. */
struct seg {
    int64_t start_ms;
    int64_t end_ms;
    float confidence;    /* exp(avg_logprob), or 1 */
    bool is_silence;     /* whisper's own no-speech rule */
    const char *text;    /* "" when absent */
    const json_t *words; /* a non-empty array, or NULL */
};

/* Words as they are found, in order. */
struct found {
    struct sd__speech_word *w; /* heap; texts in @a */
    size_t n, cap;
    sd_arena *a;
    int64_t duration_ms;
    bool next_starts; /* the next word kept starts a segment */
    bool in_note;     /* inside a bracketed note like "(upbeat music)" */
};

static void begin_segment(struct found *f)
{
    f->next_starts = true;
    f->in_note = false;
}

static int64_t to_ms(double s, int64_t max_ms)
{
    if (!(s > 0.0)) {
        return 0;
    }
    double ms = s * 1000.0;
    return ms >= (double)max_ms ? max_ms : (int64_t)llround(ms);
}

/* Punctuation dropped around words, besides ASCII's (the file is UTF-8, like the words). */
static const char *const PUNCT[] = {
    "“", "”",  "„",  "«",  "»",  "…",  "¿",  "¡",  "—",  "–",  "♪",
    "♫", "。", "、", "，", "！", "？", "：", "；", "「", "」", "·",
};

/* The length of the punctuation at @s (of @n bytes), from its start or, with @at_end, its end. */
static size_t punct_len(const char *s, size_t n, bool at_end)
{
    if (n == 0) {
        return 0;
    }
    unsigned char ch = (unsigned char)s[at_end ? n - 1 : 0];
    if (ch < 0x80) {
        return ispunct(ch) || isspace(ch) ? 1 : 0;
    }
    for (size_t i = 0; i < SD_ARRAY_LEN(PUNCT); i++) {
        size_t k = strlen(PUNCT[i]);
        if (k <= n && memcmp(at_end ? s + n - k : s, PUNCT[i], k) == 0) {
            return k;
        }
    }
    return 0;
}

/* Writes @in (@n bytes) as a transcript word into @out (MAX_WORD + 1 bytes); "" when nothing is
 * left. */
static void clean_word(const char *in, size_t n, char *out)
{
    char tmp[MAX_WORD * 4] = "";
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof(tmp); i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == 0xe2 && i + 2 < n && in[i + 1] == '\x80' &&
            (in[i + 2] == '\x98' || in[i + 2] == '\x99')) {
            tmp[len++] = '\''; /* ‘ and ’ */
            i += 2;
        } else if (ch == 0xc3 && i + 1 < n && (unsigned char)in[i + 1] >= 0x80 &&
                   (unsigned char)in[i + 1] <= 0x9e && (unsigned char)in[i + 1] != 0x97 &&
                   len + 1 < sizeof(tmp)) {
            /* Latin-1 capitals À..Þ (but ×) are their small letters + 0x20. */
            tmp[len++] = (char)ch;
            tmp[len++] = (char)((unsigned char)in[i + 1] + 0x20);
            i++;
        } else {
            tmp[len++] = (char)tolower(ch);
        }
    }
    if (len == sizeof(tmp)) {
        /* Cut inside the buffer: do not leave half a character at the end. */
        while (len > 0 && ((unsigned char)tmp[len - 1] & 0xc0) == 0x80) {
            len--;
        }
        if (len > 0 && (unsigned char)tmp[len - 1] >= 0xc0) {
            len--;
        }
    }
    const char *s = tmp;
    for (size_t k = punct_len(s, len, false); k > 0; k = punct_len(s, len, false)) {
        s += k;
        len -= k;
    }
    for (size_t k = punct_len(s, len, true); k > 0; k = punct_len(s, len, true)) {
        len -= k;
    }
    if (len > MAX_WORD) {
        len = MAX_WORD;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80) {
            len--;
        }
    }
    memcpy(out, s, len);
    out[len] = '\0';
}

static void keep_word(struct found *f, const char *text, int64_t start_ms, int64_t end_ms,
                      float confidence)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->w = sd_xrealloc(f->w, f->cap * sizeof(*f->w));
    }
    /* Times never go backwards and stay inside the audio. */
    int64_t floor_ms = f->n > 0 ? f->w[f->n - 1].start_ms : 0;
    start_ms = start_ms < floor_ms ? floor_ms : start_ms;
    end_ms = end_ms < start_ms ? start_ms : end_ms;
    f->w[f->n++] = (struct sd__speech_word){
        .text = sd_arena_strdup(f->a, text),
        .start_ms = start_ms,
        .end_ms = end_ms > f->duration_ms ? f->duration_ms : end_ms,
        .confidence = confidence,
        .starts_segment = f->next_starts,
    };
    f->next_starts = false;
}

/*
 * Adds the words of @text (@n bytes, one word or several separated by spaces)
 * spoken over [@start_ms, @end_ms], sharing the time out by length.
 */
static void add_text(struct found *f, const char *text, size_t n, int64_t start_ms, int64_t end_ms,
                     float confidence)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += !isspace((unsigned char)text[i]);
    }
    size_t done = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && isspace((unsigned char)text[i])) {
            i++;
        }
        size_t from = i;
        while (i < n && !isspace((unsigned char)text[i])) {
            i++;
        }
        if (i == from) {
            break;
        }
        size_t len = i - from;
        int64_t span = end_ms - start_ms;
        int64_t s = start_ms + (int64_t)((double)span * (double)done / (double)total);
        int64_t e = start_ms + (int64_t)((double)span * (double)(done + len) / (double)total);
        done += len;
        const char *w = text + from;
        if (!f->in_note && (w[0] == '[' || w[0] == '(')) {
            f->in_note = true;
        }
        if (f->in_note) {
            for (size_t k = 0; k < len; k++) {
                f->in_note = f->in_note && w[k] != ']' && w[k] != ')';
            }
            continue;
        }
        char clean[MAX_WORD + 1];
        clean_word(w, len, clean);
        if (clean[0] != '\0') {
            keep_word(f, clean, s, e, confidence);
        }
    }
}

static sd_status not_verbose(const char *url, const char *what, struct sd_err *err)
{
    return sd_err_set(err, SD_E_INVALID, NULL,
                      "the transcription endpoint '%s' answered something that is not "
                      "verbose_json: %s",
                      url, what);
}

static bool get_seconds(const json_t *o, const char *key, double *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v)) {
        return false;
    }
    *out = json_number_value(v);
    return true;
}

static float clamp01(double v)
{
    return (float)(v > 0.0 ? (v < 1.0 ? v : 1.0) : 0.0);
}

/* A word being glued together from tokens. */
struct pending {
    char text[MAX_WORD * 2];
    size_t len;
    int64_t start_ms, end_ms;
    double confidence;
};

static void flush(struct found *f, struct pending *p)
{
    if (p->len > 0) {
        add_text(f, p->text, p->len, p->start_ms, p->end_ms, (float)p->confidence);
    }
    p->len = 0;
}

/* The segment of @segs in which a word from @start_ms to @end_ms falls (its middle). */
static size_t segment_of(const struct seg *segs, size_t n_segs, int64_t start_ms, int64_t end_ms)
{
    int64_t mid = start_ms + (end_ms - start_ms) / 2;
    size_t k = 0;
    while (k + 1 < n_segs && segs[k + 1].start_ms <= mid) {
        k++;
    }
    return k;
}

/*
 * Adds the entries of @list ({word, start, end, probability?}). With @segs
 * (the top-level list) a segment starts where the endpoint's do, and words
 * in silent segments are dropped; without, @seg is the list's own segment.
 */
static sd_status add_words(struct found *f, const json_t *list, const struct seg *segs,
                           size_t n_segs, const struct seg *seg, const char *url,
                           struct sd_err *err)
{
    bool is_tokens = false;
    size_t i = 0;
    const json_t *e = NULL;
    json_array_foreach(list, i, e)
    {
        const char *w = json_string_value(json_object_get(e, "word"));
        is_tokens = is_tokens || (w != NULL && isspace((unsigned char)w[0]));
    }
    struct pending p = {.len = 0};
    size_t cur = SIZE_MAX;
    json_array_foreach(list, i, e)
    {
        const json_t *jw = json_object_get(e, "word");
        double s = 0.0, en = 0.0;
        if (!json_is_string(jw) || !get_seconds(e, "start", &s) || !get_seconds(e, "end", &en)) {
            flush(f, &p);
            return not_verbose(url, "a word needs \"word\", \"start\" and \"end\"", err);
        }
        const char *w = json_string_value(jw);
        size_t n = json_string_length(jw);
        int64_t start_ms = to_ms(s, f->duration_ms), end_ms = to_ms(en, f->duration_ms);
        const struct seg *in = seg;
        if (segs != NULL) {
            size_t k = segment_of(segs, n_segs, start_ms, end_ms);
            if (k != cur) {
                flush(f, &p);
                begin_segment(f);
                cur = k;
            }
            in = &segs[k];
        }
        if (in != NULL && in->is_silence) {
            continue;
        }
        double c = in != NULL ? in->confidence : 1.0;
        const json_t *prob = json_object_get(e, "probability");
        if (json_is_number(prob)) {
            c = clamp01(json_number_value(prob));
        }
        bool glue = is_tokens && p.len > 0 && n > 0 && !isspace((unsigned char)w[0]);
        if (!glue) {
            flush(f, &p);
            p.start_ms = start_ms;
            p.end_ms = end_ms;
            p.confidence = c;
        } else {
            p.end_ms = end_ms > p.end_ms ? end_ms : p.end_ms;
            p.confidence *= c;
        }
        size_t room = sizeof(p.text) - p.len;
        size_t k = n < room ? n : room;
        memcpy(p.text + p.len, w, k);
        p.len += k;
    }
    flush(f, &p);
    return SD_OK;
}

/* Reads the @n segments of @list into @segs. */
static sd_status read_segments(const json_t *list, struct seg *segs, size_t n, const char *url,
                               int64_t duration_ms, struct sd_err *err)
{
    for (size_t i = 0; segs != NULL && i < n; i++) {
        const json_t *s = json_array_get(list, i);
        double start = 0.0, end = 0.0, v = 0.0;
        const json_t *text = json_object_get(s, "text");
        const json_t *words = json_object_get(s, "words");
        if (!json_is_object(s) || !get_seconds(s, "start", &start) ||
            !get_seconds(s, "end", &end)) {
            return not_verbose(url, "a segment needs \"start\" and \"end\" in seconds", err);
        }
        if ((text != NULL && !json_is_string(text)) ||
            (words != NULL && !json_is_null(words) && !json_is_array(words))) {
            return not_verbose(url, "a segment's \"text\" must be a string and \"words\" a list",
                               err);
        }
        segs[i] = (struct seg){
            .start_ms = to_ms(start, duration_ms),
            .end_ms = to_ms(end, duration_ms),
            .confidence = get_seconds(s, "avg_logprob", &v) ? clamp01(exp(v)) : 1.0F,
            .text = json_is_string(text) ? json_string_value(text) : "",
            .words = json_array_size(words) > 0 ? words : NULL,
        };
        double no_speech = 0.0;
        segs[i].is_silence = get_seconds(s, "no_speech_prob", &no_speech) &&
                             no_speech > NO_SPEECH_PROB && get_seconds(s, "avg_logprob", &v) &&
                             v < NO_SPEECH_LOGPROB;
        if (segs[i].end_ms < segs[i].start_ms) {
            segs[i].end_ms = segs[i].start_ms;
        }
    }
    return SD_OK;
}

/* ISO 639-1 codes of the language names whisper answers with ("english"). */
static const char *const LANGUAGES[][2] = {
    {"english", "en"},    {"chinese", "zh"},   {"german", "de"},     {"spanish", "es"},
    {"russian", "ru"},    {"korean", "ko"},    {"french", "fr"},     {"japanese", "ja"},
    {"portuguese", "pt"}, {"turkish", "tr"},   {"polish", "pl"},     {"catalan", "ca"},
    {"dutch", "nl"},      {"arabic", "ar"},    {"swedish", "sv"},    {"italian", "it"},
    {"indonesian", "id"}, {"hindi", "hi"},     {"finnish", "fi"},    {"vietnamese", "vi"},
    {"hebrew", "he"},     {"ukrainian", "uk"}, {"greek", "el"},      {"malay", "ms"},
    {"czech", "cs"},      {"romanian", "ro"},  {"danish", "da"},     {"hungarian", "hu"},
    {"tamil", "ta"},      {"norwegian", "no"}, {"thai", "th"},       {"urdu", "ur"},
    {"croatian", "hr"},   {"bulgarian", "bg"}, {"lithuanian", "lt"}, {"latin", "la"},
    {"welsh", "cy"},      {"slovak", "sk"},    {"persian", "fa"},    {"latvian", "lv"},
    {"bengali", "bn"},    {"serbian", "sr"},   {"slovenian", "sl"},  {"estonian", "et"},
    {"icelandic", "is"},  {"irish", "ga"},     {"filipino", "tl"},   {"tagalog", "tl"},
};

/* The answer's language as a code ("english" and "en" give "en"), into @out. */
static void language_code(const json_t *lang, char *out, size_t size)
{
    char name[32];
    const char *s = json_is_string(lang) ? json_string_value(lang) : "";
    size_t n = 0;
    for (; s[n] != '\0' && n + 1 < sizeof(name); n++) {
        name[n] = (char)tolower((unsigned char)s[n]);
    }
    name[n] = '\0';
    for (size_t i = 0; i < SD_ARRAY_LEN(LANGUAGES); i++) {
        if (strcmp(name, LANGUAGES[i][0]) == 0) {
            (void)snprintf(out, size, "%s", LANGUAGES[i][1]);
            return;
        }
    }
    /* A code already, or a name not in the table: kept if it fits. */
    if (n < size) {
        (void)snprintf(out, size, "%s", name);
    } else {
        out[0] = '\0';
    }
}

/* Builds the transcript from a 2xx answer's body. */
static sd_status read_answer(const struct sd_buf *body, const struct sd_speech_opts *opts,
                             const char *url, int64_t duration_ms, struct sd_transcript **out,
                             struct sd_err *err)
{
    json_error_t jerr;
    json_t *j = json_loadb(body->data != NULL ? body->data : "", body->len, 0, &jerr);
    if (!json_is_object(j)) {
        char shown[MAX_DETAIL * 2 + 8] = "";
        size_t len = 0;
        clean_append(shown, sizeof(shown), &len, sd_buf_cstr(body), body->len < 80 ? body->len : 80,
                     opts->api_key);
        cut_utf8(shown, 60);
        json_decref(j);
        return not_verbose(url, body->len == 0 ? "an empty body" : shown, err);
    }
    const json_t *text = json_object_get(j, "text");
    const json_t *segs_j = json_object_get(j, "segments");
    const json_t *words_j = json_object_get(j, "words");
    sd_status st = SD_OK;
    struct found f = {.a = sd_arena_new(), .duration_ms = duration_ms, .next_starts = true};
    struct seg *segs = NULL;
    size_t n_segs = json_array_size(segs_j);
    bool is_estimated = false;
    if (!json_is_string(text) && json_object_get(j, "error") != NULL) {
        /* whisper.cpp's server answers its errors with 200. */
        char msg[MAX_DETAIL * 2 + 8] = "";
        endpoint_message(body, opts->api_key, msg, sizeof(msg));
        st = sd_err_set(err, SD_E_INVALID, NULL,
                        "the transcription endpoint '%s' answered an error: %s", url, msg);
    } else if (!json_is_string(text)) {
        st = not_verbose(url, "no \"text\"", err);
    } else if ((segs_j != NULL && !json_is_null(segs_j) && !json_is_array(segs_j)) ||
               (words_j != NULL && !json_is_null(words_j) && !json_is_array(words_j))) {
        st = not_verbose(url, "\"segments\" and \"words\" must be lists", err);
    } else {
        segs = n_segs > 0 ? sd_xcalloc(n_segs, sizeof(*segs)) : NULL;
        st = read_segments(segs_j, segs, n_segs, url, duration_ms, err);
    }
    if (st == SD_OK && json_array_size(words_j) > 0) {
        st = add_words(&f, words_j, segs, n_segs, NULL, url, err);
    } else if (st == SD_OK && segs != NULL) {
        for (size_t i = 0; st == SD_OK && i < n_segs; i++) {
            begin_segment(&f);
            if (segs[i].is_silence) {
                continue;
            }
            if (segs[i].words != NULL) {
                st = add_words(&f, segs[i].words, NULL, 0, &segs[i], url, err);
            } else {
                size_t before = f.n;
                add_text(&f, segs[i].text, strlen(segs[i].text), segs[i].start_ms, segs[i].end_ms,
                         segs[i].confidence);
                is_estimated = is_estimated || f.n > before;
            }
        }
    } else if (st == SD_OK) {
        /* Text without any times: fine only when it holds no words. */
        add_text(&f, json_string_value(text), json_string_length(text), 0, duration_ms, 1.0F);
        if (f.n > 0) {
            st = not_verbose(url, "the text has no times (no \"segments\" or \"words\")", err);
        }
    }
    if (st == SD_OK) {
        const json_t *jm = json_object_get(j, "model");
        const char *model =
            json_is_string(jm) && json_string_length(jm) > 0
                ? json_string_value(jm)
                : (opts->model != NULL && opts->model[0] != '\0' ? opts->model : DEFAULT_MODEL);
        char lang[sizeof((*out)->language)];
        char model_shown[sizeof((*out)->model)];
        language_code(json_object_get(j, "language"), lang, sizeof(lang));
        (void)snprintf(model_shown, sizeof(model_shown), "%s%s", model,
                       is_estimated ? ESTIMATED : "");
        struct sd_transcript *t = sd__transcript_new("openai", model_shown, lang, duration_ms);
        sd__transcript_set_words(t, f.w, f.n, 0);
        if (f.n == 0) {
            t->reason = "no speech was heard";
        }
        *out = t;
    }
    free(segs);
    free(f.w);
    sd_arena_free(f.a);
    json_decref(j);
    return st;
}

sd_status sd__speech_openai(const struct sd__speech_audio *audio, const struct sd_speech_opts *opts,
                            sd_speech_progress_fn progress, void *user, struct sd_transcript **out,
                            struct sd_err *err)
{
    char url[MAX_URL_SHOWN + 8];
    *out = NULL;
    if (opts->url == NULL || opts->url[0] == '\0') {
        return sd_err_set(err, SD_E_INVALID, "speech_url",
                          "speech_engine=openai needs the endpoint's address in speech_url (like "
                          "http://127.0.0.1:8178/v1/audio/transcriptions)");
    }
    if (pthread_once(&curl_once, init_curl) != 0 || curl_init_rc != CURLE_OK) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "cannot initialise libcurl");
    }
    if (!shown_url(opts->url, url, sizeof(url))) {
        return sd_err_set(err, SD_E_INVALID, "speech_url",
                          "speech_url is not an http or https URL (like "
                          "http://127.0.0.1:8178/v1/audio/transcriptions)");
    }
    if (audio->n_samples > (UINT32_MAX - SD_WAV_HEADER) / sizeof(int16_t)) {
        return sd_err_set(err, SD_E_MEDIA, NULL,
                          "the recording is too long to send as one WAV file (over 37 hours)");
    }
    int64_t duration_ms = (int64_t)audio->n_samples * 1000 / SD__SPEECH_RATE;
    struct call c = {.answer = SD_BUF_INIT(MAX_ANSWER), .progress = progress, .user = user};
    sd_status st = progress != NULL ? progress(user, 0) : SD_OK;
    if (st != SD_OK) {
        return sd_err_set(err, st, NULL, "speech recognition was stopped");
    }
    st = post(audio, opts, url, &c, err);
    if (st == SD_OK) {
        st = read_answer(&c.answer, opts, url, duration_ms, out, err);
    }
    sd_buf_release(&c.answer);
    if (st == SD_OK && progress != NULL) {
        st = progress(user, 100);
        if (st != SD_OK) {
            sd_transcript_free(*out);
            *out = NULL;
            (void)sd_err_set(err, st, NULL, "speech recognition was stopped");
        }
    }
    return st;
}
