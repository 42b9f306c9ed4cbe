package calls

import (
	"slices"
	"testing"

	"github.com/sipsim/sipsim"
)

// A hang-up asked for a call B dispatched to A, before A took it, ends
// the call there and then, as a call hung up before it rang:
// canceled/canceled_via_api, neither leg dialled, one call.ended. A's
// claim then finds nothing, and nothing rings. Whether B or A is asked.
func TestCancelBeforeTheNodeTakesTheCallEndsItUnrung(t *testing.T) {
	for _, askA := range []bool{false, true} {
		name := "asked of B, which took the request"
		if askA {
			name = "asked of A, the call's node"
		}
		t.Run(name, func(t *testing.T) { testCancelBeforeClaim(t, askA) })
	}
}

func testCancelBeforeClaim(t *testing.T, askA bool) {
	f := newFixture(t, nil)
	store := &relayedCancels{DB: f.db}
	a := f.joinPuppetNode(t, "node_a", store)
	b := f.joinNode(t, "node_b", store)
	f.registerOn(t, "node_a", "sip:101@127.0.0.1:5070", "udp")
	c, err := b.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	asked := b.svc
	if askA {
		asked = a.svc
	}

	got, err := asked.CancelCall(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != sipsim.CallCanceled || got.EndedReason != sipsim.ReasonCanceledViaAPI || got.EndedAt == nil ||
		got.AgentLeg.Status != sipsim.LegIdle || got.TargetLeg.Status != sipsim.LegIdle {
		t.Fatalf("after the cancel: %s/%s, legs %s/%s; want canceled/canceled_via_api, neither leg dialled",
			got.Status, got.EndedReason, got.AgentLeg.Status, got.TargetLeg.Status)
	}
	evs, err := f.db.CallEvents(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, ev := range evs {
		seq = append(seq, ev.Type+"/"+string(ev.Status))
	}
	if want := []string{"call.created/initiating", "call.ended/canceled"}; !slices.Equal(seq, want) {
		t.Fatalf("timeline %v, want %v", seq, want)
	}

	a.svc.claimDispatched(t.Context())
	if !a.idle() {
		t.Fatal("A took a call that was hung up before it claimed it")
	}
	select {
	case id := <-a.tel.placed:
		t.Fatalf("A placed %s", id)
	default:
	}
	again, err := asked.CancelCall(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil || !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatalf("a second cancel: %v, updated %v; want the call unchanged", err, again.UpdatedAt)
	}
}

// A hang-up that reaches A after it claimed the call, while it still
// builds the call's plan, is not lost: the call ends without ringing.
// (B, seeing the call claimed, asks A through the store's notification.)
func TestHangUpWhileADispatchedCallIsPlannedEndsItUnrung(t *testing.T) {
	f := newFixture(t, nil)
	store := &relayedCancels{DB: f.db}
	a := f.joinPuppetNode(t, "node_a", store)
	b := f.joinNode(t, "node_b", store)
	f.registerOn(t, "node_a", "sip:101@127.0.0.1:5070", "udp")
	c, err := b.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := f.db.ClaimDispatchedCalls(t.Context(), "node_a")
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %d calls, %v", len(claimed), err)
	}
	place := a.svc.runDispatched(t.Context(), claimed[0])
	a.svc.HangUpRequested(c.ID) // B's notification, as B's CancelCall sends it
	place()

	got := waitFinal(t, f.db, c.ID)
	if got.Status != sipsim.CallCanceled || got.EndedReason != sipsim.ReasonCanceledViaAPI || got.AgentLeg.Status != sipsim.LegIdle {
		t.Fatalf("call ended %s/%s, agent leg %s; want canceled/canceled_via_api, agent leg idle", got.Status, got.EndedReason, got.AgentLeg.Status)
	}
	select {
	case id := <-a.tel.placed:
		t.Fatalf("A placed %s after it was hung up", id)
	default:
	}
}
