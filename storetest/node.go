package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testNodes(t *testing.T, open OpenFunc) {
	t.Run("Heartbeat", func(t *testing.T) { testNodeHeartbeat(t, open) })
	t.Run("CallNodeAndDispatchRoundTrip", func(t *testing.T) { testCallNodeRoundTrip(t, open) })
	t.Run("OrphanedCalls", func(t *testing.T) { testOrphanedCalls(t, open) })
	t.Run("EndOrphanedCallOnce", func(t *testing.T) { testEndOrphanedCallOnce(t, open) })
	t.Run("EndOrphanedCallRefused", func(t *testing.T) { testEndOrphanedCallRefused(t, open) })
	t.Run("ClaimDispatchedCallsOnce", func(t *testing.T) { testClaimDispatchedCallsOnce(t, open) })
	t.Run("EndUnclaimedCall", func(t *testing.T) { testEndUnclaimedCall(t, open) })
	t.Run("EndUnclaimedCallOrClaimOnce", func(t *testing.T) { testEndUnclaimedCallOrClaimOnce(t, open) })
}

// lease is the suite's node lease: a node is dead once its heartbeat is
// this old.
const lease = 15 * time.Second

func heartbeat(t *testing.T, e *env, id string) *sipsim.Node {
	t.Helper()
	n := &sipsim.Node{ID: id, Name: "host-" + id, SIPAddr: "192.0.2.10:5060", StartedAt: e.clock.Now()}
	must(t, e.s.Heartbeat(e.ctx, n))
	return n
}

func testNodeHeartbeat(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	_, err := e.s.Node(e.ctx, "node_unknown")
	wantCode(t, err, sipsim.ENOTFOUND, "")

	started := e.clock.Now()
	n := heartbeat(t, e, "node_a")
	if !n.HeartbeatAt.Equal(started) || !n.StartedAt.Equal(started) {
		t.Fatalf("first heartbeat: StartedAt %s, HeartbeatAt %s; want both the clock's %s", n.StartedAt, n.HeartbeatAt, started)
	}
	got, err := e.s.Node(e.ctx, "node_a")
	must(t, err)
	wantEqual(t, "Node", got, n)
	if !got.Live(e.clock.Now(), lease) {
		t.Fatal("a node that just heartbeat is not live")
	}

	// A later heartbeat keeps the start, moves the heartbeat, and says
	// the node drains.
	e.clock.Advance(5 * time.Second)
	again := &sipsim.Node{ID: "node_a", Name: "renamed", SIPAddr: "192.0.2.10:5060", StartedAt: e.clock.Now(), Draining: true}
	must(t, e.s.Heartbeat(e.ctx, again))
	want := &sipsim.Node{ID: "node_a", Name: "renamed", SIPAddr: "192.0.2.10:5060", StartedAt: started, HeartbeatAt: e.clock.Now(), Draining: true}
	wantEqual(t, "Heartbeat's node", again, want)
	got, err = e.s.Node(e.ctx, "node_a")
	must(t, err)
	wantEqual(t, "Node after a second heartbeat", got, want)

	e.clock.Advance(lease)
	if got.Live(e.clock.Now(), lease) {
		t.Fatal("a node silent for a whole lease is still live")
	}

	must(t, e.s.RemoveNode(e.ctx, "node_a"))
	must(t, e.s.RemoveNode(e.ctx, "node_a"))
	_, err = e.s.Node(e.ctx, "node_a")
	wantCode(t, err, sipsim.ENOTFOUND, "")
}

// dispatched is a new call created for node to run.
func dispatched(id string, phoneID int64, node string) *sipsim.Call {
	c := newCall(id, phoneID)
	c.NodeID = node
	c.Dispatch = &sipsim.CallDispatch{CallerIDName: "ACME Sales", AutoAnswer: true, AgentRingTimeout: 12500 * time.Millisecond}
	return c
}

func testCallNodeRoundTrip(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := dispatched("call_dispatched", p.ID, "node_b")
	ev := event(c, sipsim.EventCallCreated, e.clock.Now())
	must(t, e.s.CreateCall(e.ctx, c, ev, sipsim.CallLimits{}))
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "dispatched call", got, c)
	if ev.Call.NodeID != "node_b" || ev.Call.Dispatch == nil || ev.Call.Dispatch.Claimed {
		t.Fatalf("call.created snapshot: node %q, dispatch %+v; want node_b, pending", ev.Call.NodeID, ev.Call.Dispatch)
	}

	// A claimed call keeps its node and dispatch through UpdateCall.
	c.Dispatch.Claimed = true
	must(t, e.s.UpdateCall(e.ctx, c, nil))
	got, err = e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "updated call", got, c)

	// The node is the call's fence: UpdateCall does not move a call to
	// another node, it refuses the write.
	moved := *c
	moved.NodeID = "node_c"
	wantCode(t, e.s.UpdateCall(e.ctx, &moved, nil), sipsim.ECONFLICT, "")
	got, err = e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "call after a write from another node", got, c)
}

