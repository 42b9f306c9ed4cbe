package sqlite

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipsim/sipsim/internal/tuning"
)

// Group commit. SQLite has one writer; each write transaction used to
// begin, write and commit on its own, so a burst of calls queued its
// writes one commit at a time: at 200 calls/s the queue outgrew the calls'
// 10 s write timeout (bench/caps). One goroutine now owns the writer
// connection and runs the writes waiting for it together, each inside a
// savepoint of one transaction committed once: the commit and the pages
// the writes share are paid once per batch, and the busier the server,
// the bigger the batches.
//
// Each write keeps its own outcome: one whose work fails is rolled back
// to its savepoint and gets its error, the others commit. Only a failure
// of the transaction itself (its commit, a savepoint that cannot be
// rolled back: a disk full, an I/O error) fails the whole batch.

// maxWriteBatch bounds a batch, so that the first write of a long queue
// is not held back by many others.
const maxWriteBatch = 64

// A write request's state: the writer starts it only if its caller has
// not given up waiting, and a caller gives up only on a write not
// started, so a started write's caller always learns its outcome.
const (
	writeWaiting int32 = iota
	writeStarted
	writeAbandoned
)

type writeRequest struct {
	fn    func(tx writeTx) error
	state atomic.Int32
	done  chan error // buffered: the writer never waits for the caller
}

// writeQueue is the writer goroutine's side of write.
type writeQueue struct {
	requests chan *writeRequest // unbuffered: a batch is whoever waits now
	closing  chan struct{}
	stopped  sync.WaitGroup
	once     sync.Once
	// batches counts the transactions run, for the tests to see
	// batching happen.
	batches atomic.Int64
}

func newWriteQueue() *writeQueue {
	return &writeQueue{requests: make(chan *writeRequest), closing: make(chan struct{})}
}

// write runs fn in a write transaction (BEGIN IMMEDIATE on the single
// writer connection, shared with the writes waiting at the same moment)
// and commits its work if fn returns nil. A disk full or a database locked
// by another process is EUNAVAILABLE (see unavailable).
func (db *DB) write(ctx context.Context, fn func(tx writeTx) error) error {
	// A panic in fn happens on the writer goroutine, where nothing would
	// recover it: the whole server would die of one bad write. It is
	// caught there, fn's work undone like any failed write's, and raised
	// again here, on the caller's goroutine, as it was before writes were
	// batched (the API answers it 500).
	var panicked error
	guarded := func(tx writeTx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				panicked = fmt.Errorf("panic in a write: %v\n%s", p, debug.Stack())
				err = panicked
			}
		}()
		return fn(tx)
	}
	req := &writeRequest{fn: guarded, done: make(chan error, 1)}
	select {
	case db.writes.requests <- req:
	case <-ctx.Done():
		return unavailable(fmt.Errorf("begin: %w", ctx.Err()))
	case <-db.writes.closing:
		return errClosed
	}
	var err error
	select {
	case err = <-req.done:
	case <-ctx.Done():
		if req.state.CompareAndSwap(writeWaiting, writeAbandoned) {
			return unavailable(fmt.Errorf("begin: %w", ctx.Err()))
		}
		err = <-req.done
	}
	if panicked != nil { // written before done was sent
		panic(panicked)
	}
	return unavailable(err)
}

// startWriter starts the writer goroutine, on a thread of lower priority
// by nice steps if any (WriterNice).
func (db *DB) startWriter(nice int) error {
	db.writes.stopped.Add(1)
	if nice == 0 {
		go db.runWriter()
		return nil
	}
	if err := tuning.GoLowered(nice, db.runWriter); err != nil {
		db.writes.stopped.Done()
		return err
	}
	return nil
}

// runWriter is the writer goroutine: it takes a request, then every other
// one waiting, up to maxWriteBatch, and runs them as one transaction.
func (db *DB) runWriter() {
	defer db.writes.stopped.Done()
	for {
		var first *writeRequest
		select {
		case first = <-db.writes.requests:
		case <-db.writes.closing:
			return
		}
		batch := []*writeRequest{first}
	gather:
		for len(batch) < maxWriteBatch {
			select {
			case r := <-db.writes.requests:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		db.runBatch(batch)
	}
}

// stopWriter stops the writer goroutine once its batch is done; writes
// waiting or to come get errClosed.
func (db *DB) stopWriter() {
	db.writes.once.Do(func() { close(db.writes.closing) })
	db.writes.stopped.Wait()
}

func (db *DB) runBatch(batch []*writeRequest) {
	run := batch[:0]
	for _, r := range batch {
		if r.state.CompareAndSwap(writeWaiting, writeStarted) {
			run = append(run, r)
		}
	}
	if len(run) == 0 {
		return
	}
	db.writes.batches.Add(1)
	var missed []string
	errs := db.commitBatch(run, &missed)
	for i, r := range run {
		r.done <- errs[i]
	}
	if len(missed) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		db.keepWrites(ctx, missed)
		cancel()
	}
}

// commitBatch runs the requests in one transaction and returns each one's
// outcome. The transaction is not the callers': a caller's context could
// cancel it under the others' work. Their statements run with their own
// contexts' values but not their cancellation (writeTx), as SQLite rolls
// back the whole transaction when a statement in it is interrupted.
func (db *DB) commitBatch(run []*writeRequest, missed *[]string) []error {
	errs := make([]error, len(run))
	fail := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	tx, err := db.writer.BeginTx(context.Background(), nil)
	if err != nil {
		return fail(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback() // a no-op once committed
	wtx := writeTx{Tx: tx, kept: &db.keptWrites, missed: missed}
	if len(run) == 1 {
		errs[0] = run[0].fn(wtx)
		if errs[0] != nil {
			return errs
		}
	} else {
		for i, r := range run {
			errs[i], err = inSavepoint(wtx, r.fn)
			if err != nil {
				return fail(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("commit: %w", err))
	}
	return errs
}

// inSavepoint runs fn in a savepoint of tx: its work is kept if it
// returns nil and undone if not (its error is fnErr). txErr is a failure
// of the transaction itself, which dooms everything in it.
func inSavepoint(tx writeTx, fn func(tx writeTx) error) (fnErr, txErr error) {
	ctx := context.Background()
	if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	fnErr = fn(tx)
	if fnErr != nil {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
			return fnErr, fmt.Errorf("rollback to savepoint: %w (after %v)", err, fnErr)
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
		return fnErr, fmt.Errorf("release savepoint: %w", err)
	}
	return fnErr, nil
}
