package calls

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// recordingBus keeps what the service publishes.
type recordingBus struct {
	mu     sync.Mutex
	events []*sipsim.CallEvent
}

func (b *recordingBus) Publish(ev *sipsim.CallEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, ev)
}

func (b *recordingBus) Subscribe(int64) (<-chan *sipsim.CallEvent, func()) {
	return nil, func() {}
}

func (b *recordingBus) types() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.events {
		out = append(out, e.Type)
	}
	return out
}

func TestDoubleClickReturnsTheFirstCall(t *testing.T) {
	tel := &scriptedTelephony{
		outcome: sipsim.CallOutcome{Status: sipsim.CallBusy, Reason: sipsim.ReasonAgentBusy, AgentLeg: sipsim.LegBusy, AgentCode: 486},
		release: make(chan struct{}),
	}
	f := newFixture(t, tel)
	f.register(t)
	req := sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"}
	first, err := f.svc.CreateCall(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	close(tel.release) // the first call ends at once (busy)...
	waitFinal(t, f.db, first.ID)
	// ...but a second click inside the window still names it.
	_, err = f.svc.CreateCall(t.Context(), req)
	if sipsim.ErrorCode(err) != sipsim.ECONFLICT || sipsim.ErrorCallID(err) != first.ID {
		t.Fatalf("second click: %v (call_id %q), want 409 naming %s", err, sipsim.ErrorCallID(err), first.ID)
	}
	// Another number is another call.
	other := req
	other.TargetNumber = "+33698765433"
	if _, err := f.svc.CreateCall(t.Context(), other); err != nil {
		t.Fatalf("call to another number: %v", err)
	}
}

func TestBusyNamesTheActiveCall(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.register(t)
	first, err := f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765433"})
	if sipsim.ErrorMessage(err) != "Phone is currently on another call" || sipsim.ErrorCallID(err) != first.ID {
		t.Fatalf("busy: %v (call_id %q)", err, sipsim.ErrorCallID(err))
	}
}

func TestCancelCallHangsUpAndIsIdempotent(t *testing.T) {
	bus := &recordingBus{}
	tel := &scriptedTelephony{steps: []sipsim.ProgressKind{sipsim.ProgressAgentDialing}, release: make(chan struct{})}
	f := newFixture(t, tel)
	f.svc.cfg.Bus = bus
	f.register(t)
	c, err := f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { return len(bus.types()) >= 2 }) // created, ringing_agent
	got, err := f.svc.CancelCall(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Status.Final() || got.EndedReason != sipsim.ReasonCanceledViaAPI {
		t.Fatalf("after cancel: %s/%s", got.Status, got.EndedReason)
	}
	again, err := f.svc.CancelCall(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil || again.Status != got.Status || again.EndedReason != got.EndedReason {
		t.Fatalf("second cancel: %v %+v", err, again)
	}
	if _, err := f.svc.CancelCall(t.Context(), sipsim.DefaultAccountID, "call_nope"); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("unknown call: %v", err)
	}
	if want := []string{sipsim.EventCallCreated, sipsim.EventCallRingingAgent, sipsim.EventCallEnded}; !slices.Equal(bus.types(), want) {
		t.Fatalf("published %v, want %v", bus.types(), want)
	}
	for _, e := range bus.events {
		if e.ID == 0 || e.Call == nil || e.Call.Status != e.Status {
			t.Fatalf("published event without id or matching snapshot: %+v", e)
		}
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
