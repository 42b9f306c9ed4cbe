package voip

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/voip/media"
)

// ringAgent rings the employee: the phone's registered devices, or, with
// forwarding, its forward number through the trunk (at once for forced
// forwarding or when nothing is registered, after ForwardAfter for
// conditional forwarding).
func (c *callRun) ringAgent(ctx context.Context) (*leg, sipsim.CallOutcome) {
	c.report(sipsim.CallProgress{Kind: sipsim.ProgressAgentDialing})
	if c.plan.ForwardTo == "" {
		return c.ringPhone(ctx, c.plan.AgentRingTimeout)
	}
	if c.plan.ForwardAfter > 0 && len(c.plan.Contacts) > 0 {
		l, out := c.ringPhone(ctx, c.plan.ForwardAfter)
		if l != nil || !forwardable(ctx, out) {
			return l, out
		}
	}
	return c.ringForward(ctx)
}

// forwardable says whether conditional forwarding applies after the phone
// failed to answer: it did not answer in time, was busy or unreachable.
// An employee who declined, or a call cancelled meanwhile, is not
// forwarded.
func forwardable(ctx context.Context, out sipsim.CallOutcome) bool {
	return ctx.Err() == nil && out.Reason != sipsim.ReasonAgentDeclined
}

// agentOffer is the SDP offered to the employee: both G.711 laws, on side
// A of the bridge.
func (c *callRun) agentOffer() []byte {
	return buildOffer(c.e.mediaIP(), c.bridge.LocalPort(media.A), c.e.now().UnixNano(),
		[]sdpCodec{staticPT[0], staticPT[8]})
}

// ringPhone INVITEs every registered contact of the phone at once for up to
// timeout; the first to answer wins and the others are cancelled.
func (c *callRun) ringPhone(ctx context.Context, timeout time.Duration) (*leg, sipsim.CallOutcome) {
	ringCtx, cancel := context.WithTimeoutCause(ctx, timeout, errAgentRingTimeout)
	defer cancel()
	offer := c.agentOffer()
	l, contact, failures := c.e.fork(ringCtx, c.plan.Contacts, func(reg *sipsim.Registration) legRequest {
		return c.agentRequest(reg, offer)
	})
	if l == nil {
		return nil, classifyAgentFailure(ctx, context.Cause(ringCtx), failures)
	}
	c.report(sipsim.CallProgress{Kind: sipsim.ProgressAgentAnswered, Contact: contact, SIPCode: 200, AnsweredBy: sipsim.AnsweredByPhone})
	return l, sipsim.CallOutcome{}
}

// ringForward rings the phone's forward number through the trunk for the
// agent ring timeout. The forward number sees the phone's caller ID, with
// the name or number of the target as display name, so the employee's
// mobile shows whom the call is for.
func (c *callRun) ringForward(ctx context.Context) (*leg, sipsim.CallOutcome) {
	c.report(sipsim.CallProgress{Kind: sipsim.ProgressAgentForwarded, ForwardTo: c.plan.ForwardTo})
	if !c.e.hasTrunk() {
		return nil, sipsim.CallOutcome{Status: sipsim.CallFailed, Reason: sipsim.ReasonAgentUnreachable, AgentLeg: sipsim.LegFailed, TargetLeg: sipsim.LegIdle,
			Err: errors.New("forwarding needs a trunk and none is configured")}
	}
	ringCtx, cancel := context.WithTimeoutCause(ctx, c.plan.AgentRingTimeout, errAgentRingTimeout)
	defer cancel()
	req := c.trunkRequest(c.plan.ForwardTo, c.agentDisplay(), c.agentOffer(), func(res *sip.Response) {
		if res.StatusCode == 180 || res.StatusCode == 183 {
			c.report(sipsim.CallProgress{Kind: sipsim.ProgressAgentRinging, SIPCode: res.StatusCode})
		}
	})
	l, err := c.e.invite(ringCtx, req)
	if err != nil {
		return nil, classifyAgentFailure(ctx, context.Cause(ringCtx), []error{err})
	}
	c.report(sipsim.CallProgress{Kind: sipsim.ProgressAgentAnswered, Contact: req.recipient.String(), SIPCode: 200, AnsweredBy: sipsim.AnsweredByForward})
	return l, sipsim.CallOutcome{}
}

// agentDisplay is what the employee's device shows as the caller: the name
// the CRM gave, else the number about to be called.
func (c *callRun) agentDisplay() string {
	if c.plan.CallerIDName != "" {
		return c.plan.CallerIDName
	}
	return c.plan.TargetNumber
}

func (c *callRun) agentRequest(reg *sipsim.Registration, offer []byte) legRequest {
	var uri sip.Uri
	if err := sip.ParseUri(reg.Contact, &uri); err != nil {
		// Stored contacts were parsed at REGISTER time; fall back to the
		// address the phone registered from.
		uri = sip.Uri{Scheme: "sip", User: strconv.Itoa(c.plan.Phone.InternalNumber), Host: reg.Received}
	}
	target := c.plan.TargetNumber
	headers := []sip.Header{sip.NewHeader("X-Sipsim-Call-Id", c.plan.CallID)}
	if c.plan.AutoAnswer {
		// Two spellings, because desk phones disagree: Call-Info
		// answer-after (RFC 5373 style, Snom, Cisco, Grandstream, baresip's
		// auto-answer mode) and Alert-Info info=alert-autoanswer (Yealink,
		// Polycom, Fanvil).
		headers = append(headers,
			sip.NewHeader("Call-Info", "<sip:"+c.e.cfg.PublicAddr+">;answer-after=0"),
			sip.NewHeader("Alert-Info", "<http://sipsim.invalid/autoanswer>;info=alert-autoanswer;delay=0"))
	}
	return legRequest{
		recipient:   uri,
		destination: reg.Received,
		transport:   reg.Transport,
		from:        sip.FromHeader{DisplayName: c.agentDisplay(), Address: sip.Uri{Scheme: "sip", User: target, Host: c.e.cfg.PublicAddr}},
		to:          sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: strconv.Itoa(c.plan.Phone.InternalNumber), Host: c.e.cfg.PublicAddr}},
		headers:     headers,
		sdp:         offer,
		onProvisional: func(res *sip.Response) {
			if res.StatusCode == 180 || res.StatusCode == 183 {
				c.report(sipsim.CallProgress{Kind: sipsim.ProgressAgentRinging, SIPCode: res.StatusCode})
			}
		},
	}
}
