package storetest

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testPhones(t *testing.T, open OpenFunc) {
	t.Run("CreateRoundTrip", func(t *testing.T) { testCreatePhoneRoundTrip(t, open) })
	t.Run("CreateConflict", func(t *testing.T) { testCreatePhoneConflict(t, open) })
	t.Run("NotFound", func(t *testing.T) { testPhoneNotFound(t, open) })
	t.Run("List", func(t *testing.T) { testPhonesList(t, open) })
	t.Run("Update", func(t *testing.T) { testUpdatePhone(t, open) })
	t.Run("UpdateNotFound", func(t *testing.T) { testUpdatePhoneNotFound(t, open) })
	t.Run("UpdateConflict", func(t *testing.T) { testUpdatePhoneConflict(t, open) })
	t.Run("Delete", func(t *testing.T) { testDeletePhone(t, open) })
	t.Run("DeleteWhileOnCall", func(t *testing.T) { testDeletePhoneWhileOnCall(t, open) })
}

func testCreatePhoneRoundTrip(t *testing.T, open OpenFunc) {
	tests := []struct {
		name  string
		phone *sipsim.Phone
	}{
		{"every field set", fullPhone(1)},
		{"nil group and optional values", minimalPhone(2)},
		{"settings set, optional values nil", func() *sipsim.Phone {
			p := minimalPhone(3)
			p.Status = sipsim.PhoneInactive
			p.OutboundSetting.UseDifferentOutboundNumber = true
			p.RecordSetting.RecordOutboundCall = true
			p.ForwardingSetting.Conditional = sipsim.ConditionalForwarding{Enabled: true, TimeoutSeconds: 30}
			p.AudioSetting.WaitPrerollDial = 5
			p.Group = &sipsim.PhoneGroup{GroupID: 9, GroupTitle: ""}
			return p
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, open)
			p := tt.phone
			must(t, e.s.CreatePhone(e.ctx, p))
			if p.ID <= 0 {
				t.Fatalf("ID = %d, want a positive id", p.ID)
			}
			now := e.clock.Now()
			if !p.CreatedAt.Equal(now) || !p.UpdatedAt.Equal(now) {
				t.Fatalf("CreatedAt, UpdatedAt = %s, %s; want both %s", p.CreatedAt, p.UpdatedAt, now)
			}

			got, err := e.s.Phone(e.ctx, sipsim.DefaultAccountID, p.ID)
			must(t, err)
			wantEqual(t, "Phone", got, p)

			got, err = e.s.PhoneByInternalNumber(e.ctx, sipsim.DefaultAccountID, p.InternalNumber)
			must(t, err)
			wantEqual(t, "PhoneByInternalNumber", got, p)

			list, err := e.s.Phones(e.ctx, sipsim.PhoneFilter{AccountID: sipsim.DefaultAccountID})
			must(t, err)
			wantEqual(t, "Phones", list, []*sipsim.Phone{p})
		})
	}
}

func testCreatePhoneConflict(t *testing.T, open OpenFunc) {
	tests := []struct {
		name   string
		change func(p *sipsim.Phone)
		msg    string
	}{
		{"same internal_number", func(p *sipsim.Phone) { p.InternalNumber = 101 }, "internal_number 101 is already used by another phone"},
		{"same number", func(p *sipsim.Phone) { p.Number = "+33612345601" }, "+33612345601"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, open)
			first := fullPhone(1)
			must(t, e.s.CreatePhone(e.ctx, first))

			p := fullPhone(2)
			tt.change(p)
			wantCode(t, e.s.CreatePhone(e.ctx, p), sipsim.ECONFLICT, tt.msg)

			list, err := e.s.Phones(e.ctx, sipsim.PhoneFilter{AccountID: sipsim.DefaultAccountID})
			must(t, err)
			wantEqual(t, "Phones after the conflict", list, []*sipsim.Phone{first})
		})
	}
}

func testPhoneNotFound(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := fullPhone(1)
	must(t, e.s.CreatePhone(e.ctx, p))

	tests := []struct {
		name string
		call func() error
	}{
		{"Phone unknown id", func() error { _, err := e.s.Phone(e.ctx, sipsim.DefaultAccountID, p.ID+1000); return err }},
		{"Phone other account", func() error { _, err := e.s.Phone(e.ctx, sipsim.DefaultAccountID+1, p.ID); return err }},
		{"PhoneByInternalNumber unknown", func() error {
			_, err := e.s.PhoneByInternalNumber(e.ctx, sipsim.DefaultAccountID, 999)
			return err
		}},
		{"PhoneByInternalNumber other account", func() error {
			_, err := e.s.PhoneByInternalNumber(e.ctx, sipsim.DefaultAccountID+1, p.InternalNumber)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.call(), sipsim.ENOTFOUND, "Phone not found")
		})
	}
}

