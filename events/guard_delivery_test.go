package events_test

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/events"
)

// triedAtLeast reports whether the webhook's only delivery has had n
// attempts or more, or is settled (then the test's checks say what went
// wrong without waiting out the bound).
func (e *env) triedAtLeast(webhookID int64, n int) func() bool {
	return func() bool {
		ds := e.deliveries(webhookID)
		return len(ds) == 1 && (ds[0].Attempts >= n || ds[0].Status != sipsim.DeliveryPending)
	}
}

// A dispatcher without an allow-list refuses to connect to a receiver on
// loopback: the receiver sees nothing, each attempt says why, and the
// delivery is retried like any failure.
func TestRefusesLoopbackReceiverWithoutAllowList(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, ok)
	w := e.webhook(r.URL+"/hook", sipsim.EventCallCreated)

	e.start(events.DispatcherConfig{RetryBase: 10 * time.Millisecond, RetryCap: 10 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	e.placeCall()
	waitFor(t, "the delivery is tried twice", e.triedAtLeast(w.ID, 2))

	d := e.deliveries(w.ID)[0]
	if d.Status != sipsim.DeliveryPending {
		t.Errorf("delivery %s, want pending: a refused address is retried like any failure", d.Status)
	}
	for _, a := range d.AttemptLog {
		if want := "refused: 127.0.0.1 is a loopback address (not in webhook-allow-networks)"; a.Error != want || a.StatusCode != 0 {
			t.Errorf("attempt %d: status %d, error %q; want no status and %q", a.Attempt, a.StatusCode, a.Error, want)
		}
	}
	if n := len(r.requests()); n != 0 {
		t.Errorf("the receiver got %d requests, want none", n)
	}
}

// A refused delivery is given up at the end of the retry window, as a
// failing receiver's is.
func TestGivesUpOnARefusedAddress(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, ok)
	w := e.webhook(r.URL, sipsim.EventCallCreated)
	e.placeCall()

	e.start(events.DispatcherConfig{Now: (&clock{offset: events.DefaultGiveUpAfter}).Now, PollInterval: 10 * time.Millisecond})
	waitFor(t, "the delivery is tried", e.triedAtLeast(w.ID, 1))

	d := e.deliveries(w.ID)[0]
	if d.Status != sipsim.DeliveryFailed || d.Attempts != 1 || !strings.HasPrefix(d.AttemptLog[0].Error, "refused: ") {
		t.Errorf("delivery %s after %d attempts %+v; want failed after one refused attempt", d.Status, d.Attempts, d.AttemptLog)
	}
	if n := len(r.requests()); n != 0 {
		t.Errorf("the receiver got %d requests, want none", n)
	}
}

// With loopback in the allow-list the same receiver gets its delivery.
func TestDeliversToAnAllowedNetwork(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, ok)
	w := e.webhook(r.URL+"/hook", sipsim.EventCallCreated)

	e.start(events.DispatcherConfig{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, PollInterval: 10 * time.Millisecond})
	created := e.placeCall()[0]
	waitFor(t, "the delivery succeeds", e.all(w.ID, sipsim.DeliverySucceeded, 1))

	reqs := r.requests()
	d := e.deliveries(w.ID)[0]
	if len(reqs) != 1 || reqs[0].path != "/hook" {
		t.Fatalf("the receiver got %d requests, want the delivery at /hook", len(reqs))
	}
	checkRequest(t, e, w, reqs[0], created, d.ID, time.Now())
}

// A host name is judged by what it resolves to when the delivery is
// sent, not when it was registered: "localhost" is refused at dial time
// without an allow-list, and reaches the receiver with one.
func TestJudgesHostNamesByTheAddressDialled(t *testing.T) {
	// byName is the receiver's URL with its address replaced by a name.
	byName := func(r *receiver) string { return strings.Replace(r.URL, "127.0.0.1", "localhost", 1) + "/by-name" }
	refused := regexp.MustCompile(`^refused: (127\.0\.0\.1|::1) is a loopback address \(not in webhook-allow-networks\)$`)

	t.Run("refused", func(t *testing.T) {
		e := newEnv(t)
		r := newReceiver(t, ok)
		w := e.webhook(byName(r), sipsim.EventCallCreated)
		e.start(events.DispatcherConfig{RetryBase: time.Hour, PollInterval: 10 * time.Millisecond})
		e.placeCall()
		waitFor(t, "the delivery is tried", e.triedAtLeast(w.ID, 1))

		d := e.deliveries(w.ID)[0]
		if a := d.AttemptLog[0]; d.Status != sipsim.DeliveryPending || !refused.MatchString(a.Error) {
			t.Errorf("delivery %s, attempt %+v; want pending, refused as loopback", d.Status, a)
		}
		if n := len(r.requests()); n != 0 {
			t.Errorf("the receiver got %d requests, want none", n)
		}
	})
	t.Run("allowed", func(t *testing.T) {
		e := newEnv(t)
		r := newReceiver(t, ok)
		w := e.webhook(byName(r), sipsim.EventCallCreated)
		e.start(events.DispatcherConfig{AllowNetworks: loopback, PollInterval: 10 * time.Millisecond})
		e.placeCall()
		waitFor(t, "the delivery succeeds", e.all(w.ID, sipsim.DeliverySucceeded, 1))
		if reqs := r.requests(); len(reqs) != 1 || reqs[0].path != "/by-name" {
			t.Errorf("the receiver got %d requests, want the delivery at /by-name", len(reqs))
		}
	})
}
