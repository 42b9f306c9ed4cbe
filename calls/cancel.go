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
// a call that is over is returned as it is. A call dispatched to a node
// that has not taken it yet is ended here, whichever node that is
// (endUnclaimed). A call another node runs is hung up by that node, asked
// through the store (RequestCancel); this one waits, up to cancelWait, to
// read the call's end.
func (s *Service) CancelCall(ctx context.Context, accountID int64, id string) (*sipsim.Call, error) {
	c, err := s.cfg.Calls.Call(ctx, accountID, id)
	if err != nil || c.Status.Final() {
		return c, err
	}
	if s.clustered() && c.Dispatch != nil && !c.Dispatch.Claimed {
		switch ended, err := s.endUnclaimed(ctx, c); sipsim.ErrorCode(err) {
		case "":
			return ended, nil
		case sipsim.ECONFLICT:
			// Its node took it meanwhile (perhaps this one), or it ended:
			// hang it up as any running call.
		default:
			return nil, err
		}
	}
	s.mu.Lock()
	rc := s.running[id]
	s.mu.Unlock()
	switch {
	case rc != nil:
		rc.cancel(sipsim.ReasonCanceledViaAPI)
		select {
		case <-rc.done:
		case <-time.After(cancelWait):
		case <-ctx.Done():
		}
	case s.clustered() && c.NodeID != s.cfg.Node.ID:
		if err := s.cfg.Nodes.RequestCancel(ctx, id); err != nil {
			return nil, err
		}
		return s.awaitEnd(ctx, accountID, id)
	}
	return s.cfg.Calls.Call(ctx, accountID, id)
}

// endUnclaimed ends c, dispatched to a node that has not taken it yet, as
// a call hung up before it rang ends on one node: canceled,
// canceled_via_api, neither leg dialled, one call.ended. Nothing could
// have rung: its node rings once it has claimed the call, which the store
// refuses from then on (ECONFLICT, c untouched).
func (s *Service) endUnclaimed(ctx context.Context, c *sipsim.Call) (*sipsim.Call, error) {
	cp := *c
	now := s.cfg.Now()
	o := notPlaced(sipsim.ReasonCanceledViaAPI)
	ev := apply(&cp, step{outcome: &o}, now)
	cp.UpdatedAt = now
	ev.Call = snapshot(&cp)
	if err := s.cfg.Nodes.EndUnclaimedCall(ctx, &cp, ev); err != nil {
		return nil, err
	}
	s.publish(ev)
	s.log.Info("call hung up before the node it was dispatched to took it", "call_id", cp.ID, "phone_id", cp.PhoneID, "node_id", cp.NodeID)
	return &cp, nil
}

// remoteEndPoll is how often CancelCall reads a call another node hangs up.
const remoteEndPoll = 100 * time.Millisecond

// awaitEnd reads the call until it is over, for up to cancelWait, and
// returns it as it then stands.
func (s *Service) awaitEnd(ctx context.Context, accountID int64, id string) (*sipsim.Call, error) {
	deadline := time.After(cancelWait)
	tick := time.NewTicker(remoteEndPoll)
	defer tick.Stop()
	for {
		c, err := s.cfg.Calls.Call(ctx, accountID, id)
		if err != nil || c.Status.Final() {
			return c, err
		}
		select {
		case <-tick.C:
		case <-deadline:
			return c, nil
		case <-ctx.Done():
			return c, nil
		}
	}
}
