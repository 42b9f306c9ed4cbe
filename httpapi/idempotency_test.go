package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

const createBody = `{"phone_id": 123, "target_number": "+33698765432"}`

// postCall sends POST /api/v2/calls with an Idempotency-Key.
func (a *testAPI) postCall(t testing.TB, token, key, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := newRequest(http.MethodPost, "/api/v2/calls", body)
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Idempotency-Key", key)
	return serve(a, r)
}

func TestIdempotencyReplaysTheFirstResponse(t *testing.T) {
	a := newTestAPI(t)
	first := a.postCall(t, tokAll, "key-1", createBody)
	checkData(t, first, http.StatusCreated, nil)
	if first.Header().Get("Idempotent-Replayed") != "" {
		t.Error("the first response says it is replayed")
	}
	second := a.postCall(t, tokAll, "key-1", createBody)
	if second.Code != http.StatusCreated || second.Body.String() != first.Body.String() {
		t.Fatalf("replay = %d %s, want the first response %s", second.Code, second.Body, first.Body)
	}
	if second.Header().Get("Idempotent-Replayed") != "true" || second.Header().Get("Content-Type") != "application/json" {
		t.Errorf("replay headers = %v", second.Header())
	}
	// The body keeps the first request id; the header is this request's.
	if id := second.Header().Get("X-Request-Id"); id == first.Header().Get("X-Request-Id") || !requestIDPattern.MatchString(id) {
		t.Errorf("replay X-Request-Id = %q", id)
	}
	if len(a.calls.requests) != 1 {
		t.Errorf("the service placed %d calls, want 1", len(a.calls.requests))
	}
	rec := a.idem.record(1, "key-1")
	if rec == nil || rec.Status != 201 || !rec.ExpiresAt.Equal(testNow.Add(24*time.Hour)) || rec.RequestHash == "" {
		t.Errorf("stored record = %+v", rec)
	}
}

func TestIdempotencyKeyWithAnotherRequestIs422(t *testing.T) {
	a := newTestAPI(t)
	checkData(t, a.postCall(t, tokAll, "key-1", createBody), http.StatusCreated, nil)
	rec := a.postCall(t, tokAll, "key-1", `{"phone_id": 123, "target_number": "+33698765433"}`)
	checkErrorMessage(t, rec, http.StatusUnprocessableEntity, "/api/v2/calls", "Idempotency-Key was already used with a different request")
	// Whitespace counts: the hash is of the raw body.
	rec = a.postCall(t, tokAll, "key-1", createBody+" ")
	checkErrorMessage(t, rec, http.StatusUnprocessableEntity, "/api/v2/calls", "Idempotency-Key was already used with a different request")
	if len(a.calls.requests) != 1 {
		t.Errorf("the service placed %d calls, want 1", len(a.calls.requests))
	}
}

func TestIdempotencyConcurrentRetryIs409AndNeverASecondCall(t *testing.T) {
	a := newTestAPI(t)
	entered, release := make(chan struct{}), make(chan struct{})
	a.calls.create = func(req sipsim.CreateCallRequest) (*sipsim.Call, error) {
		close(entered)
		<-release
		c := ringingCall("call_slow", testNow)
		a.calls.calls[c.ID] = c
		return c, nil
	}
	var first *httptest.ResponseRecorder
	var wg sync.WaitGroup
	wg.Go(func() { first = a.postCall(t, tokAll, "key-1", createBody) })
	<-entered
	checkErrorMessage(t, a.postCall(t, tokAll, "key-1", createBody), http.StatusConflict, "/api/v2/calls",
		"A request with this Idempotency-Key is still being processed; retry shortly")
	close(release)
	wg.Wait()
	checkData(t, first, http.StatusCreated, nil)
	replay := a.postCall(t, tokAll, "key-1", createBody)
	if replay.Code != http.StatusCreated || replay.Body.String() != first.Body.String() {
		t.Errorf("after the first finished: %d %s", replay.Code, replay.Body)
	}
	if len(a.calls.requests) != 1 {
		t.Errorf("the service placed %d calls, want 1", len(a.calls.requests))
	}
}

