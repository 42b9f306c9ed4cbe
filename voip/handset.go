package voip

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/voip/media"
)

// SetHandsetRouter lets phones place calls from their handsets: their
// INVITEs are authenticated and r decides what the number becomes.
// Without a router they get 403. Set it before Listen.
func (e *Engine) SetHandsetRouter(r sipsim.HandsetRouter) { e.handsets = r }

// handleInvite takes a call dialled on a registered phone: authenticate it
// (407), let the use case record and route it, then run it with the handset
// as the agent leg. sipgo gives each request its own goroutine, which this
// call keeps until it ends. INVITEs from the carrier's address are not
// handset calls (see fromTrunk).
func (e *Engine) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	if e.fromTrunk(req) {
		// There is no inbound routing yet. The carrier cannot answer a
		// challenge as a phone, so it gets a plain refusal, not a 407.
		respond(tx, sip.NewResponseFromRequest(req, sip.StatusNotFound, "No Route", nil), e.log)
		return
	}
	if e.handsets == nil {
		respond(tx, sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil), e.log)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	phone, _, res := e.authorize(ctx, req, true)
	if res != nil {
		cancel()
		respond(tx, res, e.log)
		return
	}
	contact := ""
	if h := req.Contact(); h != nil {
		contact = h.Address.String()
	}
	hc, err := e.handsets.StartHandsetCall(ctx, sipsim.HandsetDial{Phone: phone, Dialled: req.Recipient.User, Contact: contact})
	cancel()
	if err != nil {
		res := refusal(req, err)
		e.log.Info("handset call refused", "phone_id", phone.ID, "dialled", req.Recipient.User, "code", res.StatusCode, "err", err)
		respond(tx, res, e.log)
		return
	}
	hc.Finish(e.runHandset(req, tx, hc, contact))
}

// refusal is the SIP answer to a handset call the use case refused. A
// toll-fraud refusal is 403; a rate limit is 503 with Retry-After when the
// wait is known (RFC 3261 21.5.4).
func refusal(req *sip.Request, err error) *sip.Response {
	code, reason := sip.StatusServiceUnavailable, "Service Unavailable"
	switch sipsim.ErrorCode(err) {
	case sipsim.EINVALID:
		code, reason = sip.StatusAddressIncomplete, "Address Incomplete"
	case sipsim.ENOTFOUND:
		code, reason = sip.StatusNotFound, "Not Found"
	case sipsim.EUNPROCESSABLE:
		code, reason = sip.StatusTemporarilyUnavailable, "Temporarily Unavailable"
	case sipsim.ECONFLICT:
		code, reason = sip.StatusBusyHere, "Busy Here"
	case sipsim.EFORBIDDEN:
		code, reason = sip.StatusForbidden, "Forbidden"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if _, wait := sipsim.ErrorRateLimit(err); sipsim.ErrorCode(err) == sipsim.ERATELIMIT && wait > 0 {
		res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds())))))
	}
	return res
}

// inLeg is the handset's side of a call it dialled: a dialog we answer.
type inLeg struct {
	e   *Engine
	dlg *sipgo.DialogServerSession
}

func (l *inLeg) done() <-chan struct{} { return l.dlg.Context().Done() }

