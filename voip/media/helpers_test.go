package media

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// packet is an RTP packet as a test writes or reads it.
type packet struct {
	marker  bool
	pt      uint8
	seq     uint16
	ts      uint32
	ssrc    uint32
	payload []byte
}

func (p packet) marshal() []byte {
	b := make([]byte, rtpHeaderLen+len(p.payload))
	b[0] = rtpVersion << 6
	b[1] = p.pt
	if p.marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], p.seq)
	binary.BigEndian.PutUint32(b[4:], p.ts)
	binary.BigEndian.PutUint32(b[8:], p.ssrc)
	copy(b[rtpHeaderLen:], p.payload)
	return b
}

func parsePacket(t testing.TB, b []byte) packet {
	t.Helper()
	start, end, ok := rtpPayload(b)
	if !ok {
		t.Fatalf("received a malformed RTP packet: % x", b)
	}
	return packet{
		marker:  b[1]&0x80 != 0,
		pt:      b[1] & 0x7f,
		seq:     binary.BigEndian.Uint16(b[2:]),
		ts:      binary.BigEndian.Uint32(b[4:]),
		ssrc:    binary.BigEndian.Uint32(b[8:]),
		payload: append([]byte(nil), b[start:end]...),
	}
}

// peer is a loopback UDP socket playing a phone or a carrier.
type peer struct {
	t    testing.TB
	conn *net.UDPConn
}

func newPeer(t testing.TB) *peer {
	t.Helper()
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &peer{t: t, conn: conn}
}

func (p *peer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *peer) send(to netip.AddrPort, pkt packet) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(pkt.marshal(), to); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next packet; it fails the test if none comes within a
// generous bound (a lost test, not a latency check).
func (p *peer) recv() (packet, netip.AddrPort) {
	p.t.Helper()
	buf := make([]byte, maxDatagram)
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := p.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		p.t.Fatalf("no packet received: %v", err)
	}
	return parsePacket(p.t, buf[:n]), from
}

// call is a bridge with a phone on A and a carrier on B, both negotiated.
type call struct {
	bridge  *Bridge
	phone   *peer
	carrier *peer
}

func newCall(t testing.TB, a *Allocator, phoneCodec, carrierCodec Codec, phoneDTMF, carrierDTMF int) *call {
	t.Helper()
	b, err := a.NewBridge(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	c := &call{bridge: b, phone: newPeer(t), carrier: newPeer(t)}
	b.SetRemote(A, c.phone.addr(), phoneCodec, phoneDTMF)
	b.SetRemote(B, c.carrier.addr(), carrierCodec, carrierDTMF)
	return c
}

func (c *call) portA() netip.AddrPort {
	return netip.AddrPortFrom(loopback, uint16(c.bridge.LocalPort(A)))
}

func (c *call) portB() netip.AddrPort {
	return netip.AddrPortFrom(loopback, uint16(c.bridge.LocalPort(B)))
}

// testAllocator allocates from a wide range of high ports on loopback; other
// processes' ports in it are skipped.
func testAllocator(t testing.TB) *Allocator {
	t.Helper()
	a, err := NewAllocator(loopback, 40000, 49999)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// eventually waits for cond, failing the test after a generous bound.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}
