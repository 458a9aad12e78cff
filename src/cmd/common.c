/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the subcommands share; see cmd.h. */
#include "base/clock.h"
#include "cmd/cmd.h"
#include "domain/analyze.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "base/log.h"
#include "base/enc.h"
#include "blob/blob.h"
#include "blob/seal.h"
#include "domain/signed.h"
#include "jobs/pool.h"
#include "base/banned.h"

int sd_cmd_fail(const char *cmd, const struct sd_err *err)
{
    (void)fprintf(stderr, "showdesk %s: %s\n", cmd,
                  err->msg[0] ? err->msg : sd_status_name(err->code));
    return 1;
}

static sd_status make_dir(const char *path, struct sd_err *err)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            return SD_OK;
        }
        return sd_err_set(err, SD_E_IO, "data", "data folder '%s' exists but is not a folder",
                          path);
    }
    return sd_err_set(err, SD_E_IO, "data",
                      "cannot create data folder '%s': %s (check the parent folder's "
                      "permissions or choose another --data)",
                      path, strerror(errno));
}

sd_status sd_cmd_open_store(const struct sd_config *cfg, size_t n_conns, sd_store **out,
                            struct sd_err *err)
{
    char url[SD_CONFIG_STR_MAX + 32];
    sd_status st = make_dir(cfg->data_dir, err);
    if (st != SD_OK) {
        return st;
    }
    if (cfg->db_url[0] != '\0') {
        (void)snprintf(url, sizeof(url), "%s", cfg->db_url);
    } else {
        (void)snprintf(url, sizeof(url), "sqlite:%s/showdesk.db", cfg->data_dir);
    }
    struct sd_store_opts opts = {.url = url, .n_conns = n_conns};
    sd_store *s = NULL;
    st = sd_store_open(&opts, &s, err);
    if (st != SD_OK) {
        return st;
    }
    sd_db *db = NULL;
    int n_applied = 0;
    st = sd_store_get(s, &db, err);
    if (st == SD_OK) {
        st = sd_store_migrate(db, &n_applied, err);
    }
    sd_store_put(s, db);
    if (st != SD_OK) {
        sd_store_close(s);
        return st;
    }
    if (n_applied > 0) {
        sd_log(SD_LOG_INFO, "store.migrated", "driver=%s applied=%d", sd_store_driver_name(s),
               n_applied);
    }
    *out = s;
    return SD_OK;
}

sd_status sd_cmd_open_analyzer(const struct sd_config *cfg, struct sd_analyzer **out,
                               struct sd_err *err)
{
    int64_t t0 = sd_clock_wall_ms();
    struct sd_llm_opts llm = {.url = cfg->summary_url,
                              .model = cfg->summary_model,
                              .key = cfg->summary_key,
                              .timeout_s = cfg->summary_timeout_s};
    sd_status st = sd_analyzer_new(cfg->triage_model[0] ? cfg->triage_model : NULL, &llm, out, err);
    if (st == SD_OK) {
        sd_log(SD_LOG_INFO, "triage.model", "source=\"%s\" ms=%lld", sd_analyzer_source(*out),
               (long long)(sd_clock_wall_ms() - t0));
    }
    return st;
}

sd_status sd_cmd_start_workers(const struct sd_config *cfg, sd_store *store, sd_blob *blob,
                               struct sd_analyzer *analyzer, struct sd_pool **out,
                               struct sd_err *err)
{
    size_t n_kinds = 0;
    const struct sd_job_kind *kinds = sd_job_kinds(&n_kinds);
    static struct sd_job_env env;
    env = (struct sd_job_env){.cfg = cfg, .blob = blob, .analyzer = analyzer};
    struct sd_pool_opts opts = {.store = store,
                                .env = &env,
                                .lease_ms = (int64_t)cfg->job_lease_s * 1000,
                                .kinds = kinds,
                                .n_kinds = n_kinds,
                                .n_workers = sd_config_workers(cfg),
                                .backoff = SD_BACKOFF_DEFAULT};
    return sd_pool_start(&opts, out, err);
}

