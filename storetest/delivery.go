package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testDeliveries(t *testing.T, open OpenFunc) {
	t.Run("OutboxFollowsEvents", func(t *testing.T) { testOutbox(t, open) })
	t.Run("OutboxIsAtomicWithEvents", func(t *testing.T) { testOutboxAtomic(t, open) })
	t.Run("ClaimLeases", func(t *testing.T) { testClaimLeases(t, open) })
	t.Run("ClaimSkipsWebhooks", func(t *testing.T) { testClaimSkips(t, open) })
	t.Run("ConcurrentClaimers", func(t *testing.T) { testConcurrentClaimers(t, open) })
	t.Run("Attempts", func(t *testing.T) { testAttempts(t, open) })
	t.Run("Limit", func(t *testing.T) { testDeliveriesLimit(t, open) })
	t.Run("DeleteWebhookDropsDeliveries", func(t *testing.T) { testDeleteWebhookDeliveries(t, open) })
}

// farFuture is a claim time by which every delivery is due.
var farFuture = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// pendingFor is the delivery the outbox must hold for ev and w, as
// WebhookDeliveries shows it (its ID is the store's).
func pendingFor(id int64, w *sipsim.Webhook, ev *sipsim.CallEvent) *sipsim.Delivery {
	return &sipsim.Delivery{
		ID: id, AccountID: w.AccountID, WebhookID: w.ID, EventID: ev.ID, EventType: ev.Type,
		Status: sipsim.DeliveryPending, NextAttemptAt: ev.At, CreatedAt: ev.At, UpdatedAt: ev.At,
	}
}

// wantDeliveries checks the log of w against the events it must hold,
// newest first, and returns it.
func wantDeliveries(t *testing.T, e *env, w *sipsim.Webhook, events ...*sipsim.CallEvent) []*sipsim.Delivery {
	t.Helper()
	got, err := e.s.WebhookDeliveries(e.ctx, w.AccountID, w.ID, 100)
	must(t, err)
	if len(got) != len(events) {
		t.Fatalf("webhook %d has %d deliveries, want %d", w.ID, len(got), len(events))
	}
	want := make([]*sipsim.Delivery, len(events))
	for i, ev := range events {
		want[len(events)-1-i] = pendingFor(got[len(events)-1-i].ID, w, ev)
	}
	wantEqual(t, fmt.Sprintf("deliveries of webhook %d", w.ID), got, want)
	return got
}

// testOutbox checks that storing an event creates one pending delivery per
// webhook of the account that wants its type, and none for other webhooks,
// other accounts' webhooks, or webhooks created after the event.
func testOutbox(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	all := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	ended := e.createWebhook(t, sipsim.DefaultAccountID, 2, sipsim.EventCallEnded)
	both := e.createWebhook(t, sipsim.DefaultAccountID, 3, sipsim.EventCallCreated, sipsim.EventCallEnded)
	theirs := e.createWebhook(t, OtherAccountID, 4)

	c := newCall("call_1", p.ID)
	created := event(c, sipsim.EventCallCreated, e.clock.Advance(time.Second))
	must(t, e.s.CreateCall(e.ctx, c, created, sipsim.CallLimits{}))
	c.Status = sipsim.CallRingingAgent
	ringing := event(c, sipsim.EventCallRingingAgent, e.clock.Advance(time.Second))
	must(t, e.s.UpdateCall(e.ctx, c, ringing))
	late := e.createWebhook(t, sipsim.DefaultAccountID, 5)
	must(t, e.s.UpdateCall(e.ctx, c, nil)) // no event, no delivery
	finish(c, sipsim.CallCompleted, sipsim.ReasonTargetHangup, e.clock.Advance(time.Second))
	endedEv := event(c, sipsim.EventCallEnded, e.clock.Now())
	must(t, e.s.UpdateCall(e.ctx, c, endedEv))

	wantDeliveries(t, e, all, created, ringing, endedEv)
	wantDeliveries(t, e, ended, endedEv)
	wantDeliveries(t, e, both, created, endedEv)
	wantDeliveries(t, e, late, endedEv)
	wantDeliveries(t, e, theirs)

	// The other account's events go to its webhook only.
	oc := newCall("call_theirs", p.ID)
	oc.AccountID = OtherAccountID
	theirEv := event(oc, sipsim.EventCallCreated, e.clock.Advance(time.Second))
	must(t, e.s.CreateCall(e.ctx, oc, theirEv, sipsim.CallLimits{}))
	wantDeliveries(t, e, theirs, theirEv)
	wantDeliveries(t, e, all, created, ringing, endedEv)

	// Each event counts the deliveries it queued (what wakes the
	// dispatcher); none is stored, so events read back count none.
	for _, tt := range []struct {
		ev   *sipsim.CallEvent
		want int
	}{{created, 2}, {ringing, 1}, {endedEv, 4}, {theirEv, 1}} {
		if tt.ev.Deliveries != tt.want {
			t.Errorf("%s of %s: Deliveries = %d, want %d", tt.ev.Type, tt.ev.CallID, tt.ev.Deliveries, tt.want)
		}
	}
	stored, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	for _, ev := range stored {
		if ev.Deliveries != 0 {
			t.Errorf("%s read back: Deliveries = %d, want 0", ev.Type, ev.Deliveries)
		}
	}
}

