package voip

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// sipNoise keeps what peers send us wrong out of the log. sipgo logs every
// unparsable datagram at ERROR, with the datagram, and likewise (at ERROR
// or WARN) every request without a Via or CSeq, every unknown method, every
// TCP connection a peer resets or our screen closes: whoever can send us
// packets could fill the disk with our logs.
// Those records (and unmatched responses, which sipgo would log on
// slog.Default) are counted and demoted to DEBUG; a summary of the counts
// is logged at INFO at most once per interval.
//
// The summary is written when noise arrives, not by a timer: the first
// piece of noise after a quiet interval is reported at once, and what
// comes within the interval after it waits for the next piece of noise,
// the line saying since when it counted.
type sipNoise struct {
	now      func() time.Time
	log      *slog.Logger
	interval time.Duration

	mu          sync.Mutex
	pending     [noiseKinds]uint64 // counted from since on, not yet summarised
	total       [noiseKinds]uint64 // since the start, for tests
	since       time.Time
	lastSummary time.Time
}

type noiseKind int

const (
	noiseUnparsable noiseKind = iota
	noiseMalformedRequest
	noiseMalformedResponse
	noiseUnmatchedResponse
	noiseUnsupportedMethod
	noiseScreenedConnection
	noiseBrokenConnection
	noiseKinds
	noiseFollowUp = noiseKinds // demoted, not counted: a second record about a message already counted
)

// noiseNames name the kinds in the summary.
var noiseNames = [noiseKinds]string{
	noiseUnparsable:         "unparsable",
	noiseMalformedRequest:   "malformed_requests",
	noiseMalformedResponse:  "malformed_responses",
	noiseUnmatchedResponse:  "unmatched_responses",
	noiseUnsupportedMethod:  "unsupported_methods",
	noiseScreenedConnection: "screened_connections",
	noiseBrokenConnection:   "broken_connections",
}

// noiseMessages are the messages sipgo v1.7.3 logs about what a peer sent
// or did, as opposed to what we did. TestIntegrationGarbageStaysOutOfTheLog
// makes each counted kind happen, so a sipgo upgrade that rewords one of
// those fails it. The follow-ups only come when an answer to garbage
// cannot be sent.
var noiseMessages = map[string]noiseKind{
	"failed to parse":                     noiseUnparsable,         // transports: the parser refused the bytes
	"Server tx failed to handle request":  noiseMalformedRequest,   // no Via, no CSeq: no transaction key
	"Client tx failed to handle response": noiseMalformedResponse,  // the same for a response
	"SIP request handler not found":       noiseUnsupportedMethod,  // answered 405
	"Read filter error":                   noiseScreenedConnection, // our screen closed a TCP connection
	"Read error":                          noiseBrokenConnection,   // a TCP peer reset its connection

	"Failed to send stateless 400 for malformed request": noiseFollowUp,
	"respond '405 Method Not Allowed' failed":            noiseFollowUp,
}

func newSIPNoise(now func() time.Time, log *slog.Logger, interval time.Duration) *sipNoise {
	return &sipNoise{now: now, log: log, interval: interval}
}

// logger is log for sipgo: the same handler, with the noise counted and
// demoted.
func (n *sipNoise) logger(log *slog.Logger) *slog.Logger {
	return slog.New(&noiseHandler{next: log.Handler(), noise: n})
}

// unmatchedResponse is sipgo's handler for a response that matches no
// transaction: a retransmission after the transaction ended, or a stray.
func (n *sipNoise) unmatchedResponse(res *sip.Response) {
	n.count(noiseUnmatchedResponse)
	n.log.Debug("sip response matches no transaction", "response", res.StartLine(), "source", res.Source())
}

// count adds one of kind and writes the summary if it is due.
func (n *sipNoise) count(kind noiseKind) {
	if kind == noiseFollowUp {
		return
	}
	now := n.now()
	n.mu.Lock()
	n.pending[kind]++
	n.total[kind]++
	if n.since.IsZero() {
		n.since = now
	}
	due := n.lastSummary.IsZero() || now.Sub(n.lastSummary) >= n.interval
	var summary [noiseKinds]uint64
	var since time.Time
	if due {
		summary, since = n.pending, n.since
		n.pending, n.since, n.lastSummary = [noiseKinds]uint64{}, now, now
	}
	n.mu.Unlock()
	if due {
		n.summarise(summary, since)
	}
}

func (n *sipNoise) summarise(counts [noiseKinds]uint64, since time.Time) {
	attrs := []any{"since", since}
	for kind, c := range counts {
		if c > 0 {
			attrs = append(attrs, noiseNames[kind], c)
		}
	}
	n.log.Info("sip: ignored malformed or unexpected messages from peers", attrs...)
}

// totals is how much noise of each kind was counted since the start.
func (n *sipNoise) totals() map[string]uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]uint64)
	for kind, c := range n.total {
		out[noiseNames[kind]] = c
	}
	return out
}

// noiseHandler is the slog.Handler of sipNoise.logger.
type noiseHandler struct {
	next  slog.Handler
	noise *sipNoise
}

// Enabled lets WARN and above through even when the next handler would
// drop them: they must be looked at to be counted.
func (h *noiseHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn || h.next.Enabled(ctx, level)
}

func (h *noiseHandler) Handle(ctx context.Context, r slog.Record) error {
	kind, noise := noiseMessages[r.Message]
	if !noise || r.Level <= slog.LevelDebug {
		if !h.next.Enabled(ctx, r.Level) {
			return nil
		}
		return h.next.Handle(ctx, r)
	}
	h.noise.count(kind)
	if !h.next.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	return h.next.Handle(ctx, demoted(r))
}

func (h *noiseHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &noiseHandler{next: h.next.WithAttrs(attrs), noise: h.noise}
}

func (h *noiseHandler) WithGroup(name string) slog.Handler {
	return &noiseHandler{next: h.next.WithGroup(name), noise: h.noise}
}

// maxLoggedData is how much of a message's bytes a DEBUG line keeps:
// enough to see what it was, not 64 KB per line.
const maxLoggedData = 256

// demoted is r at DEBUG, its "data" attribute (the message sipgo could
// not parse) cut short.
func demoted(r slog.Record) slog.Record {
	out := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "data" && a.Value.Kind() == slog.KindString {
			if s := a.Value.String(); len(s) > maxLoggedData {
				a = slog.String("data", fmt.Sprintf("%q... (%d bytes)", s[:maxLoggedData], len(s)))
			}
		}
		out.AddAttrs(a)
		return true
	})
	return out
}
