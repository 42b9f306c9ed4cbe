package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// BenchmarkPhones measures listing an account's phones (100 of them) and
// reading one, the requests the API and the registrar make most.
func BenchmarkPhones(b *testing.B) {
	db := openTest(b, filepath.Join(b.TempDir(), "bench.db"), fixedClock())
	ctx := b.Context()
	for i := range 100 {
		p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: fmt.Sprintf("Phone %d", i),
			Status: sipsim.PhoneActive, InternalNumber: 100 + i, Number: fmt.Sprintf("+336123457%02d", i), Country: "FR"}
		if err := db.CreatePhone(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("List", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Phones(ctx, sipsim.PhoneFilter{AccountID: sipsim.DefaultAccountID}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ByInternalNumber", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.PhoneByInternalNumber(ctx, sipsim.DefaultAccountID, 150); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreateCall measures one call's writes: create with its first
// event, then end it, so the phone is free for the next iteration.
func BenchmarkCreateCall(b *testing.B) {
	db, p := openWithPhone(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		i++
		c := createCall(b, db, p, i)
		c.Status, c.EndedAt = sipsim.CallCompleted, ptrTime(fixedClock()())
		if err := db.UpdateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallEnded}); err != nil {
			b.Fatal(err)
		}
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

// createCall stores the nth call of the benchmark, from phone p.
func createCall(b *testing.B, db *DB, p *sipsim.Phone, n int) *sipsim.Call {
	c := &sipsim.Call{ID: fmt.Sprintf("call_%d", n), AccountID: sipsim.DefaultAccountID, PhoneID: p.ID,
		TargetNumber: "+33698765432", Status: sipsim.CallInitiating}
	if err := db.CreateCall(b.Context(), c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{}); err != nil {
		b.Fatal(err)
	}
	return c
}

// openWithPhone opens a fresh store holding one active phone to call.
func openWithPhone(b *testing.B) (*DB, *sipsim.Phone) {
	db := openTest(b, filepath.Join(b.TempDir(), "bench.db"), fixedClock())
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Desk", Status: sipsim.PhoneActive,
		InternalNumber: 101, Number: "+33612345678", Country: "FR"}
	if err := db.CreatePhone(b.Context(), p); err != nil {
		b.Fatal(err)
	}
	return db, p
}

// BenchmarkCallsPage measures one page of the call history with its tags,
// the listing the API and the CRM sync read most, over 2,000 calls of
// which every tenth is tagged.
func BenchmarkCallsPage(b *testing.B) {
	db := openTest(b, filepath.Join(b.TempDir(), "bench.db"), fixedClock())
	ctx := b.Context()
	tag := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lead", Color: "#808080"}
	if err := db.CreateTag(ctx, tag); err != nil {
		b.Fatal(err)
	}
	for i := range 2000 {
		c := &sipsim.Call{ID: fmt.Sprintf("call_%04d", i), AccountID: sipsim.DefaultAccountID, PhoneID: int64(1 + i%10),
			TargetNumber: "+33698765432", Status: sipsim.CallCompleted}
		if err := db.CreateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{}); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			if err := db.TagCall(ctx, sipsim.DefaultAccountID, c.ID, tag.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, f := range []struct {
		name string
		f    sipsim.CallFilter
	}{
		{"All", sipsim.CallFilter{AccountID: sipsim.DefaultAccountID}},
		{"Phone", sipsim.CallFilter{AccountID: sipsim.DefaultAccountID, PhoneID: 3}},
		{"Tag", sipsim.CallFilter{AccountID: sipsim.DefaultAccountID, Tag: "lead"}},
	} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.Calls(ctx, f.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCallLife measures the writes of one answered click-to-call as
// the calls service makes them: the create, then a save with its event at
// each step of both legs, the last one ending the call.
func BenchmarkCallLife(b *testing.B) {
	db, p := openWithPhone(b)
	ctx := b.Context()
	now := fixedClock()()
	at := func() *time.Time { return &now }
	steps := []struct {
		event  string
		change func(c *sipsim.Call)
	}{
		{sipsim.EventCallRingingAgent, func(c *sipsim.Call) {
			c.Status = sipsim.CallRingingAgent
			c.AgentLeg.Status, c.AgentLeg.StartedAt, c.AgentLeg.RingingAt = sipsim.LegRinging, at(), at()
		}},
		{sipsim.EventCallAgentAnswered, func(c *sipsim.Call) {
			c.Status = sipsim.CallDialingTarget
			c.AgentLeg.Status, c.AgentLeg.SIPCode, c.AgentLeg.AnsweredAt = sipsim.LegAnswered, 200, at()
			c.TargetLeg.Status, c.TargetLeg.StartedAt = sipsim.LegDialing, at()
		}},
		{sipsim.EventCallTargetRinging, func(c *sipsim.Call) {
			c.TargetLeg.Status, c.TargetLeg.RingingAt = sipsim.LegRinging, at()
		}},
		{sipsim.EventCallAnswered, func(c *sipsim.Call) {
			c.Status, c.AnsweredAt = sipsim.CallInProgress, at()
			c.TargetLeg.Status, c.TargetLeg.SIPCode, c.TargetLeg.AnsweredAt = sipsim.LegAnswered, 200, at()
		}},
		{sipsim.EventCallEnded, func(c *sipsim.Call) {
			c.Status, c.EndedReason, c.EndedAt = sipsim.CallCompleted, sipsim.ReasonTargetHangup, at()
			c.AgentLeg.Status, c.AgentLeg.EndedAt = sipsim.LegCompleted, at()
			c.TargetLeg.Status, c.TargetLeg.EndedAt = sipsim.LegCompleted, at()
		}},
	}
	i := 0
	for b.Loop() {
		i++
		c := createCall(b, db, p, i)
		for _, s := range steps {
			s.change(c)
			if err := db.UpdateCall(ctx, c, &sipsim.CallEvent{Type: s.event}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
