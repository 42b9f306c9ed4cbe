package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// The generator plays thousands of RTP streams from a few sockets rather
// than one socket per leg: each leg's SDP names a shared socket, and
// packets are told apart by the sender id in their payload and by the
// relay port they come from. A socket per leg would cost the generator a
// goroutine wake-up per packet on 2 cores it shares with the relay it
// measures; a busy shared socket is read without parking.

// slots spreads the legs' sends over the 20 ms packet interval: a leg
// sends in the millisecond slot id % slots.
const slots = 20

// socketBuffer is the generator sockets' kernel buffer, the most
// net.core.rmem_max allows here: the generator must not be the one to drop.
const socketBuffer = 4 << 20

// mediaSock is one generator UDP socket, its sender and its reader.
type mediaSock struct {
	conn *net.UDPConn
	port int
	reg  *registry
	gen  *generator

	mu    sync.Mutex
	slots [slots][]*leg // the legs this socket sends for, by time slot
}

func newMediaSock(reg *registry, gen *generator) (*mediaSock, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(socketBuffer)
	_ = conn.SetWriteBuffer(socketBuffer)
	if err := enableTimestamps(conn); err != nil {
		conn.Close()
		return nil, err
	}
	return &mediaSock{conn: conn, port: conn.LocalAddr().(*net.UDPAddr).Port, reg: reg, gen: gen}, nil
}

// start schedules l's packets on this socket from the next slot on.
func (s *mediaSock) start(l *leg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := l.id % slots
	s.slots[i] = append(s.slots[i], l)
}

// send runs until ctx ends, sending each slot's packets in its
// millisecond. When the goroutine is late it catches up at once, so the
// rate stays 50 packets per second per leg whatever the scheduling.
func (s *mediaSock) send(ctx context.Context) {
	pkt := make([]byte, packetLen)
	done := int64(time.Since(s.gen.epoch) / time.Millisecond)
	for ctx.Err() == nil {
		now := int64(time.Since(s.gen.epoch) / time.Millisecond)
		if s.gen.paused.Load() {
			done = now
		}
		for ; done < now; done++ {
			s.mu.Lock()
			legs := s.slots[(done+1)%slots]
			s.mu.Unlock()
			for _, l := range legs {
				if l.stopped.Load() {
					continue
				}
				writePacket(pkt, l, time.Now().UnixNano())
				if _, err := s.conn.WriteToUDPAddrPort(pkt, l.remote); err != nil {
					s.gen.sendErrors.Add(1)
					continue
				}
				l.sent.Add(1)
			}
		}
		time.Sleep(time.Until(s.gen.epoch.Add(time.Duration(done+1) * time.Millisecond)))
	}
}

// read runs until the socket is closed, checking every datagram.
func (s *mediaSock) read() {
	buf, oob := make([]byte, 2048), make([]byte, oobLen)
	g := s.gen
	for {
		n, src, recvNs, err := readStamped(s.conn, buf, oob)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		r, verdict := readPacket(buf[:n])
		switch verdict {
		case packetForeign:
			g.foreign.Add(1)
			continue
		case packetCorrupt:
			g.corrupt.Add(1)
			continue
		}
		sender := s.reg.get(r.sender)
		if sender == nil {
			g.corrupt.Add(1)
			continue
		}
		l := sender.partner.Load()
		if l == nil || l.sock != s || l.remote != src {
			// Relayed to the wrong leg, or from the wrong relay port.
			g.misrouted.Add(1)
			continue
		}
		if l.rx.record(r.counter, r.sendNs, recvNs) {
			g.flowing.Add(1)
		}
	}
}

// generator is every stream and socket, and the counters of what arrived
// that is not a well-relayed packet of ours.
type generator struct {
	epoch time.Time
	reg   *registry
	phone *sockSet // named in the phones' SDP
	trunk *sockSet // named in the carrier's SDP

	paused     atomic.Bool  // no leg sends: the other relay is measured
	flowing    atomic.Int64 // legs that have received at least one intact packet
	foreign    atomic.Uint64
	corrupt    atomic.Uint64
	misrouted  atomic.Uint64
	sendErrors atomic.Uint64
}

// newGenerator opens perSide sockets for each side and starts their
// goroutines; they stop when ctx ends and close closes the sockets.
func newGenerator(ctx context.Context, maxLegs, perSide int) (*generator, error) {
	g := &generator{epoch: time.Now(), reg: newRegistry(maxLegs), phone: &sockSet{}, trunk: &sockSet{}}
	for range perSide {
		for _, side := range []*sockSet{g.phone, g.trunk} {
			s, err := newMediaSock(g.reg, g)
			if err != nil {
				g.close()
				return nil, err
			}
			side.socks = append(side.socks, s)
		}
	}
	for _, s := range g.sockets() {
		go s.send(ctx)
		go s.read()
	}
	return g, nil
}

func (g *generator) sockets() []*mediaSock {
	return append(append([]*mediaSock{}, g.phone.socks...), g.trunk.socks...)
}

func (g *generator) close() {
	for _, s := range g.sockets() {
		s.conn.Close()
	}
}

// sockSet is one side's sockets, given to legs in turn.
type sockSet struct {
	socks []*mediaSock
	next  atomic.Uint32
}

// newLeg makes a leg on the next of side's sockets that will send to
// remote once started.
func (g *generator) newLeg(side *sockSet, remote netip.AddrPort) (*leg, error) {
	s := side.socks[int(side.next.Add(1))%len(side.socks)]
	return g.reg.add(s, remote)
}
