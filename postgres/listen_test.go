package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// A node hears of every event another node stores, as soon as it is
// committed, and only of events of its own schema (the cluster): other
// schemas of the database use the same channel.
func TestListenEventsHearsOtherNodes(t *testing.T) {
	nodes := openNodes(t, 2, fixedClock())
	listening, writing := nodes[0], nodes[1]
	w := startListener(t, func(ctx context.Context, log *slog.Logger, wake func(int64, string)) {
		listening.ListenEvents(ctx, log, wake)
	})

	// Another cluster's event, committed first: were it not dropped, it
	// would be the first wake-up.
	_, otherURL := newSchema(t)
	other := openTest(t, otherURL, fixedClock())
	storeCall(t, other, phoneOf(t, other, 1), "call_other_cluster")

	c := storeCall(t, writing, phoneOf(t, writing, 1), "call_on_node_b")
	c.Status = sipsim.CallRingingAgent
	if err := writing.UpdateCall(t.Context(), c, &sipsim.CallEvent{Type: sipsim.EventCallRingingAgent}); err != nil {
		t.Fatal(err)
	}
	want := []wakeUp{{sipsim.DefaultAccountID, c.ID}, {sipsim.DefaultAccountID, c.ID}}
	if got := w.next(t, 2); !slices.Equal(got, want) {
		t.Errorf("wake-ups %v, want %v (call.created and call.ringing_agent of %s)", got, want, c.ID)
	}
}

// The listening connection drops and the database refuses new ones for a
// while: the outage is logged once, not per attempt, and once it is back
// the calls whose events were stored meanwhile are woken, each once.
func TestListenEventsCatchesUpAfterOutage(t *testing.T) {
	_, url := newSchema(t)
	writing := openTest(t, url, fixedClock())
	phone := phoneOf(t, writing, 1)
	proxy := startNotifyProxy(t, url)
	w := startListener(t, func(ctx context.Context, log *slog.Logger, wake func(int64, string)) {
		l := newEventListener(proxy.connConfig(t), log, wake)
		l.retryMin, l.retryMax = 20*time.Millisecond, 100*time.Millisecond
		l.run(ctx)
	})

	first := storeCall(t, writing, phone, "call_before_outage")
	w.expect(t, first.ID)

	proxy.cut()
	second := storeCall(t, writing, phoneOf(t, writing, 2), "call_during_outage")
	first.Status = sipsim.CallRingingAgent
	if err := writing.UpdateCall(t.Context(), first, &sipsim.CallEvent{Type: sipsim.EventCallRingingAgent}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the listener to try again three times", func() bool { return proxy.refused.Load() >= 3 })
	proxy.resume()

	// In the order of their newest event.
	w.expect(t, second.ID, first.ID)
	third := storeCall(t, writing, phoneOf(t, writing, 3), "call_after_outage")
	w.expect(t, third.ID)

	// Logged once the catch-up is done, so maybe after its wake-ups.
	waitUntil(t, "the listener to log that notifications are back", func() bool {
		return w.log.countMsg("event notifications restored") == 1
	})
	if n := w.log.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", n, w.log)
	}
}

// A connection the network drops silently (nothing comes back, nothing
// fails) is noticed by the idle check and replaced, and what was stored
// meanwhile is woken.
func TestListenEventsReplacesASilentConnection(t *testing.T) {
	_, url := newSchema(t)
	writing := openTest(t, url, fixedClock())
	proxy := startNotifyProxy(t, url)
	w := startListener(t, func(ctx context.Context, log *slog.Logger, wake func(int64, string)) {
		l := newEventListener(proxy.connConfig(t), log, wake)
		l.retryMin, l.idleCheck, l.queryTimeout = 20*time.Millisecond, 100*time.Millisecond, 300*time.Millisecond
		l.run(ctx)
	})
	first := storeCall(t, writing, phoneOf(t, writing, 1), "call_before_silence")
	w.expect(t, first.ID)

	proxy.silence()
	quiet := storeCall(t, writing, phoneOf(t, writing, 2), "call_during_silence")
	w.expect(t, quiet.ID)
	waitUntil(t, "the listener to log that notifications are back", func() bool {
		return w.log.countMsg("event notifications restored") == 1
	})
}

func storeCall(t *testing.T, db *DB, p *sipsim.Phone, id string) *sipsim.Call {
	t.Helper()
	c := initiating(id, p.ID)
	if err := db.CreateCall(t.Context(), c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}
	return c
}

// wakeUp is one call of ListenEvents' wake function.
type wakeUp struct {
	AccountID int64
	CallID    string
}

// listenerRun is a listener running in the background for one test.
type listenerRun struct {
	wakes chan wakeUp
	log   *listenLog
}

// startListener runs listen until the test ends, and returns once it
// listens (it logs so), so that whatever the test stores next is heard.
func startListener(t *testing.T, listen func(ctx context.Context, log *slog.Logger, wake func(int64, string))) *listenerRun {
	t.Helper()
	w := &listenerRun{wakes: make(chan wakeUp, 100), log: &listenLog{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		listen(ctx, slog.New(w.log), func(accountID int64, callID string) { w.wakes <- wakeUp{accountID, callID} })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("ListenEvents did not return after its context ended")
		}
	})
	waitUntil(t, "the listener to listen", func() bool { return w.log.countMsg("listening for events stored by every node") == 1 })
	return w
}

