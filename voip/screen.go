package voip

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"
)

// screen is the engine's first look at every UDP datagram and TCP read,
// before sipgo parses it: requests from banned sources and from known
// scanners are dropped without an answer. Silence is the point: an answer,
// even a 403, tells a scanner that a SIP server lives here and costs us a
// parse and a transaction. Responses always pass, since they can only match
// transactions we started. What passes goes on to next.
type screen struct {
	guard   *sourceGuard
	next    sip.TransportReadFilter
	dropped atomic.Uint64 // requests ignored, for tests and troubleshooting
}

// errScreened closes a TCP connection that carried a screened request:
// the rest of the stream cannot be trusted to be framed, and the peer gets
// no further attention. (Returning an error from a UDP read filter would
// stop the listener, so UDP drops by returning no data.)
var errScreened = errors.New("sip request screened out")

var responsePrefix = []byte("SIP/2.0 ")

// filter is a sip.TransportReadFilter.
func (s *screen) filter(props sip.TransportReadProps, data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, responsePrefix) && s.ignore(props.RemoteAddr, data) {
		s.dropped.Add(1)
		if isStream(props.Transport) {
			return nil, errScreened
		}
		return nil, nil
	}
	return s.next(props, data)
}

func (s *screen) ignore(remote net.Addr, data []byte) bool {
	if addr, ok := remoteIP(remote); ok && s.guard.banned(addr) {
		return true
	}
	return isScanner(data)
}

// isStream tells the transports whose connection a screened request
// closes; anything else (UDP) must never see the filter fail.
func isStream(transport string) bool {
	switch strings.ToUpper(transport) {
	case "TCP", "TLS", "WS", "WSS":
		return true
	}
	return false
}

// remoteIP is the IP address of a transport's remote address.
func remoteIP(a net.Addr) (netip.Addr, bool) {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case *net.TCPAddr:
		ap = a.AddrPort()
	case nil:
		return netip.Addr{}, false
	default:
		return sourceAddr(a.String())
	}
	return ap.Addr().Unmap(), ap.Addr().IsValid()
}
