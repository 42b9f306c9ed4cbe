package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

const testRealm = "sipsim.test"

// Token secrets the test server knows. tokAll has every scope in account 1,
// tokOther every scope in account 2, tokNone no scope at all; scopeToken(s)
// has only s.
const (
	tokAll   = "tok-all"
	tokOther = "tok-other"
	tokNone  = "tok-none"
)

func scopeToken(s sipsim.Scope) string { return "tok-" + string(s) }

var testNow = time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)

type testAPI struct {
	h        http.Handler
	tokens   *fakeTokens
	accounts *fakeAccounts
	phones   *fakePhones
	regs     *fakeRegistrations
	versions *fakeListVersions
	calls    *fakeCalls
	tags     *fakeTags
	webhooks *fakeWebhooks
	idem     *fakeIdempotency
	events   *fakeEvents
	bus      *fakeBus
	audio    *fakeAudioFiles
	ready    bool
	logs     *syncBuffer
}

// testSecret is what the test server's NewWebhookSecret returns.
const testSecret = "whsec_test_secret"

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestAPI(t testing.TB) *testAPI {
	t.Helper()
	return newTestAPIWith(t, nil)
}

// newTestAPIWith builds the test server, letting tune change its Config.
func newTestAPIWith(t testing.TB, tune func(*Config)) *testAPI {
	t.Helper()
	now := func() time.Time { return testNow }
	a := &testAPI{
		tokens:   &fakeTokens{now: now, byHash: map[string]*sipsim.Token{}},
		accounts: newFakeAccounts(now),
		phones:   newFakePhones(now),
		regs:     &fakeRegistrations{byPhone: map[int64][]*sipsim.Registration{}},
		calls:    &fakeCalls{now: now, calls: map[string]*sipsim.Call{}, events: map[string][]*sipsim.CallEvent{}},
		webhooks: &fakeWebhooks{now: now, hooks: map[int64]*sipsim.Webhook{}, deliveries: map[int64][]*sipsim.Delivery{}},
		idem:     &fakeIdempotency{records: map[string]*sipsim.IdempotencyRecord{}},
		events:   &fakeEvents{},
		bus:      newFakeBus(16),
		audio:    newFakeAudioFiles(now),
		ready:    true,
		logs:     &syncBuffer{},
	}
	a.tags = &fakeTags{now: now, calls: a.calls, tags: map[int64]*sipsim.Tag{}}
	a.versions = &fakeListVersions{tokens: a.tokens, fixed: map[sipsim.List]int64{}}
	addToken := func(secret string, account int64, scopes ...sipsim.Scope) {
		a.tokens.byHash[sipsim.HashToken(secret)] = &sipsim.Token{AccountID: account, Scopes: scopes, Hash: sipsim.HashToken(secret)}
	}
	addToken(tokAll, 1, sipsim.AllScopes...)
	addToken(tokOther, 2, sipsim.AllScopes...)
	addToken(tokNone, 1)
	for _, s := range sipsim.AllScopes {
		addToken(scopeToken(s), 1, s)
	}
	cfg := Config{
		Logger:           slog.New(slog.NewTextHandler(a.logs, nil)),
		Now:              now,
		Tokens:           a.tokens,
		Phones:           a.phones,
		Registrations:    a.regs,
		ListVersions:     a.versions,
		Calls:            a.calls,
		Accounts:         a.accounts,
		Ready:            func() bool { return a.ready },
		Tags:             a.tags,
		Webhooks:         a.webhooks,
		Idempotency:      a.idem,
		Events:           a.events,
		Bus:              a.bus,
		AudioFiles:       a.audio,
		NewWebhookSecret: func() string { return testSecret },
	}
	if tune != nil {
		tune(&cfg)
	}
	a.h = NewServer(cfg)
	return a
}

// do sends a request with the bearer token (none when token is "").
func (a *testAPI) do(t testing.TB, method, target, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := newRequest(method, target, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

var requestIDPattern = regexp.MustCompile(`^req_[a-z2-7]{20}$`)

// checkEnvelopeCommon checks what every envelope shares: the status field
// equals the HTTP status, the request id equals the X-Request-Id header,
// the timestamp is the clock's, in UTC with a Z.
func checkEnvelopeCommon(t testing.TB, rec *httptest.ResponseRecorder, m map[string]json.RawMessage, wantStatus int) {
	t.Helper()
	if rec.Code != wantStatus {
		t.Fatalf("HTTP status = %d, want %d; body %s", rec.Code, wantStatus, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var status int
	if err := json.Unmarshal(m["status"], &status); err != nil || status != wantStatus {
		t.Errorf("status field = %s, want %d", m["status"], wantStatus)
	}
	var id string
	if err := json.Unmarshal(m["request_id"], &id); err != nil || id != rec.Header().Get("X-Request-Id") || !requestIDPattern.MatchString(id) {
		t.Errorf("request_id = %s, X-Request-Id = %q", m["request_id"], rec.Header().Get("X-Request-Id"))
	}
	var ts string
	if err := json.Unmarshal(m["timestamp"], &ts); err != nil {
		t.Fatalf("timestamp = %s", m["timestamp"])
	}
	if parsed, err := time.Parse("2006-01-02T15:04:05Z", ts); err != nil || !parsed.Equal(testNow) {
		t.Errorf("timestamp = %q, want %s", ts, testNow.Format(time.RFC3339))
	}
}

func envelopeKeys(t testing.TB, rec *httptest.ResponseRecorder) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, rec.Body)
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkError checks the whole error envelope and returns its messages.
func checkError(t testing.TB, rec *httptest.ResponseRecorder, wantStatus int, wantPath string) []string {
	t.Helper()
	m := envelopeKeys(t, rec)
	if got, want := sortedKeys(m), []string{"errors", "path", "request_id", "status", "timestamp"}; !slices.Equal(got, want) {
		t.Errorf("error envelope keys = %v, want %v", got, want)
	}
	checkEnvelopeCommon(t, rec, m, wantStatus)
	var errs []string
	if err := json.Unmarshal(m["errors"], &errs); err != nil || len(errs) == 0 || slices.Contains(errs, "") {
		t.Errorf("errors = %s, want a non-empty array of messages", m["errors"])
	}
	var path string
	if err := json.Unmarshal(m["path"], &path); err != nil || path != wantPath {
		t.Errorf("path = %s, want %q", m["path"], wantPath)
	}
	return errs
}

// checkErrorMessage checks the envelope and that one message is want.
func checkErrorMessage(t testing.TB, rec *httptest.ResponseRecorder, wantStatus int, wantPath, want string) {
	t.Helper()
	errs := checkError(t, rec, wantStatus, wantPath)
	if !slices.Contains(errs, want) {
		t.Errorf("errors = %q, want one to be %q", errs, want)
	}
}

// checkData checks the success envelope and decodes its data into v.
func checkData(t testing.TB, rec *httptest.ResponseRecorder, wantStatus int, v any) {
	t.Helper()
	m := envelopeKeys(t, rec)
	if got, want := sortedKeys(m), []string{"data", "request_id", "status", "timestamp"}; !slices.Equal(got, want) {
		t.Errorf("envelope keys = %v, want %v; body %s", got, want, rec.Body)
	}
	checkEnvelopeCommon(t, rec, m, wantStatus)
	if v != nil {
		if err := json.Unmarshal(m["data"], v); err != nil {
			t.Fatalf("data: %v: %s", err, m["data"])
		}
	}
}

func newRequest(method, target, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return httptest.NewRequest(method, target, rd)
}

func serve(a *testAPI, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, r)
	return rec
}