func testPhonesList(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	var phones []*sipsim.Phone
	for i, status := range []sipsim.PhoneStatus{sipsim.PhoneActive, sipsim.PhoneInactive, sipsim.PhoneActive, sipsim.PhoneNotActivated} {
		// Internal numbers out of id order, so that ordering by id is seen.
		p := fullPhone(40 - i)
		p.Status = status
		must(t, e.s.CreatePhone(e.ctx, p))
		phones = append(phones, p)
		e.clock.Advance(time.Second)
	}
	for i := 1; i < len(phones); i++ {
		if phones[i].ID <= phones[i-1].ID {
			t.Fatalf("ids %d then %d: want each new phone to get a larger id", phones[i-1].ID, phones[i].ID)
		}
	}

	tests := []struct {
		name   string
		filter sipsim.PhoneFilter
		want   []*sipsim.Phone
	}{
		{"all, by id", sipsim.PhoneFilter{AccountID: sipsim.DefaultAccountID}, phones},
		{"active", sipsim.PhoneFilter{AccountID: sipsim.DefaultAccountID, Status: ptr(sipsim.PhoneActive)}, []*sipsim.Phone{phones[0], phones[2]}},
		{"inactive", sipsim.PhoneFilter{AccountID: sipsim.DefaultAccountID, Status: ptr(sipsim.PhoneInactive)}, []*sipsim.Phone{phones[1]}},
		{"not activated", sipsim.PhoneFilter{AccountID: sipsim.DefaultAccountID, Status: ptr(sipsim.PhoneNotActivated)}, []*sipsim.Phone{phones[3]}},
		{"other account", sipsim.PhoneFilter{AccountID: sipsim.DefaultAccountID + 1}, []*sipsim.Phone{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.s.Phones(e.ctx, tt.filter)
			must(t, err)
			wantEqual(t, "Phones", got, tt.want)
		})
	}
}

func testUpdatePhone(t *testing.T, open OpenFunc) {
	tests := []struct {
		name   string
		before *sipsim.Phone
		after  func(id int64) *sipsim.Phone
	}{
		{"every field changed", fullPhone(1), func(id int64) *sipsim.Phone {
			p := fullPhone(2)
			p.ID = id
			p.Name, p.Status, p.Country = "Support", sipsim.PhoneInactive, "BE"
			p.Group = &sipsim.PhoneGroup{GroupID: 6, GroupTitle: "Support Team"}
			p.OutboundSetting = sipsim.OutboundSetting{OutboundNumber: ptr("+3225551234"), OutboundNumberPhoneID: ptr(int64(8))}
			p.RecordSetting = sipsim.RecordSetting{RecordInboundCall: false, RecordOutboundCall: true}
			p.VoicemailSetting = sipsim.VoicemailSetting{AllowVoicemail: false, VoicemailFileID: ptr(int64(21))}
			p.ForwardingSetting = sipsim.ForwardingSetting{
				Forced:      sipsim.ForcedForwarding{Enabled: false, ForwardNumber: ptr("+3225550000")},
				Conditional: sipsim.ConditionalForwarding{Enabled: false, TimeoutSeconds: 10, ForwardNumber: ptr("+3225550001")},
			}
			p.AudioSetting = sipsim.AudioSetting{InboundCallPrerollID: ptr(int64(22)), OutboundCallPrerollID: ptr(int64(23)), NoAnswerFileID: ptr(int64(24)), WaitPrerollDial: 1}
			p.SIPRealm, p.SIPHA1MD5, p.SIPHA1SHA256 = "other", "md5", "sha"
			return p
		}},
		{"optional values cleared", fullPhone(1), func(id int64) *sipsim.Phone {
			p := minimalPhone(1)
			p.ID = id
			return p
		}},
		{"optional values set", minimalPhone(1), func(id int64) *sipsim.Phone {
			p := fullPhone(1)
			p.ID = id
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, open)
			must(t, e.s.CreatePhone(e.ctx, tt.before))
			created := tt.before.CreatedAt
			later := e.clock.Advance(90 * time.Second)

			p := tt.after(tt.before.ID)
			must(t, e.s.UpdatePhone(e.ctx, p))
			if !p.UpdatedAt.Equal(later) {
				t.Fatalf("UpdatedAt = %s, want the clock's %s", p.UpdatedAt, later)
			}
			if !p.CreatedAt.Equal(created) {
				t.Fatalf("CreatedAt = %s, want the creation time %s kept", p.CreatedAt, created)
			}
			got, err := e.s.Phone(e.ctx, sipsim.DefaultAccountID, p.ID)
			must(t, err)
			wantEqual(t, "Phone after update", got, p)

			// The old internal number is free again once changed.
			if p.InternalNumber != tt.before.InternalNumber {
				_, err := e.s.PhoneByInternalNumber(e.ctx, sipsim.DefaultAccountID, tt.before.InternalNumber)
				wantCode(t, err, sipsim.ENOTFOUND, "")
			}
		})
	}
}

