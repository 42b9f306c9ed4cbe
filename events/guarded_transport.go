package events

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// guardedTransport returns a copy of rt (nil: http.DefaultTransport) whose
// every connection is checked by guard after name resolution, on the
// address actually dialled: a name that resolves to an internal address,
// at registration or only later (DNS rebinding), is refused before
// anything is sent. A proxy would dial the receiver for us, out of the
// guard's sight, so the environment's HTTP_PROXY is not used. It panics
// when rt is not an *http.Transport, whose dialer it cannot reach: a
// wiring mistake.
func guardedTransport(rt http.RoundTripper, guard *AddressGuard) *http.Transport {
	var t *http.Transport
	switch v := rt.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = v.Clone()
	default:
		panic(fmt.Sprintf("events: DispatcherConfig.Client.Transport is a %T; only an *http.Transport can have its dialer guarded", rt))
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, ControlContext: guard.control}
	t.Proxy = nil
	t.DialContext = dialer.DialContext
	// Custom dialers would bypass the guard; TLS is then done by the
	// transport over DialContext's connection.
	t.DialTLSContext = nil
	t.Dial = nil    //lint:ignore SA1019 cleared so that a caller's deprecated hook cannot bypass the guard
	t.DialTLS = nil //lint:ignore SA1019 cleared so that a caller's deprecated hook cannot bypass the guard
	return t
}

// control is the dialer's hook: it runs once the socket exists, before it
// connects, with the resolved address.
func (g *AddressGuard) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedAddressError{}
	}
	return g.Check(ap.Addr())
}
