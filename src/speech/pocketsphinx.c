/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the embedded engine, CMU pocketsphinx 5prealpha with Debian's US
 * English model; the only file that includes <pocketsphinx.h> and
 * <sphinxbase/...>.
 *
 * Flow: vad.c cuts the audio into utterances; opts.threads threads (at most
 * one per utterance and per SPEECH_PER_THREAD_S of speech) each load their
 * own decoder and take the next utterance from a shared index until none is
 * left, writing the words into that utterance's slot, so the words and times
 * are the same whatever the thread count (a confidence may differ in the
 * third decimal). Each utterance is fed whole (full_utt), which the decoder needs to
 * do well on anything but clean speech. The caller's thread only waits and
 * reports progress (utterances done); a progress callback that says stop
 * lets the threads finish the utterance in hand and take no more.
 *
 * Times: the decoder's own silence removal is off (-remove_silence no), so
 * frame k of an utterance is 10 ms * k after its first sample, and words are
 * offset by where the utterance starts in the file. Confidence is the
 * word's posterior from the lattice (-bestpath, the default), 0..1.
 * Fillers (<s>, </s>, <sil>, [NOISE], [SPEECH]) are left out and alternate
 * pronunciations lose their "(2)". A transcript has one segment per
 * utterance, split again at pauses of SPLIT_GAP_MS between words.
 *
 * Every utterance is decoded after PRIME_MS of silence, which puts the
 * decoder's history back into one state (see decoder_prime), and an
 * utterance that starts or ends at the very edge of the audio gets
 * EDGE_SILENCE_MS of silence added there, since the models expect silence
 * around speech (1 point of WER on tightly cut recordings).
 *
 * Settings (see DECODER_ARGS) were chosen on the recordings of
 * shared/data/speech with `make eval-asr`; see README.md.
 *
 * The library logs to stderr by default and its log file is global; it is
 * turned off once for the process. Decoders are created under a mutex,
 * because model loading touches a few globals of the library; decoding
 * itself shares nothing.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#include "speech/internal.h"
#include "base/mem.h"
#include "base/banned.h"

#define MODEL_DIR           "/usr/share/pocketsphinx/model/en-us/"
#define DEFAULT_HMM         MODEL_DIR "en-us"
#define DEFAULT_LM          MODEL_DIR "en-us.lm.bin"
#define DEFAULT_DICT        MODEL_DIR "cmudict-en-us.dict"
#define SPLIT_GAP_MS        600
#define EDGE_SILENCE_MS     300
#define PRIME_MS            300
#define MAX_THREADS         64
#define SPEECH_PER_THREAD_S 10
#define MAX_WORD            64 /* bytes of a dictionary word; longer ones are cut */

/* Decoder settings besides the model files, chosen with make eval-asr (README.md). */
static const struct {
    const char *name, *value;
} DECODER_ARGS[] = {
    /* Keeps word times true. */
    {"-remove_silence", "no"},
    /* Word posteriors for the confidence (the default). */
    {"-bestpath", "yes"},
    /* Language weight, 6.5 by default. */
    {"-lw", "5"},
    /* At most this many HMMs per frame, 30000 by default: bounds the time that
     * noisy audio takes, without losing words on the evaluation set. */
    {"-maxhmmpf", "5000"},
};

struct word {
    char text[MAX_WORD];
    int64_t start_ms, end_ms;
    float confidence;
};

struct utt {
    struct word *words; /* heap, written by the thread that decoded it */
    size_t n_words;
};

struct run {
    const struct sd__speech_audio *audio;
    const struct sd__vad_range *ranges;
    struct utt *utts;
    size_t n_utts;
    const char *hmm, *lm, *dict;
    const struct sd__ps_vocab *vocab; /* nullable: the workspace's words and phrases */
    pthread_mutex_t mu;               /* guards what follows */
    pthread_cond_t cv;                /* signalled when done or running changes */
    size_t next, done;
    int running;
    bool stop;
    sd_status st; /* the first failure */
    struct sd_err err;
};

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

static void quiet_log(void)
{
    err_set_logfp(NULL);
}

/* Records the first failure, @e, and stops the other threads. */
static void fail(struct run *r, const struct sd_err *e)
{
    (void)pthread_mutex_lock(&r->mu);
    if (r->st == SD_OK) {
        r->st = e->code;
        r->err = *e;
    }
    r->stop = true;
    (void)pthread_mutex_unlock(&r->mu);
}

