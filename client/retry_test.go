package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// busyServer answers POST /api/v2/calls busy `busy` times, then 201, and
// records the body and Idempotency-Key of each request.
type busyServer struct {
	mu     sync.Mutex
	busy   int
	keys   []string
	bodies []map[string]any
}

func (s *busyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	s.mu.Lock()
	s.keys = append(s.keys, r.Header.Get("Idempotency-Key"))
	s.bodies = append(s.bodies, body)
	n := len(s.keys)
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/api/v2/calls" || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get("Authorization") != "Bearer sipsim_test_token" {
		writeErrors(w, r, http.StatusBadRequest, "", "unexpected request "+r.Method+" "+r.URL.Path)
		return
	}
	if n <= s.busy {
		writeErrors(w, r, http.StatusConflict, "call_other", "Phone is currently on another call")
		return
	}
	writeData(w, http.StatusCreated, map[string]any{"id": "call_new", "phone_id": 123, "target_number": "+33698765432", "status": "initiating"})
}

var documentBackoff = Backoff{Initial: 30 * time.Second, Max: 90 * time.Second, Attempts: 3}

func TestRetryOnBusyWaitsLikeTheDocumentThenSucceeds(t *testing.T) {
	srv := &busyServer{busy: 2}
	c, sl := newTestClient(t, srv)
	call, err := c.CreateCall(context.Background(), CreateCallParams{PhoneID: 123, TargetNumber: "+33698765432", IdempotencyKey: "click-1"},
		RetryOnBusy(documentBackoff))
	if err != nil {
		t.Fatal(err)
	}
	if call.ID != "call_new" || call.Status != "initiating" {
		t.Fatalf("call = %+v", call)
	}
	if got, want := sl.got(), []time.Duration{30 * time.Second, 60 * time.Second}; !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	// A busy answer is stored under its key: each retry has its own.
	if want := []string{"click-1", "click-1#retry-1", "click-1#retry-2"}; !slices.Equal(srv.keys, want) {
		t.Fatalf("Idempotency-Keys %q, want %q", srv.keys, want)
	}
	for _, b := range srv.bodies {
		if b["phone_id"] != float64(123) || b["target_number"] != "+33698765432" || len(b) != 2 {
			t.Fatalf("body %v", b)
		}
	}
}

func TestRetryOnBusyGivesUpWithTheBusyError(t *testing.T) {
	srv := &busyServer{busy: 100}
	c, sl := newTestClient(t, srv)
	_, err := c.CreateCall(context.Background(), CreateCallParams{PhoneID: 123, TargetNumber: "+33698765432"}, RetryOnBusy(documentBackoff))
	if !IsBusy(err) {
		t.Fatalf("err = %v, want busy", err)
	}
	if got, want := sl.got(), []time.Duration{30 * time.Second, 60 * time.Second, 90 * time.Second}; !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	if len(srv.keys) != 4 || srv.keys[0] != "" {
		t.Fatalf("%d requests with keys %q, want 4 without a key", len(srv.keys), srv.keys)
	}
}

func TestBusyIsNotRetriedWithoutTheOption(t *testing.T) {
	srv := &busyServer{busy: 1}
	c, sl := newTestClient(t, srv)
	_, err := c.CreateCall(context.Background(), CreateCallParams{PhoneID: 123, TargetNumber: "+33698765432"})
	if !IsBusy(err) || len(srv.keys) != 1 || len(sl.got()) != 0 {
		t.Fatalf("err %v after %d requests and waits %v", err, len(srv.keys), sl.got())
	}
}

func TestDoubleClickIsNeverRetried(t *testing.T) {
	requests := 0
	c, sl := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		writeErrors(w, r, http.StatusConflict, "call_first", "A call from this phone to +33698765432 was placed 2s ago")
	}))
	_, err := c.CreateCall(context.Background(), CreateCallParams{PhoneID: 123, TargetNumber: "+33698765432"}, RetryOnBusy(documentBackoff))
	e, _ := asError(err)
	if !IsDuplicateCall(err) || e.CallID != "call_first" || requests != 1 || len(sl.got()) != 0 {
		t.Fatalf("err %v, %d requests, waits %v", err, requests, sl.got())
	}
}

func TestRetryWaitEndsWithTheContext(t *testing.T) {
	srv := &busyServer{busy: 100}
	c, _ := newTestClient(t, srv)
	c.sleep = sleepContext // a real wait of 30 s, cut short by the context
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			srv.mu.Lock()
			n := len(srv.keys)
			srv.mu.Unlock()
			if n > 0 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	_, err := c.CreateCall(ctx, CreateCallParams{PhoneID: 123, TargetNumber: "+33698765432"}, RetryOnBusy(documentBackoff))
	if !errors.Is(err, context.Canceled) || len(srv.keys) != 1 {
		t.Fatalf("err %v after %d requests, want context.Canceled after 1", err, len(srv.keys))
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 10 * time.Second}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, b.delay(n))
	}
	want := []time.Duration{1, 2, 4, 8, 10, 10}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
	if d := (Backoff{Initial: time.Hour}).delay(40); d <= 0 {
		t.Fatalf("uncapped delay overflowed: %v", d)
	}
}

func TestRetryKeyStaysWithinTheLimit(t *testing.T) {
	long := strings.Repeat("k", 255)
	k1, k2 := retryKey(long, 1), retryKey(long, 2)
	if len(k1) > 255 || len(k2) > 255 || k1 == k2 || retryKey(long, 0) != long {
		t.Fatalf("keys %q %q", k1, k2)
	}
}
