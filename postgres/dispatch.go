package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// How nodes signal each other: PostgreSQL notifications, sent in the
// transaction of the change they announce, so that they are delivered
// only if it commits, and only after.
const (
	// dispatchChannel carries the id of a node a call was dispatched to.
	dispatchChannel = "sipsim_dispatch"
	// cancelChannel carries the id of a call to hang up, for whichever
	// node runs it.
	cancelChannel = "sipsim_cancel"
)

// queueDispatchNotify queues on b, a batch of the transaction that
// creates c, the notification that wakes the node c is dispatched to,
// sent when the transaction commits. Nothing for a call its creator runs.
func queueDispatchNotify(b *pgx.Batch, c *sipsim.Call) {
	if c.Dispatch == nil || c.Dispatch.Claimed {
		return
	}
	b.Queue(`SELECT pg_notify($1, $2)`, dispatchChannel, c.NodeID)
}

// ClaimDispatchedCalls marks the node's pending dispatched calls claimed
// and returns them with their tags, oldest first. The UPDATE's condition
// is checked again on each row once its lock is had, so two claims at once
// (a notification and the poll) split the calls between them.
func (db *DB) ClaimDispatchedCalls(ctx context.Context, nodeID string) ([]*sipsim.Call, error) {
	var calls []*sipsim.Call
	err := db.write(ctx, func(tx pgx.Tx) error {
		var err error
		calls, err = queryAll(ctx, tx, scanCall, `
			UPDATE calls SET dispatch = 'claimed'
			WHERE node_id = $1 AND dispatch = 'pending' AND `+activeCondition+`
			RETURNING id, account_id, `+strings.Join(callColumns, ", "), nodeID)
		if err != nil {
			return err
		}
		return loadCallTags(ctx, tx, calls)
	})
	if err != nil {
		return nil, wrap("claim dispatched calls", err)
	}
	slices.SortFunc(calls, func(a, b *sipsim.Call) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return calls, nil
}

// EndUnclaimedCall saves c and appends ev, as UpdateCall does, only if
// the stored call is still dispatched to node c.NodeID, pending and
// initiating. A claim at the same time locks the same row: whichever
// commits second finds its condition false once it has the lock (the
// call ended, or claimed) and changes nothing.
func (db *DB) EndUnclaimedCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent) error {
	now := db.stamp()
	c.UpdatedAt = now
	normalizeCall(c)
	var ps params
	query := "UPDATE calls SET " + callSets(c, &ps) +
		" WHERE account_id = " + ps.add(c.AccountID) + " AND id = " + ps.add(c.ID) +
		" AND node_id = " + ps.add(c.NodeID) + " AND dispatch = 'pending'" +
		" AND status = " + ps.add(string(sipsim.CallInitiating)) + " RETURNING created_at"
	err := db.conditionalWrite(ctx, c, ev, now, query, ps.args, "The call has been taken by its node or has ended")
	return callError("end unclaimed call", err)
}

// RequestCancel notifies every node that the call is to be hung up; the
// one running it does.
func (db *DB) RequestCancel(ctx context.Context, callID string) error {
	_, err := db.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, cancelChannel, callID)
	return wrap("request cancel", err)
}

// ClusterSignals are what a node does when the others signal it.
type ClusterSignals struct {
	// Dispatched is called when calls may wait for the node: on a
	// notification naming it, and after each (re)connection, since
	// notifications sent while disconnected are lost.
	Dispatched func()
	// Cancel is called with the id of a call a node was asked to hang up.
	Cancel func(callID string)
	// Disconnected is told why the connection was lost (or could not be
	// made) and when the next try is; nil to ignore.
	Disconnected func(err error, retryIn time.Duration)
}

// Reconnection backoff of ListenCluster, and how often an idle connection
// is checked: a connection cut without a word (a firewall dropping it)
// shows only when used.
const (
	clusterRetryMin  = 100 * time.Millisecond
	clusterRetryMax  = 5 * time.Second
	clusterIdleCheck = 30 * time.Second
)

// ListenCluster listens, on a connection of its own, for the
// notifications of the cluster meant for node nodeID, until ctx ends. A
// lost connection is made again after a backoff that doubles from 100 ms
// to 5 s. Notifications are a wake-up, not a queue: what was sent while
// no connection listened is lost, so the node also polls
// (ClaimDispatchedCalls) every second or so.
func (db *DB) ListenCluster(ctx context.Context, nodeID string, sig ClusterSignals) {
	backoff := clusterRetryMin
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, nodeID, sig, func() { backoff = clusterRetryMin })
		if ctx.Err() != nil {
			return
		}
		if sig.Disconnected != nil {
			sig.Disconnected(err, backoff)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, clusterRetryMax)
	}
}

// listenOnce connects, listens and hands notifications to sig until the
// connection fails or ctx ends. connected is called once listening.
func (db *DB) listenOnce(ctx context.Context, nodeID string, sig ClusterSignals, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig)
	if err != nil {
		return classify(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{dispatchChannel, cancelChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return classify(err)
		}
	}
	connected()
	sig.Dispatched()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, clusterIdleCheck)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if err := pingClusterConn(ctx, conn); err != nil {
				return err
			}
			continue
		case err != nil:
			return classify(err)
		}
		switch n.Channel {
		case dispatchChannel:
			if n.Payload == nodeID {
				sig.Dispatched()
			}
		case cancelChannel:
			sig.Cancel(n.Payload)
		}
	}
}

// pingClusterConn checks an idle listening connection.
func pingClusterConn(ctx context.Context, conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return classify(conn.Ping(ctx))
}
