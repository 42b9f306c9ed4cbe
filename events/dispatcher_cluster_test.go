package events_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/events"
	"github.com/sipsim/sipsim/postgres"
)

// Several nodes share one PostgreSQL database, each with its own
// dispatcher, bus and connection pool, as separate `sipsim serve`
// processes would: the outbox is one, and each delivery is sent by one
// node.

// Both nodes store calls and both are woken for every event (through the
// database's notifications, as serve wires them): every event reaches
// every webhook once, each delivery in one attempt, and both nodes send
// their share.
func TestDispatchersOfTwoNodesDeliverEachEventOnce(t *testing.T) {
	nodes := openCluster(t, 2)
	r := newReceiver(t, ok)
	hooks := []*sipsim.Webhook{nodes[0].webhook(r.URL + "/a"), nodes[1].webhook(r.URL + "/b")}
	for _, n := range nodes {
		n.relay()
		n.dispatch(events.DispatcherConfig{})
	}

	const callsPerNode = 10
	var eventIDs []int64
	for i := range callsPerNode {
		for _, n := range nodes {
			eventIDs = append(eventIDs, n.placeCall(fmt.Sprintf("call_%d_%s", i, n.name))...)
		}
	}
	for _, w := range hooks {
		waitFor(t, "every delivery of webhook "+w.URL+" succeeds", func() bool {
			return allSucceeded(t, nodes[0].db, w.ID, len(eventIDs))
		})
		for _, d := range deliveriesOf(t, nodes[0].db, w.ID) {
			if d.Attempts != 1 || len(d.AttemptLog) != 1 {
				t.Errorf("delivery %d (event %d): %d attempts %+v, want one", d.ID, d.EventID, d.Attempts, d.AttemptLog)
			}
		}
	}

	posts := map[string]int{} // webhook path and event id
	for _, req := range r.requests() {
		posts[req.path+" "+req.header.Get(events.EventIDHeader)]++
	}
	for _, w := range hooks {
		path := w.URL[len(r.URL):]
		for _, id := range eventIDs {
			if n := posts[path+" "+strconv.FormatInt(id, 10)]; n != 1 {
				t.Errorf("webhook %s got event %d %d times, want once", path, id, n)
			}
		}
	}
	if got, want := len(r.requests()), len(hooks)*len(eventIDs); got != want {
		t.Errorf("the receiver got %d POSTs, want %d", got, want)
	}
	for _, n := range nodes {
		t.Logf("node %s claimed %d of %d deliveries", n.name, n.store.claimed.Load(), len(hooks)*len(eventIDs))
		if n.store.claimed.Load() == 0 {
			t.Errorf("node %s sent nothing: the test did not make the nodes share the work", n.name)
		}
	}
}

// A node dies while it sends a delivery: its POST is cut and it never
// records the attempt. Until its lease ends the delivery is nobody
// else's; after it, the other node sends it, and the delivery succeeds
// with that one recorded attempt.
func TestDeliveryOfADeadNodeIsTakenOverAfterItsLease(t *testing.T) {
	nodes := openCluster(t, 2)
	dying, survivor := nodes[0], nodes[1]

	firstArrived := make(chan struct{})
	var posts atomic.Int64
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body) // the server notices a closed connection only once the body is read
		if posts.Add(1) == 1 {
			close(firstArrived)
			<-req.Context().Done() // the dying node's POST: no answer, the connection goes away
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	w := dying.webhook(r.URL, sipsim.EventCallCreated)

	// A lease far longer than the POST, so that the check below falls
	// within it however slow the machine.
	const lease = time.Minute
	client := &http.Client{Timeout: 500 * time.Millisecond}
	stop := dying.dispatch(events.DispatcherConfig{Client: client, Lease: lease})
	eventID := dying.placeCall("call_of_the_dying_node")[0]
	select {
	case <-firstArrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the dying node never sent the delivery")
	}
	// The node loses its database, then stops: the POST it has in flight
	// ends with its client's timeout, and the attempt cannot be recorded.
	dying.db.Close()
	stop()

	claimed, err := survivor.db.ClaimDueDeliveries(t.Context(), time.Now(), lease, 10, nil)
	must(t, err)
	if len(claimed) != 0 {
		t.Fatalf("the survivor claimed %d deliveries while the dead node's lease ran, want none", len(claimed))
	}
	// The survivor's clock stands past the lease, rather than the test
	// waiting for it.
	later := &clock{offset: lease + time.Second}
	survivor.dispatch(events.DispatcherConfig{Client: client, Lease: lease, Now: later.Now})
	waitFor(t, "the survivor delivers", func() bool { return allSucceeded(t, survivor.db, w.ID, 1) })

	d := deliveriesOf(t, survivor.db, w.ID)[0]
	if d.EventID != eventID || d.Attempts != 1 || len(d.AttemptLog) != 1 || d.AttemptLog[0].StatusCode != http.StatusOK {
		t.Errorf("delivery of event %d: %d attempts %+v; want the survivor's 200 only", d.EventID, d.Attempts, d.AttemptLog)
	}
	if n := posts.Load(); n != 2 {
		t.Errorf("the receiver got %d POSTs, want 2: the dead node's, cut, then the survivor's", n)
	}
}

