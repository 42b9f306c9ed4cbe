package sipsim

import (
	"context"
	"time"
)

// CallStatus is where a click-to-call stands. The active statuses come in
// this order; a call ends in exactly one final status.
type CallStatus string

const (
	CallInitiating    CallStatus = "initiating"     // accepted, nothing rings yet
	CallRingingAgent  CallStatus = "ringing_agent"  // the employee's phone is being rung
	CallDialingTarget CallStatus = "dialing_target" // employee answered, target being dialled
	CallInProgress    CallStatus = "in_progress"    // both legs answered and bridged

	CallCompleted CallStatus = "completed"
	CallBusy      CallStatus = "busy"
	CallNoAnswer  CallStatus = "no_answer"
	CallFailed    CallStatus = "failed"
	CallCanceled  CallStatus = "canceled"
)

// ActiveCallStatuses lists the statuses of a call that is not over. The
// stores enforce one call in these statuses per phone.
var ActiveCallStatuses = []CallStatus{CallInitiating, CallRingingAgent, CallDialingTarget, CallInProgress}

// Final reports whether s ends a call.
func (s CallStatus) Final() bool {
	switch s {
	case CallCompleted, CallBusy, CallNoAnswer, CallFailed, CallCanceled:
		return true
	}
	return false
}

// Valid reports whether s is a known status.
func (s CallStatus) Valid() bool {
	return s.Final() || s == CallInitiating || s == CallRingingAgent || s == CallDialingTarget || s == CallInProgress
}

// EndReason says why a call ended, naming the leg where it happened.
type EndReason string

const (
	ReasonAgentHangup      EndReason = "agent_hangup"
	ReasonTargetHangup     EndReason = "target_hangup"
	ReasonAgentNoAnswer    EndReason = "agent_no_answer"
	ReasonAgentBusy        EndReason = "agent_busy"
	ReasonAgentDeclined    EndReason = "agent_declined"
	ReasonAgentUnreachable EndReason = "agent_unreachable"
	ReasonAgentFailed      EndReason = "agent_failed"
	ReasonTargetNoAnswer   EndReason = "target_no_answer"
	ReasonTargetBusy       EndReason = "target_busy"
	ReasonTargetDeclined   EndReason = "target_declined"
	ReasonTrunkRejected    EndReason = "trunk_rejected"
	ReasonTrunkUnreachable EndReason = "trunk_unreachable"
	ReasonAgentHungUpEarly EndReason = "agent_hangup_before_answer"
	ReasonMediaTimeout     EndReason = "media_timeout"
	ReasonMaxDuration      EndReason = "max_duration"
	ReasonCodecMismatch    EndReason = "codec_mismatch"
	ReasonCanceledViaAPI   EndReason = "canceled_via_api"
	ReasonServerShutdown   EndReason = "server_shutdown"
	ReasonServerRestart    EndReason = "server_restart"
	ReasonNodeLost         EndReason = "node_lost" // its node stopped heartbeating; another closed it
	ReasonInternalError    EndReason = "internal_error"
)

// Error lets an EndReason be a context cancellation cause: cancelling a
// call's context with ReasonServerShutdown ends it with that reason.
func (r EndReason) Error() string { return string(r) }

// LegStatus is the state of one SIP leg of a call.
type LegStatus string

const (
	LegIdle      LegStatus = "idle"    // not dialled (yet)
	LegDialing   LegStatus = "dialing" // INVITE sent
	LegRinging   LegStatus = "ringing" // 180/183 received
	LegAnswered  LegStatus = "answered"
	LegCompleted LegStatus = "completed" // answered, then hung up
	LegBusy      LegStatus = "busy"
	LegNoAnswer  LegStatus = "no_answer"
	LegFailed    LegStatus = "failed"
	LegCanceled  LegStatus = "canceled"
)