func testOrphanedCalls(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	heartbeat(t, e, "node_dead")
	heartbeat(t, e, "node_gone")
	must(t, e.s.RemoveNode(e.ctx, "node_gone"))
	e.clock.Advance(lease + time.Second)
	heartbeat(t, e, "node_live")
	staleBefore := e.clock.Now().Add(-lease)

	create := func(n int, node string, final bool) *sipsim.Call {
		p := phoneOnEnv(t, e, n)
		c := newCall(fmt.Sprintf("call_%d_%s", n, node), p.ID)
		c.NodeID = node
		must(t, e.s.CreateCall(e.ctx, c, nil, sipsim.CallLimits{}))
		if final {
			finish(c, sipsim.CallCompleted, sipsim.ReasonAgentHangup, e.clock.Now())
			must(t, e.s.UpdateCall(e.ctx, c, nil))
		}
		e.clock.Advance(time.Millisecond)
		return c
	}
	onDead := create(1, "node_dead", false)
	create(2, "node_live", false)
	create(3, "node_dead", true) // over: nothing to close
	onGone := create(4, "node_gone", false)
	unknown := create(5, "", false) // older than nodes

	got, err := e.s.OrphanedCalls(e.ctx, staleBefore)
	must(t, err)
	wantEqual(t, "OrphanedCalls", got, []*sipsim.Call{onDead, onGone, unknown})

	// A heartbeat after staleBefore brings the node's calls back.
	heartbeat(t, e, "node_dead")
	got, err = e.s.OrphanedCalls(e.ctx, staleBefore)
	must(t, err)
	wantEqual(t, "OrphanedCalls once node_dead is back", got, []*sipsim.Call{onGone, unknown})
}

// lost returns a copy of c closed as a sweeper closes it, with its event.
func lost(c *sipsim.Call, at time.Time) (*sipsim.Call, *sipsim.CallEvent) {
	cp := *c
	finish(&cp, sipsim.CallFailed, sipsim.ReasonNodeLost, at)
	return &cp, event(&cp, sipsim.EventCallEnded, at)
}

// Sweepers on several nodes find the same orphaned call at once: exactly
// one closes it, with one call.ended; the others are told it is taken.
func testEndOrphanedCallOnce(t *testing.T, open OpenFunc) {
	const n = 20
	e := newEnv(t, open)
	heartbeat(t, e, "node_dead")
	p := phoneOnEnv(t, e, 1)
	c := newCall("call_orphan", p.ID)
	c.NodeID = "node_dead"
	must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
	now := e.clock.Advance(lease + time.Second)
	staleBefore := now.Add(-lease)

	errs := make([]error, n)
	closed := make([]*sipsim.Call, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			cp, ev := lost(c, now)
			closed[i] = cp
			errs[i] = e.s.EndOrphanedCall(e.ctx, cp, ev, staleBefore)
		})
	}
	close(start)
	wg.Wait()
	var winner *sipsim.Call
	for i, err := range errs {
		switch sipsim.ErrorCode(err) {
		case "":
			if winner != nil {
				t.Fatalf("sweepers %d and another both closed the call", i)
			}
			winner = closed[i]
		case sipsim.ECONFLICT:
		default:
			t.Fatalf("sweeper %d: unexpected error %v", i, err)
		}
	}
	if winner == nil {
		t.Fatal("no sweeper closed the call")
	}
	if winner.NodeID != "" {
		t.Fatalf("closed call on node %q, want none: its node is fenced off", winner.NodeID)
	}
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "closed call", got, winner)
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	types := make([]string, len(events))
	for i, ev := range events {
		types[i] = ev.Type
	}
	if !slices.Equal(types, []string{sipsim.EventCallCreated, sipsim.EventCallEnded}) {
		t.Fatalf("events %v, want call.created then one call.ended", types)
	}
	orphans, err := e.s.OrphanedCalls(e.ctx, staleBefore)
	must(t, err)
	if len(orphans) != 0 {
		t.Fatalf("%d orphaned calls left, want none", len(orphans))
	}
	// The phone is free.
	next := newCall("call_next", p.ID)
	must(t, e.s.CreateCall(e.ctx, next, nil, sipsim.CallLimits{}))
}

