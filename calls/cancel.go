package calls

import (
	"context"
	"time"

	"github.com/sipsim/sipsim"
)

// cancelWait bounds how long CancelCall waits for the hang-up to be stored.
const cancelWait = 5 * time.Second

// CancelCall implements sipsim.CallService: CANCEL while ringing, BYE once
// answered (the engine picks), reason canceled_via_api. It is idempotent:
// a call that is over is returned as it is.
func (s *Service) CancelCall(ctx context.Context, accountID int64, id string) (*sipsim.Call, error) {
	c, err := s.cfg.Calls.Call(ctx, accountID, id)
	if err != nil || c.Status.Final() {
		return c, err
	}
	s.mu.Lock()
	rc := s.running[id]
	s.mu.Unlock()
	if rc != nil {
		rc.cancel(sipsim.ReasonCanceledViaAPI)
		select {
		case <-rc.done:
		case <-time.After(cancelWait):
		case <-ctx.Done():
		}
	}
	return s.cfg.Calls.Call(ctx, accountID, id)
}
