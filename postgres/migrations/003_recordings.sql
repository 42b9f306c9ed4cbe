-- Issue #6: recordings in the database, so that every node serves every
-- call's recording (the file store keeps them on the disk of the node that
-- ran the call). A recording is cut into chunks so that a download reads
-- one chunk at a time rather than the whole file.

CREATE TABLE recordings (
    -- A new id for every Create: a reader holds the id it opened, so a
    -- recording replaced under it fails the read instead of mixing two.
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    call_id    text COLLATE "C" NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    created_at timestamptz NOT NULL,
    UNIQUE (account_id, call_id)
);

CREATE TABLE recording_chunks (
    recording_id bigint NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    seq          integer NOT NULL CHECK (seq >= 0),
    data         bytea NOT NULL,
    PRIMARY KEY (recording_id, seq)
);
