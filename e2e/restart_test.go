package e2e

import (
	"slices"
	"testing"
	"time"
)

// A crash in the middle of a call must not leave the phone stuck: on the
// next start the call is closed as failed (server_restart) and the phone
// can be called again.
func TestRestartAfterCrashClosesActiveCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server:  serverConfig{Flags: []string{"--agent-ring-timeout", "10s"}},
		Phone:   &phoneConfig{OOC: "phone_no_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	c := r.startCall(t)
	waitCallStatus(t, r.api, c.ID, 15*time.Second, "ringing_agent")
	waitFor(t, 10*time.Second, "the phone to ring", func() (bool, string) {
		return len(r.sipp.received("INVITE")) == 1, describeRequests(r.sipp.sippProc)
	})

	r.srv.kill()
	r.srv.restart()

	got := waitCallEnded(t, r.api, c.ID, 15*time.Second)
	if got.Status != "failed" || got.reason() != "server_restart" {
		t.Errorf("call after restart: %s, want failed/server_restart", describeCall(got))
	}
	wantEvents := []string{"call.created", "call.ringing_agent", "call.ended"}
	if !slices.Equal(got.eventTypes(), wantEvents) {
		t.Errorf("events %v, want %v", got.eventTypes(), wantEvents)
	}
	if want := []string{"initiating", "ringing_agent", "failed"}; !slices.Equal(got.eventStatuses(), want) {
		t.Errorf("event statuses %v, want %v", got.eventStatuses(), want)
	}

	// The registration survived the restart and the phone is free again
	// (another number: the same one again within seconds is refused as a
	// double click).
	next := r.api.createCall(r.phone.ID, "+33698765400")
	waitFor(t, 15*time.Second, "the phone to ring for the new call", func() (bool, string) {
		return len(r.sipp.received("INVITE")) == 2, describeRequests(r.sipp.sippProc)
	})
	got = waitCallEnded(t, r.api, next.ID, 30*time.Second)
	if got.Status != "no_answer" || got.reason() != "agent_no_answer" {
		t.Errorf("call after restart ended %s, want no_answer/agent_no_answer", describeCall(got))
	}
}
