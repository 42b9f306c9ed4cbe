package calls

import (
	"context"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
)

// CreateCall implements sipsim.CallService. Checks run from the cheapest
// and most basic to the ones that need the phone system, so the error a
// user sees is the first thing they must fix.
func (s *Service) CreateCall(ctx context.Context, req sipsim.CreateCallRequest) (*sipsim.Call, error) {
	if req.PhoneID <= 0 {
		return nil, sipsim.Errorf(sipsim.EINVALID, "phone_id must be a positive integer")
	}
	if !e164.Valid(req.TargetNumber) {
		return nil, s.invalidTarget(ctx, req)
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
	if len(contacts) == 0 {
		return nil, sipsim.Errorf(sipsim.EUNPROCESSABLE, "Phone %d is not reachable: no SIP device is registered for internal number %d", phone.ID, phone.InternalNumber)
	}

	s.mu.Lock()
	draining := s.draining
	s.mu.Unlock()
	if draining {
		return nil, sipsim.Errorf(sipsim.EUNAVAILABLE, "The server is shutting down; retry on another node")
	}

	c := &sipsim.Call{
		ID:           s.cfg.NewCallID(),
		AccountID:    req.AccountID,
		PhoneID:      phone.ID,
		TargetNumber: req.TargetNumber,
		CallerID:     phone.CallerID(),
		Direction:    "outbound",
		Source:       "api",
		Status:       sipsim.CallInitiating,
		AgentLeg:     sipsim.Leg{Status: sipsim.LegIdle},
		TargetLeg:    sipsim.Leg{Status: sipsim.LegIdle},
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	ev := &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: sipsim.EventCallCreated, Status: c.Status, At: now}
	// The store's partial unique index is what enforces one active call
	// per phone: it returns ECONFLICT to all but one concurrent request.
	if err := s.cfg.Calls.CreateCall(ctx, c, ev); err != nil {
		return nil, err
	}
	plan := sipsim.CallPlan{
		CallID:            c.ID,
		Phone:             phone,
		Contacts:          contacts,
		TargetNumber:      c.TargetNumber,
		CallerID:          c.CallerID,
		AgentRingTimeout:  s.cfg.AgentRingTimeout,
		TargetRingTimeout: s.cfg.TargetRingTimeout,
		MaxDuration:       s.cfg.MaxDuration,
	}
	created := *c
	s.start(c, plan)
	return &created, nil
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
