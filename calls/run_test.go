package calls

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// Every kind of step, and an outcome.
func allSteps() []step {
	var out []step
	for _, k := range []sipsim.ProgressKind{
		sipsim.ProgressAgentDialing, sipsim.ProgressAgentRinging, sipsim.ProgressAgentForwarded,
		sipsim.ProgressAgentAnswered, sipsim.ProgressTargetDialing, sipsim.ProgressTargetRinging,
		sipsim.ProgressTargetAnswered,
	} {
		out = append(out, step{progress: &sipsim.CallProgress{Kind: k, SIPCode: 200}})
	}
	return append(out, step{outcome: &sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: sipsim.ReasonAgentHangup}})
}

// A step merged into the write of the one before it must be one whose
// event nobody would miss: one apply gives no event for.
func TestEventlessStepsAreThoseWithoutEvents(t *testing.T) {
	for _, st := range allSteps() {
		c := &sipsim.Call{ID: "call_x", AccountID: 1, Status: sipsim.CallInitiating}
		ev := apply(c, st, time.Now())
		if got := eventless(st); got != (ev == nil) {
			name := "outcome"
			if st.progress != nil {
				name = string(st.progress.Kind)
			}
			t.Errorf("%s: eventless = %t, but apply returned event %v", name, got, ev)
		}
	}
}

func TestQueuedDetailsTakesOnlyTheDetailsRightBehind(t *testing.T) {
	s := allSteps()
	dialing, ringing, answered, targetDialing, outcome := s[0], s[1], s[3], s[4], s[7]
	steps := make(chan step, 8)
	steps <- ringing
	steps <- answered
	steps <- targetDialing
	details, held := queuedDetails(dialing, steps)
	if len(details) != 1 || details[0].progress.Kind != sipsim.ProgressAgentRinging {
		t.Fatalf("details behind dialing = %v, want the agent's ringing", details)
	}
	if held == nil || held.progress.Kind != sipsim.ProgressAgentAnswered {
		t.Fatalf("held = %v, want agent_answered, the first step with an event", held)
	}
	// The target being dialled follows the answer; nothing else waits.
	details, held = queuedDetails(*held, steps)
	if len(details) != 1 || details[0].progress.Kind != sipsim.ProgressTargetDialing || held != nil {
		t.Fatalf("behind agent_answered: details %v, held %v; want target_dialing and nothing held", details, held)
	}
	// An outcome takes nothing, even a detail queued behind it (there is
	// none in practice: it is the last step).
	steps <- ringing
	if details, held := queuedDetails(outcome, steps); details != nil || held != nil {
		t.Fatalf("behind the outcome: %v, %v", details, held)
	}
	// A closed channel ends the gathering.
	close(steps)
	<-steps
	if details, held := queuedDetails(dialing, steps); details != nil || held != nil {
		t.Fatalf("on a closed channel: %v, %v", details, held)
	}
}
