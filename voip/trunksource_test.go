package voip

import (
	"log/slog"
	"net/netip"
	"slices"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestTrunkSources(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want string // one of the addresses
	}{
		{"sip:127.0.0.1:5090", "127.0.0.1:5090"},
		{"sip:192.0.2.1", "192.0.2.1:5060"},
		{"sip:192.0.2.1;transport=tcp", "192.0.2.1:5060"},
		{"sip:192.0.2.1;transport=tls", "192.0.2.1:5061"},
		{"sips:192.0.2.1", "192.0.2.1:5061"},
		{"sip:[2001:db8::1]:5070", "[2001:db8::1]:5070"},
		{"sip:localhost:5090", "127.0.0.1:5090"},
	} {
		var u sip.Uri
		if err := sip.ParseUri(tc.uri, &u); err != nil {
			t.Fatal(err)
		}
		got := trunkSources(u, slog.New(slog.DiscardHandler))
		if !slices.Contains(got, netip.MustParseAddrPort(tc.want)) {
			t.Errorf("trunkSources(%s) = %v, want it to contain %s", tc.uri, got, tc.want)
		}
	}
}

func TestIntegrationTrunkIsRecognisedByAddressNotByClaim(t *testing.T) {
	// The carrier is a bare socket, bound first so that its address can be
	// the engine's trunk.
	carrier := newRawUAOn(t, "127.0.0.1:0")
	trunkPort := carrier.addr().Port
	router := &countingRouter{}
	te := startEngineWith(t, func(c *Config) { c.Trunk = "sip:127.0.0.1:" + itoa(trunkPort) }, router)
	carrier.aim(te.e)

	res := carrier.exchange(carrier.request(sip.INVITE, "+33612345678"))
	if res.StatusCode != sip.StatusNotFound || res.GetHeader("Proxy-Authenticate") != nil || res.GetHeader("WWW-Authenticate") != nil {
		t.Fatalf("INVITE from the trunk's address: %s, want 404 without a challenge", res.StartLine())
	}

	// Same IP, another port; and the trunk's port on another IP. Both claim
	// to be the carrier in From; both are strangers to be authenticated.
	for _, addr := range []string{"127.0.0.1:0", "127.0.0.2:" + itoa(trunkPort)} {
		impostor := newRawUAOn(t, addr)
		impostor.aim(te.e)
		req := impostor.request(sip.INVITE, "+33612345678")
		req.From().Address = sip.Uri{Scheme: "sip", User: "carrier", Host: "127.0.0.1", Port: trunkPort}
		res := impostor.exchange(req)
		if res.StatusCode != sip.StatusProxyAuthRequired || res.GetHeader("Proxy-Authenticate") == nil {
			t.Errorf("INVITE claiming the trunk from %s: %s, want 407 with a challenge", impostor.addr(), res.StartLine())
		}
	}
	if n := router.calls.Load(); n != 0 {
		t.Fatalf("%d calls reached the router", n)
	}
}
