package httpapi

import (
	"context"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// renderPhone looks up p's live bindings and renders it.
func renderPhone(ctx context.Context, cfg Config, p *sipsim.Phone) (wire.Phone, error) {
	regs, err := cfg.Registrations.Registrations(ctx, p.ID, cfg.Now())
	if err != nil {
		return wire.Phone{}, err
	}
	domain := p.SIPRealm // the realm its password was set in
	if domain == "" {
		if domain, err = accountDomain(ctx, cfg, p.AccountID); err != nil {
			return wire.Phone{}, err
		}
	}
	return wire.NewPhone(p, domain, len(regs)), nil
}

// accountDomain is the SIP domain of an account: where its phones
// register, and the digest realm of their passwords.
func accountDomain(ctx context.Context, cfg Config, accountID int64) (string, error) {
	a, err := cfg.Accounts.Account(ctx, accountID)
	if err != nil {
		return "", err
	}
	return a.SIPDomain, nil
}
