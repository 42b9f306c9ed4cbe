package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/bench/internal/rig"
)

// Extensions are 100 to 999 (the API and the registrar refuse others), so
// one account holds at most 900 phones: 10,000 phones take 12 accounts,
// each with its own SIP domain, as 12 tenants of one server would.
const (
	firstExtension    = 100
	phonesPerAccount  = 900
	tenantDomainShape = "t%02d.bench.invalid"
)

// tenant is one seeded account and the token that lists its phones.
type tenant struct {
	ID     int64
	Domain string
	Token  string
}

// seed writes n phones spread over as many accounts as they need, and one
// phones.read token per account, straight to the store before the server
// starts (thousands of API calls would only slow the benchmark down). It
// returns the tenants and the phones' credentials.
func seed(ctx context.Context, cfg rig.ServerConfig, n int) ([]tenant, []rig.Login, error) {
	db, err := rig.OpenStore(ctx, cfg, func() time.Time { return time.Now().UTC() })
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	var tenants []tenant
	logins := make([]rig.Login, 0, n)
	for i := range n {
		if i%phonesPerAccount == 0 {
			t, err := seedTenant(ctx, db, len(tenants)+1)
			if err != nil {
				return nil, nil, err
			}
			tenants = append(tenants, t)
		}
		t := tenants[len(tenants)-1]
		ext := firstExtension + i%phonesPerAccount
		password := fmt.Sprintf("pw-%d-%d", t.ID, ext)
		p := &sipsim.Phone{AccountID: t.ID, Name: fmt.Sprintf("Desk %d", ext), Status: sipsim.PhoneActive,
			InternalNumber: ext, Number: fmt.Sprintf("+33612%06d", i), Country: "FR", SIPRealm: t.Domain}
		p.SIPHA1MD5, p.SIPHA1SHA256 = sipsim.DigestHA1(strconv.Itoa(ext), t.Domain, password)
		if err := db.CreatePhone(ctx, p); err != nil {
			return nil, nil, fmt.Errorf("seed phone %d: %w", i, err)
		}
		logins = append(logins, rig.Login{Ext: ext, Domain: t.Domain, Password: password})
	}
	return tenants, logins, nil
}

func seedTenant(ctx context.Context, db rig.Store, k int) (tenant, error) {
	a := &sipsim.Account{Name: fmt.Sprintf("Bench tenant %d", k), SIPDomain: fmt.Sprintf(tenantDomainShape, k), Country: "FR"}
	if err := db.CreateAccount(ctx, a); err != nil {
		return tenant{}, fmt.Errorf("seed account: %w", err)
	}
	secret := sipsim.NewTokenSecret()
	tok := &sipsim.Token{AccountID: a.ID, Name: "bench", Scopes: []sipsim.Scope{sipsim.ScopePhonesRead},
		Hash: sipsim.HashToken(secret), CreatedAt: time.Now().UTC()}
	if err := db.CreateToken(ctx, tok); err != nil {
		return tenant{}, fmt.Errorf("seed token: %w", err)
	}
	return tenant{ID: a.ID, Domain: a.SIPDomain, Token: secret}, nil
}
