package events

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the request header that carries a delivery's
// signature.
const SignatureHeader = "SIPSIM-Signature"

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock. It bounds how long a captured request can be replayed.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify; test them with errors.Is.
var (
	// ErrSignatureMalformed: the header is not "t=<unix>,v1=<hex>[,v1=...]".
	ErrSignatureMalformed = errors.New("webhook signature header is malformed")
	// ErrSignatureMismatch: no v1 value matches the body and secret.
	ErrSignatureMismatch = errors.New("webhook signature does not match")
	// ErrSignatureExpired: the signature matches but its timestamp is
	// further from now than the tolerance (a replay or a wrong clock).
	ErrSignatureExpired = errors.New("webhook signature timestamp is outside the tolerance")
)

// secretPrefix marks webhook secrets so that a leaked one is recognisable
// (e.g. by secret scanners).
const secretPrefix = "whsec_"

// NewSecret returns a new webhook signing secret: "whsec_" followed by 32
// random bytes in unpadded base64url. The whole string, prefix included,
// is the HMAC key.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails: crypto/rand aborts the program instead
	return secretPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// Sign returns the SIPSIM-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<unix seconds>.<body>")>".
// Signing the timestamp with the body is what lets receivers refuse
// replays.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a SIPSIM-Signature header against the raw request body: one
// of its v1 values must be the HMAC of "<t>.<body>" under secret (several v1
// values let a sender sign with an old and a new secret while rotating), and
// t must be within tolerance of now (tolerance <= 0 means
// DefaultTolerance). Unknown keys such as a future v2 are ignored. The
// error wraps ErrSignatureMalformed, ErrSignatureMismatch or
// ErrSignatureExpired.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	unix, _ := strconv.ParseInt(ts, 10, 64) // checked by parseSignature
	want := mac(secret, ts, body)
	matched := false
	for _, sig := range sigs {
		// hmac.Equal takes the same time whatever the content, so timing
		// reveals nothing about how much of a forged signature was right.
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return ErrSignatureMismatch
	}
	// Checked after the HMAC so that "expired" is only ever said of a
	// genuine signature.
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if skew := now.Sub(time.Unix(unix, 0)).Abs(); skew > tolerance {
		return fmt.Errorf("%w: signed at %d, %s away from now", ErrSignatureExpired, unix, skew.Round(time.Second))
	}
	return nil
}

// parseSignature splits a header into its timestamp (digits, as signed)
// and its decoded v1 signatures.
func parseSignature(header string) (ts string, sigs [][]byte, err error) {
	malformed := func(why string) (string, [][]byte, error) {
		return "", nil, fmt.Errorf("%w: %s", ErrSignatureMalformed, why)
	}
	if header == "" {
		return malformed("empty header")
	}
	for part := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return malformed("an element is not key=value")
		}
		switch key {
		case "t":
			if ts != "" {
				return malformed("more than one t")
			}
			if !isDigits(value) || len(value) > 18 { // 18 digits always fit an int64
				return malformed("t is not a unix time in seconds")
			}
			ts = value
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return malformed("v1 is not a hex SHA-256 HMAC")
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return malformed("no t")
	}
	if len(sigs) == 0 {
		return malformed("no v1")
	}
	return ts, sigs, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
