package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// decodeScopes turns a text[] of scope names into scopes, an empty list
// (not nil) for none.
func decodeScopes(names []string) []sipsim.Scope {
	scopes := make([]sipsim.Scope, len(names))
	for i, n := range names {
		scopes[i] = sipsim.Scope(n)
	}
	return scopes
}

// CreateToken stores t and sets its ID and CreatedAt. ECONFLICT if a token
// with the same hash exists. An access token for a client first removes
// that client's expired ones, and share-locks the client's row: RevokeClient,
// whose delete of the client waits for that lock, then also deletes the
// token being issued.
func (db *DB) CreateToken(ctx context.Context, t *sipsim.Token) error {
	now := db.stamp()
	expires := storedTimePtr(t.ExpiresAt)
	err := db.write(ctx, func(tx pgx.Tx) error {
		if t.ClientID != "" {
			if _, err := tx.Exec(ctx, `SELECT 1 FROM oauth_clients WHERE client_id = $1 FOR KEY SHARE`, t.ClientID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM tokens WHERE client_id = $1 AND expires_at <= $2`, t.ClientID, now); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `
			INSERT INTO tokens (account_id, name, scopes, hash, created_at, expires_at, client_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			t.AccountID, t.Name, textArray(t.Scopes), t.Hash, now, expires, t.ClientID).Scan(&t.ID)
	})
	if violatesUnique(err, "tokens_hash_unique") {
		return sipsim.Errorf(sipsim.ECONFLICT, "Token already exists")
	} else if err != nil {
		return wrap("create token", err)
	}
	t.CreatedAt, t.ExpiresAt = now, expires
	return nil
}

func errTokenNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Token not found") }

// liveTokenColumns and liveTokenFrom read a live token by the hash of
// its secret, $1, at now, $2.
const (
	liveTokenColumns = `t.id, t.account_id, t.name, t.scopes, t.hash, t.created_at, t.expires_at, t.client_id`
	liveTokenFrom    = ` FROM tokens t WHERE t.hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)`
)

// TokenByHash finds a live token by the hash of its secret.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*sipsim.Token, error) {
	return db.liveToken(ctx, "SELECT "+liveTokenColumns+liveTokenFrom, []any{hash, db.stamp()})
}

// TokenAndListVersion implements sipsim.ListVersionStore: the token and
// its account's version of list in one round trip.
func (db *DB) TokenAndListVersion(ctx context.Context, hash string, list sipsim.List) (*sipsim.Token, int64, error) {
	var version int64
	t, err := db.liveToken(ctx, "SELECT "+liveTokenColumns+`,
		COALESCE((SELECT version FROM list_versions v WHERE v.account_id = t.account_id AND v.list = $3), 0)`+liveTokenFrom,
		[]any{hash, db.stamp(), string(list)}, &version)
	return t, version, err
}

// liveToken runs a query of liveTokenColumns, plus extra columns scanned
// into extra.
func (db *DB) liveToken(ctx context.Context, query string, args []any, extra ...any) (*sipsim.Token, error) {
	var (
		t      sipsim.Token
		scopes []string
	)
	dest := append([]any{&t.ID, &t.AccountID, &t.Name, &scopes, &t.Hash, &t.CreatedAt, &t.ExpiresAt, &t.ClientID}, extra...)
	err := db.pool.QueryRow(ctx, query, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errTokenNotFound()
	} else if err != nil {
		return nil, wrap("token by hash", err)
	}
	t.Scopes = decodeScopes(scopes)
	return &t, nil
}

// RevokeToken deletes a token of the account.
func (db *DB) RevokeToken(ctx context.Context, accountID, id int64) error {
	err := execOne(ctx, db.pool, errTokenNotFound, `DELETE FROM tokens WHERE account_id = $1 AND id = $2`, accountID, id)
	return wrap("revoke token", err)
}

func errClientNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "OAuth client not found") }

// CreateClient stores an OAuth client.
func (db *DB) CreateClient(ctx context.Context, c *sipsim.OAuthClient) error {
	now := db.stamp()
	err := db.pool.QueryRow(ctx, `
		INSERT INTO oauth_clients (account_id, name, client_id, secret_hash, scopes, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		c.AccountID, c.Name, c.ClientID, c.SecretHash, textArray(c.Scopes), now).Scan(&c.ID)
	if violatesUnique(err, "oauth_clients_client_id_unique") {
		return sipsim.Errorf(sipsim.ECONFLICT, "OAuth client %s already exists", c.ClientID)
	} else if err != nil {
		return wrap("create client", err)
	}
	c.CreatedAt = now
	return nil
}

// ClientByClientID finds an OAuth client.
func (db *DB) ClientByClientID(ctx context.Context, clientID string) (*sipsim.OAuthClient, error) {
	var (
		c      sipsim.OAuthClient
		scopes []string
	)
	err := db.pool.QueryRow(ctx, `
		SELECT id, account_id, name, client_id, secret_hash, scopes, created_at FROM oauth_clients WHERE client_id = $1`, clientID).
		Scan(&c.ID, &c.AccountID, &c.Name, &c.ClientID, &c.SecretHash, &scopes, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errClientNotFound()
	} else if err != nil {
		return nil, wrap("client", err)
	}
	c.Scopes = decodeScopes(scopes)
	return &c, nil
}

// RevokeClient deletes a client and the access tokens issued to it, in one
// transaction: none of them works once it returns. The client's delete
// waits for tokens being issued to it (see CreateToken), so the tokens'
// delete, a later statement, sees them.
func (db *DB) RevokeClient(ctx context.Context, clientID string) error {
	err := db.write(ctx, func(tx pgx.Tx) error {
		if err := execOne(ctx, tx, errClientNotFound, `DELETE FROM oauth_clients WHERE client_id = $1`, clientID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM tokens WHERE client_id = $1`, clientID)
		return err
	})
	return wrap("revoke client", err)
}
