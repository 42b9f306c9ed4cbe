package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Extension 101 in two accounts: account A's is a SIPp phone registered
// at the server's address, tenant B's is baresip registered in B's SIP
// domain (through the server as outbound proxy). B's click-to-call rings
// B's 101 and goes out under B's number; A's 101 never rings.
func TestTenantPhonesRegisterInTheirOwnDomain(t *testing.T) {
	t.Parallel()
	requirePeers(t, "baresip", "sipp")
	const (
		domain  = "b.sip.example.com"
		bNumber = "+33612340101"
		bSecret = "tenant-b-secret-101"
		bTarget = "+33698765432"
	)
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Caller: bNumber, Target: bTarget, Args: []string{"-d", "1000"}},
	})
	bID := r.srv.admin("account", "create", "--name", "Tenant B", "--sip-domain", domain, "--country", "FR")
	b := newAPIClient(t, r.srv, r.srv.admin("token", "create", "--account", bID, "--scopes", allScopes))
	var phone phoneView
	b.must(http.StatusCreated, http.MethodPost, "/api/v2/phones",
		phoneInput{Name: "B desk", InternalNumber: phoneUser, Number: bNumber, SIPPassword: bSecret}, &phone)
	if phone.SIPDomain != domain {
		t.Errorf("tenant phone's sip_domain = %q, want %s", phone.SIPDomain, domain)
	}
	startBaresip(t, baresipConfig{
		Name:   "tenant-phone",
		Port:   sipPeerPort(t),
		ToneHz: phoneToneHz,
		Account: fmt.Sprintf(`<sip:%d@%s;transport=udp>;auth_pass=%s;outbound="sip:127.0.0.1:%d;transport=udp";answermode=auto;regint=3600;audio_codecs=PCMU,PCMA`,
			phoneUser, domain, bSecret, r.srv.SIPPort),
		Seconds: 60,
	})
	waitRegistration(t, b, phone.ID, "registered", 20*time.Second)
	if a := r.api.phone(r.phone.ID); a.Registration.Contacts != 1 {
		t.Errorf("account A's 101 has %d contacts, want only its SIPp phone", a.Registration.Contacts)
	}

	c := b.createCall(phone.ID, bTarget)
	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d: it did not see tenant B's number %s", code, bNumber)
	}
	if got := waitCallEnded(t, b, c.ID, 30*time.Second); got.Status != "completed" || got.CallerID != bNumber {
		t.Errorf("tenant B's call: %s under %s, want completed under %s", describeCall(got), got.CallerID, bNumber)
	}
	if n := len(r.sipp.received("INVITE")); n != 0 {
		t.Errorf("account A's 101 got %d INVITEs for tenant B's call", n)
	}
	if status, _ := r.api.do(http.MethodGet, "/api/v2/calls/"+c.ID, nil); status != http.StatusNotFound {
		t.Errorf("account A reads tenant B's call: %d, want 404", status)
	}
}
