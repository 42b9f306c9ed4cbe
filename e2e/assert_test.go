package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// callWant is what a user checks on a finished call. Leg codes of 0 mean
// "no final SIP status received on that leg".
type callWant struct {
	Status     string
	Reason     string
	Events     []string // event types, in order
	Statuses   []string // the status each event recorded, in order
	AgentLeg   string   // leg status
	AgentCode  int
	TargetLeg  string
	TargetCode int
}

// assertCall compares every field of want with the call and reports all
// differences at once.
func assertCall(t testing.TB, c callView, want callWant) {
	t.Helper()
	var diffs []string
	check := func(field string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, got, want))
		}
	}
	check("status", c.Status, want.Status)
	check("ended_reason", c.reason(), want.Reason)
	if !slices.Equal(c.eventTypes(), want.Events) {
		diffs = append(diffs, fmt.Sprintf("event types = %v, want %v", c.eventTypes(), want.Events))
	}
	if !slices.Equal(c.eventStatuses(), want.Statuses) {
		diffs = append(diffs, fmt.Sprintf("event statuses = %v, want %v", c.eventStatuses(), want.Statuses))
	}
	check("agent_leg.status", c.AgentLeg.Status, want.AgentLeg)
	check("agent_leg.sip_code", c.AgentLeg.code(), want.AgentCode)
	check("target_leg.status", c.TargetLeg.Status, want.TargetLeg)
	check("target_leg.sip_code", c.TargetLeg.code(), want.TargetCode)
	if len(diffs) > 0 {
		t.Errorf("call %s:\n  %s", c.ID, strings.Join(diffs, "\n  "))
	}
}

// describeCall is a one-line summary for wait failures.
func describeCall(c callView) string {
	return fmt.Sprintf("status=%s reason=%q agent=%s/%d target=%s/%d events=%v",
		c.Status, c.reason(), c.AgentLeg.Status, c.AgentLeg.code(), c.TargetLeg.Status, c.TargetLeg.code(), c.eventTypes())
}

func join(s []string) string { return strings.Join(s, "|") }

// assertErrorEnvelope checks an API error answer: status in the body equal
// to the HTTP one, the message among errors, request id, timestamp, path.
func assertErrorEnvelope(t testing.TB, code int, env envelope, wantCode int, wantPath, wantMessage string) {
	t.Helper()
	if code != wantCode || env.Status != wantCode {
		t.Errorf("HTTP status %d, body status %d, want %d (errors %v)", code, env.Status, wantCode, env.Errors)
	}
	if wantMessage != "" && !slices.Contains(env.Errors, wantMessage) {
		t.Errorf("errors = %q, want it to contain %q", env.Errors, wantMessage)
	}
	if len(env.Errors) == 0 {
		t.Errorf("errors is empty")
	}
	if env.RequestID == "" || env.Timestamp == "" {
		t.Errorf("request_id %q, timestamp %q: both must be set", env.RequestID, env.Timestamp)
	}
	if env.Path != wantPath {
		t.Errorf("path = %q, want %q", env.Path, wantPath)
	}
}
