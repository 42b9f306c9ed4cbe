package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testIdempotency(t *testing.T, open OpenFunc) {
	t.Run("Lifecycle", func(t *testing.T) { testIdempotencyLifecycle(t, open) })
	t.Run("Release", func(t *testing.T) { testIdempotencyRelease(t, open) })
	t.Run("Expiry", func(t *testing.T) { testIdempotencyExpiry(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testIdempotencyConcurrent(t, open) })
}

const idemTTL = 24 * time.Hour

func (e *env) idemRecord(account int64, key, hash string) *sipsim.IdempotencyRecord {
	return &sipsim.IdempotencyRecord{AccountID: account, Key: key, RequestHash: hash, ExpiresAt: e.clock.Now().Add(idemTTL)}
}

func testIdempotencyLifecycle(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	rec := e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-a")
	prev, err := e.s.BeginIdempotent(e.ctx, rec)
	must(t, err)
	if prev != nil {
		t.Fatalf("new key returned a record: %+v", prev)
	}
	if !rec.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("CreatedAt = %s, want %s", rec.CreatedAt, e.clock.Now())
	}
	inFlight := *rec

	// Same key while the first runs: the in-flight record, whatever the body.
	e.clock.Advance(time.Second)
	for _, hash := range []string{"hash-a", "hash-b"} {
		prev, err = e.s.BeginIdempotent(e.ctx, e.idemRecord(sipsim.DefaultAccountID, "key-1", hash))
		must(t, err)
		wantEqual(t, "record in flight", prev, &inFlight)
	}

	// Keys are per account.
	prev, err = e.s.BeginIdempotent(e.ctx, e.idemRecord(OtherAccountID, "key-1", "hash-c"))
	must(t, err)
	if prev != nil {
		t.Fatalf("key of another account returned %+v", prev)
	}

	body := []byte(`{"status":"success","data":{"id":"call_1"}}`)
	must(t, e.s.FinishIdempotent(e.ctx, sipsim.DefaultAccountID, "key-1", 201, body))
	prev, err = e.s.BeginIdempotent(e.ctx, e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-a"))
	must(t, err)
	finished := inFlight
	finished.Status, finished.Body = 201, body
	wantEqual(t, "finished record", prev, &finished)

	// Finishing twice, or a key never begun, is refused; the stored
	// response stays.
	wantCode(t, e.s.FinishIdempotent(e.ctx, sipsim.DefaultAccountID, "key-1", 500, []byte("late")), sipsim.ENOTFOUND, "")
	wantCode(t, e.s.FinishIdempotent(e.ctx, sipsim.DefaultAccountID, "key-unknown", 201, body), sipsim.ENOTFOUND, "")
	// Releasing a finished key changes nothing.
	must(t, e.s.ReleaseIdempotent(e.ctx, sipsim.DefaultAccountID, "key-1"))
	prev, err = e.s.BeginIdempotent(e.ctx, e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-a"))
	must(t, err)
	wantEqual(t, "finished record after release", prev, &finished)

	// An empty body is a stored response too.
	must(t, e.s.FinishIdempotent(e.ctx, OtherAccountID, "key-1", 404, nil))
	prev, err = e.s.BeginIdempotent(e.ctx, e.idemRecord(OtherAccountID, "key-1", "hash-c"))
	must(t, err)
	if prev == nil || prev.Status != 404 || len(prev.Body) != 0 {
		t.Fatalf("record with an empty body = %+v", prev)
	}
}

func testIdempotencyRelease(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	must(t, e.s.ReleaseIdempotent(e.ctx, sipsim.DefaultAccountID, "never-seen"))
	rec := e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-a")
	prev, err := e.s.BeginIdempotent(e.ctx, rec)
	must(t, err)
	if prev != nil {
		t.Fatalf("new key returned %+v", prev)
	}
	// Another account's release does not touch it.
	must(t, e.s.ReleaseIdempotent(e.ctx, OtherAccountID, "key-1"))
	prev, err = e.s.BeginIdempotent(e.ctx, e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-a"))
	must(t, err)
	if prev == nil {
		t.Fatal("key released by another account")
	}

	must(t, e.s.ReleaseIdempotent(e.ctx, sipsim.DefaultAccountID, "key-1"))
	// A retry after the release runs again, even with another body.
	retry := e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-b")
	prev, err = e.s.BeginIdempotent(e.ctx, retry)
	must(t, err)
	if prev != nil {
		t.Fatalf("released key returned %+v", prev)
	}
	wantCode(t, e.s.FinishIdempotent(e.ctx, OtherAccountID, "key-1", 201, nil), sipsim.ENOTFOUND, "")
}

// testIdempotencyExpiry checks that a record counts until its ExpiresAt
// and is replaced from that instant on.
func testIdempotencyExpiry(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	first := e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-a")
	_, err := e.s.BeginIdempotent(e.ctx, first)
	must(t, err)
	must(t, e.s.FinishIdempotent(e.ctx, sipsim.DefaultAccountID, "key-1", 201, []byte("first")))

	e.clock.Advance(idemTTL - time.Microsecond)
	prev, err := e.s.BeginIdempotent(e.ctx, e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-b"))
	must(t, err)
	if prev == nil || string(prev.Body) != "first" {
		t.Fatalf("a microsecond before expiry: %+v, want the first response", prev)
	}

	e.clock.Advance(time.Microsecond)
	second := e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-b")
	prev, err = e.s.BeginIdempotent(e.ctx, second)
	must(t, err)
	if prev != nil {
		t.Fatalf("at expiry: %+v, want the key free", prev)
	}
	prev, err = e.s.BeginIdempotent(e.ctx, e.idemRecord(sipsim.DefaultAccountID, "key-1", "hash-a"))
	must(t, err)
	if prev == nil || prev.RequestHash != "hash-b" || prev.Status != 0 || !prev.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("after replacement: %+v, want the second request in flight", prev)
	}
}

// testIdempotencyConcurrent is the guarantee the API rests on: of many
// simultaneous requests with one key, exactly one runs.
func testIdempotencyConcurrent(t *testing.T, open OpenFunc) {
	const n = 50
	e := newEnv(t, open)
	prevs := make([]*sipsim.IdempotencyRecord, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		rec := e.idemRecord(sipsim.DefaultAccountID, "double-click", fmt.Sprintf("hash-%02d", i))
		wg.Go(func() {
			<-start
			prevs[i], errs[i] = e.s.BeginIdempotent(e.ctx, rec)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i := range n {
		must(t, errs[i])
		if prevs[i] == nil {
			if winner >= 0 {
				t.Fatalf("requests %d and %d both began", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no request began")
	}
	want := fmt.Sprintf("hash-%02d", winner)
	for i, p := range prevs {
		if i != winner && (p.RequestHash != want || p.Status != 0) {
			t.Fatalf("request %d got %+v, want the winner's in-flight record (%s)", i, p, want)
		}
	}
}
