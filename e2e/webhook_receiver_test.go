package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// webhookReceiver is a customer's webhook endpoint: an HTTP server in the
// test, on a loopback port of its own, that checks every delivery as the
// API document tells receivers to (signature over the exact body, headers)
// and keeps each one. It may start later than it is created, to play an
// endpoint that is down for a while.
type webhookReceiver struct {
	t    testing.TB
	port int
	srv  *httptest.Server

	mu     sync.Mutex
	secret string
	got    []webhookDelivery
	// failFirst answers 503 to the first delivery of each event, so that
	// the server has to send it again.
	failFirst bool
	seen      map[int64]bool
}

// webhookDelivery is one POST the receiver got.
type webhookDelivery struct {
	Header   http.Header
	Body     []byte
	Event    eventJSON
	Answered int // the status the receiver answered
	Problems []string
}

const webhookPath = "/hooks/sipsim"

// newWebhookReceiver reserves a port; nothing listens until start.
func newWebhookReceiver(t testing.TB) *webhookReceiver {
	t.Helper()
	w := &webhookReceiver{t: t, port: freePort(t), seen: map[int64]bool{}}
	t.Cleanup(w.stop)
	return w
}

// URL is the address to register as the webhook.
func (w *webhookReceiver) URL() string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", w.port, webhookPath)
}

// setSecret gives the receiver the secret shown when the webhook was
// created.
func (w *webhookReceiver) setSecret(s string) {
	w.mu.Lock()
	w.secret = s
	w.mu.Unlock()
}

// start begins listening on the reserved port.
func (w *webhookReceiver) start() {
	w.t.Helper()
	l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", w.port))
	if err != nil {
		w.t.Fatalf("webhook receiver: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(w.serve))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	w.mu.Lock()
	w.srv = srv
	w.mu.Unlock()
}

func (w *webhookReceiver) stop() {
	w.mu.Lock()
	srv := w.srv
	w.srv = nil
	w.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (w *webhookReceiver) serve(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	d := webhookDelivery{Header: r.Header.Clone(), Body: body}
	w.mu.Lock()
	defer w.mu.Unlock()
	d.Problems = checkDelivery(r, body, w.secret, &d.Event)
	switch {
	case len(d.Problems) > 0:
		d.Answered = http.StatusBadRequest
	case w.failFirst && !w.seen[d.Event.ID]:
		d.Answered = http.StatusServiceUnavailable
	default:
		d.Answered = http.StatusOK
	}
	if len(d.Problems) == 0 {
		w.seen[d.Event.ID] = true
	}
	w.got = append(w.got, d)
	rw.WriteHeader(d.Answered)
	fmt.Fprintf(rw, "e2e receiver: %d", d.Answered)
}

// checkDelivery checks one POST as a careful receiver would and decodes
// its event; it returns what is wrong.
func checkDelivery(r *http.Request, body []byte, secret string, ev *eventJSON) []string {
	var p []string
	if r.Method != http.MethodPost || r.URL.Path != webhookPath {
		p = append(p, fmt.Sprintf("request %s %s, want POST %s", r.Method, r.URL.Path, webhookPath))
	}
	if err := verifySignature(secret, r.Header.Get("SIPSIM-Signature"), body, time.Now()); err != nil {
		p = append(p, "signature: "+err.Error())
	}
	if err := json.Unmarshal(body, ev); err != nil {
		return append(p, fmt.Sprintf("body is not an event: %v: %s", err, body))
	}
	for k, want := range map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "SIPSIM-Webhooks",
		"SIPSIM-Event-Id":   strconv.FormatInt(ev.ID, 10),
		"SIPSIM-Event-Type": ev.Type,
	} {
		if got := r.Header.Get(k); got != want {
			p = append(p, fmt.Sprintf("header %s = %q, want %q", k, got, want))
		}
	}
	if id, err := strconv.ParseInt(r.Header.Get("SIPSIM-Delivery-Id"), 10, 64); err != nil || id <= 0 {
		p = append(p, fmt.Sprintf("header SIPSIM-Delivery-Id = %q, want a positive id", r.Header.Get("SIPSIM-Delivery-Id")))
	}
	return p
}

// deliveries returns a copy of every POST received so far, in order.
func (w *webhookReceiver) deliveries() []webhookDelivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.got)
}

// accepted returns the events the receiver answered 2xx, in order.
func (w *webhookReceiver) accepted() []eventJSON {
	var out []eventJSON
	for _, d := range w.deliveries() {
		if d.Answered == http.StatusOK {
			out = append(out, d.Event)
		}
	}
	return out
}

// waitAccepted waits until every event id in ids was accepted.
func (w *webhookReceiver) waitAccepted(ids []int64, timeout time.Duration) {
	w.t.Helper()
	waitFor(w.t, timeout, fmt.Sprintf("the webhook receiver to accept events %v", ids), func() (bool, string) {
		got := map[int64]bool{}
		for _, e := range w.accepted() {
			got[e.ID] = true
		}
		for _, id := range ids {
			if !got[id] {
				return false, "accepted: " + describeEvents(w.accepted())
			}
		}
		return true, ""
	})
}

// checkAll reports every delivery that failed the receiver's checks, and
// every redelivery of an event whose body or delivery id differs from the
// first: the server must resend the same signed body.
func (w *webhookReceiver) checkAll() {
	w.t.Helper()
	first := map[int64]webhookDelivery{}
	for i, d := range w.deliveries() {
		for _, p := range d.Problems {
			w.t.Errorf("webhook delivery %d (event %d %s): %s", i+1, d.Event.ID, d.Event.Type, p)
		}
		if len(d.Problems) > 0 {
			continue
		}
		f, again := first[d.Event.ID]
		if !again {
			first[d.Event.ID] = d
			continue
		}
		if !bytes.Equal(f.Body, d.Body) {
			w.t.Errorf("event %d delivered twice with different bodies:\n%s\n%s", d.Event.ID, f.Body, d.Body)
		}
		if a, b := f.Header.Get("SIPSIM-Delivery-Id"), d.Header.Get("SIPSIM-Delivery-Id"); a != b {
			w.t.Errorf("event %d redelivered with SIPSIM-Delivery-Id %s, first was %s", d.Event.ID, b, a)
		}
	}
}