// testOutboxAtomic checks that a refused event write leaves no delivery.
func testOutboxAtomic(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	w := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	c := newCall("call_1", p.ID)
	ev := event(c, sipsim.EventCallCreated, e.clock.Now())
	must(t, e.s.CreateCall(e.ctx, c, ev, sipsim.CallLimits{}))

	busy := newCall("call_busy", p.ID)
	err := e.s.CreateCall(e.ctx, busy, event(busy, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{})
	wantCode(t, err, sipsim.ECONFLICT, "")
	unknown := newCall("call_unknown", p.ID)
	err = e.s.UpdateCall(e.ctx, unknown, event(unknown, sipsim.EventCallEnded, e.clock.Now()))
	wantCode(t, err, sipsim.ENOTFOUND, "")
	// A call cannot leave one account for another, nor its deliveries.
	moved := *c
	moved.AccountID = OtherAccountID
	err = e.s.UpdateCall(e.ctx, &moved, event(&moved, sipsim.EventCallEnded, e.clock.Now()))
	wantCode(t, err, sipsim.ENOTFOUND, "")

	wantDeliveries(t, e, w, ev)
	claimed, err := e.s.ClaimDueDeliveries(e.ctx, farFuture, time.Minute, 100, nil)
	must(t, err)
	if len(claimed) != 1 || claimed[0].EventID != ev.ID {
		t.Fatalf("claimed %d deliveries, want the one of event %d", len(claimed), ev.ID)
	}
}

func claimedIDs(ds []*sipsim.Delivery) []int64 {
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

func testClaimLeases(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	all := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	ended := e.createWebhook(t, sipsim.DefaultAccountID, 2, sipsim.EventCallEnded)
	c := newCall("call_1", p.ID)
	ev1 := event(c, sipsim.EventCallCreated, e.clock.Now())
	must(t, e.s.CreateCall(e.ctx, c, ev1, sipsim.CallLimits{}))
	c.Status = sipsim.CallRingingAgent
	ev2 := event(c, sipsim.EventCallRingingAgent, e.clock.Advance(time.Second))
	must(t, e.s.UpdateCall(e.ctx, c, ev2))
	finish(c, sipsim.CallNoAnswer, sipsim.ReasonAgentNoAnswer, e.clock.Advance(time.Second))
	ev3 := event(c, sipsim.EventCallEnded, e.clock.Now())
	must(t, e.s.UpdateCall(e.ctx, c, ev3))
	dAll := wantDeliveries(t, e, all, ev1, ev2, ev3) // newest first
	dEnded := wantDeliveries(t, e, ended, ev3)
	d1, d2, d3, d3b := dAll[2], dAll[1], dAll[0], dEnded[0]
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	hookAll, err := e.s.Webhook(e.ctx, sipsim.DefaultAccountID, all.ID)
	must(t, err)
	hookEnded, err := e.s.Webhook(e.ctx, sipsim.DefaultAccountID, ended.ID)
	must(t, err)

	const lease = 30 * time.Second
	claim := func(now time.Time, limit int) []*sipsim.Delivery {
		t.Helper()
		got, err := e.s.ClaimDueDeliveries(e.ctx, now, lease, limit, nil)
		must(t, err)
		return got
	}
	if got := claim(ev1.At.Add(-time.Microsecond), 10); len(got) != 0 {
		t.Fatalf("claimed %v before anything was due", claimedIDs(got))
	}

	// Due at ev2's time: the first two, oldest due first, whole.
	got := claim(ev2.At, 10)
	want := []*sipsim.Delivery{
		{ID: d1.ID, AccountID: sipsim.DefaultAccountID, WebhookID: all.ID, EventID: ev1.ID, EventType: ev1.Type,
			Status: sipsim.DeliveryPending, NextAttemptAt: ev2.At.Add(lease), CreatedAt: ev1.At, UpdatedAt: ev1.At,
			Webhook: hookAll, Event: events[0]},
		{ID: d2.ID, AccountID: sipsim.DefaultAccountID, WebhookID: all.ID, EventID: ev2.ID, EventType: ev2.Type,
			Status: sipsim.DeliveryPending, NextAttemptAt: ev2.At.Add(lease), CreatedAt: ev2.At, UpdatedAt: ev2.At,
			Webhook: hookAll, Event: events[1]},
	}
	wantEqual(t, "claimed at ev2", got, want)
	if got[0].Webhook.Secret == "" || got[0].Event.Call == nil {
		t.Fatal("a claimed delivery lacks its secret or its call snapshot")
	}

	// Leased ones are skipped; the two due at ev3 come, by id on a tie.
	got = claim(ev3.At, 10)
	if ids := claimedIDs(got); !slices.Equal(ids, []int64{d3.ID, d3b.ID}) {
		t.Fatalf("claimed at ev3 = %v, want %v", ids, []int64{d3.ID, d3b.ID})
	}
	wantEqual(t, "webhook of the second", got[1].Webhook, hookEnded)
	wantEqual(t, "event of the second", got[1].Event, events[2])

	// Nothing until the first lease runs out, at its end exactly.
	if got := claim(ev2.At.Add(lease-time.Microsecond), 10); len(got) != 0 {
		t.Fatalf("claimed %v while leased", claimedIDs(got))
	}
	got = claim(ev2.At.Add(lease), 10)
	if ids := claimedIDs(got); !slices.Equal(ids, []int64{d1.ID, d2.ID}) {
		t.Fatalf("claimed after the lease = %v, want %v", ids, []int64{d1.ID, d2.ID})
	}
	// The limit takes the earliest due.
	got = claim(farFuture, 1)
	if ids := claimedIDs(got); !slices.Equal(ids, []int64{d3.ID}) {
		t.Fatalf("claimed with limit 1 = %v, want %v", ids, []int64{d3.ID})
	}
}

// testClaimSkips checks that a claim passes over the webhooks it is told
// to skip, reaching later deliveries of the others, and leaves the
// skipped webhooks' deliveries unleased.
func testClaimSkips(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	busy := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	other := e.createWebhook(t, sipsim.DefaultAccountID, 2)
	ended := e.createWebhook(t, sipsim.DefaultAccountID, 3, sipsim.EventCallEnded)
	c := newCall("call_1", p.ID)
	ev1 := event(c, sipsim.EventCallCreated, e.clock.Now())
	must(t, e.s.CreateCall(e.ctx, c, ev1, sipsim.CallLimits{}))
	c.Status = sipsim.CallRingingAgent
	ev2 := event(c, sipsim.EventCallRingingAgent, e.clock.Advance(time.Second))
	must(t, e.s.UpdateCall(e.ctx, c, ev2))
	finish(c, sipsim.CallNoAnswer, sipsim.ReasonAgentNoAnswer, e.clock.Advance(time.Second))
	ev3 := event(c, sipsim.EventCallEnded, e.clock.Now())
	must(t, e.s.UpdateCall(e.ctx, c, ev3))
	// Newest first: the busy webhook's deliveries are due first at every
	// event, ahead of the others'.
	dBusy := wantDeliveries(t, e, busy, ev1, ev2, ev3)
	dOther := wantDeliveries(t, e, other, ev1, ev2, ev3)
	dEnded := wantDeliveries(t, e, ended, ev3)

	claim := func(limit int, skip []int64, want ...int64) {
		t.Helper()
		got, err := e.s.ClaimDueDeliveries(e.ctx, ev3.At, time.Minute, limit, skip)
		must(t, err)
		if ids := claimedIDs(got); !slices.Equal(ids, want) {
			t.Fatalf("claimed with limit %d skipping webhooks %v = %v, want %v", limit, skip, ids, want)
		}
	}
	// Every webhook skipped, and one that does not exist: nothing.
	claim(10, []int64{busy.ID, other.ID, ended.ID, ended.ID + 100})
	// The limit counts what is claimed, not what is passed over.
	claim(2, []int64{busy.ID}, dOther[2].ID, dOther[1].ID)
	claim(10, []int64{busy.ID}, dOther[0].ID, dEnded[0].ID)
	// What was skipped is still due; an empty list skips nothing.
	claim(10, []int64{}, dBusy[2].ID, dBusy[1].ID, dBusy[0].ID)
	claim(10, nil)
}

// testConcurrentClaimers runs claimers side by side until the outbox is
// empty: every delivery is handed out exactly once.
func testConcurrentClaimers(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	for i := range 3 {
		e.createWebhook(t, sipsim.DefaultAccountID, i)
	}
	const calls = 10
	for i := range calls {
		p := phoneOnEnv(t, e, i+1)
		e.clock.Advance(time.Millisecond)
		e.storeCall(t, fmt.Sprintf("call_%d", i), sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallInitiating, "")
	}
	const claimers = 6
	results := make([][]int64, claimers)
	errs := make([]error, claimers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range claimers {
		wg.Go(func() {
			<-start
			for {
				got, err := e.s.ClaimDueDeliveries(e.ctx, farFuture, time.Hour, 4, nil)
				if err != nil {
					errs[i] = err
					return
				}
				if len(got) == 0 {
					return
				}
				results[i] = append(results[i], claimedIDs(got)...)
			}
		})
	}
	close(start)
	wg.Wait()
	seen := map[int64]int{}
	for i, ids := range results {
		must(t, errs[i])
		for _, id := range ids {
			seen[id]++
			if seen[id] > 1 {
				t.Fatalf("delivery %d claimed twice", id)
			}
		}
	}
	if len(seen) != 3*calls {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), 3*calls)
	}
}

// testAttempts follows one delivery through a failed try, a connection
// error and a success, then a late report from a sender whose lease had
// run out.
func testAttempts(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	w := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	c := newCall("call_1", p.ID)
	ev := event(c, sipsim.EventCallCreated, e.clock.Now())
	must(t, e.s.CreateCall(e.ctx, c, ev, sipsim.CallLimits{}))
	claimed, err := e.s.ClaimDueDeliveries(e.ctx, ev.At, time.Minute, 10, nil)
	must(t, err)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d, want 1", len(claimed))
	}
	d := claimed[0]

	record := func(a *sipsim.DeliveryAttempt, status sipsim.DeliveryStatus, next time.Time) {
		t.Helper()
		a.DeliveryID = d.ID
		must(t, e.s.RecordAttempt(e.ctx, a, status, next))
	}
	t0 := e.clock.Advance(100 * time.Millisecond)
	a1 := &sipsim.DeliveryAttempt{Attempt: 1, At: t0, StatusCode: 500, ResponseBody: "oops", Duration: 1500 * time.Microsecond}
	record(a1, sipsim.DeliveryPending, t0.Add(5*time.Second))
	log, err := e.s.WebhookDeliveries(e.ctx, w.AccountID, w.ID, 10)
	must(t, err)
	wantEqual(t, "after a failed attempt", log, []*sipsim.Delivery{{
		ID: d.ID, AccountID: d.AccountID, WebhookID: w.ID, EventID: ev.ID, EventType: ev.Type,
		Status: sipsim.DeliveryPending, Attempts: 1, NextAttemptAt: t0.Add(5 * time.Second),
		CreatedAt: ev.At, UpdatedAt: e.clock.Now(), AttemptLog: []*sipsim.DeliveryAttempt{a1},
	}})

	// The retry time replaces the lease: due again then, not before.
	if got, err := e.s.ClaimDueDeliveries(e.ctx, t0.Add(5*time.Second-time.Microsecond), time.Minute, 10, nil); err != nil || len(got) != 0 {
		t.Fatalf("claimed %d (%v) before the retry time", len(got), err)
	}
	if got, err := e.s.ClaimDueDeliveries(e.ctx, t0.Add(5*time.Second), time.Minute, 10, nil); err != nil || len(got) != 1 {
		t.Fatalf("claimed %d (%v) at the retry time, want 1", len(got), err)
	}

	t1 := e.clock.Advance(5 * time.Second)
	a2 := &sipsim.DeliveryAttempt{Attempt: 2, At: t1, Error: "connection refused", Duration: 3 * time.Millisecond}
	record(a2, sipsim.DeliveryPending, t1.Add(10*time.Second))
	t2 := e.clock.Advance(10 * time.Second)
	a3 := &sipsim.DeliveryAttempt{Attempt: 3, At: t2, StatusCode: 204, Duration: 42 * time.Millisecond}
	record(a3, sipsim.DeliverySucceeded, time.Time{})
	succeededAt := e.clock.Now()

	// A sender that lost its lease reports late: logged, status kept.
	e.clock.Advance(time.Second)
	late := &sipsim.DeliveryAttempt{Attempt: 3, At: t2.Add(-time.Second), StatusCode: 0, Error: "timeout", Duration: 10 * time.Second}
	record(late, sipsim.DeliveryPending, t2.Add(time.Minute))

	log, err = e.s.WebhookDeliveries(e.ctx, w.AccountID, w.ID, 10)
	must(t, err)
	if len(log) != 1 {
		t.Fatalf("%d deliveries, want 1", len(log))
	}
	got := log[0]
	if got.Status != sipsim.DeliverySucceeded || got.Attempts != 3 || !got.UpdatedAt.Equal(succeededAt) {
		t.Fatalf("delivery = %s after %d attempts, updated %s; want succeeded after 3, updated %s",
			got.Status, got.Attempts, got.UpdatedAt, succeededAt)
	}
	wantEqual(t, "attempt log", got.AttemptLog, []*sipsim.DeliveryAttempt{a1, a2, a3, late})
	if again, err := e.s.ClaimDueDeliveries(e.ctx, farFuture, time.Minute, 10, nil); err != nil || len(again) != 0 {
		t.Fatalf("claimed %d (%v) after success", len(again), err)
	}

	// A failed delivery is never claimed again either.
	c.Status = sipsim.CallRingingAgent
	ev2 := event(c, sipsim.EventCallRingingAgent, e.clock.Now())
	must(t, e.s.UpdateCall(e.ctx, c, ev2))
	claimed, err = e.s.ClaimDueDeliveries(e.ctx, ev2.At, time.Minute, 10, nil)
	must(t, err)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d, want the new delivery", len(claimed))
	}
	record2 := &sipsim.DeliveryAttempt{DeliveryID: claimed[0].ID, Attempt: 1, At: ev2.At, StatusCode: 410}
	must(t, e.s.RecordAttempt(e.ctx, record2, sipsim.DeliveryFailed, time.Time{}))
	if again, err := e.s.ClaimDueDeliveries(e.ctx, farFuture, time.Minute, 10, nil); err != nil || len(again) != 0 {
		t.Fatalf("claimed %d (%v) after failure", len(again), err)
	}

	unknown := &sipsim.DeliveryAttempt{DeliveryID: claimed[0].ID + 100, Attempt: 1, At: ev2.At}
	wantCode(t, e.s.RecordAttempt(e.ctx, unknown, sipsim.DeliveryFailed, time.Time{}), sipsim.ENOTFOUND, "")
}

