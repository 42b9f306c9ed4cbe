-- Issue #4: a call's recording. The WAV itself is in the recording store
-- (files under the data dir by default); the row says whether one exists
-- and how long it is, so listing calls needs no look at the store.
ALTER TABLE calls ADD COLUMN has_recording INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN recording_duration REAL NOT NULL DEFAULT 0;
