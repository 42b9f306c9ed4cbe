package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

const eventSelect = "SELECT id, account_id, call_id, type, status, at, call_snapshot FROM call_events "

func scanEvent(row pgx.Row) (*sipsim.CallEvent, error) {
	var (
		ev       sipsim.CallEvent
		status   string
		snapshot []byte
	)
	if err := row.Scan(&ev.ID, &ev.AccountID, &ev.CallID, &ev.Type, &status, &ev.At, &snapshot); err != nil {
		return nil, err
	}
	ev.Status = sipsim.CallStatus(status)
	if snapshot != nil {
		ev.Call = new(sipsim.Call)
		if err := json.Unmarshal(snapshot, ev.Call); err != nil {
			return nil, fmt.Errorf("event %d: call snapshot: %w", ev.ID, err)
		}
	}
	return &ev, nil
}

// queueEvent queues on b, the batch that commits c's write, the insert
// of ev (if not nil) on c's timeline with its webhook deliveries; ev.ID
// and ev.Deliveries are set when b's results are read. Its notification
// to the nodes is the caller's to send once the transaction has committed
// (db.notices.add). The event always belongs to c: its AccountID and
// CallID are set from c. An empty Status defaults to c's, a zero At to
// now. The account's event lock (see lockEventsQuery) is queued first: it
// is held from there to the commit, which the same round trip carries, as
// each round trip under it was one more wait for every other call step of
// the account (bench/caps --db postgres).
//
// ev.Call is replaced by the store's snapshot of c as it will be saved
// (times at storage precision, UpdatedAt from the store's clock, the tags
// c carries, which the caller has read in the transaction), so that the
// snapshot agrees with the call row and ev.Call equals what a read
// returns.
func queueEvent(b *pgx.Batch, c *sipsim.Call, ev *sipsim.CallEvent, now time.Time) error {
	if ev == nil {
		return nil
	}
	ev.AccountID, ev.CallID = c.AccountID, c.ID
	if ev.Status == "" {
		ev.Status = c.Status
	}
	if ev.At.IsZero() {
		ev.At = now
	}
	ev.At = storedTime(ev.At)
	snapshot, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("call snapshot: %w", err)
	}
	// A deep copy, sharing no pointer with c, that equals what Events
	// decodes from the stored snapshot (storetest checks the two): c's
	// times are already in the store's form. Decoding the snapshot made
	// the copy before, at 3% of the server's CPU (bench/caps).
	ev.Call = c.Clone()
	b.Queue(lockEventsQuery, eventLockClass, ev.AccountID)
	b.Queue(insertEventQuery, ev.AccountID, ev.CallID, ev.Type, string(ev.Status), ev.At, string(snapshot)).
		QueryRow(func(row pgx.Row) error { return row.Scan(&ev.ID, &ev.Deliveries) })
	return nil
}

// insertEventQuery stores an event and, from the same statement, its
// outbox rows (the transactional outbox: a crash loses both or neither):
// one pending delivery, due at the event's time, per webhook of the
// account that wants the event's type (no types: every type). The
// webhooks are share-locked (FOR KEY SHARE, which updates do not wait
// for), in id order: a webhook deleted meanwhile is skipped once its
// delete commits, rather than breaking the insert's foreign key. It
// returns the event's id and the number of deliveries.
const insertEventQuery = `WITH ev AS (
		INSERT INTO call_events (account_id, call_id, type, status, at, call_snapshot)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
	), deliveries AS (
		INSERT INTO webhook_deliveries (account_id, webhook_id, event_id, event_type, status, attempts,
			next_attempt_at, created_at, updated_at)
		SELECT w.account_id, w.id, ev.id, $3, 'pending', 0, $5, $5, $5
		FROM webhooks w CROSS JOIN ev
		WHERE w.account_id = $1 AND (cardinality(w.event_types) = 0 OR $3 = ANY (w.event_types))
		ORDER BY w.id
		FOR KEY SHARE OF w
		RETURNING 1
	)
	SELECT id, (SELECT count(*) FROM deliveries) FROM ev`

// eventsQuery is Events' query after the SELECT.
func eventsQuery(f sipsim.EventFilter) (string, []any) {
	var ps params
	query := "WHERE account_id = " + ps.add(f.AccountID)
	if f.CallID != "" {
		query += " AND call_id = " + ps.add(f.CallID)
	}
	query += " AND id > " + ps.add(f.AfterID) + " ORDER BY id"
	if f.Limit > 0 {
		query += " LIMIT " + ps.add(f.Limit)
	}
	return query, ps.args
}

// Events returns the events of one account (and of one call if f.CallID is
// set) with an id above f.AfterID, in id order, each with its call
// snapshot. f.Limit <= 0 means no limit. Ids become visible in the order
// they grow (see lockEventsQuery), so a caller that pages with AfterID set to
// the last id it saw misses no event.
func (db *DB) Events(ctx context.Context, f sipsim.EventFilter) ([]*sipsim.CallEvent, error) {
	where, args := eventsQuery(f)
	events, err := queryAll(ctx, db.pool, scanEvent, eventSelect+where, args...)
	return events, wrap("events", err)
}

// LatestEventID implements sipsim.EventStore.
func (db *DB) LatestEventID(ctx context.Context, accountID int64) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, "SELECT COALESCE(max(id), 0) FROM call_events WHERE account_id = $1", accountID).Scan(&id)
	return id, wrap("latest event id", err)
}

// CallEvents returns the timeline of a call, oldest first; empty for a call
// that does not exist.
func (db *DB) CallEvents(ctx context.Context, accountID int64, callID string) ([]*sipsim.CallEvent, error) {
	events, err := queryAll(ctx, db.pool, scanEvent,
		eventSelect+"WHERE account_id = $1 AND call_id = $2 ORDER BY id", accountID, callID)
	return events, wrap("call events", err)
}
