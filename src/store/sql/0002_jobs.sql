-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Durable jobs: every step after an upload (probe, transcode, transcribe,
-- analyse, notify) is a row here, leased by one worker at a time, retried
-- with backoff, and kept with its last error when it gives up.

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    progress INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_ready ON jobs (state, run_at);
CREATE INDEX jobs_lease ON jobs (state, lease_until);
