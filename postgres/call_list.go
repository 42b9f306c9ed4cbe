package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
)

// Page sizes of Calls.
const (
	defaultCallLimit = 25
	maxCallLimit     = 1000
)

// callFilterWhere is the WHERE clause of f, its arguments added to ps,
// without the ORDER BY and LIMIT. Each condition is written so that one
// of the calls_account_* indexes serves it together with the newest-first
// order.
func callFilterWhere(f sipsim.CallFilter, ps *params) string {
	conds := []string{"account_id = " + ps.add(f.AccountID)}
	switch len(f.Statuses) {
	case 0:
	case 1: // an equality, which the status index serves in order, unlike ANY
		conds = append(conds, "status = "+ps.add(string(f.Statuses[0])))
	default:
		conds = append(conds, "status = ANY ("+ps.add(textArray(f.Statuses))+")")
	}
	if f.PhoneID != 0 {
		conds = append(conds, "phone_id = "+ps.add(f.PhoneID))
	}
	if f.TargetNumber != "" {
		conds = append(conds, "target_number = "+ps.add(f.TargetNumber))
	}
	if f.Source != "" {
		conds = append(conds, "source = "+ps.add(f.Source))
	}
	if f.Direction != "" {
		conds = append(conds, "direction = "+ps.add(f.Direction))
	}
	if f.Tag != "" {
		conds = append(conds, `id IN (
			SELECT ct.call_id FROM call_tags ct JOIN tags t ON t.id = ct.tag_id
			WHERE t.account_id = `+ps.add(f.AccountID)+` AND t.name = `+ps.add(f.Tag)+`)`)
	}
	// [CreatedAfter, CreatedBefore): consecutive windows neither overlap
	// nor leave a gap.
	if f.CreatedAfter != nil {
		conds = append(conds, "created_at >= "+ps.add(storedTime(*f.CreatedAfter)))
	}
	if f.CreatedBefore != nil {
		conds = append(conds, "created_at < "+ps.add(storedTime(*f.CreatedBefore)))
	}
	if len(f.EndedReasons) > 0 {
		conds = append(conds, "ended_reason = ANY ("+ps.add(textArray(f.EndedReasons))+")")
	}
	if f.After != nil {
		// A row value comparison, which PostgreSQL turns into an index
		// range on (created_at, id).
		conds = append(conds, "(created_at, id) < ("+ps.add(storedTime(f.After.CreatedAt))+", "+ps.add(f.After.ID)+")")
	}
	return "WHERE " + strings.Join(conds, " AND ")
}

// callsQuery is Calls' query after the SELECT: filter, order and limit.
func callsQuery(f sipsim.CallFilter) (string, []any) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultCallLimit
	}
	var ps params
	where := callFilterWhere(f, &ps)
	return where + " ORDER BY created_at DESC, id DESC LIMIT " + ps.add(min(limit, maxCallLimit)), ps.args
}

// Calls lists the calls matching f with their tags, newest first: by
// created_at, then id, both descending. f.Limit <= 0 means 25; it is capped
// at 1000. CreatedAfter is inclusive and CreatedBefore exclusive.
func (db *DB) Calls(ctx context.Context, f sipsim.CallFilter) ([]*sipsim.Call, error) {
	where, args := callsQuery(f)
	calls, err := db.findCalls(ctx, where, args...)
	return calls, wrap("calls", err)
}

// ActiveCall returns the phone's call that is not over. The condition is
// the partial unique index's, which answers it.
func (db *DB) ActiveCall(ctx context.Context, accountID, phoneID int64) (*sipsim.Call, error) {
	c, err := db.findCall(ctx, "WHERE account_id = $1 AND phone_id = $2 AND "+activeCondition, accountID, phoneID)
	return c, wrap("active call", err)
}

// recentCallQuery is served by calls_account_phone_target_created alone.
const recentCallQuery = `WHERE account_id = $1 AND phone_id = $2 AND target_number = $3 AND created_at >= $4
	ORDER BY created_at DESC, id DESC LIMIT 1`

// RecentCall returns the newest call from the phone to target created at
// or after since, whatever its status.
func (db *DB) RecentCall(ctx context.Context, accountID, phoneID int64, target string, since time.Time) (*sipsim.Call, error) {
	c, err := db.findCall(ctx, recentCallQuery, accountID, phoneID, target, storedTime(since))
	return c, wrap("recent call", err)
}
