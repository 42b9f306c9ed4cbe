package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
)

// activeCondition selects calls in an active status. It is written exactly
// as the WHERE clause of the partial index calls_one_active_per_phone so
// that SQLite can use that index for it (a test checks they agree).
var activeCondition = func() string {
	q := make([]string, len(sipsim.ActiveCallStatuses))
	for i, s := range sipsim.ActiveCallStatuses {
		q[i] = "'" + string(s) + "'"
	}
	return "status IN (" + strings.Join(q, ", ") + ")"
}()

// callColumns are the call's columns other than id and account_id, in the
// order of callArgs and scanCall.
var callColumns = []string{
	"phone_id", "target_number", "caller_id", "direction", "source", "status", "ended_reason",
	"created_at", "updated_at", "answered_at", "ended_at",
	"agent_status", "agent_sip_code", "agent_contact",
	"agent_started_at", "agent_ringing_at", "agent_answered_at", "agent_ended_at",
	"target_status", "target_sip_code", "target_contact",
	"target_started_at", "target_ringing_at", "target_answered_at", "target_ended_at",
}

var callSelect = "SELECT id, account_id, " + strings.Join(callColumns, ", ") + " FROM calls "

func legArgs(l *sipsim.Leg) []any {
	return []any{string(l.Status), l.SIPCode, l.Contact,
		encodeTimePtr(l.StartedAt), encodeTimePtr(l.RingingAt), encodeTimePtr(l.AnsweredAt), encodeTimePtr(l.EndedAt)}
}

func callArgs(c *sipsim.Call) []any {
	args := []any{c.PhoneID, c.TargetNumber, c.CallerID, c.Direction, c.Source, string(c.Status), string(c.EndedReason),
		encodeTime(c.CreatedAt), encodeTime(c.UpdatedAt), encodeTimePtr(c.AnsweredAt), encodeTimePtr(c.EndedAt)}
	args = append(args, legArgs(&c.AgentLeg)...)
	return append(args, legArgs(&c.TargetLeg)...)
}

// normalizeCall sets every time of c to the value the store keeps, so that
// after a write c equals what a read returns.
func normalizeCall(c *sipsim.Call) {
	c.CreatedAt = storedTime(c.CreatedAt)
	c.UpdatedAt = storedTime(c.UpdatedAt)
	c.AnsweredAt = storedTimePtr(c.AnsweredAt)
	c.EndedAt = storedTimePtr(c.EndedAt)
	for _, l := range []*sipsim.Leg{&c.AgentLeg, &c.TargetLeg} {
		l.StartedAt = storedTimePtr(l.StartedAt)
		l.RingingAt = storedTimePtr(l.RingingAt)
		l.AnsweredAt = storedTimePtr(l.AnsweredAt)
		l.EndedAt = storedTimePtr(l.EndedAt)
	}
}

func scanCall(row interface{ Scan(...any) error }) (*sipsim.Call, error) {
	var (
		c                                 sipsim.Call
		status, reason, agentSt, targetSt string
	)
	a, t := &c.AgentLeg, &c.TargetLeg
	err := row.Scan(&c.ID, &c.AccountID,
		&c.PhoneID, &c.TargetNumber, &c.CallerID, &c.Direction, &c.Source, &status, &reason,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, nullTimeCol{&c.AnsweredAt}, nullTimeCol{&c.EndedAt},
		&agentSt, &a.SIPCode, &a.Contact,
		nullTimeCol{&a.StartedAt}, nullTimeCol{&a.RingingAt}, nullTimeCol{&a.AnsweredAt}, nullTimeCol{&a.EndedAt},
		&targetSt, &t.SIPCode, &t.Contact,
		nullTimeCol{&t.StartedAt}, nullTimeCol{&t.RingingAt}, nullTimeCol{&t.AnsweredAt}, nullTimeCol{&t.EndedAt},
	)
	if err != nil {
		return nil, err
	}
	c.Status, c.EndedReason = sipsim.CallStatus(status), sipsim.EndReason(reason)
	a.Status, t.Status = sipsim.LegStatus(agentSt), sipsim.LegStatus(targetSt)
	return &c, nil
}

// callError turns a constraint violation of a call write into the
// user-facing error, and wraps anything else.
func callError(op string, err error) error {
	switch {
	case violatesUnique(err, "calls.phone_id"):
		return sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on another call")
	case violatesUnique(err, "calls.id"):
		return sipsim.Errorf(sipsim.ECONFLICT, "A call with this id already exists")
	case violatesCheck(err, "calls_status"):
		return sipsim.Errorf(sipsim.EINVALID, "Unknown call status")
	}
	return fmt.Errorf("%s: %w", op, err)
}

func errCallNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Call not found") }

// CreateCall stores a new call with its first event. It sets c.CreatedAt
// and c.UpdatedAt from the store's clock, and ev's ID (see insertEvent).
// The partial unique index calls_one_active_per_phone turns a second
// active call for a phone into ECONFLICT.
func (db *DB) CreateCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent) error {
	now := db.stamp()
	c.CreatedAt, c.UpdatedAt = now, now
	normalizeCall(c)
	query := "INSERT INTO calls (id, account_id, " + strings.Join(callColumns, ", ") +
		") VALUES (?, ?" + strings.Repeat(", ?", len(callColumns)) + ")"
	args := append([]any{c.ID, c.AccountID}, callArgs(c)...)
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, c, ev, now)
	})
	if err != nil {
		return callError("create call", err)
	}
	return nil
}

// UpdateCall saves c (matched by account and id; its id, account and
// creation time are kept) and appends ev, if not nil, in one transaction.
// It sets c.UpdatedAt from the store's clock.
func (db *DB) UpdateCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent) error {
	now := db.stamp()
	c.UpdatedAt = now
	normalizeCall(c)
	cols := make([]string, 0, len(callColumns))
	args := make([]any, 0, len(callColumns)+2)
	for i, v := range callArgs(c) {
		if callColumns[i] == "created_at" {
			continue
		}
		cols = append(cols, callColumns[i]+" = ?")
		args = append(args, v)
	}
	query := "UPDATE calls SET " + strings.Join(cols, ", ") + " WHERE account_id = ? AND id = ? RETURNING created_at"
	args = append(args, c.AccountID, c.ID)
	err := db.write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, query, args...).Scan(timeCol{&c.CreatedAt}); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, c, ev, now)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return errCallNotFound()
	} else if err != nil {
		return callError("update call", err)
	}
	return nil
}

// insertEvent appends ev (if not nil) to c's timeline and sets ev.ID. The
// event always belongs to c: its AccountID and CallID are set from c. An
// empty Status defaults to c's, a zero At to now.
func (db *DB) insertEvent(ctx context.Context, tx *sql.Tx, c *sipsim.Call, ev *sipsim.CallEvent, now time.Time) error {
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
	return tx.QueryRowContext(ctx, `
		INSERT INTO call_events (account_id, call_id, type, status, at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		ev.AccountID, ev.CallID, ev.Type, string(ev.Status), encodeTime(ev.At)).Scan(&ev.ID)
}

// Call returns one call of the account.
func (db *DB) Call(ctx context.Context, accountID int64, id string) (*sipsim.Call, error) {
	c, err := scanCall(db.reader.QueryRowContext(ctx, callSelect+"WHERE account_id = ? AND id = ?", accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCallNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("call %s: %w", id, err)
	}
	return c, nil
}

// CallEvents returns the timeline of a call, oldest first; empty for a call
// that does not exist.
func (db *DB) CallEvents(ctx context.Context, accountID int64, callID string) ([]*sipsim.CallEvent, error) {
	rows, err := db.reader.QueryContext(ctx, `
		SELECT id, account_id, call_id, type, status, at FROM call_events
		WHERE account_id = ? AND call_id = ? ORDER BY id`, accountID, callID)
	if err != nil {
		return nil, fmt.Errorf("call events: %w", err)
	}
	defer rows.Close()
	events := []*sipsim.CallEvent{}
	for rows.Next() {
		var (
			ev     sipsim.CallEvent
			status string
		)
		if err := rows.Scan(&ev.ID, &ev.AccountID, &ev.CallID, &ev.Type, &status, timeCol{&ev.At}); err != nil {
			return nil, fmt.Errorf("call events: %w", err)
		}
		ev.Status = sipsim.CallStatus(status)
		events = append(events, &ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("call events: %w", err)
	}
	return events, nil
}

// ActiveCalls returns every call not in a final status, of every account,
// oldest first.
func (db *DB) ActiveCalls(ctx context.Context) ([]*sipsim.Call, error) {
	rows, err := db.reader.QueryContext(ctx, callSelect+"WHERE "+activeCondition+" ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("active calls: %w", err)
	}
	defer rows.Close()
	calls := []*sipsim.Call{}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("active calls: %w", err)
		}
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("active calls: %w", err)
	}
	return calls, nil
}
