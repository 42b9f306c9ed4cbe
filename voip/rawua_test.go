package voip

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/sqlite"
	"github.com/sipsim/sipsim/storetest"
	"github.com/sipsim/sipsim/voip/media"
)

// Helpers for the attack tests: an engine whose config a test can tune,
// a fake clock, and a bare UDP user agent that can sit on any loopback
// address and send what no SIP stack would.

// newFakeClock is a clock for Config.Now that moves only when told to.
func newFakeClock() *storetest.Clock { return storetest.NewClock(time.Now()) }

// startEngineWith is startEngine (phone 101, password "secret-101") with
// a config the test adjusts, handset calls going to router (nil: none),
// and logs discarded: attack tests produce thousands of lines that say
// nothing.
func startEngineWith(t testing.TB, tune func(*Config), router sipsim.HandsetRouter) *testEngine {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	md5, sha := sipsim.DigestHA1("101", "sipsim", "secret-101")
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Alice", Status: sipsim.PhoneActive, InternalNumber: 101,
		Number: "+33612345678", SIPRealm: "sipsim", SIPHA1MD5: md5, SIPHA1SHA256: sha}
	if err := db.CreatePhone(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	alloc, err := media.NewAllocator(netip.MustParseAddr("127.0.0.1"), 42000, 42999)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Logger: slog.New(slog.DiscardHandler), SIPAddr: "127.0.0.1:0", PublicAddr: "127.0.0.1", Realm: "sipsim",
		AccountID: sipsim.DefaultAccountID, Media: alloc, Phones: db, Registrations: db, Accounts: db, MediaTimeout: 5 * time.Second}
	if tune != nil {
		tune(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if router != nil {
		e.SetHandsetRouter(router)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := e.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	return &testEngine{e: e, db: db, phone: p}
}

// countingRouter refuses every handset call and counts the ones that got
// past authentication.
type countingRouter struct{ calls atomic.Int64 }

func (r *countingRouter) StartHandsetCall(context.Context, sipsim.HandsetDial) (*sipsim.HandsetCall, error) {
	r.calls.Add(1)
	return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no such number")
}

// rawUA is a SIP user agent made of a bare UDP socket.
type rawUA struct {
	t      testing.TB
	conn   *net.UDPConn
	engine *net.UDPAddr
	cseq   int
}

// newRawUA binds a UDP socket on ip (any 127.x.y.z works on Linux, so a
// test can play several source addresses) to talk to the engine.
func newRawUA(t testing.TB, ip string, e *Engine) *rawUA {
	t.Helper()
	u := newRawUAOn(t, ip+":0")
	u.aim(e)
	return u
}

// newRawUAOn binds addr ("ip:port"); aim it at an engine before use.
func newRawUAOn(t testing.TB, addr string) *rawUA {
	t.Helper()
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawUA{t: t, conn: conn}
}

func (u *rawUA) aim(e *Engine) { u.engine = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: e.Port()} }

func (u *rawUA) addr() *net.UDPAddr { return u.conn.LocalAddr().(*net.UDPAddr) }

// request builds a well-formed out-of-dialog request from user at this
// socket: REGISTER for the registrar, anything else to user@engine.
func (u *rawUA) request(method sip.RequestMethod, user string) *sip.Request {
	u.cseq++
	ruri := sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: u.engine.Port}
	if method != sip.REGISTER {
		ruri.User = user
	}
	req := sip.NewRequest(method, ruri)
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: u.addr().IP.String(), Port: u.addr().Port, Params: sip.NewParams()}
	via.Params.Add("branch", sip.GenerateBranch())
	req.AppendHeader(via)
	req.AppendHeader(sip.NewHeader("Max-Forwards", "70"))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}, Params: sip.NewParams()})
	callID := sip.CallIDHeader(fmt.Sprintf("raw-%d-%s", u.cseq, sip.GenerateTagN(12)))
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: uint32(u.cseq), MethodName: method})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: u.addr().IP.String(), Port: u.addr().Port}})
	if method == sip.REGISTER {
		req.AppendHeader(sip.NewHeader("Expires", "3600"))
	}
	req.SetBody(nil)
	return req
}

