package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// assertEventsMatchTimeline checks that evs, as a stream or a webhook
// receiver got them, are exactly the call's timeline (GET /api/v2/calls/{id}):
// the same events in the same order, each once, each carrying the call as
// it stood then (its status is the one the timeline recorded, its own
// timeline left out), and call.ended carrying the final call.
func assertEventsMatchTimeline(t testing.TB, source string, evs []eventJSON, c callView) {
	t.Helper()
	var diffs []string
	if len(evs) != len(c.Events) {
		diffs = append(diffs, fmt.Sprintf("%d events %s, the timeline has %d %v", len(evs), describeEvents(evs), len(c.Events), c.eventTypes()))
	}
	for i := 0; i < len(evs) && i < len(c.Events); i++ {
		e, want := evs[i], c.Events[i]
		if e.ID != want.ID || e.Type != want.Type {
			diffs = append(diffs, fmt.Sprintf("event %d is %d %s, the timeline has %d %s", i+1, e.ID, e.Type, want.ID, want.Type))
			continue
		}
		if e.CreatedAt != want.At {
			diffs = append(diffs, fmt.Sprintf("%s created_at %s, the timeline says %s", e.Type, e.CreatedAt, want.At))
		}
		snap := e.Data.Call
		if snap.ID != c.ID || snap.Status != want.Status {
			diffs = append(diffs, fmt.Sprintf("%s carries call %s status %s, want %s status %s", e.Type, snap.ID, snap.Status, c.ID, want.Status))
		}
		if len(snap.Events) != 0 {
			diffs = append(diffs, fmt.Sprintf("%s: the call in an event must have an empty timeline, has %d events", e.Type, len(snap.Events)))
		}
		if e.Type == "call.ended" && !sameOutcome(snap, c) {
			diffs = append(diffs, fmt.Sprintf("call.ended carries %s, the final call is %s", describeCall(snap), describeCall(c)))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("%s, call %s:\n  %s", source, c.ID, strings.Join(diffs, "\n  "))
	}
}

// sameOutcome compares what a user reads of a finished call.
func sameOutcome(a, b callView) bool {
	return a.Status == b.Status && a.reason() == b.reason() &&
		a.AgentLeg.Status == b.AgentLeg.Status && a.AgentLeg.code() == b.AgentLeg.code() &&
		a.TargetLeg.Status == b.TargetLeg.Status && a.TargetLeg.code() == b.TargetLeg.code()
}
