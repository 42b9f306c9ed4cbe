package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/internal/storesql"
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
// order of appendCallArgs and scanCall.
var callColumns = []string{
	"phone_id", "target_number", "caller_id", "direction", "source", "status", "ended_reason",
	"created_at", "updated_at", "answered_at", "ended_at",
	"agent_status", "agent_sip_code", "agent_contact",
	"agent_started_at", "agent_ringing_at", "agent_answered_at", "agent_ended_at",
	"agent_forwarded_to", "agent_answered_by",
	"target_status", "target_sip_code", "target_contact",
	"target_started_at", "target_ringing_at", "target_answered_at", "target_ended_at",
	"target_forwarded_to", "target_answered_by",
	"has_recording", "recording_duration", "token_id",
	"node_id", "dispatch", "dispatch_caller_id_name", "dispatch_auto_answer", "dispatch_agent_ring_timeout_ms",
}

var callSelect = "SELECT id, account_id, " + strings.Join(callColumns, ", ") + " FROM calls "

// callInsert inserts a call: its id, account and callColumns.
var callInsert = "INSERT INTO calls (id, account_id, " + strings.Join(callColumns, ", ") +
	") VALUES (?, ?" + strings.Repeat(", ?", len(callColumns)) + ")"

// callSets is the SET list of an UPDATE that saves a call: every column
// but id, account_id and created_at, with callUpdateArgs' values. It is
// written once: built per write, it and its arguments were a tenth of the
// bytes a call allocated (docs/benchmarks.md, session 5).
var callSets = func() string {
	cols := make([]string, 0, len(callColumns))
	for _, col := range callColumns {
		if col != "created_at" {
			cols = append(cols, col+" = ?")
		}
	}
	return strings.Join(cols, ", ")
}()

func appendLegArgs(args []any, l *sipsim.Leg) []any {
	return append(args, string(l.Status), l.SIPCode, l.Contact,
		encodeTimePtr(l.StartedAt), encodeTimePtr(l.RingingAt), encodeTimePtr(l.AnsweredAt), encodeTimePtr(l.EndedAt),
		l.ForwardedTo, l.AnsweredBy)
}

// appendCallArgs appends c's values in the order of callColumns, leaving
// out created_at unless withCreated.
func appendCallArgs(args []any, c *sipsim.Call, withCreated bool) []any {
	args = append(args, c.PhoneID, c.TargetNumber, c.CallerID, c.Direction, c.Source, string(c.Status), string(c.EndedReason))
	if withCreated {
		args = append(args, encodeTime(c.CreatedAt))
	}
	args = append(args, encodeTime(c.UpdatedAt), encodeTimePtr(c.AnsweredAt), encodeTimePtr(c.EndedAt))
	args = appendLegArgs(args, &c.AgentLeg)
	args = appendLegArgs(args, &c.TargetLeg)
	args = append(args, c.HasRecording, c.RecordingDuration, c.TokenID, c.NodeID)
	return append(args, storesql.DispatchArgs(c.Dispatch)...)
}

