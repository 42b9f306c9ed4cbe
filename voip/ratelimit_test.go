package voip

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim/storetest"
)

func testLimiter(clock *storetest.Clock, log *slog.Logger, rate float64, burst, capacity int, exempt ...netip.Addr) *sourceLimiter {
	return newSourceLimiter(clock.Now, log, rateLimits{rate: rate, burst: burst, sources: capacity}, exempt)
}

// allowed is how many of n requests from addr the limiter lets through.
func allowed(l *sourceLimiter, addr netip.Addr, n int) int {
	got := 0
	for range n {
		if l.allow(addr, 1) {
			got++
		}
	}
	return got
}

func TestConfigRateLimitsDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want rateLimits
	}{
		{"zero", Config{}, rateLimits{rate: 200, burst: 400, sources: 10_000}},
		{"rate only: burst is two seconds of it", Config{SourceRequestRate: 50}, rateLimits{rate: 50, burst: 100, sources: 10_000}},
		{"slow rate: burst at least one", Config{SourceRequestRate: 0.1}, rateLimits{rate: 0.1, burst: 1, sources: 10_000}},
		{"all set", Config{SourceRequestRate: 10, SourceRequestBurst: 3, RateTrackedSources: 7}, rateLimits{rate: 10, burst: 3, sources: 7}},
		{"negative rate: off", Config{SourceRequestRate: -1}, rateLimits{off: true, rate: 200, burst: 400, sources: 10_000}},
	} {
		if got := tc.cfg.rateLimits(); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if l := newSourceLimiter(time.Now, slog.New(slog.DiscardHandler), Config{SourceRequestRate: -1}.rateLimits(), nil); l != nil {
		t.Error("a negative rate still builds a limiter")
	}
}

func TestLimiterHoldsASourceToItsBurstAndRate(t *testing.T) {
	clock := newFakeClock()
	l := testLimiter(clock, slog.New(slog.DiscardHandler), 10, 20, 100)
	flooder, neighbour := netip.MustParseAddr("192.0.2.66"), netip.MustParseAddr("192.0.2.77")

	// A thousand at once: the burst passes, nothing more.
	if got := allowed(l, flooder, 1000); got != 20 {
		t.Fatalf("%d of 1,000 at once passed, want the burst of 20", got)
	}
	// Another source is served all along.
	if got := allowed(l, neighbour, 20); got != 20 {
		t.Fatalf("the neighbour got %d of 20 while the flooder was limited", got)
	}
	// Flooding on for 5 seconds: 10 a second get through, however many
	// are sent, and the neighbour is untouched.
	passed := 0
	for range 50 {
		clock.Advance(100 * time.Millisecond)
		passed += allowed(l, flooder, 100)
		if !l.allow(neighbour, 1) {
			t.Fatal("the neighbour was limited while sending 10 a second")
		}
	}
	if passed != 50 {
		t.Fatalf("%d passed in 5 s of flooding at 10/s, want 50", passed)
	}
	if got, want := l.dropped.Load(), uint64(1000-20+5000-50); got != want {
		t.Fatalf("dropped counter = %d, want %d", got, want)
	}
	// Quiet for long enough to refill, the source has its burst again.
	clock.Advance(2 * time.Second)
	if got := allowed(l, flooder, 30); got != 20 {
		t.Fatalf("%d of 30 passed after a quiet spell, want the burst of 20", got)
	}
}

func TestLimiterExemptsTheTrunk(t *testing.T) {
	trunk := netip.MustParseAddr("198.51.100.5")
	l := testLimiter(newFakeClock(), slog.New(slog.DiscardHandler), 1, 1, 100, trunk)
	if got := allowed(l, trunk, 10_000); got != 10_000 {
		t.Fatalf("the trunk got %d of 10,000 through", got)
	}
	if n := l.tracked(); n != 0 {
		t.Fatalf("the trunk takes %d entries in the table", n)
	}
	if got := allowed(l, netip.MustParseAddr("198.51.100.6"), 10); got != 1 {
		t.Fatalf("its neighbour got %d of 10 through, want 1", got)
	}
}

