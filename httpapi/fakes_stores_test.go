package httpapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// fakeTags keeps tags per account and puts them on fakeCalls' calls.
type fakeTags struct {
	mu     sync.Mutex
	now    func() time.Time
	calls  *fakeCalls
	tags   map[int64]*sipsim.Tag
	nextID int64
	err    error
}

func (f *fakeTags) nameTaken(t *sipsim.Tag) bool {
	for _, o := range f.tags {
		if o.AccountID == t.AccountID && o.ID != t.ID && o.Name == t.Name {
			return true
		}
	}
	return false
}

func (f *fakeTags) CreateTag(_ context.Context, t *sipsim.Tag) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if f.nameTaken(t) {
		return sipsim.Errorf(sipsim.ECONFLICT, "UNIQUE constraint failed: tags.name")
	}
	f.nextID++
	t.ID, t.CreatedAt, t.UpdatedAt = f.nextID, f.now(), f.now()
	cp := *t
	f.tags[t.ID] = &cp
	return nil
}

func (f *fakeTags) Tag(_ context.Context, accountID, id int64) (*sipsim.Tag, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	t, ok := f.tags[id]
	if !ok || t.AccountID != accountID {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no tag %d", id)
	}
	cp := *t
	return &cp, nil
}

func (f *fakeTags) Tags(_ context.Context, accountID int64) ([]*sipsim.Tag, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []*sipsim.Tag
	for _, t := range f.tags {
		if t.AccountID == accountID {
			cp := *t
			out = append(out, &cp)
		}
	}
	slices.SortFunc(out, func(a, b *sipsim.Tag) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (f *fakeTags) UpdateTag(_ context.Context, t *sipsim.Tag) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	old, ok := f.tags[t.ID]
	if !ok || old.AccountID != t.AccountID {
		return sipsim.Errorf(sipsim.ENOTFOUND, "no tag %d", t.ID)
	}
	if f.nameTaken(t) {
		return sipsim.Errorf(sipsim.ECONFLICT, "UNIQUE constraint failed: tags.name")
	}
	t.UpdatedAt = f.now()
	cp := *t
	f.tags[t.ID] = &cp
	return nil
}

func (f *fakeTags) DeleteTag(_ context.Context, accountID, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	t, ok := f.tags[id]
	if !ok || t.AccountID != accountID {
		return sipsim.Errorf(sipsim.ENOTFOUND, "no tag %d", id)
	}
	delete(f.tags, id)
	return nil
}

func (f *fakeTags) TagCall(_ context.Context, accountID int64, callID string, tagID int64) error {
	return f.onCall(accountID, callID, tagID, func(c *sipsim.Call, t *sipsim.Tag) {
		if !slices.ContainsFunc(c.Tags, func(x sipsim.Tag) bool { return x.ID == t.ID }) {
			c.Tags = append(c.Tags, *t)
			slices.SortFunc(c.Tags, func(a, b sipsim.Tag) int { return strings.Compare(a.Name, b.Name) })
		}
	})
}

func (f *fakeTags) UntagCall(_ context.Context, accountID int64, callID string, tagID int64) error {
	return f.onCall(accountID, callID, tagID, func(c *sipsim.Call, t *sipsim.Tag) {
		c.Tags = slices.DeleteFunc(c.Tags, func(x sipsim.Tag) bool { return x.ID == t.ID })
	})
}

func (f *fakeTags) onCall(accountID int64, callID string, tagID int64, do func(*sipsim.Call, *sipsim.Tag)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.calls.mu.Lock()
	defer f.calls.mu.Unlock()
	c, ok := f.calls.calls[callID]
	t, tok := f.tags[tagID]
	if !ok || !tok || c.AccountID != accountID || t.AccountID != accountID {
		return sipsim.Errorf(sipsim.ENOTFOUND, "no call or tag")
	}
	do(c, t)
	return nil
}

// fakeWebhooks keeps webhooks and a canned delivery log.
type fakeWebhooks struct {
	mu         sync.Mutex
	now        func() time.Time
	hooks      map[int64]*sipsim.Webhook
	nextID     int64
	deliveries map[int64][]*sipsim.Delivery // by webhook, newest first
	lastLimit  int
	err        error
}

func (f *fakeWebhooks) CreateWebhook(_ context.Context, w *sipsim.Webhook) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.nextID++
	w.ID, w.CreatedAt = f.nextID, f.now()
	cp := *w
	f.hooks[w.ID] = &cp
	return nil
}

func (f *fakeWebhooks) Webhook(_ context.Context, accountID, id int64) (*sipsim.Webhook, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	w, ok := f.hooks[id]
	if !ok || w.AccountID != accountID {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no webhook %d", id)
	}
	cp := *w
	return &cp, nil
}

func (f *fakeWebhooks) Webhooks(_ context.Context, accountID int64) ([]*sipsim.Webhook, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []*sipsim.Webhook
	for _, w := range f.hooks {
		if w.AccountID == accountID {
			cp := *w
			out = append(out, &cp)
		}
	}
	slices.SortFunc(out, func(a, b *sipsim.Webhook) int { return int(a.ID - b.ID) })
	return out, nil
}

