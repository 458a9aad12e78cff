-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Full-text search, PostgreSQL: a generated tsvector (English stemming) with
-- a GIN index over search_docs. Same documents as 0005_search.sqlite.sql.

CREATE TABLE search_docs (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ticket_id TEXT REFERENCES tickets(id) ON DELETE CASCADE,
    message_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
    media_id TEXT REFERENCES media(id) ON DELETE CASCADE,
    is_internal INTEGER NOT NULL DEFAULT 0,
    start_ms BIGINT,
    end_ms BIGINT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED
);
CREATE INDEX search_docs_media ON search_docs (media_id);
CREATE INDEX search_docs_workspace ON search_docs (workspace_id);
CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);

INSERT INTO search_docs (id, workspace_id, kind, ticket_id, body, created_at)
    SELECT 'sub:' || id, workspace_id, 'subject', id, subject, created_at FROM tickets;
INSERT INTO search_docs (id, workspace_id, kind, ticket_id, message_id, is_internal, body, created_at)
    SELECT id, workspace_id, 'message', ticket_id, id, is_internal, body, created_at FROM messages
    WHERE body <> '';
