package voip

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/sipsim/sipsim"
)

const forwardNumber = "+33612000001"

// byNumber lets one carrier peer act differently for the forward number
// (the employee's mobile) and for the target.
func byNumber(forward, target func(*peer, *sipgo.DialogServerSession)) func(*peer, *sipgo.DialogServerSession) {
	return func(p *peer, d *sipgo.DialogServerSession) {
		if d.InviteRequest.Recipient.User == forwardNumber {
			forward(p, d)
			return
		}
		target(p, d)
	}
}

// carrierNumbers lists the Request-URI users the carrier was asked to ring,
// in order.
func carrierNumbers(p *peer) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var users []string
	for _, inv := range p.invites {
		users = append(users, inv.Recipient.User)
	}
	return users
}

func TestIntegrationForcedForwardingRingsTheForwardNumberInstead(t *testing.T) {
	carrier := newPeer(t, byNumber(answers, hangsUpAfter(500*time.Millisecond)))
	te := startEngine(t, "sip:127.0.0.1:"+itoa(carrier.port))
	desk := newPeer(t, answers)
	if res := desk.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("register: %s", res.StartLine())
	}
	plan := te.plan(t)
	plan.ForwardTo = forwardNumber
	plan.CallerIDName = "ACME: Jane"

	var reports []sipsim.CallProgress
	out := te.e.PlaceCall(t.Context(), plan, func(p sipsim.CallProgress) { reports = append(reports, p) })
	if out.Status != sipsim.CallCompleted || out.Reason != sipsim.ReasonTargetHangup {
		t.Fatalf("outcome = %+v", out)
	}
	if n, _, _ := desk.counts(); n != 0 {
		t.Errorf("the desk phone got %d INVITEs; forced forwarding must not ring it", n)
	}
	if got, want := carrierNumbers(carrier), []string{forwardNumber, plan.TargetNumber}; !slices.Equal(got, want) {
		t.Errorf("carrier rang %v, want %v", got, want)
	}
	agentInv := carrier.invites[0]
	if agentInv.From().Address.User != plan.CallerID || agentInv.From().DisplayName != "ACME: Jane" {
		t.Errorf("forwarded leg From = %s, want the phone's caller ID with the CRM's name", agentInv.From().Value())
	}
	if pai := agentInv.GetHeader("P-Asserted-Identity"); pai == nil || !strings.Contains(pai.Value(), plan.CallerID) {
		t.Errorf("forwarded leg P-Asserted-Identity = %v", pai)
	}
	var forwarded, answered *sipsim.CallProgress
	for i := range reports {
		switch reports[i].Kind {
		case sipsim.ProgressAgentForwarded:
			forwarded = &reports[i]
		case sipsim.ProgressAgentAnswered:
			answered = &reports[i]
		}
	}
	if forwarded == nil || forwarded.ForwardTo != forwardNumber {
		t.Errorf("forwarding not reported: %+v", reports)
	}
	if answered == nil || answered.AnsweredBy != sipsim.AnsweredByForward || !strings.Contains(answered.Contact, forwardNumber) {
		t.Errorf("answer report = %+v, want the forward number", answered)
	}
}

func TestIntegrationConditionalForwarding(t *testing.T) {
	tests := []struct {
		name         string
		desk         func(*peer, *sipgo.DialogServerSession) // nil: nothing registered
		wantForward  bool
		wantOutcome  sipsim.CallStatus
		wantReason   sipsim.EndReason
		wantDeskCanc int
	}{
		{"phone does not answer in time", ringsForever, true, sipsim.CallCompleted, sipsim.ReasonTargetHangup, 1},
		{"phone is busy", rejects(486), true, sipsim.CallCompleted, sipsim.ReasonTargetHangup, 0},
		{"nothing registered", nil, true, sipsim.CallCompleted, sipsim.ReasonTargetHangup, 0},
		{"phone answers", answers, false, sipsim.CallCompleted, sipsim.ReasonTargetHangup, 0},
		{"employee declines: not forwarded", rejects(603), false, sipsim.CallBusy, sipsim.ReasonAgentDeclined, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			carrier := newPeer(t, byNumber(answers, hangsUpAfter(500*time.Millisecond)))
			te := startEngine(t, "sip:127.0.0.1:"+itoa(carrier.port))
			var desk *peer
			if tc.desk != nil {
				desk = newPeer(t, tc.desk)
				if res := desk.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
					t.Fatalf("register: %s", res.StartLine())
				}
			}
			plan := te.plan(t)
			plan.ForwardTo, plan.ForwardAfter = forwardNumber, time.Second

			var log progressLog
			out := te.e.PlaceCall(t.Context(), plan, log.add)
			if out.Status != tc.wantOutcome || out.Reason != tc.wantReason {
				t.Fatalf("outcome = %+v, want %s/%s", out, tc.wantOutcome, tc.wantReason)
			}
			rang := carrierNumbers(carrier)
			if forwarded := slices.Contains(rang, forwardNumber); forwarded != tc.wantForward {
				t.Errorf("carrier rang %v: forwarded = %v, want %v", rang, forwarded, tc.wantForward)
			}
			if got := slices.Contains(log.get(), sipsim.ProgressAgentForwarded); got != tc.wantForward {
				t.Errorf("progress %v: forwarding reported = %v, want %v", log.get(), got, tc.wantForward)
			}
			if desk != nil {
				waitUntil(t, "the desk phone's ringing is settled", func() bool { _, _, c := desk.counts(); return c == tc.wantDeskCanc })
			}
		})
	}
}
