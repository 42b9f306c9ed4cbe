package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// newTestClient returns a client of an httptest server running h, whose
// waits are recorded instead of slept.
func newTestClient(t *testing.T, h http.Handler) (*Client, *sleeps) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := New(srv.URL, "sipsim_test_token")
	s := &sleeps{}
	c.sleep = s.sleep
	return c, s
}

// sleeps records the waits a client asked for and returns at once.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// writeData answers like the API: the success envelope around data.
func writeData(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": status, "request_id": "req_test", "timestamp": "2026-01-15T10:30:00Z", "data": data,
	})
}

// writeErrors answers like the API: the error envelope.
func writeErrors(w http.ResponseWriter, r *http.Request, status int, callID string, messages ...string) {
	body := map[string]any{
		"status": status, "errors": messages, "request_id": "req_err", "timestamp": "2026-01-15T10:30:00Z", "path": r.URL.Path,
	}
	if callID != "" {
		body["call_id"] = callID
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
