package postgres

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// Several `sipsim serve` nodes share one database: each test opens one
// store per node on one schema, each with its own pool, as separate
// processes would.

// openNodes opens n stores on one new schema.
func openNodes(t *testing.T, n int, now func() time.Time) []*DB {
	t.Helper()
	_, url := newSchema(t)
	nodes := make([]*DB, n)
	for i := range nodes {
		nodes[i] = openTest(t, url, now)
	}
	return nodes
}

func phoneOf(t *testing.T, db *DB, n int) *sipsim.Phone {
	t.Helper()
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: fmt.Sprintf("Phone %d", n),
		Status: sipsim.PhoneActive, InternalNumber: 100 + n, Country: "FR", SIPRealm: "sipsim"}
	if err := db.CreatePhone(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func initiating(id string, phoneID int64) *sipsim.Call {
	return &sipsim.Call{ID: id, AccountID: sipsim.DefaultAccountID, PhoneID: phoneID,
		TargetNumber: "+33698765432", Direction: "outbound", Source: "api", Status: sipsim.CallInitiating,
		AgentLeg: sipsim.Leg{Status: sipsim.LegIdle}, TargetLeg: sipsim.Leg{Status: sipsim.LegIdle}}
}

// raceNodes runs create on every node at once and returns their errors.
func raceNodes(nodes []*DB, create func(i int, db *DB) error) []error {
	errs := make([]error, len(nodes))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, db := range nodes {
		wg.Go(func() {
			<-start
			errs[i] = create(i, db)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// 50 nodes place a call for one phone at the same moment: one call starts,
// and every other node is told the phone is busy, as the SQLite store
// tells a second caller, never a storage error.
func TestNodesShareOneActiveCallPerPhone(t *testing.T) {
	const n = 50
	nodes := openNodes(t, n, fixedClock())
	p := phoneOf(t, nodes[0], 1)
	errs := raceNodes(nodes, func(i int, db *DB) error {
		c := initiating(fmt.Sprintf("call_node_%02d", i), p.ID)
		return db.CreateCall(t.Context(), c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{})
	})
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case sipsim.ErrorCode(err) != sipsim.ECONFLICT || sipsim.ErrorMessage(err) != "Phone is currently on another call":
			t.Errorf("node %d: code %q, message %q (%v); want conflict, Phone is currently on another call",
				i, sipsim.ErrorCode(err), sipsim.ErrorMessage(err), err)
		}
	}
	if created != 1 {
		t.Fatalf("%d calls created, want 1", created)
	}
	active, err := nodes[n-1].ActiveCalls(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].PhoneID != p.ID {
		t.Fatalf("active calls = %d, want the one call of phone %d", len(active), p.ID)
	}
}

// An account limited to 3 calls at once gets 3 however many nodes place
// its calls together.
func TestNodesShareCallLimits(t *testing.T) {
	const n, limit = 12, 3
	nodes := openNodes(t, n, fixedClock())
	phones := make([]*sipsim.Phone, n)
	for i := range phones {
		phones[i] = phoneOf(t, nodes[0], i+1)
	}
	limits := sipsim.CallLimits{MaxConcurrentCalls: limit}
	errs := raceNodes(nodes, func(i int, db *DB) error {
		c := initiating(fmt.Sprintf("call_limit_%02d", i), phones[i].ID)
		return db.CreateCall(t.Context(), c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, limits)
	})
	wantCreatedElseRateLimited(t, errs, limit)
}

// Writers on several nodes store events while a follower pages through
// them by id, as an SSE stream does: the follower sees every event once,
// in id order, and none is skipped by an id that became visible late.
func TestFollowerSeesEveryEvent(t *testing.T) {
	const nodeCount, callCount, updates = 4, 16, 25
	nodes := openNodes(t, nodeCount+1, fixedClock())
	follower, writers := nodes[0], nodes[1:]
	ctx := t.Context()
	calls := make([]*sipsim.Call, callCount)
	for i := range calls {
		calls[i] = initiating(fmt.Sprintf("call_follow_%02d", i), phoneOf(t, follower, i+1).ID)
		if err := follower.CreateCall(ctx, calls[i], &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := follower.LatestEventID(ctx, sipsim.DefaultAccountID)
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan struct{})
	writeErrs := make([]error, callCount)
	var wg sync.WaitGroup
	for i, c := range calls {
		db := writers[i%nodeCount]
		wg.Go(func() {
			for range updates {
				if err := db.UpdateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallRingingAgent}); err != nil {
					writeErrs[i] = err
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()

	var seen []int64
	after := first
	follow := func() {
		evs, err := follower.Events(ctx, sipsim.EventFilter{AccountID: sipsim.DefaultAccountID, AfterID: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			seen = append(seen, ev.ID)
			after = ev.ID
		}
	}
	for following := true; following; {
		select {
		case <-done:
			following = false
		default:
		}
		follow() // after done: the last page, with every write committed
	}
	for i, err := range writeErrs {
		if err != nil {
			t.Fatalf("writer of call %d: %v", i, err)
		}
	}

	all, err := follower.Events(ctx, sipsim.EventFilter{AccountID: sipsim.DefaultAccountID, AfterID: first})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int64, len(all))
	for i, ev := range all {
		want[i] = ev.ID
	}
	if len(want) != callCount*updates {
		t.Fatalf("%d events stored, want %d", len(want), callCount*updates)
	}
	if !slices.Equal(seen, want) {
		missed := 0
		for _, id := range want {
			if !slices.Contains(seen, id) {
				missed++
			}
		}
		t.Fatalf("the follower saw %d events and missed %d of the %d stored", len(seen), missed, len(want))
	}
}

// One node deletes webhooks and tags while others store events and tag
// calls: every write either finds what it refers to or is told it is gone
// (ENOTFOUND), never a storage error from a foreign key it raced with.
func TestNodesDeleteWhileOthersUse(t *testing.T) {
	const rounds = 30
	nodes := openNodes(t, 3, fixedClock())
	deleter, eventWriter, tagger := nodes[0], nodes[1], nodes[2]
	ctx := t.Context()
	c := initiating("call_busy", phoneOf(t, deleter, 1).ID)
	if err := deleter.CreateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}
	for round := range rounds {
		w := &sipsim.Webhook{AccountID: sipsim.DefaultAccountID, URL: "https://crm.example.com/hook", Secret: "s"}
		if err := deleter.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
		tag := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: fmt.Sprintf("tag %d", round), Color: "#000000"}
		if err := deleter.CreateTag(ctx, tag); err != nil {
			t.Fatal(err)
		}
		errs := raceNodes(nodes, func(_ int, db *DB) error {
			switch db {
			case deleter:
				if err := db.DeleteWebhook(ctx, sipsim.DefaultAccountID, w.ID); err != nil {
					return err
				}
				return db.DeleteTag(ctx, sipsim.DefaultAccountID, tag.ID)
			case eventWriter:
				return db.UpdateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallRingingAgent})
			default:
				return db.TagCall(ctx, sipsim.DefaultAccountID, c.ID, tag.ID)
			}
		})
		for i, err := range errs {
			if err != nil && !(nodes[i] == tagger && sipsim.ErrorCode(err) == sipsim.ENOTFOUND) {
				t.Fatalf("round %d, node %d: %v", round, i, err)
			}
		}
	}
	got, err := eventWriter.Call(ctx, sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tags) != 0 {
		t.Fatalf("call still carries deleted tags %v", got.Tags)
	}
}

// One Idempotency-Key sent to every node at once: one node runs the
// request, every other finds it in flight.
func TestNodesShareIdempotencyKeys(t *testing.T) {
	const n = 20
	nodes := openNodes(t, n, fixedClock())
	at := fixedClock()()
	found := make([]*sipsim.IdempotencyRecord, n)
	errs := raceNodes(nodes, func(i int, db *DB) error {
		var err error
		found[i], err = db.BeginIdempotent(t.Context(), &sipsim.IdempotencyRecord{
			AccountID: sipsim.DefaultAccountID, Key: "order-4711", RequestHash: "h",
			CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour)})
		return err
	})
	began := 0
	for i := range n {
		switch {
		case errs[i] != nil:
			t.Errorf("node %d: %v", i, errs[i])
		case found[i] == nil:
			began++
		case found[i].Status != 0 || found[i].Key != "order-4711":
			t.Errorf("node %d found %+v, want the key in flight", i, found[i])
		}
	}
	if began != 1 {
		t.Fatalf("%d nodes began the request, want 1", began)
	}
}

// A token limited to 5 calls a minute, used on 12 nodes at once for 12
// phones: 5 calls are created, 7 refused with a rate limit.
func TestNodesSharePerTokenRateLimit(t *testing.T) {
	const n, limit = 12, 5
	nodes := openNodes(t, n, fixedClock())
	phones := make([]*sipsim.Phone, n)
	for i := range phones {
		phones[i] = phoneOf(t, nodes[0], i+1)
	}
	limits := sipsim.CallLimits{CallsPerMinutePerToken: limit}
	errs := raceNodes(nodes, func(i int, db *DB) error {
		c := initiating(fmt.Sprintf("call_token_%02d", i), phones[i].ID)
		c.TokenID = 42
		return db.CreateCall(t.Context(), c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, limits)
	})
	wantCreatedElseRateLimited(t, errs, limit)
}

// wantCreatedElseRateLimited fails t unless exactly want of the nodes'
// creations succeeded and every other one was refused with a rate limit.
func wantCreatedElseRateLimited(t *testing.T, errs []error, want int) {
	t.Helper()
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case sipsim.ErrorCode(err) != sipsim.ERATELIMIT:
			t.Errorf("node %d: %v, want a rate limit", i, err)
		}
	}
	if created != want {
		t.Fatalf("%d calls created, want %d", created, want)
	}
}
