package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// sseEvent renders one event as the server writes it.
func sseEvent(id int64, typ, status string) string {
	return fmt.Sprintf("id: %d\nevent: %s\ndata: {\"id\":%d,\"type\":%q,\"created_at\":\"2026-01-15T10:30:00.000Z\",\"data\":{\"call\":{\"id\":\"call_a\",\"status\":%q,\"events\":[]}}}\n\n",
		id, typ, id, typ, status)
}

// streamServer serves one script per connection to a call's stream and
// records the Last-Event-ID of each.
type streamServer struct {
	t       *testing.T
	mu      sync.Mutex
	scripts []func(w http.ResponseWriter, r *http.Request)
	lastIDs []string
}

func (s *streamServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/v2/calls/call_a" {
		writeData(w, 200, map[string]any{"id": "call_a", "status": "ringing_agent", "events": []any{}})
		return
	}
	s.mu.Lock()
	n := len(s.lastIDs)
	s.lastIDs = append(s.lastIDs, r.Header.Get("Last-Event-ID"))
	s.mu.Unlock()
	if r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("Authorization") != "Bearer sipsim_test_token" {
		writeErrors(w, r, 400, "", "not a stream request")
		return
	}
	if n >= len(s.scripts) {
		writeErrors(w, r, 500, "", "no script for connection "+fmt.Sprint(n+1))
		return
	}
	s.scripts[n](w, r)
}

func (s *streamServer) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lastIDs...)
}

// sends writes events as one stream and returns (the server closes it).
func sends(chunks ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		for _, c := range chunks {
			_, _ = w.Write([]byte(c))
			w.(http.Flusher).Flush()
		}
	}
}

func collect(t *testing.T, c *Client, seq func(func(*Event, error) bool)) ([]string, error) {
	t.Helper()
	var types []string
	for ev, err := range seq {
		if err != nil {
			return types, err
		}
		types = append(types, ev.Type)
	}
	return types, nil
}

func TestFollowCallResumesAfterADroppedConnection(t *testing.T) {
	srv := &streamServer{t: t, scripts: []func(http.ResponseWriter, *http.Request){
		sends(": keep-alive\n\n", sseEvent(1, "call.created", "initiating"), sseEvent(2, "call.ringing_agent", "ringing_agent")),
		// The server replays event 2 (at least once across a reconnection).
		sends(sseEvent(2, "call.ringing_agent", "ringing_agent"), sseEvent(3, "call.agent_answered", "dialing_target"),
			sseEvent(4, "call.ended", "busy"), sseEvent(5, "call.after_end", "busy")),
	}}
	c, sl := newTestClient(t, srv)
	types, err := collect(t, c, c.FollowCall(context.Background(), "call_a", 0))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"call.created", "call.ringing_agent", "call.agent_answered", "call.ended"}; !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	if want := []string{"", "2"}; !slices.Equal(srv.ids(), want) {
		t.Fatalf("Last-Event-ID per connection %q, want %q", srv.ids(), want)
	}
	if got := sl.got(); len(got) != 1 {
		t.Fatalf("waits %v, want one before reconnecting", got)
	}
}

func TestFollowCallBacksOffOnServerErrors(t *testing.T) {
	unavailable := func(w http.ResponseWriter, r *http.Request) {
		writeErrors(w, r, http.StatusServiceUnavailable, "", "Server is shutting down")
	}
	limited := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "20")
		writeErrors(w, r, http.StatusTooManyRequests, "", "Too many requests")
	}
	srv := &streamServer{t: t, scripts: []func(http.ResponseWriter, *http.Request){
		unavailable, unavailable, limited,
		sends(sseEvent(7, "call.ended", "completed")),
	}}
	c, sl := newTestClient(t, srv)
	c.reconnect = Backoff{Initial: time.Second, Max: 10 * time.Second}
	types, err := collect(t, c, c.FollowCall(context.Background(), "call_a", 6))
	if err != nil || !slices.Equal(types, []string{"call.ended"}) {
		t.Fatalf("events %v, err %v", types, err)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 20 * time.Second}; !slices.Equal(sl.got(), want) {
		t.Fatalf("waits %v, want %v (Retry-After beats the backoff)", sl.got(), want)
	}
	if want := []string{"6", "6", "6", "6"}; !slices.Equal(srv.ids(), want) {
		t.Fatalf("Last-Event-ID per connection %q, want %q", srv.ids(), want)
	}
}

func TestFollowCallStopsOnRefusals(t *testing.T) {
	srv := &streamServer{t: t, scripts: []func(http.ResponseWriter, *http.Request){
		func(w http.ResponseWriter, r *http.Request) { writeErrors(w, r, 404, "", "Call not found") },
	}}
	c, sl := newTestClient(t, srv)
	n := 0
	for ev, err := range c.FollowCall(context.Background(), "call_nope", 0) {
		n++
		if ev != nil || !IsNotFound(err) {
			t.Fatalf("got %v, %v; want a not found error", ev, err)
		}
	}
	if n != 1 || len(sl.got()) != 0 {
		t.Fatalf("%d items, waits %v; want the error once, no retry", n, sl.got())
	}
}

