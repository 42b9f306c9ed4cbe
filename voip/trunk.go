package voip

import "github.com/emiago/sipgo/sip"

// trunkRequest builds an INVITE to number through the carrier trunk,
// presenting the plan's caller ID in From and P-Asserted-Identity (carriers
// accept only numbers the customer owns there). display, when set, is the
// From display name. Used for the target and for a forwarded agent leg.
func (c *callRun) trunkRequest(number, display string, offer []byte, onProvisional func(*sip.Response)) legRequest {
	trunk := c.e.trunk
	transport := "udp"
	if trunk.UriParams != nil {
		if t, ok := trunk.UriParams.Get("transport"); ok && t != "" {
			transport = t
		}
	}
	caller := sip.Uri{Scheme: "sip", User: c.plan.CallerID, Host: c.e.cfg.PublicAddr}
	return legRequest{
		recipient: sip.Uri{Scheme: "sip", User: number, Host: trunk.Host, Port: trunk.Port, UriParams: trunk.UriParams},
		transport: transport,
		from:      sip.FromHeader{DisplayName: display, Address: caller},
		to:        sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: trunk.Host}},
		headers: []sip.Header{
			sip.NewHeader("P-Asserted-Identity", "<"+caller.String()+">"),
			sip.NewHeader("X-Sipsim-Call-Id", c.plan.CallID),
		},
		sdp:           offer,
		username:      c.e.cfg.TrunkUsername,
		password:      c.e.cfg.TrunkPassword,
		onProvisional: onProvisional,
	}
}

// hasTrunk reports whether calls can leave through a carrier.
func (e *Engine) hasTrunk() bool { return e.trunk.Host != "" }