func TestLimiterCountsAnIPv6SlashSixtyFourAsOneSource(t *testing.T) {
	l := testLimiter(newFakeClock(), slog.New(slog.DiscardHandler), 1, 5, 100)
	got := 0
	for i := range 50 {
		got += allowed(l, netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i+1)), 1)
	}
	if got != 5 {
		t.Fatalf("50 addresses of one /64 got %d through, want the burst of 5", got)
	}
	if allowed(l, netip.MustParseAddr("2001:db8:0:1::1"), 1) != 1 {
		t.Fatal("another /64 was limited")
	}
	if allowed(l, netip.MustParseAddr("192.0.2.1"), 1) != 1 || allowed(l, netip.MustParseAddr("192.0.2.2"), 1) != 1 {
		t.Fatal("IPv4 addresses are not counted one by one")
	}
}

func TestLimiterTableIsBoundedUnderASprayOfSources(t *testing.T) {
	clock := newFakeClock()
	l := testLimiter(clock, slog.New(slog.DiscardHandler), 1, 10, 50)
	flooder := netip.MustParseAddr("192.0.2.66")
	allowed(l, flooder, 100)
	// Ten thousand (possibly spoofed) addresses send one request each,
	// while the flooder keeps sending: it stays limited, the table small.
	for i := range 10_000 {
		if !l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 1) {
			t.Fatalf("sprayed address %d was limited on its first request", i)
		}
		if i%10 == 0 && l.allow(flooder, 1) {
			t.Fatalf("the spray gave the flooder a fresh bucket (after %d addresses)", i)
		}
		if n := l.tracked(); n > 50 {
			t.Fatalf("the limiter remembers %d sources, cap is 50", n)
		}
	}
	// Once the spray stops, its sources are forgotten as traffic goes on.
	clock.Advance(11 * time.Second)
	for range 50 {
		l.allow(netip.MustParseAddr("192.0.2.1"), 1)
	}
	if n := l.tracked(); n != 1 {
		t.Fatalf("%d sources remembered after they went quiet, want only the one still sending", n)
	}
}

func TestLimiterLogsOnceWhenASourceStartsAndStopsBeingLimited(t *testing.T) {
	clock := newFakeClock()
	logs := newCapture(slog.LevelDebug)
	l := testLimiter(clock, slog.New(logs), 10, 20, 100)
	flooder := netip.MustParseAddr("192.0.2.66")

	allowed(l, flooder, 10_000)
	clock.Advance(time.Second)
	allowed(l, flooder, 10_000)
	if got := logs.lines(slog.LevelWarn); len(got) != 1 || !strings.Contains(got[0], "192.0.2.66") {
		t.Fatalf("WARN lines after 20,000 requests over the rate: %q, want one naming the source", got)
	}
	// Quiet long enough to refill: the next request from anyone retires
	// the limit, with what it dropped.
	clock.Advance(3 * time.Second)
	l.allow(netip.MustParseAddr("192.0.2.1"), 1)
	if got := logs.lines(slog.LevelInfo); len(got) != 2 || !strings.Contains(got[1], "lifted") || !strings.Contains(got[1], "dropped=19970") {
		t.Fatalf("lines after the flooder went quiet: %q, want its limit lifted with 19,970 dropped", got)
	}
	// A new flood is a new line.
	allowed(l, flooder, 100)
	if got := logs.lines(slog.LevelWarn); len(got) != 2 {
		t.Fatalf("WARN lines after a second flood: %q, want two", got)
	}
}

