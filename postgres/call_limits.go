package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// activeCountQuery counts an account's active calls.
var activeCountQuery = "SELECT count(*) FROM calls WHERE account_id = $1 AND " + activeCondition

// Who a calls-per-minute limit counts the calls of: arguments (token) and
// (account, phone). The window's start is the argument after them.
const (
	tokenCalls = "token_id = $1 AND created_at > $2"
	phoneCalls = "account_id = $1 AND phone_id = $2 AND created_at > $3"
)

// windowQueries are the count of the calls matching who (its arguments
// then the window's start), and the n-th oldest of them (n the next
// argument, nth its placeholder).
func windowQueries(who, nth string) (count, nthOldest string) {
	cond := "FROM calls WHERE " + who
	return "SELECT count(*) " + cond, "SELECT created_at " + cond + " ORDER BY created_at LIMIT 1 OFFSET " + nth
}

// The window queries of each calls-per-minute limit, written once.
var (
	tokenCountQuery, tokenNthQuery = windowQueries(tokenCalls, "$3")
	phoneCountQuery, phoneNthQuery = windowQueries(phoneCalls, "$4")
)

// talkTimeQuery is, for an account, the microseconds of talk of its
// calls that ended on a UTC day (account_daily_talk, kept by a trigger:
// 004) plus the talk so far of its calls in progress (as many rows as
// calls at once).
const talkTimeQuery = `SELECT
	COALESCE((SELECT talk_us FROM account_daily_talk WHERE account_id = $1 AND day = $2::date), 0)
	+ (EXTRACT(EPOCH FROM COALESCE((SELECT sum($3::timestamptz - answered_at) FROM calls
		WHERE account_id = $1 AND status = $4 AND answered_at IS NOT NULL), interval '0')) * 1000000)::bigint`

// limitCounts are what CreateCall counts, after the insert of a call, for
// the limits it has: calls at once, and calls in the last minute of the
// token and of the phone, the new call included.
type limitCounts struct {
	active, perToken, perPhone int
}

// anyLimit reports whether limits caps anything CreateCall counts.
func anyLimit(limits sipsim.CallLimits) bool {
	return limits.MaxConcurrentCalls > 0 || limits.CallsPerMinutePerToken > 0 || limits.CallsPerMinutePerPhone > 0
}

// queueLimitCounts queues on b the counts limits need (each served by an
// index), which fill n when b's results are read.
func queueLimitCounts(b *pgx.Batch, c *sipsim.Call, limits sipsim.CallLimits, now time.Time, n *limitCounts) {
	scan := func(dst *int) func(pgx.Row) error {
		return func(row pgx.Row) error { return row.Scan(dst) }
	}
	if limits.MaxConcurrentCalls > 0 {
		b.Queue(activeCountQuery, c.AccountID).QueryRow(scan(&n.active))
	}
	since := now.Add(-sipsim.CallRateWindow)
	if limits.CallsPerMinutePerToken > 0 && c.TokenID != 0 {
		b.Queue(tokenCountQuery, c.TokenID, since).QueryRow(scan(&n.perToken))
	}
	if limits.CallsPerMinutePerPhone > 0 {
		b.Queue(phoneCountQuery, c.AccountID, c.PhoneID, since).QueryRow(scan(&n.perPhone))
	}
}

// checkCallLimits returns ERATELIMIT for the first limit c breaks, given
// n counted in CreateCall's transaction: calls at once, then calls per
// minute per token, then per phone. CreateCall holds the account's row
// lock, so no other creation of the account runs meanwhile. Only a limit
// broken costs a query more (q, in the transaction): how long to wait.
func checkCallLimits(ctx context.Context, q querier, c *sipsim.Call, limits sipsim.CallLimits, n limitCounts, now time.Time) error {
	if limit := limits.MaxConcurrentCalls; limit > 0 && n.active > limit {
		e := sipsim.Errorf(sipsim.ERATELIMIT, "Too many calls at once: this account may have %d calls in progress", limit)
		e.Details = []string{"Retry when one of them has ended"}
		e.Limit = limit
		return e
	}
	since := now.Add(-sipsim.CallRateWindow)
	if limit := limits.CallsPerMinutePerToken; limit > 0 && c.TokenID != 0 && n.perToken > limit {
		wait, err := rateWait(ctx, q, limit, n.perToken, now, tokenNthQuery, c.TokenID, since)
		return rateError(err, limit, wait, "Too many calls placed with this API token: the limit is %d per minute", limit)
	}
	if limit := limits.CallsPerMinutePerPhone; limit > 0 && n.perPhone > limit {
		wait, err := rateWait(ctx, q, limit, n.perPhone, now, phoneNthQuery, c.AccountID, c.PhoneID, since)
		return rateError(err, limit, wait, "Too many calls placed from phone %d: the limit is %d per minute", c.PhoneID, limit)
	}
	return nil
}

// rateWait is, for n calls in the window (the new call included) over
// limit, how long until enough of them leave the window for one more
// call. nthQuery with args finds the oldest that must leave.
func rateWait(ctx context.Context, q querier, limit, n int, now time.Time, nthQuery string, args ...any) (time.Duration, error) {
	// The n-1 earlier calls must drop to limit-1: the (n-limit)-th oldest
	// leaving the window frees the slot.
	var oldest time.Time
	if err := q.QueryRow(ctx, nthQuery, append(args, n-limit-1)...).Scan(&oldest); err != nil {
		return 0, fmt.Errorf("oldest recent call: %w", err)
	}
	// At least a microsecond: a refusal always says to wait.
	return max(oldest.Add(sipsim.CallRateWindow).Sub(now), time.Microsecond), nil
}

// rateError is the ERATELIMIT of a calls-per-minute limit, or err if the
// count failed.
func rateError(err error, limit int, wait time.Duration, format string, args ...any) error {
	if err != nil {
		return err
	}
	return sipsim.RateLimited(limit, wait, format, args...)
}

// TalkTime implements sipsim.CallStore: calls that ended on the UTC day
// of day count whole (a call across midnight counts on the day it ends), calls in
// progress count up to the store's clock. The sum is exact to the
// microsecond; it is rounded to the millisecond, as the SQLite store's is.
func (db *DB) TalkTime(ctx context.Context, accountID int64, day time.Time) (time.Duration, error) {
	var micros int64
	err := db.pool.QueryRow(ctx, talkTimeQuery,
		accountID, day.UTC().Format(time.DateOnly), db.stamp(), string(sipsim.CallInProgress)).Scan(&micros)
	if err != nil {
		return 0, wrap("talk time", err)
	}
	return (time.Duration(micros) * time.Microsecond).Round(time.Millisecond), nil
}
