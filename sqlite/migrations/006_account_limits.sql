-- Issue #5: tenants. Each account's SIP domain (the sip_realm column, also
-- the digest realm) is unique, so a SIP request names one account. Limits
-- bound what its calls may cost; 0 (and '' for the country list) means the
-- default (sipsim.DefaultAccountLimits).
CREATE UNIQUE INDEX accounts_sip_realm ON accounts (sip_realm COLLATE NOCASE);
ALTER TABLE accounts ADD COLUMN allowed_countries TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN max_concurrent_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN daily_minutes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN calls_per_minute_per_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN calls_per_minute_per_phone INTEGER NOT NULL DEFAULT 0;
