package voip

import (
	"context"

	"github.com/sipsim/sipsim"
)

// fork INVITEs every contact of a phone at once. The first to answer wins:
// the others are cancelled and finish in the background, so the caller
// goes on without waiting for their 487s. With no winner it returns one
// failure per contact. Cancelling ctx cancels every fork.
func (e *Engine) fork(ctx context.Context, contacts []*sipsim.Registration, build func(*sipsim.Registration) legRequest) (*leg, string, []error) {
	forkCtx, cancel := context.WithCancel(ctx)
	type result struct {
		l       *leg
		err     error
		contact string
	}
	results := make(chan result, len(contacts))
	for _, reg := range contacts {
		go func() {
			l, err := e.invite(forkCtx, build(reg))
			results <- result{l, err, reg.Contact}
		}()
	}
	var failures []error
	for i := range contacts {
		r := <-results
		if r.err != nil {
			failures = append(failures, r.err)
			continue
		}
		cancel()
		go func(left int) {
			for range left {
				if late := <-results; late.l != nil {
					late.l.hangup()
				}
			}
		}(len(contacts) - i - 1)
		return r.l, r.contact, nil
	}
	cancel()
	return nil, "", failures
}
