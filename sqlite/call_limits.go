package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/sipsim/sipsim"
)

// activeCountQuery counts an account's active calls.
var activeCountQuery = "SELECT COUNT(*) FROM calls WHERE account_id = ? AND " + activeCondition

// Who a calls-per-minute limit counts the calls of: arguments (token) and
// (account, phone).
const (
	tokenCalls = "token_id = ?"
	phoneCalls = "account_id = ? AND phone_id = ?"
)

// windowQueries are the count of the calls matching who within the window
// (its start the last argument), and the n-th oldest of them (n the
// argument after).
func windowQueries(who string) (count, nth string) {
	cond := "FROM calls WHERE " + who + " AND created_at > ?"
	return "SELECT COUNT(*) " + cond, "SELECT created_at " + cond + " ORDER BY created_at LIMIT 1 OFFSET ?"
}

// talkTimeQuery is, for an account, the milliseconds of talk of its calls
// that ended on a UTC day (account_daily_talk, kept by triggers: 010),
// and, in days, the talk so far of its calls in progress (read from the
// index calls_account_status_created alone, 012; as many entries as calls
// at once).
const talkTimeQuery = `SELECT
	COALESCE((SELECT talk_ms FROM account_daily_talk WHERE account_id = ? AND day = ?), 0),
	COALESCE((SELECT SUM(julianday(?) - julianday(answered_at)) FROM calls
		WHERE account_id = ? AND status = ? AND answered_at IS NOT NULL), 0)`

// checkCallLimits counts, inside CreateCall's transaction and after the
// insert of c, what limits cap, and returns ERATELIMIT for the first one
// c breaks: calls at once, then calls per minute per token, then per
// phone. Each count is served by an index (see 001, 002 and 007).
func checkCallLimits(ctx context.Context, tx writeTx, c *sipsim.Call, limits sipsim.CallLimits, now time.Time) error {
	if limit := limits.MaxConcurrentCalls; limit > 0 {
		var active int
		err := tx.QueryRowContext(ctx, activeCountQuery, c.AccountID).Scan(&active)
		if err != nil {
			return fmt.Errorf("count active calls: %w", err)
		}
		if active > limit {
			e := sipsim.Errorf(sipsim.ERATELIMIT, "Too many calls at once: this account may have %d calls in progress", limit)
			e.Details = []string{"Retry when one of them has ended"}
			e.Limit = limit
			return e
		}
	}
	since := encodeTime(now.Add(-sipsim.CallRateWindow))
	if limit := limits.CallsPerMinutePerToken; limit > 0 && c.TokenID != 0 {
		wait, err := rateWait(ctx, tx, limit, now, tokenCalls, c.TokenID, since)
		if err != nil || wait > 0 {
			return rateError(err, limit, wait, "Too many calls placed with this API token: the limit is %d per minute", limit)
		}
	}
	if limit := limits.CallsPerMinutePerPhone; limit > 0 {
		wait, err := rateWait(ctx, tx, limit, now, phoneCalls, c.AccountID, c.PhoneID, since)
		if err != nil || wait > 0 {
			return rateError(err, limit, wait, "Too many calls placed from phone %d: the limit is %d per minute", c.PhoneID, limit)
		}
	}
	return nil
}

// rateWait counts the calls of who (its arguments, then the window's
// start, last) created within the window, the new call included. Over
// limit, it returns how long until enough of them leave the window for one
// more call; else 0.
func rateWait(ctx context.Context, tx writeTx, limit int, now time.Time, who string, args ...any) (time.Duration, error) {
	countQuery, nthQuery := windowQueries(who)
	var n int
	if err := tx.QueryRowContext(ctx, countQuery, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recent calls: %w", err)
	}
	if n <= limit {
		return 0, nil
	}
	// The n-1 earlier calls must drop to limit-1: the (n-limit)-th oldest
	// leaving the window frees the slot.
	var oldest time.Time
	err := tx.QueryRowContext(ctx, nthQuery, append(args, n-limit-1)...).Scan(timeCol{&oldest})
	if err != nil {
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
// of day count whole (a call across midnight counts on the day it ends),
// calls in progress count up to the store's clock. julianday keeps
// milliseconds, so the sum is exact to the millisecond.
func (db *DB) TalkTime(ctx context.Context, accountID int64, day time.Time) (time.Duration, error) {
	var (
		endedMS  int64
		openDays float64
	)
	err := db.keptRow(ctx, talkTimeQuery,
		accountID, day.UTC().Format(time.DateOnly),
		encodeTime(db.stamp()), accountID, string(sipsim.CallInProgress)).Scan(&endedMS, &openDays)
	if err != nil {
		return 0, unreadable(fmt.Errorf("talk time: %w", err))
	}
	open := time.Duration(openDays * float64(24*time.Hour)).Round(time.Millisecond)
	return time.Duration(endedMS)*time.Millisecond + open, nil
}