// A call whose node came back, or that moved to another node, is not
// closed; an unknown call is not found.
func testEndOrphanedCallRefused(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	heartbeat(t, e, "node_a")
	p := phoneOnEnv(t, e, 1)
	c := newCall("call_a", p.ID)
	c.NodeID = "node_a"
	must(t, e.s.CreateCall(e.ctx, c, nil, sipsim.CallLimits{}))
	staleBefore := e.clock.Advance(lease + time.Second).Add(-lease)

	heartbeat(t, e, "node_a") // back before the sweeper wrote
	cp, ev := lost(c, e.clock.Now())
	wantCode(t, e.s.EndOrphanedCall(e.ctx, cp, ev, staleBefore), sipsim.ECONFLICT, "")

	staleBefore = e.clock.Advance(lease + time.Second).Add(-lease)
	cp, ev = lost(c, e.clock.Now())
	cp.NodeID = "node_b" // the sweeper read another node than the stored one
	wantCode(t, e.s.EndOrphanedCall(e.ctx, cp, ev, staleBefore), sipsim.ECONFLICT, "")

	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "call refused to the sweeper", got, c)

	missing, ev := lost(newCall("call_missing", p.ID), e.clock.Now())
	missing.NodeID = "node_a"
	wantCode(t, e.s.EndOrphanedCall(e.ctx, missing, ev, staleBefore), sipsim.ENOTFOUND, "")
}

// A node's claims (on a notification and on its poll, at once) take each
// call dispatched to it once; calls of other nodes, calls run where they
// were created and calls that ended are not taken.
func testClaimDispatchedCallsOnce(t *testing.T, open OpenFunc) {
	const claimers = 10
	e := newEnv(t, open)
	var want []*sipsim.Call
	for i := range 3 {
		p := phoneOnEnv(t, e, i+1)
		c := dispatched(fmt.Sprintf("call_for_a_%d", i), p.ID, "node_a")
		must(t, e.s.CreateCall(e.ctx, c, nil, sipsim.CallLimits{}))
		c.Dispatch.Claimed = true
		want = append(want, c)
		e.clock.Advance(time.Millisecond)
	}
	other := dispatched("call_for_b", phoneOnEnv(t, e, 4).ID, "node_b")
	must(t, e.s.CreateCall(e.ctx, other, nil, sipsim.CallLimits{}))
	local := newCall("call_local_a", phoneOnEnv(t, e, 5).ID)
	local.NodeID = "node_a"
	must(t, e.s.CreateCall(e.ctx, local, nil, sipsim.CallLimits{}))
	ended := dispatched("call_ended_a", phoneOnEnv(t, e, 6).ID, "node_a")
	must(t, e.s.CreateCall(e.ctx, ended, nil, sipsim.CallLimits{}))
	finish(ended, sipsim.CallFailed, sipsim.ReasonNodeLost, e.clock.Now())
	must(t, e.s.UpdateCall(e.ctx, ended, nil))

	results := make([][]*sipsim.Call, claimers)
	errs := make([]error, claimers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range claimers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = e.s.ClaimDispatchedCalls(e.ctx, "node_a")
		})
	}
	close(start)
	wg.Wait()
	var got []*sipsim.Call
	for i, err := range errs {
		must(t, err)
		got = append(got, results[i]...)
	}
	slices.SortFunc(got, func(a, b *sipsim.Call) int { return a.CreatedAt.Compare(b.CreatedAt) })
	wantEqual(t, "calls claimed by node_a", got, want)

	again, err := e.s.ClaimDispatchedCalls(e.ctx, "node_a")
	must(t, err)
	if len(again) != 0 {
		t.Fatalf("a second claim took %d calls, want none", len(again))
	}
	stored, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, want[0].ID)
	must(t, err)
	wantEqual(t, "claimed call as stored", stored, want[0])
	forB, err := e.s.ClaimDispatchedCalls(e.ctx, "node_b")
	must(t, err)
	other.Dispatch.Claimed = true
	wantEqual(t, "calls claimed by node_b", forB, []*sipsim.Call{other})
}

// hungUpUnclaimed returns a copy of c ended as a hang-up asked before its
// node claimed it, with its event.
func hungUpUnclaimed(c *sipsim.Call, at time.Time) (*sipsim.Call, *sipsim.CallEvent) {
	cp := *c
	finish(&cp, sipsim.CallCanceled, sipsim.ReasonCanceledViaAPI, at)
	return &cp, event(&cp, sipsim.EventCallEnded, at)
}

