/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the jobs of triage (domain/analyze.h).
 *
 * ticket.analyze runs the analysis of a ticket again when it has more to go
 * on: a customer's new message, a recording's transcript, or a failed first
 * try at creation. It may offer a help article (a ticket that is still new
 * and was never offered one). Idempotent: the analysis of the same text
 * writes the same result.
 *
 * triage.train trains the job's workspace's own model (the built-in corpus
 * plus its agents' corrections); triage.retrain, hourly, enqueues it for
 * each workspace whose settings ask for it (triage.retrain_hours) once that
 * many hours have passed since its last model and agents have corrected
 * something since.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/rand.h"
#include "domain/analyze.h"
#include "jobs/kinds.h"
#include "base/banned.h"

sd_status sd_job_enqueue_analyze(sd_db *db, const char *ws_id, const char *ticket_id,
                                 const char *reason, struct sd_err *err)
{
    char key[2 * SD_ID_MAX + 16], payload[SD_ID_MAX + 32];
    (void)snprintf(key, sizeof key, "analyze:%s:%s", ticket_id, reason);
    (void)snprintf(payload, sizeof payload, "{\"ticket_id\":\"%s\"}", ticket_id);
    return sd_job_enqueue(db, SD_JOB_TICKET_ANALYZE, ws_id, key, payload, 5, NULL, err);
}

sd_status sd_job_ticket_analyze(struct sd_job_ctx *ctx, struct sd_err *err)
{
    if (ctx->env == NULL || ctx->env->analyzer == NULL) {
        return sd_err_set(err, SD_E_INTERNAL, NULL, "ticket.analyze needs the analyzer");
    }
    json_t *p = json_loads(ctx->job->payload ? ctx->job->payload : "", 0, NULL);
    const char *tid = json_string_value(json_object_get(p, "ticket_id"));
    char ticket[SD_ID_MAX] = "";
    if (tid != NULL) {
        (void)snprintf(ticket, sizeof ticket, "%s", tid);
    }
    json_decref(p);
    if (ticket[0] == '\0' || ctx->job->workspace_id == NULL) {
        return sd_err_set(err, SD_E_INVALID, "payload", "ticket.analyze needs {\"ticket_id\"}");
    }
    struct sd_analysis an;
    /* No transaction: the analysis, and a summary endpoint, take time that
     * must not hold the database's write lock. */
    sd_status st = sd_analyze_ticket(ctx->env->analyzer, ctx->db, ctx->arena,
                                     ctx->job->workspace_id, ticket, true, true, &an, err);
    if (st == SD_E_NOT_FOUND) {
        /* The ticket was deleted meanwhile: nothing left to do. */
        sd_log(SD_LOG_INFO, "ticket.analyze_gone", "ticket=%s", ticket);
        return SD_OK;
    }
    if (st == SD_OK) {
        sd_log(SD_LOG_INFO, "ticket.analyzed",
               "ticket=%s category=%s urgency=%s area=%s sentiment=%s matches=%zu offered=%s",
               ticket, an.triage.f[SD_TRI_CATEGORY].value, an.triage.f[SD_TRI_URGENCY].value,
               an.triage.f[SD_TRI_AREA].value, an.triage.f[SD_TRI_SENTIMENT].value, an.n_matches,
               an.deflection ? "yes" : "no");
    }
    return st;
}

sd_status sd_job_triage_train(struct sd_job_ctx *ctx, struct sd_err *err)
{
    const char *ws = ctx->job->workspace_id;
    if (ws == NULL) {
        return sd_err_set(err, SD_E_INVALID, "workspace_id", "triage.train needs a workspace");
    }
    struct sd_workspace w;
    struct sd_triage_model_row row;
    int64_t t0 = sd_clock_wall_ms();
    sd_status st = sd_store_workspace_get(ctx->db, ctx->arena, ws, &w, err);
    if (st == SD_OK) {
        st = sd_analyzer_train_workspace(ctx->db, ctx->arena, ws, w.settings, &row, err);
    }
    if (st == SD_OK) {
        sd_log(SD_LOG_INFO, "triage.trained",
               "workspace=%s model=%s examples=%lld corrections=%lld ms=%lld", ws, row.id,
               (long long)row.n_examples, (long long)row.n_corrections,
               (long long)(sd_clock_wall_ms() - t0));
    }
    return st;
}

sd_status sd_job_triage_retrain(struct sd_job_ctx *ctx, struct sd_err *err)
{
    struct sd_workspace *ws;
    size_t n = 0;
    sd_status st = sd_store_workspace_list(ctx->db, ctx->arena, 10000, &ws, &n, err);
    int64_t now = sd_clock_wall_ms();
    for (size_t i = 0; i < n && st == SD_OK; i++) {
        struct sd_triage_settings set;
        sd_triage_settings_read(ws[i].settings, ctx->arena, &set);
        if (set.retrain_hours <= 0) {
            continue;
        }
        struct sd_triage_model_row last;
        int64_t since = 0;
        if (sd_store_triage_model_latest(ctx->db, ctx->arena, ws[i].id, false, &last, NULL) ==
            SD_OK) {
            since = last.created_at;
        }
        if (since != 0 && now - since < set.retrain_hours * INT64_C(3600) * 1000) {
            continue;
        }
        /* Only when agents corrected something since the last model. */
        struct sd_triage_correction *c;
        size_t nc = 0;
        const char *after = NULL;
        bool fresh = false;
        do {
            st = sd_store_correction_list(ctx->db, ctx->arena, ws[i].id, after, 100, &c, &nc, err);
            for (size_t k = 0; k < nc && st == SD_OK; k++) {
                fresh = fresh || c[k].created_at > since;
            }
            after = nc > 0 ? c[nc - 1].id : NULL;
        } while (st == SD_OK && nc == 100 && !fresh);
        if (st == SD_OK && fresh) {
            char key[SD_ID_MAX + 48];
            (void)snprintf(key, sizeof key, "triage.train:%s:%lld", ws[i].id,
                           (long long)(now / (INT64_C(3600) * 1000)));
            st = sd_job_enqueue(ctx->db, SD_JOB_TRIAGE_TRAIN, ws[i].id, key, NULL, 2, NULL, err);
        }
    }
    return st;
}
