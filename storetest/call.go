package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testCalls(t *testing.T, open OpenFunc) {
	t.Run("CreateRoundTrip", func(t *testing.T) { testCreateCallRoundTrip(t, open) })
	t.Run("NotFound", func(t *testing.T) { testCallNotFound(t, open) })
	t.Run("OneActiveCallPerPhone", func(t *testing.T) { testOneActiveCallPerPhone(t, open) })
	t.Run("FinalStatusFreesPhone", func(t *testing.T) { testFinalStatusFreesPhone(t, open) })
	t.Run("ConcurrentCreate", func(t *testing.T) { testConcurrentCreateCall(t, open) })
	t.Run("Update", func(t *testing.T) { testUpdateCall(t, open) })
	t.Run("UpdateNotFound", func(t *testing.T) { testUpdateCallNotFound(t, open) })
	t.Run("UpdateFencedAfterNodeLost", func(t *testing.T) { testUpdateCallFencedAfterNodeLost(t, open) })
	t.Run("EventIDsGrow", func(t *testing.T) { testEventIDsGrow(t, open) })
	t.Run("ActiveCalls", func(t *testing.T) { testActiveCalls(t, open) })
}

// phoneOnEnv creates the n-th phone of e.
func phoneOnEnv(t *testing.T, e *env, n int) *sipsim.Phone {
	t.Helper()
	p := fullPhone(n)
	must(t, e.s.CreatePhone(e.ctx, p))
	return p
}

func testCreateCallRoundTrip(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := newCall("call_roundtrip", p.ID)
	ev := event(c, sipsim.EventCallCreated, e.clock.Now())
	must(t, e.s.CreateCall(e.ctx, c, ev, sipsim.CallLimits{}))

	now := e.clock.Now()
	if !c.CreatedAt.Equal(now) || !c.UpdatedAt.Equal(now) {
		t.Fatalf("CreatedAt, UpdatedAt = %s, %s; want both %s", c.CreatedAt, c.UpdatedAt, now)
	}
	if ev.ID <= 0 {
		t.Fatalf("event ID = %d, want a positive id", ev.ID)
	}
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "Call", got, c)
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "CallEvents", events, []*sipsim.CallEvent{ev})
}

func testCallNotFound(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := newCall("call_known", p.ID)
	must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))

	for _, tt := range []struct {
		name    string
		account int64
		id      string
	}{
		{"unknown id", sipsim.DefaultAccountID, "call_unknown"},
		{"other account", sipsim.DefaultAccountID + 1, c.ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.Call(e.ctx, tt.account, tt.id)
			wantCode(t, err, sipsim.ENOTFOUND, "Call not found")
			events, err := e.s.CallEvents(e.ctx, tt.account, tt.id)
			must(t, err)
			if len(events) != 0 {
				t.Fatalf("CallEvents = %d events, want none", len(events))
			}
		})
	}
}

