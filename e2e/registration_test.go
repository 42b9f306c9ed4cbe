package e2e

import (
	"fmt"
	"testing"
	"time"
)

// The registrar as a phone sees it.

// A wrong password is answered with a fresh challenge every time, never a
// bare 401, and the phone stays unregistered.
func TestRegisterWithWrongPasswordIsChallengedAgain(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	p := startSIPp(t, sippConfig{
		Name:      "phone",
		Scenario:  "phone_register_wrong_password.xml",
		Remote:    r.srv.URLHostSIP(),
		Port:      freePort(t),
		MediaPort: freePorts(t, 4),
		Args:      []string{"-s", "101", "-au", "101", "-ap", "not-the-password", "-m", "1"},
	})
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("SIPp exit code %d, want 0: each wrong answer must get a 401 with WWW-Authenticate", code)
	}
	if got, want := join(p.receivedResponses()), "401|401|401"; got != want {
		t.Errorf("responses %s, want %s", got, want)
	}
	ph := r.api.phone(r.phone.ID)
	if ph.Registration.Status != "unregistered" || ph.Registration.Contacts != 0 {
		t.Errorf("registration = %+v, want unregistered with 0 contacts", ph.Registration)
	}
}

// REGISTER with Expires: 0 removes the binding.
func TestUnregisterFlipsRegistrationStatus(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{Phone: &phoneConfig{OOC: "phone_answer.xml"}})
	ph := r.api.phone(r.phone.ID)
	if ph.Registration.Status != "registered" || ph.Registration.Contacts != 1 {
		t.Fatalf("after REGISTER: registration = %+v, want registered with 1 contact", ph.Registration)
	}
	if code := r.sipp.unregister(); code != 0 {
		t.Fatalf("phone SIPp exit code %d after un-REGISTER, want 0", code)
	}
	ph = waitRegistration(t, r.api, r.phone.ID, "unregistered", 10*time.Second)
	if ph.Registration.Contacts != 0 {
		t.Errorf("after un-REGISTER: contacts = %d, want 0", ph.Registration.Contacts)
	}
}

// A phone behind NAT puts an address nobody can reach in its Via and
// Contact (here 127.0.0.2, where nothing listens). The registrar must answer
// where the REGISTER came from (rport) and ring the phone there (received),
// and the whole call must work over that path.
func TestPhoneBehindNATIsReachedWhereItRegisteredFrom(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone: &phoneConfig{
			OOC:     "phone_answer_hangup.xml",
			NATAddr: fmt.Sprintf("127.0.0.2:%d", freePort(t)),
			Args:    []string{"-d", "1000"},
		},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	c := r.startCall(t)
	// The ACK of the phone's 200 is the first request the server sends
	// inside the dialog: it must go where the phone's answers come from.
	waitFor(t, 15*time.Second, "the phone to get the ACK of its 200", func() (bool, string) {
		return len(r.sipp.received("ACK")) == 1, describeRequests(r.sipp.sippProc)
	})
	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0", code)
	}
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "completed", Reason: "agent_hangup",
		Events: answeredEvents, Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	})
	assertPhoneSawOneInvite(t, r.sipp)
	if code := r.sipp.unregister(); code != 0 {
		t.Errorf("phone SIPp exit code %d after un-REGISTER, want 0", code)
	}
}
