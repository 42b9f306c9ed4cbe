package voip

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// answer computes what a phone sends for a challenge, as RFC 7616 says.
func answer(h func() hash.Hash, ha1, nonce, method, uri, nc, cnonce, qop string) string {
	hx := func(s string) string {
		x := h()
		x.Write([]byte(s))
		return hex.EncodeToString(x.Sum(nil))
	}
	ha2 := hx(method + ":" + uri)
	if qop == "" {
		return hx(ha1 + ":" + nonce + ":" + ha2)
	}
	return hx(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2)
}

var nonceRe = regexp.MustCompile(`nonce="([^"]+)"`)

func TestDigestVerify(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	d := newDigestServer(clock, 5*time.Minute, DigestAlgorithms)
	ha1, ha1s := sipsim.DigestHA1("101", "sipsim", "secret-101")
	nonce := nonceRe.FindStringSubmatch(d.challenge("sipsim", false)[0])[1]
	uri := "sip:127.0.0.1:5060"

	cred := digestCredentials{username: "101", realm: "sipsim", nonce: nonce, uri: uri, qop: "auth", nc: "00000001", cnonce: "abc"}
	cred.response = answer(md5.New, ha1, nonce, "REGISTER", uri, "00000001", "abc", "auth")
	if err := d.verify(cred, "REGISTER", ha1, ha1s); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if err := d.verify(cred, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestReplay) {
		t.Fatalf("replayed nonce count: got %v, want replay error", err)
	}
	cred.nc = "00000002"
	cred.response = answer(md5.New, ha1, nonce, "REGISTER", uri, "00000002", "abc", "auth")
	if err := d.verify(cred, "REGISTER", ha1, ha1s); err != nil {
		t.Fatalf("next nonce count refused: %v", err)
	}

	wrong, _ := sipsim.DigestHA1("101", "sipsim", "wrong")
	cred.nc = "00000003"
	cred.response = answer(md5.New, wrong, nonce, "REGISTER", uri, "00000003", "abc", "auth")
	if err := d.verify(cred, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestMismatch) {
		t.Fatalf("wrong password: got %v, want mismatch", err)
	}

	sha := digestCredentials{username: "101", realm: "sipsim", nonce: nonce, uri: uri, qop: "auth", nc: "00000009", cnonce: "x", algorithm: "SHA-256"}
	sha.response = answer(sha256.New, ha1s, nonce, "REGISTER", uri, "00000009", "x", "auth")
	if err := d.verify(sha, "REGISTER", ha1, ha1s); err != nil {
		t.Fatalf("SHA-256 answer refused: %v", err)
	}

	noQop := digestCredentials{username: "101", realm: "sipsim", nonce: nonce, uri: uri}
	fresh := nonceRe.FindStringSubmatch(d.challenge("sipsim", false)[0])[1]
	noQop.nonce = fresh
	noQop.response = answer(md5.New, ha1, fresh, "REGISTER", uri, "", "", "")
	if err := d.verify(noQop, "REGISTER", ha1, ha1s); err != nil {
		t.Fatalf("RFC 2069 answer refused: %v", err)
	}
	if err := d.verify(noQop, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestReplay) {
		t.Fatalf("nonce without qop reused: got %v, want replay error", err)
	}

	now = now.Add(6 * time.Minute)
	cred.nc = "00000004"
	cred.response = answer(md5.New, ha1, nonce, "REGISTER", uri, "00000004", "abc", "auth")
	if err := d.verify(cred, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestStale) {
		t.Fatalf("expired nonce: got %v, want stale", err)
	}

	// A wrong password on an expired nonce is a wrong password: stale
	// would tell a guesser that user 101 exists.
	cred.nc = "00000005"
	cred.response = answer(md5.New, wrong, nonce, "REGISTER", uri, "00000005", "abc", "auth")
	if err := d.verify(cred, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestMismatch) {
		t.Fatalf("wrong password, expired nonce: got %v, want mismatch", err)
	}

	forged := cred
	forged.nonce = "AAAA" + nonce[4:]
	if err := d.verify(forged, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestMismatch) {
		t.Fatalf("forged nonce, answer computed for another: got %v, want mismatch", err)
	}
}