static ps_decoder_t *decoder_new(const struct run *r, void *lms[2])
{
    /* With a vocabulary, the language model is set after (ps_vocab.c), not loaded here. */
    const char *argv[6 + 2 * SD_ARRAY_LEN(DECODER_ARGS)] = {"-hmm",  r->hmm, "-dict",
                                                            r->dict, "-lm",  r->lm};
    int argc = r->vocab != NULL ? 4 : 6;
    for (size_t i = 0; i < SD_ARRAY_LEN(DECODER_ARGS); i++) {
        argv[argc++] = DECODER_ARGS[i].name;
        argv[argc++] = DECODER_ARGS[i].value;
    }
    (void)pthread_mutex_lock(&init_mu);
    /* The library takes char ** and does not write through it. */
    const char **cargv = argv;
    char **args = NULL;
    memcpy((void *)&args, (const void *)&cargv, sizeof(args));
    cmd_ln_t *cfg = cmd_ln_parse_r(NULL, ps_args(), argc, args, TRUE);
    ps_decoder_t *ps = cfg != NULL ? ps_init(cfg) : NULL;
    (void)cmd_ln_free_r(cfg); /* the decoder keeps its own reference */
    struct sd_err verr = SD_ERR_INIT;
    if (ps != NULL && r->vocab != NULL &&
        sd__ps_vocab_apply(ps, r->vocab, r->lm, lms, &verr) != SD_OK) {
        (void)ps_free(ps);
        sd__ps_vocab_release(lms);
        ps = NULL;
    }
    (void)pthread_mutex_unlock(&init_mu);
    return ps;
}

/*
 * Puts @ps back into the same state before every utterance. A decoder keeps
 * history from one utterance to the next (the phone-loop lookahead and the
 * top Gaussians of the last frames), so the same utterance decoded after
 * another can come out different; its words must not depend on which thread
 * decoded what before it. Decoding PRIME_MS of silence first overwrites that
 * history with the same state every time (checked: every utterance of a
 * long recording decoded in sequence equals the same utterance in a fresh
 * decoder).
 */
static bool decoder_prime(ps_decoder_t *ps)
{
    static const int16_t silence[PRIME_MS * SD__SPEECH_RATE / 1000];
    return ps_start_utt(ps) >= 0 &&
           ps_process_raw(ps, silence, SD_ARRAY_LEN(silence), FALSE, TRUE) >= 0 &&
           ps_end_utt(ps) >= 0;
}

static bool is_filler(const char *w)
{
    return w[0] == '<' || w[0] == '[' || w[0] == '+';
}

/* Decodes utterance @i into r->utts[i]; false on a decoder failure. */
static bool decode(struct run *r, ps_decoder_t *ps, size_t i)
{
    const struct sd__vad_range *g = &r->ranges[i];
    int64_t offset_ms = (int64_t)(g->start * 1000 / SD__SPEECH_RATE);
    /* Where the audio starts or ends within EDGE_SILENCE_MS of the speech,
     * silence is added: the models expect some around an utterance. */
    size_t pad = (size_t)EDGE_SILENCE_MS * SD__SPEECH_RATE / 1000;
    size_t total = r->audio->n_samples;
    size_t lead = g->start < pad ? pad - g->start : 0;
    size_t trail = total - g->end < pad ? pad - (total - g->end) : 0;
    size_t len = lead + (g->end - g->start) + trail;
    const int16_t *pcm = r->audio->pcm + g->start;
    int16_t *buf = NULL;
    if (lead + trail > 0) {
        buf = sd_xcalloc(len, sizeof(*buf));
        memcpy(buf + lead, pcm, (g->end - g->start) * sizeof(*buf));
        pcm = buf;
        offset_ms -= (int64_t)(lead * 1000 / SD__SPEECH_RATE);
    }
    bool ok = decoder_prime(ps) && ps_start_utt(ps) >= 0 &&
              ps_process_raw(ps, pcm, len, FALSE, TRUE) >= 0 && ps_end_utt(ps) >= 0;
    free(buf);
    if (!ok) {
        return false;
    }
    logmath_t *lmath = ps_get_logmath(ps);
    struct utt *u = &r->utts[i];
    size_t cap = 0;
    for (ps_seg_t *seg = ps_seg_iter(ps); seg != NULL; seg = ps_seg_next(seg)) {
        const char *w = ps_seg_word(seg);
        if (w == NULL || is_filler(w)) {
            continue;
        }
        if (u->n_words == cap) {
            cap = cap ? cap * 2 : 32;
            u->words = sd_xrealloc(u->words, cap * sizeof(*u->words));
        }
        struct word *out = &u->words[u->n_words++];
        size_t n = strcspn(w, "(");
        n = n < sizeof(out->text) - 1 ? n : sizeof(out->text) - 1;
        for (size_t k = 0; k < n; k++) {
            out->text[k] = (char)tolower((unsigned char)w[k]);
        }
        out->text[n] = '\0';
        int sf = 0, ef = 0;
        ps_seg_frames(seg, &sf, &ef);
        out->start_ms = offset_ms + (int64_t)sf * 10;
        out->end_ms = offset_ms + ((int64_t)ef + 1) * 10;
        int32 ascr = 0, lscr = 0, lback = 0;
        double c = logmath_exp(lmath, ps_seg_prob(seg, &ascr, &lscr, &lback));
        out->confidence = (float)(c < 0.0 ? 0.0 : (c > 1.0 ? 1.0 : c));
    }
    return true;
}

