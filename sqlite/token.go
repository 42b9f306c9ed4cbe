package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sipsim/sipsim"
)

// Scopes are stored as one comma-separated column: they are read with the
// token, never queried on their own.
func encodeScopes(scopes []sipsim.Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, ",")
}

func decodeScopes(s string) []sipsim.Scope {
	if s == "" {
		return []sipsim.Scope{}
	}
	parts := strings.Split(s, ",")
	scopes := make([]sipsim.Scope, len(parts))
	for i, p := range parts {
		scopes[i] = sipsim.Scope(p)
	}
	return scopes
}

// CreateToken stores t and sets its ID and CreatedAt. ECONFLICT if a token
// with the same hash exists.
func (db *DB) CreateToken(ctx context.Context, t *sipsim.Token) error {
	now := db.stamp()
	err := db.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO tokens (account_id, name, scopes, hash, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			t.AccountID, t.Name, encodeScopes(t.Scopes), t.Hash, encodeTime(now)).Scan(&t.ID)
	})
	if violatesUnique(err, "tokens.hash") {
		return sipsim.Errorf(sipsim.ECONFLICT, "Token already exists")
	} else if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	t.CreatedAt = now
	return nil
}

// TokenByHash finds a token by the hash of its secret.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*sipsim.Token, error) {
	var (
		t      sipsim.Token
		scopes string
	)
	err := db.reader.QueryRowContext(ctx, `
		SELECT id, account_id, name, scopes, hash, created_at FROM tokens WHERE hash = ?`, hash).
		Scan(&t.ID, &t.AccountID, &t.Name, &scopes, &t.Hash, timeCol{&t.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "Token not found")
	} else if err != nil {
		return nil, fmt.Errorf("token by hash: %w", err)
	}
	t.Scopes = decodeScopes(scopes)
	return &t, nil
}
