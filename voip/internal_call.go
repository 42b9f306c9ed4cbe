package voip

import (
	"context"
	"strconv"
	"sync"

	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/voip/media"
)

// ringCallee rings every device of the phone an internal call is for, on
// side B of the bridge, offering the caller's codec, until one answers,
// the target ring timeout passes, or the caller hangs up.
func (c *callRun) ringCallee(ctx context.Context, caller party, codec sdpCodec) (*leg, sipsim.CallOutcome) {
	dialCtx, cancelDial := context.WithCancelCause(ctx)
	defer cancelDial(nil)
	go func() {
		select {
		case <-caller.done():
			cancelDial(errAgentLeft)
		case <-dialCtx.Done():
		}
	}()
	ringCtx, cancelRing := context.WithTimeoutCause(dialCtx, c.plan.TargetRingTimeout, errTargetRingTimeout)
	defer cancelRing()

	offer := buildOffer(c.e.mediaIP(), c.bridge.LocalPort(media.B), c.e.now().UnixNano(), []sdpCodec{codec})
	var ringing sync.Once
	c.report(sipsim.CallProgress{Kind: sipsim.ProgressTargetDialing})
	l, _, failures := c.e.fork(ringCtx, c.plan.CalleeContacts, func(reg *sipsim.Registration) legRequest {
		req := c.calleeRequest(reg, offer)
		req.onProvisional = func(res *sip.Response) {
			if res.StatusCode == 180 || res.StatusCode == 183 {
				ringing.Do(func() { c.report(sipsim.CallProgress{Kind: sipsim.ProgressTargetRinging, SIPCode: res.StatusCode}) })
			}
		}
		return req
	})
	if l == nil {
		return nil, classifyTargetFailure(ctx, context.Cause(ringCtx), mostTelling(failures))
	}
	return l, sipsim.CallOutcome{}
}

// calleeRequest INVITEs one device of the called phone. It shows the
// caller's extension and name, as colleagues know each other.
func (c *callRun) calleeRequest(reg *sipsim.Registration, offer []byte) legRequest {
	callee := c.plan.Callee
	var uri sip.Uri
	if err := sip.ParseUri(reg.Contact, &uri); err != nil {
		uri = sip.Uri{Scheme: "sip", User: strconv.Itoa(callee.InternalNumber), Host: reg.Received}
	}
	caller := c.plan.Phone
	return legRequest{
		recipient:   uri,
		destination: reg.Received,
		transport:   reg.Transport,
		from:        sip.FromHeader{DisplayName: caller.Name, Address: sip.Uri{Scheme: "sip", User: strconv.Itoa(caller.InternalNumber), Host: c.e.cfg.PublicAddr}},
		to:          sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: strconv.Itoa(callee.InternalNumber), Host: c.e.cfg.PublicAddr}},
		headers:     []sip.Header{sip.NewHeader("X-Sipsim-Call-Id", c.plan.CallID)},
		sdp:         offer,
	}
}