// testOneActiveCallPerPhone checks that a call in any active status blocks
// a second call for its phone, and only for its phone.
func testOneActiveCallPerPhone(t *testing.T, open OpenFunc) {
	for _, status := range sipsim.ActiveCallStatuses {
		t.Run(string(status), func(t *testing.T) {
			e := newEnv(t, open)
			p, other := phoneOnEnv(t, e, 1), phoneOnEnv(t, e, 2)
			c := newCall("call_first", p.ID)
			must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
			if status != c.Status {
				c.Status = status
				must(t, e.s.UpdateCall(e.ctx, c, nil))
			}

			second := newCall("call_second", p.ID)
			ev := event(second, sipsim.EventCallCreated, e.clock.Now())
			wantCode(t, e.s.CreateCall(e.ctx, second, ev, sipsim.CallLimits{}), sipsim.ECONFLICT, "Phone is currently on another call")
			_, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, second.ID)
			wantCode(t, err, sipsim.ENOTFOUND, "")
			events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, second.ID)
			must(t, err)
			if len(events) != 0 {
				t.Fatalf("refused call left %d events", len(events))
			}

			third := newCall("call_other_phone", other.ID)
			must(t, e.s.CreateCall(e.ctx, third, event(third, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
		})
	}
}

// testFinalStatusFreesPhone checks that every final status lets the phone
// take a new call.
func testFinalStatusFreesPhone(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	finals := []struct {
		status sipsim.CallStatus
		reason sipsim.EndReason
	}{
		{sipsim.CallCompleted, sipsim.ReasonTargetHangup},
		{sipsim.CallBusy, sipsim.ReasonTargetBusy},
		{sipsim.CallNoAnswer, sipsim.ReasonAgentNoAnswer},
		{sipsim.CallFailed, sipsim.ReasonTrunkRejected},
		{sipsim.CallCanceled, sipsim.ReasonCanceledViaAPI},
	}
	for i, f := range finals {
		c := newCall(fmt.Sprintf("call_%d", i), p.ID)
		must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
		finish(c, f.status, f.reason, e.clock.Advance(time.Second))
		must(t, e.s.UpdateCall(e.ctx, c, event(c, sipsim.EventCallEnded, e.clock.Now())))
		got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
		must(t, err)
		wantEqual(t, string(f.status)+" call", got, c)
	}
	c := newCall("call_last", p.ID)
	must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
}

// testConcurrentCreateCall is the rule that matters in production: many
// simultaneous requests for one phone start exactly one call, and the
// others are told the phone is busy, never a storage error.
func testConcurrentCreateCall(t *testing.T, open OpenFunc) {
	const n = 50
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)

	errs := make([]error, n)
	calls := make([]*sipsim.Call, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		calls[i] = newCall(fmt.Sprintf("call_concurrent_%02d", i), p.ID)
		wg.Go(func() {
			<-start
			c := calls[i]
			errs[i] = e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{})
		})
	}
	close(start)
	wg.Wait()

	var winner *sipsim.Call
	conflicts := 0
	for i, err := range errs {
		switch sipsim.ErrorCode(err) {
		case "":
			if winner != nil {
				t.Fatalf("both %s and %s were created", winner.ID, calls[i].ID)
			}
			winner = calls[i]
		case sipsim.ECONFLICT:
			wantCode(t, err, sipsim.ECONFLICT, "Phone is currently on another call")
			conflicts++
		default:
			t.Fatalf("call %d: unexpected error %v", i, err)
		}
	}
	if winner == nil || conflicts != n-1 {
		t.Fatalf("got %d conflicts and winner %v; want 1 call and %d conflicts", conflicts, winner, n-1)
	}
	active, err := e.s.ActiveCalls(e.ctx)
	must(t, err)
	wantEqual(t, "ActiveCalls", active, []*sipsim.Call{winner})

	finish(winner, sipsim.CallCompleted, sipsim.ReasonAgentHangup, e.clock.Advance(time.Minute))
	must(t, e.s.UpdateCall(e.ctx, winner, event(winner, sipsim.EventCallEnded, e.clock.Now())))
	next := newCall("call_after", p.ID)
	must(t, e.s.CreateCall(e.ctx, next, event(next, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
}

// testUpdateCall walks a call through a full answered life, saving every
// field, and checks the stored call and timeline at the end.
func testUpdateCall(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := newCall("call_life", p.ID)
	var want []*sipsim.CallEvent
	ev := event(c, sipsim.EventCallCreated, e.clock.Now())
	must(t, e.s.CreateCall(e.ctx, c, ev, sipsim.CallLimits{}))
	created := c.CreatedAt
	want = append(want, ev)

	step := func(typ string, change func(now time.Time)) {
		t.Helper()
		// Odd microseconds: precision must survive the round trip.
		now := e.clock.Advance(1234567 * time.Microsecond)
		change(now)
		var ev *sipsim.CallEvent
		if typ != "" {
			ev = event(c, typ, now)
			want = append(want, ev)
		}
		must(t, e.s.UpdateCall(e.ctx, c, ev))
		if !c.UpdatedAt.Equal(now) || !c.CreatedAt.Equal(created) {
			t.Fatalf("after %s: CreatedAt, UpdatedAt = %s, %s; want %s, %s", typ, c.CreatedAt, c.UpdatedAt, created, now)
		}
		got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
		must(t, err)
		wantEqual(t, "Call after "+typ, got, c)
	}
	step("", func(now time.Time) { // a save with no event
		c.AgentLeg.Status, c.AgentLeg.StartedAt = sipsim.LegDialing, ptr(now)
	})
	step(sipsim.EventCallRingingAgent, func(now time.Time) {
		c.Status = sipsim.CallRingingAgent
		c.AgentLeg.Status, c.AgentLeg.RingingAt = sipsim.LegRinging, ptr(now)
	})
	step(sipsim.EventCallAgentForwarded, func(time.Time) {
		c.AgentLeg.ForwardedTo = "+33555888999"
	})
	step(sipsim.EventCallAgentAnswered, func(now time.Time) {
		c.Status = sipsim.CallDialingTarget
		c.AgentLeg.Status, c.AgentLeg.SIPCode, c.AgentLeg.AnsweredAt = sipsim.LegAnswered, 200, ptr(now)
		c.AgentLeg.Contact = "sip:+33555888999@127.0.0.1:5090"
		c.AgentLeg.AnsweredBy = sipsim.AnsweredByForward
		c.TargetLeg.AnsweredBy, c.TargetLeg.ForwardedTo = sipsim.AnsweredByPhone, "+33555888998"
		c.TargetLeg.Status, c.TargetLeg.StartedAt = sipsim.LegDialing, ptr(now)
		c.TargetLeg.Contact = "sip:+33698765432@127.0.0.1:5090"
	})
	step(sipsim.EventCallTargetRinging, func(now time.Time) {
		c.TargetLeg.Status, c.TargetLeg.RingingAt = sipsim.LegRinging, ptr(now)
	})
	step(sipsim.EventCallAnswered, func(now time.Time) {
		c.Status, c.AnsweredAt = sipsim.CallInProgress, ptr(now)
		c.TargetLeg.Status, c.TargetLeg.SIPCode, c.TargetLeg.AnsweredAt = sipsim.LegAnswered, 200, ptr(now)
	})
	step(sipsim.EventCallEnded, func(now time.Time) {
		finish(c, sipsim.CallCompleted, sipsim.ReasonTargetHangup, now)
		c.AgentLeg.Status, c.AgentLeg.EndedAt = sipsim.LegCompleted, ptr(now)
		c.TargetLeg.Status, c.TargetLeg.EndedAt = sipsim.LegCompleted, ptr(now)
		c.CallerID, c.TargetNumber = "+33100000000", "+33698765433"
	})
	step(sipsim.EventRecordingReady, func(time.Time) {
		c.HasRecording, c.RecordingDuration = true, 122.2625
	})
	step("", func(time.Time) { // the recording deleted
		c.HasRecording, c.RecordingDuration = false, 0
	})

	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "CallEvents", events, want)
	if c.RingSeconds() <= 0 || c.TalkSeconds() <= 0 {
		t.Fatalf("RingSeconds, TalkSeconds = %v, %v; want both positive", c.RingSeconds(), c.TalkSeconds())
	}
}

func testUpdateCallNotFound(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := newCall("call_known", p.ID)
	must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
	stored := *c

	for _, tt := range []struct {
		name    string
		account int64
		id      string
	}{
		{"unknown id", sipsim.DefaultAccountID, "call_unknown"},
		{"other account", sipsim.DefaultAccountID + 1, c.ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := newCall(tt.id, p.ID)
			u.AccountID, u.Status = tt.account, sipsim.CallFailed
			wantCode(t, e.s.UpdateCall(e.ctx, u, event(u, sipsim.EventCallEnded, e.clock.Now())), sipsim.ENOTFOUND, "Call not found")
		})
	}
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "Call untouched", got, &stored)
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	if len(events) != 1 {
		t.Fatalf("CallEvents = %d events, want only the first", len(events))
	}
}

