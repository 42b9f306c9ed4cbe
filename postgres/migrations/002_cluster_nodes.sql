-- Issue #6: nodes of a cluster, the node that runs each call and the node
-- each phone registered with (see package postgres, cluster.go).

-- One row per running `serve` process. id is drawn at every start; a node
-- whose heartbeat_at is older than the lease is dead. A node that stops
-- cleanly deletes its row.
CREATE TABLE nodes (
    id           text COLLATE "C" PRIMARY KEY,
    name         text NOT NULL,
    sip_addr     text NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    -- stopping: it finishes its calls but gets no new ones
    draining     boolean NOT NULL DEFAULT false
);

-- The node that received the REGISTER ('' for bindings older than this
-- migration: no live node, so a call for them runs where it is created).
ALTER TABLE registrations ADD COLUMN node_id text NOT NULL DEFAULT '';

-- The node that runs the call ('' for calls older than this migration,
-- which no node runs any more). A call created on one node for another:
-- dispatch is 'pending' until that node claims it, then 'claimed', and the
-- request's options the row does not otherwise keep are stored with it.
ALTER TABLE calls
    ADD COLUMN node_id text NOT NULL DEFAULT '',
    ADD COLUMN dispatch text NOT NULL DEFAULT ''
        CONSTRAINT calls_dispatch CHECK (dispatch IN ('', 'pending', 'claimed')),
    ADD COLUMN dispatch_caller_id_name text NOT NULL DEFAULT '',
    ADD COLUMN dispatch_auto_answer boolean NOT NULL DEFAULT false,
    ADD COLUMN dispatch_agent_ring_timeout_ms bigint NOT NULL DEFAULT 0;

-- What a node polls for: the calls dispatched to it and not yet claimed.
CREATE INDEX calls_dispatch_pending ON calls (node_id) WHERE dispatch = 'pending';
