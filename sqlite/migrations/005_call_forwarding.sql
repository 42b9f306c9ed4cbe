-- Issue #4: forwarding on a leg. forwarded_to is the number a leg was
-- forwarded to through the trunk ('' when it was not), answered_by the kind
-- of device that answered it ('phone' or 'forward_number', '' when none).
ALTER TABLE calls ADD COLUMN agent_forwarded_to TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN agent_answered_by TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN target_forwarded_to TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN target_answered_by TEXT NOT NULL DEFAULT '';
