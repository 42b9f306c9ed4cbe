package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// streamPage is how many stored events a stream reads at a time.
const streamPage = 200

// follower sends the stored events matching filter to one client, in id
// order, each once. The store is the only source of events; the bus only
// says when to read it. Reading the store on every wake-up (rather than
// forwarding what the bus carries) is what makes the stream gapless:
// events of different calls can be published in another order than their
// ids, while the store returns them in id order, and a subscriber the bus
// drops for being slow simply reads again.
type follower struct {
	cfg    Config
	filter sipsim.EventFilter // AfterID moves with each event sent
	// finalAtStart: the call of a per-call stream was over when the stream
	// started, so there is nothing after the backlog.
	finalAtStart bool
	// announce: the stream starts at the newest event rather than at one
	// the client named; tell the client where that is.
	announce bool

	ch     <-chan *sipsim.CallEvent
	cancel func()
}

func newFollower(cfg Config, filter sipsim.EventFilter) *follower {
	f := &follower{cfg: cfg, filter: filter}
	f.subscribe()
	return f
}

func (f *follower) subscribe() {
	f.ch, f.cancel = f.cfg.Bus.Subscribe(f.filter.AccountID)
}

func (f *follower) stop() { f.cancel() }

// serve runs the stream until it ends or the client leaves. Errors after
// the stream started can only be logged: the client reconnects with
// Last-Event-ID and misses nothing.
func (f *follower) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	stream, err := startStream(w)
	if err == nil && f.announce {
		err = stream.position(f.filter.AfterID)
	}
	if err == nil {
		err = f.run(ctx, stream)
	}
	if err != nil && ctx.Err() == nil {
		f.cfg.Logger.WarnContext(ctx, "event stream ended",
			"request_id", requestID(ctx), "path", r.URL.Path, "err", err)
	}
}

func (f *follower) run(ctx context.Context, stream *eventStream) error {
	done, err := f.send(ctx, stream)
	if err != nil || done || f.finalAtStart {
		return err
	}
	tick := time.NewTicker(f.cfg.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-f.ch:
			if ok && !f.wants(ev) {
				continue
			}
			f.drain(ok)
		case <-tick.C:
			if err := stream.comment("keep-alive"); err != nil {
				return err
			}
			// Also a safety net: events stored by another process reach
			// this one's bus late or never; the store has them.
		}
		if done, err := f.send(ctx, stream); err != nil || done {
			return err
		}
	}
}

// drain takes every wake-up already queued, so that a burst of events
// costs one store read. open is false once the bus dropped us for being
// slow: subscribe again before the store is read, so that nothing stored
// from then on goes unnoticed.
func (f *follower) drain(open bool) {
	for open {
		select {
		case _, open = <-f.ch:
		default:
			return
		}
	}
	f.cancel()
	f.subscribe()
}

// wants reports whether a bus event may concern this stream.
func (f *follower) wants(ev *sipsim.CallEvent) bool {
	return f.filter.CallID == "" || ev.CallID == f.filter.CallID
}

// send writes every stored event after the last one sent. done is true
// once a per-call stream has sent call.ended.
func (f *follower) send(ctx context.Context, stream *eventStream) (done bool, err error) {
	for {
		flt := f.filter
		flt.Limit = streamPage
		evs, err := f.cfg.Events.Events(ctx, flt)
		if err != nil {
			return false, err
		}
		for _, ev := range evs {
			if ev.ID <= f.filter.AfterID {
				continue // a store must not, but a duplicate would break the promise
			}
			if err := stream.event(wire.NewEvent(ev)); err != nil {
				return false, err
			}
			f.filter.AfterID = ev.ID
			if f.filter.CallID != "" && ev.Type == sipsim.EventCallEnded {
				return true, nil
			}
		}
		if len(evs) < streamPage {
			return false, nil
		}
	}
}
