package calls

import (
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// Metrics read how many calls run and hear how each ended.
func TestActiveAndCallEnded(t *testing.T) {
	tel := &scriptedTelephony{
		steps: []sipsim.ProgressKind{sipsim.ProgressAgentDialing, sipsim.ProgressAgentAnswered, sipsim.ProgressTargetAnswered},
		outcome: sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: sipsim.ReasonTargetHangup, AgentLeg: sipsim.LegCompleted,
			TargetLeg: sipsim.LegCompleted, AgentCode: 200, TargetCode: 200},
		release: make(chan struct{}),
	}
	f := newFixture(t, tel)
	f.register(t)
	var (
		mu    sync.Mutex
		ended []string
	)
	svc := New(Config{Now: f.clock.Now, Phones: f.db, Registrations: f.db, Calls: f.db, Accounts: f.db, Telephony: tel, AudioFiles: f.db,
		CallEnded: func(status sipsim.CallStatus, reason sipsim.EndReason) {
			mu.Lock()
			ended = append(ended, string(status)+"/"+string(reason))
			mu.Unlock()
		}})
	t.Cleanup(func() { svc.Shutdown(stopNow()) })

	if n := svc.Active(); n != 0 {
		t.Fatalf("Active before any call = %d, want 0", n)
	}
	c, err := svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	if n := svc.Active(); n != 1 {
		t.Errorf("Active while the call runs = %d, want 1", n)
	}
	close(tel.release)
	waitFinal(t, f.db, c.ID)
	deadline := time.Now().Add(10 * time.Second)
	for svc.Active() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := svc.Active(); n != 0 {
		t.Errorf("Active after the call ended = %d, want 0", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ended) != 1 || ended[0] != "completed/target_hangup" {
		t.Errorf("CallEnded heard %v, want [completed/target_hangup]", ended)
	}
}
