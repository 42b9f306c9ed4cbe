package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signatureTolerance is how far a signature's timestamp may be from the
// receiver's clock, as the documented verification says.
const signatureTolerance = 5 * time.Minute

// verifySignature checks a SIPSIM-Signature header the way the API
// document tells receivers to, written here from that description alone
// (the tests do not trust the server's or the SDK's code): the header is
// "t=<unix seconds>,v1=<hex>"; v1 is HMAC-SHA256 keyed with the whole
// secret ("whsec_…") over "<t>.<raw body>"; compare in constant time;
// refuse a timestamp more than 5 minutes away.
func verifySignature(secret, header string, body []byte, now time.Time) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("signature header %q: part %q is not key=value", header, part)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return fmt.Errorf("signature header %q: want t= and v1=", header)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("signature header %q: t is not unix seconds", header)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > signatureTolerance || d < -signatureTolerance {
		return fmt.Errorf("signature timestamp %s is %v away from now", ts, d)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no v1 signature matches HMAC-SHA256(secret, t + \".\" + body)")
}

// The checker itself, on a vector computed with
// `printf '%s' '1700000000.{...}' | openssl dgst -sha256 -hmac SECRET`.
func TestSignatureCheckerOnAKnownVector(t *testing.T) {
	t.Parallel()
	const (
		secret = "whsec_e2e-fixed-secret"
		body   = `{"id":1,"type":"call.created"}`
		sig    = "adb71803145085373ecbe30668cfdfff9ab8d55aa7a0d357fed5b36b72d36d85"
	)
	at := time.Unix(1700000000, 0)
	good := "t=1700000000,v1=" + sig
	if err := verifySignature(secret, good, []byte(body), at.Add(time.Minute)); err != nil {
		t.Errorf("good signature refused: %v", err)
	}
	if err := verifySignature(secret, "t=1700000000,v1=00ff,v1="+sig, []byte(body), at); err != nil {
		t.Errorf("a matching v1 among several refused: %v", err)
	}
	for name, c := range map[string]struct {
		secret, header, body string
		now                  time.Time
	}{
		"body changed":          {secret, good, `{"id":2,"type":"call.created"}`, at},
		"other secret":          {"whsec_other", good, body, at},
		"timestamp changed":     {secret, "t=1700000001,v1=" + sig, body, at},
		"six minutes late":      {secret, good, body, at.Add(6 * time.Minute)},
		"six minutes early":     {secret, good, body, at.Add(-6 * time.Minute)},
		"no v1":                 {secret, "t=1700000000", body, at},
		"not key=value":         {secret, "t=1700000000," + sig, body, at},
		"v1 is not hex":         {secret, "t=1700000000,v1=zz", body, at},
		"secret without prefix": {"e2e-fixed-secret", good, body, at},
	} {
		if err := verifySignature(c.secret, c.header, []byte(c.body), c.now); err == nil {
			t.Errorf("%s: signature accepted", name)
		}
	}
}
