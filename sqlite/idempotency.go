package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sipsim/sipsim"
)

func errIdempotencyKeyNotFound() error {
	return sipsim.Errorf(sipsim.ENOTFOUND, "Idempotency key not found")
}

// BeginIdempotent stores rec as in flight and returns nil when its key is
// new to the account or the stored record has expired (ExpiresAt at or
// before the store's clock), which it replaces; otherwise it stores nothing
// and returns the stored record. It sets rec.CreatedAt from the store's
// clock and clears Status and Body; rec.ExpiresAt, chosen by the caller,
// must be after now. The check and the insert share one write transaction
// on the single writer, so of concurrent requests with one key exactly one
// gets nil.
func (db *DB) BeginIdempotent(ctx context.Context, rec *sipsim.IdempotencyRecord) (*sipsim.IdempotencyRecord, error) {
	now := db.stamp()
	if !rec.ExpiresAt.After(now) {
		return nil, fmt.Errorf("begin idempotent %q: ExpiresAt %s is not after now %s", rec.Key, rec.ExpiresAt, now)
	}
	var existing *sipsim.IdempotencyRecord
	err := db.write(ctx, func(tx writeTx) error {
		if _, err := tx.ExecContext(ctx, `
			DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND expires_at <= ?`,
			rec.AccountID, rec.Key, encodeTime(now)); err != nil {
			return err
		}
		r, err := scanIdempotency(tx.QueryRowContext(ctx, `
			SELECT account_id, key, request_hash, status, body, created_at, expires_at
			FROM idempotency_keys WHERE account_id = ? AND key = ?`, rec.AccountID, rec.Key))
		if err == nil {
			existing = r
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO idempotency_keys (account_id, key, request_hash, status, body, created_at, expires_at)
			VALUES (?, ?, ?, 0, NULL, ?, ?)`,
			rec.AccountID, rec.Key, rec.RequestHash, encodeTime(now), encodeTime(rec.ExpiresAt))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("begin idempotent: %w", err)
	}
	if existing == nil {
		rec.Status, rec.Body = 0, nil
		rec.CreatedAt, rec.ExpiresAt = now, storedTime(rec.ExpiresAt)
	}
	return existing, nil
}

func scanIdempotency(row scanner) (*sipsim.IdempotencyRecord, error) {
	var r sipsim.IdempotencyRecord
	err := row.Scan(&r.AccountID, &r.Key, &r.RequestHash, &r.Status, &r.Body, timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt})
	return &r, err
}

// FinishIdempotent stores the response of an in-flight key; it keeps the
// key's expiry. ENOTFOUND when the key is not in flight (unknown, released,
// or already finished).
func (db *DB) FinishIdempotent(ctx context.Context, accountID int64, key string, status int, body []byte) error {
	if status <= 0 {
		return fmt.Errorf("finish idempotent %q: status %d is not an HTTP status", key, status)
	}
	if body == nil {
		body = []byte{} // NULL is reserved for "no response yet"
	}
	err := db.write(ctx, func(tx writeTx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE idempotency_keys SET status = ?, body = ?
			WHERE account_id = ? AND key = ? AND status = 0`, status, body, accountID, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errIdempotencyKeyNotFound()
		}
		return nil
	})
	return wrapUnlessCoded("finish idempotent", err)
}

// ReleaseIdempotent forgets a key that is still in flight; a finished key
// (or an unknown one) is left as it is.
func (db *DB) ReleaseIdempotent(ctx context.Context, accountID int64, key string) error {
	err := db.write(ctx, func(tx writeTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND status = 0`,
			accountID, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("release idempotent: %w", err)
	}
	return nil
}
