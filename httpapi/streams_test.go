package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// streamServer serves the test API over a real loopback connection, which
// event streams need (flushes, deadlines, a client that leaves).
func streamServer(t *testing.T, a *testAPI) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(a.h)
	t.Cleanup(srv.Close)
	return srv
}

// sseClient reads an event stream.
type sseClient struct {
	resp     *http.Response
	r        *bufio.Reader
	comments []string
}

// openStream connects to a stream; it returns once the headers arrived,
// that is once the server has subscribed and read its starting point. The
// whole exchange is bounded so that a stream that never sends fails the
// test instead of hanging it.
func openStream(t *testing.T, srv *httptest.Server, path string, header ...string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tokAll)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s = %d: %s", path, resp.StatusCode, b)
	}
	return &sseClient{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event; ok is false when the server ended the
// stream. Comments are kept aside.
func (c *sseClient) next(t *testing.T) (ev sseEvent, ok bool) {
	t.Helper()
	for {
		line, err := c.r.ReadString('\n')
		if errors.Is(err, io.EOF) && line == "" && ev == (sseEvent{}) {
			return ev, false
		}
		if err != nil {
			t.Fatalf("reading the stream: %v (after %q)", err, line)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev != (sseEvent{}) {
				return ev, true
			}
		case strings.HasPrefix(line, ": "):
			c.comments = append(c.comments, strings.TrimPrefix(line, ": "))
		default:
			field, value, _ := strings.Cut(line, ": ")
			switch field {
			case "id":
				ev.id = value
			case "event":
				ev.event = value
			case "data":
				ev.data = value
			default:
				t.Fatalf("unexpected line %q", line)
			}
		}
	}
}

// expect reads events and checks they are want, in order, each exactly as
// a webhook would carry it.
func (c *sseClient) expect(t *testing.T, want ...*sipsim.CallEvent) {
	t.Helper()
	for _, w := range want {
		got, ok := c.next(t)
		if !ok {
			t.Fatalf("stream ended, want event %d", w.ID)
		}
		body, _ := json.Marshal(wire.NewEvent(w))
		if got.id != strconv.FormatInt(w.ID, 10) || got.event != w.Type || got.data != string(body) {
			t.Fatalf("got event %+v\nwant id %d, %s, %s", got, w.ID, w.Type, body)
		}
	}
}

// expectEnd checks the server ended the stream with nothing more.
func (c *sseClient) expectEnd(t *testing.T) {
	t.Helper()
	if ev, ok := c.next(t); ok {
		t.Fatalf("got event %+v, want the end of the stream", ev)
	}
}

// event makes a stored event of account 1 with the call's snapshot.
func event(id int64, callID, typ string, status sipsim.CallStatus) *sipsim.CallEvent {
	at := testNow.Add(time.Duration(id) * time.Second)
	c := ringingCall(callID, testNow)
	c.Status, c.UpdatedAt = status, at
	return &sipsim.CallEvent{ID: id, AccountID: 1, CallID: callID, Type: typ, Status: status, At: at, Call: c}
}

// emit stores events, then publishes them, as the call service does.
func (a *testAPI) emit(evs ...*sipsim.CallEvent) {
	a.events.store(evs...)
	for _, ev := range evs {
		a.bus.Publish(ev)
	}
}

func TestCallStreamBacklogThenLiveThenEnd(t *testing.T) {
	a := newTestAPI(t)
	a.calls.calls["call_a"] = ringingCall("call_a", testNow)
	created := event(1, "call_a", sipsim.EventCallCreated, sipsim.CallInitiating)
	ringing := event(2, "call_a", sipsim.EventCallRingingAgent, sipsim.CallRingingAgent)
	other := event(3, "call_b", sipsim.EventCallCreated, sipsim.CallInitiating)
	a.emit(created, ringing, other)
	srv := streamServer(t, a)

	s := openStream(t, srv, "/api/v2/calls/call_a/events")
	h := s.resp.Header
	if h.Get("Content-Type") != "text/event-stream" || h.Get("Cache-Control") != "no-cache" || h.Get("X-Accel-Buffering") != "no" || h.Get("X-Request-Id") == "" {
		t.Errorf("headers = %v", h)
	}
	s.expect(t, created, ringing)

	answered := event(4, "call_a", sipsim.EventCallAgentAnswered, sipsim.CallDialingTarget)
	otherRinging := event(5, "call_b", sipsim.EventCallRingingAgent, sipsim.CallRingingAgent)
	ended := event(6, "call_a", sipsim.EventCallEnded, sipsim.CallCompleted)
	a.emit(answered, otherRinging)
	a.bus.Publish(answered) // a second wake-up for the same event sends nothing twice
	a.emit(ended)
	s.expect(t, answered, ended)
	s.expectEnd(t)

	srv.Close() // waits for the handler to return
	if n := a.bus.subscribers(); n != 0 {
		t.Errorf("%d subscriptions left after the stream ended", n)
	}
}

func TestCallStreamResumesAfterLastEventID(t *testing.T) {
	a := newTestAPI(t)
	c, evs := endedCall()
	a.calls.calls[c.ID] = c
	stored := withSnapshots(c, evs)
	a.events.store(stored...)
	srv := streamServer(t, a)

	s := openStream(t, srv, "/api/v2/calls/call_done/events", "Last-Event-ID", "4")
	s.expect(t, stored[4], stored[5])
	s.expectEnd(t)

	s = openStream(t, srv, "/api/v2/calls/call_done/events?last_event_id=5")
	s.expect(t, stored[5])
	s.expectEnd(t)

	// The header wins over the parameter.
	s = openStream(t, srv, "/api/v2/calls/call_done/events?last_event_id=1", "Last-Event-ID", "5")
	s.expect(t, stored[5])
	s.expectEnd(t)

	// Past call.ended of a call that is over: nothing to send, and the
	// stream ends rather than waiting for an event that cannot come.
	s = openStream(t, srv, "/api/v2/calls/call_done/events", "Last-Event-ID", "6")
	s.expectEnd(t)

	// From the start, the whole timeline.
	s = openStream(t, srv, "/api/v2/calls/call_done/events")
	s.expect(t, stored...)
	s.expectEnd(t)
}

func TestAccountStreamSendsOnlyNewEventsInOrder(t *testing.T) {
	a := newTestAPI(t)
	old := []*sipsim.CallEvent{event(1, "call_a", sipsim.EventCallCreated, sipsim.CallInitiating), event(7, "call_a", sipsim.EventCallEnded, sipsim.CallCompleted)}
	a.emit(old...)
	theirs := event(8, "call_x", sipsim.EventCallCreated, sipsim.CallInitiating)
	theirs.AccountID = 2
	a.emit(theirs)
	srv := streamServer(t, a)

	s := openStream(t, srv, "/api/v2/events")
	// First, where the stream starts: the account's newest event (7, not
	// the other account's 8), as an id without an event, so a client that
	// reconnects before anything happens resumes from there.
	if pos, ok := s.next(t); !ok || pos != (sseEvent{id: "7"}) {
		t.Fatalf("first line = %+v, want the position id: 7", pos)
	}
	e10 := event(10, "call_b", sipsim.EventCallCreated, sipsim.CallInitiating)
	e11 := event(11, "call_c", sipsim.EventCallCreated, sipsim.CallInitiating)
	// Two calls store 10 then 11, but 11 is published first: the stream
	// still sends 10 then 11, each once.
	a.events.store(e10, e11)
	a.bus.Publish(e11)
	a.bus.Publish(e10)
	s.expect(t, e10, e11)

	e12 := event(12, "call_b", sipsim.EventCallRingingAgent, sipsim.CallRingingAgent)
	e13 := event(13, "call_b", sipsim.EventCallEnded, sipsim.CallNoAnswer)
	a.emit(e12, e13) // an account stream goes on after call.ended
	e14 := event(14, "call_c", sipsim.EventCallRingingAgent, sipsim.CallRingingAgent)
	a.emit(e14)
	s.expect(t, e12, e13, e14)

	// Resuming sends everything after the id, of this account only.
	r := openStream(t, srv, "/api/v2/events", "Last-Event-ID", "0")
	r.expect(t, old[0], old[1], e10, e11, e12, e13, e14)
	r = openStream(t, srv, "/api/v2/events?last_event_id=12")
	r.expect(t, e13, e14)
}

// A subscriber the bus drops (too slow) subscribes again and reads what it
// missed from the store.
func TestStreamDroppedByTheBusReadsTheStore(t *testing.T) {
	a := newTestAPI(t)
	a.calls.calls["call_a"] = ringingCall("call_a", testNow)
	first := event(1, "call_a", sipsim.EventCallCreated, sipsim.CallInitiating)
	a.emit(first)
	srv := streamServer(t, a)
	s := openStream(t, srv, "/api/v2/calls/call_a/events")
	s.expect(t, first)

	// Stored while the subscriber was being dropped: no wake-up carries it.
	missed := event(2, "call_a", sipsim.EventCallRingingAgent, sipsim.CallRingingAgent)
	a.events.store(missed)
	a.bus.drop()
	s.expect(t, missed)

	// The stream subscribed again before reading the store.
	ended := event(3, "call_a", sipsim.EventCallEnded, sipsim.CallNoAnswer)
	a.emit(ended)
	s.expect(t, ended)
	s.expectEnd(t)
}

func TestStreamKeepAliveAndStorePolling(t *testing.T) {
	a := newTestAPIWith(t, func(c *Config) { c.KeepAlive = 10 * time.Millisecond })
	srv := streamServer(t, a)
	s := openStream(t, srv, "/api/v2/events", "Last-Event-ID", "0")
	// After the first keep-alive the stream has read the store and found
	// nothing: the event below, stored by another node with no wake-up
	// here, can only reach the client through a periodic read.
	s.expectComment(t, "keep-alive")
	ev := event(1, "call_a", sipsim.EventCallCreated, sipsim.CallInitiating)
	a.events.store(ev)
	s.expect(t, ev)
}

// expectComment reads the stream up to its next line and checks it is the
// comment want.
func (c *sseClient) expectComment(t *testing.T, want string) {
	t.Helper()
	line, err := c.r.ReadString('\n')
	if err != nil || line != ": "+want+"\n" {
		t.Fatalf("next line %q (%v), want the comment %q", line, err, want)
	}
	// The blank line that ends it.
	if line, err := c.r.ReadString('\n'); err != nil || line != "\n" {
		t.Fatalf("after the comment: %q (%v)", line, err)
	}
}

// The server's WriteTimeout would cut a stream after a fixed time; the
// stream moves its write deadline. (ReadTimeout does not apply once the
// request is read: net/http clears it for its background read.)
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	a := newTestAPIWith(t, func(c *Config) { c.KeepAlive = 20 * time.Millisecond })
	srv := httptest.NewUnstartedServer(a.h)
	srv.Config.ReadTimeout = 100 * time.Millisecond
	srv.Config.WriteTimeout = 100 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	a.calls.calls["call_a"] = ringingCall("call_a", testNow)
	s := openStream(t, srv, "/api/v2/calls/call_a/events")
	start := time.Now()
	for time.Since(start) < 500*time.Millisecond {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream broke after %v: %v", time.Since(start), err)
		}
		if line != ": keep-alive\n" && line != "\n" {
			t.Fatalf("unexpected line %q", line)
		}
	}
	ended := event(1, "call_a", sipsim.EventCallEnded, sipsim.CallCanceled)
	a.emit(ended)
	s.expect(t, ended)
	s.expectEnd(t)
}

