package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Toll fraud: a stolen token calling premium-rate or foreign numbers, or
// placing calls as fast as it can. The default account calls from France,
// so France is the only country it may call.

// Refused destinations are refused before anything rings: neither the
// employee's phone nor the carrier sees an INVITE, and no call is stored.
// A legitimate call placed afterwards proves the peers were listening: it
// is the one INVITE each of them gets.
func TestTollFraudDestinationsNeverRing(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "500"}},
	})
	for _, tt := range []struct{ number, message string }{
		{"+33891234567", "Calls to premium-rate numbers are not allowed"},
		{"+33810123456", "Calls to shared-cost numbers are not allowed"},
		{"+4915123456789", "Calls to DE (+4915123456789) are not allowed for this account"},
		{"+881612345678", "Calls to international network numbers (+881612345678) are not allowed"},
	} {
		code, env := r.api.do(http.MethodPost, "/api/v2/calls", callInput{PhoneID: r.phone.ID, TargetNumber: tt.number})
		assertErrorEnvelope(t, code, env, http.StatusForbidden, "/api/v2/calls", tt.message)
		if len(env.Errors) < 2 {
			t.Errorf("%s: errors = %q, want the message and how to allow or avoid it", tt.number, env.Errors)
		}
	}
	var stored []callView
	r.api.must(http.StatusOK, http.MethodGet, "/api/v2/calls", nil, &stored)
	if len(stored) != 0 {
		t.Fatalf("%d calls stored after refusals, want none", len(stored))
	}

	c := r.startCall(t)
	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0: its one call must be the legitimate one, to %s", code, targetNumber)
	}
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	if got.Status != "completed" {
		t.Errorf("legitimate call ended %s, want completed", describeCall(got))
	}
	assertPhoneSawOneInvite(t, r.sipp)
	if invites := r.carrier.received("INVITE"); len(invites) != 1 {
		t.Errorf("carrier got %d INVITEs, want only the legitimate call's", len(invites))
	}
}

// A phone placing calls as fast as it can is stopped by the default limit
// of 10 calls per minute: the 11th gets 429 with the headers that say when
// to come back, and never rings. Each call rings a busy phone, so it is
// over before the next, and each goes to another number, so neither the
// busy rule nor the double-click guard is what refuses.
func TestCallsPerMinutePerPhoneLimitAnswers429(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{Phone: &phoneConfig{OOC: "phone_busy.xml"}})
	const limit = 10 // sipsim.DefaultAccountLimits.CallsPerMinutePerPhone
	for i := range limit {
		c := r.api.createCall(r.phone.ID, fmt.Sprintf("+336987654%02d", i))
		waitCallEnded(t, r.api, c.ID, 30*time.Second)
	}

	ans, err := r.api.sendRaw(http.MethodPost, "/api/v2/calls", mustJSON(callInput{PhoneID: r.phone.ID, TargetNumber: "+33698765499"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("Too many calls placed from phone %d: the limit is %d per minute", r.phone.ID, limit)
	assertErrorEnvelope(t, ans.Code, ans.Env, http.StatusTooManyRequests, "/api/v2/calls", want)
	retry, err := strconv.Atoi(ans.Header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > 60 {
		t.Errorf("Retry-After = %q, want whole seconds within the 60 s window", ans.Header.Get("Retry-After"))
	}
	if got := ans.Header.Get("X-RateLimit-Limit"); got != strconv.Itoa(limit) {
		t.Errorf("X-RateLimit-Limit = %q, want %d", got, limit)
	}
	if got := ans.Header.Get("X-RateLimit-Remaining"); got != "0" {
		t.Errorf("X-RateLimit-Remaining = %q, want 0", got)
	}
	// Reset is the Unix second Retry-After points to; the two clocks are
	// the same machine's, so a few seconds of slack is plenty.
	reset, err := strconv.ParseInt(ans.Header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		t.Errorf("X-RateLimit-Reset = %q, want Unix seconds", ans.Header.Get("X-RateLimit-Reset"))
	} else if d := reset - time.Now().Unix() - int64(retry); d < -5 || d > 5 {
		t.Errorf("X-RateLimit-Reset = %d, Retry-After = %d s: they disagree by %d s", reset, retry, d)
	}
	if n := len(r.sipp.received("INVITE")); n != limit {
		t.Errorf("the phone got %d INVITEs, want %d: the refused call must not ring", n, limit)
	}
}
