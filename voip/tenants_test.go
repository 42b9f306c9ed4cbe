package voip

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
)

// registerIn sends REGISTER for user@domain to the engine (a phone whose
// account's SIP domain is not the server's address, sent there by its
// outbound proxy setting) and answers the challenge with password.
func (p *peer) registerIn(engine *Engine, user, domain, password string) (*sip.Response, string) {
	p.t.Helper()
	aor := sip.Uri{Scheme: "sip", User: user, Host: domain}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: domain})
	req.SetDestination("127.0.0.1:" + strconv.Itoa(engine.Port()))
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: p.port}})
	req.AppendHeader(sip.NewHeader("Expires", "3600"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("register: %v", err)
	}
	realm := ""
	if h := res.GetHeader("WWW-Authenticate"); h != nil {
		if m := regexp.MustCompile(`realm="([^"]*)"`).FindStringSubmatch(h.Value()); m != nil {
			realm = m[1]
		}
	}
	if res.StatusCode != 401 {
		return res, realm
	}
	res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	if err != nil {
		p.t.Fatalf("register with auth: %v", err)
	}
	return res, realm
}

// Two accounts each have an extension 101: a phone registering in Acme's
// SIP domain is challenged in Acme's realm and becomes Acme's 101, and a
// click-to-call from Acme rings it, not the default account's 101.
func TestIntegrationEachAccountHasItsOwnSIPDomain(t *testing.T) {
	carrier := newPeer(t, hangsUpAfter(300*time.Millisecond))
	te := startEngine(t, "sip:127.0.0.1:"+itoa(carrier.port))
	acme := &sipsim.Account{Name: "Acme", SIPDomain: "acme.sip.test", Country: "FR"}
	if err := te.db.CreateAccount(t.Context(), acme); err != nil {
		t.Fatal(err)
	}
	md5, sha := sipsim.DigestHA1("101", acme.SIPDomain, "acme-secret-101")
	acmePhone := &sipsim.Phone{AccountID: acme.ID, Name: "Acme desk", Status: sipsim.PhoneActive, InternalNumber: 101,
		Number: "+33612340101", SIPRealm: acme.SIPDomain, SIPHA1MD5: md5, SIPHA1SHA256: sha}
	if err := te.db.CreatePhone(t.Context(), acmePhone); err != nil {
		t.Fatal(err)
	}

	defaultDesk, acmeDesk := newPeer(t, answers), newPeer(t, answers)
	if res := defaultDesk.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("default account's 101: %s", res.StartLine())
	}
	// The default account's password does not open Acme's 101.
	if res, realm := acmeDesk.registerIn(te.e, "101", acme.SIPDomain, "secret-101"); res.StatusCode != 401 || realm != acme.SIPDomain {
		t.Fatalf("Acme's 101 with the other account's password: %s in realm %q, want 401 in %s", res.StartLine(), realm, acme.SIPDomain)
	}
	if res, _ := acmeDesk.registerIn(te.e, "101", acme.SIPDomain, "acme-secret-101"); res.StatusCode != 200 {
		t.Fatalf("Acme's 101: %s", res.StartLine())
	}
	regs, err := te.db.Registrations(t.Context(), acmePhone.ID, time.Now())
	if err != nil || len(regs) != 1 || regs[0].AccountID != acme.ID {
		t.Fatalf("Acme's bindings = %+v, %v; want one, in Acme", regs, err)
	}
	if n := len(te.contacts(t)); n != 1 {
		t.Fatalf("the default account's 101 has %d bindings, want its own one", n)
	}

	plan := sipsim.CallPlan{CallID: "call_acme", Phone: acmePhone, Contacts: regs, TargetNumber: "+33698765432",
		CallerID: acmePhone.Number, AgentRingTimeout: 5 * time.Second, TargetRingTimeout: 5 * time.Second, MaxDuration: time.Minute}
	if out := te.e.PlaceCall(t.Context(), plan, func(sipsim.CallProgress) {}); out.Status != sipsim.CallCompleted {
		t.Fatalf("Acme's call: %+v", out)
	}
	if n, _, _ := acmeDesk.counts(); n != 1 {
		t.Errorf("Acme's desk got %d INVITEs, want 1", n)
	}
	if n, _, _ := defaultDesk.counts(); n != 0 {
		t.Errorf("the default account's desk got %d INVITEs for Acme's call", n)
	}
}
