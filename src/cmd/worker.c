/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: `showdesk worker` runs job workers and nothing else, for setups
 * that scale the HTTP front (`serve --no-workers`) and the workers apart on
 * a shared PostgreSQL. Threads: main (signals) and the pool's workers. On
 * SIGTERM or SIGINT the workers finish the jobs they hold and it exits 0; a
 * job cut short by SIGKILL is retried elsewhere once its lease expires.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "base/log.h"
#include "cmd/cmd.h"
#include "domain/analyze.h"
#include "domain/secret.h"
#include "jobs/pool.h"
#include "base/banned.h"

int sd_cmd_worker(int argc, char **argv, char **envp)
{
    struct sd_config cfg;
    struct sd_err err = SD_ERR_INIT;
    int rc = sd_cmd_config("worker",
                           "usage: showdesk worker [--data DIR] [--db URL] [--workers N]\n\n"
                           "Runs job workers only. Takes the settings of 'showdesk serve'.\n",
                           false, argc, argv, envp, &cfg);
    if (rc >= 0) {
        return rc;
    }
    sd_cmd_signals_block();
    cfg.no_workers = false;
    sd_store *store = NULL;
    sd_pool *pool = NULL;
    if (sd_secret_init(&err) != SD_OK ||
        sd_cmd_open_store(&cfg, (size_t)sd_config_workers(&cfg) + 1, &store, &err) != SD_OK) {
        return sd_cmd_fail("worker", &err);
    }
    struct sd_seal_key master;
    sd_blob *blob = NULL;
    if (sd_cmd_master_key(&cfg, &master, &err) != SD_OK ||
        sd_cmd_open_blob(&cfg, &master, &blob, &err) != SD_OK) {
        sd_seal_key_wipe(&master);
        sd_store_close(store);
        return sd_cmd_fail("worker", &err);
    }
    sd_seal_key_wipe(&master);
    sd_analyzer *analyzer = NULL;
    if (sd_cmd_open_analyzer(&cfg, &analyzer, &err) != SD_OK ||
        sd_cmd_start_workers(&cfg, store, blob, analyzer, &pool, &err) != SD_OK) {
        sd_analyzer_free(analyzer);
        sd_store_close(store);
        sd_blob_close(blob);
        return sd_cmd_fail("worker", &err);
    }
    (void)printf("showdesk: %d workers running\n", sd_config_workers(&cfg));
    (void)fflush(stdout);
    sd_log(SD_LOG_INFO, "worker.ready", "workers=%d db=%s", sd_config_workers(&cfg),
           sd_store_driver_name(store));
    int sig = sd_cmd_signals_wait();
    sd_log(SD_LOG_INFO, "worker.stopping", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
    sd_pool_stop(pool);
    sd_store_close(store);
    sd_blob_close(blob);
    sd_analyzer_free(analyzer);
    sd_log(SD_LOG_INFO, "worker.stopped", NULL);
    return 0;
}
