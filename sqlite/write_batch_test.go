package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// holdWriter starts a write that keeps the writer busy until release is
// closed, so that the writes after it queue up and run as one batch.
func holdWriter(t *testing.T, db *DB) (release func()) {
	t.Helper()
	started, hold := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.write(t.Context(), func(writeTx) error {
			close(started)
			<-hold
			return nil
		})
	}()
	<-started
	return func() {
		close(hold)
		if err := <-done; err != nil {
			t.Errorf("holding write: %v", err)
		}
	}
}

func insertTag(ctx context.Context, tx writeTx, name string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tags (account_id, name, color, created_at, updated_at)
		VALUES (?, ?, '#000000', '2024-01-15T10:30:00.000000Z', '2024-01-15T10:30:00.000000Z')`, sipsim.DefaultAccountID, name)
	return err
}

// Writes that wait together commit together, and each keeps its own
// outcome: the work of one that fails is undone, the others' is kept.
func TestWritesBatchedEachWithItsOwnOutcome(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "b.db"), func() time.Time { return time.Now().UTC() })
	release := holdWriter(t, db)
	batchesBefore := db.writes.batches.Load()
	const n = 40
	errBroken := errors.New("this write changes its mind")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = db.write(t.Context(), func(tx writeTx) error {
				if err := insertTag(t.Context(), tx, fmt.Sprintf("tag-%02d", i)); err != nil {
					return err
				}
				switch i % 4 {
				case 1:
					return errBroken // after its insert: the insert must go
				case 2:
					// Its own tag again: a constraint violation, whatever
					// order the batch runs in.
					return insertTag(t.Context(), tx, fmt.Sprintf("tag-%02d", i))
				}
				return nil
			})
		})
	}
	// Every writer is waiting once the queue has stopped growing; there is
	// no way to see a blocked send, so give them time to get there.
	time.Sleep(200 * time.Millisecond)
	release()
	wg.Wait()

	for i, err := range errs {
		switch i % 4 {
		case 1:
			if !errors.Is(err, errBroken) {
				t.Errorf("write %d: %v, want its own error", i, err)
			}
		case 2:
			if sipsim.ErrorCode(err) != sipsim.EINTERNAL || err == nil {
				t.Errorf("write %d: %v, want the constraint violation", i, err)
			}
		default:
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	var names []string
	rows, err := db.reader.QueryContext(t.Context(), "SELECT name FROM tags ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		names = append(names, s)
	}
	rows.Close()
	var want []string
	for i := range n {
		if i%4 == 0 || i%4 == 3 {
			want = append(want, fmt.Sprintf("tag-%02d", i))
		}
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("tags stored: %v\nwant %v", names, want)
	}
	if batches := db.writes.batches.Load() - batchesBefore; batches >= n {
		t.Errorf("%d writes in %d transactions: none were batched", n, batches)
	}
}

// A write whose caller gave up before it started never runs.
func TestAbandonedWriteNeverRuns(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "a.db"), func() time.Time { return time.Now().UTC() })
	release := holdWriter(t, db)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := db.write(ctx, func(tx writeTx) error { return insertTag(ctx, tx, "too-late") })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("write given up: %v, want the deadline", err)
	}
	release()
	if err := db.write(t.Context(), func(tx writeTx) error { return insertTag(t.Context(), tx, "after") }); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.reader.QueryRowContext(t.Context(), "SELECT count(*) FROM tags WHERE name = 'too-late'").Scan(&n); err != nil || n != 0 {
		t.Errorf("the abandoned write's row: %d (%v), want none", n, err)
	}
}

// A write that panics does not take the writer, nor the writes batched
// with it, down: the panic reaches its own caller, its work is undone,
// the others commit.
func TestPanickingWriteReachesItsCallerOnly(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "p.db"), func() time.Time { return time.Now().UTC() })
	release := holdWriter(t, db)
	var recovered any
	var wg sync.WaitGroup
	wg.Go(func() {
		defer func() { recovered = recover() }()
		_ = db.write(t.Context(), func(tx writeTx) error {
			if err := insertTag(t.Context(), tx, "from-the-panicking-write"); err != nil {
				return err
			}
			panic("store bug")
		})
	})
	var otherErr error
	wg.Go(func() {
		otherErr = db.write(t.Context(), func(tx writeTx) error { return insertTag(t.Context(), tx, "batched-alongside") })
	})
	time.Sleep(200 * time.Millisecond) // both waiting for the writer
	release()
	wg.Wait()
	if recovered == nil || !strings.Contains(fmt.Sprint(recovered), "store bug") {
		t.Errorf("the caller recovered %v, want the write's panic", recovered)
	}
	if otherErr != nil {
		t.Errorf("the write batched with it: %v", otherErr)
	}
	if err := db.write(t.Context(), func(tx writeTx) error { return insertTag(t.Context(), tx, "after") }); err != nil {
		t.Fatalf("the writer after a panic: %v", err)
	}
	var names []string
	rows, err := db.reader.QueryContext(t.Context(), "SELECT name FROM tags ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		names = append(names, s)
	}
	if fmt.Sprint(names) != "[after batched-alongside]" {
		t.Errorf("tags stored: %v, want the batched write's and the later one, not the panicking one's", names)
	}
}