// testEventIDsGrow checks that event ids grow in the order events are
// stored, across calls, so a stream can resume after the last id it saw.
func testEventIDsGrow(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	a, b := phoneOnEnv(t, e, 1), phoneOnEnv(t, e, 2)
	ca, cb := newCall("call_a", a.ID), newCall("call_b", b.ID)
	var stored []*sipsim.CallEvent
	save := func(c *sipsim.Call, typ string, create bool) {
		t.Helper()
		ev := event(c, typ, e.clock.Advance(time.Millisecond))
		if create {
			must(t, e.s.CreateCall(e.ctx, c, ev, sipsim.CallLimits{}))
		} else {
			must(t, e.s.UpdateCall(e.ctx, c, ev))
		}
		stored = append(stored, ev)
	}
	save(ca, sipsim.EventCallCreated, true)
	save(cb, sipsim.EventCallCreated, true)
	ca.Status = sipsim.CallRingingAgent
	save(ca, sipsim.EventCallRingingAgent, false)
	cb.Status = sipsim.CallRingingAgent
	save(cb, sipsim.EventCallRingingAgent, false)
	finish(ca, sipsim.CallNoAnswer, sipsim.ReasonAgentNoAnswer, e.clock.Now())
	save(ca, sipsim.EventCallEnded, false)

	for i := 1; i < len(stored); i++ {
		if stored[i].ID <= stored[i-1].ID {
			t.Fatalf("event %d has id %d after id %d: ids must grow", i, stored[i].ID, stored[i-1].ID)
		}
	}
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, ca.ID)
	must(t, err)
	wantEqual(t, "events of call a", events, []*sipsim.CallEvent{stored[0], stored[2], stored[4]})
	events, err = e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, cb.ID)
	must(t, err)
	wantEqual(t, "events of call b", events, []*sipsim.CallEvent{stored[1], stored[3]})
}

