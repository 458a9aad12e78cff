-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Full-text search, SQLite: FTS5 over search_docs (external content, kept in
-- step by triggers). A document is one piece of text with its place: a
-- ticket's subject ("sub:<ticket>"), a message ("<message id>") or one
-- transcript segment ("<media id>#<n>", with its start and end in ms).
-- The PostgreSQL twin is 0005_search.postgres.sql: same columns, tsvector.

CREATE TABLE search_docs (
    seq INTEGER PRIMARY KEY,
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
    created_at BIGINT NOT NULL
);
CREATE INDEX search_docs_media ON search_docs (media_id);
CREATE INDEX search_docs_workspace ON search_docs (workspace_id);

CREATE VIRTUAL TABLE search_fts USING fts5(
    body, content = 'search_docs', content_rowid = 'seq',
    tokenize = 'porter unicode61 remove_diacritics 2');

CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, body) VALUES (new.seq, new.body);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.seq, old.body);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.seq, old.body);
    INSERT INTO search_fts (rowid, body) VALUES (new.seq, new.body);
END;

INSERT INTO search_docs (id, workspace_id, kind, ticket_id, body, created_at)
    SELECT 'sub:' || id, workspace_id, 'subject', id, subject, created_at FROM tickets;
INSERT INTO search_docs (id, workspace_id, kind, ticket_id, message_id, is_internal, body, created_at)
    SELECT id, workspace_id, 'message', ticket_id, id, is_internal, body, created_at FROM messages
    WHERE body <> '';
