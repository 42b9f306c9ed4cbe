package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// Every API request reads its token, and a poll of a list the list's
// version with it (TokenAndListVersion): one round trip each, which held
// GET /api/v2/phones on PostgreSQL to two fifths of a bare handler's
// throughput (bench/api) while the rendering itself was kept. The reads
// that arrive while one is on the wire are therefore gathered and sent
// together, as one statement, when it returns: under load, one round trip
// serves a whole batch; an idle node sends each read at once, as before.
//
// Nothing is served stale by this. A request only ever joins a batch that
// has not been sent yet, so its read starts after the request arrived and
// sees every write committed before that, on any node: what reading alone
// would have seen.

// batchedTokenReadTimeout bounds one batch's statement. A batch serves
// several requests, so it does not run under any one request's context
// (the first one cancelled would fail them all); each request still stops
// waiting when its own context ends.
const batchedTokenReadTimeout = 30 * time.Second

// tokenReadResult is what a read of one hash found: the live token, with
// the versions of its account's lists (those never changed are missing:
// version 0). token is nil when no live token has the hash.
type tokenReadResult struct {
	token    *sipsim.Token
	versions []listVersion
}

type listVersion struct {
	list    sipsim.List
	version int64
}

// version is the token's account's version of list.
func (r tokenReadResult) version(list sipsim.List) int64 {
	for _, v := range r.versions {
		if v.list == list {
			return v.version
		}
	}
	return 0
}

// tokenBatch is the reads sent in one statement: the hashes asked, each
// once however many requests asked it.
type tokenBatch struct {
	hashes  []string
	index   map[string]int
	results []tokenReadResult // by index, once done is closed
	err     error
	done    chan struct{}
}

func newTokenBatch() *tokenBatch {
	return &tokenBatch{index: map[string]int{}, done: make(chan struct{})}
}

// add puts hash in the batch, once, and returns its index.
func (b *tokenBatch) add(hash string) int {
	if i, ok := b.index[hash]; ok {
		return i
	}
	b.index[hash] = len(b.hashes)
	b.hashes = append(b.hashes, hash)
	return len(b.hashes) - 1
}

// tokenReads gathers token reads while one batch is on the wire.
type tokenReads struct {
	run func(ctx context.Context, hashes []string) ([]tokenReadResult, error)

	mu      sync.Mutex
	next    *tokenBatch // gathering while another is sent; nil if none
	sending bool        // a batch is on the wire
}

// read returns what hash finds, from a batch sent after it was asked.
func (t *tokenReads) read(ctx context.Context, hash string) (tokenReadResult, error) {
	t.mu.Lock()
	if t.next == nil {
		t.next = newTokenBatch()
	}
	b := t.next
	i := b.add(hash)
	if !t.sending {
		t.sending, t.next = true, nil
		go t.send(b)
	}
	t.mu.Unlock()
	select {
	case <-b.done:
		if b.err != nil {
			return tokenReadResult{}, b.err
		}
		return b.results[i], nil
	case <-ctx.Done():
		return tokenReadResult{}, ctx.Err()
	}
}

// send runs b, then each batch gathered meanwhile, until none is left.
// It runs on a goroutine of its own, not the request's that started it:
// that request stops waiting when its context ends, like the others.
func (t *tokenReads) send(b *tokenBatch) {
	for b != nil {
		ctx, cancel := context.WithTimeout(context.Background(), batchedTokenReadTimeout)
		b.results, b.err = t.run(ctx, b.hashes)
		cancel()
		close(b.done)

		t.mu.Lock()
		b, t.next = t.next, nil
		t.sending = b != nil
		t.mu.Unlock()
	}
}
