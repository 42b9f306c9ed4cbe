package voip

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// trunkSources is where the carrier's requests come from: the trunk URI's
// host, resolved once at start, and its port (the transport's default when
// the URI has none). A request is the carrier's only when both match; one
// that merely claims the trunk in its From is just another caller.
//
// Over TCP the carrier's own connections come from a port of its choosing,
// so they do not match and are treated like any unknown caller, which is
// the safe side.
func trunkSources(u sip.Uri, log *slog.Logger) []netip.AddrPort {
	if u.Host == "" {
		return nil
	}
	port := u.Port
	if port == 0 {
		transport := "udp"
		if t, ok := u.UriParams.Get("transport"); ok && t != "" {
			transport = t
		}
		if u.IsEncrypted() {
			transport = "tls"
		}
		port = sip.DefaultPort(transport)
	}
	host := strings.Trim(u.Host, "[]")
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(ip.Unmap(), uint16(port))}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		log.Warn("trunk host not resolved: its requests will be treated as unknown callers", "host", host, "err", err)
		return nil
	}
	var out []netip.AddrPort
	for _, ip := range ips {
		out = append(out, netip.AddrPortFrom(ip.Unmap(), uint16(port)))
	}
	return out
}

// fromTrunk reports whether req came from the carrier's address.
func (e *Engine) fromTrunk(req *sip.Request) bool {
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return false
	}
	return slices.Contains(e.trunkSources, netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
}
