package storetest

import (
	"testing"

	"github.com/sipsim/sipsim"
)

func testAccounts(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	acme := &sipsim.Account{Name: "Acme", SIPDomain: "acme.sip.example.com", Country: "DE",
		Limits: sipsim.AccountLimits{AllowedCountries: []string{"DE", "AT"}, MaxConcurrentCalls: 5, DailyMinutes: 90,
			CallsPerMinutePerToken: 7, CallsPerMinutePerPhone: 3}}
	must(t, e.s.CreateAccount(e.ctx, acme))
	if acme.ID <= OtherAccountID || !acme.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("created account = %+v; want a new id and the store's time", acme)
	}
	got, err := e.s.Account(e.ctx, acme.ID)
	must(t, err)
	wantEqual(t, "Account", got, acme)
	// SIP domains are DNS names: any case finds the account, and a
	// domain differing only in case is taken.
	got, err = e.s.AccountBySIPDomain(e.ctx, "ACME.sip.example.com")
	must(t, err)
	wantEqual(t, "AccountBySIPDomain", got, acme)
	dup := &sipsim.Account{Name: "Acme again", SIPDomain: "Acme.SIP.example.com", Country: "FR"}
	if err := e.s.CreateAccount(e.ctx, dup); sipsim.ErrorCode(err) != sipsim.ECONFLICT {
		t.Fatalf("second account in the same domain: %v, want ECONFLICT", err)
	}
	if _, err := e.s.AccountBySIPDomain(e.ctx, "nobody.example.com"); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("unknown domain: %v, want ENOTFOUND", err)
	}

	acme.Name, acme.Country, acme.Limits = "Acme GmbH", "AT", sipsim.AccountLimits{DailyMinutes: 10}
	must(t, e.s.UpdateAccount(e.ctx, acme))
	got, err = e.s.Account(e.ctx, acme.ID)
	must(t, err)
	wantEqual(t, "Account after update", got, acme)
	if eff := got.Effective(); len(eff.AllowedCountries) != 1 || eff.AllowedCountries[0] != "AT" ||
		eff.MaxConcurrentCalls != sipsim.DefaultAccountLimits.MaxConcurrentCalls || eff.DailyMinutes != 10 {
		t.Errorf("effective limits = %+v; want the own country, the default cap and 10 minutes", eff)
	}
	if err := e.s.UpdateAccount(e.ctx, &sipsim.Account{ID: 999, Name: "x", Country: "FR"}); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Errorf("update unknown account: %v, want ENOTFOUND", err)
	}
	if _, err := e.s.Account(e.ctx, 999); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Errorf("unknown account: %v, want ENOTFOUND", err)
	}
	all, err := e.s.Accounts(e.ctx)
	must(t, err)
	if len(all) != 3 || all[0].ID != sipsim.DefaultAccountID || all[1].ID != OtherAccountID || all[2].ID != acme.ID {
		t.Errorf("Accounts = %d, want the two fixtures and Acme, by id", len(all))
	}
}
