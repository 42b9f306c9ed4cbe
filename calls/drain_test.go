package calls

import (
	"context"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// B dispatches a call to A, then A starts to drain before it took the
// call. The call was accepted (201): A tells the others at once that it
// drains, still takes the call and runs it within its drain, and stops
// only once it has ended, with its own end, not node_lost.
func TestDrainingNodeRunsTheCallsDispatchedBeforeItDrained(t *testing.T) {
	f := newFixture(t, nil)
	store := &relayedCancels{DB: f.db}
	a := f.joinPuppetNode(t, "node_a", store)
	b := f.joinNode(t, "node_b", store)
	f.registerOn(t, "node_a", "sip:101@127.0.0.1:5070", "udp")
	c, err := b.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeID != "node_a" {
		t.Fatalf("call stored for %q, want node_a", c.NodeID)
	}

	drain, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- a.svc.Shutdown(drain) }()

	select {
	case id := <-a.tel.placed:
		if id != c.ID {
			t.Fatalf("A placed %s, want %s", id, c.ID)
		}
	case err := <-stopped:
		t.Fatalf("A stopped (%v) without running the call dispatched to it", err)
	case <-time.After(10 * time.Second):
		t.Fatal("A never ran the call dispatched to it")
	}
	n, err := f.db.Node(t.Context(), "node_a")
	if err != nil {
		t.Fatal(err)
	}
	if !n.Draining {
		t.Fatal("A's row does not say it drains: other nodes would go on dispatching to it")
	}
	select {
	case err := <-stopped:
		t.Fatalf("A stopped (%v) while its call was running", err)
	default:
	}

	a.tel.release <- sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: sipsim.ReasonTargetHangup,
		AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegCompleted, AgentCode: 200, TargetCode: 200}
	if err := <-stopped; err != nil {
		t.Fatalf("Shutdown once the call ended: %v", err)
	}
	got := f.stored(t, c.ID)
	if got.Status != sipsim.CallCompleted || got.EndedReason != sipsim.ReasonTargetHangup {
		t.Fatalf("call ended %s/%s, want its own end, completed/target_hangup", got.Status, got.EndedReason)
	}
	if n := f.endedEvents(t, c.ID); n != 1 {
		t.Fatalf("%d call.ended events, want 1", n)
	}
}

// Once drained, a node claims nothing more: a call dispatched to it then
// is left to the others (node_lost once it has left).
func TestDrainedNodeClaimsNothing(t *testing.T) {
	f := newFixture(t, nil)
	store := &relayedCancels{DB: f.db}
	a := f.joinPuppetNode(t, "node_a", store)
	if err := a.svc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := f.joinNode(t, "node_b", store)
	f.registerOn(t, "node_b", "sip:101@127.0.0.1:5070", "udp")
	c := dispatchTo(t, f, b, "node_a")

	a.svc.claimDispatched(t.Context())
	if !a.idle() {
		t.Fatal("a drained node took a call")
	}
	if got := f.stored(t, c.ID); got.Dispatch == nil || got.Dispatch.Claimed {
		t.Fatalf("call dispatch %+v, want still pending", got.Dispatch)
	}
}

// dispatchTo stores a call for node, as node from would if the phone were
// registered there.
func dispatchTo(t *testing.T, f *fixture, from *clusterNode, node string) *sipsim.Call {
	t.Helper()
	now := f.clock.Now()
	c := &sipsim.Call{ID: NewCallID(), AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432",
		CallerID: f.phone.Number, Direction: "outbound", Source: "api", Status: sipsim.CallInitiating,
		AgentLeg: sipsim.Leg{Status: sipsim.LegIdle}, TargetLeg: sipsim.Leg{Status: sipsim.LegIdle},
		CreatedAt: now, UpdatedAt: now, NodeID: node, Dispatch: &sipsim.CallDispatch{}}
	ev := &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: sipsim.EventCallCreated, Status: c.Status, At: now}
	if err := from.svc.cfg.Calls.CreateCall(t.Context(), c, ev, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}
	return c
}