// A call hung up before the node it was dispatched to claimed it ends
// there and then, with one call.ended, and the node's claim finds nothing
// to run. Once claimed, or for a call its creator runs, the store refuses:
// the node running it must hang it up.
func testEndUnclaimedCall(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := dispatched("call_unclaimed", p.ID, "node_a")
	must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))

	ended, ev := hungUpUnclaimed(c, e.clock.Advance(time.Second))
	must(t, e.s.EndUnclaimedCall(e.ctx, ended, ev))
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "call hung up before its claim", got, ended)
	if ev.Call == nil || ev.Call.Status != sipsim.CallCanceled {
		t.Fatalf("call.ended snapshot %+v, want the canceled call", ev.Call)
	}
	claimed, err := e.s.ClaimDispatchedCalls(e.ctx, "node_a")
	must(t, err)
	if len(claimed) != 0 {
		t.Fatalf("node_a claimed %d calls after the hang-up, want none", len(claimed))
	}
	again, ev := hungUpUnclaimed(c, e.clock.Now())
	wantCode(t, e.s.EndUnclaimedCall(e.ctx, again, ev), sipsim.ECONFLICT, "")
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	if len(events) != 2 || events[1].Type != sipsim.EventCallEnded {
		t.Fatalf("%d events, want call.created and one call.ended", len(events))
	}

	// Claimed first: refused, the call runs on.
	taken := dispatched("call_taken", phoneOnEnv(t, e, 2).ID, "node_a")
	must(t, e.s.CreateCall(e.ctx, taken, nil, sipsim.CallLimits{}))
	claimed, err = e.s.ClaimDispatchedCalls(e.ctx, "node_a")
	must(t, err)
	if len(claimed) != 1 {
		t.Fatalf("node_a claimed %d calls, want call_taken", len(claimed))
	}
	late, ev := hungUpUnclaimed(taken, e.clock.Now())
	wantCode(t, e.s.EndUnclaimedCall(e.ctx, late, ev), sipsim.ECONFLICT, "")
	got, err = e.s.Call(e.ctx, sipsim.DefaultAccountID, taken.ID)
	must(t, err)
	wantEqual(t, "claimed call", got, claimed[0])

	// Run where it was created, or read for another node: refused.
	local := newCall("call_local", phoneOnEnv(t, e, 3).ID)
	must(t, e.s.CreateCall(e.ctx, local, nil, sipsim.CallLimits{}))
	cp, ev := hungUpUnclaimed(local, e.clock.Now())
	wantCode(t, e.s.EndUnclaimedCall(e.ctx, cp, ev), sipsim.ECONFLICT, "")
	other := dispatched("call_other", phoneOnEnv(t, e, 4).ID, "node_a")
	must(t, e.s.CreateCall(e.ctx, other, nil, sipsim.CallLimits{}))
	cp, ev = hungUpUnclaimed(other, e.clock.Now())
	cp.NodeID = "node_b"
	wantCode(t, e.s.EndUnclaimedCall(e.ctx, cp, ev), sipsim.ECONFLICT, "")

	missing, ev := hungUpUnclaimed(dispatched("call_missing", p.ID, "node_a"), e.clock.Now())
	wantCode(t, e.s.EndUnclaimedCall(e.ctx, missing, ev), sipsim.ENOTFOUND, "")
}

// A hang-up and the node's claim at once: either the call ends unclaimed
// and the claim gets nothing, or the claim gets it and the hang-up is
// refused; never both, never neither.
func testEndUnclaimedCallOrClaimOnce(t *testing.T, open OpenFunc) {
	const rounds = 10
	e := newEnv(t, open)
	for i := range rounds {
		c := dispatched(fmt.Sprintf("call_race_%d", i), phoneOnEnv(t, e, i+1).ID, "node_a")
		must(t, e.s.CreateCall(e.ctx, c, nil, sipsim.CallLimits{}))
		var (
			claimed  []*sipsim.Call
			claimErr error
			endErr   error
			wg       sync.WaitGroup
		)
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			claimed, claimErr = e.s.ClaimDispatchedCalls(e.ctx, "node_a")
		})
		wg.Go(func() {
			<-start
			cp, ev := hungUpUnclaimed(c, e.clock.Now())
			endErr = e.s.EndUnclaimedCall(e.ctx, cp, ev)
		})
		close(start)
		wg.Wait()
		must(t, claimErr)
		got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
		must(t, err)
		switch code := sipsim.ErrorCode(endErr); {
		case code == "" && len(claimed) == 0:
			if got.Status != sipsim.CallCanceled {
				t.Fatalf("round %d: hung up first, stored %s", i, got.Status)
			}
		case code == sipsim.ECONFLICT && len(claimed) == 1:
			if got.Status != sipsim.CallInitiating || !got.Dispatch.Claimed {
				t.Fatalf("round %d: claimed first, stored %s claimed=%v", i, got.Status, got.Dispatch.Claimed)
			}
		default:
			t.Fatalf("round %d: hang-up %v and %d calls claimed: want exactly one to win", i, endErr, len(claimed))
		}
	}
}
