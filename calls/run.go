package calls

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// step is one change to record: a progress report or the final outcome.
type step struct {
	progress *sipsim.CallProgress
	outcome  *sipsim.CallOutcome
}

// start runs a click-to-call in the background through the telephony
// engine.
func (s *Service) start(c *sipsim.Call, plan sipsim.CallPlan) {
	ctx, progress, finish := s.begin(c)
	s.place(ctx, plan, progress, finish)
}

// place runs plan, a call begun with begin, through the telephony engine
// in the background.
func (s *Service) place(ctx context.Context, plan sipsim.CallPlan, progress func(sipsim.CallProgress), finish func(sipsim.CallOutcome)) {
	// The phone's setting decides, whoever built the plan.
	plan.Record = plan.Phone != nil && plan.Phone.RecordSetting.RecordOutboundCall
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		finish(s.cfg.Telephony.PlaceCall(ctx, plan, progress))
	}()
}

// notPlaced is the outcome of a call hung up before anything rang.
func notPlaced(reason sipsim.EndReason) sipsim.CallOutcome {
	return sipsim.CallOutcome{Status: sipsim.CallCanceled, Reason: reason, AgentLeg: sipsim.LegIdle, TargetLeg: sipsim.LegIdle}
}

// causeReason is the end reason a call's cancelled context carries, as the
// engine reads it: canceled_via_api unless the canceller named another.
func causeReason(ctx context.Context) sipsim.EndReason {
	var r sipsim.EndReason
	if errors.As(context.Cause(ctx), &r) {
		return r
	}
	return sipsim.ReasonCanceledViaAPI
}

// begin makes c a running call: the returned context ends it (API hangup,
// shutdown), progress and finish feed a recorder goroutine that persists
// the steps in order, so a slow database never delays SIP signalling
// (post-dial delay). finish must be called once, after the last progress.
//
// Once the store refuses a step because the call is no longer this
// node's (another node closed it as node_lost while this one could not
// heartbeat, see fence.go), the recorder hangs the call up and stores
// nothing more of it: the other node's record is the call's one end.
func (s *Service) begin(c *sipsim.Call) (context.Context, func(sipsim.CallProgress), func(sipsim.CallOutcome)) {
	ctx, cancel := context.WithCancelCause(s.ctx)
	rc := &runningCall{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.running[c.ID] = rc
	s.mu.Unlock()

	steps := make(chan step, 16)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, c.ID)
			s.changedLocked()
			s.mu.Unlock()
			cancel(nil)
			close(rc.done)
		}()
		ours := true
		var held *step // taken from steps while gathering details, not yet recorded
		for {
			var st step
			if held != nil {
				st, held = *held, nil
			} else if next, ok := <-steps; ok {
				st = next
			} else {
				break
			}
			var details []step
			details, held = queuedDetails(st, steps)
			if ours && !s.record(c, st, details) {
				ours = false
				s.log.Warn("another node closed this call as node_lost while this node could not heartbeat: hanging it up, its record stands",
					"call_id", c.ID, "phone_id", c.PhoneID, "node_id", s.cfg.Node.ID)
				cancel(sipsim.ReasonNodeLost)
			}
		}
	}()
	progress := func(p sipsim.CallProgress) { steps <- step{progress: &p} }
	var once sync.Once
	finish := func(o sipsim.CallOutcome) {
		once.Do(func() {
			steps <- step{outcome: &o}
			close(steps)
		})
	}
	return ctx, progress, finish
}

// queuedDetails takes, without waiting, the eventless steps queued right
// behind st: they are stored in st's write. A call's seven steps were
// seven writes; the agent's 180 (right after its INVITE went out) and the
// target being dialled (as the agent answers) are almost always queued
// by the time the step before them is stored. It returns, as held, the
// first step it took that is not a detail. An outcome is never merged:
// it is the last step.
func queuedDetails(st step, steps <-chan step) (details []step, held *step) {
	if st.outcome != nil {
		return nil, nil
	}
	for {
		select {
		case next, ok := <-steps:
			if !ok {
				return details, nil
			}
			if !eventless(next) {
				return details, &next
			}
			details = append(details, next)
		default:
			return details, nil
		}
	}
}

// eventless reports whether apply returns no event for st: a step that
// only fills in a detail of the call. TestEventlessStepsAreThoseWithoutEvents
// keeps it and apply in agreement.
func eventless(st step) bool {
	if st.progress == nil {
		return false
	}
	switch st.progress.Kind {
	case sipsim.ProgressAgentRinging, sipsim.ProgressTargetDialing:
		return true
	}
	return false
}

