package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/events"
	"github.com/sipsim/sipsim/wire"
)

// checkRequest asserts that req is the signed delivery of event id to w,
// verified by a receiver whose clock reads now.
func checkRequest(t *testing.T, e *env, w *sipsim.Webhook, req received, eventID, deliveryID int64, now time.Time) {
	t.Helper()
	if req.method != http.MethodPost {
		t.Errorf("method %s, want POST", req.method)
	}
	want := e.body(eventID)
	if !bytes.Equal(req.body, want) {
		t.Errorf("event %d: body\n%s\nwant\n%s", eventID, req.body, want)
	}
	var ev wire.Event
	must(t, json.Unmarshal(req.body, &ev))
	for name, value := range map[string]string{
		"Content-Type":       "application/json",
		"User-Agent":         "SIPSIM-Webhooks",
		"SIPSIM-Event-Id":    strconv.FormatInt(eventID, 10),
		"SIPSIM-Event-Type":  ev.Type,
		"SIPSIM-Delivery-Id": strconv.FormatInt(deliveryID, 10),
	} {
		if got := req.header.Get(name); got != value {
			t.Errorf("event %d: %s = %q, want %q", eventID, name, got, value)
		}
	}
	if err := events.Verify(w.Secret, req.header.Get("SIPSIM-Signature"), req.body, now, 0); err != nil {
		t.Errorf("event %d: signature %q: %v", eventID, req.header.Get("SIPSIM-Signature"), err)
	}
}

func TestDeliversEachEventOnceInOrder(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, ok)
	every := e.webhook(r.URL + "/every")
	endedOnly := e.webhook(r.URL+"/ended", sipsim.EventCallEnded)

	// The first call is stored before the dispatcher starts: its first poll
	// finds it. The second comes while it runs, and with an hour between
	// polls only the bus can have woken it.
	first := e.placeCall()
	e.run(events.DispatcherConfig{PollInterval: time.Hour})
	waitFor(t, "the first call's events are delivered", e.all(every.ID, sipsim.DeliverySucceeded, 4))
	second := e.placeCall()
	waitFor(t, "every event is delivered", e.all(every.ID, sipsim.DeliverySucceeded, 8))
	waitFor(t, "call.ended is delivered", e.all(endedOnly.ID, sipsim.DeliverySucceeded, 2))

	for _, tt := range []struct {
		w      *sipsim.Webhook
		path   string
		events []int64
	}{
		{every, "/every", append(first, second...)},
		{endedOnly, "/ended", []int64{first[3], second[3]}},
	} {
		var got []received
		for _, req := range r.requests() {
			if req.path == tt.path {
				got = append(got, req)
			}
		}
		deliveries := e.deliveries(tt.w.ID)
		if len(got) != len(tt.events) || len(deliveries) != len(tt.events) {
			t.Fatalf("%s: %d requests and %d deliveries, want %d of each", tt.path, len(got), len(deliveries), len(tt.events))
		}
		for i, id := range tt.events {
			d := deliveries[i]
			checkRequest(t, e, tt.w, got[i], id, d.ID, time.Now())
			if d.EventID != id || d.Attempts != 1 || len(d.AttemptLog) != 1 {
				t.Fatalf("%s: delivery %+v, want event %d sent once", tt.path, d, id)
			}
			if a := d.AttemptLog[0]; a.StatusCode != 200 || a.Error != "" || a.ResponseBody != "thanks" {
				t.Errorf("%s: attempt %+v, want 200 \"thanks\"", tt.path, a)
			}
		}
	}
}

