package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A CRM button pressed twice, a second apart, rings once: the second
// request, sent without an Idempotency-Key, gets 409 naming the first
// call, even though that call is already over (the phone was busy).
func TestDoubleClickPlacesOneCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{Phone: &phoneConfig{OOC: "phone_busy.xml"}})
	first := r.startCall(t)
	waitFor(t, 10*time.Second, "the phone to ring", func() (bool, string) {
		return len(r.sipp.received("INVITE")) == 1, describeRequests(r.sipp.sippProc)
	})
	time.Sleep(time.Second) // the user's second click

	code, env := r.api.do(http.MethodPost, "/api/v2/calls", callInput{PhoneID: r.phone.ID, TargetNumber: targetNumber})
	assertErrorEnvelope(t, code, env, http.StatusConflict, "/api/v2/calls", "")
	if env.CallID != first.ID {
		t.Errorf("409 call_id = %q, want the first call %s", env.CallID, first.ID)
	}
	prefix := "A call from this phone to " + targetNumber + " was placed "
	if len(env.Errors) == 0 || !strings.HasPrefix(env.Errors[0], prefix) || !strings.HasSuffix(env.Errors[0], " ago") {
		t.Errorf("errors = %q, want the first to read %q…%q", env.Errors, prefix, " ago")
	}

	// Another number is another call: it rings at once.
	other := r.api.createCall(r.phone.ID, "+33698765400")
	waitCallEnded(t, r.api, other.ID, 30*time.Second)
	if n := len(r.sipp.received("INVITE")); n != 2 {
		t.Errorf("the phone got %d INVITEs, want 2: one for the double click, one for the other number", n)
	}
}
