package sqlite

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sipsim/sipsim"
)

// Many more reads than the pool has connections, all at once and each of
// a query text not read before, so that statements are prepared while
// other reads hold every connection in a transaction: each read returns
// the stored rows, none waits forever, and Close then succeeds.
func TestKeptStatementsUnderConcurrentReads(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	ctx, a := t.Context(), sipsim.DefaultAccountID
	p := &sipsim.Phone{AccountID: a, Name: "Desk", Status: sipsim.PhoneActive, InternalNumber: 101, Number: "+33612345678", Country: "FR"}
	if err := db.CreatePhone(ctx, p); err != nil {
		t.Fatal(err)
	}
	c := &sipsim.Call{ID: "call_1", AccountID: a, PhoneID: p.ID, TargetNumber: "+33698765432", Status: sipsim.CallInitiating}
	if err := db.CreateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}
	tag := &sipsim.Tag{AccountID: a, Name: "lead", Color: "#ff8800"}
	if err := db.CreateTag(ctx, tag); err != nil {
		t.Fatal(err)
	}
	if err := db.TagCall(ctx, a, c.ID, tag.ID); err != nil {
		t.Fatal(err)
	}

	// Each filter has a query text of its own, kept or not.
	filters := []sipsim.CallFilter{
		{}, {PhoneID: p.ID}, {TargetNumber: c.TargetNumber}, {Tag: "lead"},
		{PhoneID: p.ID, Tag: "lead"}, {Source: c.Source, Direction: c.Direction},
		{Statuses: []sipsim.CallStatus{sipsim.CallInitiating}},
		{Statuses: []sipsim.CallStatus{sipsim.CallInitiating, sipsim.CallCompleted}},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(filters))
	for round := range 8 {
		for i, f := range filters {
			wg.Go(func() {
				f.AccountID = a
				calls, err := db.Calls(ctx, f)
				switch {
				case err != nil:
					errs <- fmt.Errorf("round %d, filter %d: %w", round, i, err)
				case len(calls) != 1 || calls[0].ID != c.ID || len(calls[0].Tags) != 1 || calls[0].Tags[0].Name != "lead":
					errs <- fmt.Errorf("round %d, filter %d: calls %+v, want %s tagged lead", round, i, calls, c.ID)
				}
				if phones, err := db.Phones(ctx, sipsim.PhoneFilter{AccountID: a}); err != nil || len(phones) != 1 {
					errs <- fmt.Errorf("round %d: phones %v, %v; want the one phone", round, phones, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Close closes the kept statements with the connections; a read after it
// fails with an error instead of running on a closed store.
func TestReadAfterCloseFails(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Account(t.Context(), sipsim.DefaultAccountID); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close with a kept statement: %v", err)
	}
	if _, err := db.Account(t.Context(), sipsim.DefaultAccountID); err == nil {
		t.Fatal("a read after Close succeeded")
	}
}