func (l *inLeg) hangup() {
	if l.dlg.LoadState() == sip.DialogStateEnded {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.dlg.Bye(ctx); err != nil {
		l.e.log.Debug("bye to handset failed", "err", err)
	}
}

// reject ends the handset's unanswered INVITE with a final answer.
func (l *inLeg) reject(code int, reason string) {
	if err := l.dlg.Respond(code, reason, nil); err != nil {
		l.e.log.Debug("rejecting handset call", "code", code, "err", err)
	}
}

// runHandset runs an accepted handset call: the handset hears ringback
// (183 with our SDP) while the target is dialled, through the trunk or, for
// an internal call, at the other phone's devices; it is answered (200) when
// the target answers, then the call is bridged like a click-to-call.
func (e *Engine) runHandset(req *sip.Request, tx sip.ServerTransaction, hc *sipsim.HandsetCall, contact string) sipsim.CallOutcome {
	failed := func(reason sipsim.EndReason, code int, err error) sipsim.CallOutcome {
		return sipsim.CallOutcome{Status: sipsim.CallFailed, Reason: reason, AgentLeg: sipsim.LegFailed, TargetLeg: sipsim.LegIdle, AgentCode: code, Err: err}
	}
	offer, err := parseSDP(req.Body())
	codec, ok := offer.firstCodec()
	if err != nil || !ok {
		respond(tx, sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil), e.log)
		return failed(sipsim.ReasonCodecMismatch, sip.StatusNotAcceptableHere, errors.New("handset offered no G.711"))
	}
	ua := e.uas
	if req.Transport() == "TCP" {
		ua = e.uasTCP
	}
	dlg, err := ua.ReadInvite(req, tx)
	if err != nil {
		respond(tx, sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil), e.log)
		return failed(sipsim.ReasonAgentFailed, sip.StatusBadRequest, err)
	}
	e.inbound.Store(dlg.ID, dlg)
	defer e.inbound.Delete(dlg.ID)
	handset := &inLeg{e: e, dlg: dlg}
	br, err := e.cfg.Media.NewBridge(e.log.With("call_id", hc.Plan.CallID))
	if err != nil {
		handset.reject(sip.StatusServiceUnavailable, "Service Unavailable")
		return failed(sipsim.ReasonInternalError, sip.StatusServiceUnavailable, err)
	}
	defer br.Close()
	c := &callRun{e: e, plan: hc.Plan, bridge: br, progress: hc.Progress}
	ctx := hc.Ctx

	// The handset placed the call: its leg is connected from the start.
	c.report(sipsim.CallProgress{Kind: sipsim.ProgressAgentAnswered, Contact: contact, SIPCode: 200, AnsweredBy: sipsim.AnsweredByPhone})
	mc, _ := media.CodecByName(codec.name)
	br.SetRemote(media.A, offer.addr, mc, offer.dtmfPT)
	answer := buildAnswer(e.mediaIP(), br.LocalPort(media.A), e.now().UnixNano(), codec, offer.dtmfPT)
	// Early media: the handset plays what we send before the answer, so
	// it hears our ringback or the carrier's announcements.
	if err := dlg.Respond(sip.StatusSessionInProgress, "Session Progress", answer, sip.NewHeader("Content-Type", "application/sdp")); err != nil {
		return handsetLeft(err)
	}
	br.PlayRingback()

	var target *leg
	var out sipsim.CallOutcome
	if hc.Plan.Callee != nil {
		target, out = c.ringCallee(ctx, handset, codec)
	} else {
		target, out = c.dialTarget(ctx, handset, codec)
	}
	if target == nil {
		if out.Reason != sipsim.ReasonAgentHungUpEarly {
			handset.reject(handsetCode(out))
		}
		out.AgentLeg, out.AgentCode = sipsim.LegCompleted, 200
		return out
	}
	tc, ok := target.answer.firstCodec()
	if !ok || tc.name != codec.name {
		target.hangup()
		handset.reject(sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return sipsim.CallOutcome{Status: sipsim.CallFailed, Reason: sipsim.ReasonCodecMismatch, AgentLeg: sipsim.LegFailed, TargetLeg: sipsim.LegCompleted,
			AgentCode: sip.StatusNotAcceptableHere, TargetCode: 200, Err: errors.New("target answered with another codec")}
	}
	br.SetRemote(media.B, target.answer.addr, mc, target.answer.dtmfPT)
	// RespondSDP returns once the handset ACKs the 200.
	if err := dlg.RespondSDP(answer); err != nil {
		target.hangup()
		out := handsetLeft(err)
		out.TargetLeg, out.TargetCode = sipsim.LegCompleted, 200
		return out
	}
	br.Connect()
	rec := c.startRecording(ctx)
	c.report(sipsim.CallProgress{Kind: sipsim.ProgressTargetAnswered, SIPCode: 200})
	out = c.talk(ctx, handset, target)
	out.RecordingSeconds = c.finishRecording(rec)
	return out
}

// handsetLeft is the outcome when the handset hung up (CANCEL) before the
// call was connected.
func handsetLeft(err error) sipsim.CallOutcome {
	return sipsim.CallOutcome{Status: sipsim.CallCanceled, Reason: sipsim.ReasonAgentHungUpEarly, AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegIdle, AgentCode: 200, Err: err}
}

// handsetCode is the final answer a handset gets when its target was not
// reached: the target's own refusal when there was one.
func handsetCode(out sipsim.CallOutcome) (int, string) {
	switch {
	case out.Status == sipsim.CallCanceled:
		return sip.StatusRequestTerminated, "Request Terminated"
	case out.TargetCode >= 400 && out.TargetCode != sip.StatusRequestTerminated:
		return out.TargetCode, "Target Refused"
	case out.Status == sipsim.CallNoAnswer:
		return sip.StatusTemporarilyUnavailable, "No Answer"
	}
	return sip.StatusServiceUnavailable, "Service Unavailable"
}
