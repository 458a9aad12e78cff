-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Transcripts: one per media, the engine's words with their times as JSON
-- (src/speech/speech.h, sd_transcript_json). The media row says where the
-- recognition stands:
--   transcript_state: none -> pending -> processing -> ready | failed
-- "none" for media that is not speech (nothing to do), "failed" keeps the
-- reason in transcript_failure.

ALTER TABLE media ADD COLUMN transcript_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE media ADD COLUMN transcript_progress INTEGER NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN transcript_failure TEXT;

CREATE TABLE transcripts (
    media_id TEXT PRIMARY KEY REFERENCES media(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    engine TEXT NOT NULL,
    model TEXT NOT NULL,
    language TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    n_words INTEGER NOT NULL,
    reason TEXT,
    body TEXT NOT NULL
);
CREATE INDEX transcripts_workspace ON transcripts (workspace_id);
