package calls

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/sqlite"
)

// Nodes of a cluster, played by services sharing one store (the SQLite
// store implements the cluster's store methods as PostgreSQL's do; only
// its notifications are missing, which the tests stand in for).

const testLease = 15 * time.Second

// relayedCancels is the store as a cluster sees it, with RequestCancel
// delivered at once to the services listed, as PostgreSQL's notification
// is.
type relayedCancels struct {
	*sqlite.DB
	nodes []*Service
}

func (r *relayedCancels) RequestCancel(_ context.Context, callID string) error {
	for _, s := range r.nodes {
		s.HangUpRequested(callID)
	}
	return nil
}

// clusterNode is one service of the cluster with its own telephony.
type clusterNode struct {
	svc *Service
	tel *scriptedTelephony

	mu    sync.Mutex
	ended []string // "status/reason" of each end CallEnded reported
}

// joinNode adds a node named id to the fixture's store and clock.
func (f *fixture) joinNode(t *testing.T, id string, store *relayedCancels) *clusterNode {
	t.Helper()
	tel := &scriptedTelephony{steps: []sipsim.ProgressKind{sipsim.ProgressAgentDialing}, release: make(chan struct{})}
	n := &clusterNode{tel: tel}
	svc := New(Config{Now: f.clock.Now, Phones: f.db, Registrations: f.db, Calls: f.db, Accounts: f.db, Telephony: tel, AudioFiles: f.db,
		Node: sipsim.Node{ID: id, Name: id, StartedAt: f.clock.Now()}, Nodes: store, Lease: testLease,
		CallEnded: func(status sipsim.CallStatus, reason sipsim.EndReason) {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.ended = append(n.ended, string(status)+"/"+string(reason))
		}})
	n.svc = svc
	t.Cleanup(func() { svc.Shutdown(stopNow()) })
	store.nodes = append(store.nodes, svc)
	if err := svc.JoinCluster(t.Context()); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) registerOn(t *testing.T, node, contact, transport string) {
	t.Helper()
	err := f.db.SaveRegistration(t.Context(), &sipsim.Registration{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID,
		Contact: contact, Received: "127.0.0.1:5070", Transport: transport, ExpiresAt: f.clock.Now().Add(time.Hour), NodeID: node})
	if err != nil {
		t.Fatal(err)
	}
}

func (n *clusterNode) plans() []sipsim.CallPlan {
	n.tel.mu.Lock()
	defer n.tel.mu.Unlock()
	return slices.Clone(n.tel.plans)
}

