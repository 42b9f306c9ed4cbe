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
// before sipgo parses it: requests from banned sources, from known
// scanners and from sources over their request rate are dropped without
// an answer. Silence is the point: an answer, even a 403, tells a scanner
// that a SIP server lives here and costs us a parse and a transaction, and
// answering a flood amplifies it. Responses pass the ban and the scanner
// check, since they can only match transactions we started (over UDP; a
// TCP read may carry requests after a response). What passes goes on to
// next.
type screen struct {
	guard   *sourceGuard
	limiter *sourceLimiter // nil: no request rate limit; counts what it drops
	next    sip.TransportReadFilter
	dropped atomic.Uint64 // requests ignored for a ban or a scanner, for metrics and tests
	banned  atomic.Uint64 // those of them ignored for a ban
}

// errScreened closes a TCP connection that carried a screened request:
// the rest of the stream cannot be trusted to be framed, and the peer gets
// no further attention. (Returning an error from a UDP read filter would
// stop the listener, so UDP drops by returning no data.)
var errScreened = errors.New("sip request screened out")

var responsePrefix = []byte("SIP/2.0 ")

// filter is a sip.TransportReadFilter.
func (s *screen) filter(props sip.TransportReadProps, data []byte) ([]byte, error) {
	// A datagram is one message, so a response is only a response; a
	// stream read may carry requests after a response, so it is always
	// screened.
	response := !isStream(props.Transport) && bytes.HasPrefix(data, responsePrefix)
	if !response && s.ignore(props, data) {
		s.dropped.Add(1)
		return refuse(props.Transport)
	}
	if s.overRate(props, data) {
		return refuse(props.Transport)
	}
	return s.next(props, data)
}

// refuse ends a read that goes no further: a datagram is ignored, a
// stream connection closed.
func refuse(transport string) ([]byte, error) {
	if isStream(transport) {
		return nil, errScreened
	}
	return nil, nil
}

func (s *screen) ignore(props sip.TransportReadProps, data []byte) bool {
	if addr, ok := remoteIP(props.RemoteAddr); ok && s.guard.banned(addr) {
		s.banned.Add(1)
		return true
	}
	if !isStream(props.Transport) {
		return isScanner(data)
	}
	// A stream read may hold several messages: look at each header block
	// (a body between them is looked at too, which at worst closes the
	// connection of a message whose body names a scanner).
	for block := range bytes.SplitSeq(data, []byte("\r\n\r\n")) {
		if isScanner(block) {
			return true
		}
	}
	return false
}

// overRate charges the read to its source's request rate and reports
// whether the source is over it.
func (s *screen) overRate(props sip.TransportReadProps, data []byte) bool {
	if s.limiter == nil {
		return false
	}
	addr, ok := remoteIP(props.RemoteAddr)
	return ok && !s.limiter.allow(addr, readCost(props.Transport, data))
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
