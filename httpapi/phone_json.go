package httpapi

import (
	"context"
	"time"

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

// renderPhones is renderPhone for a list of the account's phones, in two
// queries whatever its length: the live bindings of all of them at once,
// and the account's domain once (a query per phone made the list cost 100
// times a bare handler's). It also returns when the first of those
// bindings expires: from then on the rendering is out of date.
func renderPhones(ctx context.Context, cfg Config, accountID int64, phones []*sipsim.Phone) ([]wire.Phone, time.Time, error) {
	live, err := cfg.Registrations.LiveBindings(ctx, accountID, cfg.Now())
	if err != nil {
		return nil, time.Time{}, err
	}
	accountDomainOnce := ""
	out := make([]wire.Phone, 0, len(phones))
	for _, p := range phones {
		domain := p.SIPRealm
		if domain == "" {
			if accountDomainOnce == "" {
				if accountDomainOnce, err = accountDomain(ctx, cfg, accountID); err != nil {
					return nil, time.Time{}, err
				}
			}
			domain = accountDomainOnce
		}
		out = append(out, wire.NewPhone(p, domain, live.Count[p.ID]))
	}
	return out, live.NextExpiry, nil
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
