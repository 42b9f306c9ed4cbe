-- Issue #7: a version per account and list, raised by triggers in the same
-- transaction as every write that can change what the list shows. The API
-- keeps a list rendered while its version stays the same (GET
-- /api/v2/phones was encoded anew for every poll: a tenth of a bare
-- handler's throughput). Triggers rather than store code, so that no
-- writer can forget: the command line, another node, a later feature.
CREATE TABLE list_versions (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    list       TEXT NOT NULL, -- 'phones' or 'calls' (sipsim.List)
    version    INTEGER NOT NULL,
    PRIMARY KEY (account_id, list)
) WITHOUT ROWID;

-- The phones list shows every column of a phone and how many live
-- bindings it has.
CREATE TRIGGER phones_version_on_insert AFTER INSERT ON phones
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (NEW.account_id, 'phones', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER phones_version_on_update AFTER UPDATE ON phones
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (NEW.account_id, 'phones', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER phones_version_on_delete AFTER DELETE ON phones
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (OLD.account_id, 'phones', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;

-- A binding added or removed changes a count. A refresh changes one only
-- when the binding had expired by then, or when it now expires sooner
-- (a reader counts on the earliest expiry it saw); the refreshes of live
-- bindings, most REGISTERs, keep the list as it is.
CREATE TRIGGER registrations_version_on_insert AFTER INSERT ON registrations
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (NEW.account_id, 'phones', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER registrations_version_on_update AFTER UPDATE ON registrations
WHEN OLD.expires_at <= NEW.updated_at OR NEW.expires_at < OLD.expires_at
  OR OLD.account_id IS NOT NEW.account_id OR OLD.phone_id IS NOT NEW.phone_id
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (OLD.account_id, 'phones', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
    INSERT INTO list_versions (account_id, list, version) VALUES (NEW.account_id, 'phones', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER registrations_version_on_delete AFTER DELETE ON registrations
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (OLD.account_id, 'phones', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;

-- The calls list shows every column of a call, its tags (names and
-- colours) and its recording. Calls are never deleted.
CREATE TRIGGER calls_version_on_insert AFTER INSERT ON calls
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (NEW.account_id, 'calls', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER calls_version_on_update AFTER UPDATE ON calls
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (NEW.account_id, 'calls', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER call_tags_version_on_insert AFTER INSERT ON call_tags
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (NEW.account_id, 'calls', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER call_tags_version_on_delete AFTER DELETE ON call_tags
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (OLD.account_id, 'calls', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER tags_version_on_update AFTER UPDATE ON tags
BEGIN
    INSERT INTO list_versions (account_id, list, version) VALUES (NEW.account_id, 'calls', 1)
    ON CONFLICT (account_id, list) DO UPDATE SET version = version + 1;
END;
