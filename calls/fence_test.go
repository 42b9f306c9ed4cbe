package calls

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// A node cut off from the database, frozen, or suspended, for longer than
// its lease: the others close its calls as node_lost; the node hangs them
// up and never writes a second end over that record.

// cutOff is the shared store as one node sees it while its link to the
// database is down: heartbeats and call writes fail.
type cutOff struct {
	*relayedCancels
	down atomic.Bool
}

func errDown() error { return sipsim.Errorf(sipsim.EUNAVAILABLE, "Database unreachable") }

func (c *cutOff) Heartbeat(ctx context.Context, n *sipsim.Node) error {
	if c.down.Load() {
		return errDown()
	}
	return c.relayedCancels.Heartbeat(ctx, n)
}

func (c *cutOff) UpdateCall(ctx context.Context, call *sipsim.Call, ev *sipsim.CallEvent) error {
	if c.down.Load() {
		return errDown()
	}
	return c.relayedCancels.UpdateCall(ctx, call, ev)
}

// puppetTelephony places calls the test steers: each reports the agent
// dialling, then what the test sends on progress, until the test ends it
// on release or the call is hung up, which it reports on hungUp with the
// context's cause.
type puppetTelephony struct {
	placed   chan string
	progress chan sipsim.ProgressKind
	release  chan sipsim.CallOutcome
	hungUp   chan error
}

func newPuppet() *puppetTelephony {
	return &puppetTelephony{placed: make(chan string, 10), progress: make(chan sipsim.ProgressKind),
		release: make(chan sipsim.CallOutcome), hungUp: make(chan error, 10)}
}

func (p *puppetTelephony) PlaceCall(ctx context.Context, plan sipsim.CallPlan, progress func(sipsim.CallProgress)) sipsim.CallOutcome {
	p.placed <- plan.CallID
	progress(sipsim.CallProgress{Kind: sipsim.ProgressAgentDialing})
	for {
		select {
		case k := <-p.progress:
			progress(sipsim.CallProgress{Kind: k, SIPCode: 200, Contact: "sip:101@127.0.0.1:5070"})
		case o := <-p.release:
			return o
		case <-ctx.Done():
			p.hungUp <- context.Cause(ctx)
			return sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: causeReason(ctx),
				AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegCompleted, AgentCode: 200, TargetCode: 200}
		}
	}
}

// answer steers a placed call to in_progress.
func (p *puppetTelephony) answer() {
	p.progress <- sipsim.ProgressAgentAnswered
	p.progress <- sipsim.ProgressTargetAnswered
}

// logBuffer collects a service's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// puppetNode is a node of the fixture's cluster whose calls the test
// steers, seeing the shared store through cut.
type puppetNode struct {
	svc *Service
	tel *puppetTelephony
	cut *cutOff
	log *logBuffer
}

func (f *fixture) joinPuppetNode(t *testing.T, id string, store *relayedCancels) *puppetNode {
	t.Helper()
	n := &puppetNode{tel: newPuppet(), cut: &cutOff{relayedCancels: store}, log: &logBuffer{}}
	n.svc = New(Config{Now: f.clock.Now, Logger: slog.New(slog.NewTextHandler(n.log, nil)),
		Phones: f.db, Registrations: f.db, Calls: n.cut, Accounts: f.db, Telephony: n.tel, AudioFiles: f.db,
		Node: sipsim.Node{ID: id, Name: id, StartedAt: f.clock.Now()}, Nodes: n.cut, Lease: testLease})
	t.Cleanup(func() { n.svc.Shutdown(stopNow()) })
	store.nodes = append(store.nodes, n.svc)
	if err := n.svc.JoinCluster(t.Context()); err != nil {
		t.Fatal(err)
	}
	return n
}

// answeredCall places a call on node a, registered there, and answers it.
func (f *fixture) answeredCall(t *testing.T, a *puppetNode) *sipsim.Call {
	t.Helper()
	f.registerOn(t, "node_a", "sip:101@127.0.0.1:5070", "udp")
	c, err := a.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	<-a.tel.placed
	a.tel.answer()
	waitUntil(t, func() bool { return f.stored(t, c.ID).Status == sipsim.CallInProgress })
	return c
}

