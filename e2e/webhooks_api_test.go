package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
)

// Managing webhooks: the secret is shown once, bad endpoints and unknown
// event types are refused, the new webhooks.* scopes guard the routes.
func TestWebhookManagement(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	a := r.api

	all, secret1 := a.createWebhook("http://127.0.0.1:9/all")
	if all.EventTypes == nil || len(all.EventTypes) != 0 || all.URL != "http://127.0.0.1:9/all" || all.CreatedAt == "" {
		t.Errorf("webhook for every event = %+v, want event_types [] and the URL", all)
	}
	some, secret2 := a.createWebhook("https://hooks.example.com/sipsim", "call.ended", "call.answered")
	if !slices.Equal(some.EventTypes, []string{"call.ended", "call.answered"}) {
		t.Errorf("event_types = %v, want [call.ended call.answered]", some.EventTypes)
	}
	if secret1 == secret2 {
		t.Errorf("two webhooks got the same secret")
	}

	var list []webhookView
	a.must(http.StatusOK, http.MethodGet, "/api/v2/webhooks", nil, &list)
	if len(list) != 2 || list[0].ID != all.ID || list[1].ID != some.ID {
		t.Fatalf("GET /api/v2/webhooks = %+v, want the two webhooks", list)
	}
	for _, w := range list {
		if w.Secret != nil {
			t.Errorf("GET /api/v2/webhooks shows webhook %d's secret", w.ID)
		}
	}
	var one webhookView
	a.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v2/webhooks/%d", some.ID), nil, &one)
	if one.Secret != nil || one.URL != some.URL || !slices.Equal(one.EventTypes, some.EventTypes) {
		t.Errorf("GET /api/v2/webhooks/%d = %+v, want it without secret", some.ID, one)
	}

	for name, in := range map[string]any{
		"no url":             map[string]any{"description": "x"},
		"ftp url":            webhookInput{URL: "ftp://127.0.0.1/hook"},
		"relative url":       webhookInput{URL: "/hook"},
		"not a url":          webhookInput{URL: "hooks here"},
		"unknown event type": webhookInput{URL: "http://127.0.0.1:9/x", EventTypes: []string{"call.exploded"}},
	} {
		code, env := a.do(http.MethodPost, "/api/v2/webhooks", in)
		if code != http.StatusBadRequest {
			t.Errorf("POST /api/v2/webhooks with %s = %d %v, want 400", name, code, env.Errors)
		}
	}

	var deleted struct {
		ID      int64 `json:"id"`
		Deleted bool  `json:"deleted"`
	}
	path := fmt.Sprintf("/api/v2/webhooks/%d", all.ID)
	a.must(http.StatusOK, http.MethodDelete, path, nil, &deleted)
	if deleted.ID != all.ID || !deleted.Deleted {
		t.Errorf("DELETE %s = %+v, want {id, deleted: true}", path, deleted)
	}
	code, env := a.do(http.MethodGet, path, nil)
	assertErrorEnvelope(t, code, env, http.StatusNotFound, path, "")
	code, env = a.do(http.MethodGet, path+"/deliveries", nil)
	assertErrorEnvelope(t, code, env, http.StatusNotFound, path+"/deliveries", "")

	// A token for calls only cannot see or change webhooks.
	callsOnly := newAPIClient(t, r.srv, r.srv.createToken("calls.read,calls.create"))
	code, env = callsOnly.do(http.MethodGet, "/api/v2/webhooks", nil)
	assertErrorEnvelope(t, code, env, http.StatusForbidden, "/api/v2/webhooks", "")
	code, env = callsOnly.do(http.MethodPost, "/api/v2/webhooks", webhookInput{URL: "http://127.0.0.1:9/x"})
	assertErrorEnvelope(t, code, env, http.StatusForbidden, "/api/v2/webhooks", "")
}

// A stream for a call that does not exist is a 404 envelope, before any
// stream starts.
func TestEventStreamOfUnknownCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	path := "/api/v2/calls/call_doesnotexist/events"
	resp, err := r.api.requestSSE(context.Background(), path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("GET %s = %d %s: not a JSON envelope", path, resp.StatusCode, raw)
	}
	assertErrorEnvelope(t, resp.StatusCode, env, http.StatusNotFound, path, "Call not found")
}
