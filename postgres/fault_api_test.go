package postgres

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/httpapi"
)

// The API in front of a real store whose database faults: the user gets a
// 503 in the error envelope, not a 500, what can still be read is served,
// and once the fault is gone the same request succeeds without a restart.
func TestAPIDatabaseFaultsAnswer503(t *testing.T) {
	_, url := newSchema(t)
	const secret = "fault-test-token"
	writable := openTest(t, url, fixedClock())
	if err := writable.CreateToken(t.Context(), &sipsim.Token{
		AccountID: sipsim.DefaultAccountID, Name: "test", Scopes: sipsim.AllScopes, Hash: sipsim.HashToken(secret),
	}); err != nil {
		t.Fatal(err)
	}
	api := func(db *DB) http.Handler {
		return httpapi.NewServer(httpapi.Config{
			Tokens: db, Accounts: db, Phones: db, Registrations: db, ListVersions: db, Tags: db, Webhooks: db,
			Idempotency: db, Events: db, AudioFiles: db, Calls: noCalls{}, Bus: noBus{},
		})
	}
	do := func(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := do(api(writable), http.MethodPost, "/api/v2/tags", `{"name": "kept"}`); rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/v2/tags = %d %s", rec.Code, rec.Body)
	}

	t.Run("read-only", func(t *testing.T) {
		readOnly := api(openTest(t, withParam(t, url, "default_transaction_read_only", "on"), fixedClock()))
		rec := do(readOnly, http.MethodPost, "/api/v2/tags", `{"name": "lost"}`)
		checkUnavailableEnvelope(t, rec, "/api/v2/tags", "read-only")
		rec = do(readOnly, http.MethodGet, "/api/v2/tags", "")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"name":"kept"`) {
			t.Fatalf("GET /api/v2/tags on a read-only database = %d %s; want the tag stored before", rec.Code, rec.Body)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		r := startRelay(t, "127.0.0.1:0", serverAddr(t))
		h := api(openTest(t, withHost(t, url, r.addr()), fixedClock()))
		r.cut()
		checkUnavailableEnvelope(t, do(h, http.MethodGet, "/api/v2/tags", ""), "/api/v2/tags", "cannot be reached")
		r.restore()
		if rec := do(h, http.MethodPost, "/api/v2/tags", `{"name": "after"}`); rec.Code != http.StatusCreated {
			t.Fatalf("POST /api/v2/tags once the database is back = %d %s", rec.Code, rec.Body)
		}
	})
}

// checkUnavailableEnvelope checks a 503 in the documented error envelope.
func checkUnavailableEnvelope(t *testing.T, rec *httptest.ResponseRecorder, path, wantInMessage string) {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("status %d, body is not an envelope: %s", rec.Code, rec.Body)
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if rec.Code != http.StatusServiceUnavailable || !slices.Equal(keys, []string{"errors", "path", "request_id", "status", "timestamp"}) {
		t.Fatalf("status %d, envelope keys %v: %s; want 503 with errors, path, request_id, status, timestamp", rec.Code, keys, rec.Body)
	}
	var e struct {
		Status int      `json:"status"`
		Errors []string `json:"errors"`
		Path   string   `json:"path"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("envelope %s: %v", rec.Body, err)
	}
	if e.Status != http.StatusServiceUnavailable || e.Path != path || len(e.Errors) == 0 || !strings.Contains(e.Errors[0], wantInMessage) {
		t.Errorf("envelope %s: want status 503, path %s, a first error saying %q", rec.Body, path, wantInMessage)
	}
}

// noCalls and noBus stand in for the call service and the event bus, which
// the routes of these tests do not use.
type noCalls struct{ sipsim.CallService }

type noBus struct{}

func (noBus) Publish(*sipsim.CallEvent) {}

func (noBus) Subscribe(int64) (<-chan *sipsim.CallEvent, func()) { return nil, func() {} }
