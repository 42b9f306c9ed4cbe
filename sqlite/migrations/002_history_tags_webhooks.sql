-- Issue #3: call history filters, tags, event snapshots, the webhook outbox
-- and idempotency keys. Every new table carries account_id, as in 001.

-- The call as it stood when the event happened, as JSON (internal format:
-- the domain struct). NULL for events stored before this migration.
ALTER TABLE call_events ADD COLUMN call_snapshot TEXT;

-- A call's stream resumes with account_id = ? AND call_id = ? AND id > ?:
-- one index for all three terms, replacing 001's (call_id, id), which let
-- the planner pick the account index and walk every event of the account.
DROP INDEX call_events_call;
CREATE INDEX call_events_account_call ON call_events (account_id, call_id, id);

-- History listings are newest first with id as the tie-break of the keyset
-- cursor, so every listing index ends with (created_at DESC, id DESC) and
-- serves both the filter and the order without a sort. 001's phone index
-- lacked the id: it is replaced.
DROP INDEX calls_account_phone_created;
CREATE INDEX calls_account_phone_created ON calls (account_id, phone_id, created_at DESC, id DESC);
CREATE INDEX calls_account_status_created ON calls (account_id, status, created_at DESC, id DESC);
CREATE INDEX calls_account_target_created ON calls (account_id, target_number, created_at DESC, id DESC);
-- The double-click guard (RecentCall) and the phone + target filter.
CREATE INDEX calls_account_phone_target_created
    ON calls (account_id, phone_id, target_number, created_at DESC, id DESC);

CREATE TABLE tags (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    color      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT tags_name_unique UNIQUE (account_id, name)
);

CREATE TABLE call_tags (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    call_id    TEXT NOT NULL REFERENCES calls (id),
    tag_id     INTEGER NOT NULL REFERENCES tags (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (call_id, tag_id)
);

-- Filtering calls by tag starts from the tag's calls.
CREATE INDEX call_tags_tag ON call_tags (tag_id, call_id);

CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX webhooks_account ON webhooks (account_id, id);

-- The event types a webhook subscribes to, one row each in the order given;
-- a single '*' row when it wants every type. Rows rather than a list column
-- so that storing an event selects its webhooks in one INSERT … SELECT.
CREATE TABLE webhook_event_types (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
    position   INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    PRIMARY KEY (webhook_id, position)
);

CREATE INDEX webhook_event_types_type ON webhook_event_types (webhook_id, event_type);

-- The outbox: one row per event and webhook, written in the transaction
-- that stores the event.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id),
    event_id        INTEGER NOT NULL REFERENCES call_events (id),
    event_type      TEXT NOT NULL,
    status          TEXT NOT NULL
        CONSTRAINT webhook_deliveries_status CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- The senders' queue: only pending rows, in the order they fall due. Sent
-- and failed deliveries stay out of it however many pile up.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
-- A webhook's delivery log, newest first.
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- One row per POST. Not keyed by (delivery_id, attempt): a sender whose
-- lease ran out may record the same attempt number as the one that took
-- over, and both tries belong in the log.
CREATE TABLE webhook_delivery_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    delivery_id   INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    attempt       INTEGER NOT NULL,
    at            TEXT NOT NULL,
    status_code   INTEGER NOT NULL,
    error         TEXT NOT NULL,
    response_body TEXT NOT NULL,
    duration_ns   INTEGER NOT NULL
);

CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id, attempt, id);

-- Responses to requests sent with an Idempotency-Key. status 0 while the
-- first request runs.
CREATE TABLE idempotency_keys (
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
