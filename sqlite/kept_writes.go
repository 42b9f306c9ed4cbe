package sqlite

import (
	"context"
	"database/sql"
)

// Write statements kept prepared, as reads are (kept.go): parsing each
// statement anew was a quarter of the server's CPU placing calls
// (docs/benchmarks.md, bench/caps). Unlike reads, a write transaction is
// not told its statements in advance: writeTx runs a text kept if it has
// been prepared, else unkept and notes it, and once the transaction has
// ended, freeing the single writer connection, the noted texts are
// prepared for next time. Texts that grow with their arguments would each
// take a place, so at most maxKeptWrites are kept; the rest run unkept.
const maxKeptWrites = 128

// writeTx is a write transaction that runs kept statements where it can.
// It has *sql.Tx's methods; these three are its own. They run without the
// caller's cancellation: the transaction holds other callers' writes too
// (write_batch.go), and SQLite rolls all of it back when a statement is
// interrupted. A caller that gives up before its write starts never has
// it run; once started, a write is short.
type writeTx struct {
	*sql.Tx
	kept   *keptStatements
	missed *[]string // texts run unkept, to prepare after the transaction
}

// stmt is the transaction's use of query's kept statement, or nil.
func (t writeTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := t.kept.byText.Load(query); ok {
		return t.Tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	*t.missed = append(*t.missed, query)
	return nil
}

func (t writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t writeTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// keepWrites prepares, on the writer, the texts a transaction ran unkept.
// It must run with no transaction open on this goroutine (see get). A
// text that fails to prepare is simply not kept: the transaction that ran
// it has already reported any error.
func (db *DB) keepWrites(ctx context.Context, texts []string) {
	for _, text := range texts {
		if _, err := db.keptWrites.get(ctx, db.writer, text); err != nil {
			return
		}
	}
}