func TestRetriesUntilAccepted(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(n int) (int, string) {
		if n <= 2 {
			return http.StatusInternalServerError, "boom"
		}
		return http.StatusOK, "thanks"
	})
	w := e.webhook(r.URL, sipsim.EventCallCreated)
	e.run(events.DispatcherConfig{RetryBase: 10 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	created := e.placeCall()[0]
	waitFor(t, "the delivery succeeds", e.all(w.ID, sipsim.DeliverySucceeded, 1))

	d := e.deliveries(w.ID)[0]
	if d.Attempts != 3 || len(d.AttemptLog) != 3 {
		t.Fatalf("%d attempts, log of %d, want 3", d.Attempts, len(d.AttemptLog))
	}
	for i, want := range []struct {
		code int
		body string
	}{{500, "boom"}, {500, "boom"}, {200, "thanks"}} {
		a := d.AttemptLog[i]
		if a.Attempt != i+1 || a.StatusCode != want.code || a.ResponseBody != want.body {
			t.Errorf("attempt log %d: %+v, want attempt %d answered %d %q", i, a, i+1, want.code, want.body)
		}
	}
	reqs := r.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	for _, req := range reqs {
		checkRequest(t, e, w, req, created, d.ID, time.Now())
	}
}

func TestReceiverDownThenUp(t *testing.T) {
	e := newEnv(t)
	// An address nobody listens on, until the receiver starts there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	l.Close()
	w := e.webhook("http://" + addr + "/hook")

	e.run(events.DispatcherConfig{RetryBase: 10 * time.Millisecond, RetryCap: 50 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	ids := e.placeCall()
	waitFor(t, "every delivery has failed twice", func() bool {
		ds := e.deliveries(w.ID)
		return len(ds) == 4 && !slices.ContainsFunc(ds, func(d *sipsim.Delivery) bool { return d.Attempts < 2 })
	})
	for _, d := range e.deliveries(w.ID) {
		a := d.AttemptLog[0]
		if d.Status != sipsim.DeliveryPending || a.StatusCode != 0 || !strings.Contains(a.Error, "refused") {
			t.Errorf("delivery %d: %s, first attempt %+v; want pending after connection refused", d.ID, d.Status, a)
		}
	}

	r := &receiver{respond: ok}
	r.Server = httptest.NewUnstartedServer(r)
	r.Listener.Close()
	if r.Listener, err = net.Listen("tcp", addr); err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	r.Start()
	t.Cleanup(r.Close)
	waitFor(t, "every delivery succeeds", e.all(w.ID, sipsim.DeliverySucceeded, 4))

	reqs := r.requests()
	if len(reqs) != len(ids) {
		t.Fatalf("receiver got %d requests, want %d", len(reqs), len(ids))
	}
	deliveries := map[int64]int64{} // event id → delivery id
	for _, d := range e.deliveries(w.ID) {
		deliveries[d.EventID] = d.ID
	}
	seen := map[int64]bool{}
	for _, req := range reqs {
		id, _ := strconv.ParseInt(req.header.Get("SIPSIM-Event-Id"), 10, 64)
		if seen[id] || deliveries[id] == 0 {
			t.Fatalf("event %d received twice or unknown", id)
		}
		seen[id] = true
		checkRequest(t, e, w, req, id, deliveries[id], time.Now())
	}
}

func TestGivesUpAfterTheRetryWindow(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(int) (int, string) { return http.StatusServiceUnavailable, "" })
	w := e.webhook(r.URL, sipsim.EventCallCreated)
	old := e.placeCall()[0]
	e.clock.Set(2 * time.Hour)
	young := e.placeCall()[0]

	// The dispatcher runs 25 hours after the first call: that delivery is
	// at the end of the default window, the other 2 hours short of it.
	e.run(events.DispatcherConfig{Now: (&clock{offset: events.DefaultGiveUpAfter}).Now})
	waitFor(t, "both deliveries are tried", func() bool {
		ds := e.deliveries(w.ID)
		return len(ds) == 2 && ds[0].Attempts > 0 && ds[1].Attempts > 0
	})

	ds := e.deliveries(w.ID)
	if d := ds[0]; d.EventID != old || d.Status != sipsim.DeliveryFailed || d.Attempts != 1 || d.AttemptLog[0].StatusCode != 503 {
		t.Errorf("old delivery: event %d, %s after %d attempts; want event %d failed after one 503", d.EventID, d.Status, d.Attempts, old)
	}
	if d := ds[1]; d.EventID != young || d.Status != sipsim.DeliveryPending {
		t.Errorf("young delivery: event %d, %s; want event %d pending", d.EventID, d.Status, young)
	}
}

func TestRestartDeliversWhatWasPending(t *testing.T) {
	e := newEnv(t)
	var up atomic.Bool
	r := newReceiver(t, func(int) (int, string) {
		if up.Load() {
			return http.StatusOK, "thanks"
		}
		return http.StatusServiceUnavailable, "down for maintenance"
	})
	w := e.webhook(r.URL)

	// The first run fails each delivery once and schedules the next try
	// an hour later.
	stop := e.run(events.DispatcherConfig{RetryBase: time.Hour, PollInterval: 10 * time.Millisecond})
	ids := e.placeCall()
	waitFor(t, "every delivery is tried once", func() bool {
		ds := e.deliveries(w.ID)
		return len(ds) == 4 && !slices.ContainsFunc(ds, func(d *sipsim.Delivery) bool { return d.Attempts == 0 })
	})
	stop()

	// The server restarts an hour later, with the receiver back.
	must(t, e.db.Close())
	e.open()
	up.Store(true)
	later := &clock{offset: time.Hour + time.Minute}
	e.run(events.DispatcherConfig{Now: later.Now, PollInterval: 10 * time.Millisecond})
	waitFor(t, "every delivery succeeds", e.all(w.ID, sipsim.DeliverySucceeded, 4))

	reqs := r.requests()
	if len(reqs) != 8 {
		t.Fatalf("receiver got %d requests, want 4 refused then 4 accepted", len(reqs))
	}
	for i, d := range e.deliveries(w.ID) {
		if d.EventID != ids[i] || d.Attempts != 2 || d.AttemptLog[0].StatusCode != 503 || d.AttemptLog[1].StatusCode != 200 {
			t.Errorf("delivery of event %d: %d attempts %+v; want a 503 then a 200", d.EventID, d.Attempts, d.AttemptLog)
		}
		checkRequest(t, e, w, reqs[4+i], ids[i], d.ID, later.Now())
	}
}

// TestLeaseOfADeadWorkerEnds: deliveries claimed by a worker that died
// before sending are sent once their lease is over.
func TestLeaseOfADeadWorkerEnds(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, ok)
	w := e.webhook(r.URL, sipsim.EventCallCreated)
	created := e.placeCall()[0]
	claimed, err := e.db.ClaimDueDeliveries(t.Context(), e.clock.Now(), events.DefaultLease, 10, nil)
	must(t, err)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d deliveries, want 1", len(claimed))
	}

	later := &clock{offset: events.DefaultLease + time.Second}
	e.run(events.DispatcherConfig{Now: later.Now, PollInterval: 10 * time.Millisecond})
	waitFor(t, "the delivery succeeds", e.all(w.ID, sipsim.DeliverySucceeded, 1))
	if reqs := r.requests(); len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	} else {
		checkRequest(t, e, w, reqs[0], created, claimed[0].ID, later.Now())
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	e := newEnv(t)
	elsewhere := newReceiver(t, ok)
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusFound))
	t.Cleanup(redirect.Close)
	w := e.webhook(redirect.URL, sipsim.EventCallCreated)

	e.run(events.DispatcherConfig{RetryBase: time.Hour, PollInterval: 10 * time.Millisecond})
	e.placeCall()
	waitFor(t, "the delivery is tried", func() bool {
		ds := e.deliveries(w.ID)
		return len(ds) == 1 && ds[0].Attempts == 1
	})

	d := e.deliveries(w.ID)[0]
	a := d.AttemptLog[0]
	if d.Status != sipsim.DeliveryPending || a.StatusCode != http.StatusFound || !strings.Contains(a.Error, "redirect not followed") {
		t.Errorf("delivery %s, attempt %+v; want pending after a 302 not followed", d.Status, a)
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("the redirect target got %d requests, want none", n)
	}
}