// retry is a copy of req as a new transaction (fresh branch and CSeq),
// the way a phone resends a challenged request.
func (u *rawUA) retry(req *sip.Request, extra ...sip.Header) *sip.Request {
	u.cseq++
	r := req.Clone()
	r.Via().Params.Add("branch", sip.GenerateBranch())
	r.CSeq().SeqNo = uint32(u.cseq)
	for _, h := range extra {
		r.AppendHeader(h)
	}
	return r
}

func (u *rawUA) send(data []byte) {
	u.t.Helper()
	if _, err := u.conn.WriteToUDP(data, u.engine); err != nil {
		u.t.Fatal(err)
	}
}

// exchange sends req until its final response arrives, resending every
// half second as UDP user agents do, and fails the test after 10 s.
func (u *rawUA) exchange(req *sip.Request) *sip.Response {
	u.t.Helper()
	branch, _ := req.Via().Params.Get("branch")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		u.send([]byte(req.String()))
		if res := u.await(branch, 500*time.Millisecond); res != nil {
			return res
		}
	}
	u.t.Fatalf("no answer to %s", req.StartLine())
	return nil
}

// await returns the final response for branch, or nil if none comes
// within wait. Other datagrams (provisionals, retransmitted answers to
// earlier requests) are skipped.
func (u *rawUA) await(branch string, wait time.Duration) *sip.Response {
	buf := make([]byte, 65535)
	deadline := time.Now().Add(wait)
	for {
		u.conn.SetReadDeadline(deadline)
		n, _, err := u.conn.ReadFromUDP(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil
			}
			u.t.Fatal(err)
		}
		msg, err := sip.ParseMessage(buf[:n])
		if err != nil {
			continue
		}
		res, ok := msg.(*sip.Response)
		if !ok || res.IsProvisional() || res.Via() == nil {
			continue
		}
		if b, _ := res.Via().Params.Get("branch"); b == branch {
			return res
		}
	}
}

// silent reports whether nothing at all comes back to this socket within
// wait. Only used after the engine has shown (by its screen counter) that
// it dropped the request: the wait guards against a stray answer, it does
// not measure anything.
func (u *rawUA) silent(wait time.Duration) bool {
	buf := make([]byte, 65535)
	u.conn.SetReadDeadline(time.Now().Add(wait))
	_, _, err := u.conn.ReadFromUDP(buf)
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

var realmRe = regexp.MustCompile(`realm="([^"]+)"`)

// authHeader answers the digest challenge in res for req as user with
// password, with qop=auth and nonce-count nc, using algorithm ("MD5" or
// "SHA-256"). It returns an Authorization or Proxy-Authorization header,
// whichever the challenge asks for.
func authHeader(t testing.TB, res *sip.Response, req *sip.Request, user, password, algorithm string, nc int) sip.Header {
	t.Helper()
	name, challenge := "Authorization", res.GetHeader("WWW-Authenticate")
	if challenge == nil {
		name, challenge = "Proxy-Authorization", res.GetHeader("Proxy-Authenticate")
	}
	if challenge == nil {
		t.Fatalf("no challenge in %s", res.StartLine())
	}
	nonce := nonceRe.FindStringSubmatch(challenge.Value())[1]
	realm := realmRe.FindStringSubmatch(challenge.Value())[1]
	ha1md5, ha1sha := sipsim.DigestHA1(user, realm, password)
	h, ha1 := func() hash.Hash { return md5.New() }, ha1md5
	if algorithm == "SHA-256" {
		h, ha1 = sha256.New, ha1sha
	}
	uri := req.Recipient.String()
	ncs := fmt.Sprintf("%08x", nc)
	cnonce := sip.GenerateTagN(8)
	resp := answer(h, ha1, nonce, string(req.Method), uri, ncs, cnonce, "auth")
	return sip.NewHeader(name, fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=%s, cnonce="%s", qop=auth, nc=%s`,
		user, realm, nonce, uri, resp, algorithm, cnonce, ncs))
}

// assertNoBanner checks that msg names no software version: a Server or
// User-Agent header, if any, is exactly our bare product name.
func assertNoBanner(t testing.TB, what string, msg sip.Message) {
	t.Helper()
	for _, name := range []string{"Server", "User-Agent"} {
		for _, h := range msg.GetHeaders(name) {
			if v := strings.TrimSpace(h.Value()); v != userAgentName {
				t.Errorf("%s: %s: %q gives away the software", what, name, v)
			}
		}
	}
}
