package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The employee's mobile: the phone's forward number, reached through the
// trunk like the customer.
const forwardNumber = "+33612000001"

// startForwardingCarrier is a SIPp carrier for two calls on the trunk: the
// forwarded agent leg, then the target. Both must show the phone's caller
// ID in From and P-Asserted-Identity (its scenario fails otherwise); both
// answer and wait for the server's BYE.
func startForwardingCarrier(t *testing.T, r *rig) *sippProc {
	t.Helper()
	return startSIPp(t, sippConfig{
		Name:      "carrier",
		Scenario:  "carrier_answer.xml",
		Port:      r.trunkPort,
		MediaPort: freePorts(t, 4),
		Vars: map[string]string{
			"Caller": `\` + phoneNumber,
			// POSIX extended regexp, as SIPp's ereg reads it.
			"Target": `(\` + forwardNumber + `|\` + targetNumber + `)`,
			"RingMS": "500",
		},
		Files: map[string][]byte{"carrier_tone.pcmu": mulawTone(carrierToneHz, 8000, 2)},
		Args:  []string{"-m", "2"},
	})
}

// carrierRang lists the numbers the carrier's INVITEs asked for, in order.
func carrierRang(p *sippProc) []string {
	var users []string
	for _, inv := range p.received("INVITE") {
		uri := strings.Fields(inv.FirstLine)[1]
		user, _, _ := strings.Cut(strings.TrimPrefix(uri, "sip:"), "@")
		users = append(users, user)
	}
	return users
}

func setForwarding(t *testing.T, r *rig, setting map[string]any) {
	t.Helper()
	r.api.must(200, "PATCH", fmt.Sprintf("/api/v2/phones/%d", r.phone.ID), map[string]any{"forwarding_setting": setting}, nil)
}

// eventAt is when the call's first event of a type happened.
func eventAt(t *testing.T, c callView, typ string) time.Time {
	t.Helper()
	for _, e := range c.Events {
		if e.Type == typ {
			at, err := time.Parse(time.RFC3339Nano, e.At)
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
	}
	t.Fatalf("call %s has no %s event: %v", c.ID, typ, c.eventTypes())
	return time.Time{}
}

// checkForwardedCall waits until the call is connected, hangs it up
// through the API, and asserts it was answered by the forward number and
// that the carrier rang the forward number before the target.
func checkForwardedCall(t *testing.T, r *rig, carrier *sippProc, c callView) callView {
	t.Helper()
	waitCallStatus(t, r.api, c.ID, 60*time.Second, append([]string{"in_progress"}, finalStatuses...)...)
	r.api.must(200, "POST", "/api/v2/calls/"+c.ID+"/hangup", nil, nil)
	if code := carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d: a leg did not show caller ID %s", code, phoneNumber)
	}
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	if got.Status != "completed" {
		t.Errorf("call %s", describeCall(got))
	}
	if rang := carrierRang(carrier); len(rang) != 2 || rang[0] != forwardNumber || rang[1] != targetNumber {
		t.Errorf("carrier rang %v, want the forward number %s, then the target %s", rang, forwardNumber, targetNumber)
	}
	a := got.AgentLeg
	if a.ForwardedTo == nil || *a.ForwardedTo != forwardNumber || a.AnsweredBy == nil || *a.AnsweredBy != "forward_number" ||
		a.Contact == nil || !strings.Contains(*a.Contact, forwardNumber) {
		t.Errorf("agent_leg forwarded_to %v, answered_by %v, contact %v; want the forward number", deref(a.ForwardedTo), deref(a.AnsweredBy), deref(a.Contact))
	}
	return got
}

func deref(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// Forced forwarding: the forward number rings instead of the desk phone,
// which never gets an INVITE.
func TestForcedForwardingRingsTheForwardNumberInstead(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{Phone: &phoneConfig{OOC: "phone_answer.xml"}})
	setForwarding(t, r, map[string]any{"forced": map[string]any{"enabled": true, "forward_number": forwardNumber}})
	carrier := startForwardingCarrier(t, r)
	c := r.startCall(t)
	got := checkForwardedCall(t, r, carrier, c)
	if n := len(r.sipp.received("INVITE")); n != 0 {
		t.Errorf("the desk phone got %d INVITEs; forced forwarding must not ring it", n)
	}
	types := got.eventTypes()
	if len(types) < 3 || types[1] != "call.ringing_agent" || types[2] != "call.agent_forwarded" {
		t.Errorf("events = %v, want call.agent_forwarded right after call.ringing_agent", types)
	}
}

// Conditional forwarding: the desk phone rings for timeout_seconds, is
// cancelled, and the forward number rings.
func TestConditionalForwardingAfterTheTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 5
	r := newRig(t, rigConfig{Phone: &phoneConfig{OOC: "phone_no_answer.xml"}})
	setForwarding(t, r, map[string]any{"conditional": map[string]any{"enabled": true, "timeout_seconds": timeout, "forward_number": forwardNumber}})
	carrier := startForwardingCarrier(t, r)
	c := r.startCall(t)
	got := checkForwardedCall(t, r, carrier, c)
	if n := len(r.sipp.received("INVITE")); n != 1 {
		t.Errorf("the desk phone got %d INVITEs, want 1", n)
	}
	if n := len(r.sipp.received("CANCEL")); n != 1 {
		t.Errorf("the desk phone got %d CANCELs, want 1 when forwarding took over", n)
	}
	// The phone rang its full timeout before the forward number was tried.
	rang := eventAt(t, got, "call.agent_forwarded").Sub(eventAt(t, got, "call.ringing_agent"))
	if rang < timeout*time.Second {
		t.Errorf("forwarded after the phone rang %v, want at least timeout_seconds (%ds)", rang, timeout)
	}
}

// Conditional forwarding also covers a phone with nothing registered: the
// call is accepted and the forward number rings at once.
func TestConditionalForwardingWhenNothingIsRegistered(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	setForwarding(t, r, map[string]any{"conditional": map[string]any{"enabled": true, "timeout_seconds": 25, "forward_number": forwardNumber}})
	carrier := startForwardingCarrier(t, r)
	c := r.startCall(t)
	got := checkForwardedCall(t, r, carrier, c)
	// At once: well before the 25 s the phone would have rung.
	if rang := eventAt(t, got, "call.agent_forwarded").Sub(eventAt(t, got, "call.ringing_agent")); rang >= 25*time.Second {
		t.Errorf("forwarded after %v; with nothing registered it must not wait for the timeout", rang)
	}
}
