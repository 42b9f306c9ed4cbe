package storetest

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// registration returns a binding of p at contact that expires at expires.
func registration(p *sipsim.Phone, contact string, expires time.Time) *sipsim.Registration {
	return &sipsim.Registration{
		AccountID: p.AccountID,
		PhoneID:   p.ID,
		Contact:   contact,
		Received:  "198.51.100.7:40123",
		Transport: "udp",
		UserAgent: "baresip v3.10.1",
		CallID:    "reg-" + contact,
		CSeq:      4294967295, // the largest CSeq: must not overflow
		ExpiresAt: expires,
		NodeID:    "node_registrar",
	}
}

func testRegistrations(t *testing.T, open OpenFunc) {
	t.Run("RoundTrip", func(t *testing.T) { testRegistrationRoundTrip(t, open) })
	t.Run("Refresh", func(t *testing.T) { testRegistrationRefresh(t, open) })
	t.Run("Expiry", func(t *testing.T) { testRegistrationExpiry(t, open) })
	t.Run("Delete", func(t *testing.T) { testDeleteRegistration(t, open) })
	t.Run("LiveBindings", func(t *testing.T) { testLiveBindings(t, open) })
}

func testRegistrationRoundTrip(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := fullPhone(1)
	must(t, e.s.CreatePhone(e.ctx, p))
	r := registration(p, "sip:101@10.0.0.5:5060;transport=udp", e.clock.Now().Add(time.Hour))
	must(t, e.s.SaveRegistration(e.ctx, r))
	if !r.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("UpdatedAt = %s, want the clock's %s", r.UpdatedAt, e.clock.Now())
	}

	got, err := e.s.Registrations(e.ctx, p.ID, e.clock.Now())
	must(t, err)
	wantEqual(t, "Registrations", got, []*sipsim.Registration{r})

	none, err := e.s.Registrations(e.ctx, p.ID+1000, e.clock.Now())
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("unknown phone has %d registrations", len(none))
	}
}

func testRegistrationRefresh(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := fullPhone(1)
	must(t, e.s.CreatePhone(e.ctx, p))

	desk := registration(p, "sip:101@192.0.2.1:5060", e.clock.Now().Add(time.Hour))
	must(t, e.s.SaveRegistration(e.ctx, desk))
	e.clock.Advance(time.Second)
	soft := registration(p, "sip:101@192.0.2.2:5060;transport=tcp", e.clock.Now().Add(time.Hour))
	soft.Transport = "tcp"
	must(t, e.s.SaveRegistration(e.ctx, soft))

	got, err := e.s.Registrations(e.ctx, p.ID, e.clock.Now())
	must(t, err)
	wantEqual(t, "two contacts, newest first", got, []*sipsim.Registration{soft, desk})

	// Refreshing the desk phone updates its binding in place and moves it
	// first.
	e.clock.Advance(time.Second)
	refreshed := registration(p, desk.Contact, e.clock.Now().Add(2*time.Hour))
	refreshed.Received, refreshed.CSeq, refreshed.UserAgent = "198.51.100.9:5060", 2, "Yealink T46U"
	refreshed.NodeID = "node_other" // the phone moved to another node
	must(t, e.s.SaveRegistration(e.ctx, refreshed))
	got, err = e.s.Registrations(e.ctx, p.ID, e.clock.Now())
	must(t, err)
	wantEqual(t, "after refresh", got, []*sipsim.Registration{refreshed, soft})
}

