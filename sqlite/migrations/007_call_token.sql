-- Issue #5: abuse limits. token_id is the API token that placed a call (0
-- for a call dialled on a handset), so that calls per minute can be
-- limited per token.
ALTER TABLE calls ADD COLUMN token_id INTEGER NOT NULL DEFAULT 0;

-- Calls a token placed in the last minute. Token ids are unique across
-- accounts, so the account is not part of the key. The same count per
-- phone is served by 002's calls_account_phone_created.
CREATE INDEX calls_token_created ON calls (token_id, created_at);

-- The account's talk time today: its calls that ended since midnight, with
-- answered_at so that the sum reads the index alone.
CREATE INDEX calls_account_ended ON calls (account_id, ended_at, answered_at);
