package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// The request-limit tests walk the route table, so that a route added
// later gets the same checks or fails them until it is listed here.

// multipartRoutes take a multipart/form-data body and formRoutes an
// application/x-www-form-urlencoded one (OAuth, as RFC 6749 says); every
// other route that reads a body takes JSON.
var (
	multipartRoutes = map[string]bool{"POST /api/v2/audio-files": true}
	formRoutes      = map[string]bool{"POST /oauth/token": true, "POST /oauth/revoke": true}
)

// validBodies is a body each JSON route accepts in bodyRouteAPI's fixture.
// The shape tests change one thing in it at a time, so that the 400 they
// expect can only come from that change.
var validBodies = map[string]string{
	"POST /api/v2/phones": `{"name": "Sales", "internal_number": 102, "number": "+33612345679", "sip_password": "s3cret-pass",
		"status": "active", "group": {"group_id": 5, "group_title": "Sales Team"},
		"forwarding_setting": {"conditional": {"enabled": true, "forward_number": "+33555888999", "timeout_seconds": 20}},
		"record_setting": {"record_inbound_call": true}}`,
	"PATCH /api/v2/phones/{id}":      `{"name": "Sales 2", "group": {"group_id": 6, "group_title": "Support"}}`,
	"POST /api/v2/calls":             `{"phone_id": 123, "target_number": "+33698765432", "agent_ring_timeout": 20, "auto_answer": true, "caller_id_name": "Sales"}`,
	"DELETE /api/v2/calls/{id}":      `{}`,
	"POST /api/v2/calls/{id}/hangup": `{}`,
	"POST /api/v2/calls/{id}/tags":   `{"tag_id": 1}`,
	"POST /api/v2/tags":              `{"name": "new", "color": "#00ff00"}`,
	"PATCH /api/v2/tags/{id}":        `{"name": "renamed", "color": "#00ff00"}`,
	"POST /api/v2/webhooks":          `{"url": "https://crm.example.com/hook", "event_types": ["call.ended"], "description": "CRM"}`,
	"POST /api/v2/accounts":          `{"name": "Acme", "sip_domain": "acme.sip.example.com", "country": "DE", "limits": {"daily_minutes": 30}}`,
	"PATCH /api/v2/accounts/{id}":    `{"name": "Tenant GmbH", "limits": {"max_concurrent_calls": 4}}`,
}

// bodyRoute is a route that reads a request body, with a path to send to.
type bodyRoute struct {
	key  string // "METHOD pattern", the key of validBodies
	path string
}

// bodyRoutes lists the routes that read a body: every POST and PATCH, and
// DELETE /api/v2/calls/{id}, which takes the same optional empty object as
// its POST .../hangup twin.
func bodyRoutes() []bodyRoute {
	var out []bodyRoute
	for _, rt := range routes() {
		if rt.Method != http.MethodPost && rt.Method != http.MethodPatch &&
			(rt.Method != http.MethodDelete || rt.Pattern != "/api/v2/calls/{id}") {
			continue
		}
		out = append(out, bodyRoute{key: rt.Method + " " + rt.Pattern, path: fixturePath(rt.Pattern)})
	}
	return out
}

// isJSON reports whether the route's body is JSON.
func (br bodyRoute) isJSON() bool { return !multipartRoutes[br.key] && !formRoutes[br.key] }

func (br bodyRoute) method() string {
	m, _, _ := strings.Cut(br.key, " ")
	return m
}

// fixturePath fills a pattern's wildcards with resources bodyRouteAPI holds.
func fixturePath(pattern string) string {
	id := "1"
	switch {
	case strings.HasPrefix(pattern, "/api/v2/calls/"):
		id = "call_done"
	case strings.HasPrefix(pattern, "/api/v2/phones/"):
		id = "123"
	case strings.HasPrefix(pattern, "/api/v2/accounts/"):
		id = "2"
	}
	return strings.NewReplacer("{id}", id, "{tag_id}", "1").Replace(pattern)
}

// bodyRouteAPI is a test server holding what fixturePath names: phone 123,
// the ended call call_done, tag 1, webhook 1 and audio file 1.
func bodyRouteAPI(t testing.TB) *testAPI {
	t.Helper()
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	c, evs := endedCall()
	a.calls.calls[c.ID] = c
	a.calls.events[c.ID] = evs
	a.addTag(1, "lead")
	a.addWebhook(1, "https://crm.example.com/hook")
	a.addAudioFile(t, 1, "prompt")
	return a
}