func TestReadCost(t *testing.T) {
	req := string(requestWithUA(""))
	res := "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-1\r\nContent-Length: 0\r\n\r\n"
	for _, tc := range []struct {
		name, transport, data string
		want                  int
	}{
		{"UDP request", "UDP", req, 1},
		{"UDP response: free", "UDP", res, 0},
		{"UDP keep-alive", "UDP", "\r\n\r\n", 1},
		{"TCP request", "TCP", req, 1},
		{"TCP pipelined requests", "TCP", req + req + req, 3},
		{"TCP requests behind a response", "TCP", res + req + req, 3},
		{"TCP middle of a message", "tcp", "a=rtpmap:0 PCMU/8000\r\n", 1},
		{"TLS", "TLS", req + req, 2},
	} {
		if got := readCost(tc.transport, []byte(tc.data)); got != tc.want {
			t.Errorf("%s: cost %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestScreenDropsWhatIsOverTheRate(t *testing.T) {
	clock := newFakeClock()
	passed := 0
	s := &screen{guard: testGuard(clock, 10), limiter: testLimiter(clock, slog.New(slog.DiscardHandler), 1, 2, 10),
		next: func(_ sip.TransportReadProps, data []byte) ([]byte, error) { passed++; return data, nil }}
	udp := sip.TransportReadProps{Transport: "UDP", RemoteAddr: &net.UDPAddr{IP: net.ParseIP("192.0.2.66"), Port: 5060}}
	tcp := sip.TransportReadProps{Transport: "TCP", RemoteAddr: &net.TCPAddr{IP: net.ParseIP("192.0.2.66"), Port: 40000}}
	req := requestWithUA("")
	for range 2 {
		if _, err := s.filter(udp, req); err != nil || passed == 0 {
			t.Fatalf("a request within the burst: passed %d, err %v", passed, err)
		}
	}
	passed = 0
	if out, err := s.filter(udp, req); passed != 0 || out != nil || err != nil {
		t.Fatalf("UDP over the rate: passed %d, out %q, err %v; want dropped silently", passed, out, err)
	}
	if out, err := s.filter(tcp, req); passed != 0 || out != nil || err == nil {
		t.Fatalf("TCP over the rate: passed %d, out %q, err %v; want the connection closed", passed, out, err)
	}
	response := []byte("SIP/2.0 180 Ringing\r\n\r\n")
	if out, err := s.filter(udp, response); passed != 1 || !bytes.Equal(out, response) || err != nil {
		t.Fatal("a UDP response was held to the request rate")
	}
	if got, banned := s.limiter.dropped.Load(), s.dropped.Load(); got != 2 || banned != 0 {
		t.Fatalf("%d drops counted for the rate and %d for a ban or a scanner, want 2 and 0", got, banned)
	}
}

// answerCollector records the final answers that reach a raw UA, one per
// transaction (a retransmitted 407 counts once).
type answerCollector struct {
	mu       sync.Mutex
	branches map[string]int // branch -> status code
}

// collectAnswers reads u's socket in the background until the test ends;
// u must not be used to read meanwhile.
func collectAnswers(u *rawUA) *answerCollector {
	c := &answerCollector{branches: make(map[string]int)}
	go func() {
		buf := make([]byte, 65535)
		for {
			n, _, err := u.conn.ReadFromUDP(buf)
			if errors.Is(err, net.ErrClosed) {
				return // at the end of the test
			}
			if err != nil {
				continue
			}
			msg, err := sip.ParseMessage(buf[:n])
			res, ok := msg.(*sip.Response)
			if err != nil || !ok || res.IsProvisional() || res.Via() == nil {
				continue
			}
			branch, _ := res.Via().Params.Get("branch")
			c.mu.Lock()
			c.branches[branch] = res.StatusCode
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *answerCollector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.branches)
}

// floodRequest is one of the requests a flood is made of, each its own
// transaction: OPTIONS, REGISTER (challenged) and INVITE (challenged).
func floodRequest(u *rawUA, i int) []byte {
	method := []sip.RequestMethod{sip.OPTIONS, sip.REGISTER, sip.INVITE}[i%3]
	return []byte(u.request(method, "101").String())
}

// TestIntegrationFloodingSourceIsHeldToItsRate floods the engine from one
// address while a neighbour and the carrier go about their business. The
// clock stands still, so the flooder's bucket never refills: exactly its
// burst is answered, whatever the speed of the machine.
func TestIntegrationFloodingSourceIsHeldToItsRate(t *testing.T) {
	const burst = 100
	clock := newFakeClock()
	carrier := newRawUAOn(t, "127.0.0.4:0")
	te := startEngineWith(t, func(c *Config) {
		c.Now = clock.Now
		c.SourceRequestRate, c.SourceRequestBurst = 1, burst
		c.Trunk = "sip:127.0.0.4:" + itoa(carrier.addr().Port)
	}, &countingRouter{})
	carrier.aim(te.e)
	flooder := newRawUA(t, "127.0.0.2", te.e)
	neighbour := newRawUA(t, "127.0.0.3", te.e)
	answered := collectAnswers(flooder)

	// 2,000 requests in rounds the socket buffer holds; after each, the
	// neighbour is answered (and its answer shows the engine has read the
	// round: one socket reads in order).
	const sent = 2000
	for round := range sent / 50 {
		for i := range 50 {
			flooder.send(floodRequest(flooder, round*50+i))
		}
		if res := neighbour.exchange(neighbour.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
			t.Fatalf("the neighbour's OPTIONS in round %d: %s", round, res.StartLine())
		}
	}
	waitUntil(t, "the flooder's burst is answered", func() bool { return answered.count() >= burst })
	// Room for a stray answer beyond the burst to arrive; it measures
	// nothing (the collector owns the socket, so silent cannot be used).
	time.Sleep(300 * time.Millisecond)
	if n := answered.count(); n > burst {
		t.Fatalf("%d of the flooder's %d requests were answered, want at most its burst of %d", n, sent, burst)
	}
	if n := te.e.screen.limiter.dropped.Load(); n < sent/2 {
		t.Fatalf("only %d of %d requests counted as dropped", n, sent)
	}

	// Thirty seconds on, thirty more requests are due to it.
	clock.Advance(30 * time.Second)
	for i := range 100 {
		flooder.send(floodRequest(flooder, i))
	}
	if res := neighbour.exchange(neighbour.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
		t.Fatalf("the neighbour after the second flood: %s", res.StartLine())
	}
	waitUntil(t, "30 more of the flooder's requests are answered", func() bool { return answered.count() >= burst+30 })
	time.Sleep(300 * time.Millisecond)
	if n := answered.count(); n > burst+30 {
		t.Fatalf("%d answered after 30 s at 1/s, want at most %d", n, burst+30)
	}

	// The carrier sends three times the burst and is answered every time.
	for i := range 3 * burst {
		if res := carrier.exchange(carrier.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
			t.Fatalf("the carrier's OPTIONS %d: %s", i, res.StartLine())
		}
	}
}

func TestIntegrationFloodOverTCPClosesTheConnection(t *testing.T) {
	const burst = 50
	te := startEngineWith(t, func(c *Config) {
		c.Now = newFakeClock().Now
		c.SourceRequestRate, c.SourceRequestBurst = 1, burst
	}, nil)
	conn, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(te.e.Port())))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	u := newRawUA(t, "127.0.0.2", te.e) // builds the requests; they go over TCP
	var pipelined []byte
	for range 4 * burst {
		req := u.request(sip.OPTIONS, "100")
		req.Via().Transport = "TCP"
		pipelined = append(pipelined, req.String()...)
	}
	if _, err := conn.Write(pipelined); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []byte
	buf := make([]byte, 65535)
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the connection of a source over its rate was left open")
			}
			break
		}
	}
	if n := len(parseAnswers(got)); n > burst {
		t.Fatalf("%d of %d pipelined requests answered, want at most the burst of %d", n, 4*burst, burst)
	}
	if te.e.screen.limiter.dropped.Load() == 0 {
		t.Fatal("nothing counted as dropped")
	}
	if !optionsOK(t, te, "127.0.0.3") {
		t.Fatal("another source is not answered")
	}
}