func TestSilentReceiverTimesOut(t *testing.T) {
	e := newEnv(t)
	hangUp := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a closed connection only once the body is read
		select {                    // never answers; the client gives up
		case <-r.Context().Done():
		case <-hangUp:
		}
	}))
	t.Cleanup(silent.Close)
	// Runs before silent.Close (cleanups run last-in first-out): Close
	// waits for handlers, and must not depend on the client's timing.
	t.Cleanup(func() { close(hangUp) })
	w := e.webhook(silent.URL, sipsim.EventCallCreated)

	e.run(events.DispatcherConfig{Client: &http.Client{Timeout: 100 * time.Millisecond}, RetryBase: time.Hour, PollInterval: 10 * time.Millisecond})
	e.placeCall()
	waitFor(t, "the delivery is tried", func() bool {
		ds := e.deliveries(w.ID)
		return len(ds) == 1 && ds[0].Attempts == 1
	})
	d := e.deliveries(w.ID)[0]
	if a := d.AttemptLog[0]; d.Status != sipsim.DeliveryPending || a.StatusCode != 0 || a.Error != "timed out after 100ms" {
		t.Errorf("delivery %s, attempt %+v; want pending after a timeout", d.Status, a)
	}
}

// TestStopFinishesThePostInFlight: stopping the dispatcher does not cut a
// POST short; its outcome is recorded before Run returns.
func TestStopFinishesThePostInFlight(t *testing.T) {
	e := newEnv(t)
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(releaseOnce) // before Close, which waits for the handler, even if the test fails early
	w := e.webhook(slow.URL, sipsim.EventCallCreated)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- events.NewDispatcher(events.DispatcherConfig{Store: e.db, AllowNetworks: loopback, PollInterval: 10 * time.Millisecond}).Run(ctx)
	}()
	e.placeCall()
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the delivery never arrived")
	}
	cancel()
	releaseOnce()
	if err := <-errc; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	d := e.deliveries(w.ID)[0]
	if d.Status != sipsim.DeliverySucceeded || d.Attempts != 1 || d.AttemptLog[0].StatusCode != 200 {
		t.Fatalf("delivery %s after %d attempts %+v; want the 200 in flight recorded", d.Status, d.Attempts, d.AttemptLog)
	}
}

// Events that queued no delivery (an account without webhooks) do not
// wake the dispatcher: each wake-up is a claim, a write transaction.
func TestOnlyEventsWithDeliveriesWakeTheDispatcher(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, ok)
	store := &claimCounter{WebhookStore: e.db}
	e.run(events.DispatcherConfig{Store: store, PollInterval: time.Hour})
	waitFor(t, "the claim at start", func() bool { return store.claims.Load() == 1 })

	e.placeCall() // four events, no webhook yet
	w := e.webhook(r.URL)
	e.placeCall() // four events, a delivery each
	waitFor(t, "the second call's events are delivered", e.all(w.ID, sipsim.DeliverySucceeded, 4))
	// Each wake-up is one claim, and the bus hands the dispatcher its
	// events in order: the second call's four at most, after the one at
	// start. Had the first call's events woken it, it would have claimed
	// four times more before them.
	if n := store.claims.Load(); n > 1+4 {
		t.Errorf("%d claims, want at most 5: events without deliveries woke the dispatcher", n)
	}
}
