package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A call's steps are written in pipelined transactions: each batch of
// statements goes to the server in one round trip, BEGIN in the first
// batch and COMMIT in the last. A step's save took five round trips as
// separate statements (BEGIN, the UPDATE, its tags, the event, COMMIT);
// pipelined it takes two. The account's locks were held across those
// round trips, and over a quarter of PostgreSQL's CPU went to system
// calls, sending, receiving and being woken for each (bench/caps --db
// postgres, docs/benchmarks.md, "Session 6").
//
// pgx's own Batch.BeginTx puts BEGIN in a batch, but its Tx then commits
// in a round trip of its own; COMMIT in the last batch saves that one.
//
// A batch runs its statements in order and stops at the first error: the
// server skips the rest of the batch, COMMIT included, and the
// transaction is rolled back before the connection goes back to the pool.

// pipelinedTx is a write transaction sent batch by batch (see above).
type pipelinedTx struct {
	conn  *pgxpool.Conn
	begun bool
}

// writePipelined runs fn with a transaction on a connection of the pool.
// fn sends its batches with send and its last one with commit; if it
// returns before the commit has succeeded, the transaction is rolled back.
func (db *DB) writePipelined(ctx context.Context, fn func(tx *pipelinedTx) error) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &pipelinedTx{conn: conn}
	defer tx.release(ctx)
	return fn(tx)
}

// release rolls back what did not commit and gives the connection back.
// A connection that cannot roll back is closed by the pool instead.
func (tx *pipelinedTx) release(ctx context.Context) {
	if tx.conn.Conn().PgConn().TxStatus() != 'I' {
		_, _ = tx.conn.Exec(context.WithoutCancel(ctx), "rollback")
	}
	tx.conn.Release()
}

// querier runs single statements inside the transaction, once it has
// begun: for the rare paths that need an answer before the next batch.
func (tx *pipelinedTx) querier() querier { return tx.conn }

// send sends b's statements in one round trip, after BEGIN if b is the
// transaction's first batch. It returns the first error: of a statement,
// or of a callback set on a queued query.
func (tx *pipelinedTx) send(ctx context.Context, b *pgx.Batch) error {
	return tx.sendBatch(ctx, b, false)
}

// commit sends b's statements, then COMMIT, in one round trip.
func (tx *pipelinedTx) commit(ctx context.Context, b *pgx.Batch) error {
	return tx.sendBatch(ctx, b, true)
}

func (tx *pipelinedTx) sendBatch(ctx context.Context, b *pgx.Batch, commit bool) error {
	full := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+2)}
	if !tx.begun {
		full.Queue("begin")
	}
	full.QueuedQueries = append(full.QueuedQueries, b.QueuedQueries...)
	if commit {
		full.Queue("commit").Exec(func(tag pgconn.CommandTag) error {
			// A transaction in error answers COMMIT with ROLLBACK; it
			// cannot get here, as the batch stops at the error.
			if tag.String() == "ROLLBACK" {
				return pgx.ErrTxCommitRollback
			}
			return nil
		})
	}
	err := tx.conn.SendBatch(ctx, full).Close()
	tx.begun = true
	return err
}