func (f *fixture) stored(t *testing.T, id string) *sipsim.Call {
	t.Helper()
	c, err := f.db.Call(t.Context(), sipsim.DefaultAccountID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// endedEvents counts the call.ended events of a call.
func (f *fixture) endedEvents(t *testing.T, id string) int {
	t.Helper()
	evs, err := f.db.CallEvents(t.Context(), sipsim.DefaultAccountID, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == sipsim.EventCallEnded {
			n++
		}
	}
	return n
}

// awaitHangUp returns the cause a call of n was hung up with.
func (n *puppetNode) awaitHangUp(t *testing.T) error {
	t.Helper()
	select {
	case cause := <-n.tel.hungUp:
		return cause
	case <-time.After(10 * time.Second):
		t.Fatal("the node never hung its call up")
		return nil
	}
}

func (n *puppetNode) idle() bool {
	n.svc.mu.Lock()
	defer n.svc.mu.Unlock()
	return len(n.svc.running) == 0
}

// Node A loses the database during an answered call. Before a lease has
// passed it keeps the call; at its first heartbeat round a lease after
// its last stored one, it hangs the call up (node_lost). Node B has
// closed the call meanwhile; when A can write again, its own end is
// refused and dropped: the call keeps B's record and one call.ended.
func TestNodeCutOffForALeaseHangsUpItsCallsAndKeepsTheSweepersRecord(t *testing.T) {
	f := newFixture(t, nil)
	store := &relayedCancels{DB: f.db}
	a := f.joinPuppetNode(t, "node_a", store)
	b := f.joinNode(t, "node_b", store)
	c := f.answeredCall(t, a)

	a.cut.down.Store(true)
	f.clock.Advance(testLease / 3)
	a.svc.beat(t.Context())
	select {
	case cause := <-a.tel.hungUp:
		t.Fatalf("the call was hung up (%v) a third of a lease into the outage", cause)
	default:
	}

	f.clock.Advance(testLease)
	if err := b.svc.heartbeat(t.Context()); err != nil {
		t.Fatal(err)
	}
	b.svc.sweep(t.Context())
	swept := f.stored(t, c.ID)
	if swept.Status != sipsim.CallFailed || swept.EndedReason != sipsim.ReasonNodeLost {
		t.Fatalf("after B swept: %s/%s, want failed/node_lost", swept.Status, swept.EndedReason)
	}

	a.svc.beat(t.Context())
	if cause := a.awaitHangUp(t); cause != sipsim.ReasonNodeLost {
		t.Fatalf("A hung the call up with cause %v, want node_lost", cause)
	}
	waitUntil(t, a.idle)

	a.cut.down.Store(false)
	a.svc.beat(t.Context())
	if got := f.stored(t, c.ID); got.Status != swept.Status || got.EndedReason != swept.EndedReason || !got.UpdatedAt.Equal(swept.UpdatedAt) {
		t.Fatalf("after A wrote again: %s/%s updated %s, want B's record %s/%s of %s",
			got.Status, got.EndedReason, got.UpdatedAt, swept.Status, swept.EndedReason, swept.UpdatedAt)
	}
	if n := f.endedEvents(t, c.ID); n != 1 {
		t.Fatalf("%d call.ended events, want 1", n)
	}
	a.svc.mu.Lock()
	left := len(a.svc.unrecorded)
	a.svc.mu.Unlock()
	if left != 0 {
		t.Fatalf("A still holds %d ends to store", left)
	}
}

// The database is down for every node: nobody closes A's call, but A
// hangs it up once a lease has passed and stores its end as
// failed/node_lost as soon as it can write again.
func TestNodeCutOffForALeaseStoresItsCallsEndOnceItCanWrite(t *testing.T) {
	f := newFixture(t, nil)
	store := &relayedCancels{DB: f.db}
	a := f.joinPuppetNode(t, "node_a", store)
	c := f.answeredCall(t, a)

	a.cut.down.Store(true)
	f.clock.Advance(testLease)
	a.svc.beat(t.Context())
	if cause := a.awaitHangUp(t); cause != sipsim.ReasonNodeLost {
		t.Fatalf("A hung the call up with cause %v, want node_lost", cause)
	}
	waitUntil(t, a.idle)
	if got := f.stored(t, c.ID); got.Status.Final() {
		t.Fatalf("the call is stored %s while the database was down", got.Status)
	}

	a.cut.down.Store(false)
	a.svc.beat(t.Context())
	got := f.stored(t, c.ID)
	if got.Status != sipsim.CallFailed || got.EndedReason != sipsim.ReasonNodeLost || got.EndedAt == nil {
		t.Fatalf("once A could write: %s/%s, want failed/node_lost", got.Status, got.EndedReason)
	}
	if got.AgentLeg.Status != sipsim.LegCompleted || got.TargetLeg.Status != sipsim.LegCompleted {
		t.Fatalf("legs %s/%s, want both completed (hung up)", got.AgentLeg.Status, got.TargetLeg.Status)
	}
	if n := f.endedEvents(t, c.ID); n != 1 {
		t.Fatalf("%d call.ended events, want 1", n)
	}
}

// A node frozen past its lease (SIGSTOP, a VM paused) never sees a failed
// heartbeat: its call was closed by B while it slept, and its next write
// of the call is refused. It hangs the call up, logs it once, and stores
// nothing more of it.
func TestFrozenNodeHangsUpACallAnotherNodeClosed(t *testing.T) {
	f := newFixture(t, nil)
	store := &relayedCancels{DB: f.db}
	a := f.joinPuppetNode(t, "node_a", store)
	b := f.joinNode(t, "node_b", store)
	c := f.answeredCall(t, a)

	f.clock.Advance(testLease + time.Second)
	if err := b.svc.heartbeat(t.Context()); err != nil {
		t.Fatal(err)
	}
	b.svc.sweep(t.Context())
	swept := f.stored(t, c.ID)

	a.tel.progress <- sipsim.ProgressTargetRinging // A wakes up and writes
	if cause := a.awaitHangUp(t); cause != sipsim.ReasonNodeLost {
		t.Fatalf("A hung the call up with cause %v, want node_lost", cause)
	}
	waitUntil(t, a.idle)
	got := f.stored(t, c.ID)
	if got.Status != sipsim.CallFailed || got.EndedReason != sipsim.ReasonNodeLost || !got.UpdatedAt.Equal(swept.UpdatedAt) {
		t.Fatalf("after A woke: %s/%s updated %s, want B's record of %s", got.Status, got.EndedReason, got.UpdatedAt, swept.UpdatedAt)
	}
	if n := f.endedEvents(t, c.ID); n != 1 {
		t.Fatalf("%d call.ended events, want 1", n)
	}
	if n := a.log.count("another node closed this call"); n != 1 {
		t.Fatalf("A logged the refused call %d times, want once", n)
	}
	if n := a.log.count("storing call step failed"); n != 0 {
		t.Fatalf("A logged %d failed writes, want none: a refused call is not an error to retry", n)
	}
}
