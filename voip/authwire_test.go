package voip

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
)

// Digest attacks played over the wire against a running engine: the unit
// tests in digest_test.go prove the digest server, these prove the engine
// uses it as it must.

func TestIntegrationExpiredNonceIsStaleNotWrong(t *testing.T) {
	clock := newFakeClock()
	te := startEngineWith(t, func(c *Config) { c.Now = clock.Now }, nil)
	u := newRawUA(t, "127.0.0.1", te.e)

	req := u.request(sip.REGISTER, "101")
	challenge := u.exchange(req)
	clock.Advance(6 * time.Minute) // nonces live 5 minutes
	res := u.exchange(u.retry(req, authHeader(t, challenge, req, "101", "secret-101", "MD5", 1)))
	www := res.GetHeader("WWW-Authenticate")
	if res.StatusCode != sip.StatusUnauthorized || www == nil || !strings.Contains(www.Value(), "stale=true") {
		t.Fatalf("right password, expired nonce: %s %v, want 401 with stale=true", res.StartLine(), www)
	}
	// The phone retries with the fresh nonce without asking its user.
	if res := u.exchange(u.retry(req, authHeader(t, res, req, "101", "secret-101", "MD5", 1))); res.StatusCode != sip.StatusOK {
		t.Fatalf("fresh nonce: %s", res.StartLine())
	}
	if n := te.e.guard.tracked(); n != 0 {
		t.Fatal("an expired nonce counted as a failed authentication")
	}
}

func TestIntegrationReplayedCredentialsAreRefused(t *testing.T) {
	te := startEngineWith(t, nil, nil)
	u := newRawUA(t, "127.0.0.1", te.e)

	req := u.request(sip.REGISTER, "101")
	auth := authHeader(t, u.exchange(req), req, "101", "secret-101", "MD5", 1)
	if res := u.exchange(u.retry(req, auth)); res.StatusCode != sip.StatusOK {
		t.Fatalf("register: %s", res.StartLine())
	}
	// An eavesdropper resends the captured request as a new transaction.
	res := u.exchange(u.retry(req, auth))
	if res.StatusCode != sip.StatusUnauthorized || strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale") {
		t.Fatalf("replayed Authorization: %s, want 401 (not stale)", res.StartLine())
	}
}

func TestIntegrationSHA256AndMD5AnswersBothWork(t *testing.T) {
	te := startEngineWith(t, func(c *Config) { c.DigestAlgorithms = DigestAlgorithms }, nil)
	u := newRawUA(t, "127.0.0.1", te.e)
	for _, alg := range []string{"MD5", "SHA-256"} {
		req := u.request(sip.REGISTER, "101")
		res := u.exchange(u.retry(req, authHeader(t, u.exchange(req), req, "101", "secret-101", alg, 1)))
		if res.StatusCode != sip.StatusOK {
			t.Errorf("%s answer: %s", alg, res.StartLine())
		}
		res = u.exchange(u.retry(req, authHeader(t, u.exchange(req), req, "101", "wrong", alg, 1)))
		if res.StatusCode != sip.StatusUnauthorized {
			t.Errorf("%s answer with a wrong password: %s", alg, res.StartLine())
		}
	}
}

var nonceValueRe = regexp.MustCompile(`nonce="[^"]*"`)

// shape is what a scanner can compare between two refusals: status,
// reason, which headers, and the challenge with its nonce blanked.
func shape(res *sip.Response) string {
	var names []string
	for _, h := range res.Headers() {
		names = append(names, strings.ToLower(h.Name()))
	}
	slices.Sort(names)
	var challenge string
	for _, n := range []string{"WWW-Authenticate", "Proxy-Authenticate"} {
		if h := res.GetHeader(n); h != nil {
			challenge = nonceValueRe.ReplaceAllString(h.Value(), `nonce="?"`)
		}
	}
	return res.StartLine() + " | " + strings.Join(names, ",") + " | " + challenge
}

