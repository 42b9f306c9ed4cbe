package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseEvent is one event of a text/event-stream, as a browser's EventSource
// would dispatch it.
type sseEvent struct {
	ID    string // the id: field
	Event string // the event: field
	Data  string // data: lines joined with "\n"
}

// sseStream is an open Server-Sent Events response read in the
// background. Events arrive on a channel; ended is closed when the server
// ends the response.
type sseStream struct {
	t      testing.TB
	path   string
	resp   *http.Response
	events chan sseEvent
	ended  chan struct{}
	cancel context.CancelFunc
}

// sseHeadersTimeout bounds the wait for the stream's response headers: a
// browser shows a stream as open only once they arrive, so the server must
// send them at once, not with the first event.
const sseHeadersTimeout = 10 * time.Second

// requestSSE starts GET path as an EventSource does, with Last-Event-ID if
// lastID is not empty. The caller owns the response.
func (a *apiClient) requestSSE(ctx context.Context, path, lastID string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	// No client timeout: the stream lives as long as ctx.
	return (&http.Client{}).Do(req)
}

// openSSE opens a stream and checks its headers; the stream is closed at
// cleanup.
func (a *apiClient) openSSE(path, lastID string) *sseStream {
	a.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		resp *http.Response
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := a.requestSSE(ctx, path, lastID)
		got <- result{resp, err}
	}()
	var res result
	select {
	case res = <-got:
	case <-time.After(sseHeadersTimeout):
		cancel()
		a.t.Fatalf("GET %s: no response headers after %v; an event stream must answer at once", path, sseHeadersTimeout)
	}
	if res.err != nil {
		cancel()
		a.t.Fatalf("GET %s: %v", path, res.err)
	}
	resp := res.resp
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		a.t.Fatalf("GET %s = %d %s, want 200", path, resp.StatusCode, body)
	}
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); !strings.HasPrefix(got, want) {
			a.t.Errorf("GET %s: %s = %q, want %q", path, k, got, want)
		}
	}
	s := &sseStream{t: a.t, path: path, resp: resp, events: make(chan sseEvent, 1024), ended: make(chan struct{}), cancel: cancel}
	go s.read()
	a.t.Cleanup(s.close)
	return s
}

// read parses the stream (fields id, event, data; comment lines ignored)
// until the server or close ends it.
func (s *sseStream) read() {
	defer close(s.ended)
	defer close(s.events)
	sc := bufio.NewScanner(s.resp.Body)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var ev sseEvent
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(data) > 0 || ev.Event != "" {
				ev.Data = strings.Join(data, "\n")
				s.events <- ev
			}
			ev, data = sseEvent{}, nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // keep-alive comment
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Event = value
		case "data":
			data = append(data, value)
		}
	}
}

func (s *sseStream) close() {
	s.cancel()
	s.resp.Body.Close()
	<-s.ended
}

// next returns the next event, or false once the server has ended the
// stream. Waiting past timeout fails the test.
func (s *sseStream) next(timeout time.Duration) (sseEvent, bool) {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		return ev, ok
	case <-time.After(timeout):
		s.t.Fatalf("GET %s: no event for %v", s.path, timeout)
		return sseEvent{}, false
	}
}

// decode parses an event's data and checks that its id: and event: fields
// say the same as the JSON.
func (s *sseStream) decode(ev sseEvent) eventJSON {
	s.t.Helper()
	var e eventJSON
	if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
		s.t.Fatalf("GET %s: event data is not an event: %v: %q", s.path, err, ev.Data)
	}
	if ev.ID != itoa(e.ID) || ev.Event != e.Type {
		s.t.Errorf("GET %s: fields id: %q event: %q, but the data says id %d type %q", s.path, ev.ID, ev.Event, e.ID, e.Type)
	}
	return e
}

// untilCallEnded reads events until call.ended of callID and returns that
// call's events in the order received (other calls' events are skipped).
func (s *sseStream) untilCallEnded(callID string, timeout time.Duration) []eventJSON {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var out []eventJSON
	for {
		ev, ok := s.next(time.Until(deadline))
		if !ok {
			s.t.Fatalf("GET %s: the stream ended before call.ended of %s; got %v", s.path, callID, describeEvents(out))
		}
		e := s.decode(ev)
		if e.Data.Call.ID != callID {
			continue
		}
		out = append(out, e)
		if e.Type == "call.ended" {
			return out
		}
	}
}

// waitEnded expects the server to end the stream with no further event.
func (s *sseStream) waitEnded(timeout time.Duration) {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if ok {
			s.t.Errorf("GET %s: event after the last one: %+v", s.path, ev)
		}
	case <-time.After(timeout):
		s.t.Errorf("GET %s: the stream still open %v after call.ended; the server must close it", s.path, timeout)
	}
}

// describeEvents is "id:type" for each event, for failure messages.
func describeEvents(evs []eventJSON) string {
	var parts []string
	for _, e := range evs {
		parts = append(parts, itoa(e.ID)+":"+e.Type)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
