package calls

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func TestCallerIDRulesAndRequestOptions(t *testing.T) {
	tel := &scriptedTelephony{release: make(chan struct{})}
	f := newFixture(t, tel)
	f.register(t)
	main := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Switchboard", Status: sipsim.PhoneActive, InternalNumber: 200, Number: "+33187654321"}
	if err := f.db.CreatePhone(t.Context(), main); err != nil {
		t.Fatal(err)
	}
	outbound := "+33987654321"
	place := func(target string, setting sipsim.OutboundSetting, req sipsim.CreateCallRequest) sipsim.CallPlan {
		t.Helper()
		f.phone.OutboundSetting = setting
		if err := f.db.UpdatePhone(t.Context(), f.phone); err != nil {
			t.Fatal(err)
		}
		req.AccountID, req.PhoneID, req.TargetNumber = sipsim.DefaultAccountID, f.phone.ID, target
		c, err := f.svc.CreateCall(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CancelCall(t.Context(), sipsim.DefaultAccountID, c.ID); err != nil {
			t.Fatal(err)
		}
		tel.mu.Lock()
		defer tel.mu.Unlock()
		return tel.plans[len(tel.plans)-1]
	}

	if p := place("+33698765401", sipsim.OutboundSetting{}, sipsim.CreateCallRequest{}); p.CallerID != "+33612345678" {
		t.Errorf("default caller ID = %s, want the phone's number", p.CallerID)
	}
	if p := place("+33698765402", sipsim.OutboundSetting{OutboundNumber: &outbound}, sipsim.CreateCallRequest{}); p.CallerID != outbound {
		t.Errorf("caller ID with outbound_number = %s, want %s", p.CallerID, outbound)
	}
	borrow := sipsim.OutboundSetting{UseDifferentOutboundNumber: true, OutboundNumberPhoneID: &main.ID}
	p := place("+33698765403", borrow, sipsim.CreateCallRequest{AgentRingTimeout: 12 * time.Second, AutoAnswer: true, CallerIDName: "ACME: Jane"})
	if p.CallerID != main.Number {
		t.Errorf("caller ID with use_different_outbound_number = %s, want phone %d's %s", p.CallerID, main.ID, main.Number)
	}
	if p.AgentRingTimeout != 12*time.Second || !p.AutoAnswer || p.CallerIDName != "ACME: Jane" {
		t.Errorf("request options not passed on: %+v", p)
	}
	// The borrowed phone was deleted since: the call still goes out, under
	// the phone's own number, never an empty caller ID.
	if err := f.db.DeletePhone(t.Context(), sipsim.DefaultAccountID, main.ID); err != nil {
		t.Fatal(err)
	}
	if p := place("+33698765404", borrow, sipsim.CreateCallRequest{}); p.CallerID != "+33612345678" || p.AgentRingTimeout != 30*time.Second {
		t.Errorf("after the borrowed phone was deleted: caller ID %s, ring %v", p.CallerID, p.AgentRingTimeout)
	}
}