int sd_cmd_config(const char *cmd, const char *usage, bool list_settings, int argc, char **argv,
                  char **envp, struct sd_config *cfg)
{
    struct sd_err err = SD_ERR_INIT;
    bool help = false;
    size_t n_rest = 0;
    char *rest[1];
    if (sd_config_load(cfg, argc, argv, envp, &help, rest, 1, &n_rest, &err) != SD_OK) {
        (void)fprintf(stderr, "showdesk %s: %s (see 'showdesk %s --help')\n", cmd, err.msg, cmd);
        return 2;
    }
    if (help) {
        (void)fputs(usage, stdout);
        if (list_settings) {
            sd_config_usage(stdout);
        }
        return 0;
    }
    if (n_rest > 0) {
        (void)fprintf(stderr, "showdesk %s: unexpected argument '%s' (see 'showdesk %s --help')\n",
                      cmd, rest[0], cmd);
        return 2;
    }
    enum sd_log_level level;
    if (sd_log_parse_level(cfg->log_level, &level) == SD_OK) {
        sd_log_set_level(level);
    }
    return -1;
}

static sigset_t stop_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

void sd_cmd_signals_block(void)
{
    sigset_t set = stop_signals();
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL);
    (void)signal(SIGPIPE, SIG_IGN);
}

int sd_cmd_signals_wait(void)
{
    sigset_t set = stop_signals();
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    return sig;
}

void sd_cmd_wake(void *pool)
{
    sd_pool_wake(pool);
}

sd_status sd_cmd_open_blob(const struct sd_config *cfg, const struct sd_seal_key *master,
                           sd_blob **out, struct sd_err *err)
{
    char dir[4096];
    if ((size_t)snprintf(dir, sizeof(dir), "%s/blobs", cfg->data_dir) >= sizeof(dir)) {
        return sd_err_set(err, SD_E_INVALID, "data", "the data folder's path is too long");
    }
    struct sd_blob_opts opts = {.is_plain = !cfg->encrypt_media};
    return sd_blob_open_opts(dir, master, &opts, out, err);
}

void sd_cmd_url_key(const struct sd_seal_key *master, unsigned char out[32])
{
    /* A key of its own for URL signatures, so that no signature can ever
     * be used against the master key. */
    sd_signed_derive_key(master->k, out);
}

sd_status sd_cmd_master_key(const struct sd_config *cfg, struct sd_seal_key *out,
                            struct sd_err *err)
{
    char text[64];
    size_t len = 0;
    if (cfg->master_key[0] != '\0') {
        if (sd_b64url_decode(cfg->master_key, strlen(cfg->master_key), out->k, sizeof(out->k),
                             &len) != SD_OK ||
            len != sizeof(out->k)) {
            return sd_err_set(err, SD_E_INVALID, "master_key",
                              "setting 'master_key' must be base64url of 32 bytes (43 "
                              "characters, no padding)");
        }
        return SD_OK;
    }
    char path[SD_CONFIG_STR_MAX + 16];
    (void)snprintf(path, sizeof(path), "%s/master.key", cfg->data_dir);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        (void)fclose(f);
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
            n--;
        }
        if (sd_b64url_decode(text, n, out->k, sizeof(out->k), &len) != SD_OK ||
            len != sizeof(out->k)) {
            return sd_err_set(err, SD_E_INVALID, "master_key",
                              "'%s' does not hold a master key (43 base64url characters); "
                              "restore it from a backup: without it stored media cannot be read",
                              path);
        }
        return SD_OK;
    }
    if (errno != ENOENT) {
        return sd_err_set(err, SD_E_IO, "master_key", "cannot read '%s': %s", path,
                          strerror(errno));
    }
    sd_seal_keygen(out);
    sd_b64url_encode(out->k, sizeof(out->k), text);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return sd_err_set(err, SD_E_IO, "master_key", "cannot create '%s': %s", path,
                          strerror(errno));
    }
    size_t n = strlen(text);
    text[n++] = '\n';
    bool ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    (void)close(fd);
    if (!ok) {
        (void)unlink(path);
        return sd_err_set(err, SD_E_IO, "master_key", "cannot write '%s'", path);
    }
    sd_log(SD_LOG_WARN, "blob.master_key_created",
           "path=%s msg=\"back this file up: stored media cannot be read without it\"", path);
    return SD_OK;
}
