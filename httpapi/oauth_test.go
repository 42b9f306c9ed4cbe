package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// oauthAPI is a test API with a movable clock and one OAuth client of the
// tenant account 2, allowed calls.create and phones.read.
type oauthAPI struct {
	*testAPI
	mu  sync.Mutex
	now time.Time
}

const (
	testClientID     = "cli_test"
	testClientSecret = "client-secret-1"
)

func newOAuthAPI(t *testing.T) *oauthAPI {
	o := &oauthAPI{now: testNow}
	clock := func() time.Time {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.now
	}
	o.testAPI = newTestAPIWith(t, func(cfg *Config) { cfg.Now = clock })
	o.tokens.now = clock
	o.tokens.CreateClient(t.Context(), &sipsim.OAuthClient{AccountID: 2, Name: "crm", ClientID: testClientID,
		SecretHash: sipsim.HashToken(testClientSecret), Scopes: []sipsim.Scope{sipsim.ScopeCallsCreate, sipsim.ScopePhonesRead}})
	return o
}

func (o *oauthAPI) advance(d time.Duration) {
	o.mu.Lock()
	o.now = o.now.Add(d)
	o.mu.Unlock()
}

// form posts a form to path, with HTTP Basic credentials when user != "".
func (o *oauthAPI) form(path string, v url.Values, user, pass string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return serve(o.testAPI, req)
}

func decodeOAuth(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer is not JSON: %s", rec.Body)
	}
	return m
}

func TestOAuthClientCredentials(t *testing.T) {
	o := newOAuthAPI(t)
	rec := o.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, testClientID, testClientSecret)
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("token = %d %s, headers %v", rec.Code, rec.Body, rec.Header())
	}
	m := decodeOAuth(t, rec)
	access, _ := m["access_token"].(string)
	if !strings.HasPrefix(access, "sipsim_") || m["token_type"] != "Bearer" || m["expires_in"] != 3600.0 || m["scope"] != "calls.create phones.read" {
		t.Fatalf("token response = %v", m)
	}
	// The access token acts for the client's account with its scopes.
	if rec := o.do(t, http.MethodGet, "/api/v2/phones", access, ""); rec.Code != http.StatusOK {
		t.Errorf("GET /phones with the access token = %d", rec.Code)
	}
	if rec := o.do(t, http.MethodGet, "/api/v2/calls", access, ""); rec.Code != http.StatusForbidden {
		t.Errorf("GET /calls (calls.read, which the client lacks) = %d, want 403", rec.Code)
	}
	tok, _ := o.tokens.TokenByHash(t.Context(), sipsim.HashToken(access))
	if tok == nil || tok.AccountID != 2 || tok.ClientID != testClientID {
		t.Fatalf("stored token = %+v, want account 2 and the client", tok)
	}
	// It expires after an hour, and not before.
	o.advance(time.Hour - time.Second)
	if rec := o.do(t, http.MethodGet, "/api/v2/phones", access, ""); rec.Code != http.StatusOK {
		t.Errorf("a second before expiry: %d", rec.Code)
	}
	o.advance(time.Second)
	if rec := o.do(t, http.MethodGet, "/api/v2/phones", access, ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("at expiry: %d, want 401", rec.Code)
	}

	// Credentials in the form work too, and a narrower scope is granted.
	rec = o.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID},
		"client_secret": {testClientSecret}, "scope": {"phones.read"}}, "", "")
	if m := decodeOAuth(t, rec); rec.Code != http.StatusOK || m["scope"] != "phones.read" {
		t.Errorf("form credentials with scope = %d %v", rec.Code, m)
	}
}

