package e2e

import (
	"testing"
	"time"
)

// The numbers of the standard scene: Alice's phone (extension 101) calls a
// customer through the trunk.
const (
	phoneUser     = 101
	phonePassword = "secret-101"
	phoneNumber   = "+33612345678"
	targetNumber  = "+33698765432"
)

// rigConfig chooses the peers around one sipsim server.
type rigConfig struct {
	Server  serverConfig
	Carrier *carrierConfig // nil: nobody listens on the trunk port
	Phone   *phoneConfig   // nil: the phone is created but nothing registers
}

// rig is a server with a token, Alice's phone created through the API and,
// if asked, a registered SIPp phone and a SIPp carrier.
type rig struct {
	srv       *server
	trunkPort int // where the carrier listens
	api       *apiClient
	phone     phoneView
	sipp      *sippPhone
	carrier   *sippProc
}

func newRig(t *testing.T, cfg rigConfig) *rig {
	t.Helper()
	trunkPort := sipPeerPort(t)
	r := &rig{trunkPort: trunkPort}
	if cfg.Carrier != nil {
		cc := *cfg.Carrier
		if cc.Caller == "" {
			cc.Caller = phoneNumber
		}
		if cc.Target == "" {
			cc.Target = targetNumber
		}
		r.carrier = startSIPpCarrier(t, trunkPort, cc)
	}
	cfg.Server.TrunkPort = trunkPort
	r.srv = startServer(t, cfg.Server)
	r.api = newAPIClient(t, r.srv, r.srv.createToken(allScopes))
	r.phone = r.api.createPhone(phoneInput{Name: "Alice", InternalNumber: phoneUser, Number: phoneNumber, SIPPassword: phonePassword})
	if cfg.Phone != nil {
		pc := *cfg.Phone
		if pc.User == 0 {
			pc.User, pc.Password = phoneUser, phonePassword
		}
		r.sipp = startSIPpPhone(t, r.srv, pc)
		waitRegistration(t, r.api, r.phone.ID, "registered", 15*time.Second)
	}
	return r
}

// startCall is POST /api/v2/calls for Alice's phone, checked as the API
// document describes the answer.
func (r *rig) startCall(t *testing.T) callView {
	t.Helper()
	c := r.api.createCall(r.phone.ID, targetNumber)
	if len(c.ID) <= len("call_") || c.ID[:5] != "call_" || c.Status != "initiating" || c.PhoneID != r.phone.ID || c.TargetNumber != targetNumber {
		t.Fatalf("POST /api/v2/calls data = id %q status %q phone_id %d target %q; want call_…, initiating, %d, %s",
			c.ID, c.Status, c.PhoneID, c.TargetNumber, r.phone.ID, targetNumber)
	}
	return c
}
