package calls

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/recordings"
)

func TestRecordedCallAnnouncesItsRecordingAndCanDeleteIt(t *testing.T) {
	tel, f, svc, _, c := recordedCall(t, 12.5, nil)
	waitFinal(t, f.db, c.ID)
	if !tel.plans[0].Record {
		t.Error("plan.Record is false for a phone with record_outbound_call")
	}

	// recording.ready is stored after call.ended; poll until it is.
	var types []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		evs, err := svc.CallEvents(t.Context(), sipsim.DefaultAccountID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		types = types[:0]
		for _, e := range evs {
			types = append(types, e.Type)
		}
		if slices.Contains(types, sipsim.EventRecordingReady) {
			if last := evs[len(evs)-1]; last.Call == nil || !last.Call.HasRecording || last.Call.RecordingDuration != 12.5 {
				t.Errorf("recording.ready's call = %+v", last.Call)
			}
			break
		}
	}
	if n := len(types); n < 2 || types[n-2] != sipsim.EventCallEnded || types[n-1] != sipsim.EventRecordingReady {
		t.Fatalf("timeline = %v; want call.ended then recording.ready", types)
	}
	got, _ := f.db.Call(t.Context(), sipsim.DefaultAccountID, c.ID)
	if !got.HasRecording || got.RecordingDuration != 12.5 {
		t.Fatalf("stored call: HasRecording %v, RecordingDuration %v", got.HasRecording, got.RecordingDuration)
	}

	file, err := svc.OpenRecording(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	file.Close()
	if file.Size() != 4 {
		t.Errorf("recording size %d, want 4", file.Size())
	}
	if err := svc.DeleteRecording(t.Context(), sipsim.DefaultAccountID, c.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = f.db.Call(t.Context(), sipsim.DefaultAccountID, c.ID)
	if got.HasRecording || got.RecordingDuration != 0 {
		t.Errorf("after delete: HasRecording %v, RecordingDuration %v", got.HasRecording, got.RecordingDuration)
	}
	for _, op := range []func() error{
		func() error { _, err := svc.OpenRecording(t.Context(), sipsim.DefaultAccountID, c.ID); return err },
		func() error { return svc.DeleteRecording(t.Context(), sipsim.DefaultAccountID, c.ID) },
		func() error {
			_, err := svc.OpenRecording(t.Context(), sipsim.DefaultAccountID, "call_none")
			return err
		},
	} {
		if err := op(); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
			t.Errorf("after delete: %v, want not found", err)
		}
	}
}

// holdingStore holds the write of recording.ready until released, so a
// test can act between call.ended and recording.ready.
type holdingStore struct {
	sipsim.CallStore
	reached, release chan struct{}
}

func (h *holdingStore) UpdateCall(ctx context.Context, c *sipsim.Call, ev *sipsim.CallEvent) error {
	if ev != nil && ev.Type == sipsim.EventRecordingReady {
		close(h.reached)
		<-h.release
	}
	return h.CallStore.UpdateCall(ctx, c, ev)
}

// A recording deleted between call.ended and recording.ready stays
// deleted: the late recording.ready must not bring it back.
func TestRecordingDeletedAsTheCallEndsStaysDeleted(t *testing.T) {
	var held *holdingStore
	_, f, svc, store, c := recordedCall(t, 1, func(calls sipsim.CallStore) sipsim.CallStore {
		held = &holdingStore{CallStore: calls, reached: make(chan struct{}), release: make(chan struct{})}
		return held
	})
	<-held.reached // call.ended is stored, recording.ready is not yet

	deleted := make(chan error, 1)
	go func() { deleted <- svc.DeleteRecording(t.Context(), sipsim.DefaultAccountID, c.ID) }()
	// Give a careless delete the time to finish before recording.ready is
	// written; a careful one waits for it.
	select {
	case err := <-deleted:
		deleted <- err
	case <-time.After(200 * time.Millisecond):
	}
	close(held.release)
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	waitEvent(t, svc, c.ID, sipsim.EventRecordingReady)
	got, err := f.db.Call(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.HasRecording {
		t.Error("the call has its recording again after it was deleted")
	}
	if _, err := store.Open(t.Context(), sipsim.DefaultAccountID, c.ID); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Errorf("recording file after delete: %v, want ENOTFOUND", err)
	}
}

// waitEvent polls until the call's timeline holds an event of type typ.
func waitEvent(t *testing.T, svc *Service, callID, typ string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		evs, err := svc.CallEvents(t.Context(), sipsim.DefaultAccountID, callID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Type == typ {
				return
			}
		}
	}
	t.Fatalf("call %s never got %s", callID, typ)
}

// recordedCall places a call from a phone that records, through a service
// whose call store wrap may wrap (nil: the fixture's), stores the WAV the
// engine would have written, and lets the call end with a recording of
// seconds.
func recordedCall(t *testing.T, seconds float64, wrap func(sipsim.CallStore) sipsim.CallStore) (*scriptedTelephony, *fixture, *Service, sipsim.RecordingStore, *sipsim.Call) {
	t.Helper()
	tel := &scriptedTelephony{
		steps: []sipsim.ProgressKind{sipsim.ProgressAgentDialing, sipsim.ProgressAgentAnswered,
			sipsim.ProgressTargetDialing, sipsim.ProgressTargetAnswered},
		outcome: sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: sipsim.ReasonAgentHangup, AgentLeg: sipsim.LegCompleted,
			TargetLeg: sipsim.LegCompleted, AgentCode: 200, TargetCode: 200, RecordingSeconds: seconds},
		release: make(chan struct{}),
	}
	f := newFixture(t, tel)
	f.register(t)
	f.phone.RecordSetting.RecordOutboundCall = true
	if err := f.db.UpdatePhone(t.Context(), f.phone); err != nil {
		t.Fatal(err)
	}
	var calls sipsim.CallStore = f.db
	if wrap != nil {
		calls = wrap(calls)
	}
	store := recordings.NewFS(t.TempDir())
	svc := New(Config{Now: f.svc.cfg.Now, Phones: f.db, Registrations: f.db, Calls: calls, Accounts: f.db, Telephony: tel, Recordings: store})
	t.Cleanup(func() { svc.Shutdown(stopNow()) })
	c, err := svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+33698765432"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.Create(t.Context(), sipsim.DefaultAccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "RIFF")
	w.Close()
	close(tel.release)
	return tel, f, svc, store, c
}
