package calls

import (
	"slices"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func TestForwardingSettingShapesThePlan(t *testing.T) {
	tel := &scriptedTelephony{release: make(chan struct{})}
	f := newFixture(t, tel)
	mobile, other := "+33612000001", "+33612000002"
	place := func(fwd sipsim.ForwardingSetting, target string) (sipsim.CallPlan, error) {
		t.Helper()
		f.phone.ForwardingSetting = fwd
		if err := f.db.UpdatePhone(t.Context(), f.phone); err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: target})
		if err != nil {
			return sipsim.CallPlan{}, err
		}
		if _, err := f.svc.CancelCall(t.Context(), sipsim.DefaultAccountID, c.ID); err != nil {
			t.Fatal(err)
		}
		waitFinal(t, f.db, c.ID)
		tel.mu.Lock()
		defer tel.mu.Unlock()
		return tel.plans[len(tel.plans)-1], nil
	}

	// Nothing registered and no forwarding: nothing can ring.
	if _, err := place(sipsim.ForwardingSetting{}, "+33698765401"); sipsim.ErrorCode(err) != sipsim.EUNPROCESSABLE {
		t.Fatalf("unregistered phone without forwarding: err = %v, want EUNPROCESSABLE", err)
	}
	// Nothing registered, conditional forwarding: the forward number rings.
	cond := sipsim.ForwardingSetting{Conditional: sipsim.ConditionalForwarding{Enabled: true, TimeoutSeconds: 15, ForwardNumber: &mobile}}
	p, err := place(cond, "+33698765402")
	if err != nil {
		t.Fatalf("unregistered phone with conditional forwarding: %v", err)
	}
	if p.ForwardTo != mobile || len(p.Contacts) != 0 {
		t.Errorf("plan forwards to %q with %d contacts, want %s and none", p.ForwardTo, len(p.Contacts), mobile)
	}

	f.register(t)
	p, err = place(cond, "+33698765403")
	if err != nil {
		t.Fatal(err)
	}
	if p.ForwardTo != mobile || p.ForwardAfter != 15*time.Second || len(p.Contacts) != 1 {
		t.Errorf("conditional: forward to %q after %v with %d contacts, want %s after 15s with 1", p.ForwardTo, p.ForwardAfter, len(p.Contacts), mobile)
	}
	// Forced wins over conditional and rings the forward number at once.
	both := cond
	both.Forced = sipsim.ForcedForwarding{Enabled: true, ForwardNumber: &other}
	if p, _ = place(both, "+33698765404"); p.ForwardTo != other || p.ForwardAfter != 0 {
		t.Errorf("forced: forward to %q after %v, want %s at once", p.ForwardTo, p.ForwardAfter, other)
	}
	// Disabled settings keep their numbers but forward nothing.
	off := both
	off.Forced.Enabled, off.Conditional.Enabled = false, false
	if p, _ = place(off, "+33698765405"); p.ForwardTo != "" {
		t.Errorf("disabled forwarding still forwards to %q", p.ForwardTo)
	}
}

func TestForwardedLegIsRecorded(t *testing.T) {
	c := &sipsim.Call{AgentLeg: sipsim.Leg{Status: sipsim.LegIdle}}
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	steps := []sipsim.CallProgress{
		{Kind: sipsim.ProgressAgentDialing},
		{Kind: sipsim.ProgressAgentForwarded, ForwardTo: "+33612000001"},
		{Kind: sipsim.ProgressAgentAnswered, SIPCode: 200, Contact: "sip:+33612000001@127.0.0.1:5090", AnsweredBy: sipsim.AnsweredByForward},
	}
	var types []string
	for _, p := range steps {
		if ev := apply(c, step{progress: &p}, now); ev != nil {
			types = append(types, ev.Type)
		}
	}
	want := []string{sipsim.EventCallRingingAgent, sipsim.EventCallAgentForwarded, sipsim.EventCallAgentAnswered}
	if !slices.Equal(types, want) {
		t.Errorf("events = %v, want %v", types, want)
	}
	if c.AgentLeg.ForwardedTo != "+33612000001" || c.AgentLeg.AnsweredBy != sipsim.AnsweredByForward {
		t.Errorf("agent leg = %+v, want forwarded to and answered by the forward number", c.AgentLeg)
	}
}
