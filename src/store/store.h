/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the store, Showdesk's one interface to its database.
 *
 * sd_store owns a pool of connections to one database, through one of two
 * drivers (driver.h): SQLite for the single box, PostgreSQL to scale out. All
 * SQL lives in this folder and, outside the drivers, is portable; callers see
 * plain structs (model.h) and never SQL.
 *
 * Flow: a thread takes a connection with sd_store_get, runs any number of
 * sd_store_* calls on it (optionally inside sd_store_begin/commit), and gives
 * it back with sd_store_put. Every call that reads or writes workspace data
 * takes the workspace id and puts it in its WHERE clause: an object of
 * another workspace is simply not found. That is the isolation rule, and it
 * lives here so no caller can forget it.
 *
 * Ownership: rows come back in the caller's arena; text fields of structs
 * passed in are borrowed for the call. sd_store is MT safe; an sd_db is used
 * by one thread at a time, between get and put.
 */
#ifndef SD_STORE_STORE_H
#define SD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/model.h"

typedef struct sd_store sd_store;
typedef struct sd_db sd_db;

struct sd_store_opts {
    const char *url;  /* "postgres://…", "postgresql://…", "sqlite:PATH" or a file path */
    size_t n_conns;   /* pool size; 0 = 4 */
    uint64_t wait_ms; /* how long sd_store_get waits for a free connection; 0 = 5000 */
};

/** Opens the pool (connects lazily beyond the first); caller owns the result. */
SD_MUST_CHECK sd_status sd_store_open(const struct sd_store_opts *opts, sd_store **out,
                                      struct sd_err *err);
/** Closes every connection; all sd_db must have been put back. NULL is a no-op. */
void sd_store_close(sd_store *s);
/** "sqlite" or "postgres". */
const char *sd_store_driver_name(const sd_store *s);

/** Takes a connection, waiting up to wait_ms; SD_E_AGAIN when none frees up. */
SD_MUST_CHECK sd_status sd_store_get(sd_store *s, sd_db **out, struct sd_err *err);
/** Gives @db back; a transaction still open is rolled back. NULL is a no-op. */
void sd_store_put(sd_store *s, sd_db *db);

struct sd_store_stats {
    size_t n_conns;      /* pool size */
    size_t n_in_use;     /* connections handed out now */
    uint64_t n_waits;    /* sd_store_get calls that had to wait */
    uint64_t n_timeouts; /* sd_store_get calls that gave up */
};
void sd_store_stats(sd_store *s, struct sd_store_stats *out);

/** True when a connection answers a trivial query (for /readyz). */
bool sd_store_ping(sd_db *db);

