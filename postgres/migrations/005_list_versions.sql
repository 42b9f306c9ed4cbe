-- Issue #7: a version per account and list, raised by triggers in the same
-- transaction as every write that can change what the list shows. The API
-- keeps a list rendered while its version stays the same (GET
-- /api/v2/phones was encoded anew for every poll: a tenth of a bare
-- handler's throughput). Triggers rather than store code, so that no
-- writer can forget: the command line, another node, a later feature.
-- The same table as SQLite's 011_list_versions.sql.
CREATE TABLE list_versions (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    list       text COLLATE "C" NOT NULL, -- 'phones' or 'calls' (sipsim.List)
    version    bigint NOT NULL,
    PRIMARY KEY (account_id, list)
);

-- Raises the version of the list TG_ARGV[0] of the row's account.
CREATE FUNCTION raise_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    account bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        account := OLD.account_id;
    ELSE
        account := NEW.account_id;
    END IF;
    INSERT INTO list_versions (account_id, list, version) VALUES (account, TG_ARGV[0], 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = list_versions.version + 1;
    IF TG_OP = 'UPDATE' AND OLD.account_id <> NEW.account_id THEN
        INSERT INTO list_versions (account_id, list, version) VALUES (OLD.account_id, TG_ARGV[0], 1)
        ON CONFLICT (account_id, list) DO UPDATE SET version = list_versions.version + 1;
    END IF;
    RETURN NULL;
END
$$;

-- Deferred to commit: the version row is locked from the raise to the
-- end of the transaction, and every step of an account's calls raises the
-- same row. Raised last, it is held only while the transaction commits,
-- and after any lock the transaction took earlier (the event lock of
-- locks.go), always in that order.

-- The phones list shows every column of a phone and how many live
-- bindings it has.
CREATE CONSTRAINT TRIGGER phones_list_version AFTER INSERT OR UPDATE OR DELETE ON phones
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION raise_list_version('phones');

-- A binding added or removed changes a count. A refresh changes one only
-- when the binding had expired by then, or when it now expires sooner
-- (a reader counts on the earliest expiry it saw); the refreshes of live
-- bindings, most REGISTERs, keep the list as it is.
CREATE CONSTRAINT TRIGGER registrations_list_version_added AFTER INSERT OR DELETE ON registrations
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION raise_list_version('phones');
CREATE CONSTRAINT TRIGGER registrations_list_version_refreshed AFTER UPDATE ON registrations
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN (OLD.expires_at <= NEW.updated_at OR NEW.expires_at < OLD.expires_at
      OR OLD.account_id <> NEW.account_id OR OLD.phone_id <> NEW.phone_id)
EXECUTE FUNCTION raise_list_version('phones');

-- The calls list shows every column of a call, its tags (names and
-- colours) and its recording. Calls are never deleted; deleting a tag
-- deletes its call_tags rows, which count.
CREATE CONSTRAINT TRIGGER calls_list_version AFTER INSERT OR UPDATE ON calls
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION raise_list_version('calls');
CREATE CONSTRAINT TRIGGER call_tags_list_version AFTER INSERT OR DELETE ON call_tags
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION raise_list_version('calls');
CREATE CONSTRAINT TRIGGER tags_list_version AFTER UPDATE ON tags
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION raise_list_version('calls');
