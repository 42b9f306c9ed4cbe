package calls

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// overloaded is the store of a node alone on its database while writes
// time out: the first failures writes of a call's end fail.
type overloaded struct {
	sipsim.CallStore
	failures atomic.Int32
}

func (o *overloaded) UpdateCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent) error {
	if c.Status.Final() && o.failures.Add(-1) >= 0 {
		return sipsim.Errorf(sipsim.EUNAVAILABLE, "Database busy: begin: context deadline exceeded")
	}
	return o.CallStore.UpdateCall(ctx, c, ev)
}

// The end of a call that failed to store is stored once the database can
// be written again: otherwise the call would stay in progress for good,
// and its phone refuse every new call with 409.
func TestEndStoredOnceTheDatabaseRecovers(t *testing.T) {
	tel := &scriptedTelephony{
		steps: []sipsim.ProgressKind{sipsim.ProgressAgentDialing, sipsim.ProgressAgentAnswered,
			sipsim.ProgressTargetDialing, sipsim.ProgressTargetAnswered},
		outcome: sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: sipsim.ReasonTargetHangup, AgentLeg: sipsim.LegCompleted,
			TargetLeg: sipsim.LegCompleted, AgentCode: 200, TargetCode: 200},
		release: make(chan struct{}),
	}
	f := newFixture(t, tel)
	f.register(t)
	store := &overloaded{CallStore: f.db}
	store.failures.Store(3)
	svc := New(Config{Now: f.clock.Now, Phones: f.db, Registrations: f.db, Calls: store, Accounts: f.db, Telephony: tel, AudioFiles: f.db})
	t.Cleanup(func() { svc.Shutdown(stopNow()) })

	c, err := svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	close(tel.release)
	got := waitFinal(t, f.db, c.ID)
	if got.Status != sipsim.CallCompleted || got.EndedReason != sipsim.ReasonTargetHangup {
		t.Errorf("stored end: %s/%s, want completed/target_hangup", got.Status, got.EndedReason)
	}
	if left := store.failures.Load(); left >= 0 {
		t.Fatalf("the end was stored with %d failures still to come: the store was not failing", left+1)
	}
	f.clock.Advance(time.Minute) // past the double-click window
	if _, err := svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"}); err != nil {
		t.Errorf("the next call on the phone: %v", err)
	}
}
