package client

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestErrorsAreDecodedFromTheEnvelope(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErrors(w, r, http.StatusConflict, "call_abc", "Phone is currently on another call")
	}))
	_, err := c.CreateCall(context.Background(), CreateCallParams{PhoneID: 1, TargetNumber: "+33698765432"})
	e, ok := asError(err)
	if !ok {
		t.Fatalf("err = %v, want *Error", err)
	}
	if e.Status != 409 || e.Message() != "Phone is currently on another call" || e.CallID != "call_abc" ||
		e.RequestID != "req_err" || e.Path != "/api/v2/calls" {
		t.Fatalf("decoded %+v", e)
	}
	want := "sipsim: POST /api/v2/calls: 409 Conflict: Phone is currently on another call (request req_err)"
	if e.Error() != want {
		t.Fatalf("Error() = %q, want %q", e.Error(), want)
	}
	if !IsBusy(err) || !IsConflict(err) || IsDuplicateCall(err) || IsNotFound(err) {
		t.Fatalf("helpers disagree on a busy answer")
	}
}

func TestErrorWithoutEnvelopeKeepsStatusAndExcerpt(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_hdr")
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("<html>slow down</html>"))
	}))
	_, err := c.GetCall(context.Background(), "call_x")
	e, ok := asError(err)
	if !ok || e.Status != 429 || e.RequestID != "req_hdr" || e.RetryAfter != 7*time.Second || e.Message() != "<html>slow down</html>" {
		t.Fatalf("err = %#v", err)
	}
	if !IsRateLimited(err) {
		t.Fatal("IsRateLimited = false for a 429")
	}
}

func TestErrorHelpers(t *testing.T) {
	mk := func(status int, msgs ...string) error { return &Error{Status: status, Messages: msgs} }
	tests := []struct {
		name string
		err  error
		is   func(error) bool
		want bool
	}{
		{"busy", mk(409, "Phone is currently on another call"), IsBusy, true},
		{"double click is not busy", mk(409, "A call from this phone to +33698765432 was placed 2s ago"), IsBusy, false},
		{"double click", mk(409, "A call from this phone to +33698765432 was placed 2s ago"), IsDuplicateCall, true},
		{"tag name taken is not busy", mk(409, "A tag named lead already exists"), IsBusy, false},
		{"tag name taken is a conflict", mk(409, "A tag named lead already exists"), IsConflict, true},
		{"key in flight", mk(409, "A request with this Idempotency-Key is still being processed; retry shortly"), IsIdempotencyInFlight, true},
		{"invalid number", mk(400, "target_number is invalid", "Use E.164 format: did you mean +33698765432?"), IsInvalidNumber, true},
		{"missing number is not an invalid one", mk(400, "target_number is required"), IsInvalidNumber, false},
		{"other 400", mk(400, "limit must be between 1 and 100"), IsInvalid, true},
		{"not found", mk(404, "Call not found"), IsNotFound, true},
		{"unauthorized", mk(401, "Unauthorized"), IsUnauthorized, true},
		{"forbidden", mk(403, "Forbidden"), IsForbidden, true},
		{"unprocessable", mk(422, "Phone has no registered device"), IsUnprocessable, true},
		{"rate limited", mk(429), IsRateLimited, true},
		{"plain error", context.Canceled, IsNotFound, false},
		{"nil", nil, IsBusy, false},
	}
	for _, tt := range tests {
		if got := tt.is(tt.err); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Thu, 15 Jan 2026 10:31:00 GMT": time.Minute,
		"Thu, 15 Jan 2026 10:29:00 GMT": 0,
	}
	for in, want := range tests {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