func testUpdatePhoneNotFound(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := fullPhone(1)
	must(t, e.s.CreatePhone(e.ctx, p))

	unknown := fullPhone(2)
	unknown.ID = p.ID + 1000
	wantCode(t, e.s.UpdatePhone(e.ctx, unknown), sipsim.ENOTFOUND, "Phone not found")

	other := fullPhone(3)
	other.ID, other.AccountID = p.ID, sipsim.DefaultAccountID+1
	wantCode(t, e.s.UpdatePhone(e.ctx, other), sipsim.ENOTFOUND, "Phone not found")

	got, err := e.s.Phone(e.ctx, sipsim.DefaultAccountID, p.ID)
	must(t, err)
	wantEqual(t, "Phone untouched", got, p)
}

func testUpdatePhoneConflict(t *testing.T, open OpenFunc) {
	tests := []struct {
		name   string
		change func(p *sipsim.Phone)
		msg    string
	}{
		{"internal_number of another phone", func(p *sipsim.Phone) { p.InternalNumber = 101 }, "internal_number 101 is already used by another phone"},
		{"number of another phone", func(p *sipsim.Phone) { p.Number = "+33612345601" }, "+33612345601"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, open)
			must(t, e.s.CreatePhone(e.ctx, fullPhone(1)))
			p := fullPhone(2)
			must(t, e.s.CreatePhone(e.ctx, p))
			stored := *p

			changed := *p
			tt.change(&changed)
			wantCode(t, e.s.UpdatePhone(e.ctx, &changed), sipsim.ECONFLICT, tt.msg)

			got, err := e.s.Phone(e.ctx, sipsim.DefaultAccountID, p.ID)
			must(t, err)
			wantEqual(t, "Phone after the conflict", got, &stored)
		})
	}
}

func testDeletePhone(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p, keep := fullPhone(1), fullPhone(2)
	must(t, e.s.CreatePhone(e.ctx, p))
	must(t, e.s.CreatePhone(e.ctx, keep))
	expires := e.clock.Now().Add(time.Hour)
	for _, r := range []*sipsim.Registration{registration(p, "sip:101@192.0.2.1:5060", expires), registration(keep, "sip:102@192.0.2.2:5060", expires)} {
		must(t, e.s.SaveRegistration(e.ctx, r))
	}

	wantCode(t, e.s.DeletePhone(e.ctx, sipsim.DefaultAccountID+1, p.ID), sipsim.ENOTFOUND, "Phone not found")
	must(t, e.s.DeletePhone(e.ctx, sipsim.DefaultAccountID, p.ID))

	_, err := e.s.Phone(e.ctx, sipsim.DefaultAccountID, p.ID)
	wantCode(t, err, sipsim.ENOTFOUND, "Phone not found")
	regs, err := e.s.Registrations(e.ctx, p.ID, e.clock.Now())
	must(t, err)
	if len(regs) != 0 {
		t.Fatalf("deleted phone still has %d registrations", len(regs))
	}
	live, err := e.s.LiveBindings(e.ctx, sipsim.DefaultAccountID, e.clock.Now())
	must(t, err)
	wantEqual(t, "LiveBindings", live.Count, map[int64]int{keep.ID: 1})

	wantCode(t, e.s.DeletePhone(e.ctx, sipsim.DefaultAccountID, p.ID), sipsim.ENOTFOUND, "Phone not found")

	// Its internal number and number can be given to a new phone, which
	// gets a new id.
	again := fullPhone(1)
	must(t, e.s.CreatePhone(e.ctx, again))
	if again.ID == p.ID {
		t.Fatalf("new phone reuses the deleted phone's id %d", p.ID)
	}
	got, err := e.s.Phone(e.ctx, sipsim.DefaultAccountID, keep.ID)
	must(t, err)
	wantEqual(t, "other phone", got, keep)
}

func testDeletePhoneWhileOnCall(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := fullPhone(1)
	must(t, e.s.CreatePhone(e.ctx, p))
	c := newCall("call_delete", p.ID)
	must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))

	wantCode(t, e.s.DeletePhone(e.ctx, sipsim.DefaultAccountID, p.ID), sipsim.ECONFLICT, "")
	if _, err := e.s.Phone(e.ctx, sipsim.DefaultAccountID, p.ID); err != nil {
		t.Fatalf("phone gone after a refused delete: %v", err)
	}

	finish(c, sipsim.CallCompleted, sipsim.ReasonAgentHangup, e.clock.Advance(time.Minute))
	must(t, e.s.UpdateCall(e.ctx, c, event(c, sipsim.EventCallEnded, e.clock.Now())))
	must(t, e.s.DeletePhone(e.ctx, sipsim.DefaultAccountID, p.ID))

	// Call history outlives the phone.
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "call of the deleted phone", got, c)
	events, err := e.s.CallEvents(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	if len(events) != 2 {
		t.Fatalf("call of the deleted phone has %d events, want 2", len(events))
	}
}