func TestIntegrationUnknownUserLooksLikeWrongPassword(t *testing.T) {
	te := startEngineWith(t, nil, &countingRouter{})
	u := newRawUA(t, "127.0.0.1", te.e)

	refusal := func(method sip.RequestMethod, user string) string {
		req := u.request(method, "+33698765432")
		if method == sip.REGISTER {
			req = u.request(method, user)
		}
		res := u.exchange(u.retry(req, authHeader(t, u.exchange(req), req, user, "some-password", "MD5", 1)))
		return shape(res)
	}
	for _, method := range []sip.RequestMethod{sip.REGISTER, sip.INVITE} {
		known := refusal(method, "101")
		for _, user := range []string{"102", "999", "admin", "1001"} {
			if got := refusal(method, user); got != known {
				t.Errorf("%s as unknown user %s:\n  %s\nknown user, wrong password:\n  %s", method, user, got, known)
			}
		}
	}
}

func TestIntegrationUnauthenticatedInviteNeverReachesTheRouter(t *testing.T) {
	router := &countingRouter{}
	te := startEngineWith(t, nil, router)
	stranger := newRawUA(t, "127.0.0.9", te.e)

	res := stranger.exchange(stranger.request(sip.INVITE, "+33698765432"))
	if res.StatusCode != sip.StatusProxyAuthRequired || res.GetHeader("Proxy-Authenticate") == nil {
		t.Fatalf("INVITE without credentials: %s, want 407 with a challenge", res.StartLine())
	}
	req := stranger.request(sip.INVITE, "+33698765432")
	req.AppendHeader(sip.NewHeader("Proxy-Authorization", `Digest username="101", realm="sipsim", nonce="forged", uri="sip:x", response="0"`))
	if res := stranger.exchange(req); res.StatusCode != sip.StatusProxyAuthRequired {
		t.Fatalf("INVITE with forged credentials: %s, want 407", res.StartLine())
	}
	if n := router.calls.Load(); n != 0 {
		t.Fatalf("%d unauthenticated calls reached the router: an open relay", n)
	}
}

func TestIntegrationNoVersionBanner(t *testing.T) {
	carrier := newPeer(t, hangsUpAfter(100*time.Millisecond))
	te := startEngineWith(t, func(c *Config) {
		c.Trunk, c.TrunkUsername, c.TrunkPassword = "sip:127.0.0.1:"+itoa(carrier.port), "acme", "trunk-pass"
	}, &countingRouter{})
	u := newRawUA(t, "127.0.0.1", te.e)
	for _, method := range []sip.RequestMethod{sip.OPTIONS, sip.REGISTER, sip.INVITE, sip.BYE, sip.SUBSCRIBE} {
		res := u.exchange(u.request(method, "101"))
		assertNoBanner(t, "answer to "+string(method), res)
	}
	// What the engine sends as a client: the INVITEs of a click-to-call.
	phone := newPeer(t, answers)
	if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("register: %s", res.StartLine())
	}
	te.e.PlaceCall(t.Context(), te.plan(t), func(sipsim.CallProgress) {})
	assertNoBanner(t, "INVITE to the phone", phone.lastInvite())
	assertNoBanner(t, "INVITE to the carrier", carrier.lastInvite())
}

