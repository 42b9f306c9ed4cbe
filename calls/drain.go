package calls

import (
	"context"
	"time"
)

// A node that drains (Shutdown) is given no new calls: the others skip
// it once its heartbeat says it drains. A call another node dispatched to
// it before that was accepted with 201 all the same, so the draining
// node still claims and runs it, within the drain timeout like its other
// calls. To leave no such call behind, the node announces its drain at
// once (a heartbeat), claims on for lateDispatchGrace after that, and
// only then, once no call runs and no claim is under way, is drained and
// claims no more.

// lateDispatchGrace is how long a draining node goes on claiming after it
// announced its drain: another node that chose it just before stores the
// call a moment later.
const lateDispatchGrace = time.Second

// announceDraining tells the other nodes at once that this one drains,
// and returns until when it must go on claiming (now, for a node alone on
// its database).
func (s *Service) announceDraining() time.Time {
	if !s.clustered() {
		return time.Time{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Lease/3)
	defer cancel()
	if err := s.heartbeat(ctx); err != nil {
		s.log.Warn("could not tell the other nodes this one drains; they learn it at its next heartbeat", "node_id", s.cfg.Node.ID, "err", err)
	}
	return time.Now().Add(lateDispatchGrace)
}

// awaitDrained waits until no call runs and no claim is under way, after
// a last claim at until, then marks the node drained. It reports false if
// ctx ends first with calls still running.
func (s *Service) awaitDrained(ctx context.Context, until time.Time) bool {
	if !until.IsZero() {
		select {
		case <-time.After(time.Until(until)):
			s.claimDispatched(ctx)
		case <-ctx.Done():
		}
	}
	for {
		s.mu.Lock()
		if len(s.running) == 0 && s.claims == 0 {
			s.drained = true
			s.mu.Unlock()
			return true
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// changedLocked wakes awaitDrained: a call stopped running or a claim
// ended. s.mu must be held.
func (s *Service) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// holdClaim starts a claim of dispatched calls, unless the node has
// drained; releaseClaim ends it. The calls a claim starts are running
// before it ends, so the drain, which waits for both, cannot miss them.
func (s *Service) holdClaim() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drained {
		return false
	}
	s.claims++
	return true
}

func (s *Service) releaseClaim() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claims--
	s.changedLocked()
}
