package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

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
// must be after now.
//
// One INSERT … ON CONFLICT decides, so that of concurrent requests with one
// key, on any node, exactly one gets nil: a second insert of the key waits
// for the first to commit, then finds the conflict. When the stored record
// is live the statement changes nothing but still locks the row, so the
// read that follows in the same transaction sees it, committed and not
// deleted since.
func (db *DB) BeginIdempotent(ctx context.Context, rec *sipsim.IdempotencyRecord) (*sipsim.IdempotencyRecord, error) {
	now := db.stamp()
	if !rec.ExpiresAt.After(now) {
		return nil, fmt.Errorf("begin idempotent %q: ExpiresAt %s is not after now %s", rec.Key, rec.ExpiresAt, now)
	}
	expires := storedTime(rec.ExpiresAt)
	var existing *sipsim.IdempotencyRecord
	err := db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO idempotency_keys (account_id, key, request_hash, status, body, created_at, expires_at)
			VALUES ($1, $2, $3, 0, NULL, $4, $5)
			ON CONFLICT (account_id, key) DO UPDATE SET
				request_hash = excluded.request_hash, status = 0, body = NULL,
				created_at = excluded.created_at, expires_at = excluded.expires_at
			WHERE idempotency_keys.expires_at <= excluded.created_at`,
			rec.AccountID, rec.Key, rec.RequestHash, now, expires)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		existing, err = scanIdempotency(tx.QueryRow(ctx, `
			SELECT account_id, key, request_hash, status, body, created_at, expires_at
			FROM idempotency_keys WHERE account_id = $1 AND key = $2`, rec.AccountID, rec.Key))
		return err
	})
	if err != nil {
		return nil, wrap("begin idempotent", err)
	}
	if existing == nil {
		rec.Status, rec.Body = 0, nil
		rec.CreatedAt, rec.ExpiresAt = now, expires
	}
	return existing, nil
}

func scanIdempotency(row pgx.Row) (*sipsim.IdempotencyRecord, error) {
	var r sipsim.IdempotencyRecord
	err := row.Scan(&r.AccountID, &r.Key, &r.RequestHash, &r.Status, &r.Body, &r.CreatedAt, &r.ExpiresAt)
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
	err := execOne(ctx, db.pool, errIdempotencyKeyNotFound, `
		UPDATE idempotency_keys SET status = $1, body = $2
		WHERE account_id = $3 AND key = $4 AND status = 0`, status, body, accountID, key)
	return wrap("finish idempotent", err)
}

// ReleaseIdempotent forgets a key that is still in flight; a finished key
// (or an unknown one) is left as it is.
func (db *DB) ReleaseIdempotent(ctx context.Context, accountID int64, key string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND status = 0`,
		accountID, key)
	return wrap("release idempotent", err)
}