func TestIntegrationRateTableStaysWithinItsCap(t *testing.T) {
	const capacity = 50
	// The clock stands still, so no source is forgotten for being quiet:
	// only the cap keeps the table small.
	te := startEngineWith(t, func(c *Config) { c.Now, c.RateTrackedSources = newFakeClock().Now, capacity }, nil)
	probe := newRawUA(t, "127.0.0.1", te.e)
	for batch := range 10 {
		for i := range 50 {
			ip := net.IPv4(127, 1, byte(batch), byte(i+1))
			conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip})
			if err != nil {
				t.Fatal(err)
			}
			sprayer := &rawUA{t: t, conn: conn}
			sprayer.aim(te.e)
			sprayer.send([]byte(sprayer.request(sip.OPTIONS, "100").String()))
			conn.Close()
		}
		if res := probe.exchange(probe.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
			t.Fatalf("OPTIONS after %d sprayed sources: %s", (batch+1)*50, res.StartLine())
		}
		if n := te.e.screen.limiter.tracked(); n != capacity {
			t.Fatalf("%d sources remembered after %d sprayed, want the cap of %d", n, (batch+1)*50, capacity)
		}
	}
}

// BenchmarkLimiterAllow is the cost the limiter adds to every request:
// one source over its rate, and a spray of new sources through a full table.
func BenchmarkLimiterAllow(b *testing.B) {
	l := newSourceLimiter(time.Now, slog.New(slog.DiscardHandler), Config{RateTrackedSources: 10_000}.rateLimits(), nil)
	b.Run("flooding source", func(b *testing.B) {
		addr := netip.MustParseAddr("192.0.2.66")
		for b.Loop() {
			l.allow(addr, 1)
		}
	})
	b.Run("spray of sources", func(b *testing.B) {
		i := uint32(0)
		for b.Loop() {
			i++
			l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 1)
		}
	})
}
