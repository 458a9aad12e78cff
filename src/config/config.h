/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: every setting of `showdesk serve` (and the other subcommands) in
 * ONE table, config.c's `settings[]`. The table drives four things, so they
 * cannot drift apart: defaults, the config file keys (`key = value`), the
 * SHOWDESK_* environment variables, the --flags, and the --help text (which
 * the README copies and a style test compares).
 *
 * Precedence, lowest first: built-in default, config file (--config FILE or
 * SHOWDESK_CONFIG), environment, command-line flags.
 *
 * Loading happens once on the main thread before any other thread starts;
 * the resulting struct sd_config is then read-only and may be read from any
 * thread.
 */
#ifndef SD_CONFIG_CONFIG_H
#define SD_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

#define SD_CONFIG_STR_MAX 1024

struct sd_config {
    char listen_host[256];              /* listen = HOST:PORT, default 127.0.0.1:8080 */
    int listen_port;                    /* 0 = pick a free port (tests) */
    char data_dir[SD_CONFIG_STR_MAX];   /* data, default ./data */
    char db_url[SD_CONFIG_STR_MAX];     /* db; "" = sqlite file DATA/showdesk.db */
    char public_url[SD_CONFIG_STR_MAX]; /* public_url; "" = http://HOST:PORT */
    int http_threads;                   /* threads; 0 = number of cores */
    int db_pool;                        /* db_pool; 0 = threads + 2 */
    int64_t max_body_bytes;             /* max_body, default 1 MiB */
    int request_timeout_s;              /* request_timeout, default 30 */
    int session_ttl_h;                  /* session_ttl_hours, default 168 */
    bool trust_proxy;                   /* trust_proxy: honour X-Forwarded-Proto/-For */
    int login_rate_per_min;             /* login_rate, per client address, default 10 */
    int widget_rate_per_min; /* widget_rate, per publishable key and address, default 60 */
    char log_level[16];      /* log_level: debug, info, warn, error */
    char master_key[64];     /* master_key: base64url of 32 bytes; "" = DATA/master.key */
    int workers;             /* workers: job worker threads; 0 = number of cores */
    bool no_workers;         /* no_workers: serve HTTP only, run no jobs */
    int job_lease_s;         /* job_lease: a job's lease between heartbeats */
    bool encrypt_media;      /* encrypt_media: seal new blob objects */
    char speech_engine[32];  /* speech_engine: pocketsphinx, openai */
    int speech_threads;      /* speech_threads: decoders at once; 0 = number of cores */
    char speech_url[SD_CONFIG_STR_MAX]; /* speech_url: OpenAI-compatible transcription URL */
    char speech_model[128];             /* speech_model, default whisper-1 */
    char triage_model[4096];            /* triage_model: a file; empty = beside the binary */
    char summary_url[1024];             /* summary_url: chat-completions endpoint; "" = none */
    char summary_model[128];            /* summary_model */
    char summary_key[512];              /* summary_key: Bearer token; "" = none */
    int summary_timeout_s;              /* summary_timeout */
    char speech_key[512];               /* speech_key: Bearer token; "" = none */
    int speech_timeout_s;               /* speech_timeout: of one endpoint request */
};

/** Fills @cfg with the built-in defaults. */
void sd_config_defaults(struct sd_config *cfg);

/**
 * Loads the configuration for a subcommand: defaults, then the file, then the
 * environment @envp (NULL-terminated "NAME=value" strings), then @argv flags
 * (argv[0] is skipped). Flags take "--name value" or "--name=value"; a
 * boolean flag alone means true. Unknown flags, keys and bad values are
 * SD_E_INVALID with the setting's name in err->field and what is expected in
 * the message. When --help is given, *@help_out is set and nothing is
 * validated. Remaining positional arguments (not starting with "--") are
 * returned in @rest (borrowed from @argv), at most @rest_cap.
 */
SD_MUST_CHECK sd_status sd_config_load(struct sd_config *cfg, int argc, char **argv, char **envp,
                                       bool *help_out, char **rest, size_t rest_cap,
                                       size_t *n_rest_out, struct sd_err *err);

/**
 * Parses config file text (`key = value` lines, '#' comments, blank lines;
 * values may be "double quoted") into @cfg. @origin names the file in errors,
 * which carry the line number. Used by sd_config_load; public for tests and
 * the fuzzer.
 */
SD_MUST_CHECK sd_status sd_config_parse_file_text(struct sd_config *cfg, const char *text,
                                                  size_t len, const char *origin,
                                                  struct sd_err *err);

/** Sets one setting by its key name from text, as the file, env and flags do. */
SD_MUST_CHECK sd_status sd_config_set(struct sd_config *cfg, const char *key, const char *value,
                                      struct sd_err *err);

/** Prints every setting: flag, environment variable, default and help. */
void sd_config_usage(FILE *out);

/** Resolved values: threads (cores when 0), workers (cores when 0) and pool size. */
int sd_config_threads(const struct sd_config *cfg);
int sd_config_workers(const struct sd_config *cfg);
int sd_config_pool(const struct sd_config *cfg);

#endif
