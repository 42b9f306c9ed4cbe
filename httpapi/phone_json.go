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
	return wire.NewPhone(p, cfg.Realm, len(regs)), nil
}