func testRegistrationExpiry(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := fullPhone(1)
	must(t, e.s.CreatePhone(e.ctx, p))
	start := e.clock.Now()
	short := registration(p, "sip:101@192.0.2.1:5060", start.Add(time.Minute))
	must(t, e.s.SaveRegistration(e.ctx, short))
	e.clock.Advance(time.Second)
	long := registration(p, "sip:101@192.0.2.2:5060", start.Add(time.Hour))
	must(t, e.s.SaveRegistration(e.ctx, long))

	tests := []struct {
		name   string
		at     time.Time
		want   []*sipsim.Registration
		counts map[int64]int
		next   time.Time // the first expiry still ahead
	}{
		{"both live", start, []*sipsim.Registration{long, short}, map[int64]int{p.ID: 2}, short.ExpiresAt},
		{"a microsecond before the first expiry", start.Add(time.Minute - time.Microsecond), []*sipsim.Registration{long, short}, map[int64]int{p.ID: 2}, short.ExpiresAt},
		{"at the first expiry", start.Add(time.Minute), []*sipsim.Registration{long}, map[int64]int{p.ID: 1}, long.ExpiresAt},
		{"between", start.Add(30 * time.Minute), []*sipsim.Registration{long}, map[int64]int{p.ID: 1}, long.ExpiresAt},
		{"at the second expiry", start.Add(time.Hour), []*sipsim.Registration{}, map[int64]int{}, time.Time{}},
		{"long after", start.Add(48 * time.Hour), []*sipsim.Registration{}, map[int64]int{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.s.Registrations(e.ctx, p.ID, tt.at)
			must(t, err)
			wantEqual(t, "Registrations", got, tt.want)
			live, err := e.s.LiveBindings(e.ctx, sipsim.DefaultAccountID, tt.at)
			must(t, err)
			wantEqual(t, "LiveBindings", live, sipsim.LiveBindings{Count: tt.counts, NextExpiry: tt.next})
		})
	}

	// An expired binding comes back when the phone registers again.
	e.clock.Advance(2 * time.Hour)
	again := registration(p, short.Contact, e.clock.Now().Add(time.Minute))
	must(t, e.s.SaveRegistration(e.ctx, again))
	got, err := e.s.Registrations(e.ctx, p.ID, e.clock.Now())
	must(t, err)
	wantEqual(t, "after registering again", got, []*sipsim.Registration{again})
}

func testDeleteRegistration(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p, other := fullPhone(1), fullPhone(2)
	must(t, e.s.CreatePhone(e.ctx, p))
	must(t, e.s.CreatePhone(e.ctx, other))
	expires := e.clock.Now().Add(time.Hour)
	a := registration(p, "sip:101@192.0.2.1:5060", expires)
	b := registration(p, "sip:101@192.0.2.2:5060", expires)
	o := registration(other, "sip:102@192.0.2.3:5060", expires)
	for _, r := range []*sipsim.Registration{a, b, o} {
		must(t, e.s.SaveRegistration(e.ctx, r))
	}

	must(t, e.s.DeleteRegistration(e.ctx, p.ID, a.Contact))
	got, err := e.s.Registrations(e.ctx, p.ID, e.clock.Now())
	must(t, err)
	wantEqual(t, "after deleting one", got, []*sipsim.Registration{b})

	// Absent bindings are not an error.
	must(t, e.s.DeleteRegistration(e.ctx, p.ID, a.Contact))
	must(t, e.s.DeleteRegistration(e.ctx, p.ID+1000, "sip:nobody@192.0.2.9"))

	must(t, e.s.DeleteRegistrations(e.ctx, p.ID))
	got, err = e.s.Registrations(e.ctx, p.ID, e.clock.Now())
	must(t, err)
	wantEqual(t, "after deleting all", got, []*sipsim.Registration{})
	must(t, e.s.DeleteRegistrations(e.ctx, p.ID))

	got, err = e.s.Registrations(e.ctx, other.ID, e.clock.Now())
	must(t, err)
	wantEqual(t, "other phone's bindings", got, []*sipsim.Registration{o})
}

func testLiveBindings(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	now := e.clock.Now()
	var phones []*sipsim.Phone
	for i := range 4 {
		p := fullPhone(i + 1)
		must(t, e.s.CreatePhone(e.ctx, p))
		phones = append(phones, p)
	}
	// phones[0]: two live bindings; [1]: one live; [2]: expired only; [3]: none.
	for _, r := range []*sipsim.Registration{
		registration(phones[0], "sip:a@192.0.2.1", now.Add(time.Hour)),
		registration(phones[0], "sip:b@192.0.2.2", now.Add(time.Hour)),
		registration(phones[1], "sip:c@192.0.2.3", now.Add(time.Minute)),
		registration(phones[2], "sip:d@192.0.2.4", now.Add(-time.Minute)),
	} {
		must(t, e.s.SaveRegistration(e.ctx, r))
	}

	live, err := e.s.LiveBindings(e.ctx, sipsim.DefaultAccountID, now)
	must(t, err)
	// The expired binding of phones[2] counts neither as live nor as the
	// next expiry.
	wantEqual(t, "LiveBindings", live, sipsim.LiveBindings{
		Count:      map[int64]int{phones[0].ID: 2, phones[1].ID: 1},
		NextExpiry: now.Add(time.Minute),
	})

	live, err = e.s.LiveBindings(e.ctx, OtherAccountID, now)
	must(t, err)
	if len(live.Count) != 0 || !live.NextExpiry.IsZero() {
		t.Fatalf("other account has registered phones %+v", live)
	}
}
