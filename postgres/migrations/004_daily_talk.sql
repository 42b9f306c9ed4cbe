-- Issue #7: the talk time each account used per UTC day, kept by a trigger
-- as calls end. Placing a call checks the account's daily minutes; summing
-- every call the account ended today made that check grow with the day's
-- traffic (at 500 calls/s, 30,000 more rows a minute). Now it reads one
-- row, plus the calls in progress, which the concurrent-call limit bounds.
-- The same table as SQLite's 010_daily_talk.sql, in microseconds as
-- PostgreSQL keeps them. Calls are never deleted but with their account,
-- whose rows go with it.

CREATE TABLE account_daily_talk (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        date NOT NULL,   -- UTC: the day the calls ended
    talk_us    bigint NOT NULL, -- answered to ended, summed
    PRIMARY KEY (account_id, day)
);

INSERT INTO account_daily_talk (account_id, day, talk_us)
SELECT account_id, (ended_at AT TIME ZONE 'UTC')::date,
       sum((extract(epoch FROM ended_at - answered_at) * 1000000)::bigint)
FROM calls
WHERE ended_at IS NOT NULL AND answered_at IS NOT NULL
GROUP BY 1, 2;

-- A call stored already ended counts; a call ending counts; a call whose
-- times change afterwards (never in practice, but kept exact) has its old
-- talk taken back first. Every other update of a call leaves at once.
CREATE FUNCTION calls_count_talk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.ended_at IS NOT DISTINCT FROM NEW.ended_at
           AND OLD.answered_at IS NOT DISTINCT FROM NEW.answered_at THEN
            RETURN NULL;
        END IF;
        IF OLD.ended_at IS NOT NULL AND OLD.answered_at IS NOT NULL THEN
            UPDATE account_daily_talk
            SET talk_us = talk_us - (extract(epoch FROM OLD.ended_at - OLD.answered_at) * 1000000)::bigint
            WHERE account_id = OLD.account_id AND day = (OLD.ended_at AT TIME ZONE 'UTC')::date;
        END IF;
    END IF;
    IF NEW.ended_at IS NOT NULL AND NEW.answered_at IS NOT NULL THEN
        INSERT INTO account_daily_talk (account_id, day, talk_us)
        VALUES (NEW.account_id, (NEW.ended_at AT TIME ZONE 'UTC')::date,
                (extract(epoch FROM NEW.ended_at - NEW.answered_at) * 1000000)::bigint)
        ON CONFLICT (account_id, day) DO UPDATE SET talk_us = account_daily_talk.talk_us + excluded.talk_us;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER calls_count_talk AFTER INSERT OR UPDATE OF ended_at, answered_at ON calls
FOR EACH ROW EXECUTE FUNCTION calls_count_talk();

-- The index the old sum read (007 / 001): nothing else reads it, and
-- every step of every call wrote it.
DROP INDEX calls_account_ended;
