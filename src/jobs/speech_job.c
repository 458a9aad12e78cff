/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: speech.transcribe, the job that turns a ready media's 16 kHz
 * sound ("<id>-pcm", written by media.process) into a timed transcript
 * (speech/speech.h): stored as JSON with the media, its segments indexed for
 * search, and WebVTT captions sealed as "<id>-captions" next to the video.
 *
 * The media row's transcript_state goes pending -> processing -> ready |
 * failed, with transcript_progress (0..100); each progress update is also
 * the job's heartbeat. A recording without speech (silence, music) is
 * "ready" with an empty transcript and its reason, not a failure. An engine
 * error that a retry cannot fix (the file, an unknown engine, an endpoint
 * that answers nonsense) fails the transcript at once; a timeout or a busy
 * endpoint is retried with backoff, and the last attempt fails it with the
 * last error, so no media stays "processing".
 *
 * The workspace's vocabulary goes to the engine (speech.h, sd_speech_vocab):
 * the phrases of its settings (speech.vocabulary) and, as text in its own
 * words, the subjects of its latest tickets.
 *
 * Idempotent: the transcript and its search entries are replaced in one
 * transaction, the captions object is replaced whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/tus.h"
#include "jobs/kinds.h"
#include "jobs/scratch.h"
#include "speech/speech.h"
#include "base/banned.h"

struct srun {
    struct sd_job_ctx *ctx;
    struct sd_media m;
    char dir[4096];
    struct sd__beat beat;
};

static sd_status beat(struct srun *r, const char *state, int pct, bool force, struct sd_err *err)
{
    if (!sd__beat_due(&r->beat, pct, force)) {
        return SD_OK;
    }
    sd_status st = sd_job_progress(r->ctx, pct, err);
    if (st != SD_OK) {
        return st;
    }
    return sd_store_media_transcript(r->ctx->db, r->m.workspace_id, r->m.id, state, pct, NULL,
                                     sd_clock_wall_ms(), err);
}

static sd_status on_progress(void *user, int pct)
{
    struct srun *r = user;
    struct sd_err err = SD_ERR_INIT;
    sd_status st = beat(r, "processing", 5 + pct * 85 / 100, false, &err);
    if (st != SD_OK) {
        sd_log(SD_LOG_WARN, "speech.progress_failed", "media=%s error=\"%s\"", r->m.id, err.msg);
    }
    return st == SD_E_CONFLICT ? st : SD_OK;
}

static sd_status fail_transcript(struct srun *r, const char *reason, struct sd_err *err)
{
    sd_log(SD_LOG_INFO, "speech.failed", "media=%s reason=\"%s\"", r->m.id, reason);
    return sd_store_media_transcript(r->ctx->db, r->m.workspace_id, r->m.id, "failed", 0, reason,
                                     sd_clock_wall_ms(), err);
}

static bool is_permanent(sd_status st)
{
    return st == SD_E_INVALID || st == SD_E_MEDIA || st == SD_E_UNSUPPORTED;
}

/* The engine's options from the configuration. */
static void speech_opts(const struct sd_config *cfg, struct sd_speech_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->engine = cfg->speech_engine[0] ? cfg->speech_engine : "pocketsphinx";
    o->threads = cfg->speech_threads;
    o->url = cfg->speech_url[0] ? cfg->speech_url : NULL;
    o->model = cfg->speech_model[0] ? cfg->speech_model : NULL;
    o->api_key = cfg->speech_key[0] ? cfg->speech_key : NULL;
    o->timeout_s = cfg->speech_timeout_s;
}

#define VOCAB_TICKETS 100

