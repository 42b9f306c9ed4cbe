package media

import "testing"

// The allocator's totals count every bridge's packets, open or closed,
// once each; a gap in a source's sequence numbers counts as loss in the
// direction it was sent.
func TestTotalsCountOpenAndClosedBridges(t *testing.T) {
	a := testAllocator(t)
	first := newCall(t, a, PCMU, PCMU, -1, -1)
	first.bridge.Connect()
	second := newCall(t, a, PCMU, PCMU, -1, -1)
	second.bridge.Connect()

	// Phone to carrier on the first call: sequence 1, 2, then 5 (3 and 4
	// lost on the way).
	for _, seq := range []uint16{1, 2, 5} {
		first.phone.send(first.portA(), packet{pt: 0, seq: seq, ts: uint32(seq) * 160, ssrc: 7, payload: make([]byte, 160)})
		first.carrier.recv()
	}
	// Carrier to phone on the second call: two packets in order.
	for _, seq := range []uint16{10, 11} {
		second.carrier.send(second.portB(), packet{pt: 0, seq: seq, ts: uint32(seq) * 160, ssrc: 9, payload: make([]byte, 160)})
		second.phone.recv()
	}
	check := func(when string) {
		t.Helper()
		got := a.Totals()
		if got.AToB.Forwarded != 3 || got.AToB.Lost != 2 || got.BToA.Forwarded != 2 || got.BToA.Lost != 0 {
			t.Errorf("%s: totals A->B forwarded %d lost %d, B->A forwarded %d lost %d; want 3, 2, 2, 0",
				when, got.AToB.Forwarded, got.AToB.Lost, got.BToA.Forwarded, got.BToA.Lost)
		}
	}
	// The relay counts a packet once it has sent it on: the peer may read
	// the last one a moment before the count moves.
	eventually(t, "the relay has counted the last packets", func() bool {
		got := a.Totals()
		return got.AToB.Forwarded == 3 && got.BToA.Forwarded == 2
	})
	check("both bridges open")
	if err := first.bridge.Close(); err != nil {
		t.Fatal(err)
	}
	check("first bridge closed")
	if err := second.bridge.Close(); err != nil {
		t.Fatal(err)
	}
	check("both closed")
}
