package media

import (
	"bytes"
	"net/netip"
	"testing"
)

func audio(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

func TestBridgeForwardsBothWays(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, 101, 96)
	if !c.bridge.LastReceived(A).IsZero() || !c.bridge.LastReceived(B).IsZero() {
		t.Fatal("LastReceived is set before any packet")
	}
	c.bridge.Connect()

	// Phone to carrier: audio, then a DTMF event.
	var got []packet
	for i := range 3 {
		c.phone.send(c.portA(), packet{pt: 0, seq: 1000 + uint16(i), ts: 5000 + 160*uint32(i), ssrc: 0x1111, payload: audio(160, byte(i+1))})
		p, from := c.carrier.recv()
		if from != c.portB() {
			t.Fatalf("carrier got audio from %v, want the bridge's B port %v", from, c.portB())
		}
		got = append(got, p)
	}
	c.phone.send(c.portA(), packet{pt: 101, marker: true, seq: 1003, ts: 5480, ssrc: 0x1111, payload: []byte{5, 0x0a, 0, 160}})
	dtmf, _ := c.carrier.recv()
	got = append(got, dtmf)

	for i, p := range got[:3] {
		if p.pt != 0 || !bytes.Equal(p.payload, audio(160, byte(i+1))) {
			t.Errorf("packet %d: pt %d payload %x..., want PCMU with the phone's payload", i, p.pt, p.payload[:4])
		}
	}
	if dtmf.pt != 96 || !bytes.Equal(dtmf.payload, []byte{5, 0x0a, 0, 160}) {
		t.Errorf("DTMF arrived as pt %d payload %x, want pt 96 (carrier's telephone-event) and the event intact", dtmf.pt, dtmf.payload)
	}
	if !got[0].marker {
		t.Error("first packet of the stream has no marker bit")
	}
	for i := 1; i < len(got); i++ {
		if got[i].ssrc != got[0].ssrc || got[i].ssrc == 0x1111 {
			t.Errorf("packet %d: SSRC %#x, want the bridge's own SSRC %#x throughout", i, got[i].ssrc, got[0].ssrc)
		}
		if got[i].seq != got[i-1].seq+1 || got[i].ts != got[i-1].ts+160 {
			t.Errorf("packet %d: seq %d ts %d after seq %d ts %d, want +1 and +160", i, got[i].seq, got[i].ts, got[i-1].seq, got[i-1].ts)
		}
	}

	// Carrier to phone.
	c.carrier.send(c.portB(), packet{pt: 0, seq: 7, ts: 99, ssrc: 0x2222, payload: audio(160, 0x42)})
	p, from := c.phone.recv()
	if from != c.portA() || p.pt != 0 || !bytes.Equal(p.payload, audio(160, 0x42)) || p.ssrc == 0x2222 || p.ssrc == got[0].ssrc {
		t.Errorf("phone got pt %d ssrc %#x from %v, want the carrier's audio with a third SSRC from %v", p.pt, p.ssrc, from, c.portA())
	}

	if c.bridge.LastReceived(A).IsZero() || c.bridge.LastReceived(B).IsZero() {
		t.Error("LastReceived stays zero after packets arrived")
	}
	// The counters are bumped once the write returns, maybe just after the
	// peer read the packet.
	want := Stats{
		AToB: Flow{Received: 4, ReceivedBytes: 3*172 + 16, Forwarded: 4, ForwardedBytes: 3*172 + 16},
		BToA: Flow{Received: 1, ReceivedBytes: 172, Forwarded: 1, ForwardedBytes: 172},
	}
	eventually(t, "Stats() counts every packet", func() bool { return c.bridge.Stats() == want })
}

