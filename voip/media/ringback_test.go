package media

import (
	"bytes"
	"math"
	"testing"
	"time"
)

// toneShare returns the share of x's energy at freq (1 for a pure tone at
// freq, near 0 for none), by the Goertzel algorithm.
func toneShare(x []float64, freq, rate float64) float64 {
	coeff := 2 * math.Cos(2*math.Pi*freq/rate)
	var s1, s2, energy float64
	for _, v := range x {
		s1, s2 = v+coeff*s1-s2, s1
		energy += v * v
	}
	if energy == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return power / (float64(len(x)) / 2 * energy)
}

func decode(c Codec, payload []byte) []float64 {
	dec := ULawToLinear
	if c == PCMA {
		dec = ALawToLinear
	}
	out := make([]float64, len(payload))
	for i, b := range payload {
		out[i] = float64(dec(b))
	}
	return out
}

func TestRingbackIs425HzOneSecondOn(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	c.bridge.PlayRingback()

	// Read 1.2 s of it: 1 s of tone, then silence.
	var pkts []packet
	for range ringbackOn + 10 {
		p, from := c.phone.recv()
		if from != c.portA() {
			t.Fatalf("ringback came from %v, want the bridge's A port %v", from, c.portA())
		}
		pkts = append(pkts, p)
	}
	c.bridge.StopRingback()

	for i, p := range pkts {
		if p.pt != 0 || len(p.payload) != 160 {
			t.Fatalf("packet %d: pt %d with %d bytes, want 20 ms of PCMU", i, p.pt, len(p.payload))
		}
		if p.marker != (i == 0) {
			t.Errorf("packet %d: marker %v", i, p.marker)
		}
		if i > 0 && (p.ssrc != pkts[0].ssrc || p.seq != pkts[i-1].seq+1 || p.ts != pkts[i-1].ts+160) {
			t.Errorf("packet %d: ssrc %#x seq %d ts %d does not continue the stream", i, p.ssrc, p.seq, p.ts)
		}
	}
	var tone []float64
	for _, p := range pkts[:ringbackOn] {
		tone = append(tone, decode(PCMU, p.payload)...)
	}
	if s := toneShare(tone, 425, 8000); s < 0.9 {
		t.Errorf("share of the first second's energy at 425 Hz = %.3f, want > 0.9", s)
	}
	if s := toneShare(tone, 1000, 8000); s > 0.01 {
		t.Errorf("share at 1000 Hz = %.3f, want none", s)
	}
	for i, p := range pkts[ringbackOn:] {
		if !bytes.Equal(p.payload, audio(160, LinearToULaw(0))) {
			t.Errorf("packet %d after the first second is not silence", ringbackOn+i)
		}
	}
}

func TestRingbackUsesSideACodec(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMA, PCMU, -1, -1)
	c.bridge.PlayRingback()
	var tone []float64
	for range 10 {
		p, _ := c.phone.recv()
		if p.pt != PCMA.PayloadType {
			t.Fatalf("ringback pt %d, want PCMA as the phone negotiated", p.pt)
		}
		tone = append(tone, decode(PCMA, p.payload)...)
	}
	if s := toneShare(tone, 425, 8000); s < 0.9 {
		t.Errorf("share of energy at 425 Hz = %.3f, want > 0.9", s)
	}
}

// recvUntil reads p's packets until one carries payload, and returns it with
// the packet before it (prev if it is the first read).
func recvUntil(t *testing.T, p *peer, prev packet, payload []byte) (before, found packet) {
	t.Helper()
	before = prev
	for {
		got, _ := p.recv()
		if bytes.Equal(got.payload, payload) {
			return before, got
		}
		before = got
	}
}

func TestRingbackGivesWayToEarlyMedia(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	c.bridge.PlayRingback()
	c.bridge.ForwardEarlyMedia()
	c.phone.recv()
	prev, _ := c.phone.recv()

	early := audio(160, 0x33)
	c.carrier.send(c.portB(), packet{seq: 7000, ts: 12345, ssrc: 0xC0FFEE, payload: early})
	last, first := recvUntil(t, c.phone, prev, early)
	if first.ssrc != last.ssrc || first.seq != last.seq+1 || first.ts != last.ts+160 || !first.marker {
		t.Errorf("early media arrived as ssrc %#x seq %d ts %d marker %v after ringback ssrc %#x seq %d ts %d: want the same stream, +1, +160, marked",
			first.ssrc, first.seq, first.ts, first.marker, last.ssrc, last.seq, last.ts)
	}

	// The generator is done: give it a few of its ticks, then only the
	// carrier's packets arrive.
	sent := c.bridge.Stats().Ringback
	time.Sleep(3 * ringbackInterval)
	c.carrier.send(c.portB(), packet{seq: 7001, ts: 12505, ssrc: 0xC0FFEE, payload: audio(160, 0x34)})
	if p, _ := c.phone.recv(); p.payload[0] != 0x34 || p.seq != first.seq+1 {
		t.Errorf("after early media the phone got payload %#x seq %d, want the carrier's next packet", p.payload[0], p.seq)
	}
	if got := c.bridge.Stats().Ringback; got != sent {
		t.Errorf("ringback packets went from %d to %d after early media began", sent, got)
	}
}

func TestStopRingbackThenConnect(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	c.bridge.PlayRingback()
	prev, _ := c.phone.recv()
	c.bridge.StopRingback()
	sent := c.bridge.Stats().Ringback
	time.Sleep(3 * ringbackInterval)
	if got := c.bridge.Stats().Ringback; got != sent {
		t.Errorf("ringback packets went from %d to %d after StopRingback", sent, got)
	}

	c.bridge.Connect()
	answer := audio(160, 0x44)
	c.carrier.send(c.portB(), packet{seq: 1, ts: 1, ssrc: 0xBEEF, payload: answer})
	last, first := recvUntil(t, c.phone, prev, answer)
	if first.ssrc != last.ssrc || first.seq != last.seq+1 || first.ts != last.ts+160 || !first.marker {
		t.Errorf("answered audio ssrc %#x seq %d ts %d after ringback ssrc %#x seq %d ts %d: want one continuous stream",
			first.ssrc, first.seq, first.ts, last.ssrc, last.seq, last.ts)
	}
	// Connected: ringback cannot start again.
	c.bridge.PlayRingback()
	sd := &c.bridge.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.gen != nil {
		t.Error("PlayRingback after Connect started a generator")
	}
}
