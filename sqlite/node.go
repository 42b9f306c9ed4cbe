package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
)

// A SQLite database has one `serve` process, so the cluster's methods have
// one node to serve: it closes the calls a crash left at its start
// (calls.Service.Recover), never dispatches, and has no one to notify.
// They behave as PostgreSQL's all the same, so that the contract suite
// holds for both; SQLite's single writer makes each write atomic.

var _ sipsim.NodeStore = (*DB)(nil)

// Heartbeat inserts the node or refreshes it. HeartbeatAt comes from the
// store's clock; StartedAt is the one first stored.
func (db *DB) Heartbeat(ctx context.Context, n *sipsim.Node) error {
	now := db.stamp()
	var started time.Time
	err := db.write(ctx, func(tx writeTx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO nodes (id, name, sip_addr, started_at, heartbeat_at, draining)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET
				name = excluded.name, sip_addr = excluded.sip_addr,
				heartbeat_at = excluded.heartbeat_at, draining = excluded.draining
			RETURNING started_at`,
			n.ID, n.Name, n.SIPAddr, encodeTime(n.StartedAt), encodeTime(now), n.Draining).Scan(timeCol{&started})
	})
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	n.StartedAt, n.HeartbeatAt = started, now
	return nil
}

// RemoveNode deletes a node; no error if it is absent.
func (db *DB) RemoveNode(ctx context.Context, id string) error {
	err := db.write(ctx, func(tx writeTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM nodes WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove node: %w", err)
	}
	return nil
}

// Node returns one node. ENOTFOUND.
func (db *DB) Node(ctx context.Context, id string) (*sipsim.Node, error) {
	var n sipsim.Node
	err := db.reader.QueryRowContext(ctx, `
		SELECT id, name, sip_addr, started_at, heartbeat_at, draining FROM nodes WHERE id = ?`, id).
		Scan(&n.ID, &n.Name, &n.SIPAddr, timeCol{&n.StartedAt}, timeCol{&n.HeartbeatAt}, &n.Draining)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "Node not found")
	}
	if err != nil {
		return nil, unreadable(fmt.Errorf("node: %w", err))
	}
	return &n, nil
}

// deadNodeCondition selects, in a query on calls, those whose node has
// not heartbeat after the time bound to its placeholder, or is unknown.
const deadNodeCondition = "NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = calls.node_id AND n.heartbeat_at > ?)"

// OrphanedCalls returns the active calls of every account whose node has
// not heartbeat after staleBefore, or is unknown, oldest first.
func (db *DB) OrphanedCalls(ctx context.Context, staleBefore time.Time) ([]*sipsim.Call, error) {
	calls, err := db.findCalls(ctx, "WHERE "+activeCondition+" AND "+deadNodeCondition+" ORDER BY created_at, id",
		encodeTime(staleBefore))
	if err != nil {
		return nil, unreadable(fmt.Errorf("orphaned calls: %w", err))
	}
	return calls, nil
}

// EndOrphanedCall saves c and appends ev, as UpdateCall does, only if the
// stored call is still active on node c.NodeID and that node is still
// dead: ECONFLICT otherwise. It clears the call's node_id, which fences
// that node off (see UpdateCall).
func (db *DB) EndOrphanedCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent, staleBefore time.Time) error {
	now := db.stamp()
	lost := c.NodeID
	c.UpdatedAt, c.NodeID = now, ""
	normalizeCall(c)
	query := "UPDATE calls SET " + callSets + " WHERE account_id = ? AND id = ? AND node_id = ? AND " +
		activeCondition + " AND " + deadNodeCondition + " RETURNING created_at"
	args := append(callUpdateArgs(c, 4), c.AccountID, c.ID, lost, encodeTime(staleBefore))
	err := db.conditionalWrite(ctx, c, ev, now, query, args, "The call has ended or its node is alive")
	if err != nil {
		c.NodeID = lost
	}
	return callError("end orphaned call", err)
}

// EndUnclaimedCall saves c and appends ev, as UpdateCall does, only if
// the stored call is still dispatched to node c.NodeID, pending and
// initiating: ECONFLICT otherwise.
func (db *DB) EndUnclaimedCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent) error {
	now := db.stamp()
	c.UpdatedAt = now
	normalizeCall(c)
	query := "UPDATE calls SET " + callSets + " WHERE account_id = ? AND id = ? AND node_id = ? AND dispatch = 'pending'" +
		" AND status = ? RETURNING created_at"
	args := append(callUpdateArgs(c, 4), c.AccountID, c.ID, c.NodeID, string(sipsim.CallInitiating))
	err := db.conditionalWrite(ctx, c, ev, now, query, args, "The call has been taken by its node or has ended")
	return callError("end unclaimed call", err)
}

// conditionalWrite runs query, an UPDATE of c whose WHERE clause holds
// the write's conditions, returning created_at, and stores ev with it; or
// tells why nothing matched: ENOTFOUND, or ECONFLICT with why.
func (db *DB) conditionalWrite(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent, now time.Time, query string, args []any, why string) error {
	return db.write(ctx, func(tx writeTx) error {
		err := tx.QueryRowContext(ctx, query, args...).Scan(timeCol{&c.CreatedAt})
		if errors.Is(err, sql.ErrNoRows) {
			return callMissingOrTaken(ctx, tx, c, why)
		}
		if err != nil {
			return err
		}
		if ev == nil {
			return nil
		}
		// The event's snapshot shows the tags the call has at this moment.
		if err := loadCallTags(ctx, tx, []*sipsim.Call{c}); err != nil {
			return err
		}
		return insertEvent(ctx, tx, c, ev, now)
	})
}

// callMissingOrTaken tells why a conditional write of c changed nothing:
// ENOTFOUND if the call does not exist, else ECONFLICT with why.
func callMissingOrTaken(ctx context.Context, tx writeTx, c *sipsim.Call, why string) error {
	var exists bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM calls WHERE account_id = ? AND id = ?)`,
		c.AccountID, c.ID).Scan(&exists)
	switch {
	case err != nil:
		return err
	case !exists:
		return errCallNotFound()
	}
	return sipsim.Errorf(sipsim.ECONFLICT, "%s", why)
}

// ClaimDispatchedCalls marks the node's pending dispatched calls claimed
// and returns them with their tags, oldest first.
func (db *DB) ClaimDispatchedCalls(ctx context.Context, nodeID string) ([]*sipsim.Call, error) {
	var calls []*sipsim.Call
	err := db.write(ctx, func(tx writeTx) error {
		var err error
		calls, err = queryAll(ctx, tx, scanCall, `
			UPDATE calls SET dispatch = 'claimed'
			WHERE node_id = ? AND dispatch = 'pending' AND `+activeCondition+`
			RETURNING id, account_id, `+strings.Join(callColumns, ", "), nodeID)
		if err != nil {
			return err
		}
		return loadCallTags(ctx, tx, calls)
	})
	if err != nil {
		return nil, fmt.Errorf("claim dispatched calls: %w", err)
	}
	sortCalls(calls)
	return calls, nil
}

// sortCalls orders calls oldest first, by id within one instant.
func sortCalls(calls []*sipsim.Call) {
	slices.SortFunc(calls, func(a, b *sipsim.Call) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// RequestCancel does nothing: the one node runs every call, and hangs up
// its own without being told.
func (db *DB) RequestCancel(context.Context, string) error { return nil }
