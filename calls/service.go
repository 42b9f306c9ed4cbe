// Package calls is the click-to-call use case: it validates an order, stores
// the call, drives the telephony engine and records every status change with
// its event. It knows nothing of HTTP or SIP wire details.
package calls

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// Config wires the service.
type Config struct {
	Logger        *slog.Logger
	Now           func() time.Time
	NewCallID     func() string // default: "call_" + 20 random base32 characters
	Phones        sipsim.PhoneStore
	Registrations sipsim.RegistrationStore
	Calls         sipsim.CallStore
	Telephony     sipsim.Telephony
	// Accounts gives each call its account's limits (see policy.go). It is
	// required: without it nothing would bound what a call may cost.
	Accounts sipsim.AccountStore
	// Bus receives every event once stored (live streams); nil for none.
	Bus sipsim.EventBus
	// Recordings holds the calls' recordings; nil when none are kept.
	Recordings sipsim.RecordingStore
	// AudioFiles holds the prerolls phones play; nil plays none.
	AudioFiles sipsim.AudioFileStore

	AgentRingTimeout  time.Duration // default 30 s
	TargetRingTimeout time.Duration // default 60 s
	MaxDuration       time.Duration // default 4 h
	// DoubleClickWindow: a second order for the same phone and target
	// within it returns the first call instead of placing another.
	DoubleClickWindow time.Duration // default 5 s

	// Node is this process; the calls it runs carry its ID
	// (sipsim.Call.NodeID). Nodes, when set, makes it one of several
	// nodes sharing the database (see cluster.go): calls run on the node
	// that holds the phone's registration, and the calls of a dead node
	// are closed by the others once its heartbeat is older than Lease
	// (default 15 s). nil: the node is alone on its database (SQLite).
	Node  sipsim.Node
	Nodes sipsim.NodeStore
	Lease time.Duration

	// CallEnded, if set, is told of the end of every call this node ran,
	// once its outcome was applied (stored or not), and of every call of a
	// dead node it closed: for metrics.
	CallEnded func(status sipsim.CallStatus, reason sipsim.EndReason)
}

// Service implements sipsim.CallService.
type Service struct {
	cfg Config
	log *slog.Logger

	// ctx is the parent of every running call; Shutdown cancels it.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	running  map[string]*runningCall
	draining bool
	// claims counts the claims of dispatched calls under way; drained is
	// set once a drain has waited out every call and claim, and stops
	// claims. changed is closed, and replaced, whenever a call stops
	// running or a claim ends (changedLocked), for the drain to wait on.
	claims  int
	drained bool
	changed chan struct{}
	// unrecorded are the ends of calls the node could not store (fence.go);
	// retrying is set while a node alone on its database retries them
	// (unstored_end.go).
	unrecorded []unrecordedEnd
	retrying   bool

	beats heartbeats
}

// runningCall is a call this process is placing.
type runningCall struct {
	cancel context.CancelCauseFunc
	done   chan struct{} // closed once the final status is stored
}

var _ sipsim.CallService = (*Service)(nil)