// clusterNode is one node's view of the shared database: its own pool,
// bus and dispatcher.
type clusterNode struct {
	t     *testing.T
	name  string
	db    *postgres.DB
	store *claimCounter
	bus   *events.Bus
	phone *sipsim.Phone
}

// claimCounter counts a dispatcher's claims and the deliveries they took.
type claimCounter struct {
	sipsim.WebhookStore
	claims  atomic.Int64
	claimed atomic.Int64
}

func (c *claimCounter) ClaimDueDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int, skip []int64) ([]*sipsim.Delivery, error) {
	c.claims.Add(1)
	ds, err := c.WebhookStore.ClaimDueDeliveries(ctx, now, lease, limit, skip)
	c.claimed.Add(int64(len(ds)))
	return ds, err
}

// openCluster opens n nodes on a new schema of the test server, each with
// a phone of its own.
func openCluster(t *testing.T, n int) []*clusterNode {
	dbURL := postgresSchema(t)
	nodes := make([]*clusterNode, n)
	for i := range nodes {
		db, err := postgres.Open(t.Context(), dbURL, time.Now)
		must(t, err)
		t.Cleanup(func() { db.Close() })
		node := &clusterNode{t: t, name: string(rune('A' + i)), db: db, store: &claimCounter{WebhookStore: db}, bus: events.NewBus(16)}
		md5, sha := sipsim.DigestHA1(strconv.Itoa(100+i), "sipsim", "secret")
		node.phone = &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Phone " + node.name, Status: sipsim.PhoneActive,
			InternalNumber: 100 + i, Number: fmt.Sprintf("+336123456%02d", i), Country: "FR", SIPRealm: "sipsim",
			SIPHA1MD5: md5, SIPHA1SHA256: sha}
		must(t, db.CreatePhone(t.Context(), node.phone))
		nodes[i] = node
	}
	return nodes
}

func (n *clusterNode) webhook(target string, eventTypes ...string) *sipsim.Webhook {
	w := &sipsim.Webhook{AccountID: sipsim.DefaultAccountID, URL: target, EventTypes: eventTypes, Secret: events.NewSecret()}
	must(n.t, n.db.CreateWebhook(n.t.Context(), w))
	return w
}

func (n *clusterNode) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(n.t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", n.name)
}

// relay wakes the node's bus with every event stored by any node, as
// serve does on PostgreSQL.
func (n *clusterNode) relay() {
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Go(func() {
		n.db.ListenEvents(ctx, n.logger(), func(accountID int64, callID string) {
			n.bus.Publish(&sipsim.CallEvent{AccountID: accountID, CallID: callID})
		})
	})
	n.t.Cleanup(func() {
		cancel()
		done.Wait()
	})
}

