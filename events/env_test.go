package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/events"
	"github.com/sipsim/sipsim/sqlite"
	"github.com/sipsim/sipsim/wire"
)

// clock is the real time moved by a settable offset, so a test can stand
// a day later without waiting for it.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Set(offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = offset
}

// env is a real SQLite store with a phone, as the server has it.
type env struct {
	t     *testing.T
	path  string
	clock *clock // the store's clock
	db    *sqlite.DB
	bus   *events.Bus
	phone *sipsim.Phone
	calls int
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, path: filepath.Join(t.TempDir(), "sipsim.db"), clock: &clock{}, bus: events.NewBus(16)}
	e.open()
	md5, sha := sipsim.DigestHA1("100", "sipsim", "secret")
	e.phone = &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Sales", Status: sipsim.PhoneActive,
		InternalNumber: 100, Number: "+33612345600", Country: "FR", SIPRealm: "sipsim", SIPHA1MD5: md5, SIPHA1SHA256: sha}
	must(t, e.db.CreatePhone(t.Context(), e.phone))
	return e
}

// open (re)opens the database file, as a restarted server does.
func (e *env) open() {
	db, err := sqlite.Open(e.t.Context(), e.path, e.clock.Now)
	must(e.t, err)
	e.db = db
	e.t.Cleanup(func() { db.Close() })
}

func (e *env) webhook(url string, eventTypes ...string) *sipsim.Webhook {
	w := &sipsim.Webhook{AccountID: sipsim.DefaultAccountID, URL: url, EventTypes: eventTypes, Secret: events.NewSecret()}
	must(e.t, e.db.CreateWebhook(e.t.Context(), w))
	return w
}

// placeCall stores a call that rings, is answered and ends, publishing
// each event once stored as the calls service does. It returns the event
// ids in order.
func (e *env) placeCall() []int64 {
	e.calls++
	ctx := e.t.Context()
	c := &sipsim.Call{ID: fmt.Sprintf("call_test%d", e.calls), AccountID: sipsim.DefaultAccountID, PhoneID: e.phone.ID,
		TargetNumber: "+33698765432", CallerID: "+33612345600", Direction: "outbound", Source: "api",
		Status: sipsim.CallInitiating, AgentLeg: sipsim.Leg{Status: sipsim.LegIdle}, TargetLeg: sipsim.Leg{Status: sipsim.LegIdle}}
	event := func(typ string) *sipsim.CallEvent {
		return &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: typ, Status: c.Status, At: e.clock.Now()}
	}
	var ids []int64
	first := event(sipsim.EventCallCreated)
	must(e.t, e.db.CreateCall(ctx, c, first, sipsim.CallLimits{}))
	e.bus.Publish(first)
	ids = append(ids, first.ID)

	for _, step := range []struct {
		status sipsim.CallStatus
		event  string
	}{
		{sipsim.CallRingingAgent, sipsim.EventCallRingingAgent},
		{sipsim.CallInProgress, sipsim.EventCallAnswered},
		{sipsim.CallCompleted, sipsim.EventCallEnded},
	} {
		c.Status = step.status
		if step.status.Final() {
			now := e.clock.Now()
			c.EndedAt, c.EndedReason = &now, sipsim.ReasonTargetHangup
		}
		ev := event(step.event)
		must(e.t, e.db.UpdateCall(ctx, c, ev))
		e.bus.Publish(ev)
		ids = append(ids, ev.ID)
	}
	return ids
}

// body is the JSON a receiver must get for an event: the stored event
// with the call as it stood then.
func (e *env) body(eventID int64) []byte {
	evs, err := e.db.Events(e.t.Context(), sipsim.EventFilter{AccountID: sipsim.DefaultAccountID, AfterID: eventID - 1, Limit: 1})
	must(e.t, err)
	if len(evs) != 1 || evs[0].ID != eventID {
		e.t.Fatalf("event %d not found in the store", eventID)
	}
	b, err := json.Marshal(wire.NewEvent(evs[0]))
	must(e.t, err)
	return b
}

// deliveries returns a webhook's deliveries, oldest event first.
func (e *env) deliveries(webhookID int64) []*sipsim.Delivery {
	ds, err := e.db.WebhookDeliveries(e.t.Context(), sipsim.DefaultAccountID, webhookID, 100)
	must(e.t, err)
	slices.SortFunc(ds, func(a, b *sipsim.Delivery) int { return int(a.EventID - b.EventID) })
	return ds
}

// all reports whether the webhook has n deliveries, each with the status.
func (e *env) all(webhookID int64, status sipsim.DeliveryStatus, n int) func() bool {
	return func() bool {
		ds := e.deliveries(webhookID)
		if len(ds) != n {
			return false
		}
		for _, d := range ds {
			if d.Status != status {
				return false
			}
		}
		return true
	}
}

// loopback are the networks the tests' receivers listen on: httptest
// servers on 127.0.0.1 (and ::1).
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// run starts a dispatcher on the env's store and bus, allowed to deliver
// to loopback unless cfg says otherwise; the returned stop (also run at
// cleanup) cancels it and waits for Run to return.
func (e *env) run(cfg events.DispatcherConfig) (stop func()) {
	if cfg.AllowNetworks == nil {
		cfg.AllowNetworks = loopback
	}
	return e.start(cfg)
}

// start is run with cfg as given: without AllowNetworks, the dispatcher
// refuses the tests' loopback receivers.
func (e *env) start(cfg events.DispatcherConfig) (stop func()) {
	if cfg.Store == nil {
		cfg.Store = e.db
	}
	if cfg.Bus == nil {
		cfg.Bus = e.bus
	}
	cfg.Logger = slog.New(slog.NewTextHandler(e.t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- events.NewDispatcher(cfg).Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					e.t.Errorf("Run = %v, want nil after cancel", err)
				}
			case <-time.After(30 * time.Second):
				e.t.Fatal("Run did not return after its context ended")
			}
		})
	}
	e.t.Cleanup(stop)
	return stop
}

// receiver is a webhook endpoint that records what it gets and answers
// with respond(n) to its n-th request (1-based).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int) (status int, body string)
}

type received struct {
	method string
	path   string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, respond func(n int) (int, string)) *receiver {
	r := &receiver{respond: respond}
	r.Server = httptest.NewServer(r)
	t.Cleanup(r.Close)
	return r
}

func ok(int) (int, string) { return http.StatusOK, "thanks" }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, received{req.Method, req.URL.Path, req.Header.Clone(), body})
	n := len(r.got)
	r.mu.Unlock()
	status, text := r.respond(n)
	w.WriteHeader(status)
	io.WriteString(w, text)
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitFor polls cond until it holds; the bound only keeps a broken test
// from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
