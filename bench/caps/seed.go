package main

import (
	"context"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/bench/internal/rig"
)

// phone is one seeded phone: what the load driver posts and how the phone
// registers.
type phone struct {
	ID    int64
	Token string // calls.create token of the phone's account
	Login rig.Login
}

// seed writes n phones over as many accounts as they need, limits raised,
// one token per account, straight to the store before the server starts.
// It returns the phones and the tokens.
func seed(ctx context.Context, cfg rig.ServerConfig, n int) ([]phone, []string, error) {
	tenants, seeded, err := rig.SeedPhones(ctx, cfg, n, rig.TenantSpec{DomainShape: "t%02d.caps.invalid", Limits: rig.Unlimited,
		Scopes: []sipsim.Scope{sipsim.ScopeCallsCreate, sipsim.ScopeCallsRead, sipsim.ScopePhonesRead}})
	if err != nil {
		return nil, nil, err
	}
	tokens := make([]string, len(tenants))
	for i, t := range tenants {
		tokens[i] = t.Token
	}
	phones := make([]phone, len(seeded))
	for i, p := range seeded {
		phones[i] = phone{ID: p.ID, Token: tokens[p.Tenant], Login: p.Login}
	}
	return phones, tokens, nil
}