func testActiveCalls(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	none, err := e.s.ActiveCalls(e.ctx)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("ActiveCalls on an empty store = %d calls", len(none))
	}

	var active []*sipsim.Call
	for i, status := range []sipsim.CallStatus{
		sipsim.CallInitiating, sipsim.CallCompleted, sipsim.CallRingingAgent, sipsim.CallFailed,
		sipsim.CallDialingTarget, sipsim.CallInProgress, sipsim.CallCanceled,
	} {
		p := phoneOnEnv(t, e, i+1)
		c := newCall(fmt.Sprintf("call_%d", i), p.ID)
		must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
		if status != c.Status {
			c.Status = status
			if status.Final() {
				c.EndedAt = ptr(e.clock.Now())
			}
			must(t, e.s.UpdateCall(e.ctx, c, nil))
		}
		if !status.Final() {
			active = append(active, c)
		}
		e.clock.Advance(time.Second)
	}
	got, err := e.s.ActiveCalls(e.ctx)
	must(t, err)
	wantEqual(t, "ActiveCalls, oldest first", got, active)
}

// A node cut off from the database for longer than its lease has its
// call closed by another node (node_lost). When it reconnects, none of
// its writes of that call gets through, progress or end: the call keeps
// the sweeper's final record and its one call.ended. A write made from
// the call as stored (a recording deleted later) still works.
func testUpdateCallFencedAfterNodeLost(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	heartbeat(t, e, "node_a")
	p := phoneOnEnv(t, e, 1)
	running := newCall("call_zombie", p.ID)
	running.NodeID = "node_a"
	must(t, e.s.CreateCall(e.ctx, running, event(running, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
	running.Status, running.AnsweredAt = sipsim.CallInProgress, ptr(e.clock.Now())
	must(t, e.s.UpdateCall(e.ctx, running, event(running, sipsim.EventCallAnswered, e.clock.Now())))

	now := e.clock.Advance(lease + time.Second)
	swept, ev := lost(running, now)
	must(t, e.s.EndOrphanedCall(e.ctx, swept, ev, now.Add(-lease)))

	// node_a comes back and writes as its runner would.
	heartbeat(t, e, "node_a")
	progress := *running
	progress.TargetLeg.Status = sipsim.LegAnswered
	wantCode(t, e.s.UpdateCall(e.ctx, &progress, nil), sipsim.ECONFLICT, "")
	end := *running
	finish(&end, sipsim.CallCompleted, sipsim.ReasonTargetHangup, e.clock.Advance(time.Second))
	wantCode(t, e.s.UpdateCall(e.ctx, &end, event(&end, sipsim.EventCallEnded, e.clock.Now())), sipsim.ECONFLICT, "")

	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, running.ID)
	must(t, err)
	wantEqual(t, "call after its lost node wrote", got, swept)
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, running.ID)
	must(t, err)
	ended := 0
	for _, ev := range events {
		if ev.Type == sipsim.EventCallEnded {
			ended++
		}
	}
	if len(events) != 3 || ended != 1 {
		t.Fatalf("%d events with %d call.ended, want created, answered and one call.ended", len(events), ended)
	}

	got.HasRecording, got.RecordingDuration = false, 0
	must(t, e.s.UpdateCall(e.ctx, got, nil))
}