// A call asked of node B for a phone registered with node A is stored for
// A, with the request's options, and answered at once; A takes it once
// and runs it with those options, ringing the phone from where it is
// registered.
func TestCallIsDispatchedToTheNodeHoldingTheRegistration(t *testing.T) {
	f := newFixture(t, nil)
	store := &relayedCancels{DB: f.db}
	a, b := f.joinNode(t, "node_a", store), f.joinNode(t, "node_b", store)
	f.registerOn(t, "node_a", "sip:101@127.0.0.1:5070", "tcp")

	req := sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432",
		CallerIDName: "ACME Sales", AutoAnswer: true, AgentRingTimeout: 12 * time.Second}
	c, err := b.svc.CreateCall(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != sipsim.CallInitiating {
		t.Fatalf("created call status %s, want initiating", c.Status)
	}
	stored, err := f.db.Call(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := &sipsim.CallDispatch{CallerIDName: "ACME Sales", AutoAnswer: true, AgentRingTimeout: 12 * time.Second}
	if stored.NodeID != "node_a" || stored.Dispatch == nil || *stored.Dispatch != *want {
		t.Fatalf("stored call: node %q, dispatch %+v; want node_a, %+v", stored.NodeID, stored.Dispatch, want)
	}
	if n := len(b.plans()); n != 0 {
		t.Fatalf("node B placed %d calls, want none: the phone is registered with A", n)
	}

	a.svc.claimDispatched(t.Context())
	a.svc.claimDispatched(t.Context())
	waitUntil(t, func() bool { return len(a.plans()) > 0 })
	plans := a.plans()
	if len(plans) != 1 {
		t.Fatalf("node A placed %d calls, want 1", len(plans))
	}
	p := plans[0]
	if p.CallID != c.ID || p.CallerIDName != "ACME Sales" || !p.AutoAnswer || p.AgentRingTimeout != 12*time.Second ||
		len(p.Contacts) != 1 || p.Contacts[0].Transport != "tcp" {
		t.Fatalf("node A's plan = %+v", p)
	}
	waitUntil(t, func() bool {
		got, err := f.db.Call(t.Context(), sipsim.DefaultAccountID, c.ID)
		return err == nil && got.Status == sipsim.CallRingingAgent && got.Dispatch.Claimed
	})

	// B is asked to hang up: A, which runs the call, does.
	got, err := b.svc.CancelCall(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.EndedReason != sipsim.ReasonCanceledViaAPI || !got.Status.Final() {
		t.Fatalf("after cancel on node B: %s/%s, want the call ended canceled_via_api", got.Status, got.EndedReason)
	}
}

// fakeNodes answers Node from a map: enough for the dispatch decision.
type fakeNodes struct {
	sipsim.NodeStore
	nodes map[string]*sipsim.Node
}

func (f fakeNodes) Node(_ context.Context, id string) (*sipsim.Node, error) {
	if n, ok := f.nodes[id]; ok {
		return n, nil
	}
	return nil, sipsim.Errorf(sipsim.ENOTFOUND, "Node not found")
}

func TestRunnerIsTheFreshestBindingsLiveNode(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	nodes := fakeNodes{nodes: map[string]*sipsim.Node{
		"node_b":        {ID: "node_b", HeartbeatAt: now.Add(-time.Second)},
		"node_c":        {ID: "node_c", HeartbeatAt: now.Add(-2 * time.Second)},
		"node_dead":     {ID: "node_dead", HeartbeatAt: now.Add(-testLease)},
		"node_draining": {ID: "node_draining", HeartbeatAt: now, Draining: true},
	}}
	reg := func(node string) *sipsim.Registration { return &sipsim.Registration{NodeID: node, Transport: "udp"} }
	tests := []struct {
		name     string
		contacts []*sipsim.Registration
		want     string
	}{
		{"registered here", []*sipsim.Registration{reg("node_a")}, "node_a"},
		{"registered on a live node", []*sipsim.Registration{reg("node_b")}, "node_b"},
		{"the freshest binding wins", []*sipsim.Registration{reg("node_c"), reg("node_b"), reg("node_a")}, "node_c"},
		{"here before an older binding elsewhere", []*sipsim.Registration{reg("node_a"), reg("node_b")}, "node_a"},
		{"a dead node is skipped", []*sipsim.Registration{reg("node_dead"), reg("node_b")}, "node_b"},
		{"a draining node is skipped", []*sipsim.Registration{reg("node_draining"), reg("node_c")}, "node_c"},
		{"only a dead node: best effort here", []*sipsim.Registration{reg("node_dead")}, "node_a"},
		{"an unknown node: here", []*sipsim.Registration{reg("node_gone"), reg("")}, "node_a"},
		{"nothing registered (forwarding): here", nil, "node_a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{Accounts: fakeAccounts{}, Node: sipsim.Node{ID: "node_a"}, Nodes: nodes, Lease: testLease})
			got, err := s.runner(t.Context(), tt.contacts, now)
			if err != nil || got != tt.want {
				t.Fatalf("runner = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	alone := New(Config{Accounts: fakeAccounts{}, Node: sipsim.Node{ID: "node_a"}})
	if got, _ := alone.runner(t.Context(), []*sipsim.Registration{reg("node_b")}, now); got != "node_a" {
		t.Fatalf("a node alone on its database dispatched to %q", got)
	}
}

// fakeAccounts satisfies New; the runner never reads accounts.
type fakeAccounts struct{ sipsim.AccountStore }

// A node that stops heartbeating loses its calls: another node's sweeper
// closes each as failed/node_lost with one call.ended, however often it
// (or several) sweep; a node never sweeps its own calls, and a node of a
// cluster closes nothing at start.
func TestSweeperClosesTheCallsOfADeadNodeOnce(t *testing.T) {
	f := newFixture(t, nil)
	store := &relayedCancels{DB: f.db}
	a, b := f.joinNode(t, "node_a", store), f.joinNode(t, "node_b", store)
	f.registerOn(t, "node_a", "sip:101@127.0.0.1:5070", "udp")
	c, err := a.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { return len(a.plans()) == 1 })

	// A goes silent; B heartbeats on.
	f.clock.Advance(testLease + time.Second)
	if err := b.svc.heartbeat(t.Context()); err != nil {
		t.Fatal(err)
	}
	a.svc.sweep(t.Context()) // A is alive, whatever its heartbeat says
	if err := b.svc.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.Call(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil || got.Status.Final() {
		t.Fatalf("before B sweeps: %v, %+v; want the call still active", err, got)
	}

	b.svc.sweep(t.Context())
	b.svc.sweep(t.Context())
	got, err = f.db.Call(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != sipsim.CallFailed || got.EndedReason != sipsim.ReasonNodeLost || got.NodeID != "" {
		t.Fatalf("after B swept: %s/%s on %q, want failed/node_lost on no node (node_a fenced off)", got.Status, got.EndedReason, got.NodeID)
	}
	evs, err := f.db.CallEvents(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	ended := 0
	for _, ev := range evs {
		if ev.Type == sipsim.EventCallEnded {
			ended++
		}
	}
	if ended != 1 {
		t.Fatalf("%d call.ended events, want 1", ended)
	}
	b.mu.Lock()
	counted := slices.Clone(b.ended)
	b.mu.Unlock()
	if !slices.Equal(counted, []string{"failed/node_lost"}) {
		t.Fatalf("node B counted the ends %q, want the one it closed (the metrics' calls_ended_total)", counted)
	}

	// The phone re-registers with B and takes a call there.
	f.registerOn(t, "node_b", "sip:101@127.0.0.1:5071", "udp")
	next, err := b.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765400"})
	if err != nil {
		t.Fatalf("phone not callable after its node was lost: %v", err)
	}
	waitUntil(t, func() bool { return len(b.plans()) == 1 })
	if p := b.plans()[0]; p.CallID != next.ID {
		t.Fatalf("node B placed %s, want %s", p.CallID, next.ID)
	}
}
