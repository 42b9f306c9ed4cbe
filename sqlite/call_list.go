package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
)

// Page sizes of Calls.
const (
	defaultCallLimit = 25
	maxCallLimit     = 1000
)

// callFilterWhere is the WHERE clause of f, without the ORDER BY and LIMIT.
// Each condition is written so that one of the calls_account_* indexes
// serves it together with the newest-first order.
func callFilterWhere(f sipsim.CallFilter) (string, []any) {
	conds := []string{"account_id = ?"}
	args := []any{f.AccountID}
	if len(f.Statuses) > 0 {
		s := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			s[i] = string(st)
		}
		in, a := inList(s)
		conds, args = append(conds, "status IN "+in), append(args, a...)
	}
	if f.PhoneID != 0 {
		conds, args = append(conds, "phone_id = ?"), append(args, f.PhoneID)
	}
	if f.TargetNumber != "" {
		conds, args = append(conds, "target_number = ?"), append(args, f.TargetNumber)
	}
	if f.Source != "" {
		conds, args = append(conds, "source = ?"), append(args, f.Source)
	}
	if f.Direction != "" {
		conds, args = append(conds, "direction = ?"), append(args, f.Direction)
	}
	if f.Tag != "" {
		conds = append(conds, `id IN (
			SELECT ct.call_id FROM call_tags ct JOIN tags t ON t.id = ct.tag_id
			WHERE t.account_id = ? AND t.name = ?)`)
		args = append(args, f.AccountID, f.Tag)
	}
	// [CreatedAfter, CreatedBefore): consecutive windows neither overlap
	// nor leave a gap.
	if f.CreatedAfter != nil {
		conds, args = append(conds, "created_at >= ?"), append(args, encodeTime(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		conds, args = append(conds, "created_at < ?"), append(args, encodeTime(*f.CreatedBefore))
	}
	if len(f.EndedReasons) > 0 {
		r := make([]string, len(f.EndedReasons))
		for i, er := range f.EndedReasons {
			r[i] = string(er)
		}
		in, a := inList(r)
		conds, args = append(conds, "ended_reason IN "+in), append(args, a...)
	}
	if f.After != nil {
		// A row value comparison, which SQLite (and PostgreSQL) turn into
		// an index range on (created_at, id).
		conds = append(conds, "(created_at, id) < (?, ?)")
		args = append(args, encodeTime(f.After.CreatedAt), f.After.ID)
	}
	return "WHERE " + strings.Join(conds, " AND "), args
}

// callsQuery is Calls' query after the SELECT: filter, order and limit.
func callsQuery(f sipsim.CallFilter) (string, []any) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultCallLimit
	}
	where, args := callFilterWhere(f)
	return where + " ORDER BY created_at DESC, id DESC LIMIT ?", append(args, min(limit, maxCallLimit))
}

// hasBoundedText reports whether f's query is one of a bounded set of
// texts, whose statements may be kept: each other condition adds a fixed
// text or nothing, but the IN lists of statuses and ended reasons are as
// long as the user's lists.
func hasBoundedText(f sipsim.CallFilter) bool {
	return len(f.Statuses) == 0 && len(f.EndedReasons) == 0
}

// Calls lists the calls matching f with their tags, newest first: by
// created_at, then id, both descending. f.Limit <= 0 means 25; it is capped
// at 1000. CreatedAfter is inclusive and CreatedBefore exclusive.
func (db *DB) Calls(ctx context.Context, f sipsim.CallFilter) ([]*sipsim.Call, error) {
	where, args := callsQuery(f)
	calls, err := db.selectCalls(ctx, hasBoundedText(f), where, args...)
	if err != nil {
		return nil, fmt.Errorf("calls: %w", err)
	}
	return calls, nil
}

// ActiveCall returns the phone's call that is not over. The condition is
// the partial unique index's, which answers it.
func (db *DB) ActiveCall(ctx context.Context, accountID, phoneID int64) (*sipsim.Call, error) {
	c, err := db.findCall(ctx, "WHERE account_id = ? AND phone_id = ? AND "+activeCondition, accountID, phoneID)
	return c, wrapUnlessCoded("active call", err)
}

// recentCallQuery is served by calls_account_phone_target_created alone.
const recentCallQuery = `WHERE account_id = ? AND phone_id = ? AND target_number = ? AND created_at >= ?
	ORDER BY created_at DESC, id DESC LIMIT 1`

// RecentCall returns the newest call from the phone to target created at
// or after since, whatever its status.
func (db *DB) RecentCall(ctx context.Context, accountID, phoneID int64, target string, since time.Time) (*sipsim.Call, error) {
	c, err := db.findCall(ctx, recentCallQuery, accountID, phoneID, target, encodeTime(since))
	return c, wrapUnlessCoded("recent call", err)
}
