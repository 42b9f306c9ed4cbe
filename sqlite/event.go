package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sipsim/sipsim"
)

const eventSelect = "SELECT id, account_id, call_id, type, status, at, call_snapshot FROM call_events "

func scanEvent(row scanner) (*sipsim.CallEvent, error) {
	var (
		ev       sipsim.CallEvent
		status   string
		snapshot sql.NullString
	)
	if err := row.Scan(&ev.ID, &ev.AccountID, &ev.CallID, &ev.Type, &status, timeCol{&ev.At}, &snapshot); err != nil {
		return nil, err
	}
	ev.Status = sipsim.CallStatus(status)
	if snapshot.Valid {
		ev.Call = new(sipsim.Call)
		if err := json.Unmarshal([]byte(snapshot.String), ev.Call); err != nil {
			return nil, fmt.Errorf("event %d: call snapshot: %w", ev.ID, err)
		}
	}
	return &ev, nil
}

// insertEvent appends ev (if not nil) to c's timeline inside tx, with its
// webhook deliveries, and sets ev.ID. The event always belongs to c: its
// AccountID and CallID are set from c. An empty Status defaults to c's, a
// zero At to now.
//
// ev.Call is replaced by the store's snapshot of c as just saved (times at
// storage precision, UpdatedAt from the store's clock, the tags it carries
// now), so that the snapshot agrees with the call row and ev.Call equals
// what a read returns. A snapshot built by the caller before the save would
// miss the store's timestamps.
func insertEvent(ctx context.Context, tx writeTx, c *sipsim.Call, ev *sipsim.CallEvent, now time.Time) error {
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
	err = tx.QueryRowContext(ctx, `
		INSERT INTO call_events (account_id, call_id, type, status, at, call_snapshot)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		ev.AccountID, ev.CallID, ev.Type, string(ev.Status), encodeTime(ev.At), string(snapshot)).Scan(&ev.ID)
	if err != nil {
		return err
	}
	return enqueueDeliveries(ctx, tx, ev)
}

// eventsQuery is Events' query after the SELECT.
func eventsQuery(f sipsim.EventFilter) (string, []any) {
	query := "WHERE account_id = ?"
	args := []any{f.AccountID}
	if f.CallID != "" {
		query += " AND call_id = ?"
		args = append(args, f.CallID)
	}
	query += " AND id > ? ORDER BY id"
	args = append(args, f.AfterID)
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return query, args
}

// Events returns the events of one account (and of one call if f.CallID is
// set) with an id above f.AfterID, in id order, each with its call snapshot
// (nil for events stored before snapshots existed). f.Limit <= 0 means no
// limit.
func (db *DB) Events(ctx context.Context, f sipsim.EventFilter) ([]*sipsim.CallEvent, error) {
	where, args := eventsQuery(f)
	// eventsQuery has four texts, with or without a call and a limit: all
	// are kept.
	events, err := queryAll(ctx, keptReader{db}, scanEvent, eventSelect+where, args...)
	if err != nil {
		return nil, unreadable(fmt.Errorf("events: %w", err))
	}
	return events, nil
}

// LatestEventID implements sipsim.EventStore.
func (db *DB) LatestEventID(ctx context.Context, accountID int64) (int64, error) {
	var id int64
	err := db.keptRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM call_events WHERE account_id = ?", accountID).Scan(&id)
	if err != nil {
		return 0, unreadable(fmt.Errorf("latest event id: %w", err))
	}
	return id, nil
}

// CallEvents returns the timeline of a call, oldest first; empty for a call
// that does not exist.
func (db *DB) CallEvents(ctx context.Context, accountID int64, callID string) ([]*sipsim.CallEvent, error) {
	events, err := queryAll(ctx, keptReader{db}, scanEvent,
		eventSelect+"WHERE account_id = ? AND call_id = ? ORDER BY id", accountID, callID)
	if err != nil {
		return nil, unreadable(fmt.Errorf("call events: %w", err))
	}
	return events, nil
}
