/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: media.process, the job that turns an upload into something that
 * plays: probe, check against the workspace's limits, transcode to H.264 +
 * AAC MP4 (moov first), poster, thumbnail sprite + WebVTT, 16 kHz PCM for
 * speech recognition (media/media.h does the work with the FFmpeg
 * libraries).
 *
 * The original is decrypted into a private scratch folder (DATA/work/<job>,
 * mode 0700) for the libraries, and every result is sealed into the blob
 * store before the scratch folder is removed. The original is deleted only
 * after the transcode was verified (probed back: codecs and duration), and
 * only when the workspace does not keep originals.
 *
 * Idempotent: a retry after a crash starts from the original again and
 * replaces any result objects a killed attempt left behind; a media that is
 * already ready or failed is left alone. A file that is not acceptable
 * (corrupt, no sound, too long, a codec the workspace does not take) ends
 * the media in "failed" with the reason for a person, and the job in done:
 * retrying cannot help. Storage or database trouble is retried; after the
 * last attempt the media fails too, so no upload stays "processing".
 *
 * Progress: the media row's progress (0..100) follows the steps and the
 * transcode, and every update is also the job's heartbeat.
 *
 * A ready media goes on to speech.transcribe (speech_job.c), enqueued in the
 * transaction that marks it ready.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/rand.h"
#include "domain/tus.h"
#include "jobs/kinds.h"
#include "jobs/scratch.h"
#include "media/media.h"
#include "base/banned.h"

struct run {
    struct sd_job_ctx *ctx;
    struct sd_media m;
    struct sd_media_limits lim;
    char dir[4096];
    struct sd__beat beat;
};

static void path_in(const struct run *r, const char *file, char *out, size_t n)
{
    (void)snprintf(out, n, "%s/%s", r->dir, file);
}

/* Records progress in the media row and beats the job's lease, at the pace of sd__beat_due. */
static sd_status progress(struct run *r, int pct, bool force, struct sd_err *err)
{
    if (!sd__beat_due(&r->beat, pct, force)) {
        return SD_OK;
    }
    sd_status st = sd_job_progress(r->ctx, pct, err);
    if (st != SD_OK) {
        return st;
    }
    r->m.progress = pct;
    r->m.updated_at = sd_clock_wall_ms();
    return sd_store_media_processed(r->ctx->db, &r->m, err);
}

/* The transcode's own progress, 0..100, mapped to 10..80 of the whole. */
static sd_status on_transcode(void *user, int pct)
{
    struct run *r = user;
    struct sd_err err = SD_ERR_INIT;
    sd_status st = progress(r, 10 + pct * 70 / 100, false, &err);
    if (st != SD_OK) {
        sd_log(SD_LOG_WARN, "media.progress_failed", "media=%s error=\"%s\"", r->m.id, err.msg);
    }
    /* A lost lease stops the work: another worker has the job now. */
    return st == SD_E_CONFLICT ? st : SD_OK;
}

/* Ends the media in "failed" with @reason; the job itself is done. */
static sd_status fail_media(struct run *r, const char *reason, struct sd_err *err)
{
    r->m.state = "failed";
    r->m.failure = reason;
    r->m.updated_at = sd_clock_wall_ms();
    sd_log(SD_LOG_INFO, "media.failed", "media=%s reason=\"%s\"", r->m.id, reason);
    return sd_store_media_processed(r->ctx->db, &r->m, err);
}

static bool is_permanent(sd_status st)
{
    return st == SD_E_INVALID || st == SD_E_MEDIA || st == SD_E_UNSUPPORTED || st == SD_E_TOO_LARGE;
}

