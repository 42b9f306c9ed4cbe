package events_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/events"
)

// TestBurstIsSentWithoutWaitingForALease: a burst of events to one
// webhook (a CRM during a busy minute) is sent as fast as its receiver
// answers, while another webhook's receiver hangs on its first POST. The
// lease is an hour and the test never moves the clock, so no delivery can
// come back from a lease during the test: whatever arrives was claimed
// once and sent.
func TestBurstIsSentWithoutWaitingForALease(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	slowReceiver := newReceiver(t, func(int) (int, string) {
		<-release
		return http.StatusOK, "thanks"
	})
	fastReceiver := newReceiver(t, ok)
	// The slow webhook is the older: at each event its delivery is due
	// first, ahead of the fast one's.
	slow := e.webhook(slowReceiver.URL)
	fast := e.webhook(fastReceiver.URL)

	// The whole burst is stored before the dispatcher starts, as when
	// events come faster than a receiver answers.
	const calls = 25 // 4 events each
	var ids []int64
	for range calls {
		ids = append(ids, e.placeCall()...)
	}
	// No poll during the test: only the dispatcher's own bookkeeping makes
	// it claim again.
	e.run(events.DispatcherConfig{Now: e.clock.Now, Client: &http.Client{Timeout: time.Minute}, Lease: time.Hour, PollInterval: time.Hour})
	// Runs before the dispatcher's stop and the receivers' Close, which
	// wait for the hanging POST.
	t.Cleanup(releaseOnce)
	waitFor(t, "the fast webhook has every event", e.all(fast.ID, sipsim.DeliverySucceeded, len(ids)))
	wantEventsInOrder(t, "fast receiver", fastReceiver, ids)
	if n := len(slowReceiver.requests()); n != 1 {
		t.Fatalf("the slow receiver got %d POSTs while hanging on its first, want 1", n)
	}

	releaseOnce()
	waitFor(t, "the slow webhook has every event", e.all(slow.ID, sipsim.DeliverySucceeded, len(ids)))
	wantEventsInOrder(t, "slow receiver", slowReceiver, ids)
}

// wantEventsInOrder checks that r got each event once, in order.
func wantEventsInOrder(t *testing.T, name string, r *receiver, ids []int64) {
	t.Helper()
	reqs := r.requests()
	got := make([]int64, len(reqs))
	for i, req := range reqs {
		got[i], _ = strconv.ParseInt(req.header.Get(events.EventIDHeader), 10, 64)
	}
	if len(got) != len(ids) {
		t.Fatalf("%s got %d POSTs, want %d", name, len(got), len(ids))
	}
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("%s got events %v, want %v", name, got, ids)
		}
	}
}
