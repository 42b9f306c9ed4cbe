package voip

import (
	"container/list"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// sourceGuard bans IP addresses that keep failing digest authentication:
// a password-guessing scanner gets a few tries, then silence. It counts
// per IP address, not per user name, because scanners walk through
// extensions; a success from one address changes nothing for another.
//
// Memory is bounded: the table holds at most capacity addresses and, when
// full, forgets the one seen least recently. A banned address that keeps
// sending stays recently seen, so a flood of other (possibly spoofed)
// addresses does not lift its ban while it is still attacking.
type sourceGuard struct {
	now      func() time.Time
	log      *slog.Logger
	limit    int           // failures that earn a ban
	window   time.Duration // counted from the first failure of a series
	banFor   time.Duration
	capacity int
	exempt   []netip.Addr // never banned: the trunk's addresses

	mu      sync.Mutex
	sources map[netip.Addr]*list.Element // value: *sourceRecord
	recency *list.List                   // front: most recently seen
}

type sourceRecord struct {
	addr        netip.Addr
	failures    int
	firstFailed time.Time // start of the current counting window
	bannedUntil time.Time
}

// guardLimits are the thresholds of a sourceGuard.
type guardLimits struct {
	failures int
	window   time.Duration
	ban      time.Duration
	sources  int
}

func newSourceGuard(now func() time.Time, log *slog.Logger, l guardLimits, exempt []netip.Addr) *sourceGuard {
	return &sourceGuard{now: now, log: log, limit: l.failures, window: l.window, banFor: l.ban, capacity: l.sources,
		exempt: exempt, sources: make(map[netip.Addr]*list.Element), recency: list.New()}
}

// authFailed counts a failed authentication from source ("ip:port", as
// sipgo gives a request's source). The failure that reaches the limit
// starts the ban.
func (g *sourceGuard) authFailed(source string) {
	addr, ok := sourceAddr(source)
	if !ok || slices.Contains(g.exempt, addr) {
		return
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.touch(addr)
	if now.Before(r.bannedUntil) {
		return
	}
	if r.failures == 0 || now.Sub(r.firstFailed) > g.window {
		r.failures, r.firstFailed = 0, now
	}
	r.failures++
	if r.failures >= g.limit {
		r.bannedUntil = now.Add(g.banFor)
		r.failures = 0
		g.log.Warn("sip source banned after repeated authentication failures", "source", addr, "until", r.bannedUntil)
	}
}

// banned reports whether requests from addr are to be ignored now.
func (g *sourceGuard) banned(addr netip.Addr) bool {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.sources[addr]
	if !ok {
		return false
	}
	r := e.Value.(*sourceRecord)
	if !now.Before(r.bannedUntil) {
		return false
	}
	g.recency.MoveToFront(e)
	return true
}

// touch returns addr's record, made the most recently seen, creating it
// (and forgetting the least recently seen address if the table is full).
func (g *sourceGuard) touch(addr netip.Addr) *sourceRecord {
	if e, ok := g.sources[addr]; ok {
		g.recency.MoveToFront(e)
		return e.Value.(*sourceRecord)
	}
	if g.recency.Len() >= g.capacity {
		oldest := g.recency.Back()
		delete(g.sources, oldest.Value.(*sourceRecord).addr)
		g.recency.Remove(oldest)
	}
	r := &sourceRecord{addr: addr}
	g.sources[addr] = g.recency.PushFront(r)
	return r
}

// tracked is how many addresses the guard remembers.
func (g *sourceGuard) tracked() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.recency.Len()
}

// sourceAddr is the IP address of an "ip:port" source, IPv4-mapped IPv6
// addresses folded to IPv4 so one host has one entry.
func sourceAddr(source string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(source)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}
