/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: /healthz (the process answers), /readyz (it can reach its
 * database: load balancers send traffic only then) and /metrics (Prometheus
 * text). None needs credentials and none reveals workspace data.
 */
#include "api/internal.h"
#include "http/metrics.h"
#include "sd_version.h"
#include "base/banned.h"

void sd_api_healthz(struct sd_req *req, struct sd_resp *resp)
{
    (void)req;
    sd_resp_json(resp, 200, json_pack("{s:s, s:s}", "status", "ok", "version", SD_VERSION));
}

void sd_api_readyz(struct sd_req *req, struct sd_resp *resp)
{
    sd_db *db;
    struct sd_err err = SD_ERR_INIT;
    if (sd_req_db(req, &db, &err) != SD_OK || !sd_store_ping(db)) {
        sd_resp_json(resp, 503,
                     json_pack("{s:s, s:s}", "status", "unavailable", "database",
                               "no connection to the database"));
        return;
    }
    sd_resp_json(resp, 200,
                 json_pack("{s:s, s:s}", "status", "ready", "database",
                           sd_store_driver_name(req->app->store)));
}

void sd_api_metrics(struct sd_req *req, struct sd_resp *resp)
{
    sd_buf_reset(&resp->body);
    if (sd_metrics_render(req->app->metrics, req->app->store, &resp->body) != SD_OK) {
        sd_resp_fail(resp, SD_E_INTERNAL, NULL, "metrics do not fit the response buffer");
        return;
    }
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
