-- Issue #5: OAuth 2.0 client credentials. A client obtains access tokens
-- that expire (tokens.expires_at); long-lived tokens keep it NULL.
-- Revoking deletes the row, so the next request is refused at once.
CREATE TABLE oauth_clients (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    client_id   TEXT NOT NULL CONSTRAINT oauth_clients_client_id_unique UNIQUE,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
ALTER TABLE tokens ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_client ON tokens (client_id) WHERE client_id <> '';
