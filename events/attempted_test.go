package events_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/events"
)

// Metrics hear where each attempt left its delivery.
func TestAttemptedHearsEachAttemptsOutcome(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(n int) (int, string) {
		if n <= 2 {
			return http.StatusInternalServerError, "boom"
		}
		return http.StatusOK, "thanks"
	})
	e.webhook(r.URL, sipsim.EventCallCreated)
	var (
		mu  sync.Mutex
		got []sipsim.DeliveryStatus
	)
	heard := func() []sipsim.DeliveryStatus {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
	e.run(events.DispatcherConfig{RetryBase: 10 * time.Millisecond, PollInterval: 10 * time.Millisecond,
		Attempted: func(s sipsim.DeliveryStatus) {
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
		}})
	e.placeCall()
	waitFor(t, "three attempts heard", func() bool { return len(heard()) >= 3 })

	want := []sipsim.DeliveryStatus{sipsim.DeliveryPending, sipsim.DeliveryPending, sipsim.DeliverySucceeded}
	if h := heard(); !slices.Equal(h, want) {
		t.Errorf("Attempted heard %v, want %v", h, want)
	}
}
