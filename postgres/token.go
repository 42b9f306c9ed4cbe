package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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

// TokenByHash finds a live token by the hash of its secret. The read is
// batched with the others in flight (token_reads.go).
func (db *DB) TokenByHash(ctx context.Context, hash string) (*sipsim.Token, error) {
	t, _, err := db.readToken(ctx, hash)
	return t, err
}

// TokenAndListVersion implements sipsim.ListVersionStore: the token and
// its account's version of list, read in one statement with the other
// token reads in flight.
func (db *DB) TokenAndListVersion(ctx context.Context, hash string, list sipsim.List) (*sipsim.Token, int64, error) {
	t, res, err := db.readToken(ctx, hash)
	return t, res.version(list), err
}

func (db *DB) readToken(ctx context.Context, hash string) (*sipsim.Token, tokenReadResult, error) {
	res, err := db.tokenReads.read(ctx, hash)
	if err != nil {
		return nil, res, wrap("token by hash", err)
	}
	if res.token == nil {
		return nil, res, errTokenNotFound()
	}
	// Each request gets a token of its own: the requests of a batch that
	// asked the same hash share one, and callers may keep what they get.
	t := *res.token
	t.Scopes = slices.Clone(t.Scopes)
	if t.ExpiresAt != nil {
		expires := *t.ExpiresAt
		t.ExpiresAt = &expires
	}
	return &t, res, nil
}

// maxTokensPerStatement bounds the hashes one statement reads; a larger
// batch is read in several. Each size is its own prepared statement.
const maxTokensPerStatement = 32

// tokenStatements[n] reads n hashes, $2 to $n+1, live at $1: a row per
// token and list of its account, or one with a NULL list for an account
// whose lists never changed. Placeholders rather than one array
// argument: "= ANY($1)" cost 150-170 µs for one hash where the statement
// it replaced cost 75-105 µs (docs/benchmarks.md, "Fifth change"), and
// most batches hold one hash.
var tokenStatements = func() []string {
	stmts := make([]string, maxTokensPerStatement+1)
	var in strings.Builder
	for n := 1; n <= maxTokensPerStatement; n++ {
		if n > 1 {
			in.WriteString(", ")
		}
		fmt.Fprintf(&in, "$%d", n+1)
		stmts[n] = `SELECT t.id, t.account_id, t.name, t.scopes, t.hash, t.created_at, t.expires_at, t.client_id, v.list, v.version
			FROM tokens t LEFT JOIN list_versions v ON v.account_id = t.account_id
			WHERE (t.expires_at IS NULL OR t.expires_at > $1) AND t.hash IN (` + in.String() + `)`
	}
	return stmts
}()

// readTokens reads a batch of hashes: for each, the live token and the
// versions of its account's lists.
func (db *DB) readTokens(ctx context.Context, hashes []string) ([]tokenReadResult, error) {
	results := make([]tokenReadResult, len(hashes))
	now := db.stamp()
	for start := 0; start < len(hashes); start += maxTokensPerStatement {
		chunk := hashes[start:min(start+maxTokensPerStatement, len(hashes))]
		if err := db.readTokenChunk(ctx, now, chunk, results[start:]); err != nil {
			return nil, err
		}
	}
	return results, nil
}

func (db *DB) readTokenChunk(ctx context.Context, now time.Time, hashes []string, results []tokenReadResult) error {
	args := make([]any, 1, len(hashes)+1)
	args[0] = now
	for _, h := range hashes {
		args = append(args, h)
	}
	rows, err := db.pool.Query(ctx, tokenStatements[len(hashes)], args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			t       sipsim.Token
			scopes  []string
			list    *string
			version *int64
		)
		if err := rows.Scan(&t.ID, &t.AccountID, &t.Name, &scopes, &t.Hash, &t.CreatedAt, &t.ExpiresAt, &t.ClientID, &list, &version); err != nil {
			return err
		}
		// A chunk holds at most maxTokensPerStatement distinct hashes: a
		// scan finds the row's read as fast as a map would.
		r := &results[slices.Index(hashes, t.Hash)]
		if r.token == nil {
			t.Scopes = decodeScopes(scopes)
			r.token = &t
		}
		if list != nil {
			r.versions = append(r.versions, listVersion{sipsim.List(*list), *version})
		}
	}
	return rows.Err()
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
