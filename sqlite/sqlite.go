// Package sqlite is the embedded store: one SQLite file holds accounts,
// phones, registrations, calls with their events and tags, tokens, webhooks
// with their delivery outbox, and idempotency keys. It uses the pure-Go
// modernc.org/sqlite driver, so the binary needs no cgo.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/sipsim/sipsim"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeout is how long a connection waits for a lock held by another
// process (e.g. `sipsim token create` while `serve` runs) before failing.
// Within one process writes never wait on SQLite: they queue on the single
// writer connection instead.
const busyTimeout = 10 * time.Second

// DB is the SQLite store. It implements every store interface of package
// sipsim (see the assertions below).
type DB struct {
	// writer holds exactly one connection. SQLite allows one writer at a
	// time; queueing writers in database/sql's pool, rather than letting
	// several connections race for the lock, is what keeps concurrent
	// writes from failing with SQLITE_BUSY. Its transactions start with
	// BEGIN IMMEDIATE (_txlock) so a transaction takes the write lock up
	// front instead of upgrading a read lock half way, which SQLite cannot
	// always do without failing.
	writer *sql.DB
	// reader is a pool of read-only connections. In WAL mode a reader sees
	// the last committed state and never waits for the writer.
	reader *sql.DB
	// kept are the reader pool's statements kept prepared (kept.go),
	// keptWrites the writer's (kept_writes.go).
	kept       keptStatements
	keptWrites keptStatements
	// writes is the queue of the goroutine that owns writer
	// (write_batch.go).
	writes *writeQueue
	now    func() time.Time
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
)

// Open opens the SQLite file at path, creating it if needed, and brings its
// schema up to date. now is the clock used for created_at and updated_at.
// path must name a file: the writer and the readers are separate
// connections, so an in-memory database would not be shared between them.
func Open(ctx context.Context, path string, now func() time.Time, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if now == nil {
		return nil, errors.New("sqlite: open: no clock given")
	}
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open: %q is not a plain file path", path)
	}

	writer, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	db := &DB{writer: writer, now: now, keptWrites: keptStatements{limit: maxKeptWrites}, writes: newWriteQueue()}
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, writer, migrations, db.stamp()); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := db.startWriter(o.writerNice); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: writer: %w", path, err)
	}
	if err := db.seed(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	// Readers are opened only now: the file exists and is in WAL mode.
	reader, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	reader.SetMaxOpenConns(max(4, runtime.NumCPU()))
	reader.SetMaxIdleConns(max(4, runtime.NumCPU()))
	db.reader = reader
	if err := reader.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// dsn returns the driver's connection string for path. The pragmas apply to
// every connection the pool opens.
//
// journal_mode=WAL lets readers run while the writer writes.
// synchronous=NORMAL: in WAL mode a commit is then durable across a crash of
// the process (the WAL is in the OS's hands once the commit returns) and the
// database is never corrupted; only an OS crash or power loss may lose the
// last commits, which is the usual trade for not syncing on every commit.
// foreign_keys=ON is off by default in SQLite and must be set per
// connection.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(ON)")
	}
	return path + "?" + q.Encode()
}

// Close stops the writer goroutine (writes still waiting get errClosed),
// closes the kept statements, then every connection. The last one to
// close checkpoints the WAL into the main file.
func (db *DB) Close() error {
	db.stopWriter()
	errs := []error{db.kept.close(), db.keptWrites.close()}
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	errs = append(errs, db.writer.Close())
	return errors.Join(errs...)
}

// stamp is the store's clock, at the precision times are stored with.
func (db *DB) stamp() time.Time {
	return storedTime(db.now())
}

// seed makes sure the default account exists. It runs on every Open (not in
// a migration) so that its created_at comes from the injected clock.
func (db *DB) seed(ctx context.Context) error {
	return db.write(ctx, func(tx writeTx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO accounts (id, name, sip_realm, country, created_at)
			VALUES (?, 'default', 'sipsim', 'FR', ?)
			ON CONFLICT (id) DO NOTHING`,
			sipsim.DefaultAccountID, encodeTime(db.stamp()))
		if err != nil {
			return fmt.Errorf("seed default account: %w", err)
		}
		return nil
	})
}