func TestFollowCallRefusesWhatIsNotAStream(t *testing.T) {
	srv := &streamServer{t: t, scripts: []func(http.ResponseWriter, *http.Request){
		func(w http.ResponseWriter, r *http.Request) { writeData(w, 200, map[string]any{"id": "call_a"}) },
	}}
	c, _ := newTestClient(t, srv)
	if _, err := collect(t, c, c.FollowCall(context.Background(), "call_a", 0)); err == nil || len(srv.ids()) != 1 {
		t.Fatalf("err %v after %d connections, want an error at once", err, len(srv.ids()))
	}
}

// A resume after the call's end would wait forever on a stream with
// nothing to send: the call's timeline says so first.
func TestFollowCallAfterItsEndReturnsAtOnce(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/calls/call_a", func(w http.ResponseWriter, r *http.Request) {
		writeData(w, 200, map[string]any{"id": "call_a", "status": "completed",
			"events": []map[string]any{{"id": 1, "type": "call.created"}, {"id": 9, "type": "call.ended"}}})
	})
	mux.HandleFunc("GET /api/v2/calls/call_a/events", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("stream opened with Last-Event-ID %q", r.Header.Get("Last-Event-ID"))
	})
	c, _ := newTestClient(t, mux)
	types, err := collect(t, c, c.FollowCall(context.Background(), "call_a", 9))
	if err != nil || len(types) != 0 {
		t.Fatalf("events %v, err %v; want none", types, err)
	}
}

func TestFollowEventsEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/events", func(w http.ResponseWriter, r *http.Request) {
		sends(sseEvent(11, "call.created", "initiating"))(w, r)
		<-r.Context().Done() // an account stream stays open
	})
	c, _ := newTestClient(t, mux)
	var types []string
	var last error
	for ev, err := range c.FollowEvents(ctx, 10) {
		if err != nil {
			last = err
			break
		}
		types = append(types, ev.Type)
		cancel()
	}
	if !slices.Equal(types, []string{"call.created"}) || !errors.Is(last, context.Canceled) {
		t.Fatalf("events %v then %v; want call.created then context.Canceled", types, last)
	}
}

// A connection that goes silent (no keep-alive) is dropped and reopened.
func TestFollowReconnectsASilentStream(t *testing.T) {
	silent := func(w http.ResponseWriter, r *http.Request) {
		sends(sseEvent(1, "call.created", "initiating"))(w, r)
		<-r.Context().Done()
	}
	srv := &streamServer{t: t, scripts: []func(http.ResponseWriter, *http.Request){
		silent, sends(sseEvent(2, "call.ended", "canceled")),
	}}
	c, _ := newTestClient(t, srv)
	c.streamIdle = 50 * time.Millisecond
	types, err := collect(t, c, c.FollowCall(context.Background(), "call_a", 0))
	if err != nil || !slices.Equal(types, []string{"call.created", "call.ended"}) {
		t.Fatalf("events %v, err %v", types, err)
	}
	if want := []string{"", "1"}; !slices.Equal(srv.ids(), want) {
		t.Fatalf("Last-Event-ID per connection %q, want %q", srv.ids(), want)
	}
}

func TestFollowCallStopsWhenTheConsumerDoes(t *testing.T) {
	srv := &streamServer{t: t, scripts: []func(http.ResponseWriter, *http.Request){
		sends(sseEvent(1, "call.created", "initiating"), sseEvent(2, "call.ringing_agent", "ringing_agent")),
	}}
	c, _ := newTestClient(t, srv)
	for ev, err := range c.FollowCall(context.Background(), "call_a", 0) {
		if err != nil || ev.Type != "call.created" {
			t.Fatalf("%v %v", ev, err)
		}
		break
	}
	if len(srv.ids()) != 1 {
		t.Fatalf("%d connections after the consumer stopped", len(srv.ids()))
	}
}

// The account stream may say where it stands ("id: N" alone) before any
// event: a reconnection resumes from there, so nothing in between is lost.
// An event cut off mid-way moves nothing.
func TestFollowEventsResumesFromTheServersPosition(t *testing.T) {
	var mu sync.Mutex
	var lastIDs []string
	scripts := []string{
		": keep-alive\n\nid: 50\n\n",
		"id: 51\nevent: call.created\ndata: {\"id\":51,",
		sseEvent(51, "call.created", "initiating"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/events", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := len(lastIDs)
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		mu.Unlock()
		if n < len(scripts) {
			sends(scripts[n])(w, r)
		}
	})
	c, _ := newTestClient(t, mux)
	for ev, err := range c.FollowEvents(ctx, 0) {
		if err != nil || ev.ID != 51 {
			t.Fatalf("got %v, %v; want event 51", ev, err)
		}
		break
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"", "50", "50"}; !slices.Equal(lastIDs, want) {
		t.Fatalf("Last-Event-ID per connection %q, want %q", lastIDs, want)
	}
}
