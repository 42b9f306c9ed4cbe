package media

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Side names one leg of a bridge.
type Side uint8

// The two sides of a click-to-call.
const (
	A Side = iota // faces the employee's phone
	B             // faces the carrier (trunk)
)

// String returns "A" or "B", for logs.
func (s Side) String() string {
	switch s {
	case A:
		return "A"
	case B:
		return "B"
	}
	return "Side(" + strconv.Itoa(int(s)) + ")"
}

func (s Side) other() Side { return 1 - s }

// maxDatagram bounds what one read takes: larger than any RTP packet on an
// Ethernet path, so nothing real is truncated.
const maxDatagram = 2048

// Bridge is one call's media: a local RTP socket per side, and forwarding in
// two directions that the call's state machine opens as the call progresses
// (ForwardEarlyMedia, Connect). Each socket is read from creation on, so its
// kernel buffer never fills while the other leg rings; packets that may not
// be forwarded yet are dropped.
//
// A Bridge is safe for concurrent use. Close it to stop its goroutines and
// return its ports.
type Bridge struct {
	log   *slog.Logger
	alloc *Allocator
	sides [2]side
	wg    sync.WaitGroup // the reading goroutines and the generator (ringback, prompts)

	ringbackSent atomic.Uint64
	rec          atomic.Pointer[Recorder] // nil unless the call is recorded

	// ctl orders the control calls that start or end goroutines. Lock
	// order: ctl, then a side's mu.
	ctl       sync.Mutex
	connected bool
	closed    bool
}

// side is one leg's socket and what the bridge knows of its peer.
type side struct {
	conn     *net.UDPConn
	port     int
	lastRecv atomic.Int64 // Unix nanoseconds of the peer's newest RTP packet
	counters flowCounters // packets read here, toward the other side

	// mu guards the rest: the peer, and the stream sent toward it, which
	// both the other side's reader and the generator write.
	mu         sync.Mutex
	haveRemote bool
	sdpAddr    netip.AddrPort // the peer's address from SDP
	peer       netip.AddrPort // where to send: sdpAddr until latched
	latched    bool           // peer is the source of the first packet
	media      media
	open       bool // packets from the other side are forwarded here
	fed        bool // at least one packet was forwarded here
	out        outStream
	gen        *generator // the goroutine sending generated audio here, if any
	gens       uint64     // generated programs started, to tell their streams apart
	ringing    bool       // ringback is wanted here: it plays whenever no prompt does
	prompt     *prompt    // the prompt playing here, if any
}

// NewBridge binds two ports of the range, one per side, and starts reading
// them. log may be nil. The error wraps ErrNoPorts when the range is full.
func (a *Allocator) NewBridge(log *slog.Logger) (*Bridge, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{log: log, alloc: a}
	for i := range b.sides {
		conn, port, err := a.listen()
		if err != nil {
			for j := range i {
				b.sides[j].conn.Close()
				a.release(b.sides[j].port)
			}
			return nil, err
		}
		sd := &b.sides[i]
		sd.conn, sd.port = conn, port
		sd.media.dtmfPT = -1
		// Random SSRC and first sequence number and timestamp
		// (RFC 3550 section 5.1) make blind injection harder.
		sd.out = newOutStream(rand.Uint32(), uint16(rand.Uint32()), rand.Uint32())
	}
	a.opened(b)
	for i := range b.sides {
		b.wg.Add(1)
		go b.read(Side(i))
	}
	return b, nil
}

// LocalPort returns the local RTP port of side s, to put in that leg's SDP.
func (b *Bridge) LocalPort(s Side) int { return b.sides[s].port }

// SetRemote records what side s's peer negotiated in SDP: where it receives
// RTP, its codec, and its telephone-event payload type (dtmfPT, -1 when the
// peer did not negotiate RFC 4733 events). Until SetRemote, packets read on
// s are dropped. It may be called again, e.g. with a 183's SDP then the
// 200's: a new address forgets the latched source, so the next packet
// latches again; the same address keeps it. An invalid address stops the
// side until it is set again.
func (b *Bridge) SetRemote(s Side, addr netip.AddrPort, codec Codec, dtmfPT int) {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	if dtmfPT < 0 || dtmfPT > 127 {
		dtmfPT = -1
	}
	sd := &b.sides[s]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if !sd.haveRemote || addr != sd.sdpAddr {
		sd.sdpAddr, sd.peer, sd.latched = addr, addr, false
	}
	sd.haveRemote = addr.IsValid()
	sd.media = media{codec: codec, dtmfPT: dtmfPT}
}

// ForwardEarlyMedia starts forwarding B to A before the answer, for the
// carrier's ringback or announcements. The first packet forwarded stops the
// generated ringback, if it plays.
func (b *Bridge) ForwardEarlyMedia() {
	b.ctl.Lock()
	defer b.ctl.Unlock()
	if b.closed {
		return
	}
	sd := &b.sides[A]
	sd.mu.Lock()
	sd.open = true
	sd.mu.Unlock()
}

