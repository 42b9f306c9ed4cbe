package voip

import (
	"math"
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzHandleRequest sends arbitrary bytes to a running engine in a UDP
// datagram, as a scanner or a broken phone would, then checks that the
// engine still answers OPTIONS. The engine runs in this process, so the
// fuzzer's coverage spans our read filter (screen), sipgo's parser and
// transaction layer and our handlers; a panic in any of them fails the
// input. Without -fuzz, `go test` runs the seeds: one request of each kind
// the engine handles, garbage, and every torture message.
//
// Not TCP: a fuzzed request on a connection closed at once makes sipgo
// dial whatever host its Via names (see the report on #5), which would
// take the test off this machine. TestTortureMessagesLeaveTheEngineServing
// covers TCP framing with connections held open.
func FuzzHandleRequest(f *testing.F) {
	seeder := newRawUA(f, "127.0.0.1", &Engine{})
	register := seeder.request(sip.REGISTER, "101")
	register.AppendHeader(sip.NewHeader("Authorization", `Digest username="101", realm="sipsim", nonce="AAAA", uri="sip:127.0.0.1", response="00", qop=auth, nc=00000001, cnonce="x"`))
	invite := seeder.request(sip.INVITE, "+33698765432")
	invite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	invite.SetBody(buildOffer(netip.MustParseAddr("127.0.0.1"), 40000, 1, []sdpCodec{staticPT[0], staticPT[8]}))
	scanner := seeder.request(sip.OPTIONS, "100")
	scanner.AppendHeader(sip.NewHeader("User-Agent", "friendly-scanner"))
	for _, seed := range []*sip.Request{register, invite, seeder.request(sip.BYE, "101"), seeder.request(sip.ACK, "101"),
		seeder.request(sip.CANCEL, "101"), scanner} {
		f.Add([]byte(seed.String()))
	}
	f.Add([]byte("SIP/2.0 180 Ringing\r\nCall-ID: x\r\n\r\n"))
	f.Add([]byte("\x00\xff garbage \r\n\r\n"))
	for _, m := range tortureMessages(f) {
		f.Add(m.data)
	}

	// The fuzzer fails authentication endlessly from one address, as fast
	// as it can: it must not ban itself into silence, nor be held to the
	// request rate.
	te := startEngineWith(f, func(c *Config) { c.AuthFailureLimit, c.SourceRequestRate = math.MaxInt32, -1 }, &countingRouter{})
	sender := newRawUA(f, "127.0.0.2", te.e)
	probe := newRawUA(f, "127.0.0.1", te.e)

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 60_000 {
			return // more than a UDP datagram can carry
		}
		sender.with(t).send(data)
		p := probe.with(t)
		if res := p.exchange(p.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
			t.Fatalf("OPTIONS after %q: %s", data, res.StartLine())
		}
	})
}

// with is u reporting to t, for use inside a fuzz function.
func (u *rawUA) with(t testing.TB) *rawUA {
	c := *u
	c.t = t
	return &c
}