func TestOAuthRevocationIsImmediate(t *testing.T) {
	o := newOAuthAPI(t)
	m := decodeOAuth(t, o.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, testClientID, testClientSecret))
	access := m["access_token"].(string)
	if rec := o.do(t, http.MethodGet, "/api/v2/phones", access, ""); rec.Code != http.StatusOK {
		t.Fatalf("before revocation: %d", rec.Code)
	}
	if rec := o.form("/oauth/revoke", url.Values{"token": {access}}, testClientID, testClientSecret); rec.Code != http.StatusOK {
		t.Fatalf("revoke = %d %s", rec.Code, rec.Body)
	}
	checkError(t, o.do(t, http.MethodGet, "/api/v2/phones", access, ""), http.StatusUnauthorized, "/api/v2/phones")
	// Another client cannot revoke someone else's token, and learns nothing.
	o.tokens.CreateClient(t.Context(), &sipsim.OAuthClient{AccountID: 1, Name: "other", ClientID: "cli_other",
		SecretHash: sipsim.HashToken("other-secret"), Scopes: []sipsim.Scope{sipsim.ScopePhonesRead}})
	if rec := o.form("/oauth/revoke", url.Values{"token": {tokAll}}, "cli_other", "other-secret"); rec.Code != http.StatusOK {
		t.Errorf("revoke of a token the client does not hold = %d, want 200", rec.Code)
	}
	if rec := o.do(t, http.MethodGet, "/api/v2/phones", tokAll, ""); rec.Code != http.StatusOK {
		t.Errorf("a client revoked a token it did not hold: %d", rec.Code)
	}
}

func TestOAuthErrors(t *testing.T) {
	o := newOAuthAPI(t)
	grant := url.Values{"grant_type": {"client_credentials"}}
	for _, tc := range []struct {
		name       string
		path       string
		form       url.Values
		user, pass string
		status     int
		code       string
	}{
		{"wrong secret", "/oauth/token", grant, testClientID, "nope", 401, "invalid_client"},
		{"unknown client", "/oauth/token", grant, "cli_nobody", testClientSecret, 401, "invalid_client"},
		{"no credentials", "/oauth/token", grant, "", "", 401, "invalid_client"},
		{"other grant", "/oauth/token", url.Values{"grant_type": {"password"}}, testClientID, testClientSecret, 400, "unsupported_grant_type"},
		{"scope beyond the client's", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"calls.create webhooks.write"}},
			testClientID, testClientSecret, 400, "invalid_scope"},
		{"credentials twice", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_secret": {testClientSecret}},
			testClientID, testClientSecret, 400, "invalid_request"},
		{"parameter twice", "/oauth/token", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, testClientID, testClientSecret, 400, "invalid_request"},
		{"revoke without token", "/oauth/revoke", url.Values{}, testClientID, testClientSecret, 400, "invalid_request"},
		{"revoke, wrong secret", "/oauth/revoke", url.Values{"token": {"x"}}, testClientID, "nope", 401, "invalid_client"},
	} {
		rec := o.form(tc.path, tc.form, tc.user, tc.pass)
		m := decodeOAuth(t, rec)
		errs, _ := m["errors"].([]any)
		if rec.Code != tc.status || m["error"] != tc.code || len(errs) != 1 || m["path"] != tc.path || m["request_id"] == nil {
			t.Errorf("%s: %d %v; want %d %s in the error envelope", tc.name, rec.Code, m, tc.status, tc.code)
		}
		if tc.status == 401 && rec.Header().Get("WWW-Authenticate") != `Basic realm="sipsim"` {
			t.Errorf("%s: WWW-Authenticate = %q", tc.name, rec.Header().Get("WWW-Authenticate"))
		}
	}
	// JSON is not what RFC 6749 speaks.
	rec := o.do(t, http.MethodPost, "/oauth/token", "", `{"grant_type": "client_credentials"}`)
	if m := decodeOAuth(t, rec); rec.Code != 400 || m["error"] != "invalid_request" {
		t.Errorf("JSON body: %d %v", rec.Code, m)
	}
	if n := len(o.tokens.byHash); n != 2+len(sipsim.AllScopes)+1 {
		t.Errorf("%d tokens stored after failed requests, want only the fixtures", n)
	}
}

// A client asking for a new access token keeps its call budget: calls
// count under the client, not under each access token.
func TestOAuthTokensShareTheirClientsCallBudget(t *testing.T) {
	o := newOAuthAPI(t)
	var keys []int64
	o.calls.create = func(req sipsim.CreateCallRequest) (*sipsim.Call, error) {
		keys = append(keys, req.TokenID)
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "Phone not found")
	}
	for range 2 {
		m := decodeOAuth(t, o.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, testClientID, testClientSecret))
		o.do(t, http.MethodPost, "/api/v2/calls", m["access_token"].(string), `{"phone_id": 1, "target_number": "+33698765432"}`)
	}
	c, _ := o.tokens.ClientByClientID(t.Context(), testClientID)
	if len(keys) != 2 || keys[0] != -c.ID || keys[1] != -c.ID {
		t.Errorf("rate keys = %v, want the client's (-%d) twice", keys, c.ID)
	}
}