SD_MUST_CHECK sd_status sd_store_begin(sd_db *db, struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_commit(sd_db *db, struct sd_err *err);
void sd_store_rollback(sd_db *db);

/**
 * Applies the embedded migrations that are not applied yet, each in its own
 * transaction, under the driver's migration lock. @n_applied_out is nullable.
 */
SD_MUST_CHECK sd_status sd_store_migrate(sd_db *db, int *n_applied_out, struct sd_err *err);
/** The highest migration applied, 0 for a fresh database. */
SD_MUST_CHECK sd_status sd_store_schema_version(sd_db *db, int *out, struct sd_err *err);

/* ---- workspaces ------------------------------------------------------ */

SD_MUST_CHECK sd_status sd_store_workspace_insert(sd_db *db, const struct sd_workspace *w,
                                                  struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_workspace_get(sd_db *db, sd_arena *a, const char *id,
                                               struct sd_workspace *out, struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_workspace_update(sd_db *db, const struct sd_workspace *w,
                                                  struct sd_err *err);
/**
 * Locks the workspace's row until the end of the current transaction, so
 * that checks spanning several rows of it (the last admin) cannot race: a
 * second transaction doing the same waits. Portable: an UPDATE that changes
 * nothing takes the row lock on PostgreSQL; SQLite's write transaction
 * already holds the database.
 */
SD_MUST_CHECK sd_status sd_store_workspace_lock(sd_db *db, const char *id, struct sd_err *err);
/** All workspaces, oldest first, at most @limit. */
SD_MUST_CHECK sd_status sd_store_workspace_list(sd_db *db, sd_arena *a, size_t limit,
                                                struct sd_workspace **out, size_t *n_out,
                                                struct sd_err *err);

/* ---- agents ---------------------------------------------------------- */

SD_MUST_CHECK sd_status sd_store_agent_insert(sd_db *db, const struct sd_agent *ag,
                                              struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_agent_get(sd_db *db, sd_arena *a, const char *ws_id,
                                           const char *id, struct sd_agent *out,
                                           struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_agent_update(sd_db *db, const struct sd_agent *ag,
                                              struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_agent_delete(sd_db *db, const char *ws_id, const char *id,
                                              struct sd_err *err);
/** Agents of a workspace, oldest first (page by @after_id, nullable). */
SD_MUST_CHECK sd_status sd_store_agent_list(sd_db *db, sd_arena *a, const char *ws_id,
                                            const char *after_id, size_t limit,
                                            struct sd_agent **out, size_t *n_out,
                                            struct sd_err *err);
/** Agents with @email in any workspace (for login), at most @limit. */
SD_MUST_CHECK sd_status sd_store_agent_find_email(sd_db *db, sd_arena *a, const char *email,
                                                  size_t limit, struct sd_agent **out,
                                                  size_t *n_out, struct sd_err *err);
/** Number of admins in a workspace (the last one may not be demoted or removed). */
SD_MUST_CHECK sd_status sd_store_agent_count_admins(sd_db *db, const char *ws_id, int64_t *out,
                                                    struct sd_err *err);

/* ---- customers ------------------------------------------------------- */

SD_MUST_CHECK sd_status sd_store_customer_insert(sd_db *db, const struct sd_customer *c,
                                                 struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_customer_get(sd_db *db, sd_arena *a, const char *ws_id,
                                              const char *id, struct sd_customer *out,
                                              struct sd_err *err);
/**
 * Inserts @c unless a customer with its external id or email exists (then
 * *@created_out is false and nothing changes). Safe against a concurrent
 * insert of the same customer: no unique violation, no aborted transaction.
 */
SD_MUST_CHECK sd_status sd_store_customer_insert_new(sd_db *db, const struct sd_customer *c,
                                                     bool *created_out, struct sd_err *err);
/** Finds by external id when non-NULL, else by email; SD_E_NOT_FOUND if neither matches. */
SD_MUST_CHECK sd_status sd_store_customer_find(sd_db *db, sd_arena *a, const char *ws_id,
                                               const char *external_id, const char *email,
                                               struct sd_customer *out, struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_customer_update(sd_db *db, const struct sd_customer *c,
                                                 struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_customer_delete(sd_db *db, const char *ws_id, const char *id,
                                                 struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_customer_list(sd_db *db, sd_arena *a, const char *ws_id,
                                               const char *after_id, size_t limit,
                                               struct sd_customer **out, size_t *n_out,
                                               struct sd_err *err);

/* ---- API keys -------------------------------------------------------- */

SD_MUST_CHECK sd_status sd_store_key_insert(sd_db *db, const struct sd_api_key *k,
                                            struct sd_err *err);
/** A key that is not revoked, by the hash of its secret, in any workspace. */
SD_MUST_CHECK sd_status sd_store_key_find_hash(sd_db *db, sd_arena *a, const char *key_hash,
                                               struct sd_api_key *out, struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_key_get(sd_db *db, sd_arena *a, const char *ws_id, const char *id,
                                         struct sd_api_key *out, struct sd_err *err);
/** Marks a key revoked at @now_ms; SD_E_NOT_FOUND if absent or already revoked. */
SD_MUST_CHECK sd_status sd_store_key_revoke(sd_db *db, const char *ws_id, const char *id,
                                            int64_t now_ms, struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_key_touch(sd_db *db, const char *id, int64_t now_ms,
                                           struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_key_list(sd_db *db, sd_arena *a, const char *ws_id,
                                          const char *after_id, size_t limit,
                                          struct sd_api_key **out, size_t *n_out,
                                          struct sd_err *err);

/* ---- sessions -------------------------------------------------------- */

SD_MUST_CHECK sd_status sd_store_session_insert(sd_db *db, const struct sd_session *se,
                                                struct sd_err *err);
/** A session that has not expired at @now_ms, by the hash of its token. */
SD_MUST_CHECK sd_status sd_store_session_find_hash(sd_db *db, sd_arena *a, const char *token_hash,
                                                   int64_t now_ms, struct sd_session *out,
                                                   struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_session_delete(sd_db *db, const char *id, struct sd_err *err);
/** Removes every session that expired before @now_ms; *@n_out (nullable) says how many. */
SD_MUST_CHECK sd_status sd_store_session_purge(sd_db *db, int64_t now_ms, int64_t *n_out,
                                               struct sd_err *err);
/** Removes every session of an agent (password change, removal). */
SD_MUST_CHECK sd_status sd_store_session_delete_agent(sd_db *db, const char *ws_id,
                                                      const char *agent_id, struct sd_err *err);

/* ---- tickets --------------------------------------------------------- */

SD_MUST_CHECK sd_status sd_store_ticket_insert(sd_db *db, const struct sd_ticket *t,
                                               struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_ticket_get(sd_db *db, sd_arena *a, const char *ws_id,
                                            const char *id, struct sd_ticket *out,
                                            struct sd_err *err);
/** Writes every mutable column of @t (matched by workspace and id). */
SD_MUST_CHECK sd_status sd_store_ticket_update(sd_db *db, const struct sd_ticket *t,
                                               struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_ticket_delete(sd_db *db, const char *ws_id, const char *id,
                                               struct sd_err *err);

enum sd_ticket_sort { SD_SORT_CREATED, SD_SORT_UPDATED };

struct sd_ticket_filter {
    const char *status;      /* nullable: any */
    const char *assignee_id; /* nullable: any; "none": unassigned */
    const char *category;    /* nullable */
    const char *urgency;     /* nullable */
    const char *channel;     /* nullable */
    const char *customer_id; /* nullable */
    enum sd_ticket_sort sort;
    bool is_ascending;
    /* Keyset cursor: the sort key and id of the last row already seen. */
    bool has_cursor;
    int64_t cursor_key;
    const char *cursor_id;
    size_t limit; /* 1..100 */
};

/**
 * One page of tickets. *@has_more_out tells whether rows follow the last one
 * returned.
 */
SD_MUST_CHECK sd_status sd_store_ticket_list(sd_db *db, sd_arena *a, const char *ws_id,
                                             const struct sd_ticket_filter *f,
                                             struct sd_ticket **out, size_t *n_out,
                                             bool *has_more_out, struct sd_err *err);

/* ---- messages and activity ------------------------------------------- */

SD_MUST_CHECK sd_status sd_store_message_insert(sd_db *db, const struct sd_message *m,
                                                struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_message_get(sd_db *db, sd_arena *a, const char *ws_id,
                                             const char *id, struct sd_message *out,
                                             struct sd_err *err);
/** Messages of a ticket, oldest first, after @after_id (nullable). */
SD_MUST_CHECK sd_status sd_store_message_list(sd_db *db, sd_arena *a, const char *ws_id,
                                              const char *ticket_id, bool include_internal,
                                              const char *after_id, size_t limit,
                                              struct sd_message **out, size_t *n_out,
                                              struct sd_err *err);

SD_MUST_CHECK sd_status sd_store_activity_insert(sd_db *db, const struct sd_activity *ev,
                                                 struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_activity_list(sd_db *db, sd_arena *a, const char *ws_id,
                                               const char *ticket_id, const char *after_id,
                                               size_t limit, struct sd_activity **out,
                                               size_t *n_out, struct sd_err *err);

/* ---- media -------------------------------------------------------------- */

SD_MUST_CHECK sd_status sd_store_media_insert(sd_db *db, const struct sd_media *m,
                                              struct sd_err *err);
/** The media @id of workspace @ws_id, or of any workspace when @ws_id is NULL. */
SD_MUST_CHECK sd_status sd_store_media_get(sd_db *db, sd_arena *a, const char *ws_id,
                                           const char *id, struct sd_media *out,
                                           struct sd_err *err);
/** Writes every column after created_at; SD_E_NOT_FOUND when gone. */
SD_MUST_CHECK sd_status sd_store_media_update(sd_db *db, const struct sd_media *m,
                                              struct sd_err *err);
/**
 * Writes the processing columns of @m (state, progress, failure, info,
 * duration_ms, size_bytes, updated_at) and nothing else, so that a job does
 * not undo what requests change meanwhile (an attachment).
 */
SD_MUST_CHECK sd_status sd_store_media_processed(sd_db *db, const struct sd_media *m,
                                                 struct sd_err *err);
/**
 * Moves an upload's offset from @from to @to (and its deadline), only if it
 * is still uploading at @from: SD_E_CONFLICT when another request moved it,
 * SD_E_NOT_FOUND when it is gone.
 */
SD_MUST_CHECK sd_status sd_store_media_advance(sd_db *db, const char *ws_id, const char *id,
                                               int64_t from, int64_t to, int64_t expires_at,
                                               int64_t now_ms, struct sd_err *err);
/** Attaches complete media to a message; SD_E_CONFLICT when attached or incomplete. */
SD_MUST_CHECK sd_status sd_store_media_attach(sd_db *db, const char *ws_id, const char *id,
                                              const char *message_id, int64_t now_ms,
                                              struct sd_err *err);
/** The media attached to message @message_id, oldest first. */
SD_MUST_CHECK sd_status sd_store_media_of_message(sd_db *db, sd_arena *a, const char *ws_id,
                                                  const char *message_id, struct sd_media **out,
                                                  size_t *n_out, struct sd_err *err);
/** Uploads still incomplete at @now_ms past their deadline, at most @limit. */
SD_MUST_CHECK sd_status sd_store_media_expired(sd_db *db, sd_arena *a, int64_t now_ms, size_t limit,
                                               struct sd_media **out, size_t *n_out,
                                               struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_media_delete(sd_db *db, const char *ws_id, const char *id,
                                              struct sd_err *err);

/* ---- jobs -------------------------------------------------------------- */

/**
 * Enqueues @j (state queued, attempts 0) unless a job with its idempotency
 * key exists; *@created_out says which, and @id_out (nullable, SD_ID_MAX
 * bytes) gets the id of the job that holds the key either way.
 */
SD_MUST_CHECK sd_status sd_store_job_enqueue(sd_db *db, const struct sd_job *j, bool *created_out,
                                             char *id_out, struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_job_get(sd_db *db, sd_arena *a, const char *id, struct sd_job *out,
                                         struct sd_err *err);
/**
 * Leases the next job that is due at @now_ms (queued and run_at passed, or
 * running with an expired lease) for @owner until @now_ms + @lease_ms, and
 * counts an attempt. Only jobs of the @n_kinds @kinds are taken (all when
 * @kinds is NULL), so a process never holds a job it cannot run. *@got_out
 * is false when nothing is due. Two workers never hold the same job: the
 * claim re-checks the state in its UPDATE.
 */
SD_MUST_CHECK sd_status sd_store_job_lease(sd_db *db, sd_arena *a, const char *owner,
                                           const char *const *kinds, size_t n_kinds, int64_t now_ms,
                                           int64_t lease_ms, struct sd_job *out, bool *got_out,
                                           struct sd_err *err);
/**
 * Extends the lease to @lease_until and records @progress (0..100).
 * SD_E_CONFLICT when @owner no longer holds the job (its lease expired and
 * another worker took it): stop working on it.
 */
SD_MUST_CHECK sd_status sd_store_job_heartbeat(sd_db *db, const char *id, const char *owner,
                                               int64_t lease_until, int64_t progress,
                                               struct sd_err *err);
/** Marks the job done; SD_E_CONFLICT when @owner lost it (then it runs again elsewhere). */
SD_MUST_CHECK sd_status sd_store_job_complete(sd_db *db, const char *id, const char *owner,
                                              int64_t now_ms, struct sd_err *err);
/**
 * Records a failure with @error: back to queued to run at @retry_at_ms, or,
 * when @retry_at_ms is 0, dead for good. SD_E_CONFLICT when @owner lost it.
 */
SD_MUST_CHECK sd_status sd_store_job_fail(sd_db *db, const char *id, const char *owner,
                                          int64_t now_ms, const char *error, int64_t retry_at_ms,
                                          struct sd_err *err);

/* ---- transcripts and search --------------------------------------------- */

/** Sets where the recognition of media @id stands; SD_E_NOT_FOUND when gone. */
SD_MUST_CHECK sd_status sd_store_media_transcript(sd_db *db, const char *ws_id, const char *id,
                                                  const char *state, int64_t progress,
                                                  const char *failure, int64_t now_ms,
                                                  struct sd_err *err);
/**
 * Stores (or replaces) the transcript @t and makes its @n_segs segments
 * searchable, replacing what was indexed for that media. Run it in a
 * transaction so that both change together.
 */
SD_MUST_CHECK sd_status sd_store_transcript_put(sd_db *db, const struct sd_transcript_row *t,
                                                const struct sd_search_seg *segs, size_t n_segs,
                                                struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_transcript_get(sd_db *db, sd_arena *a, const char *ws_id,
                                                const char *media_id, struct sd_transcript_row *out,
                                                struct sd_err *err);
/**
 * Full-text search over the workspace's ticket subjects, messages (internal
 * notes only when @include_internal) and transcript segments, best first:
 * FTS5 with BM25 on SQLite, a tsvector with ts_rank on PostgreSQL, English
 * stemming on both. Words are all required; "quoted words" are a phrase.
 * No words in @q: no hits.
 */
SD_MUST_CHECK sd_status sd_store_search(sd_db *db, sd_arena *a, const char *ws_id, const char *q,
                                        bool include_internal, size_t limit,
                                        struct sd_search_hit **out, size_t *n_out,
                                        struct sd_err *err);

/* ---- triage and the knowledge base -------------------------------------- */

/* What triage made of a ticket (all strings borrowed). */
struct sd_ticket_triage {
    const char *workspace_id;
    const char *ticket_id;
    const char *title, *summary, *environment;
    const char *triage;     /* JSON object */
    const char *kb_matches; /* JSON array */
    const char *deflection; /* nullable: leave as is */
    const char *value[4];   /* category, urgency, product_area, sentiment to set; NULL: review */
    const char *ai[4];      /* the models' values, even under review */
    int64_t now_ms;
};

/**
 * Writes a ticket's triage. Each of the four fields takes its new value only
 * while it is empty or still what the models said last time, so an agent's
 * choice is never overwritten by a later triage (after the transcript).
 * updated_at stays: it tells when people changed the ticket.
 */
SD_MUST_CHECK sd_status sd_store_ticket_triage(sd_db *db, const struct sd_ticket_triage *tt,
                                               struct sd_err *err);

SD_MUST_CHECK sd_status sd_store_kb_insert(sd_db *db, const struct sd_kb_article *k,
                                           struct sd_err *err);
/** An article that is not deleted. */
SD_MUST_CHECK sd_status sd_store_kb_get(sd_db *db, sd_arena *a, const char *ws_id, const char *id,
                                        struct sd_kb_article *out, struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_kb_find_external(sd_db *db, sd_arena *a, const char *ws_id,
                                                  const char *external_id,
                                                  struct sd_kb_article *out, struct sd_err *err);
/** Writes every column after created_at. */
SD_MUST_CHECK sd_status sd_store_kb_update(sd_db *db, const struct sd_kb_article *k,
                                           struct sd_err *err);
/** Marks the article deleted at @now_ms (its row stays for the indexes to follow). */
SD_MUST_CHECK sd_status sd_store_kb_delete(sd_db *db, const char *ws_id, const char *id,
                                           int64_t now_ms, struct sd_err *err);
/** Articles not deleted, by id, optionally of one @status, after @after_id. */
SD_MUST_CHECK sd_status sd_store_kb_list(sd_db *db, sd_arena *a, const char *ws_id,
                                         const char *status, const char *after_id, size_t limit,
                                         struct sd_kb_article **out, size_t *n_out,
                                         struct sd_err *err);
/**
 * Articles changed (created, edited or deleted) after the position
 * (@since_ms, @since_id), in (updated_at, id) order: how a search index
 * follows the table.
 */
SD_MUST_CHECK sd_status sd_store_kb_changed(sd_db *db, sd_arena *a, const char *ws_id,
                                            int64_t since_ms, const char *since_id, size_t limit,
                                            struct sd_kb_article **out, size_t *n_out,
                                            struct sd_err *err);

SD_MUST_CHECK sd_status sd_store_correction_insert(sd_db *db, const struct sd_triage_correction *c,
                                                   struct sd_err *err);
/** Corrections of a workspace, oldest first, after @after_id (nullable). */
SD_MUST_CHECK sd_status sd_store_correction_list(sd_db *db, sd_arena *a, const char *ws_id,
                                                 const char *after_id, size_t limit,
                                                 struct sd_triage_correction **out, size_t *n_out,
                                                 struct sd_err *err);
/** Agreement of tickets' ai_* values with their fields, for tickets created since @since_ms. */
SD_MUST_CHECK sd_status sd_store_triage_accuracy(sd_db *db, const char *ws_id, int64_t since_ms,
                                                 struct sd_triage_accuracy *out,
                                                 struct sd_err *err);
SD_MUST_CHECK sd_status sd_store_triage_model_insert(sd_db *db, const struct sd_triage_model_row *m,
                                                     struct sd_err *err);
/**
 * The workspace's newest model; SD_E_NOT_FOUND when it has none. Without
 * @with_data only id, created_at and the counts are read (cheap).
 */
SD_MUST_CHECK sd_status sd_store_triage_model_latest(sd_db *db, sd_arena *a, const char *ws_id,
                                                     bool with_data,
                                                     struct sd_triage_model_row *out,
                                                     struct sd_err *err);

#endif
