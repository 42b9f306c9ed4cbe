package events

import (
	"fmt"
	"net/netip"
)

// AddressGuard decides which addresses webhook deliveries may connect to:
// public unicast addresses, and whatever the operator allows on top (a
// receiver inside the company network). Everything else, loopback,
// private, link-local (cloud metadata at 169.254.169.254), and so on, is
// refused, so that an API user cannot make the server post to the
// machines around it. It is safe for concurrent use.
type AddressGuard struct {
	allow []netip.Prefix
}

// NewAddressGuard returns a guard that also accepts every address in
// allow.
func NewAddressGuard(allow []netip.Prefix) *AddressGuard {
	g := &AddressGuard{}
	for _, p := range allow {
		g.allow = append(g.allow, p.Masked())
	}
	return g
}

// RefusedAddressError says why a delivery may not connect to Addr.
type RefusedAddressError struct {
	Addr netip.Addr
	// Embedded is the IPv4 address an IPv6 Addr carries (IPv4-mapped,
	// IPv4-compatible, NAT64 or 6to4) when that is what is refused.
	Embedded netip.Addr
	// Kind completes "<address> is ...": "a private address".
	Kind string
}

func (e *RefusedAddressError) Error() string {
	switch {
	case !e.Addr.IsValid():
		return "no valid IP address to check"
	case e.Embedded.IsValid():
		return fmt.Sprintf("%s embeds %s, %s", e.Addr, e.Embedded, e.Kind)
	default:
		return fmt.Sprintf("%s is %s", e.Addr, e.Kind)
	}
}

// Check returns a *RefusedAddressError if deliveries may not connect to
// addr, nil if they may.
func (g *AddressGuard) Check(addr netip.Addr) error {
	if !addr.IsValid() {
		return &RefusedAddressError{Addr: addr}
	}
	addr = addr.WithZone("") // a prefix never contains a zoned address
	if g.allows(addr) {
		return nil
	}
	kind, embedded := classify(addr)
	if kind == "" || embedded.IsValid() && g.allows(embedded) {
		return nil
	}
	return &RefusedAddressError{Addr: addr, Embedded: embedded, Kind: kind}
}

func (g *AddressGuard) allows(addr netip.Addr) bool {
	for _, p := range g.allow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// addressRange is a block deliveries may not connect to, and how a refusal
// names it.
type addressRange struct {
	prefix netip.Prefix
	kind   string
}

func refused(prefix, kind string) addressRange {
	return addressRange{netip.MustParsePrefix(prefix), kind}
}

// refusedIPv4 are the IPv4 blocks that are not public unicast (IANA's
// special-purpose registry, RFC 6890). First match wins: the broadcast
// address comes before the reserved block that holds it.
var refusedIPv4 = []addressRange{
	refused("0.0.0.0/8", "an unspecified address"), // "this network"; Linux dials 0.0.0.0 as the local host
	refused("10.0.0.0/8", "a private address"),
	refused("100.64.0.0/10", "a carrier-grade NAT address"),
	refused("127.0.0.0/8", "a loopback address"),
	refused("169.254.0.0/16", "a link-local address"), // cloud metadata services live here
	refused("172.16.0.0/12", "a private address"),
	refused("192.0.0.0/24", "an IETF protocol assignment address"),
	refused("192.0.2.0/24", "a documentation address"),
	refused("192.168.0.0/16", "a private address"),
	refused("198.18.0.0/15", "a benchmarking address"),
	refused("198.51.100.0/24", "a documentation address"),
	refused("203.0.113.0/24", "a documentation address"),
	refused("224.0.0.0/4", "a multicast address"),
	refused("255.255.255.255/32", "the broadcast address"),
	refused("240.0.0.0/4", "a reserved address"),
}

// refusedIPv6 are the IPv6 blocks refused outright. Outside them, only
// global unicast (2000::/3) is public; IPv6 forms that carry an IPv4
// address are judged by it (see classify).
var refusedIPv6 = []addressRange{
	refused("::/128", "an unspecified address"),
	refused("::1/128", "a loopback address"),
	refused("64:ff9b:1::/48", "a local-use NAT64 address"),
	refused("100::/64", "a discard-only address"),
	refused("2001::/32", "a Teredo address"), // carries an obfuscated IPv4 address that cannot be judged
	refused("2001:2::/48", "a benchmarking address"),
	refused("2001:db8::/32", "a documentation address"),
	refused("3fff::/20", "a documentation address"),
	refused("fc00::/7", "a private (unique local) address"),
	refused("fe80::/10", "a link-local address"),
	refused("fec0::/10", "a site-local address"),
	refused("ff00::/8", "a multicast address"),
}

var (
	globalUnicast = netip.MustParsePrefix("2000::/3")
	ipv4Mapped    = netip.MustParsePrefix("::ffff:0:0/96")
	ipv4Compat    = netip.MustParsePrefix("::/96")
	nat64         = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052 well-known prefix
	sixToFour     = netip.MustParsePrefix("2002::/16")
)

// classify names why addr is not a public unicast address, or returns ""
// if it is one. When it is refused for the IPv4 address it carries, that
// address is returned too.
func classify(addr netip.Addr) (kind string, embedded netip.Addr) {
	if addr.Is4() {
		return rangeKind(refusedIPv4, addr), netip.Addr{}
	}
	if kind := rangeKind(refusedIPv6, addr); kind != "" {
		return kind, netip.Addr{}
	}
	if v4, ok := embeddedIPv4(addr); ok {
		if kind := rangeKind(refusedIPv4, v4); kind != "" {
			return kind, v4
		}
		if ipv4Mapped.Contains(addr) || nat64.Contains(addr) {
			// Dialled as IPv4, or translated to it by a NAT64 gateway:
			// a public IPv4 address either way.
			return "", netip.Addr{}
		}
	}
	if !globalUnicast.Contains(addr) {
		return "a reserved address", netip.Addr{}
	}
	return "", netip.Addr{}
}

// embeddedIPv4 returns the IPv4 address an IPv6 address stands for or
// leads to: IPv4-mapped, IPv4-compatible (deprecated, still routed by
// some stacks), NAT64 with the well-known prefix, and 6to4.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	b := addr.As16()
	switch {
	case ipv4Mapped.Contains(addr), ipv4Compat.Contains(addr), nat64.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

func rangeKind(ranges []addressRange, addr netip.Addr) string {
	for _, r := range ranges {
		if r.prefix.Contains(addr) {
			return r.kind
		}
	}
	return ""
}