func TestStreamErrorsBeforeTheStream(t *testing.T) {
	a := newTestAPI(t)
	a.calls.calls["call_a"] = ringingCall("call_a", testNow)
	tests := []struct {
		path, header string
		status       int
		wantPath     string
		want         string
	}{
		{"/api/v2/calls/call_nope/events", "", 404, "/api/v2/calls/call_nope/events", "Call not found"},
		{"/api/v2/calls/call_a/events?since=1", "", 400, "/api/v2/calls/call_a/events", `unknown query parameter "since"`},
		{"/api/v2/calls/call_a/events", "abc", 400, "/api/v2/calls/call_a/events", "Last-Event-ID must be a non-negative integer"},
		{"/api/v2/calls/call_a/events", "-1", 400, "/api/v2/calls/call_a/events", "Last-Event-ID must be a non-negative integer"},
		{"/api/v2/calls/call_a/events?last_event_id=x", "", 400, "/api/v2/calls/call_a/events", "last_event_id must be a non-negative integer"},
		{"/api/v2/events?last_event_id=1&last_event_id=2", "", 400, "/api/v2/events", "last_event_id must be given once"},
		{"/api/v2/events", "99999999999999999999", 400, "/api/v2/events", "Last-Event-ID must be a non-negative integer"},
	}
	for _, tt := range tests {
		r := newRequest(http.MethodGet, tt.path, "")
		r.Header.Set("Authorization", "Bearer "+tokAll)
		if tt.header != "" {
			r.Header.Set("Last-Event-ID", tt.header)
		}
		checkErrorMessage(t, serve(a, r), tt.status, tt.wantPath, tt.want)
	}
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/calls/call_a/events", tokOther, ""), 404, "/api/v2/calls/call_a/events", "Call not found")

	// Without Last-Event-ID the account stream needs the newest id first.
	a.events.err = errors.New("events table locked")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/events", tokAll, ""), 500, "/api/v2/events", "Internal error")
	if n := a.bus.subscribers(); n != 0 {
		t.Errorf("%d subscriptions left by refused streams", n)
	}
}

