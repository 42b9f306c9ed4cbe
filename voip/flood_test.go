package voip

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestFloodLeavesNoResidue sends 5,000 datagrams as fast as the engine
// reads them, from four addresses: two guess passwords (REGISTERs with
// forged credentials among the rest), two only make noise (REGISTER and
// INVITE without credentials, garbage). Afterwards the engine answers, a
// phone registers, the guessers are banned (and the rest of their flood,
// sent once the bans are in place, dropped unparsed) while the others are
// not, no call got through, and
// goroutines and heap are back near where they were. sipgo keeps each
// finished transaction for up to 32 s (about 3 KB each here), which the
// heap bound allows for.
func TestFloodLeavesNoResidue(t *testing.T) {
	router := &countingRouter{}
	te := startEngineWith(t, nil, router)
	probe := newRawUA(t, "127.0.0.1", te.e)
	phone := newPeer(t, answers)

	// Warm up every path the flood takes, so what is built once (pools,
	// prepared statements) is in the baseline.
	if res := probe.exchange(probe.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
		t.Fatalf("OPTIONS: %s", res.StartLine())
	}
	if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != sip.StatusOK {
		t.Fatalf("register: %s", res.StartLine())
	}
	probe.exchange(probe.request(sip.INVITE, "+33698765432"))
	baseGoroutines, baseHeap := settledGoroutines(), heapAlloc()

	guessers := []*rawUA{newRawUA(t, "127.0.0.2", te.e), newRawUA(t, "127.0.0.3", te.e)}
	noisy := []*rawUA{newRawUA(t, "127.0.0.4", te.e), newRawUA(t, "127.0.0.5", te.e)}
	sources := append(append([]*rawUA{}, guessers...), noisy...)
	datagrams := make([][][]byte, len(sources))
	for i, src := range sources {
		datagrams[i] = floodDatagrams(src, 1250, i < len(guessers))
	}
	// The sources send together, in bursts the engine's socket buffer can
	// hold: a burst it never reads (the kernel drops what overflows) would
	// test the kernel, not the engine. The probe's answer shows the engine
	// has read everything sent before it (one socket reads in order).
	const burst = 20
	for start := 0; start < 1250; start += burst {
		var wg sync.WaitGroup
		for i, src := range sources {
			wg.Go(func() {
				for _, d := range datagrams[i][start:min(start+burst, 1250)] {
					_, _ = src.conn.WriteToUDP(d, src.engine)
				}
			})
		}
		wg.Wait()
		probe.exchange(probe.request(sip.OPTIONS, "100"))
		if start == 100 {
			// Each guesser has sent 30 wrong answers by now. The
			// probe's answer proves they were read, not yet handled
			// (handlers run apart, slowly under -race): wait for the
			// bans, so that the rest of the flood meets them.
			settles(t, "the guessers banned", func() bool {
				for _, u := range guessers {
					if !te.e.guard.banned(netip.MustParseAddr(u.addr().IP.String())) {
						return false
					}
				}
				return true
			})
		}
	}

	if res := probe.exchange(probe.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
		t.Fatalf("OPTIONS after the flood: %s", res.StartLine())
	}
	if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != sip.StatusOK {
		t.Fatalf("register after the flood: %s", res.StartLine())
	}
	for _, u := range guessers {
		if !te.e.guard.banned(netip.MustParseAddr(u.addr().IP.String())) {
			t.Errorf("%s guessed passwords and is not banned", u.addr().IP)
		}
	}
	for _, ip := range []string{"127.0.0.1", noisy[0].addr().IP.String(), noisy[1].addr().IP.String()} {
		if te.e.guard.banned(netip.MustParseAddr(ip)) {
			t.Errorf("%s never failed authentication and is banned", ip)
		}
	}
	if n := te.e.screen.dropped.Load(); n < 1000 {
		t.Errorf("only %d of the guessers' 2,500 datagrams were dropped by their ban", n)
	}
	if n := router.calls.Load(); n != 0 {
		t.Errorf("%d flood INVITEs reached the router", n)
	}

	settles(t, "goroutines back near their baseline", func() bool { return settledGoroutines() <= baseGoroutines+20 })
	const slack = 32 << 20
	settles(t, "heap back near its baseline", func() bool { return heapAlloc() <= baseHeap+slack })
}

// floodDatagrams is n datagrams from u: REGISTERs (with forged
// credentials if guess), INVITEs with SDP, and garbage, each its own
// transaction.
func floodDatagrams(u *rawUA, n int, guess bool) [][]byte {
	rnd := rand.New(rand.NewPCG(uint64(u.addr().Port), 5060))
	out := make([][]byte, 0, n)
	for i := range n {
		var d []byte
		switch i % 4 {
		case 0:
			d = []byte(u.request(sip.REGISTER, "101").String())
		case 1:
			req := u.request(sip.REGISTER, "101")
			if guess {
				req.AppendHeader(sip.NewHeader("Authorization", `Digest username="101", realm="sipsim", nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", uri="sip:127.0.0.1", response="00000000000000000000000000000000"`))
			}
			d = []byte(req.String())
		case 2:
			req := u.request(sip.INVITE, "+33698765432")
			req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			req.SetBody(buildOffer(netip.MustParseAddr("127.0.0.1"), 40000+i, 1, []sdpCodec{staticPT[0]}))
			d = []byte(req.String())
		default:
			d = make([]byte, 200+rnd.IntN(1200))
			for j := range d {
				d[j] = byte(rnd.Uint32())
			}
		}
		out = append(out, d)
	}
	return out
}

// heapAlloc is the live heap after a garbage collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