func TestIntegrationChallengeOffersEachConfiguredAlgorithm(t *testing.T) {
	for _, tc := range []struct {
		configured, offered []string
	}{
		{nil, []string{"MD5"}},
		{[]string{"SHA-256", "MD5"}, []string{"SHA-256", "MD5"}},
		{[]string{"SHA-256"}, []string{"SHA-256"}},
	} {
		te := startEngineWith(t, func(c *Config) { c.DigestAlgorithms = tc.configured }, nil)
		u := newRawUA(t, "127.0.0.1", te.e)
		res := u.exchange(u.request(sip.REGISTER, "101"))
		var offered []string
		for _, h := range res.GetHeaders("WWW-Authenticate") {
			offered = append(offered, regexp.MustCompile(`algorithm=([A-Z0-9-]+)`).FindStringSubmatch(h.Value())[1])
		}
		if !slices.Equal(offered, tc.offered) {
			t.Errorf("configured %q: challenges offer %q, want %q in that order", tc.configured, offered, tc.offered)
		}
	}

	// A SHA-256-only registrar refuses MD5 answers: no downgrade.
	te := startEngineWith(t, func(c *Config) { c.DigestAlgorithms = []string{"SHA-256"} }, nil)
	u := newRawUA(t, "127.0.0.1", te.e)
	req := u.request(sip.REGISTER, "101")
	if res := u.exchange(u.retry(req, authHeader(t, u.exchange(req), req, "101", "secret-101", "MD5", 1))); res.StatusCode != sip.StatusUnauthorized {
		t.Errorf("MD5 answer to a SHA-256-only registrar: %s, want 401", res.StartLine())
	}
	if res := u.exchange(u.retry(req, authHeader(t, u.exchange(req), req, "101", "secret-101", "SHA-256", 1))); res.StatusCode != sip.StatusOK {
		t.Errorf("SHA-256 answer: %s, want 200", res.StartLine())
	}
}

// failingRegistrations is the real store with its writes of bindings
// failing as they do while the database is down.
type failingRegistrations struct {
	sipsim.RegistrationStore
	down atomic.Bool
}

func (f *failingRegistrations) SaveRegistration(ctx context.Context, r *sipsim.Registration) error {
	if f.down.Load() {
		return sipsim.Errorf(sipsim.EUNAVAILABLE, "The database is down")
	}
	return f.RegistrationStore.SaveRegistration(ctx, r)
}

func TestIntegrationDatabaseDownAnswers503WithRetryAfter(t *testing.T) {
	var regs *failingRegistrations
	te := startEngineWith(t, func(c *Config) {
		regs = &failingRegistrations{RegistrationStore: c.Registrations}
		regs.down.Store(true)
		c.Registrations = regs
	}, nil)
	u := newRawUA(t, "127.0.0.1", te.e)
	req := u.request(sip.REGISTER, "101")
	res := u.exchange(u.retry(req, authHeader(t, u.exchange(req), req, "101", "secret-101", "MD5", 1)))
	if ra := res.GetHeader("Retry-After"); res.StatusCode != sip.StatusServiceUnavailable || ra == nil || ra.Value() != "10" {
		t.Fatalf("REGISTER while the database is down: %s (Retry-After %v), want 503 with Retry-After: 10", res.StartLine(), ra)
	}
	regs.down.Store(false)
	if res := u.exchange(u.retry(req, authHeader(t, u.exchange(req), req, "101", "secret-101", "MD5", 2))); res.StatusCode != sip.StatusOK {
		t.Fatalf("REGISTER once the database is back: %s, want 200", res.StartLine())
	}
}

func TestIntegrationExpiredNonceDoesNotRevealUsers(t *testing.T) {
	clock := newFakeClock()
	te := startEngineWith(t, func(c *Config) { c.Now = clock.Now }, nil)
	u := newRawUA(t, "127.0.0.1", te.e)
	refusal := func(user string) string {
		req := u.request(sip.REGISTER, user)
		challenge := u.exchange(req)
		clock.Advance(6 * time.Minute) // past the nonce's 5 minutes
		return shape(u.exchange(u.retry(req, authHeader(t, challenge, req, user, "guess", "MD5", 1))))
	}
	known := refusal("101")
	if strings.Contains(known, "stale") {
		t.Errorf("wrong password on an expired nonce answered stale: %s", known)
	}
	if unknown := refusal("102"); unknown != known {
		t.Errorf("expired nonce, unknown user:\n  %s\nknown user, wrong password:\n  %s", unknown, known)
	}
}
