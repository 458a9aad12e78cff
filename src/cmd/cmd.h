/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the subcommands of the showdesk binary, one file each. main.c maps
 * argv[1] to one of these; each takes the remaining arguments and the
 * environment and returns the process exit code (0 ok, 1 failure, 2 usage).
 * Errors go to stderr as one sentence that says what failed and what to do.
 * Main thread only.
 */
#ifndef SD_CMD_CMD_H
#define SD_CMD_CMD_H

#include <stdbool.h>

#include "base/err.h"
#include "config/config.h"
#include "blob/blob.h"
#include "store/store.h"

int sd_cmd_serve(int argc, char **argv, char **envp);
int sd_cmd_migrate(int argc, char **argv, char **envp);
int sd_cmd_admin(int argc, char **argv, char **envp);
int sd_cmd_demo(int argc, char **argv, char **envp);
int sd_cmd_worker(int argc, char **argv, char **envp);
int sd_cmd_version(int argc, char **argv, char **envp);
int sd_cmd_transcribe(int argc, char **argv, char **envp);
int sd_cmd_train(int argc, char **argv, char **envp);
int sd_cmd_triage(int argc, char **argv, char **envp);
int sd_cmd_eval(int argc, char **argv, char **envp);
int sd_cmd_kb(int argc, char **argv, char **envp);

/**
 * Creates the data folder, opens the store that @cfg names (SQLite in the
 * data folder by default) with @n_conns connections, and migrates it.
 * Caller owns *@out.
 */
SD_MUST_CHECK sd_status sd_cmd_open_store(const struct sd_config *cfg, size_t n_conns,
                                          sd_store **out, struct sd_err *err);

struct sd_seal_key;
/**
 * The master key that wraps media keys: cfg->master_key when set, else the
 * one in DATA/master.key, made (mode 0600) on first start.
 */
SD_MUST_CHECK sd_status sd_cmd_master_key(const struct sd_config *cfg, struct sd_seal_key *out,
                                          struct sd_err *err);

struct sd_pool;
struct sd_analyzer;
/** Starts cfg->workers job workers on @store with the built-in job kinds. */
SD_MUST_CHECK sd_status sd_cmd_start_workers(const struct sd_config *cfg, sd_store *store,
                                             sd_blob *blob, struct sd_analyzer *analyzer,
                                             struct sd_pool **out, struct sd_err *err);
/** The analyzer with the model cfg->triage_model names (or the default), logged. */
SD_MUST_CHECK sd_status sd_cmd_open_analyzer(const struct sd_config *cfg, struct sd_analyzer **out,
                                             struct sd_err *err);
/** sd_pool_wake for struct sd_app's wake hook. */
void sd_cmd_wake(void *pool);
/** Opens the blob store in DATA/blobs with @master. */
SD_MUST_CHECK sd_status sd_cmd_open_blob(const struct sd_config *cfg,
                                         const struct sd_seal_key *master, sd_blob **out,
                                         struct sd_err *err);
/** The key that signs media URLs, derived from @master. */
void sd_cmd_url_key(const struct sd_seal_key *master, unsigned char out[32]);

/**
 * Loads the settings of @cmd, a command that takes options only, and sets the
 * log level. On --help prints @usage (and the settings table when
 * @list_settings). Returns -1 to go on, else the exit code to return (0 after
 * --help, 2 for a bad option or argument, with the message on stderr).
 */
int sd_cmd_config(const char *cmd, const char *usage, bool list_settings, int argc, char **argv,
                  char **envp, struct sd_config *cfg);

/** Blocks SIGINT and SIGTERM in this thread and the threads it starts later. */
void sd_cmd_signals_block(void);
/** Waits for SIGINT or SIGTERM (blocked before) and returns which. */
int sd_cmd_signals_wait(void);

struct sd_corpus_article;
/**
 * Puts @n help articles into workspace @ws, published: an article whose id
 * (its external_id) is there already is updated, the others are created;
 * the counts go to *@created and *@updated. Run it in a transaction.
 */
SD_MUST_CHECK sd_status sd_cmd_put_articles(sd_db *db, sd_arena *a, const char *ws,
                                            const struct sd_corpus_article *arts, size_t n,
                                            long long *created, long long *updated,
                                            struct sd_err *err);

/** Prints "showdesk <cmd>: <message>" for @err to stderr; returns 1. */
int sd_cmd_fail(const char *cmd, const struct sd_err *err);

#endif
