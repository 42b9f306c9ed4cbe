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
// with the same hash exists. An access token for a client first removes
// that client's expired ones.
func (db *DB) CreateToken(ctx context.Context, t *sipsim.Token) error {
	now := db.stamp()
	err := db.write(ctx, func(tx writeTx) error {
		if t.ClientID != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE client_id = ? AND expires_at <= ?`,
				t.ClientID, encodeTime(now)); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `
			INSERT INTO tokens (account_id, name, scopes, hash, created_at, expires_at, client_id)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			t.AccountID, t.Name, encodeScopes(t.Scopes), t.Hash, encodeTime(now), encodeTimePtr(t.ExpiresAt), t.ClientID).Scan(&t.ID)
	})
	if violatesUnique(err, "tokens.hash") {
		return sipsim.Errorf(sipsim.ECONFLICT, "Token already exists")
	} else if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	t.CreatedAt = now
	t.ExpiresAt = storedTimePtr(t.ExpiresAt)
	return nil
}

func errTokenNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Token not found") }

// liveTokenColumns and liveTokenFrom read a live token by the hash of
// its secret; their arguments are the hash, then now.
const (
	liveTokenColumns = `t.id, t.account_id, t.name, t.scopes, t.hash, t.created_at, t.expires_at, t.client_id`
	liveTokenFrom    = ` FROM tokens t WHERE t.hash = ? AND (t.expires_at IS NULL OR t.expires_at > ?)`
)

// TokenByHash finds a live token by the hash of its secret.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*sipsim.Token, error) {
	return db.liveToken(ctx, "SELECT "+liveTokenColumns+liveTokenFrom, []any{hash, encodeTime(db.stamp())})
}

// TokenAndListVersion implements sipsim.ListVersionStore: the token and
// its account's version of list in one statement, one read transaction.
func (db *DB) TokenAndListVersion(ctx context.Context, hash string, list sipsim.List) (*sipsim.Token, int64, error) {
	var version int64
	t, err := db.liveToken(ctx, "SELECT "+liveTokenColumns+`,
		COALESCE((SELECT version FROM list_versions v WHERE v.account_id = t.account_id AND v.list = ?), 0)`+liveTokenFrom,
		[]any{string(list), hash, encodeTime(db.stamp())}, &version)
	return t, version, err
}

// liveToken runs a query of liveTokenColumns, plus extra columns scanned
// into extra.
func (db *DB) liveToken(ctx context.Context, query string, args []any, extra ...any) (*sipsim.Token, error) {
	var (
		t      sipsim.Token
		scopes string
	)
	dest := append([]any{&t.ID, &t.AccountID, &t.Name, &scopes, &t.Hash, timeCol{&t.CreatedAt}, nullTimeCol{&t.ExpiresAt}, &t.ClientID}, extra...)
	err := db.keptRow(ctx, query, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTokenNotFound()
	} else if err != nil {
		return nil, unreadable(fmt.Errorf("token by hash: %w", err))
	}
	t.Scopes = decodeScopes(scopes)
	return &t, nil
}

// RevokeToken deletes a token of the account.
func (db *DB) RevokeToken(ctx context.Context, accountID, id int64) error {
	return db.write(ctx, func(tx writeTx) error {
		return execOne(ctx, tx, "revoke token", errTokenNotFound, `DELETE FROM tokens WHERE account_id = ? AND id = ?`, accountID, id)
	})
}

func errClientNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "OAuth client not found") }

// CreateClient stores an OAuth client.
func (db *DB) CreateClient(ctx context.Context, c *sipsim.OAuthClient) error {
	now := db.stamp()
	err := db.write(ctx, func(tx writeTx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO oauth_clients (account_id, name, client_id, secret_hash, scopes, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			c.AccountID, c.Name, c.ClientID, c.SecretHash, encodeScopes(c.Scopes), encodeTime(now)).Scan(&c.ID)
	})
	if violatesUnique(err, "oauth_clients.client_id") {
		return sipsim.Errorf(sipsim.ECONFLICT, "OAuth client %s already exists", c.ClientID)
	} else if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	c.CreatedAt = now
	return nil
}

// ClientByClientID finds an OAuth client.
func (db *DB) ClientByClientID(ctx context.Context, clientID string) (*sipsim.OAuthClient, error) {
	var (
		c      sipsim.OAuthClient
		scopes string
	)
	err := db.keptRow(ctx, `
		SELECT id, account_id, name, client_id, secret_hash, scopes, created_at FROM oauth_clients WHERE client_id = ?`, clientID).
		Scan(&c.ID, &c.AccountID, &c.Name, &c.ClientID, &c.SecretHash, &scopes, timeCol{&c.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errClientNotFound()
	} else if err != nil {
		return nil, unreadable(fmt.Errorf("client: %w", err))
	}
	c.Scopes = decodeScopes(scopes)
	return &c, nil
}

// RevokeClient deletes a client and the access tokens issued to it, in one
// transaction: none of them works once it returns.
func (db *DB) RevokeClient(ctx context.Context, clientID string) error {
	return db.write(ctx, func(tx writeTx) error {
		if err := execOne(ctx, tx, "revoke client", errClientNotFound, `DELETE FROM oauth_clients WHERE client_id = ?`, clientID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE client_id = ?`, clientID); err != nil {
			return fmt.Errorf("revoke client tokens: %w", err)
		}
		return nil
	})
}
