package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	inFlightMessage  = "A request with this Idempotency-Key is still being processed; retry shortly"
	keyReusedMessage = "Idempotency-Key was already used with a different request"
)

// A client that retries a POST with the same Idempotency-Key, even twenty
// times at once, places one call: the phone rings once, the history shows
// one call, and every retry answers with the first answer.
func TestIdempotentCallCreation(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server: serverConfig{Flags: []string{"--agent-ring-timeout", "3s"}},
		Phone:  &phoneConfig{OOC: "phone_no_answer.xml"},
	})
	body := mustJSON(callInput{PhoneID: r.phone.ID, TargetNumber: targetNumber})
	key := map[string]string{"Idempotency-Key": "e2e-order-4711"}

	const n = 20
	answers := make([]rawAnswer, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i], errs[i] = r.api.sendRaw(http.MethodPost, "/api/v2/calls", body, key)
		}()
	}
	close(start)
	wg.Wait()

	var original *rawAnswer
	var replays []rawAnswer
	for i, a := range answers {
		switch {
		case errs[i] != nil:
			t.Fatalf("POST %d: %v", i, errs[i])
		case a.Code == http.StatusCreated && a.Header.Get("Idempotent-Replayed") == "true":
			replays = append(replays, a)
		case a.Code == http.StatusCreated:
			if original != nil {
				t.Fatalf("two POSTs were answered 201 without Idempotent-Replayed: two calls placed?\n%s\n%s", original.Body, a.Body)
			}
			original = &answers[i]
		default:
			assertErrorEnvelope(t, a.Code, a.Env, http.StatusConflict, "/api/v2/calls", inFlightMessage)
		}
	}
	if original == nil {
		t.Fatalf("no POST was answered 201 as the original; answers: %v", codes(answers))
	}
	for _, a := range replays {
		if !bytes.Equal(a.Body, original.Body) {
			t.Errorf("a replayed 201 differs from the original:\n%s\n%s", a.Body, original.Body)
		}
	}
	t.Logf("%d POSTs: 1 original 201, %d replayed 201, %d 409 in flight", n, len(replays), n-1-len(replays))
	var c callView
	mustUnmarshal(t, original.Env.Data, &c)

	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	if got.Status != "no_answer" || got.reason() != "agent_no_answer" {
		t.Errorf("the call ended %s, want no_answer/agent_no_answer", describeCall(got))
	}
	waitFor(t, 10*time.Second, "the phone to get CANCEL", func() (bool, string) {
		return len(r.sipp.received("CANCEL")) >= 1, describeRequests(r.sipp.sippProc)
	})

	// After the call: the same request replays the first answer exactly,
	// under a new request id of its own.
	replay, err := r.api.sendRaw(http.MethodPost, "/api/v2/calls", body, key)
	if err != nil {
		t.Fatal(err)
	}
	if replay.Code != http.StatusCreated || replay.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay.Body, original.Body) {
		t.Errorf("replay after the call = %d Idempotent-Replayed %q\n%s\nwant 201, true and the original body\n%s",
			replay.Code, replay.Header.Get("Idempotent-Replayed"), replay.Body, original.Body)
	}
	if id := replay.Header.Get("X-Request-Id"); id == "" || id == original.Env.RequestID {
		t.Errorf("replay X-Request-Id = %q; want this request's own id, not the original's %s", id, original.Env.RequestID)
	}

	// The same key for another call is a client bug, not a retry.
	other := mustJSON(callInput{PhoneID: r.phone.ID, TargetNumber: "+33698765400"})
	reused, err := r.api.sendRaw(http.MethodPost, "/api/v2/calls", other, key)
	if err != nil {
		t.Fatal(err)
	}
	assertErrorEnvelope(t, reused.Code, reused.Env, http.StatusUnprocessableEntity, "/api/v2/calls", keyReusedMessage)

	// One call in the history, one INVITE on the wire.
	list, _ := r.api.listCalls(url.Values{"phone_id": {itoa(r.phone.ID)}})
	if ids := callIDs(list); !slices.Equal(ids, []string{c.ID}) {
		t.Errorf("GET /api/v2/calls?phone_id=%d lists %v, want only %s", r.phone.ID, ids, c.ID)
	}
	if n := len(r.sipp.received("INVITE")); n != 1 {
		t.Errorf("the phone got %d INVITEs, want 1", n)
	}
}

// Keys must be 1 to 255 printable ASCII characters.
func TestInvalidIdempotencyKeyIsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	body := mustJSON(callInput{PhoneID: r.phone.ID, TargetNumber: targetNumber})
	for name, k := range map[string]string{
		"256 characters": strings.Repeat("k", 256),
		"not ASCII":      "commande-numéro-7",
	} {
		a, err := r.api.sendRaw(http.MethodPost, "/api/v2/calls", body, map[string]string{"Idempotency-Key": k})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		assertErrorEnvelope(t, a.Code, a.Env, http.StatusBadRequest, "/api/v2/calls", "")
		if !slices.ContainsFunc(a.Env.Errors, func(e string) bool { return strings.Contains(e, "Idempotency-Key") }) {
			t.Errorf("%s: errors %q do not name Idempotency-Key", name, a.Env.Errors)
		}
	}
}

func codes(as []rawAnswer) []int {
	var out []int
	for _, a := range as {
		out = append(out, a.Code)
	}
	return out
}