func TestBridgeContinuesStreamWhenSourceChanges(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, 101, 101)
	c.bridge.Connect()

	// Early media from one SSRC, then the answered stream from another
	// with unrelated numbering, as carriers do.
	sends := []packet{
		{seq: 10, ts: 1000, ssrc: 0xAAAA},
		{seq: 11, ts: 1160, ssrc: 0xAAAA},
		{seq: 40000, ts: 777777, ssrc: 0xBBBB},
		{seq: 40001, ts: 777937, ssrc: 0xBBBB},
	}
	var got []packet
	for _, s := range sends {
		s.payload = audio(160, 1)
		c.carrier.send(c.portB(), s)
		p, _ := c.phone.recv()
		got = append(got, p)
	}
	wantMarker := []bool{true, false, true, false}
	for i, p := range got {
		if p.marker != wantMarker[i] {
			t.Errorf("packet %d: marker %v, want %v", i, p.marker, wantMarker[i])
		}
		if i == 0 {
			continue
		}
		if p.ssrc != got[0].ssrc || p.seq != got[i-1].seq+1 || p.ts != got[i-1].ts+160 {
			t.Errorf("packet %d: ssrc %#x seq %d ts %d after ssrc %#x seq %d ts %d, want one continuous stream",
				i, p.ssrc, p.seq, p.ts, got[i-1].ssrc, got[i-1].seq, got[i-1].ts)
		}
	}
}

func TestBridgeDropsUntilForwardingIsEnabled(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)

	// While the carrier leg rings, the phone's packets are read and dropped.
	for i := range 5 {
		c.phone.send(c.portA(), packet{seq: uint16(i), ts: uint32(i) * 160, ssrc: 1, payload: audio(160, byte(i))})
	}
	eventually(t, "the bridge read the phone's 5 packets", func() bool { return c.bridge.Stats().AToB.Dropped == 5 })

	// Early media opens B to A only.
	c.bridge.ForwardEarlyMedia()
	c.carrier.send(c.portB(), packet{seq: 1, ssrc: 2, payload: audio(160, 0xEE)})
	if p, _ := c.phone.recv(); !bytes.Equal(p.payload, audio(160, 0xEE)) {
		t.Fatalf("phone got payload %x..., want the carrier's early media", p.payload[:4])
	}
	c.phone.send(c.portA(), packet{seq: 5, ts: 800, ssrc: 1, payload: audio(160, 5)})
	eventually(t, "the bridge read the phone's 6th packet", func() bool { return c.bridge.Stats().AToB.Received == 6 })

	// After the answer, the first packet the carrier gets is the first one
	// sent after Connect: nothing stale was queued.
	c.bridge.Connect()
	c.phone.send(c.portA(), packet{seq: 6, ts: 960, ssrc: 1, payload: audio(160, 6)})
	if p, _ := c.carrier.recv(); !bytes.Equal(p.payload, audio(160, 6)) {
		t.Errorf("carrier's first packet has payload %x..., want the one sent after Connect", p.payload[:4])
	}
	eventually(t, "A to B stats show 6 dropped and 1 forwarded", func() bool {
		st := c.bridge.Stats().AToB
		return st.Dropped == 6 && st.Forwarded == 1
	})
}

func TestBridgeLatchesOntoFirstSource(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	// The phone is behind NAT: its SDP names an address it does not send
	// from (port 9, discard, where nobody listens here).
	c.bridge.SetRemote(A, netip.AddrPortFrom(loopback, 9), PCMU, -1)
	c.bridge.Connect()

	c.phone.send(c.portA(), packet{seq: 1, ssrc: 1, payload: audio(160, 1)})
	if p, _ := c.carrier.recv(); !bytes.Equal(p.payload, audio(160, 1)) {
		t.Fatal("the phone's first packet did not reach the carrier")
	}
	// Audio goes back to where the phone sends from.
	c.carrier.send(c.portB(), packet{seq: 1, ssrc: 2, payload: audio(160, 2)})
	if p, _ := c.phone.recv(); !bytes.Equal(p.payload, audio(160, 2)) {
		t.Fatal("carrier audio did not reach the phone's latched address")
	}

	// Once latched, another source is ignored. The phone's next packet
	// arriving first at the carrier proves the intruder's was dropped.
	intruder := newPeer(t)
	intruder.send(c.portA(), packet{seq: 2, ssrc: 1, payload: audio(160, 0x66)})
	c.phone.send(c.portA(), packet{seq: 2, ssrc: 1, payload: audio(160, 3)})
	if p, _ := c.carrier.recv(); !bytes.Equal(p.payload, audio(160, 3)) {
		t.Errorf("carrier got payload %x..., want the phone's (the intruder's must be dropped)", p.payload[:4])
	}
	if d := c.bridge.Stats().AToB.Dropped; d != 1 {
		t.Errorf("A to B dropped %d packets, want 1 (the intruder's)", d)
	}
}

