package calls

import (
	"context"
	"time"

	"github.com/sipsim/sipsim"
)

// A node that cannot heartbeat for a whole lease (database unreachable,
// process frozen, VM suspended) is dead to the others: they close its
// calls as failed/node_lost, and the phones are callable again. The node
// itself may still be up, its calls connected. Two things keep the call
// to one end, whichever comes first:
//
//   - The store fences the node off: once a sweeper has closed a call,
//     the writes of the node that ran it are refused (sipsim.CallStore
//     UpdateCall). The recorder then hangs the call up and stores nothing
//     more of it (run.go).
//   - The node fences itself: at its first heartbeat round a lease or
//     more after its last heartbeat that was stored, it hangs up every
//     call it runs (BYE or CANCEL on each leg), with reason node_lost,
//     as the others are entitled to have closed them. Each end is stored
//     as failed/node_lost once the node can write again, unless another
//     node closed the call first: then that record stands.
//
// Hanging up is what a telephony operator expects of a node that lost
// its cluster: a call that the records say is over must not go on, still
// talking (and costing) on a phone that may already ring for another call.

// unrecordedEnd is a call's end this node could not store.
type unrecordedEnd struct {
	c  *sipsim.Call
	ev *sipsim.CallEvent
}

// keepUnrecorded keeps the end of c, which could not be stored, to be
// stored again once the node can write (storeUnrecorded). The recorder
// that owned c is done with it.
func (s *Service) keepUnrecorded(c *sipsim.Call, ev *sipsim.CallEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unrecorded = append(s.unrecorded, unrecordedEnd{c: c, ev: ev})
	// A clustered node stores them at its heartbeat rounds; a node alone
	// on its database has none and retries them itself.
	if !s.clustered() && !s.retrying {
		s.retrying = true
		s.wg.Add(1) // the caller, a recorder, is counted: never from zero
		go s.retryUnrecordedAlone()
	}
}

// storeUnrecorded stores the ends kept by keepUnrecorded. An end whose
// call another node has closed meanwhile is dropped (that record stands);
// one that still cannot be stored is kept for the next round.
func (s *Service) storeUnrecorded(ctx context.Context) {
	s.mu.Lock()
	pending := s.unrecorded
	s.unrecorded = nil
	s.mu.Unlock()
	var keep []unrecordedEnd
	for _, u := range pending {
		err := s.cfg.Calls.UpdateCall(ctx, u.c, u.ev)
		switch sipsim.ErrorCode(err) {
		case "":
			s.publish(u.ev)
			if u.c.HasRecording {
				s.recordingReady(ctx, u.c, u.ev.At)
			}
			s.log.Info("stored the end of a call once the database could be written again", "call_id", u.c.ID,
				"status", u.c.Status, "reason", u.c.EndedReason)
		case sipsim.ECONFLICT, sipsim.ENOTFOUND:
			s.log.Warn("another node closed this call as node_lost meanwhile: its record stands", "call_id", u.c.ID)
		default:
			keep = append(keep, u)
		}
	}
	s.mu.Lock()
	s.unrecorded = append(s.unrecorded, keep...)
	s.mu.Unlock()
}

// heartbeats is the node's view of its own heartbeats, owned by the
// goroutine that runs RunCluster (JoinCluster sets it before).
type heartbeats struct {
	last   time.Time // when the last heartbeat that was stored started
	fenced bool      // the calls were hung up for the current silence
}

// beat is one heartbeat round: it fences the node first if its last
// stored heartbeat is a lease old, then heartbeats, and once that
// succeeds stores the ends it could not. The heartbeat is bounded by a
// third of the lease, so that a database that does not answer does not
// hold up the next round.
func (s *Service) beat(ctx context.Context) {
	now := s.cfg.Now()
	if silent := now.Sub(s.beats.last); silent >= s.cfg.Lease && !s.beats.fenced {
		s.beats.fenced = true
		n := s.hangUpAll(sipsim.ReasonNodeLost)
		s.log.Error("no heartbeat stored for a whole lease: other nodes may have closed this node's calls as node_lost; hanging up the calls it runs",
			"node_id", s.cfg.Node.ID, "silent", silent.Round(time.Millisecond), "lease", s.cfg.Lease, "calls", n)
	}
	hbCtx, cancel := context.WithTimeout(ctx, s.cfg.Lease/3)
	defer cancel()
	if err := s.heartbeat(hbCtx); err != nil {
		if ctx.Err() == nil {
			s.log.Error("node heartbeat failed: past the lease, other nodes close this node's calls and it hangs them up", "node_id", s.cfg.Node.ID, "err", err)
		}
		return
	}
	if s.beats.fenced {
		s.log.Info("node heartbeats again", "node_id", s.cfg.Node.ID)
	}
	s.beats.last, s.beats.fenced = now, false
	s.storeUnrecorded(ctx)
}

// hangUpAll hangs up every call the node runs, with reason, and returns
// how many.
func (s *Service) hangUpAll(reason sipsim.EndReason) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rc := range s.running {
		rc.cancel(reason)
	}
	return len(s.running)
}