static void *worker(void *arg)
{
    struct run *r = arg;
    void *lms[2] = {NULL, NULL}; /* a vocabulary's models, freed after the decoder */
    ps_decoder_t *ps = decoder_new(r, lms);
    struct sd_err e = SD_ERR_INIT;
    if (ps == NULL) {
        (void)sd_err_set(&e, SD_E_IO, NULL,
                         "cannot load the pocketsphinx model '%s' (reinstall the Debian package "
                         "pocketsphinx-en-us, or check the model paths)",
                         r->hmm);
        fail(r, &e);
    }
    for (;;) {
        (void)pthread_mutex_lock(&r->mu);
        size_t i = r->next;
        bool go = ps != NULL && !r->stop && i < r->n_utts;
        r->next += go;
        (void)pthread_mutex_unlock(&r->mu);
        if (!go) {
            break;
        }
        if (!decode(r, ps, i)) {
            (void)sd_err_set(&e, SD_E_MEDIA, NULL,
                             "pocketsphinx could not decode the audio of '%s'", r->audio->path);
            fail(r, &e);
            break;
        }
        (void)pthread_mutex_lock(&r->mu);
        r->done++;
        (void)pthread_cond_broadcast(&r->cv);
        (void)pthread_mutex_unlock(&r->mu);
    }
    if (ps != NULL) {
        (void)ps_free(ps);
    }
    sd__ps_vocab_release(lms);
    (void)pthread_mutex_lock(&r->mu);
    r->running--;
    (void)pthread_cond_broadcast(&r->cv);
    (void)pthread_mutex_unlock(&r->mu);
    return NULL;
}

static sd_status check_file(const char *path, struct sd_err *err)
{
    if (access(path, R_OK) == 0) {
        return SD_OK;
    }
    return sd_err_set(err, SD_E_IO, NULL,
                      "the pocketsphinx model file '%s' is missing or unreadable (install the "
                      "Debian package pocketsphinx-en-us: sh scripts/deps.sh)",
                      path);
}

/*
 * Threads for @n_utts utterances of @n_samples in all: as asked (0: one per
 * core), at most one per utterance, and one more per SPEECH_PER_THREAD_S of
 * speech, since loading a decoder costs about as much CPU as decoding 1-2 s.
 */
static int thread_count(int wanted, size_t n_utts, size_t n_samples)
{
    long n = wanted;
    if (n <= 0) {
        n = sysconf(_SC_NPROCESSORS_ONLN);
    }
    n = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n);
    size_t by_len = 1 + n_samples / ((size_t)SPEECH_PER_THREAD_S * SD__SPEECH_RATE);
    size_t most = n_utts < by_len ? n_utts : by_len;
    return (size_t)n > most ? (int)most : (int)n;
}

/* Starts the threads and reports progress until they are all done. */
static sd_status run_threads(struct run *r, int n_threads, sd_speech_progress_fn progress,
                             void *user, struct sd_err *err)
{
    pthread_t tids[MAX_THREADS];
    int started = 0;
    (void)pthread_mutex_lock(&r->mu);
    for (; started < n_threads; started++) {
        r->running++;
        if (pthread_create(&tids[started], NULL, worker, r) != 0) {
            r->running--;
            break;
        }
    }
    int last = -1;
    while (started > 0 && r->running > 0 && r->done < r->n_utts) {
        int pct = (int)(r->done * 100 / r->n_utts);
        if (progress != NULL && pct != last) {
            last = pct;
            (void)pthread_mutex_unlock(&r->mu);
            sd_status st = progress(user, pct);
            (void)pthread_mutex_lock(&r->mu);
            if (st != SD_OK && r->st == SD_OK) {
                r->st = sd_err_set(&r->err, st, NULL, "speech recognition was stopped");
                r->stop = true;
            }
            continue;
        }
        (void)pthread_cond_wait(&r->cv, &r->mu);
    }
    (void)pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < started; i++) {
        (void)pthread_join(tids[i], NULL);
    }
    if (started == 0) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "cannot start a speech recognition thread");
    }
    if (r->st == SD_OK && progress != NULL) {
        sd_status st = progress(user, 100);
        if (st != SD_OK) {
            r->st = sd_err_set(&r->err, st, NULL, "speech recognition was stopped");
        }
    }
    if (r->st != SD_OK && err != NULL) {
        *err = r->err;
    }
    return r->st;
}

