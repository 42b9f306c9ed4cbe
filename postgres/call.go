package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/internal/storesql"
)

// activeCondition selects calls in an active status. It is written as the
// WHERE clause of the partial index calls_one_active_per_phone, so that
// the planner can use that index for it (a test checks they agree).
var activeCondition = "status IN (" + quoteList(sipsim.ActiveCallStatuses) + ")"

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

func appendLegArgs(args []any, l *sipsim.Leg) []any {
	return append(args, string(l.Status), l.SIPCode, l.Contact,
		l.StartedAt, l.RingingAt, l.AnsweredAt, l.EndedAt,
		l.ForwardedTo, l.AnsweredBy)
}

// appendCallArgs appends c's values in the order of callColumns, leaving
// out created_at unless withCreated (an UPDATE keeps it), into one slice
// as SQLite's does (sqlite/call.go): each write of a step builds them.
func appendCallArgs(args []any, c *sipsim.Call, withCreated bool) []any {
	args = append(args, c.PhoneID, c.TargetNumber, c.CallerID, c.Direction, c.Source, string(c.Status), string(c.EndedReason))
	if withCreated {
		args = append(args, c.CreatedAt)
	}
	args = append(args, c.UpdatedAt, c.AnsweredAt, c.EndedAt)
	args = appendLegArgs(args, &c.AgentLeg)
	args = appendLegArgs(args, &c.TargetLeg)
	args = append(args, c.HasRecording, c.RecordingDuration, c.TokenID, c.NodeID)
	return append(args, storesql.DispatchArgs(c.Dispatch)...)
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

func scanCall(row pgx.Row) (*sipsim.Call, error) {
	var (
		c                                 sipsim.Call
		status, reason, agentSt, targetSt string
		d                                 storesql.DispatchCols
	)
	a, t := &c.AgentLeg, &c.TargetLeg
	err := row.Scan(&c.ID, &c.AccountID,
		&c.PhoneID, &c.TargetNumber, &c.CallerID, &c.Direction, &c.Source, &status, &reason,
		&c.CreatedAt, &c.UpdatedAt, &c.AnsweredAt, &c.EndedAt,
		&agentSt, &a.SIPCode, &a.Contact,
		&a.StartedAt, &a.RingingAt, &a.AnsweredAt, &a.EndedAt,
		&a.ForwardedTo, &a.AnsweredBy,
		&targetSt, &t.SIPCode, &t.Contact,
		&t.StartedAt, &t.RingingAt, &t.AnsweredAt, &t.EndedAt,
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
	switch {
	case violatesUnique(err, "calls_one_active_per_phone"):
		return sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on another call")
	case violatesUnique(err, "calls_pkey"):
		return sipsim.Errorf(sipsim.ECONFLICT, "A call with this id already exists")
	case violatesCheck(err, "calls_status"):
		return sipsim.Errorf(sipsim.EINVALID, "Unknown call status")
	}
	return wrap(op, err) // a limit reached passes as it is
}

func errCallNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Call not found") }

// CreateCall stores a new call with its first event. It sets c.CreatedAt
// and c.UpdatedAt from the store's clock, and ev's ID and Call (see
// insertEvent). A new call has no tags: c.Tags is cleared.
//
// The partial unique index calls_one_active_per_phone turns a second
// active call for a phone into ECONFLICT, whichever node inserts it: of
// two concurrent inserts the second waits for the first to commit, then
// fails. Then limits are counted in the same transaction, the new row
// included, which rolls back on ERATELIMIT. For the count to hold under
// concurrency, a call with any limit first locks its account's row: the
// creations of one account then run one at a time (every limit counts
// calls of one account), each counting what the previous one committed.
// Calls without limits take no such lock.
//
// The phone's row, if it exists, is share-locked so that DeletePhone
// cannot check for an active call and delete the phone while this call
// is being created (see DeletePhone).
//
// A call dispatched to another node (c.Dispatch not claimed) wakes that
// node when the transaction commits (see notifyDispatch).
func (db *DB) CreateCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent, limits sipsim.CallLimits) error {
	now := db.stamp()
	c.CreatedAt, c.UpdatedAt, c.Tags = now, now, nil
	normalizeCall(c)
	args := appendCallArgs(append(make([]any, 0, 2+len(callColumns)), c.ID, c.AccountID), c, true)
	// Two round trips (pipeline.go): the locks, the insert and the counts
	// the limits need; then, if no limit is broken, the event and the
	// commit.
	err := db.writePipelined(ctx, func(tx *pipelinedTx) error {
		b := &pgx.Batch{}
		if anyLimit(limits) {
			b.Queue(`SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, c.AccountID)
		}
		b.Queue(`SELECT 1 FROM phones WHERE id = $1 FOR KEY SHARE`, c.PhoneID)
		b.Queue(callInsertQuery, args...)
		var counts limitCounts
		queueLimitCounts(b, c, limits, now, &counts)
		if err := tx.send(ctx, b); err != nil {
			return err
		}
		if err := checkCallLimits(ctx, tx.querier(), c, limits, counts, now); err != nil {
			return err
		}
		b = &pgx.Batch{}
		queueDispatchNotify(b, c)
		if err := queueEvent(b, c, ev, now); err != nil {
			return err
		}
		return tx.commit(ctx, b)
	})
	if err == nil {
		db.notices.add(ev)
	}
	return callError("create call", err)
}

// callInsertQuery inserts a call: its id, its account, then callColumns.
var callInsertQuery = "INSERT INTO calls (id, account_id, " + strings.Join(callColumns, ", ") +
	") VALUES (" + placeholders(1, 2+len(callColumns)) + ")"

// UpdateCall saves c (matched by account and id; its id, account and
// creation time are kept) and appends ev, if not nil, in one transaction.
// It sets c.UpdatedAt from the store's clock and c.Tags to the call's
// stored tags: UpdateCall never changes tags, TagCall does.
//
// The row is matched on node_id too (the fence, see sipsim.CallStore):
// once a sweeper has closed the call, which clears node_id under the
// row's lock, the write of the node that ran it matches nothing and is
// refused (ECONFLICT).
func (db *DB) UpdateCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent) error {
	now := db.stamp()
	c.UpdatedAt = now
	normalizeCall(c)
	var ps params
	query := "UPDATE calls SET " + callSets(c, &ps) +
		" WHERE account_id = " + ps.add(c.AccountID) + " AND id = " + ps.add(c.ID) +
		" AND node_id = " + ps.add(c.NodeID) + " RETURNING created_at"
	err := db.conditionalWrite(ctx, c, ev, now, query, ps.args, callFenced)
	return callError("update call", err)
}

// callFenced is why UpdateCall refuses a write: the call is no longer on
// the writer's node.
const callFenced = "The call is no longer run by this node: another node closed it"

// callSetList is the SET list of an UPDATE that saves a call: every
// column but id, account_id and created_at, numbered $1 on in
// callColumns' order. Written once, as SQLite's is (sqlite/call.go).
var callSetList = func() string {
	var ps params
	sets := make([]string, 0, len(callColumns))
	for _, col := range callColumns {
		if col != "created_at" {
			sets = append(sets, col+" = "+ps.add(nil))
		}
	}
	return strings.Join(sets, ", ")
}()

// callSets adds c's values for callSetList to ps, which must be empty (the
// SET list comes first in the statement), and returns callSetList.
func callSets(c *sipsim.Call, ps *params) string {
	if len(ps.args) != 0 {
		panic("postgres: callSets after other parameters")
	}
	// Room for the WHERE clause's few parameters after the SET list's.
	ps.args = appendCallArgs(make([]any, 0, len(callColumns)+4), c, false)
	return callSetList
}

// findCalls returns the calls selected by where (a WHERE clause and what
// follows it) with their tags, read in one transaction.
func (db *DB) findCalls(ctx context.Context, where string, args ...any) ([]*sipsim.Call, error) {
	var calls []*sipsim.Call
	err := db.read(ctx, func(tx pgx.Tx) error {
		var err error
		calls, err = queryAll(ctx, tx, scanCall, callSelect+where, args...)
		if err != nil {
			return err
		}
		return loadCallTags(ctx, tx, calls)
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
	c, err := db.findCall(ctx, "WHERE account_id = $1 AND id = $2", accountID, id)
	return c, wrap("call "+id, err)
}

// ActiveCalls returns every call not in a final status, of every account,
// oldest first.
func (db *DB) ActiveCalls(ctx context.Context) ([]*sipsim.Call, error) {
	calls, err := db.findCalls(ctx, "WHERE "+activeCondition+" ORDER BY created_at, id")
	return calls, wrap("active calls", err)
}
