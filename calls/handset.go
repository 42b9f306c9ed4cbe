package calls

import (
	"context"
	"strconv"
	"strings"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
)

var _ sipsim.HandsetRouter = (*Service)(nil)

// StartHandsetCall implements sipsim.HandsetRouter: a number dialled on a
// phone's handset. An E.164 number (or one written with the 00
// international prefix) goes out through the trunk under the phone's caller
// ID, recorded when record_outbound_call says so; an internal number rings
// that phone. Either way the call is listed with source "handset" and keeps
// the phone busy for click-to-call.
func (s *Service) StartHandsetCall(ctx context.Context, d sipsim.HandsetDial) (*sipsim.HandsetCall, error) {
	phone := d.Phone
	now := s.cfg.Now()
	c := &sipsim.Call{
		ID:        s.cfg.NewCallID(),
		AccountID: phone.AccountID,
		PhoneID:   phone.ID,
		Source:    sipsim.SourceHandset,
		Status:    sipsim.CallInitiating,
		AgentLeg:  sipsim.Leg{Status: sipsim.LegIdle},
		TargetLeg: sipsim.Leg{Status: sipsim.LegIdle},
		CreatedAt: now,
		UpdatedAt: now,
		NodeID:    s.cfg.Node.ID,
	}
	plan := sipsim.CallPlan{CallID: c.ID, Phone: phone, TargetRingTimeout: s.cfg.TargetRingTimeout, MaxDuration: s.cfg.MaxDuration}
	limits, err := s.accountLimits(ctx, phone.AccountID)
	if err != nil {
		return nil, err
	}

	dialled := strings.TrimSpace(d.Dialled)
	if strings.HasPrefix(dialled, "00") {
		dialled = "+" + dialled[2:]
	}
	switch ext, err := strconv.Atoi(dialled); {
	case e164.Valid(dialled):
		// Through the trunk: the same toll-fraud policy as click-to-call.
		if err := checkDestination(limits, dialled); err != nil {
			return nil, err
		}
		c.Direction, c.TargetNumber, c.CallerID = sipsim.DirectionOutbound, dialled, s.callerID(ctx, phone)
		plan.Record = phone.RecordSetting.RecordOutboundCall
	case err == nil && !strings.HasPrefix(dialled, "+") && len(dialled) == 3:
		callee, contacts, err := s.callee(ctx, phone, ext)
		if err != nil {
			return nil, err
		}
		// Colleagues see each other's extension, not the company number.
		c.Direction, c.TargetNumber, c.CallerID = sipsim.DirectionInternal, dialled, strconv.Itoa(phone.InternalNumber)
		plan.Callee, plan.CalleeContacts = callee, contacts
	default:
		return nil, sipsim.Errorf(sipsim.EINVALID, "%q is neither an E.164 number nor an internal number", d.Dialled)
	}
	plan.TargetNumber, plan.CallerID = c.TargetNumber, c.CallerID

	s.mu.Lock()
	draining := s.draining
	s.mu.Unlock()
	if draining {
		return nil, sipsim.Errorf(sipsim.EUNAVAILABLE, "The server is shutting down")
	}
	if c.Direction == sipsim.DirectionOutbound {
		left, err := s.talkTimeLeft(ctx, c.AccountID, limits, now)
		if err != nil {
			return nil, err
		}
		plan.MaxDuration = s.maxDuration(left)
	}
	ev := &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: sipsim.EventCallCreated, Status: c.Status, At: now, Call: snapshot(c)}
	if err := s.cfg.Calls.CreateCall(ctx, c, ev, limits.CallLimits()); err != nil {
		if sipsim.ErrorCode(err) == sipsim.ECONFLICT {
			return nil, s.busy(ctx, phone, err)
		}
		return nil, err
	}
	s.publish(ev)
	created := *c
	runCtx, progress, finish := s.begin(c)
	return &sipsim.HandsetCall{Call: &created, Plan: plan, Ctx: runCtx, Progress: progress, Finish: finish}, nil
}

// callee finds the phone an internal number rings and where it is
// registered.
func (s *Service) callee(ctx context.Context, caller *sipsim.Phone, ext int) (*sipsim.Phone, []*sipsim.Registration, error) {
	if ext == caller.InternalNumber {
		return nil, nil, sipsim.Errorf(sipsim.EINVALID, "A phone cannot call its own internal number")
	}
	callee, err := s.cfg.Phones.PhoneByInternalNumber(ctx, caller.AccountID, ext)
	if err != nil {
		if sipsim.ErrorCode(err) == sipsim.ENOTFOUND {
			return nil, nil, sipsim.Errorf(sipsim.ENOTFOUND, "No phone has internal number %d", ext)
		}
		return nil, nil, err
	}
	if callee.Status != sipsim.PhoneActive {
		return nil, nil, sipsim.Errorf(sipsim.EUNPROCESSABLE, "Phone %d is not active", callee.ID)
	}
	contacts, err := s.cfg.Registrations.Registrations(ctx, callee.ID, s.cfg.Now())
	if err != nil {
		return nil, nil, err
	}
	if len(contacts) == 0 {
		return nil, nil, sipsim.Errorf(sipsim.EUNPROCESSABLE, "Phone %d has no registered device", callee.ID)
	}
	return callee, s.reachable(contacts), nil
}
