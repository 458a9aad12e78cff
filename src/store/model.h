/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the rows Showdesk keeps, as plain C values.
 *
 * Text fields are NUL-terminated and borrowed: from the arena that a read
 * filled them in, or from the caller for a write. A NULL text field is SQL
 * NULL. Timestamps are milliseconds since the epoch (UTC); 0 means "not set"
 * and is stored as NULL where the column is nullable. Booleans are stored as
 * 0/1. JSON columns hold serialised JSON text. Every row but a workspace
 * carries workspace_id.
 */
#ifndef SD_STORE_MODEL_H
#define SD_STORE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

struct sd_workspace {
    const char *id;
    const char *name;
    const char *allowed_origins; /* JSON array of origins for publishable keys */
    const char *settings;        /* JSON object */
    int64_t created_at;
    int64_t updated_at;
};

struct sd_agent {
    const char *id;
    const char *workspace_id;
    const char *email; /* lowercase */
    const char *name;
    const char *role;          /* "admin" or "agent" */
    const char *password_hash; /* Argon2id string; never leaves the server */
    int64_t created_at;
    int64_t updated_at;
};

struct sd_customer {
    const char *id;
    const char *workspace_id;
    const char *external_id; /* nullable: the client's own id */
    const char *email;       /* nullable, lowercase */
    const char *name;
    const char *plan; /* nullable */
    int64_t created_at;
    int64_t updated_at;
};

struct sd_api_key {
    const char *id;
    const char *workspace_id;
    const char *kind; /* "secret" (sk_) or "publishable" (pk_) */
    const char *name;
    const char *prefix;   /* the first characters, to recognise a key in a list */
    const char *key_hash; /* hex SHA-256 of the whole key */
    int64_t created_at;
    int64_t last_used_at;
    int64_t revoked_at;
};

struct sd_session {
    const char *id;
    const char *workspace_id;
    const char *agent_id;
    const char *token_hash; /* hex SHA-256 of the cookie value */
    const char *csrf_token;
    int64_t created_at;
    int64_t expires_at;
};

struct sd_ticket {
    const char *id;
    const char *workspace_id;
    const char *subject;
    const char *status;   /* new, open, pending, resolved, closed */
    const char *channel;  /* video, text */
    const char *priority; /* low, normal, high, urgent */
    const char *category; /* nullable until triage */
    const char *urgency;
    const char *product_area;
    const char *sentiment;
    const char *assignee_id; /* nullable */
    const char *customer_id; /* nullable */
    const char *context;     /* JSON object: page_url, user_agent, account_plan, console_errors */
    int64_t created_at;
    int64_t updated_at;
    int64_t first_response_at;
    int64_t resolved_at;
    /* Triage (src/text): what the models made of it. */
    const char *title;       /* nullable until triage */
    const char *summary;     /* nullable */
    const char *environment; /* nullable: "Chrome 120 on Windows, /reports, 2 console errors" */
    const char *triage;      /* JSON: per field value, probability, review, rule */
    const char *kb_matches;  /* JSON array: article_id, title, confidence */
    const char *deflection;  /* nullable: offered, deflected, declined */
    int64_t triaged_at;
    const char *ai_category; /* the models' values, for triage accuracy */
    const char *ai_urgency;
    const char *ai_product_area;
    const char *ai_sentiment;
};

struct sd_message {
    const char *id;
    const char *workspace_id;
    const char *ticket_id;
    const char *author_type; /* customer, agent, system */
    const char *author_id;   /* nullable */
    const char *body;
    bool is_internal;
    int64_t created_at;
};

struct sd_activity {
    const char *id;
    const char *workspace_id;
    const char *ticket_id;
    const char *actor_type; /* customer, agent, api_key, system */
    const char *actor_id;   /* nullable */
    const char *action;     /* created, updated, status_changed, assigned, message_added */
    const char *detail;     /* JSON object */
    int64_t created_at;
};

/* A durable job. States: queued → running → done, or back to queued for a
 * retry, or dead when it gave up (last_error says why). */
