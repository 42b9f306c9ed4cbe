-- Issue #6: nodes, the node that runs each call and the node each phone
-- registered with. The same schema as PostgreSQL's 002_cluster_nodes.sql;
-- a SQLite database has one node, which runs every call (see package
-- sqlite, node.go).

-- One row per running `serve` process; id is drawn at every start.
CREATE TABLE nodes (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    sip_addr     TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    draining     INTEGER NOT NULL DEFAULT 0
);

ALTER TABLE registrations ADD COLUMN node_id TEXT NOT NULL DEFAULT '';

-- dispatch: '' for a call its creator runs, 'pending' while the node it
-- was dispatched to has not taken it, then 'claimed'.
ALTER TABLE calls ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN dispatch TEXT NOT NULL DEFAULT ''
    CONSTRAINT calls_dispatch CHECK (dispatch IN ('', 'pending', 'claimed'));
ALTER TABLE calls ADD COLUMN dispatch_caller_id_name TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN dispatch_auto_answer INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN dispatch_agent_ring_timeout_ms INTEGER NOT NULL DEFAULT 0;

CREATE INDEX calls_dispatch_pending ON calls (node_id) WHERE dispatch = 'pending';