// Leg records one side of a call: agent (the employee's phone) or target
// (the customer, through the trunk).
type Leg struct {
	Status  LegStatus
	SIPCode int // final SIP status received, 0 if none
	Contact string
	// ForwardedTo is the number the leg was forwarded to through the trunk
	// (the phone's forced or conditional forwarding), "" if it was not.
	ForwardedTo string
	// AnsweredBy says which device answered: AnsweredByPhone (a registered
	// SIP device, named by Contact) or AnsweredByForward (ForwardedTo).
	AnsweredBy string
	StartedAt  *time.Time
	RingingAt  *time.Time
	AnsweredAt *time.Time
	EndedAt    *time.Time
}

// Devices that can answer the agent leg.
const (
	AnsweredByPhone   = "phone"
	AnsweredByForward = "forward_number"
)

// Call is one click-to-call: leg A to the employee's phone, then leg B to
// the target through the trunk.
type Call struct {
	ID           string // "call_" + random
	AccountID    int64
	PhoneID      int64
	TargetNumber string // E.164
	CallerID     string // number presented to the target
	Direction    string // "outbound"
	Source       string // "api"
	Status       CallStatus
	EndedReason  EndReason
	AgentLeg     Leg
	TargetLeg    Leg
	CreatedAt    time.Time
	UpdatedAt    time.Time
	AnsweredAt   *time.Time // target answered: talk time starts
	EndedAt      *time.Time
	Tags         []Tag // loaded by the store, ordered by name
	// HasRecording says a recording of the call is stored (see
	// RecordingStore); RecordingDuration is its length in seconds.
	HasRecording      bool
	RecordingDuration float64
	// TokenID is the API token that placed the call, 0 for a call dialled
	// on a handset: calls per minute are limited per token. Calls placed
	// with OAuth access tokens count under their client, as minus the
	// client's id, so a new access token does not mean a new budget.
	TokenID int64
	// NodeID is the cluster node (sipsim.Node.ID) that runs the call, for
	// the cluster only: the API does not show it. It is "" once another
	// node has closed the call for it (node_lost): no node runs it, and
	// the one that did may no longer write it.
	NodeID string
	// Dispatch is set when the call was created on another node than the
	// one that runs it (NodeID); nil when the creating node runs it.
	Dispatch *CallDispatch
}

// RingSeconds is how long the target rang before answering or giving up.
func (c *Call) RingSeconds() float64 {
	start := c.TargetLeg.StartedAt
	if start == nil {
		return 0
	}
	end := c.AnsweredAt
	if end == nil {
		end = c.EndedAt
	}
	if end == nil {
		return 0
	}
	return end.Sub(*start).Seconds()
}

// TalkSeconds is how long both sides were connected.
func (c *Call) TalkSeconds() float64 {
	if c.AnsweredAt == nil || c.EndedAt == nil {
		return 0
	}
	return c.EndedAt.Sub(*c.AnsweredAt).Seconds()
}

// Event types, named as webhooks and SSE will name them.
const (
	EventCallCreated        = "call.created"
	EventCallRingingAgent   = "call.ringing_agent"
	EventCallAgentForwarded = "call.agent_forwarded"
	EventCallAgentAnswered  = "call.agent_answered"
	EventCallTargetRinging  = "call.target_ringing"
	EventCallAnswered       = "call.answered"
	EventCallEnded          = "call.ended"
)

// CallEvent is one entry of a call's timeline. IDs grow monotonically per
// store so that event streams can resume from the last one seen.
type CallEvent struct {
	ID        int64
	AccountID int64
	CallID    string
	Type      string
	Status    CallStatus
	At        time.Time
	// Call is the call as it stood when the event happened. It is stored
	// with the event, so a delivery made hours later still describes that
	// moment.
	Call *Call
	// Deliveries is how many webhook deliveries the store queued with the
	// event (one per webhook of the account that wants its type). The
	// webhook dispatcher is woken only by events that queued some. It is
	// not stored: 0 on events read back, and on those another node stored.
	Deliveries int
}

