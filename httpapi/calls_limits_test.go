package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// rateLimited is what the call service answers when the token has placed
// its calls for the minute.
func rateLimited(limit int, wait time.Duration) *sipsim.Error {
	e := sipsim.Errorf(sipsim.ERATELIMIT, "Too many calls placed with this API token: the limit is %d per minute", limit)
	e.Details = []string{"Retry in 13 s"}
	e.Limit, e.RetryAfter = limit, wait
	return e
}

// A client refused for its call rate learns, from the standard headers,
// when it may try again; waiting that long (rounded up) is always enough.
func TestCreateCallRateLimitedAnswers429WithHeaders(t *testing.T) {
	a := newTestAPI(t)
	a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) {
		return nil, rateLimited(60, 12300*time.Millisecond)
	}
	rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, createBody)
	errs := checkError(t, rec, http.StatusTooManyRequests, "/api/v2/calls")
	if want := []string{"Too many calls placed with this API token: the limit is 60 per minute", "Retry in 13 s"}; !slices.Equal(errs, want) {
		t.Errorf("errors = %q, want %q", errs, want)
	}
	want := map[string]string{
		"Retry-After":           "13",
		"X-RateLimit-Limit":     "60",
		"X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset":     strconv.FormatInt(testNow.Unix()+13, 10),
	}
	for h, v := range want {
		if got := rec.Header().Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
}

// Too many calls at once frees when a call ends, which nobody can date:
// the answer names the limit but promises no time.
func TestCreateCallConcurrencyLimitHasNoRetryAfter(t *testing.T) {
	a := newTestAPI(t)
	a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) {
		e := sipsim.Errorf(sipsim.ERATELIMIT, "Too many calls at once: this account may have 5 calls in progress")
		e.Limit = 5
		return nil, e
	}
	rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, createBody)
	checkErrorMessage(t, rec, http.StatusTooManyRequests, "/api/v2/calls", "Too many calls at once: this account may have 5 calls in progress")
	if got := rec.Header().Get("X-RateLimit-Limit"); got != "5" {
		t.Errorf("X-RateLimit-Limit = %q, want 5", got)
	}
	if got := rec.Header().Get("X-RateLimit-Remaining"); got != "0" {
		t.Errorf("X-RateLimit-Remaining = %q, want 0", got)
	}
	for _, h := range []string{"Retry-After", "X-RateLimit-Reset"} {
		if got := rec.Header().Values(h); len(got) != 0 {
			t.Errorf("%s = %q, want none", h, got)
		}
	}
}

// A toll-fraud refusal is a 403 in the error envelope, with how to allow
// the call after the documented message, and no rate-limit headers.
func TestCreateCallForbiddenDestinationAnswers403(t *testing.T) {
	a := newTestAPI(t)
	forbidden := sipsim.Errorf(sipsim.EFORBIDDEN, "Calls to DE (+4915123456789) are not allowed for this account")
	forbidden.Details = []string{"This account may call FR only; an administrator can add DE to the account's allowed_countries"}
	a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) { return nil, forbidden }
	rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, `{"phone_id": 123, "target_number": "+4915123456789"}`)
	errs := checkError(t, rec, http.StatusForbidden, "/api/v2/calls")
	if want := append([]string{forbidden.Message}, forbidden.Details...); !slices.Equal(errs, want) {
		t.Errorf("errors = %q, want %q", errs, want)
	}
	for _, h := range []string{"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if got := rec.Header().Values(h); len(got) != 0 {
			t.Errorf("%s = %q on a 403, want none", h, got)
		}
	}
}

// The call service learns which token placed the call: the per-token
// limit counts by it.
func TestCreateCallPassesTheToken(t *testing.T) {
	a := newTestAPI(t)
	const secret = "tok-crm"
	a.tokens.byHash[sipsim.HashToken(secret)] = &sipsim.Token{ID: 42, AccountID: 1, Scopes: []sipsim.Scope{sipsim.ScopeCallsCreate}, Hash: sipsim.HashToken(secret)}
	checkData(t, a.do(t, http.MethodPost, "/api/v2/calls", secret, createBody), http.StatusCreated, nil)
	if len(a.calls.requests) != 1 || a.calls.requests[0].TokenID != 42 || a.calls.requests[0].AccountID != 1 {
		t.Errorf("service got %+v, want token 42 of account 1", a.calls.requests)
	}
}

// A 429 is not kept under its Idempotency-Key: once the wait is over, the
// same request with the same key places the call instead of replaying the
// refusal forever.
func TestRateLimitedCallIsNotReplayedUnderItsIdempotencyKey(t *testing.T) {
	a := newTestAPI(t)
	a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) {
		return nil, rateLimited(60, 5*time.Second)
	}
	post := func() int {
		req := newRequest(http.MethodPost, "/api/v2/calls", createBody)
		req.Header.Set("Authorization", "Bearer "+tokAll)
		req.Header.Set("Idempotency-Key", "crm-click-1")
		return serve(a, req).Code
	}
	if got := post(); got != http.StatusTooManyRequests {
		t.Fatalf("first POST = %d, want 429", got)
	}
	a.calls.create = nil // the minute has passed
	if got := post(); got != http.StatusCreated {
		t.Fatalf("POST after the wait = %d, want 201 (a fresh run, not the kept 429)", got)
	}
	if len(a.calls.requests) != 2 {
		t.Errorf("the service ran %d times, want 2", len(a.calls.requests))
	}
}