/* Checks a probe against the workspace's limits; a reason for a person, or NULL. */
static const char *refuse(struct run *r, const struct sd_media_info *in)
{
    sd_arena *a = r->ctx->arena;
    char *msg = sd_arena_alloc(a, 300);
    if (!in->has_video && !in->has_audio) {
        return "the file holds neither video nor sound";
    }
    if (!in->has_audio) {
        return "the recording has no sound track; record again with the microphone on";
    }
    if (in->duration_ms > r->lim.max_duration_ms) {
        (void)snprintf(msg, 300,
                       "the recording lasts %lld s; this workspace takes recordings of up to "
                       "%lld s",
                       (long long)(in->duration_ms / 1000),
                       (long long)(r->lim.max_duration_ms / 1000));
        return msg;
    }
    if (!sd_media_listed(r->lim.containers, in->container)) {
        (void)snprintf(msg, 300, "files in the '%s' format are not taken; send one of: %s",
                       in->container, r->lim.containers);
        return msg;
    }
    if (in->has_video && !sd_media_listed(r->lim.video_codecs, in->video_codec)) {
        (void)snprintf(msg, 300, "video coded as '%s' is not taken; send one of: %s",
                       in->video_codec, r->lim.video_codecs);
        return msg;
    }
    if (!sd_media_listed(r->lim.audio_codecs, in->audio_codec)) {
        (void)snprintf(msg, 300, "sound coded as '%s' is not taken; send one of: %s",
                       in->audio_codec, r->lim.audio_codecs);
        return msg;
    }
    return NULL;
}

/* Checks the transcode against its input: the codecs asked, the same length. */
static const char *verify(struct run *r, const struct sd_media_info *in,
                          const struct sd_media_info *out)
{
    int64_t diff = out->duration_ms - in->duration_ms;
    if (diff < 0) {
        diff = -diff;
    }
    if ((in->has_video && (!out->has_video || strcmp(out->video_codec, "h264") != 0)) ||
        !out->has_audio || strcmp(out->audio_codec, "aac") != 0) {
        return "the transcoded file lacks its H.264 video or AAC sound";
    }
    if (diff > 1000 && diff > in->duration_ms / 20) {
        char *msg = sd_arena_alloc(r->ctx->arena, 200);
        (void)snprintf(msg, 200, "the transcoded file lasts %lld ms, the recording %lld ms",
                       (long long)out->duration_ms, (long long)in->duration_ms);
        return msg;
    }
    return NULL;
}

static json_t *info_json(const struct sd_media_info *in, const struct sd_media_info *out,
                         uint64_t mp4_size)
{
    json_t *o = json_object();
    (void)json_object_set_new(
        o, "source",
        json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:I, s:I}", "container", in->container,
                  "video_codec", in->has_video ? in->video_codec : NULL, "audio_codec",
                  in->has_audio ? in->audio_codec : NULL, "width", (json_int_t)in->width, "height",
                  (json_int_t)in->height, "rotation", (json_int_t)in->rotation, "duration_ms",
                  (json_int_t)in->duration_ms));
    (void)json_object_set_new(o, "video",
                              json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "container", "mp4",
                                        "video_codec", "h264", "audio_codec", "aac", "width",
                                        (json_int_t)out->width, "height", (json_int_t)out->height,
                                        "bytes", (json_int_t)mp4_size));
    return o;
}

/*
 * Marks the media ready and hands its sound to speech.transcribe, in one
 * transaction: a crash between the two cannot leave a ready media that is
 * never transcribed.
 */
static sd_status ready_and_transcribe(struct run *r, struct sd_err *err)
{
    sd_db *db = r->ctx->db;
    char key[SD_ID_MAX + 32], payload[SD_ID_MAX + 32];
    (void)snprintf(key, sizeof(key), "speech.transcribe:%s", r->m.id);
    (void)snprintf(payload, sizeof(payload), "{\"media_id\":\"%s\"}", r->m.id);
    sd_status st = sd_store_begin(db, err);
    if (st == SD_OK) {
        st = sd_store_media_processed(db, &r->m, err);
    }
    if (st == SD_OK) {
        st = sd_store_media_transcript(db, r->m.workspace_id, r->m.id, "pending", 0, NULL,
                                       r->m.updated_at, err);
    }
    if (st == SD_OK) {
        st = sd_job_enqueue(db, "speech.transcribe", r->m.workspace_id, key, payload, 4, NULL, err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, err);
    }
    if (st != SD_OK) {
        sd_store_rollback(db);
    }
    return st;
}

