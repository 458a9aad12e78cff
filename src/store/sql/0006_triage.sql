-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Triage, summaries and the knowledge base.
-- tickets.ai_* keep what the models said, so that the agents' final values
-- measure triage accuracy; tickets.triage holds each field's probability and
-- review flag (JSON), kb_matches the articles matched with their confidence.
-- Articles are deleted softly (deleted_at) so that every server's search
-- index can follow changes by updated_at alone.

ALTER TABLE tickets ADD COLUMN title TEXT;
ALTER TABLE tickets ADD COLUMN summary TEXT;
ALTER TABLE tickets ADD COLUMN environment TEXT;
ALTER TABLE tickets ADD COLUMN triage TEXT NOT NULL DEFAULT '{}';
ALTER TABLE tickets ADD COLUMN kb_matches TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tickets ADD COLUMN deflection TEXT;
ALTER TABLE tickets ADD COLUMN triaged_at BIGINT;
ALTER TABLE tickets ADD COLUMN ai_category TEXT;
ALTER TABLE tickets ADD COLUMN ai_urgency TEXT;
ALTER TABLE tickets ADD COLUMN ai_product_area TEXT;
ALTER TABLE tickets ADD COLUMN ai_sentiment TEXT;

CREATE TABLE kb_articles (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    external_id TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    product_area TEXT,
    media_id TEXT,
    status TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    UNIQUE (workspace_id, external_id)
);
CREATE INDEX kb_articles_changed ON kb_articles (workspace_id, updated_at, id);

CREATE TABLE triage_corrections (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    predicted TEXT,
    corrected TEXT,
    agent_id TEXT,
    example TEXT NOT NULL
);
CREATE INDEX triage_corrections_ws ON triage_corrections (workspace_id, created_at, id);

CREATE TABLE triage_models (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    n_examples BIGINT NOT NULL,
    n_corrections BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX triage_models_ws ON triage_models (workspace_id, created_at, id);
