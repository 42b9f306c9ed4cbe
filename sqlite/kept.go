package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Statements kept prepared. database/sql with modernc.org/sqlite prepares
// (parses and plans) every QueryContext anew, and the driver has no
// statement cache of its own: that parsing was a fifth to a third of the
// server's CPU on API reads (docs/benchmarks.md). A *sql.Stmt of the
// reader pool prepares itself on each connection it runs on, the first
// time, and keeps that preparation while the connection lives; a read
// transaction borrows it with Tx.StmtContext.
//
// Only queries from a bounded set of texts may be kept: one statement per
// text and connection stays in memory until Close. A query whose text
// grows with its arguments (an IN list of variable length) is run unkept.

// errClosed is what a read gets once Close has begun.
var errClosed = errors.New("sqlite: the store is closed")

// keptStatements are a pool's kept statements by query text.
type keptStatements struct {
	byText sync.Map // query text → *sql.Stmt
	mu     sync.Mutex
	closed bool // under mu: no statement is added any more
	// limit, if not 0, is how many texts may be kept; get returns a nil
	// statement for others. count, under mu, is how many are.
	limit, count int
}

// get returns the statement kept for query, preparing it on pool the first
// time. It takes a connection of pool to prepare, so it must not be called
// while holding one (inside read): transactions each waiting for a free
// connection to prepare with would wait for each other forever.
func (k *keptStatements) get(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	if s, ok := k.byText.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	if k.full() {
		return nil, nil
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		s.Close()
		return nil, errClosed
	}
	if kept, raced := k.byText.LoadOrStore(query, s); raced {
		s.Close() // another read prepared it first
		return kept.(*sql.Stmt), nil
	}
	k.count++
	return s, nil
}

// full reports whether no more texts may be kept.
func (k *keptStatements) full() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.limit > 0 && k.count >= k.limit
}

// close closes every kept statement (on every connection it was prepared
// on) and refuses new ones.
func (k *keptStatements) close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.closed = true
	var errs []error
	k.byText.Range(func(query, s any) bool {
		errs = append(errs, s.(*sql.Stmt).Close())
		k.byText.Delete(query)
		return true
	})
	return errors.Join(errs...)
}

// failedRow is a row whose statement could not be prepared: Scan returns
// why, as *sql.Row does for a query that failed.
type failedRow struct{ err error }

func (r failedRow) Scan(...any) error { return r.err }

// keptRow runs query, kept, on the reader pool for at most one row.
func (db *DB) keptRow(ctx context.Context, query string, args ...any) scanner {
	s, err := db.kept.get(ctx, db.reader, query)
	if err != nil {
		return failedRow{err}
	}
	return s.QueryRowContext(ctx, args...)
}

// keptReader runs its queries, kept, on the reader pool, each on its own.
type keptReader struct{ db *DB }

func (r keptReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := r.db.kept.get(ctx, r.db.reader, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// keptTx runs, inside a read transaction, the kept statements of the
// queries it holds, and any other query unkept.
type keptTx struct {
	tx    *sql.Tx
	kept  []*sql.Stmt
	texts []string // texts[i] is kept[i]'s query
}

func (t keptTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	for i, text := range t.texts {
		if text == query {
			return t.tx.StmtContext(ctx, t.kept[i]).QueryContext(ctx, args...)
		}
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// readKept is read with the statements of queries kept: they are taken
// (prepared the first time) before the transaction begins, see get.
func (db *DB) readKept(ctx context.Context, queries []string, fn func(q rowsQuerier) error) error {
	t := keptTx{texts: queries, kept: make([]*sql.Stmt, len(queries))}
	for i, query := range queries {
		s, err := db.kept.get(ctx, db.reader, query)
		if err != nil {
			return unreadable(err)
		}
		t.kept[i] = s
	}
	return db.read(ctx, func(tx *sql.Tx) error {
		t.tx = tx
		return fn(t)
	})
}
