package main

import (
	"context"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/bench/internal/rig"
)

// seed writes n phones over as many accounts as they need (10,000 phones
// take 12, as 12 tenants of one server), with default limits and one
// phones.read token per account, straight to the store before the server
// starts.
func seed(ctx context.Context, cfg rig.ServerConfig, n int) ([]rig.Tenant, []rig.Phone, error) {
	return rig.SeedPhones(ctx, cfg, n, rig.TenantSpec{DomainShape: "t%02d.bench.invalid",
		Scopes: []sipsim.Scope{sipsim.ScopePhonesRead}})
}
