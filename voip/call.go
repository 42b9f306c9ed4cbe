package voip

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/voip/media"
)

// Causes for giving up on a leg ourselves.
var (
	errAgentRingTimeout  = errors.New("agent ring timeout")
	errTargetRingTimeout = errors.New("target ring timeout")
	errAgentLeft         = errors.New("agent hung up while the target rang")
)

// callRun is one click-to-call in the engine: leg A, then leg B, then the
// bridge. It lives for the duration of PlaceCall and owns every goroutine
// it starts.
type callRun struct {
	e        *Engine
	plan     sipsim.CallPlan
	bridge   *media.Bridge
	mu       sync.Mutex // serialises progress reports from forked INVITEs
	progress func(sipsim.CallProgress)
	ringing  bool // agent ringing reported: forks ring together, report once
	answered bool // agent answered: later agent 180s are stale
}

// PlaceCall implements sipsim.Telephony.
func (e *Engine) PlaceCall(ctx context.Context, plan sipsim.CallPlan, progress func(sipsim.CallProgress)) sipsim.CallOutcome {
	br, err := e.cfg.Media.NewBridge(e.log.With("call_id", plan.CallID))
	if err != nil {
		return sipsim.CallOutcome{Status: sipsim.CallFailed, Reason: sipsim.ReasonInternalError, AgentLeg: sipsim.LegIdle, TargetLeg: sipsim.LegIdle, Err: err}
	}
	defer br.Close()
	c := &callRun{e: e, plan: plan, bridge: br, progress: progress}
	return c.run(ctx)
}

func (c *callRun) report(p sipsim.CallProgress) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch p.Kind {
	case sipsim.ProgressAgentRinging:
		if c.answered || c.ringing {
			return
		}
		c.ringing = true
	case sipsim.ProgressAgentAnswered:
		c.answered = true
	}
	c.progress(p)
}

func (c *callRun) run(ctx context.Context) sipsim.CallOutcome {
	agent, out := c.ringAgent(ctx)
	if agent == nil {
		return out
	}
	codec, ok := agent.answer.firstCodec()
	if !ok {
		agent.hangup()
		return sipsim.CallOutcome{Status: sipsim.CallFailed, Reason: sipsim.ReasonCodecMismatch, AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegIdle, AgentCode: 200, Err: errors.New("agent answered without G.711")}
	}
	mc, _ := media.CodecByName(codec.name)
	c.bridge.SetRemote(media.A, agent.answer.addr, mc, agent.answer.dtmfPT)
	if out, ok := c.playPreroll(ctx, agent); !ok {
		return out
	}
	// Asked for during a preroll, the ringback starts when it ends.
	c.bridge.PlayRingback()

	target, out := c.dialTarget(ctx, agent, codec)
	if target == nil {
		agent.hangup()
		return out
	}
	tc, ok := target.answer.firstCodec()
	if !ok || tc.name != codec.name {
		agent.hangup()
		target.hangup()
		return sipsim.CallOutcome{Status: sipsim.CallFailed, Reason: sipsim.ReasonCodecMismatch, AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegCompleted, AgentCode: 200, TargetCode: 200, Err: errors.New("target answered with another codec")}
	}
	c.bridge.SetRemote(media.B, target.answer.addr, mc, target.answer.dtmfPT)
	c.bridge.Connect()
	rec := c.startRecording(ctx)
	c.report(sipsim.CallProgress{Kind: sipsim.ProgressTargetAnswered, SIPCode: 200})
	out = c.talk(ctx, agent, target)
	out.RecordingSeconds = c.finishRecording(rec)
	return out
}

// playPreroll starts the phone's preroll for the employee who just
// answered. With WaitPrerollDial it returns once the preroll has played;
// ok is false, with the outcome, when the employee hung up or the call was
// cancelled meanwhile.
func (c *callRun) playPreroll(ctx context.Context, agent *leg) (sipsim.CallOutcome, bool) {
	if len(c.plan.Preroll) == 0 {
		return sipsim.CallOutcome{}, true
	}
	played := c.bridge.PlayPrompt(c.plan.Preroll)
	if !c.plan.WaitPrerollDial {
		return sipsim.CallOutcome{}, true
	}
	out := sipsim.CallOutcome{Status: sipsim.CallCanceled, AgentLeg: sipsim.LegCompleted, AgentCode: 200, TargetLeg: sipsim.LegIdle}
	select {
	case <-played:
		return sipsim.CallOutcome{}, true
	case <-agent.done():
		out.Reason = sipsim.ReasonAgentHungUpEarly
	case <-ctx.Done():
		agent.hangup()
		out.Reason = cancelReason(ctx)
	}
	return out, false
}

