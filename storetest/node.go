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

	// A call that moved node and was claimed keeps both through UpdateCall.
	c.NodeID, c.Dispatch.Claimed = "node_c", true
	must(t, e.s.UpdateCall(e.ctx, c, nil))
	got, err = e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "updated call", got, c)
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
