package calls

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/sqlite"
	"github.com/sipsim/sipsim/storetest"
)

// scriptedTelephony plays a fixed sequence of progress reports, then waits
// until released or cancelled. It stands in for the SIP engine: these tests
// are about what the use case records, not about SIP.
type scriptedTelephony struct {
	steps   []sipsim.ProgressKind
	outcome sipsim.CallOutcome
	release chan struct{}

	mu    sync.Mutex
	plans []sipsim.CallPlan
}

func (s *scriptedTelephony) PlaceCall(ctx context.Context, plan sipsim.CallPlan, progress func(sipsim.CallProgress)) sipsim.CallOutcome {
	s.mu.Lock()
	s.plans = append(s.plans, plan)
	s.mu.Unlock()
	for _, k := range s.steps {
		progress(sipsim.CallProgress{Kind: k, SIPCode: 200, Contact: "sip:101@127.0.0.1:5070"})
	}
	select {
	case <-s.release:
		return s.outcome
	case <-ctx.Done():
		var r sipsim.EndReason
		if err, ok := context.Cause(ctx).(sipsim.EndReason); ok {
			r = err
		}
		return sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: r, AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegCompleted, AgentCode: 200, TargetCode: 200}
	}
}

type fixture struct {
	db    *sqlite.DB
	svc   *Service
	tel   *scriptedTelephony
	phone *sipsim.Phone
	now   time.Time        // when the fixture was made
	clock *storetest.Clock // the service's and the store's clock, still at now until moved
}