/* The transcript of all utterances, in order. */
static struct sd_transcript *collect(const struct run *r)
{
    struct sd_transcript *t = sd__transcript_new(
        "pocketsphinx", r->vocab != NULL ? "en-us+workspace vocabulary" : "en-us", "en",
        (int64_t)r->audio->n_samples * 1000 / SD__SPEECH_RATE);
    size_t n = 0;
    for (size_t i = 0; i < r->n_utts; i++) {
        n += r->utts[i].n_words;
    }
    struct sd__speech_word *w = sd_xcalloc(n > 0 ? n : 1, sizeof(*w));
    size_t k = 0;
    for (size_t i = 0; i < r->n_utts; i++) {
        for (size_t j = 0; j < r->utts[i].n_words; j++) {
            const struct word *src = &r->utts[i].words[j];
            w[k++] = (struct sd__speech_word){
                .text = src->text,
                .start_ms = src->start_ms,
                .end_ms = src->end_ms,
                .confidence = src->confidence,
                .starts_segment = j == 0,
            };
        }
    }
    sd__transcript_set_words(t, w, n, SPLIT_GAP_MS);
    free(w);
    if (n == 0) {
        t->reason = "no speech was heard";
    }
    return t;
}

sd_status sd__speech_pocketsphinx(const struct sd__speech_audio *audio,
                                  const struct sd_speech_opts *opts, sd_speech_progress_fn progress,
                                  void *user, struct sd_transcript **out, struct sd_err *err)
{
    struct run r = {
        .audio = audio,
        .hmm = opts->hmm_dir ? opts->hmm_dir : DEFAULT_HMM,
        .lm = opts->lm_path ? opts->lm_path : DEFAULT_LM,
        .dict = opts->dict_path ? opts->dict_path : DEFAULT_DICT,
    };
    char mdef[4096];
    (void)snprintf(mdef, sizeof(mdef), "%s/mdef", r.hmm);
    sd_status st = check_file(mdef, err);
    if (st == SD_OK) {
        st = check_file(r.lm, err);
    }
    if (st == SD_OK) {
        st = check_file(r.dict, err);
    }
    if (st != SD_OK) {
        return st;
    }
    (void)pthread_once(&log_once, quiet_log);
    struct sd__ps_vocab *vocab = NULL;
    st = sd__ps_vocab_prepare(opts->vocab, r.dict, &vocab, err);
    if (st != SD_OK) {
        return st;
    }
    r.vocab = vocab;
    if (vocab != NULL) {
        r.dict = vocab->dict_path; /* the packaged words and the workspace's new ones */
    }
    struct sd__vad_opts vo = SD__VAD_OPTS_DEFAULT;
    struct sd__vad_range *ranges = NULL;
    r.n_utts = sd__speech_vad(audio->pcm, audio->n_samples, &vo, &ranges);
    r.ranges = ranges;
    r.utts = r.n_utts > 0 ? sd_xcalloc(r.n_utts, sizeof(*r.utts)) : NULL;
    if (r.n_utts > 0) {
        (void)pthread_mutex_init(&r.mu, NULL);
        (void)pthread_cond_init(&r.cv, NULL);
        size_t n_speech = 0;
        for (size_t i = 0; i < r.n_utts; i++) {
            n_speech += ranges[i].end - ranges[i].start;
        }
        st = run_threads(&r, thread_count(opts->threads, r.n_utts, n_speech), progress, user, err);
        (void)pthread_cond_destroy(&r.cv);
        (void)pthread_mutex_destroy(&r.mu);
    } else if (progress != NULL && (st = progress(user, 100)) != SD_OK) {
        (void)sd_err_set(err, st, NULL, "speech recognition was stopped");
    }
    if (st == SD_OK) {
        *out = collect(&r);
    }
    sd__ps_vocab_free(vocab);
    for (size_t i = 0; i < r.n_utts; i++) {
        free(r.utts[i].words);
    }
    free(r.utts);
    free(ranges);
    return st;
}