// A store failure once the stream runs ends it (the client resumes with
// Last-Event-ID) and is logged.
func TestStreamEndsOnStoreFailure(t *testing.T) {
	a := newTestAPI(t)
	a.calls.calls["call_a"] = ringingCall("call_a", testNow)
	a.events.err = errors.New("events table locked")
	rec := a.do(t, http.MethodGet, "/api/v2/calls/call_a/events", tokAll, "")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("stream = %d %q", rec.Code, rec.Body)
	}
	if logs := a.logs.String(); !strings.Contains(logs, "events table locked") || !strings.Contains(logs, rec.Header().Get("X-Request-Id")) {
		t.Errorf("the failure was not logged with the request id:\n%s", logs)
	}
}

func TestEventStreamFormat(t *testing.T) {
	ev := event(42, "call_a", sipsim.EventCallAnswered, sipsim.CallInProgress)
	rec := httptest.NewRecorder()
	s, err := startStream(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.event(wire.NewEvent(ev)); err != nil {
		t.Fatal(err)
	}
	if err := s.comment("keep-alive"); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(wire.NewEvent(ev))
	want := "id: 42\nevent: call.answered\ndata: " + string(data) + "\n\n: keep-alive\n\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("stream = %q\nwant     %q", got, want)
	}
	if !rec.Flushed {
		t.Error("events were not flushed")
	}
}
