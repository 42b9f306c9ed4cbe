package e2e

import (
	"net/http"
	"testing"
	"time"
)

// The per-request options of POST /api/v2/calls: auto_answer and
// caller_id_name change the INVITE the employee's phone gets,
// agent_ring_timeout how long it rings.

// A CRM asking for auto-answer gets an INVITE that desk phones answer by
// themselves, showing the name the CRM gave. The SIPp phone's scenario
// checks the INVITE and logs every difference as an error.
func TestAutoAnswerAsksThePhoneToAnswer(t *testing.T) {
	t.Parallel()
	const name = "Acme Support"
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer_check_autoanswer.xml", Args: []string{"-key", "caller_display", name}},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "500"}},
	})
	c := r.startCallWithOptions(t, map[string]any{"auto_answer": true, "caller_id_name": name})
	assertAnsweredCallWithCheckedInvite(t, r, c.ID)
}

// Without auto_answer the phone rings as usual (no Call-Info, no
// Alert-Info) and shows the number about to be called.
func TestWithoutAutoAnswerThePhoneRingsNormally(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer_check_no_autoanswer.xml", Args: []string{"-key", "caller_display", targetNumber}},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "500"}},
	})
	c := r.startCallWithOptions(t, map[string]any{"auto_answer": false})
	assertAnsweredCallWithCheckedInvite(t, r, c.ID)
}

// assertAnsweredCallWithCheckedInvite checks a call both sides answered
// and the carrier hung up, then the phone SIPp's verdict on the INVITE it
// got.
func assertAnsweredCallWithCheckedInvite(t *testing.T, r *rig, callID string) {
	t.Helper()
	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0 (dialled, answered, hung up)", code)
	}
	got := waitCallEnded(t, r.api, callID, 30*time.Second)
	assertCall(t, got, callWant{
		Status: "completed", Reason: "target_hangup",
		Events: answeredEvents, Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	})
	waitFor(t, 10*time.Second, "the phone to get a BYE", func() (bool, string) {
		return len(r.sipp.received("BYE")) == 1, describeRequests(r.sipp.sippProc)
	})
	if n := len(r.sipp.received("INVITE")); n != 1 {
		t.Errorf("phone got %d INVITEs, want 1", n)
	}
	if code := r.sipp.unregister(); code != 0 {
		t.Errorf("phone SIPp exit code %d after un-REGISTER, want 0", code)
	}
	// A failed check marks the out-of-call call failed but lets it go on,
	// and SIPp's exit code counts only its main call (the registration):
	// the error log is the scenario's verdict on the INVITE.
	if e := r.sipp.errors(); e != "" {
		t.Errorf("the INVITE to the phone failed its scenario's checks:\n%s", e)
	}
}

// agent_ring_timeout, not the server's default, decides when the phone
// stops ringing. The default is set far above the wait below, so a request
// whose value were ignored would still be ringing when the wait gives up.
func TestAgentRingTimeoutPerRequest(t *testing.T) {
	t.Parallel()
	const ringSeconds = 5
	r := newRig(t, rigConfig{
		Server: serverConfig{Flags: []string{"--agent-ring-timeout", "120s"}},
		Phone:  &phoneConfig{OOC: "phone_no_answer.xml"},
	})
	c := r.startCallWithOptions(t, map[string]any{"agent_ring_timeout": ringSeconds})

	got := waitCallEnded(t, r.api, c.ID, 60*time.Second)
	assertCall(t, got, callWant{
		Status: "no_answer", Reason: "agent_no_answer",
		Events:   []string{"call.created", "call.ringing_agent", "call.ended"},
		Statuses: []string{"initiating", "ringing_agent", "no_answer"},
		AgentLeg: "no_answer", AgentCode: 487, TargetLeg: "idle", TargetCode: 0,
	})
	// The leg times are stamped when the server records each step, not when
	// its timer starts, and shown to the millisecond: a few ms either way,
	// hence the 100 ms allowed below the requested ring time.
	if rang := r.agentLegDuration(t, c.ID); rang < ringSeconds*time.Second-100*time.Millisecond {
		t.Errorf("the phone rang %v (agent_leg ended_at - started_at), want at least %ds", rang, ringSeconds)
	}
	waitFor(t, 10*time.Second, "the phone to get CANCEL", func() (bool, string) {
		return len(r.sipp.received("CANCEL")) == 1, describeRequests(r.sipp.sippProc)
	})
}

// A ring time outside 5–300 s is refused in the error envelope, naming the
// field.
func TestAgentRingTimeoutOutOfRangeIsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	code, env := r.api.do(http.MethodPost, "/api/v2/calls",
		map[string]any{"phone_id": r.phone.ID, "target_number": targetNumber, "agent_ring_timeout": 2})
	assertErrorEnvelope(t, code, env, http.StatusBadRequest, "/api/v2/calls", "agent_ring_timeout must be between 5 and 300 seconds")
}

// startCallWithOptions is POST /api/v2/calls for Alice's phone with the
// optional members of the body added (rig.startCall sends only the
// required ones).
func (r *rig) startCallWithOptions(t *testing.T, options map[string]any) callView {
	t.Helper()
	body := map[string]any{"phone_id": r.phone.ID, "target_number": targetNumber}
	for k, v := range options {
		body[k] = v
	}
	var c callView
	r.api.must(http.StatusCreated, http.MethodPost, "/api/v2/calls", body, &c)
	if c.Status != "initiating" || c.PhoneID != r.phone.ID || c.TargetNumber != targetNumber {
		t.Fatalf("POST /api/v2/calls data = status %q phone_id %d target %q; want initiating, %d, %s",
			c.Status, c.PhoneID, c.TargetNumber, r.phone.ID, targetNumber)
	}
	return c
}

// agentLegDuration is how long the agent leg lasted as GET /calls/{id}
// shows it: ended_at - started_at.
func (r *rig) agentLegDuration(t *testing.T, callID string) time.Duration {
	t.Helper()
	var c struct {
		AgentLeg struct {
			StartedAt *string `json:"started_at"`
			EndedAt   *string `json:"ended_at"`
		} `json:"agent_leg"`
	}
	r.api.must(http.StatusOK, http.MethodGet, "/api/v2/calls/"+callID, nil, &c)
	if c.AgentLeg.StartedAt == nil || c.AgentLeg.EndedAt == nil {
		t.Fatalf("agent_leg started_at %v, ended_at %v: both must be set once the call ended", c.AgentLeg.StartedAt, c.AgentLeg.EndedAt)
	}
	started, err := time.Parse(time.RFC3339Nano, *c.AgentLeg.StartedAt)
	if err != nil {
		t.Fatalf("agent_leg.started_at: %v", err)
	}
	ended, err := time.Parse(time.RFC3339Nano, *c.AgentLeg.EndedAt)
	if err != nil {
		t.Fatalf("agent_leg.ended_at: %v", err)
	}
	return ended.Sub(started)
}
