package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// What POST /api/v2/calls answers before anything rings.

func TestCallToUnregisteredPhoneIsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	code, env := r.api.do(http.MethodPost, "/api/v2/calls", callInput{PhoneID: r.phone.ID, TargetNumber: targetNumber})
	assertErrorEnvelope(t, code, env, http.StatusUnprocessableEntity, "/api/v2/calls", "")
}

// One active call per phone holds under concurrency: of 50 simultaneous
// POSTs exactly one is accepted, and the phone rings once. Each asks for
// another number, so that what refuses them is the busy phone, not the
// double-click guard; every refusal names the accepted call.
func TestConcurrentCallsForOnePhone(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server:  serverConfig{Flags: []string{"--agent-ring-timeout", "5s"}},
		Phone:   &phoneConfig{OOC: "phone_no_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})

	const n = 50
	type answer struct {
		code int
		env  envelope
		err  error
	}
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			target := fmt.Sprintf("+336987654%02d", i)
			code, env, err := r.api.send(http.MethodPost, "/api/v2/calls", callInput{PhoneID: r.phone.ID, TargetNumber: target})
			answers[i] = answer{code, env, err}
		}()
	}
	close(start)
	wg.Wait()

	var created []envelope
	var refused []envelope
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("POST %d: %v", i, a.err)
		case a.code == http.StatusCreated:
			created = append(created, a.env)
		default:
			assertErrorEnvelope(t, a.code, a.env, http.StatusConflict, "/api/v2/calls", "Phone is currently on another call")
			refused = append(refused, a.env)
		}
	}
	if len(created) != 1 {
		t.Fatalf("%d POSTs answered 201, want exactly 1", len(created))
	}
	var c callView
	mustUnmarshal(t, created[0].Data, &c)
	for _, env := range refused {
		if env.CallID != c.ID {
			t.Errorf("409 call_id = %q, want the accepted call %s", env.CallID, c.ID)
		}
	}

	// The accepted call rings the phone, which never answers: when it is
	// over, the phone must have seen exactly one INVITE.
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	if got.Status != "no_answer" || got.reason() != "agent_no_answer" {
		t.Errorf("accepted call ended %s/%s, want no_answer/agent_no_answer", got.Status, got.reason())
	}
	waitFor(t, 10*time.Second, "the phone to get CANCEL", func() (bool, string) {
		return len(r.sipp.received("CANCEL")) >= 1, describeRequests(r.sipp.sippProc)
	})
	if n := len(r.sipp.received("INVITE")); n != 1 {
		t.Errorf("phone got %d INVITEs, want 1", n)
	}
}
