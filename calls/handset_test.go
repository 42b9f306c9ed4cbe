package calls

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func TestHandsetCallsAreRoutedAndRecorded(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.register(t)
	f.phone.RecordSetting.RecordOutboundCall = true
	outbound := "+33987654321"
	f.phone.OutboundSetting.OutboundNumber = &outbound
	if err := f.db.UpdatePhone(t.Context(), f.phone); err != nil {
		t.Fatal(err)
	}
	bob := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Bob", Status: sipsim.PhoneActive, InternalNumber: 102, Number: "+33612345679"}
	carol := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Carol", Status: sipsim.PhoneActive, InternalNumber: 103, Number: "+33612345670"}
	for _, p := range []*sipsim.Phone{bob, carol} {
		if err := f.db.CreatePhone(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	err := f.db.SaveRegistration(t.Context(), &sipsim.Registration{AccountID: sipsim.DefaultAccountID, PhoneID: bob.ID,
		Contact: "sip:102@127.0.0.1:5072", Received: "127.0.0.1:5072", Transport: "udp", ExpiresAt: f.now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	dial := func(number string) (*sipsim.HandsetCall, error) {
		return f.svc.StartHandsetCall(t.Context(), sipsim.HandsetDial{Phone: f.phone, Dialled: number, Contact: "sip:101@127.0.0.1:5070"})
	}
	// hangUp ends a started call as the engine would, so the phone is free.
	hangUp := func(hc *sipsim.HandsetCall) *sipsim.Call {
		hc.Finish(sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: sipsim.ReasonAgentHangup, AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegCompleted})
		return waitFinal(t, f.db, hc.Call.ID)
	}

	for _, number := range []string{"+33698765432", "0033698765432"} {
		hc, err := dial(number)
		if err != nil {
			t.Fatalf("dial %s: %v", number, err)
		}
		c, p := hc.Call, hc.Plan
		if c.Source != sipsim.SourceHandset || c.Direction != sipsim.DirectionOutbound || c.TargetNumber != "+33698765432" || c.CallerID != outbound {
			t.Errorf("dial %s: call %+v, want a handset outbound call to +33698765432 under %s", number, c, outbound)
		}
		if !p.Record || p.Callee != nil || p.TargetNumber != "+33698765432" || p.CallerID != outbound {
			t.Errorf("dial %s: plan %+v, want the trunk, recorded, caller ID %s", number, p, outbound)
		}
		// The phone is busy for click-to-call while it is on the call.
		_, err = f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765499"})
		if sipsim.ErrorCode(err) != sipsim.ECONFLICT || sipsim.ErrorCallID(err) != c.ID {
			t.Errorf("click-to-call during a handset call: %v, want ECONFLICT naming %s", err, c.ID)
		}
		if _, err := dial("+33698765498"); sipsim.ErrorCode(err) != sipsim.ECONFLICT {
			t.Errorf("second handset call: %v, want ECONFLICT", err)
		}
		hangUp(hc)
	}

	hc, err := dial("102")
	if err != nil {
		t.Fatal(err)
	}
	if c := hc.Call; c.Direction != sipsim.DirectionInternal || c.TargetNumber != "102" || c.CallerID != "101" {
		t.Errorf("internal call %+v, want 101 → 102", c)
	}
	if p := hc.Plan; p.Callee == nil || p.Callee.ID != bob.ID || len(p.CalleeContacts) != 1 || p.Record {
		t.Errorf("internal plan %+v, want Bob's one contact, not recorded", p)
	}
	hangUp(hc)

	for _, tc := range []struct {
		number, code string
	}{
		{"101", sipsim.EINVALID},        // itself
		{"999", sipsim.ENOTFOUND},       // nobody
		{"103", sipsim.EUNPROCESSABLE},  // Carol has nothing registered
		{"hello", sipsim.EINVALID},      // not a number
		{"0698765432", sipsim.EINVALID}, // national: not routable without a country
	} {
		if _, err := dial(tc.number); sipsim.ErrorCode(err) != tc.code {
			t.Errorf("dial %q: %v, want %s", tc.number, err, tc.code)
		}
	}
}
