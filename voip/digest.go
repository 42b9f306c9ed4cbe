package voip

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// digestServer issues and verifies RFC 8760/7616 digest challenges for
// REGISTER. It is our own because diago's answers a wrong password with a
// 401 that carries no challenge (the phone is stuck), has no qop and lets a
// response be replayed.
//
// Nonces are stateless to issue: timestamp + random + HMAC(key), so any
// restart or node can tell ours from forged ones and expired from fresh
// (stale=true). Replay is stopped by remembering the highest nonce-count
// seen per nonce until the nonce expires.
type digestServer struct {
	key []byte
	ttl time.Duration
	now func() time.Time
	// algorithms are offered in this order, one challenge header each
	// (RFC 8760 section 2.4: most preferred first; a phone answers the
	// first it supports). Answers with any other algorithm are refused.
	algorithms []string
	mu         sync.Mutex
	counts     map[string]nonceUse
	swept      time.Time
}

// nonceUse remembers the highest nonce-count accepted for a nonce until the
// nonce expires.
type nonceUse struct {
	nc      uint64
	expires time.Time
}

// DigestAlgorithms are the digest algorithms the registrar can offer.
var DigestAlgorithms = []string{"MD5", "SHA-256"}

// defaultDigestAlgorithms is MD5 alone. Offering SHA-256 as well breaks
// phones that give up on a challenge they cannot answer instead of picking
// the one they can: baresip 1.0 (libre 2.0, Debian 12) fails to register
// at all ("Function not implemented") when any SHA-256 challenge is
// present, whatever the order. Operators whose phones follow RFC 8760 turn
// SHA-256 on with Config.DigestAlgorithms.
var defaultDigestAlgorithms = []string{"MD5"}

// digestAlgorithms checks and normalises a configured list of digest
// algorithms; empty means defaultDigestAlgorithms.
func digestAlgorithms(names []string) ([]string, error) {
	if len(names) == 0 {
		return defaultDigestAlgorithms, nil
	}
	var out []string
	for _, n := range names {
		canon := strings.ToUpper(strings.TrimSpace(n))
		if !slices.Contains(DigestAlgorithms, canon) {
			return nil, fmt.Errorf("digest algorithm %q: want one of %s", n, strings.Join(DigestAlgorithms, ", "))
		}
		if slices.Contains(out, canon) {
			return nil, fmt.Errorf("digest algorithm %q listed twice", n)
		}
		out = append(out, canon)
	}
	return out, nil
}

func newDigestServer(now func() time.Time, ttl time.Duration, algorithms []string) *digestServer {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return &digestServer{key: key, ttl: ttl, now: now, algorithms: algorithms, counts: map[string]nonceUse{}}
}

