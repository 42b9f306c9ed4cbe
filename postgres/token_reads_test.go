package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// heldRuns is a run function for tokenReads whose statements wait until
// the test lets them finish, and which records the batches it was sent.
type heldRuns struct {
	sent    chan []string // each batch as it goes out
	release chan error    // ends the statement on the wire
}

// newHeldRuns returns the run function and the tokenReads that uses it.
func newHeldRuns() (*heldRuns, *tokenReads) {
	h := &heldRuns{sent: make(chan []string, 16), release: make(chan error)}
	return h, &tokenReads{run: h.run}
}

func (h *heldRuns) run(_ context.Context, hashes []string) ([]tokenReadResult, error) {
	h.sent <- slices.Clone(hashes)
	if err := <-h.release; err != nil {
		return nil, err
	}
	results := make([]tokenReadResult, len(hashes))
	for i, hash := range hashes {
		results[i] = tokenReadResult{token: &sipsim.Token{Hash: hash}}
	}
	return results, nil
}

func (h *heldRuns) nextBatch(t *testing.T) []string {
	t.Helper()
	select {
	case b := <-h.sent:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no batch was sent")
		return nil
	}
}

// readAlone asks hash while nothing else is in flight: it goes out at
// once, alone, and stays on the wire until released.
func (h *heldRuns) readAlone(ctx context.Context, t *testing.T, tr *tokenReads, hash string) <-chan readAnswer {
	t.Helper()
	ch := startRead(ctx, tr, hash)
	if got := h.nextBatch(t); !slices.Equal(got, []string{hash}) {
		t.Fatalf("batch = %v, want only %q", got, hash)
	}
	return ch
}

type readAnswer struct {
	res tokenReadResult
	err error
}

// startRead asks hash on its own goroutine.
func startRead(ctx context.Context, tr *tokenReads, hash string) <-chan readAnswer {
	ch := make(chan readAnswer, 1)
	go func() {
		res, err := tr.read(ctx, hash)
		ch <- readAnswer{res, err}
	}()
	return ch
}

func answer(t *testing.T, ch <-chan readAnswer) readAnswer {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("read did not return")
		return readAnswer{}
	}
}

// waitGathered waits until the batch being gathered holds n reads.
func waitGathered(t *testing.T, tr *tokenReads, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tr.mu.Lock()
		got := 0
		if tr.next != nil {
			got = len(tr.next.hashes)
		}
		tr.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reads gathered, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// The reads that arrive while a batch is on the wire go out together in
// the next one, identical reads once, and none joins the batch already
// sent: each read starts after it was asked, so it sees every write
// committed before that.
func TestTokenReadsGatherWhileOneIsOnTheWire(t *testing.T) {
	h, tr := newHeldRuns()
	ctx := t.Context()

	first := h.readAlone(ctx, t, tr, "a")
	asked := []string{"b", "a", "c", "b"}
	second := make([]<-chan readAnswer, len(asked))
	for i, hash := range asked {
		second[i] = startRead(ctx, tr, hash)
	}
	waitGathered(t, tr, 3)
	h.release <- nil
	if got := answer(t, first); got.err != nil || got.res.token.Hash != "a" {
		t.Fatalf("first read = %+v", got)
	}

	got := h.nextBatch(t)
	slices.Sort(got)
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("second batch = %v, want a, b and c once each", got)
	}
	h.release <- nil
	for i, want := range asked {
		if got := answer(t, second[i]); got.err != nil || got.res.token.Hash != want {
			t.Errorf("read %d = %+v, want the answer to %q", i, got, want)
		}
	}

	// Idle again: the next read goes out at once, alone.
	third := h.readAlone(ctx, t, tr, "c")
	h.release <- nil
	if got := answer(t, third); got.err != nil {
		t.Fatal(got.err)
	}
}

// A failed statement fails every read of its batch, and only those.
func TestTokenReadsFailTheirBatchOnly(t *testing.T) {
	h, tr := newHeldRuns()
	ctx := t.Context()
	first := h.readAlone(ctx, t, tr, "a")
	second := startRead(ctx, tr, "b")
	waitGathered(t, tr, 1)
	broken := errors.New("connection lost")
	h.release <- broken
	if got := answer(t, first); !errors.Is(got.err, broken) {
		t.Fatalf("read of the failed batch: err = %v, want %v", got.err, broken)
	}
	h.nextBatch(t)
	h.release <- nil
	if got := answer(t, second); got.err != nil || got.res.token.Hash != "b" {
		t.Fatalf("read of the next batch = %+v", got)
	}
}

// A request that gives up stops waiting at once; the batch it started
// still answers the others.
func TestTokenReadsStopWaitingWithTheirContext(t *testing.T) {
	h, tr := newHeldRuns()
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := h.readAlone(ctx, t, tr, "a")
	cancel()
	if got := answer(t, gaveUp); !errors.Is(got.err, context.Canceled) {
		t.Fatalf("cancelled read: err = %v, want context.Canceled", got.err)
	}
	other := startRead(t.Context(), tr, "b")
	waitGathered(t, tr, 1)
	h.release <- nil
	h.nextBatch(t)
	h.release <- nil
	if got := answer(t, other); got.err != nil || got.res.token.Hash != "b" {
		t.Fatalf("read after a cancelled one = %+v", got)
	}
}

// Many readers at once all get their own answer.
func TestTokenReadsUnderLoad(t *testing.T) {
	tr := &tokenReads{run: func(_ context.Context, hashes []string) ([]tokenReadResult, error) {
		results := make([]tokenReadResult, len(hashes))
		for i, hash := range hashes {
			results[i] = tokenReadResult{token: &sipsim.Token{Hash: hash}}
		}
		return results, nil
	}}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 200 {
				hash := string(rune('a' + (g+i)%26))
				res, err := tr.read(t.Context(), hash)
				if err != nil || res.token.Hash != hash {
					t.Errorf("read %q = %+v, %v", hash, res, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A batch larger than one statement reads is read in several; every
// hash gets its own token and its account's versions, an unknown one
// nothing.
func TestReadTokensOfALargeBatch(t *testing.T) {
	db := openFresh(t, fixedClock())
	ctx := t.Context()
	if err := db.CreatePhone(ctx, &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Desk", Status: sipsim.PhoneActive,
		InternalNumber: 101, Number: "+33612345678", Country: "FR", SIPRealm: "sipsim"}); err != nil {
		t.Fatal(err)
	}
	var hashes []string
	ids := map[string]int64{}
	for i := range maxTokensPerStatement + 8 {
		tok := &sipsim.Token{AccountID: sipsim.DefaultAccountID, Name: fmt.Sprint("t", i),
			Hash: sipsim.HashToken(sipsim.NewTokenSecret()), Scopes: []sipsim.Scope{sipsim.ScopePhonesRead}}
		if err := db.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, tok.Hash)
		ids[tok.Hash] = tok.ID
	}
	unknown := sipsim.HashToken("sipsim_unknown")
	hashes = append(hashes[:5], append([]string{unknown}, hashes[5:]...)...)

	results, err := db.readTokens(ctx, hashes)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hashes {
		r := results[i]
		if h == unknown {
			if r.token != nil {
				t.Errorf("unknown hash found token %d", r.token.ID)
			}
			continue
		}
		if r.token == nil || r.token.ID != ids[h] {
			t.Fatalf("hash %d: token %+v, want id %d", i, r.token, ids[h])
		}
		if r.version(sipsim.ListPhones) == 0 || r.version(sipsim.ListCalls) != 0 {
			t.Errorf("hash %d: versions %+v, want phones raised by the phone and calls untouched", i, r.versions)
		}
	}
}
