-- The first schema. Every table carries account_id from the start, so that
-- tenants can arrive without a rewrite. Times are TEXT in one fixed-width UTC
-- layout (see timefmt.go): they sort as strings and round-trip exactly.

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    sip_realm  TEXT NOT NULL,
    country    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- AUTOINCREMENT: the id of a deleted phone is never given to a new one, so
-- the call history that still names it cannot be attached to another line.
CREATE TABLE phones (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    name            TEXT NOT NULL,
    status          TEXT NOT NULL
        CONSTRAINT phones_status CHECK (status IN ('not_activated', 'active', 'inactive')),
    internal_number INTEGER NOT NULL
        CONSTRAINT phones_internal_number_range CHECK (internal_number BETWEEN 100 AND 999),
    -- NULL while the line has no public number yet: NULLs never collide in
    -- the unique constraint below.
    number          TEXT,
    country         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,

    -- group: both NULL when the phone is in no group.
    group_id    INTEGER,
    group_title TEXT,

    outbound_number               TEXT,
    use_different_outbound_number INTEGER NOT NULL,
    outbound_number_phone_id      INTEGER,

    record_inbound_call  INTEGER NOT NULL,
    record_outbound_call INTEGER NOT NULL,

    allow_voicemail   INTEGER NOT NULL,
    voicemail_file_id INTEGER,

    forced_forwarding_enabled      INTEGER NOT NULL,
    forced_forward_number          TEXT,
    conditional_forwarding_enabled INTEGER NOT NULL,
    conditional_timeout_seconds    INTEGER NOT NULL,
    conditional_forward_number     TEXT,

    inbound_call_preroll_id  INTEGER,
    outbound_call_preroll_id INTEGER,
    no_answer_file_id        INTEGER,
    wait_preroll_dial        INTEGER NOT NULL,

    -- SIP digest credentials: only HA1 values, never the password.
    sip_realm      TEXT NOT NULL,
    sip_ha1_md5    TEXT NOT NULL,
    sip_ha1_sha256 TEXT NOT NULL,

    CONSTRAINT phones_internal_number_unique UNIQUE (account_id, internal_number),
    CONSTRAINT phones_number_unique UNIQUE (account_id, number)
);

CREATE INDEX phones_account_status ON phones (account_id, status, id);

-- A phone's contact bindings go with it.
CREATE TABLE registrations (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    phone_id   INTEGER NOT NULL REFERENCES phones (id) ON DELETE CASCADE,
    contact    TEXT NOT NULL,
    received   TEXT NOT NULL,
    transport  TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    call_id    TEXT NOT NULL,
    cseq       INTEGER NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (phone_id, contact)
);

CREATE INDEX registrations_account_expires ON registrations (account_id, expires_at);

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    -- comma-separated scope names
    scopes     TEXT NOT NULL,
    hash       TEXT NOT NULL CONSTRAINT tokens_hash_unique UNIQUE,
    created_at TEXT NOT NULL
);

-- phone_id has no foreign key on purpose: deleting a phone must keep its call
-- history (DeletePhone refuses while a call is active).
CREATE TABLE calls (
    id            TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    phone_id      INTEGER NOT NULL,
    target_number TEXT NOT NULL,
    caller_id     TEXT NOT NULL,
    direction     TEXT NOT NULL,
    source        TEXT NOT NULL,
    status        TEXT NOT NULL
        CONSTRAINT calls_status CHECK (status IN (
            'initiating', 'ringing_agent', 'dialing_target', 'in_progress',
            'completed', 'busy', 'no_answer', 'failed', 'canceled')),
    ended_reason  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    answered_at   TEXT,
    ended_at      TEXT,

    agent_status      TEXT NOT NULL,
    agent_sip_code    INTEGER NOT NULL,
    agent_contact     TEXT NOT NULL,
    agent_started_at  TEXT,
    agent_ringing_at  TEXT,
    agent_answered_at TEXT,
    agent_ended_at    TEXT,

    target_status      TEXT NOT NULL,
    target_sip_code    INTEGER NOT NULL,
    target_contact     TEXT NOT NULL,
    target_started_at  TEXT,
    target_ringing_at  TEXT,
    target_answered_at TEXT,
    target_ended_at    TEXT
);

-- One active call per phone, enforced by the database so that it holds under
-- concurrency. The status list is sipsim.ActiveCallStatuses.
CREATE UNIQUE INDEX calls_one_active_per_phone ON calls (phone_id)
    WHERE status IN ('initiating', 'ringing_agent', 'dialing_target', 'in_progress');

-- Listing an account's calls newest first, optionally for one phone.
CREATE INDEX calls_account_created ON calls (account_id, created_at DESC, id DESC);
CREATE INDEX calls_account_phone_created ON calls (account_id, phone_id, created_at DESC);

-- AUTOINCREMENT: event ids only ever grow, even after deletes, so that event
-- streams can resume from the last id they saw.
CREATE TABLE call_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    call_id    TEXT NOT NULL REFERENCES calls (id),
    type       TEXT NOT NULL,
    status     TEXT NOT NULL,
    at         TEXT NOT NULL
);

CREATE INDEX call_events_call ON call_events (call_id, id);
CREATE INDEX call_events_account ON call_events (account_id, id);
