package e2e

import (
	"strings"
	"testing"
	"time"
)

// A call both sides answer goes through every status; either side's BYE
// ends it and the other side gets a BYE.

var (
	answeredEvents   = []string{"call.created", "call.ringing_agent", "call.agent_answered", "call.target_ringing", "call.answered", "call.ended"}
	answeredStatuses = []string{"initiating", "ringing_agent", "dialing_target", "dialing_target", "in_progress", "completed"}
)

func TestAnsweredCallEndedByCarrier(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "2000"}},
	})
	c := r.startCall(t)

	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0 (INVITE as expected, answered, hung up)", code)
	}
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "completed", Reason: "target_hangup",
		Events:   answeredEvents,
		Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	})
	waitFor(t, 10*time.Second, "the phone to get a BYE", func() (bool, string) {
		n := len(r.sipp.received("BYE"))
		return n == 1, strings.Join(r.sipp.receivedRequests(), ",")
	})
	assertPhoneSawOneInvite(t, r.sipp)
	if code := r.sipp.unregister(); code != 0 {
		t.Errorf("phone SIPp exit code %d after un-REGISTER, want 0", code)
	}
	if e := r.sipp.errors(); e != "" {
		t.Errorf("phone SIPp errors:\n%s", e)
	}
}

func TestAnsweredCallEndedByPhone(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer_hangup.xml", Args: []string{"-d", "2000"}},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	c := r.startCall(t)

	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0 (INVITE as expected, answered, got BYE)", code)
	}
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "completed", Reason: "agent_hangup",
		Events:   answeredEvents,
		Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	})
	assertPhoneSawOneInvite(t, r.sipp)
	if code := r.sipp.unregister(); code != 0 {
		t.Errorf("phone SIPp exit code %d after un-REGISTER, want 0", code)
	}
	if e := r.sipp.errors(); e != "" {
		t.Errorf("phone SIPp errors:\n%s", e)
	}
}

// assertPhoneSawOneInvite checks leg A as the phone saw it: one INVITE,
// showing the target number as the caller.
func assertPhoneSawOneInvite(t *testing.T, p *sippPhone) {
	t.Helper()
	invites := p.received("INVITE")
	if len(invites) != 1 {
		t.Fatalf("phone got %d INVITEs, want 1", len(invites))
	}
	if from := invites[0].header("From"); !strings.Contains(from, "sip:"+targetNumber+"@") {
		t.Errorf("INVITE to the phone has From %q, want the target number %s as caller", from, targetNumber)
	}
}

// A carrier that answers right after its 180 still rang: the timeline
// keeps call.target_ringing, which users read as "the customer's phone
// rang".
func TestCarrierRingingKeptWhenAnswerFollowsAtOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", AnswerAtOnce: true, Args: []string{"-d", "1000"}},
	})
	c := r.startCall(t)
	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0", code)
	}
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "completed", Reason: "target_hangup",
		Events: answeredEvents, Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	})
}

// A phone registered over TCP is called over its own connection.
func TestAnsweredCallWithPhoneOverTCP(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer_hangup.xml", TCP: true, Args: []string{"-d", "1000"}},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	c := r.startCall(t)
	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0", code)
	}
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "completed", Reason: "agent_hangup",
		Events: answeredEvents, Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	})
	assertPhoneSawOneInvite(t, r.sipp)
	if e := r.sipp.errors(); e != "" {
		t.Errorf("phone SIPp errors:\n%s", e)
	}
}