// A phone that answers a nonce of the process before a restart (or of
// another node) with the right password is told stale, not wrong: it must
// not count towards a ban of its address.
func TestDigestNonceOfAnotherKeyIsStale(t *testing.T) {
	before := newDigestServer(time.Now, time.Minute, DigestAlgorithms)
	after := newDigestServer(time.Now, time.Minute, DigestAlgorithms)
	ha1, ha1s := sipsim.DigestHA1("101", "sipsim", "secret-101")
	wrong, _ := sipsim.DigestHA1("101", "sipsim", "wrong")
	uri := "sip:127.0.0.1:5060"
	old := nonceRe.FindStringSubmatch(before.challenge("sipsim", false)[0])[1]
	c := digestCredentials{username: "101", realm: "sipsim", nonce: old, uri: uri, qop: "auth", nc: "00000002", cnonce: "c"}
	c.response = answer(md5.New, ha1, old, "REGISTER", uri, "00000002", "c", "auth")
	if err := after.verify(c, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestStale) {
		t.Errorf("right password, nonce of the previous process: got %v, want stale", err)
	}
	c.response = answer(md5.New, wrong, old, "REGISTER", uri, "00000002", "c", "auth")
	if err := after.verify(c, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestMismatch) {
		t.Errorf("wrong password, nonce of the previous process: got %v, want mismatch", err)
	}
}

func TestDigestChallengeOffersEachAlgorithm(t *testing.T) {
	d := newDigestServer(time.Now, time.Minute, []string{"SHA-256", "MD5"})
	got := d.challenge("sipsim", true)
	if len(got) != 2 {
		t.Fatalf("challenges = %q, want one per algorithm", got)
	}
	for i, alg := range []string{"SHA-256", "MD5"} {
		re := regexp.MustCompile(`^Digest realm="sipsim", nonce="[^"]+", algorithm=` + alg + `, qop="auth", stale=true$`)
		if !re.MatchString(got[i]) {
			t.Errorf("challenge %d = %s, want algorithm %s", i, got[i], alg)
		}
	}
	if a, b := nonceRe.FindStringSubmatch(got[0])[1], nonceRe.FindStringSubmatch(got[1])[1]; a != b {
		t.Errorf("the challenges carry different nonces %q and %q", a, b)
	}
}

func TestDigestRefusesAlgorithmsNotOffered(t *testing.T) {
	d := newDigestServer(time.Now, time.Minute, []string{"SHA-256"})
	ha1, ha1s := sipsim.DigestHA1("101", "sipsim", "secret-101")
	uri := "sip:127.0.0.1:5060"
	for _, alg := range []string{"MD5", ""} { // absent means MD5
		nonce := nonceRe.FindStringSubmatch(d.challenge("sipsim", false)[0])[1]
		c := digestCredentials{username: "101", realm: "sipsim", nonce: nonce, uri: uri, qop: "auth", nc: "00000001", cnonce: "c", algorithm: alg}
		c.response = answer(md5.New, ha1, nonce, "REGISTER", uri, "00000001", "c", "auth")
		if err := d.verify(c, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestMalformed) {
			t.Errorf("MD5 answer (algorithm=%q) to a SHA-256-only server: got %v, want refused", alg, err)
		}
	}
}

func TestDigestAlgorithmsConfig(t *testing.T) {
	if got, err := digestAlgorithms([]string{" md5", "sha-256"}); err != nil || !slices.Equal(got, []string{"MD5", "SHA-256"}) {
		t.Errorf("md5,sha-256 = %q, %v", got, err)
	}
	if got, _ := digestAlgorithms(nil); !slices.Equal(got, []string{"MD5"}) {
		t.Errorf("default = %q", got)
	}
	for _, bad := range [][]string{{"SHA-512"}, {"MD5", "md5"}, {""}} {
		if _, err := digestAlgorithms(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseDigest(t *testing.T) {
	h := `Digest username="101",realm="sipsim", nonce="n1", uri="sip:a, b", response="ABC", algorithm=MD5, cnonce="c", qop=auth, nc=00000001`
	c, err := parseDigest(h)
	if err != nil {
		t.Fatal(err)
	}
	want := digestCredentials{username: "101", realm: "sipsim", nonce: "n1", uri: "sip:a, b", response: "ABC", algorithm: "MD5", cnonce: "c", qop: "auth", nc: "00000001"}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	for _, bad := range []string{"", "Basic abc", `Digest username="101"`, `Digest username="1, nonce=`, "Digest =x"} {
		if _, err := parseDigest(bad); err == nil {
			t.Errorf("parseDigest(%q) accepted", bad)
		}
	}
}

func FuzzParseDigest(f *testing.F) {
	f.Add(`Digest username="101", realm="sipsim", nonce="n", uri="sip:x", response="r", qop=auth, nc=1, cnonce="c"`)
	f.Add(`Digest a="`)
	d := newDigestServer(time.Now, time.Minute, DigestAlgorithms)
	f.Fuzz(func(t *testing.T, h string) {
		c, err := parseDigest(h)
		if err != nil {
			return
		}
		// Whatever parses must be verifiable without panicking.
		_ = d.verify(c, "REGISTER", fmt.Sprintf("%032x", 1), "")
	})
}
