package events_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/sipsim/sipsim/events"
)

// checkAddress is what the guard answers for addr: "" when deliveries may
// connect to it, else the refusal as the delivery log words it.
func checkAddress(t *testing.T, g *events.AddressGuard, addr string) string {
	t.Helper()
	err := g.Check(netip.MustParseAddr(addr))
	if err == nil {
		return ""
	}
	if _, ok := errors.AsType[*events.RefusedAddressError](err); !ok {
		t.Errorf("%s: error %T %v, want a *RefusedAddressError", addr, err, err)
	}
	return err.Error()
}

func TestAddressGuardRefusesNonPublicAddresses(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" for a public address
	}{
		// Public unicast, including the first and last addresses around
		// refused blocks.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"9.255.255.255", ""},
		{"11.0.0.0", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"169.253.255.255", ""},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"192.0.1.255", ""},
		{"192.167.255.255", ""},
		{"198.17.255.255", ""},
		{"198.20.0.0", ""},
		{"223.255.255.255", ""},
		{"2606:4700:4700::1111", ""},
		{"2a00:1450:4007:80e::200e", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""}, // NAT64 to a public address
		{"2002:808:808::1", ""},  // 6to4 of a public address

		// IPv4.
		{"0.0.0.0", "0.0.0.0 is an unspecified address"},
		{"0.1.2.3", "0.1.2.3 is an unspecified address"},
		{"127.0.0.1", "127.0.0.1 is a loopback address"},
		{"127.255.255.254", "127.255.255.254 is a loopback address"},
		{"10.0.0.5", "10.0.0.5 is a private address"},
		{"172.16.0.1", "172.16.0.1 is a private address"},
		{"172.31.255.255", "172.31.255.255 is a private address"},
		{"192.168.1.1", "192.168.1.1 is a private address"},
		{"169.254.169.254", "169.254.169.254 is a link-local address"},
		{"100.64.0.1", "100.64.0.1 is a carrier-grade NAT address"},
		{"100.127.255.255", "100.127.255.255 is a carrier-grade NAT address"},
		{"192.0.0.170", "192.0.0.170 is an IETF protocol assignment address"},
		{"192.0.2.10", "192.0.2.10 is a documentation address"},
		{"198.51.100.7", "198.51.100.7 is a documentation address"},
		{"203.0.113.1", "203.0.113.1 is a documentation address"},
		{"198.18.0.1", "198.18.0.1 is a benchmarking address"},
		{"198.19.255.255", "198.19.255.255 is a benchmarking address"},
		{"224.0.0.1", "224.0.0.1 is a multicast address"},
		{"239.255.255.250", "239.255.255.250 is a multicast address"},
		{"240.0.0.1", "240.0.0.1 is a reserved address"},
		{"255.255.255.255", "255.255.255.255 is the broadcast address"},

		// IPv6.
		{"::", ":: is an unspecified address"},
		{"::1", "::1 is a loopback address"},
		{"fc00::1", "fc00::1 is a private (unique local) address"},
		{"fd12:3456:789a::1", "fd12:3456:789a::1 is a private (unique local) address"},
		{"fe80::1", "fe80::1 is a link-local address"},
		{"fe80::1%eth0", "fe80::1 is a link-local address"},
		{"fec0::1", "fec0::1 is a site-local address"},
		{"ff02::1", "ff02::1 is a multicast address"},
		{"2001:db8::1", "2001:db8::1 is a documentation address"},
		{"3fff::1", "3fff::1 is a documentation address"},
		{"2001:2::1", "2001:2::1 is a benchmarking address"},
		{"2001::1", "2001::1 is a Teredo address"},
		{"100::1", "100::1 is a discard-only address"},
		{"64:ff9b:1::a00:5", "64:ff9b:1::a00:5 is a local-use NAT64 address"},
		{"4000::1", "4000::1 is a reserved address"},
		{"::808:808", "::808:808 is a reserved address"}, // IPv4-compatible, deprecated

		// IPv6 forms of refused IPv4 addresses.
		{"::ffff:127.0.0.1", "::ffff:127.0.0.1 embeds 127.0.0.1, a loopback address"},
		{"::ffff:10.0.0.5", "::ffff:10.0.0.5 embeds 10.0.0.5, a private address"},
		{"::ffff:169.254.169.254", "::ffff:169.254.169.254 embeds 169.254.169.254, a link-local address"},
		{"::ffff:100.64.0.1", "::ffff:100.64.0.1 embeds 100.64.0.1, a carrier-grade NAT address"},
		{"::ffff:0.0.0.0", "::ffff:0.0.0.0 embeds 0.0.0.0, an unspecified address"},
		{"::7f00:1", "::7f00:1 embeds 127.0.0.1, a loopback address"},
		{"::a9fe:a9fe", "::a9fe:a9fe embeds 169.254.169.254, a link-local address"},
		{"64:ff9b::7f00:1", "64:ff9b::7f00:1 embeds 127.0.0.1, a loopback address"},
		{"64:ff9b::c0a8:101", "64:ff9b::c0a8:101 embeds 192.168.1.1, a private address"},
		{"64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe embeds 169.254.169.254, a link-local address"},
		{"2002:a00:5::1", "2002:a00:5::1 embeds 10.0.0.5, a private address"},
		{"2002:7f00:1::1", "2002:7f00:1::1 embeds 127.0.0.1, a loopback address"},
	}
	g := events.NewAddressGuard(nil)
	for _, tt := range tests {
		if got := checkAddress(t, g, tt.addr); got != tt.want {
			t.Errorf("Check(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestAddressGuardAllowsOperatorNetworks(t *testing.T) {
	g := events.NewAddressGuard([]netip.Prefix{
		netip.MustParsePrefix("10.1.2.3/16"), // not masked: it means 10.1.0.0/16
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("fd00:1::/32"),
	})
	tests := []struct {
		addr string
		want string
	}{
		{"10.1.200.7", ""},
		{"::ffff:10.1.200.7", ""},
		{"64:ff9b::a01:c807", ""}, // NAT64 to 10.1.200.7
		{"127.0.0.1", ""},
		{"fd00:1::5", ""},
		{"8.8.8.8", ""},
		{"10.2.0.1", "10.2.0.1 is a private address"},
		{"::1", "::1 is a loopback address"}, // 127.0.0.0/8 says nothing of IPv6 loopback
		{"fd00:2::5", "fd00:2::5 is a private (unique local) address"},
		{"169.254.169.254", "169.254.169.254 is a link-local address"},
	}
	for _, tt := range tests {
		if got := checkAddress(t, g, tt.addr); got != tt.want {
			t.Errorf("Check(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestAddressGuardRefusesTheInvalidAddress(t *testing.T) {
	if err := events.NewAddressGuard(nil).Check(netip.Addr{}); err == nil {
		t.Fatal("Check(zero Addr) = nil, want a refusal")
	}
}