// New returns a service; call Recover before accepting calls. It panics
// without cfg.Accounts.
func New(cfg Config) *Service {
	if cfg.Accounts == nil {
		panic("calls: Config.Accounts is required: the toll-fraud limits come from the account")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewCallID == nil {
		cfg.NewCallID = NewCallID
	}
	if cfg.AgentRingTimeout <= 0 {
		cfg.AgentRingTimeout = 30 * time.Second
	}
	if cfg.TargetRingTimeout <= 0 {
		cfg.TargetRingTimeout = 60 * time.Second
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = 4 * time.Hour
	}
	if cfg.DoubleClickWindow <= 0 {
		cfg.DoubleClickWindow = 5 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 15 * time.Second
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Service{cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel, running: map[string]*runningCall{}, changed: make(chan struct{})}
}

// NewCallID returns "call_" and 20 random lower-case base32 characters
// (100 bits).
func NewCallID() string {
	b := make([]byte, 13)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "call_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
}

// Recover closes calls that a crash left active: nothing runs them any more,
// and their phones must be callable again. Each gets one final record.
// A node of a cluster closes nothing here: the other nodes' calls are
// alive, and those of dead nodes, its own previous run included, are
// closed by the sweeper (see cluster.go) once their lease has run out.
func (s *Service) Recover(ctx context.Context) error {
	if s.cfg.Nodes != nil {
		return nil
	}
	active, err := s.cfg.Calls.ActiveCalls(ctx)
	if err != nil {
		return err
	}
	for _, c := range active {
		ev := closeCall(c, sipsim.ReasonServerRestart, s.cfg.Now())
		if err := s.cfg.Calls.UpdateCall(ctx, c, ev); err != nil {
			return err
		}
		s.publish(ev)
		s.log.Warn("closed call left active by a previous run", "call_id", c.ID, "phone_id", c.PhoneID)
	}
	return nil
}

// closeCall ends a call that nothing runs any more as failed with reason,
// and returns its call.ended event.
func closeCall(c *sipsim.Call, reason sipsim.EndReason, now time.Time) *sipsim.CallEvent {
	c.Status = sipsim.CallFailed
	c.EndedReason = reason
	c.EndedAt = &now
	c.UpdatedAt = now
	endLeg(&c.AgentLeg, sipsim.LegFailed, now)
	endLeg(&c.TargetLeg, sipsim.LegFailed, now)
	return &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: sipsim.EventCallEnded, Status: c.Status, At: now, Call: snapshot(c)}
}

// endLeg closes a leg that was still open, keeping legs that already ended
// or were never dialled as they are.
func endLeg(l *sipsim.Leg, status sipsim.LegStatus, now time.Time) {
	switch l.Status {
	case sipsim.LegIdle, "":
		l.Status = sipsim.LegIdle
		return
	case sipsim.LegDialing, sipsim.LegRinging, sipsim.LegAnswered:
		if l.Status == sipsim.LegAnswered {
			status = sipsim.LegCompleted
		}
		l.Status = status
		l.EndedAt = &now
	}
}

// hangupGrace is how long Shutdown waits, once it has hung up the calls
// left at the end of the drain, for their final records to be stored: a
// BYE to each leg may take its full 5 s timeout.
const hangupGrace = 15 * time.Second

// Shutdown stops accepting calls and lets the running ones go on until they
// end or ctx is done (the drain timeout); then it hangs up those left, with
// reason server_shutdown (BYE or CANCEL on each leg), and waits up to
// hangupGrace for them to be stored. It returns an error when calls were
// cut or were still unstored. A node of a cluster also runs, within the
// drain, the calls dispatched to it before it drained (drain.go).
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	if s.awaitDrained(ctx, s.announceDraining()) {
		s.wg.Wait()
		return nil
	}
	s.mu.Lock()
	s.drained = true
	cut := len(s.running)
	s.mu.Unlock()
	s.log.Warn("drain timeout: hanging up the calls still running", "calls", cut)
	s.cancel(sipsim.ReasonServerShutdown)
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return fmt.Errorf("%d calls hung up at the drain timeout", cut)
	case <-time.After(hangupGrace):
		return fmt.Errorf("%d calls hung up at the drain timeout, some not stored: %w", cut, ctx.Err())
	}
}

// Call implements sipsim.CallService.
func (s *Service) Call(ctx context.Context, accountID int64, id string) (*sipsim.Call, error) {
	return s.cfg.Calls.Call(ctx, accountID, id)
}

// Calls implements sipsim.CallService.
func (s *Service) Calls(ctx context.Context, f sipsim.CallFilter) ([]*sipsim.Call, error) {
	return s.cfg.Calls.Calls(ctx, f)
}

// publish hands a stored event to live subscribers.
func (s *Service) publish(ev *sipsim.CallEvent) {
	if s.cfg.Bus != nil {
		s.cfg.Bus.Publish(ev)
	}
}

// snapshot copies a call for an event: the recorder goes on changing c.
func snapshot(c *sipsim.Call) *sipsim.Call {
	cp := *c
	cp.Tags = nil
	return &cp
}

// CallEvents implements sipsim.CallService. A call is stored with its
// call.created event, in one transaction, so a call of the account always
// has events: only when none are found is the call looked up, to answer
// ENOTFOUND. Looking it up first was a read more for every POST
// /api/v2/calls (its 201 carries the timeline): 3% of the server's CPU at
// 200 calls/s.
func (s *Service) CallEvents(ctx context.Context, accountID int64, id string) ([]*sipsim.CallEvent, error) {
	events, err := s.cfg.Calls.CallEvents(ctx, accountID, id)
	if err != nil || len(events) > 0 {
		return events, err
	}
	if _, err := s.cfg.Calls.Call(ctx, accountID, id); err != nil {
		return nil, err
	}
	return events, nil
}
