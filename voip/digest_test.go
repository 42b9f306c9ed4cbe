package voip

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"regexp"
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
	d := newDigestServer(clock, 5*time.Minute)
	ha1, ha1s := sipsim.DigestHA1("101", "sipsim", "secret-101")
	nonce := nonceRe.FindStringSubmatch(d.challenge("sipsim", false))[1]
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
	fresh := nonceRe.FindStringSubmatch(d.challenge("sipsim", false))[1]
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

	forged := cred
	forged.nonce = "AAAA" + nonce[4:]
	if err := d.verify(forged, "REGISTER", ha1, ha1s); !errors.Is(err, errDigestMalformed) {
		t.Fatalf("forged nonce: got %v, want malformed", err)
	}
}

func TestDigestChallengeStale(t *testing.T) {
	d := newDigestServer(time.Now, time.Minute)
	if c := d.challenge("sipsim", true); !regexp.MustCompile(`^Digest realm="sipsim", nonce="[^"]+", algorithm=MD5, qop="auth", stale=true$`).MatchString(c) {
		t.Fatalf("challenge = %s", c)
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
	d := newDigestServer(time.Now, time.Minute)
	f.Fuzz(func(t *testing.T, h string) {
		c, err := parseDigest(h)
		if err != nil {
			return
		}
		// Whatever parses must be verifiable without panicking.
		_ = d.verify(c, "REGISTER", fmt.Sprintf("%032x", 1), "")
	})
}