// dispatch runs the node's dispatcher, allowed to deliver to loopback;
// the returned stop (also run at cleanup) ends it and waits for Run.
func (n *clusterNode) dispatch(cfg events.DispatcherConfig) (stop func()) {
	cfg.Store, cfg.Bus, cfg.AllowNetworks = n.store, n.bus, loopback
	cfg.PollInterval = 50 * time.Millisecond
	cfg.Logger = n.logger()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- events.NewDispatcher(cfg).Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				n.t.Errorf("node %s: Run = %v, want nil after cancel", n.name, err)
			}
		case <-time.After(30 * time.Second):
			n.t.Errorf("node %s: Run did not return after its context ended", n.name)
		}
	})
	n.t.Cleanup(stop)
	return stop
}

// placeCall stores, on this node, a call of its phone that rings, is
// answered and ends, publishing each event on the node's bus once stored
// as the calls service does. It returns the event ids in order.
func (n *clusterNode) placeCall(id string) []int64 {
	ctx := n.t.Context()
	c := &sipsim.Call{ID: id, AccountID: sipsim.DefaultAccountID, PhoneID: n.phone.ID,
		TargetNumber: "+33698765432", CallerID: n.phone.Number, Direction: "outbound", Source: "api",
		Status: sipsim.CallInitiating, AgentLeg: sipsim.Leg{Status: sipsim.LegIdle}, TargetLeg: sipsim.Leg{Status: sipsim.LegIdle}}
	first := &sipsim.CallEvent{Type: sipsim.EventCallCreated}
	must(n.t, n.db.CreateCall(ctx, c, first, sipsim.CallLimits{}))
	n.bus.Publish(first)
	ids := []int64{first.ID}
	for _, step := range []struct {
		status sipsim.CallStatus
		event  string
	}{
		{sipsim.CallRingingAgent, sipsim.EventCallRingingAgent},
		{sipsim.CallInProgress, sipsim.EventCallAnswered},
		{sipsim.CallCompleted, sipsim.EventCallEnded},
	} {
		c.Status = step.status
		if step.status.Final() {
			now := time.Now()
			c.EndedAt, c.EndedReason = &now, sipsim.ReasonTargetHangup
		}
		ev := &sipsim.CallEvent{Type: step.event}
		must(n.t, n.db.UpdateCall(ctx, c, ev))
		n.bus.Publish(ev)
		ids = append(ids, ev.ID)
	}
	return ids
}

func deliveriesOf(t *testing.T, db *postgres.DB, webhookID int64) []*sipsim.Delivery {
	ds, err := db.WebhookDeliveries(t.Context(), sipsim.DefaultAccountID, webhookID, 1000)
	must(t, err)
	return ds
}

// allSucceeded reports whether the webhook has n deliveries, all
// succeeded.
func allSucceeded(t *testing.T, db *postgres.DB, webhookID int64, n int) bool {
	ds := deliveriesOf(t, db, webhookID)
	for _, d := range ds {
		if d.Status != sipsim.DeliverySucceeded {
			return false
		}
	}
	return len(ds) == n
}

// The PostgreSQL server the tests may create schemas on, as for package
// postgres's tests.
const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// postgresSchema creates an empty schema on the test server, dropped with
// everything in it when t ends, and returns the server's URL with
// search_path set to it. Without a server the test fails; it is not
// skipped.
func postgresSchema(t *testing.T) string {
	t.Helper()
	server := os.Getenv("SIPSIM_TEST_POSTGRES")
	if server == "" {
		server = defaultTestPostgres
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "sipsim_events_test_" + hex.EncodeToString(b)
	admin := func(ctx context.Context, sql string) error {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			return fmt.Errorf("PostgreSQL is not reachable: %w; set SIPSIM_TEST_POSTGRES to a server the tests may create schemas on (default %s)",
				err, defaultTestPostgres)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		_, err = conn.Exec(ctx, sql)
		return err
	}
	must(t, admin(t.Context(), "CREATE SCHEMA "+name))
	// Registered before the nodes' cleanups, so it runs after they closed
	// their connections.
	t.Cleanup(func() {
		if err := admin(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	must(t, err)
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
