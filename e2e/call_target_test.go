package e2e

import (
	"strings"
	"testing"
	"time"
)

// When the carrier does not answer, the employee who already picked up is
// hung up on, and the call says why, naming the target side.

func TestTargetBusy(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_reject.xml", Code: 486, Reason: "Busy Here"},
	})
	c := r.startCall(t)

	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0 (INVITE as expected, 486 ACKed)", code)
	}
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "busy", Reason: "target_busy",
		Events:   []string{"call.created", "call.ringing_agent", "call.agent_answered", "call.ended"},
		Statuses: []string{"initiating", "ringing_agent", "dialing_target", "busy"},
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "busy", TargetCode: 486,
	})
	waitPhoneHungUp(t, r.sipp)
}

func TestTargetNoAnswer(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server:  serverConfig{Flags: []string{"--target-ring-timeout", "3s"}},
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_no_answer.xml"},
	})
	c := r.startCall(t)

	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0 (rang, got CANCEL, 487 ACKed)", code)
	}
	if n := len(r.carrier.received("CANCEL")); n != 1 {
		t.Errorf("carrier got %d CANCELs, want 1", n)
	}
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "no_answer", Reason: "target_no_answer",
		Events:   []string{"call.created", "call.ringing_agent", "call.agent_answered", "call.target_ringing", "call.ended"},
		Statuses: []string{"initiating", "ringing_agent", "dialing_target", "dialing_target", "no_answer"},
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "no_answer", TargetCode: 487,
	})
	waitPhoneHungUp(t, r.sipp)
}

func TestTrunkRejects(t *testing.T) {
	t.Parallel()
	for _, rej := range []struct {
		code   int
		reason string
	}{{403, "Forbidden"}, {503, "Service Unavailable"}} {
		t.Run(rej.reason, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, rigConfig{
				Phone:   &phoneConfig{OOC: "phone_answer.xml"},
				Carrier: &carrierConfig{Scenario: "carrier_reject.xml", Code: rej.code, Reason: rej.reason},
			})
			c := r.startCall(t)

			if code := r.carrier.wait(60 * time.Second); code != 0 {
				t.Errorf("carrier SIPp exit code %d, want 0 (INVITE as expected, %d ACKed)", code, rej.code)
			}
			if n := len(r.carrier.received("INVITE")); n != 1 {
				t.Errorf("carrier got %d INVITEs, want 1", n)
			}
			got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
			assertCall(t, got, callWant{
				Status: "failed", Reason: "trunk_rejected",
				Events:   []string{"call.created", "call.ringing_agent", "call.agent_answered", "call.ended"},
				Statuses: []string{"initiating", "ringing_agent", "dialing_target", "failed"},
				AgentLeg: "completed", AgentCode: 200, TargetLeg: "failed", TargetCode: rej.code,
			})
			waitPhoneHungUp(t, r.sipp)
		})
	}
}

// waitPhoneHungUp waits for the server's BYE to the phone that answered.
func waitPhoneHungUp(t *testing.T, p *sippPhone) {
	t.Helper()
	waitFor(t, 10*time.Second, "the phone to get a BYE", func() (bool, string) {
		return len(p.received("BYE")) == 1, "requests: " + strings.Join(p.receivedRequests(), ",")
	})
}
