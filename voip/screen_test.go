package voip

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func requestWithUA(headerLine string) []byte {
	return []byte("OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-1\r\n" +
		"From: <sip:100@192.0.2.9>;tag=1\r\nTo: <sip:100@192.0.2.1>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n" +
		headerLine + "Content-Length: 0\r\n\r\n")
}

func TestIsScanner(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"User-Agent: friendly-scanner\r\n", true},
		{"User-Agent: Friendly-Scanner\r\n", true},
		{"user-agent:sipvicious 0.3.4\r\n", true},
		{"USER-AGENT :  SIPVicious\r\n", true},
		{"User-Agent: sipcli/v1.8\r\n", true},
		{"User-Agent: sip-scan\r\n", true},
		{"User-Agent: sundayddr\r\n", true},
		{"User-Agent: iWar\r\n", true},
		{"User-Agent: VaxSIPUserAgent/3.1\r\n", true},
		{"User-Agent: pplsip\r\n", true},
		{"User-Agent: Yealink SIP-T46S 66.86.0.15\r\n", false},
		{"User-Agent: baresip v1.0.0 (x86_64/linux)\r\n", false},
		{"User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)\r\n", false},
		{"User-Agent: MicroSIP/3.21.3\r\n", false},
		{"User-Agent: Z 5.6.1 v2.10.19.9\r\n", false},
		{"", false},
		// Only the User-Agent header counts, not a word elsewhere.
		{"Subject: friendly-scanner\r\n", false},
		{"X-User-Agent: sipvicious\r\n", false},
	} {
		if got := isScanner(requestWithUA(tc.header)); got != tc.want {
			t.Errorf("isScanner(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
	// A scanner's name in the body is not its User-Agent.
	body := append(requestWithUA(""), []byte("User-Agent: friendly-scanner\r\n")...)
	if isScanner(body) {
		t.Error("a User-Agent line in the body was taken for a header")
	}
	for _, a := range scannerAgents {
		if !bytes.Equal(a, bytes.ToLower(a)) {
			t.Errorf("scanner fragment %q is not lower case: it can never match", a)
		}
	}
}

func TestScreenFilter(t *testing.T) {
	clock := newFakeClock()
	g := testGuard(clock, 10)
	for range 3 {
		g.authFailed("192.0.2.66:5060")
	}
	passed := 0
	s := &screen{guard: g, next: func(_ sip.TransportReadProps, data []byte) ([]byte, error) { passed++; return data, nil }}
	udp := func(ip string) sip.TransportReadProps {
		return sip.TransportReadProps{Transport: "UDP", RemoteAddr: &net.UDPAddr{IP: net.ParseIP(ip), Port: 5060}}
	}
	tcp := func(ip string) sip.TransportReadProps {
		return sip.TransportReadProps{Transport: "TCP", RemoteAddr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}
	}
	plain := requestWithUA("User-Agent: Yealink\r\n")
	scanner := requestWithUA("User-Agent: friendly-scanner\r\n")
	response := []byte("SIP/2.0 200 OK\r\nUser-Agent: friendly-scanner\r\n\r\n")

	for _, tc := range []struct {
		name    string
		props   sip.TransportReadProps
		data    []byte
		pass    bool
		closeTC bool // a screened TCP read closes the connection
	}{
		{"plain request", udp("192.0.2.1"), plain, true, false},
		{"banned source over UDP", udp("192.0.2.66"), plain, false, false},
		{"banned source over TCP", tcp("192.0.2.66"), plain, false, true},
		{"scanner over UDP", udp("192.0.2.1"), scanner, false, false},
		{"scanner over TCP", tcp("192.0.2.1"), scanner, false, true},
		{"response from a banned source", udp("192.0.2.66"), response, true, false},
		{"response then a request over TCP from a banned source", tcp("192.0.2.66"), append(append([]byte{}, response...), plain...), false, true},
		{"response then a scanner's request over TCP", tcp("192.0.2.1"), append([]byte("SIP/2.0 200 OK\r\n\r\n"), scanner...), false, true},
		{"no remote address", sip.TransportReadProps{Transport: "UDP"}, plain, true, false},
	} {
		passed = 0
		before := s.dropped.Load()
		out, err := s.filter(tc.props, tc.data)
		switch {
		case tc.pass && (passed != 1 || !bytes.Equal(out, tc.data) || err != nil):
			t.Errorf("%s: not passed on unchanged (passed %d, err %v)", tc.name, passed, err)
		case !tc.pass && (passed != 0 || len(out) != 0 || s.dropped.Load() != before+1):
			t.Errorf("%s: not dropped", tc.name)
		case !tc.pass && tc.closeTC != (err != nil):
			// An error from a UDP read filter would stop sipgo's listener.
			t.Errorf("%s: err = %v, want an error only for TCP", tc.name, err)
		}
	}
}

// optionsOK sends OPTIONS from a fresh loopback address and reports
// whether the engine answered 200.
func optionsOK(t *testing.T, te *testEngine, ip string) bool {
	t.Helper()
	u := newRawUA(t, ip, te.e)
	return u.exchange(u.request(sip.OPTIONS, "100")).StatusCode == sip.StatusOK
}

func TestIntegrationScannersGetNoAnswer(t *testing.T) {
	te := startEngineWith(t, nil, nil)
	u := newRawUA(t, "127.0.0.1", te.e)

	// Control: the same socket and request, with a phone's User-Agent.
	req := u.request(sip.OPTIONS, "100")
	req.AppendHeader(sip.NewHeader("User-Agent", "Yealink SIP-T46S"))
	if res := u.exchange(req); res.StatusCode != sip.StatusOK {
		t.Fatalf("plain OPTIONS: %s", res.StartLine())
	}

	for _, ua := range []string{"friendly-scanner", "SIPVicious", "sipcli/v1.8", "VaxSIPUserAgent/3.1"} {
		for _, method := range []sip.RequestMethod{sip.OPTIONS, sip.REGISTER, sip.INVITE} {
			req := u.request(method, "100")
			req.AppendHeader(sip.NewHeader("User-Agent", ua))
			before := te.e.screen.dropped.Load()
			u.send([]byte(req.String()))
			waitUntil(t, ua+" "+string(method)+" is screened out", func() bool { return te.e.screen.dropped.Load() > before })
		}
	}
	if !u.silent(300 * time.Millisecond) {
		t.Fatal("a scanner got an answer")
	}

	// Over TCP the connection is closed without a word.
	conn, err := net.Dial("tcp", u.engine.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req = u.request(sip.OPTIONS, "100")
	req.AppendHeader(sip.NewHeader("User-Agent", "friendly-scanner"))
	if _, err := conn.Write([]byte(strings.Replace(req.String(), "SIP/2.0/UDP", "SIP/2.0/TCP", 1))); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(conn)
	if len(got) != 0 || err != nil {
		t.Fatalf("scanner over TCP read %q (err %v), want the connection closed with nothing said", got, err)
	}
}

// failRegister makes one failed authentication from u: REGISTER, then the
// challenge answered with a wrong password. It returns the 401.
func failRegister(t *testing.T, u *rawUA) *sip.Response {
	t.Helper()
	req := u.request(sip.REGISTER, "101")
	res := u.exchange(req)
	res = u.exchange(u.retry(req, authHeader(t, res, req, "101", "guess", "MD5", 1)))
	if res.StatusCode != sip.StatusUnauthorized {
		t.Fatalf("wrong password: %s", res.StartLine())
	}
	return res
}

// failInvite does the same through a call attempt (407).
func failInvite(t *testing.T, u *rawUA) {
	t.Helper()
	req := u.request(sip.INVITE, "+33698765432")
	res := u.exchange(req)
	res = u.exchange(u.retry(req, authHeader(t, res, req, "101", "guess", "MD5", 1)))
	if res.StatusCode != sip.StatusProxyAuthRequired {
		t.Fatalf("wrong password on INVITE: %s", res.StartLine())
	}
}

func TestIntegrationRepeatedFailuresBanTheSourceOnly(t *testing.T) {
	clock := newFakeClock()
	router := &countingRouter{}
	te := startEngineWith(t, func(c *Config) {
		c.Now = clock.Now
		c.AuthFailureLimit, c.AuthFailureWindow, c.AuthBanDuration = 6, time.Minute, 10*time.Minute
	}, router)
	attacker := newRawUA(t, "127.0.0.2", te.e)
	phone := newPeer(t, answers) // the employee's phone, on 127.0.0.1

	// Guessing through REGISTER and through INVITE both count.
	for range 2 {
		failRegister(t, attacker)
		failInvite(t, attacker)
	}
	// Someone else's success does not reset the attacker's count, and
	// neither does the attacker's own success with an extension it owns:
	// it would otherwise brute-force the others for ever.
	if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("phone register: %s", res.StartLine())
	}
	req := attacker.request(sip.REGISTER, "101")
	res := attacker.exchange(req)
	if res = attacker.exchange(attacker.retry(req, authHeader(t, res, req, "101", "secret-101", "MD5", 1))); res.StatusCode != 200 {
		t.Fatalf("right password from the attacker's address: %s", res.StartLine())
	}
	failRegister(t, attacker) // 5th failure: still answered
	failRegister(t, attacker) // 6th: answered, and the ban starts

	for _, method := range []sip.RequestMethod{sip.OPTIONS, sip.REGISTER, sip.INVITE} {
		before := te.e.screen.dropped.Load()
		attacker.send([]byte(attacker.request(method, "101").String()))
		waitUntil(t, "the banned source's "+string(method)+" is dropped", func() bool { return te.e.screen.dropped.Load() > before })
	}

	// Everyone else is served as before.
	if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("phone register during the attacker's ban: %s", res.StartLine())
	}
	if !optionsOK(t, te, "127.0.0.3") {
		t.Fatal("a third address is not answered")
	}
	if !attacker.silent(300 * time.Millisecond) {
		t.Fatal("the banned source got an answer")
	}
	if n := router.calls.Load(); n != 0 {
		t.Fatalf("%d unauthenticated calls reached the router", n)
	}

	clock.Advance(10*time.Minute + time.Second)
	if res := attacker.exchange(attacker.request(sip.OPTIONS, "100")); res.StatusCode != 200 {
		t.Fatalf("after the ban: %s", res.StartLine())
	}
}

func TestIntegrationFailuresWithinTheLimitAreStillAnswered(t *testing.T) {
	te := startEngineWith(t, func(c *Config) { c.AuthFailureLimit = 3 }, nil)
	u := newRawUA(t, "127.0.0.2", te.e)
	failRegister(t, u)
	failRegister(t, u)
	// Two failures (below the limit of 3): a phone with a mistyped
	// password is re-challenged, not silenced.
	if res := u.exchange(u.request(sip.REGISTER, "101")); res.StatusCode != sip.StatusUnauthorized {
		t.Fatalf("after 2 failures: %s", res.StartLine())
	}
	if n := te.e.screen.dropped.Load(); n != 0 {
		t.Fatalf("%d requests dropped below the limit", n)
	}
}
