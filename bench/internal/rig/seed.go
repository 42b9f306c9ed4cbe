package rig

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sipsim/sipsim"
)

// Extensions are 100 to 999 (the API and the registrar refuse others), so
// one account holds at most PhonesPerAccount phones: more phones are
// spread over several accounts, each with its own SIP domain, as tenants
// of one server would be.
const (
	FirstExtension   = 100
	PhonesPerAccount = 900
)

// Unlimited is every account limit raised out of the benchmarks' way:
// they measure what the server can do, not its quotas.
var Unlimited = sipsim.AccountLimits{
	AllowedCountries:       []string{"FR"},
	MaxConcurrentCalls:     1_000_000,
	DailyMinutes:           1_000_000,
	CallsPerMinutePerToken: 1_000_000,
	CallsPerMinutePerPhone: 1_000_000,
}

// TenantSpec is how SeedPhones makes its accounts.
type TenantSpec struct {
	// DomainShape is the SIP domain with the account's number, from 1,
	// e.g. "t%02d.caps.invalid".
	DomainShape string
	Limits      sipsim.AccountLimits
	Scopes      []sipsim.Scope // of the one token made per account
}

// Tenant is a seeded account and its token's secret.
type Tenant struct {
	ID     int64
	Domain string
	Token  string
}

// Phone is a seeded phone: its id, its account's index in the tenants,
// and how it registers.
type Phone struct {
	ID     int64
	Tenant int
	Login  Login
}

// SeedPhones writes n phones, active and in France, over as many accounts
// as they need (one token each), straight to the store before the server
// starts: thousands of API calls would only slow the benchmark down, and
// the store's own code writes what the API would.
func SeedPhones(ctx context.Context, cfg ServerConfig, n int, spec TenantSpec) ([]Tenant, []Phone, error) {
	db, err := OpenStore(ctx, cfg, func() time.Time { return time.Now().UTC() })
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	var tenants []Tenant
	phones := make([]Phone, 0, n)
	for i := range n {
		if i%PhonesPerAccount == 0 {
			t, err := seedTenant(ctx, db, len(tenants)+1, spec)
			if err != nil {
				return nil, nil, err
			}
			tenants = append(tenants, t)
		}
		t := tenants[len(tenants)-1]
		ext := FirstExtension + i%PhonesPerAccount
		password := fmt.Sprintf("pw-%d-%d", t.ID, ext)
		p := &sipsim.Phone{AccountID: t.ID, Name: fmt.Sprintf("Desk %d", ext), Status: sipsim.PhoneActive,
			InternalNumber: ext, Number: fmt.Sprintf("+33612%06d", i), Country: "FR", SIPRealm: t.Domain}
		p.SIPHA1MD5, p.SIPHA1SHA256 = sipsim.DigestHA1(strconv.Itoa(ext), t.Domain, password)
		if err := db.CreatePhone(ctx, p); err != nil {
			return nil, nil, fmt.Errorf("seed phone %d: %w", i, err)
		}
		phones = append(phones, Phone{ID: p.ID, Tenant: len(tenants) - 1,
			Login: Login{Ext: ext, Domain: t.Domain, Password: password}})
	}
	return tenants, phones, nil
}

func seedTenant(ctx context.Context, db Store, k int, spec TenantSpec) (Tenant, error) {
	domain := fmt.Sprintf(spec.DomainShape, k)
	a := &sipsim.Account{Name: "Bench tenant " + domain, SIPDomain: domain, Country: "FR", Limits: spec.Limits}
	if err := db.CreateAccount(ctx, a); err != nil {
		return Tenant{}, fmt.Errorf("seed account: %w", err)
	}
	secret := sipsim.NewTokenSecret()
	tok := &sipsim.Token{AccountID: a.ID, Name: "bench", Scopes: spec.Scopes,
		Hash: sipsim.HashToken(secret), CreatedAt: time.Now().UTC()}
	if err := db.CreateToken(ctx, tok); err != nil {
		return Tenant{}, fmt.Errorf("seed token: %w", err)
	}
	return Tenant{ID: a.ID, Domain: domain, Token: secret}, nil
}

// Logins are the phones' credentials, for RegisterAll.
func Logins(phones []Phone) []Login {
	logins := make([]Login, len(phones))
	for i, p := range phones {
		logins[i] = p.Login
	}
	return logins
}