struct sd_job {
    const char *id;
    const char *workspace_id; /* nullable: jobs of the installation itself */
    const char *kind;
    const char *idempotency_key; /* unique: enqueueing twice makes one job */
    const char *payload;         /* JSON object */
    const char *state;           /* queued, running, done, dead */
    int64_t attempts;
    int64_t max_attempts;
    int64_t run_at;          /* not before */
    const char *lease_owner; /* nullable: the worker holding it */
    int64_t lease_until;     /* 0 when not leased */
    int64_t progress;        /* 0..100 */
    const char *last_error;  /* nullable */
    int64_t created_at;
    int64_t updated_at;
    int64_t finished_at;
};

/* A media file: an upload in progress, then its processing, then the result. */
struct sd_media {
    const char *id; /* "md_" + 26 random base32: the upload URL's capability */
    const char *workspace_id;
    int64_t created_at;
    const char *creator_type; /* agent, key */
    const char *creator_id;   /* nullable */
    const char *filename;     /* nullable, from Upload-Metadata */
    const char *content_type; /* nullable, from Upload-Metadata */
    const char *metadata;     /* the Upload-Metadata header as sent, "" when none */
    int64_t upload_length;
    int64_t upload_offset;  /* durable bytes */
    const char *state;      /* uploading, uploaded, processing, ready, failed */
    int64_t progress;       /* 0..100 of the processing */
    const char *failure;    /* nullable: why it failed, for a person */
    const char *message_id; /* nullable: the message it is attached to */
    const char *info;       /* JSON: container, codecs, size of the result */
    int64_t duration_ms;    /* 0 until probed */
    int64_t size_bytes;     /* 0 until transcoded: bytes of the playable file */
    int64_t expires_at;     /* 0 once complete: an incomplete upload's deadline */
    int64_t updated_at;
    const char *transcript_state;   /* none, pending, processing, ready, failed */
    int64_t transcript_progress;    /* 0..100 of the recognition */
    const char *transcript_failure; /* nullable */
};

/* A help article. Deleted articles keep their row with deleted_at set. */
struct sd_kb_article {
    const char *id;
    const char *workspace_id;
    int64_t created_at;
    const char *external_id; /* nullable: the id it was imported with */
    const char *title;
    const char *body;         /* Markdown */
    const char *tags;         /* JSON array of strings */
    const char *product_area; /* nullable */
    const char *media_id;     /* nullable: its video */
    const char *status;       /* draft, published */
    int64_t updated_at;
    int64_t deleted_at;
};

/* An agent's change of a triage field, with the input it was made on. */
struct sd_triage_correction {
    const char *id;
    const char *workspace_id;
    int64_t created_at;
    const char *ticket_id;
    const char *field;     /* category, urgency, product_area, sentiment */
    const char *predicted; /* nullable */
    const char *corrected; /* nullable */
    const char *agent_id;  /* nullable */
    const char *example;   /* JSON: transcript, account_plan, page_url, console_errors */
};

/* A workspace's own triage model (triage.h's binary form, base64). */
struct sd_triage_model_row {
    const char *id;
    const char *workspace_id;
    int64_t created_at;
    int64_t n_examples;
    int64_t n_corrections;
    const char *data;
};

/* Agreement of the models with the agents' final values, per field. */
struct sd_triage_accuracy {
    int64_t n[4];     /* tickets with both a model value and a final value */
    int64_t agree[4]; /* of those, equal */
};

/* The stored transcript of a media (the JSON of src/speech, sd_transcript_json). */
struct sd_transcript_row {
    const char *media_id;
    const char *workspace_id;
    int64_t created_at;
    const char *engine;
    const char *model;
    const char *language;
    int64_t duration_ms;
    int64_t n_words;
    const char *reason; /* nullable: why it has no words */
    const char *body;   /* JSON */
};

/* One searchable piece of a transcript. */
struct sd_search_seg {
    int64_t start_ms;
    int64_t end_ms;
    const char *text;
};

/* One search result. */
struct sd_search_hit {
    const char *kind;       /* subject, message, transcript */
    const char *ticket_id;  /* nullable: a transcript of media not attached yet */
    const char *message_id; /* nullable */
    const char *media_id;   /* nullable */
    int64_t start_ms;       /* -1 unless a transcript */
    int64_t end_ms;
    const char *snippet; /* the text around the hit, matches between \x02 and \x03 */
    int64_t created_at;
};

#endif
