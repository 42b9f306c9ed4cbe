-- Issue #4: uploaded audio files (prompts, voicemail greetings). The
-- converted WAV is kept in the row: files are short telephony prompts
-- (uploads are capped at 10 MiB, output is 16 kB per second), and one file
-- keeps backups whole. Phones refer to them by id in four settings, which
-- DeleteAudioFile checks instead of a foreign key, as 001's columns have
-- none.
CREATE TABLE audio_files (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id       INTEGER NOT NULL REFERENCES accounts (id),
    name             TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    size_bytes       INTEGER NOT NULL,
    duration_seconds REAL NOT NULL,
    created_at       TEXT NOT NULL,
    data             BLOB NOT NULL
);
CREATE INDEX audio_files_account ON audio_files (account_id, id);
