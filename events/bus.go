// Package events carries call events out of the process: an in-process bus
// for live subscribers (SSE streams, the dispatcher's wake-up), the webhook
// signature scheme, and the dispatcher that drains the durable delivery
// outbox kept by the store.
package events

import (
	"sync"

	"github.com/sipsim/sipsim"
)

// Bus is the in-process sipsim.EventBus. It holds no history: the store is
// the record, and the bus only tells live subscribers that something new
// is there, which is why it may drop a subscriber instead of waiting for it.
type Bus struct {
	size int

	mu   sync.Mutex
	subs map[*subscription]struct{}
}

var _ sipsim.EventBus = (*Bus)(nil)

// subscription is one subscriber's channel. It is closed exactly once,
// either by the subscriber (cancel) or by Publish (too slow); whoever
// removes it from Bus.subs under the lock closes it.
type subscription struct {
	accountID int64 // 0: every account
	ch        chan *sipsim.CallEvent
}

// NewBus returns a bus whose subscribers may each fall bufferSize events
// behind before they are dropped. A bufferSize below 1 is taken as 1.
func NewBus(bufferSize int) *Bus {
	return &Bus{size: max(bufferSize, 1), subs: make(map[*subscription]struct{})}
}

// Publish hands ev to every subscriber of its account and to every
// all-accounts subscriber. It never blocks, so a stuck SSE client cannot
// hold up a call: a subscriber whose buffer is full is dropped (its channel
// closed) and must resume from the store.
func (b *Bus) Publish(ev *sipsim.CallEvent) {
	if ev == nil {
		return
	}
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

// Subscribe returns a channel of the account's events (accountID 0: all
// accounts) and a function that ends the subscription and closes the
// channel. The function may be called any number of times, also after the
// bus dropped the subscriber.
func (b *Bus) Subscribe(accountID int64) (<-chan *sipsim.CallEvent, func()) {
	s := &subscription{accountID: accountID, ch: make(chan *sipsim.CallEvent, b.size)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	cancel := func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[s]; ok {
			delete(b.subs, s)
			close(s.ch)
		}
	}
	return s.ch, cancel
}
