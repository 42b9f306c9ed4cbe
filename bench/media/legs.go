package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
)

// leg is one side of a call as the generator plays it: an RTP stream sent
// every 20 ms to the relay's port for this side, and the stream the relay
// sends back, which comes from the other leg of the same call.
type leg struct {
	id     uint32
	sock   *mediaSock     // the generator socket named in this leg's SDP
	remote netip.AddrPort // the relay's port for this leg: sent to, and the only source accepted

	partner atomic.Pointer[leg] // the call's other leg, once both exist
	stopped atomic.Bool         // BYE received: stop sending
	sent    atomic.Uint64

	// The sending state belongs to the socket's sender goroutine.
	counter uint32
	rtpSeq  uint16
	rtpTS   uint32
	ssrc    uint32

	rx rxStats // what arrives from the partner through the relay
}

// registry finds a leg by the id a packet carries, without a lock on the
// receive path: ids are dense and the table never grows.
type registry struct {
	legs []atomic.Pointer[leg]
	last atomic.Uint32
}

func newRegistry(capacity int) *registry {
	return &registry{legs: make([]atomic.Pointer[leg], capacity+1)}
}

// add makes a leg on sock that sends to remote; it starts sending once
// the socket schedules it.
func (r *registry) add(sock *mediaSock, remote netip.AddrPort) (*leg, error) {
	id := r.last.Add(1)
	if int(id) >= len(r.legs) {
		return nil, fmt.Errorf("more than %d legs", len(r.legs)-1)
	}
	l := &leg{id: id, sock: sock, remote: remote,
		rtpSeq: uint16(rand.Uint32()), rtpTS: rand.Uint32(), ssrc: rand.Uint32()}
	r.legs[id].Store(l)
	return l, nil
}

func (r *registry) get(id uint32) *leg {
	if int(id) >= len(r.legs) {
		return nil
	}
	return r.legs[id].Load()
}

// all returns every leg made so far.
func (r *registry) all() []*leg {
	n := int(r.last.Load())
	out := make([]*leg, 0, n)
	for i := 1; i <= n && i < len(r.legs); i++ {
		if l := r.legs[i].Load(); l != nil {
			out = append(out, l)
		}
	}
	return out
}

// pair makes a and b the two legs of one call.
func pair(a, b *leg) {
	a.partner.Store(b)
	b.partner.Store(a)
}

// rxStats is one leg's receive side: RFC 3550 interarrival jitter, and
// loss counted from the sender's packet counter over a measurement window.
type rxStats struct {
	mu          sync.Mutex
	started     bool
	highest     uint32 // highest sender counter seen
	prevTransit int64
	jitter      float64 // RFC 3550 estimate, ns

	// The window: packets newer than base that arrived while it was
	// open, and the jitter estimate averaged over its packets.
	open      bool
	base      uint32
	got       uint64
	jitterSum float64
	jitterN   uint64
	sentBase  uint64 // the partner's sent counter when the window opened
}

// record notes one intact packet; it reports whether it was the stream's
// first (the leg is then known to be bridged).
func (r *rxStats) record(counter uint32, sendNs, recvNs int64) (first bool) {
	transit := recvNs - sendNs
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		r.started, r.highest, r.prevTransit = true, counter, transit
		return true
	}
	if r.open && counter > r.base {
		r.got++
	}
	if counter > r.highest {
		r.highest = counter
	}
	// Jitter in the order packets arrive (RFC 3550 section 6.4.1), with
	// the real send time: the generator's own scheduling is left out.
	d := math.Abs(float64(transit - r.prevTransit))
	r.prevTransit = transit
	r.jitter += (d - r.jitter) / 16
	if r.open {
		r.jitterSum += r.jitter
		r.jitterN++
	}
	return false
}

// openWindow starts counting; partnerSent is the sender's packet count now.
func (r *rxStats) openWindow(partnerSent uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.open, r.base, r.got, r.jitterSum, r.jitterN, r.sentBase = true, r.highest, 0, 0, 0, partnerSent
}

// windowResult is one leg's receive side over a window.
type windowResult struct {
	expected, got uint64
	sent          uint64  // packets the partner sent during the window
	jitterNs      float64 // mean of the jitter estimate; NaN if nothing arrived
	silent        bool    // the partner sent but nothing arrived
}

// closeWindow ends the window. Expected packets are those the sender's
// counter advanced by, as far as the highest that arrived; a stream of
// which nothing arrived expects all its partner sent.
func (r *rxStats) closeWindow(partnerSent uint64) windowResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.open = false
	res := windowResult{expected: uint64(r.highest - r.base), got: r.got, sent: partnerSent - r.sentBase, jitterNs: math.NaN()}
	if r.got == 0 {
		res.expected, res.silent = partnerSent-r.sentBase, partnerSent > r.sentBase
		return res
	}
	res.jitterNs = r.jitterSum / float64(r.jitterN)
	return res
}
