package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func TestUnknownRouteIs404Envelope(t *testing.T) {
	a := newTestAPI(t)
	for _, path := range []string{"/", "/nope", "/api/v2/nope", "/api/v2/phones/1/extra", "/api/v2/calls/"} {
		rec := a.do(t, http.MethodGet, path, tokAll, "")
		checkErrorMessage(t, rec, http.StatusNotFound, path, "Not found")
	}
}

func TestWrongMethodIs405EnvelopeWithAllow(t *testing.T) {
	a := newTestAPI(t)
	tests := []struct{ method, path, allow string }{
		{http.MethodPut, "/api/v2/phones/1", "DELETE, GET, HEAD, PATCH"},
		{http.MethodDelete, "/api/v2/calls", "GET, HEAD, POST"},
		{http.MethodPost, "/healthz", "GET, HEAD"},
	}
	for _, tt := range tests {
		// No token: routing answers before authentication.
		rec := a.do(t, tt.method, tt.path, "", "")
		errs := checkError(t, rec, http.StatusMethodNotAllowed, tt.path)
		if got := rec.Header().Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tt.method, tt.path, got, tt.allow)
		}
		if !strings.Contains(errs[0], tt.method) || !strings.Contains(errs[0], tt.allow) {
			t.Errorf("%s %s: message %q should name the method and the allowed ones", tt.method, tt.path, errs[0])
		}
	}
}

func TestUncleanPathRedirectsInEnvelope(t *testing.T) {
	a := newTestAPI(t)
	rec := a.do(t, http.MethodGet, "/api/v2//phones", tokAll, "")
	checkError(t, rec, http.StatusTemporaryRedirect, "/api/v2//phones")
	if got := rec.Header().Get("Location"); got != "/api/v2/phones" {
		t.Errorf("Location = %q", got)
	}
}

func TestPanicIs500EnvelopeAndLogged(t *testing.T) {
	a := newTestAPI(t)
	a.phones.panics = true
	rec := a.do(t, http.MethodGet, "/api/v2/phones", tokAll, "")
	checkErrorMessage(t, rec, http.StatusInternalServerError, "/api/v2/phones", "Internal error")
	if strings.Contains(rec.Body.String(), "exploded") {
		t.Errorf("panic value leaked: %s", rec.Body)
	}
	logs := a.logs.String()
	if !strings.Contains(logs, "fake phone store exploded") || !strings.Contains(logs, rec.Header().Get("X-Request-Id")) {
		t.Errorf("log should keep the panic with the request id:\n%s", logs)
	}
}

func TestInternalErrorIsNotLeaked(t *testing.T) {
	a := newTestAPI(t)
	a.phones.err = errors.New("sql: password=hunter2 connection refused")
	rec := a.do(t, http.MethodGet, "/api/v2/phones/1", tokAll, "")
	checkErrorMessage(t, rec, http.StatusInternalServerError, "/api/v2/phones/1", "Internal error")
	if strings.Contains(rec.Body.String(), "hunter2") {
		t.Errorf("cause leaked: %s", rec.Body)
	}
	logs := a.logs.String()
	if !strings.Contains(logs, "hunter2") || !strings.Contains(logs, rec.Header().Get("X-Request-Id")) {
		t.Errorf("log should keep the cause with the request id:\n%s", logs)
	}
}

func TestErrorCodesMapToStatuses(t *testing.T) {
	tests := []struct {
		code   string
		status int
	}{
		{sipsim.EINVALID, 400},
		{sipsim.EUNAUTHORIZED, 401},
		{sipsim.EFORBIDDEN, 403},
		{sipsim.ENOTFOUND, 404},
		{sipsim.ECONFLICT, 409},
		{sipsim.EUNPROCESSABLE, 422},
		{sipsim.ERATELIMIT, 429},
		{sipsim.EUNAVAILABLE, 503},
		{sipsim.EINTERNAL, 500},
		{"made_up", 500},
	}
	for _, tt := range tests {
		a := newTestAPI(t)
		a.phones.err = sipsim.Errorf(tt.code, "message for %s", tt.code)
		rec := a.do(t, http.MethodGet, "/api/v2/phones/1", tokAll, "")
		want := "message for " + tt.code
		switch tt.status {
		case 404:
			want = "Phone not found" // 404s about phones say it the API's way
		case 500:
			want = "Internal error"
		}
		checkErrorMessage(t, rec, tt.status, "/api/v2/phones/1", want)
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	a := newTestAPI(t)
	seen := map[string]bool{}
	for range 50 {
		id := a.do(t, http.MethodGet, "/healthz", "", "").Header().Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) || seen[id] {
			t.Fatalf("request id %q is malformed or repeated", id)
		}
		seen[id] = true
	}
}

func TestHealth(t *testing.T) {
	a := newTestAPI(t)
	var data struct{ Status string }
	checkData(t, a.do(t, http.MethodGet, "/healthz", "", ""), http.StatusOK, &data)
	if data.Status != "ok" {
		t.Errorf("data.status = %q", data.Status)
	}

	a.ready = false
	checkError(t, a.do(t, http.MethodGet, "/healthz", "", ""), http.StatusServiceUnavailable, "/healthz")
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	a := newTestAPI(t)
	rec := a.do(t, http.MethodGet, "/api/v2/openapi.json", "", "")
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), openAPIDocument) {
		t.Fatalf("GET /api/v2/openapi.json = %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec.Header().Get("X-Request-Id") == "" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", rec.Header())
	}
}

func TestNewServerPanicsWithoutDependencies(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewServer(Config{}) did not panic")
		}
	}()
	NewServer(Config{})
}

func TestUnencodableDataIs500Envelope(t *testing.T) {
	cfg := Config{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow }}
	const id = "req_aaaaaaaaaaaaaaaaaaaa"
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req = req.WithContext(withRequestID(req.Context(), id))
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Request-Id", id)
	writeData(rec, req, cfg, http.StatusOK, make(chan int))
	checkErrorMessage(t, rec, http.StatusInternalServerError, "/x", "Internal error")
}

// A client that hangs up while its request is served is no internal
// error: nothing is logged as one, and the answer nobody reads says the
// request was not done.
func TestClientGoneIsNotAnInternalError(t *testing.T) {
	a := newTestAPI(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a.phones.err = fmt.Errorf("phone 1: %w", ctx.Err())
	req := newRequest(http.MethodGet, "/api/v2/phones/1", "").WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+tokAll)
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	checkErrorMessage(t, rec, http.StatusServiceUnavailable, "/api/v2/phones/1", "The request was cancelled before it completed")
	if logs := a.logs.String(); strings.Contains(logs, "internal error") || !strings.Contains(logs, "client went away") {
		t.Errorf("logs:\n%s", logs)
	}
}
