package media

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
)

// loop sends one packet from the phone through the bridge and reads it at
// the carrier, reusing its buffers so that any allocation counted is the
// bridge's.
type loop struct {
	c        *call
	pkt, buf []byte
	to       netip.AddrPort
	seq      uint16
}

func newLoop(t testing.TB) *loop {
	c := newCall(t, testAllocator(t), PCMU, PCMU, 101, 101)
	c.bridge.Connect()
	c.carrier.conn.SetReadDeadline(time.Now().Add(time.Minute))
	l := &loop{c: c, pkt: packet{pt: 0, ssrc: 0x1234, payload: make([]byte, 160)}.marshal(), buf: make([]byte, maxDatagram), to: c.portA()}
	l.roundTrip(t) // latch before measuring
	return l
}

func (l *loop) roundTrip(t testing.TB) {
	l.seq++
	binary.BigEndian.PutUint16(l.pkt[2:], l.seq)
	binary.BigEndian.PutUint32(l.pkt[4:], uint32(l.seq)*160)
	if _, err := l.c.phone.conn.WriteToUDPAddrPort(l.pkt, l.to); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.c.carrier.conn.ReadFromUDPAddrPort(l.buf); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkForward measures one packet's trip phone -> bridge -> carrier
// over loopback; allocs/op must stay 0.
func BenchmarkForward(b *testing.B) {
	l := newLoop(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(l.pkt)))
	for b.Loop() {
		l.roundTrip(b)
	}
}

// The hot path allocates nothing: counted over many packets, so that a
// stray runtime allocation cannot round up to one per packet.
func TestForwardDoesNotAllocate(t *testing.T) {
	l := newLoop(t)
	if n := testing.AllocsPerRun(2000, func() { l.roundTrip(t) }); n != 0 {
		t.Errorf("forwarding allocates %v times per packet, want 0", n)
	}
}

// BenchmarkDirect is the floor BenchmarkForward is compared with: the same
// packet sent straight from the phone's socket to the carrier's, with no
// bridge. The bridge adds one more UDP hop, so a perfect relay costs about
// twice this.
func BenchmarkDirect(b *testing.B) {
	l := newLoop(b)
	to := l.c.carrier.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	b.ReportAllocs()
	b.SetBytes(int64(len(l.pkt)))
	for b.Loop() {
		if _, err := l.c.phone.conn.WriteToUDPAddrPort(l.pkt, to); err != nil {
			b.Fatal(err)
		}
		if _, _, err := l.c.carrier.conn.ReadFromUDPAddrPort(l.buf); err != nil {
			b.Fatal(err)
		}
	}
}
