package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// postForm sends an OAuth form with HTTP Basic client credentials.
func postForm(t *testing.T, s *server, path string, form url.Values, clientID, secret string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL(path), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: not JSON: %s", path, raw)
	}
	return resp.StatusCode, m
}

// An OAuth client of a tenant gets a short-lived access token that works
// on the API for that tenant, until the client revokes it; a long-lived
// token revoked from the command line is refused at once, server running.
func TestOAuthClientCredentialsAndRevocation(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	account := r.srv.admin("account", "create", "--name", "Tenant", "--sip-domain", "tenant.sip.example.com", "--country", "FR")
	creds := r.srv.adminLines("client", "create", "--account", account, "--scopes", "phones.read,phones.write", "--name", "crm")
	clientID, secret := creds[len(creds)-2], creds[len(creds)-1]

	status, tok := postForm(t, r.srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, clientID, secret)
	access, _ := tok["access_token"].(string)
	if status != http.StatusOK || access == "" || tok["expires_in"] != 3600.0 || tok["scope"] != "phones.read phones.write" {
		t.Fatalf("POST /oauth/token = %d %v", status, tok)
	}
	tenant := newAPIClient(t, r.srv, access)
	tenant.must(http.StatusCreated, http.MethodPost, "/api/v2/phones", phoneInput{Name: "Tenant desk", InternalNumber: 101, Number: "+33612345670", SIPPassword: "tenant-secret-101"}, nil)
	var phones []phoneView
	tenant.must(http.StatusOK, http.MethodGet, "/api/v2/phones", nil, &phones)
	if len(phones) != 1 || phones[0].Name != "Tenant desk" {
		t.Errorf("the tenant sees %d phones, want only its own", len(phones))
	}
	if status, _ := tenant.do(http.MethodGet, "/api/v2/calls", nil); status != http.StatusForbidden {
		t.Errorf("GET /calls with a token lacking calls.read = %d, want 403", status)
	}
	if status, m := postForm(t, r.srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, clientID, "wrong"); status != http.StatusUnauthorized || m["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", status, m)
	}

	if status, _ := postForm(t, r.srv, "/oauth/revoke", url.Values{"token": {access}}, clientID, secret); status != http.StatusOK {
		t.Fatalf("POST /oauth/revoke = %d", status)
	}
	if status, _ := tenant.do(http.MethodGet, "/api/v2/phones", nil); status != http.StatusUnauthorized {
		t.Errorf("revoked access token: %d, want 401 at once", status)
	}

	// A long-lived token, revoked with the CLI while the server runs.
	out, errOut := r.srv.adminRun("token", "create", "--scopes", "phones.read", "--name", "script")
	script := newAPIClient(t, r.srv, strings.TrimSpace(out))
	m := regexp.MustCompile(`Created token (\d+) `).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("sipsim token create did not say the token's id: %s", errOut)
	}
	if status, _ := script.do(http.MethodGet, "/api/v2/phones", nil); status != http.StatusOK {
		t.Fatalf("script token before revocation: %d", status)
	}
	r.srv.adminRun("token", "revoke", "--id", m[1])
	if status, _ := script.do(http.MethodGet, "/api/v2/phones", nil); status != http.StatusUnauthorized {
		t.Errorf("after sipsim token revoke --id %s: %d, want 401 at once", m[1], status)
	}
}
