-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Media: every file a customer or an agent uploads (tus), from the first
-- byte to the playable result. The id is the upload's capability: 128 random
-- bits, never derived from time, because the upload URL carries it.
--   state: uploading -> uploaded -> processing -> ready | failed
-- upload_offset counts the durable bytes; blob objects are named after the
-- id: "<id>-orig" (the upload), "<id>-mp4", "<id>-poster", "<id>-sprite",
-- "<id>-vtt", "<id>-pcm".

CREATE TABLE media (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    creator_type TEXT NOT NULL,
    creator_id TEXT,
    filename TEXT,
    content_type TEXT,
    metadata TEXT NOT NULL DEFAULT '',
    upload_length BIGINT NOT NULL,
    upload_offset BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0,
    failure TEXT,
    message_id TEXT REFERENCES messages(id) ON DELETE SET NULL,
    info TEXT NOT NULL DEFAULT '{}',
    duration_ms BIGINT,
    size_bytes BIGINT,
    expires_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX media_expiry ON media (state, expires_at);
CREATE INDEX media_message ON media (message_id);
