package sipsim

import "context"

// Call sources and directions besides the click-to-call's "api" and
// "outbound".
const (
	SourceAPI         = "api"
	SourceHandset     = "handset" // dialled on the phone itself
	DirectionOutbound = "outbound"
	DirectionInternal = "internal" // phone to phone, by internal number
)

// CallSources and CallDirections list the values a call's Source and
// Direction take.
var (
	CallSources    = []string{SourceAPI, SourceHandset}
	CallDirections = []string{DirectionOutbound, DirectionInternal}
)

// HandsetDial is a call dialled on a registered phone, as the telephony
// engine received it (an authenticated INVITE).
type HandsetDial struct {
	Phone   *Phone
	Dialled string // the Request-URI's user: an E.164 number or an internal number
	Contact string // the device that dialled
}

// HandsetCall is a handset call the use case accepted and stored. The
// engine runs it: the handset is the agent leg, already connected; the
// target is Plan.TargetNumber through the trunk, or, for an internal call,
// the phone Plan.Callee at Plan.CalleeContacts.
type HandsetCall struct {
	Call *Call
	Plan CallPlan
	// Ctx ends when the call is hung up through the API or the server
	// stops; its cause is the end reason, as for PlaceCall.
	Ctx context.Context
	// Progress reports each step, Finish the outcome, exactly once, after
	// the last Progress.
	Progress func(CallProgress)
	Finish   func(CallOutcome)
}

// HandsetRouter decides what a number dialled on a phone becomes.
type HandsetRouter interface {
	// StartHandsetCall stores the call and returns how to run it.
	// EINVALID when Dialled is neither E.164 nor an internal number,
	// ENOTFOUND for an internal number no phone has, EUNPROCESSABLE when
	// the called phone is not active or has nothing registered, ECONFLICT
	// when the dialling phone is already on a call, EUNAVAILABLE while the
	// server shuts down.
	StartHandsetCall(ctx context.Context, d HandsetDial) (*HandsetCall, error)
}