func TestBridgeRelatchesWhenSDPAddressChanges(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	c.bridge.Connect()
	c.carrier.send(c.portB(), packet{seq: 1, ssrc: 1, payload: audio(160, 1)})
	c.phone.recv()

	// The 200 OK's SDP names another media gateway than the 183's.
	gateway := newPeer(t)
	c.bridge.SetRemote(B, gateway.addr(), PCMU, -1)
	c.phone.send(c.portA(), packet{seq: 1, ssrc: 3, payload: audio(160, 2)})
	if p, _ := gateway.recv(); !bytes.Equal(p.payload, audio(160, 2)) {
		t.Fatal("phone audio did not reach the new gateway")
	}
	gateway.send(c.portB(), packet{seq: 900, ssrc: 9, payload: audio(160, 4)})
	if p, _ := c.phone.recv(); !bytes.Equal(p.payload, audio(160, 4)) || !p.marker {
		t.Errorf("phone got payload %x... marker %v, want the new gateway's audio starting a talkspurt", p.payload[:4], p.marker)
	}
}

func TestBridgeDropsDTMFThePeerCannotTake(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, 101, -1)
	c.bridge.Connect()
	c.phone.send(c.portA(), packet{pt: 101, seq: 1, ssrc: 1, payload: []byte{1, 0x8a, 0, 160}})
	c.phone.send(c.portA(), packet{pt: 13, seq: 2, ssrc: 1, payload: []byte{40}}) // comfort noise, not negotiated
	c.phone.send(c.portA(), packet{pt: 0, seq: 3, ssrc: 1, payload: audio(160, 7)})
	if p, _ := c.carrier.recv(); p.pt != 0 || !bytes.Equal(p.payload, audio(160, 7)) {
		t.Errorf("carrier's first packet is pt %d, want the audio (DTMF and CN dropped)", p.pt)
	}
	if d := c.bridge.Stats().AToB.Dropped; d != 2 {
		t.Errorf("dropped %d, want 2", d)
	}
}

func TestBridgeTranscodesBetweenG711Laws(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMA, -1, -1)
	c.bridge.Connect()
	samples := []int16{0, 100, -100, 1000, -1000, 12000, -12000, 30000, -30000}
	payload := make([]byte, len(samples))
	for i, s := range samples {
		payload[i] = LinearToULaw(s)
	}
	c.phone.send(c.portA(), packet{pt: 0, seq: 1, ssrc: 1, payload: payload})
	p, _ := c.carrier.recv()
	if p.pt != PCMA.PayloadType || len(p.payload) != len(samples) {
		t.Fatalf("carrier got pt %d with %d bytes, want PCMA with %d", p.pt, len(p.payload), len(samples))
	}
	for i, s := range samples {
		got := int(ALawToLinear(p.payload[i]))
		if abs(got-int(s)) > abs(int(s))/16+64 { // two quantisations, each within half a step
			t.Errorf("sample %d: carrier hears %d, want about %d", i, got, s)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestBridgeCloseStopsEverythingAndIsIdempotent(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	c.bridge.PlayRingback()
	c.phone.recv() // the generator runs
	// Close returns only once the readers and the generator have ended.
	if err := c.bridge.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.bridge.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Control calls after Close are harmless and start nothing.
	c.bridge.SetRemote(A, c.phone.addr(), PCMU, -1)
	c.bridge.ForwardEarlyMedia()
	c.bridge.Connect()
	c.bridge.PlayRingback()
	c.bridge.StopRingback()
	sd := &c.bridge.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.gen != nil {
		t.Error("PlayRingback after Close started a generator")
	}
}
