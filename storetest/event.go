package storetest

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testEvents(t *testing.T, open OpenFunc) {
	t.Run("SnapshotsRoundTrip", func(t *testing.T) { testEventSnapshots(t, open) })
	t.Run("SnapshotShowsTagsOfTheMoment", func(t *testing.T) { testSnapshotTags(t, open) })
	t.Run("Filter", func(t *testing.T) { testEventFilter(t, open) })
}

// copyCall is a deep enough copy of c to compare with later: the store
// replaces c's time pointers rather than writing through them, and tags
// are values.
func copyCall(c *sipsim.Call) *sipsim.Call {
	cp := *c
	cp.Tags = append([]sipsim.Tag(nil), c.Tags...)
	return &cp
}

// testEventSnapshots walks a call through its life and checks that every
// event comes back with the call exactly as it was saved with that event,
// however the call changed afterwards.
func testEventSnapshots(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := newCall("call_snap", p.ID)
	var want []*sipsim.CallEvent
	save := func(typ string, create bool) {
		t.Helper()
		ev := event(c, typ, e.clock.Now())
		// A caller's own snapshot is replaced by the store's.
		ev.Call = &sipsim.Call{ID: "stale"}
		if create {
			must(t, e.s.CreateCall(e.ctx, c, ev, sipsim.CallLimits{}))
		} else {
			must(t, e.s.UpdateCall(e.ctx, c, ev))
		}
		wantEqual(t, typ+" snapshot set by the store", ev.Call, c)
		want = append(want, &sipsim.CallEvent{ID: ev.ID, AccountID: c.AccountID, CallID: c.ID,
			Type: typ, Status: c.Status, At: ev.At, Call: copyCall(c)})
	}
	save(sipsim.EventCallCreated, true)
	e.clock.Advance(time.Second)
	c.Status = sipsim.CallRingingAgent
	c.AgentLeg.Status, c.AgentLeg.StartedAt, c.AgentLeg.RingingAt = sipsim.LegRinging, ptr(e.clock.Now()), ptr(e.clock.Now())
	save(sipsim.EventCallRingingAgent, false)
	e.clock.Advance(1234567 * time.Microsecond)
	c.Status = sipsim.CallInProgress
	c.AnsweredAt = ptr(e.clock.Now())
	c.AgentLeg.Status, c.AgentLeg.SIPCode, c.AgentLeg.Contact = sipsim.LegAnswered, 200, "sip:101@192.0.2.1:5060"
	c.TargetLeg.Status, c.TargetLeg.SIPCode, c.TargetLeg.AnsweredAt = sipsim.LegAnswered, 200, ptr(e.clock.Now())
	save(sipsim.EventCallAnswered, false)
	e.clock.Advance(time.Minute)
	finish(c, sipsim.CallCompleted, sipsim.ReasonTargetHangup, e.clock.Now())
	save(sipsim.EventCallEnded, false)

	// The first snapshot still shows an initiating call, the last one the
	// completed call.
	if want[0].Call.Status != sipsim.CallInitiating || want[3].Call.EndedReason != sipsim.ReasonTargetHangup {
		t.Fatalf("snapshots: first %s, last %s", want[0].Call.Status, want[3].Call.EndedReason)
	}
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "CallEvents", events, want)
	events, err = e.s.Events(e.ctx, sipsim.EventFilter{AccountID: sipsim.DefaultAccountID})
	must(t, err)
	wantEqual(t, "Events", events, want)
}

// testSnapshotTags checks that an event's snapshot carries the tags the
// call had when the event was stored, and that UpdateCall reports them.
func testSnapshotTags(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := newCall("call_tagged", p.ID)
	must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
	lead := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lead", Color: "#00ff00"}
	must(t, e.s.CreateTag(e.ctx, lead))
	must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, c.ID, lead.ID))

	c.Status = sipsim.CallRingingAgent
	ev := event(c, sipsim.EventCallRingingAgent, e.clock.Advance(time.Second))
	must(t, e.s.UpdateCall(e.ctx, c, ev))
	wantEqual(t, "tags after UpdateCall", c.Tags, []sipsim.Tag{*lead})
	wantEqual(t, "tags in the snapshot", ev.Call.Tags, []sipsim.Tag{*lead})

	must(t, e.s.UntagCall(e.ctx, sipsim.DefaultAccountID, c.ID, lead.ID))
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	if len(events) != 2 || len(events[0].Call.Tags) != 0 || tagNames(events[1].Call.Tags) != "lead" {
		t.Fatalf("snapshot tags = %v; want none at creation, lead when ringing", events)
	}
}

func testEventFilter(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	a, b := phoneOnEnv(t, e, 1), phoneOnEnv(t, e, 2)
	ca, cb := newCall("call_a", a.ID), newCall("call_b", b.ID)
	co := newCall("call_o", phoneOnEnv(t, e, 3).ID)
	co.AccountID = OtherAccountID
	var all []*sipsim.CallEvent
	store := func(c *sipsim.Call, typ string, create bool) *sipsim.CallEvent {
		t.Helper()
		ev := event(c, typ, e.clock.Advance(time.Millisecond))
		if create {
			must(t, e.s.CreateCall(e.ctx, c, ev, sipsim.CallLimits{}))
		} else {
			c.Status = sipsim.CallRingingAgent
			must(t, e.s.UpdateCall(e.ctx, c, ev))
		}
		return ev
	}
	all = append(all, store(ca, sipsim.EventCallCreated, true))
	other := store(co, sipsim.EventCallCreated, true)
	all = append(all, store(cb, sipsim.EventCallCreated, true))
	all = append(all, store(ca, sipsim.EventCallRingingAgent, false))
	all = append(all, store(cb, sipsim.EventCallRingingAgent, false))

	acct := sipsim.DefaultAccountID
	for acct, want := range map[int64]int64{sipsim.DefaultAccountID: all[3].ID, OtherAccountID: other.ID, OtherAccountID + 1: 0} {
		if got, err := e.s.LatestEventID(e.ctx, acct); err != nil || got != want {
			t.Errorf("LatestEventID(%d) = %d, %v; want %d", acct, got, err, want)
		}
	}

	for _, tt := range []struct {
		name string
		f    sipsim.EventFilter
		want []*sipsim.CallEvent
	}{
		{"account", sipsim.EventFilter{AccountID: acct}, all},
		{"after an id", sipsim.EventFilter{AccountID: acct, AfterID: all[1].ID}, all[2:]},
		{"after the other account's id", sipsim.EventFilter{AccountID: acct, AfterID: other.ID}, all[1:]},
		{"after the last", sipsim.EventFilter{AccountID: acct, AfterID: all[3].ID}, nil},
		{"limit", sipsim.EventFilter{AccountID: acct, Limit: 2}, all[:2]},
		{"after and limit", sipsim.EventFilter{AccountID: acct, AfterID: all[0].ID, Limit: 2}, all[1:3]},
		{"one call", sipsim.EventFilter{AccountID: acct, CallID: cb.ID}, []*sipsim.CallEvent{all[1], all[3]}},
		{"one call after an id", sipsim.EventFilter{AccountID: acct, CallID: ca.ID, AfterID: all[0].ID}, all[2:3]},
		{"other account", sipsim.EventFilter{AccountID: OtherAccountID}, []*sipsim.CallEvent{other}},
		{"call of another account", sipsim.EventFilter{AccountID: acct, CallID: co.ID}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.s.Events(e.ctx, tt.f)
			must(t, err)
			wantEqual(t, "Events", got, tt.want)
		})
	}
}
