package voip

import (
	"bytes"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// provisionalTap sees 18x responses in the order they arrive on the socket.
//
// sipgo hands every incoming message to its own goroutine, so a 180 that is
// followed at once by the 200 can reach the transaction after the 200 and
// be dropped: the call would lose its "target ringing" step (and a 183's
// early-media SDP). The tap runs as the transport's read filter, on the
// reading goroutine, before any of that: a leg registers its Call-ID and
// gets its 18x synchronously and in order. A TCP read may hold several
// messages; only one that starts the read is seen here, and the leg's
// transaction still reports the others as before.
type provisionalTap struct {
	legs sync.Map // Call-ID -> func(*sip.Response)
}

var provisionalPrefix = []byte("SIP/2.0 18")

// filter is a sip.TransportReadFilter. It never changes the data.
func (p *provisionalTap) filter(_ sip.TransportReadProps, data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, provisionalPrefix) {
		return data, nil
	}
	msg, err := sip.ParseMessage(data)
	if err != nil {
		return data, nil // the transport's parser will reject it
	}
	res, ok := msg.(*sip.Response)
	if !ok || res.CallID() == nil {
		return data, nil
	}
	if f, ok := p.legs.Load(res.CallID().Value()); ok {
		f.(func(*sip.Response))(res)
	}
	return data, nil
}

// watch delivers the 18x responses of callID to f until the returned stop
// is called.
func (p *provisionalTap) watch(callID string, f func(*sip.Response)) (stop func()) {
	p.legs.Store(callID, f)
	return func() { p.legs.Delete(callID) }
}
