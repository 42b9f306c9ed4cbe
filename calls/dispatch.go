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
// runs them. A draining node takes none: they are closed as node_lost once
// it has left (nodes stop dispatching to it as soon as it drains).
func (s *Service) claimDispatched(ctx context.Context) {
	s.mu.Lock()
	draining := s.draining
	s.mu.Unlock()
	if draining {
		return
	}
	claimed, err := s.cfg.Nodes.ClaimDispatchedCalls(ctx, s.cfg.Node.ID)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("claiming dispatched calls failed", "err", err)
		}
		return
	}
	for _, c := range claimed {
		s.runDispatched(ctx, c)
	}
}

// runDispatched builds the plan of a call another node created, as that
// node would have with this node's settings and the request's options,
// and runs it. A call whose plan cannot be built ends failed.
func (s *Service) runDispatched(ctx context.Context, c *sipsim.Call) {
	s.log.Info("running a call dispatched by another node", "call_id", c.ID, "phone_id", c.PhoneID)
	plan, err := s.dispatchedPlan(ctx, c)
	if err != nil {
		_, _, finish := s.begin(c)
		finish(sipsim.CallOutcome{Status: sipsim.CallFailed, Reason: sipsim.ReasonInternalError,
			AgentLeg: sipsim.LegIdle, TargetLeg: sipsim.LegIdle, Err: fmt.Errorf("dispatched call: %w", err)})
		return
	}
	s.start(c, plan)
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
