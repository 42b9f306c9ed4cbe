package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// uas answers every INVITE that reaches its sockets at once with 200 and
// PCMU SDP naming one of its side's generator sockets, then starts that
// leg's stream toward the relay port of sipsim's offer. It sends no 100
// Trying, so that a lost 200 makes sipsim resend the INVITE, which gets
// the same 200 again: no timers needed here.
type uas struct {
	conns []*net.UDPConn
	side  *sockSet
	gen   *generator
	calls *callBook

	mu      sync.Mutex
	dialogs map[string]*dialog // by Call-ID

	byes     atomic.Int64 // calls sipsim ended
	failures atomic.Int64 // INVITEs this peer could not answer
}

// dialog is one answered INVITE: its 200, kept for retransmitted
// INVITEs, and the leg it started.
type dialog struct {
	ok  []byte
	leg *leg
}

func newUAS(conns []*net.UDPConn, side *sockSet, gen *generator, calls *callBook) *uas {
	u := &uas{conns: conns, side: side, gen: gen, calls: calls, dialogs: map[string]*dialog{}}
	for _, c := range conns {
		go u.serve(c)
	}
	return u
}

func (u *uas) serve(conn *net.UDPConn) {
	buf := make([]byte, 65535)
	for {
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		m, ok := parseSIP(buf[:n])
		if !ok {
			continue
		}
		local := conn.LocalAddr().String()
		var out []byte
		switch m.method() {
		case "", "ACK":
			continue // responses and ACKs need no answer here
		case "INVITE":
			out = u.invite(m, local)
		case "BYE":
			u.bye(m)
			out = m.response(200, "OK", "", "", nil)
		default: // OPTIONS, CANCEL...: fine
			out = m.response(200, "OK", "", "", nil)
		}
		if out != nil {
			_, _ = conn.WriteToUDPAddrPort(out, src)
		}
	}
}

func (u *uas) invite(m sipMessage, local string) []byte {
	callID := m.get("call-id")
	u.mu.Lock()
	defer u.mu.Unlock()
	if d, ok := u.dialogs[callID]; ok {
		return d.ok // a retransmission
	}
	remote, err := sdpAudio(m.body)
	if err != nil {
		u.failures.Add(1)
		return m.response(488, "Not Acceptable Here", "x", "", nil)
	}
	l, err := u.gen.newLeg(u.side, remote)
	if err != nil {
		u.failures.Add(1)
		return m.response(503, "Service Unavailable", "x", "", nil)
	}
	d := &dialog{leg: l, ok: m.response(200, "OK", fmt.Sprintf("b%d", l.id), local, answerSDP(l.sock.port))}
	u.dialogs[callID] = d
	u.calls.join(m.get("x-sipsim-call-id"), l)
	l.sock.start(l)
	return d.ok
}

func (u *uas) bye(m sipMessage) {
	u.mu.Lock()
	d, ok := u.dialogs[m.get("call-id")]
	u.mu.Unlock()
	if ok && !d.leg.stopped.Swap(true) {
		u.byes.Add(1)
	}
}

// close stops answering.
func (u *uas) close() {
	for _, c := range u.conns {
		c.Close()
	}
}

// callBook pairs the agent leg and the trunk leg of each call by the
// X-Sipsim-Call-Id header both of sipsim's INVITEs carry.
type callBook struct {
	mu    sync.Mutex
	half  map[string]*leg
	pairs atomic.Int64
}

func newCallBook() *callBook { return &callBook{half: map[string]*leg{}} }

func (b *callBook) join(id string, l *leg) {
	if id == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	other, ok := b.half[id]
	if !ok {
		b.half[id] = l
		return
	}
	delete(b.half, id)
	pair(other, l)
	b.pairs.Add(1)
}

// listenUDP opens a loopback UDP socket on port (0: any).
func listenUDP(port int) (*net.UDPConn, error) {
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))))
	if err != nil {
		return nil, err
	}
	_ = c.SetReadBuffer(socketBuffer)
	return c, nil
}
