package calls

import (
	"context"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
)

// CreateCall implements sipsim.CallService. Checks run from the cheapest
// and most basic to the ones that need the phone system, so the error a
// user sees is the first thing they must fix, and all of them before
// anything rings:
//
//  1. 400 phone_id not a positive integer
//  2. 400 target_number missing or not E.164
//  3. 403 target country not in the account's allowed countries
//  4. 403 target number of a high-risk type (premium rate...)
//  5. 404 phone not found
//  6. 422 phone not active
//  7. 422 phone not reachable (nothing registered, no forwarding)
//  8. 403 the phone forwards to a number that fails 3 or 4
//  9. 503 the server is shutting down
//  10. 409 double click (same phone and target within the window)
//  11. 403 the account's daily minutes are used up
//  12. 409 the phone is on a call (the store's unique index)
//  13. 429 the account has too many calls at once
//  14. 429 too many calls with this token in the last minute
//  15. 429 too many calls from this phone in the last minute
//
// 12 to 15 are decided by the store in the insert's transaction (see
// policy.go). In a cluster, the call is stored for the node that holds the
// phone's registration, which runs it (see cluster.go).
func (s *Service) CreateCall(ctx context.Context, req sipsim.CreateCallRequest) (*sipsim.Call, error) {
	if req.PhoneID <= 0 {
		return nil, sipsim.Errorf(sipsim.EINVALID, "phone_id must be a positive integer")
	}
	if !e164.Valid(req.TargetNumber) {
		return nil, s.invalidTarget(ctx, req)
	}
	limits, err := s.accountLimits(ctx, req.AccountID)
	if err != nil {
		return nil, err
	}
	if err := checkDestination(limits, req.TargetNumber); err != nil {
		return nil, err
	}
	phone, err := s.cfg.Phones.Phone(ctx, req.AccountID, req.PhoneID)
	if err != nil {
		return nil, err
	}
	if phone.Status != sipsim.PhoneActive {
		return nil, sipsim.Errorf(sipsim.EUNPROCESSABLE, "Phone %d is not active (status %s)", phone.ID, phone.Status)
	}
	now := s.cfg.Now()
	contacts, err := s.cfg.Registrations.Registrations(ctx, phone.ID, now)
	if err != nil {
		return nil, err
	}
	forwardTo, _ := forwarding(phone)
	if len(contacts) == 0 && forwardTo == "" {
		return nil, sipsim.Errorf(sipsim.EUNPROCESSABLE, "Phone %d is not reachable: no SIP device is registered for internal number %d", phone.ID, phone.InternalNumber)
	}
	if err := checkForwarding(limits, phone, forwardTo); err != nil {
		return nil, err
	}

	s.mu.Lock()
	draining := s.draining
	s.mu.Unlock()
	if draining {
		return nil, sipsim.Errorf(sipsim.EUNAVAILABLE, "The server is shutting down; retry on another node")
	}
	if err := s.doubleClick(ctx, req, phone, now); err != nil {
		return nil, err
	}
	talkLeft, err := s.talkTimeLeft(ctx, req.AccountID, limits, now)
	if err != nil {
		return nil, err
	}

	c := &sipsim.Call{
		ID:           s.cfg.NewCallID(),
		AccountID:    req.AccountID,
		PhoneID:      phone.ID,
		TokenID:      req.TokenID,
		TargetNumber: req.TargetNumber,
		CallerID:     s.callerID(ctx, phone),
		Direction:    "outbound",
		Source:       "api",
		Status:       sipsim.CallInitiating,
		AgentLeg:     sipsim.Leg{Status: sipsim.LegIdle},
		TargetLeg:    sipsim.Leg{Status: sipsim.LegIdle},
		CreatedAt:    now,
		UpdatedAt:    now,
		NodeID:       s.cfg.Node.ID,
	}
	opts := sipsim.CallDispatch{CallerIDName: req.CallerIDName, AutoAnswer: req.AutoAnswer, AgentRingTimeout: req.AgentRingTimeout}
	runner, err := s.runner(ctx, contacts, now)
	if err != nil {
		return nil, err
	}
	if runner != s.cfg.Node.ID {
		c.NodeID, c.Dispatch = runner, &opts
	}
	ev := &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: sipsim.EventCallCreated, Status: c.Status, At: now, Call: snapshot(c)}
	// The store's partial unique index is what enforces one active call
	// per phone: it returns ECONFLICT to all but one concurrent request.
	// Only then does it count the limits, so a busy phone is a 409 however
	// many requests came.
	if err := s.cfg.Calls.CreateCall(ctx, c, ev, limits.CallLimits()); err != nil {
		if sipsim.ErrorCode(err) == sipsim.ECONFLICT {
			return nil, s.busy(ctx, phone, err)
		}
		return nil, err
	}
	s.publish(ev)
	created := *c
	if c.Dispatch != nil {
		s.log.Info("call dispatched to the node holding the phone's registration", "call_id", c.ID, "phone_id", phone.ID, "node_id", c.NodeID)
		return &created, nil
	}
	s.start(c, s.plan(ctx, c, phone, contacts, talkLeft, opts))
	return &created, nil
}

