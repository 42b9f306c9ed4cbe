package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/bench/internal/rig"
)

// Extensions are 100 to 999, so one account holds at most 900 phones:
// 2,500 phones take 3 accounts, each with its own SIP domain and token.
const (
	firstExtension   = 100
	phonesPerAccount = 900
)

// unlimited is an account limit no run of the benchmark reaches: the
// benchmark measures the relay, not the per-account guards.
const unlimited = 1_000_000

// tenant is one seeded account and the token that places its calls.
type tenant struct {
	ID    int64
	Token string
}

// phoneRef is a seeded phone: whom to place a call from.
type phoneRef struct {
	ID     int64
	Tenant int // index in the tenants
}

// seed writes n phones over as many accounts as they need, each account
// with limits raised out of the way and one token allowed to place calls,
// straight to the store before the server starts.
func seed(ctx context.Context, cfg rig.ServerConfig, n int) ([]tenant, []phoneRef, []rig.Login, error) {
	db, err := rig.OpenStore(ctx, cfg, func() time.Time { return time.Now().UTC() })
	if err != nil {
		return nil, nil, nil, err
	}
	defer db.Close()
	var tenants []tenant
	var domain string
	phones := make([]phoneRef, 0, n)
	logins := make([]rig.Login, 0, n)
	for i := range n {
		if i%phonesPerAccount == 0 {
			domain = fmt.Sprintf("t%02d.media.bench.invalid", len(tenants)+1)
			t, err := seedTenant(ctx, db, domain)
			if err != nil {
				return nil, nil, nil, err
			}
			tenants = append(tenants, t)
		}
		t := tenants[len(tenants)-1]
		ext := firstExtension + i%phonesPerAccount
		password := fmt.Sprintf("pw-%d-%d", t.ID, ext)
		p := &sipsim.Phone{AccountID: t.ID, Name: fmt.Sprintf("Desk %d", ext), Status: sipsim.PhoneActive,
			InternalNumber: ext, Number: fmt.Sprintf("+33612%06d", i), Country: "FR", SIPRealm: domain}
		p.SIPHA1MD5, p.SIPHA1SHA256 = sipsim.DigestHA1(strconv.Itoa(ext), domain, password)
		if err := db.CreatePhone(ctx, p); err != nil {
			return nil, nil, nil, fmt.Errorf("seed phone %d: %w", i, err)
		}
		phones = append(phones, phoneRef{ID: p.ID, Tenant: len(tenants) - 1})
		logins = append(logins, rig.Login{Ext: ext, Domain: domain, Password: password})
	}
	return tenants, phones, logins, nil
}

func seedTenant(ctx context.Context, db rig.Store, domain string) (tenant, error) {
	a := &sipsim.Account{Name: "Media bench " + domain, SIPDomain: domain, Country: "FR",
		Limits: sipsim.AccountLimits{MaxConcurrentCalls: unlimited, DailyMinutes: unlimited,
			CallsPerMinutePerToken: unlimited, CallsPerMinutePerPhone: unlimited}}
	if err := db.CreateAccount(ctx, a); err != nil {
		return tenant{}, fmt.Errorf("seed account: %w", err)
	}
	secret := sipsim.NewTokenSecret()
	tok := &sipsim.Token{AccountID: a.ID, Name: "bench", CreatedAt: time.Now().UTC(), Hash: sipsim.HashToken(secret),
		Scopes: []sipsim.Scope{sipsim.ScopeCallsCreate, sipsim.ScopeCallsRead, sipsim.ScopePhonesRead}}
	if err := db.CreateToken(ctx, tok); err != nil {
		return tenant{}, fmt.Errorf("seed token: %w", err)
	}
	return tenant{ID: a.ID, Token: secret}, nil
}