// dialTarget INVITEs the target through the trunk, offering the codec the
// agent answered with (so no transcoding is ever needed), while the agent
// hears ringback or the carrier's early media.
func (c *callRun) dialTarget(ctx context.Context, agent party, codec sdpCodec) (*leg, sipsim.CallOutcome) {
	if !c.e.hasTrunk() {
		return nil, sipsim.CallOutcome{Status: sipsim.CallFailed, Reason: sipsim.ReasonTrunkUnreachable, AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegFailed, AgentCode: 200, Err: errors.New("no trunk configured")}
	}
	dialCtx, cancelDial := context.WithCancelCause(ctx)
	defer cancelDial(nil)
	go func() {
		select {
		case <-agent.done():
			cancelDial(errAgentLeft)
		case <-dialCtx.Done():
		}
	}()
	ringCtx, cancelRing := context.WithTimeoutCause(dialCtx, c.plan.TargetRingTimeout, errTargetRingTimeout)
	defer cancelRing()

	offer := buildOffer(c.e.mediaIP(), c.bridge.LocalPort(media.B), c.e.now().UnixNano(), []sdpCodec{codec})
	var ringingOnce, earlyOnce sync.Once
	mc, _ := media.CodecByName(codec.name)
	c.report(sipsim.CallProgress{Kind: sipsim.ProgressTargetDialing})
	target, err := c.e.invite(ringCtx, c.trunkRequest(c.plan.TargetNumber, "", offer, func(res *sip.Response) {
		if res.StatusCode != 180 && res.StatusCode != 183 {
			return
		}
		ringingOnce.Do(func() {
			c.report(sipsim.CallProgress{Kind: sipsim.ProgressTargetRinging, SIPCode: res.StatusCode})
		})
		if len(res.Body()) == 0 {
			return
		}
		if d, err := parseSDP(res.Body()); err == nil {
			// Early media: the caller hears the carrier's ringback or
			// announcement instead of ours.
			c.bridge.SetRemote(media.B, d.addr, mc, d.dtmfPT)
			earlyOnce.Do(c.bridge.ForwardEarlyMedia)
		}
	}))
	if err != nil {
		return nil, classifyTargetFailure(ctx, context.Cause(ringCtx), err)
	}
	return target, sipsim.CallOutcome{}
}

// talk holds the bridged call until one side hangs up, the media dies, the
// maximum duration passes or the call is cancelled.
func (c *callRun) talk(ctx context.Context, agent, target party) sipsim.CallOutcome {
	out := sipsim.CallOutcome{Status: sipsim.CallCompleted, AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegCompleted, AgentCode: 200, TargetCode: 200}
	maxDur := time.NewTimer(c.plan.MaxDuration)
	defer maxDur.Stop()
	// The media check wakes when the quieter side's silence would reach
	// the timeout, not on a fixed tick: once per timeout per call while
	// audio flows, rather than once a second (with 2,000 calls, 2,000
	// wake-ups a second were 5% of the relay's CPU; bench/media).
	bridged := c.e.now()
	check := time.NewTimer(c.e.cfg.MediaTimeout)
	defer check.Stop()
	for {
		select {
		case <-agent.done():
			target.hangup()
			out.Reason = sipsim.ReasonAgentHangup
			return out
		case <-target.done():
			agent.hangup()
			out.Reason = sipsim.ReasonTargetHangup
			return out
		case <-ctx.Done():
			agent.hangup()
			target.hangup()
			out.Reason = cancelReason(ctx)
			return out
		case <-maxDur.C:
			agent.hangup()
			target.hangup()
			out.Reason = sipsim.ReasonMaxDuration
			return out
		case <-check.C:
			silentUntil := c.mediaDeadline(bridged)
			wait := silentUntil.Sub(c.e.now())
			if wait <= 0 {
				agent.hangup()
				target.hangup()
				out.Reason = sipsim.ReasonMediaTimeout
				return out
			}
			check.Reset(wait)
		}
	}
}

// mediaDeadline is when the call ends for silence if nothing more comes:
// the media timeout after the older of the two sides' last packets (or
// after bridged, for a side silent since the bridge was made).
func (c *callRun) mediaDeadline(bridged time.Time) time.Time {
	oldest := time.Time{}
	for _, side := range []media.Side{media.A, media.B} {
		last := c.bridge.LastReceived(side)
		if last.Before(bridged) {
			last = bridged
		}
		if oldest.IsZero() || last.Before(oldest) {
			oldest = last
		}
	}
	return oldest.Add(c.e.cfg.MediaTimeout)
}

// cancelReason is the end reason carried by a cancelled call context:
// canceled_via_api unless the canceller named another (server_shutdown...).
func cancelReason(ctx context.Context) sipsim.EndReason {
	var r sipsim.EndReason
	if errors.As(context.Cause(ctx), &r) {
		return r
	}
	return sipsim.ReasonCanceledViaAPI
}

// mediaIP is the address put in our SDP.
func (e *Engine) mediaIP() netip.Addr {
	if ip, err := netip.ParseAddr(e.cfg.PublicAddr); err == nil {
		return ip
	}
	return netip.IPv4Unspecified()
}
