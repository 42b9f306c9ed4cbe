package calls

import (
	"context"
	"time"
)

// How long a node alone on its database keeps trying to store the ends it
// could not store (the database overloaded past the write's timeout, or
// briefly unavailable): the first retry after endRetryFirst, doubling up
// to endRetryMax, for endRetryFor after the last end was kept or until
// the service is shut down.
const (
	endRetryFirst = 100 * time.Millisecond
	endRetryMax   = 5 * time.Second
	endRetryFor   = 2 * time.Minute
)

// retryUnrecordedAlone stores the ends kept by keepUnrecorded on a node
// alone on its database, which has no heartbeat rounds to do it (fence.go)
// and no other node to close its calls: an end never stored would leave
// the call active for good, and its phone busy (409) with it. Ends still
// not stored when it gives up are closed at the next start (Recover).
// keepUnrecorded starts it, at most one at a time, counted in s.wg.
func (s *Service) retryUnrecordedAlone() {
	defer s.wg.Done()
	deadline := time.Now().Add(endRetryFor)
	for wait := endRetryFirst; ; wait = min(2*wait, endRetryMax) {
		select {
		case <-s.ctx.Done():
		case <-time.After(wait):
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s.storeUnrecorded(ctx)
		cancel()
		s.mu.Lock()
		left := len(s.unrecorded)
		done := left == 0 || s.ctx.Err() != nil || time.Now().After(deadline)
		if done {
			s.retrying = false
		}
		s.mu.Unlock()
		if done {
			if left > 0 {
				s.log.Error("the ends of calls could not be stored; the next start closes them", "calls", left)
			}
			return
		}
	}
}