static sd_status run_steps(struct run *r, struct sd_err *err)
{
    sd_blob *blob = r->ctx->env->blob;
    char orig[SD_MEDIA_BLOB_NAME], in_path[4200], mp4[4200], poster[4200], sprite[4200], vtt[4200],
        pcm[4200];
    sd_media_blob_name(orig, r->m.id, "orig");
    path_in(r, "in", in_path, sizeof(in_path));
    path_in(r, "video.mp4", mp4, sizeof(mp4));
    path_in(r, "poster.jpg", poster, sizeof(poster));
    path_in(r, "sprite.jpg", sprite, sizeof(sprite));
    path_in(r, "thumbnails.vtt", vtt, sizeof(vtt));
    path_in(r, "audio.wav", pcm, sizeof(pcm));

    sd_status st = sd__blob_to_file(blob, orig, in_path, err);
    if (st == SD_OK) {
        st = progress(r, 5, true, err);
    }
    struct sd_media_info in = {0};
    if (st == SD_OK) {
        st = sd_media_probe(in_path, &in, err);
    }
    if (is_permanent(st)) {
        return fail_media(r, sd_arena_strdup(r->ctx->arena, err->msg), err);
    }
    if (st != SD_OK) {
        return st;
    }
    const char *why = refuse(r, &in);
    if (why != NULL) {
        return fail_media(r, why, err);
    }
    r->m.duration_ms = in.duration_ms;
    st = progress(r, 10, true, err);

    struct sd_media_result res = {0};
    if (st == SD_OK) {
        struct sd_media_opts opts = SD_MEDIA_OPTS_DEFAULT;
        opts.duration_ms = in.duration_ms;
        opts.poster_at_ms = in.duration_ms > 2000 ? 1000 : 0;
        if (in.has_video) {
            opts.poster_path = poster;
            opts.sprite_path = sprite;
            opts.vtt_path = vtt;
        }
        st = sd_media_transcode(in_path, mp4, &opts, on_transcode, r, &res, err);
    }
    struct sd_media_info out = {0};
    if (st == SD_OK) {
        st = sd_media_probe(mp4, &out, err);
    }
    if (st == SD_OK && (why = verify(r, &in, &out)) != NULL) {
        st = sd_err_set(err, SD_E_MEDIA, NULL, "%s", why);
    }
    if (st == SD_OK) {
        st = progress(r, 80, true, err);
    }
    if (st == SD_OK) {
        st = sd_media_pcm(in_path, pcm, NULL, err);
    }
    if (st == SD_OK) {
        st = progress(r, 90, true, err);
    }
    if (is_permanent(st)) {
        return fail_media(r, sd_arena_strdup(r->ctx->arena, err->msg), err);
    }
    uint64_t mp4_size = 0;
    static const char *const outs[][2] = {{"mp4", "video.mp4"},
                                          {"poster", "poster.jpg"},
                                          {"sprite", "sprite.jpg"},
                                          {"vtt", "thumbnails.vtt"},
                                          {"pcm", "audio.wav"}};
    for (size_t i = 0; st == SD_OK && i < sizeof(outs) / sizeof(outs[0]); i++) {
        char name[SD_MEDIA_BLOB_NAME], path[4200];
        if (!in.has_video && (i == 1 || i == 2 || i == 3)) {
            continue; /* sound only: no pictures */
        }
        sd_media_blob_name(name, r->m.id, outs[i][0]);
        path_in(r, outs[i][1], path, sizeof(path));
        st = sd__file_to_blob(blob, path, name, i == 0 ? &mp4_size : NULL, err);
    }
    if (st != SD_OK) {
        return st;
    }
    json_t *info = info_json(&in, &out, mp4_size);
    char *text = json_dumps(info, JSON_COMPACT);
    json_decref(info);
    r->m.info = sd_arena_strdup(r->ctx->arena, text ? text : "{}");
    free(text);
    r->m.state = "ready";
    r->m.progress = 100;
    r->m.failure = NULL;
    r->m.size_bytes = (int64_t)mp4_size;
    r->m.updated_at = sd_clock_wall_ms();
    st = ready_and_transcribe(r, err);
    if (st == SD_OK && !r->lim.keep_originals) {
        struct sd_err derr = SD_ERR_INIT;
        if (sd_blob_delete(blob, orig, &derr) != SD_OK && derr.code != SD_E_NOT_FOUND) {
            sd_log(SD_LOG_WARN, "media.delete_failed", "blob=%s error=\"%s\"", orig, derr.msg);
        }
    }
    if (st == SD_OK) {
        sd_log(SD_LOG_INFO, "media.ready",
               "media=%s duration_ms=%lld in_bytes=%lld out_bytes=%llu width=%d height=%d", r->m.id,
               (long long)in.duration_ms, (long long)r->m.upload_length,
               (unsigned long long)mp4_size, out.width, out.height);
    }
    return st;
}

