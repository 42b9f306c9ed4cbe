package events

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSignKnownValue pins the scheme to a value computed outside Go:
// printf '1700000000.{"id":1}' | openssl dgst -sha256 -hmac whsec_test
func TestSignKnownValue(t *testing.T) {
	got := Sign("whsec_test", time.Unix(1700000000, 0), []byte(`{"id":1}`))
	want := "t=1700000000,v1=2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8"
	if got != want {
		t.Fatalf("Sign = %q\nwant   %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	const secret = "whsec_test"
	body := []byte(`{"id":1}`)
	signedAt := time.Unix(1700000000, 0)
	good := Sign(secret, signedAt, body)
	goodSig := strings.TrimPrefix(good, "t=1700000000,")
	otherSig := strings.TrimPrefix(Sign("whsec_old", signedAt, body), "t=1700000000,")

	for _, tt := range []struct {
		name      string
		secret    string
		header    string
		body      string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{name: "valid", header: good, now: signedAt},
		{name: "valid, receiver clock behind", header: good, now: signedAt.Add(-4 * time.Minute)},
		{name: "valid, at the tolerance", header: good, now: signedAt.Add(5 * time.Minute)},
		{name: "one of two v1 matches (secret rotation)", header: "t=1700000000," + otherSig + "," + goodSig, now: signedAt},
		{name: "unknown keys and spaces ignored", header: "t=1700000000, v0=abc, " + goodSig, now: signedAt},
		{name: "custom tolerance", header: good, now: signedAt.Add(time.Hour), tolerance: 2 * time.Hour},

		{name: "wrong secret", secret: "whsec_other", header: good, now: signedAt, want: ErrSignatureMismatch},
		{name: "body changed", header: good, body: `{"id":2}`, now: signedAt, want: ErrSignatureMismatch},
		{name: "timestamp changed", header: "t=1700000001," + goodSig, now: signedAt, want: ErrSignatureMismatch},
		{name: "only the old secret's v1", header: "t=1700000000," + otherSig, now: signedAt, want: ErrSignatureMismatch},
		{name: "too old", header: good, now: signedAt.Add(5*time.Minute + time.Second), want: ErrSignatureExpired},
		{name: "from the future", header: good, now: signedAt.Add(-6 * time.Minute), want: ErrSignatureExpired},
		{name: "custom tolerance exceeded", header: good, now: signedAt.Add(2 * time.Minute), tolerance: time.Minute, want: ErrSignatureExpired},

		{name: "empty", header: "", now: signedAt, want: ErrSignatureMalformed},
		{name: "garbage", header: "garbage", now: signedAt, want: ErrSignatureMalformed},
		{name: "no t", header: goodSig, now: signedAt, want: ErrSignatureMalformed},
		{name: "no v1", header: "t=1700000000", now: signedAt, want: ErrSignatureMalformed},
		{name: "two t", header: "t=1700000000,t=1700000000," + goodSig, now: signedAt, want: ErrSignatureMalformed},
		{name: "t not a number", header: "t=abc," + goodSig, now: signedAt, want: ErrSignatureMalformed},
		{name: "t negative", header: "t=-1," + goodSig, now: signedAt, want: ErrSignatureMalformed},
		{name: "t too large", header: "t=99999999999999999999," + goodSig, now: signedAt, want: ErrSignatureMalformed},
		{name: "t in milliseconds is just wrong", header: "t=1700000000000," + goodSig, now: signedAt, want: ErrSignatureMismatch},
		{name: "v1 not hex", header: "t=1700000000,v1=" + strings.Repeat("z", 64), now: signedAt, want: ErrSignatureMalformed},
		{name: "v1 too short", header: "t=1700000000,v1=abcd", now: signedAt, want: ErrSignatureMalformed},
		{name: "element without =", header: "t=1700000000,v1", now: signedAt, want: ErrSignatureMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, b := secret, body
			if tt.secret != "" {
				s = tt.secret
			}
			if tt.body != "" {
				b = []byte(tt.body)
			}
			err := Verify(s, tt.header, b, tt.now, tt.tolerance)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify(%q) = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
	for _, s := range []string{a, b} {
		raw, ok := strings.CutPrefix(s, "whsec_")
		if !ok {
			t.Fatalf("secret %q lacks the whsec_ prefix", s)
		}
		key, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil || len(key) != 32 {
			t.Fatalf("secret %q: %d bytes, err %v; want 32 bytes of base64url", s, len(key), err)
		}
	}
}

// FuzzVerify feeds arbitrary headers to the parser: it must never panic,
// only return one of the documented errors, and a header made by Sign
// must always verify.
func FuzzVerify(f *testing.F) {
	body := []byte(`{"id":1}`)
	f.Add("whsec_test", int64(1700000000), body, Sign("whsec_test", time.Unix(1700000000, 0), body))
	f.Add("", int64(0), []byte{}, "t=0,v1=")
	f.Add("k", int64(-1), []byte("x"), "t=1,v1=00,v1=zz,=,,t")
	f.Add("k", int64(1<<62), []byte("x"), "v1="+strings.Repeat("ab", 32)+",t=18446744073709551615")
	f.Fuzz(func(t *testing.T, secret string, unix int64, body []byte, header string) {
		now := time.Unix(1700000000, 0)
		err := Verify(secret, header, body, now, 0)
		if err != nil && !errors.Is(err, ErrSignatureMalformed) && !errors.Is(err, ErrSignatureMismatch) && !errors.Is(err, ErrSignatureExpired) {
			t.Fatalf("Verify(%q) = %v, not a documented error", header, err)
		}
		if unix < 0 || unix > 1e17 {
			return // Sign of a time outside what headers carry
		}
		at := time.Unix(unix, 0)
		if err := Verify(secret, Sign(secret, at, body), body, at, 0); err != nil {
			t.Fatalf("a header made by Sign does not verify: %v", err)
		}
	})
}
