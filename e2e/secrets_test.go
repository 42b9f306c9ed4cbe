package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Secrets are shown once, at creation, and never again: not in later
// answers, and not in the server's log, even at debug level while phones
// register and calls run.
func TestSecretsAreNeverLoggedNorShownAgain(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server: serverConfig{Flags: []string{"--log-level", "debug", "--trunk-username", "sipsim-trunk"},
			Env: []string{"SIPSIM_TRUNK_PASSWORD=" + trunkPassword}},
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "500"}},
	})
	var webhook map[string]any
	r.api.must(http.StatusCreated, http.MethodPost, "/api/v2/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook"}, &webhook)
	webhookSecret, _ := webhook["secret"].(string)
	creds := r.srv.adminLines("client", "create", "--scopes", "phones.read")
	clientID, clientSecret := creds[len(creds)-2], creds[len(creds)-1]
	_, tok := postForm(t, r.srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret)
	access, _ := tok["access_token"].(string)
	c := r.startCall(t)
	waitCallEnded(t, r.api, c.ID, 30*time.Second)
	// And a failed login, whose wrong password must not be logged either.
	if status, _ := postForm(t, r.srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, clientID, "wrong-secret-xyz"); status != 401 {
		t.Fatalf("wrong client secret: %d", status)
	}

	secrets := map[string]string{
		"API token": r.api.token, "SIP password": phonePassword, "webhook secret": webhookSecret,
		"OAuth client secret": clientSecret, "access token": access, "a wrong secret": "wrong-secret-xyz",
		"trunk password": trunkPassword,
	}
	for what, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("%s %q: the test did not get it", what, s)
		}
	}
	logs := r.srv.logs.String()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatal("no debug lines in the log: the test proves nothing")
	}
	for what, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the server log contains the %s", what)
		}
	}

	// Read back, nothing secret is shown.
	for _, path := range []string{"/api/v2/phones/" + jsonID(r.phone.ID), "/api/v2/webhooks/" + jsonID(int64(webhook["id"].(float64))), "/api/v2/webhooks"} {
		_, env := r.api.do(http.MethodGet, path, nil)
		body := string(env.Data)
		for what, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("GET %s shows the %s", path, what)
			}
		}
		for _, member := range []string{`"sip_password"`, `"secret"`} {
			if strings.Contains(body, member) {
				t.Errorf("GET %s has a %s member", path, member)
			}
		}
	}
}

// trunkPassword is the carrier password of the server under test, given
// through the environment as an operator would.
const trunkPassword = "trunk-secret-4f9c2a"

func jsonID(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}
