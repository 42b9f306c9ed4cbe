package calls

import (
	"context"
	"time"

	"github.com/sipsim/sipsim"
)

// How long a node alone on its database keeps trying to store the end of
// a call that failed to store (the database overloaded past the write's
// timeout, or briefly unavailable): the first retry after endRetryFirst,
// doubling up to endRetryMax, for endRetryFor in all or until the service
// is shut down.
const (
	endRetryFirst = 100 * time.Millisecond
	endRetryMax   = 5 * time.Second
	endRetryFor   = 2 * time.Minute
)

// storeEndAgain stores the end of c, which failed to store, on a node
// alone on its database. An end never stored leaves the call active for
// good, and its phone busy (409) with it, as no other node will close it;
// a clustered node keeps it for its heartbeat rounds instead
// (keepUnrecorded). If it still cannot be stored, the next start closes
// the call (Recover).
func (s *Service) storeEndAgain(c *sipsim.Call, ev *sipsim.CallEvent) error {
	deadline := time.Now().Add(endRetryFor)
	wait := endRetryFirst
	for {
		select {
		case <-s.ctx.Done():
			return context.Cause(s.ctx)
		case <-time.After(wait):
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.cfg.Calls.UpdateCall(ctx, c, ev)
		cancel()
		switch code := sipsim.ErrorCode(err); {
		case err == nil:
			s.log.Info("stored the end of a call once the database could be written again", "call_id", c.ID,
				"status", c.Status, "reason", c.EndedReason)
			return nil
		case code == sipsim.ENOTFOUND || code == sipsim.ECONFLICT || time.Now().After(deadline):
			return err
		}
		wait = min(2*wait, endRetryMax)
	}
}