// CallStore persists calls and their timelines.
type CallStore interface {
	CallLister
	// CreateCall stores a new call with its first event, if limits let
	// it. ECONFLICT when the phone already has an active call, then
	// ERATELIMIT when the call would break one of limits (see CallLimits).
	// The database enforces both in the insert's transaction, so they hold
	// under concurrency and across nodes.
	CreateCall(ctx context.Context, c *Call, ev *CallEvent, limits CallLimits) error
	// TalkTime is the account's talk time of the UTC day of day: that of
	// its calls that ended that day, whenever they were answered, plus
	// that of its calls in progress so far (to the store's clock). Stores
	// keep a running total per day, so the cost does not grow with the
	// day's calls.
	TalkTime(ctx context.Context, accountID int64, day time.Time) (time.Duration, error)
	// Call returns one call of the account. ENOTFOUND.
	Call(ctx context.Context, accountID int64, id string) (*Call, error)
	// UpdateCall saves c and appends ev (if not nil) in one transaction,
	// provided the stored call is still on node c.NodeID: a node's writes
	// of a call another node closed for it (NodeStore.EndOrphanedCall)
	// are refused, so a node cut off from the database for longer than
	// its lease cannot overwrite that final record when it reconnects.
	// c.NodeID is thus a fence, not a value UpdateCall changes. ENOTFOUND;
	// ECONFLICT, and nothing written, when the call is on another node
	// (or on none).
	UpdateCall(ctx context.Context, c *Call, ev *CallEvent) error
	// CallEvents returns the timeline of a call, oldest first.
	CallEvents(ctx context.Context, accountID int64, callID string) ([]*CallEvent, error)
	// ActiveCalls returns every call not in a final status.
	ActiveCalls(ctx context.Context) ([]*Call, error)
}

// CallPlan is everything the telephony engine needs to run the two legs.
type CallPlan struct {
	CallID       string
	Phone        *Phone
	Contacts     []*Registration
	TargetNumber string
	CallerID     string // presented to the target
	// CallerIDName is the display name the employee's phone shows ("" =
	// the target number); AutoAnswer asks it to answer by itself.
	CallerIDName string
	AutoAnswer   bool
	// AgentRingTimeout bounds how long the employee's phone rings;
	// TargetRingTimeout how long the target rings once dialled.
	AgentRingTimeout  time.Duration
	TargetRingTimeout time.Duration
	MaxDuration       time.Duration
	// Record asks for a stereo recording from the moment the target
	// answers (the phone's record_outbound_call).
	Record bool
	// ForwardTo, when set, is an E.164 number rung through the trunk in
	// place of the phone: at once when ForwardAfter is 0 (forced
	// forwarding) or Contacts is empty, else once the phone has rung
	// ForwardAfter without answering, or could not ring (conditional
	// forwarding). The forward number then rings for AgentRingTimeout.
	ForwardTo    string
	ForwardAfter time.Duration
	// Preroll is played to the employee once they answer (8 kHz samples,
	// the phone's outbound_call_preroll_id); with WaitPrerollDial the
	// target is dialled when it has played, else at once while it plays.
	Preroll         []int16
	WaitPrerollDial bool
	// Callee is the phone an internal call rings, at CalleeContacts, in
	// place of a target through the trunk (handset calls only).
	Callee         *Phone
	CalleeContacts []*Registration
}

// Progress kinds reported by Telephony.PlaceCall.
type ProgressKind string

const (
	ProgressAgentDialing   ProgressKind = "agent_dialing"
	ProgressAgentRinging   ProgressKind = "agent_ringing"
	ProgressAgentForwarded ProgressKind = "agent_forwarded"
	ProgressAgentAnswered  ProgressKind = "agent_answered"
	ProgressTargetDialing  ProgressKind = "target_dialing"
	ProgressTargetRinging  ProgressKind = "target_ringing"
	ProgressTargetAnswered ProgressKind = "target_answered"
)

// CallProgress is one step of a call reported by the telephony engine.
type CallProgress struct {
	Kind    ProgressKind
	Contact string // the agent contact that answered, for ProgressAgentAnswered
	SIPCode int
	// AnsweredBy is AnsweredByPhone or AnsweredByForward, for
	// ProgressAgentAnswered; ForwardTo the number rung, for
	// ProgressAgentForwarded.
	AnsweredBy string
	ForwardTo  string
}

