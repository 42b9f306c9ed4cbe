package main

import (
	"context"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/bench/internal/rig"
)

// seed writes n phones over as many accounts as they need (2,500 phones
// take 3), each account with limits raised out of the way and one token
// allowed to place calls, straight to the store before the server starts.
func seed(ctx context.Context, cfg rig.ServerConfig, n int) ([]rig.Tenant, []rig.Phone, error) {
	return rig.SeedPhones(ctx, cfg, n, rig.TenantSpec{DomainShape: "t%02d.media.bench.invalid", Limits: rig.Unlimited,
		Scopes: []sipsim.Scope{sipsim.ScopeCallsCreate, sipsim.ScopeCallsRead, sipsim.ScopePhonesRead}})
}
