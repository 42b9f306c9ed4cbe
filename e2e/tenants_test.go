package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// Two tenants on one server: account B's token must get 404 for every id
// of account A, on every route the server documents, and see none of A's
// data in its lists. The routes come from the server's own OpenAPI
// document, so a route added later is walked too.
func TestTenantsCannotSeeEachOther(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_busy.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	// Account A (the default one) has one of everything.
	call := waitCallEnded(t, r.api, r.startCall(t).ID, 30*time.Second)
	var tag, webhook struct {
		ID int64 `json:"id"`
	}
	r.api.must(http.StatusCreated, http.MethodPost, "/api/v2/tags", map[string]any{"name": "lead"}, &tag)
	r.api.must(http.StatusCreated, http.MethodPost, "/api/v2/webhooks", map[string]any{"url": "https://crm.example.com/hook"}, &webhook)
	wav := filepath.Join(t.TempDir(), "hello.wav")
	if err := writeWAV(wav, 8000, sine(700, 8000, 0.5, 0.3)); err != nil {
		t.Fatal(err)
	}
	file := uploadAudioFile(t, r.api, wav)
	r.api.must(http.StatusOK, http.MethodPost, "/api/v2/calls/"+call.ID+"/tags", map[string]any{"tag_id": tag.ID}, nil)

	// Account B, with a token for everything a tenant may do.
	bID := r.srv.admin("account", "create", "--name", "Tenant B", "--sip-domain", "b.sip.example.com", "--country", "FR")
	b := newAPIClient(t, r.srv, r.srv.admin("token", "create", "--account", bID, "--scopes", allScopes, "--name", "tenant-b"))

	ids := map[string]string{
		"phones": fmt.Sprint(r.phone.ID), "calls": call.ID, "tags": fmt.Sprint(tag.ID),
		"webhooks": fmt.Sprint(webhook.ID), "audio-files": fmt.Sprint(file.ID),
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	resp, err := http.Get(r.srv.URL("/api/v2/openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	param := regexp.MustCompile(`\{[a-z_]+\}`)
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	walked := 0
	for _, path := range paths {
		if !param.MatchString(path) {
			continue
		}
		collection := strings.Split(strings.TrimPrefix(path, "/api/v2/"), "/")[0]
		for method := range doc.Paths[path] {
			method = strings.ToUpper(method)
			if collection == "accounts" {
				continue // operator-only: refused with 403 whatever the id (httpapi tests)
			}
			id, ok := ids[collection]
			if !ok {
				t.Errorf("%s %s: no resource of account A to try it on", method, path)
				continue
			}
			target := strings.Replace(path, "{id}", id, 1)
			target = strings.Replace(target, "{tag_id}", fmt.Sprint(tag.ID), 1)
			// A valid body, so that only the id can make it fail.
			var body any
			switch {
			case method == http.MethodPatch:
				body = map[string]any{"name": "stolen"}
			case method == http.MethodPost && strings.HasSuffix(path, "/tags"):
				body = map[string]any{"tag_id": tag.ID}
			}
			status, env := b.do(method, target, body)
			walked++
			if status != http.StatusNotFound {
				t.Errorf("tenant B: %s %s = %d %v, want 404", method, target, status, env.Errors)
			}
		}
	}
	if walked < 15 {
		t.Errorf("walked %d routes with an id, expected the whole API", walked)
	}

	// Ids inside bodies are checked too: B cannot call from A's phone.
	if status, env := b.do(http.MethodPost, "/api/v2/calls", callInput{r.phone.ID, "+33698765499"}); status != http.StatusNotFound {
		t.Errorf("tenant B: POST /api/v2/calls from account A's phone = %d %v, want 404", status, env.Errors)
	}

	// B's lists hold none of A's things.
	for _, list := range []string{"/api/v2/phones", "/api/v2/calls", "/api/v2/tags", "/api/v2/webhooks", "/api/v2/audio-files"} {
		status, env := b.do(http.MethodGet, list, nil)
		if status != http.StatusOK || string(env.Data) != "[]" {
			t.Errorf("tenant B: GET %s = %d %s, want 200 and an empty list", list, status, env.Data)
		}
	}
	// And A still has everything B tried to change or delete.
	for collection, id := range ids {
		if status, _ := r.api.do(http.MethodGet, "/api/v2/"+collection+"/"+id, nil); status != http.StatusOK {
			t.Errorf("account A: GET /api/v2/%s/%s = %d after tenant B's attempts", collection, id, status)
		}
	}
	if got := r.api.call(call.ID); len(got.Tags) != 1 {
		t.Errorf("account A's call has %d tags after tenant B's attempts, want 1", len(got.Tags))
	}
}