func (f *fakeWebhooks) DeleteWebhook(_ context.Context, accountID, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	w, ok := f.hooks[id]
	if !ok || w.AccountID != accountID {
		return sipsim.Errorf(sipsim.ENOTFOUND, "no webhook %d", id)
	}
	delete(f.hooks, id)
	return nil
}

func (f *fakeWebhooks) ClaimDueDeliveries(context.Context, time.Time, time.Duration, int, []int64) ([]*sipsim.Delivery, error) {
	return nil, nil
}

func (f *fakeWebhooks) RecordAttempt(context.Context, *sipsim.DeliveryAttempt, sipsim.DeliveryStatus, time.Time) error {
	return nil
}

func (f *fakeWebhooks) WebhookDeliveries(_ context.Context, accountID, webhookID int64, limit int) ([]*sipsim.Delivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastLimit = limit
	if f.err != nil {
		return nil, f.err
	}
	w, ok := f.hooks[webhookID]
	if !ok || w.AccountID != accountID {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no webhook %d", webhookID)
	}
	ds := f.deliveries[webhookID]
	return ds[:min(limit, len(ds))], nil
}

// fakeIdempotency behaves as IdempotencyStore's contract says.
type fakeIdempotency struct {
	mu       sync.Mutex
	records  map[string]*sipsim.IdempotencyRecord // by account/key
	err      error
	finishes int
}

func idemKey(accountID int64, key string) string {
	return fmt.Sprintf("%d/%s", accountID, key)
}

func (f *fakeIdempotency) BeginIdempotent(_ context.Context, rec *sipsim.IdempotencyRecord) (*sipsim.IdempotencyRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	k := idemKey(rec.AccountID, rec.Key)
	if old, ok := f.records[k]; ok && old.ExpiresAt.After(rec.CreatedAt) {
		cp := *old
		return &cp, nil
	}
	cp := *rec
	cp.Status, cp.Body = 0, nil
	f.records[k] = &cp
	return nil, nil
}

func (f *fakeIdempotency) FinishIdempotent(_ context.Context, accountID int64, key string, status int, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finishes++
	rec, ok := f.records[idemKey(accountID, key)]
	if !ok {
		return sipsim.Errorf(sipsim.ENOTFOUND, "no key")
	}
	rec.Status, rec.Body = status, slices.Clone(body)
	return nil
}

func (f *fakeIdempotency) ReleaseIdempotent(_ context.Context, accountID int64, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.records, idemKey(accountID, key))
	return nil
}

func (f *fakeIdempotency) record(accountID int64, key string) *sipsim.IdempotencyRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records[idemKey(accountID, key)]
}

// fakeEvents is the durable event log: events in id order.
type fakeEvents struct {
	mu      sync.Mutex
	events  []*sipsim.CallEvent
	err     error
	queries int
}

func (f *fakeEvents) Events(_ context.Context, flt sipsim.EventFilter) ([]*sipsim.CallEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	if f.err != nil {
		return nil, f.err
	}
	var out []*sipsim.CallEvent
	for _, ev := range f.events {
		if ev.AccountID != flt.AccountID || flt.CallID != "" && ev.CallID != flt.CallID || ev.ID <= flt.AfterID {
			continue
		}
		out = append(out, ev)
		if flt.Limit > 0 && len(out) == flt.Limit {
			break
		}
	}
	return out, nil
}

// store appends events, which must come in growing id order.
func (f *fakeEvents) LatestEventID(_ context.Context, accountID int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	var id int64
	for _, ev := range f.events {
		if ev.AccountID == accountID {
			id = max(id, ev.ID)
		}
	}
	return id, nil
}

func (f *fakeEvents) store(evs ...*sipsim.CallEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, evs...)
	slices.SortFunc(f.events, func(a, b *sipsim.CallEvent) int { return int(a.ID - b.ID) })
}

// fakeBus is an EventBus like the real one: non-blocking publish that drops
// (closes) a full subscriber, plus drop() to force that and a signal when
// someone subscribes.
type fakeBus struct {
	mu         sync.Mutex
	size       int
	subs       map[*fakeSub]bool
	subscribed chan int64 // receives the account of each Subscribe, if not nil
}

type fakeSub struct {
	accountID int64
	ch        chan *sipsim.CallEvent
}

func newFakeBus(size int) *fakeBus {
	return &fakeBus{size: size, subs: map[*fakeSub]bool{}}
}

func (b *fakeBus) Publish(ev *sipsim.CallEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.accountID != 0 && s.accountID != ev.AccountID {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			delete(b.subs, s)
			close(s.ch)
		}
	}
}

func (b *fakeBus) Subscribe(accountID int64) (<-chan *sipsim.CallEvent, func()) {
	s := &fakeSub{accountID: accountID, ch: make(chan *sipsim.CallEvent, b.size)}
	b.mu.Lock()
	b.subs[s] = true
	signal := b.subscribed
	b.mu.Unlock()
	if signal != nil {
		signal <- accountID
	}
	return s.ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.subs[s] {
			delete(b.subs, s)
			close(s.ch)
		}
	}
}

// drop closes every subscription, as the bus does to slow subscribers.
func (b *fakeBus) drop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		delete(b.subs, s)
		close(s.ch)
	}
}

func (b *fakeBus) subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