func newFixture(t *testing.T, tel *scriptedTelephony) *fixture {
	t.Helper()
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	clock := storetest.NewClock(now)
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "t.db"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Alice", Status: sipsim.PhoneActive, InternalNumber: 101, Number: "+33612345678", Country: "FR"}
	if err := db.CreatePhone(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	svc := New(Config{Now: clock.Now, Phones: db, Registrations: db, Calls: db, Accounts: db, Telephony: tel, AudioFiles: db})
	t.Cleanup(func() { svc.Shutdown(stopNow()) })
	return &fixture{db: db, svc: svc, tel: tel, phone: p, now: now, clock: clock}
}

func (f *fixture) register(t *testing.T) {
	t.Helper()
	err := f.db.SaveRegistration(t.Context(), &sipsim.Registration{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID,
		Contact: "sip:101@127.0.0.1:5070", Received: "127.0.0.1:5070", Transport: "udp", ExpiresAt: f.now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

// waitFinal polls the stored call until it has a final status.
func waitFinal(t *testing.T, db *sqlite.DB, id string) *sipsim.Call {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := db.Call(t.Context(), sipsim.DefaultAccountID, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status.Final() {
			return c
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("call %s never ended", id)
	return nil
}

func TestCreateCallValidationOrder(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	inactive := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Bob", Status: sipsim.PhoneInactive, InternalNumber: 102, Number: "+33612345679"}
	if err := f.db.CreatePhone(t.Context(), inactive); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		req     sipsim.CreateCallRequest
		code    string
		message string
		details []string
	}{
		{"no phone id", sipsim.CreateCallRequest{TargetNumber: "+33698765432"}, sipsim.EINVALID, "phone_id must be a positive integer", nil},
		{"missing number", sipsim.CreateCallRequest{PhoneID: f.phone.ID}, sipsim.EINVALID, "target_number is required", nil},
		{"national number suggests E.164 from the phone's country", sipsim.CreateCallRequest{PhoneID: f.phone.ID, TargetNumber: "06 98 76 54 32"},
			sipsim.EINVALID, "target_number is invalid", []string{"Use E.164 format: did you mean +33698765432?"}},
		{"garbage", sipsim.CreateCallRequest{PhoneID: f.phone.ID, TargetNumber: "call me"},
			sipsim.EINVALID, "target_number is invalid", []string{"Use E.164 format: + then country code and number, no spaces, e.g. +33612345678"}},
		{"invalid number beats unknown phone", sipsim.CreateCallRequest{PhoneID: 999, TargetNumber: "0612"}, sipsim.EINVALID, "target_number is invalid", nil},
		{"unknown phone", sipsim.CreateCallRequest{PhoneID: 999, TargetNumber: "+33698765432"}, sipsim.ENOTFOUND, "Phone not found", nil},
		{"inactive phone", sipsim.CreateCallRequest{PhoneID: inactive.ID, TargetNumber: "+33698765432"}, sipsim.EUNPROCESSABLE, "Phone 2 is not active (status inactive)", nil},
		{"not registered", sipsim.CreateCallRequest{PhoneID: f.phone.ID, TargetNumber: "+33698765432"}, sipsim.EUNPROCESSABLE,
			"Phone 1 is not reachable: no SIP device is registered for internal number 101", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.AccountID = sipsim.DefaultAccountID
			_, err := f.svc.CreateCall(t.Context(), tt.req)
			if got := sipsim.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
			if got := sipsim.ErrorMessage(err); got != tt.message {
				t.Errorf("message = %q, want %q", got, tt.message)
			}
			if tt.details != nil && !slices.Equal(sipsim.ErrorDetails(err), tt.details) {
				t.Errorf("details = %q, want %q", sipsim.ErrorDetails(err), tt.details)
			}
		})
	}
}

func TestCallRecordsEveryStep(t *testing.T) {
	tel := &scriptedTelephony{
		steps: []sipsim.ProgressKind{sipsim.ProgressAgentDialing, sipsim.ProgressAgentRinging, sipsim.ProgressAgentAnswered,
			sipsim.ProgressTargetDialing, sipsim.ProgressTargetRinging, sipsim.ProgressTargetAnswered},
		outcome: sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: sipsim.ReasonTargetHangup, AgentLeg: sipsim.LegCompleted,
			TargetLeg: sipsim.LegCompleted, AgentCode: 200, TargetCode: 200},
		release: make(chan struct{}),
	}
	f := newFixture(t, tel)
	f.register(t)
	c, err := f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != sipsim.CallInitiating || c.CallerID != "+33612345678" || len(c.ID) != len("call_")+20 {
		t.Fatalf("created call = %+v", c)
	}
	// One active call per phone.
	_, err = f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765433"})
	if sipsim.ErrorCode(err) != sipsim.ECONFLICT || sipsim.ErrorMessage(err) != "Phone is currently on another call" {
		t.Fatalf("second call: %v", err)
	}
	close(tel.release)
	got := waitFinal(t, f.db, c.ID)
	if got.Status != sipsim.CallCompleted || got.EndedReason != sipsim.ReasonTargetHangup {
		t.Fatalf("final = %s/%s", got.Status, got.EndedReason)
	}
	if got.AgentLeg.Status != sipsim.LegCompleted || got.TargetLeg.Status != sipsim.LegCompleted || got.AnsweredAt == nil || got.AgentLeg.Contact == "" {
		t.Fatalf("legs = %+v / %+v", got.AgentLeg, got.TargetLeg)
	}
	evs, err := f.svc.CallEvents(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, e := range evs {
		seq = append(seq, e.Type+"/"+string(e.Status))
	}
	want := []string{"call.created/initiating", "call.ringing_agent/ringing_agent", "call.agent_answered/dialing_target",
		"call.target_ringing/dialing_target", "call.answered/in_progress", "call.ended/completed"}
	if !slices.Equal(seq, want) {
		t.Fatalf("timeline = %v\nwant %v", seq, want)
	}
	// No timeline for a call that is not there, or not the account's.
	for _, q := range []struct {
		account int64
		id      string
	}{{sipsim.DefaultAccountID, "call_nobody"}, {sipsim.DefaultAccountID + 1, c.ID}} {
		if _, err := f.svc.CallEvents(t.Context(), q.account, q.id); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
			t.Fatalf("events of %s in account %d: %v, want ENOTFOUND", q.id, q.account, err)
		}
	}
	plan := tel.plans[0]
	if plan.AgentRingTimeout != 30*time.Second || plan.TargetRingTimeout != 60*time.Second || len(plan.Contacts) != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	// The phone is free again (another number: the same one within
	// seconds would be a double click).
	if _, err := f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765434"}); err != nil {
		t.Fatalf("phone not freed: %v", err)
	}
}

// stopNow is a drain that is already over: Shutdown hangs up at once.
func stopNow() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestShutdownLetsCallsEndWithinTheDrain(t *testing.T) {
	tel := &scriptedTelephony{steps: []sipsim.ProgressKind{sipsim.ProgressAgentDialing}, release: make(chan struct{}),
		outcome: sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: sipsim.ReasonTargetHangup, AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegCompleted}}
	f := newFixture(t, tel)
	f.register(t)
	c, err := f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- f.svc.Shutdown(context.Background()) }()
	// Draining: new calls are refused while the running one goes on.
	waitUntilDraining(t, f.svc)
	_, err = f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765434"})
	if sipsim.ErrorCode(err) != sipsim.EUNAVAILABLE {
		t.Fatalf("call during the drain: %v, want EUNAVAILABLE", err)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while a call was running", err)
	default:
	}
	close(tel.release) // the call ends by itself
	if err := <-stopped; err != nil {
		t.Fatalf("Shutdown after every call ended: %v", err)
	}
	if got := waitFinal(t, f.db, c.ID); got.EndedReason != sipsim.ReasonTargetHangup {
		t.Errorf("call ended %s/%s, want its own end (target_hangup), not a shutdown", got.Status, got.EndedReason)
	}
}