/* The workspace's vocabulary: its listed phrases, and its latest ticket subjects as a corpus. */
static sd_status workspace_vocab(struct srun *r, struct sd_speech_vocab *v, struct sd_err *err)
{
    sd_arena *a = r->ctx->arena;
    memset(v, 0, sizeof(*v));
    struct sd_workspace ws = {0};
    sd_status st = sd_store_workspace_get(r->ctx->db, a, r->m.workspace_id, &ws, err);
    if (st != SD_OK) {
        return st;
    }
    json_t *root = ws.settings ? json_loads(ws.settings, 0, NULL) : NULL;
    json_t *list = json_object_get(json_object_get(root, "speech"), "vocabulary");
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    const char **phrases = sd_arena_alloc(a, (n + 1) * sizeof(*phrases));
    for (size_t i = 0; i < n; i++) {
        const char *p = json_string_value(json_array_get(list, i));
        if (p != NULL) {
            phrases[v->n_phrases++] = sd_arena_strdup(a, p);
        }
    }
    json_decref(root);
    v->phrases = phrases;
    struct sd_ticket_filter f = {.limit = VOCAB_TICKETS};
    struct sd_ticket *tickets = NULL;
    size_t nt = 0;
    bool more = false;
    st = sd_store_ticket_list(r->ctx->db, a, r->m.workspace_id, &f, &tickets, &nt, &more, err);
    if (st != SD_OK) {
        return st;
    }
    struct sd_buf corpus = SD_BUF_INIT((size_t)1 << 20);
    for (size_t i = 0; i < nt; i++) {
        if (tickets[i].subject != NULL && (sd_buf_puts(&corpus, tickets[i].subject) != SD_OK ||
                                           sd_buf_puts(&corpus, "\n") != SD_OK)) {
            break;
        }
    }
    v->corpus = corpus.len > 0 ? sd_arena_strdup(a, sd_buf_cstr(&corpus)) : NULL;
    sd_buf_release(&corpus);
    return SD_OK;
}

/* Stores @t, indexes its segments, seals its captions, marks the media's transcript ready. */
/* When the recording belongs to a customer's message, its ticket is
 * analysed again with the transcript (ticket.analyze). */
static sd_status analyze_ticket_of(struct srun *r, struct sd_err *err)
{
    struct sd_media now;
    struct sd_message msg;
    sd_db *db = r->ctx->db;
    sd_arena *a = r->ctx->arena;
    if (sd_store_media_get(db, a, r->m.workspace_id, r->m.id, &now, NULL) != SD_OK ||
        now.message_id == NULL ||
        sd_store_message_get(db, a, r->m.workspace_id, now.message_id, &msg, NULL) != SD_OK ||
        strcmp(msg.author_type, "customer") != 0) {
        return SD_OK;
    }
    return sd_job_enqueue_analyze(db, r->m.workspace_id, msg.ticket_id, r->m.id, err);
}

static sd_status keep(struct srun *r, const struct sd_transcript *t, struct sd_err *err)
{
    sd_arena *a = r->ctx->arena;
    struct sd_buf json = SD_BUF_INIT((size_t)64 << 20);
    struct sd_buf vtt = SD_BUF_INIT((size_t)16 << 20);
    sd_status st = sd_transcript_json(t, &json);
    if (st == SD_OK) {
        st = sd_transcript_vtt(t, &vtt);
    }
    if (st != SD_OK) {
        sd_buf_release(&json);
        sd_buf_release(&vtt);
        return sd_err_set(err, SD_E_INTERNAL, NULL, "the transcript is too large to store");
    }
    char path[4200], name[SD_MEDIA_BLOB_NAME];
    (void)snprintf(path, sizeof(path), "%s/captions.vtt", r->dir);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(vtt.data, 1, vtt.len, f) != vtt.len) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot write the captions into the scratch folder");
    }
    if (f != NULL && fclose(f) != 0 && st == SD_OK) {
        st = sd_err_set(err, SD_E_IO, NULL, "cannot write the captions into the scratch folder");
    }
    sd_media_blob_name(name, r->m.id, "captions");
    if (st == SD_OK) {
        st = sd__file_to_blob(r->ctx->env->blob, path, name, NULL, err);
    }
    struct sd_search_seg *segs = sd_arena_alloc(a, (t->n_segments + 1) * sizeof(*segs));
    for (size_t i = 0; i < t->n_segments; i++) {
        segs[i] = (struct sd_search_seg){.start_ms = t->segments[i].start_ms,
                                         .end_ms = t->segments[i].end_ms,
                                         .text = sd_transcript_segment_text(t, a, i)};
    }
    struct sd_transcript_row row = {.media_id = r->m.id,
                                    .workspace_id = r->m.workspace_id,
                                    .created_at = sd_clock_wall_ms(),
                                    .engine = t->engine,
                                    .model = t->model,
                                    .language = t->language[0] ? t->language : "en",
                                    .duration_ms = t->duration_ms,
                                    .n_words = (int64_t)t->n_words,
                                    .reason = t->reason,
                                    .body = sd_buf_cstr(&json)};
    sd_db *db = r->ctx->db;
    if (st == SD_OK) {
        st = sd_store_begin(db, err);
        if (st == SD_OK) {
            st = sd_store_transcript_put(db, &row, segs, t->n_segments, err);
        }
        if (st == SD_OK) {
            st = sd_store_media_transcript(db, r->m.workspace_id, r->m.id, "ready", 100, NULL,
                                           sd_clock_wall_ms(), err);
        }
        if (st == SD_OK) {
            st = analyze_ticket_of(r, err);
        }
        if (st == SD_OK) {
            st = sd_store_commit(db, err);
        }
        if (st != SD_OK) {
            sd_store_rollback(db);
        }
    }
    sd_buf_release(&json);
    sd_buf_release(&vtt);
    if (st == SD_OK) {
        sd_log(SD_LOG_INFO, "speech.ready",
               "media=%s engine=%s words=%zu segments=%zu duration_ms=%lld%s%s", r->m.id, t->engine,
               t->n_words, t->n_segments, (long long)t->duration_ms, t->reason ? " reason=" : "",
               t->reason ? t->reason : "");
    }
    return st;
}