// record applies one step to the call, then the eventless details queued
// behind it, and stores them in one write with the step's event. A
// failed write is logged and the next step still applies: the final
// outcome must reach the database even if an intermediate write failed;
// a final outcome that could not be stored is kept and stored again once
// the node can write (see fence.go, unstored_end.go). record reports
// false when the store refused the write because the call is no longer
// on this node.
func (s *Service) record(c *sipsim.Call, st step, details []step) bool {
	now := s.cfg.Now()
	ev := apply(c, st, now)
	for _, d := range details {
		apply(c, d, now)
	}
	c.UpdatedAt = now
	// Not the caller's context: a call must be recorded even after the HTTP
	// request that started it has finished.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ev != nil {
		ev.Call = snapshot(c)
	}
	err := s.cfg.Calls.UpdateCall(ctx, c, ev)
	switch {
	case sipsim.ErrorCode(err) == sipsim.ECONFLICT:
		return false
	case err != nil:
		s.log.Error("storing call step failed", "call_id", c.ID, "err", err)
	case ev != nil:
		s.publish(ev)
	}
	if st.outcome == nil {
		return true
	}
	if s.cfg.CallEnded != nil {
		s.cfg.CallEnded(c.Status, c.EndedReason)
	}
	switch {
	case err != nil:
		s.keepUnrecorded(c, ev)
	case c.HasRecording:
		s.recordingReady(ctx, c, now)
	}
	attrs := []any{"call_id", c.ID, "phone_id", c.PhoneID, "status", c.Status, "reason", c.EndedReason,
		"agent_code", c.AgentLeg.SIPCode, "target_code", c.TargetLeg.SIPCode}
	if st.outcome.Err != nil {
		attrs = append(attrs, "cause", st.outcome.Err.Error())
	}
	s.log.Info("call ended", attrs...)
	return true
}

// apply changes c for a step and returns the event to store with it (nil
// when the step changes a detail but is not an event of its own).
func apply(c *sipsim.Call, st step, now time.Time) *sipsim.CallEvent {
	event := func(typ string) *sipsim.CallEvent {
		return &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: typ, Status: c.Status, At: now}
	}
	if o := st.outcome; o != nil {
		c.Status = o.Status
		if o.Reason == sipsim.ReasonNodeLost {
			// Hung up because the node lost the database (fence.go):
			// stored as a sweeper on another node would store it.
			c.Status = sipsim.CallFailed
		}
		c.EndedReason = o.Reason
		c.EndedAt = &now
		finishLeg(&c.AgentLeg, o.AgentLeg, o.AgentCode, now)
		finishLeg(&c.TargetLeg, o.TargetLeg, o.TargetCode, now)
		if o.RecordingSeconds > 0 {
			c.HasRecording = true
			c.RecordingDuration = o.RecordingSeconds
		}
		return event(sipsim.EventCallEnded)
	}
	p := st.progress
	switch p.Kind {
	case sipsim.ProgressAgentDialing:
		c.Status = sipsim.CallRingingAgent
		c.AgentLeg.Status = sipsim.LegDialing
		c.AgentLeg.StartedAt = &now
		return event(sipsim.EventCallRingingAgent)
	case sipsim.ProgressAgentRinging:
		if c.AgentLeg.RingingAt == nil {
			c.AgentLeg.Status = sipsim.LegRinging
			c.AgentLeg.RingingAt = &now
		}
		return nil
	case sipsim.ProgressAgentForwarded:
		c.AgentLeg.ForwardedTo = p.ForwardTo
		if c.AgentLeg.StartedAt == nil {
			c.AgentLeg.StartedAt = &now
		}
		return event(sipsim.EventCallAgentForwarded)
	case sipsim.ProgressAgentAnswered:
		// The target is dialled the moment the agent answers.
		c.Status = sipsim.CallDialingTarget
		c.AgentLeg.Status = sipsim.LegAnswered
		c.AgentLeg.SIPCode = p.SIPCode
		c.AgentLeg.Contact = p.Contact
		c.AgentLeg.AnsweredBy = p.AnsweredBy
		if c.AgentLeg.StartedAt == nil { // a handset call: its leg starts answered
			c.AgentLeg.StartedAt = &now
		}
		c.AgentLeg.AnsweredAt = &now
		return event(sipsim.EventCallAgentAnswered)
	case sipsim.ProgressTargetDialing:
		c.TargetLeg.Status = sipsim.LegDialing
		c.TargetLeg.StartedAt = &now
		return nil
	case sipsim.ProgressTargetRinging:
		c.TargetLeg.Status = sipsim.LegRinging
		c.TargetLeg.RingingAt = &now
		return event(sipsim.EventCallTargetRinging)
	case sipsim.ProgressTargetAnswered:
		c.Status = sipsim.CallInProgress
		c.TargetLeg.Status = sipsim.LegAnswered
		c.TargetLeg.SIPCode = p.SIPCode
		c.TargetLeg.AnsweredAt = &now
		c.AnsweredAt = &now
		return event(sipsim.EventCallAnswered)
	}
	return nil
}

func finishLeg(l *sipsim.Leg, status sipsim.LegStatus, code int, now time.Time) {
	if status == "" || status == sipsim.LegIdle {
		if l.Status == "" {
			l.Status = sipsim.LegIdle
		}
		return
	}
	l.Status = status
	if code != 0 {
		l.SIPCode = code
	}
	l.EndedAt = &now
}

// recordingReady announces a stored recording, after call.ended so that
// a consumer sees the call over before its recording.
func (s *Service) recordingReady(ctx context.Context, c *sipsim.Call, now time.Time) {
	ev := &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: sipsim.EventRecordingReady, Status: c.Status, At: now, Call: snapshot(c)}
	if err := s.cfg.Calls.UpdateCall(ctx, c, ev); err != nil {
		s.log.Error("storing recording.ready failed", "call_id", c.ID, "err", err)
		return
	}
	s.publish(ev)
}
