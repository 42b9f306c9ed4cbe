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

// talkTimeQuery is, for an account, the microseconds of talk of its
// calls that ended on a UTC day (account_daily_talk, kept by a trigger:
// 004) plus the talk so far of its calls in progress (as many rows as
// calls at once).
const talkTimeQuery = `SELECT
	COALESCE((SELECT talk_us FROM account_daily_talk WHERE account_id = $1 AND day = $2::date), 0)
	+ (EXTRACT(EPOCH FROM COALESCE((SELECT sum($3::timestamptz - answered_at) FROM calls
		WHERE account_id = $1 AND status = $4 AND answered_at IS NOT NULL), interval '0')) * 1000000)::bigint`

// checkCallLimits counts, inside CreateCall's transaction and after the
// insert of c, what limits cap, and returns ERATELIMIT for the first one
// c breaks: calls at once, then calls per minute per token, then per
// phone. Each count is served by an index. CreateCall holds the account's
// row lock, so no other creation of the account runs meanwhile.
func checkCallLimits(ctx context.Context, tx pgx.Tx, c *sipsim.Call, limits sipsim.CallLimits, now time.Time) error {
	if limit := limits.MaxConcurrentCalls; limit > 0 {
		var active int
		if err := tx.QueryRow(ctx, activeCountQuery, c.AccountID).Scan(&active); err != nil {
			return fmt.Errorf("count active calls: %w", err)
		}
		if active > limit {
			e := sipsim.Errorf(sipsim.ERATELIMIT, "Too many calls at once: this account may have %d calls in progress", limit)
			e.Details = []string{"Retry when one of them has ended"}
			e.Limit = limit
			return e
		}
	}
	since := now.Add(-sipsim.CallRateWindow)
	if limit := limits.CallsPerMinutePerToken; limit > 0 && c.TokenID != 0 {
		count, nth := windowQueries(tokenCalls, "$3")
		wait, err := rateWait(ctx, tx, limit, now, count, nth, c.TokenID, since)
		if err != nil || wait > 0 {
			return rateError(err, limit, wait, "Too many calls placed with this API token: the limit is %d per minute", limit)
		}
	}
	if limit := limits.CallsPerMinutePerPhone; limit > 0 {
		count, nth := windowQueries(phoneCalls, "$4")
		wait, err := rateWait(ctx, tx, limit, now, count, nth, c.AccountID, c.PhoneID, since)
		if err != nil || wait > 0 {
			return rateError(err, limit, wait, "Too many calls placed from phone %d: the limit is %d per minute", c.PhoneID, limit)
		}
	}
	return nil
}

// rateWait counts the calls of the window (countQuery with args), the new
// call included. Over limit, it returns how long until enough of them
// leave the window for one more call; else 0.
func rateWait(ctx context.Context, tx pgx.Tx, limit int, now time.Time, countQuery, nthQuery string, args ...any) (time.Duration, error) {
	var n int
	if err := tx.QueryRow(ctx, countQuery, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recent calls: %w", err)
	}
	if n <= limit {
		return 0, nil
	}
	// The n-1 earlier calls must drop to limit-1: the (n-limit)-th oldest
	// leaving the window frees the slot.
	var oldest time.Time
	if err := tx.QueryRow(ctx, nthQuery, append(args, n-limit-1)...).Scan(&oldest); err != nil {
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
