package httpapi

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// routeRequest is a request that reaches one route.
type routeRequest struct {
	route              route
	method, path, body string
}

var pathWildcard = regexp.MustCompile(`\{[a-z_]+\}`)

// isStreamRoute reports whether a route answers with an event stream, which
// runs until the client leaves.
func isStreamRoute(rt route) bool { return strings.HasSuffix(rt.Pattern, "/events") }

// protectedRequests is one request per protected route, built from the
// route table so that a new route is covered by the auth tests at once.
func protectedRequests() []routeRequest {
	var out []routeRequest
	for _, rt := range routes() {
		if rt.Scope == "" {
			continue
		}
		req := routeRequest{route: rt, method: rt.Method, path: pathWildcard.ReplaceAllString(rt.Pattern, "1")}
		if rt.Method == http.MethodPost || rt.Method == http.MethodPatch {
			req.body = "{}"
		}
		out = append(out, req)
	}
	return out
}

func TestMissingOrInvalidTokenIs401(t *testing.T) {
	a := newTestAPI(t)
	headers := map[string]string{
		"missing":        "",
		"not bearer":     "Basic dXNlcjpwYXNz",
		"empty bearer":   "Bearer ",
		"bearer only":    "Bearer",
		"two tokens":     "Bearer tok-all tok-all",
		"unknown token":  "Bearer sipsim_nope",
		"token as param": "tok-all",
	}
	for _, req := range protectedRequests() {
		for name, h := range headers {
			r := newRequest(req.method, req.path, req.body)
			if h != "" {
				r.Header.Set("Authorization", h)
			}
			rec := serve(a, r)
			checkErrorMessage(t, rec, http.StatusUnauthorized, req.path, "Missing or invalid access token")
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("%s %s (%s): WWW-Authenticate = %q", req.method, req.path, name, got)
			}
		}
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	a := newTestAPI(t)
	r := newRequest(http.MethodGet, "/api/v2/phones", "")
	r.Header.Set("Authorization", "bearer "+tokAll)
	if rec := serve(a, r); rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
}

func TestTokenWithoutScopeIs403NamingIt(t *testing.T) {
	a := newTestAPI(t)
	for _, req := range protectedRequests() {
		want := "This token lacks the " + string(req.route.Scope) + " scope"
		// A token with no scope, and tokens with each other scope.
		for _, tok := range []string{tokNone, scopeToken("phones.read"), scopeToken("calls.create")} {
			if tok == scopeToken(req.route.Scope) {
				continue
			}
			rec := a.do(t, req.method, req.path, tok, req.body)
			checkErrorMessage(t, rec, http.StatusForbidden, req.path, want)
			if got := rec.Header().Get("WWW-Authenticate"); !strings.Contains(got, `error="insufficient_scope"`) {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		}
		// The token with exactly that scope gets past authorization. A
		// stream is asked for by a client that has already left, or it
		// would never end.
		r := newRequest(req.method, req.path, req.body)
		r.Header.Set("Authorization", "Bearer "+scopeToken(req.route.Scope))
		if isStreamRoute(req.route) {
			ctx, cancel := context.WithCancel(r.Context())
			cancel()
			r = r.WithContext(ctx)
		}
		rec := serve(a, r)
		if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
			t.Errorf("%s %s with %s: %d %s", req.method, req.path, req.route.Scope, rec.Code, rec.Body)
		}
	}
}

func TestTokenStoreFailureIs500(t *testing.T) {
	a := newTestAPI(t)
	a.tokens.err = errors.New("token table is gone")
	rec := a.do(t, http.MethodGet, "/api/v2/phones", tokAll, "")
	checkErrorMessage(t, rec, http.StatusInternalServerError, "/api/v2/phones", "Internal error")
}

func TestPublicRoutesNeedNoToken(t *testing.T) {
	a := newTestAPI(t)
	for _, rt := range routes() {
		if rt.Scope != "" {
			continue
		}
		rec := a.do(t, rt.Method, rt.Pattern, "", "")
		// The OAuth endpoints authenticate clients, not tokens: without
		// a body they answer 400, never 401.
		want := http.StatusOK
		if strings.HasPrefix(rt.Pattern, "/oauth/") {
			want = http.StatusBadRequest
		}
		if rec.Code != want {
			t.Errorf("%s %s without token = %d, want %d", rt.Method, rt.Pattern, rec.Code, want)
		}
	}
}
