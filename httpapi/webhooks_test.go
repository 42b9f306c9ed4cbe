package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func TestCreateWebhook(t *testing.T) {
	a := newTestAPI(t)
	body := `{"url": "https://crm.example.com/hook?x=1", "event_types": ["call.ended", "call.answered", "call.ended"], "description": "CRM sync"}`
	rec := a.do(t, http.MethodPost, "/api/v2/webhooks", scopeToken(sipsim.ScopeWebhooksWrite), body)
	var data json.RawMessage
	checkData(t, rec, http.StatusCreated, &data)
	jsonEqual(t, data, `{"id": 1, "url": "https://crm.example.com/hook?x=1", "event_types": ["call.ended", "call.answered"],
		"description": "CRM sync", "created_at": "2024-01-15T10:30:00Z", "secret": "`+testSecret+`"}`)
	if got := rec.Header().Get("Location"); got != "/api/v2/webhooks/1" {
		t.Errorf("Location = %q", got)
	}
	stored := a.webhooks.hooks[1]
	if stored.Secret != testSecret || stored.AccountID != 1 {
		t.Errorf("stored webhook = %+v", stored)
	}

	// No event types (omitted, null or []) means all of them.
	for _, b := range []string{`{"url": "http://127.0.0.1:9000/h"}`, `{"url": "http://127.0.0.1:9000/h", "event_types": null}`, `{"url": "http://127.0.0.1:9000/h", "event_types": []}`} {
		var wh struct {
			ID         int64    `json:"id"`
			EventTypes []string `json:"event_types"`
		}
		checkData(t, a.do(t, http.MethodPost, "/api/v2/webhooks", tokAll, b), http.StatusCreated, &wh)
		if wh.EventTypes == nil || len(wh.EventTypes) != 0 || !a.webhooks.hooks[wh.ID].Wants(sipsim.EventCallCreated) {
			t.Errorf("%s: event_types = %v", b, wh.EventTypes)
		}
	}
}

func TestCreateWebhookInvalid(t *testing.T) {
	urlMsg := "url must be an absolute http or https URL of at most 2048 characters"
	typeMsg := func(i string) string {
		return "event_types[" + i + "] must be one of call.created, call.ringing_agent, call.agent_forwarded, call.agent_answered, call.target_ringing, call.answered, call.ended, recording.ready"
	}
	tests := []struct {
		body string
		want []string
	}{
		{`{}`, []string{"url is required"}},
		{`{"url": ""}`, []string{urlMsg}},
		{`{"url": "/relative/path"}`, []string{urlMsg}},
		{`{"url": "ftp://example.com/x"}`, []string{urlMsg}},
		{`{"url": "https://"}`, []string{urlMsg}},
		{`{"url": "https://:443/x"}`, []string{urlMsg}},
		{`{"url": "https://example.com/` + strings.Repeat("a", 2048) + `"}`, []string{urlMsg}},
		{`{"url": 5}`, []string{"url must be a string"}},
		{`{"url": "https://example.com", "event_types": "call.ended"}`, []string{"event_types must be an array of strings"}},
		{`{"url": "https://example.com", "event_types": [1]}`, []string{"event_types must be an array of strings"}},
		{`{"url": "https://example.com", "event_types": ["call.ended", "call.finished"]}`, []string{typeMsg("1")}},
		{`{"url": "https://example.com", "description": "` + strings.Repeat("d", 1025) + `"}`, []string{"description must be at most 1024 characters"}},
		{`{"url": "https://example.com", "secret": "mine"}`, []string{"secret is read-only"}},
		{`{"url": "https://example.com", "events": []}`, []string{`unknown field "events"`}},
	}
	for _, tt := range tests {
		a := newTestAPI(t)
		errs := checkError(t, a.do(t, http.MethodPost, "/api/v2/webhooks", tokAll, tt.body), http.StatusBadRequest, "/api/v2/webhooks")
		if !slices.Equal(errs, tt.want) {
			t.Errorf("%.80s: errors = %q, want %q", tt.body, errs, tt.want)
		}
		if len(a.webhooks.hooks) != 0 {
			t.Errorf("%.80s: a webhook was stored", tt.body)
		}
	}
}

// internalOnly stands in for the dispatcher's address guard (events, which
// this package does not import): it refuses loopback, private and
// link-local addresses outside allow.
func internalOnly(allow ...netip.Prefix) func(netip.Addr) error {
	return func(a netip.Addr) error {
		for _, p := range allow {
			if p.Contains(a) {
				return nil
			}
		}
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() {
			return fmt.Errorf("%s is internal", a)
		}
		return nil
	}
}

