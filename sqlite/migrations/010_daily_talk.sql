-- Issue #7: the talk time each account used per UTC day, kept by triggers
-- as calls end. Placing a call checks the account's daily minutes; summing
-- every call the account ended today made that check grow with the day's
-- traffic (at 500 calls/s, 30,000 more rows a minute). Now it reads one
-- row, plus the calls in progress, which the concurrent-call limit bounds.
-- Calls are never deleted but with their account, whose rows go with it.

CREATE TABLE account_daily_talk (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,    -- YYYY-MM-DD, UTC: the day the calls ended
    talk_ms    INTEGER NOT NULL, -- answered to ended, summed
    PRIMARY KEY (account_id, day)
) WITHOUT ROWID;

-- A call's talk in milliseconds. julianday keeps milliseconds, so the
-- rounding only removes floating-point noise. Stored times are UTC text,
-- so the day is their first ten characters.
INSERT INTO account_daily_talk (account_id, day, talk_ms)
SELECT account_id, substr(ended_at, 1, 10),
       SUM(CAST(round((julianday(ended_at) - julianday(answered_at)) * 86400000) AS INTEGER))
FROM calls
WHERE ended_at IS NOT NULL AND answered_at IS NOT NULL
GROUP BY account_id, substr(ended_at, 1, 10);

-- A call stored already ended (an import, a benchmark's history).
CREATE TRIGGER calls_talk_on_insert AFTER INSERT ON calls
WHEN NEW.ended_at IS NOT NULL AND NEW.answered_at IS NOT NULL
BEGIN
    INSERT INTO account_daily_talk (account_id, day, talk_ms)
    VALUES (NEW.account_id, substr(NEW.ended_at, 1, 10),
            CAST(round((julianday(NEW.ended_at) - julianday(NEW.answered_at)) * 86400000) AS INTEGER))
    ON CONFLICT (account_id, day) DO UPDATE SET talk_ms = talk_ms + excluded.talk_ms;
END;

-- A call ending, or (never in practice, but kept exact) its times changing
-- afterwards: take back what the old row counted, count the new one. Every
-- other update of a call (each step of its life sets every column) passes
-- the WHEN and costs nothing more.
CREATE TRIGGER calls_talk_on_update AFTER UPDATE OF ended_at, answered_at ON calls
WHEN OLD.ended_at IS NOT NEW.ended_at OR OLD.answered_at IS NOT NEW.answered_at
BEGIN
    UPDATE account_daily_talk
    SET talk_ms = talk_ms - CAST(round((julianday(OLD.ended_at) - julianday(OLD.answered_at)) * 86400000) AS INTEGER)
    WHERE OLD.ended_at IS NOT NULL AND OLD.answered_at IS NOT NULL
      AND account_id = OLD.account_id AND day = substr(OLD.ended_at, 1, 10);
    INSERT INTO account_daily_talk (account_id, day, talk_ms)
    SELECT NEW.account_id, substr(NEW.ended_at, 1, 10),
           CAST(round((julianday(NEW.ended_at) - julianday(NEW.answered_at)) * 86400000) AS INTEGER)
    WHERE NEW.ended_at IS NOT NULL AND NEW.answered_at IS NOT NULL
    ON CONFLICT (account_id, day) DO UPDATE SET talk_ms = talk_ms + excluded.talk_ms;
END;

-- The index the old sum read (007 / 001): nothing else reads it, and
-- every step of every call wrote it.
DROP INDEX calls_account_ended;