// challenge returns the WWW-Authenticate values, one per algorithm, that
// share one nonce. stale tells the phone that its password was right but
// the nonce had expired, so it retries silently.
func (d *digestServer) challenge(realm string, stale bool) []string {
	var raw [32]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(d.now().UnixNano()))
	if _, err := rand.Read(raw[8:16]); err != nil {
		panic(err)
	}
	mac := hmac.New(sha256.New, d.key)
	mac.Write(raw[:16])
	copy(raw[16:], mac.Sum(nil)[:16])
	nonce := base64.RawURLEncoding.EncodeToString(raw[:])
	out := make([]string, len(d.algorithms))
	for i, alg := range d.algorithms {
		out[i] = fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=%s, qop="auth"`, realm, nonce, alg)
		if stale {
			out[i] += ", stale=true"
		}
	}
	return out
}

var (
	errDigestMalformed = errors.New("malformed digest credentials")
	errDigestStale     = errors.New("stale nonce")
	errDigestMismatch  = errors.New("digest response mismatch")
	errDigestReplay    = errors.New("nonce count replayed")
)

// digestCredentials is a parsed Authorization header.
type digestCredentials struct {
	username, realm, nonce, uri, response, algorithm, cnonce, qop, nc string
}

// parseDigest parses `Digest k=v, k="v", ...`.
func parseDigest(h string) (digestCredentials, error) {
	var c digestCredentials
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Digest") {
		return c, errDigestMalformed
	}
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return c, errDigestMalformed
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return c, errDigestMalformed
			}
			val, rest = rest[1:1+end], rest[2+end:]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			val, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		switch key {
		case "username":
			c.username = val
		case "realm":
			c.realm = val
		case "nonce":
			c.nonce = val
		case "uri":
			c.uri = val
		case "response":
			c.response = val
		case "algorithm":
			c.algorithm = val
		case "cnonce":
			c.cnonce = val
		case "qop":
			c.qop = val
		case "nc":
			c.nc = val
		}
	}
	if c.username == "" || c.nonce == "" || c.response == "" || c.uri == "" {
		return c, errDigestMalformed
	}
	return c, nil
}

// verify checks credentials against the stored HA1 values of the user.
//
// The answer is checked before the nonce, so that only someone who knows
// the password learns anything about the nonce: a right answer to an
// expired nonce, or to one we cannot vouch for (issued before a restart,
// which draws a new key, or by another node), is errDigestStale, and the
// phone retries at once with the fresh nonce, uncounted by the ban. A
// wrong answer is errDigestMismatch whatever the nonce, just as for an
// unknown user, so a stale flag never tells a guesser that a user exists.
func (d *digestServer) verify(c digestCredentials, method, ha1MD5, ha1SHA256 string) error {
	alg := strings.ToUpper(c.algorithm)
	if alg == "" {
		alg = "MD5" // RFC 7616 section 3.3: absent means MD5
	}
	if !slices.Contains(d.algorithms, alg) {
		return errDigestMalformed // not offered: a downgrade the operator turned off
	}
	var h func() hash.Hash
	var ha1 string
	switch alg {
	case "MD5":
		h, ha1 = md5.New, ha1MD5
	case "SHA-256":
		h, ha1 = sha256.New, ha1SHA256
	default:
		return errDigestMalformed
	}
	if ha1 == "" {
		return errDigestMismatch
	}
	hx := func(s string) string {
		x := h()
		x.Write([]byte(s))
		return hex.EncodeToString(x.Sum(nil))
	}
	ha2 := hx(method + ":" + c.uri)
	var want string
	switch c.qop {
	case "auth":
		want = hx(ha1 + ":" + c.nonce + ":" + c.nc + ":" + c.cnonce + ":auth:" + ha2)
	case "":
		want = hx(ha1 + ":" + c.nonce + ":" + ha2)
	default:
		return errDigestMalformed
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.response))) != 1 {
		return errDigestMismatch
	}

	issued, ok := d.issued(c.nonce)
	now := d.now()
	if !ok || now.Sub(issued) > d.ttl || issued.After(now.Add(time.Minute)) {
		return errDigestStale
	}
	return d.checkCount(c, issued.Add(d.ttl), now)
}

// issued returns when we issued nonce, or false if it is not one of ours
// (forged, or signed with the key of another process).
func (d *digestServer) issued(nonce string) (time.Time, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) != 32 {
		return time.Time{}, false
	}
	mac := hmac.New(sha256.New, d.key)
	mac.Write(raw[:16])
	if !hmac.Equal(mac.Sum(nil)[:16], raw[16:]) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8]))), true
}

// checkCount accepts each nonce-count once and in increasing order; without
// qop a nonce is single-use.
func (d *digestServer) checkCount(c digestCredentials, expires, now time.Time) error {
	nc := uint64(1)
	if c.qop != "" {
		v, err := strconv.ParseUint(c.nc, 16, 64)
		if err != nil || v == 0 {
			return errDigestMalformed
		}
		nc = v
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.swept) > time.Minute {
		for k, u := range d.counts {
			if now.After(u.expires) {
				delete(d.counts, k) // an expired nonce is refused as stale before it gets here
			}
		}
		d.swept = now
	}
	if nc <= d.counts[c.nonce].nc {
		return errDigestReplay
	}
	d.counts[c.nonce] = nonceUse{nc: nc, expires: expires}
	return nil
}