func TestCreateWebhookRefusesInternalAddresses(t *testing.T) {
	const msg = "url must not point to a private, loopback or link-local address: "
	tests := []struct {
		url  string
		want string // "" when the webhook is created
	}{
		{"http://10.0.0.5/hook", msg + "10.0.0.5 is internal"},
		{"https://169.254.169.254/latest/meta-data/", msg + "169.254.169.254 is internal"},
		{"http://127.0.0.1:9000/h", msg + "127.0.0.1 is internal"},
		{"http://[::1]:9000/h", msg + "::1 is internal"},
		{"http://[fe80::1%25eth0]/h", msg + "fe80::1%eth0 is internal"},
		{"http://localhost:9000/h", msg + "localhost is a loopback name"},
		{"http://API.Localhost./h", msg + "api.localhost is a loopback name"},
		// Names are not resolved at registration: delivery checks the
		// address it dials.
		{"https://crm.example.com/hook", ""},
		{"http://localhost.example.com/hook", ""},
		{"https://203.0.113.9/hook", ""},
		{"https://[2001:db8::1]/hook", ""},
	}
	for _, tt := range tests {
		a := newTestAPIWith(t, func(cfg *Config) { cfg.CheckWebhookAddress = internalOnly() })
		rec := a.do(t, http.MethodPost, "/api/v2/webhooks", tokAll, `{"url": "`+tt.url+`"}`)
		if tt.want == "" {
			checkData(t, rec, http.StatusCreated, nil)
			continue
		}
		if errs := checkError(t, rec, http.StatusBadRequest, "/api/v2/webhooks"); !slices.Equal(errs, []string{tt.want}) {
			t.Errorf("%s: errors = %q, want %q", tt.url, errs, tt.want)
		}
		if len(a.webhooks.hooks) != 0 {
			t.Errorf("%s: a webhook was stored", tt.url)
		}
	}
}

// Networks the operator allows are accepted at registration, localhost
// names when a loopback address is allowed.
func TestCreateWebhookAcceptsAllowedNetworks(t *testing.T) {
	allow := internalOnly(netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.20.0.0/16"))
	for _, u := range []string{"http://127.0.0.1:9000/h", "http://localhost:9000/h", "http://10.20.30.40/h"} {
		a := newTestAPIWith(t, func(cfg *Config) { cfg.CheckWebhookAddress = allow })
		checkData(t, a.do(t, http.MethodPost, "/api/v2/webhooks", tokAll, `{"url": "`+u+`"}`), http.StatusCreated, nil)
	}
	a := newTestAPIWith(t, func(cfg *Config) { cfg.CheckWebhookAddress = allow })
	checkErrorMessage(t, a.do(t, http.MethodPost, "/api/v2/webhooks", tokAll, `{"url": "http://10.21.0.1/h"}`),
		http.StatusBadRequest, "/api/v2/webhooks", "url must not point to a private, loopback or link-local address: 10.21.0.1 is internal")
}

// The secret is shown at creation only.
func TestGetAndListWebhooksOmitTheSecret(t *testing.T) {
	a := newTestAPI(t)
	a.addWebhook(1, "https://crm.example.com/a")
	a.addWebhook(2, "https://crm.example.com/b")
	a.webhooks.hooks[3] = &sipsim.Webhook{ID: 3, AccountID: 2, URL: "https://theirs.example.com"}

	rec := a.do(t, http.MethodGet, "/api/v2/webhooks", scopeToken(sipsim.ScopeWebhooksRead), "")
	var list []map[string]any
	checkData(t, rec, http.StatusOK, &list)
	if len(list) != 2 || list[0]["url"] != "https://crm.example.com/a" || list[1]["id"] != 2.0 {
		t.Errorf("webhooks = %v", list)
	}
	var one json.RawMessage
	rec2 := a.do(t, http.MethodGet, "/api/v2/webhooks/1", tokAll, "")
	checkData(t, rec2, http.StatusOK, &one)
	jsonEqual(t, one, `{"id": 1, "url": "https://crm.example.com/a", "event_types": [], "description": "CRM", "created_at": "2024-01-15T10:30:00Z"}`)
	for _, body := range []string{rec.Body.String(), rec2.Body.String()} {
		if strings.Contains(body, "secret") || strings.Contains(body, "whsec_stored") {
			t.Errorf("secret shown: %s", body)
		}
	}
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/webhooks/3", tokAll, ""), 404, "/api/v2/webhooks/3", "Webhook not found")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/webhooks/0", tokAll, ""), 400, "/api/v2/webhooks/0", "id must be a positive integer")
}