// next returns the next n wake-ups.
func (w *listenerRun) next(t *testing.T, n int) []wakeUp {
	t.Helper()
	var got []wakeUp
	for range n {
		select {
		case wu := <-w.wakes:
			got = append(got, wu)
		case <-time.After(20 * time.Second):
			t.Fatalf("got wake-ups %v, then none; log:\n%s", got, w.log)
		}
	}
	return got
}

// expect checks that the next wake-ups are for these calls of the default
// account, in this order.
func (w *listenerRun) expect(t *testing.T, callIDs ...string) {
	t.Helper()
	var want []wakeUp
	for _, id := range callIDs {
		want = append(want, wakeUp{sipsim.DefaultAccountID, id})
	}
	if got := w.next(t, len(want)); !slices.Equal(got, want) {
		t.Fatalf("wake-ups %v, want %v", got, want)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listenLog is a slog.Handler that keeps every record, to count what the
// listener told the operator.
type listenLog struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *listenLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *listenLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *listenLog) WithGroup(string) slog.Handler            { return l }

func (l *listenLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

func (l *listenLog) count(level slog.Level) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.Level == level {
			n++
		}
	}
	return n
}

func (l *listenLog) countMsg(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.Message == msg {
			n++
		}
	}
	return n
}

func (l *listenLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := ""
	for _, r := range l.recs {
		s += fmt.Sprintf("  %s %s", r.Level, r.Message)
		r.Attrs(func(a slog.Attr) bool {
			s += " " + a.String()
			return true
		})
		s += "\n"
	}
	return s
}

// notifyProxy stands between the listener and PostgreSQL on loopback, to
// play the network: it can cut every connection and refuse new ones, or
// swallow what flows on the current ones without closing them.
type notifyProxy struct {
	ln      net.Listener
	url     string // the database's
	target  string // its address
	refused atomic.Int64

	mu      sync.Mutex
	closed  bool
	refuse  bool
	links   map[*proxyLink]struct{}
	serving sync.WaitGroup
}

type proxyLink struct {
	client, server net.Conn
	silent         atomic.Bool
}

func startNotifyProxy(t *testing.T, url string) *notifyProxy {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &notifyProxy{ln: ln, url: url, target: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), links: map[*proxyLink]struct{}{}}
	p.serving.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// connConfig is the listener's configuration: the test schema, through
// the proxy.
func (p *notifyProxy) connConfig(t *testing.T) *pgx.ConnConfig {
	t.Helper()
	cfg, err := pgx.ParseConfig(p.url)
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(p.ln.Addr().(*net.TCPAddr).Port)
	cfg.Host, cfg.Port = "127.0.0.1", port
	for _, f := range cfg.Fallbacks {
		f.Host, f.Port = "127.0.0.1", port
	}
	return cfg
}

func (p *notifyProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse || p.closed
		p.mu.Unlock()
		if refuse {
			p.refused.Add(1)
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		l := &proxyLink{client: client, server: server}
		p.mu.Lock()
		p.links[l] = struct{}{}
		p.mu.Unlock()
		p.serving.Go(func() { p.pipe(l, client, server) })
		p.serving.Go(func() { p.pipe(l, server, client) })
	}
}

// pipe copies src to dst until either fails, dropping what it reads while
// the link is silent.
func (p *notifyProxy) pipe(l *proxyLink, src, dst net.Conn) {
	defer p.drop(l)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !l.silent.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *notifyProxy) drop(l *proxyLink) {
	l.client.Close()
	l.server.Close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// cut closes every connection and refuses new ones until resume.
func (p *notifyProxy) cut() {
	p.mu.Lock()
	p.refuse = true
	links := make([]*proxyLink, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.client.Close()
		l.server.Close()
	}
}

func (p *notifyProxy) resume() {
	p.mu.Lock()
	p.refuse = false
	p.mu.Unlock()
}

// silence swallows whatever the current connections carry, both ways,
// without closing them: a network that drops packets. New connections
// work.
func (p *notifyProxy) silence() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.links {
		l.silent.Store(true)
	}
}

func (p *notifyProxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.cut()
	p.serving.Wait()
}

// Events stored at the same moment by many calls, whose notifications
// leave in shared statements after their commits, each wake the
// listening node; so do those still waiting when the store closes.
func TestListenEventsHearsABurstAndTheLastBeforeClose(t *testing.T) {
	nodes := openNodes(t, 2, fixedClock())
	listening, writing := nodes[0], nodes[1]
	w := startListener(t, func(ctx context.Context, log *slog.Logger, wake func(int64, string)) {
		listening.ListenEvents(ctx, log, wake)
	})
	const n = 30
	phones := make([]*sipsim.Phone, n)
	for i := range phones {
		phones[i] = phoneOf(t, writing, i+1)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, p := range phones {
		wg.Go(func() {
			c := initiating(fmt.Sprintf("call_burst_%02d", i), p.ID)
			errs[i] = writing.CreateCall(t.Context(), c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := w.next(t, n)
	heard := map[string]bool{}
	for _, u := range got {
		heard[u.CallID] = true
	}
	if len(heard) != n {
		t.Errorf("woken for %d calls of %d: %v", len(heard), n, got)
	}
	c := storeCall(t, writing, phoneOf(t, writing, n+1), "call_before_close")
	if err := writing.Close(); err != nil {
		t.Fatal(err)
	}
	if last := w.next(t, 1); last[0].CallID != c.ID {
		t.Errorf("after close: woken for %v, want %s", last, c.ID)
	}
}