sd_status sd_job_media_process(struct sd_job_ctx *ctx, struct sd_err *err)
{
    if (ctx->env == NULL || ctx->env->blob == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "media.process needs the blob store");
    }
    json_t *p = json_loads(ctx->job->payload, 0, NULL);
    const char *id = sd_arena_strdup(ctx->arena, json_string_value(json_object_get(p, "media_id")));
    json_decref(p);
    if (id == NULL || ctx->job->workspace_id == NULL) {
        return sd_err_set(err, SD_E_INVALID, NULL, "media.process needs a media_id and workspace");
    }
    struct run *r = sd_arena_alloc(ctx->arena, sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->beat = (struct sd__beat)SD__BEAT_INIT;
    sd_status st = sd_store_media_get(ctx->db, ctx->arena, ctx->job->workspace_id, id, &r->m, err);
    if (st == SD_E_NOT_FOUND) {
        sd_log(SD_LOG_INFO, "media.gone", "media=%s", id);
        return SD_OK; /* deleted meanwhile: nothing to do */
    }
    if (st != SD_OK) {
        return st;
    }
    if (strcmp(r->m.state, "ready") == 0 || strcmp(r->m.state, "failed") == 0) {
        return SD_OK;
    }
    if (strcmp(r->m.state, "uploading") == 0) {
        return sd_err_set(err, SD_E_CONFLICT, NULL, "media '%s' is still uploading", id);
    }
    struct sd_workspace ws = {0};
    st = sd_store_workspace_get(ctx->db, ctx->arena, ctx->job->workspace_id, &ws, err);
    if (st != SD_OK) {
        return st;
    }
    sd_media_limits_read(ws.settings, ctx->arena, &r->lim);
    r->m.state = "processing";
    r->m.failure = NULL;
    st = progress(r, 0, true, err);
    if (st == SD_OK) {
        st = sd__scratch_make(r->ctx, r->dir, sizeof(r->dir), err);
    }
    if (st == SD_OK) {
        st = run_steps(r, err);
    }
    if (r->dir[0] != '\0') {
        sd__scratch_remove(r->dir);
    }
    /* The last attempt: the media must not stay "processing" for ever. */
    const char *reason = sd__job_last_failure(ctx, st, "processing", err);
    if (reason != NULL) {
        struct sd_err ferr = SD_ERR_INIT;
        if (fail_media(r, reason, &ferr) != SD_OK) {
            sd_log(SD_LOG_WARN, "media.fail_failed", "media=%s error=\"%s\"", id, ferr.msg);
        }
    }
    return st;
}