func TestShutdownHangsUpWhatTheDrainLeft(t *testing.T) {
	tel := &scriptedTelephony{steps: []sipsim.ProgressKind{sipsim.ProgressAgentDialing}, release: make(chan struct{})}
	f := newFixture(t, tel)
	f.register(t)
	c, err := f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Shutdown(stopNow()); err == nil {
		t.Error("Shutdown cut a call and did not say so")
	}
	got, err := f.db.Call(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.EndedReason != sipsim.ReasonServerShutdown || !got.Status.Final() {
		t.Fatalf("after shutdown: %s/%s", got.Status, got.EndedReason)
	}
}

// waitUntilDraining polls until the service refuses new calls.
func waitUntilDraining(t *testing.T, s *Service) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.mu.Lock()
		d := s.draining
		s.mu.Unlock()
		if d {
			return
		}
	}
	t.Fatal("the service never started draining")
}

func TestRecoverClosesCallsLeftActive(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	started := f.now
	left := &sipsim.Call{ID: "call_left", AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432",
		Status: sipsim.CallInProgress, AgentLeg: sipsim.Leg{Status: sipsim.LegAnswered, StartedAt: &started}, TargetLeg: sipsim.Leg{Status: sipsim.LegRinging}}
	if err := f.db.CreateCall(t.Context(), left, &sipsim.CallEvent{AccountID: sipsim.DefaultAccountID, CallID: "call_left", Type: sipsim.EventCallCreated, Status: sipsim.CallInitiating, At: started}, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.Call(t.Context(), sipsim.DefaultAccountID, "call_left")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != sipsim.CallFailed || got.EndedReason != sipsim.ReasonServerRestart || got.EndedAt == nil {
		t.Fatalf("recovered = %s/%s", got.Status, got.EndedReason)
	}
	if got.AgentLeg.Status != sipsim.LegCompleted || got.TargetLeg.Status != sipsim.LegFailed {
		t.Fatalf("legs = %s/%s", got.AgentLeg.Status, got.TargetLeg.Status)
	}
	active, _ := f.db.ActiveCalls(t.Context())
	if len(active) != 0 {
		t.Fatalf("%d calls still active", len(active))
	}
}
