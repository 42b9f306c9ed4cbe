package calls

import (
	"context"
	"fmt"
	"time"

	"github.com/sipsim/sipsim"
)

// runner picks the node that runs a call for a phone registered at
// contacts (most recently refreshed first): the node of the freshest
// binding held by a live node that is not draining. That may be this
// node. When no binding is on such a node (the phone's node died and the
// phone has not registered elsewhere yet, or it has none and forwards),
// this node runs the call, as best it can from its own socket. A node
// alone on its database runs every call.
func (s *Service) runner(ctx context.Context, contacts []*sipsim.Registration, now time.Time) (string, error) {
	self := s.cfg.Node.ID
	if !s.clustered() {
		return self, nil
	}
	checked := map[string]bool{}
	for _, r := range contacts {
		if r.NodeID == self {
			return self, nil
		}
		if r.NodeID == "" || checked[r.NodeID] {
			continue
		}
		checked[r.NodeID] = true
		n, err := s.cfg.Nodes.Node(ctx, r.NodeID)
		switch {
		case sipsim.ErrorCode(err) == sipsim.ENOTFOUND:
			continue
		case err != nil:
			return "", err
		case n.Live(now, s.cfg.Lease) && !n.Draining:
			return n.ID, nil
		}
	}
	return self, nil
}

// reachable drops the bindings this node cannot send to: TCP ones held by
// another node, whose connection lives there. UDP bindings of other nodes
// stay, tried from this node's socket: a phone that is not behind NAT
// answers, one behind NAT may not.
func (s *Service) reachable(contacts []*sipsim.Registration) []*sipsim.Registration {
	if !s.clustered() {
		return contacts
	}
	out := make([]*sipsim.Registration, 0, len(contacts))
	for _, r := range contacts {
		if r.Transport == "tcp" && r.NodeID != s.cfg.Node.ID {
			continue
		}
		out = append(out, r)
	}
	return out
}

// claimDispatched takes the calls other nodes dispatched to this one and
// runs them. A draining node takes them too, until it has drained (see
// drain.go): they were accepted before it drained.
func (s *Service) claimDispatched(ctx context.Context) {
	if !s.holdClaim() {
		return
	}
	defer s.releaseClaim()
	claimed, err := s.cfg.Nodes.ClaimDispatchedCalls(ctx, s.cfg.Node.ID)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("claiming dispatched calls failed", "err", err)
		}
		return
	}
	// Each runs at once, before any plan is built: a hang-up asked while
	// the plans are built finds it.
	runs := make([]func(), len(claimed))
	for i, c := range claimed {
		runs[i] = s.runDispatched(ctx, c)
	}
	for _, run := range runs {
		run()
	}
}

// runDispatched makes c, a call another node created, a running call of
// this node, and returns what places it: build the plan that node would
// have built, with this node's settings and the request's options, and
// run it. A call whose plan cannot be built ends failed; one hung up while
// its plan was built ends as a call hung up before it rang, unplaced.
func (s *Service) runDispatched(ctx context.Context, c *sipsim.Call) func() {
	s.log.Info("running a call dispatched by another node", "call_id", c.ID, "phone_id", c.PhoneID)
	callCtx, progress, finish := s.begin(c)
	return func() {
		plan, err := s.dispatchedPlan(ctx, c)
		switch {
		case err != nil:
			finish(sipsim.CallOutcome{Status: sipsim.CallFailed, Reason: sipsim.ReasonInternalError,
				AgentLeg: sipsim.LegIdle, TargetLeg: sipsim.LegIdle, Err: fmt.Errorf("dispatched call: %w", err)})
		case callCtx.Err() != nil:
			finish(notPlaced(causeReason(callCtx)))
		default:
			s.place(callCtx, plan, progress, finish)
		}
	}
}

func (s *Service) dispatchedPlan(ctx context.Context, c *sipsim.Call) (sipsim.CallPlan, error) {
	phone, err := s.cfg.Phones.Phone(ctx, c.AccountID, c.PhoneID)
	if err != nil {
		return sipsim.CallPlan{}, err
	}
	now := s.cfg.Now()
	contacts, err := s.cfg.Registrations.Registrations(ctx, phone.ID, now)
	if err != nil {
		return sipsim.CallPlan{}, err
	}
	limits, err := s.accountLimits(ctx, c.AccountID)
	if err != nil {
		return sipsim.CallPlan{}, err
	}
	// The creating node found talk time left; if the account's calls used
	// it up since, the call still runs, cut as soon as it is answered.
	talkLeft, err := s.talkTimeLeft(ctx, c.AccountID, limits, now)
	if err != nil && sipsim.ErrorCode(err) != sipsim.EFORBIDDEN {
		return sipsim.CallPlan{}, err
	}
	var opts sipsim.CallDispatch
	if c.Dispatch != nil {
		opts = *c.Dispatch
	}
	return s.plan(ctx, c, phone, contacts, talkLeft, opts), nil
}
