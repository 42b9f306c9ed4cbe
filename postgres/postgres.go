// Package postgres is the shared store: several `sipsim serve` nodes point
// at one PostgreSQL database and see the same accounts, phones,
// registrations, calls with their events and tags, tokens, webhooks with
// their delivery outbox, idempotency keys and audio files. It behaves as
// package sqlite does, method for method and error code for error code;
// both pass the contract suite in package storetest.
//
// Decisions:
//   - One schema for the whole cluster, named by the connection's
//     search_path (the URL may set it: ?search_path=name). Nodes are not
//     partitioned: every rule that spans calls, such as one active call per
//     phone, must see every node's rows.
//   - The database enforces every rule several nodes could break at once:
//     a partial unique index for one active call per phone, a row lock on
//     the account while CreateCall counts its limits, INSERT … ON CONFLICT
//     for idempotency keys, FOR UPDATE SKIP LOCKED for the webhook outbox,
//     and row locks where SQLite's single writer used to keep a check and
//     a write together (see each method).
//   - Migrations run in Open under a session-level advisory lock, so that
//     nodes starting together apply each migration once; the others wait,
//     then find nothing to do.
//   - Event inserts of an account are serialized by a transaction-level
//     advisory lock, so that event ids become visible in the order they
//     grow and a stream that resumes after the last id it saw misses
//     nothing (see lockEventsQuery).
//   - The cluster's coordination lives here too (node.go, dispatch.go):
//     node heartbeats, the conditional UPDATE that closes a dead node's
//     call once, the claim of dispatched calls, and LISTEN/NOTIFY to wake
//     the node a call is dispatched to or asked to hang up.
//   - Faults of the database itself (unreachable, shutting down, disk
//     full, read-only) are EUNAVAILABLE, for reads and writes alike.
//   - The one difference callers can meet: text columns cannot hold NUL
//     characters or bytes that are not UTF-8, which SQLite stores as
//     given. Such text is EINVALID, except a registration's User-Agent,
//     which a device sends as it likes and is stored cleaned (see
//     SaveRegistration).
//
// It uses pgx's pool directly, not database/sql.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sipsim/sipsim"
)

// defaultConnectTimeout bounds each connection attempt when the URL sets no
// connect_timeout: an unreachable host then fails a request as unavailable
// instead of hanging it.
const defaultConnectTimeout = 10 * time.Second

// DB is the PostgreSQL store. It implements every store interface of
// package sipsim (see the assertions below).
type DB struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// notices sends the notifications of stored events
	// (event_notifier.go).
	notices *eventNotifier
	// tokenReads batches the token reads of concurrent requests
	// (token_reads.go).
	tokenReads *tokenReads
}

var (
	_ sipsim.PhoneStore        = (*DB)(nil)
	_ sipsim.RegistrationStore = (*DB)(nil)
	_ sipsim.CallStore         = (*DB)(nil)
	_ sipsim.TokenStore        = (*DB)(nil)
	_ sipsim.EventStore        = (*DB)(nil)
	_ sipsim.TagStore          = (*DB)(nil)
	_ sipsim.WebhookStore      = (*DB)(nil)
	_ sipsim.IdempotencyStore  = (*DB)(nil)
	_ sipsim.AudioFileStore    = (*DB)(nil)
	_ sipsim.AccountStore      = (*DB)(nil)
	_ sipsim.NodeStore         = (*DB)(nil)
)

// Open connects to the database at url (postgres://user@host:port/db?...),
// brings its schema up to date and makes sure the default account exists.
// now is the clock used for created_at and updated_at. The URL's query
// may carry any PostgreSQL setting, search_path included, and pgxpool's
// pool_* settings.
func Open(ctx context.Context, url string, now func() time.Time) (*DB, error) {
	if now == nil {
		return nil, errors.New("postgres: open: no clock given")
	}
	if url == "" {
		return nil, errors.New("postgres: open: no database URL given")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		scanTimesInUTC(conn)
		return nil
	}
	db := &DB{now: now}
	db.tokenReads = &tokenReads{run: db.readTokens}
	if err := db.setUp(ctx, cfg.ConnConfig); err != nil {
		return nil, fmt.Errorf("postgres: open: %w", classify(err))
	}
	db.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db.notices = startEventNotifier(db.pool)
	return db, nil
}

// scanTimesInUTC makes conn return timestamptz values in UTC, as the
// SQLite store does, rather than in the process's local zone.
func scanTimesInUTC(conn *pgx.Conn) {
	conn.TypeMap().RegisterType(&pgtype.Type{
		Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
}

// setUp migrates the schema and seeds the default account on a connection
// of its own, holding the migration lock throughout: several nodes opening
// at once take turns, and closing the connection releases the lock even if
// a step fails half way.
func (db *DB) setUp(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	scanTimesInUTC(conn)
	if err := lockMigrations(ctx, conn); err != nil {
		return err
	}
	if err := migrate(ctx, conn, migrations, db.stamp()); err != nil {
		return err
	}
	return db.seed(ctx, conn)
}

// Close closes every connection of the pool.
func (db *DB) Close() error {
	db.notices.close()
	db.pool.Close()
	return nil
}

// stamp is the store's clock, at the precision times are stored with.
func (db *DB) stamp() time.Time {
	return storedTime(db.now())
}

// seed makes sure the default account exists, as the SQLite store does on
// every Open (not in a migration, so that its created_at comes from the
// injected clock). It looks before it inserts, so that a database that is
// up to date opens even when it is read-only.
func (db *DB) seed(ctx context.Context, conn *pgx.Conn) error {
	var exists bool
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, sipsim.DefaultAccountID).Scan(&exists)
	if err != nil || exists {
		return err
	}
	_, err = conn.Exec(ctx, `
		INSERT INTO accounts (id, name, sip_realm, country, created_at)
		VALUES ($1, 'default', 'sipsim', 'FR', $2)
		ON CONFLICT (id) DO NOTHING`,
		sipsim.DefaultAccountID, db.stamp())
	if err != nil {
		return fmt.Errorf("seed default account: %w", err)
	}
	return nil
}

// write runs fn in a read-committed transaction and commits it if fn
// returns nil. Where a check and a write must stay together, fn takes the
// row locks that keep them so.
func (db *DB) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op once committed
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// read runs fn in a read-only repeatable-read transaction, so that its
// queries see one consistent state of the database.
func (db *DB) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // nothing to commit
	return fn(tx)
}