// Answers a retry could change are not kept: the retry runs.
func TestIdempotencyReleasesRetryableAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		err    error
	}{
		{"rate limited", 429, sipsim.Errorf(sipsim.ERATELIMIT, "Too many calls")},
		{"unavailable", 503, sipsim.Errorf(sipsim.EUNAVAILABLE, "The server is shutting down")},
		{"internal", 500, errors.New("disk full")},
		{"invalid number", 400, sipsim.Errorf(sipsim.EINVALID, "target_number is invalid")},
	}
	for _, tt := range tests {
		a := newTestAPI(t)
		a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) { return nil, tt.err }
		checkError(t, a.postCall(t, tokAll, "key-1", createBody), tt.status, "/api/v2/calls")
		if a.idem.record(1, "key-1") != nil {
			t.Errorf("%s: the key was kept", tt.name)
		}
		a.calls.create = nil
		checkData(t, a.postCall(t, tokAll, "key-1", createBody), http.StatusCreated, nil)
		if len(a.calls.requests) != 2 {
			t.Errorf("%s: the retry did not run (%d service calls)", tt.name, len(a.calls.requests))
		}
	}

	// A body fixed after a 400 runs with the same key.
	a := newTestAPI(t)
	checkError(t, a.postCall(t, tokAll, "key-1", `{"phone_id": 123}`), 400, "/api/v2/calls")
	checkData(t, a.postCall(t, tokAll, "key-1", createBody), http.StatusCreated, nil)

	// So does a request refused by authorization.
	checkError(t, a.postCall(t, scopeToken(sipsim.ScopeCallsRead), "key-2", createBody), 403, "/api/v2/calls")
	checkData(t, a.postCall(t, tokAll, "key-2", createBody), http.StatusCreated, nil)
}

// Final refusals are kept and replayed, call_id included.
func TestIdempotencyKeepsFinalRefusals(t *testing.T) {
	busy := sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on another call")
	busy.CallID = "call_active"
	for _, err := range []error{busy, sipsim.Errorf(sipsim.ENOTFOUND, "no phone"), sipsim.Errorf(sipsim.EUNPROCESSABLE, "Phone has no registered device")} {
		a := newTestAPI(t)
		a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) { return nil, err }
		first := a.postCall(t, tokAll, "key-1", createBody)
		a.calls.create = nil
		second := a.postCall(t, tokAll, "key-1", createBody)
		if second.Code != first.Code || second.Body.String() != first.Body.String() || second.Header().Get("Idempotent-Replayed") != "true" {
			t.Errorf("%v: replay %d %s, first %d %s", err, second.Code, second.Body, first.Code, first.Body)
		}
		if len(a.calls.requests) != 1 {
			t.Errorf("%v: the service ran %d times", err, len(a.calls.requests))
		}
	}
}

func TestIdempotencyKeysArePerAccount(t *testing.T) {
	a := newTestAPI(t)
	checkData(t, a.postCall(t, tokAll, "key-1", createBody), http.StatusCreated, nil)
	checkData(t, a.postCall(t, tokOther, "key-1", createBody), http.StatusCreated, nil)
	if len(a.calls.requests) != 2 || a.calls.requests[1].AccountID != 2 {
		t.Errorf("service requests = %+v", a.calls.requests)
	}
}

func TestIdempotencyKeyMustBePrintableASCII(t *testing.T) {
	a := newTestAPI(t)
	for _, key := range []string{"", strings.Repeat("k", 256), "clé", "a\tb", "a\x7fb"} {
		rec := a.postCall(t, tokAll, key, createBody)
		checkErrorMessage(t, rec, http.StatusBadRequest, "/api/v2/calls", "Idempotency-Key must be 1 to 255 printable ASCII characters")
	}
	r := newRequest(http.MethodPost, "/api/v2/calls", createBody)
	r.Header.Set("Authorization", "Bearer "+tokAll)
	r.Header.Add("Idempotency-Key", "a")
	r.Header.Add("Idempotency-Key", "b")
	checkErrorMessage(t, serve(a, r), http.StatusBadRequest, "/api/v2/calls", "Idempotency-Key must be 1 to 255 printable ASCII characters")
	if len(a.calls.requests) != 0 || len(a.idem.records) != 0 {
		t.Error("a bad key reached the service or the store")
	}
	for _, key := range []string{"k", strings.Repeat("k", 255), "8e03978e-40d5-43e8-bc93-6894a57f9324", "a b ~!"} {
		checkData(t, a.postCall(t, tokAll, key, createBody), http.StatusCreated, nil)
	}
}

