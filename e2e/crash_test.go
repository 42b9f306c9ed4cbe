package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// kill -9 while a call is answered and tagged: after the restart no call
// is left active, the call has exactly one final record (failed /
// server_restart, one call.ended after the events stored before the
// crash), everything committed before the crash is there (the tag, the
// call's timeline and its tag), and the phone takes calls again.
// TestRestartAfterCrashClosesActiveCall does the same for a ringing call.
func TestCrashDuringAnsweredCallLosesNothingCommitted(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	var tag tagView
	r.api.must(http.StatusCreated, http.MethodPost, "/api/v2/tags", map[string]string{"name": "before-crash"}, &tag)
	c := r.startCall(t)
	waitCallStatus(t, r.api, c.ID, 20*time.Second, "in_progress")
	r.api.must(http.StatusOK, http.MethodPost, "/api/v2/calls/"+c.ID+"/tags", map[string]string{"name": "before-crash"}, nil)
	before := r.api.call(c.ID)

	r.srv.kill()
	r.srv.restart()

	final := waitCallEnded(t, r.api, c.ID, 15*time.Second)
	if final.Status != "failed" || final.reason() != "server_restart" {
		t.Errorf("call after the crash: %s, want failed/server_restart", describeCall(final))
	}
	if n := len(final.Events); n != len(before.Events)+1 || !slices.Equal(final.Events[:n-1], before.Events) || final.Events[n-1].Type != "call.ended" {
		t.Errorf("timeline before the crash %v, after %v: want the same events and one call.ended", before.eventTypes(), final.eventTypes())
	}
	if len(final.Tags) != 1 || final.Tags[0].ID != tag.ID {
		t.Errorf("tags of the call after the crash: %+v, want %q", final.Tags, tag.Name)
	}
	var active []callView
	r.api.must(http.StatusOK, http.MethodGet, "/api/v2/calls?status=initiating,ringing_agent,dialing_target,in_progress", nil, &active)
	if len(active) != 0 {
		t.Errorf("active calls after the restart: %d, want none (%s)", len(active), describeCall(active[0]))
	}
	var tags []tagView
	r.api.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v2/tags/%d", tag.ID), nil, nil)
	r.api.must(http.StatusOK, http.MethodGet, "/api/v2/tags", nil, &tags)
	if len(tags) != 1 || tags[0].Name != "before-crash" {
		t.Errorf("tags after the crash: %+v", tags)
	}

	// Free: another call rings it (another number, or it is a double click).
	r.api.createCall(r.phone.ID, "+33698765400")
	waitFor(t, 15*time.Second, "the phone to ring for the next call", func() (bool, string) {
		return transactions(r.sipp.received("INVITE")) == 2, describeRequests(r.sipp.sippProc)
	})
	// The carrier took its one call: a graceful stop would wait out the
	// new call's target leg; nothing is left to check.
	r.srv.kill()
}