// CallOutcome is how a call ended. The engine classifies the end where it
// happens; the calls use case only records it.
type CallOutcome struct {
	Status     CallStatus
	Reason     EndReason
	AgentLeg   LegStatus // final status of each leg (LegIdle if never dialled)
	TargetLeg  LegStatus
	AgentCode  int // final SIP code from the agent leg, 0 if none
	TargetCode int
	Err        error // cause, for logs only
	// RecordingSeconds is the length of the call's stored recording, 0 when
	// none was made.
	RecordingSeconds float64
}

// Telephony runs the SIP side of a click-to-call.
type Telephony interface {
	// PlaceCall rings the agent's contacts, dials the target once the agent
	// answers, bridges the audio and returns when the call is over.
	// progress is called synchronously from the call's goroutine. Cancelling
	// ctx hangs up (CANCEL or BYE) and ends with ReasonCanceledViaAPI
	// unless the context's cause is an EndReason.
	PlaceCall(ctx context.Context, plan CallPlan, progress func(CallProgress)) CallOutcome
}

// CreateCallRequest is a click-to-call order from the API.
type CreateCallRequest struct {
	AccountID int64
	// TokenID is the API token placing the call (see Call.TokenID): calls
	// per minute are limited per token.
	TokenID      int64
	PhoneID      int64
	TargetNumber string
	// Optional, per request:
	AgentRingTimeout time.Duration // how long the employee's phone rings; 0 = the server's default
	AutoAnswer       bool          // ask the desk phone or headset to answer by itself
	CallerIDName     string        // name shown to the employee instead of the number
}

// CallService is the click-to-call use case as the API sees it.
type CallService interface {
	// CreateCall validates the request, stores the call as initiating and
	// starts it in the background. EINVALID for a bad target number,
	// EFORBIDDEN for a destination the account may not call (country,
	// number type) or when its daily minutes are used up, ENOTFOUND for an
	// unknown phone, EUNPROCESSABLE when the phone is not active or has no
	// registered device, ECONFLICT when it is on a call, ERATELIMIT when
	// the account has too many calls at once or too many were placed in
	// the last minute (by the token or from the phone), EUNAVAILABLE when
	// the server is shutting down.
	CreateCall(ctx context.Context, req CreateCallRequest) (*Call, error)
	// Call returns a call as it stands. ENOTFOUND.
	Call(ctx context.Context, accountID int64, id string) (*Call, error)
	// CallEvents returns the call's timeline, oldest first. ENOTFOUND.
	CallEvents(ctx context.Context, accountID int64, id string) ([]*CallEvent, error)
	// Calls lists calls, newest first. EINVALID for a bad filter.
	Calls(ctx context.Context, f CallFilter) ([]*Call, error)
	// CancelCall hangs up a call: CANCEL while it rings, BYE once
	// answered. The call ends canceled (or completed, if it was in
	// progress) with reason canceled_via_api. Cancelling a call that is
	// over returns it unchanged. ENOTFOUND.
	CancelCall(ctx context.Context, accountID int64, id string) (*Call, error)
}

// Clone returns a deep copy of c: no pointer or slice in it is shared
// with c, so the copy stays as it is while c goes on changing (an event's
// snapshot of its call).
func (c *Call) Clone() *Call {
	cp := *c
	cp.AnsweredAt = cloneTime(c.AnsweredAt)
	cp.EndedAt = cloneTime(c.EndedAt)
	cp.AgentLeg = c.AgentLeg.clone()
	cp.TargetLeg = c.TargetLeg.clone()
	if c.Tags != nil {
		cp.Tags = append(make([]Tag, 0, len(c.Tags)), c.Tags...)
	}
	if c.Dispatch != nil {
		d := *c.Dispatch
		cp.Dispatch = &d
	}
	return &cp
}

func (l Leg) clone() Leg {
	l.StartedAt = cloneTime(l.StartedAt)
	l.RingingAt = cloneTime(l.RingingAt)
	l.AnsweredAt = cloneTime(l.AnsweredAt)
	l.EndedAt = cloneTime(l.EndedAt)
	return l
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}
