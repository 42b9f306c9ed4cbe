package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// Heartbeat inserts the node or refreshes it. HeartbeatAt comes from the
// store's clock; StartedAt is the one first stored.
func (db *DB) Heartbeat(ctx context.Context, n *sipsim.Node) error {
	now := db.stamp()
	var started time.Time
	err := db.pool.QueryRow(ctx, `
		INSERT INTO nodes (id, name, sip_addr, started_at, heartbeat_at, draining)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET
			name = excluded.name, sip_addr = excluded.sip_addr,
			heartbeat_at = excluded.heartbeat_at, draining = excluded.draining
		RETURNING started_at`,
		n.ID, n.Name, n.SIPAddr, storedTime(n.StartedAt), now, n.Draining).Scan(&started)
	if err != nil {
		return wrap("heartbeat", err)
	}
	n.StartedAt, n.HeartbeatAt = started, now
	return nil
}

// RemoveNode deletes a node; no error if it is absent.
func (db *DB) RemoveNode(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM nodes WHERE id = $1`, id)
	return wrap("remove node", err)
}

// Node returns one node. ENOTFOUND.
func (db *DB) Node(ctx context.Context, id string) (*sipsim.Node, error) {
	var n sipsim.Node
	err := db.pool.QueryRow(ctx, `
		SELECT id, name, sip_addr, started_at, heartbeat_at, draining FROM nodes WHERE id = $1`, id).
		Scan(&n.ID, &n.Name, &n.SIPAddr, &n.StartedAt, &n.HeartbeatAt, &n.Draining)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "Node not found")
	}
	if err != nil {
		return nil, wrap("node", err)
	}
	return &n, nil
}

// deadNodeCondition selects, in a query on calls, those whose node has
// not heartbeat after the time in placeholder ph, or is unknown.
func deadNodeCondition(ph string) string {
	return "NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = calls.node_id AND n.heartbeat_at > " + ph + ")"
}

// OrphanedCalls returns the active calls of every account whose node has
// not heartbeat after staleBefore, or is unknown, oldest first. Active
// calls are few (one per phone at most), and the partial index of active
// calls finds them.
func (db *DB) OrphanedCalls(ctx context.Context, staleBefore time.Time) ([]*sipsim.Call, error) {
	calls, err := db.findCalls(ctx, "WHERE "+activeCondition+" AND "+deadNodeCondition("$1")+
		" ORDER BY created_at, id", storedTime(staleBefore))
	return calls, wrap("orphaned calls", err)
}

// EndOrphanedCall saves c and appends ev, as UpdateCall does, only if the
// stored call is still active on node c.NodeID and that node is still
// dead, and clears its node_id, which fences that node off (see
// UpdateCall). The conditional UPDATE makes the end happen once: of two
// nodes ending the call at once, the second waits for the first's row
// lock, then finds the call no longer active and changes nothing
// (ECONFLICT).
func (db *DB) EndOrphanedCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent, staleBefore time.Time) error {
	now := db.stamp()
	lost := c.NodeID
	c.UpdatedAt, c.NodeID = now, ""
	normalizeCall(c)
	var ps params
	query := "UPDATE calls SET " + callSets(c, &ps) +
		" WHERE account_id = " + ps.add(c.AccountID) + " AND id = " + ps.add(c.ID) +
		" AND node_id = " + ps.add(lost) + " AND " + activeCondition +
		" AND " + deadNodeCondition(ps.add(storedTime(staleBefore))) + " RETURNING created_at"
	err := db.conditionalWrite(ctx, c, ev, now, query, ps.args, "The call has ended or its node is alive")
	if err != nil {
		c.NodeID = lost
	}
	return callError("end orphaned call", err)
}

// conditionalWrite runs query, an UPDATE of c whose WHERE clause holds
// the write's conditions, returning created_at, and stores ev with it; or
// tells why nothing matched: ENOTFOUND, or ECONFLICT with why.
//
// Without an event the UPDATE is a transaction of its own. With one, it
// is a pipelined transaction of two round trips (pipeline.go): the UPDATE
// with the read of the call's tags, which the event's snapshot shows as
// they are at this moment; then the event and the commit.
func (db *DB) conditionalWrite(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent, now time.Time, query string, args []any, why string) error {
	if ev == nil {
		err := db.pool.QueryRow(ctx, query, args...).Scan(&c.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return callMissingOrTaken(ctx, db.pool, c, why)
		}
		return err
	}
	err := db.writePipelined(ctx, func(tx *pipelinedTx) error {
		var (
			matched bool
			tags    []sipsim.Tag
		)
		b := &pgx.Batch{}
		b.Queue(query, args...).QueryRow(func(row pgx.Row) error {
			err := row.Scan(&c.CreatedAt)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // told apart below; an error would end the batch
			}
			matched = err == nil
			return err
		})
		queueCallTags(b, c.ID, &tags)
		if err := tx.send(ctx, b); err != nil {
			return err
		}
		if !matched {
			return callMissingOrTaken(ctx, tx.querier(), c, why)
		}
		c.Tags = tags
		b = &pgx.Batch{}
		if err := queueEvent(b, c, ev, now); err != nil {
			return err
		}
		return tx.commit(ctx, b)
	})
	if err == nil {
		db.notices.add(ev)
	}
	return err
}

// callMissingOrTaken tells why a conditional write of c changed nothing:
// ENOTFOUND if the call does not exist, else ECONFLICT with why.
func callMissingOrTaken(ctx context.Context, q querier, c *sipsim.Call, why string) error {
	var exists bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM calls WHERE account_id = $1 AND id = $2)`,
		c.AccountID, c.ID).Scan(&exists)
	switch {
	case err != nil:
		return err
	case !exists:
		return errCallNotFound()
	}
	return sipsim.Errorf(sipsim.ECONFLICT, "%s", why)
}
