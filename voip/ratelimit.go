package voip

import (
	"bytes"
	"container/list"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Default request rate per source, sized for the largest site we expect
// behind one address: an office of ~500 phones behind one NAT.
//   - Registration: a phone refreshes at about half its expiry; at our
//     shortest (60 s), with each refresh challenged once, 500 phones make
//     ~33 requests/s.
//   - Keep-alive OPTIONS every 15-30 s: up to ~33/s more.
//   - A busy contact centre placing one call per phone per minute: ~8
//     calls/s of ~4 requests (INVITE, its challenged retry, ACK, BYE),
//     ~33/s.
//
// That is ~100 requests/s; the rate is twice that. The burst covers the
// office's router or power coming back, when every phone registers at once
// (500 x 2 requests): 400 pass at once and the rest within the next 3 s,
// and a phone whose REGISTER was dropped retransmits it (after 0.5, 1, 2 s)
// before anyone notices. A single attacking address, meanwhile, is held
// to 200 requests/s: challenges and store reads one core handles easily,
// and if it guesses passwords the guard bans it after a few.
const (
	defaultSourceRequestRate = 200
	defaultRateTracked       = 10_000
)

// rateLimits are the per-source request limits, defaults filled in.
type rateLimits struct {
	off     bool
	rate    float64 // requests per second
	burst   int
	sources int // most sources remembered at once
}

// rateLimits are the request limits of c: zero fields take the defaults,
// the burst defaulting to two seconds' worth of the rate; a negative rate
// turns the limit off.
func (c Config) rateLimits() rateLimits {
	l := rateLimits{rate: defaultSourceRequestRate, sources: defaultRateTracked}
	switch {
	case c.SourceRequestRate < 0:
		l.off = true
	case c.SourceRequestRate > 0:
		l.rate = c.SourceRequestRate
	}
	l.burst = max(1, int(2*l.rate))
	if c.SourceRequestBurst > 0 {
		l.burst = c.SourceRequestBurst
	}
	if c.RateTrackedSources > 0 {
		l.sources = c.RateTrackedSources
	}
	return l
}

// sourceLimiter gives each source a token bucket: rate requests a second,
// up to burst at once. What a source sends beyond that is dropped, before
// it costs a parse, a transaction, a challenge or a store read. The
// trunk's addresses are exempt: the carrier's traffic is the calls we are
// paid for, and its host may send from several ports.
//
// A source is an IPv4 address, or an IPv6 /64: one host or one site owns
// a whole /64, and counting its addresses one by one would give an
// attacker 2^64 buckets.
//
// Memory is bounded like the guard's: at most capacity sources, the least
// recently seen forgotten when full. A source quiet long enough to refill
// its bucket is forgotten too (on later calls, a couple at a time, so no
// goroutine is needed): remembering a full bucket tells nothing. A source
// that keeps flooding stays recently seen, so a spray of other addresses
// does not hand it a fresh bucket.
type sourceLimiter struct {
	now      func() time.Time
	log      *slog.Logger
	rate     float64
	burst    float64
	capacity int
	refill   time.Duration // time to fill an empty bucket
	exempt   []netip.Addr

	dropped atomic.Uint64 // requests dropped, for tests and troubleshooting

	mu      sync.Mutex
	sources map[netip.Addr]*list.Element // value: *bucket
	recency *list.List                   // front: most recently seen
}

type bucket struct {
	source netip.Addr
	tokens float64
	last   time.Time // last seen, and last refilled
	// Set from the first request dropped until the source is forgotten:
	// when it started, and how many requests were dropped since.
	limitedSince time.Time
	dropped      uint64
}

// limitEvent is a change worth a log line, logged once the lock is released.
type limitEvent struct {
	source  netip.Addr
	started bool // false: the limit was lifted
	since   time.Time
	dropped uint64
}

// newSourceLimiter returns nil when l turns the limit off.
func newSourceLimiter(now func() time.Time, log *slog.Logger, l rateLimits, exempt []netip.Addr) *sourceLimiter {
	if l.off {
		return nil
	}
	// At absurdly low rates a bucket is forgotten after a day of quiet,
	// full or not.
	refill := time.Duration(min(float64(l.burst)/l.rate, 24*60*60) * float64(time.Second))
	return &sourceLimiter{now: now, log: log, rate: l.rate, burst: float64(l.burst), capacity: l.sources,
		refill: refill, exempt: exempt, sources: make(map[netip.Addr]*list.Element), recency: list.New()}
}

// allow charges cost requests to addr's bucket and reports whether they
// may go on. Refused requests take nothing from the bucket, so a source
// flooding far above the rate still gets the rate through.
func (l *sourceLimiter) allow(addr netip.Addr, cost int) bool {
	if cost <= 0 || slices.Contains(l.exempt, addr) {
		return true
	}
	source := rateSource(addr)
	now := l.now()
	var events [4]limitEvent
	n := 0
	note := func(ev limitEvent, ok bool) {
		if ok {
			events[n] = ev
			n++
		}
	}

	l.mu.Lock()
	for range 2 {
		note(l.forgetIdle(now))
	}
	b, ev, ended := l.touch(source, now)
	note(ev, ended)
	b.tokens = min(l.burst, b.tokens+max(0, now.Sub(b.last).Seconds())*l.rate)
	b.last = now
	ok := b.tokens >= float64(cost)
	if ok {
		b.tokens -= float64(cost)
	} else {
		if b.limitedSince.IsZero() {
			b.limitedSince = now
			note(limitEvent{source: source, started: true, since: now}, true)
		}
		b.dropped += uint64(cost)
	}
	l.mu.Unlock()

	if !ok {
		l.dropped.Add(uint64(cost))
	}
	for _, ev := range events[:n] {
		l.logEvent(ev)
	}
	return ok
}

// touch returns source's bucket, made the most recently seen: a new, full
// one if the source was unknown or quiet long enough to refill (ended then
// reports the end of its limit, if it had one), forgetting the least
// recently seen source when the table is full.
func (l *sourceLimiter) touch(source netip.Addr, now time.Time) (b *bucket, ev limitEvent, ended bool) {
	if e, ok := l.sources[source]; ok {
		l.recency.MoveToFront(e)
		b = e.Value.(*bucket)
		if now.Sub(b.last) < l.refill {
			return b, limitEvent{}, false
		}
		ev, ended = lifted(b)
		*b = bucket{source: source, tokens: l.burst, last: now}
		return b, ev, ended
	}
	if l.recency.Len() >= l.capacity {
		ev, ended = l.forget(l.recency.Back())
	}
	b = &bucket{source: source, tokens: l.burst, last: now}
	l.sources[source] = l.recency.PushFront(b)
	return b, ev, ended
}

// forgetIdle forgets the least recently seen source if its bucket has
// had the time to refill.
func (l *sourceLimiter) forgetIdle(now time.Time) (limitEvent, bool) {
	oldest := l.recency.Back()
	if oldest == nil || now.Sub(oldest.Value.(*bucket).last) < l.refill {
		return limitEvent{}, false
	}
	return l.forget(oldest)
}

func (l *sourceLimiter) forget(e *list.Element) (limitEvent, bool) {
	b := e.Value.(*bucket)
	delete(l.sources, b.source)
	l.recency.Remove(e)
	return lifted(b)
}

// lifted is the end of b's limit, if it had one.
func lifted(b *bucket) (limitEvent, bool) {
	if b.limitedSince.IsZero() {
		return limitEvent{}, false
	}
	return limitEvent{source: b.source, since: b.limitedSince, dropped: b.dropped}, true
}

// logEvent writes one line when a source starts being limited and one
// when it is forgotten, never one per dropped request.
func (l *sourceLimiter) logEvent(ev limitEvent) {
	if ev.started {
		l.log.Warn("sip source over its request rate: its excess requests are dropped unanswered",
			"source", ev.source, "rate", l.rate, "burst", l.burst)
		return
	}
	l.log.Info("sip source request rate limit lifted", "source", ev.source, "dropped", ev.dropped, "limited_since", ev.since)
}

// tracked is how many sources the limiter remembers.
func (l *sourceLimiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recency.Len()
}

// rateSource is the source a request is counted against: the IPv4
// address, or the /64 of an IPv6 address.
func rateSource(addr netip.Addr) netip.Addr {
	if addr.Is4() {
		return addr
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return addr
	}
	return p.Addr()
}

var headerEnd = []byte("\r\n\r\n")

// readCost is how many requests a transport read counts for. A UDP
// datagram is one message, and a response is free: it can only complete
// a transaction we started. A TCP read may hold many pipelined messages,
// or a response with requests behind it, so it counts every header block
// it holds (sipgo frames on CRLF CRLF), and at least one.
func readCost(transport string, data []byte) int {
	if !isStream(transport) {
		if bytes.HasPrefix(data, responsePrefix) {
			return 0
		}
		return 1
	}
	return max(1, bytes.Count(data, headerEnd))
}