func TestIdempotencyStoreFailures(t *testing.T) {
	a := newTestAPI(t)
	a.idem.err = errors.New("idempotency table locked")
	checkErrorMessage(t, a.postCall(t, tokAll, "key-1", createBody), 500, "/api/v2/calls", "Internal error")
	if len(a.calls.requests) != 0 {
		t.Error("the call was placed although the key could not be recorded")
	}
	a.idem.err = nil
	checkErrorMessage(t, a.postCall(t, tokAll, "key-1", `{"phone_id": 123, "target_number": "`+strings.Repeat("1", maxBodyBytes)+`"}`),
		http.StatusRequestEntityTooLarge, "/api/v2/calls", "request body must not exceed 65536 bytes")
}

// A panic in the handler frees the key and still answers the 500 envelope.
func TestIdempotencyPanicReleasesTheKey(t *testing.T) {
	a := newTestAPI(t)
	a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) { panic("call service exploded") }
	checkErrorMessage(t, a.postCall(t, tokAll, "key-1", createBody), 500, "/api/v2/calls", "Internal error")
	if a.idem.record(1, "key-1") != nil {
		t.Error("the key stayed in flight after a panic")
	}
}

func TestNoIdempotencyKeyMeansNoRecord(t *testing.T) {
	a := newTestAPI(t)
	checkData(t, a.do(t, http.MethodPost, "/api/v2/calls", tokAll, createBody), http.StatusCreated, nil)
	checkData(t, a.do(t, http.MethodPost, "/api/v2/calls", tokAll, createBody), http.StatusCreated, nil)
	if len(a.idem.records) != 0 || len(a.calls.requests) != 2 {
		t.Errorf("records %d, service calls %d", len(a.idem.records), len(a.calls.requests))
	}
}

// The double-click and busy 409s name the call in call_id.
func TestErrorEnvelopeNamesTheCall(t *testing.T) {
	a := newTestAPI(t)
	dup := sipsim.Errorf(sipsim.ECONFLICT, "A call from this phone to +33698765432 was placed 2s ago")
	dup.Details = []string{"Follow that call instead of placing another: GET /api/v2/calls/call_first"}
	dup.CallID = "call_first"
	a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) { return nil, dup }
	rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, createBody)
	m := envelopeKeys(t, rec)
	if got, want := sortedKeys(m), []string{"call_id", "errors", "path", "request_id", "status", "timestamp"}; !slices.Equal(got, want) {
		t.Errorf("keys = %v, want %v", got, want)
	}
	checkEnvelopeCommon(t, rec, m, http.StatusConflict)
	var body struct {
		Errors []string `json:"errors"`
		CallID string   `json:"call_id"`
		Path   string   `json:"path"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	want := []string{"A call from this phone to +33698765432 was placed 2s ago", "Follow that call instead of placing another: GET /api/v2/calls/call_first"}
	if body.CallID != "call_first" || !slices.Equal(body.Errors, want) || body.Path != "/api/v2/calls" {
		t.Errorf("body = %+v", body)
	}
}

// A key left in flight by a process that died is taken over after a
// minute; a younger one still means "being processed".
func TestIdempotencyTakesOverAnAbandonedKey(t *testing.T) {
	for _, tt := range []struct {
		age    time.Duration
		status int
	}{{10 * time.Second, http.StatusConflict}, {2 * time.Minute, http.StatusCreated}} {
		a := newTestAPI(t)
		same := requestHash(newRequest(http.MethodPost, "/api/v2/calls", createBody), []byte(createBody))
		a.idem.records[idemKey(1, "key-1")] = &sipsim.IdempotencyRecord{AccountID: 1, Key: "key-1",
			RequestHash: same, CreatedAt: testNow.Add(-tt.age), ExpiresAt: testNow.Add(time.Hour)}
		rec := a.postCall(t, tokAll, "key-1", createBody)
		if rec.Code != tt.status {
			t.Fatalf("in flight for %v: %d %s, want %d", tt.age, rec.Code, rec.Body, tt.status)
		}
		if want := map[int]int{http.StatusConflict: 0, http.StatusCreated: 1}[tt.status]; len(a.calls.requests) != want {
			t.Errorf("in flight for %v: %d calls placed, want %d", tt.age, len(a.calls.requests), want)
		}
	}
}