func TestDeleteWebhook(t *testing.T) {
	a := newTestAPI(t)
	a.addWebhook(1, "https://crm.example.com/a")
	var data json.RawMessage
	checkData(t, a.do(t, http.MethodDelete, "/api/v2/webhooks/1", scopeToken(sipsim.ScopeWebhooksWrite), ""), http.StatusOK, &data)
	jsonEqual(t, data, `{"id": 1, "deleted": true}`)
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/webhooks/1", tokAll, ""), 404, "/api/v2/webhooks/1", "Webhook not found")
}

func TestListDeliveries(t *testing.T) {
	a := newTestAPI(t)
	a.addWebhook(1, "https://crm.example.com/a")
	a.webhooks.deliveries[1] = []*sipsim.Delivery{pendingDelivery(), succeededDelivery()}
	var data json.RawMessage
	checkData(t, a.do(t, http.MethodGet, "/api/v2/webhooks/1/deliveries", scopeToken(sipsim.ScopeWebhooksRead), ""), http.StatusOK, &data)
	jsonEqual(t, data, `[
		{"id": 8, "event_id": 42, "event_type": "call.ended", "status": "pending", "attempts": 2,
		 "next_attempt_at": "2024-01-15T10:30:15.000Z", "created_at": "2024-01-15T10:30:00.000Z", "updated_at": "2024-01-15T10:30:05.000Z",
		 "attempt_log": [
			{"attempt": 1, "at": "2024-01-15T10:30:00.000Z", "status_code": null, "error": "connection refused", "response_body": "", "duration_ms": 3},
			{"attempt": 2, "at": "2024-01-15T10:30:05.000Z", "status_code": 503, "error": null, "response_body": "down", "duration_ms": 120}]},
		{"id": 7, "event_id": 41, "event_type": "call.answered", "status": "succeeded", "attempts": 1,
		 "next_attempt_at": null, "created_at": "2024-01-15T10:30:00.000Z", "updated_at": "2024-01-15T10:30:00.000Z",
		 "attempt_log": [{"attempt": 1, "at": "2024-01-15T10:30:00.000Z", "status_code": 204, "error": null, "response_body": "", "duration_ms": 9}]}
	]`)
	if a.webhooks.lastLimit != 25 {
		t.Errorf("default limit = %d, want 25", a.webhooks.lastLimit)
	}
	var page []map[string]any
	checkData(t, a.do(t, http.MethodGet, "/api/v2/webhooks/1/deliveries?limit=1", tokAll, ""), http.StatusOK, &page)
	if len(page) != 1 || a.webhooks.lastLimit != 1 {
		t.Errorf("limit=1 gave %d deliveries, store asked for %d", len(page), a.webhooks.lastLimit)
	}
	checkData(t, a.do(t, http.MethodGet, "/api/v2/webhooks/1/deliveries?limit=100", tokAll, ""), http.StatusOK, &page)

	const path = "/api/v2/webhooks/1/deliveries"
	limitMsg := "limit must be an integer between 1 and 100"
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "limit=1&limit=2"} {
		checkErrorMessage(t, a.do(t, http.MethodGet, path+"?"+q, tokAll, ""), 400, path, limitMsg)
	}
	checkErrorMessage(t, a.do(t, http.MethodGet, path+"?status=failed", tokAll, ""), 400, path, `unknown query parameter "status"`)
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/webhooks/x/deliveries", tokAll, ""), 400, "/api/v2/webhooks/x/deliveries", "id must be a positive integer")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/webhooks/9/deliveries", tokAll, ""), 404, "/api/v2/webhooks/9/deliveries", "Webhook not found")
	checkErrorMessage(t, a.do(t, http.MethodGet, path, tokOther, ""), 404, path, "Webhook not found")
}

func TestDefaultWebhookSecret(t *testing.T) {
	secret := regexp.MustCompile(`^whsec_[A-Za-z0-9_-]{43}$`)
	a, b := newWebhookSecret(), newWebhookSecret()
	if !secret.MatchString(a) || a == b {
		t.Errorf("secrets %q and %q: want whsec_ and 32 random bytes in base64url", a, b)
	}
	cfg := Config{Tokens: &fakeTokens{}, Accounts: newFakeAccounts(time.Now), Phones: &fakePhones{}, Registrations: &fakeRegistrations{}, ListVersions: &fakeListVersions{}, Calls: &fakeCalls{},
		Tags: &fakeTags{}, Webhooks: &fakeWebhooks{}, Idempotency: &fakeIdempotency{}, Events: &fakeEvents{}, Bus: newFakeBus(1),
		AudioFiles: newFakeAudioFiles(time.Now)}
	cfg = cfg.withDefaults()
	if !secret.MatchString(cfg.NewWebhookSecret()) || cfg.KeepAlive != 15*time.Second {
		t.Errorf("defaults: secret %q, keep-alive %v", cfg.NewWebhookSecret(), cfg.KeepAlive)
	}
}