static sd_status run_steps(struct srun *r, struct sd_err *err)
{
    char wav[4200], name[SD_MEDIA_BLOB_NAME];
    (void)snprintf(wav, sizeof(wav), "%s/audio.wav", r->dir);
    sd_media_blob_name(name, r->m.id, "pcm");
    sd_status st = sd__blob_to_file(r->ctx->env->blob, name, wav, err);
    if (st == SD_E_NOT_FOUND) {
        return fail_transcript(r, "the recording's sound track is missing from storage", err);
    }
    if (st == SD_OK) {
        st = beat(r, "processing", 5, true, err);
    }
    if (st != SD_OK) {
        return st;
    }
    struct sd_speech_opts opts;
    speech_opts(r->ctx->env->cfg, &opts);
    struct sd_speech_vocab vocab;
    st = workspace_vocab(r, &vocab, err);
    if (st != SD_OK) {
        return st;
    }
    opts.vocab = vocab.n_phrases > 0 || vocab.corpus != NULL ? &vocab : NULL;
    struct sd_transcript *t = NULL;
    st = sd_speech_recognize(wav, &opts, on_progress, r, &t, err);
    if (is_permanent(st)) {
        return fail_transcript(r, sd_arena_strdup(r->ctx->arena, err->msg), err);
    }
    if (st == SD_OK) {
        st = keep(r, t, err);
    }
    sd_transcript_free(t);
    return st;
}

sd_status sd_job_speech_transcribe(struct sd_job_ctx *ctx, struct sd_err *err)
{
    if (ctx->env == NULL || ctx->env->blob == NULL || ctx->env->cfg == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "speech.transcribe needs the blob store");
    }
    json_t *p = json_loads(ctx->job->payload, 0, NULL);
    const char *id = sd_arena_strdup(ctx->arena, json_string_value(json_object_get(p, "media_id")));
    json_decref(p);
    if (id == NULL || ctx->job->workspace_id == NULL) {
        return sd_err_set(err, SD_E_INVALID, NULL,
                          "speech.transcribe needs a media_id and a workspace");
    }
    struct srun *r = sd_arena_alloc(ctx->arena, sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->beat = (struct sd__beat)SD__BEAT_INIT;
    sd_status st = sd_store_media_get(ctx->db, ctx->arena, ctx->job->workspace_id, id, &r->m, err);
    if (st == SD_E_NOT_FOUND) {
        sd_log(SD_LOG_INFO, "speech.gone", "media=%s", id);
        return SD_OK;
    }
    if (st != SD_OK) {
        return st;
    }
    if (strcmp(r->m.state, "ready") != 0) {
        return sd_err_set(err, SD_E_CONFLICT, NULL, "media '%s' is not ready (%s)", id, r->m.state);
    }
    if (strcmp(r->m.transcript_state, "ready") == 0 ||
        strcmp(r->m.transcript_state, "failed") == 0) {
        return SD_OK;
    }
    st = beat(r, "processing", 0, true, err);
    if (st == SD_OK) {
        st = sd__scratch_make(ctx, r->dir, sizeof(r->dir), err);
    }
    if (st == SD_OK) {
        st = run_steps(r, err);
    }
    if (r->dir[0] != '\0') {
        sd__scratch_remove(r->dir);
    }
    const char *reason = sd__job_last_failure(ctx, st, "transcription", err);
    if (reason != NULL) {
        struct sd_err ferr = SD_ERR_INIT;
        if (fail_transcript(r, reason, &ferr) != SD_OK) {
            sd_log(SD_LOG_WARN, "speech.fail_failed", "media=%s error=\"%s\"", id, ferr.msg);
        }
    }
    return st;
}
