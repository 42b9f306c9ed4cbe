package e2e

import (
	"testing"
	"time"
)

// When the employee's phone does not pick up, the target is never dialled.

func TestAgentNoAnswer(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server:  serverConfig{Flags: []string{"--agent-ring-timeout", "3s"}},
		Phone:   &phoneConfig{OOC: "phone_no_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	c := r.startCall(t)

	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "no_answer", Reason: "agent_no_answer",
		Events:   []string{"call.created", "call.ringing_agent", "call.ended"},
		Statuses: []string{"initiating", "ringing_agent", "no_answer"},
		AgentLeg: "no_answer", AgentCode: 487, TargetLeg: "idle", TargetCode: 0,
	})
	waitFor(t, 10*time.Second, "the phone to get CANCEL and ACK its 487", func() (bool, string) {
		cancels, acks := len(r.sipp.received("CANCEL")), len(r.sipp.received("ACK"))
		return cancels == 1 && acks == 1, describeRequests(r.sipp.sippProc)
	})
	assertCarrierNotDialled(t, r.carrier)
}

func TestAgentBusy(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_busy.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	c := r.startCall(t)

	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "busy", Reason: "agent_busy",
		Events:   []string{"call.created", "call.ringing_agent", "call.ended"},
		Statuses: []string{"initiating", "ringing_agent", "busy"},
		AgentLeg: "busy", AgentCode: 486, TargetLeg: "idle", TargetCode: 0,
	})
	waitFor(t, 10*time.Second, "the phone's 486 to be ACKed", func() (bool, string) {
		return len(r.sipp.received("ACK")) == 1, describeRequests(r.sipp.sippProc)
	})
	assertCarrierNotDialled(t, r.carrier)
}

func assertCarrierNotDialled(t *testing.T, carrier *sippProc) {
	t.Helper()
	if n := len(carrier.received("INVITE")); n != 0 {
		t.Errorf("carrier got %d INVITEs; the target must not be dialled when the agent did not answer", n)
	}
}

func describeRequests(p *sippProc) string {
	return "requests received: " + join(p.receivedRequests())
}
