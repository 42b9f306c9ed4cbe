package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// Node A listens; node B stores a call dispatched to A, one dispatched to
// another node, and asks for a hang-up. A is woken for its own call only
// (besides once when it starts listening), and hears the hang-up.
func TestListenClusterWakesTheNodeACallIsDispatchedTo(t *testing.T) {
	nodes := openNodes(t, 2, fixedClock())
	a, b := nodes[0], nodes[1]
	woken := make(chan struct{}, 10)
	cancels := make(chan string, 10)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.ListenCluster(ctx, "node_a", ClusterSignals{
			Dispatched: func() { woken <- struct{}{} },
			Cancel:     func(id string) { cancels <- id },
		})
	}()
	t.Cleanup(func() {
		stop()
		<-done
	})
	receive(t, woken, "the wake-up on connecting")

	create := func(id, node string, n int) {
		c := initiating(id, phoneOf(t, b, n).ID)
		c.NodeID, c.Dispatch = node, &sipsim.CallDispatch{}
		if err := b.CreateCall(t.Context(), c, nil, sipsim.CallLimits{}); err != nil {
			t.Fatal(err)
		}
	}
	create("call_for_c", "node_c", 1)
	create("call_for_a", "node_a", 2)
	receive(t, woken, "the wake-up for call_for_a")
	claimed, err := a.ClaimDispatchedCalls(t.Context(), "node_a")
	if err != nil || len(claimed) != 1 || claimed[0].ID != "call_for_a" {
		t.Fatalf("node A claimed %v (%v), want call_for_a", claimed, err)
	}

	if err := b.RequestCancel(t.Context(), "call_for_a"); err != nil {
		t.Fatal(err)
	}
	if id := receive(t, cancels, "the hang-up"); id != "call_for_a" {
		t.Fatalf("hang-up asked for %q, want call_for_a", id)
	}
	// Notifications arrive in commit order and are handled one at a
	// time: node_c's was handled before the hang-up.
	if n := len(woken); n != 0 {
		t.Fatalf("node A was woken %d more times: for node_c's call", n)
	}
}

// receive waits for a value on ch, failing t after 10 s.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("waited 10 s for %s", what)
		var zero T
		return zero
	}
}
