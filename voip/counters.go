package voip

import (
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Counters are what the engine counted since it was made, for metrics.
type Counters struct {
	// Requests counts the requests that reached a handler, by method:
	// new server transactions, retransmissions being absorbed by sipgo's
	// transaction layer before.
	Requests map[string]uint64
	// Requests dropped unanswered before parsing: from a banned source,
	// from a known scanner, over the source's request rate.
	DroppedBanned, DroppedScanner, DroppedRate uint64
}

// Counters returns the engine's counters.
func (e *Engine) Counters() Counters {
	c := Counters{Requests: e.requests.snapshot()}
	dropped, banned := e.screen.dropped.Load(), e.screen.banned.Load()
	c.DroppedBanned, c.DroppedScanner = banned, dropped-banned
	if e.screen.limiter != nil {
		c.DroppedRate = e.screen.limiter.dropped.Load()
	}
	return c
}

// requestCounts counts requests per method. The methods are the handlers'
// few, registered at start-up: the map is only read afterwards.
type requestCounts struct {
	by map[sip.RequestMethod]*atomic.Uint64
}

// counted wraps the handler of method so that each request it gets is
// counted. Call it before the server starts.
func (r *requestCounts) counted(method sip.RequestMethod, h sipgo.RequestHandler) sipgo.RequestHandler {
	if r.by == nil {
		r.by = map[sip.RequestMethod]*atomic.Uint64{}
	}
	n := &atomic.Uint64{}
	r.by[method] = n
	return func(req *sip.Request, tx sip.ServerTransaction) {
		n.Add(1)
		h(req, tx)
	}
}

func (r *requestCounts) snapshot() map[string]uint64 {
	out := make(map[string]uint64, len(r.by))
	for m, n := range r.by {
		out[string(m)] = n.Load()
	}
	return out
}
