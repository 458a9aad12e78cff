/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: `showdesk serve`, the whole system in one process.
 *
 * Threads:
 *   main   loads the configuration, opens and migrates the store, starts the
 *          HTTP server, then waits for SIGINT or SIGTERM (blocked in every
 *          thread, taken with sigwait here) and shuts down: stop accepting,
 *          finish requests in flight (up to 10 s), close the store, exit 0.
 *   http   libmicrohttpd's pool, one thread per core (src/http/server.c);
 *          each request borrows one database connection from the pool.
 *   jobs   the worker pool (src/jobs/pool.c), one thread per core unless
 *          --no-workers leaves jobs to `showdesk worker` processes.
 * The database pool is sized threads + workers + 2 so that nobody waits for a
 * connection while the CLI or a health probe holds one. On shutdown the HTTP
 * server stops first, then the workers finish the jobs they hold.
 *
 * When the server is ready it prints one line to stdout:
 *   showdesk: listening on http://HOST:PORT
 * which scripts and tests wait for (with --listen 127.0.0.1:0 the port is
 * the one the kernel chose).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "api/api.h"
#include "base/log.h"
#include "cmd/cmd.h"
#include "domain/analyze.h"
#include "domain/secret.h"
#include "http/http.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "blob/seal.h"
#include "jobs/pool.h"
#include "base/banned.h"

#define SHUTDOWN_GRACE_MS 10000

static int run(const struct sd_config *cfg)
{
    struct sd_err err = SD_ERR_INIT;
    sd_store *store = NULL;
    sd_http_server *srv = NULL;
    sd_pool *pool = NULL;
    int port = 0;
    int rc = 1;

    /* Blocked before any thread starts, so every thread inherits the mask
     * and only the wait below takes them. */
    sd_cmd_signals_block();

    struct sd_seal_key master;
    if (sd_secret_init(&err) != SD_OK ||
        sd_cmd_open_store(cfg, (size_t)sd_config_pool(cfg), &store, &err) != SD_OK) {
        return sd_cmd_fail("serve", &err);
    }
    /* Made or checked now, so a lost or mistyped key stops the start, not an upload. */
    if (sd_cmd_master_key(cfg, &master, &err) != SD_OK) {
        sd_store_close(store);
        return sd_cmd_fail("serve", &err);
    }
    sd_blob *blob = NULL;
    if (sd_cmd_open_blob(cfg, &master, &blob, &err) != SD_OK) {
        sd_seal_key_wipe(&master);
        sd_store_close(store);
        return sd_cmd_fail("serve", &err);
    }

    sd_analyzer *analyzer = NULL;
    if (sd_cmd_open_analyzer(cfg, &analyzer, &err) != SD_OK) {
        sd_seal_key_wipe(&master);
        sd_blob_close(blob);
        sd_store_close(store);
        return sd_cmd_fail("serve", &err);
    }
    size_t n_routes = 0;
    const struct sd_route *routes = sd_api_routes(&n_routes);
    struct sd_app app = {
        .cfg = cfg,
        .store = store,
        .routes = routes,
        .n_routes = n_routes,
        .metrics = sd_metrics_new(routes, n_routes),
        .rate = sd_rate_new(),
        .is_https = strncmp(cfg->public_url, "https://", 8) == 0,
        .blob = blob,
        .analyzer = analyzer,
    };
    sd_cmd_url_key(&master, app.url_key);
    sd_seal_key_wipe(&master);
    if (!cfg->no_workers) {
        if (sd_cmd_start_workers(cfg, store, blob, analyzer, &pool, &err) != SD_OK) {
            rc = sd_cmd_fail("serve", &err);
            goto out;
        }
        app.wake = sd_cmd_wake;
        app.wake_cls = pool;
    }
    if (sd_http_start(&app, &srv, &port, &err) != SD_OK) {
        rc = sd_cmd_fail("serve", &err);
        goto out;
    }
    const char *host = cfg->listen_host;
    bool is_v6 = strchr(host, ':') != NULL;
    (void)printf("showdesk: listening on http://%s%s%s:%d\n", is_v6 ? "[" : "", host,
                 is_v6 ? "]" : "", port);
    (void)fflush(stdout);
    sd_log(SD_LOG_INFO, "serve.ready", "listen=%s:%d db=%s threads=%d workers=%d pool=%d data=%s",
           host, port, sd_store_driver_name(store), sd_config_threads(cfg),
           cfg->no_workers ? 0 : sd_config_workers(cfg), sd_config_pool(cfg), cfg->data_dir);

    int sig = sd_cmd_signals_wait();
    sd_log(SD_LOG_INFO, "serve.stopping", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
    sd_http_stop(srv, SHUTDOWN_GRACE_MS);
    rc = 0;
out:
    sd_pool_stop(pool);
    if (rc == 0) {
        sd_log(SD_LOG_INFO, "serve.stopped", NULL);
    }
    sd_metrics_free(app.metrics);
    sd_rate_free(app.rate);
    sd_store_close(store);
    sd_blob_close(blob);
    sd_analyzer_free(analyzer);
    sodium_memzero(app.url_key, sizeof(app.url_key));
    return rc;
}

int sd_cmd_serve(int argc, char **argv, char **envp)
{
    struct sd_config cfg;
    int rc = sd_cmd_config("serve",
                           "usage: showdesk serve [options]\n\n"
                           "Runs the Showdesk server. Every option can also be set in the config "
                           "file\n(key = value) or as an environment variable; flags win over the "
                           "environment,\nwhich wins over the file.\n\n",
                           true, argc, argv, envp, &cfg);
    return rc >= 0 ? rc : run(&cfg);
}
