package voip

import (
	"context"
	"errors"

	"github.com/sipsim/sipsim"
)

// classifyAgentFailure decides how a call ends when no contact of the
// employee's phone answered. failures holds one error per contact.
func classifyAgentFailure(callCtx context.Context, ringCause error, failures []error) sipsim.CallOutcome {
	out := sipsim.CallOutcome{TargetLeg: sipsim.LegIdle}
	if callCtx.Err() != nil {
		out.Status, out.Reason, out.AgentLeg = sipsim.CallCanceled, cancelReason(callCtx), sipsim.LegCanceled
		out.AgentCode = 487
		return out
	}
	if errors.Is(ringCause, errAgentRingTimeout) {
		out.Status, out.Reason, out.AgentLeg, out.AgentCode = sipsim.CallNoAnswer, sipsim.ReasonAgentNoAnswer, sipsim.LegNoAnswer, 487
		out.Err = ringCause
		return out
	}
	out.Err = mostTelling(failures)
	best := failureCode(out.Err)
	out.AgentCode = best
	switch {
	case best == 486 || best == 600:
		out.Status, out.Reason, out.AgentLeg = sipsim.CallBusy, sipsim.ReasonAgentBusy, sipsim.LegBusy
	case best == 603:
		out.Status, out.Reason, out.AgentLeg = sipsim.CallBusy, sipsim.ReasonAgentDeclined, sipsim.LegBusy
	case best == 408 || best == 480 || best == 487:
		out.Status, out.Reason, out.AgentLeg = sipsim.CallNoAnswer, sipsim.ReasonAgentNoAnswer, sipsim.LegNoAnswer
	case best == 0:
		out.Status, out.Reason, out.AgentLeg = sipsim.CallFailed, sipsim.ReasonAgentUnreachable, sipsim.LegFailed
	default:
		out.Status, out.Reason, out.AgentLeg = sipsim.CallFailed, sipsim.ReasonAgentFailed, sipsim.LegFailed
	}
	return out
}

// classifyTargetFailure decides how a call ends when the target leg was not
// answered. The agent leg was answered and is hung up by the caller.
func classifyTargetFailure(callCtx context.Context, ringCause, err error) sipsim.CallOutcome {
	out := sipsim.CallOutcome{AgentLeg: sipsim.LegCompleted, AgentCode: 200, Err: err}
	code := failureCode(err)
	out.TargetCode = code
	switch {
	case callCtx.Err() != nil:
		out.Status, out.Reason, out.TargetLeg = sipsim.CallCanceled, cancelReason(callCtx), sipsim.LegCanceled
	case errors.Is(ringCause, errAgentLeft):
		out.Status, out.Reason, out.TargetLeg = sipsim.CallCanceled, sipsim.ReasonAgentHungUpEarly, sipsim.LegCanceled
	case errors.Is(ringCause, errTargetRingTimeout):
		out.Status, out.Reason, out.TargetLeg = sipsim.CallNoAnswer, sipsim.ReasonTargetNoAnswer, sipsim.LegNoAnswer
		if code == 0 {
			out.TargetCode = 487
		}
	case code == 486 || code == 600:
		out.Status, out.Reason, out.TargetLeg = sipsim.CallBusy, sipsim.ReasonTargetBusy, sipsim.LegBusy
	case code == 603:
		out.Status, out.Reason, out.TargetLeg = sipsim.CallBusy, sipsim.ReasonTargetDeclined, sipsim.LegBusy
	case code == 408 || code == 480 || code == 487:
		out.Status, out.Reason, out.TargetLeg = sipsim.CallNoAnswer, sipsim.ReasonTargetNoAnswer, sipsim.LegNoAnswer
	case code == 0:
		out.Status, out.Reason, out.TargetLeg = sipsim.CallFailed, sipsim.ReasonTrunkUnreachable, sipsim.LegFailed
	default:
		out.Status, out.Reason, out.TargetLeg = sipsim.CallFailed, sipsim.ReasonTrunkRejected, sipsim.LegFailed
	}
	return out
}

func failureCode(err error) int {
	var f *legFailure
	if errors.As(err, &f) {
		return f.code
	}
	return 0
}

// mostTelling picks, of the failures of a phone's several contacts, the
// one that says most (a busy desk phone says more than an unreachable
// softphone).
func mostTelling(failures []error) error {
	var best error
	bestRank := -1
	for _, err := range failures {
		if r := codeRank(failureCode(err)); r > bestRank {
			best, bestRank = err, r
		}
	}
	return best
}

// codeRank orders final answers by how much they tell the user.
func codeRank(code int) int {
	switch {
	case code == 486 || code == 600 || code == 603:
		return 4
	case code == 408 || code == 480 || code == 487:
		return 3
	case code >= 400:
		return 2
	case code == 0:
		return 1
	}
	return 0
}