// callUpdateArgs are the values of callSets for c, then room for the
// WHERE clause's: extra more, which the caller appends.
func callUpdateArgs(c *sipsim.Call, extra int) []any {
	return appendCallArgs(make([]any, 0, len(callColumns)-1+extra), c, false)
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

func scanCall(row scanner) (*sipsim.Call, error) {
	var (
		c                                 sipsim.Call
		status, reason, agentSt, targetSt string
		d                                 storesql.DispatchCols
	)
	a, t := &c.AgentLeg, &c.TargetLeg
	err := row.Scan(&c.ID, &c.AccountID,
		&c.PhoneID, &c.TargetNumber, &c.CallerID, &c.Direction, &c.Source, &status, &reason,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, nullTimeCol{&c.AnsweredAt}, nullTimeCol{&c.EndedAt},
		&agentSt, &a.SIPCode, &a.Contact,
		nullTimeCol{&a.StartedAt}, nullTimeCol{&a.RingingAt}, nullTimeCol{&a.AnsweredAt}, nullTimeCol{&a.EndedAt},
		&a.ForwardedTo, &a.AnsweredBy,
		&targetSt, &t.SIPCode, &t.Contact,
		nullTimeCol{&t.StartedAt}, nullTimeCol{&t.RingingAt}, nullTimeCol{&t.AnsweredAt}, nullTimeCol{&t.EndedAt},
		&t.ForwardedTo, &t.AnsweredBy,
		&c.HasRecording, &c.RecordingDuration, &c.TokenID,
		&c.NodeID, &d.State, &d.CallerIDName, &d.AutoAnswer, &d.AgentRingMS,
	)
	if err != nil {
		return nil, err
	}
	c.Status, c.EndedReason = sipsim.CallStatus(status), sipsim.EndReason(reason)
	a.Status, t.Status = sipsim.LegStatus(agentSt), sipsim.LegStatus(targetSt)
	c.Dispatch = d.Dispatch()
	return &c, nil
}

// callError turns a constraint violation of a call write into the
// user-facing error, and wraps anything else.
func callError(op string, err error) error {
	if code := sipsim.ErrorCode(err); code != sipsim.EINTERNAL {
		return err // already what the user is to see (a limit reached)
	}
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
// and c.UpdatedAt from the store's clock, and ev's ID and Call (see
// insertEvent). A new call has no tags: c.Tags is cleared. The partial
// unique index calls_one_active_per_phone turns a second active call for a
// phone into ECONFLICT; then limits are counted in the same transaction,
// the new row included, which rolls back on ERATELIMIT. The transaction
// holds SQLite's write lock from its first statement (BEGIN IMMEDIATE), so
// no other insert can slip in between the count and the commit.
func (db *DB) CreateCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent, limits sipsim.CallLimits) error {
	now := db.stamp()
	c.CreatedAt, c.UpdatedAt, c.Tags = now, now, nil
	normalizeCall(c)
	args := appendCallArgs(append(make([]any, 0, 2+len(callColumns)), c.ID, c.AccountID), c, true)
	err := db.write(ctx, func(tx writeTx) error {
		if _, err := tx.ExecContext(ctx, callInsert, args...); err != nil {
			return err
		}
		if err := checkCallLimits(ctx, tx, c, limits, now); err != nil {
			return err
		}
		return insertEvent(ctx, tx, c, ev, now)
	})
	if err != nil {
		return callError("create call", err)
	}
	return nil
}

// UpdateCall saves c (matched by account and id; its id, account and
// creation time are kept) and appends ev, if not nil, in one transaction.
// It sets c.UpdatedAt from the store's clock and c.Tags to the call's
// stored tags: UpdateCall never changes tags, TagCall does. The row is
// matched on node_id too, the fence of sipsim.CallStore: ECONFLICT once
// the call is on another node, or none.
func (db *DB) UpdateCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent) error {
	now := db.stamp()
	c.UpdatedAt = now
	normalizeCall(c)
	args := append(callUpdateArgs(c, 3), c.AccountID, c.ID, c.NodeID)
	if err := db.conditionalWrite(ctx, c, ev, now, callUpdate, args, callFenced); err != nil {
		return callError("update call", err)
	}
	return nil
}

// callFenced is why UpdateCall refuses a write: the call is no longer on
// the writer's node.
const callFenced = "The call is no longer run by this node: another node closed it"

// callUpdate is UpdateCall's statement.
var callUpdate = "UPDATE calls SET " + callSets + " WHERE account_id = ? AND id = ? AND node_id = ? RETURNING created_at"

// findCalls returns the calls selected by where (a WHERE clause and what
// follows it) with their tags, read in one transaction. where is one of a
// bounded set of texts: its statement is kept (kept.go).
func (db *DB) findCalls(ctx context.Context, where string, args ...any) ([]*sipsim.Call, error) {
	return db.selectCalls(ctx, true, where, args...)
}

// selectCalls is findCalls, keeping where's statement only if keepWhere:
// the tags' statement is kept in any case.
func (db *DB) selectCalls(ctx context.Context, keepWhere bool, where string, args ...any) ([]*sipsim.Call, error) {
	kept := []string{callTagsQuery}
	if keepWhere {
		kept = append(kept, callSelect+where)
	}
	var calls []*sipsim.Call
	err := db.readKept(ctx, kept, func(q rowsQuerier) error {
		var err error
		calls, err = queryAll(ctx, q, scanCall, callSelect+where, args...)
		if err != nil {
			return err
		}
		return loadCallTags(ctx, q, calls)
	})
	return calls, err
}

// findCall is findCalls for at most one call: ENOTFOUND when none matches.
func (db *DB) findCall(ctx context.Context, where string, args ...any) (*sipsim.Call, error) {
	calls, err := db.findCalls(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	if len(calls) == 0 {
		return nil, errCallNotFound()
	}
	return calls[0], nil
}

// Call returns one call of the account with its tags.
func (db *DB) Call(ctx context.Context, accountID int64, id string) (*sipsim.Call, error) {
	c, err := db.findCall(ctx, "WHERE account_id = ? AND id = ?", accountID, id)
	return c, wrapUnlessCoded("call "+id, err)
}

// ActiveCalls returns every call not in a final status, of every account,
// oldest first.
func (db *DB) ActiveCalls(ctx context.Context) ([]*sipsim.Call, error) {
	calls, err := db.findCalls(ctx, "WHERE "+activeCondition+" ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("active calls: %w", err)
	}
	return calls, nil
}