// Connect forwards both ways from now on, and stops the generated ringback
// and the prompt: the conversation has priority.
func (b *Bridge) Connect() {
	b.ctl.Lock()
	defer b.ctl.Unlock()
	if b.closed {
		return
	}
	b.connected = true
	for i := range b.sides {
		sd := &b.sides[i]
		sd.mu.Lock()
		sd.open = true
		sd.stopPrompt()
		sd.stopRingback()
		sd.mu.Unlock()
	}
}

// LastReceived returns when the newest RTP packet from side s's peer arrived
// (whether forwarded or not), or the zero time if none has: a call whose
// peers stopped sending is dead even if SIP never says so.
func (b *Bridge) LastReceived(s Side) time.Time {
	ns := b.sides[s].lastRecv.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Stats returns the bridge's packet counters.
func (b *Bridge) Stats() Stats {
	st := Stats{
		AToB:     b.sides[A].counters.snapshot(),
		BToA:     b.sides[B].counters.snapshot(),
		Ringback: b.ringbackSent.Load(),
	}
	// What A's peer skipped is seen by the stream sent toward B.
	st.AToB.Lost = b.sides[B].lostIn()
	st.BToA.Lost = b.sides[A].lostIn()
	return st
}

// lostIn returns the packets lost by the sources forwarded to this side.
func (sd *side) lostIn() uint64 {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	return sd.out.lost
}

// Close stops forwarding, ringback and prompt, closes both sockets, waits
// for the bridge's goroutines and returns its ports to the allocator.
// Calling it again does nothing and returns nil.
func (b *Bridge) Close() error {
	b.ctl.Lock()
	if b.closed {
		b.ctl.Unlock()
		return nil
	}
	b.closed = true
	var errs []error
	for i := range b.sides {
		sd := &b.sides[i]
		sd.mu.Lock()
		sd.open = false
		sd.stopPrompt()
		sd.stopRingback()
		sd.mu.Unlock()
		errs = append(errs, sd.conn.Close())
	}
	b.ctl.Unlock()
	b.wg.Wait()
	b.alloc.closed(b)
	for i := range b.sides {
		b.alloc.release(b.sides[i].port)
	}
	return errors.Join(errs...)
}

// read is side s's reader: it runs until the socket is closed.
func (b *Bridge) read(s Side) {
	defer b.wg.Done()
	c := &b.sides[s].counters
	buf := make([]byte, maxDatagram)
	for {
		n, src, err := b.sides[s].conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Any other error concerns one datagram: keep reading.
			continue
		}
		c.received.Add(1)
		c.receivedBytes.Add(uint64(n))
		if b.forward(s, buf[:n], src) {
			c.forwarded.Add(1)
			c.forwardedBytes.Add(uint64(n))
		} else {
			c.dropped.Add(1)
		}
	}
}

// forward handles one datagram read on side from, sent by src, and reports
// whether it was written to the other side. This is the hot path: it must
// not allocate.
func (b *Bridge) forward(from Side, pkt []byte, src netip.AddrPort) bool {
	if _, _, ok := rtpPayload(pkt); !ok {
		return false // not RTP, or truncated: it must not latch either
	}
	in := &b.sides[from]
	m, ok, latchedNow := in.admit(src)
	if !ok {
		return false
	}
	in.lastRecv.Store(time.Now().UnixNano())
	if r := b.rec.Load(); r != nil {
		// Before relay, which may rewrite the payload in the other law.
		if start, end, _ := rtpPayload(pkt); pkt[1]&0x7f == m.codec.PayloadType {
			r.write(from, m.codec.PayloadType, binary.BigEndian.Uint32(pkt[4:]), pkt[start:end])
		}
	}
	if latchedNow {
		b.log.Debug("media: latched onto peer", "side", from, "peer", src, "port", in.port)
	}

	out := &b.sides[from.other()]
	out.mu.Lock()
	defer out.mu.Unlock()
	// A prompt has its side to itself, so the employee hears all of it:
	// the carrier's early media is dropped until it ends.
	if !out.open || out.prompt != nil || !out.canSend() {
		return false
	}
	if !relay(pkt, m, out.media, &out.out) {
		return false
	}
	// The peer's own media replaces generated ringback for good; the lock
	// orders this with the generator, so no tone follows this packet.
	out.stopRingback()
	out.fed = true
	// Writing under the lock keeps the wire order the numbering order.
	_, err := out.conn.WriteToUDPAddrPort(pkt, out.peer)
	return err == nil
}

// admit applies symmetric RTP to a packet read on this side from src: the
// first packet after SetRemote latches its source as the peer, later ones
// must come from it. It returns what the peer negotiated.
func (sd *side) admit(src netip.AddrPort) (m media, ok, latchedNow bool) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if !sd.haveRemote {
		return media{}, false, false
	}
	if !sd.latched {
		sd.peer, sd.latched, latchedNow = src, true, true
	} else if src != sd.peer {
		return media{}, false, false
	}
	return sd.media, true, latchedNow
}

// canSend reports whether the peer has an address to send to: an SDP
// address of 0.0.0.0 (hold, or a peer that will only be learnt by latching)
// is not one. Call with mu held.
func (sd *side) canSend() bool {
	return sd.haveRemote && !sd.peer.Addr().IsUnspecified()
}