func testDeliveriesLimit(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	w := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	var events []*sipsim.CallEvent
	for i := range 30 {
		p := phoneOnEnv(t, e, i+1)
		e.clock.Advance(time.Millisecond)
		c := e.storeCall(t, fmt.Sprintf("call_%02d", i), sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallInitiating, "")
		evs, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
		must(t, err)
		events = append(events, evs...)
	}
	for _, tt := range []struct{ limit, want int }{{2, 2}, {0, 25}, {-1, 25}, {100, 30}} {
		got, err := e.s.WebhookDeliveries(e.ctx, w.AccountID, w.ID, tt.limit)
		must(t, err)
		if len(got) != tt.want {
			t.Fatalf("limit %d: %d deliveries, want %d", tt.limit, len(got), tt.want)
		}
		for i, d := range got { // newest first
			if ev := events[len(events)-1-i]; d.EventID != ev.ID {
				t.Fatalf("limit %d: delivery %d is for event %d, want %d", tt.limit, i, d.EventID, ev.ID)
			}
		}
	}
}

func testDeleteWebhookDeliveries(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	gone := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	kept := e.createWebhook(t, sipsim.DefaultAccountID, 2)
	c := newCall("call_1", p.ID)
	ev := event(c, sipsim.EventCallCreated, e.clock.Now())
	must(t, e.s.CreateCall(e.ctx, c, ev, sipsim.CallLimits{}))
	claimed, err := e.s.ClaimDueDeliveries(e.ctx, ev.At, time.Nanosecond, 10, nil)
	must(t, err)
	var goneDelivery int64
	for _, d := range claimed {
		if d.WebhookID == gone.ID {
			goneDelivery = d.ID
		}
	}
	must(t, e.s.RecordAttempt(e.ctx, &sipsim.DeliveryAttempt{DeliveryID: goneDelivery, Attempt: 1, At: ev.At, StatusCode: 500},
		sipsim.DeliveryPending, ev.At))

	must(t, e.s.DeleteWebhook(e.ctx, sipsim.DefaultAccountID, gone.ID))
	_, err = e.s.WebhookDeliveries(e.ctx, sipsim.DefaultAccountID, gone.ID, 10)
	wantCode(t, err, sipsim.ENOTFOUND, "Webhook not found")
	wantCode(t, e.s.RecordAttempt(e.ctx, &sipsim.DeliveryAttempt{DeliveryID: goneDelivery, Attempt: 2, At: ev.At},
		sipsim.DeliveryPending, ev.At), sipsim.ENOTFOUND, "")
	left, err := e.s.ClaimDueDeliveries(e.ctx, farFuture, time.Minute, 10, nil)
	must(t, err)
	if len(left) != 1 || left[0].WebhookID != kept.ID {
		t.Fatalf("claimable after delete = %v, want only the kept webhook's", claimedIDs(left))
	}
	// The event stays: it belongs to the call.
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	stored := *ev
	stored.Deliveries = 0 // counted when queued, not stored
	wantEqual(t, "events after deleting a webhook", events, []*sipsim.CallEvent{&stored})
}