// plan is what the engine needs to run c for phone, registered at
// contacts, with the request's options opts and the account's talk time
// left today.
func (s *Service) plan(ctx context.Context, c *sipsim.Call, phone *sipsim.Phone, contacts []*sipsim.Registration, talkLeft time.Duration, opts sipsim.CallDispatch) sipsim.CallPlan {
	forwardTo, forwardAfter := forwarding(phone)
	plan := sipsim.CallPlan{
		CallID:            c.ID,
		Phone:             phone,
		Contacts:          s.reachable(contacts),
		TargetNumber:      c.TargetNumber,
		CallerID:          c.CallerID,
		CallerIDName:      opts.CallerIDName,
		AutoAnswer:        opts.AutoAnswer,
		AgentRingTimeout:  s.cfg.AgentRingTimeout,
		TargetRingTimeout: s.cfg.TargetRingTimeout,
		MaxDuration:       s.maxDuration(talkLeft),
		ForwardTo:         forwardTo,
		ForwardAfter:      forwardAfter,
	}
	if opts.AgentRingTimeout > 0 {
		plan.AgentRingTimeout = opts.AgentRingTimeout
	}
	plan.Preroll, plan.WaitPrerollDial = s.preroll(ctx, phone), phone.AudioSetting.WaitPrerollDial > 0
	return plan
}

// invalidTarget explains what a valid number looks like, using the phone's
// country to spell a national number in E.164 when that is unambiguous.
func (s *Service) invalidTarget(ctx context.Context, req sipsim.CreateCallRequest) error {
	if req.TargetNumber == "" {
		return sipsim.Errorf(sipsim.EINVALID, "target_number is required")
	}
	region := ""
	if p, err := s.cfg.Phones.Phone(ctx, req.AccountID, req.PhoneID); err == nil {
		region = p.Country
	}
	err := sipsim.Errorf(sipsim.EINVALID, "target_number is invalid")
	if sug := e164.Suggest(req.TargetNumber, region); sug != "" {
		err.Details = []string{"Use E.164 format: did you mean " + sug + "?"}
	} else {
		err.Details = []string{"Use E.164 format: + then country code and number, no spaces, e.g. +33612345678"}
	}
	return err
}

// doubleClick refuses a second order for the same phone and number within
// the window, naming the first call: a CRM button pressed twice rings once.
func (s *Service) doubleClick(ctx context.Context, req sipsim.CreateCallRequest, phone *sipsim.Phone, now time.Time) error {
	prev, err := s.cfg.Calls.RecentCall(ctx, req.AccountID, phone.ID, req.TargetNumber, now.Add(-s.cfg.DoubleClickWindow))
	switch {
	case sipsim.ErrorCode(err) == sipsim.ENOTFOUND:
		return nil
	case err != nil:
		return err
	}
	ago := now.Sub(prev.CreatedAt).Round(time.Second)
	e := sipsim.Errorf(sipsim.ECONFLICT, "A call from this phone to %s was placed %s ago", req.TargetNumber, ago)
	e.Details = []string{"Follow that call instead of placing another: GET /api/v2/calls/" + prev.ID}
	e.CallID = prev.ID
	return e
}

// busy names the call the phone is on, so the user can follow or end it.
func (s *Service) busy(ctx context.Context, phone *sipsim.Phone, conflict error) error {
	active, err := s.cfg.Calls.ActiveCall(ctx, phone.AccountID, phone.ID)
	if err != nil {
		return conflict // ended in between: the plain 409 is still true a moment ago
	}
	e := sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on another call")
	e.CallID = active.ID
	return e
}

// callerID is the number the target sees: the phone's outbound number or
// its own, or, with use_different_outbound_number, another phone's number.
// The API checks that phone exists when the setting is saved; if it was
// deleted since, the call still goes out, under the phone's own caller ID.
func (s *Service) callerID(ctx context.Context, phone *sipsim.Phone) string {
	out := phone.OutboundSetting
	if !out.UseDifferentOutboundNumber || out.OutboundNumberPhoneID == nil {
		return phone.CallerID()
	}
	other, err := s.cfg.Phones.Phone(ctx, phone.AccountID, *out.OutboundNumberPhoneID)
	if err != nil || other.Number == "" {
		s.log.Warn("outbound_number_phone_id unusable; using the phone's own caller ID",
			"phone_id", phone.ID, "outbound_number_phone_id", *out.OutboundNumberPhoneID, "err", err)
		return phone.CallerID()
	}
	return other.Number
}

// forwarding reads the phone's forwarding setting: the number that rings in
// place of the phone, and after how long (0: at once). Forced forwarding
// wins over conditional forwarding.
func forwarding(p *sipsim.Phone) (number string, after time.Duration) {
	f := p.ForwardingSetting
	switch {
	case f.Forced.Enabled && f.Forced.ForwardNumber != nil:
		return *f.Forced.ForwardNumber, 0
	case f.Conditional.Enabled && f.Conditional.ForwardNumber != nil:
		return *f.Conditional.ForwardNumber, time.Duration(f.Conditional.TimeoutSeconds) * time.Second
	}
	return "", 0
}
